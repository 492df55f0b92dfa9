"""One timeline: every article's events, each event told several times kept once, oldest first."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import date, timedelta

import numpy as np

from qa.models.embeddings import embed_array
from qa.settings import Settings
from qa.store.articles import StoredChunk
from qa.store.store import Store
from qa.news.timeline.events import article_events
from qa.news.timeline.passages import timeline_passages
from qa.news.timeline.results import Dropped, Timeline, TimelineEvent

SAME_EVENT = 0.75  # cosine similarity of two event sentences from which they tell the same event (see
# docs/benchmarks.md: same-day retellings scored 0.78-0.81, different events of one story up to 0.74)
SAME_QUOTE = 0.5  # cosine similarity of the quoted sentences of two articles' events of one day from which they
# tell the same event (docs/benchmarks.md: on the sample store, one arrest told by three articles 0.55-0.63,
# different events of one day of the Ségur de la santé 0.05-0.42)
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


_STATUS_WINS = {"cancelled": 2, "done": 1, "planned": 0}  # a telling that says it was called off, or done, wins


def merge_same_events(events: list[TimelineEvent], embedder, threshold: float = SAME_EVENT,
                      quote_threshold: float = SAME_QUOTE) -> list[TimelineEvent]:
    """The events with each one told several times kept once, the other tellings' articles in its ``also``: two
    events are one when their dates agree (:func:`same_time`) and their sentences' cosine similarity is at least
    ``threshold``, or, told by different articles on the same day, their quoted sentences' is at least
    ``quote_threshold`` (the model words one arrest three ways; the articles' sentences share its place and
    time). The kept one's status is the telling's that says most: cancelled, else done, else planned."""
    if len(events) < 2:
        return list(events)

    def unit(texts: list[str]) -> np.ndarray:
        vectors = embed_array(embedder, texts)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)

    said, quoted = unit([e.event for e in events]), unit([e.quote for e in events])

    def same(i: int, j: int) -> bool:
        a, b = events[i], events[j]
        if not same_time(a, b):
            return False
        if float(said[i] @ said[j]) >= threshold:
            return True
        apart = not {a.article_id, *a.also} & {b.article_id, *b.also}
        return (apart and a.precision == b.precision == "day" and a.date == b.date
                and float(quoted[i] @ quoted[j]) >= quote_threshold)

    kept: list[int] = []
    for i in sorted(range(len(events)), key=lambda i: _preference(events[i])):
        event = events[i]
        for j in kept:
            if same(i, j):
                for article_id in (event.article_id, *event.also):
                    if article_id != events[j].article_id and article_id not in events[j].also:
                        events[j].also.append(article_id)
                if _STATUS_WINS[event.status] > _STATUS_WINS[events[j].status]:
                    events[j].status = event.status
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
