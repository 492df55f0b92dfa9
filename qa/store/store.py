"""The persistent store: Chroma holds the chunks and their vectors, the catalog (:mod:`qa.store.catalog`) the
articles, their stories, summaries and the keyword index.

Layout of an embedded store folder (``vectorstore/`` by default)::

    chroma.sqlite3 + segment folders   Chroma: one collection ``chunks`` (text, vector, metadata)
    articles.sqlite3                   article table (full text, hash, story), summaries, store metadata,
                                       keyword index (FTS5)

With a Chroma server (``QA_CHROMA_URL``), all of it lives on the server (collections ``chunks``,
``articles``, ``summaries``, ``meta``); the folder then only holds a local copy of the keyword index.

Writes are ordered so that a run killed at any moment (``kill -9``) leaves a store that opens and a
re-run completes: an article's chunks are written to Chroma first and its row in ``articles`` is
committed last, so an article without its row is simply ingested again (its chunks replaced by id).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from qa.models.embeddings import embedder_setting
from qa.store.articles import Article, Chunk, StoredChunk
from qa.store.catalog import ArticleInfo, StoryKey, Written
from qa.store.chroma import COLLECTION, chroma_client, chunk_metadata
from qa.store.errors import (QUICK_CHECK_BYTES, DiskFullError, EmbedderMismatchError, ReadOnlyStoreError,
                             StoreDamagedError, StoreError, explain, guard_public_methods, quick_check)
from qa.store.local_catalog import LocalCatalog
from qa.store.server_catalog import ServerCatalog

log = logging.getLogger("qa.store.store")


@guard_public_methods
class Store:
    """Open (or create) the store in ``directory`` for the embedder called ``embedder``; with ``server``
    (``http://host:port``), the store on that Chroma server (``directory`` then holds a local copy of the
    keyword index only).

    Opening a store built by another embedder raises :class:`EmbedderMismatchError`: vectors of two
    models are never mixed in one collection. A store in a folder this process cannot write to (a
    read-only disk or mount) opens read-only: everything can be read, changes raise
    :class:`ReadOnlyStoreError`, and summaries are not cached. Chroma cannot open a read-only folder, so its
    files are then read from a temporary copy.
    """

    def __init__(self, directory: str | Path, embedder: str, *, create: bool = True, check_embedder: bool = True,
                 server: str | None = None):
        self.directory = Path(directory).expanduser()
        self.embedder = embedder
        self.server = server or None
        self.read_only = False
        self._lock = threading.RLock()  # one writer at a time (in this process)
        self._snapshot: tempfile.TemporaryDirectory | None = None
        self._checked = False  # quick_check done before this process's first change
        self.disk_full = False  # opened for reading only because the disk is full
        if self.server:
            self._client = chroma_client(self.server)
            if not create and COLLECTION not in {c.name for c in self._client.list_collections()}:
                raise StoreError(f"No store on the Chroma server {self.server}. Ingest articles first: python "
                                 f"ingest.py --chroma-url {self.server} PATH...")
        else:
            if not create and not (self.directory / "articles.sqlite3").exists():
                raise StoreError(f"No store at {self.directory}. Ingest articles first: python ingest.py --store "
                                 f"{self.directory} PATH...")
            self.read_only = self.directory.is_dir() and not os.access(self.directory, os.W_OK)
            if not self.read_only:
                try:
                    self.directory.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(f"Cannot create the store folder {self.directory}: {exc.strerror}") from exc
            try:
                self._open_local()
            except Exception as exc:
                # a full disk: opening for writing fails (SQLite's and Chroma's side files cannot be made), yet the
                # store can still be read as a read-only one; a change then says the disk is full
                if self.read_only or not (self.directory / "articles.sqlite3").exists() or not isinstance(
                        explain(exc, self.directory), DiskFullError):
                    raise
                with contextlib.suppress(Exception):
                    self.catalog.close()
                self.read_only = self.disk_full = True
                log.warning("The disk holding the store %s is full: it is opened for reading only.", self.directory)
                self._open_local()
        if self.server:
            self._collection = self._client.get_or_create_collection(
                COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}},
            )
            self.catalog = ServerCatalog(self._client, self.directory, self._collection)
        recorded = self.get_meta("embedder")
        if check_embedder and recorded and recorded != embedder:
            raise EmbedderMismatchError(
                f"The store at {self.location} was built with the embedder '{recorded}', not '{embedder}'. "
                f"Either use the same embedder (QA_EMBEDDER={embedder_setting(recorded)}), or rebuild the store for "
                f"the new one with: python ingest.py {self.option} --rebuild  (re-embeds every stored article)."
            )
        self.max_batch = self._client.get_max_batch_size()

    def _open_local(self) -> None:
        self.catalog = LocalCatalog(self.directory, self.read_only, self._temporary_folder)
        self._client = chromadb.PersistentClient(
            path=str(self._chroma_folder()), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False))
        self._collection = self._client.get_or_create_collection(
            COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}},
        )

    @property
    def location(self) -> str:
        """Where the store is, as a person reads it: its folder, or its Chroma server."""
        return f"the Chroma server {self.server}" if self.server else str(self.directory)

    @property
    def option(self) -> str:
        """The command-line option that names this store (``--store DIR`` or ``--chroma-url URL``)."""
        return f"--chroma-url {self.server}" if self.server else f"--store {self.directory}"

    def _chroma_folder(self) -> Path:
        """Where Chroma opens the store: its folder, or a temporary copy of Chroma's files when it is read-only."""
        if not self.read_only:
            return self.directory
        copy = Path(self._temporary_folder()) / "chroma"
        shutil.copytree(self.directory, copy, ignore=shutil.ignore_patterns("articles.sqlite3*", "bm25*",
                                                                            "keywords.sqlite3*"))
        if not self.disk_full:
            log.warning("The store %s is read-only: it is read from a temporary copy of its vectors; nothing will be "
                        "changed or cached.", self.directory)
        return copy

    def _temporary_folder(self) -> str:
        if self._snapshot is None:
            self._snapshot = tempfile.TemporaryDirectory(prefix="newsdesk-readonly-")
        return self._snapshot.name

    def check_writable(self) -> None:
        """Raise the error a change would meet (a read-only store, a full disk, a damaged file) before any work is
        done for it (reading and embedding articles)."""
        self._writable()

    def _writable(self) -> None:
        if self.disk_full:
            raise DiskFullError(
                f"The disk holding the store {self.directory} is full: nothing more could be written. Free some space "
                "and run the same command again; what was stored before is kept.")
        if self.read_only:
            raise ReadOnlyStoreError(
                f"The store at {self.directory} is read-only: it can be searched and read, not changed. Copy the "
                "folder somewhere writable to add or delete articles.")
        if not self._checked:
            self._check_before_writing()

    def _check_before_writing(self) -> None:
        """Before the first change this process makes to an embedded store: SQLite's ``quick_check`` of both its
        database files (beyond :data:`QUICK_CHECK_BYTES`, of their small settings table), so that nothing is written
        into a damaged file (which would spread the damage and hide it). Raises :class:`StoreDamagedError`."""
        if self.server:
            self._checked = True
            return
        for name, table in (("articles.sqlite3", "meta"), ("chroma.sqlite3", "collections")):
            path = self.directory / name
            if not path.exists():
                continue
            problem = quick_check(path, None if path.stat().st_size <= QUICK_CHECK_BYTES else table)
            if problem:
                raise StoreDamagedError(
                    f"The store at {self.directory} is damaged ({name}: {problem}): nothing was changed. Check it "
                    f"with: python -m qa doctor --store {self.directory}  (add --repair to rebuild what can be "
                    "rebuilt from the article texts).")
        self._checked = True

    # ---------------------------------------------------------------- metadata
    def get_meta(self, key: str) -> str | None:
        return self.catalog.get_meta(key)

    # ---------------------------------------------------------------- articles
    def get_article(self, article_id: str) -> Article | None:
        return self.catalog.get_article(article_id)

    def article_hash(self, article_id: str) -> str | None:
        return self.catalog.article_hash(article_id)

    def find_by_hash(self, content_hash: str) -> str | None:
        return self.catalog.find_by_hash(content_hash)

    def existing(self, article_ids: Iterable[str]) -> set[str]:
        """Which of these article ids are stored (committed): chunks written by an ingestion killed before
        its article's row was committed are not."""
        return self.catalog.existing(list(article_ids))

    def list_articles(self) -> list[ArticleInfo]:
        """Every stored article, newest first."""
        return self.catalog.list_articles()

    def iter_articles(self) -> Iterator[Article]:
        for article_id in self.catalog.article_ids():
            article = self.get_article(article_id)
            if article is not None:
                yield article

    def languages(self) -> dict[str, int]:
        """Article count per language, most common first."""
        return self.catalog.languages()

    def count_articles(self) -> int:
        return self.catalog.count()

    def count_chunks(self) -> int:
        return self._collection.count()

    def story_candidates(self, bands: Sequence[str]) -> dict[str, str]:
        """The stored articles sharing at least one of these MinHash band keys, with their story ids."""
        return self.catalog.story_candidates(bands) if bands else {}

    def stories_of(self, article_ids: Sequence[str]) -> dict[str, StoryKey]:
        """These articles' stories with their band keys, by article id."""
        return self.catalog.stories_of(list(article_ids)) if article_ids else {}

    def story_members(self, story_ids: Sequence[str]) -> dict[str, list[ArticleInfo]]:
        """The articles of each of these stories, in the order they were stored."""
        return self.catalog.story_members(story_ids) if story_ids else {}

    # ---------------------------------------------------------------- writes
    def write(self, items: Sequence[tuple[Article, list[Chunk], np.ndarray]],
              stories: dict[str, StoryKey] | None = None) -> int:
        """Replace the chunks of these articles by the given ones, then record the articles (with their story,
        by article id in ``stories``: its own when not given) and index their words."""
        if not items:
            return 0
        self._writable()
        stories = stories or {}
        with self._lock:
            ids = [article.id for article, _, _ in items]
            self._collection.delete(where={"article_id": {"$in": ids}})
            rows_ids, rows_docs, rows_meta, vectors, written = [], [], [], [], []
            for article, chunks, embeddings in items:
                story = stories.get(article.id) or StoryKey(article.id)
                stored = []
                for chunk, vector in zip(chunks, embeddings, strict=True):
                    meta = chunk_metadata(article, chunk, story.story)
                    rows_ids.append(chunk.id)
                    rows_docs.append(chunk.text)
                    rows_meta.append(meta)
                    vectors.append(vector)
                    stored.append(StoredChunk.from_chroma(chunk.id, chunk.text, meta))
                written.append(Written(article, stored, story))
            for begin in range(0, len(rows_ids), self.max_batch):
                end = begin + self.max_batch
                self._collection.add(ids=rows_ids[begin:end], documents=rows_docs[begin:end],
                                     metadatas=rows_meta[begin:end], embeddings=np.asarray(vectors[begin:end]))
            self.catalog.commit(written, self.embedder)
            return len(rows_ids)

    def recommit(self, items: Sequence[tuple[Article, list[StoredChunk], StoryKey]]) -> None:
        """Record articles whose chunks and vectors are already in Chroma (a repair putting back the rows lost from
        a damaged article table): only their rows and keyword entries are written."""
        if not items:
            return
        self._writable()
        with self._lock:
            self.catalog.commit([Written(article, chunks, story) for article, chunks, story in items], self.embedder)

    def delete(self, article_id: str) -> bool:
        """Remove an article, its chunks and its summaries. Returns False when it was not stored."""
        self._writable()
        with self._lock:
            self._collection.delete(where={"article_id": article_id})
            return self.catalog.remove(article_id)

    def reset_vectors(self, embedder: str) -> None:
        """Drop every chunk and vector (articles are kept) so the store can be rebuilt with another embedder."""
        self._writable()
        with self._lock:
            self._client.delete_collection(COLLECTION)
            self._collection = self._client.get_or_create_collection(
                COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}},
            )
            if self.server:
                self.catalog.chunks = self._collection
            self.catalog.reset(embedder)
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

    def keyword_search(self, query: str, k: int, filters=None) -> list[StoredChunk]:
        """The ``k`` chunks that best match ``query``'s words (BM25), best first; ``filters``: a
        :class:`~qa.retrieval.search.Filters`."""
        found = self.catalog.keywords(self.iter_all_chunks).search(query, k, filters)
        if not found:
            return []
        chunks = {c.id: c for c in self.get_chunks([chunk_id for chunk_id, _ in found])}
        return [chunks[i].model_copy(update={"score": score}) for i, score in found if i in chunks]

    def keyword_status(self) -> tuple[int | None, int]:
        """(chunks in the keyword index, None when it is not built yet; chunks in the store), without building or
        syncing anything."""
        return self.catalog.keyword_count(), self.count_chunks()

    def rebuild_keywords(self) -> int:
        """Index every chunk's words again (a repair); returns the number of chunks indexed."""
        self._writable()
        with self._lock:
            return self.catalog.rebuild_keywords(self.iter_all_chunks)

    def get_chunks(self, ids: Sequence[str] | None = None, where: dict | None = None) -> list[StoredChunk]:
        result = self._collection.get(ids=list(ids) if ids is not None else None, where=where or None,
                                      include=["documents", "metadatas"])
        return [StoredChunk.from_chroma(i, d, m) for i, d, m in
                zip(result["ids"], result["documents"], result["metadatas"])]

    def chunk_vectors(self, article_ids: Sequence[str]) -> dict[str, list[tuple[StoredChunk, np.ndarray]]]:
        """These articles' chunks with their vectors, by article id (an export)."""
        out: dict[str, list[tuple[StoredChunk, np.ndarray]]] = {}
        result = self._collection.get(where={"article_id": {"$in": list(article_ids)}},
                                      include=["documents", "metadatas", "embeddings"])
        for i, d, m, v in zip(result["ids"], result["documents"], result["metadatas"], result["embeddings"]):
            chunk = StoredChunk.from_chroma(i, d, m)
            out.setdefault(chunk.article_id, []).append((chunk, np.asarray(v, dtype=np.float32)))
        return out

    def iter_all_chunks(self, page: int = 5000) -> Iterator[StoredChunk]:
        for ids, result in self._pages(page, ["documents", "metadatas"]):
            for i, d, m in zip(ids, result["documents"], result["metadatas"]):
                yield StoredChunk.from_chroma(i, d, m)

    def chunk_owners(self, page: int = 5000) -> dict[str, str]:
        """Every chunk id with the id of its article (metadata only: no text, no vectors)."""
        owners: dict[str, str] = {}
        for ids, result in self._pages(page, ["metadatas"]):
            owners.update({i: m.get("article_id", "") for i, m in zip(ids, result["metadatas"])})
        return owners

    def _pages(self, page: int, include: list[str]) -> Iterator[tuple[list[str], dict]]:
        for offset in range(0, self.count_chunks(), page):
            result = self._collection.get(limit=page, offset=offset, include=include)
            yield result["ids"], result

    def chunk_counts(self) -> dict[str, int]:
        """Every stored article's id with the number of chunks recorded for it."""
        return self.catalog.chunk_counts()

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        """Remove chunks by id (the repair of chunks whose article is not stored)."""
        self._writable()
        with self._lock:
            for begin in range(0, len(chunk_ids), self.max_batch):
                self._collection.delete(ids=list(chunk_ids[begin:begin + self.max_batch]))
            self.catalog.chunks_removed(chunk_ids)

    def mark_changed(self, article_ids: Sequence[str]) -> None:
        """Mark articles as changed, so that the next ingestion of them (a rebuild, a repair) re-embeds them."""
        self._writable()
        with self._lock:
            self.catalog.mark_changed(article_ids)

    # ---------------------------------------------------------------- summaries
    def get_summary(self, content_hash: str, style: str, language: str, model: str) -> str | None:
        return self.catalog.get_summary(content_hash, style, language, model)

    def put_summary(self, article_id: str, content_hash: str, style: str, language: str, model: str, summary: str) -> None:
        """Cache a summary (skipped, with a warning, on a read-only store)."""
        if self.read_only:
            log.warning("read-only store: the summary of %s is not cached", article_id)
            return
        with self._lock:
            self.catalog.put_summary(article_id, content_hash, style, language, model, summary)

    def close(self) -> None:
        with self._lock:
            self.catalog.close()

    def stats(self) -> dict:
        return {"store": self.server or str(self.directory), "embedder": self.get_meta("embedder") or self.embedder,
                "articles": self.count_articles(), "chunks": self.count_chunks()}

    def __repr__(self) -> str:
        return f"Store({json.dumps(self.stats())})"
