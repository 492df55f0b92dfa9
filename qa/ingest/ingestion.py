"""Ingestion: articles → clean → chunk → embed → store, idempotent and safe to interrupt."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, Field

from qa.store.articles import Article, Chunk, Failure, printable
from qa.ingest.chunking import bounded_chunks
from qa.models.embeddings import embed_array
from qa.ingest.readers import Limits, Record, count_records, iter_records, read_file
from qa.settings import Settings
from qa.store.catalog import StoryKey
from qa.store.store import Store
from qa.ingest.stories import StoryMatcher

ProgressCallback = Callable[[int, int | None, str], None]


class Duplicate(BaseModel):
    id: str
    of: str  # the stored article with the same text
    path: str | None = None
    line: int | None = None  # its line in a collection file

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.path and self.line else self.path or self.id
        return printable(f"{where} (id {self.id}) has the same text as stored article {self.of}")


class IngestReport(BaseModel):
    """What one ingestion run did. ``ok`` is False when anything failed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: list[Duplicate] = Field(default_factory=list)
    failures: list[Failure] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    added_ids: list[str] = Field(default_factory=list)
    joined_stories: int = 0  # articles stored as a version of another article's story (a wire copy)
    chunks_written: int = 0
    embed_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        return (f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
                f"{len(self.duplicates)} duplicates, {len(self.failures)} failed, "
                f"{self.joined_stories} joined a story, {self.chunks_written} chunks written in {self.seconds:.1f} s")


def embedding_text(title: str, chunk_text: str) -> str:
    """What is embedded for a chunk: its article's title gives it context."""
    return f"{title}\n{chunk_text}"


class Ingestor:
    """Feeds records into a store in batches of about ``batch_chunks`` chunks (the first ones smaller: 16, 32, …)."""

    def __init__(self, store: Store, embedder: Embeddings, settings: Settings, *, batch_chunks: int = 256,
                 on_progress: ProgressCallback | None = None):
        self.store, self.embedder, self.settings = store, embedder, settings
        self.batch_chunks = batch_chunks
        # the first batches are small, so that a run stopped early keeps what it read; then ``batch_chunks``
        self._batch = min(batch_chunks, 16)
        self.on_progress = on_progress
        self.report = IngestReport()
        self._pending: dict[str, tuple[Article, list[Chunk], bool]] = {}  # id -> (article, chunks, is_update)
        self._pending_hashes: dict[str, str] = {}
        self._pending_chunks = 0
        self._pending_stories: dict[str, StoryKey] = {}
        self._stories = StoryMatcher(store.story_candidates, self._stored_text)

    def _stored_text(self, article_id: str) -> str | None:
        article = self.store.get_article(article_id)
        return article.text if article is not None else None

    def feed(self, records: Iterable[Record], total: int | None = None) -> IngestReport:
        self.store.check_writable()  # a read-only, full or damaged store is said before anything is read
        started = time.perf_counter()
        done = 0
        for record in records:
            done += 1
            if isinstance(record, Failure):
                self.report.failures.append(record)
            else:
                self._take(record)
            if self._pending_chunks >= self._batch:
                self._flush()
                self._batch = min(self.batch_chunks, self._batch * 2)
            if self.on_progress:
                self.on_progress(done, total, getattr(record, "title", None) or str(record))
        self._flush()
        self.report.seconds += time.perf_counter() - started
        return self.report

    def _take(self, article: Article) -> None:
        self.report.warnings.extend(printable(f"{article.path or article.id}: {w}") for w in article.warnings)
        content_hash = article.content_hash
        stored_hash = self.store.article_hash(article.id)
        if stored_hash == content_hash:
            self.report.unchanged += 1
            return
        twin = self._pending_hashes.get(content_hash) or self.store.find_by_hash(content_hash)
        if twin is not None and twin != article.id:
            self.report.duplicates.append(Duplicate(id=article.id, of=twin, path=article.path, line=article.line))
            return
        article, chunks, warning = bounded_chunks(article, size=self.settings.chunk_tokens,
                                                  overlap=self.settings.chunk_overlap, encoding=self.settings.encoding,
                                                  max_chunks=self.settings.max_chunks_per_article)
        if warning:
            self.report.warnings.append(printable(f"{article.path or article.id}: {warning}"))
            content_hash = article.content_hash
            if stored_hash == content_hash:  # stored truncated as before
                self.report.unchanged += 1
                return
        previous = self._pending.pop(article.id, None)
        if previous is not None:  # the same id twice in one run: the later version wins
            self._pending_chunks -= len(previous[1])
            self._pending_hashes.pop(previous[0].content_hash, None)
        self._pending[article.id] = (article, chunks, stored_hash is not None)
        self._pending_hashes[content_hash] = article.id
        self._pending_chunks += len(chunks)
        story, fingerprint = self._stories.match(article.id, article.text)  # stored and pending versions
        self._pending_stories[article.id] = StoryKey(story, fingerprint.bands)

    def _flush(self) -> None:
        if not self._pending:
            return
        items = list(self._pending.values())
        texts = [embedding_text(a.title, c.text) for a, chunks, _ in items for c in chunks]
        t0 = time.perf_counter()
        vectors = embed_array(self.embedder, texts)
        self.report.embed_seconds += time.perf_counter() - t0
        batch, offset = [], 0
        for article, chunks, _ in items:
            batch.append((article, chunks, vectors[offset:offset + len(chunks)]))
            offset += len(chunks)
        self.report.chunks_written += self.store.write(batch, stories=self._pending_stories)
        self.report.joined_stories += sum(1 for i, key in self._pending_stories.items() if key.story != i)
        for article, _, is_update in items:
            if is_update:
                self.report.updated += 1
            else:
                self.report.added += 1
                self.report.added_ids.append(article.id)
        self._pending.clear()
        self._pending_hashes.clear()
        self._pending_chunks = 0
        self._pending_stories.clear()
        self._stories.clear()


def ingest_paths(paths: Iterable[str | Path], store: Store, embedder: Embeddings, settings: Settings,
                 on_progress: ProgressCallback | None = None, limit: int | None = None) -> IngestReport:
    """Ingest files and folders; ``limit`` stops after that many records (to try a large collection)."""
    from itertools import islice

    paths = list(paths)
    limits = Limits.from_settings(settings)
    ingestor = Ingestor(store, embedder, settings, on_progress=on_progress)
    total = count_records(paths, limits) if on_progress else None
    if limit is not None and total is not None:
        total = min(total, limit)
    return ingestor.feed(islice(iter_records(paths, limits), limit), total=total)


def ingest_files(files: Iterable[tuple[Path, str]], store: Store, embedder: Embeddings, settings: Settings,
                 on_progress: ProgressCallback | None = None) -> IngestReport:
    """Ingest uploaded files: each as (temporary path, name the user knows it by, used as identity)."""
    limits = Limits.from_settings(settings)
    files = list(files)

    def records():
        for path, name in files:
            for record in read_file(Path(path), limits, identity=name):
                if isinstance(record, Failure):
                    record.path = name
                yield record

    total = count_records([path for path, _ in files], limits) if on_progress else None
    return Ingestor(store, embedder, settings, on_progress=on_progress).feed(records(), total=total)


def rebuild(store: Store, embedder: Embeddings, settings: Settings, embedder_id: str,
            on_progress: ProgressCallback | None = None) -> IngestReport:
    """Re-embed every stored article with ``embedder`` (after changing the embedder)."""
    store.reset_vectors(embedder_id)
    return Ingestor(store, embedder, settings, on_progress=on_progress).feed(
        store.iter_articles(), total=store.count_articles())


def ingest_urls(urls: Iterable[str], store: Store, embedder: Embeddings, settings: Settings,
                on_progress: ProgressCallback | None = None) -> IngestReport:
    """Ingest web pages and RSS/Atom feeds (a feed: the pages of its items), fetching only what changed since
    the last run (see :mod:`qa.ingest.web`). Pages not fetched again count as unchanged."""
    from qa.store.errors import ReadOnlyStoreError
    from qa.ingest.web import WebReader

    if store.read_only:
        raise ReadOnlyStoreError(f"The store at {store.directory} is read-only: articles cannot be added to it.")
    with WebReader(settings, store.directory, known=lambda article_id: store.article_hash(article_id) is not None
                   ) as web:
        report = Ingestor(store, embedder, settings, on_progress=on_progress).feed(web.records(urls))
        web.commit()  # only now that what was read is stored
    report.unchanged += web.unchanged
    report.warnings.extend(web.warnings)
    return report
