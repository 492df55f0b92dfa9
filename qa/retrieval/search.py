"""Search: from a question to the candidate chunks of the store that bear on it.

:func:`hybrid_search` fuses the dense and keyword rankings by reciprocal rank, keeps one version per story and
collapses near-duplicates; :class:`Filters` narrows a search to some articles. What the model then reads of the
candidates, their best sentences as short passages, is :mod:`qa.retrieval.passages`.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from qa.models.embeddings import embed_array
from qa.store.articles import StoredChunk
from qa.store.store import Store


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


def _date_int(iso: str) -> int:
    digits = iso.replace("-", "")[:8]
    if len(digits) != 8 or not digits.isdigit():
        raise ValueError(f"not an ISO date (YYYY-MM-DD): {iso!r}")
    return int(digits)


def dense_search(store: Store, embedder, query: str, k: int, filters: Filters | None = None) -> list[StoredChunk]:
    vector = embed_array(embedder, [query])[0]
    return store.search(vector, k, where=(filters.to_where() if filters else None))


# the constant of reciprocal rank fusion: the usual 60 flattens the top of each ranking; 10 was better on
# questions.jsonl at 4,901 and 36,092 articles (docs/benchmarks.md)
RRF_K = 10


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
    from qa.store.keyword import tokenize

    kept: list[tuple[StoredChunk, set[str]]] = []
    for chunk in chunks:
        words = set(tokenize(chunk.text))
        if any(len(words & other) / max(1, len(words | other)) >= threshold for _, other in kept):
            continue
        kept.append((chunk, words))
    return [chunk for chunk, _ in kept]


def one_version_per_story(chunks: list[StoredChunk]) -> list[StoredChunk]:
    """Keep the chunks of each story's best-ranked version only: wire copies of one story say the same thing
    (its other versions are listed with the passage, see
    :func:`qa.retrieval.passages.with_versions`)."""
    shown: dict[str, str] = {}
    return [c for c in chunks if shown.setdefault(c.story or c.article_id, c.article_id) == c.article_id]


def hybrid_search(store: Store, embedder, query: str, k: int, filters: Filters | None = None, *,
                  extra_queries: list[tuple[str, float]] = (), depth: int = 40) -> list[StoredChunk]:
    """Dense (embeddings) and keyword (BM25) rankings fused by reciprocal rank, one version per story,
    near-duplicates collapsed.

    ``extra_queries`` are other phrasings (e.g. a translation of the question) with their weights.
    """
    where = filters.to_where() if filters else None
    queries = [(query, 1.0), *extra_queries]
    vectors = embed_array(embedder, [q for q, _ in queries])
    rankings: list[tuple[list[StoredChunk], float]] = []
    for (text, weight), vector in zip(queries, vectors):
        rankings.append((store.search(vector, depth, where=where), weight))
        rankings.append((store.keyword_search(text, depth, filters), weight))
    fused = fuse(rankings)[: k * 4]
    committed = store.existing({c.article_id for c in fused})  # never a chunk of an article not (yet) stored
    return collapse_near_duplicates(one_version_per_story([c for c in fused if c.article_id in committed]))[:k]
