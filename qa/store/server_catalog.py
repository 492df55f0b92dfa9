"""The article table of a store on a Chroma server: collections every app host sees alike, with a local copy of
the keyword index kept in step with the server's revision (see :mod:`qa.store.catalog`)."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

from qa.store.articles import Article, StoredChunk
from qa.store.catalog import INFO_COLUMNS, ArticleInfo, Connections, StoryKey, Written
from qa.store.keyword import KeywordIndex

_NO_VECTOR = [0.0]  # the catalog's collections hold records, not vectors: Chroma wants one per record
_PAGE = 2000
SYNC_MARGIN = 600.0  # seconds: a sync re-reads the changes stamped this long before the last one (slow writers,
# clocks of several hosts); what it re-reads unchanged costs a comparison of content hashes


def _sorted(infos: list[ArticleInfo]) -> list[ArticleInfo]:
    """Newest first, then by title (the order of every article list)."""
    infos.sort(key=lambda a: a.title)
    infos.sort(key=lambda a: a.date or "", reverse=True)
    return infos


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
        self._connections = Connections(self._connect)
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
        return ArticleInfo(id=article_id, **{k: meta.get(k) for k in INFO_COLUMNS if k not in ("id", "story")},
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
