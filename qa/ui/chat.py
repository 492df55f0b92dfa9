"""The Ask tab's events (a mixin of :class:`~qa.ui.page.NewsdeskApp`): a question answered in the chat with its
progress (the step and its elapsed seconds), Stop, the empty chat's start points (what the archive holds,
example questions that ask themselves), the sources of an answer, and the conversation as Markdown.

Each handler returns (or yields) ``{component: new value}`` for the components it changes, by name.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path

import gradio as gr

from qa.answers.results import Found
from qa.models.stop import StopSignal, Stopped
from qa.answers.transcript import conversation_markdown
from qa.ui.gate import BusyError, Waiting
from qa.ui.layout import new_session
from qa.ui.render import (error_html, friendly_error, md_safe, reading_step, render_answer_markdown, render_busy,
                          render_filters_note, render_sources, render_step, render_stopped, render_waiting)
from qa.ui.start import render_overview

SEARCHING = "Searching the articles…"
THINKING = render_step(SEARCHING, 0)


def partial_answer(raw: str) -> str:
    """The answer's text in a JSON reply cut short (``{"sentences": [2], "answer": "Le pont mesure``); a reply
    that is not JSON as it is."""
    match = re.search(r'"answer"\s*:\s*"((?:[^"\\]|\\.)*)', raw)
    if match is None:
        return "" if raw.lstrip().startswith("{") else raw
    text = match.group(1)
    try:
        return json.loads('"' + re.sub(r"\\u?[0-9a-fA-F]{0,3}$|\\$", "", text) + '"')
    except ValueError:
        return text


def session_key(request: gr.Request | None) -> str:
    """The browser session a request comes from (its Stop button stops its own request only)."""
    return getattr(request, "session_hash", None) or "local"


class AskEvents:
    """The Ask tab's handlers; ``self.page``, ``self.ui`` and ``self.signals`` (the running requests' stop
    signals, by session) come from :class:`~qa.ui.page.NewsdeskApp`."""

    def describe_filters(self, languages, sources, article_ids, date_from, date_to) -> dict:
        p = self.page
        active = self.ui.active_filters(languages, sources, article_ids, date_from, date_to)
        label = f"Filters · {len(active)} active" if active else "Filters"
        return {p.filters_box: gr.update(label=label), p.filters_note: render_filters_note(active)}

    def start_points(self) -> dict:
        """The empty chat's head and example questions, from the stored articles."""
        p = self.page
        info, questions = self.ui.start()
        buttons = {b: gr.update(value=q, visible=True) for b, q in zip(p.examples, questions)}
        hidden = {b: gr.update(value="", visible=False) for b in p.examples[len(questions):]}
        return {p.start_html: render_overview(info), **buttons, **hidden}

    # ------------------------------------------------------------ a question
    def chat(self, message, messages, session, languages, sources, article_ids, date_from, date_to,
             request: gr.Request = None):
        """Ask the question of the text box (or of an example button): Ask disabled and Stop enabled while it
        is answered, the step and its seconds in the bubble, then the answer and its sources."""
        p = self.page
        message = (message or "").strip()
        if not message:
            yield gr.skip()
            return
        key, signal = session_key(request), StopSignal()
        self.signals[key] = signal
        yield {p.ask_btn: gr.update(interactive=False), p.stop_btn: gr.update(interactive=True),
               p.start_box: gr.update(visible=False)}
        try:
            yield from self._answer(message, messages, session, signal,
                                    (languages, sources, article_ids, date_from, date_to))
        finally:
            if self.signals.get(key) is signal:
                del self.signals[key]
        yield {p.ask_btn: gr.update(interactive=True), p.stop_btn: gr.update(interactive=False)}

    def _answer(self, message: str, messages, session: dict, signal: StopSignal, filters: tuple):
        p = self.page
        asked = [*(messages or []), {"role": "user", "content": md_safe(message)}]

        def bubble(content: str) -> list[dict]:  # a new list each time: what was yielded stays as it was
            return [*asked, {"role": "assistant", "content": content}]

        started, step, checked_after = time.perf_counter(), SEARCHING, None
        yield {p.question: "", p.chatbot: bubble(THINKING)}
        answer = None
        try:
            for item in self.ui.stream_answer(message, list(session["turns"]), self.ui.make_filters(*filters),
                                              signal):
                if isinstance(item, Waiting) and item.ahead:  # its place in the model's line
                    yield {p.chatbot: bubble(render_waiting(item.ahead))}
                    continue
                if isinstance(item, Waiting):  # its turn has come: the wait is not the answer's time
                    started = time.perf_counter()
                elif isinstance(item, Found):  # the passages found: said while the model reads them
                    step = reading_step(item)
                    checked_after = signal.calls_ended
                elif isinstance(item, dict):
                    answer = item
                    continue
                if checked_after is not None and signal.calls_ended > checked_after:
                    step = "Checking the answer…"  # the model has written its reply: the check runs
                yield {p.chatbot: bubble(render_step(step, time.perf_counter() - started))}
        except Stopped as stopped:  # what was written is kept, marked stopped and unchecked
            written = partial_answer(stopped.written) if step != SEARCHING else ""
            kept = {"question": message, "answer": written, "sources": [], "status": "stopped",
                    "language": "", "seconds": round(time.perf_counter() - started, 1)}
            session = {**session, "answers": {**session["answers"], str(len(asked)): kept}}
            yield {p.chatbot: bubble(render_stopped(written)), p.session: session,
                   p.export_btn: self._export(session)}
            return
        except BusyError as exc:  # too many wait already: said at once, the question given back to retry
            yield {p.question: message, p.chatbot: bubble(render_busy(str(exc)))}
            return
        except Exception as exc:  # noqa: BLE001  (a clear message in the chat, never a stack trace)
            text = friendly_error(exc)
            yield {p.chatbot: bubble(f'<div class="nd-error">{md_safe(text)}</div>'), p.sources_html: error_html(text)}
            return
        session = {"turns": [*session["turns"], (message, answer["answer"])],
                   "answers": {**session["answers"], str(len(asked)): answer}}
        yield {p.chatbot: bubble(render_answer_markdown(answer)), p.session: session,
               p.sources_html: self.sources(answer), p.export_btn: self._export(session)}

    def stop(self, request: gr.Request = None) -> dict:
        """Stop the answer this browser session is waiting for: the model stops at its next token."""
        signal = self.signals.get(session_key(request))
        if signal is not None:
            signal.stop()
        return {self.page.stop_btn: gr.update(interactive=False)}

    # ------------------------------------------------------------ sources, new conversation, export
    def sources(self, answer: dict | None) -> str:
        """The source cards of an answer, each quote in the context of its article."""
        return render_sources(answer, self.ui.source_texts(answer))

    def show_message_sources(self, session, evt: gr.SelectData):
        """A click on an answer in the chat shows its sources again."""
        answer = session["answers"].get(str(evt.index if isinstance(evt.index, int) else evt.index[0]))
        return {self.page.sources_html: self.sources(answer)} if answer else gr.skip()

    def clear(self) -> dict:
        p = self.page
        return {p.chatbot: [], p.session: new_session(), p.sources_html: render_sources(None), p.question: "",
                p.start_box: gr.update(visible=True), p.export_btn: gr.update(value=None, interactive=False)}

    def _export(self, session: dict):
        """The download button's file: the conversation so far as Markdown."""
        answers = [session["answers"][k] for k in sorted(session["answers"], key=int)]
        folder = Path(tempfile.mkdtemp(prefix="newsdesk-export-"))
        path = folder / "newsdesk-conversation.md"
        path.write_text(conversation_markdown(answers), encoding="utf-8")
        return gr.update(value=str(path), interactive=True)
