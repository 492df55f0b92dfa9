"""``python -m qa doctor``: is the store sound? And, with ``--repair``, rebuild what can be rebuilt.

The article table (``articles.sqlite3``) holds every article's full text; Chroma holds chunks and
vectors made from those texts, and the keyword index is made from the chunks. So the texts are the
source of truth: chunks, vectors and the keyword index can always be rebuilt from them. A damaged
article table is salvaged row by row; an article whose row is lost is put back together from its
chunks (which carry their offsets in the text) where they cover it, and reported otherwise.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path
from urllib.parse import quote

from pydantic import BaseModel, Field

from qa.articles import Article

ARTICLES_DB, CHROMA_DB = "articles.sqlite3", "chroma.sqlite3"


class Finding(BaseModel):
    check: str
    ok: bool
    detail: str = ""


class Checkup(BaseModel):
    """What the doctor found (and, after a repair, what it did)."""

    store: str
    findings: list[Finding] = Field(default_factory=list)
    repaired: list[str] = Field(default_factory=list)
    lost: list[str] = Field(default_factory=list, description="articles that could not be recovered")

    @property
    def sound(self) -> bool:
        return all(f.ok for f in self.findings)

    def add(self, check: str, ok: bool, detail: str = "") -> bool:
        self.findings.append(Finding(check=check, ok=ok, detail=detail))
        return ok


def integrity(path: Path) -> str:
    """SQLite's own integrity check of a database file, read-only: ``"ok"`` or what is wrong."""
    if not path.exists():
        return "missing"
    try:
        db = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        try:
            rows = db.execute("PRAGMA integrity_check").fetchall()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    problems = [row[0] for row in rows if row[0] != "ok"]
    return "ok" if not problems else "; ".join(problems[:3]) + (f" (+{len(problems) - 3} more)" if len(problems) > 3 else "")


def examine(assistant) -> Checkup:
    """Check the store of ``assistant`` without changing anything."""
    directory, server = assistant.settings.store_dir, assistant.settings.chroma_url
    checkup = Checkup(store=server or str(directory))
    if not server:  # a server checks its own files
        if not (directory / ARTICLES_DB).exists():
            checkup.add("store", False, f"no store at {directory}")
            return checkup
        articles_ok = checkup.add("article table", (state := integrity(directory / ARTICLES_DB)) == "ok", state)
        chroma_ok = checkup.add("chunks and vectors (Chroma)", (state := integrity(directory / CHROMA_DB)) == "ok",
                                state)
        if not (articles_ok and chroma_ok):
            return checkup
    from qa.embeddings import embedder_name
    from qa.store import Store, StoreError

    try:
        store = Store(directory, embedder_name(assistant.embedder), create=False, check_embedder=False, server=server)
        recorded = store.get_meta("embedder")
        counts, owners = store.chunk_counts(), store.chunk_owners()
        missing, ghost_chunks = _mismatches(counts, owners)
    except StoreError as exc:
        checkup.add("store opens", False, str(exc))
        return checkup
    configured = embedder_name(assistant.embedder)
    same = recorded == configured or (recorded is None and not owners)
    checkup.add("embedder recorded", same, recorded or "none" if same else
                f"the store was built with {recorded!r}, the configured embedder is {configured!r}: use the same "
                f"one, or rebuild with python ingest.py --store {directory} --rebuild")
    ghosts = sorted({owners[chunk] for chunk in ghost_chunks})
    checkup.add("every article has its chunks", not missing,
                f"{len(missing)} of {len(counts)} articles without all their chunks" + _some(missing) if missing else "")
    checkup.add("every chunk has its article", not ghosts,
                f"chunks of {len(ghosts)} articles that are not stored" + _some(ghosts) if ghosts else "")
    indexed, chunks = store.keyword_status()
    if indexed is None:  # a store made before the FTS5 index: the next search builds it
        checkup.add("keyword index", True, "not built yet: built at the next search")
    else:
        checkup.add("keyword index", indexed == chunks, f"{indexed} chunks indexed" if indexed == chunks else
                    f"{indexed} chunks indexed of {chunks}: rebuild it with --repair")
    return checkup


def repair(assistant) -> Checkup:
    """Rebuild what can be rebuilt, then examine the store again. Damaged files are kept beside the store
    (``*.damaged-TIME``), never deleted."""
    directory: Path = assistant.settings.store_dir
    server = assistant.settings.chroma_url
    done: list[str] = []
    lost: list[str] = []
    stamp = time.strftime("%Y%m%d-%H%M%S")
    recovered_chunks: dict[str, list] = {}
    if not server and integrity(directory / CHROMA_DB) not in ("ok", "missing"):
        aside = directory / f"chroma.damaged-{stamp}"
        aside.mkdir()
        for part in directory.iterdir():
            if part.name.startswith(CHROMA_DB) or (part.is_dir() and _is_uuid(part.name)):
                shutil.move(str(part), aside / part.name)
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()  # a client opened before in this process would keep the old files
        done.append(f"moved the damaged Chroma files to {aside}; the vectors will be rebuilt from the article texts")
        rebuild_all = True
    else:
        rebuild_all = False
    if not server and integrity(directory / ARTICLES_DB) not in ("ok", "missing"):
        if not rebuild_all:  # the chunks may give back articles whose rows are lost
            recovered_chunks = _chunks_by_article(assistant, directory)
        salvaged = _salvage_articles(directory, stamp)
        done.append(f"salvaged {salvaged} article rows into a new article table (the damaged one kept as "
                    f"{ARTICLES_DB}.damaged-{stamp})")
        rebuild_all = True

    from qa.ingestion import Ingestor

    store = assistant.reopen()
    if recovered_chunks:
        stored = set(store.chunk_counts())
        rebuilt = []
        for article_id, chunks in recovered_chunks.items():
            if article_id in stored:
                continue
            article = _from_chunks(article_id, chunks)
            if article is None:
                lost.append(article_id)
            else:
                rebuilt.append(article)
        if rebuilt:
            Ingestor(store, assistant.embedder, assistant.settings).feed(rebuilt)
            done.append(f"put back {len(rebuilt)} articles from their chunks")
    if rebuild_all:
        report = assistant.rebuild()
        done.append(f"re-embedded {report.added + report.updated} articles")
    else:
        missing, ghost_chunks = _mismatches(store.chunk_counts(), store.chunk_owners())
        if ghost_chunks:
            store.delete_chunks(ghost_chunks)
            done.append(f"removed {len(ghost_chunks)} chunks of articles that are not stored")
        if missing:
            store.mark_changed(missing)
            articles = [a for a in (store.get_article(i) for i in missing) if a is not None]
            Ingestor(store, assistant.embedder, assistant.settings).feed(articles)
            done.append(f"re-embedded {len(articles)} articles whose chunks were missing")
    if not server:
        shutil.rmtree(directory / "bm25", ignore_errors=True)  # the index of versions before 0.2
    done.append(f"rebuilt the keyword index ({store.rebuild_keywords()} chunks)")
    checkup = examine(assistant)
    checkup.repaired, checkup.lost = done, lost
    return checkup


def _mismatches(counts: dict[str, int], owners: dict[str, str]) -> tuple[list[str], list[str]]:
    """The articles whose stored chunks are not the number recorded for them, and the chunks whose article is
    not stored, from :meth:`Store.chunk_counts` and :meth:`Store.chunk_owners`."""
    found: dict[str, int] = {}
    for article_id in owners.values():
        found[article_id] = found.get(article_id, 0) + 1
    missing = sorted(i for i, n in counts.items() if found.get(i, 0) != n)
    ghost_chunks = sorted(chunk for chunk, article_id in owners.items() if article_id not in counts)
    return missing, ghost_chunks


def _some(ids: list[str], n: int = 3) -> str:
    return f": {', '.join(ids[:n])}" + (" …" if len(ids) > n else "") if ids else ""


def _is_uuid(name: str) -> bool:
    import uuid

    try:
        uuid.UUID(name)
    except ValueError:
        return False
    return True


def _chunks_by_article(assistant, directory: Path) -> dict[str, list]:
    """The stored chunks grouped by article, read from Chroma alone (the article table is damaged)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from qa.store import COLLECTION, StoredChunk

    try:
        client = chromadb.PersistentClient(path=str(directory), settings=ChromaSettings(anonymized_telemetry=False))
        collection = client.get_collection(COLLECTION)
        out: dict[str, list] = {}
        for offset in range(0, collection.count(), 5000):
            result = collection.get(limit=5000, offset=offset, include=["documents", "metadatas"])
            for i, d, m in zip(result["ids"], result["documents"], result["metadatas"], strict=True):
                chunk = StoredChunk.from_chroma(i, d, m)
                out.setdefault(chunk.article_id, []).append(chunk)
        return out
    except Exception:  # noqa: BLE001  (Chroma unreadable too: nothing to put back from it)
        return {}


def _salvage_articles(directory: Path, stamp: str) -> int:
    """Copy every readable row of the damaged article table into a new one; the damaged file is kept aside."""
    from qa.catalog import SCHEMA

    path = directory / ARTICLES_DB
    aside = directory / f"{ARTICLES_DB}.damaged-{stamp}"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            shutil.move(f"{path}{suffix}", f"{aside}{suffix}")
    fresh = sqlite3.connect(path)
    fresh.executescript(SCHEMA)
    old = sqlite3.connect(f"file:{quote(str(aside))}?mode=ro", uri=True)
    salvaged = 0
    for table in ("meta", "articles", "summaries"):
        try:
            columns = [row[1] for row in old.execute(f"PRAGMA table_info({table})")]
        except sqlite3.DatabaseError:
            continue
        if not columns:
            continue
        try:
            last = old.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
        except sqlite3.DatabaseError:
            last = 1 << 40
        rowid, step = 0, 1
        while rowid < last:  # row by row, stepping over what cannot be read (further each time it fails)
            try:
                row = old.execute(f"SELECT rowid, * FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT 1",
                                  (rowid,)).fetchone()
            except sqlite3.DatabaseError:
                rowid, step = rowid + step, step * 2
                continue
            step = 1
            if row is None:
                break
            rowid = row[0]
            fresh.execute(f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) VALUES "
                          f"({', '.join('?' * len(columns))})", row[1:])
            salvaged += table == "articles"
    fresh.commit()
    fresh.close()
    old.close()
    return salvaged


def _from_chunks(article_id: str, chunks: list) -> Article | None:
    """An article put back together from its chunks (each knows where it sits in the text); None when the
    chunks leave a gap (the text cannot be rebuilt exactly)."""
    chunks = sorted(chunks, key=lambda c: c.start)
    text, end = "", 0
    for chunk in chunks:
        if chunk.start > end:
            return None
        if chunk.end > end:
            text, end = text[: chunk.start] + chunk.text, chunk.end
    if not text or not chunks:
        return None
    first = chunks[0]
    return Article(id=article_id, title=first.title, text=text, source=first.source, date=first.date,
                   lang=first.lang, url=first.url)
