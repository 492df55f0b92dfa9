"""The "Check a draft" tab: a pasted draft, each sentence coloured by its verdict with its evidence beside it.

:class:`CheckTab` builds the tab's components (:meth:`CheckTab.build`, inside the page's tabs) and wires its
events (:meth:`CheckTab.wire`); :func:`stream_check` takes the model's line like the other model requests
(the controller's :class:`~qa.ui.controller.ModelGate`) and yields each sentence as soon as it is decided;
:func:`render_check` draws the result.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import gradio as gr

from qa.ui.gate import BusyError, Waiting
from qa.ui.render import empty_html, error_html, esc, friendly_error, render_busy, waiting_text

VERDICTS = {  # label, colour of the sentence
    "supported": ("supported", "#d8f0dc"),
    "contradicted": ("contradicted", "#f8d5d2"),
    "not_found": ("not found", "#fbeec6"),
    "no_claim": ("no checkable fact", "#eeeeee"),
}


def _evidence_html(e: dict) -> str:
    values = "".join(
        f'<div class="nd-check-values"><span>article: <b>{esc(d["article"])}</b></span> · '
        f'<span>draft: <b>{esc(d["draft"])}</b></span></div>' for d in e.get("disagreements") or [])
    meta = " · ".join(esc(x) for x in (e.get("title"), e.get("source"), e.get("date")) if x)
    return (f'<div class="nd-check-evidence" data-article-id="{esc(e["article_id"])}">{values}'
            f'<blockquote class="nd-quote"><mark>{esc(e["quote"])}</mark></blockquote>'
            f'<div class="nd-meta">{meta} ({esc(e["article_id"])}, {e["start"]}-{e["end"]})</div></div>')


def render_check(sentences: list[dict] | None = None, *, total: int | None = None, waiting: int | None = None,
                 busy: str | None = None) -> str:
    """The draft's sentences checked so far (``CheckedSentence.model_dump()`` each), ``total`` sentences in all
    (while checking), or its place in the model's line (``waiting``), a refusal (``busy``), or a hint."""
    if busy is not None:
        return render_busy(busy)
    if waiting is not None:
        return ('<div class="nd-summary nd-waiting"><div class="nd-summary-head"><span class="nd-spinner"></span>'
                f'{esc(waiting_text(waiting, "request"))}</div></div>')
    if sentences is None:
        return empty_html("Paste a draft and press Check: each sentence holding a fact (a figure, a date, a name) "
                          "is looked up in the stored articles, supported, contradicted or not found, with the "
                          "article sentences that say so.")
    rows = []
    for s in sentences:
        label, colour = VERDICTS[s["verdict"]]
        evidence = "".join(_evidence_html(e) for e in s.get("evidence") or [])
        rows.append(f'<tr class="nd-check-row" data-verdict="{s["verdict"]}"><td style="background:{colour};'
                    f'width:45%;vertical-align:top;padding:6px"><div class="nd-check-verdict"><b>{esc(label)}</b>'
                    f'</div>{esc(s["sentence"])}</td><td style="vertical-align:top;padding:6px">{evidence}</td></tr>')
    head = ""
    if total is not None and len(sentences) < total:
        head = (f'<div class="nd-summary-head"><span class="nd-spinner"></span>Checking sentence '
                f'{len(sentences) + 1} of {total}…</div>')
    else:
        counts = {}
        for s in sentences:
            counts[s["verdict"]] = counts.get(s["verdict"], 0) + 1
        head = '<div class="nd-summary-head">' + " · ".join(
            f"{n} {VERDICTS[v][0]}" for v, n in counts.items()) + "</div>"
    return f'{head}<table class="nd-check" id="nd-check-table" style="width:100%">{"".join(rows)}</table>'


def stream_check(ui, draft: str) -> Iterator[Waiting | int | dict]:
    """The number of sentences first, then its place in the model's line while it waits (:class:`Waiting`),
    then each checked sentence as a dict, in order. A bad draft (empty, too long) raises before any wait."""
    from qa.news.factcheck import draft_spans

    total = len(draft_spans(draft, ui.assistant.settings.max_check_sentences))
    yield total

    def work() -> Iterator[dict]:
        for checked in ui.assistant.stream_check(draft):
            yield checked.model_dump()

    yield from ui.gate.queued(work)


@dataclass(frozen=True)
class CheckTab:
    """The tab's components."""

    draft: gr.Textbox
    button: gr.Button
    result: gr.HTML

    @classmethod
    def build(cls) -> CheckTab:
        """The tab, built inside the page's ``gr.Tabs``."""
        with gr.Tab("Check a draft", id="check", elem_id="nd-tab-check"):
            draft = gr.Textbox(lines=8, show_label=False, elem_id="nd-check-draft",
                               placeholder="Paste a paragraph or a draft: its sentences are checked against the "
                               "stored articles.")
            button = gr.Button("Check", variant="primary", elem_id="nd-check-run")
            result = gr.HTML(render_check(), elem_id="nd-check-result")
        return cls(draft=draft, button=button, result=result)

    def wire(self, ui, **events) -> None:
        """The Check button: the sentences appear one by one as they are decided."""
        out = self.result

        def check(draft: str):
            sentences, total = [], None
            try:
                for item in stream_check(ui, draft):
                    if isinstance(item, int):
                        total = item
                        yield {out: render_check([], total=total)}
                    elif isinstance(item, Waiting):
                        yield {out: render_check(waiting=item.ahead) if item.ahead else render_check([], total=total)}
                    else:
                        sentences.append(item)
                        yield {out: render_check(sentences, total=total)}
            except BusyError as exc:
                yield {out: render_check(busy=str(exc))}
            except Exception as exc:  # noqa: BLE001  (a clear message, never a stack trace)
                yield {out: error_html(friendly_error(exc))}

        self.button.click(check, [self.draft], [out], show_progress="hidden", **events)
