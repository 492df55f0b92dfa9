"""The page (Gradio Blocks): the Ask, Library and Add articles tabs, their events and the named API endpoints
``/ask``, ``/retrieve``, ``/summarize`` and ``/articles`` (see docs/app.md).

- :func:`layout` builds the components and returns them by name (a :class:`Page`); it wires nothing.
- :class:`NewsdeskApp` holds the event handlers and wires them. A handler takes the values of its inputs as
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
from dataclasses import dataclass

import gradio as gr

from qa.answers import Found
from qa.prompts import LANGUAGE_NAMES
from qa.ui.brief_tab import BriefTab
from qa.ui.check_tab import CheckTab
from qa.ui.controller import UPLOAD_TYPES, BusyError, IngestProgress, NewsdeskUI, Reading, Waiting
from qa.ui.render import (
    error_html,
    esc,
    friendly_error,
    md_safe,
    render_answer_markdown,
    render_article,
    render_busy,
    render_filters_note,
    render_reading,
    render_ingest_results,
    render_library_note,
    render_sources,
    render_status,
    render_summary,
    render_timeline,
    render_waiting,
)

STYLE_CHOICES = [("Short (2-3 sentences)", "short"), ("Headline (1 sentence)", "abstract"), ("Paragraph", "paragraph"),
                 ("Key points", "bullets")]
TABLE_HEADERS = ["Title", "Source", "Date", "Lang", "Chunks", "Versions"]
NO_ARTICLE_NOTE = "Select an article to summarize it."
THINKING = '<span class="nd-thinking">Searching the articles…</span>'
REFUSING = 2  # model handlers Gradio runs beyond the gate's places: they only say "busy" and end at once


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


def new_session() -> dict:
    """A browser session's conversation: its turns and each finished answer by its chat message index."""
    return {"turns": [], "answers": {}}


# ================================================================ layout


@dataclass(frozen=True)
class Page:
    """The page's components that events read or change, by name (see :func:`layout`)."""

    demo: gr.Blocks
    session: gr.State
    library_ids: gr.State
    status: gr.HTML
    tabs: gr.Tabs
    # Ask
    chatbot: gr.Chatbot
    question: gr.Textbox
    ask_btn: gr.Button
    clear_btn: gr.Button
    filters_note: gr.HTML
    filters_box: gr.Accordion
    f_languages: gr.Dropdown
    f_sources: gr.Dropdown
    f_from: gr.Textbox
    f_to: gr.Textbox
    f_articles: gr.Dropdown
    sources_html: gr.HTML
    # Library
    search: gr.Textbox
    table: gr.Dataframe
    library_note: gr.HTML
    s_style: gr.Dropdown
    s_lang: gr.Dropdown
    summarize_btn: gr.Button
    summary_html: gr.HTML
    article_html: gr.HTML
    versions: gr.Radio  # the versions of the open article's story (wire copies), to open any of them
    ask_about_btn: gr.Button
    delete_btn: gr.Button
    selected_id: gr.Textbox
    # Add articles
    files: gr.File
    upload_btn: gr.Button
    ingest_html: gr.HTML
    p_title: gr.Textbox
    p_text: gr.Textbox
    p_source: gr.Textbox
    p_date: gr.Textbox
    p_lang: gr.Dropdown
    p_url: gr.Textbox
    paste_btn: gr.Button
    urls: gr.Textbox
    urls_btn: gr.Button
    # Timeline
    timeline_query: gr.Textbox
    timeline_lang: gr.Dropdown
    timeline_btn: gr.Button
    timeline_html: gr.HTML
    check_tab: CheckTab | None = None  # Check a draft (qa/ui/check_tab.py)
    brief_tab: BriefTab | None = None  # Brief (qa/ui/brief_tab.py)

    @property
    def filters(self) -> list:
        """The filter inputs, in the order of :meth:`NewsdeskUI.make_filters`'s parameters."""
        return [self.f_languages, self.f_sources, self.f_articles, self.f_from, self.f_to]

    @property
    def article_buttons(self) -> list:
        """The buttons that act on the selected article."""
        return [self.summarize_btn, self.ask_about_btn, self.delete_btn]


def layout(status_html: str, max_file_mb: float) -> Page:
    """Build the page's components (no events): the masthead and the three tabs."""
    with gr.Blocks(title="newsdesk QA", fill_width=False, analytics_enabled=False) as demo:
        session = gr.State(new_session())  # per browser session: the conversation
        library_ids = gr.State([])

        with gr.Row(elem_id="nd-masthead", equal_height=True):
            gr.HTML('<div class="nd-brand"><span class="nd-logo">newsdesk</span><span class="nd-qa">QA</span>'
                    '<span class="nd-tagline">Answers from your articles, with sources you can check</span></div>',
                    elem_id="nd-brand-block")
            status = gr.HTML(status_html, elem_id="nd-status-block")

        with gr.Tabs(elem_id="nd-tabs") as tabs:
            # -------------------------------------------------------- Ask
            with gr.Tab("Ask", id="ask", elem_id="nd-tab-ask"), gr.Row(equal_height=False):
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
                        filters_note = gr.HTML(render_filters_note([]), elem_id="nd-filters-note")
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
                        table = gr.Dataframe(headers=TABLE_HEADERS,
                                             datatype=["str", "str", "str", "str", "number", "str"],
                                             interactive=False, wrap=True, max_height=620, elem_id="nd-table",
                                             column_widths=["38%", "15%", "13%", "8%", "10%", "16%"], max_chars=120)
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
                        summary_html = gr.HTML(render_summary(note=NO_ARTICLE_NOTE), elem_id="nd-summary")
                        versions = gr.Radio([], label="Versions of this story", visible=False, elem_id="nd-versions")
                        article_html = gr.HTML(render_article(None), elem_id="nd-article", max_height=700)
                        with gr.Row(elem_id="nd-article-tools"):
                            ask_about_btn = gr.Button("Ask about this article", elem_id="nd-ask-about", size="sm",
                                                      interactive=False, scale=0, min_width=190)
                            delete_btn = gr.Button("Delete article", variant="stop", elem_id="nd-delete", size="sm",
                                                   interactive=False, scale=0, min_width=130)
                selected_id = gr.Textbox(visible=False, elem_id="nd-selected-id")

            # -------------------------------------------------------- Timeline
            with gr.Tab("Timeline", id="timeline", elem_id="nd-tab-timeline"):
                with gr.Row(elem_id="nd-timeline-row", equal_height=True):
                    timeline_query = gr.Textbox(placeholder="A subject: Carlos Ghosn, l'incendie de Notre-Dame, "
                                                "Brexit…", show_label=False, lines=1, scale=6,
                                                elem_id="nd-timeline-query")
                    timeline_lang = gr.Dropdown([("The subject's language", "")] + [(v, k) for k, v in
                                                                                   LANGUAGE_NAMES.items()],
                                                value="", show_label=False, scale=2, min_width=160,
                                                elem_id="nd-timeline-lang")
                    timeline_btn = gr.Button("Build timeline", variant="primary", scale=1, min_width=150,
                                             elem_id="nd-timeline-build")
                timeline_html = gr.HTML(render_timeline(), elem_id="nd-timeline")

            check_tab = CheckTab.build()
            brief_tab = BriefTab.build()

            # -------------------------------------------------------- Add articles
            with gr.Tab("Add articles", id="add", elem_id="nd-tab-add"), gr.Row(equal_height=False):
                with gr.Column(scale=1, min_width=340):
                    gr.HTML('<div class="nd-section-title">Upload files</div><p class="nd-hint">'
                            ".txt and .md (first line: title), .html pages, .jsonl / .jsonl.gz collections "
                            f"(one article a line). Up to {max_file_mb:g} MB a file.</p>")
                    files = gr.File(file_count="multiple", file_types=UPLOAD_TYPES, label="Files",
                                    elem_id="nd-files", height=180)
                    upload_btn = gr.Button("Add files", variant="primary", elem_id="nd-add-files")
                    gr.HTML('<div class="nd-section-title">Or from the web</div><p class="nd-hint">'
                            "Article pages or RSS/Atom feeds (a feed adds the pages of its items), one address a "
                            "line. Added again, only what changed is fetched.</p>")
                    urls = gr.Textbox(label="Web addresses", lines=2, max_lines=8, elem_id="nd-urls",
                                      placeholder="https://example.org/news/feed.xml")
                    urls_btn = gr.Button("Add from the web", variant="primary", elem_id="nd-add-urls")
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

    return Page(demo=demo, session=session, library_ids=library_ids, status=status, tabs=tabs,
                chatbot=chatbot, question=question, ask_btn=ask_btn, clear_btn=clear_btn, filters_note=filters_note,
                filters_box=filters_box, f_languages=f_languages, f_sources=f_sources, f_from=f_from, f_to=f_to,
                f_articles=f_articles, sources_html=sources_html,
                search=search, table=table, library_note=library_note, s_style=s_style, s_lang=s_lang,
                summarize_btn=summarize_btn, summary_html=summary_html, article_html=article_html, versions=versions,
                ask_about_btn=ask_about_btn, delete_btn=delete_btn, selected_id=selected_id,
                files=files, upload_btn=upload_btn, ingest_html=ingest_html, p_title=p_title, p_text=p_text,
                p_source=p_source, p_date=p_date, p_lang=p_lang, p_url=p_url, paste_btn=paste_btn,
                urls=urls, urls_btn=urls_btn, timeline_query=timeline_query, timeline_lang=timeline_lang,
                timeline_btn=timeline_btn, timeline_html=timeline_html, check_tab=check_tab, brief_tab=brief_tab)


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


class NewsdeskApp:
    """The page of a :class:`~qa.ui.controller.NewsdeskUI`, its events wired: ``NewsdeskApp(ui).demo`` is the
    Gradio app (launch it with :func:`qa.ui.server.launch`)."""

    def __init__(self, ui: NewsdeskUI):
        self.ui = ui
        # every place of the model's line (ui.gate) runs, so that a waiting chat can show its place; the gate
        # serialises the model (llama.cpp also holds a lock), and a request beyond its places is refused at
        # once rather than queued by Gradio
        self.llm_limit = ui.gate.slots + ui.gate.max_waiting + REFUSING
        self.page = layout(render_status(ui.status()), ui.settings.max_file_mb)
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
        gr.on([p.ask_btn.click, p.question.submit], self.chat, [p.question, p.chatbot, p.session, *p.filters],
              [p.question, p.chatbot, p.session, p.sources_html], show_progress="minimal", **llm, **private)
        p.chatbot.select(self.show_message_sources, [p.session], [p.sources_html], queue=False, **private)
        for clear in (p.clear_btn.click, p.chatbot.clear):
            clear(self.clear, None, [p.chatbot, p.session, p.sources_html, p.question], queue=False, **private)

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
        p.summarize_btn.click(self.write_summary, [p.selected_id, p.s_style, p.s_lang], [p.summary_html],
                              show_progress="hidden", **llm, **private)
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

        p.check_tab.wire(self.ui, **llm, **private)
        p.brief_tab.wire(self.ui, **llm, **private)

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
        return [p.status, p.f_languages, p.f_sources, p.f_articles, p.table, p.library_ids, p.library_note]

    # ------------------------------------------------------------ the whole page
    def refresh(self, query: str = "") -> dict:
        """The counts, the filters' choices and the library table (searched by ``query``), from the store."""
        p = self.page
        try:
            choices = self.ui.filter_choices()
        except Exception as exc:  # noqa: BLE001  (the page stays usable; the note says why)
            return {p.status: render_status(self.ui.status()), p.library_ids: [],
                    p.library_note: error_html(friendly_error(exc))}
        return {p.status: render_status(self.ui.status()),
                p.f_languages: gr.update(choices=choices["languages"]),
                p.f_sources: gr.update(choices=choices["sources"]),
                p.f_articles: gr.update(choices=choices["articles"]),
                **self.filter_table(query)}

    # ------------------------------------------------------------ Ask
    def describe_filters(self, languages, sources, article_ids, date_from, date_to) -> dict:
        p = self.page
        active = self.ui.active_filters(languages, sources, article_ids, date_from, date_to)
        label = f"Filters · {len(active)} active" if active else "Filters"
        return {p.filters_box: gr.update(label=label), p.filters_note: render_filters_note(active)}

    def chat(self, message, messages, session, languages, sources, article_ids, date_from, date_to):
        """Ask the question of the text box in the conversation: the answer streamed into the chat, then its
        sources beside it."""
        p = self.page
        message = (message or "").strip()
        if not message:
            yield gr.skip()
            return
        asked = [*(messages or []), {"role": "user", "content": md_safe(message)}]

        def bubble(content: str) -> list[dict]:  # a new list each time: what was yielded stays as it was
            return [*asked, {"role": "assistant", "content": content}]

        yield {p.question: "", p.chatbot: bubble(THINKING)}
        answer = None
        try:
            filters = self.ui.make_filters(languages, sources, article_ids, date_from, date_to)
            for item in self.ui.stream_answer(message, list(session["turns"]), filters):
                if isinstance(item, Waiting):  # its place in the model's line; 0: its turn has come
                    yield {p.chatbot: bubble(render_waiting(item.ahead) if item.ahead else THINKING)}
                elif isinstance(item, Found):  # the passages found: said while the model reads them
                    yield {p.chatbot: bubble(render_reading(item))}
                elif isinstance(item, dict):
                    answer = item
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
               p.sources_html: self.sources(answer)}

    def sources(self, answer: dict | None) -> str:
        """The source cards of an answer, each quote in the context of its article."""
        return render_sources(answer, self.ui.source_texts(answer))

    def show_message_sources(self, session, evt: gr.SelectData):
        """A click on an answer in the chat shows its sources again."""
        answer = session["answers"].get(str(evt.index if isinstance(evt.index, int) else evt.index[0]))
        return {self.page.sources_html: self.sources(answer)} if answer else gr.skip()

    def clear(self) -> dict:
        p = self.page
        return {p.chatbot: [], p.session: new_session(), p.sources_html: render_sources(None), p.question: ""}

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

    def write_summary(self, article_id, style, language):
        """The summary of the selected article, streamed (from the cache at once when made before)."""
        summary_html = self.page.summary_html
        if not article_id:
            yield {summary_html: render_summary(note="Select an article first.")}
            return
        started, show = time.perf_counter(), _Every(0.1)
        yield {summary_html: render_summary(partial="", started=started, style=style)}
        try:
            for item in self.ui.stream_summary(article_id, style, language):
                if isinstance(item, Waiting):  # its place in the model's line; 0: its turn has come
                    started = time.perf_counter()
                    yield {summary_html: render_summary(waiting=item.ahead) if item.ahead else
                           render_summary(partial="", started=started, style=style)}
                elif isinstance(item, dict):
                    yield {summary_html: render_summary(item)}
                    return
                elif show():
                    yield {summary_html: render_summary(partial=item, started=started, style=style)}
        except BusyError as exc:
            yield {summary_html: render_summary(busy=str(exc))}
        except Exception as exc:  # noqa: BLE001
            yield {summary_html: error_html(friendly_error(exc))}

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

    # ------------------------------------------------------------ the named API endpoints
    def api_ask(self, question: str, history: list[list[str]] | None = None, filters: dict | None = None) -> dict:
        """Answer a question from the stored articles.

        history: earlier turns as [[question, answer], ...] (follow-up questions).
        filters: {"languages": [...], "sources": [...], "article_ids": [...], "date_from": "YYYY-MM-DD",
        "date_to": "YYYY-MM-DD"}, all optional.
        Returns the answer: {"question", "answer", "sources": [{"n", "article_id", "title", "source", "date",
        "url", "lang", "quote", "start", "end", ...}], "language", "refused", "seconds", ...}.
        Waits for its turn at the model; when too many questions wait already, fails at once with "The
        assistant is busy (N questions waiting): try again in a minute."
        """
        try:
            return self.ui.ask(question, history, filters)
        except Exception as exc:  # noqa: BLE001
            raise gr.Error(friendly_error(exc), print_exception=False) from None

    def api_retrieve(self, question: str, k: int = 5, filters: dict | None = None) -> list[dict]:
        """The passages of the stored articles that a question finds, best first (what ``/ask`` would give the
        model, without calling it: the question is searched as written, not translated).

        k: how many passages (1 to 50, default 5).
        filters: as for /ask.
        Returns [{"n", "article_id", "title", "source", "date", "lang", "url", "text", "score", "start",
        "end", "also"}, ...] where text is the article's text[start:end] and also the other versions of its
        story (wire copies: article_id, title, source, date, url).
        """
        try:
            return self.ui.retrieve(question, k, filters)
        except Exception as exc:  # noqa: BLE001
            raise gr.Error(friendly_error(exc), print_exception=False) from None

    def api_summarize(self, article_id: str, style: str = "short", language: str | None = None) -> dict:
        """Summarize a stored article.

        style: "short" (2-3 sentences), "abstract" (one headline-style sentence), "paragraph" or "bullets".
        language: ISO code such as "en" or "fr"; empty or null: the article's own language.
        Returns {"article_id", "title", "summary", "language", "style", "model", "cached", "seconds", ...}.
        """
        try:
            return self.ui.summarize(article_id, style or "short", language or None)
        except Exception as exc:  # noqa: BLE001
            raise gr.Error(friendly_error(exc), print_exception=False) from None

    def api_articles(self, query: str = "") -> list[dict]:
        """The stored articles (id, title, source, date, lang, chunks), optionally searched by words."""
        return self.ui.article_list(query)

    def api_timeline(self, query: str, language: str | None = None) -> dict:
        """The dated events about a subject across the stored articles, oldest first.

        query: the subject ("Carlos Ghosn", "l'incendie de Notre-Dame").
        language: ISO code of the events' sentences; empty or null: the subject's language.
        Returns {"query", "language", "events": [{"date" (ISO: YYYY-MM-DD, YYYY-MM or YYYY), "event",
        "article_id", "title", "quote", "start", "end", "dated_by" ("passage" or "article"), "when", "also",
        ...}], "articles", "dropped", "seconds"}. One short model call per article read: a minute or more locally.
        """
        try:
            return self.ui.timeline(query, language or None)
        except Exception as exc:  # noqa: BLE001
            raise gr.Error(friendly_error(exc), print_exception=False) from None

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
