"""HTML of the page's parts: answers, sources, summaries, articles, ingestion results, errors.

Article text is untrusted data: every piece of it is HTML-escaped here (and its markdown neutralised where
a component renders markdown), so nothing an article says can run or load anything in the page.
"""

from __future__ import annotations

import html
import logging
import re
import time
from collections.abc import Mapping
from typing import Any

from qa.models.prompts import LANGUAGE_NAMES
from qa.store.errors import StoreError

log = logging.getLogger("qa.ui")

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
    return url if url and re.match(r"^https?://", url, re.IGNORECASE) else None


def language_label(code: str | None) -> str:
    return LANGUAGE_NAMES.get(code or "", code or "?")


def _meta_line(*parts: str | None) -> str:
    return " · ".join(esc(p) for p in parts if p)


def friendly_error(exc: BaseException) -> str:
    """A message a user can act on, never a stack trace (that goes to the server log)."""
    from qa.models.llm import ModelUnavailableError
    from qa.ui.gate import BusyError

    if isinstance(exc, (ModelUnavailableError, StoreError, ValueError, KeyError, BusyError)):
        message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        return message or type(exc).__name__
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return f"The language model could not be reached ({type(exc).__name__}: {exc})."
    log.exception("unexpected error in the app")
    return f"Unexpected error ({type(exc).__name__}: {exc}). The details are in the server log."


def error_html(message: str) -> str:
    return f'<div class="nd-error" role="alert"><strong>Something went wrong.</strong> {esc(message)}</div>'


def empty_html(text: str) -> str:
    return f'<div class="nd-empty">{esc(text)}</div>'


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{esc(p)}</p>" for p in re.split(r"\n\s*\n|\n", text or "") if p.strip())


# ---------------------------------------------------------------- rendering


def render_status(status: dict) -> str:
    """The masthead's line: embedder, model, article and chunk counts (``NewsdeskUI.status``), or its error."""
    if "error" in status:
        return f'<div class="nd-status nd-status-error" id="nd-status">{esc(status["error"])}</div>'
    return ('<div class="nd-status" id="nd-status">'
            f'<span title="embedder">Embedder <b>{esc(status["embedder"])}</b></span>'
            f'<span title="language model">LLM <b>{esc(status["llm"])}</b></span>'
            f'<span><b class="nd-count-articles">{int(status["articles"])}</b> articles</span>'
            f'<span><b class="nd-count-chunks">{int(status["chunks"])}</b> chunks</span></div>')


def render_filters_note(active: list[str]) -> str:
    """The line under the chat that says what the questions search (``NewsdeskUI.active_filters``)."""
    note = ("Searching only: " + " · ".join(active)) if active else "Searching all articles."
    return f'<span class="nd-filters-note">{esc(note)}</span>'


def waiting_text(ahead: int, noun: str = "question") -> str:
    """Where a request stands in the model's line, as a person reads it."""
    return f"Waiting for the model: {ahead} {noun}{'s' if ahead != 1 else ''} ahead of yours…"


def render_waiting(ahead: int) -> str:
    """The chat bubble of a question waiting for the model (``ahead`` requests before it)."""
    return f'<span class="nd-thinking nd-waiting">{esc(waiting_text(ahead))}</span>'


def render_busy(message: str) -> str:
    """The chat bubble of a question refused because too many wait already."""
    return f'<div class="nd-busy" role="status">{esc(message)}</div>'


def reading_step(found) -> str:
    """The step said while the model reads what was found (a :class:`qa.answers.results.Found`)."""
    n, articles = len(found.passages), len({p.article_id for p in found.passages})
    if not n:
        return "No passage found…"
    return f"Reading {n} passage{'s' if n != 1 else ''} of {articles} article{'s' if articles != 1 else ''}…"


def render_step(step: str, seconds: float) -> str:
    """The chat bubble while the question is being answered: the step ("Searching the articles…", "Reading 5
    passages of 3 articles…", "Checking the answer…") and the seconds since the question was asked."""
    return f'<span class="nd-thinking">{esc(step)} <span class="nd-elapsed">{seconds:.0f} s</span></span>'


def render_stopped(written: str) -> str:
    """The chat bubble of an answer stopped by its user: what the model had written, marked stopped."""
    body = md_safe(written.strip()) if written.strip() else "(nothing written yet)"
    return (f'<div class="nd-stopped-text">{body}</div>\n\n'
            '<div class="nd-answer-meta nd-stopped">Stopped · not checked against the articles</div>')


def render_answer_markdown(answer: dict) -> str:
    """The chat bubble of a finished answer: answered (cited), unconfirmed (the closest passages are its
    sources, for the reader to judge) or not found."""
    status = answer.get("status") or ("not_found" if answer.get("refused") else "answered")
    n = len(answer.get("sources") or [])
    if status == "not_found":
        return f'<div class="nd-refusal">{md_safe(answer.get("answer", ""))}</div>'
    if status == "unconfirmed":
        note = f'{n} closest passage{"s" if n != 1 else ""} · {answer.get("seconds", 0):.1f} s'
        return (f'<div class="nd-unconfirmed" role="status">{md_safe(answer.get("answer", ""))}</div>\n\n'
                f'<div class="nd-answer-meta">{note}</div>')
    body = md_safe(answer.get("answer", ""))
    note = f'{n} source{"s" if n != 1 else ""} · {answer.get("seconds", 0):.1f} s'
    if answer.get("standalone_question"):
        note += f' · understood as “{md_safe(answer["standalone_question"])}”'
    return f'{body}\n\n<div class="nd-answer-meta">{note}</div>'


def render_sources(answer: dict | None, texts: Mapping[str, str] | None = None, context: int = 220) -> str:
    """The cards of an answer's sources: title, source, date, and the quoted passage highlighted in its context.

    ``texts``: the full text of the cited articles by id (see ``NewsdeskUI.source_texts``); a source whose
    article is not there is shown without its context."""
    if not answer:
        return empty_html("Sources of the latest answer appear here: each numbered citation [n] in the answer "
                           "points to a passage of a stored article.")
    sources = answer.get("sources") or []
    if not sources:
        why = ("Nothing in the stored articles bears on this question, so the assistant does not guess."
               if answer.get("refused") else "This answer has no sources.")
        return empty_html(why)
    texts = texts or {}
    cards = []
    for s in sources:
        quote, before, after = s.get("quote", ""), "", ""
        text = texts.get(s["article_id"])
        if text is not None and text[s["start"]:s["end"]] == quote:
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
            f"{_also_published(s.get('also') or [])}</article>"
        )
    return f'<div class="nd-sources">{"".join(cards)}</div>'


def _also_published(versions: list[dict]) -> str:
    """The other versions of a source's story (wire copies), each as its source, date and title."""
    if not versions:
        return ""
    items = "; ".join(f'{_meta_line(v.get("source") or "unknown source", v.get("date"))} — '
                      f'“{esc(v.get("title"))}”' for v in versions)
    return f'<div class="nd-hint nd-also">Also published by: {items}</div>'


def render_summary(summary: dict | None = None, *, partial: str | None = None, started: float | None = None,
                   style: str = "short", note: str | None = None, waiting: int | None = None,
                   busy: str | None = None, stopped: str | None = None) -> str:
    """The summary panel: a finished summary, one being written (with progress), one waiting for the model
    (``waiting`` requests before it), a refusal because too many wait (``busy``), one stopped by its user
    (``stopped``: what was written), or a hint."""
    if busy is not None:
        return render_busy(busy)
    if stopped is not None:
        text = _summary_body(stopped, style) if stopped.strip() else "(nothing written yet)"
        return ('<div class="nd-summary nd-stopped"><div class="nd-summary-head">Stopped · not checked against '
                f'the article</div><div class="nd-summary-text">{text}</div></div>')
    if waiting is not None:
        return ('<div class="nd-summary nd-waiting"><div class="nd-summary-head"><span class="nd-spinner"></span>'
                f'{esc(waiting_text(waiting, "request"))}</div></div>')
    if partial is not None:
        seconds = time.perf_counter() - (started or time.perf_counter())
        text = _summary_body(partial, style) if partial.strip() else ""
        return ('<div class="nd-summary nd-writing"><div class="nd-summary-head"><span class="nd-spinner"></span>'
                f'Writing the summary… <span class="nd-elapsed">{seconds:.0f} s</span></div>'
                f'<div class="nd-summary-text">{text}<span class="nd-cursor">▍</span></div></div>')
    if summary is None:
        return empty_html(note or "Choose a style and a language, then “Summarize”. Summaries made before "
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
        return empty_html("Select an article in the table to read it here.")
    url = _safe_url(article.url)
    link = (f' · <a class="nd-link" href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">'
            "original ↗</a>") if url else ""
    meta = _meta_line(article.source, article.date, language_label(article.lang) if article.lang else None)
    return (f'<div class="nd-article"><h2 class="nd-article-title">{esc(article.title)}</h2>'
            f'<div class="nd-meta">{meta}{link}</div>'
            f'<div class="nd-article-id">id: <code>{esc(article.id)}</code></div>'
            f'<div class="nd-article-text">{_paragraphs(article.text)}</div></div>')


def render_ingest_results(rows: list[dict], *, running: str | None = None, fraction: float | None = None) -> str:
    """Per-file results of an ingestion: a status pill and the reasons of failures; while one runs, what it
    is doing and, when known, the fraction done as a bar."""
    if not rows and not running:
        return empty_html("Results of each file appear here.")
    body = []
    for row in rows:
        details = "".join(f"<li>{esc(d)}</li>" for d in row.get("details", []))
        body.append(
            f'<tr class="nd-row-{esc(row["status"])}"><td class="nd-file">{esc(row["name"])}</td>'
            f'<td><span class="nd-pill nd-pill-{esc(row["status"])}">{esc(row["label"])}</span></td>'
            f'<td>{esc(row["summary"])}{f"<ul>{details}</ul>" if details else ""}</td></tr>'
        )
    bar = ""
    if running and fraction is not None:
        percent = max(0.0, min(1.0, fraction)) * 100
        bar = (f'<div class="nd-bar" role="progressbar" aria-valuenow="{percent:.0f}" aria-valuemin="0" '
               f'aria-valuemax="100"><div class="nd-bar-fill" style="width: {percent:.1f}%"></div></div>')
    progress = (f'<div class="nd-progress"><div class="nd-progress-line"><span class="nd-spinner"></span>'
                f'{esc(running)}</div>{bar}</div>' if running else "")
    table = ('<table class="nd-results"><thead><tr><th>File</th><th>Result</th><th>Details</th></tr></thead>'
             f'<tbody>{"".join(body)}</tbody></table>') if body else ""
    return f'<div class="nd-ingest">{progress}{table}</div>'


def render_title_cell(title: str, sentence: str | None = None) -> str:
    """The library table's title cell (HTML): the title, and under it the sentence a search matched."""
    cell = f'<span class="nd-row-title">{esc(title)}</span>'
    return cell + (f'<span class="nd-row-match">« {esc(sentence)} »</span>' if sentence else "")


def title_of_cell(cell: str) -> str:
    """The title of a library table cell (see :func:`render_title_cell`), as the article has it."""
    match = re.match(r'<span class="nd-row-title">(.*?)</span>', cell, re.S)
    return html.unescape(match.group(1)) if match else cell


def render_library_note(rows: list, query: str = "") -> str:
    n = len(rows)
    if not n:
        return empty_html("No article matches." if query else
                           "No articles yet: add some in the “Add articles” tab.")
    plural = "s" if n != 1 else ""
    found = " found, best first" if query else ""
    return f'<div class="nd-hint">{n} article{plural}{found} · select one to read it.</div>'


def render_timeline(timeline: dict | None = None, *, reading: tuple[int, int | None] | None = None,
                    waiting: int | None = None, busy: str | None = None) -> str:
    """The Timeline tab: a finished timeline (``Timeline.model_dump()``: its events oldest first, each with its
    date, sentence and the quoted sentence of its article), one being made (``reading``: articles read of
    how many), one waiting for the model (``waiting`` requests before it), a refusal because too many wait
    (``busy``), or a hint."""
    if busy is not None:
        return render_busy(busy)
    if waiting is not None:
        return ('<div class="nd-summary nd-waiting"><div class="nd-summary-head"><span class="nd-spinner"></span>'
                f'{esc(waiting_text(waiting, "request"))}</div></div>')
    if reading is not None:
        done, total = reading
        where = f"reading article {min(done + 1, total)} of {total}" if total else "finding the articles"
        return ('<div class="nd-summary nd-writing"><div class="nd-summary-head"><span class="nd-spinner"></span>'
                f'Building the timeline: {esc(where)}…</div></div>')
    if timeline is None:
        return empty_html("Name a subject (a person, a place, an event): its dated events in the stored articles "
                           "appear here, oldest first, each with the sentence it comes from.")
    events = timeline.get("events") or []
    head = (f'{esc(timeline.get("query"))} · {len(events)} event{"s" if len(events) != 1 else ""} · '
            f'{len(timeline.get("named") or [])} articles name it, {len(timeline.get("articles") or [])} read · '
            f'{esc(language_label(timeline.get("language")))} · {timeline.get("seconds", 0):.0f} s')
    if not events:
        return (f'<div class="nd-summary-head">{head}</div>'
                + empty_html(timeline.get("message") or "The articles read report no dated event about this subject."))
    cards = []
    for e in events:
        dated = " · the article's date" if e.get("dated_by") == "article" else ""
        dated += f" · {e['status']}" if e.get("status", "done") != "done" else ""
        also = len(e.get("also") or [])
        also_note = f"also told by {also} other article{'s' if also != 1 else ''}" if also else None
        url = _safe_url(e.get("url"))
        link = (f' <a class="nd-link" href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">'
                "original ↗</a>") if url else ""
        cards.append(
            f'<article class="nd-source nd-event" data-date="{esc(e.get("date"))}" '
            f'data-article-id="{esc(e.get("article_id"))}"><header><div>'
            f'<div class="nd-source-title"><time datetime="{esc(e.get("date"))}">{esc(e.get("date"))}</time>'
            f'{esc(dated)} — {esc(e.get("event"))}</div>'
            f'<div class="nd-meta">{_meta_line(e.get("title"), e.get("source"), e.get("article_date"), also_note)}'
            f'{link}</div></div></header>'
            f'<blockquote class="nd-quote"><mark>{esc(e.get("quote"))}</mark></blockquote></article>')
    return f'<div class="nd-summary-head">{head}</div><div class="nd-sources nd-timeline">{"".join(cards)}</div>'

