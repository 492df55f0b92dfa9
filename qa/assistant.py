"""``Assistant``: the one object a user needs. It builds the components (embedder, store, model) once
and offers the features: ingest, retrieve, ask, stream, summarize, and the LangChain chain."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

from qa.embeddings import embedder_name, get_embedder
from qa.ingestion import IngestReport, ProgressCallback, ingest_paths
from qa.retrieval import Filters, dense_search
from qa.settings import Settings, get_settings
from qa.store import ArticleInfo, Store, StoredChunk


class Assistant:
    def __init__(self, settings: Settings | None = None, **overrides):
        base = settings or get_settings()
        self.settings = base.model_copy(update=overrides) if overrides else base

    # ------------------------------------------------------------ components
    @cached_property
    def embedder(self):
        s = self.settings
        return get_embedder(s.embedder, s.threads, s.embed_batch_size)

    @cached_property
    def store(self) -> Store:
        return Store(self.settings.store_dir, embedder_name(self.embedder))

    # ------------------------------------------------------------ features
    def ingest(self, paths: Iterable[str | Path], on_progress: ProgressCallback | None = None) -> IngestReport:
        return ingest_paths(paths, self.store, self.embedder, self.settings, on_progress=on_progress)

    def delete(self, article_id: str) -> bool:
        return self.store.delete(article_id)

    def articles(self) -> list[ArticleInfo]:
        return self.store.list_articles()

    def retrieve(self, question: str, k: int | None = None, filters: Filters | None = None) -> list[StoredChunk]:
        return dense_search(self.store, self.embedder, question, k or self.settings.top_k, filters)
