"""Who said what (qa/news/quotes/): attribution accuracy, recall and speed against hand-labelled quotes.

    python bench/quotes.py [--store DIR] [--split dev|test|all] [--person NAME ...]

data/eval/quotes.jsonl: quotations read and labelled by hand in OrangeSum (French) and BBC (English) articles
of the 4,901-article evaluation store, and in the seed article (data/samples/otan-guerre-nucleaire-fr.txt).
Each row: ``article_id``, ``quote`` (the exact opening of the quotation in the article's text), ``speaker`` (as
the article names them; null when the article names nobody: "a judicial source", "the complaint"), ``kind``
(how the article attributes it: after/before the quote, a pronoun, a role, "selon", a continuation of the
previous quote, or only in another sentence: indirect) and ``split``: ``dev`` articles were read while the
patterns were written; ``dev2`` articles were labelled as a held-out set before the extractor ran on them, measured
once (docs/benchmarks.md), then used to improve the patterns; ``test`` articles were labelled before any of that
work and are the held-out set of the figures reported (never tuned on).

- recall: labelled quotes with a named speaker that the extractor finds (a quotation whose span holds the
  label's opening) *with* a speaker;
- attribution accuracy: of those, the share whose speaker is the labelled one (:func:`qa.news.quotes.speaker_matches`);
- wrongly named: quotes of nobody named that the extractor gives to someone;
- speed: ``python -m qa quotes``'s search (Assistant.quotes) for a few people over the whole store, cold (first
  search of the process: every article is read) and warm.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path

from common import ROOT, machine

LABELS = ROOT / "data" / "eval" / "quotes.jsonl"
SEED = ROOT / "data" / "samples" / "otan-guerre-nucleaire-fr.txt"
SPLITS = ("dev", "dev2", "test")
EVALSTORE = Path("~/.cache/newsdesk-qa/evalstore").expanduser()


def article_text(store, article_id: str) -> str:
    if article_id.startswith("seed:"):
        return SEED.read_text(encoding="utf-8")
    article = store.get_article(article_id)
    if article is None:
        raise SystemExit(f"{article_id} is not in the store: run against the evaluation store")
    return article.text


def score(rows: list[dict], store) -> dict:
    from qa.news.quotes import extract, speaker_matches

    cache: dict[str, tuple[str, list]] = {}
    counts: Counter = Counter()
    by_kind: dict[str, Counter] = {}
    errors = []
    for row in rows:
        if row["article_id"] not in cache:
            text = article_text(store, row["article_id"])
            cache[row["article_id"]] = (text, extract(text))
        text, found = cache[row["article_id"]]
        at = text.find(row["quote"])
        assert at >= 0, f"label not in its article: {row}"
        hit = next((f for f in found if f.start <= at < f.end or at <= f.start < at + len(row["quote"])), None)
        named = hit.speaker if hit else None
        kind = by_kind.setdefault(row["kind"], Counter())
        if not row["speaker"]:
            counts["unnamed"] += 1
            counts["wrongly_named"] += named is not None
            if named is not None:
                errors.append((row, named))
            continue
        counts["named"] += 1
        kind["labelled"] += 1
        if named is None:
            errors.append((row, None))
            continue
        counts["found"] += 1
        kind["found"] += 1
        right = speaker_matches(row["speaker"], named)
        counts["right"] += right
        kind["right"] += right
        if not right:
            errors.append((row, named))
    return {
        "labelled_named": counts["named"], "found": counts["found"], "right": counts["right"],
        "recall": round(counts["found"] / counts["named"], 3) if counts["named"] else None,
        "attribution_accuracy": round(counts["right"] / counts["found"], 3) if counts["found"] else None,
        "right_of_labelled": round(counts["right"] / counts["named"], 3) if counts["named"] else None,
        "unnamed_labelled": counts["unnamed"], "wrongly_named": counts["wrongly_named"],
        "by_kind": {k: dict(v) for k, v in sorted(by_kind.items())},
        "errors": [{"article_id": r["article_id"], "quote": r["quote"], "label": r["speaker"], "got": got}
                   for r, got in errors],
    }


def speed(store_dir: Path, people: list[str]) -> dict:
    from qa.assistant import Assistant

    assistant = Assistant(create=False, store_dir=store_dir)
    out = {}
    for round_ in ("cold", "warm"):
        times = []
        for person in people:
            started = time.perf_counter()
            result = assistant.quotes(person)
            times.append(time.perf_counter() - started)
            out.setdefault("found", {})[person] = len(result.quotes)
        out[f"{round_}_seconds_median"] = round(statistics.median(times), 3)
        out[f"{round_}_seconds_max"] = round(max(times), 3)
    out["articles"] = assistant.store.count_articles()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, default=EVALSTORE, help="the 4,901-article evaluation store")
    parser.add_argument("--split", default="all", choices=[*SPLITS, "all"])
    parser.add_argument("--person", nargs="*", default=["Stoltenberg", "Tony Blair", "macron", "Benitez",
                                                        "Gérald Darmanin"], help="people searched for the speed")
    parser.add_argument("--out", type=Path, help="write the report as JSON")
    parser.add_argument("--no-speed", action="store_true", help="only the accuracy (patterns over the labelled "
                        "articles: no embedder, no model, about a second)")
    args = parser.parse_args()

    from qa.store.store import Store

    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    store = Store(args.store, "any", create=False, check_embedder=False)
    report = {"machine": machine(), "labels": str(LABELS.relative_to(ROOT))}
    for split in (list(SPLITS) if args.split == "all" else [args.split]):
        for lang in ("fr", "en", None):
            chosen = [r for r in rows if r["split"] == split and (lang is None or r["lang"] == lang)]
            report[f"{split}/{lang or 'both'}"] = score(chosen, store)
    if not args.no_speed:
        report["speed"] = speed(args.store, args.person)
    for name, value in report.items():
        if isinstance(value, dict) and "recall" in value:
            print(f"{name:<10} named {value['labelled_named']:>3}  recall {value['recall']}  attribution "
                  f"{value['attribution_accuracy']}  right/labelled {value['right_of_labelled']}  unnamed "
                  f"{value['unnamed_labelled']} (wrongly named {value['wrongly_named']})")
    if "speed" in report:
        print("speed:", json.dumps(report["speed"], ensure_ascii=False))
    for split in SPLITS:
        for error in report.get(f"{split}/both", {}).get("errors", []):
            print(f"  {split} miss: {error}")
    if args.out:
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
