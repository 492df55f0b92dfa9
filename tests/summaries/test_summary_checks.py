"""The summaries' review (issue 23): names checked across languages, untranslated words, the title's facts,
whole-sentence key points, two figures for one thing. Plain functions first, then the wiring with the
scripted model (no CPU). The cases are the issue's: the NATO article (OTAN, l'ONU) and the Botswana
elephants (356 reported, 275 confirmed, "braconniers")."""

from __future__ import annotations

import pytest
from tests.conftest import SAMPLES

from qa.ingest.front_matter import front_matter
from qa.summaries import Summarizer, Summary
from qa.summaries.entities import ArticleNames, article_names, parse_translations
from qa.summaries.headline import headline_facts, missing_facts, twin_figures, unqualified_figures
from qa.summaries.units import is_fragment, repeats
from qa.summaries.wording import mark_translated_quotations, untranslated_words
from tests.scripted import Scripted
from tests.summaries.test_summaries import sample

NATO_TITLE, NATO_TEXT = front_matter((SAMPLES / "otan-guerre-nucleaire-fr.txt").read_text(encoding="utf-8"))[1].split(
    "\n", 1)  # the article after its source and date
NATO_NAMES = ("OTAN => NATO | North Atlantic Treaty Organization\n"
              "ONU => the United Nations | UN\n"
              "Assemblée => Assembly | General Assembly\nRussie => Russia | Russian\nMoscou => Moscow\nPoutine => Putin\n"
              "États-Unis => the United States | US | American")
ELEPHANTS = sample("orangesum-68")


def nato_names(calls: list | None = None) -> ArticleNames:
    def translate(names):
        calls.append(names) if calls is not None else None
        return NATO_NAMES
    return ArticleNames(NATO_TEXT, article_names(NATO_TITLE, NATO_TEXT, "fr"), translate=translate)


# ---------------------------------------------------------------- names across languages


def test_article_names_are_the_names_it_writes():
    names = article_names(NATO_TITLE, NATO_TEXT, "fr")
    assert {"OTAN", "ONU", "Russie", "Moscou", "Jens Stoltenberg"} <= set(names)
    assert "Assemblée" in names  # "l’Assemblée générale de l’ONU": inside a sentence, a name
    assert "L’OTAN" not in names and "Interrogé" not in names  # an elided article, a verb opening a sentence


def test_translated_names_pass_invented_ones_do_not():
    calls = []
    names = nato_names(calls)
    assert names.unsupported("NATO told Moscow that Russia cannot win a nuclear war.") == []
    assert names.unsupported("Jens Stoltenberg spoke on the sidelines of the UN General Assembly.") == []
    assert names.unsupported("Russian President Vladimir Putin was warned.") == []
    assert names.unsupported("The United Nations Security Council (OTAN) has warned Russia.") == [
        "United Nations Security Council"]
    assert names.unsupported("The UN Security Council warned Russia.") == ["Security Council"]
    assert names.unsupported("The United States Navy sailed.") == ["United States Navy"]
    assert names.untranslated("The OTAN warned Russia, l'ONU said.") == ["ONU", "OTAN"]  # French in English
    assert names.untranslated("NATO warned Russia, Jens Stoltenberg said.") == []
    assert len(calls) == 1  # translated once, on the first name not written as in the article


def test_names_written_as_in_the_article_need_no_translation():
    calls = []
    names = nato_names(calls)
    assert names.unsupported("Jens Stoltenberg told Reuters about Ukraine.") == []
    assert calls == [] and not names.translated
    cached = ArticleNames(NATO_TEXT, ["OTAN"], cached="OTAN => NATO", translate=lambda n: pytest.fail("no call"))
    assert cached.unsupported("NATO warned Russia.") == ["Russia"]  # the cache holds only OTAN


def test_parse_translations_keeps_only_the_article_names():
    parsed = parse_translations("- OTAN => NATO | North Atlantic Treaty Organization\nSomething else\n"
                                "Paris => \nInvented => Thing", ["OTAN", "Paris"])
    assert parsed == {"OTAN": ["NATO", "North Atlantic Treaty Organization"]}


# ---------------------------------------------------------------- untranslated words, quotations


def test_french_words_in_an_english_summary():
    assert untranslated_words("The cause is unknown: braconniers are not suspected.", "en") == ["braconniers"]
    assert untranslated_words("NATO wants to 'supprimer toute place pour une erreur de calcul'.", "en")
    assert untranslated_words("Anthrax, a bovine disease in the Okavango delta, is excluded.", "en") == []
    assert untranslated_words("Le Botswana a confirmé la mort de 275 éléphants, which launched tests.", "fr") == [
        "which", "launched"]


def test_quotations_rule():
    quoted = 'NATO said it wanted "supprimer toute place pour une erreur de calcul".'
    assert "supprimer" in untranslated_words(quoted, "en")  # another language: the quotation is translated
    assert untranslated_words('L\'OTAN veut "supprimer toute place pour une erreur".', "fr",
                              quotations_allowed=True) == []
    assert untranslated_words('He said "these elephants died" today.', "en", quotations_allowed=True) == []
    assert (mark_translated_quotations('He called it “dangerous rhetoric” (translated) and "reckless".', "en")
            == 'He called it “dangerous rhetoric” (translated) and "reckless" (translated).')
    assert mark_translated_quotations("Il a dit « non ».", "fr") == "Il a dit « non » (traduit)."


# ---------------------------------------------------------------- the headline fact, key points, twin figures


def test_headline_facts_and_missing_ones():
    facts = headline_facts(ELEPHANTS["title"], ELEPHANTS["text"])
    assert facts == ["275", "Botswana"]
    assert missing_facts("Botswana: 356 elephants were found dead.", facts) == ["275"]
    assert missing_facts("Au Botswana, deux cent soixante-quinze... 275 éléphants sont morts.", facts) == []
    names = nato_names()
    assert missing_facts("NATO warned Moscow.", ["OTAN"], names) == []
    assert missing_facts("The alliance warned Moscow.", ["OTAN"], names) == ["OTAN"]


def test_two_figures_for_one_thing_keep_their_qualifiers():
    twins = twin_figures(f"{ELEPHANTS['title']}. {ELEPHANTS['text']}")
    assert {"356", "275"} <= set(twins)
    assert unqualified_figures("356 éléphants sont morts au Botswana, dont 275 dans le delta.", twins) == ["275"]
    assert unqualified_figures("356 éléphants ont été signalés morts, dont 275 confirmés.", twins) == []


def test_key_points_are_whole_sentences_said_once():
    assert is_fragment("EWB: a daté du 19 juin 2020 et transmis à la presse")
    assert is_fragment("Anthrax excluded")
    assert not is_fragment("The government has confirmed the death of 275 elephants.")
    kept = ["275 elephants died in the Okavango delta in Botswana."]
    assert repeats("In Botswana, 275 elephants died in the Okavango delta.", kept)
    assert not repeats("356 elephants died in the Okavango delta in Botswana.", kept)  # another figure


# ---------------------------------------------------------------- wiring (scripted model)


@pytest.fixture
def settings():
    from qa.settings import get_settings

    return get_settings().model_copy(update={"n_ctx": 4096})


def summarize(model, settings, title, text, **kwargs) -> Summary:
    return list(Summarizer(model, settings).run(title=title, text=text, lang="fr", **kwargs))[-1]


def test_invented_english_name_for_otan_is_regenerated(settings):
    first = "The United Nations Security Council (OTAN) has warned Russia that it cannot win a nuclear war."
    second = "NATO has told Russia that it cannot win a nuclear war, Jens Stoltenberg said."

    def script(prompt: str, n: int) -> str:
        if "=>" in prompt:
            return NATO_NAMES
        return first if "State the main facts" not in prompt and "Write in English only" not in prompt else second

    model = Scripted(script=script)
    summary = summarize(model, settings, NATO_TITLE, NATO_TEXT, style="abstract", language="en")
    assert summary.summary == second and summary.regenerated
    assert "United Nations Security Council" in summary.unsupported
    assert summary.calls == 3  # the abstract, the names translated once, the second try
    remembered = []
    again = Summarizer(Scripted(script=lambda p, n: second), settings).run(
        title=NATO_TITLE, text=NATO_TEXT, lang="fr", style="abstract", language="en", cached_names=NATO_NAMES,
        remember_names=remembered.append)
    assert list(again)[-1].calls == 1 and remembered == []  # the cached translation is used


def test_untranslated_word_and_missing_headline_fact_are_asked_for_again(settings):
    first = ("The Botswana government is investigating the death of 356 elephants. "
             "The braconniers are not suspected.")
    second = ("Botswana has confirmed the death of 275 elephants in the Okavango delta, of 356 reported. "
              "Poachers are not suspected, as the tusks were found.")
    names = "Afrique du Sud => South Africa\nZambie => Zambia\nONG => NGO"

    def script(prompt: str, n: int) -> str:
        return names if "=>" in prompt else second if "Translate these words" in prompt else first

    model = Scripted(script=script)
    summary = summarize(model, settings, ELEPHANTS["title"], ELEPHANTS["text"], style="short", language="en")
    retry = str(model.prompts[-1][0][-1].content)
    assert "braconniers" in retry and "275" in retry
    assert summary.summary == second and summary.missing == [] and summary.untranslated == ["braconniers"]
    assert summary.calls == 3  # the summary, the names translated (once), the second try


def test_bullets_fragments_and_repeats_are_dropped(settings):
    bullets = ("- Botswana: 275 elephants dead\n- Le Botswana a confirmé la mort de 275 éléphants.\n"
               "- EWB: a daté du 19 juin 2020 et transmis\n"
               "- Au Botswana, la mort de 275 éléphants a été confirmée.\n"
               "- Les braconniers ne sont pas soupçonnés, les défenses ayant été retrouvées.")
    model = Scripted(script=lambda prompt, n: bullets)
    summary = summarize(model, settings, ELEPHANTS["title"], ELEPHANTS["text"], style="bullets")
    assert "one whole sentence" in str(model.prompts[1][0][-1].content)  # the second try is told why
    assert summary.summary.splitlines() == ["- Le Botswana a confirmé la mort de 275 éléphants.",
                                            "- Les braconniers ne sont pas soupçonnés, les défenses ayant été "
                                            "retrouvées."]


def test_english_key_points_that_stay_fragments_beat_the_french_lead(settings):
    fragments = "- Botswana: 275 elephants dead\n- Anthrax: excluded as the cause\n- Tusks: found on the bodies"
    names = "Afrique du Sud => South Africa"
    model = Scripted(script=lambda prompt, n: names if "=>" in prompt else fragments)
    summary = summarize(model, settings, ELEPHANTS["title"], ELEPHANTS["text"], style="bullets", language="en")
    assert not summary.extractive and summary.regenerated
    assert summary.summary.splitlines() == ["- Botswana: 275 elephants dead.", "- Anthrax: excluded as the cause.",
                                            "- Tusks: found on the bodies."]


# ---------------------------------------------------------------- the real model


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="known gap (2026-12-04 run): both tries kept the French quotation, every "
                   "unit was removed and the French lead came back (extractive); remove this mark when it passes")
def test_nato_article_in_english_with_the_bundled_model(settings):
    """The issue's first case end to end: the NATO article as an English abstract names NATO (never OTAN or
    an invented "Security Council") and leaves no French word, its quotation translated."""
    from qa.models.llm import get_chat_model

    summary = summarize(get_chat_model(settings), settings, NATO_TITLE, NATO_TEXT, style="abstract", language="en")
    assert not summary.extractive, summary
    assert untranslated_words(summary.summary, "en") == [], summary.summary
    assert "OTAN" not in summary.summary and "Security Council" not in summary.summary
    assert nato_names().unsupported(summary.summary) == []
    assert summary.calls <= 3  # the abstract, the names translated, at most one second try
