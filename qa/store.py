"""The persistent store: Chroma holds the chunks and their vectors, SQLite beside it holds the articles.

Layout of a store folder (``vectorstore/`` by default)::

    chroma.sqlite3 + segment folders   Chroma: one collection ``chunks`` (text, vector, metadata)
    articles.sqlite3                   article table (full text, hash), summaries, store metadata

Writes are ordered so that a run killed at any moment (``kill -9``) leaves a store that opens and a
re-run completes: an article's chunks are written to Chroma first and its row in ``articles`` is
committed last, so an article without its row is simply ingested again (its chunks replaced by id).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import inspect
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings
from pydantic import BaseModel

from qa.articles import Article
from qa.chunking import Chunk
from qa.embeddings import embedder_setting

log = logging.getLogger("qa.store")

COLLECTION = "chunks"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL, content_hash TEXT NOT NULL,
    source TEXT, url TEXT, date TEXT, lang TEXT, path TEXT,
    chunks INTEGER NOT NULL, ingested_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_hash ON articles(content_hash);
CREATE TABLE IF NOT EXISTS summaries (
    content_hash TEXT NOT NULL, style TEXT NOT NULL, language TEXT NOT NULL, model TEXT NOT NULL,
    article_id TEXT NOT NULL, summary TEXT NOT NULL, created_at REAL NOT NULL,
    PRIMARY KEY (content_hash, style, language, model)
);
"""


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
def _explained(store: Store):
    try:
        yield
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:
        better = explain(exc, getattr(store, "directory", Path(".")))
        if better is None or better is exc:
            raise
        raise better from exc


def _guard_public_methods(cls):
    for name, value in list(vars(cls).items()):
        if inspect.isfunction(value) and not name.startswith("__") or name == "__init__":
            setattr(cls, name, _guarded(value))
    return cls


class ArticleInfo(BaseModel):
    """What the store knows about an article, without its text."""

    id: str
    title: str
    source: str | None = None
    url: str | None = None
    date: str | None = None
    lang: str | None = None
    path: str | None = None
    chunks: int
    content_hash: str


class StoredChunk(BaseModel):
    """A chunk as found in the store, with everything needed to cite it."""

    id: str
    article_id: str
    title: str
    text: str
    source: str | None = None
    date: str | None = None
    lang: str | None = None
    url: str | None = None
    index: int = 0
    start: int = 0
    end: int = 0
    score: float = 0.0

    @classmethod
    def from_chroma(cls, chunk_id: str, text: str, meta: dict, score: float = 0.0) -> StoredChunk:
        return cls(id=chunk_id, text=text, score=score, article_id=meta["article_id"], title=meta.get("title", ""),
                   source=meta.get("source"), date=meta.get("date"), lang=meta.get("lang"), url=meta.get("url"),
                   index=meta.get("chunk_index", 0), start=meta.get("start", 0), end=meta.get("end", 0))


@_guard_public_methods
class Store:
    """Open (or create) the store in ``directory`` for the embedder called ``embedder``.

    Opening a store built by another embedder raises :class:`EmbedderMismatchError`: vectors of two
    models are never mixed in one collection. A store in a folder this process cannot write to (a
    read-only disk or mount) opens read-only: everything can be read, changes raise
    :class:`ReadOnlyStoreError`, and summaries are not cached. Chroma cannot open a read-only folder, so its
    files are then read from a temporary copy.
    """

    def __init__(self, directory: str | Path, embedder: str, *, create: bool = True, check_embedder: bool = True):
        self.directory = Path(directory).expanduser()
        self.embedder = embedder
        if not create and not (self.directory / "articles.sqlite3").exists():
            raise StoreError(f"No store at {self.directory}. Ingest articles first: python ingest.py --store "
                             f"{self.directory} PATH...")
        self.read_only = self.directory.is_dir() and not os.access(self.directory, os.W_OK)
        if not self.read_only:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"Cannot create the store folder {self.directory}: {exc.strerror}") from exc
        self._lock = threading.RLock()  # one writer at a time
        self._local = threading.local()  # one SQLite connection per thread: readers never wait for a writer
        self._connections: list[sqlite3.Connection] = []
        self._snapshot: tempfile.TemporaryDirectory | None = None
        if not self.read_only:
            self._db.execute("PRAGMA journal_mode=WAL")
            with self._db:
                self._db.executescript(SCHEMA)
        recorded = self.get_meta("embedder")
        if check_embedder and recorded and recorded != embedder:
            raise EmbedderMismatchError(
                f"The store at {self.directory} was built with the embedder '{recorded}', not '{embedder}'. "
                f"Either use the same embedder (QA_EMBEDDER={embedder_setting(recorded)}), or rebuild the store for the new one "
                f"with: python ingest.py --store {self.directory} --rebuild  (re-embeds every stored article)."
            )
        self._client = chromadb.PersistentClient(
            path=str(self._chroma_folder()), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        )
        self._collection = self._client.get_or_create_collection(
            COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}},
        )
        self.max_batch = self._client.get_max_batch_size()

    def _chroma_folder(self) -> Path:
        """Where Chroma opens the store: its folder, or a temporary copy of Chroma's files when it is read-only."""
        if not self.read_only:
            return self.directory
        copy = Path(self._temporary_folder()) / "chroma"
        shutil.copytree(self.directory, copy, ignore=shutil.ignore_patterns("articles.sqlite3*", "bm25*"))
        log.warning("The store %s is read-only: it is read from a temporary copy of its vectors; nothing will be "
                    "changed or cached.", self.directory)
        return copy

    def _read_only_articles(self, path: Path) -> sqlite3.Connection:
        """The article table of a read-only store. Without a write-ahead log beside it, the file holds
        everything: it is read in place as the unchanging file it is. With one (the store was copied while in
        use), SQLite cannot read the log without writing its index, so both are read from a temporary copy."""
        wal = Path(f"{path}-wal")
        if not (wal.exists() and wal.stat().st_size > 0):
            return sqlite3.connect(f"file:{quote(str(path))}?immutable=1", uri=True, check_same_thread=False)
        with self._lock:
            copy = Path(self._temporary_folder()) / path.name
            if not copy.exists():
                shutil.copy2(path, copy)
                shutil.copy2(wal, f"{copy}-wal")
        return sqlite3.connect(copy, check_same_thread=False)

    def _temporary_folder(self) -> str:
        if self._snapshot is None:
            self._snapshot = tempfile.TemporaryDirectory(prefix="newsdesk-readonly-")
        return self._snapshot.name

    def _writable(self) -> None:
        if self.read_only:
            raise ReadOnlyStoreError(
                f"The store at {self.directory} is read-only: it can be searched and read, not changed. Copy the "
                "folder somewhere writable to add or delete articles.")

    @property
    def _db(self) -> sqlite3.Connection:
        """This thread's connection to the article table (WAL mode: reads see the last committed write)."""
        db = getattr(self._local, "db", None)
        if db is None:
            path = self.directory / "articles.sqlite3"
            if self.read_only:
                db = self._read_only_articles(path)
            else:
                db = sqlite3.connect(path, check_same_thread=False, timeout=30)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    # ---------------------------------------------------------------- metadata
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                         (key, value))

    @property
    def generation(self) -> int:
        """Bumped at every change of the chunks: caches built on them (BM25) key on it."""
        return int(self.get_meta("generation") or 0)

    # ---------------------------------------------------------------- articles
    def get_article(self, article_id: str) -> Article | None:
        row = self._db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            return None
        return Article(**{k: row[k] for k in ("id", "title", "text", "source", "url", "date", "lang", "path")})

    def article_hash(self, article_id: str) -> str | None:
        row = self._db.execute("SELECT content_hash FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row[0] if row else None

    def find_by_hash(self, content_hash: str) -> str | None:
        row = self._db.execute("SELECT id FROM articles WHERE content_hash = ? LIMIT 1", (content_hash,)).fetchone()
        return row[0] if row else None

    def existing(self, article_ids: Iterable[str]) -> set[str]:
        """Which of these article ids are stored (committed): chunks written by an ingestion killed before
        its article's row was committed are not."""
        ids = list(article_ids)
        found: set[str] = set()
        for begin in range(0, len(ids), 500):
            part = ids[begin:begin + 500]
            rows = self._db.execute(f"SELECT id FROM articles WHERE id IN ({','.join('?' * len(part))})", part)
            found.update(row[0] for row in rows)
        return found

    def list_articles(self) -> list[ArticleInfo]:
        rows = self._db.execute(
            "SELECT id, title, source, url, date, lang, path, chunks, content_hash FROM articles "
            "ORDER BY date DESC, title").fetchall()
        return [ArticleInfo(**dict(row)) for row in rows]

    def iter_articles(self) -> Iterator[Article]:
        for (article_id,) in self._db.execute("SELECT id FROM articles ORDER BY rowid").fetchall():
            article = self.get_article(article_id)
            if article is not None:
                yield article

    def languages(self) -> dict[str, int]:
        """Article count per language, most common first."""
        rows = self._db.execute("SELECT lang, COUNT(*) FROM articles WHERE lang IS NOT NULL GROUP BY lang "
                                "ORDER BY COUNT(*) DESC").fetchall()
        return {row[0]: row[1] for row in rows}

    def count_articles(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def count_chunks(self) -> int:
        return self._collection.count()

    # ---------------------------------------------------------------- writes
    def write(self, items: Sequence[tuple[Article, list[Chunk], np.ndarray]]) -> int:
        """Replace the chunks of these articles by the given ones, then record the articles."""
        if not items:
            return 0
        self._writable()
        with self._lock:
            ids = [article.id for article, _, _ in items]
            self._collection.delete(where={"article_id": {"$in": ids}})
            rows_ids, rows_docs, rows_meta, vectors = [], [], [], []
            for article, chunks, embeddings in items:
                for chunk, vector in zip(chunks, embeddings, strict=True):
                    rows_ids.append(chunk.id)
                    rows_docs.append(chunk.text)
                    rows_meta.append(_chunk_metadata(article, chunk))
                    vectors.append(vector)
            for begin in range(0, len(rows_ids), self.max_batch):
                end = begin + self.max_batch
                self._collection.add(ids=rows_ids[begin:end], documents=rows_docs[begin:end],
                                     metadatas=rows_meta[begin:end], embeddings=np.asarray(vectors[begin:end]))
            now = time.time()
            with self._db:
                if self.get_meta("embedder") is None:
                    self._set_meta("embedder", self.embedder)
                self._db.executemany(
                    "INSERT INTO articles(id, title, text, content_hash, source, url, date, lang, path, chunks, ingested_at) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET title=excluded.title, "
                    "text=excluded.text, content_hash=excluded.content_hash, source=excluded.source, url=excluded.url, "
                    "date=excluded.date, lang=excluded.lang, path=excluded.path, chunks=excluded.chunks, "
                    "ingested_at=excluded.ingested_at",
                    [(a.id, a.title, a.text, a.content_hash, a.source, a.url, a.date, a.lang, a.path, len(c), now)
                     for a, c, _ in items],
                )
                self._set_meta("generation", str(self.generation + 1))
            return len(rows_ids)

    def delete(self, article_id: str) -> bool:
        """Remove an article, its chunks and its summaries. Returns False when it was not stored."""
        self._writable()
        with self._lock:
            self._collection.delete(where={"article_id": article_id})
            with self._db:
                found = self._db.execute("DELETE FROM articles WHERE id = ?", (article_id,)).rowcount > 0
                self._db.execute("DELETE FROM summaries WHERE article_id = ?", (article_id,))
                self._set_meta("generation", str(self.generation + 1))
            return found

    def reset_vectors(self, embedder: str) -> None:
        """Drop every chunk and vector (articles are kept) so the store can be rebuilt with another embedder."""
        self._writable()
        with self._lock:
            self._client.delete_collection(COLLECTION)
            self._collection = self._client.get_or_create_collection(
                COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}},
            )
            with self._db:
                self._set_meta("embedder", embedder)
                # marked as changed, so any later ingestion re-embeds them even if this rebuild is interrupted
                self._db.execute("UPDATE articles SET chunks = 0, content_hash = 'rebuild:' || content_hash "
                                 "WHERE content_hash NOT LIKE 'rebuild:%'")
                self._db.execute("DELETE FROM summaries")
                self._set_meta("generation", str(self.generation + 1))
            self.embedder = embedder

    # ---------------------------------------------------------------- reads
    def search(self, vector: np.ndarray, k: int, where: dict | None = None) -> list[StoredChunk]:
        """Nearest chunks by cosine similarity (score = 1 - cosine distance)."""
        if self.count_chunks() == 0:
            return []
        result = self._collection.query(query_embeddings=[np.asarray(vector, dtype=np.float32)],
                                        n_results=k, where=where or None,
                                        include=["documents", "metadatas", "distances"])
        return [StoredChunk.from_chroma(i, d, m, 1.0 - dist) for i, d, m, dist in
                zip(result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0])]

    def get_chunks(self, ids: Sequence[str] | None = None, where: dict | None = None) -> list[StoredChunk]:
        result = self._collection.get(ids=list(ids) if ids is not None else None, where=where or None,
                                      include=["documents", "metadatas"])
        return [StoredChunk.from_chroma(i, d, m) for i, d, m in
                zip(result["ids"], result["documents"], result["metadatas"])]

    def iter_all_chunks(self, page: int = 5000) -> Iterator[StoredChunk]:
        total = self.count_chunks()
        for offset in range(0, total, page):
            result = self._collection.get(limit=page, offset=offset, include=["documents", "metadatas"])
            for i, d, m in zip(result["ids"], result["documents"], result["metadatas"]):
                yield StoredChunk.from_chroma(i, d, m)

    def chunk_owners(self, page: int = 5000) -> dict[str, str]:
        """Every chunk id with the id of its article (metadata only: no text, no vectors)."""
        owners: dict[str, str] = {}
        for offset in range(0, self.count_chunks(), page):
            result = self._collection.get(limit=page, offset=offset, include=["metadatas"])
            owners.update({i: m.get("article_id", "") for i, m in zip(result["ids"], result["metadatas"])})
        return owners

    def chunk_counts(self) -> dict[str, int]:
        """Every stored article's id with the number of chunks recorded for it."""
        return {row[0]: row[1] for row in self._db.execute("SELECT id, chunks FROM articles")}

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        """Remove chunks by id (the repair of chunks whose article is not stored)."""
        self._writable()
        with self._lock:
            for begin in range(0, len(chunk_ids), self.max_batch):
                self._collection.delete(ids=list(chunk_ids[begin:begin + self.max_batch]))
            with self._db:
                self._set_meta("generation", str(self.generation + 1))

    def mark_changed(self, article_ids: Sequence[str]) -> None:
        """Mark articles as changed, so that the next ingestion of them (a rebuild, a repair) re-embeds them."""
        self._writable()
        with self._lock, self._db:
            self._db.executemany("UPDATE articles SET content_hash = 'rebuild:' || content_hash WHERE id = ? AND "
                                 "content_hash NOT LIKE 'rebuild:%'", [(i,) for i in article_ids])

    # ---------------------------------------------------------------- summaries
    def get_summary(self, content_hash: str, style: str, language: str, model: str) -> str | None:
        row = self._db.execute("SELECT summary FROM summaries WHERE content_hash=? AND style=? AND language=? AND model=?",
                               (content_hash, style, language, model)).fetchone()
        return row[0] if row else None

    def put_summary(self, article_id: str, content_hash: str, style: str, language: str, model: str, summary: str) -> None:
        """Cache a summary (skipped, with a warning, on a read-only store)."""
        if self.read_only:
            log.warning("read-only store: the summary of %s is not cached", article_id)
            return
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO summaries(content_hash, style, language, model, article_id, summary, created_at) "
                "VALUES (?,?,?,?,?,?,?)", (content_hash, style, language, model, article_id, summary, time.time()))

    def close(self) -> None:
        with self._lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
            self._local = threading.local()

    def stats(self) -> dict:
        return {"store": str(self.directory), "embedder": self.get_meta("embedder") or self.embedder,
                "articles": self.count_articles(), "chunks": self.count_chunks()}

    def __repr__(self) -> str:
        return f"Store({json.dumps(self.stats())})"


def _chunk_metadata(article: Article, chunk: Chunk) -> dict:
    meta = {
        "article_id": article.id, "title": article.title, "source": article.source, "url": article.url,
        "date": article.date, "date_int": article.date_int, "lang": article.lang,
        "chunk_index": chunk.index, "start": chunk.start, "end": chunk.end, "content_hash": article.content_hash,
    }
    return {k: v for k, v in meta.items() if v is not None}
