"""What the page does, as plain methods over an :class:`~qa.assistant.Assistant`: no Gradio inside, so it is
testable without a browser."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from qa.retrieval import Filters
from qa.settings import Settings
from qa.ui.render import esc, friendly_error, language_label

UPLOAD_TYPES = [".txt", ".md", ".markdown", ".html", ".htm", ".jsonl", ".gz"]


class NewsdeskUI:
    """What the page does, as plain methods over an :class:`~qa.assistant.Assistant` (testable without a browser)."""

    def __init__(self, assistant):
        self.assistant = assistant
        self.settings: Settings = assistant.settings

    @property
    def store(self):
        return self.assistant.store

    # ------------------------------------------------------------ status
    def model_label(self) -> str:
        s = self.settings
        if s.llm == "openai":
            return f"{s.openai_model} (OpenAI-compatible endpoint {s.openai_base_url or 'api.openai.com'})"
        if s.model_path:
            return f"{Path(s.model_path).name} (local, llama.cpp)"
        from qa.bundled import BUNDLED

        return f"{BUNDLED[s.bundled_model].filename.removesuffix('.gguf')} (local, llama.cpp)"

    def status(self) -> dict:
        try:
            stats = self.store.stats()
        except Exception as exc:  # noqa: BLE001
            return {"error": friendly_error(exc), "llm": self.model_label()}
        return {**stats, "llm": self.model_label()}

    def status_html(self) -> str:
        st = self.status()
        if "error" in st:
            return f'<div class="nd-status nd-status-error" id="nd-status">{esc(st["error"])}</div>'
        return ('<div class="nd-status" id="nd-status">'
                f'<span title="embedder">Embedder <b>{esc(st["embedder"])}</b></span>'
                f'<span title="language model">LLM <b>{esc(st["llm"])}</b></span>'
                f'<span><b class="nd-count-articles">{st["articles"]}</b> articles</span>'
                f'<span><b class="nd-count-chunks">{st["chunks"]}</b> chunks</span></div>')

    # ------------------------------------------------------------ filters
    def filter_choices(self) -> dict:
        articles = self.assistant.articles()
        sources = sorted({a.source for a in articles if a.source})
        languages = [(f"{language_label(code)} ({n})", code) for code, n in self.store.languages().items()]
        items = [(f"{a.title[:90]}{' — ' + a.date if a.date else ''}", a.id) for a in articles]
        return {"languages": languages, "sources": sources, "articles": items}

    @staticmethod
    def make_filters(languages=None, sources=None, article_ids=None, date_from=None, date_to=None) -> Filters | None:
        date_from, date_to = _iso_date(date_from, end=False), _iso_date(date_to, end=True)
        filters = Filters(languages=list(languages or []), sources=list(sources or []),
                          article_ids=list(article_ids or []), date_from=date_from, date_to=date_to)
        return filters if filters.to_where() else None

    # ------------------------------------------------------------ answers
    def ask(self, question: str, history: list | None = None, filters: Filters | dict | None = None) -> dict:
        if isinstance(filters, dict):
            known = ("languages", "sources", "article_ids", "date_from", "date_to")
            unknown = sorted(set(filters) - set(known))
            if unknown:
                raise ValueError(f"Unknown filter {', '.join(unknown)}: use {', '.join(known)}.")
            filters = self.make_filters(**{k: filters.get(k) for k in known})
        history = history or []
        if not all(isinstance(turn, (list, tuple)) and len(turn) == 2 for turn in history):
            raise ValueError("history is a list of [question, answer] pairs.")
        turns = [(str(q), str(a)) for q, a in history]
        return self.assistant.ask(question, history=turns, filters=filters).model_dump()

    def stream(self, question: str, history: list, filters: Filters | None) -> Iterator[str | dict]:
        for item in self.assistant.stream(question, history=history, filters=filters):
            yield item if isinstance(item, str) else item.model_dump()

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

    @staticmethod
    def row(article) -> list:
        return [article.title, article.source or "", article.date or "", article.lang or "", article.chunks]

    def table(self, query: str = "") -> tuple[list[list], list[str]]:
        """Rows of the library table and the ids of their articles, in the same order."""
        found = self.search(query)
        return [self.row(a) for a in found], [a.id for a in found]

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

    def summarize(self, article_id: str, style: str = "short", language: str | None = None) -> dict:
        fn = getattr(self.assistant, "summarize", None)
        if fn is None:
            raise RuntimeError("Summaries are not available in this version of newsdesk QA.")
        return fn(article_id, style=style, language=language or None).model_dump()

    def stream_summary(self, article_id: str, style: str, language: str | None) -> Iterator[str | dict]:
        fn = getattr(self.assistant, "stream_summary", None)
        if fn is None:
            raise RuntimeError("Summaries are not available in this version of newsdesk QA.")
        for item in fn(article_id, style=style, language=language or None):
            yield item if isinstance(item, str) else item.model_dump()

    def cached_summary(self, article_id: str, style: str, language: str | None) -> dict | None:
        """A summary made before for this article, style and language, without touching the model; None if none."""
        try:
            from qa import summaries as sm

            article = self.store.get_article(article_id)
            if article is None:
                return None
            lang = sm.language_code(language) or sm.article_language(article)
            key = sm.model_key(self.settings)
            text = self.store.get_summary(article.content_hash, style, lang, key)
            if text is None:
                return None
            return {"article_id": article.id, "title": article.title, "summary": text, "language": lang,
                    "style": style, "model": key.split("#")[0], "cached": True, "seconds": 0.0}
        except Exception:  # noqa: BLE001  (only an optimisation: the Summarize button still works)
            return None

    # ------------------------------------------------------------ adding articles
    def ingest_one(self, path: str | Path, name: str, on_progress=None) -> dict:
        """Ingest one uploaded file; its result as a row for :func:`render_ingest_results`. ``on_progress(done,
        total, title)`` is called after each article of the file."""
        from qa.ingestion import ingest_files

        path = Path(path)
        if not any(name.lower().endswith(ext) for ext in (*UPLOAD_TYPES, ".jsonl.gz")) or (
                name.lower().endswith(".gz") and not name.lower().endswith(".jsonl.gz")):
            return {"name": name, "status": "failed", "label": "failed",
                    "summary": "unsupported file type", "details": [
                        "Upload .txt, .md, .html/.htm, .jsonl or .jsonl.gz files."]}
        report = ingest_files([(path, name)], self.store, self.assistant.embedder, self.settings,
                              on_progress=on_progress)
        return self._report_row(name, report)

    def _report_row(self, name: str, report) -> dict:
        details = []
        for f in report.failures:
            details.append(f"line {f.line}: {f.reason}" if f.line else f.reason)
        for d in report.duplicates:
            twin = self.store.get_article(d.of)
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

    def ingest_text(self, title: str, text: str, source: str = "", date: str = "", url: str = "",
                    lang: str = "") -> dict:
        """Ingest an article pasted in the page."""
        title, text = (title or "").strip(), (text or "").strip()
        if not text:
            return {"name": "pasted article", "status": "failed", "label": "failed",
                    "summary": "no text", "details": ["Paste the article's text."]}
        if not title:
            title = text.split("\n", 1)[0][:120]
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "article"
        record = {"id": (url or "").strip() or f"pasted:{slug}", "title": title, "text": text}
        for key, value in (("source", source), ("date", date), ("url", url), ("lang", lang)):
            if value and str(value).strip():
                record[key] = str(value).strip()
        with tempfile.TemporaryDirectory(prefix="newsdesk-paste-") as folder:
            path = Path(folder) / "pasted.jsonl"
            path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
            from qa.ingestion import ingest_files

            report = ingest_files([(path, "pasted.jsonl")], self.store, self.assistant.embedder, self.settings)
        return self._report_row(f"pasted: {title}", report)


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

