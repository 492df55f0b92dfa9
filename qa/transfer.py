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
import gzip
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from qa.articles import Article
from qa.catalog import StoryKey
from qa.chunking import Chunk
from qa.embeddings import embedder_setting
from qa.store import Store, StoreError

FORMAT = "newsdesk-qa-export-1"
Progress = Callable[[int, int | None, str], None]


def export_store(store: Store, path: str | Path, on_progress: Progress | None = None, batch: int = 100) -> int:
    """Write every article of ``store`` to ``path`` (written to a temporary name, then renamed). Returns the count."""
    path = Path(path)
    if not path.name.endswith(".jsonl.gz"):
        raise StoreError(f"The export file's name must end with .jsonl.gz: {path}")
    tmp = path.with_name(path.name + ".partial")
    total, done = store.count_articles(), 0
    embedder = store.get_meta("embedder") or store.embedder
    with gzip.open(tmp, "wt", encoding="utf-8") as out:
        out.write(json.dumps({"format": FORMAT, "embedder": embedder, "articles": total}) + "\n")
        articles = store.iter_articles()
        while page := [a for _, a in zip(range(batch), articles)]:
            ids = [a.id for a in page]
            chunks = store.chunk_vectors(ids)
            stories = store.stories_of(ids)
            for article in page:
                story = stories.get(article.id, StoryKey(article.id))
                record = {"article": article.model_dump(exclude={"content_hash"}), "story": story.story,
                          "bands": list(story.bands),
                          "chunks": [{"id": c.id, "index": c.index, "start": c.start, "end": c.end,
                                      "vector": base64.b64encode(np.asarray(v, dtype=np.float32).tobytes()).decode()}
                                     for c, v in sorted(chunks.get(article.id, []), key=lambda cv: cv[0].index)]}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                done += 1
                if on_progress:
                    on_progress(done, total, article.title)
    os.replace(tmp, path)
    return done


def read_export(path: str | Path) -> tuple[dict, Iterator[dict]]:
    """The header of an export file and an iterator over its article records."""
    path = Path(path)
    try:
        handle = gzip.open(path, "rt", encoding="utf-8")
        header = json.loads(handle.readline() or "{}")
    except (OSError, EOFError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StoreError(f"{path} is not an export of newsdesk QA ({exc}).") from exc
    if header.get("format") != FORMAT:
        raise StoreError(f"{path} is not an export of newsdesk QA (format {header.get('format')!r}, expected {FORMAT}).")

    def records() -> Iterator[dict]:
        with handle:
            for number, line in enumerate(handle, 2):
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise StoreError(f"{path}:{number}: damaged line ({exc.msg}); the articles before it are "
                                     "imported") from exc
    return header, records()


def import_store(store: Store, path: str | Path, on_progress: Progress | None = None, batch: int = 100) -> dict:
    """Write the articles of an export into ``store``, their vectors as exported. Returns counts."""
    header, records = read_export(path)
    if header["embedder"] != store.embedder:
        raise StoreError(f"{path} was exported from a store built with the embedder '{header['embedder']}', and "
                         f"this store uses '{store.embedder}'. Import with QA_EMBEDDER="
                         f"{embedder_setting(header['embedder'])} (vectors of two models are never mixed).")
    counts = {"imported": 0, "unchanged": 0}
    pending: list[tuple[Article, list[Chunk], np.ndarray]] = []
    stories: dict[str, StoryKey] = {}

    def flush() -> None:
        if pending:
            store.write(pending, stories=dict(stories))
            counts["imported"] += len(pending)
            pending.clear()
            stories.clear()

    for done, record in enumerate(records, 1):
        article = Article(**record["article"])
        if store.article_hash(article.id) == article.content_hash:
            counts["unchanged"] += 1
        else:
            chunks = [Chunk(id=c["id"], article_id=article.id, index=c["index"], start=c["start"], end=c["end"],
                            text=article.text[c["start"]:c["end"]]) for c in record["chunks"]]
            vectors = np.stack([np.frombuffer(base64.b64decode(c["vector"]), dtype=np.float32)
                                for c in record["chunks"]]) if chunks else np.zeros((0, 1), dtype=np.float32)
            pending.append((article, chunks, vectors))
            stories[article.id] = StoryKey(record.get("story") or article.id, tuple(record.get("bands", ())))
            if len(pending) >= batch:
                flush()
        if on_progress:
            on_progress(done, header.get("articles"), article.title)
    flush()
    return counts
