"""The evaluation metrics of qa.evaluation.metrics on hand-made cases with known values."""

from __future__ import annotations

import random

import pytest

from qa.evaluation.metrics import (
    UnicodeWordTokenizer,
    answer_matches,
    citation_accuracy,
    evidence_hit,
    normalize_answer,
    refusal_rates,
    retrieval_metrics,
    rouge_scores,
)


# --- normalize_answer / answer_matches -------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Le Canal de l'Ourcq.", "canal de ourcq"),
        ("  The   Savoy ", "savoy"),
        ("L’été", "été"),  # typographic apostrophe, accent kept
        ("1.233 emplois", "1233 emplois"),
        ("2 763 voitures", "2763 voitures"),
        ("167\u202f000 Françaises", "167000 françaises"),  # narrow no-break space as thousands separator
        ("30,000 tonnes", "30000 tonnes"),
        ("37,6 degrés", "37.6 degrés"),
        ("4.38 mètres", "4.38 mètres"),
        ("$48m", "48m"),
        ("6-4 7-6 (7-4)", "6 4 7 6 7 4"),
    ],
)
def test_normalize_answer(text, expected):
    assert normalize_answer(text) == expected


@pytest.mark.parametrize(
    ("predicted", "expected"),
    [
        ("Il s'agit de Jean-Claude Deschamps.", "Jean-Claude Deschamps"),
        ("THE ANSWER IS LIMOGES", "Limoges"),
        ("Nokia supprime 1 233 postes.", "1.233"),
        ("Nokia will cut 1,233 jobs", "1.233"),
        ("about 4,000 feet", "4.000 pieds"),
        ("7 billion", "7 milliards"),
        ("1.5", "1,5"),
        ("320 millions de dollars", "$320m"),
        ("la température était de moins 5 degrés", "-5 degrés"),
        ("the canal de l’Ourcq", "canal de l'Ourcq"),
    ],
)
def test_answer_matches(predicted, expected):
    assert answer_matches(predicted, expected)


@pytest.mark.parametrize(
    ("predicted", "expected"),
    [
        ("ete", "été"),  # accents are kept
        ("Blueberry", "Blue"),  # word boundaries
        ("11.5", "1.5"),
        ("1233", "123"),
        ("Lyon", "Limoges"),
        ("anything", ""),
        ("402 postes", "831"),
    ],
)
def test_answer_does_not_match(predicted, expected):
    assert not answer_matches(predicted, expected)


# --- evidence_hit / citation_accuracy --------------------------------------------------------------

EVIDENCE = ["Le groupe prévoit ainsi de supprimer 402 postes à Lannion (Côtes-d'Armor) et 831 à Nozay."]


def test_evidence_hit_containment_ignores_whitespace():
    chunk = "Nokia annonce un plan.\nLe groupe prévoit  ainsi de supprimer 402 postes à Lannion\n(Côtes-d'Armor) et 831 à Nozay. Fin."
    assert evidence_hit(chunk, EVIDENCE)


def test_evidence_hit_glued_full_stop_repaired_by_cleaner():
    assert evidence_hit("jeudi. Le gouvernement a tranché.", ["jeudi.Le gouvernement a tranché."])


def test_evidence_hit_chunk_inside_longer_evidence():
    assert evidence_hit("supprimer 402 postes à Lannion", EVIDENCE)


def test_evidence_miss():
    assert not evidence_hit("Le groupe prévoit de supprimer 400 postes à Lannion.", EVIDENCE)
    # a chunk that starts before the evidence and stops inside it: neither holds the other
    assert not evidence_hit("Nokia annonce un plan. Le groupe prévoit ainsi de supprimer 402 postes", EVIDENCE + [""])
    assert not evidence_hit("", EVIDENCE)
    assert not evidence_hit("any text", [])


def test_citation_accuracy():
    good = "Intro. " + EVIDENCE[0] + " Suite."
    assert citation_accuracy(["unrelated passage", good], EVIDENCE)
    assert not citation_accuracy(["unrelated passage"], EVIDENCE)
    assert not citation_accuracy([], EVIDENCE)
    assert not citation_accuracy([good], [])


# --- retrieval_metrics (ranx) ----------------------------------------------------------------------

def _direct(runs, ks):
    """Hit rate and MRR computed by hand, to check the ranx path against."""
    first = [next((rank for rank, hit in enumerate(flags, 1) if hit), None) for flags in runs]
    out = {f"recall@{k}": sum(r is not None and r <= k for r in first) / len(runs) for k in ks}
    out["mrr"] = sum(1 / r for r in first if r is not None) / len(runs)
    return out


def test_retrieval_metrics_known_values():
    runs = [
        [False, True, False],  # first hit at rank 2
        [True, False, False],  # rank 1
        [False, False, False, False, True],  # rank 5
    ]
    m = retrieval_metrics(runs, ks=(1, 3, 5))
    assert m["recall@1"] == pytest.approx(1 / 3)
    assert m["recall@3"] == pytest.approx(2 / 3)
    assert m["recall@5"] == pytest.approx(1.0)
    assert m["mrr"] == pytest.approx((1 / 2 + 1 + 1 / 5) / 3)
    assert set(m) == {"recall@1", "recall@3", "recall@5", "mrr"}


def test_retrieval_metrics_no_hits_and_several_hits():
    assert retrieval_metrics([[], [False, False]], ks=(1, 20)) == {"recall@1": 0.0, "recall@20": 0.0, "mrr": 0.0}
    # two hits for one question count once (hit rate, not number of hits)
    m = retrieval_metrics([[True, True], [False, False]], ks=(1, 2))
    assert m == pytest.approx({"recall@1": 0.5, "recall@2": 0.5, "mrr": 0.5})


def test_retrieval_metrics_ranx_equals_direct_computation():
    rng = random.Random(7)
    runs = [[rng.random() < 0.15 for _ in range(rng.randint(0, 25))] for _ in range(60)]
    ks = (1, 3, 5, 10, 20)
    assert retrieval_metrics(runs, ks) == pytest.approx(_direct(runs, ks))


def test_retrieval_metrics_rejects_empty():
    with pytest.raises(ValueError):
        retrieval_metrics([])


# --- rouge_scores ----------------------------------------------------------------------------------

def test_tokenizer_keeps_accents():
    assert UnicodeWordTokenizer().tokenize("L'Été à Montréal, 37,6°C") == ["l", "été", "à", "montréal", "37", "6", "c"]


def test_rouge_identical_and_accents():
    assert rouge_scores(["le chat é"], ["le chat é"]) == pytest.approx({"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0})
    assert rouge_scores(["été"], ["été"])["rouge1"] == pytest.approx(1.0)
    assert rouge_scores(["été"], ["ete"]) == {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}


def test_rouge_partial_overlap_and_mean():
    # "le chat dort" vs "le chat mange": unigrams 2/3, bigrams 1/2, LCS 2/3
    m = rouge_scores(["le chat dort"], ["le chat mange"])
    assert m == pytest.approx({"rouge1": 2 / 3, "rouge2": 0.5, "rougeL": 2 / 3})
    mean = rouge_scores(["le chat dort", "été"], ["le chat mange", "ete"])
    assert mean == pytest.approx({"rouge1": 1 / 3, "rouge2": 0.25, "rougeL": 1 / 3})


def test_rouge_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        rouge_scores(["a"], ["a", "b"])


# --- refusal_rates ---------------------------------------------------------------------------------

def test_refusal_rates():
    records = [(True, True), (True, False), (False, False), (False, True), (False, False)]
    assert refusal_rates(records) == pytest.approx({"refusal_rate": 0.5, "false_refusal_rate": 1 / 3})
    assert refusal_rates([(False, False)]) == {"refusal_rate": None, "false_refusal_rate": 0.0}
    assert refusal_rates([]) == {"refusal_rate": None, "false_refusal_rate": None}
