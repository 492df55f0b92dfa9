"""What the command lines (``python -m qa``, ``ingest.py``, ``app.py``) share: the ``--store`` option and
the :class:`~qa.assistant.Assistant` it opens."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="DIR", help="store folder (default: QA_STORE_DIR or ./vectorstore)")
    parser.add_argument("--chroma-url", metavar="URL",
                        help="the store on a Chroma server, http://HOST:PORT (default: QA_CHROMA_URL, else embedded)")


class ProgressBar:
    """A tqdm bar on stderr fed by a ``(done, total, label)`` progress callback: ``with ProgressBar(quiet) as
    progress`` gives the callback, or None with ``quiet``; a run of fewer than ``min_total`` items shows none."""

    def __init__(self, quiet: bool, label: str | None = None, min_total: int = 0):
        self.quiet, self.label, self.min_total, self.bar = quiet, label, min_total, None

    def __enter__(self):
        return None if self.quiet else self

    def __call__(self, done: int, total: int | None, _label: str) -> None:
        if self.bar is None:
            import sys

            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="article", desc=self.label, dynamic_ncols=True, file=sys.stderr,
                            disable=bool(total is not None and total < self.min_total))
        self.bar.update(done - self.bar.n)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()


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
