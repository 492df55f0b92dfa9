"""What was fetched before: :class:`FetchState` (``<store>/fetch.sqlite3``) keeps each URL's ``ETag``/``Last-Modified``
(its :class:`Validators`) and each feed's seen item ids, so that a re-run asks with ``If-None-Match``/
``If-Modified-Since`` (a 304 is "unchanged") and fetches only the feed items it has not seen (or whose date changed).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

STATE_FILE = "fetch.sqlite3"


@dataclass(frozen=True)
class Validators:
    """What a URL's last response said about its version, and the article it gave (a page's)."""

    etag: str | None
    last_modified: str | None
    article_id: str | None

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


_SCHEMA = """
CREATE TABLE IF NOT EXISTS urls (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, article_id TEXT,
                                 fetched_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS items (feed TEXT NOT NULL, item TEXT NOT NULL, stamp TEXT NOT NULL,
                                  article_id TEXT NOT NULL, PRIMARY KEY (feed, item));
"""


class FetchState:
    """``<store>/fetch.sqlite3``: each URL's validators (``ETag``, ``Last-Modified``) and each feed's items seen.
    It only saves fetching: deleted, the next run fetches everything again and the store skips what it holds."""

    def __init__(self, directory: Path):
        from qa.store.errors import StoreError

        self.path = Path(directory) / STATE_FILE
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)  # a store on a Chroma server: kept here all the same
            self.db = sqlite3.connect(self.path, timeout=30)
            with self.db:
                self.db.executescript(_SCHEMA)
        except OSError as exc:
            raise StoreError(f"Cannot create {self.path}: {exc.strerror or exc}") from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"Cannot use {self.path} ({exc}): it only remembers what was fetched; delete it "
                             "and the next run fetches everything again.") from None

    def close(self) -> None:
        self.db.close()

    def validators(self, url: str) -> Validators | None:
        row = self.db.execute("SELECT etag, last_modified, article_id FROM urls WHERE url = ?", (url,)).fetchone()
        return Validators(*row) if row else None

    def item(self, feed: str, item: str) -> tuple[str, str] | None:
        """(its date stamp, its article id) of a feed item seen before."""
        row = self.db.execute("SELECT stamp, article_id FROM items WHERE feed = ? AND item = ?", (feed, item))
        return row.fetchone()

    def items(self, feed: str) -> list[str]:
        """The article ids of a feed's items seen before."""
        return [r[0] for r in self.db.execute("SELECT article_id FROM items WHERE feed = ?", (feed,))]

    def save(self, urls: Iterable[tuple[str, Validators]], items: Iterable[tuple[str, str, str, str]]) -> None:
        """Remember URLs' validators and feed items (feed, item id, date stamp, article id), in one transaction."""
        now = time.time()
        with self.db:
            self.db.executemany(
                "INSERT INTO urls VALUES (?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, "
                "last_modified = excluded.last_modified, article_id = excluded.article_id, "
                "fetched_at = excluded.fetched_at",
                [(url, v.etag, v.last_modified, v.article_id, now) for url, v in urls])
            self.db.executemany(
                "INSERT INTO items VALUES (?, ?, ?, ?) ON CONFLICT(feed, item) DO UPDATE SET stamp = excluded.stamp, "
                "article_id = excluded.article_id", list(items))
