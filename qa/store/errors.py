"""Failures of a store in words a user can act on: the :class:`StoreError` family, :func:`explain` (a failure of
SQLite, Chroma or the disk told as what to do), SQLite's :func:`quick_check`, and :func:`guard_public_methods`, which
puts every public method of :class:`~qa.store.store.Store` behind :func:`explain`."""

from __future__ import annotations

import contextlib
import errno
import functools
import inspect
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path


class StoreError(RuntimeError):
    """A problem with the store that the user can act on; the message says how."""


class EmbedderMismatchError(StoreError):
    pass


class NoArticlesError(StoreError):
    pass


class StoreDamagedError(StoreError):
    """A file of the store cannot be read as a database."""


class DiskFullError(StoreError):
    """The disk holding the store has no space left."""


class ReadOnlyStoreError(StoreError):
    """A change asked of a store on a read-only folder."""


class ServerUnavailableError(StoreError):
    """The Chroma server of the store does not answer, or answers with an error."""


def explain(exc: BaseException, directory: Path) -> StoreError | None:
    """The failure of a store operation in words a user can act on (None when it is not a store failure)."""
    if isinstance(exc, StoreError):
        return exc
    # chromadb's errors, and the panics of its Rust core (pyo3_runtime.PanicException, a BaseException); chromadb
    # may fail while cleaning up after one of them, so the chain of causes is read too
    chain, link = [], exc
    while link is not None and len(chain) < 8:
        chain.append(link)
        link = link.__cause__ or link.__context__
    damaged = [e for e in chain if isinstance(e, sqlite3.DatabaseError) or _raised_in_chroma(e)]
    database = bool(damaged)
    text = str(damaged[-1] if damaged else exc)
    if not database and not isinstance(exc, OSError):
        return None
    full = (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "database or disk is full" in text
    with contextlib.suppress(OSError):
        full = full or shutil.disk_usage(directory).free < 1_000_000
    if full:
        return DiskFullError(
            f"The disk holding the store {directory} is full: nothing more could be written. Free some space and "
            "run the same command again; what was stored before is kept.")
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return ReadOnlyStoreError(f"Cannot write to the store {directory} ({exc.strerror}).")
    if database:
        cause = text.splitlines()[0][:160] if text else type(exc).__name__
        return StoreDamagedError(
            f"The store at {directory} is damaged ({cause}). Check it with: python -m qa doctor --store {directory}"
            "  (add --repair to rebuild what can be rebuilt from the article texts).")
    return None


# Database files up to this size are checked whole before the first write of a process (SQLite's quick_check
# reads about 600 MB/s here: 35 ms for the 10 MB of a 175-article store, 0.15 s at this bound, against 8 s for
# ``python ingest.py`` of one article); a larger one has its schema and settings table checked, and the pages a
# write goes through are checked by SQLite as it reads them (a damaged one stops the write, rolled back).
QUICK_CHECK_BYTES = 100_000_000


def quick_check(path: Path, table: str | None = None) -> str | None:
    """SQLite's ``quick_check`` of a database file (of one table and its indexes with ``table``), read-only: None
    when sound, else the first problem found."""
    from urllib.parse import quote

    try:
        db = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        try:
            pragma = f"PRAGMA quick_check({table})" if table else "PRAGMA quick_check(1)"
            rows = db.execute(pragma).fetchall()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        return " ".join(str(exc).split())[:160]
    problems = [" ".join(str(row[0]).replace("*** in database main ***", "").split()) for row in rows
                if row[0] != "ok"]
    return problems[0][:160] if problems else None


def _raised_in_chroma(exc: BaseException) -> bool:
    """An error of chromadb or of its Rust core, or one raised inside chromadb's code (after a panic of its
    core, chromadb's own clean-up fails with AttributeErrors)."""
    if type(exc).__module__.startswith(("chromadb", "pyo3_runtime")):
        return True
    tb = exc.__traceback__
    while tb is not None:
        if f"{os.sep}chromadb{os.sep}" in tb.tb_frame.f_code.co_filename:
            return True
        tb = tb.tb_next
    return False


def _guarded(method: Callable) -> Callable:
    """Store failures (damaged files, a full disk) raised as a :class:`StoreError` that says what to do."""
    if inspect.isgeneratorfunction(method):
        @functools.wraps(method)
        def generator(self, *args, **kwargs):
            with _explained(self):
                yield from method(self, *args, **kwargs)
        return generator

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        with _explained(self):
            return method(self, *args, **kwargs)
    return call


@contextlib.contextmanager
def _explained(store):
    try:
        yield
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:
        if getattr(store, "server", None) and not isinstance(exc, StoreError):
            raise ServerUnavailableError(
                f"The Chroma server {store.server} failed ({first_line(exc)}). Check that it runs and that "
                "QA_CHROMA_URL names it; what was stored before is kept.") from exc
        better = explain(exc, getattr(store, "directory", Path(".")))
        if better is None or better is exc:
            raise
        raise better from exc


def guard_public_methods(cls):
    for name, value in list(vars(cls).items()):
        if inspect.isfunction(value) and not name.startswith("__") or name == "__init__":
            setattr(cls, name, _guarded(value))
    return cls


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
