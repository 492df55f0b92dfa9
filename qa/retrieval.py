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
