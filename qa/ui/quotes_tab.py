"""The Quotes tab: who said what. A person's name (a surname alone will do) and optional words give their
quotations across the stored articles, newest first, one per story, each with its article, date and source.

:func:`quotes_tab` builds the tab inside the page's ``gr.Tabs`` and wires its own events; it needs only the
:class:`~qa.assistant.Assistant` (patterns, no model: it never waits in the model's line).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import gradio as gr

from qa.ui.render import empty_html, error_html, esc, friendly_error


@dataclass(frozen=True)
class QuotesTab:
    person: gr.Textbox
    words: gr.Textbox
    button: gr.Button
    results: gr.HTML


def render_quotes(found=None, *, searching: tuple[int, int] | None = None) -> str:
    """The results as HTML: a progress line while searching, then each quote with who said it and where."""
    if searching is not None:
        done, total = searching
        return f'<div class="nd-quotes-progress" id="nd-quotes-progress">Reading articles… {done} / {total}</div>'
    if found is None:
        return empty_html("Type a name (a surname alone will do) to find what that person said in the articles.")
    if not found.quotes:
        message = found.message[:1].upper() + found.message[1:]
        return f'<div class="nd-quotes-empty" id="nd-quotes-empty">{esc(message)}.</div>'
    items = []
    for q in found.quotes:
        where = ", ".join(esc(x) for x in (q.source, q.date) if x)
        also = f' · also in {len(q.also)} other version{"s" if len(q.also) > 1 else ""}' if q.also else ""
        items.append(f'<li class="nd-quote"><blockquote>« {esc(q.quote)} »</blockquote>'
                     f'<div class="nd-quote-meta"><b class="nd-quote-speaker">{esc(q.speaker)}</b> — '
                     f'{esc(q.title)} ({where}{"; " if where else ""}<code>{esc(q.article_id)}</code>){also}'
                     '</div></li>')
    summary = (f'<div class="nd-quotes-count">{len(found.quotes)} quote{"s" if len(found.quotes) != 1 else ""} '
               f'from {found.read} of {found.articles} articles, newest first</div>')
    return f'{summary}<ol class="nd-quotes" id="nd-quotes-list">{"".join(items)}</ol>'


def quotes_tab(assistant_of: Callable[[], object]) -> QuotesTab:
    """Build the Quotes tab (call inside ``gr.Tabs``) and wire its events; ``assistant_of()`` gives the
    Assistant."""
    with gr.Tab("Quotes", id="quotes", elem_id="nd-tab-quotes"):
        with gr.Row(elem_id="nd-quotes-row", equal_height=True):
            person = gr.Textbox(placeholder="Who: Jens Stoltenberg, Darmanin, Blair…", show_label=False, lines=1,
                                scale=4, elem_id="nd-quotes-person")
            words = gr.Textbox(placeholder="Words in the quote (optional)", show_label=False, lines=1, scale=3,
                               elem_id="nd-quotes-words")
            button = gr.Button("Find quotes", variant="primary", scale=1, min_width=140, elem_id="nd-quotes-find")
        results = gr.HTML(render_quotes(), elem_id="nd-quotes-results")
    tab = QuotesTab(person=person, words=words, button=button, results=results)

    def search(who: str, which: str) -> Iterator[str]:
        if not (who or "").strip() and not (which or "").strip():
            yield render_quotes()
            return
        try:
            yield render_quotes(searching=(0, assistant_of().store.count_articles()))
            found = assistant_of().quotes(who, (which or "").split())
            yield render_quotes(found)
        except Exception as exc:  # noqa: BLE001  (a clear message, never a stack trace)
            yield error_html(friendly_error(exc))

    for event in (button.click, person.submit, words.submit):
        event(search, [person, words], [results], api_visibility="private")
    return tab
