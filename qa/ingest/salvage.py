"""Articles saved from a damaged store, for ``python -m qa doctor --repair`` (:mod:`qa.ingest.doctor`): the readable
rows of a damaged article table copied into a new one, the stored chunks read from Chroma alone, and an article whose
row is lost put back together from its chunks (which carry their offsets in the text), the whitespace the chunker
dropped between them rebuilt and checked against the content hash they record.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from urllib.parse import quote

from qa.store.articles import Article


def chunks_by_article(directory: Path) -> dict[str, tuple[list, str | None]]:
    """The stored chunks grouped by article, each group with the content hash its chunks record, read from Chroma
    alone (the article table is damaged)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from qa.store.articles import StoredChunk
    from qa.store.chroma import COLLECTION

    try:
        client = chromadb.PersistentClient(path=str(directory), settings=ChromaSettings(anonymized_telemetry=False))
        collection = client.get_collection(COLLECTION)
        out: dict[str, tuple[list, str | None]] = {}
        for offset in range(0, collection.count(), 5000):
            result = collection.get(limit=5000, offset=offset, include=["documents", "metadatas"])
            for i, d, m in zip(result["ids"], result["documents"], result["metadatas"], strict=True):
                chunk = StoredChunk.from_chroma(i, d, m)
                chunks, _ = out.setdefault(chunk.article_id, ([], m.get("content_hash")))
                chunks.append(chunk)
        return out
    except Exception:  # noqa: BLE001  (Chroma unreadable too: nothing to put back from it)
        return {}


def salvage_articles(path: Path, stamp: str) -> int:
    """Copy every readable row of the damaged article table ``path`` into a new one; the damaged file is kept aside
    (``NAME.damaged-STAMP``, beside it)."""
    from qa.store.local_catalog import SCHEMA

    aside = path.parent / f"{path.name}.damaged-{stamp}"
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


def patched_text(chunks: list) -> str:
    """The text of these chunks put together at their offsets, each uncovered stretch shown as `` […] ``."""
    text, end = "", 0
    for chunk in chunks:
        if chunk.start > end:
            text += " […] "
        elif chunk.start < end:
            overlap = end - chunk.start
            if overlap >= len(chunk.text):
                continue
            text += chunk.text[overlap:]
            end = chunk.end
            continue
        text += chunk.text
        end = chunk.end
    return text


# The chunker drops the whitespace between two chunks that do not overlap: a space, a line break or a paragraph
# break (cleaned text holds no other run of whitespace). A wider uncovered stretch is text that is gone.
_GAP_FILLS = {1: (" ", "\n"), 2: ("\n\n",)}
_MAX_TRIES = 4096


def from_chunks(article_id: str, chunks: list, content_hash: str | None = None) -> tuple[Article, bool] | None:
    """An article put back together from its chunks (each knows where it sits in the text) and whether it is
    exactly the stored one; None when the chunks leave more than the whitespace between two chunks uncovered.

    The whitespace the chunker dropped between chunks is rebuilt: each way of filling the gaps (a space or a line
    break for one character, a paragraph break for two) is tried against the content hash the chunks record,
    first the most likely; when none matches (or there are too many), spaces and paragraph breaks are kept."""
    chunks = sorted(chunks, key=lambda c: (c.start, c.index))
    if not chunks or chunks[0].start != 0:
        return None
    pieces: list[str] = []  # text pieces, between them the gaps
    gaps: list[int] = []
    end = 0
    for chunk in chunks:
        if chunk.start > end:
            gap = chunk.start - end
            if gap not in _GAP_FILLS:
                return None
            gaps.append(gap)
            pieces.append(chunk.text)
        elif chunk.end > end:
            if not pieces:
                pieces.append("")
            pieces[-1] += chunk.text[end - chunk.start:]
        else:
            continue
        end = chunk.end
    first = chunks[0]

    def build(fills) -> Article:
        text = pieces[0] + "".join(fill + piece for fill, piece in zip(fills, pieces[1:]))
        return Article(id=article_id, title=first.title, text=text, source=first.source, date=first.date,
                       lang=first.lang, url=first.url)

    import itertools

    choices = [_GAP_FILLS[g] for g in gaps]
    if content_hash:
        for fills in itertools.islice(itertools.product(*choices), _MAX_TRIES):
            article = build(fills)
            if article.content_hash == content_hash:
                return article, True
    article = build([c[0] for c in choices])
    if not article.text.strip():
        return None
    return article, not gaps and content_hash in (None, article.content_hash)
