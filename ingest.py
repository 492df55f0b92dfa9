#!/usr/bin/env python
"""Make news articles searchable: python ingest.py [--store DIR] PATH|URL...

PATH can be files (.txt, .md, .html/.htm, .jsonl, .jsonl.gz) or folders (read recursively).
URL (http:// or https://) can be an article page or an RSS/Atom feed (the pages of its items are read);
--watch MINUTES fetches the URLs again every MINUTES until Ctrl-C.
Re-running is cheap: unchanged articles are skipped, changed ones replaced, duplicates reported; pages and
feeds are fetched again only when they changed (ETag / Last-Modified, feed items seen).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime

from qa.cli.common import ProgressBar, add_store_option, open_assistant


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python ingest.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", metavar="PATH|URL",
                        help="files or folders of articles, or web addresses of article pages or RSS/Atom feeds")
    add_store_option(parser)
    parser.add_argument("--delete", metavar="ID", action="append", default=[], help="remove a stored article")
    parser.add_argument("--rebuild", action="store_true",
                        help="re-embed every stored article with the configured embedder (QA_EMBEDDER)")
    parser.add_argument("--summarize", action="store_true", help="also pre-compute the default summaries")
    parser.add_argument("--limit", type=int, metavar="N", help="stop after N articles (to try a large collection)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--only-changes", action="store_true",
                        help="print the report only when something was added, updated, or went wrong (make run)")
    parser.add_argument("--watch", type=float, metavar="MINUTES",
                        help="fetch the URLs again every MINUTES (only what changed) until Ctrl-C")
    args = parser.parse_args(argv)
    if not (args.paths or args.delete or args.rebuild):
        parser.error("give PATHs or URLs to ingest, --delete ID or --rebuild")

    from qa.ingest.fetching import is_url

    urls = [p for p in args.paths if is_url(p)]
    paths = [p for p in args.paths if not is_url(p)]
    if args.watch is not None and (not urls or args.watch <= 0):
        parser.error("--watch MINUTES needs URLs to fetch and a number of minutes above 0")

    from qa.ingest.ingestion import IngestReport
    from qa.models.llm import ModelUnavailableError
    from qa.store.errors import StoreError

    status = 0
    assistant = open_assistant(args)
    try:
        report = IngestReport()
        with ProgressBar(args.quiet, min_total=20) as progress:
            if args.rebuild:  # first: the store may have been built by another embedder
                report = assistant.rebuild(on_progress=progress)
            for article_id in args.delete:
                if assistant.delete(article_id):
                    print(f"deleted {article_id}")
                else:
                    print(f"error: no article with id {article_id!r} in {assistant.store.location}",
                          file=sys.stderr)
                    status = 1
            if paths:
                report = assistant.ingest(paths, on_progress=progress, limit=args.limit)
        if urls:
            with ProgressBar(args.quiet, min_total=20) as progress:
                fetched = assistant.ingest_urls(urls, on_progress=progress)
            report = _combined(report, fetched) if paths else fetched
    except (StoreError, ModelUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # what was stored is kept (each batch is committed): a re-run goes on from there
        print(f"\ninterrupted: the articles stored so far are kept in {assistant.store.location}; run the same "
              "command again to go on (stored articles are skipped)", file=sys.stderr)
        return 130

    quiet_report = args.only_changes and report.ok and not (report.added or report.updated or report.duplicates
                                                             or report.warnings)
    if (args.paths or args.rebuild) and not quiet_report:
        if args.json:
            print(json.dumps(report.model_dump(), ensure_ascii=False, indent=1))
        else:
            _print_problems(report)
            print(report.summary())
            stats = assistant.stats()
            print(f"store: {stats['store']} ({stats['articles']} articles, {stats['chunks']} chunks)")
        if not report.ok:
            status = 1
    if args.summarize and report.ok:
        assistant.summarize_all(show_progress=not args.quiet)
    if args.watch:
        status = _watch(assistant, urls, args.watch, as_json=args.json, status=status)
    return status


def _print_problems(report) -> None:
    from qa.store.articles import printable

    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    listed: dict[str | None, int] = {}
    for dup in report.duplicates:  # at most 50 a file, the others counted
        listed[dup.path] = listed.get(dup.path, 0) + 1
        if listed[dup.path] <= 50:
            print(f"duplicate: {dup}", file=sys.stderr)
    for path, count in listed.items():
        if count > 50:
            where = printable(path) if path else "this run"
            print(f"duplicate: {count - 50:,} more in {where} (not listed)", file=sys.stderr)
    for failure in report.failures:
        print(f"failed: {failure}", file=sys.stderr)


def _combined(first, second):
    """One report of two runs (files, then URLs): counts added, lists joined."""
    data = first.model_dump()
    for key, value in second.model_dump().items():
        data[key] = data[key] + value
    return type(first)(**data)


def _watch(assistant, urls: list[str], minutes: float, *, as_json: bool, status: int) -> int:
    """Fetch ``urls`` again every ``minutes`` (only what changed) until Ctrl-C: one summary line a round (its
    problems on stderr). The exit status is the last round's."""
    from qa.models.llm import ModelUnavailableError
    from qa.store.errors import StoreError

    print(f"watching {len(urls)} address{'es' if len(urls) > 1 else ''} every {minutes:g} min; Ctrl-C stops",
          file=sys.stderr, flush=True)
    try:
        while True:
            time.sleep(minutes * 60)
            try:
                report = assistant.ingest_urls(urls)
            # a full disk, a store being repaired, an endpoint down: said, and tried again next round
            except (StoreError, ModelUnavailableError) as exc:
                print(f"{datetime.now():%Y-%m-%d %H:%M:%S} error: {exc}", file=sys.stderr, flush=True)
                status = 2
                continue
            if as_json:
                print(json.dumps(report.model_dump(), ensure_ascii=False), flush=True)
            else:
                _print_problems(report)
                print(f"{datetime.now():%Y-%m-%d %H:%M:%S} {report.summary()}", flush=True)
            status = 0 if report.ok else 1
    except KeyboardInterrupt:
        print("stopped watching", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
