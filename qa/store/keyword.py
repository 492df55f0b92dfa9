"""Keyword (BM25) search over the chunks, with SQLite's FTS5: an index that is updated in place.

Tokens are lower-cased, accent-folded, stripped of French and English stop words, and cut to their
first 6 letters: a language-agnostic stemming that makes "négociations"/"négociation" and
"rising"/"rises" meet. FTS5 indexes those tokens and ranks with BM25 (k1 = 1.2, b = 0.75).

Where the index lives:

- an embedded store keeps it in its article table's file (``articles.sqlite3``) and changes it in the
  same transaction as the article rows: adding or deleting an article costs work in proportion to that
  article, survives ``kill -9`` with the rest, and nothing is loaded at start;
- a store on a Chroma server (several app hosts) keeps a local copy in ``keywords.sqlite3``, brought
  up to date from the server (:meth:`KeywordIndex.sync`) when the server's revision changes.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Protocol

from qa.text.language import fold, stopwords

_WORD = re.compile(r"\w+", re.UNICODE)
_PREFIX = 6
VERSION = "fts5-1"  # recorded in the store's meta table as "keywords": the index is complete and of this kind

SCHEMA = """
CREATE TABLE IF NOT EXISTS keyword_chunks (
    rowid INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, article_id TEXT NOT NULL,
    lang TEXT, source TEXT, date_int INTEGER
);
CREATE INDEX IF NOT EXISTS keyword_chunks_article ON keyword_chunks(article_id);
CREATE VIRTUAL TABLE IF NOT EXISTS keyword_words USING fts5(words, tokenize = 'unicode61 remove_diacritics 0');
"""


def tokenize(text: str) -> list[str]:
    stop = stopwords()
    return [w[:_PREFIX] for w in _WORD.findall(fold(text).replace("'", " ").replace("’", " "))
            if w not in stop and (len(w) > 1 or w.isdigit())]


class ChunkRow(Protocol):
    """What the index needs of a chunk (a :class:`~qa.store.articles.StoredChunk` has it)."""

    id: str
    article_id: str
    title: str
    text: str
    lang: str | None
    source: str | None
    date: str | None


class KeywordIndex:
    """BM25 search over the chunks indexed in ``db`` (a connection the caller owns and commits)."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    @staticmethod
    def create(db: sqlite3.Connection) -> None:
        db.executescript(SCHEMA)

    def add(self, chunks: Iterable[ChunkRow]) -> int:
        """Index chunks (replacing any indexed under the same chunk id). The caller commits."""
        n = 0
        for c in chunks:
            self.db.execute("DELETE FROM keyword_words WHERE rowid = (SELECT rowid FROM keyword_chunks WHERE "
                            "chunk_id = ?)", (c.id,))
            self.db.execute("DELETE FROM keyword_chunks WHERE chunk_id = ?", (c.id,))
            cursor = self.db.execute(
                "INSERT INTO keyword_chunks(chunk_id, article_id, lang, source, date_int) VALUES (?,?,?,?,?)",
                (c.id, c.article_id, c.lang, c.source, _date_int(c.date)))
            self.db.execute("INSERT INTO keyword_words(rowid, words) VALUES (?, ?)",
                            (cursor.lastrowid, " ".join(tokenize(f"{c.title}\n{c.text}"))))
            n += 1
        return n

    def remove(self, article_ids: Sequence[str]) -> None:
        """Forget every chunk of these articles. The caller commits."""
        self._forget("article_id", article_ids)

    def remove_chunks(self, chunk_ids: Sequence[str]) -> None:
        """Forget these chunks. The caller commits."""
        self._forget("chunk_id", chunk_ids)

    def _forget(self, column: str, values: Sequence[str]) -> None:
        for begin in range(0, len(values), 500):
            part = list(values[begin:begin + 500])
            marks = ",".join("?" * len(part))
            self.db.execute(f"DELETE FROM keyword_words WHERE rowid IN (SELECT rowid FROM keyword_chunks WHERE "
                            f"{column} IN ({marks}))", part)
            self.db.execute(f"DELETE FROM keyword_chunks WHERE {column} IN ({marks})", part)

    def clear(self) -> None:
        self.db.execute("DELETE FROM keyword_words")
        self.db.execute("DELETE FROM keyword_chunks")

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM keyword_chunks").fetchone()[0]

    def indexed_articles(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT DISTINCT article_id FROM keyword_chunks")}

    def search(self, query: str, k: int, filters=None) -> list[tuple[str, float]]:
        """The ``k`` best chunk ids for ``query`` with their BM25 scores (higher is better). ``filters`` (a
        :class:`~qa.retrieval.search.Filters`) narrows the search to some articles, sources, languages or dates."""
        tokens = list(dict.fromkeys(tokenize(query)))
        if not tokens:
            return []
        match = " OR ".join(f'"{t}"' for t in tokens)
        sql = ("SELECT c.chunk_id, bm25(keyword_words) FROM keyword_words JOIN keyword_chunks c ON c.rowid = "
               "keyword_words.rowid WHERE keyword_words MATCH ?")
        params: list = [match]
        if filters is not None:
            for column, values in (("article_id", filters.article_ids), ("source", filters.sources),
                                   ("lang", filters.languages)):
                if values:
                    sql += f" AND c.{column} IN ({','.join('?' * len(values))})"
                    params.extend(values)
            if filters.date_from:
                sql += " AND c.date_int >= ?"
                params.append(_date_int(filters.date_from))
            if filters.date_to:
                sql += " AND c.date_int <= ?"
                params.append(_date_int(filters.date_to))
        sql += " ORDER BY bm25(keyword_words) LIMIT ?"
        params.append(k)
        return [(chunk_id, -score) for chunk_id, score in self.db.execute(sql, params)]


def _date_int(date: str | None) -> int | None:
    digits = (date or "").replace("-", "")[:8]
    return int(digits) if len(digits) == 8 and digits.isdigit() else None
