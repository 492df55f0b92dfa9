"""Retrieval: from a question to the passages of the store that bear on it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from qa.embeddings import embed_array
from qa.store import Store, StoredChunk


class Filters(BaseModel):
    """Narrow a search to some articles. Empty fields do not filter."""

    article_ids: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    date_from: str | None = None  # ISO dates, inclusive
    date_to: str | None = None

    def to_where(self) -> dict | None:
        clauses: list[dict] = []
        for field, values in (("article_id", self.article_ids), ("source", self.sources), ("lang", self.languages)):
            if values:
                clauses.append({field: {"$in": list(values)}})
        if self.date_from:
            clauses.append({"date_int": {"$gte": _date_int(self.date_from)}})
        if self.date_to:
            clauses.append({"date_int": {"$lte": _date_int(self.date_to)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def accepts(self, chunk: StoredChunk, date_int: int | None = None) -> bool:
        if self.article_ids and chunk.article_id not in self.article_ids:
            return False
        if self.sources and chunk.source not in self.sources:
            return False
        if self.languages and chunk.lang not in self.languages:
            return False
        if self.date_from or self.date_to:
            if not chunk.date:
                return False
            value = _date_int(chunk.date)
            if self.date_from and value < _date_int(self.date_from):
                return False
            if self.date_to and value > _date_int(self.date_to):
                return False
        return True


def _date_int(iso: str) -> int:
    digits = iso.replace("-", "")[:8]
    if len(digits) != 8 or not digits.isdigit():
        raise ValueError(f"not an ISO date (YYYY-MM-DD): {iso!r}")
    return int(digits)


def dense_search(store: Store, embedder, query: str, k: int, filters: Filters | None = None) -> list[StoredChunk]:
    vector = embed_array(embedder, [query])[0]
    return store.search(vector, k, where=(filters.to_where() if filters else None))


RRF_K = 60  # the usual constant of reciprocal rank fusion


def fuse(rankings: list[tuple[list[StoredChunk], float]]) -> list[StoredChunk]:
    """Reciprocal rank fusion of several rankings, each with a weight; the score becomes the fused score."""
    scores: dict[str, float] = {}
    chunks: dict[str, StoredChunk] = {}
    for ranking, weight in rankings:
        for rank, chunk in enumerate(ranking):
            scores[chunk.id] = scores.get(chunk.id, 0.0) + weight / (RRF_K + rank + 1)
            chunks.setdefault(chunk.id, chunk)
    order = sorted(scores, key=scores.get, reverse=True)
    return [chunks[i].model_copy(update={"score": scores[i]}) for i in order]


def collapse_near_duplicates(chunks: list[StoredChunk], threshold: float = 0.8) -> list[StoredChunk]:
    """Drop a chunk whose words mostly repeat a better-ranked one (syndicated copies, overlaps)."""
    from qa.keyword import tokenize

    kept: list[tuple[StoredChunk, set[str]]] = []
    for chunk in chunks:
        words = set(tokenize(chunk.text))
        if any(len(words & other) / max(1, len(words | other)) >= threshold for _, other in kept):
            continue
        kept.append((chunk, words))
    return [chunk for chunk, _ in kept]


def hybrid_search(store: Store, embedder, query: str, k: int, filters: Filters | None = None, *,
                  extra_queries: list[tuple[str, float]] = (), depth: int = 40) -> list[StoredChunk]:
    """Dense (embeddings) and keyword (BM25) rankings fused by reciprocal rank, near-duplicates collapsed.

    ``extra_queries`` are other phrasings (e.g. a translation of the question) with their weights.
    """
    from qa.keyword import keyword_index

    index = keyword_index(store)
    where = filters.to_where() if filters else None
    queries = [(query, 1.0), *extra_queries]
    vectors = embed_array(embedder, [q for q, _ in queries])
    rankings: list[tuple[list[StoredChunk], float]] = []
    for (text, weight), vector in zip(queries, vectors):
        rankings.append((store.search(vector, depth, where=where), weight))
        keyword = [c for c, _ in index.search(text, depth * 4) if filters is None or filters.accepts(c)]
        rankings.append((keyword[:depth], weight))
    return collapse_near_duplicates(fuse(rankings)[: k * 4])[:k]
