"""Evaluation metrics: answer matching, evidence hits, ranking metrics, ROUGE, refusals, citations.

Pure functions: no model, no store. The ranking metrics go through ``ranx`` and ROUGE through
``rouge_score`` (both in the ``dev`` extra); they are imported lazily, so importing this module is cheap.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Iterable, Sequence

# Articles dropped before answer comparison ("l'" becomes the token "l" once punctuation is removed).
_ARTICLES = frozenset({"le", "la", "les", "l", "the", "a", "an"})
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2018": "'", "`": "'"})
# Up to three digits, then groups of exactly three digits behind one same separator (space, comma or
# dot), then maybe a decimal part behind the other mark: "1.233", "2 763", "30,000", "1,233.5" and
# "1 233,5" hold thousands separators; "4.38", "37,6" and "1.13" do not.
_GROUPED_NUMBER = re.compile(r"(?<![\d.,])\d{1,3}([ ,.])\d{3}(?:\1\d{3})*(?:(?!\1)[.,]\d+)?(?!\d)")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
# Anything that is neither a word character nor a space is punctuation, except a dot between digits.
_PUNCTUATION = re.compile(r"(?!(?<=\d)\.(?=\d))[^\w\s]")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_WORD = re.compile(r"\w+")


def _canonical_numbers(text: str) -> str:
    text = _GROUPED_NUMBER.sub(lambda m: m.group(0).replace(m.group(1), ""), text)
    return _DECIMAL_COMMA.sub(".", text)


def normalize_answer(text: str) -> str:
    """Normalise an answer for comparison.

    Unicode NFKC, lower case, numbers made canonical (thousands separators removed: "1.233",
    "1 233" and "1,233" all become "1233"; a decimal comma becomes a dot: "37,6" -> "37.6"),
    punctuation replaced by spaces (a dot between digits is kept), the articles "le la les l' the a an"
    dropped and whitespace collapsed. Accents are kept: "été" and "ete" stay different.
    """
    text = unicodedata.normalize("NFKC", text).lower().translate(_APOSTROPHES)
    text = _PUNCTUATION.sub(" ", _canonical_numbers(text))
    return " ".join(token for token in text.split() if token not in _ARTICLES)


def _numbers(normalized: str) -> set[str]:
    return set(_NUMBER.findall(normalized))


def answer_matches(predicted: str, expected: str) -> bool:
    """True when ``predicted`` contains the ``expected`` short answer.

    Both are normalised with :func:`normalize_answer`; the answer matches when the normalised expected
    answer appears in the normalised prediction on word boundaries. When the expected answer holds
    numbers, it also matches when every one of its numbers appears in the prediction, whatever the
    words around them, so "7 milliards" matches "7 billion", "$320m" matches "320 millions de dollars"
    and "4.000 pieds" matches "4,000 feet".
    """
    want, got = normalize_answer(expected), normalize_answer(predicted)
    if not want:
        return False
    if f" {want} " in f" {got} ":
        return True
    numbers = _numbers(want)
    return bool(numbers) and numbers <= _numbers(got)


def _squash(text: str) -> str:
    """NFC text without invisible characters and without any whitespace."""
    return "".join(_INVISIBLE.sub("", unicodedata.normalize("NFC", text)).split())


def evidence_hit(chunk_text: str, evidence: Sequence[str]) -> bool:
    """True when a retrieved chunk holds one of the evidence passages.

    Whitespace is ignored on both sides (so collapsed spaces, or a space the ingestion cleaner inserted
    after a glued full stop, make no difference). The chunk is a hit when it contains a whole evidence
    string, or, for an evidence string longer than the chunk, when the chunk lies entirely inside it.
    A chunk boundary that cuts an evidence sentence in two gives no hit; the store's chunker ends
    chunks on sentence boundaries, so that is rare.
    """
    chunk = _squash(chunk_text)
    if not chunk:
        return False
    for passage in evidence:
        passage = _squash(passage)
        if passage and (passage in chunk or (len(passage) > len(chunk) and chunk in passage)):
            return True
    return False


def retrieval_metrics(runs: Sequence[Sequence[bool]], ks: Iterable[int] = (1, 3, 5, 10, 20)) -> dict[str, float]:
    """Recall@k (hit rate) and MRR over questions, computed with ``ranx``.

    ``runs`` holds, for each (answerable) question, the hit flags of its retrieved chunks in rank order,
    e.g. from :func:`evidence_hit`. ``recall@k`` is the fraction of questions with at least one hit in
    the top k (ranx ``hit_rate@k``); ``mrr`` is the mean reciprocal rank of the first hit (0 for a
    question without any hit). Leave unanswerable questions out.
    """
    ks = sorted(set(ks))
    if not runs:
        raise ValueError("no questions")
    if not ks or ks[0] < 1:
        raise ValueError("ks must be positive")
    from ranx import Qrels, Run, evaluate

    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for q, flags in enumerate(runs):
        qid = f"q{q}"
        # Scores fall with the rank, so ranx keeps the given order.
        run[qid] = {f"r{rank}": float(len(flags) - rank) for rank in range(len(flags))} or {"none": 0.0}
        # A question without any hit gets a relevant document that was never retrieved: it scores 0.
        qrels[qid] = {f"r{rank}": 1 for rank, hit in enumerate(flags) if hit} or {"never-retrieved": 1}
    names = [f"hit_rate@{k}" for k in ks] + ["mrr"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba type-safety chatter
        scores = evaluate(Qrels(qrels), Run(run), names, make_comparable=True)
    result = {f"recall@{k}": float(scores[f"hit_rate@{k}"]) for k in ks}
    result["mrr"] = float(scores["mrr"])
    return result


class UnicodeWordTokenizer:
    """Tokenizer for ``rouge_score``: NFC, lower case, runs of Unicode word characters (accents kept)."""

    def tokenize(self, text: str) -> list[str]:
        return _WORD.findall(unicodedata.normalize("NFC", text).lower())


def rouge_scores(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Mean ROUGE-1, ROUGE-2 and ROUGE-L F1 of predictions against references (pairwise, same order).

    ``rouge_score``'s default tokenizer drops every non-ASCII character, which would wreck French text;
    :class:`UnicodeWordTokenizer` keeps accents, and no stemming is applied.
    """
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    if not predictions:
        raise ValueError("no predictions")
    from rouge_score.rouge_scorer import RougeScorer

    types = ("rouge1", "rouge2", "rougeL")
    scorer = RougeScorer(list(types), use_stemmer=False, tokenizer=UnicodeWordTokenizer())
    totals = dict.fromkeys(types, 0.0)
    for prediction, reference in zip(predictions, references):
        scores = scorer.score(reference, prediction)  # rouge_score takes (target, prediction)
        for name in types:
            totals[name] += scores[name].fmeasure
    return {name: total / len(predictions) for name, total in totals.items()}


def refusal_rates(records: Iterable[tuple[bool, bool]]) -> dict[str, float | None]:
    """Refusal behaviour from ``(expected_answer_is_null, refused)`` pairs.

    ``refusal_rate``: share of unanswerable questions the assistant refused (higher is better).
    ``false_refusal_rate``: share of answerable questions it refused (lower is better).
    A rate is None when there is no question of its kind.
    """
    counts = {True: [0, 0], False: [0, 0]}  # unanswerable? -> [questions, refused]
    for unanswerable, refused in records:
        counts[bool(unanswerable)][0] += 1
        counts[bool(unanswerable)][1] += bool(refused)

    def rate(key: bool) -> float | None:
        total, refused = counts[key]
        return refused / total if total else None

    return {"refusal_rate": rate(True), "false_refusal_rate": rate(False)}


def citation_accuracy(cited_texts: Sequence[str], evidence: Sequence[str]) -> bool:
    """True when at least one cited passage holds the question's evidence (see :func:`evidence_hit`).

    Always False without evidence: compute it on answerable questions only.
    """
    return any(evidence_hit(text, evidence) for text in cited_texts)
