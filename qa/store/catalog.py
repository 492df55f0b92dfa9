"""The article table of a store: the articles' texts and metadata, their stories, cached summaries, the
store's own settings, and the keyword index. Two homes, one interface:

- :class:`LocalCatalog`: SQLite beside the embedded Chroma (``articles.sqlite3``), the keyword index in the
  same file and the same transactions;
- :class:`ServerCatalog`: collections on a Chroma server, where every app host sees them (``articles``,
  ``summaries``, ``meta``), with a local copy of the keyword index kept in step with the server's revision.

An article's row is written after its chunks: a row is the commit of an article (see :mod:`qa.store.store`).
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

from pydantic import BaseModel

from qa.store.articles import Article, StoredChunk
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
_INFO_COLUMNS = ("id", "title", "source", "url", "date", "lang", "path", "chunks", "content_hash", "story")


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


def _sorted(infos: list[ArticleInfo]) -> list[ArticleInfo]:
    """Newest first, then by title (the order of every article list)."""
    infos.sort(key=lambda a: a.title)
    infos.sort(key=lambda a: a.date or "", reverse=True)
    return infos


class _Connections:
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


class LocalCatalog:
    """The article table in SQLite (``articles.sqlite3``). One connection per thread (WAL: readers never wait
    for the writer). A store on a read-only folder is read in place, immutable (or from a temporary copy
    when a write-ahead log sits beside it); its keyword index, when missing, is built in memory."""

    def __init__(self, directory: Path, read_only: bool, scratch: callable):
        self.path = directory / "articles.sqlite3"
        self.read_only = read_only
        self._scratch = scratch  # a temporary folder, for the copy of a read-only store's table
        self._connections = _Connections(self._connect)
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
        rows = self.db.execute(f"SELECT {', '.join(_INFO_COLUMNS)} FROM articles ORDER BY date DESC, title")
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
            rows = self.db.execute(f"SELECT {', '.join(_INFO_COLUMNS)} FROM articles WHERE story IN ({marks}) OR "
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


# ====================================================================== on a Chroma server

_NO_VECTOR = [0.0]  # the catalog's collections hold records, not vectors: Chroma wants one per record
_PAGE = 2000
SYNC_MARGIN = 600.0  # seconds: a sync re-reads the changes stamped this long before the last one (slow writers,
# clocks of several hosts); what it re-reads unchanged costs a comparison of content hashes


class ServerCatalog:
    """The article table as collections of a Chroma server, seen alike by every app host:

    - ``articles``: one record per article (document: its text; metadata: title, source, url, date, lang, path,
      chunks, content_hash, ingested_at, story, and its story band keys as ``band_0``…);
    - ``summaries``: cached summaries, by a hash of (content hash, style, language, model);
    - ``deletions``: when each deleted article was deleted (for the keyword copies of other hosts);
    - ``meta``: the store's settings (embedder) and its ``revision``, a new random value at every change.

    The keyword index is a local copy (``keywords.sqlite3`` in the app's store folder), brought up to date at
    a search when the revision changed: only the articles stored or deleted since the last sync are read
    (by their ``ingested_at`` / ``deleted_at`` stamps); the first sync of a host reads them all.
    """

    def __init__(self, client, directory: Path, chunks_collection):
        self.client = client
        self.articles = client.get_or_create_collection("articles", embedding_function=None)
        self.summaries = client.get_or_create_collection("summaries", embedding_function=None)
        self.meta = client.get_or_create_collection("meta", embedding_function=None)
        self.deletions = client.get_or_create_collection("deletions", embedding_function=None)
        self.chunks = chunks_collection
        self.read_only = False
        self._cache: dict[str, tuple] = {}
        directory.mkdir(parents=True, exist_ok=True)
        self._index_path = directory / "keywords.sqlite3"
        self._lock = threading.Lock()
        self._connections = _Connections(self._connect)
        with self._index_db:
            self._index_db.executescript("CREATE TABLE IF NOT EXISTS indexed (article_id TEXT PRIMARY KEY, "
                                         "content_hash TEXT NOT NULL); CREATE TABLE IF NOT EXISTS state (key TEXT "
                                         "PRIMARY KEY, value TEXT)")
            KeywordIndex.create(self._index_db)

    @property
    def _index_db(self) -> sqlite3.Connection:
        return self._connections.get()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._index_path, check_same_thread=False, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def close(self) -> None:
        self._connections.close()

    # ------------------------------------------------------------ metadata
    def get_meta(self, key: str) -> str | None:
        found = self.meta.get(ids=[key], include=["documents"])
        return found["documents"][0] if found["ids"] else None

    def set_meta(self, key: str, value: str) -> None:
        self.meta.upsert(ids=[key], documents=[value], embeddings=[_NO_VECTOR])

    def _bump(self) -> None:
        self.set_meta("revision", uuid.uuid4().hex)

    # ------------------------------------------------------------ articles
    def get_article(self, article_id: str) -> Article | None:
        found = self.articles.get(ids=[article_id], include=["documents", "metadatas"])
        if not found["ids"]:
            return None
        meta = found["metadatas"][0]
        return Article(id=article_id, text=found["documents"][0],
                       **{k: meta.get(k) for k in ("source", "url", "date", "lang", "path")}, title=meta["title"])

    def article_hash(self, article_id: str) -> str | None:
        found = self.articles.get(ids=[article_id], include=["metadatas"])
        return found["metadatas"][0]["content_hash"] if found["ids"] else None

    def find_by_hash(self, content_hash: str) -> str | None:
        found = self.articles.get(where={"content_hash": content_hash}, limit=1, include=[])
        return found["ids"][0] if found["ids"] else None

    def existing(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for begin in range(0, len(ids), _PAGE):
            found.update(self.articles.get(ids=ids[begin:begin + _PAGE], include=[])["ids"])
        return found

    def _all_metadata(self, where: dict | None = None) -> Iterator[tuple[str, dict]]:
        offset = 0
        while True:
            page = self.articles.get(where=where, limit=_PAGE, offset=offset, include=["metadatas"])
            yield from zip(page["ids"], page["metadatas"])
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE

    @staticmethod
    def _info(article_id: str, meta: dict) -> ArticleInfo:
        return ArticleInfo(id=article_id, **{k: meta.get(k) for k in _INFO_COLUMNS if k not in ("id", "story")},
                           story=meta.get("story") or article_id)

    def _by_revision(self, name: str, compute: callable):
        """``compute()``, computed again only when the store changed (listing every article takes seconds
        at archive size; the revision is one small read)."""
        revision = self.get_meta("revision")
        cached = self._cache.get(name)
        if cached is None or cached[0] != revision:
            cached = self._cache[name] = (revision, compute())
        return cached[1]

    def list_articles(self) -> list[ArticleInfo]:
        infos = self._by_revision("articles", lambda: _sorted([self._info(i, m) for i, m in self._all_metadata()]))
        return list(infos)

    def article_ids(self) -> list[str]:
        rows = sorted(self._all_metadata(), key=lambda row: row[1].get("ingested_at", 0))
        return [i for i, _ in rows]

    def languages(self) -> dict[str, int]:
        def count() -> dict[str, int]:
            counts: dict[str, int] = {}
            for info in self.list_articles():
                if info.lang:
                    counts[info.lang] = counts.get(info.lang, 0) + 1
            return dict(sorted(counts.items(), key=lambda kv: -kv[1]))
        return dict(self._by_revision("languages", count))

    def count(self) -> int:
        return self.articles.count()

    def chunk_counts(self) -> dict[str, int]:
        return {i: m.get("chunks", 0) for i, m in self._all_metadata()}

    def story_candidates(self, bands: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        clauses = [{f"band_{b.split(':', 1)[0]}": b} for b in dict.fromkeys(bands)]
        for begin in range(0, len(clauses), 64):
            part = clauses[begin:begin + 64]
            found = self.articles.get(where=part[0] if len(part) == 1 else {"$or": part}, include=["metadatas"])
            out.update({i: m.get("story") or i for i, m in zip(found["ids"], found["metadatas"])})
        return out

    def stories_of(self, article_ids: Sequence[str]) -> dict[str, StoryKey]:
        out: dict[str, StoryKey] = {}
        for begin in range(0, len(article_ids), _PAGE):
            found = self.articles.get(ids=list(article_ids[begin:begin + _PAGE]), include=["metadatas"])
            for i, meta in zip(found["ids"], found["metadatas"]):
                bands = sorted(v for k, v in meta.items() if k.startswith("band_"))
                out[i] = StoryKey(meta.get("story") or i, tuple(bands))
        return out

    def story_members(self, story_ids: Sequence[str]) -> dict[str, list[ArticleInfo]]:
        out: dict[str, list[ArticleInfo]] = {}
        ids = list(dict.fromkeys(story_ids))
        for begin in range(0, len(ids), _PAGE):
            part = ids[begin:begin + _PAGE]
            found = self.articles.get(where={"story": {"$in": part}}, include=["metadatas"])
            rows = sorted(zip(found["ids"], found["metadatas"]), key=lambda row: row[1].get("ingested_at", 0))
            for i, meta in rows:
                info = self._info(i, meta)
                out.setdefault(info.story, []).append(info)
        return out

    # ------------------------------------------------------------ writes
    def commit(self, written: Sequence[Written], embedder: str) -> None:
        if self.get_meta("embedder") is None:
            self.set_meta("embedder", embedder)
        now = time.time()
        ids, docs, metas = [], [], []
        for order, (a, chunks, story) in enumerate(written):
            meta = {"title": a.title, "content_hash": a.content_hash, "source": a.source, "url": a.url,
                    "date": a.date, "lang": a.lang, "path": a.path, "chunks": len(chunks),
                    "ingested_at": now + order * 1e-6, "story": story.story}
            meta.update({f"band_{b.split(':', 1)[0]}": b for b in story.bands})
            ids.append(a.id)
            docs.append(a.text)
            metas.append({k: v for k, v in meta.items() if v is not None})
        self.articles.upsert(ids=ids, documents=docs, metadatas=metas, embeddings=[_NO_VECTOR] * len(ids))
        self.deletions.delete(ids=ids)
        self._bump()

    def remove(self, article_id: str) -> bool:
        found = bool(self.articles.get(ids=[article_id], include=[])["ids"])
        self.articles.delete(ids=[article_id])
        self.summaries.delete(where={"article_id": article_id})
        self.deletions.upsert(ids=[article_id], metadatas=[{"deleted_at": time.time()}], embeddings=[_NO_VECTOR])
        self._bump()
        return found

    def reset(self, embedder: str) -> None:
        self.set_meta("embedder", embedder)
        self._update_all(lambda meta: {**meta, "chunks": 0, "content_hash": "rebuild:" + meta["content_hash"]}
                         if not meta["content_hash"].startswith("rebuild:") else None)
        for offset in range(0, self.summaries.count(), _PAGE):
            self.summaries.delete(ids=self.summaries.get(limit=_PAGE, include=[])["ids"])
        self._bump()

    def mark_changed(self, article_ids: Sequence[str]) -> None:
        wanted = set(article_ids)
        self._update_all(lambda meta: {**meta, "content_hash": "rebuild:" + meta["content_hash"]}
                         if not meta["content_hash"].startswith("rebuild:") else None, wanted)
        self._bump()

    def _update_all(self, change, only: set[str] | None = None) -> None:
        updates = [(i, m) for i, m in self._all_metadata() if only is None or i in only]
        for begin in range(0, len(updates), _PAGE):
            part = [(i, change(m)) for i, m in updates[begin:begin + _PAGE]]
            part = [(i, m) for i, m in part if m is not None]
            if part:
                self.articles.update(ids=[i for i, _ in part], metadatas=[m for _, m in part])

    def chunks_removed(self, chunk_ids: Sequence[str]) -> None:
        self._bump()

    # ------------------------------------------------------------ keyword index (a local copy)
    def keywords(self, all_chunks: callable) -> KeywordIndex:
        """The local keyword index, first brought up to date with the server when its revision changed."""
        revision = self.get_meta("revision") or ""
        db = self._index_db
        seen = db.execute("SELECT value FROM state WHERE key = 'revision'").fetchone()
        if seen is None or seen[0] != revision:
            with self._lock:
                self.sync(revision)
        return KeywordIndex(db)

    def sync(self, revision: str) -> tuple[int, int]:
        """Index the articles stored on the server since the last sync, forget those deleted (the first sync
        of this copy: every article). Returns (articles indexed, articles forgotten)."""
        db = self._index_db
        started = time.time()
        cursor = db.execute("SELECT value FROM state WHERE key = 'cursor'").fetchone()
        if cursor is None:  # a new copy: all of it
            server = {i: m["content_hash"] for i, m in self._all_metadata()}
            local = dict(db.execute("SELECT article_id, content_hash FROM indexed"))
            gone = [i for i, h in local.items() if server.get(i) != h]
        else:
            since = float(cursor[0]) - SYNC_MARGIN
            server = {i: m["content_hash"] for i, m in self._all_metadata({"ingested_at": {"$gte": since}})}
            deleted = self.deletions.get(where={"deleted_at": {"$gte": since}}, include=[])["ids"]
            asked = [*server, *deleted]
            local = {}
            for begin in range(0, len(asked), 500):
                part = asked[begin:begin + 500]
                local.update(db.execute(f"SELECT article_id, content_hash FROM indexed WHERE article_id IN "
                                        f"({','.join('?' * len(part))})", part))
            gone = [i for i in deleted if i in local and i not in server]
            gone += [i for i, h in server.items() if h.startswith("rebuild:") and i in local]
        fresh = [i for i, h in server.items() if local.get(i) != h and not h.startswith("rebuild:")]
        index = KeywordIndex(db)
        with db:
            index.remove(gone)
            db.executemany("DELETE FROM indexed WHERE article_id = ?", [(i,) for i in gone])
        for begin in range(0, len(fresh), 200):
            part = fresh[begin:begin + 200]
            found = self.chunks.get(where={"article_id": {"$in": part}}, include=["documents", "metadatas"])
            with db:
                index.remove(part)
                index.add(StoredChunk.from_chroma(i, d, m) for i, d, m in
                          zip(found["ids"], found["documents"], found["metadatas"]))
                db.executemany("INSERT OR REPLACE INTO indexed(article_id, content_hash) VALUES (?, ?)",
                               [(i, server[i]) for i in part])
        with db:
            db.executemany("INSERT OR REPLACE INTO state(key, value) VALUES (?, ?)",
                           [("revision", revision), ("cursor", repr(started))])
        return len(fresh), len(gone)

    def keyword_count(self) -> int | None:
        seen = self._index_db.execute("SELECT value FROM state WHERE key = 'revision'").fetchone()
        return KeywordIndex(self._index_db).count() if seen else None

    def rebuild_keywords(self, all_chunks: callable) -> int:
        db = self._index_db
        with db:
            KeywordIndex(db).clear()
            db.execute("DELETE FROM indexed")
            db.execute("DELETE FROM state")
        self.sync(self.get_meta("revision") or "")
        return KeywordIndex(db).count()

    # ------------------------------------------------------------ summaries
    @staticmethod
    def _summary_id(content_hash: str, style: str, language: str, model: str) -> str:
        return hashlib.sha256("\x1f".join((content_hash, style, language, model)).encode()).hexdigest()[:32]

    def get_summary(self, content_hash: str, style: str, language: str, model: str) -> str | None:
        found = self.summaries.get(ids=[self._summary_id(content_hash, style, language, model)], include=["documents"])
        return found["documents"][0] if found["ids"] else None

    def put_summary(self, article_id: str, content_hash: str, style: str, language: str, model: str,
                    summary: str) -> None:
        self.summaries.upsert(ids=[self._summary_id(content_hash, style, language, model)], documents=[summary],
                              embeddings=[_NO_VECTOR],
                              metadatas=[{"article_id": article_id, "content_hash": content_hash, "style": style,
                                          "language": language, "model": model, "created_at": time.time()}])
