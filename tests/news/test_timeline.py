"""Story timeline (qa/news/timeline/): date resolution, the checks, one event once, the order, and the wiring
(Assistant.timeline, ``python -m qa timeline``, the app's controller and rendering) with a scripted chat model
over real OrangeSum articles (tests/fixtures/orangesum-120.jsonl.gz); one end-to-end test with the real model.

The two Banksy articles (orangesum-345 and orangesum-397, both of Saturday 2020-06-27) tell the same arrests
"mardi" (2020-06-23) and the same attacks of "13 novembre 2015": a timeline must tell each event once.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from qa import Assistant
from qa.store.errors import NoArticlesError
from qa.news.timeline import (
    EventDate,
    TimelineEvent,
    date_words_in,
    in_order,
    parse_when,
    resolve_date,
    same_time,
    sentence_date_words,
    subject_language,
    support,
)
from tests.conftest import fixture_records, write_jsonl
from tests.scripted import Scripted

BANKSY = ("orangesum-345", "orangesum-397")
# the Banksy articles, and others of the same days about other subjects (Sainte-Sophie, Narumi, Vera Lynn...)
ARTICLES = {*BANKSY, "orangesum-286", "orangesum-290", "orangesum-392", "orangesum-400", "orangesum-403",
            "orangesum-341", "orangesum-371", "orangesum-393"}
SUBJECT = "Banksy au Bataclan"


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize("words, article, expected", [
    ("mardi", date(2020, 6, 27), (date(2020, 6, 23), "day")),  # a weekday: the last one up to the article
    ("lundi", date(2018, 11, 19), (date(2018, 11, 19), "day")),  # the article's own weekday: that day
    ("jeudi soir", date(2018, 11, 22), (date(2018, 11, 22), "day")),
    ("hier", date(2019, 3, 7), (date(2019, 3, 6), "day")),
    ("samedi dernier", date(2020, 1, 2), (date(2019, 12, 28), "day")),
    ("lundi prochain", date(2020, 1, 2), (date(2020, 1, 6), "day")),
    ("ce mercredi", date(2019, 4, 2), (date(2019, 4, 3), "day")),  # this week's: the nearest
    ("le 19 novembre", date(2019, 1, 14), (date(2018, 11, 19), "day")),  # no year: the nearest
    ("le 23 juillet", date(2020, 6, 27), (date(2020, 7, 23), "day")),
    ("lundi 19 novembre 2018", date(2020, 1, 5), (date(2018, 11, 19), "day")),
    ("en novembre", date(2019, 1, 14), (date(2018, 11, 1), "month")),
    ("en 2016", date(2019, 1, 1), (date(2016, 1, 1), "year")),
    ("dans la nuit du 25 au 26 janvier 2019", date(2020, 6, 27), (date(2019, 1, 26), "day")),  # its date: the 26
    ("last week", date(2019, 3, 7), (date(2019, 2, 28), "day")),
    ("jeudi matin 4 avril", date(2019, 4, 8), (date(2019, 4, 4), "day")),  # the most precise words: "4 avril"
])
def test_date_words_are_read_against_the_article_date(words, article, expected):
    assert parse_when(words, article, ["fr", "en"]) == expected


def test_words_without_a_date_are_none():
    assert parse_when("à l'époque", date(2020, 1, 2), ["fr"]) is None
    assert parse_when("Clap de fin", date(2019, 1, 24), ["fr"]) is None


def test_date_words_must_be_in_the_passage():
    passage = "Ces six personnes ont été interpellées mardi dans plusieurs départements."
    assert date_words_in("Mardi", passage)  # case, accents and punctuation aside
    assert date_words_in("Tuesday", passage)  # translated: the same weekday
    assert not date_words_in("lundi", passage)
    assert not date_words_in("yesterday", passage)  # nothing to check it by
    assert date_words_in("19 November", "Il a été arrêté le 19 novembre à Tokyo.")
    assert not date_words_in("20 November", "Il a été arrêté le 19 novembre à Tokyo.")


def test_a_date_comes_from_the_sentence_or_the_article_never_from_the_model():
    sentence = "Ces six personnes ont été interpellées mardi dans plusieurs départements."
    assert resolve_date("mardi", sentence, "2020-06-27", ["fr"]) == EventDate(
        date="2020-06-23", precision="day", dated_by="passage", when="mardi")
    # the model's words that the sentence does not have are set aside: the sentence's own date words
    assert resolve_date("vendredi", sentence, "2020-06-27", ["fr"]).when == "mardi"
    assert resolve_date("", sentence, "2020-06-27", ["fr"], in_lead=False).when == "mardi"
    # no date words: the article's date, for a sentence of its lead only
    undated = "Toutes les six ont été placées en détention provisoire."
    assert resolve_date("vendredi", undated, "2020-06-27T09:30:00", ["fr"]) == EventDate(
        date="2020-06-27", precision="day", dated_by="article")
    assert resolve_date("", undated, "2020-06-27", ["fr"], in_lead=False) == (
        "no date words, and not in the article's lead")
    assert resolve_date("à l'époque", "Il était à l'époque patron.", "2020-06-27", ["fr"]).dated_by == "article"
    assert resolve_date("", undated, None, ["fr"]).startswith("no date")
    assert resolve_date("en 2018", "L'oeuvre avait été peinte en 2018.", None, ["fr"]) == EventDate(
        date="2018", precision="year", dated_by="passage", when="en 2018")
    # the model's "en 2019" is not written so in the sentence: its own, more precise words win
    assert resolve_date("en 2019", "Elles rappelaient l'incendie de Notre-Dame le 15 avril 2019.", "2020-07-18",
                        ["fr"]).date == "2019-04-15"


def test_an_event_is_told_by_the_sentence_that_has_its_words():
    sentence = "Le PDG de Renault a démissionné, a annoncé jeudi 24 janvier le ministre des Finances."
    assert support("Carlos Ghosn a démissionné.", sentence) == 1.0  # names aside: the article has them
    assert support("La justice japonaise a accepté de le libérer.", sentence) == 0.0
    assert support("Carlos Ghosn.", sentence) == 1.0


def test_the_date_words_of_a_sentence_without_false_friends():
    assert sentence_date_words("Il a démissionné, a annoncé jeudi 24 janvier le ministre.", ["fr"]) == (
        "jeudi 24 janvier")
    assert sentence_date_words("Un mois après sa libération, il a été interpellé jeudi matin.", ["fr"]) == "jeudi"
    assert sentence_date_words("Il a dépensé des milliers d'euros avec sa carte professionnelle.", ["fr"]) is None
    assert sentence_date_words("Le juge a statué sur le sort du suspect de 29 ans.", ["fr"]) is None
    assert sentence_date_words("A partir de 1935, elle se produit à la radio.", ["fr"]) == "1935"


def _event(day: str, dated_by: str = "passage", article_id: str = "a", start: int = 0) -> TimelineEvent:
    return TimelineEvent(date=day, dated_by=dated_by, event="x.", article_id=article_id, title="t", quote="x.",
                         start=start, end=start + 2, article_date="2020-06-27")


def test_dates_agree_to_their_common_precision_or_near_an_article_date():
    assert same_time(_event("2018-11-19"), _event("2018-11"))
    assert same_time(_event("2018"), _event("2018-11-19"))
    assert not same_time(_event("2018-11-19"), _event("2018-11-20"))
    assert same_time(_event("2018-11-19"), _event("2018-11-22", dated_by="article"))  # told three days later
    assert not same_time(_event("2018-11-01"), _event("2018-11-22", dated_by="article"))


def test_one_event_told_by_several_articles_is_kept_once_with_the_strongest_status():
    from qa.news.timeline import merge_same_events

    class Embedder:  # cosine 1 between texts of the same first word, 0 otherwise
        words = ["same", "other", "told", "said"]

        def embed_documents(self, texts):
            return [[float(t.split()[0] == w) for w in self.words] for t in texts]

    def event(article_id, quote, status="done", day="2020-07-02", text="told x."):
        return TimelineEvent(date=day, event=text, article_id=article_id, title="t", quote=quote, start=0, end=1,
                             article_date="2020-07-02", status=status)

    # the model words the arrest two ways (their sentences apart), the articles' quotes alike
    arrests = [event("a", "same arrest"), event("b", "same arrest again", "cancelled", text="said x."),
               event("c", "other event", text="other x.")]
    kept = merge_same_events(arrests, Embedder())
    assert [(e.article_id, e.also, e.status) for e in kept] == [("a", ["b"], "cancelled"), ("c", [], "done")]
    # one article's two sentences of one day, or two days: not merged by their quotes
    assert len(merge_same_events([event("a", "same one"), event("a", "same two", text="said x.")], Embedder())) == 2
    assert len(merge_same_events([event("a", "same"), event("b", "same", day="2020-07-03", text="said x.")],
                                 Embedder())) == 2


def test_an_article_names_the_subject_in_its_title_or_anywhere_in_its_text():
    from qa.news.timeline.passages import names_subject

    lead = "La fille de l'ex-magnat britannique Robert Maxwell, 58 ans, a été interpellée jeudi matin."
    assert not names_subject(lead, ["Ghislaine Maxwell"])  # one keyword of two: not more than half
    assert names_subject(lead + " Plusieurs avaient été recrutées par Ghislaine Maxwell.", ["Ghislaine Maxwell"])
    assert names_subject("Brexit: the vote", ["le Brexit", "Brexit"]) and not names_subject("Other", ["Brexit"])


def test_events_are_in_order_oldest_first():
    events = [_event("2020-06-23"), _event("2015-11-13"), _event("2018"), _event("2018-01-05"), _event("2018-01")]
    assert [e.date for e in in_order(events)] == ["2015-11-13", "2018", "2018-01", "2018-01-05", "2020-06-23"]


def test_the_reader_language_of_a_bare_name_is_the_collections():
    assert subject_language("Carlos Ghosn", ("fr", "en")) == "fr"
    assert subject_language("Brexit", ("en", "fr")) == "en"
    assert subject_language("When was Carlos Ghosn arrested?", ("fr", "en")) == "en"
    assert subject_language("Quand Carlos Ghosn a-t-il été arrêté ?", ("en", "fr")) == "fr"


# ---------------------------------------------------------------- wiring, with a scripted model


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("timeline")
    records = [r for r in fixture_records("orangesum-120.jsonl.gz") if r["id"] in ARTICLES]
    assert len(records) == len(ARTICLES)
    path = write_jsonl(folder / "articles.jsonl", records)
    report = Assistant(store_dir=folder / "store").ingest([path])
    assert report.added == len(ARTICLES), report
    return folder / "store"


def numbered_sentences(prompt: str) -> dict[int, str]:
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"^\((\d+)\) (.*)$", prompt, re.MULTILINE)}


def events_script(*events: tuple[str, str, str]):
    """For each article's prompt, the events (words of their sentence, date words, event) whose words are in
    one of its numbered sentences."""

    def script(prompt: str, _n: int) -> str:
        found = []
        for words, when, event in events:
            for number, text in numbered_sentences(prompt).items():
                if words in text:
                    found.append({"sentence": number, "when": when, "event": event})
                    break
        return json.dumps({"events": found}, ensure_ascii=False)

    return script


def scripted(store_dir, *events: tuple[str, str, str]) -> tuple[Assistant, Scripted]:
    assistant = Assistant(store_dir=store_dir, create=False)
    model = Scripted(script=events_script(*events))
    assistant.__dict__["llm"] = model
    return assistant, model


ARRESTS = ("interpellées", "mardi", "Six personnes ont été interpellées.")
DETENTION = ("placées en détention", "", "Les six ont été placées en détention provisoire.")


def test_a_timeline_tells_each_event_once_oldest_first_cited_to_its_sentence(store_dir):
    assistant, model = scripted(store_dir, DETENTION, ARRESTS)
    progress = []
    timeline = assistant.timeline(SUBJECT, on_progress=lambda done, total: progress.append((done, total)))
    assert sorted(timeline.articles) == sorted(BANKSY)  # the other articles do not name the subject
    assert len(model.prompts) == 2 and progress == [(0, 2), (1, 2), (2, 2)]
    assert "Subject: Banksy au Bataclan" in model.calls[0] and "in French" in model.calls[0]
    assert timeline.language == "fr" and not timeline.dropped
    assert [(e.date, e.dated_by, e.event) for e in timeline.events] == [
        ("2020-06-23", "passage", "Six personnes ont été interpellées."),  # "mardi" in articles of Saturday 27
        ("2020-06-27", "article", "Les six ont été placées en détention provisoire.")]
    for event in timeline.events:
        assert len(event.also) == 1 and {event.article_id, *event.also} == set(BANKSY)  # told by both, kept once
        article = assistant.article(event.article_id)
        assert article.text[event.start:event.end] == event.quote
    assert "mardi" in timeline.events[0].quote and timeline.events[0].when == "mardi"
    assert timeline.events[1].quote == "Toutes les six ont été placées en détention provisoire."


CHARGES = "Deux personnes ont été inculpées ou mises en examen pour vol en bande organisée."


def test_an_event_whose_facts_are_not_in_its_sentence_is_dropped_and_a_made_up_date_set_aside(store_dir):
    assistant, _ = scripted(store_dir, ("interpellées", "mardi", "7 personnes ont été interpellées."),
                            ("Deux d'entre elles", "vendredi 26 juin", CHARGES), DETENTION)
    timeline = assistant.timeline(SUBJECT)
    assert {(d.article_id, d.event, d.reason) for d in timeline.dropped} == {
        (article_id, "7 personnes ont été interpellées.", "7") for article_id in BANKSY}
    # "vendredi 26 juin" is in neither sentence: the articles' date; a third event of an article is not read
    [event] = timeline.events
    assert (event.date, event.dated_by, event.event) == ("2020-06-27", "article", CHARGES)
    assert event.quote.startswith("Deux d'entre elles") and len(event.also) == 1


def test_an_event_no_sentence_tells_is_dropped_and_a_wrong_sentence_number_mended(store_dir):
    assistant, _ = scripted(store_dir, ("placées en détention", "", "La justice a accepté de les libérer."),
                            ("placées en détention", "mardi", "Ces six personnes ont été interpellées."))
    timeline = assistant.timeline(SUBJECT)
    assert {(d.article_id, d.reason) for d in timeline.dropped} == {
        (article_id, "no sentence of the article tells it") for article_id in BANKSY}
    # named the detention sentence, told the arrests: cited to the sentence of the arrests, dated by its "mardi"
    [event] = timeline.events
    assert "interpellées" in event.quote and (event.date, event.when) == ("2020-06-23", "mardi")


def test_the_model_is_given_the_article_lead_and_its_numbered_sentences(store_dir):
    assistant, model = scripted(store_dir)
    timeline = assistant.timeline(SUBJECT)
    assert timeline.events == [] and len(model.prompts) == 2
    for prompt in model.calls:
        sentences = numbered_sentences(prompt)
        assert sentences[1].startswith(("C'est au cours d'une vaste opération", "Ces six personnes"))
        assert "[1] Banksy volé au Bataclan" in prompt and "2020-06-27" not in prompt  # not a date to copy
    for prompt, response_format in zip(model.calls, model.formats):  # JSON, the sentences named by their numbers
        schema = response_format["json_schema"]["schema"]["properties"]["events"]
        assert schema["maxItems"] == 2
        assert schema["items"]["properties"]["sentence"]["enum"] == sorted(numbered_sentences(prompt))


def test_a_timeline_needs_a_subject_and_articles(store_dir, tmp_path):
    assistant, _ = scripted(store_dir)
    with pytest.raises(ValueError, match="Empty subject"):
        assistant.timeline("  ")
    with pytest.raises(NoArticlesError):
        Assistant(store_dir=tmp_path / "empty").timeline("Banksy")


def test_the_command_line_prints_the_events_as_json(store_dir, monkeypatch, capsys):
    import qa.assistant
    from qa.__main__ import main

    model = Scripted(script=events_script(ARRESTS))
    monkeypatch.setattr(qa.assistant, "get_chat_model", lambda *args, **kwargs: model)
    assert main(["timeline", "--store", str(store_dir), "--json", SUBJECT]) == 0
    [event] = json.loads(capsys.readouterr().out)
    assert event["date"] == "2020-06-23" and event["event"] == "Six personnes ont été interpellées."
    assert event["article_id"] in BANKSY and "mardi" in event["quote"] and event["also"]
    assert main(["timeline", "--store", str(store_dir), SUBJECT]) == 0
    out = capsys.readouterr().out
    assert "2020-06-23  Six personnes ont été interpellées." in out and "also told by 1 other article" in out


def test_the_app_streams_the_progress_then_renders_the_timeline(store_dir):
    from qa.ui.controller import NewsdeskUI, Reading
    from qa.ui.render import esc, render_timeline

    assistant, _ = scripted(store_dir, ARRESTS)
    items = list(NewsdeskUI(assistant).stream_timeline(SUBJECT, poll=0.05))
    assert all(isinstance(item, Reading) for item in items[:-1]) and items[0] == Reading()
    timeline = items[-1]
    assert [e["date"] for e in timeline["events"]] == ["2020-06-23"]
    html = render_timeline(timeline)
    assert '<time datetime="2020-06-23">2020-06-23</time>' in html and "Six personnes ont été interpellées." in html
    assert "also told by 1 other article" in html and f"<mark>{esc(timeline['events'][0]['quote'])}</mark>" in html
    hostile = {**timeline, "events": [{**timeline["events"][0], "event": "<script>alert(1)</script>"}]}
    assert "<script>" not in render_timeline(hostile)
    assert "reading article 2 of 3" in render_timeline(reading=(1, 3))


# ---------------------------------------------------------------- the real local model


@pytest.mark.slow
def test_a_timeline_with_the_local_model(store_dir):
    assistant = Assistant(store_dir=store_dir, create=False)
    timeline = assistant.timeline(SUBJECT)
    assert sorted(timeline.articles) == sorted(BANKSY)
    assert timeline.events, timeline.dropped
    assert [e.date for e in timeline.events] == sorted(e.date for e in timeline.events)
    for event in timeline.events:
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", event.date)
        assert assistant.article(event.article_id).text[event.start:event.end] == event.quote
        assert event.event.endswith((".", "!", "?", "…"))
    # what both articles report first: the six arrests of Tuesday 2020-06-23
    assert any(e.date == "2020-06-23" and "mardi" in e.quote for e in timeline.events), timeline.events


def test_no_article_names_the_subject_is_told_apart_from_no_dated_event(store_dir, monkeypatch, capsys):
    assistant, model = scripted(store_dir)
    nobody = assistant.timeline("Carlos Ghosn")
    assert nobody.named == [] and nobody.events == [] and nobody.message == "No article names Carlos Ghosn."
    undated = assistant.timeline(SUBJECT)  # the model finds no event in either Banksy article
    assert sorted(undated.named) == sorted(BANKSY) and undated.events == []
    assert undated.message == "2 articles name Banksy au Bataclan, none gives a dated event about it."
    assert undated.model_dump()["message"] == undated.message  # the app renders the dump
    from qa.ui.render import render_timeline

    assert "No article names Carlos Ghosn." in render_timeline(nobody.model_dump())
    assert "2 articles name it, 2 read" in render_timeline(undated.model_dump())


def test_an_event_status_is_in_the_json_and_shown_when_not_done(store_dir, monkeypatch, capsys):
    import qa.assistant
    from qa.__main__ import main
    from qa.ui.render import render_timeline

    # the arrests "mardi" (past tense): done; a status other than done is shown on the event's card
    model = Scripted(script=events_script(ARRESTS))
    monkeypatch.setattr(qa.assistant, "get_chat_model", lambda *args, **kwargs: model)
    assert main(["timeline", "--store", str(store_dir), "--json", SUBJECT]) == 0
    [event] = json.loads(capsys.readouterr().out)
    assert event["status"] == "done"
    timeline = {"query": SUBJECT, "language": "fr", "events": [event], "articles": list(BANKSY), "named": list(BANKSY)}
    assert "cancelled" not in render_timeline(timeline)
    assert " · cancelled — " in render_timeline({**timeline, "events": [{**event, "status": "cancelled"}]})
    assert main(["timeline", "--store", str(store_dir), "Carlos Ghosn"]) == 0
    out = capsys.readouterr().out
    assert "0 articles name it" in out and "No article names Carlos Ghosn." in out


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    """The issue's sample articles of Thursday 2020-07-02 about the Ségur de la santé and Ghislaine Maxwell
    (data/samples/orangesum-sample.jsonl: 60 articles of that day, wire copies included)."""
    folder = tmp_path_factory.mktemp("timeline-sample")
    path = Path(__file__).resolve().parents[2] / "data" / "samples" / "orangesum-sample.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    Assistant(store_dir=folder / "store").ingest([write_jsonl(folder / "articles.jsonl", records)])
    return folder / "store"


@pytest.mark.slow
def test_the_issue_cases_with_the_local_model(sample_store):
    assistant = Assistant(store_dir=sample_store, create=False)
    assert assistant.timeline("Carlos Ghosn").message == "No article names Carlos Ghosn."
    segur = assistant.timeline("Ségur de la santé")
    assert len(segur.named) >= 4 and segur.events, segur.dropped
    fridays = [e for e in segur.events if "vendredi" in e.when]
    assert all(e.date == "2020-07-03" and e.status != "done" for e in fridays), fridays  # the coming, called off
    called_off = [e for e in segur.events if "annulées" in e.quote]
    assert all(e.status == "cancelled" for e in called_off), called_off
    maxwell = assistant.timeline("Ghislaine Maxwell")
    assert {"orangesum-11", "orangesum-20"} <= set(maxwell.named)  # the article naming her 10 times included
    arrests = [e for e in maxwell.events if e.date == "2020-07-02" and re.search(r"arrest|interpell", e.quote)]
    assert len(arrests) == 1, maxwell.events  # told by three articles, kept once
