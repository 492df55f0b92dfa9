"""Keyword (BM25) search over the chunks, with the ``bm25s`` library.

Tokens are lower-cased, accent-folded, stripped of French and English stop words, and cut to their
first 6 letters: a language-agnostic stemming that makes "négociations"/"négociation" and
"rising"/"rises" meet. The index is rebuilt when the store changes (its generation number) and saved
in the store folder, so a restart loads it instead of re-tokenising every chunk.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from pathlib import Path

from qa.language import fold, stopwords
from qa.store import Store, StoredChunk

_WORD = re.compile(r"\w+", re.UNICODE)
_PREFIX = 6


def tokenize(text: str) -> list[str]:
    stop = stopwords()
    return [w[:_PREFIX] for w in _WORD.findall(fold(text).replace("'", " ").replace("’", " "))
            if w not in stop and (len(w) > 1 or w.isdigit())]


class KeywordIndex:
    """BM25 over every chunk of a store. Build with :meth:`for_store` (cached per store generation)."""

    def __init__(self, retriever, chunks: list[StoredChunk]):
        self.retriever, self.chunks = retriever, chunks

    @classmethod
    def build(cls, store: Store) -> KeywordIndex:
        import bm25s

        chunks = list(store.iter_all_chunks())
        retriever = bm25s.BM25()
        if chunks:
            retriever.index([tokenize(f"{c.title}\n{c.text}") for c in chunks], show_progress=False)
        return cls(retriever, chunks)

    def search(self, query: str, k: int) -> list[tuple[StoredChunk, float]]:
        if not self.chunks:
            return []
        vocab = self.retriever.vocab_dict
        tokens = [t for t in tokenize(query) if t in vocab]
        if not tokens:
            return []
        ids, scores = self.retriever.retrieve([tokens], k=min(k, len(self.chunks)), show_progress=False, n_threads=1)
        return [(self.chunks[i], float(s)) for i, s in zip(ids[0], scores[0]) if s > 0]

    # ---------------------------------------------------------------- persistence
    def save(self, folder: Path) -> None:
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        self.retriever.save(str(tmp), show_progress=False)
        (tmp / "chunks.json").write_text(json.dumps([c.model_dump() for c in self.chunks], ensure_ascii=False))
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        import bm25s

        retriever = bm25s.BM25.load(str(folder), show_progress=False)
        chunks = [StoredChunk(**c) for c in json.loads((folder / "chunks.json").read_text())]
        return cls(retriever, chunks)


_cache: dict[str, tuple[int, KeywordIndex]] = {}
_lock = threading.Lock()


def keyword_index(store: Store) -> KeywordIndex:
    """The BM25 index of the store's current contents: from memory, from disk, or built now."""
    generation = store.generation
    key = str(store.directory.resolve())
    with _lock:
        cached = _cache.get(key)
        if cached and cached[0] == generation:
            return cached[1]
        folder = store.directory / "bm25"
        stamp = folder / "generation"
        index = None
        if stamp.exists() and stamp.read_text() == str(generation):
            try:
                index = KeywordIndex.load(folder)
            except (OSError, ValueError, KeyError):
                index = None
        if index is None:
            index = KeywordIndex.build(store)
            if index.chunks:
                try:
                    index.save(folder)
                    stamp.write_text(str(generation))
                except OSError:
                    pass  # a read-only store still works, it just rebuilds the index on start
        _cache[key] = (generation, index)
        return index


