"""The page's events (Gradio Blocks): the Ask, Library, Timeline and Add articles tabs wired, and the named API
endpoints ``/ask``, ``/retrieve``, ``/summarize``, ``/articles`` and ``/timeline`` (see docs/app.md).

- :func:`qa.ui.layout.layout` builds the components and returns them by name (a :class:`Page`); it wires nothing.
- :class:`NewsdeskApp` holds the event handlers and wires them (the Ask tab's in :mod:`qa.ui.chat`, the API's
  in :mod:`qa.ui.api`). A handler takes the values of its inputs as
  named parameters and returns (or yields) ``{component: new value}`` for the components it changes; what it
  does is done by the :class:`~qa.ui.controller.NewsdeskUI` and rendered by :mod:`qa.ui.render`.

The model's line: the controller's :class:`~qa.ui.controller.ModelGate` lets the requests that use the model
(answers, new summaries) take it one at a time (four with a hosted endpoint), first come first served, and
refuses at once the one too many (``QA_MAX_WAITING`` may wait). Gradio runs those handlers with room for
every place in that line (and a few refusals), so that a waiting chat can show its place in its bubble;
the gate, not Gradio's queue, serialises the model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import gradio as gr

from qa.models.stop import StopSignal, Stopped
from qa.ui.api import ApiEndpoints
from qa.ui.chat import THINKING, AskEvents, session_key
from qa.ui.controller import BusyError, IngestProgress, NewsdeskUI, Reading, Waiting
from qa.ui.layout import NO_ARTICLE_NOTE, Page, layout, make_theme, new_session
from qa.ui.progress import Tick
from qa.ui.render import (
    error_html,
    esc,
    friendly_error,
    render_article,
    render_ingest_results,
    render_library_note,
    render_status,
    render_summary,
    render_timeline,
)

__all__ = ["REFUSING", "THINKING", "NewsdeskApp", "Page", "build_app", "layout", "make_theme", "new_session"]
REFUSING = 2  # model handlers Gradio runs beyond the gate's places: they only say "busy" and end at once


# ================================================================ events


class _Every:
    """True at most once every ``seconds`` (the first time at once): a streamed text is sent to the browser at
    a pace it can show, not once per token."""

    def __init__(self, seconds: float):
        self.seconds, self.last = seconds, None

    def __call__(self) -> bool:
        now = time.perf_counter()
        if self.last is None or now - self.last > self.seconds:
            self.last = now
            return True
        return False


class NewsdeskApp(AskEvents, ApiEndpoints):
    """The page of a :class:`~qa.ui.controller.NewsdeskUI`, its events wired: ``NewsdeskApp(ui).demo`` is the
    Gradio app (launch it with :func:`qa.ui.server.launch`)."""

    def __init__(self, ui: NewsdeskUI):
        self.ui = ui
        # every place of the model's line (ui.gate) runs, so that a waiting chat can show its place; the gate
        # serialises the model (llama.cpp also holds a lock), and a request beyond its places is refused at
        # once rather than queued by Gradio
        self.llm_limit = ui.gate.slots + ui.gate.max_waiting + REFUSING
        self.signals: dict[str, StopSignal] = {}  # the running requests' Stop, by browser session (and "summary")
        self.page = layout(render_status(ui.status()), ui.settings.max_file_mb, assistant_of=lambda: ui.assistant)
        with self.page.demo:
            self._wire()
        self.page.demo.queue(default_concurrency_limit=8)

    @property
    def demo(self) -> gr.Blocks:
        return self.page.demo

    # ------------------------------------------------------------ wiring
    def _wire(self) -> None:
        p, llm = self.page, {"concurrency_id": "llm", "concurrency_limit": self.llm_limit}
        private = {"api_visibility": "private"}
        library = self.library_outputs

        p.demo.load(self.refresh, [p.search], library, queue=False, **private)
        p.tabs.select(self.refresh, [p.search], library, queue=False, **private)

        # Ask
        for comp in p.filters:
            comp.change(self.describe_filters, p.filters, [p.filters_box, p.filters_note], queue=False,
                        trigger_mode="always_last", **private)
        chat_outputs = [p.question, p.chatbot, p.session, p.sources_html, p.ask_btn, p.stop_btn, p.start_box,
                        p.export_btn]
        gr.on([p.ask_btn.click, p.question.submit], self.chat, [p.question, p.chatbot, p.session, *p.filters],
              chat_outputs, show_progress="hidden", **llm, **private)
        for example in p.examples:  # an example question asks itself
            example.click(self.chat, [example, p.chatbot, p.session, *p.filters], chat_outputs,
                          show_progress="hidden", **llm, **private)
        p.stop_btn.click(self.stop, None, [p.stop_btn], queue=False, **private)
        p.chatbot.select(self.show_message_sources, [p.session], [p.sources_html], queue=False, **private)
        for clear in (p.clear_btn.click, p.chatbot.clear):
            clear(self.clear, None, [p.chatbot, p.session, p.sources_html, p.question, p.start_box, p.export_btn],
                  queue=False, **private)

        # Library
        p.search.change(self.filter_table, [p.search], [p.table, p.library_ids, p.library_note],
                        trigger_mode="always_last", queue=False, **private)
        article_outputs = [p.selected_id, p.article_html, p.summary_html, p.versions, *p.article_buttons]
        p.versions.input(self.show_article, [p.versions, p.s_style, p.s_lang], article_outputs, queue=False,
                         **private)
        p.table.select(self.open_article, [p.library_ids, p.s_style, p.s_lang], article_outputs, queue=False,
                       **private)
        for comp in (p.s_style, p.s_lang):
            comp.change(self.show_cached, [p.selected_id, p.s_style, p.s_lang], [p.summary_html], queue=False,
                        **private)
        p.summarize_btn.click(self.write_summary, [p.selected_id, p.s_style, p.s_lang],
                              [p.summary_html, p.summarize_btn, p.s_stop_btn], show_progress="hidden", **llm,
                              **private)
        p.s_stop_btn.click(self.stop_summary, None, [p.s_stop_btn], queue=False, **private)
        p.check_tab.wire(self.ui, **llm, **private)
        p.brief_tab.wire(self.ui, **llm, **private)
        p.ask_about_btn.click(self.ask_about, [p.selected_id], [p.f_articles, p.filters_box, p.tabs], queue=False,
                              **private)
        p.delete_btn.click(self.delete, [p.selected_id, p.search], [*library, *article_outputs],
                           js="(id, q) => [(id && confirm('Delete this article, its chunks and its summaries?')) "
                              "? id : '', q]",
                           queue=True, concurrency_id="ingest", concurrency_limit=1, **private)

        # Add articles
        p.upload_btn.click(self.add_files, [p.files, p.search], [p.ingest_html, p.files, *library],
                           concurrency_id="ingest", concurrency_limit=1, show_progress="minimal", **private)
        p.paste_btn.click(self.add_text, [p.p_title, p.p_text, p.p_source, p.p_date, p.p_lang, p.p_url, p.search],
                          [p.ingest_html, p.p_title, p.p_text, *library], concurrency_id="ingest",
                          concurrency_limit=1, **private)
        p.urls_btn.click(self.add_urls, [p.urls, p.search], [p.ingest_html, p.urls, *library],
                         concurrency_id="ingest", concurrency_limit=1, show_progress="minimal", **private)

        # Timeline
        gr.on([p.timeline_btn.click, p.timeline_query.submit], self.build_timeline,
              [p.timeline_query, p.timeline_lang], [p.timeline_html], show_progress="hidden", **llm, **private)

        # the named API endpoints (gradio_client, see docs/app.md)
        gr.api(self.api_ask, api_name="ask", **llm)
        gr.api(self.api_retrieve, api_name="retrieve", concurrency_id="retrieve", concurrency_limit=2)
        gr.api(self.api_summarize, api_name="summarize", **llm)
        gr.api(self.api_articles, api_name="articles", concurrency_limit=None)
        gr.api(self.api_timeline, api_name="timeline", **llm)

    @property
    def library_outputs(self) -> list:
        """What :meth:`refresh` changes: the counts, the filters' choices, the library table and its note."""
        p = self.page
        return [p.status, p.f_languages, p.f_sources, p.f_articles, p.table, p.library_ids, p.library_note,
                p.start_html, *p.examples]

    # ------------------------------------------------------------ the whole page
    def refresh(self, query: str = "") -> dict:
        """The counts, the filters' choices and the library table (searched by ``query``), from the store."""
        p = self.page
        try:
            choices = self.ui.filter_choices()
        except Exception as exc:  # noqa: BLE001  (the page stays usable; the note says why)
            return {p.status: render_status(self.ui.status()), p.library_ids: [],
                    p.library_note: error_html(friendly_error(exc))}
        return {p.status: render_status(self.ui.status()), **self.start_points(),
                p.f_languages: gr.update(choices=choices["languages"]),
                p.f_sources: gr.update(choices=choices["sources"]),
                p.f_articles: gr.update(choices=choices["articles"]),
                **self.filter_table(query)}

    # ------------------------------------------------------------ Library
    def filter_table(self, query: str) -> dict:
        p = self.page
        rows, ids = self.ui.table(query)
        return {p.table: gr.update(value=rows), p.library_ids: ids, p.library_note: render_library_note(rows, query)}

    def open_article(self, ids, style, language, evt: gr.SelectData) -> dict:
        """A click on a row of the library table."""
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else None
        return self.show_article(self.ui.id_of_row(evt.row_value, ids, index), style, language)

    def show_article(self, article_id: str | None, style: str, language: str) -> dict:
        """The article in the reader, with its summary when one was made before; its buttons enabled."""
        p = self.page
        article = self.ui.article(article_id)
        if article is None:
            return {p.selected_id: "", p.article_html: render_article(None),
                    p.summary_html: render_summary(note=NO_ARTICLE_NOTE),
                    p.versions: gr.update(choices=[], value=None, visible=False), **self._article_buttons(False)}
        versions = self.ui.versions(article.id)
        return {p.selected_id: article.id, p.article_html: render_article(article),
                p.summary_html: render_summary(self.ui.cached_summary(article.id, style, language)),
                p.versions: gr.update(choices=versions, value=article.id, visible=bool(versions),
                                      label=f"{len(versions)} versions of this story"),
                **self._article_buttons(True)}

    def _article_buttons(self, enabled: bool) -> dict:
        return {button: gr.update(interactive=enabled) for button in self.page.article_buttons}

    def show_cached(self, article_id, style, language):
        """Another style or language chosen: its summary when one was made before, else the hint."""
        if not article_id:
            return gr.skip()
        return {self.page.summary_html: render_summary(self.ui.cached_summary(article_id, style, language))}

    def write_summary(self, article_id, style, language, request: gr.Request = None):
        """The summary of the selected article, streamed (from the cache at once when made before); Stop enabled
        and Summarize disabled while it is written."""
        p = self.page
        if not article_id:
            yield {p.summary_html: render_summary(note="Select an article first.")}
            return
        key, signal = session_key(request) + ":summary", StopSignal()
        self.signals[key] = signal
        yield {p.summarize_btn: gr.update(interactive=False), p.s_stop_btn: gr.update(interactive=True)}
        try:
            yield from self._summary(article_id, style, language, signal)
        finally:
            if self.signals.get(key) is signal:
                del self.signals[key]
        yield {p.summarize_btn: gr.update(interactive=True), p.s_stop_btn: gr.update(interactive=False)}

    def _summary(self, article_id, style, language, signal: StopSignal):
        summary_html = self.page.summary_html
        started, show, text = time.perf_counter(), _Every(0.1), ""
        yield {summary_html: render_summary(partial="", started=started, style=style)}
        try:
            for item in self.ui.stream_summary(article_id, style, language, signal):
                if isinstance(item, Waiting):  # its place in the model's line; 0: its turn has come
                    started = time.perf_counter()
                    yield {summary_html: render_summary(waiting=item.ahead) if item.ahead else
                           render_summary(partial="", started=started, style=style)}
                elif isinstance(item, dict):
                    yield {summary_html: render_summary(item)}
                    return
                elif isinstance(item, Tick) or show():  # the seconds go on while the model reads the article
                    text = item if isinstance(item, str) else text
                    yield {summary_html: render_summary(partial=text, started=started, style=style)}
                else:
                    text = item
        except Stopped:
            yield {summary_html: render_summary(stopped=text, style=style)}
        except BusyError as exc:
            yield {summary_html: render_summary(busy=str(exc))}
        except Exception as exc:  # noqa: BLE001
            yield {summary_html: error_html(friendly_error(exc))}

    def stop_summary(self, request: gr.Request = None) -> dict:
        """Stop the summary this browser session is waiting for."""
        signal = self.signals.get(session_key(request) + ":summary")
        if signal is not None:
            signal.stop()
        return {self.page.s_stop_btn: gr.update(interactive=False)}

    def ask_about(self, article_id) -> dict:
        """Back to the Ask tab, the questions restricted to the selected article."""
        p = self.page
        return {p.f_articles: gr.update(value=[article_id] if article_id else []), p.filters_box: gr.update(open=True),
                p.tabs: gr.Tabs(selected="ask")}

    def delete(self, article_id, query):
        """Delete the selected article (``article_id`` is empty when the user did not confirm)."""
        p = self.page
        if not article_id:
            return gr.skip()
        try:
            found = self.ui.delete(article_id)
        except Exception as exc:  # noqa: BLE001
            return {p.library_note: error_html(friendly_error(exc))}
        note = "Article deleted." if found else "That article was already deleted."
        return {**self.refresh(query), p.library_note: f'<div class="nd-ok">{esc(note)}</div>',
                **self.show_article(None, "", "")}

    # ------------------------------------------------------------ Add articles
    def add_files(self, paths, query):
        """Ingest the uploaded files, showing the progress file by file and article by article."""
        yield from self._ingesting(lambda: self.ui.ingest_uploads(paths), query, lambda rows: {self.page.files: None})

    def add_urls(self, text, query):
        """Ingest the pages and feeds of the address box, address by address; the box is emptied when all of
        them went in (else kept, to try again)."""
        def cleared(rows: list[dict]) -> dict:
            return {self.page.urls: ""} if all(row["status"] in ("ok", "same") for row in rows) else {}

        yield from self._ingesting(lambda: self.ui.ingest_urls(text), query, cleared)

    def _ingesting(self, start: Callable[[], Iterator[IngestProgress]], query: str,
                   cleared: Callable[[list[dict]], dict]):
        """Show the progress of an ingestion (``start()`` yields its :class:`IngestProgress`), then its result rows
        with the page refreshed and the inputs ``cleared(rows)`` names emptied."""
        ingest_html = self.page.ingest_html
        try:
            for progress in start():
                if progress.finished:
                    break
                yield {ingest_html: render_ingest_results(list(progress.rows), running=progress.running,
                                                          fraction=progress.fraction)}
        except ValueError as exc:  # nothing chosen
            yield {ingest_html: error_html(friendly_error(exc))}
            return
        rows = list(progress.rows)
        yield {ingest_html: render_ingest_results(rows), **cleared(rows), **self.refresh(query)}

    def add_text(self, title, text, source, date, lang, url, query) -> dict:
        p = self.page
        row = self.ui.ingest_text(title, text, source, date, url, lang)
        cleared = {p.p_title: "", p.p_text: ""} if row["status"] in ("ok", "same") else {}
        return {p.ingest_html: render_ingest_results([row]), **cleared, **self.refresh(query)}

    # ------------------------------------------------------------ Timeline
    def build_timeline(self, query, language):
        """The timeline of the subject in the box: the model's line, then the articles read, then the events."""
        out = self.page.timeline_html
        if not (query or "").strip():
            yield {out: render_timeline()}
            return
        yield {out: render_timeline(reading=(0, None))}
        try:
            for item in self.ui.stream_timeline(query, language or None):
                if isinstance(item, Waiting):  # its place in the model's line; 0: its turn has come
                    yield {out: render_timeline(waiting=item.ahead) if item.ahead else
                           render_timeline(reading=(0, None))}
                elif isinstance(item, Reading):
                    yield {out: render_timeline(reading=(item.done, item.total))}
                else:
                    yield {out: render_timeline(item)}
        except BusyError as exc:
            yield {out: render_timeline(busy=str(exc))}
        except Exception as exc:  # noqa: BLE001  (a clear message, never a stack trace)
            yield {out: error_html(friendly_error(exc))}


def build_app(assistant) -> gr.Blocks:
    """The Gradio app over ``assistant``. Launch it with :func:`~qa.ui.server.launch` (theme, CSS, limits, login)."""
    return NewsdeskApp(NewsdeskUI(assistant)).demo
