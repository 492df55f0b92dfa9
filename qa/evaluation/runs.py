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

from qa.text.language import question_language
from qa.evaluation.metrics import answer_matches, citation_accuracy, evidence_hit, refusal_rates, retrieval_metrics
from qa.store.articles import StoredChunk

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


# the stages where an answer goes wrong, in pipeline order (see :func:`failure_stage`)
STAGES = ("right", "evidence not read", "read but not chosen", "chosen but answer wrong", "right but not confirmed",
          "near-miss answered", "unanswerable held")


def failure_stage(row: dict, answer, asked) -> str:
    """Where the answer to ``row`` went wrong, in pipeline order: the evidence is not in what the model read;
    it was read but the model's evidence sentences (its reply's, checked or not) are other ones; they are the
    evidence but the answer is wrong; the answer is right but was not confirmed. An unanswerable question is
    held unless answered."""
    if row["answer"] is None:
        return "near-miss answered" if answer.status == "answered" else "unanswerable held"
    expected = [row["answer"], *row.get("accept", [])]
    if answer.status == "answered" and any(answer_matches(answer.answer, e) for e in expected):
        return "right"
    if not any(evidence_hit(p.text, row["evidence"]) for p in asked.passages):
        return "evidence not read"
    from qa.answers.checking import evidence_of, parse_reply

    chosen = asked.checked.chosen or evidence_of(parse_reply(asked.raw), asked.passages)
    if not any(evidence_hit(s.text, row["evidence"]) or any(evidence_hit(e, [s.text]) for e in row["evidence"])
               for s in chosen):
        return "read but not chosen"
    candidate = asked.checked.text or parse_reply(asked.raw).answer
    if answer.status != "answered" and any(answer_matches(candidate, e) for e in expected):
        return "right but not confirmed"
    return "chosen but answer wrong"


def evaluate_answers(rows: list[dict], assistant, *, show_progress: bool = True, log: Path | None = None) -> dict:
    """Ask every question; score accuracy, citations, outcomes (answered, unconfirmed, not found), the stage
    where each wrong answer failed, language and latency. ``log``: each question's record is appended there
    as it is made (a long run stopped halfway keeps what it measured)."""
    records = []
    for row in _progress(rows, "answers", show_progress):
        answer, asked = assistant.trace(row["question"])
        expected = row["answer"]
        language = row.get("lang") or question_language(row["question"])
        shown = [s.quote for s in answer.sources]
        records.append({
            "id": row["id"], "kind": row["kind"], "question": row["question"], "expected": expected,
            "answer": answer.answer, "status": answer.status, "refused": answer.refused, "seconds": answer.seconds,
            "correct": (answer.refused if expected is None else
                        (not answer.refused and any(answer_matches(answer.answer, e)
                                                    for e in [expected, *row.get("accept", [])]))),
            "stage": failure_stage(row, answer, asked),
            "verified": answer.verified, "judged": {str(k): v for k, v in asked.judged.items()},
            "candidate": asked.checked.text, "chosen_passages": sorted({c.passage for c in asked.checked.chosen}),
            "evidence_passages": [p.n for p in asked.passages if expected is not None
                                  and evidence_hit(p.text, row["evidence"])],
            "sources": [s.article_id for s in answer.sources], "quotes": shown,
            "unsupported": answer.unsupported,
            "cited_evidence": (expected is not None and not answer.refused
                               and citation_accuracy(shown, row["evidence"])),
            "evidence_shown": expected is not None and answer.status != "not_found" and bool(shown)
            and citation_accuracy(shown, row["evidence"]),
            "evidence_read": expected is not None and any(evidence_hit(p.text, row["evidence"]) for p in asked.passages),
            "language_ok": answer.language == language,
        })
        if log is not None:
            with open(log, "a", encoding="utf-8") as out:
                out.write(json.dumps(records[-1], ensure_ascii=False) + "\n")
    return {"summary": summarize_answers(records), "records": records}


def summarize_answers(records: list[dict]) -> dict:
    """The figures of a run: accuracy, wrong answers, each outcome's share, citation accuracy, the evidence in
    what the model read and in what the user was shown, the failure table by stage, all by kind too."""
    answerable = [r for r in records if r["expected"] is not None]
    unanswerable = [r for r in records if r["expected"] is None]
    answered = [r for r in answerable if r["status"] == "answered"]
    summary = {
        "questions": len(records),
        "answer_accuracy": _mean(r["correct"] for r in answerable),
        "wrong_answers": _mean(r["status"] == "answered" and not r["correct"] for r in answerable),
        "accuracy_when_answered": _mean(r["correct"] for r in answered),
        "unconfirmed": _mean(r["status"] == "unconfirmed" for r in answerable),
        "false_not_found": _mean(r["status"] == "not_found" for r in answerable),
        "unanswerable_held": _mean(r["status"] != "answered" for r in unanswerable),
        "citation_accuracy": _mean(r["cited_evidence"] for r in answered),
        "evidence_read": _mean(r["evidence_read"] for r in answerable),
        "evidence_shown": _mean(r["evidence_shown"] for r in answerable),
        **refusal_rates((r["expected"] is None, r["refused"]) for r in records),
        "language_agreement": _mean(r["language_ok"] for r in records),
        "seconds_median": round(statistics.median(r["seconds"] for r in records), 2) if records else None,
        "stages": {stage: sum(r["stage"] == stage for r in records) for stage in STAGES},
        "by_kind": {kind: {"questions": len(group), "accuracy": _mean(r["correct"] for r in group),
                           "stages": {stage: n for stage in STAGES if (n := sum(r["stage"] == stage for r in group))}}
                    for kind in sorted({r["kind"] for r in records})
                    for group in [[r for r in records if r["kind"] == kind]]},
    }
    return summary


def failure_table(summary: dict) -> str:
    """The failure table of a run as Markdown: one row per stage, one column per kind and in all."""
    kinds = list(summary["by_kind"])
    lines = ["| stage | all | " + " | ".join(kinds) + " |", "|---|---|" + "---|" * len(kinds)]
    for stage in STAGES:
        cells = [str(summary["stages"].get(stage, 0))] + [str(summary["by_kind"][k]["stages"].get(stage, 0))
                                                         for k in kinds]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


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
