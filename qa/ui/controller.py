"""What the page does, as plain methods over an :class:`~qa.assistant.Assistant`: no Gradio inside, so it is
testable without a browser. Everything goes through the Assistant; results are plain data (dicts, lists)
that :mod:`qa.ui.render` turns into HTML."""

from __future__ import annotations

import functools
import json
import re
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from qa.answers import Found
from qa.retrieval import Filters
from qa.settings import Settings
from qa.store import StoreError
from qa.ui.render import friendly_error, language_label
from qa.web import is_url

UPLOAD_TYPES = [".txt", ".md", ".markdown", ".html", ".htm", ".jsonl", ".gz"]
FILTER_KEYS = ("languages", "sources", "article_ids", "date_from", "date_to")


@dataclass(frozen=True)
class IngestProgress:
    """Where an upload stands: the result rows of the files done so far and, while one is being ingested,
    which (``file``) and how far (``done`` of ``total`` articles, once the file's reader knows the total)."""

    rows: tuple[dict, ...] = ()
    file: str | None = None  # "Adding a.jsonl (2 of 3 files)"; None once every file is done
    done: int = 0
    total: int | None = None

    @property
    def finished(self) -> bool:
        return self.file is None

    @property
    def running(self) -> str | None:
        """What is being done, as a person reads it; None once finished."""
        if self.file is None:
            return None
        return f"{self.file}: {self.done:,} of {self.total:,} articles…" if self._counted else f"{self.file}…"

    @property
    def fraction(self) -> float | None:
        """The fraction of the current file's articles done, when it holds several (None otherwise)."""
        return self.done / self.total if self.file is not None and self._counted else None

    @property
    def _counted(self) -> bool:
        return bool(self.total and self.total > 1)


def passage_dict(passage) -> dict:
    """A retrieved :class:`~qa.retrieval.Passage` as plain data."""
    chunk = passage.chunk
    return {"n": passage.n, "article_id": chunk.article_id, "title": chunk.title, "source": chunk.source,
            "date": chunk.date, "lang": chunk.lang, "url": chunk.url, "text": passage.text,
            "score": round(float(passage.score), 4), "start": passage.start, "end": passage.end,
            "also": [v.model_dump() for v in passage.also]}  # the story's other versions: also published by


def failed_row(name: str, summary: str, details: list[str] | None = None) -> dict:
    """The result row of a file (or pasted article) that could not be added."""
    return {"name": name, "status": "failed", "label": "failed", "summary": summary, "details": list(details or [])}


# ================================================================ the model's waiting line


class BusyError(RuntimeError):
    """Too many requests already wait for the model: this one is refused at once (try again later)."""

    def __init__(self, waiting: int, running: int):
        self.waiting, self.running = waiting, running
        if waiting:
            what = f"{waiting} question{'s' if waiting != 1 else ''} waiting"
        else:
            what = f"{running} question{'s' if running != 1 else ''} being answered"
        super().__init__(f"The assistant is busy ({what}): try again in a minute.")


@dataclass(frozen=True)
class Waiting:
    """Yielded by the streaming methods while their request waits for the model: ``ahead`` requests come
    before it (those being answered included). ``ahead == 0`` once it has waited and its turn has come."""

    ahead: int


@dataclass(frozen=True)
class Reading:
    """Yielded by :meth:`NewsdeskUI.stream_timeline` while a timeline is made: ``done`` articles read of
    ``total`` (None while the articles are being found)."""

    done: int = 0
    total: int | None = None


class ModelGate:
    """The line in front of the model: requests take the model ``slots`` at a time, first come, first served.

    At most ``max_waiting`` requests wait (besides those being answered); one more is refused at once with a
    :class:`BusyError`, so that nobody waits in a line that cannot move in time. :meth:`turn` waits
    (blocking) for a request that cannot show its place; :meth:`queued` yields :class:`Waiting` places
    while it waits, for a page that shows them.
    """

    def __init__(self, slots: int = 1, max_waiting: int = 8):
        if slots < 1 or max_waiting < 0:
            raise ValueError("a gate needs slots >= 1 and max_waiting >= 0")
        self.slots, self.max_waiting = slots, max_waiting
        self._line: list[object] = []  # the tickets, oldest first: the first `slots` of them hold the model
        self._changed = threading.Condition()
        self.served = self.refused = 0

    @property
    def running(self) -> int:
        with self._changed:
            return min(len(self._line), self.slots)

    @property
    def waiting(self) -> int:
        with self._changed:
            return max(0, len(self._line) - self.slots)

    def wait_until(self, check: Callable[[ModelGate], bool], timeout: float | None = None) -> bool:
        """Wait until ``check(gate)`` holds (checked whenever the line changes); False after ``timeout`` seconds.
        For monitors and tests: ``gate.wait_until(lambda g: g.waiting == 2, timeout=10)``."""
        with self._changed:
            return self._changed.wait_for(lambda: check(self), timeout)

    def _join(self) -> object:
        with self._changed:
            waiting = max(0, len(self._line) - self.slots)
            if len(self._line) >= self.slots and waiting >= self.max_waiting:
                self.refused += 1
                raise BusyError(waiting, min(len(self._line), self.slots))
            ticket = object()
            self._line.append(ticket)
            self._changed.notify_all()
            return ticket

    def _leave(self, ticket: object, served: bool) -> None:
        with self._changed:
            if ticket in self._line:
                self._line.remove(ticket)
            self.served += served
            self._changed.notify_all()

    def _ahead(self, ticket: object) -> int:
        return self._line.index(ticket)

    @contextmanager
    def turn(self):
        """Wait for a slot of the model (BusyError at once when the line is full), hold it inside the block."""
        ticket = self._join()
        try:
            with self._changed:
                self._changed.wait_for(lambda: self._ahead(ticket) < self.slots)
            yield
        finally:
            self._leave(ticket, served=True)

    def queued(self, work: Callable[[], Iterator], heartbeat: float = 5.0) -> Iterator:
        """Take a place in the line (BusyError at once when it is full), yielding :class:`Waiting` whenever the
        place changes (and every ``heartbeat`` seconds, so that the page can close this generator when its
        user has gone), ``Waiting(0)`` when the turn comes after a wait; then the items of ``work()``, the
        model held. Leaving early (the generator closed) gives the place or the slot up."""
        ticket = self._join()
        served = False
        try:
            shown, waited = None, False
            while True:
                with self._changed:
                    self._changed.wait_for(lambda shown=shown: self._ahead(ticket) != shown, timeout=heartbeat)
                    ahead = self._ahead(ticket)
                if ahead < self.slots:
                    break
                waited, shown = True, ahead
                yield Waiting(ahead)
            if waited:
                yield Waiting(0)
            served = True
            with closing(work()) as items:
                yield from items
        finally:
            self._leave(ticket, served)


class NewsdeskUI:
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

    def stream_answer(self, question: str, history: list, filters: Filters | None) -> Iterator[Waiting | Found | dict]:
        """Yield the request's place in the model's line while it waits (:class:`Waiting`), then what was found
        (:class:`~qa.answers.Found`, the passages the model reads), then the checked answer as a dict last. A :class:`BusyError` at once when too many requests wait already."""

        def answer() -> Iterator[Found | dict]:
            with closing(self.assistant.stream(question, history=history, filters=filters)) as items:
                for item in items:
                    yield item if isinstance(item, Found) else item.model_dump()

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
        """The stored articles whose title, source, date, language or id contain every word of ``query``."""
        words = [w for w in (query or "").lower().split() if w]
        found = []
        for a in self.assistant.articles():
            fields = (a.title, a.source, a.date, a.lang, language_label(a.lang), a.id)
            hay = " ".join(str(x or "") for x in fields).lower()
            if all(w in hay for w in words):
                found.append(a)
        return found

    def article_list(self, query: str = "") -> list[dict]:
        """The ``/articles`` endpoint: id, title, source, date, lang, chunks... of the articles found."""
        return [a.model_dump(exclude={"content_hash", "path"}) for a in self.search(query)]

    @staticmethod
    def row(article, versions: int = 1) -> list:
        return [article.title, article.source or "", article.date or "", article.lang or "", article.chunks,
                f"{versions} versions" if versions > 1 else ""]

    def table(self, query: str = "") -> tuple[list[list], list[str]]:
        """Rows of the library table and the ids of their articles, in the same order: one row per story (its
        first version when the search finds it, else the first found; the reader opens the others), with its
        number of versions."""
        versions = Counter(a.story for a in self.assistant.articles())
        shown = {}
        for a in self.search(query):
            if a.story not in shown or a.id == a.story:
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
        """The id of a clicked table row: matched on its values (the table may have been sorted in the page)."""
        if row:
            wanted, shown = [str(x) for x in row[:4]], set(ids)
            for info in self.assistant.articles():
                if info.id in shown and [str(x) for x in self.row(info)[:4]] == wanted:
                    return info.id
        if index is not None and 0 <= index < len(ids):
            return ids[index]
        return None

    def article(self, article_id: str | None):
        """The stored :class:`~qa.articles.Article` (full text), or None."""
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

    def stream_summary(self, article_id: str, style: str, language: str | None) -> Iterator[Waiting | str | dict]:
        """Yield the request's place in the model's line while it waits (:class:`Waiting`), then the summary's
        text so far as the model writes it, then the checked summary as a dict last. A summary made before
        comes at once, without waiting."""
        language = language or None
        made = self._made_before(article_id, style, language)
        if made is not None:
            return iter([made["summary"], made])

        def summary() -> Iterator[str | dict]:
            text = ""
            with closing(self.assistant.stream_summary(article_id, style=style, language=language)) as items:
                for item in items:
                    if isinstance(item, str):
                        text += item
                        yield text
                    else:
                        yield item.model_dump()

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

    # ------------------------------------------------------------ adding articles
    def ingest_uploads(self, paths: list[str | Path] | None, poll: float = 0.5) -> Iterator[IngestProgress]:
        """Ingest uploaded files one after the other in a worker thread, yielding an :class:`IngestProgress`
        whenever it changes (checked every ``poll`` seconds): at the start of each file, as its articles are
        done, and a finished one last. A file that fails is a failed row; the others are still ingested."""
        paths = [p for p in (paths or []) if p]
        if not paths:
            raise ValueError("Choose one or more files first.")
        jobs = [(Path(path).name, functools.partial(self.ingest_one, path, Path(path).name)) for path in paths]
        yield from self._ingest_each(jobs, "files", poll)

    def ingest_urls(self, text: str | None, poll: float = 0.5) -> Iterator[IngestProgress]:
        """Ingest the web pages and RSS/Atom feeds whose addresses ``text`` holds, one a line, one after the
        other, with the progress of :meth:`ingest_uploads`: one result row per line (spaces do not separate
        addresses: a line that is not an address is one failed row)."""
        urls = list(dict.fromkeys(line.strip() for line in (text or "").splitlines() if line.strip()))
        if not urls:
            raise ValueError("Enter one or more web addresses (https://…) first.")
        yield from self._ingest_each([(url, functools.partial(self.ingest_url, url)) for url in urls], "addresses",
                                     poll)

    def _ingest_each(self, jobs: list[tuple[str, Callable[..., dict]]], unit: str,
                     poll: float) -> Iterator[IngestProgress]:
        """Run each (name, job) one after the other in a worker thread (``job(on_progress)`` returns the result
        row), yielding an :class:`IngestProgress` whenever it changes (checked every ``poll`` seconds), a
        finished one last. A job that raises is a failed row; the next ones still run."""
        rows: list[dict] = []
        for i, (name, job) in enumerate(jobs):
            where = f"Adding {name}" + (f" ({i + 1} of {len(jobs)} {unit})" if len(jobs) > 1 else "")
            latest = [(0, None)]  # (done, total), replaced whole by the worker

            def on_progress(done, total, _title, latest=latest):
                latest[0] = (done, total)

            with ThreadPoolExecutor(1, thread_name_prefix="newsdesk-ingest") as pool:
                running = pool.submit(job, on_progress)
                shown = None
                while True:
                    if latest[0] != shown:
                        shown = latest[0]
                        yield IngestProgress(tuple(rows), where, *shown)
                    try:
                        rows.append(running.result(timeout=poll))
                        break
                    except FutureTimeout:
                        continue
                    except Exception as exc:  # noqa: BLE001  (this job's row says why; the next ones go on)
                        rows.append(failed_row(name, friendly_error(exc)))
                        break
        yield IngestProgress(tuple(rows))

    def ingest_one(self, path: str | Path, name: str, on_progress=None) -> dict:
        """Ingest one uploaded file; its result as a row for :func:`~qa.ui.render.render_ingest_results`.
        ``on_progress(done, total, title)`` is called after each article of the file."""
        lower = name.lower()
        if not lower.endswith((*UPLOAD_TYPES, ".jsonl.gz")) or (lower.endswith(".gz")
                                                                 and not lower.endswith(".jsonl.gz")):
            return failed_row(name, "unsupported file type", ["Upload .txt, .md, .html/.htm, .jsonl or .jsonl.gz files."])
        report = self.assistant.ingest_files([(path, name)], on_progress=on_progress)
        return self._report_row(name, report)

    def ingest_url(self, url: str, on_progress=None) -> dict:
        """Ingest one web page or RSS/Atom feed; its result as a row (a feed item's failure names its page)."""
        if not is_url(url):
            return failed_row(url, "not a web address", ["Enter addresses starting with http:// or https://."])
        report = self.assistant.ingest_urls([url], on_progress=on_progress)
        report.failures = [f if f.path == url else f.model_copy(update={"reason": f"{f.path}: {f.reason}"})
                           for f in report.failures]
        return self._report_row(url, report)

    def ingest_text(self, title: str, text: str, source: str = "", date: str = "", url: str = "",
                    lang: str = "") -> dict:
        """Ingest an article pasted in the page; its result row (a failed row says why, it never raises)."""
        title, text = (title or "").strip(), (text or "").strip()
        if not text:
            return failed_row("pasted article", "no text", ["Paste the article's text."])
        if not title:
            title = text.split("\n", 1)[0][:120]
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "article"
        record = {"id": (url or "").strip() or f"pasted:{slug}", "title": title, "text": text}
        for key, value in (("source", source), ("date", date), ("url", url), ("lang", lang)):
            if value and str(value).strip():
                record[key] = str(value).strip()
        name = f"pasted: {title}"
        try:
            with tempfile.TemporaryDirectory(prefix="newsdesk-paste-") as folder:
                path = Path(folder) / "pasted.jsonl"
                path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
                report = self.assistant.ingest_files([(path, "pasted.jsonl")])
        except Exception as exc:  # noqa: BLE001  (a clear message in the results, never a stack trace)
            return failed_row(name, friendly_error(exc))
        return self._report_row(name, report)

    def _report_row(self, name: str, report) -> dict:
        details = []
        for f in report.failures:
            details.append(f"line {f.line}: {f.reason}" if f.line else f.reason)
        for d in report.duplicates:
            twin = self.assistant.article(d.of)
            details.append(f"same text as “{twin.title if twin else d.of}” (already stored)")
        details.extend(w.replace(str(name) + ": ", "", 1) for w in report.warnings[:5])
        counts = [(report.added, "added"), (report.updated, "updated"), (report.unchanged, "unchanged"),
                  (len(report.duplicates), "duplicate"), (len(report.failures), "failed")]
        summary = ", ".join(f"{n} {word}" for n, word in counts if n) or "nothing to add"
        stored = report.added + report.updated
        if report.failures and not stored and not report.unchanged and not report.duplicates:
            status, label = "failed", "failed"
        elif report.failures:
            status, label = "partial", "partly added"
        elif stored:
            status, label = "ok", "added" if not report.updated else "updated"
        else:
            status, label = "same", "already stored"
        return {"name": name, "status": status, "label": label, "summary": summary, "details": details,
                "added_ids": list(report.added_ids)}


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
