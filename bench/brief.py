"""Briefs of 20 subjects of the evaluation store, to be read by hand (issue 25, part 2).

    flock /tmp/newsdesk-model.lock python bench/brief.py --store ~/.cache/newsdesk-qa/evalstore [--limit N] [--events]

writes bench/results/brief.records.jsonl: each brief with its lines, the passages they cite (quoted) and a
``reading`` of null on each line. Read each line against its cited passage and set ``reading`` to "supported"
or "unsupported" (a fact the passage does not state), then count with ``--count FILE``: lines, unsupported
lines, and coverage (articles read / stories found about the subject).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from common import RESULTS, write_results

SUBJECTS = [  # ten French subjects, ten English ones, all in the 4,901-article store
    "Anne Hidalgo", "Sibeth Ndiaye", "Christophe Castaner", "Extinction Rebellion", "Nouvelle-Calédonie",
    "Guyane", "Manuel Valls", "Assa Traoré", "Gütersloh", "Joe Biden",
    "Roger Federer", "Marat Safin", "Sideways", "Blu-ray", "Lord Goldsmith", "Michael Howard", "Gartner",
    "News Corp", "Lleyton Hewitt", "Channel 4",
]


def count(path: Path) -> int:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    lines = [line for r in records for line in r["lines"]]
    read = [line for line in lines if line["reading"] is not None]
    figures = {"subjects": len(records), "lines": len(lines), "read": len(read),
               "unsupported": sum(line["reading"] == "unsupported" for line in read),
               "coverage": round(sum(len(r["read"]) for r in records)
                                 / max(1, sum(len(r["stories"]) for r in records)), 3)}
    write_results("brief-count", figures)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--events", action="store_true", help="with the dated events (one model call an article)")
    parser.add_argument("--count", type=Path, help="count the readings of a records file")
    args = parser.parse_args()
    if args.count:
        return count(args.count)

    from qa import Assistant

    assistant = Assistant(store_dir=Path(args.store).expanduser(), create=False)
    out = RESULTS / "brief.records.jsonl"
    seconds = []
    with out.open("w", encoding="utf-8") as handle:
        for subject in SUBJECTS[: args.limit]:
            brief = assistant.brief(subject, events=args.events)
            quotes = {s.n: s.quote for s in brief.sources}
            lines = [{"part": part, "text": text, "reading": None} for part in ("overview", "facts")
                     for text in getattr(brief, part)]
            lines += [{"part": "people", "text": f"{p.name}: {p.role} [{p.source}]", "reading": None}
                      for p in brief.people]
            handle.write(json.dumps({"subject": subject, "language": brief.language, "lines": lines, "quotes": quotes,
                                     "events": brief.events, "stories": brief.stories, "read": brief.read,
                                     "left_out": brief.left_out, "dropped": brief.dropped,
                                     "seconds": brief.seconds}, ensure_ascii=False) + "\n")
            handle.flush()
            seconds.append(brief.seconds)
            print(f"{subject}: {len(lines)} lines, {len(brief.read)}/{len(brief.stories)} read, {brief.seconds:.0f} s",
                  file=sys.stderr, flush=True)
    write_results("brief", {"subjects": len(seconds), "seconds_median": sorted(seconds)[len(seconds) // 2]},
                  notes=f"records: {out.name}, to be read by hand")
    return 0


if __name__ == "__main__":
    sys.exit(main())
