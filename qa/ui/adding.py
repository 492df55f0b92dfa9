"""Adding articles from the page: uploads, web addresses (one a line) and pasted text, each file or address
ingested in a worker thread with its progress reported (:class:`IngestProgress`), each result a row for
:func:`~qa.ui.render.render_ingest_results`."""

from __future__ import annotations

import functools
import json
import re
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

from qa.ui.render import friendly_error
from qa.ingest.fetching import is_url

UPLOAD_TYPES = [".txt", ".md", ".markdown", ".html", ".htm", ".jsonl", ".gz"]


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


def failed_row(name: str, summary: str, details: list[str] | None = None) -> dict:
    """The result row of a file (or pasted article) that could not be added."""
    return {"name": name, "status": "failed", "label": "failed", "summary": summary, "details": list(details or [])}


class AddingArticles:
    """The page's ways of adding articles, over ``self.assistant`` (a mixin of :class:`~qa.ui.controller.NewsdeskUI`)."""

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
