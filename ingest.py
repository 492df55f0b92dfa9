#!/usr/bin/env python
"""Make news articles searchable: python ingest.py [--store DIR] PATH...

PATH can be files (.txt, .md, .html/.htm, .jsonl, .jsonl.gz) or folders (read recursively).
Re-running is cheap: unchanged articles are skipped, changed ones replaced, duplicates reported.
"""

from __future__ import annotations

import argparse
import json
import sys

from qa.cli import add_store_option, open_assistant


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python ingest.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders of articles")
    add_store_option(parser)
    parser.add_argument("--delete", metavar="ID", action="append", default=[], help="remove a stored article")
    parser.add_argument("--rebuild", action="store_true",
                        help="re-embed every stored article with the configured embedder (QA_EMBEDDER)")
    parser.add_argument("--summarize", action="store_true", help="also pre-compute the default summaries")
    parser.add_argument("--limit", type=int, metavar="N", help="stop after N articles (to try a large collection)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if not (args.paths or args.delete or args.rebuild):
        parser.error("give PATHs to ingest, --delete ID or --rebuild")

    from qa.ingestion import IngestReport
    from qa.store import StoreError

    status = 0
    assistant = open_assistant(args)
    try:
        report = IngestReport()
        with _progress(args.quiet) as progress:
            if args.rebuild:  # first: the store may have been built by another embedder
                report = assistant.rebuild(on_progress=progress)
            for article_id in args.delete:
                if assistant.delete(article_id):
                    print(f"deleted {article_id}")
                else:
                    print(f"error: no article with id {article_id!r} in {assistant.settings.store_dir}",
                          file=sys.stderr)
                    status = 1
            if args.paths:
                report = assistant.ingest(args.paths, on_progress=progress, limit=args.limit)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    if args.paths or args.rebuild:
        if args.json:
            print(json.dumps(report.model_dump(), ensure_ascii=False, indent=1))
        else:
            for warning in report.warnings:
                print(f"warning: {warning}", file=sys.stderr)
            for dup in report.duplicates:
                print(f"duplicate: {dup}", file=sys.stderr)
            for failure in report.failures:
                print(f"failed: {failure}", file=sys.stderr)
            print(report.summary())
            stats = assistant.stats()
            print(f"store: {stats['store']} ({stats['articles']} articles, {stats['chunks']} chunks)")
        if not report.ok:
            status = 1
    if args.summarize and report.ok:
        assistant.summarize_all(show_progress=not args.quiet)
    return status


class _progress:
    """A tqdm bar fed by the ingestion's progress callback; silent for short runs and with --quiet."""

    def __init__(self, quiet: bool):
        self.quiet, self.bar = quiet, None

    def __enter__(self):
        return None if self.quiet else self

    def __call__(self, done: int, total: int | None, _label: str) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="article", dynamic_ncols=True, file=sys.stderr,
                            disable=bool(total is not None and total < 20))
        self.bar.update(done - self.bar.n)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()


if __name__ == "__main__":
    sys.exit(main())
