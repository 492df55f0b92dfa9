"""The article table of a store: the articles' texts and metadata, their stories, cached summaries, the
store's own settings, and the keyword index. Two homes, one interface:

- :class:`~qa.store.local_catalog.LocalCatalog`: SQLite beside the embedded Chroma (``articles.sqlite3``), the
  keyword index in the same file and the same transactions;
- :class:`~qa.store.server_catalog.ServerCatalog`: collections on a Chroma server, where every app host sees them
  (``articles``, ``summaries``, ``meta``), with a local copy of the keyword index kept in step with the server's
  revision.

This module holds what both share: the records they take and give (:class:`StoryKey`, :class:`ArticleInfo`,
:class:`Written`), the columns of an article's info and one SQLite connection per thread (:class:`Connections`).
An article's row is written after its chunks: a row is the commit of an article (see :mod:`qa.store.store`).
"""

from __future__ import annotations

import sqlite3
import threading
from typing import NamedTuple

from pydantic import BaseModel

from qa.store.articles import Article

INFO_COLUMNS = ("id", "title", "source", "url", "date", "lang", "path", "chunks", "content_hash", "story")


class StoryKey(NamedTuple):
    """An article's story (the id of its group's first article) and its MinHash band keys (see qa/ingest/stories.py)."""

    story: str
    bands: tuple[str, ...] = ()


class ArticleInfo(BaseModel):
    """What the store knows about an article, without its text. ``story``: the id of the first article of its
    group of wire copies (its own id when alone)."""

    id: str
    title: str
    source: str | None = None
    url: str | None = None
    date: str | None = None
    lang: str | None = None
    path: str | None = None
    chunks: int
    content_hash: str
    story: str = ""

    def model_post_init(self, _context) -> None:
        if not self.story:
            self.story = self.id


class Written(NamedTuple):
    """One article as committed by a write: its chunks (StoredChunk-like rows, for the keyword index)."""

    article: Article
    chunks: list  # of qa.store.articles.StoredChunk
    story: StoryKey


class Connections:
    """One SQLite connection per thread (``open()`` makes one), all closed at once."""

    def __init__(self, open_one: callable):
        self._open, self._local, self._lock, self._all = open_one, threading.local(), threading.Lock(), []

    def get(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._open()
            with self._lock:
                self._all.append(db)
        return db

    def close(self) -> None:
        with self._lock:
            for db in self._all:
                db.close()
            self._all.clear()
            self._local = threading.local()
