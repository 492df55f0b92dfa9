"""What the command lines (``python -m qa``, ``ingest.py``, ``app.py``) share: the ``--store`` option and
the :class:`~qa.assistant.Assistant` it opens."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="DIR", help="store folder (default: QA_STORE_DIR or ./vectorstore)")
    parser.add_argument("--chroma-url", metavar="URL",
                        help="the store on a Chroma server, http://HOST:PORT (default: QA_CHROMA_URL, else embedded)")


def open_assistant(args: argparse.Namespace, *, create: bool = True):
    """The Assistant over the store named by ``--store`` (else the configured one). ``create=False``: a store
    that does not exist is an error rather than a new empty one (for commands that only read)."""
    from qa.assistant import Assistant

    overrides = {}
    if getattr(args, "store", None):
        overrides["store_dir"] = Path(args.store).expanduser()
    if getattr(args, "chroma_url", None):
        overrides["chroma_url"] = args.chroma_url
    return Assistant(create=create, **overrides)
