"""Moving a store: ``python -m qa export FILE`` writes every article with its chunks' places and vectors and
its story to one ``.jsonl.gz`` file; ``python -m qa import FILE`` writes them into another store (embedded, or
on a Chroma server) without embedding anything again. Import can be run again after an interruption: the
articles already stored with the same content are skipped. Cached summaries are not carried (they are
written again when asked for).

The file: a first line ``{"format": "newsdesk-qa-export-1", "embedder": NAME, "articles": N}``, then one line
per article ``{"article": {...}, "story": ID, "bands": [...], "chunks": [{"id", "index", "start", "end",
"vector": base64 of float32}]}``; a chunk's text is ``article.text[start:end]``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import gzip
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from qa.store.articles import Article, Chunk, Failure
from qa.store.catalog import StoryKey
from qa.models.embeddings import embedder_setting
from qa.ingest.readers import Limits, _lines
from qa.store.errors import StoreError
from qa.store.store import Store

FORMAT = "newsdesk-qa-export-1"
Progress = Callable[[int, int | None, str], None]


def export_store(store: Store, path: str | Path, on_progress: Progress | None = None, batch: int = 100) -> int:
    """Write every article of ``store`` to ``path`` (written to a temporary name, then renamed). Returns the count.
    A path that cannot be written, or a disk that fills up, is a :class:`StoreError` (the partial file removed)."""
    path = Path(path)
    if not path.name.endswith(".jsonl.gz"):
        raise StoreError(f"The export file's name must end with .jsonl.gz: {path}")
    tmp = path.with_name(path.name + ".partial")
    total, done = store.count_articles(), 0
    embedder = store.get_meta("embedder") or store.embedder
    try:
        with gzip.open(tmp, "wt", encoding="utf-8") as out:
            out.write(json.dumps({"format": FORMAT, "embedder": embedder, "articles": total}) + "\n")
            articles = store.iter_articles()
            while page := [a for _, a in zip(range(batch), articles)]:
                ids = [a.id for a in page]
                chunks = store.chunk_vectors(ids)
                stories = store.stories_of(ids)
                for article in page:
                    out.write(json.dumps(_record(article, stories.get(article.id, StoryKey(article.id)),
                                                 chunks.get(article.id, [])), ensure_ascii=False) + "\n")
                    done += 1
                    if on_progress:
                        on_progress(done, total, article.title)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()  # never a partial file left behind
        if not isinstance(exc, OSError):
            raise
        full = exc.errno == errno.ENOSPC
        raise StoreError(f"Cannot write the export to {path} ({'the disk is full' if full else exc.strerror or exc}): "
                         "nothing was exported; give a path in a writable folder" +
                         (" with free space" if full else "") + ".") from exc
    return done


def _record(article: Article, story: StoryKey, chunks: list) -> dict:
    return {"article": article.model_dump(exclude={"content_hash"}), "story": story.story, "bands": list(story.bands),
            "chunks": [{"id": c.id, "index": c.index, "start": c.start, "end": c.end,
                        "vector": base64.b64encode(np.asarray(v, dtype=np.float32).tobytes()).decode()}
                       for c, v in sorted(chunks, key=lambda cv: cv[0].index)]}


def _limits(settings=None) -> Limits:
    """The bounds an export is read with: those of ingestion, a line (an article with its vectors) up to the
    size of a file ingestion accepts, and no bound on the whole file but the gzip-bomb ratio."""
    from qa.settings import get_settings

    base = Limits.from_settings(settings or get_settings())
    return Limits(file_bytes=base.file_bytes, expanded_bytes=1 << 62, line_bytes=max(base.line_bytes, base.file_bytes),
                  max_ratio=base.max_ratio, listed_failures=base.listed_failures)


def read_export(path: str | Path, limits: Limits | None = None) -> tuple[dict, Iterator[tuple[int, dict] | Failure]]:
    """The header of an export file and an iterator over its article records, as a stream: (line number, record),
    or a :class:`Failure` for a line that cannot be read (the next ones are still read) or for a damaged part of the
    file (reading stops there: the records before it are kept)."""
    path = Path(path)
    lines = _lines(path, limits or _limits())
    try:
        first = next(lines, None)
    except OSError as exc:
        raise StoreError(f"Cannot read {path} ({exc.strerror or exc}).") from exc
    if first is None or isinstance(first[1], Failure):
        reason = first[1].reason if first else "empty file"
        raise StoreError(f"{path} is not an export of newsdesk QA ({reason}).")
    try:
        header = json.loads(first[1])
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StoreError(f"{path} is not an export of newsdesk QA (its first line is not JSON).") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT or not isinstance(header.get("embedder"), str):
        found = header.get("format") if isinstance(header, dict) else None
        raise StoreError(f"{path} is not an export of newsdesk QA (format {found!r}, expected {FORMAT}).")

    def records() -> Iterator[tuple[int, dict] | Failure]:
        for number, line in lines:
            if isinstance(line, Failure):
                yield line
                continue
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                where = f"at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
                yield Failure(path=str(path), line=number, reason=f"damaged line (bad JSON {where}): skipped")
                continue
            yield number, record
    return header, records()


def _parse(record: object, dimension: int | None) -> tuple[Article, list[Chunk], np.ndarray, StoryKey]:
    """One export record as what :meth:`Store.write` takes; ValueError saying what is wrong with it."""
    if not isinstance(record, dict) or not isinstance(record.get("article"), dict):
        raise ValueError("not an article record")
    fields = record["article"]
    if not isinstance(fields.get("text"), str) or not fields["text"].strip():
        raise ValueError("its article has no text")
    try:
        article = Article(**{k: v for k, v in fields.items() if k != "content_hash"})
    except (TypeError, ValueError) as exc:
        raise ValueError(f"its article is not valid ({_first_line(exc)})") from None
    raw = record.get("chunks")
    if not isinstance(raw, list) or not raw:
        raise ValueError("no chunks")
    chunks, vectors, seen = [], [], set()
    try:
        for c in raw:
            start, end = int(c["start"]), int(c["end"])
            if not 0 <= start < end <= len(article.text):
                raise ValueError(f"chunk {c.get('id')!r} lies outside its article's text")
            index = int(c["index"])
            if c["id"] != f"{article.id}::{index}" or index in seen:
                raise ValueError(f"chunk {c.get('id')!r} does not belong to its article")
            seen.add(index)
            chunks.append(Chunk(id=str(c["id"]), article_id=article.id, index=index, start=start, end=end,
                                text=article.text[start:end]))
            vectors.append(np.frombuffer(base64.b64decode(c["vector"], validate=True), dtype=np.float32))
    except (KeyError, TypeError, binascii.Error) as exc:
        raise ValueError(f"a chunk is not valid ({type(exc).__name__}: {_first_line(exc)})") from None
    sizes = {len(v) for v in vectors}
    if len(sizes) != 1 or (dimension is not None and sizes != {dimension}) or 0 in sizes:
        raise ValueError(f"vectors of {'/'.join(map(str, sorted(sizes)))} numbers, not "
                         f"{dimension if dimension is not None else 'one size'}")
    if not all(np.isfinite(v).all() for v in vectors):
        raise ValueError("a vector holds numbers that are not finite")
    bands = record.get("bands") or ()
    story = StoryKey(str(record.get("story") or article.id), tuple(str(b) for b in bands)
                     if isinstance(bands, list) else ())
    return article, chunks, np.stack(vectors), story


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]


def import_store(store: Store, path: str | Path, on_progress: Progress | None = None, batch: int = 100,
                 failures: list[Failure] | None = None) -> dict:
    """Write the articles of an export into ``store``, their vectors as exported, as the file streams: a record
    that cannot be read is one :class:`Failure`, appended to ``failures`` (the next ones are still read); a damaged
    part ends the reading, the records before it imported. Returns counts: ``imported``, ``unchanged``."""
    store.check_writable()  # a read-only, full or damaged store is said before the file is read
    header, records = read_export(path)
    if header["embedder"] != store.embedder:
        raise StoreError(f"{path} was exported from a store built with the embedder '{header['embedder']}', and "
                         f"this store uses '{store.embedder}'. Import with QA_EMBEDDER="
                         f"{embedder_setting(header['embedder'])} (vectors of two models are never mixed).")
    counts = {"imported": 0, "unchanged": 0}
    failures = failures if failures is not None else []
    pending: list[tuple[Article, list[Chunk], np.ndarray]] = []
    stories: dict[str, StoryKey] = {}
    dimension: int | None = None

    def flush() -> None:
        if pending:
            store.write(pending, stories=dict(stories))
            counts["imported"] += len(pending)
            pending.clear()
            stories.clear()

    done = 0
    try:
        for item in records:
            done += 1
            if isinstance(item, Failure):
                failures.append(item)
                continue
            number, record = item
            try:
                article, chunks, vectors, story = _parse(record, dimension)
            except ValueError as exc:
                failures.append(Failure(path=str(path), line=number, reason=f"{exc}: skipped"))
                continue
            dimension = vectors.shape[1]
            if store.article_hash(article.id) == article.content_hash:
                counts["unchanged"] += 1
            else:
                pending.append((article, chunks, vectors))
                stories[article.id] = story
                if len(pending) >= batch:
                    flush()
            if on_progress:
                on_progress(done, header.get("articles"), article.title)
    finally:
        flush()  # what was read before an interruption or a failure is stored
    return counts
