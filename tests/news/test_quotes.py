"""Who said what (qa/news/quotes/): the extraction's patterns on small texts, the seed article, the search's matching,
and the command line over the sample store."""

from __future__ import annotations

import json

import pytest

from qa.text.cleaning import clean_text
from qa.news.quotes import extract, find_quotes, speaker_matches
from tests.conftest import SAMPLES, run_cli
from tests.conftest import corpus_texts_of, needs_corpus

SEED = (SAMPLES / "otan-guerre-nucleaire-fr.txt").read_text(encoding="utf-8")


def speakers(text: str) -> dict[str, str | None]:
    return {f.quote: f.speaker for f in extract(text)}


def test_the_seed_quote_is_stoltenbergs_never_gallonis():
    found = speakers(SEED)
    assert found["C’est une rhétorique nucléaire dangereuse et imprudente"] == "Jens Stoltenberg"
    assert all(speaker != "Alessandra Galloni" for speaker in found.values())
    assert found["ne bluffe pas"] == "Vladimir Poutine"


def test_french_patterns_after_before_pronoun_and_selon():
    text = ("« Nous ne céderons pas », a déclaré jeudi à l'AFP la ministre, Élisabeth Borne. "
            "« Le texte sera voté en mars », a-t-elle ajouté. "
            "Selon Laurent Berger, la réforme est « injuste et brutale pour les salariés ». "
            "Marie Dupont a affirmé : « il faut rouvrir les négociations tout de suite ».")
    assert speakers(text) == {
        "Nous ne céderons pas": "Élisabeth Borne",
        "Le texte sera voté en mars": "Élisabeth Borne",
        "injuste et brutale pour les salariés": "Laurent Berger",
        "il faut rouvrir les négociations tout de suite": "Marie Dupont",
    }


def test_english_patterns_and_a_quote_continued_in_the_next_sentence():
    text = ('"We are pleased with the figures," said Mr John Smith, chief executive of Acme. "We will keep '
            'investing in the north." Jane Doe told the BBC: "It is far too little, far too late."')
    assert speakers(text) == {
        "We are pleased with the figures,": "John Smith",
        "We will keep investing in the north.": "John Smith",
        "It is far too little, far too late.": "Jane Doe",
    }


def test_the_person_spoken_to_is_not_the_speaker_and_short_terms_are_not_quotes():
    text = ('"Prices will fall next year," he told Alessandra Galloni. The so-called "Ségur" talks went on.')
    found = extract(text)
    assert [f.quote for f in found] == ["Prices will fall next year,"]
    assert found[0].speaker is None  # "he" names nobody here: better no speaker than Galloni


def test_speaker_matching_is_accent_and_case_insensitive_and_takes_a_surname_alone():
    assert speaker_matches("stoltenberg", "Jens Stoltenberg")
    assert speaker_matches("GERALD darmanin", "Gérald Darmanin")
    assert speaker_matches("Jens Stoltenberg", "Stoltenberg")
    assert not speaker_matches("Galloni", "Jens Stoltenberg")
    assert not speaker_matches("Jens", "Stoltenberg")


def test_search_over_the_sample_store(news_store):
    from qa.store.store import Store

    store = Store(news_store, "any", create=False, check_embedder=False)
    found = find_quotes(store, "STOLTENBERG")
    assert found.quotes and {q.speaker for q in found.quotes} == {"Jens Stoltenberg"}
    texts = {q.article_id: store.get_article(q.article_id).text for q in found.quotes}
    assert all(texts[q.article_id][q.start:q.end] == q.quote for q in found.quotes)
    assert not find_quotes(store, "Galloni").quotes
    assert [q.quote for q in find_quotes(store, "stoltenberg", ["rhétorique"]).quotes] == [
        "C’est une rhétorique nucléaire dangereuse et imprudente"]
    with pytest.raises(ValueError):
        find_quotes(store, "  ")


def test_cli_json_and_unknown_person(news_store):
    done = run_cli("-m", "qa", "quotes", "stoltenberg", "--json", store=news_store)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert rows and set(rows[0]) == {"speaker", "quote", "date", "article_id", "source", "start", "end"}
    missing = run_cli("-m", "qa", "quotes", "Alessandra Galloni", store=news_store)
    assert missing.returncode == 1
    assert "no quote of Alessandra Galloni in" in missing.stdout


class _TwoVersionsStore:
    """The two calls find_quotes makes of a store, over three articles: two versions of one story (the same quote,
    one newer) and an older story of its own."""

    def __init__(self):
        from qa.store.articles import Article
        from qa.store.catalog import StoryKey

        text = '"We will not raise taxes this year," said Anna Berg, the finance minister.'
        self.articles = [Article(id="a1", title="Budget", text=text, date="2026-01-02", source="Wire"),
                         Article(id="a2", title="Budget (updated)", text=text + " More later.", date="2026-01-03"),
                         Article(id="b1", title="Older", text='"Prices will fall soon," Anna Berg said.',
                                 date="2025-12-01")]
        self.stories = {"a1": StoryKey("a1"), "a2": StoryKey("a1"), "b1": StoryKey("b1")}

    def iter_articles(self):
        return iter(self.articles)

    def stories_of(self, ids):
        return {i: self.stories[i] for i in ids}


def test_newest_first_and_one_quote_per_story():
    found = find_quotes(_TwoVersionsStore(), "berg")
    assert [(q.article_id, q.quote, q.also) for q in found.quotes] == [
        ("a2", "We will not raise taxes this year,", ["a1"]),
        ("b1", "Prices will fall soon,", []),
    ]
    assert found.articles == 3 and found.read == 3
    assert [q.quote for q in find_quotes(_TwoVersionsStore(), "", ["prices"]).quotes] == ["Prices will fall soon,"]
    assert find_quotes(_TwoVersionsStore(), "Zed").message == "no quote of Zed in 3 articles"


@needs_corpus
def test_the_labelled_quotes_are_in_their_articles():
    """data/eval/quotes.jsonl: each label's quote is in its article's text as ingestion cleans it (the seed
    article from data/samples, the others from the shared corpus), and the splits are as documented."""
    rows = [json.loads(line) for line in (SAMPLES.parent / "eval" / "quotes.jsonl").read_text().splitlines()]
    assert len(rows) >= 80 and {r["lang"] for r in rows} == {"fr", "en"}
    assert {r["split"] for r in rows} == {"dev", "dev2", "test"}
    texts = corpus_texts_of({r["article_id"] for r in rows})
    for row in rows:
        text = SEED if row["article_id"].startswith("seed:") else clean_text(texts[row["article_id"]])
        assert row["quote"] in text, row
