"""What the page does, as plain methods over an :class:`~qa.assistant.Assistant`: no Gradio inside, so it is
testable without a browser. Everything goes through the Assistant; results are plain data (dicts, lists)
that :mod:`qa.ui.render` turns into HTML."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from qa.answers.results import Found
from qa.retrieval.search import Filters
from qa.settings import Settings
from qa.models.stop import StopSignal
from qa.store.errors import StoreError
from qa.ui.adding import UPLOAD_TYPES, AddingArticles, IngestProgress, failed_row
from qa.ui.gate import BusyError, ModelGate, Reading, Waiting
from qa.ui.progress import Tick, in_worker
from qa.ui.render import friendly_error, language_label, render_title_cell, title_of_cell
from qa.ui.start import example_questions, overview

__all__ = ["UPLOAD_TYPES", "BusyError", "IngestProgress", "ModelGate", "NewsdeskUI", "Reading", "Waiting",
           "failed_row", "passage_dict"]
FILTER_KEYS = ("languages", "sources", "article_ids", "date_from", "date_to")


def passage_dict(passage) -> dict:
    """A retrieved :class:`~qa.retrieval.passages.Passage` as plain data."""
    chunk = passage.chunk
    return {"n": passage.n, "article_id": chunk.article_id, "title": chunk.title, "source": chunk.source,
            "date": chunk.date, "lang": chunk.lang, "url": chunk.url, "text": passage.text,
            "score": round(float(passage.score), 4), "start": passage.start, "end": passage.end,
            "also": [v.model_dump() for v in passage.also]}  # the story's other versions: also published by


class NewsdeskUI(AddingArticles):
    """What the page does, as plain methods over an :class:`~qa.assistant.Assistant` (testable without a browser)."""

    def __init__(self, assistant):
        self.assistant = assistant
        # the local model writes one answer at a time; a hosted endpoint serves several
        slots = 1 if self.settings.llm == "local" else 4
        self.gate = ModelGate(slots, self.settings.max_waiting)

    @property
    def settings(self) -> Settings:
        return self.assistant.settings

    # ------------------------------------------------------------ status
    def status(self) -> dict:
        """The store's stats and the model's label (``Assistant.stats``), or ``{"error", "llm"}``."""
        try:
            return self.assistant.stats()
        except Exception as exc:  # noqa: BLE001  (shown in the masthead instead of the counts)
            return {"error": friendly_error(exc), "llm": self.assistant.model_label()}

    def start(self) -> tuple[dict, list[str]]:
        """What an empty chat shows: what the archive holds (:func:`qa.ui.start.overview`) and example questions
        made from stored articles."""
        articles = self.assistant.articles()
        return overview(articles), example_questions(articles)

    # ------------------------------------------------------------ filters
    def filter_choices(self) -> dict:
        """The choices of the filter dropdowns: ``languages`` and ``articles`` as (label, value) pairs, ``sources``."""
        articles = self.assistant.articles()
        sources = sorted({a.source for a in articles if a.source})
        languages = [(f"{language_label(code)} ({n})", code) for code, n in self.assistant.languages().items()]
        items = [(f"{a.title[:90]}{' — ' + a.date if a.date else ''}", a.id) for a in articles]
        return {"languages": languages, "sources": sources, "articles": items}

    @staticmethod
    def active_filters(languages=None, sources=None, article_ids=None, date_from=None, date_to=None) -> list[str]:
        """The filters set, in words (one item per kind of filter); empty when none is."""
        parts = []
        if languages:
            parts.append(", ".join(language_label(x) for x in languages))
        if sources:
            parts.append(", ".join(sources))
        if date_from or date_to:
            parts.append(f"{date_from or '…'} → {date_to or '…'}")
        if article_ids:
            parts.append(f"{len(article_ids)} chosen article{'s' if len(article_ids) > 1 else ''}")
        return parts

    @staticmethod
    def make_filters(languages=None, sources=None, article_ids=None, date_from=None, date_to=None) -> Filters | None:
        """The retrieval filters of the page's (or the API's) values; None when nothing is filtered. Dates may be
        written YYYY, YYYY-MM or YYYY-MM-DD (a ValueError says so otherwise)."""
        date_from, date_to = _iso_date(date_from, end=False), _iso_date(date_to, end=True)
        filters = Filters(languages=list(languages or []), sources=list(sources or []),
                          article_ids=list(article_ids or []), date_from=date_from, date_to=date_to)
        return filters if filters.to_where() else None

    # ------------------------------------------------------------ answers
    def ask(self, question: str, history: list | None = None, filters: Filters | dict | None = None) -> dict:
        """The answer as a dict (the ``/ask`` endpoint): ``history`` as [[question, answer], ...], ``filters`` as a
        dict of :data:`FILTER_KEYS` (unknown keys are an error)."""
        if isinstance(filters, dict):
            filters = self._dict_filters(filters)
        history = history or []
        if not all(isinstance(turn, (list, tuple)) and len(turn) == 2 for turn in history):
            raise ValueError("history is a list of [question, answer] pairs.")
        turns = [(str(q), str(a)) for q, a in history]
        with self.gate.turn():
            return self.assistant.ask(question, history=turns, filters=filters).model_dump()

    def _dict_filters(self, filters: dict) -> Filters | None:
        unknown = sorted(set(filters) - set(FILTER_KEYS))
        if unknown:
            raise ValueError(f"Unknown filter {', '.join(unknown)}: use {', '.join(FILTER_KEYS)}.")
        return self.make_filters(**{k: filters.get(k) for k in FILTER_KEYS})

    def stream_answer(self, question: str, history: list, filters: Filters | None,
                      signal: StopSignal | None = None) -> Iterator[Waiting | Found | Tick | dict]:
        """Yield the request's place in the model's line while it waits (:class:`Waiting`), then what was found
        (:class:`~qa.answers.results.Found`, the passages the model reads), a :class:`Tick` each second the model works,
        then the checked answer as a dict last. A :class:`BusyError` at once when too many requests wait
        already; :class:`~qa.models.stop.Stopped` once ``signal`` is stopped (the model stops at its next token)."""

        def answer() -> Iterator[Found | Tick | dict]:
            for item in in_worker(lambda: self.assistant.stream(question, history=history, filters=filters), signal):
                yield item if isinstance(item, (Found, Tick)) else item.model_dump()

        return self.gate.queued(answer)

    def retrieve(self, question: str, k: int | None = None, filters: Filters | dict | None = None) -> list[dict]:
        """The passages the question finds (the ``/retrieve`` endpoint), best first: n, article_id, title,
        source, date, lang, url, text (``article.text[start:end]``), score, start, end. The question is searched as written (not translated): no model
        call, so it never waits for the model."""
        if isinstance(filters, dict):
            filters = self._dict_filters(filters)
        question = (question or "").strip()
        if not question:
            raise ValueError("Empty question.")
        if k is not None and not 1 <= int(k) <= 50:
            raise ValueError("k is between 1 and 50.")
        passages = self.assistant.retrieve(question, int(k) if k else None, filters, translations=[])
        return [passage_dict(p) for p in passages]

    def source_texts(self, answer: dict | None) -> dict[str, str]:
        """The full text of each article an answer cites, by id (to show its quotes in their context)."""
        texts: dict[str, str] = {}
        for source in (answer or {}).get("sources") or []:
            article_id = source["article_id"]
            if article_id in texts:
                continue
            try:
                article = self.assistant.article(article_id)
            except StoreError:  # a quote without its context is still a source
                article = None
            if article is not None:
                texts[article_id] = article.text
        return texts

    # ------------------------------------------------------------ library
    def search(self, query: str = "") -> list:
        """The stored articles, newest first; with a ``query``, those about it, best first (title, text, or
        meaning across languages: :mod:`qa.retrieval.library`), each with its matching ``sentence``."""
        return self.assistant.articles(search=query)

    def article_list(self, query: str = "") -> list[dict]:
        """The ``/articles`` endpoint: id, title, source, date, lang, chunks... of the articles found (with a
        query: best first, with ``sentence``, the one that matches, and ``score``)."""
        return [a.model_dump(exclude={"content_hash", "path"}) for a in self.search(query)]

    @staticmethod
    def row(article, versions: int = 1) -> list:
        """The library table's row of an article: its title (with the sentence a search matched under it),
        source, date, language, chunks and versions."""
        return [render_title_cell(article.title, getattr(article, "sentence", None)), article.source or "",
                article.date or "", article.lang or "", article.chunks, f"{versions} versions" if versions > 1 else ""]

    def table(self, query: str = "") -> tuple[list[list], list[str]]:
        """Rows of the library table and the ids of their articles, in the same order: one row per story (its
        first version when the search finds it, else the best found; the reader opens the others), with its
        number of versions."""
        versions = Counter(a.story for a in self.assistant.articles())
        shown = {}
        for a in self.search(query):
            if a.story not in shown or (a.id == a.story and not query):
                shown[a.story] = a
        return [self.row(a, versions[a.story]) for a in shown.values()], [a.id for a in shown.values()]

    def versions(self, article_id: str | None) -> list[tuple[str, str]]:
        """The versions of the article's story (wire copies of one another, itself included) as (label, id),
        in the order they were stored; empty for an article that is a story of its own."""
        found = self.assistant.versions(article_id) if article_id else []
        if len(found) < 2:
            return []
        return [(" · ".join(x for x in (v.source, v.date, v.title) if x), v.id) for v in found]

    def id_of_row(self, row: list | None, ids: list[str], index: int | None = None) -> str | None:
        """The id of a clicked table row: matched on its title, source, date and language (the table may have
        been sorted in the page), else its place."""
        if row:
            wanted = [title_of_cell(str(row[0])), *(str(x) for x in row[1:4])]
            shown = set(ids)
            for info in self.assistant.articles():
                if info.id in shown and [info.title, info.source or "", info.date or "", info.lang or ""] == wanted:
                    return info.id
        if index is not None and 0 <= index < len(ids):
            return ids[index]
        return None

    def article(self, article_id: str | None):
        """The stored :class:`~qa.store.articles.Article` (full text), or None."""
        return self.assistant.article(article_id) if article_id else None

    def delete(self, article_id: str) -> bool:
        """Remove an article, its chunks and its summaries; False when it was already gone."""
        return self.assistant.delete(article_id)

    # ------------------------------------------------------------ summaries
    def summarize(self, article_id: str, style: str = "short", language: str | None = None) -> dict:
        """The summary (the ``/summarize`` endpoint): a summary made before at once, a new one after waiting
        for the model (a :class:`BusyError` at once when too many requests wait already)."""
        language = language or None
        made = self._made_before(article_id, style, language)
        if made is not None:
            return made
        with self.gate.turn():
            return self.assistant.summarize(article_id, style=style, language=language).model_dump()

    def stream_summary(self, article_id: str, style: str, language: str | None,
                       signal: StopSignal | None = None) -> Iterator[Waiting | str | Tick | dict]:
        """Yield the request's place in the model's line while it waits (:class:`Waiting`), then the summary's
        text so far as the model writes it, then the checked summary as a dict last. A summary made before
        comes at once, without waiting. ``signal`` stops it as :meth:`stream_answer`'s does."""
        language = language or None
        made = self._made_before(article_id, style, language)
        if made is not None:
            return iter([made["summary"], made])

        def summary() -> Iterator[str | Tick | dict]:
            text = ""
            for item in in_worker(lambda: self.assistant.stream_summary(article_id, style=style, language=language),
                                  signal):
                if isinstance(item, str):
                    text += item
                    yield text
                else:
                    yield item if isinstance(item, Tick) else item.model_dump()

        return self.gate.queued(summary)

    def _made_before(self, article_id: str, style: str, language: str | None) -> dict | None:
        """The cached summary, or None; a bad style or language, or a missing article, raises its usual error
        here, without waiting for the model."""
        summary = self.assistant.cached_summary(article_id, style=style, language=language)
        if summary is None and self.assistant.article(article_id) is None:
            self.assistant.summarize(article_id, style=style, language=language)  # raises: no such article
        return summary.model_dump() if summary is not None else None

    def cached_summary(self, article_id: str, style: str, language: str | None) -> dict | None:
        """A summary made before for this article, style and language (the model is not called); None if none,
        or when the article has just been deleted."""
        try:
            summary = self.assistant.cached_summary(article_id, style=style, language=language or None)
        except (StoreError, KeyError):
            return None
        return summary.model_dump() if summary is not None else None

    # ------------------------------------------------------------ story timeline
    def timeline(self, query: str, language: str | None = None) -> dict:
        """The timeline of a subject as a dict (the ``/timeline`` endpoint), after waiting for the model (a
        :class:`BusyError` at once when too many requests wait already)."""
        with self.gate.turn():
            return self.assistant.timeline(query, language=language or None).model_dump()

    def stream_timeline(self, query: str, language: str | None = None,
                        poll: float = 0.5) -> Iterator[Waiting | Reading | dict]:
        """Yield the request's place in the model's line while it waits (:class:`Waiting`), then how far the
        timeline is (:class:`Reading`, checked every ``poll`` seconds), then the timeline as a dict last."""

        def work() -> Iterator[Reading | dict]:
            latest = [Reading()]  # replaced whole by the worker

            def on_progress(done: int, total: int) -> None:
                latest[0] = Reading(done, total)

            with ThreadPoolExecutor(1, thread_name_prefix="newsdesk-timeline") as pool:
                job = pool.submit(self.assistant.timeline, query, language or None, None, on_progress)
                shown = None
                while True:
                    if latest[0] != shown:
                        shown = latest[0]
                        yield shown
                    try:
                        timeline = job.result(timeout=poll)
                        break
                    except FutureTimeout:
                        continue
            yield timeline.model_dump()

        return self.gate.queued(work)

def _iso_date(value: str | None, *, end: bool) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    match = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", value)
    if not match:
        raise ValueError(f"Dates are written YYYY-MM-DD (or YYYY, YYYY-MM): {value!r} is not one.")
    year, month, day = match.group(1), match.group(2), match.group(3)
    if month is None:
        month, day = ("12", "31") if end else ("01", "01")
    elif day is None:
        day = "31" if end else "01"
    return f"{year}-{int(month):02d}-{int(day):02d}"
