"""The evaluation set data/eval/questions.jsonl: composition, schema, and evidence copied verbatim.

These check the evaluation data, not the product. The checks against the corpus the questions were written
from (``../shared/corpus``, present in CI and on the benchmark machines, not in a fresh clone) skip without it;
they are the only tests of the suite that read ``../shared``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from qa.evaluation.metrics import answer_matches, evidence_hit
from tests.conftest import corpus_texts_of, needs_corpus

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "data" / "eval"
KINDS = {"fact", "cross-lingual", "two-sentence", "unanswerable"}


@pytest.fixture(scope="module")
def questions() -> list[dict]:
    lines = (EVAL / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def corpus_texts(questions) -> dict[str, str]:
    """Text of every article the set refers to (orangesum: first 3,000 lines only)."""
    return corpus_texts_of({q["article_id"] for q in questions if q["article_id"]})


def test_composition(questions):
    kinds = Counter(q["kind"] for q in questions)
    articles = {q["article_id"] for q in questions if q["article_id"]}
    assert len(questions) >= 100
    assert len(articles) >= 30
    assert kinds["unanswerable"] >= 15
    assert kinds["cross-lingual"] >= 10
    assert kinds["two-sentence"] >= 10
    assert {q["lang"] for q in questions} == {"fr", "en"}
    assert {a.split("-")[0] for a in articles} == {"orangesum", "bbc"}
    ids = [q["id"] for q in questions]
    assert len(ids) == len(set(ids))


def test_schema(questions):
    for q in questions:
        assert set(q) == {"id", "question", "answer", "evidence", "article_id", "lang", "kind"}, q["id"]
        assert q["kind"] in KINDS and q["lang"] in {"fr", "en"} and q["question"].strip(), q["id"]
        if q["kind"] == "unanswerable":
            assert q["answer"] is None and q["evidence"] == [] and q["article_id"] is None, q["id"]
            continue
        assert q["answer"] and q["article_id"] and q["evidence"], q["id"]
        article_lang = "fr" if q["article_id"].startswith("orangesum-") else "en"
        if q["kind"] == "cross-lingual":
            assert q["lang"] != article_lang, q["id"]
        if q["kind"] == "two-sentence":
            assert len(q["evidence"]) == 2, q["id"]


def test_answer_appears_in_evidence(questions):
    answered = [q for q in questions if q["answer"] is not None]
    assert answered
    for q in answered:
        assert any(q["answer"].lower() in e.lower() for e in q["evidence"]), q["id"]
        assert answer_matches(" ".join(q["evidence"]), q["answer"]), q["id"]


def test_articles_list_matches_questions(questions):
    listed = (EVAL / "articles.txt").read_text(encoding="utf-8").split()
    assert len(listed) == len(set(listed))
    assert set(listed) == {q["article_id"] for q in questions if q["article_id"]}


@needs_corpus
def test_evidence_is_verbatim_in_corpus(questions, corpus_texts):
    answered = [q for q in questions if q["article_id"] is not None]
    assert answered
    for q in answered:
        assert q["article_id"] in corpus_texts, f"{q['id']}: {q['article_id']} not in the corpus (orangesum: first 3,000 lines)"
        text = corpus_texts[q["article_id"]]
        for evidence in q["evidence"]:
            assert evidence in text, f"{q['id']}: evidence not verbatim in {q['article_id']}: {evidence[:80]!r}"
        assert evidence_hit(text, q["evidence"]), q["id"]


@needs_corpus
def test_evidence_survives_ingestion_cleaning(questions, corpus_texts):
    """The store keeps cleaned text; every evidence must still be found in it."""
    from qa.text.cleaning import clean_text

    answered = [q for q in questions if q["article_id"] is not None]
    assert answered
    for q in answered:
        assert evidence_hit(clean_text(corpus_texts[q["article_id"]]), q["evidence"]), q["id"]


def test_spread_sample_keeps_every_kind(questions):
    from qa.evaluation.runs import spread_sample

    sample = spread_sample(questions, 40)
    assert len(sample) == 40 and sample[0] is questions[0]
    assert [questions.index(r) for r in sample] == sorted(questions.index(r) for r in sample)
    assert {r["kind"] for r in sample} == {r["kind"] for r in questions}
    assert spread_sample(questions, None) is questions and spread_sample(questions, 10_000) is questions


# ---------------------------------------------------------------- the hard split

HARD_KINDS = {"fact", "cross-lingual", "two-sentence", "role", "near-miss"}


@pytest.fixture(scope="module")
def hard() -> list[dict]:
    lines = (EVAL / "hard.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _runs(text: str, n: int = 4) -> set[tuple[str, ...]]:
    import re

    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def test_hard_split_composition_and_schema(hard, questions):
    kinds = Counter(q["kind"] for q in hard)
    assert len(hard) >= 150 and kinds["near-miss"] >= 30 and kinds["role"] >= 20
    assert kinds["cross-lingual"] >= 30 and kinds["two-sentence"] >= 15
    assert Counter(q["lang"] for q in hard) == {"fr": 80, "en": 80}
    assert len({q["id"] for q in hard}) == len(hard)
    used = {q["article_id"] for q in questions}
    for q in hard:
        _check_written_the_hard_way(q, used)


def _check_written_the_hard_way(q: dict, used: set) -> None:
    """One question of a split written with the hard split's rules, on an article none of ``used``."""
    assert q["kind"] in HARD_KINDS and q["lang"] in {"fr", "en"}, q["id"]
    if q["kind"] == "near-miss":
        assert q["answer"] is None and q["evidence"] == [] and q["article_id"] is None, q["id"]
        assert q["topic_article_id"] and q["topic_article_id"] not in used, q["id"]
        return
    assert q["article_id"] not in used, q["id"]  # articles nobody tuned on
    assert any(q["answer"].lower() in e.lower() for e in q["evidence"]), q["id"]
    assert answer_matches(" ".join(q["evidence"]), q["answer"]), q["id"]
    if q["kind"] == "two-sentence":
        assert len(q["evidence"]) == 2, q["id"]


def _check_verbatim_in_the_cleaned_corpus(rows: list[dict]) -> None:
    from qa.text.cleaning import clean_text

    texts = corpus_texts_of({q["article_id"] for q in rows if q["article_id"]})
    for q in rows:
        for evidence in q["evidence"]:
            assert evidence in texts[q["article_id"]] and evidence in clean_text(texts[q["article_id"]]), q["id"]


def test_hard_questions_are_paraphrased(hard):
    """No run of 4 words shared between a question and its evidence."""
    for q in hard:
        for evidence in q["evidence"]:
            assert not _runs(q["question"]) & _runs(evidence), q["id"]


@needs_corpus
def test_hard_evidence_is_verbatim_in_the_cleaned_corpus(hard):
    wanted = {q["article_id"] for q in hard if q["article_id"]} | {q.get("topic_article_id") for q in hard} - {None}
    assert wanted <= set(corpus_texts_of(wanted))
    _check_verbatim_in_the_cleaned_corpus(hard)


# ---------------------------------------------------------------- the dev split (held out from every tuning)


@pytest.fixture(scope="module")
def dev() -> list[dict]:
    lines = (EVAL / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_dev_split_composition_and_schema(dev, hard, questions):
    kinds = Counter(q["kind"] for q in dev)
    assert len(dev) >= 100 and kinds["near-miss"] >= 15 and kinds["role"] >= 15
    assert kinds["cross-lingual"] >= 25 and kinds["two-sentence"] >= 15
    assert len({q["id"] for q in dev}) == len(dev)
    used = {q["article_id"] for q in questions} | {q["article_id"] for q in hard}
    used |= {q.get("topic_article_id") for q in hard}
    for q in dev:
        _check_written_the_hard_way(q, used)
        for evidence in q["evidence"]:
            assert not _runs(q["question"]) & _runs(evidence), q["id"]  # paraphrased


@needs_corpus
def test_dev_evidence_is_verbatim_in_the_cleaned_corpus(dev):
    _check_verbatim_in_the_cleaned_corpus(dev)
