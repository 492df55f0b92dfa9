"""The "Brief" tab: a subject, and its brief from the stored articles, every line cited [n] to a quoted passage.

:class:`BriefTab` builds the tab (:meth:`BriefTab.build`, inside the page's tabs) and wires its button
(:meth:`BriefTab.wire`); the brief takes the model's line like the other model requests; :func:`render_brief`
draws it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import gradio as gr

from qa.models.prompts import LANGUAGE_NAMES
from qa.ui.gate import BusyError, Waiting
from qa.ui.render import empty_html, error_html, esc, friendly_error, render_busy, waiting_text


def render_brief(brief: dict | None = None, *, working: bool = False, waiting: int | None = None,
                 busy: str | None = None) -> str:
    """A brief (``Brief.model_dump()``), one being written, its place in the model's line, a refusal, or a hint."""
    if busy is not None:
        return render_busy(busy)
    if waiting is not None:
        return ('<div class="nd-summary nd-waiting"><div class="nd-summary-head"><span class="nd-spinner"></span>'
                f'{esc(waiting_text(waiting, "request"))}</div></div>')
    if working:
        return ('<div class="nd-summary nd-writing"><div class="nd-summary-head"><span class="nd-spinner"></span>'
                'Reading the articles and writing the brief…</div></div>')
    if brief is None:
        return empty_html("Name a person, an organisation, a place or an event: a short brief from the stored "
                          "articles appears here, every line cited to the passage it comes from.")
    head = (f'<div class="nd-summary-head">{esc(brief["subject"])} · {len(brief["read"])} articles read of '
            f'{len(brief["stories"])} stories found · {brief["seconds"]:.0f} s</div>')
    if not brief["overview"]:
        return head + empty_html("No stored article holds a passage about this subject that the brief could cite.")
    parts = [f'<p class="nd-brief-overview">{esc(" ".join(brief["overview"]))}</p>']
    if brief["facts"]:
        parts.append("<h4>Key facts</h4><ul>" + "".join(f"<li>{esc(f)}</li>" for f in brief["facts"]) + "</ul>")
    if brief["people"]:
        parts.append("<h4>Who is who</h4><ul>" + "".join(
            f'<li><b>{esc(p["name"])}</b>: {esc(p["role"])} [{p["source"]}]</li>' for p in brief["people"]) + "</ul>")
    if brief["events"]:
        parts.append("<h4>Dated events</h4><ul>" + "".join(
            f'<li><time>{esc(e["date"])}</time> {esc(e["event"])} ({esc(e["article_id"])})</li>'
            for e in brief["events"]) + "</ul>")
    parts.append('<h4>Sources</h4><div class="nd-sources">' + "".join(
        f'<article class="nd-source" data-article-id="{esc(s["article_id"])}"><div class="nd-source-title">'
        f'[{s["n"]}] {esc(s["title"])}</div><div class="nd-meta">{esc(s.get("date") or "")} '
        f'({esc(s["article_id"])})</div><blockquote class="nd-quote"><mark>{esc(s["quote"])}</mark></blockquote>'
        f'</article>' for s in brief["sources"]) + "</div>")
    if brief["left_out"]:
        parts.append(f'<p class="nd-hint">Left out for length: {esc(", ".join(brief["left_out"]))}</p>')
    return head + f'<div class="nd-brief" id="nd-brief-body">{"".join(parts)}</div>'


def stream_brief(ui, subject: str, language: str | None, events: bool) -> Iterator[Waiting | dict]:
    """Its place in the model's line while it waits, then the brief as a dict."""
    if not (subject or "").strip():
        raise ValueError("Empty subject: say who or what the brief is about (a person, a place, an event).")

    def work() -> Iterator[dict]:
        yield ui.assistant.brief(subject, language=language or None, events=events).model_dump()

    return ui.gate.queued(work)


@dataclass(frozen=True)
class BriefTab:
    subject: gr.Textbox
    language: gr.Dropdown
    events: gr.Checkbox
    button: gr.Button
    result: gr.HTML

    @classmethod
    def build(cls) -> BriefTab:
        with gr.Tab("Brief", id="brief", elem_id="nd-tab-brief"):
            with gr.Row(equal_height=True):
                subject = gr.Textbox(placeholder="A subject: Carlos Ghosn, Anne Hidalgo, Notre-Dame…", show_label=False,
                                     lines=1, scale=6, elem_id="nd-brief-subject")
                language = gr.Dropdown([("The subject's language", "")] + [(v, k) for k, v in LANGUAGE_NAMES.items()],
                                       value="", show_label=False, scale=2, min_width=160, elem_id="nd-brief-lang")
                events = gr.Checkbox(False, label="Dated events (slower)", scale=1, elem_id="nd-brief-events")
                button = gr.Button("Write brief", variant="primary", scale=1, min_width=140, elem_id="nd-brief-run")
            result = gr.HTML(render_brief(), elem_id="nd-brief-result")
        return cls(subject=subject, language=language, events=events, button=button, result=result)

    def wire(self, ui, **events) -> None:
        out = self.result

        def brief(subject: str, language: str, with_events: bool):
            try:
                yield {out: render_brief(working=True)}
                for item in stream_brief(ui, subject, language, with_events):
                    if isinstance(item, Waiting):
                        yield {out: render_brief(waiting=item.ahead) if item.ahead else render_brief(working=True)}
                    else:
                        yield {out: render_brief(item)}
            except BusyError as exc:
                yield {out: render_brief(busy=str(exc))}
            except Exception as exc:  # noqa: BLE001  (a clear message, never a stack trace)
                yield {out: error_html(friendly_error(exc))}

        gr.on([self.button.click, self.subject.submit], brief, [self.subject, self.language, self.events], [out],
              show_progress="hidden", **events)
