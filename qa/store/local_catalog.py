"""The article table of an embedded store in SQLite (``articles.sqlite3``), beside Chroma's files: the articles,
their story bands, cached summaries, the store's settings, and the keyword index in the same file and the same
transactions (see :mod:`qa.store.catalog`)."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from qa.store.articles import Article
from qa.store.catalog import INFO_COLUMNS, ArticleInfo, Connections, StoryKey, Written
from qa.store.keyword import VERSION as KEYWORD_VERSION
from qa.store.keyword import KeywordIndex

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL, content_hash TEXT NOT NULL,
    source TEXT, url TEXT, date TEXT, lang TEXT, path TEXT,
    chunks INTEGER NOT NULL, ingested_at REAL NOT NULL, story TEXT
);
CREATE INDEX IF NOT EXISTS articles_hash ON articles(content_hash);
CREATE TABLE IF NOT EXISTS summaries (
    content_hash TEXT NOT NULL, style TEXT NOT NULL, language TEXT NOT NULL, model TEXT NOT NULL,
    article_id TEXT NOT NULL, summary TEXT NOT NULL, created_at REAL NOT NULL,
    PRIMARY KEY (content_hash, style, language, model)
);
CREATE TABLE IF NOT EXISTS story_bands (band TEXT NOT NULL, article_id TEXT NOT NULL, PRIMARY KEY (band, article_id))
    WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS story_bands_article ON story_bands(article_id);
"""


class LocalCatalog:
    """The article table in SQLite (``articles.sqlite3``). One connection per thread (WAL: readers never wait
    for the writer). A store on a read-only folder is read in place, immutable (or from a temporary copy
    when a write-ahead log sits beside it); its keyword index, when missing, is built in memory."""

    def __init__(self, directory: Path, read_only: bool, scratch: callable):
        self.path = directory / "articles.sqlite3"
        self.read_only = read_only
        self._scratch = scratch  # a temporary folder, for the copy of a read-only store's table
        self._connections = Connections(self._connect)
        self._lock = threading.Lock()
        self._memory_index: KeywordIndex | None = None
        if not read_only:
            self.db.execute("PRAGMA journal_mode=WAL")
            with self.db:
                self.db.executescript(SCHEMA)
                columns = {row[1] for row in self.db.execute("PRAGMA table_info(articles)")}
                if "story" not in columns:  # a store made before stories
                    self.db.execute("ALTER TABLE articles ADD COLUMN story TEXT")
                KeywordIndex.create(self.db)
                if self.get_meta("keywords") is None and self.count() == 0:  # a new store: its index is complete
                    self._set_meta("keywords", KEYWORD_VERSION)

    # ------------------------------------------------------------ connections
    @property
    def db(self) -> sqlite3.Connection:
        return self._connections.get()

    def _connect(self) -> sqlite3.Connection:
        db = self._read_only_connection() if self.read_only else sqlite3.connect(
            self.path, check_same_thread=False, timeout=30)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def _read_only_connection(self) -> sqlite3.Connection:
        """Without a write-ahead log beside it, the file holds everything: it is read in place as the unchanging
        file it is. With one (the store was copied while in use), SQLite cannot read the log without writing
        its index, so both are read from a temporary copy."""
        wal = Path(f"{self.path}-wal")
        if not (wal.exists() and wal.stat().st_size > 0):
            return sqlite3.connect(f"file:{quote(str(self.path))}?immutable=1", uri=True, check_same_thread=False)
        with self._lock:
            copy = Path(self._scratch()) / self.path.name
            if not copy.exists():
                shutil.copy2(self.path, copy)
                shutil.copy2(wal, f"{copy}-wal")
        return sqlite3.connect(copy, check_same_thread=False)

    def close(self) -> None:
        self._connections.close()

    # ------------------------------------------------------------ metadata
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                        "excluded.value", (key, value))

    def set_meta(self, key: str, value: str) -> None:
        with self.db:
            self._set_meta(key, value)

    # ------------------------------------------------------------ articles
    def get_article(self, article_id: str) -> Article | None:
        row = self.db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            return None
        return Article(**{k: row[k] for k in ("id", "title", "text", "source", "url", "date", "lang", "path")})

    def article_hash(self, article_id: str) -> str | None:
        row = self.db.execute("SELECT content_hash FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row[0] if row else None

    def find_by_hash(self, content_hash: str) -> str | None:
        row = self.db.execute("SELECT id FROM articles WHERE content_hash = ? LIMIT 1", (content_hash,)).fetchone()
        return row[0] if row else None

    def existing(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for begin in range(0, len(ids), 500):
            part = ids[begin:begin + 500]
            rows = self.db.execute(f"SELECT id FROM articles WHERE id IN ({','.join('?' * len(part))})", part)
            found.update(row[0] for row in rows)
        return found

    def list_articles(self) -> list[ArticleInfo]:
        rows = self.db.execute(f"SELECT {', '.join(INFO_COLUMNS)} FROM articles ORDER BY date DESC, title")
        return [ArticleInfo(**{k: v for k, v in dict(row).items() if v is not None or k != "story"}) for row in rows]

    def article_ids(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT id FROM articles ORDER BY rowid")]

    def languages(self) -> dict[str, int]:
        rows = self.db.execute("SELECT lang, COUNT(*) FROM articles WHERE lang IS NOT NULL GROUP BY lang "
                               "ORDER BY COUNT(*) DESC")
        return {row[0]: row[1] for row in rows}

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def chunk_counts(self) -> dict[str, int]:
        return {row[0]: row[1] for row in self.db.execute("SELECT id, chunks FROM articles")}

    def story_candidates(self, bands: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        bands = list(dict.fromkeys(bands))
        for begin in range(0, len(bands), 500):
            part = bands[begin:begin + 500]
            rows = self.db.execute(
                f"SELECT DISTINCT a.id, coalesce(a.story, a.id) FROM story_bands b JOIN articles a ON a.id = "
                f"b.article_id WHERE b.band IN ({','.join('?' * len(part))})", part)
            out.update({row[0]: row[1] for row in rows})
        return out

    def stories_of(self, article_ids: Sequence[str]) -> dict[str, StoryKey]:
        out: dict[str, StoryKey] = {}
        for begin in range(0, len(article_ids), 500):
            part = list(article_ids[begin:begin + 500])
            marks = ",".join("?" * len(part))
            bands: dict[str, list[str]] = {}
            for band, article_id in self.db.execute(f"SELECT band, article_id FROM story_bands WHERE article_id IN "
                                                    f"({marks}) ORDER BY band", part):
                bands.setdefault(article_id, []).append(band)
            for article_id, story in self.db.execute(f"SELECT id, coalesce(story, id) FROM articles WHERE id IN "
                                                     f"({marks})", part):
                out[article_id] = StoryKey(story, tuple(bands.get(article_id, ())))
        return out

    def story_members(self, story_ids: Sequence[str]) -> dict[str, list[ArticleInfo]]:
        out: dict[str, list[ArticleInfo]] = {}
        ids = list(dict.fromkeys(story_ids))
        for begin in range(0, len(ids), 500):
            part = ids[begin:begin + 500]
            marks = ",".join("?" * len(part))
            rows = self.db.execute(f"SELECT {', '.join(INFO_COLUMNS)} FROM articles WHERE story IN ({marks}) OR "
                                   f"(story IS NULL AND id IN ({marks})) ORDER BY ingested_at, rowid", part + part)
            for row in rows:
                info = ArticleInfo(**{k: v for k, v in dict(row).items() if v is not None or k != "story"})
                out.setdefault(info.story, []).append(info)
        return out

    # ------------------------------------------------------------ writes (one transaction each)
    def commit(self, written: Sequence[Written], embedder: str) -> None:
        now = time.time()
        ids = [w.article.id for w in written]
        with self.db:
            if self.get_meta("embedder") is None:
                self._set_meta("embedder", embedder)
            self.db.executemany(
                "INSERT INTO articles(id, title, text, content_hash, source, url, date, lang, path, chunks, "
                "ingested_at, story) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                "title=excluded.title, text=excluded.text, content_hash=excluded.content_hash, source=excluded.source, "
                "url=excluded.url, date=excluded.date, lang=excluded.lang, path=excluded.path, chunks=excluded.chunks, "
                "ingested_at=excluded.ingested_at, story=excluded.story",
                [(a.id, a.title, a.text, a.content_hash, a.source, a.url, a.date, a.lang, a.path, len(c), now,
                  s.story if s.story != a.id else None) for a, c, s in written])
            self._forget_bands(ids)
            self.db.executemany("INSERT OR IGNORE INTO story_bands(band, article_id) VALUES (?, ?)",
                                [(band, w.article.id) for w in written for band in w.story.bands])
            index = KeywordIndex(self.db)
            index.remove(ids)
            index.add(chunk for w in written for chunk in w.chunks)
            self._bump()

    def remove(self, article_id: str) -> bool:
        with self.db:
            found = self.db.execute("DELETE FROM articles WHERE id = ?", (article_id,)).rowcount > 0
            self.db.execute("DELETE FROM summaries WHERE article_id = ?", (article_id,))
            self._forget_bands([article_id])
            KeywordIndex(self.db).remove([article_id])
            self._bump()
        return found

    def _forget_bands(self, ids: list[str]) -> None:
        self.db.executemany("DELETE FROM story_bands WHERE article_id = ?", [(i,) for i in ids])

    def _bump(self) -> None:
        self._set_meta("generation", str(int(self.get_meta("generation") or 0) + 1))

    def reset(self, embedder: str) -> None:
        """Every article marked as changed, its chunks and summaries dropped (a rebuild for another embedder)."""
        with self.db:
            self._set_meta("embedder", embedder)
            # marked as changed, so any later ingestion re-embeds them even if this rebuild is interrupted
            self.db.execute("UPDATE articles SET chunks = 0, content_hash = 'rebuild:' || content_hash "
                            "WHERE content_hash NOT LIKE 'rebuild:%'")
            self.db.execute("DELETE FROM summaries")
            KeywordIndex(self.db).clear()
            self._bump()

    def mark_changed(self, article_ids: Sequence[str]) -> None:
        with self.db:
            self.db.executemany("UPDATE articles SET content_hash = 'rebuild:' || content_hash WHERE id = ? AND "
                                "content_hash NOT LIKE 'rebuild:%'", [(i,) for i in article_ids])

    def chunks_removed(self, chunk_ids: Sequence[str]) -> None:
        with self.db:
            KeywordIndex(self.db).remove_chunks(list(chunk_ids))
            self._bump()

    # ------------------------------------------------------------ keyword index
    def keywords(self, all_chunks: callable) -> KeywordIndex:
        """The keyword index, complete. A store made before this index (or by a crash in its first build) gets
        it built once from its chunks (``all_chunks()``, StoredChunks)."""
        if self.get_meta("keywords") == KEYWORD_VERSION:
            return KeywordIndex(self.db)
        if self.read_only:
            with self._lock:
                if self._memory_index is None:
                    memory = sqlite3.connect(":memory:", check_same_thread=False)
                    KeywordIndex.create(memory)
                    KeywordIndex(memory).add(all_chunks())
                    self._memory_index = KeywordIndex(memory)
            return self._memory_index
        self.rebuild_keywords(all_chunks)
        return KeywordIndex(self.db)

    def keyword_count(self) -> int | None:
        if self.get_meta("keywords") != KEYWORD_VERSION:
            return None
        return KeywordIndex(self.db).count()

    def rebuild_keywords(self, all_chunks: callable) -> int:
        with self.db:
            index = KeywordIndex(self.db)
            index.clear()
            n = index.add(all_chunks())
            self._set_meta("keywords", KEYWORD_VERSION)
        return n

    # ------------------------------------------------------------ summaries
    def get_summary(self, content_hash: str, style: str, language: str, model: str) -> str | None:
        row = self.db.execute("SELECT summary FROM summaries WHERE content_hash=? AND style=? AND language=? AND "
                              "model=?", (content_hash, style, language, model)).fetchone()
        return row[0] if row else None

    def put_summary(self, article_id: str, content_hash: str, style: str, language: str, model: str,
                    summary: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO summaries(content_hash, style, language, model, article_id, "
                            "summary, created_at) VALUES (?,?,?,?,?,?,?)",
                            (content_hash, style, language, model, article_id, summary, time.time()))
