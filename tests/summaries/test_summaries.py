"""Per-article summaries: styles, languages, map-reduce, fact check, cache, digest, CLI.

The first tests drive :class:`qa.summaries.Summarizer` with a scripted chat model (exact control of
what the model says, no CPU); the rest (marked ``slow``) run the real store and the small bundled model
(qwen2.5-0.5b).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tests.conftest import SAMPLES, run_cli, write_jsonl

from qa.text.language import language_ranking
from qa.models.llm import model_id
from qa.text.sentences import sentences
from qa.store.errors import StoreError
from qa.summaries import (
    STYLES,
    ArticleNotFoundError,
    Evidence,
    Summarizer,
    Summary,
    cached_summary,
    check_units,
    clean_output,
    language_code,
)
from tests.scripted import Scripted

SMALL = "qwen2.5-0.5b"


def sample(article_id: str) -> dict:
    for line in (SAMPLES / "orangesum-sample.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["id"] == article_id:
            return record
    raise LookupError(article_id)


def detected(text: str) -> str:
    """The language of a text of a sentence or more (character n-grams, the assistant's languages)."""
    ranking = language_ranking(text)
    return max(ranking, key=ranking.get)


def units_of(summary: Summary) -> list[str]:
    return clean_output(summary.summary, summary.style)


def assert_grounded(summary: Summary, source: str) -> None:
    evidence = Evidence(source)
    same = summary.language == "fr"
    units = units_of(summary)
    assert units, summary.summary
    for unit in units:
        assert evidence.unsupported(unit, same_language=same) == [], unit


# ---------------------------------------------------------------- scripted model (no CPU)


ARTICLE = ("Le conseil municipal de Lyon a voté jeudi un budget de 12 millions d'euros pour les pistes cyclables. "
           "Grégory Doucet, le maire, a salué une décision historique. L'opposition a dénoncé un coût trop élevé. "
           "Les travaux commenceront en mars et dureront deux ans.")


@pytest.fixture
def settings_small_ctx():
    from qa.settings import get_settings

    return get_settings().model_copy(update={"n_ctx": 900})  # the scripted model has no tokenizer: tiktoken counts


def run(model, settings, text=ARTICLE, **kwargs) -> Summary:
    out = list(Summarizer(model, settings).run(title="Lyon vote ses pistes cyclables", text=text, lang="fr", **kwargs))
    assert isinstance(out[-1], Summary) and all(isinstance(piece, str) for piece in out[:-1])
    return out[-1]


def test_short_article_is_one_call(settings_small_ctx):
    model = Scripted(script=lambda prompt, n: "Lyon a voté 12 millions d'euros pour les pistes cyclables.")
    summary = run(model, settings_small_ctx, style="abstract")
    assert summary.calls == 1 and summary.sections == 1 and not summary.regenerated
    assert summary.summary == "Lyon a voté 12 millions d'euros pour les pistes cyclables."
    assert model.prompts[0][1]["max_tokens"] <= 128


def test_long_article_map_reduce_respects_the_budget(settings_small_ctx):
    long_text = " ".join(f"Le conseil municipal de Lyon a voté la mesure numéro {i} pour le quartier {i}." for i in range(80))

    def script(prompt: str, n: int) -> str:
        if "<notes>" in prompt:
            return "Le conseil municipal de Lyon a voté 79 mesures."
        number = re.search(r"part (\d+) of", prompt).group(1)
        return f"- Le conseil municipal de Lyon a voté des mesures (partie {number}).\n- La mesure numéro 7."

    model = Scripted(script=script)
    summary = run(model, settings_small_ctx, text=long_text, style="short")
    assert summary.sections >= 2
    assert summary.calls == summary.sections + 1  # one map per section, one reduce
    assert summary.summary == "Le conseil municipal de Lyon a voté 79 mesures."
    summarizer = Summarizer(model, settings_small_ctx)
    assert len(model.prompts) == summary.calls
    for messages, kwargs in model.prompts:  # every prompt plus its answer fits the context
        assert summarizer.count_messages(messages) + kwargs["max_tokens"] <= settings_small_ctx.n_ctx
    sections = summarizer.split(long_text, 200)
    assert len(sections) >= 2 and all(summarizer.count(s) <= 200 for s in sections)
    assert " ".join(sections) == long_text


def test_unsupported_sentence_is_removed(settings_small_ctx):
    text = "Lyon a voté 12 millions d'euros. Jean Dupont a reçu 500 euros. Les travaux dureront deux ans."
    model = Scripted(script=lambda prompt, n: text)
    summary = run(model, settings_small_ctx, style="short")
    assert summary.summary == "Lyon a voté 12 millions d'euros. Les travaux dureront deux ans."
    assert set(summary.unsupported) == {"500", "Jean Dupont"}
    assert summary.calls == 1


def test_empty_after_check_regenerates_once_then_falls_back(settings_small_ctx):
    answers = ["Anne Hidalgo a voté 99 millions.", "Grégory Doucet a salué une décision historique."]
    model = Scripted(script=lambda prompt, n: answers[n - 1])
    summary = run(model, settings_small_ctx, style="abstract")
    assert summary.regenerated and summary.calls == 2 and not summary.extractive
    assert summary.summary == answers[1]
    assert "Write in French only" in str(model.prompts[1][0][-1].content)

    model = Scripted(script=lambda prompt, n: "Anne Hidalgo a voté 99 millions.")
    summary = run(model, settings_small_ctx, style="short")
    assert summary.extractive and summary.calls == 2
    assert summary.summary == " ".join(sentences(ARTICLE)[:2])  # the lead: nothing invented


def test_wrong_language_is_regenerated(settings_small_ctx):
    answers = ["The city council of Lyon voted a budget of 12 million euros for cycle lanes on Thursday.",
               "Le conseil municipal de Lyon a voté jeudi un budget de 12 millions d'euros."]
    model = Scripted(script=lambda prompt, n: answers[n - 1])
    summary = run(model, settings_small_ctx, style="abstract")
    assert summary.regenerated and summary.summary == answers[1]


def test_cleaning_and_units():
    assert clean_output("Résumé :\n**Lyon** a voté. M. Doucet a salué la décision.", "short") == [
        "Lyon a voté.", "M. Doucet a salué la décision."]
    assert clean_output("Voici les points clés :\n1. Lyon vote\n- Doucet salue\n  la décision", "bullets") == [
        "Lyon vote", "Doucet salue la décision"]
    assert clean_output('"Lyon a voté."', "abstract") == ["Lyon a voté."]
    kept, removed = check_units(["Lyon a voté 12 millions.", "Paris a voté 7 millions."], Evidence(ARTICLE),
                                same_language=True)
    assert kept == ["Lyon a voté 12 millions."] and set(removed) == {"7", "Paris"}
    assert Evidence("Six milliards d'euros.").unsupported("6 milliards d'euros", same_language=True) == []


def test_language_and_style_arguments():
    assert language_code("English") == language_code("EN") == language_code("anglais") == "en"
    assert language_code(None) is None
    with pytest.raises(ValueError):
        language_code("klingon")
    from qa.summaries import check_style

    with pytest.raises(ValueError, match="short, abstract, paragraph, bullets"):
        check_style("haiku")


def test_cached_summary_is_a_lookup_that_never_calls_the_model(assistant, tmp_path):
    record = {"id": "test-velo", "title": "Lyon vote ses pistes cyclables", "date": "2021-03-04", "text": ARTICLE}
    assert assistant.ingest([write_jsonl(tmp_path / "velo.jsonl", [record])]).added == 1
    said = "Lyon a voté 12 millions d'euros pour les pistes cyclables."
    model = Scripted(script=lambda prompt, n: said)
    assistant.__dict__["llm"] = model
    store, settings = assistant.store, assistant.settings

    assert cached_summary(store, settings, "test-velo", style="abstract") is None  # none made yet
    assert cached_summary(store, settings, "no-such-article") is None  # a lookup: no error for an unknown id
    assert model.prompts == []

    made = assistant.summarize("test-velo", style="abstract")
    assert not made.cached and made.summary == said and len(model.prompts) == 1

    found = cached_summary(store, settings, "test-velo", style="abstract")
    assert isinstance(found, Summary) and found.cached and found.calls == 0
    assert (found.article_id, found.title, found.summary, found.style, found.language, found.model) == (
        "test-velo", "Lyon vote ses pistes cyclables", said, "abstract", "fr", model_id(settings))
    assert cached_summary(store, settings, "test-velo", style="abstract", language="French").summary == said
    assert assistant.cached_summary("test-velo", style="abstract").summary == said  # the Assistant's door
    assert cached_summary(store, settings, "test-velo", style="short") is None  # another style
    assert cached_summary(store, settings, "test-velo", style="abstract", language="en") is None  # another language
    assert len(model.prompts) == 1  # the lookups made no call


def test_digest_regenerates_with_the_reminder(assistant, tmp_path):
    records = [{"id": "velo", "title": "Lyon vote ses pistes cyclables", "text": ARTICLE},
               {"id": "tram", "title": "Lyon prolonge son tramway",
                "text": "La métropole de Lyon a voté lundi la prolongation du tramway T6. Les travaux coûteront "
                        "80 millions d'euros et commenceront en 2024, selon Bruno Bernard, président de la métropole."}]
    assert assistant.ingest([write_jsonl(tmp_path / "lyon.jsonl", records)]).added == 2
    grounded = ("- Lyon a voté 12 millions d'euros pour les pistes cyclables. [1]\n"
                "- Les travaux du tramway coûteront 80 millions d'euros. [2]")
    digests = ["- Anne Hidalgo a voté 99 millions. [1]", grounded]  # the first try, then the retry

    def script(prompt: str, n: int) -> str:
        if "<articles>" in prompt:
            return digests.pop(0)
        if "cyclables" in prompt:
            return "Lyon a voté un budget pour les pistes cyclables."
        return "La métropole de Lyon a voté la prolongation du tramway T6."

    model = Scripted(script=script)
    assistant.__dict__["llm"] = model
    digest = assistant.digest(["velo", "tram"])
    assert digest.regenerated and digest.language == "fr" and set(digest.unsupported) == {"99", "Anne Hidalgo"}
    assert digest.digest == grounded
    assert [s.article_id for s in digest.sources] == ["velo", "tram"] and digests == []
    retry = model.calls[-1]
    assert retry.startswith(model.calls[-2]) and retry.endswith(
        " Write in French only, and use only names, numbers and dates that are written in the articles.")


# ---------------------------------------------------------------- real store, small model

SHORT_ID, LONG_ID = "orangesum-87", "orangesum-20"
MOST_UNITS = {"abstract": 1, "short": 3, "paragraph": 7, "bullets": 6}  # sentences, or points, per style


@pytest.fixture(scope="module")
def store_assistant(tmp_path_factory):
    from qa import Assistant
    from qa.settings import get_settings

    folder = tmp_path_factory.mktemp("summaries")
    settings = get_settings().model_copy(update={"store_dir": folder / "store", "bundled_model": SMALL})
    assistant = Assistant(settings)
    source = write_jsonl(folder / "articles.jsonl", [sample(SHORT_ID), sample(LONG_ID)])
    report = assistant.ingest([source])
    assert report.ok and report.added == 2
    assistant.source_file = source
    return assistant


@pytest.fixture(scope="module")
def short_text(store_assistant) -> str:
    article = store_assistant.store.get_article(SHORT_ID)
    return Summarizer.article_block(article.title, article.text, article.date)  # what the model reads


@pytest.mark.slow
@pytest.mark.parametrize("style", list(STYLES))
def test_each_style(store_assistant, short_text, style):
    summary = store_assistant.summarize(SHORT_ID, style=style)
    assert summary.style == style and summary.language == "fr" and summary.article_id == SHORT_ID
    assert summary.title.startswith("Affaire Epstein") and summary.model == model_id(store_assistant.settings)
    assert summary.sections == 1 and summary.calls in (1, 2)  # one call, a second only to regenerate
    assert summary.summary.strip()
    assert 1 <= len(units_of(summary)) <= MOST_UNITS[style]
    lines = summary.summary.splitlines()
    if style == "bullets":  # one point a line, each saying something (no bare date or figure)
        assert 1 <= len(lines) <= 6
        assert all(line.startswith("- ") and len(line.split()) >= 4 for line in lines), lines
    else:  # one plain paragraph
        assert lines == [summary.summary]
    assert_grounded(summary, short_text)
    assert detected(summary.summary) == "fr"  # the model's French, or the French article's lead sentences


@pytest.mark.slow
def test_cross_language_summary(store_assistant, short_text):
    """A French article summarised in English by the default model (the 0.5B one invents facts here:
    "Epstein, a former member of the United States Navy, was arrested"; the check removes them)."""
    from qa import Assistant

    assistant = Assistant(store_assistant.settings.model_copy(update={"bundled_model": "qwen2.5-1.5b"}))
    summary = assistant.summarize(SHORT_ID, style="short", language="English")
    assert summary.language == "en" and not summary.extractive
    assert detected(summary.summary) == "en"
    assert_grounded(summary, short_text)
    assert "Maxwell" in summary.summary


@pytest.mark.slow
def test_stream_then_cache_hit(store_assistant):
    first = store_assistant.summarize(SHORT_ID, style="short")  # made by test_each_style, or now
    pieces = list(store_assistant.stream_summary(SHORT_ID, style="short"))
    final = pieces[-1]
    assert isinstance(final, Summary) and final.cached and final.calls == 0
    assert pieces[:-1] == [final.summary] and final.summary == first.summary  # cached: one piece
    again = store_assistant.summarize(SHORT_ID, style="short", language="fr")
    assert again.cached and again.summary == final.summary and again.seconds < 0.5


@pytest.mark.slow
def test_missing_article(store_assistant):
    with pytest.raises(ArticleNotFoundError) as caught:
        store_assistant.summarize("no-such-article")
    error = caught.value
    assert isinstance(error, StoreError) and isinstance(error, KeyError)
    assert str(error).startswith(f"No article with id 'no-such-article' in {store_assistant.store.directory}")
    with pytest.raises(ArticleNotFoundError):
        next(iter(store_assistant.stream_summary("no-such-article")))
    with pytest.raises(ArticleNotFoundError):
        store_assistant.digest([SHORT_ID, "no-such-article"])


@pytest.mark.slow
def test_cli(store_assistant):
    store = store_assistant.settings.store_dir
    env = {"QA_BUNDLED_MODEL": SMALL}
    done = run_cli("-m", "qa", "summarize", "--json", "--style", "abstract", SHORT_ID, store=store, env=env)
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert set(payload) == {"article_id", "title", "summary", "language", "style"}
    assert payload["summary"] == store_assistant.summarize(SHORT_ID, style="abstract").summary  # the cached one
    assert payload["style"] == "abstract" and payload["language"] == "fr"

    missing = run_cli("-m", "qa", "summarize", "nope", store=store, env=env)
    assert missing.returncode == 2 and "No article with id 'nope'" in missing.stderr
    bad = run_cli("-m", "qa", "summarize", "--lang", "klingon", SHORT_ID, store=store, env=env)
    assert bad.returncode == 2 and "Unknown language" in bad.stderr


@pytest.mark.slow
def test_digest(store_assistant):
    digest = store_assistant.digest([SHORT_ID, LONG_ID])
    assert [s.article_id for s in digest.sources] == [SHORT_ID, LONG_ID] and digest.language == "fr"
    points = digest.digest.splitlines()
    assert 1 <= len(points) <= 6
    for point in points:
        assert point.startswith("- ")
        cited = [int(n) for n in re.findall(r"\[(\d+)\]", point)]
        assert cited and set(cited) <= {1, 2}, point


@pytest.mark.slow
def test_summarize_all_and_ingest_flag(store_assistant):
    results = store_assistant.summarize_all(show_progress=False)
    assert sorted(r.article_id for r in results) == sorted([SHORT_ID, LONG_ID])
    assert all(r.summary and r.style == "short" for r in results)
    again = store_assistant.summarize_all(show_progress=False)
    assert [(r.article_id, r.cached) for r in again] == [(r.article_id, True) for r in results]
    done = run_cli("ingest.py", "--summarize", "--quiet", str(store_assistant.source_file),
                   store=store_assistant.settings.store_dir, env={"QA_BUNDLED_MODEL": SMALL})
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_cache_invalidation_when_the_article_changes(store_assistant, tmp_path):
    record = {"id": "test-velo", "title": "Lyon vote ses pistes cyclables", "date": "2021-03-04", "text": ARTICLE}
    path = write_jsonl(tmp_path / "velo.jsonl", [record])
    store_assistant.ingest([path])
    first = store_assistant.summarize("test-velo", style="abstract")
    assert not first.cached and first.calls >= 1
    assert store_assistant.summarize("test-velo", style="abstract").cached

    record["text"] = ARTICLE + " Le budget sera voté à nouveau en 2023."
    store_assistant.ingest([write_jsonl(path, [record])])
    changed = store_assistant.summarize("test-velo", style="abstract")
    assert not changed.cached and changed.calls >= 1
    assert store_assistant.summarize("test-velo", style="abstract").cached


@pytest.mark.slow
def test_long_article_map_reduce(tmp_path):
    """A real article longer than the model's context: summarised in sections, then reduced."""
    from qa import Assistant
    from qa.settings import get_settings

    settings = get_settings().model_copy(update={"store_dir": tmp_path / "store", "bundled_model": SMALL,
                                                 "n_ctx": 1280})
    assistant = Assistant(settings)
    assert assistant.ingest([write_jsonl(tmp_path / "long.jsonl", [sample(LONG_ID)])]).ok
    article = assistant.store.get_article(LONG_ID)
    assert assistant.llm.count_tokens(article.text) > settings.n_ctx - 300  # no room for prompt and answer
    summary = assistant.summarize(LONG_ID, style="abstract")
    assert summary.sections >= 2
    assert summary.calls in (summary.sections + 1, summary.sections + 2)  # maps, reduce (and a regeneration)
    assert summary.summary.strip() and len(units_of(summary)) == 1
    assert_grounded(summary, Summarizer.article_block(article.title, article.text, article.date))


def test_prompts_exist():
    folder = Path(__file__).resolve().parents[2] / "prompts"
    for name in ("system", "article", "map", "reduce", "digest", "reminder", *STYLES):
        assert (folder / f"summary_{name}.txt").exists(), name
