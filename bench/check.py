"""Checking claims against the 4,901-article evaluation store: data/eval/claims.jsonl (held out) or
data/eval/claims-dev.jsonl (what the thresholds were chosen on).

    flock /tmp/newsdesk-model.lock python bench/check.py --store ~/.cache/newsdesk-qa/evalstore \
        --claims data/eval/claims.jsonl --name check-eval

Each claim is checked alone (``Assistant.check``); figures: restated → supported, altered → contradicted,
absent → never supported, the cited evidence right (the first cited article is the claim's, or a version of its
story) when supported or contradicted, and the median seconds per claim (the model loaded before). Every claim's
verdict and evidence go to bench/results/<name>.records.jsonl, to be read.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from common import RESULTS, write_results


def _by_article(rows: list[dict]) -> list[list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in rows:
        out.setdefault(row["article_id"], []).append(row)
    return list(out.values())


def right_evidence(row: dict, quote: str, story: set[str], cited: str) -> bool:
    """The cited sentence is the claim's: in its article (or a version of its story), or the very sentence it was
    written from, found in another article that repeats it."""
    if cited in story:
        return True
    evidence = row.get("evidence") or ""
    return bool(evidence) and (evidence in quote or quote in evidence)


def summarize(records: list[dict]) -> dict:
    """The figures of a run's records (also of a run cut short: ``--summarize RECORDS``)."""

    def share(kind: str, good) -> dict:
        subset = [r for r in records if r["kind"] == kind]
        return {"n": len(subset), "rate": round(sum(good(r) for r in subset) / len(subset), 3) if subset else None}

    decided = [r for r in records if r["verdict"] in ("supported", "contradicted")
               and r["verdict"] == r["expected"]]
    by_pair: dict[str, dict] = {}
    for pair in sorted({f"{r['lang']}->{r['article_lang']}" for r in records}):
        subset = [r for r in records if f"{r['lang']}->{r['article_lang']}" == pair]
        by_pair[pair] = {kind: round(sum(r["verdict"] == r["expected"] if kind != "absent" else
                                         r["verdict"] != "supported" for r in subset if r["kind"] == kind)
                                     / max(1, sum(r["kind"] == kind for r in subset)), 3)
                         for kind in ("restated", "altered", "absent")}
    figures = {
        "n": len(records),
        "altered_contradicted": share("altered", lambda r: r["verdict"] == "contradicted"),
        "restated_supported": share("restated", lambda r: r["verdict"] == "supported"),
        "absent_not_supported": share("absent", lambda r: r["verdict"] != "supported"),
        "absent_not_found": share("absent", lambda r: r["verdict"] == "not_found"),
        "evidence_right": {"n": len(decided), "rate": round(sum(bool(r["evidence_right"]) for r in decided)
                                                             / len(decided), 3) if decided else None},
        "evidence_in_claims_article": {"n": len(decided), "rate": round(sum(bool(r["cited_right"]) for r in decided)
                                                                        / len(decided), 3) if decided else None},
        "seconds_median": round(statistics.median(r["seconds"] for r in records), 2),
        "seconds_p90": round(sorted(r["seconds"] for r in records)[int(0.9 * (len(records) - 1))], 2),
        "by_language": by_pair,
    }
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", help="the evaluation store (opened read-only: nothing is written)")
    parser.add_argument("--claims", default="data/eval/claims.jsonl")
    parser.add_argument("--name", default="check")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--summarize", type=Path, metavar="RECORDS", help="only print the figures of a records file")
    args = parser.parse_args()
    if args.summarize:
        records = [json.loads(line) for line in args.summarize.read_text(encoding="utf-8").splitlines() if line.strip()]
        print(json.dumps(summarize(records), indent=1))
        return 0

    from qa import Assistant

    rows = [json.loads(line) for line in Path(args.claims).read_text(encoding="utf-8").splitlines() if line.strip()]
    # the language pairs interleaved, so that a run cut short is still balanced (each article's three claims together)
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(f"{row['lang']}->{row['article_lang']}", []).append(row)
    articles = [_by_article(group) for group in groups.values()]
    rows = [row for i in range(max(len(a) for a in articles)) for a in articles if i < len(a) for row in a[i]]
    rows = rows[: args.limit] if args.limit else rows
    assistant = Assistant(store_dir=Path(args.store).expanduser(), create=False)
    assistant.check("Warm-up: the model and the embedder load before the clock starts, in 2020.")
    log = RESULTS / f"{args.name}.records.jsonl"
    records = []
    with log.open("w", encoding="utf-8") as out:
        for i, row in enumerate(rows, 1):
            began = time.perf_counter()
            result = assistant.check(row["claim"])
            seconds = time.perf_counter() - began
            verdicts = [s for s in result.sentences if s.verdict != "no_claim"] or result.sentences
            verdict = "contradicted" if any(s.verdict == "contradicted" for s in verdicts) and not any(
                s.verdict == "supported" for s in verdicts) else verdicts[0].verdict
            evidence = next((s.evidence for s in verdicts if s.verdict == verdict), [])
            cited = evidence[0].article_id if evidence else None
            story = {v.id for v in assistant.versions(row["article_id"])} | {row["article_id"]}
            record = {**row, "verdict": verdict, "seconds": round(seconds, 3), "cited": cited,
                      "cited_right": cited in story if cited else None,
                      "evidence_right": right_evidence(row, evidence[0].quote, story, cited) if evidence else None,
                      "evidence": [e.model_dump() for e in evidence]}
            records.append(record)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
            print(f"{i}/{len(rows)} {row['id']} {row['kind']:<8} {verdict:<12} {seconds:5.1f} s  {row['claim'][:70]}",
                  file=sys.stderr, flush=True)

    figures = summarize(records)
    figures.update(claims=str(args.claims), threads=assistant.settings.threads)
    write_results(args.name, figures, notes=f"records: {log.relative_to(RESULTS.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
