"""The web app (Gradio): chat with citations, the article library with summaries, adding articles.

Run it with ``python app.py`` (or ``make run``); ``python app.py --help`` for the options. Everything runs
on this machine: the page loads no fonts, scripts or analytics from elsewhere.

Two named API endpoints, for ``gradio_client`` (see docs/app.md):

- ``/ask``: question (+ history, filters) → the answer with its sources, as a JSON object;
- ``/summarize``: article id, style, language → the summary, as a JSON object;
- ``/articles``: the stored articles (id, title, source, date, language, chunks).

Article text is untrusted data: every piece of it shown in the page is HTML-escaped (and its markdown
neutralised where a component renders markdown).
"""

from __future__ import annotations

import argparse
import hmac
import html
import ipaddress
import json
import logging
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qa.settings import Settings, get_settings  # noqa: I001  (sets the offline environment before gradio loads)

import gradio as gr

from qa.prompts import LANGUAGE_NAMES
from qa.retrieval import Filters
from qa.store import StoreError

log = logging.getLogger("qa.ui")

CSS_PATH = Path(__file__).with_name("ui.css")
UPLOAD_TYPES = [".txt", ".md", ".markdown", ".html", ".htm", ".jsonl", ".gz"]
STYLE_CHOICES = [("Short (2-3 sentences)", "short"), ("Headline (1 sentence)", "abstract"), ("Paragraph", "paragraph"),
                 ("Key points", "bullets")]
TABLE_HEADERS = ["Title", "Source", "Date", "Lang", "Chunks"]
ENV_USER, ENV_PASSWORD = "QA_UI_USER", "QA_UI_PASSWORD"


# ---------------------------------------------------------------- escaping and small HTML helpers


_HTML_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;",
                  # interpreted by Gradio's HTML component templates (``${value}``, Handlebars ``{{ }}``)
                  "$": "&#36;", "{": "&#123;", "}": "&#125;", "`": "&#96;"}
_ESC = str.maketrans(_HTML_ENTITIES)
# markdown syntax too, as character references: they stay literal characters inside and outside HTML blocks
_MD_ESC = str.maketrans({**_HTML_ENTITIES, **{c: f"&#{ord(c)};" for c in "\\[]()!*_#|~"}})
_CITATION = re.compile(r"&#91;(\d{1,3})&#93;")


def esc(text: Any) -> str:
    """HTML-escape untrusted text, also the characters that component templates interpret (``${}``, ``{{}}``)."""
    return ("" if text is None else str(text)).translate(_ESC)


def md_safe(text: str) -> str:
    """Untrusted text for a component that renders markdown (the chat): HTML escaped and markdown syntax
    neutralised (no links, no images that would make the browser fetch anything); citations [n] styled."""
    escaped = ("" if text is None else str(text)).translate(_MD_ESC)
    return _CITATION.sub(lambda m: f'<span class="nd-cite">&#91;{m.group(1)}&#93;</span>', escaped)


def _safe_url(url: str | None) -> str | None:
    return url if url and re.match(r"^https?://", url, re.I) else None


def language_label(code: str | None) -> str:
    return LANGUAGE_NAMES.get(code or "", code or "?")


def _meta_line(*parts: str | None) -> str:
    return " · ".join(esc(p) for p in parts if p)


def friendly_error(exc: BaseException) -> str:
    """A message a user can act on, never a stack trace (that goes to the server log)."""
    from qa.llm import ModelUnavailableError

    if isinstance(exc, (ModelUnavailableError, StoreError, ValueError, KeyError)):
        message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        return message or type(exc).__name__
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return f"The language model could not be reached ({type(exc).__name__}: {exc})."
    log.exception("unexpected error in the app")
    return f"Unexpected error ({type(exc).__name__}: {exc}). The details are in the server log."


def _error_html(message: str) -> str:
    return f'<div class="nd-error" role="alert"><strong>Something went wrong.</strong> {esc(message)}</div>'


def _empty_html(text: str) -> str:
    return f'<div class="nd-empty">{esc(text)}</div>'


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{esc(p)}</p>" for p in re.split(r"\n\s*\n|\n", text or "") if p.strip())


# ---------------------------------------------------------------- rendering


def render_answer_markdown(answer: dict) -> str:
    """The chat bubble of a finished answer."""
    if answer.get("refused"):
        return f'<div class="nd-refusal">{md_safe(answer.get("answer", ""))}</div>'
    body = md_safe(answer.get("answer", ""))
    n = len(answer.get("sources") or [])
    note = f'{n} source{"s" if n != 1 else ""} · {answer.get("seconds", 0):.1f} s'
    if answer.get("standalone_question"):
        note += f' · understood as “{md_safe(answer["standalone_question"])}”'
    return f'{body}\n\n<div class="nd-answer-meta">{note}</div>'


def render_sources(answer: dict | None, store=None, context: int = 220) -> str:
    """The cards of an answer's sources: title, source, date, and the quoted passage highlighted in its context."""
    if not answer:
        return _empty_html("Sources of the latest answer appear here: each numbered citation [n] in the answer "
                           "points to a passage of a stored article.")
    sources = answer.get("sources") or []
    if not sources:
        why = ("The assistant found no passage that answers this question, so it does not guess."
               if answer.get("refused") else "This answer has no sources.")
        return _empty_html(why)
    cards = []
    for s in sources:
        quote, before, after = s.get("quote", ""), "", ""
        article = None
        if store is not None:
            try:
                article = store.get_article(s["article_id"])
            except Exception:  # noqa: BLE001  (a missing article only loses the context)
                article = None
        if article is not None and article.text[s["start"]:s["end"]] == quote:
            text = article.text
            begin, end = max(0, s["start"] - context), min(len(text), s["end"] + context)
            before, after = text[begin:s["start"]], text[s["end"]:end]
            if begin > 0:
                before = "…" + before.split(" ", 1)[-1] if " " in before else "…" + before
            if end < len(text):
                after = (after.rsplit(" ", 1)[0] if " " in after else after) + "…"
        url = _safe_url(s.get("url"))
        link = (f'<a class="nd-link" href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">'
                "original ↗</a>") if url else ""
        meta = _meta_line(s.get("source"), s.get("date"), language_label(s.get("lang")) if s.get("lang") else None)
        cards.append(
            f'<article class="nd-source" data-n="{int(s["n"])}" data-article-id="{esc(s["article_id"])}">'
            f'<header><span class="nd-num">{int(s["n"])}</span><div>'
            f'<div class="nd-source-title">{esc(s.get("title"))}</div>'
            f'<div class="nd-meta">{meta} {link}</div></div></header>'
            f'<blockquote class="nd-quote">{esc(before)}<mark>{esc(quote)}</mark>{esc(after)}</blockquote>'
            "</article>"
        )
    return f'<div class="nd-sources">{"".join(cards)}</div>'


def render_summary(summary: dict | None = None, *, partial: str | None = None, started: float | None = None,
                   style: str = "short", note: str | None = None) -> str:
    """The summary panel: a finished summary, one being written (with progress), or a hint."""
    if partial is not None:
        seconds = time.perf_counter() - (started or time.perf_counter())
        text = _summary_body(partial, style) if partial.strip() else ""
        return ('<div class="nd-summary nd-writing"><div class="nd-summary-head"><span class="nd-spinner"></span>'
                f'Writing the summary… <span class="nd-elapsed">{seconds:.0f} s</span></div>'
                f'<div class="nd-summary-text">{text}<span class="nd-cursor">▍</span></div></div>')
    if summary is None:
        return _empty_html(note or "Choose a style and a language, then “Summarize”. Summaries made before "
                                   "appear at once.")
    badge = ('<span class="nd-badge nd-cached">cached</span>' if summary.get("cached")
             else f'<span class="nd-badge">written in {summary.get("seconds", 0):.1f} s</span>')
    style_label = {"short": "Short", "abstract": "Headline", "paragraph": "Paragraph", "bullets": "Key points"}.get(
        summary.get("style"), summary.get("style"))
    extra = ""
    if summary.get("extractive"):
        extra = '<div class="nd-hint">The model\'s summary failed the fact check: the lead sentences are shown.</div>'
    return (f'<div class="nd-summary"><div class="nd-summary-head">{esc(style_label)} summary · '
            f'{esc(language_label(summary.get("language")))} {badge}</div>'
            f'<div class="nd-summary-text">{_summary_body(summary.get("summary", ""), summary.get("style"))}</div>'
            f'{extra}<div class="nd-model">{esc(summary.get("model", ""))}</div></div>')


def _summary_body(text: str, style: str | None) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    if style == "bullets" or (lines and all(re.match(r"^[-*•–]\s", ln) for ln in lines)):
        items = [re.sub(r"^[-*•–]\s*", "", ln) for ln in lines]
        return "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"
    return "".join(f"<p>{esc(ln)}</p>" for ln in lines)


def render_article(article) -> str:
    if article is None:
        return _empty_html("Select an article in the table to read it here.")
    url = _safe_url(article.url)
    link = (f' · <a class="nd-link" href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">'
            "original ↗</a>") if url else ""
    meta = _meta_line(article.source, article.date, language_label(article.lang) if article.lang else None)
    return (f'<div class="nd-article"><h2 class="nd-article-title">{esc(article.title)}</h2>'
            f'<div class="nd-meta">{meta}{link}</div>'
            f'<div class="nd-article-id">id: <code>{esc(article.id)}</code></div>'
            f'<div class="nd-article-text">{_paragraphs(article.text)}</div></div>')


def render_ingest_results(rows: list[dict], *, running: str | None = None) -> str:
    """Per-file results of an ingestion: a status pill and the reasons of failures."""
    if not rows and not running:
        return _empty_html("Results of each file appear here.")
    body = []
    for row in rows:
        details = "".join(f"<li>{esc(d)}</li>" for d in row.get("details", []))
        body.append(
            f'<tr class="nd-row-{esc(row["status"])}"><td class="nd-file">{esc(row["name"])}</td>'
            f'<td><span class="nd-pill nd-pill-{esc(row["status"])}">{esc(row["label"])}</span></td>'
            f'<td>{esc(row["summary"])}{f"<ul>{details}</ul>" if details else ""}</td></tr>'
        )
    progress = (f'<div class="nd-progress"><span class="nd-spinner"></span>{esc(running)}</div>' if running else "")
    table = ('<table class="nd-results"><thead><tr><th>File</th><th>Result</th><th>Details</th></tr></thead>'
             f'<tbody>{"".join(body)}</tbody></table>') if body else ""
    return f'<div class="nd-ingest">{progress}{table}</div>'


# ---------------------------------------------------------------- the app's logic (no Gradio inside)


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
    def ingest_one(self, path: str | Path, name: str) -> dict:
        """Ingest one uploaded file; its result as a row for :func:`render_ingest_results`."""
        from qa.ingestion import ingest_files

        path = Path(path)
        if not any(name.lower().endswith(ext) for ext in (*UPLOAD_TYPES, ".jsonl.gz")) or (
                name.lower().endswith(".gz") and not name.lower().endswith(".jsonl.gz")):
            return {"name": name, "status": "failed", "label": "failed",
                    "summary": "unsupported file type", "details": [
                        "Upload .txt, .md, .html/.htm, .jsonl or .jsonl.gz files."]}
        report = ingest_files([(path, name)], self.store, self.assistant.embedder, self.settings)
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


# ---------------------------------------------------------------- the page


def make_theme() -> gr.themes.Base:
    """Ink blue on warm paper. IBM Plex Sans is served by the app itself (it ships with Gradio; its semi-bold
    file there is a small subset, so only the regular and bold faces are declared); nothing comes from the web."""
    ink = gr.themes.Color(name="ink", c50="#f1f5fa", c100="#dfe8f2", c200="#c2d2e4", c300="#97b2cf",
                          c400="#6689b3", c500="#456b98", c600="#34547d", c700="#2a4466", c800="#243954",
                          c900="#1f3046", c950="#131e2d")
    theme = gr.themes.Base(
        primary_hue=ink, secondary_hue=gr.themes.colors.amber, neutral_hue=gr.themes.colors.stone,
        radius_size=gr.themes.sizes.radius_sm, text_size=gr.themes.sizes.text_md,
        font=(gr.themes.LocalFont("IBM Plex Sans", weights=(400, 700)), "ui-sans-serif", "system-ui",
              "sans-serif"),
        font_mono=(gr.themes.LocalFont("IBM Plex Mono", weights=(400,)), "ui-monospace", "monospace"),
    )
    return theme.set(
        body_background_fill="#f6f4ef",
        block_background_fill="#ffffff",
        block_border_color="#e4e0d8",
        block_shadow="0 1px 2px rgba(31, 48, 70, 0.06)",
        block_title_text_weight="600",
        block_label_text_weight="600",
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_text_color="#ffffff",
        button_secondary_background_fill="#ffffff",
        button_secondary_border_color="#d6d1c7",
        input_background_fill="#fcfbf8",
        input_background_fill_focus="#ffffff",
        input_border_color="#d9d4ca",
        input_border_color_focus="*primary_400",
        input_border_width="1px",
        input_shadow_focus="0 0 0 3px *primary_100",
        color_accent_soft="*primary_50",
        checkbox_label_background_fill_selected="*primary_50",
    )


def build_app(assistant) -> gr.Blocks:
    """The Gradio app over ``assistant``. Launch it with :func:`launch` (theme, CSS, limits, login)."""
    ui = NewsdeskUI(assistant)
    local = assistant.settings.llm == "local"
    llm_limit = 1 if local else 4  # llama.cpp generates one answer at a time anyway (it holds a lock)

    with gr.Blocks(title="newsdesk QA", fill_width=False, analytics_enabled=False) as demo:
        session = gr.State({"turns": [], "answers": {}})  # per browser session: the conversation
        library_ids = gr.State([])

        with gr.Row(elem_id="nd-masthead", equal_height=True):
            gr.HTML('<div class="nd-brand"><span class="nd-logo">newsdesk</span><span class="nd-qa">QA</span>'
                    '<span class="nd-tagline">Answers from your articles, with sources you can check</span></div>',
                    elem_id="nd-brand-block")
            status = gr.HTML(ui.status_html(), elem_id="nd-status-block")

        with gr.Tabs(elem_id="nd-tabs") as tabs:
            # -------------------------------------------------------- Ask
            with gr.Tab("Ask", id="ask", elem_id="nd-tab-ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=7, min_width=380):
                        chatbot = gr.Chatbot(
                            elem_id="nd-chat", label="Conversation", show_label=False, height=560,
                            feedback_options=None, buttons=["copy"], layout="bubble", sanitize_html=True,
                            render_markdown=True, line_breaks=True, autoscroll=True,
                            placeholder=("<div class='nd-chat-empty'><h3>Ask the archive</h3><p>Answers come only "
                                         "from the stored articles, each claim with a numbered citation. "
                                         "Follow-up questions keep the conversation.</p></div>"),
                        )
                        with gr.Row(elem_id="nd-ask-row", equal_height=True):
                            question = gr.Textbox(placeholder="Ask a question about the articles…", show_label=False,
                                                  lines=1, max_lines=4, scale=8, elem_id="nd-question",
                                                  autofocus=True, submit_btn=False)
                            ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="nd-ask")
                        with gr.Row(elem_id="nd-chat-tools"):
                            clear_btn = gr.Button("New conversation", size="sm", variant="secondary",
                                                  elem_id="nd-clear", scale=0, min_width=160)
                            filters_note = gr.HTML('<span class="nd-filters-note">Searching all articles.</span>',
                                                   elem_id="nd-filters-note")
                    with gr.Column(scale=5, min_width=320, elem_id="nd-side"):
                        with gr.Accordion("Filters", open=False, elem_id="nd-filters") as filters_box:
                            f_languages = gr.Dropdown(label="Languages", multiselect=True, choices=[],
                                                      elem_id="nd-f-languages")
                            f_sources = gr.Dropdown(label="Sources", multiselect=True, choices=[],
                                                    elem_id="nd-f-sources")
                            with gr.Row():
                                f_from = gr.Textbox(label="From", placeholder="YYYY-MM-DD", elem_id="nd-f-from",
                                                    min_width=120)
                                f_to = gr.Textbox(label="To", placeholder="YYYY-MM-DD", elem_id="nd-f-to",
                                                  min_width=120)
                            f_articles = gr.Dropdown(label="Only these articles", multiselect=True, choices=[],
                                                     elem_id="nd-f-articles")
                        gr.HTML('<div class="nd-section-title">Sources</div>')
                        sources_html = gr.HTML(render_sources(None), elem_id="nd-sources")

            # -------------------------------------------------------- Library
            with gr.Tab("Library", id="library", elem_id="nd-tab-library"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=5, min_width=360):
                        search = gr.Textbox(placeholder="Search titles, sources, dates, languages…", show_label=False,
                                            elem_id="nd-search")
                        table = gr.Dataframe(headers=TABLE_HEADERS, datatype=["str", "str", "str", "str", "number"],
                                             interactive=False, wrap=True, max_height=620, elem_id="nd-table",
                                             column_widths=["47%", "18%", "14%", "9%", "12%"], max_chars=120)
                        library_note = gr.HTML("", elem_id="nd-library-note")
                    with gr.Column(scale=7, min_width=380, elem_id="nd-reader"):
                        with gr.Row(elem_id="nd-summary-tools", equal_height=True):
                            s_style = gr.Dropdown(STYLE_CHOICES, value="short", label="Summary style",
                                                  elem_id="nd-style", scale=2, min_width=140)
                            s_lang = gr.Dropdown([("Article's language", "")] + [(v, k) for k, v in
                                                                                 LANGUAGE_NAMES.items()],
                                                 value="", label="Language", elem_id="nd-sum-lang", scale=2,
                                                 min_width=140)
                            summarize_btn = gr.Button("Summarize", variant="primary", elem_id="nd-summarize",
                                                      interactive=False, scale=1, min_width=120)
                        summary_html = gr.HTML(render_summary(note="Select an article to summarize it."),
                                               elem_id="nd-summary")
                        article_html = gr.HTML(render_article(None), elem_id="nd-article", max_height=700)
                        with gr.Row(elem_id="nd-article-tools"):
                            ask_about_btn = gr.Button("Ask about this article", elem_id="nd-ask-about", size="sm",
                                                      interactive=False, scale=0, min_width=190)
                            delete_btn = gr.Button("Delete article", variant="stop", elem_id="nd-delete", size="sm",
                                                   interactive=False, scale=0, min_width=130)
                selected_id = gr.Textbox(visible=False, elem_id="nd-selected-id")

            # -------------------------------------------------------- Add articles
            with gr.Tab("Add articles", id="add", elem_id="nd-tab-add"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=1, min_width=340):
                        gr.HTML('<div class="nd-section-title">Upload files</div><p class="nd-hint">'
                                ".txt and .md (first line: title), .html pages, .jsonl / .jsonl.gz collections "
                                f"(one article a line). Up to {assistant.settings.max_file_mb:g} MB a file.</p>")
                        files = gr.File(file_count="multiple", file_types=UPLOAD_TYPES, label="Files",
                                        elem_id="nd-files", height=180)
                        upload_btn = gr.Button("Add files", variant="primary", elem_id="nd-add-files")
                        gr.HTML('<div class="nd-section-title">Results</div>')
                        ingest_html = gr.HTML(render_ingest_results([]), elem_id="nd-ingest-results")
                    with gr.Column(scale=1, min_width=340):
                        gr.HTML('<div class="nd-section-title">Or paste an article</div>')
                        p_title = gr.Textbox(label="Title", elem_id="nd-p-title")
                        p_text = gr.Textbox(label="Text", lines=8, max_lines=20, elem_id="nd-p-text")
                        with gr.Row():
                            p_source = gr.Textbox(label="Source", placeholder="e.g. Reuters", min_width=120)
                            p_date = gr.Textbox(label="Date", placeholder="YYYY-MM-DD", min_width=120)
                            p_lang = gr.Dropdown([("Detect", "")] + [(v, k) for k, v in LANGUAGE_NAMES.items()],
                                                 value="", label="Language", min_width=120)
                        p_url = gr.Textbox(label="URL (optional)")
                        paste_btn = gr.Button("Add pasted article", variant="primary", elem_id="nd-add-text")

        # ============================================================ events
        filter_inputs = [f_languages, f_sources, f_articles, f_from, f_to]

        def refresh_all(query=""):
            try:
                choices = ui.filter_choices()
                rows, ids = ui.table(query)
            except Exception as exc:  # noqa: BLE001
                message = friendly_error(exc)
                return (ui.status_html(), gr.update(), gr.update(), gr.update(), gr.update(), [],
                        _error_html(message))
            return (ui.status_html(), gr.update(choices=choices["languages"]),
                    gr.update(choices=choices["sources"]), gr.update(choices=choices["articles"]),
                    gr.update(value=rows), ids, _library_note(rows, query))

        refresh_outputs = [status, f_languages, f_sources, f_articles, table, library_ids, library_note]
        demo.load(refresh_all, [search], refresh_outputs, api_visibility="private", queue=False)
        tabs.select(refresh_all, [search], refresh_outputs, api_visibility="private", queue=False)

        # ------------------------------------------------------------ chat
        def describe_filters(languages, sources, article_ids, date_from, date_to):
            parts = []
            if languages:
                parts.append(", ".join(language_label(x) for x in languages))
            if sources:
                parts.append(", ".join(sources))
            if date_from or date_to:
                parts.append(f"{date_from or '…'} → {date_to or '…'}")
            if article_ids:
                parts.append(f"{len(article_ids)} chosen article{'s' if len(article_ids) > 1 else ''}")
            label = f"Filters · {len(parts)} active" if parts else "Filters"
            note = ("Searching only: " + " · ".join(parts)) if parts else "Searching all articles."
            return gr.update(label=label), f'<span class="nd-filters-note">{esc(note)}</span>'

        for comp in filter_inputs:
            comp.change(describe_filters, filter_inputs, [filters_box, filters_note], api_visibility="private",
                        queue=False, trigger_mode="always_last")

        def chat(message, messages, state, languages, sources, article_ids, date_from, date_to):
            message = (message or "").strip()
            messages = list(messages or [])
            if not message:
                yield gr.update(), messages, state, gr.update()
                return
            messages += [{"role": "user", "content": md_safe(message)},
                         {"role": "assistant", "content": '<span class="nd-thinking">Searching the articles…</span>'}]
            yield "", messages, state, gr.update()
            try:
                filters = ui.make_filters(languages, sources, article_ids, date_from, date_to)
                text, answer, last = "", None, 0.0
                for item in ui.stream(message, list(state["turns"]), filters):
                    if isinstance(item, str):
                        text += item
                        if text.strip() and (not last or time.perf_counter() - last > 0.08):
                            messages[-1] = {"role": "assistant",
                                            "content": md_safe(text) + '<span class="nd-cursor">▍</span>'}
                            last = time.perf_counter()
                            yield gr.update(), messages, state, gr.update()
                    else:
                        answer = item
            except Exception as exc:  # noqa: BLE001  (a clear message in the chat, never a stack trace)
                message_text = friendly_error(exc)
                messages[-1] = {"role": "assistant", "content": f'<div class="nd-error">{md_safe(message_text)}</div>'}
                yield gr.update(), messages, state, _error_html(message_text)
                return
            messages[-1] = {"role": "assistant", "content": render_answer_markdown(answer)}
            state = {"turns": [*state["turns"], (message, answer["answer"])],
                     "answers": {**state["answers"], str(len(messages) - 1): answer}}
            yield gr.update(), messages, state, render_sources(answer, ui.store)

        gr.on([ask_btn.click, question.submit], chat, [question, chatbot, session, *filter_inputs],
              [question, chatbot, session, sources_html], concurrency_id="llm", concurrency_limit=llm_limit,
              api_visibility="private", show_progress="minimal")

        def show_message_sources(state, evt: gr.SelectData):
            answer = state["answers"].get(str(evt.index if isinstance(evt.index, int) else evt.index[0]))
            return render_sources(answer, ui.store) if answer else gr.update()

        chatbot.select(show_message_sources, [session], [sources_html], api_visibility="private", queue=False)

        def clear():
            return [], {"turns": [], "answers": {}}, render_sources(None), ""

        clear_btn.click(clear, None, [chatbot, session, sources_html, question], api_visibility="private",
                        queue=False)
        chatbot.clear(clear, None, [chatbot, session, sources_html, question], api_visibility="private",
                      queue=False)

        # ------------------------------------------------------------ library
        def filter_table(query):
            rows, ids = ui.table(query)
            return gr.update(value=rows), ids, _library_note(rows, query)

        search.change(filter_table, [search], [table, library_ids, library_note], api_visibility="private",
                      trigger_mode="always_last", queue=False)

        def open_article(ids, style, language, evt: gr.SelectData):
            index = evt.index[0] if isinstance(evt.index, (list, tuple)) else None
            article_id = ui.id_of_row(evt.row_value, ids, index) or ""
            article = ui.store.get_article(article_id) if article_id else None
            if article is None:
                return ("", render_article(None), render_summary(note="Select an article to summarize it."),
                        *[gr.update(interactive=False)] * 3)
            cached = ui.cached_summary(article_id, style, language)
            summary = render_summary(cached) if cached else render_summary(None)
            return (article_id, render_article(article), summary, *[gr.update(interactive=True)] * 3)

        table.select(open_article, [library_ids, s_style, s_lang],
                     [selected_id, article_html, summary_html, summarize_btn, ask_about_btn, delete_btn],
                     api_visibility="private", queue=False)

        def show_cached(article_id, style, language):
            if not article_id:
                return gr.update()
            cached = ui.cached_summary(article_id, style, language)
            return render_summary(cached) if cached else render_summary(None)

        for comp in (s_style, s_lang):
            comp.change(show_cached, [selected_id, s_style, s_lang], [summary_html], api_visibility="private",
                        queue=False)

        def summarize_ui(article_id, style, language):
            if not article_id:
                yield render_summary(note="Select an article first.")
                return
            started = time.perf_counter()
            yield render_summary(partial="", started=started, style=style)
            text, last = "", 0.0
            try:
                for item in ui.stream_summary(article_id, style, language):
                    if isinstance(item, str):
                        text += item
                        if time.perf_counter() - last > 0.1:
                            last = time.perf_counter()
                            yield render_summary(partial=text, started=started, style=style)
                    else:
                        yield render_summary(item)
                        return
            except Exception as exc:  # noqa: BLE001
                yield _error_html(friendly_error(exc))

        summarize_btn.click(summarize_ui, [selected_id, s_style, s_lang], [summary_html], concurrency_id="llm",
                            concurrency_limit=llm_limit, api_visibility="private", show_progress="hidden")

        def ask_about(article_id):
            return (gr.update(value=[article_id] if article_id else []), gr.update(open=True),
                    gr.Tabs(selected="ask"))

        ask_about_btn.click(ask_about, [selected_id], [f_articles, filters_box, tabs], api_visibility="private",
                            queue=False)

        def delete(article_id, query):
            if not article_id:
                return (gr.update(),) * 10
            try:
                found = ui.assistant.delete(article_id)
            except Exception as exc:  # noqa: BLE001
                return (gr.update(), gr.update(), gr.update(), gr.update(), gr.update(), gr.update(), gr.update(),
                        _error_html(friendly_error(exc)), gr.update(), gr.update())
            refreshed = refresh_all(query)
            note = "Article deleted." if found else "That article was already deleted."
            return (*refreshed[:6], f'<div class="nd-ok">{esc(note)}</div>', render_article(None),
                    render_summary(note="Select an article to summarize it."), "")

        delete_btn.click(delete, [selected_id, search],
                         [*refresh_outputs[:6], library_note, article_html, summary_html, selected_id],
                         js="(id, q) => [(id && confirm('Delete this article, its chunks and its summaries?')) "
                            "? id : '', q]",
                         api_visibility="private", queue=True, concurrency_id="ingest", concurrency_limit=1
                         ).then(lambda: [gr.update(interactive=False)] * 3, None,
                                [summarize_btn, ask_about_btn, delete_btn], api_visibility="private", queue=False)

        # ------------------------------------------------------------ adding articles
        def add_files(paths, query, progress=gr.Progress()):
            paths = [p for p in (paths or []) if p]
            if not paths:
                yield (_error_html("Choose one or more files first."), *(gr.update(),) * 6, gr.update())
                return
            rows: list[dict] = []
            for i, path in enumerate(paths):
                name = Path(path).name
                progress((i, len(paths)), desc=f"Reading {name}", unit="files")
                yield (render_ingest_results(rows, running=f"Adding {name} ({i + 1} of {len(paths)})…"),
                       *(gr.update(),) * 6, gr.update())
                try:
                    rows.append(ui.ingest_one(path, name))
                except Exception as exc:  # noqa: BLE001
                    rows.append({"name": name, "status": "failed", "label": "failed",
                                 "summary": friendly_error(exc), "details": []})
            progress((len(paths), len(paths)), desc="Done", unit="files")
            yield render_ingest_results(rows), *refresh_all(query)[:6], None

        upload_btn.click(add_files, [files, search], [ingest_html, *refresh_outputs[:6], files],
                         concurrency_id="ingest", concurrency_limit=1, api_visibility="private",
                         show_progress="minimal")

        def add_text(title, text, source, date, lang, url, query):
            try:
                row = ui.ingest_text(title, text, source, date, url, lang)
            except Exception as exc:  # noqa: BLE001
                row = {"name": f"pasted: {title or 'article'}", "status": "failed", "label": "failed",
                       "summary": friendly_error(exc), "details": []}
            ok = row["status"] in ("ok", "same")
            return (render_ingest_results([row]), *refresh_all(query)[:6],
                    "" if ok else gr.update(), "" if ok else gr.update())

        paste_btn.click(add_text, [p_title, p_text, p_source, p_date, p_lang, p_url, search],
                        [ingest_html, *refresh_outputs[:6], p_title, p_text], concurrency_id="ingest",
                        concurrency_limit=1, api_visibility="private")

        # ------------------------------------------------------------ named API endpoints (gradio_client)
        def ask(question: str, history: list[list[str]] | None = None, filters: dict | None = None) -> dict:
            """Answer a question from the stored articles.

            history: earlier turns as [[question, answer], ...] (follow-up questions).
            filters: {"languages": [...], "sources": [...], "article_ids": [...], "date_from": "YYYY-MM-DD",
            "date_to": "YYYY-MM-DD"}, all optional.
            Returns the answer: {"question", "answer", "sources": [{"n", "article_id", "title", "source", "date",
            "url", "lang", "quote", "start", "end", ...}], "language", "refused", "seconds", ...}.
            """
            try:
                return ui.ask(question, history, filters)
            except Exception as exc:  # noqa: BLE001
                raise gr.Error(friendly_error(exc), print_exception=False) from None

        def summarize(article_id: str, style: str = "short", language: str | None = None) -> dict:
            """Summarize a stored article.

            style: "short" (2-3 sentences), "abstract" (one headline-style sentence), "paragraph" or "bullets".
            language: ISO code such as "en" or "fr"; empty or null: the article's own language.
            Returns {"article_id", "title", "summary", "language", "style", "model", "cached", "seconds", ...}.
            """
            try:
                return ui.summarize(article_id, style or "short", language or None)
            except Exception as exc:  # noqa: BLE001
                raise gr.Error(friendly_error(exc), print_exception=False) from None

        def articles(query: str = "") -> list[dict]:
            """The stored articles (id, title, source, date, lang, chunks), optionally searched by words."""
            return [a.model_dump(exclude={"content_hash", "path"}) for a in ui.search(query)]

        gr.api(ask, api_name="ask", concurrency_id="llm", concurrency_limit=llm_limit)
        gr.api(summarize, api_name="summarize", concurrency_id="llm", concurrency_limit=llm_limit)
        gr.api(articles, api_name="articles", concurrency_limit=None)

    demo.queue(default_concurrency_limit=8)
    demo.newsdesk = ui  # for tests and embedding
    return demo


def _library_note(rows: list, query: str = "") -> str:
    n = len(rows)
    if not n:
        return _empty_html("No article matches." if query else
                           "No articles yet: add some in the “Add articles” tab.")
    plural = "s" if n != 1 else ""
    return f'<div class="nd-hint">{n} article{plural}{" found" if query else ""} · select one to read it.</div>'


# ---------------------------------------------------------------- launching


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def auth_from_env(environ=None):
    """A login check from QA_UI_USER / QA_UI_PASSWORD, or None when they are not both set."""
    environ = os.environ if environ is None else environ
    user, password = environ.get(ENV_USER), environ.get(ENV_PASSWORD)
    if not user or not password:
        return None

    def check(given_user: str, given_password: str) -> bool:
        ok_user = hmac.compare_digest(given_user.encode(), user.encode())
        ok_password = hmac.compare_digest(given_password.encode(), password.encode())
        return ok_user and ok_password

    return check


def launch(demo: gr.Blocks, *, host: str = "127.0.0.1", port: int | None = 7860, auth=None,
           max_file_mb: float | None = None, quiet: bool = True, prevent_thread_lock: bool = True):
    """Start the server with the app's theme, CSS and limits; returns (app, local_url)."""
    max_file_mb = max_file_mb if max_file_mb is not None else get_settings().max_file_mb
    app, local_url, _ = demo.launch(
        server_name=host, server_port=port, auth=auth, auth_message="newsdesk QA: sign in to continue.",
        max_file_size=int(max_file_mb * 1_000_000), share=False, inbrowser=False, quiet=quiet,
        prevent_thread_lock=prevent_thread_lock, show_error=False, theme=make_theme(), css_paths=[CSS_PATH],
        footer_links=["api"], enable_monitoring=False, mcp_server=False, pwa=False, ssr_mode=False,
        run_history=False,
    )
    return app, local_url


def _warm_up(assistant) -> None:
    """Load the local model in the background so that the first answer does not wait for it."""
    try:
        llm = assistant.llm
        if hasattr(llm, "count_tokens"):
            llm.count_tokens("warm up")
    except Exception as exc:  # noqa: BLE001  (reported to the user when they ask)
        log.warning("language model not ready: %s", exc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="app.py", description="newsdesk QA web app (local, offline).")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("QA_UI_PORT", 7860)),
                        help="port (default 7860)")
    parser.add_argument("--store", help="store folder (default: QA_STORE_DIR or ./vectorstore)")
    parser.add_argument("--insecure-no-login", action="store_true",
                        help=f"allow listening on a non-loopback address without a login ({ENV_USER} / "
                             f"{ENV_PASSWORD})")
    args = parser.parse_args(argv)

    auth = auth_from_env()
    if not is_loopback(args.host) and auth is None and not args.insecure_no_login:
        print(f"Refusing to listen on {args.host} without a login: anyone on the network could read and change "
              f"the articles. Set {ENV_USER} and {ENV_PASSWORD}, or pass --insecure-no-login if you really mean it.",
              file=sys.stderr)
        return 2

    from qa.assistant import Assistant

    settings = get_settings()
    if args.store:
        settings = settings.model_copy(update={"store_dir": Path(args.store)})
    assistant = Assistant(settings)
    try:
        stats = assistant.store.stats()
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    threading.Thread(target=_warm_up, args=(assistant,), daemon=True).start()

    demo = build_app(assistant)
    try:
        _, url = launch(demo, host=args.host, port=args.port, auth=auth, max_file_mb=settings.max_file_mb)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(f"newsdesk QA: {stats['articles']} articles, {stats['chunks']} chunks in {stats['store']}")
    print(f"Running on {url}" + ("  (login required)" if auth else ""), flush=True)
    print("Press Ctrl+C to stop.", flush=True)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    return 0
