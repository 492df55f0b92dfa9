"""One timeline: every article's events, each event told several times kept once, oldest first."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import date, timedelta

import numpy as np

from qa.embeddings import embed_array
from qa.settings import Settings
from qa.store import Store, StoredChunk
from qa.timeline.events import article_events
from qa.timeline.passages import timeline_passages
from qa.timeline.results import Dropped, Timeline, TimelineEvent

SAME_EVENT = 0.75  # cosine similarity of two event sentences from which they tell the same event (see
# docs/benchmarks.md: same-day retellings scored 0.78-0.81, different events of one story up to 0.74)
ARTICLE_DATE_SLACK = timedelta(days=7)  # an event dated by its article may have happened this long before it

ProgressCallback = Callable[[int, int], None]  # (articles read, articles to read)


def _first_day(event: TimelineEvent) -> date:
    return date.fromisoformat((event.date + "-01-01")[:10])


def same_time(a: TimelineEvent, b: TimelineEvent) -> bool:
    """Whether two events' dates agree: equal to the precision both have ("2018-11" and "2018-11-19"), or,
    when one is only its article's date, within :data:`ARTICLE_DATE_SLACK` of each other."""
    common = min(len(a.date), len(b.date))
    if a.date[:common] == b.date[:common]:
        return True
    if "article" in (a.dated_by, b.dated_by):
        return abs(_first_day(a) - _first_day(b)) <= ARTICLE_DATE_SLACK
    return False


def _preference(event: TimelineEvent) -> tuple:
    """Which telling of an event to keep: dated by its passage, then the most precise date, then the oldest article."""
    return (event.dated_by != "passage", -len(event.date), event.article_date or "9999", event.article_id,
            event.start)


def merge_same_events(events: list[TimelineEvent], embedder, threshold: float = SAME_EVENT) -> list[TimelineEvent]:
    """The events with each one told several times kept once (see :func:`same_time`; the sentences' cosine
    similarity at least ``threshold``), the other tellings' articles in its ``also``."""
    if len(events) < 2:
        return list(events)
    vectors = embed_array(embedder, [e.event for e in events])
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    kept: list[int] = []
    for i in sorted(range(len(events)), key=lambda i: _preference(events[i])):
        event = events[i]
        for j in kept:
            if same_time(event, events[j]) and float(vectors[i] @ vectors[j]) >= threshold:
                for article_id in (event.article_id, *event.also):
                    if article_id != events[j].article_id and article_id not in events[j].also:
                        events[j].also.append(article_id)
                break
        else:
            kept.append(i)
    return [events[i] for i in kept]


def in_order(events: list[TimelineEvent]) -> list[TimelineEvent]:
    """Oldest first; a date known to the year or the month before the days within it."""
    return sorted(events, key=lambda e: (e.date, e.article_date or "", e.article_id, e.start))


def make_timeline(subject: str, language: str, chunks: list[StoredChunk], store: Store, embedder, llm,
                  settings: Settings, *, translations: Iterable[str] = (),
                  on_progress: ProgressCallback | None = None) -> Timeline:
    """The timeline of ``subject`` from the candidate ``chunks`` of ``store`` (see the module's description)."""
    started = time.perf_counter()
    reading = timeline_passages(subject, chunks, store, embedder, articles=settings.timeline_max_articles,
                                translations=translations)
    groups = reading.groups
    events: list[TimelineEvent] = []
    dropped: list[Dropped] = []
    for done, group in enumerate(groups):
        if on_progress:
            on_progress(done, len(groups))
        found, failed = article_events(subject, group, language, llm, settings)
        for event in found:  # the story's other versions tell it too
            event.also += [a for a in group.copies if a not in event.also]
        events += found
        dropped += failed
    if on_progress:
        on_progress(len(groups), len(groups))
    return Timeline(query=subject, language=language, events=in_order(merge_same_events(events, embedder)),
                    articles=[g.article_id for g in groups], named=reading.named, dropped=dropped,
                    seconds=round(time.perf_counter() - started, 3))
