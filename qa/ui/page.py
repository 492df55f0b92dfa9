"""The page (Gradio Blocks): the Ask, Library and Add articles tabs, their events and the named API endpoints
``/ask``, ``/summarize`` and ``/articles`` (see docs/app.md)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import gradio as gr

from qa.prompts import LANGUAGE_NAMES
from qa.ui.controller import UPLOAD_TYPES, NewsdeskUI
from qa.ui.render import (error_html, esc, friendly_error, language_label, md_safe, render_answer_markdown,
                          render_article, render_ingest_results, render_library_note, render_sources,
                          render_summary)

STYLE_CHOICES = [("Short (2-3 sentences)", "short"), ("Headline (1 sentence)", "abstract"), ("Paragraph", "paragraph"),
                 ("Key points", "bullets")]
TABLE_HEADERS = ["Title", "Source", "Date", "Lang", "Chunks"]


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
                                             column_widths=["43%", "17%", "15%", "11%", "14%"], max_chars=120)
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
                        error_html(message))
            return (ui.status_html(), gr.update(choices=choices["languages"]),
                    gr.update(choices=choices["sources"]), gr.update(choices=choices["articles"]),
                    gr.update(value=rows), ids, render_library_note(rows, query))

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
                yield gr.update(), messages, state, error_html(message_text)
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
            return gr.update(value=rows), ids, render_library_note(rows, query)

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
                yield error_html(friendly_error(exc))

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
                        error_html(friendly_error(exc)), gr.update(), gr.update())
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
        def add_files(paths, query):
            paths = [p for p in (paths or []) if p]
            if not paths:
                yield (error_html("Choose one or more files first."), *(gr.update(),) * 6, gr.update())
                return
            rows: list[dict] = []
            for i, path in enumerate(paths):
                name = Path(path).name
                where = f"Adding {name}" + (f" ({i + 1} of {len(paths)} files)" if len(paths) > 1 else "")
                # the file is ingested in a worker thread; this generator reports its progress article by article
                progress = {"done": 0, "total": None}

                def on_progress(done, total, _title, progress=progress):
                    progress.update(done=done, total=total)

                with ThreadPoolExecutor(1, thread_name_prefix="newsdesk-ingest") as pool:
                    job = pool.submit(ui.ingest_one, path, name, on_progress)
                    while True:
                        done, total = progress["done"], progress["total"]
                        known = bool(total and total > 1)
                        count = f": {done:,} of {total:,} articles" if known else ""
                        yield (render_ingest_results(rows, running=f"{where}{count}…",
                                                     fraction=done / total if known else None),
                               *(gr.update(),) * 6, gr.update())
                        try:
                            rows.append(job.result(timeout=0.5))
                            break
                        except FutureTimeout:
                            continue
                        except Exception as exc:  # noqa: BLE001
                            rows.append({"name": name, "status": "failed", "label": "failed",
                                         "summary": friendly_error(exc), "details": []})
                            break
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

