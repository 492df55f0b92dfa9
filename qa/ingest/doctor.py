"""``python -m qa doctor``: is the store sound? And, with ``--repair``, rebuild what can be rebuilt.

The article table (``articles.sqlite3``) holds every article's full text; Chroma holds chunks and
vectors made from those texts, and the keyword index is made from the chunks. So the texts are the
source of truth: chunks, vectors and the keyword index can always be rebuilt from them. A damaged
article table is salvaged row by row; an article whose row is lost is put back together from its
chunks (which carry their offsets in the text) where they cover it, and reported otherwise (the salvage:
:mod:`qa.ingest.salvage`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import sqlite3
import time
from pathlib import Path
from urllib.parse import quote

from pydantic import BaseModel, Field

from qa.ingest.salvage import chunks_by_article, from_chunks, patched_text, salvage_articles
from qa.store.articles import Article

ARTICLES_DB, CHROMA_DB = "articles.sqlite3", "chroma.sqlite3"


class Finding(BaseModel):
    check: str
    ok: bool
    detail: str = ""
    repairable: bool = True  # False: --repair cannot help (a full disk, another embedder)


class Checkup(BaseModel):
    """What the doctor found (and, after a repair, what it did)."""

    store: str
    findings: list[Finding] = Field(default_factory=list)
    repaired: list[str] = Field(default_factory=list)
    lost: list[str] = Field(default_factory=list, description="articles that could not be recovered")

    @property
    def sound(self) -> bool:
        return all(f.ok for f in self.findings)

    @property
    def repairable(self) -> bool:
        """Whether ``--repair`` can help with what is wrong."""
        return any(not f.ok and f.repairable for f in self.findings)

    def add(self, check: str, ok: bool, detail: str = "", repairable: bool = True) -> bool:
        self.findings.append(Finding(check=check, ok=ok, detail=detail, repairable=repairable))
        return ok


def integrity(path: Path, check: str = "integrity_check") -> str:
    """SQLite's own integrity check of a database file, without writing anything (a store on a read-only mount or
    a full disk is checked too): ``"ok"`` or what is wrong."""
    if not path.exists():
        return "missing"
    try:
        with readable(path) as uri:
            db = sqlite3.connect(uri, uri=True)
            try:
                rows = db.execute(f"PRAGMA {check}").fetchall()
            finally:
                db.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    problems = [row[0] for row in rows if row[0] != "ok"]
    return "ok" if not problems else "; ".join(problems[:3]) + (f" (+{len(problems) - 3} more)" if len(problems) > 3 else "")


def disk_full(directory: Path) -> bool:
    """Whether the disk holding ``directory`` has (almost) no space left."""
    try:
        return shutil.disk_usage(directory).free < 1_000_000
    except OSError:
        return False


@contextlib.contextmanager
def readable(path: Path):
    """A URI that opens the SQLite file ``path`` for reading without writing anything beside it. Where SQLite may
    write its shared-memory index (a writable folder with space): read-only mode. Elsewhere (a read-only mount, a
    full disk) the file is opened as immutable, or, when a write-ahead log with content sits beside it, a temporary
    copy of both is read."""
    directory = path.parent
    if os.access(directory, os.W_OK) and not disk_full(directory):
        yield f"file:{quote(str(path))}?mode=ro"
        return
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="newsdesk-doctor-") as scratch:
            copy = Path(scratch) / path.name
            shutil.copy2(path, copy)
            shutil.copy2(wal, f"{copy}-wal")
            yield f"file:{quote(str(copy))}"
        return
    yield f"file:{quote(str(path))}?immutable=1"


def examine(assistant) -> Checkup:
    """Check the store of ``assistant`` without changing anything."""
    directory, server = assistant.settings.store_dir, assistant.settings.chroma_url
    checkup = Checkup(store=server or str(directory))
    if not server:  # a server checks its own files
        if not (directory / ARTICLES_DB).exists():
            checkup.add("store", False, f"no store at {directory}")
            return checkup
        if disk_full(directory):
            checkup.add("disk space", False, f"disk full: free some space on the disk of {directory}, then run the "
                        "same command again (a full disk needs no repair)", repairable=False)
        articles_ok = checkup.add("article table", (state := integrity(directory / ARTICLES_DB)) == "ok", state)
        chroma_ok = checkup.add("chunks and vectors (Chroma)", (state := integrity(directory / CHROMA_DB)) == "ok",
                                state)
        if not (articles_ok and chroma_ok):
            return checkup
    from qa.models.embeddings import embedder_name
    from qa.store.errors import DiskFullError, StoreError
    from qa.store.store import Store

    try:
        store = Store(directory, embedder_name(assistant.embedder), create=False, check_embedder=False, server=server)
        recorded = store.get_meta("embedder")
        counts, owners = store.chunk_counts(), store.chunk_owners()
        missing, ghost_chunks = _mismatches(counts, owners)
    except StoreError as exc:
        checkup.add("store opens", False, str(exc), repairable=not isinstance(exc, DiskFullError))
        return checkup
    configured = embedder_name(assistant.embedder)
    ghosts = sorted({owners[chunk] for chunk in ghost_chunks})
    if recorded is None and owners:  # chunks written, no article ever committed: an interrupted first ingestion
        checkup.add("embedder recorded", True, "none yet (the first ingestion was interrupted before it committed "
                    "an article; the next ingestion or --repair records it)")
    else:
        same = recorded == configured or (recorded is None and not owners)
        checkup.add("embedder recorded", same, recorded or "none" if same else
                    f"the store was built with {recorded!r}, the configured embedder is {configured!r}: use the same "
                    f"one, or rebuild with python ingest.py --store {directory} --rebuild", repairable=False)
    checkup.add("every article has its chunks", not missing,
                f"{len(missing)} of {len(counts)} articles without all their chunks" + _some(missing) if missing else "")
    checkup.add("every chunk has its article", not ghosts,
                f"chunks of {len(ghosts)} articles that are not stored" + _some(ghosts) +
                (" (an interrupted ingestion: run it again, or --repair)" if ghosts and recorded is None else "")
                if ghosts else "")
    indexed, chunks = store.keyword_status()
    if indexed is None:  # a store made before the FTS5 index: the next search builds it
        checkup.add("keyword index", True, "not built yet: built at the next search")
    else:
        checkup.add("keyword index", indexed == chunks, f"{indexed} chunks indexed" if indexed == chunks else
                    f"{indexed} chunks indexed of {chunks}: rebuild it with --repair")
    return checkup


def repair(assistant) -> Checkup:
    """Rebuild what can be rebuilt, then examine the store again. Nothing is thrown away that could be kept:
    damaged files are kept beside the store (``*.damaged-TIME``), an article whose row is lost is put back from
    its chunks whenever they cover its text (the whitespace between two chunks, which the chunker drops, rebuilt),
    and the chunks of an article beyond recovery are first written to ``removed-TIME.jsonl`` in the store folder,
    then removed (kept in place when that file cannot be written)."""
    directory: Path = assistant.settings.store_dir
    server = assistant.settings.chroma_url
    if not server:
        _writable_or_refuse(directory)
        if disk_full(directory):
            from qa.store.errors import DiskFullError

            raise DiskFullError(f"The disk holding the store {directory} is full: free some space first (a full "
                                "disk needs no repair; python -m qa doctor checks the store meanwhile). Nothing was "
                                "changed.")
    done: list[str] = []
    lost: list[str] = []
    stamp = time.strftime("%Y%m%d-%H%M%S")
    recovered_chunks: dict[str, tuple[list, str | None]] = {}
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
        if not rebuild_all:  # the chunks give back the articles whose rows are lost
            recovered_chunks = chunks_by_article(directory)
        salvaged = salvage_articles(directory / ARTICLES_DB, stamp)
        done.append(f"salvaged {salvaged} article rows into a new article table (the damaged one kept as "
                    f"{ARTICLES_DB}.damaged-{stamp})")

    from qa.ingest.ingestion import Ingestor

    store = assistant.reopen()
    if recovered_chunks:
        stored = set(store.chunk_counts())
        rebuilt, guessed = [], 0
        for article_id, (chunks, content_hash) in recovered_chunks.items():
            if article_id in stored:
                continue
            found = from_chunks(article_id, chunks, content_hash)
            if found is None:
                lost.append(article_id)
                continue
            article, exact = found
            guessed += not exact
            rebuilt.append((article, sorted(chunks, key=lambda c: c.index), _story_of(article, chunks)))
        if rebuilt:
            store.recommit(rebuilt)  # their chunks and vectors are in place: only their rows are written
            done.append(f"put back {len(rebuilt)} articles from their chunks" +
                        (f" ({guessed} with the spacing between chunks guessed: a space or a line break)"
                         if guessed else ""))
    if rebuild_all:
        report = assistant.rebuild()
        done.append(f"re-embedded {report.added + report.updated} articles")
    else:
        missing, ghost_chunks = _mismatches(store.chunk_counts(), store.chunk_owners())
        if ghost_chunks:
            kept = _write_removed(store, ghost_chunks, Path(directory), stamp)
            if kept is None:
                done.append(f"kept {len(ghost_chunks)} chunks of articles that are not stored: they could not be "
                            f"written to a file first (free some space and repair again)")
            else:
                store.delete_chunks(ghost_chunks)
                done.append(f"removed {len(ghost_chunks)} chunks of articles that are not stored (written first to "
                            f"{kept})")
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


def _writable_or_refuse(directory: Path) -> None:
    """A repair writes: a store on a read-only disk or mount is refused before anything is tried."""
    from qa.store.errors import ReadOnlyStoreError

    if directory.is_dir() and not os.access(directory, os.W_OK):
        raise ReadOnlyStoreError(f"The store at {directory} is read-only: copy it somewhere writable, then repair the "
                                 "copy (python -m qa doctor --store COPY --repair). Nothing was changed.")
    probe = directory / f".doctor-probe-{os.getpid()}"
    try:
        probe.write_bytes(b"")
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise ReadOnlyStoreError(f"The store at {directory} is read-only: copy it somewhere writable, then "
                                     "repair the copy (python -m qa doctor --store COPY --repair). Nothing was "
                                     "changed.") from exc
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()


def _story_of(article: Article, chunks: list):
    from qa.store.catalog import StoryKey
    from qa.ingest.stories import Fingerprint

    story = next((c.story for c in chunks if c.story), article.id)
    return StoryKey(story, Fingerprint(article.text).bands)


def _write_removed(store, chunk_ids: list[str], directory: Path, stamp: str) -> Path | None:
    """Write the chunks about to be removed (their text, place and metadata, grouped by article, with the text
    put together as far as they go) to ``removed-STAMP.jsonl`` in the store folder, synced to disk. None when it
    cannot be written (then nothing may be removed)."""
    path = directory / f"removed-{stamp}.jsonl"
    try:
        by_article: dict[str, list] = {}
        for begin in range(0, len(chunk_ids), 1000):
            for chunk in store.get_chunks(chunk_ids[begin:begin + 1000]):
                by_article.setdefault(chunk.article_id, []).append(chunk)
        with open(path, "w", encoding="utf-8") as out:
            for article_id, chunks in sorted(by_article.items()):
                chunks.sort(key=lambda c: (c.start, c.index))
                out.write(json.dumps({"article_id": article_id, "title": chunks[0].title,
                                      "text": patched_text(chunks),
                                      "chunks": [c.model_dump(exclude={"score"}) for c in chunks]},
                                     ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
    except OSError:
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return path


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
