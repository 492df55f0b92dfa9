"""Evaluate the assistant on a question set: retrieval recall@k and MRR, answer accuracy, citations,
refusals, answer language and latency. ``python -m qa eval [--store DIR] EVALSET.jsonl``.

An eval line: ``{"question": ..., "answer": "short answer" or null, "evidence": ["passage", ...]}``
(``id``, ``kind`` and ``lang`` optional: results are also broken down by ``kind``).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from qa.language import question_language
from qa.metrics import answer_matches, citation_accuracy, evidence_hit, refusal_rates, retrieval_metrics
from qa.store import StoredChunk

KS = tuple(range(1, 21))
Retriever = Callable[[str], list[StoredChunk]]


def spread_sample(rows: list[dict], n: int | None) -> list[dict]:
    """``n`` rows spread evenly over the set (every kind of question keeps its share), in order."""
    if not n or n >= len(rows):
        return rows
    return [rows[i * len(rows) // n] for i in range(n)]


def load_evalset(path: str | Path) -> list[dict]:
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: bad JSON ({exc.msg})") from None
        if not isinstance(row.get("question"), str) or "answer" not in row:
            raise ValueError(f"{path}:{number}: each line needs 'question' and 'answer' (null when unanswerable)")
        row.setdefault("evidence", [])
        row.setdefault("id", f"line{number}")
        row.setdefault("kind", "unanswerable" if row["answer"] is None else "fact")
        row.setdefault("accept", [])
        rows.append(row)
    return rows


def _progress(items, label: str, show: bool):
    if not show:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=label, unit="question", dynamic_ncols=True)


def evaluate_retrieval(rows: list[dict], retrieve: Retriever, *, show_progress: bool = True) -> dict:
    """Recall@1..20 and MRR of ``retrieve`` over the answerable questions, overall and per kind."""
    flags: dict[str, list[list[bool]]] = {}
    latencies = []
    for row in _progress([r for r in rows if r["answer"] is not None and r["evidence"]], "retrieval", show_progress):
        started = time.perf_counter()
        chunks = retrieve(row["question"])
        latencies.append(time.perf_counter() - started)
        hits = [evidence_hit(c.text, row["evidence"]) for c in chunks[: max(KS)]]
        flags.setdefault(row["kind"], []).append(hits)
    everything = [f for runs in flags.values() for f in runs]
    result = {"questions": len(everything), **retrieval_metrics(everything, KS),
              "latency_ms_median": round(1000 * statistics.median(latencies), 1)}
    result["by_kind"] = {kind: {"questions": len(runs), **{k: v for k, v in retrieval_metrics(runs, (1, 5, 10)).items()}}
                         for kind, runs in sorted(flags.items())}
    return result


def evaluate_answers(rows: list[dict], assistant, *, show_progress: bool = True) -> dict:
    """Ask every question; score accuracy, citations, refusals, language and latency."""
    records = []
    for row in _progress(rows, "answers", show_progress):
        answer = assistant.ask(row["question"])
        expected = row["answer"]
        language = row.get("lang") or question_language(row["question"])
        records.append({
            "id": row["id"], "kind": row["kind"], "question": row["question"], "expected": expected,
            "answer": answer.answer, "refused": answer.refused, "seconds": answer.seconds,
            "correct": (answer.refused if expected is None else
                        (not answer.refused and any(answer_matches(answer.answer, e)
                                                    for e in [expected, *row.get("accept", [])]))),
            "verified": answer.verified, "sources": [s.article_id for s in answer.sources],
            "quotes": [s.quote for s in answer.sources], "unsupported": answer.unsupported,
            "cited_evidence": (expected is not None and not answer.refused
                               and citation_accuracy([s.quote for s in answer.sources], row["evidence"])),
            "language_ok": answer.language == language,
        })
    answerable = [r for r in records if r["expected"] is not None]
    answered = [r for r in answerable if not r["refused"]]
    summary = {
        "questions": len(records),
        "answer_accuracy": _mean(r["correct"] for r in answerable),
        "accuracy_when_answered": _mean(r["correct"] for r in answered),
        "citation_accuracy": _mean(r["cited_evidence"] for r in answered),
        **refusal_rates((r["expected"] is None, r["refused"]) for r in records),
        "language_agreement": _mean(r["language_ok"] for r in records),
        "seconds_median": round(statistics.median(r["seconds"] for r in records), 2) if records else None,
        "by_kind": {kind: {"questions": len(group), "accuracy": _mean(r["correct"] for r in group)}
                    for kind in sorted({r["kind"] for r in records})
                    for group in [[r for r in records if r["kind"] == kind]]},
    }
    return {"summary": summary, "records": records}


def _mean(values) -> float | None:
    values = list(values)
    return round(sum(map(bool, values)) / len(values), 4) if values else None


def plot_recall(curves: dict[str, dict], path: str | Path) -> Path:
    """A PNG of recall@k for k = 1..20, one line per configuration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    for label, result in curves.items():
        ax.plot(KS, [result[f"recall@{k}"] for k in KS], marker="o", markersize=3, label=label)
    ax.set_xlabel("k (passages retrieved)")
    ax.set_ylabel("recall@k (evidence retrieved)")
    ax.set_xticks([1, 5, 10, 15, 20])
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return Path(path)
