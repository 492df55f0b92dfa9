"""What the store's tests share: damage to a file of a store, and a read-only view of a store (a bind mount, as
root; the tests that need it skip where mounting is not allowed)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from qa import Assistant


def damage(path: Path, offset: int) -> None:
    """4 KB of ``path`` overwritten, as a fresh process would then find it (nothing of it cached in this one)."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    for db in (path.with_name("articles.sqlite3"), path.with_name("chroma.sqlite3")):
        with sqlite3.connect(db) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(os.urandom(4096))


def mount(*args: str) -> None:
    result = subprocess.run(["mount", *args], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"mount is not allowed here: {result.stderr.strip()}")


@contextmanager
def read_only_view(store: Path, tmp_path: Path):
    """The store seen through a read-only bind mount (unmounted afterwards)."""
    Assistant(store_dir=store).store.close()
    view = tmp_path / "read-only"
    view.mkdir()
    mount("--bind", str(store), str(view))
    try:
        mount("-o", "remount,bind,ro", str(view))
        yield view
    finally:
        subprocess.run(["umount", "-l", str(view)], check=False)


