"""Story timelines on the real corpus, to be read: a store of the OrangeSum articles that name a subject (and
random others), the subject's timeline, and every event written out for a person to judge.

    python bench/timeline.py --subject "Carlos Ghosn" --words Ghosn --articles 16 --store /tmp/tl-ghosn
    python bench/timeline.py --subject "incendie de Notre-Dame" --words Notre-Dame --store /tmp/tl-nd

writes bench/results/timeline-<subject>.json: the timeline (events with their quotes, dropped events, articles
read, seconds) with a ``reading`` of null on each event. Read each event against its quote and article, set
``reading`` to "right" (a real event about the subject, told as its sentence tells it, dated when it
happened), "misdated" (right, but the date is not when it happened) or "wrong" (not an event, another
subject, or not what the sentence says), then count with ``--count FILE``.

    python bench/timeline.py --dates data/eval/timeline_dates.jsonl

scores the date resolution (qa/news/timeline/dates.py, tense.py: no model) on the labelled sentences: for each, the
date its date words resolve to from its article's date and its tense, and its status (done, planned, cancelled),
against the date and status read by hand; per split (``dev``: the issue's cases, read while the rules were
written; ``heldout``: the rest), with every miss printed. Writes bench/results/timeline-dates.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
from collections import Counter
from pathlib import Path

from common import CORPUS, RESULTS, machine

LICENCE = ("quotes and titles: OrangeSum (Orange Actu articles), Kamal Eddine, Tixier, Vazirgiannis, BARThez (2020), "
           "CC BY-SA 4.0")


def subject_store(store: Path, words: list[str], distractors: int, seed: int) -> Path:
    """The store of the corpus articles whose title or text holds one of ``words``, and ``distractors`` others
    drawn at random (``seed``); built once (ingested again, nothing changes)."""
    import gzip

    from qa import Assistant

    records, others = [], []
    with gzip.open(CORPUS / "orangesum" / "articles.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            record.pop("abstract", None)  # never let the answer key reach the tool
            about = any(w in record["title"] or w in record["text"] for w in words)
            (records if about else others).append(record)
    chosen = records + random.Random(seed).sample(others, distractors)
    store.mkdir(parents=True, exist_ok=True)
    path = store.parent / f"{store.name}.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chosen), encoding="utf-8")
    report = Assistant(store_dir=store).ingest([path])
    print(f"store {store}: {len(records)} articles name {words}, {distractors} others; {report.added} added",
          file=sys.stderr)
    return store


def count(path: Path) -> dict:
    """The readings of a results file: how many events are right, misdated, wrong, not read yet."""
    data = json.loads(path.read_text(encoding="utf-8"))
    readings = Counter(e.get("reading") or "unread" for e in data["events"])
    total = len(data["events"])
    return {"subject": data["subject"], "events": total, **readings,
            "right_share": round(readings["right"] / total, 3) if total else None}


def duplicates(events) -> list[list[int]]:
    """Pairs of kept events (indices) that are one event twice by a rule a reader would apply at once: the same
    date and the same quoted sentence (two versions of one article). Other retellings need reading: each
    event's ``reading`` may say "duplicate of N"."""
    pairs = []
    for i, a in enumerate(events):
        for j in range(i + 1, len(events)):
            b = events[j]
            if a.date == b.date and " ".join(a.quote.split()).lower() == " ".join(b.quote.split()).lower():
                pairs.append([i, j])
    return pairs


def score_dates(path: Path) -> dict:
    """Date right and status right, per split, of the labelled sentences of ``path`` (see the module's text)."""
    from qa.news.timeline import resolve_date

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    totals: dict[str, Counter] = {}
    misses = []
    for row in rows:
        got = resolve_date(row["when"], row["sentence"], row["article_date"], [row["lang"]])
        day, status = (None, None) if isinstance(got, str) else (got.date, got.status)
        split = totals.setdefault(row["split"], Counter())
        split["events"] += 1
        split["date_right"] += day == row["expected_date"]
        split["status_right"] += status == row["expected_status"]
        if (day, status) != (row["expected_date"], row["expected_status"]):
            misses.append({"id": row["id"], "when": row["when"], "article_date": row["article_date"],
                           "expected": [row["expected_date"], row["expected_status"]], "got": [day, status],
                           "sentence": row["sentence"]})
    report = {name: {**counts, "date_share": round(counts["date_right"] / counts["events"], 3),
                     "status_share": round(counts["status_right"] / counts["events"], 3)}
              for name, counts in sorted(totals.items())}
    return {"file": str(path), "splits": report, "misses": misses}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subject", help='the timeline\'s subject, e.g. "Carlos Ghosn"')
    parser.add_argument("--words", help="comma-separated: an article that holds one of them is about the subject")
    parser.add_argument("--distractors", type=int, default=300, help="other articles in the store (default 300)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--articles", type=int, default=8, help="QA_TIMELINE_MAX_ARTICLES (default 8)")
    parser.add_argument("--store", type=Path, help="the store folder (built once)")
    parser.add_argument("--count", type=Path, metavar="FILE", help="count the readings of a results file")
    parser.add_argument("--dates", type=Path, metavar="FILE", help="score the date resolution on a labelled set "
                        "(data/eval/timeline_dates.jsonl)")
    args = parser.parse_args()
    if args.dates:
        result = score_dates(args.dates)
        for miss in result["misses"]:
            print(f"MISS {miss['id']} ({miss['article_date']}) «{miss['when']}»: expected {miss['expected']}, got "
                  f"{miss['got']}\n     {miss['sentence'][:200]}")
        print(json.dumps(result["splits"], ensure_ascii=False, indent=1))
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "timeline-dates.json").write_text(json.dumps({**result, "machine": machine()}, ensure_ascii=False,
                                                                indent=1) + "\n", encoding="utf-8")
        return 0
    if args.count:
        print(json.dumps(count(args.count), ensure_ascii=False))
        return 0
    if not (args.subject and args.words and args.store):
        parser.error("--subject, --words and --store are needed to make a timeline")
    os.environ["QA_TIMELINE_MAX_ARTICLES"] = str(args.articles)
    from qa import Assistant

    store = subject_store(args.store, args.words.split(","), args.distractors, args.seed)
    assistant = Assistant(store_dir=store, create=False)
    timeline = assistant.timeline(args.subject, on_progress=lambda done, total: print(
        f"  article {done} of {total}", file=sys.stderr))
    slug = re.sub(r"[^a-z0-9]+", "-", args.subject.lower()).strip("-")
    out = RESULTS / f"timeline-{slug}.json"
    payload = {"subject": args.subject, "licence": LICENCE, "machine": machine(), "articles_setting": args.articles,
               "seconds": timeline.seconds,
               "seconds_per_article": round(timeline.seconds / max(1, len(timeline.articles)), 1),
               "articles": timeline.articles, "named": timeline.named, "message": timeline.message,
               "duplicates": duplicates(timeline.events), "language": timeline.language,
               "events": [{**e.model_dump(), "reading": None} for e in timeline.events],
               "dropped": [d.model_dump() for d in timeline.dropped]}
    RESULTS.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for e in timeline.events:
        print(f"{e.date:<10} {e.dated_by:<7} {e.event}\n           « {e.quote} » ({e.article_id})")
    print(f"bench timeline: {len(timeline.events)} events from {len(timeline.articles)} articles read of "
          f"{len(timeline.named)} that name the subject, {len(payload['duplicates'])} duplicate pairs by rule, "
          f"{len(timeline.dropped)} dropped, {timeline.seconds:.0f} s; written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
