"""The page's layout (Gradio Blocks): the masthead and one function per tab, each building its components and
returning them by name; :func:`layout` gathers them in a :class:`Page`. No events here (see :mod:`qa.ui.page`).

On a phone (400 px) the masthead wraps, every tab stays in the tab bar, the library table keeps its title and
date columns and cards replace the rest (style.css); nothing is wider than the screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields

import gradio as gr

from qa.models.prompts import LANGUAGE_NAMES
from qa.ui.adding import UPLOAD_TYPES
from qa.ui.brief_tab import BriefTab
from qa.ui.check_tab import CheckTab
from qa.ui.render import render_article, render_filters_note, render_ingest_results, render_sources, render_summary, \
    render_timeline

STYLE_CHOICES = [("Short (2-3 sentences)", "short"), ("Headline (1 sentence)", "abstract"), ("Paragraph", "paragraph"),
                 ("Key points", "bullets")]
TABLE_HEADERS = ["Title", "Source", "Date", "Lang", "Chunks", "Versions"]
NO_ARTICLE_NOTE = "Select an article to summarize it."
EXAMPLES = 4  # example questions offered by an empty chat


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
    start_box: gr.Column  # shown while the chat is empty: what the archive holds, example questions
    start_html: gr.HTML
    examples: tuple  # of gr.Button
    question: gr.Textbox
    ask_btn: gr.Button
    stop_btn: gr.Button
    clear_btn: gr.Button
    export_btn: gr.DownloadButton
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
    s_stop_btn: gr.Button
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
    # the newsroom desk's tabs (each in its own module, its events wired by itself)
    check_tab: object = None  # Check a draft: qa/ui/check_tab.py (wired by NewsdeskApp)
    brief_tab: object = None  # Brief: qa/ui/brief_tab.py (wired by NewsdeskApp)
    quotes_tab: object = None  # qa/ui/quotes_tab.py, built (and wired) when the layout is given the assistant

    @property
    def filters(self) -> list:
        """The filter inputs, in the order of :meth:`NewsdeskUI.make_filters`'s parameters."""
        return [self.f_languages, self.f_sources, self.f_articles, self.f_from, self.f_to]

    @property
    def article_buttons(self) -> list:
        """The buttons that act on the selected article."""
        return [self.summarize_btn, self.ask_about_btn, self.delete_btn]


def layout(status_html: str, max_file_mb: float, assistant_of: Callable | None = None) -> Page:
    """Build the page's components (no events but the desk tabs' own): the masthead and the tabs; the Quotes tab
    when ``assistant_of()`` gives the assistant."""
    with gr.Blocks(title="newsdesk QA", fill_width=False, analytics_enabled=False) as demo:
        parts = {"demo": demo, "session": gr.State(new_session()),  # per browser session: the conversation
                 "library_ids": gr.State([])}
        with gr.Row(elem_id="nd-masthead", equal_height=True):
            gr.HTML('<div class="nd-brand"><span class="nd-logo">newsdesk</span><span class="nd-qa">QA</span>'
                    '<span class="nd-tagline">Answers from your articles, with sources you can check</span></div>',
                    elem_id="nd-brand-block")
            parts["status"] = gr.HTML(status_html, elem_id="nd-status-block")
        with gr.Tabs(elem_id="nd-tabs", overflow_behavior="wrap") as parts["tabs"]:  # no tab hidden in a menu
            parts.update(ask_tab())
            parts.update(library_tab())
            parts.update(timeline_tab())
            parts["check_tab"], parts["brief_tab"] = CheckTab.build(), BriefTab.build()
            if assistant_of is not None:
                from qa.ui.quotes_tab import quotes_tab

                parts["quotes_tab"] = quotes_tab(assistant_of)
            parts.update(add_tab(max_file_mb))
    missing = {f.name for f in fields(Page) if f.default is MISSING} - set(parts)
    assert not missing, f"the layout does not build {missing}"
    return Page(**parts)


def ask_tab() -> dict:
    """The conversation, its tools (Ask, Stop, new conversation, export), the filters and the sources."""
    with gr.Tab("Ask", id="ask", elem_id="nd-tab-ask"), gr.Row(equal_height=False, elem_id="nd-ask-tab"):
        with gr.Column(scale=7, min_width=300):
            with gr.Column(elem_id="nd-start", visible=True) as start_box:
                start_html = gr.HTML("", elem_id="nd-start-html")
                with gr.Row(elem_id="nd-examples"):
                    examples = tuple(gr.Button("", size="sm", visible=False, elem_classes=["nd-example"],
                                               elem_id=f"nd-example-{i}", min_width=200) for i in range(EXAMPLES))
            chatbot = gr.Chatbot(
                elem_id="nd-chat", label="Conversation", show_label=False, height=520,
                feedback_options=None, buttons=["copy"], layout="bubble", sanitize_html=True,
                render_markdown=True, line_breaks=True, autoscroll=True,
            )
            with gr.Row(elem_id="nd-ask-row", equal_height=True):
                question = gr.Textbox(placeholder="Ask a question about the articles…", show_label=False,
                                      lines=1, max_lines=4, scale=8, elem_id="nd-question",
                                      autofocus=True, submit_btn=False, min_width=160)
                ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=70, elem_id="nd-ask")
                stop_btn = gr.Button("Stop", variant="stop", scale=1, min_width=70, elem_id="nd-stop",
                                     interactive=False)
            with gr.Row(elem_id="nd-chat-tools"):
                clear_btn = gr.Button("New conversation", size="sm", variant="secondary",
                                      elem_id="nd-clear", scale=0, min_width=150)
                export_btn = gr.DownloadButton("Export as Markdown", size="sm", variant="secondary",
                                               elem_id="nd-export", scale=0, min_width=170, interactive=False)
                filters_note = gr.HTML(render_filters_note([]), elem_id="nd-filters-note")
        with gr.Column(scale=5, min_width=300, elem_id="nd-side"):
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
    return {"chatbot": chatbot, "start_box": start_box, "start_html": start_html, "examples": examples,
            "question": question, "ask_btn": ask_btn, "stop_btn": stop_btn, "clear_btn": clear_btn,
            "export_btn": export_btn, "filters_note": filters_note, "filters_box": filters_box,
            "f_languages": f_languages, "f_sources": f_sources, "f_from": f_from, "f_to": f_to,
            "f_articles": f_articles, "sources_html": sources_html}


def library_tab() -> dict:
    """The searchable table of articles, the reader with its summary and the article's tools."""
    with gr.Tab("Library", id="library", elem_id="nd-tab-library"):
        with gr.Row(equal_height=False, elem_id="nd-library-row"):
            with gr.Column(scale=6, min_width=300):
                search = gr.Textbox(placeholder="Search the articles: words, names, subjects, in any language…",
                                    show_label=False, elem_id="nd-search")
                table = gr.Dataframe(headers=TABLE_HEADERS, datatype=["html", "str", "str", "str", "number", "str"],
                                     interactive=False, wrap=True, max_height=620, elem_id="nd-table",
                                     column_widths=["36%", "15%", "15%", "9%", "12%", "13%"], max_chars=400)
                library_note = gr.HTML("", elem_id="nd-library-note")
            with gr.Column(scale=6, min_width=300, elem_id="nd-reader"):
                with gr.Row(elem_id="nd-summary-tools", equal_height=True):
                    s_style = gr.Dropdown(STYLE_CHOICES, value="short", label="Summary style",
                                          elem_id="nd-style", scale=2, min_width=140)
                    s_lang = gr.Dropdown([("Article's language", "")] + [(v, k) for k, v in LANGUAGE_NAMES.items()],
                                         value="", label="Language", elem_id="nd-sum-lang", scale=2, min_width=140)
                    summarize_btn = gr.Button("Summarize", variant="primary", elem_id="nd-summarize",
                                              interactive=False, scale=1, min_width=110)
                    s_stop_btn = gr.Button("Stop", variant="stop", elem_id="nd-summary-stop", interactive=False,
                                           scale=1, min_width=70)
                summary_html = gr.HTML(render_summary(note=NO_ARTICLE_NOTE), elem_id="nd-summary")
                versions = gr.Radio([], label="Versions of this story", visible=False, elem_id="nd-versions")
                article_html = gr.HTML(render_article(None), elem_id="nd-article", max_height=700)
                with gr.Row(elem_id="nd-article-tools"):
                    ask_about_btn = gr.Button("Ask about this article", elem_id="nd-ask-about", size="sm",
                                              interactive=False, scale=0, min_width=190)
                    delete_btn = gr.Button("Delete article", variant="stop", elem_id="nd-delete", size="sm",
                                           interactive=False, scale=0, min_width=130)
        selected_id = gr.Textbox(visible=False, elem_id="nd-selected-id")
    return {"search": search, "table": table, "library_note": library_note, "s_style": s_style, "s_lang": s_lang,
            "summarize_btn": summarize_btn, "s_stop_btn": s_stop_btn, "summary_html": summary_html,
            "article_html": article_html, "versions": versions, "ask_about_btn": ask_about_btn,
            "delete_btn": delete_btn, "selected_id": selected_id}


def timeline_tab() -> dict:
    """A subject's dated events across the articles."""
    with gr.Tab("Timeline", id="timeline", elem_id="nd-tab-timeline"):
        with gr.Row(elem_id="nd-timeline-row", equal_height=True):
            timeline_query = gr.Textbox(placeholder="A subject: Carlos Ghosn, l'incendie de Notre-Dame, Brexit…",
                                        show_label=False, lines=1, scale=6, elem_id="nd-timeline-query",
                                        min_width=200)
            timeline_lang = gr.Dropdown([("The subject's language", "")] + [(v, k) for k, v in LANGUAGE_NAMES.items()],
                                        value="", show_label=False, scale=2, min_width=160, elem_id="nd-timeline-lang")
            timeline_btn = gr.Button("Build timeline", variant="primary", scale=1, min_width=150,
                                     elem_id="nd-timeline-build")
        timeline_html = gr.HTML(render_timeline(), elem_id="nd-timeline")
    return {"timeline_query": timeline_query, "timeline_lang": timeline_lang, "timeline_btn": timeline_btn,
            "timeline_html": timeline_html}


def add_tab(max_file_mb: float) -> dict:
    """Uploads, web addresses and a pasted article."""
    with gr.Tab("Add articles", id="add", elem_id="nd-tab-add"), gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=300):
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
        with gr.Column(scale=1, min_width=300):
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
    return {"files": files, "upload_btn": upload_btn, "ingest_html": ingest_html, "p_title": p_title,
            "p_text": p_text, "p_source": p_source, "p_date": p_date, "p_lang": p_lang, "p_url": p_url,
            "paste_btn": paste_btn, "urls": urls, "urls_btn": urls_btn}
