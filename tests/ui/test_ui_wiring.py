"""The page's wiring, without a browser and without a language model: the handlers of
:class:`qa.ui.page.NewsdeskApp` called as their events call them (each dict they return must name only
outputs of those events), the controller's ingestion progress and the model's waiting line (its place shown
in the chat, the one too many told the assistant is busy). A scripted chat model
(:func:`tests.ui.test_ui_api.newsroom`) over the real embedder and store: seconds.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import gradio as gr
import pytest

from qa.ui import IngestProgress, NewsdeskApp, NewsdeskUI
from qa.ui.controller import BusyError, ModelGate, Waiting
from qa.ui.page import REFUSING, THINKING, new_session
from qa.ui.render import md_safe, title_of_cell
from tests.conftest import write_jsonl
from tests.ui.conftest import (
    BRIDGE,
    BRIDGE_QUESTION,
    BRIDGE_SUMMARY,
    FOLLOW_UP,
    NEWS,
    SEED_TITLE,
    blocking,
    call,
    newsroom,
    scripted_assistant,
)

BRIDGE_TITLE = BRIDGE.split("\n")[0]
NO_FILTERS = ([], [], [], "", "")  # languages, sources, article ids, from, to


@pytest.fixture
def store_dir(scripted_store):
    return scripted_store


@pytest.fixture
def scripted(store_dir):
    """A fresh app (and scripted model) over the shared store, for the tests that do not change it."""
    assistant, model = scripted_assistant(store_dir)
    return NewsdeskApp(NewsdeskUI(assistant)), model


@pytest.fixture
def empty(tmp_path):
    """An app over a store of its own, empty, for the tests that add and delete articles."""
    assistant, _ = scripted_assistant(tmp_path / "store")
    return NewsdeskApp(NewsdeskUI(assistant))


def last_bubble(state: dict, app: NewsdeskApp) -> str:
    return state[app.page.chatbot][-1]["content"]


def chat_states(states: list, app: NewsdeskApp) -> list:
    """The states of a chat handler that change the conversation (not only its buttons)."""
    return [s for s in states if app.page.chatbot in s]


def summary_states(states: list, app: NewsdeskApp) -> list:
    """The states of the summary handler that change the summary panel (not only its buttons)."""
    return [s for s in states if app.page.summary_html in s]


def passages_shown(model) -> str:
    """The passages of the latest answer prompt (without the question)."""
    prompt = [c for c in model.calls if c.startswith("<passages>")][-1]
    return prompt[:prompt.index("</passages>")]


def id_of(app: NewsdeskApp, title_start: str) -> str:
    return next(a.id for a in app.ui.assistant.articles() if a.title.startswith(title_start))


# ---------------------------------------------------------------- the page


def test_the_page_keeps_its_ids_tabs_endpoints_and_limits(scripted, store_dir):
    app, _ = scripted
    ids = {b.elem_id for b in app.demo.blocks.values() if getattr(b, "elem_id", None)}
    assert {"nd-masthead", "nd-status-block", "nd-tabs", "nd-tab-ask", "nd-chat", "nd-question", "nd-ask", "nd-clear",
            "nd-filters-note", "nd-filters", "nd-f-languages", "nd-f-sources", "nd-f-from", "nd-f-to",
            "nd-f-articles", "nd-sources", "nd-tab-library", "nd-search", "nd-table", "nd-library-note", "nd-style",
            "nd-sum-lang", "nd-summarize", "nd-summary", "nd-article", "nd-ask-about", "nd-delete", "nd-selected-id",
            "nd-tab-add", "nd-files", "nd-add-files", "nd-ingest-results", "nd-p-title", "nd-p-text",
            "nd-add-text", "nd-tab-quotes", "nd-quotes-person", "nd-quotes-words", "nd-quotes-find",
            "nd-quotes-results"} <= ids
    tabs = [b.label for b in app.demo.blocks.values() if isinstance(b, gr.Tab)]
    assert tabs == ["Ask", "Library", "Timeline", "Check a draft", "Brief", "Quotes", "Add articles"]
    fns = list(app.demo.fns.values())
    assert sorted(f.api_name for f in fns if f.api_visibility == "public") == ["articles", "ask", "retrieve",
                                                                                "summarize", "timeline"]
    limits = {f.fn.__name__: (f.concurrency_id, f.concurrency_limit) for f in fns
              if f.fn.__name__ in ("chat", "write_summary", "api_ask", "api_summarize", "api_retrieve", "delete",
                                   "add_files", "add_text", "build_timeline", "api_timeline")}
    # the model's events: Gradio runs every place of the model's line (1 answering + 8 waiting) and a few
    # refusals; the gate, not Gradio's queue, lets the model answer one at a time
    gate = app.ui.gate
    assert (gate.slots, gate.max_waiting) == (1, 8)
    llm = ("llm", 1 + 8 + REFUSING)
    assert limits == {"chat": llm, "write_summary": llm, "api_ask": llm, "api_summarize": llm,
                      "build_timeline": llm, "api_timeline": llm,
                      "api_retrieve": ("retrieve", 2), "delete": ("ingest", 1), "add_files": ("ingest", 1),
                      "add_text": ("ingest", 1)}
    assert next(f for f in fns if f.api_name == "articles").concurrency_limit is None
    # a hosted model serves several answers at once; the line's length is a setting
    hosted, _ = scripted_assistant(store_dir, llm="openai", max_waiting=3)
    hosted_app = NewsdeskApp(NewsdeskUI(hosted))
    assert (hosted_app.ui.gate.slots, hosted_app.ui.gate.max_waiting) == (4, 3)
    assert {f.concurrency_limit for f in hosted_app.demo.fns.values() if f.concurrency_id == "llm"} == {
        4 + 3 + REFUSING}


def test_refresh_fills_the_counts_the_filters_and_the_library(scripted):
    app, _ = scripted
    p = app.page
    [state] = call(app, app.refresh, "")
    assert '<b class="nd-count-articles">4</b>' in state[p.status] and "qwen" in state[p.status].lower()
    assert sorted(state[p.f_languages]["choices"]) == [("English (2)", "en"), ("French (2)", "fr")]
    assert state[p.f_sources]["choices"] == ["Coast Herald", "Le Courrier", "RT (machine-translated from English)"]
    assert len(state[p.f_articles]["choices"]) == 4
    assert sorted(title_of_cell(row[0]) for row in state[p.table]["value"]) == sorted(
        [BRIDGE_TITLE, SEED_TITLE, *(n["title"] for n in NEWS)])
    assert len(state[p.library_ids]) == 4 and "4 articles" in state[p.library_note]
    [found] = call(app, app.filter_table, "herald")
    assert [title_of_cell(row[0]) for row in found[p.table]["value"]] == ["Harbour bridge reopens after repairs"]
    assert found[p.library_ids] == ["portwell-bridge"] and "1 article found" in found[p.library_note]
    [none] = call(app, app.filter_table, "no such words")
    assert none[p.table]["value"] == [] and "No article matches" in none[p.library_note]


def test_the_library_is_searched_by_content_across_accents_case_and_languages(scripted):
    app, _ = scripted
    p = app.page
    seed = id_of(app, SEED_TITLE[:20])
    # a word of the text only (not of the title), any case: the sentence that holds it is shown under the title
    for query in ("galloni", "GALLONI"):
        [found] = call(app, app.filter_table, query)
        assert found[p.library_ids] == [seed], query
        assert "Alessandra Galloni" in found[p.table]["value"][0][0] and "nd-row-match" in found[p.table]["value"][0][0]
    # accents and case: "RENOVATION" finds "rénovation" (in the text, not the title), with its sentence
    plain, accented = app.ui.search("RENOVATION"), app.ui.search("rénovation")
    assert plain[0].id == accented[0].id == "villebourg-budget" and "rénovation des écoles" in plain[0].sentence
    # languages: an English query finds the French article by its meaning, with its closest sentence
    nuclear = app.ui.search("nuclear war cannot be won")
    assert nuclear[0].id == seed and nuclear[0].matched == "text" and "nucléaire" in nuclear[0].sentence
    assert app.ui.search("zzkx qwertyuiop") == []
    listed = app.ui.article_list("galloni")
    assert [a["id"] for a in listed] == [seed] and "Galloni" in listed[0]["sentence"]
    # a clicked row is found again by its cell, sentence and all
    row = call(app, app.filter_table, "galloni")[0][p.table]["value"][0]
    assert app.ui.id_of_row(row, [seed]) == seed


# ---------------------------------------------------------------- Ask


def test_chat_streams_the_answer_then_shows_its_sources(scripted):
    app, model = scripted
    p = app.page
    states = call(app, app.chat, BRIDGE_QUESTION, [], new_session(), *NO_FILTERS)
    # Ask disabled and Stop enabled while it is answered, the other way round once done
    assert states[0][p.ask_btn]["interactive"] is False and states[0][p.stop_btn]["interactive"] is True
    assert states[-1][p.ask_btn]["interactive"] is True and states[-1][p.stop_btn]["interactive"] is False
    first, *writing, final = chat_states(states, app)
    assert first[p.question] == "" and last_bubble(first, app) == THINKING
    assert first[p.chatbot][0] == {"role": "user", "content": BRIDGE_QUESTION}
    # what was found is said at once, with the seconds; the answer is shown only once checked
    assert any("Reading" in last_bubble(w, app) and "passage" in last_bubble(w, app) for w in writing)
    assert all(re.search(r'<span class="nd-elapsed">\d+ s</span>', last_bubble(w, app)) for w in writing)
    assert "420 metres long" in last_bubble(final, app)
    assert '<span class="nd-cite">&#91;1&#93;</span>' in last_bubble(final, app)
    session = final[p.session]
    assert session["turns"] == [(BRIDGE_QUESTION, "The bridge is 420 metres long [1].")]
    assert list(session["answers"]) == ["1"]
    cards = final[p.sources_html]
    assert BRIDGE_TITLE in cards and "<mark>The bridge is 420 metres long and cost 38 million pounds.</mark>" in cards
    assert "Ellen Marsh" in cards and "12,000 vehicles" in cards  # the quote in its context, from the article

    # a follow-up: the conversation goes with it
    follow = chat_states(call(app, app.chat, "How much did it cost?", final[p.chatbot], session, *NO_FILTERS), app)[-1]
    assert any(c.startswith("Conversation so far:") and BRIDGE_QUESTION in c for c in model.calls)
    assert follow[p.session]["turns"][-1] == ("How much did it cost?", "It cost 38 million pounds [1].")
    assert len(follow[p.chatbot]) == 4 and sorted(follow[p.session]["answers"]) == ["1", "3"]
    assert follow[p.session]["answers"]["3"]["standalone_question"] == FOLLOW_UP

    # a click on the first answer shows its sources again; a new conversation clears everything
    [again] = call(app, app.show_message_sources, follow[p.session], gr.SelectData(None, {"index": 1, "value": ""}))
    assert again == {p.sources_html: cards}
    assert call(app, app.show_message_sources, follow[p.session], gr.SelectData(None, {"index": 0, "value": ""})) \
        == [gr.skip()]  # a question has no sources
    [cleared] = call(app, app.clear)
    assert cleared[p.chatbot] == [] and cleared[p.session] == new_session() and cleared[p.question] == ""
    assert "Sources of the latest answer appear here" in cleared[p.sources_html]


def test_a_refusal_an_error_and_an_empty_question(scripted, store_dir):
    app, _ = scripted
    p = app.page
    final = chat_states(call(app, app.chat, "Who won the 2019 Nobel prize in economics?", [], new_session(),
                             *NO_FILTERS), app)[-1]
    assert '<div class="nd-refusal">' in last_bubble(final, app) and final[p.session]["answers"]["1"]["refused"]
    assert "Nothing in the stored articles bears on this question" in final[p.sources_html]
    assert final[p.session]["answers"]["1"]["status"] == "not_found"

    error = chat_states(call(app, app.chat, BRIDGE_QUESTION, [], new_session(), [], [], [], "last week", ""), app)[-1]
    assert "Dates are written YYYY-MM-DD" in last_bubble(error, app) and 'class="nd-error"' in last_bubble(error, app)
    assert "Dates are written YYYY-MM-DD" in error[p.sources_html] and p.session not in error

    assert call(app, app.chat, "   ", [], new_session(), *NO_FILTERS) == [gr.skip()]

    def down(_last, _n):
        raise ConnectionError("connection refused")

    unreachable, _ = scripted_assistant(store_dir, script=down)
    down_app = NewsdeskApp(NewsdeskUI(unreachable))
    final = chat_states(call(down_app, down_app.chat, BRIDGE_QUESTION, [], new_session(), *NO_FILTERS), down_app)[-1]
    assert "The language model could not be reached (ConnectionError: connection refused)" in final[
        down_app.page.sources_html]
    assert "Traceback" not in last_bubble(final, down_app)


def test_filters_are_described_and_applied(scripted):
    app, model = scripted
    p = app.page
    [described] = call(app, app.describe_filters, ["fr"], ["Le Courrier"], ["a", "b"], "2021", "")
    assert described[p.filters_box]["label"] == "Filters · 4 active"
    assert "Searching only: French · Le Courrier · 2021 → … · 2 chosen articles" in described[p.filters_note]
    [none] = call(app, app.describe_filters, *NO_FILTERS)
    assert none[p.filters_box]["label"] == "Filters" and "Searching all articles." in none[p.filters_note]

    filters = app.ui.make_filters(["fr"], None, None, "2021", "2021-3")
    assert (filters.languages, filters.date_from, filters.date_to) == (["fr"], "2021-01-01", "2021-03-31")
    assert app.ui.make_filters() is None and app.ui.make_filters([], [], [], " ", "") is None

    # only the French articles: the bridge's sentence is not shown to the model, which cannot answer
    final = chat_states(call(app, app.chat, BRIDGE_QUESTION, [], new_session(), ["fr"], [], [], "", ""), app)[-1]
    prompt = passages_shown(model)
    assert "Riverton" not in prompt and "Villebourg" in prompt
    assert final[p.session]["answers"]["1"]["refused"]
    # only one chosen article, from the library's "Ask about this article"
    [asked] = call(app, app.ask_about, "portwell-bridge")
    assert asked[p.f_articles]["value"] == ["portwell-bridge"] and asked[p.filters_box]["open"] is True
    assert asked[p.tabs].selected == "ask"
    call(app, app.chat, BRIDGE_QUESTION, [], new_session(), [], [], asked[p.f_articles]["value"], "", "")
    prompt = passages_shown(model)
    assert "Portwell" in prompt and "Riverton" not in prompt and "Villebourg" not in prompt
    # and by date: from 2022 on, only the Portwell article (the undated ones are left out)
    call(app, app.chat, BRIDGE_QUESTION, [], new_session(), [], [], [], "2022", "")
    prompt = passages_shown(model)
    assert "Portwell" in prompt and "Riverton" not in prompt and "Villebourg" not in prompt


# ---------------------------------------------------------------- the model's waiting line


def test_the_gate_serves_in_order_shows_places_and_refuses_the_one_too_many():
    """One thread: a generator that waits yields its place at once, and again whenever it changes."""
    gate = ModelGate(slots=1, max_waiting=2)
    done = []

    def work(name):
        def items():
            done.append(name)
            yield name
        return items

    with gate.turn():  # free: at once
        assert (gate.running, gate.waiting) == (1, 0)
        first, second = gate.queued(work("first")), gate.queued(work("second"))
        assert next(first) == Waiting(1) and next(second) == Waiting(2)
        assert (gate.running, gate.waiting) == (1, 2)
        with pytest.raises(BusyError, match=r"^The assistant is busy \(2 questions waiting\): try again in a "
                                            r"minute\.$"):
            next(gate.queued(work("third")))
        with pytest.raises(BusyError), gate.turn():
            pass
        assert gate.refused == 2 and done == []
        first.close()  # its user has gone: its place is given up
        assert next(second) == Waiting(1) and gate.waiting == 1
    # the model is free: the next in line goes (it says so, having waited), nobody else is served
    assert list(second) == [Waiting(0), "second"] and done == ["second"]
    assert (gate.running, gate.waiting, gate.served, gate.refused) == (0, 0, 2, 2)
    # nobody waiting: no place is shown
    assert list(gate.queued(work("fourth"))) == ["fourth"]
    # no room to wait at all: refused while one is being answered
    strict = ModelGate(slots=1, max_waiting=0)
    with strict.turn(), pytest.raises(BusyError, match=r"\(1 question being answered\)"):
        next(strict.queued(work("fifth")))


def test_a_waiting_question_shows_its_place_and_the_one_too_many_is_told_busy(store_dir):
    """A first question holds the model (its script blocks until the test releases it); two more wait and
    see their place in their bubble; a fourth, the summary and the API's question are refused at once. Then
    each of the three gets its own answer, once."""
    entered, release = threading.Event(), threading.Event()
    assistant, model = scripted_assistant(store_dir, script=blocking(entered, release), max_waiting=2)
    app = NewsdeskApp(NewsdeskUI(assistant))
    p = app.page
    holder_states: list = []
    holder = threading.Thread(target=lambda: holder_states.extend(
        call(app, app.chat, BRIDGE_QUESTION, [], new_session(), *NO_FILTERS)))
    holder.start()
    try:
        assert entered.wait(timeout=60), "the first question never reached the model"
        second = app.chat(BRIDGE_QUESTION, [], new_session(), *NO_FILTERS)
        third = app.chat(BRIDGE_QUESTION, [], new_session(), *NO_FILTERS)
        assert next(second)[p.ask_btn]["interactive"] is False and p.ask_btn in next(third)  # Ask disabled
        assert last_bubble(next(second), app) == THINKING
        waiting = next(second)
        assert "Waiting for the model: 1 question ahead of yours…" in last_bubble(waiting, app)
        assert 'class="nd-thinking nd-waiting"' in last_bubble(waiting, app) and p.session not in waiting
        next(third)
        assert "Waiting for the model: 2 questions ahead of yours…" in last_bubble(next(third), app)

        # the line is full: refused at once, in the chat (the question given back), the summary panel, the API
        busy = "The assistant is busy (2 questions waiting): try again in a minute."
        *_, refused = chat_states(call(app, app.chat, "Who opened the bridge?", [], new_session(), *NO_FILTERS), app)
        assert busy in last_bubble(refused, app) and 'class="nd-busy"' in last_bubble(refused, app)
        assert refused[p.question] == "Who opened the bridge?" and p.session not in refused
        *_, summary = summary_states(call(app, app.write_summary, id_of(app, "Riverton"), "bullets", ""), app)
        assert busy in summary[p.summary_html] and "nd-busy" in summary[p.summary_html]
        with pytest.raises(gr.Error, match=re.escape(busy)):
            app.api_ask("Who opened the bridge?")
        # what needs no model does not wait: the library, the cached summaries, the retrieval
        assert call(app, app.filter_table, "herald")[0][p.library_ids] == ["portwell-bridge"]
        assert app.api_retrieve(BRIDGE_QUESTION, 2)[0]["article_id"] == id_of(app, "Riverton")
        assert len([c for c in model.calls if c.startswith("<passages>")]) == 1 and app.ui.gate.served == 0
    finally:
        release.set()
        holder.join(timeout=60)
    assert not holder.is_alive()
    assert "420 metres long" in last_bubble(chat_states(holder_states, app)[-1], app)

    # the first one is done: the second's turn (it says so), the third one place closer
    assert last_bubble(next(second), app) == THINKING
    assert "Waiting for the model: 1 question ahead of yours…" in last_bubble(next(third), app)
    *_, second_final = chat_states(list(second), app)
    assert last_bubble(next(third), app) == THINKING
    *_, third_final = chat_states(list(third), app)
    for final in (second_final, third_final):
        assert "420 metres long" in last_bubble(final, app) and "Waiting" not in last_bubble(final, app)
        assert final[p.session]["turns"] == [(BRIDGE_QUESTION, "The bridge is 420 metres long [1].")]
    # three answers, each written once; nothing refused reached the model
    answers = [c for c in model.calls if c.startswith("<passages>")]
    assert len(answers) == 3 and all(f"Question: {BRIDGE_QUESTION}" in c for c in answers)
    assert not any("Who opened the bridge?" in c for c in model.calls)
    gate = app.ui.gate
    assert (gate.served, gate.refused, gate.running, gate.waiting) == (3, 3, 0, 0)


# ---------------------------------------------------------------- Library


def test_the_reader_and_its_summaries(scripted):
    app, model = scripted
    p = app.page
    bridge = id_of(app, "Riverton")
    row = next(r for r in app.ui.table("")[0] if title_of_cell(r[0]) == BRIDGE_TITLE)
    ids = app.ui.table("")[1]
    [opened] = call(app, app.open_article, ids, "abstract", "",
                    gr.SelectData(None, {"index": [2, 0], "value": BRIDGE_TITLE, "row_value": row}))
    assert opened[p.selected_id] == bridge and BRIDGE_TITLE in opened[p.article_html]
    assert "420 metres" in opened[p.article_html]
    assert "Summaries made before appear at once" in opened[p.summary_html]  # none yet
    assert all(opened[b]["interactive"] is True for b in p.article_buttons)

    states = call(app, app.write_summary, bridge, "abstract", "")
    assert states[0][p.summarize_btn]["interactive"] is False and states[0][p.s_stop_btn]["interactive"] is True
    assert states[-1][p.summarize_btn]["interactive"] is True and states[-1][p.s_stop_btn]["interactive"] is False
    *writing, done = summary_states(states, app)
    assert writing and all("nd-writing" in s[p.summary_html] for s in writing)
    assert BRIDGE_SUMMARY in done[p.summary_html] and "Headline summary · English" in done[p.summary_html]
    assert "written in" in done[p.summary_html] and "nd-cached" not in done[p.summary_html]
    calls = len(model.calls)

    # made before: shown at once when the article is opened again, or its style chosen again
    [cached] = call(app, app.show_cached, bridge, "abstract", "")
    assert BRIDGE_SUMMARY in cached[p.summary_html] and "nd-cached" in cached[p.summary_html]
    [reopened] = call(app, app.show_article, bridge, "abstract", "", via=app.open_article)
    assert reopened[p.summary_html] == cached[p.summary_html]
    [other] = call(app, app.show_cached, bridge, "bullets", "")
    assert "Summaries made before appear at once" in other[p.summary_html]
    *_, again = summary_states(call(app, app.write_summary, bridge, "abstract", ""), app)
    assert "nd-cached" in again[p.summary_html] and len(model.calls) == calls  # the model was not asked

    assert call(app, app.show_cached, "", "short", "") == [gr.skip()]
    assert "Select an article first." in call(app, app.write_summary, "", "short", "")[-1][p.summary_html]
    missing = summary_states(call(app, app.write_summary, "no-such-article", "short", ""), app)[-1]
    assert "No article with id &#x27;no-such-article&#x27;" in missing[p.summary_html]
    [nothing] = call(app, app.show_article, "no-such-article", "short", "", via=app.open_article)
    assert nothing[p.selected_id] == "" and all(nothing[b]["interactive"] is False for b in p.article_buttons)


# ---------------------------------------------------------------- adding articles


def test_ingestion_reports_its_progress_file_by_file_and_article_by_article(tmp_path):
    assistant, _ = scripted_assistant(tmp_path / "store")
    ui = NewsdeskUI(assistant)
    records = [{"id": f"tram-{k}", "title": f"Trams of Portwen, line {k}",
                "text": f"Line {k} of the Portwen trams runs again from Monday, the operator said."} for k in range(6)]
    collection = write_jsonl(tmp_path / "collection.jsonl", records)
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")

    # the worker waits, after the third article, until that progress has been reported
    reported, ingest_files = threading.Event(), assistant.ingest_files

    def gated(files, on_progress=None):
        def progress(done, total, title):
            on_progress(done, total, title)
            if done == 3 and not reported.wait(timeout=60):
                raise TimeoutError("the progress at 3 of 6 articles was never reported")
        return ingest_files(files, on_progress=progress)

    assistant.ingest_files = gated
    states = []
    for state in ui.ingest_uploads([str(collection), str(tmp_path / "notes.pdf")], poll=0.01):
        states.append(state)
        if state.done == 3:
            reported.set()

    assert states[0].rows == () and states[0].file == "Adding collection.jsonl (1 of 2 files)"
    middle = next(s for s in states if s.done == 3)
    assert middle.total == 6 and middle.fraction == 0.5 and middle.rows == ()
    assert middle.running == "Adding collection.jsonl (1 of 2 files): 3 of 6 articles…"
    first_file = [s.done for s in states if s.file and s.file.startswith("Adding collection")]
    assert first_file == sorted(first_file)  # never backwards
    second = next(s for s in states if s.file == "Adding notes.pdf (2 of 2 files)")
    assert [r["name"] for r in second.rows] == ["collection.jsonl"]
    final = states[-1]
    assert final.finished and final.running is None and final.fraction is None
    assert [(r["name"], r["status"], r["summary"]) for r in final.rows] == [
        ("collection.jsonl", "ok", "6 added"), ("notes.pdf", "failed", "unsupported file type")]
    assert sorted(final.rows[0]["added_ids"]) == [f"tram-{k}" for k in range(6)]
    assert len(assistant.articles()) == 6
    with pytest.raises(ValueError, match="Choose one or more files first"):
        next(ui.ingest_uploads([]))


def test_ingest_progress_in_words():
    assert IngestProgress((), "Adding a.jsonl", 0, None).running == "Adding a.jsonl…"
    assert IngestProgress((), "Adding a.txt", 1, 1).running == "Adding a.txt…"  # one article: no count
    assert IngestProgress((), "Adding a.txt", 1, 1).fraction is None
    assert IngestProgress((), "Adding a.jsonl", 1500, 3000).running == "Adding a.jsonl: 1,500 of 3,000 articles…"
    assert IngestProgress((), "Adding a.jsonl", 750, 3000).fraction == 0.25
    done = IngestProgress(({"name": "a.jsonl"},), None, 3000, 3000)
    assert done.finished and done.running is None and done.fraction is None


def test_adding_and_deleting_articles_updates_the_page(empty, tmp_path):
    app, p = empty, empty.page
    assert "Choose one or more files first." in call(app, app.add_files, None, "")[-1][p.ingest_html]

    upload = tmp_path / "riverton-bridge.txt"
    upload.write_text(BRIDGE, encoding="utf-8")
    *running, done = call(app, app.add_files, [str(upload)], "")
    assert running and all("nd-progress" in s[p.ingest_html] and "Adding riverton-bridge.txt" in s[p.ingest_html]
                           for s in running)
    assert "nd-pill-ok" in done[p.ingest_html] and "1 added" in done[p.ingest_html] and done[p.files] is None
    assert '<b class="nd-count-articles">1</b>' in done[p.status]
    assert [title_of_cell(row[0]) for row in done[p.table]["value"]] == [BRIDGE_TITLE]

    [nothing] = call(app, app.add_text, "A title", "  ", "", "", "", "", "")
    assert "no text" in nothing[p.ingest_html] and p.p_title not in nothing and p.p_text not in nothing
    [pasted] = call(app, app.add_text, "", "Trams return to Portwen\nThe trams of Portwen run again from Monday.",
                    "Portwen Post", "2023-01-02", "en", "", "")
    assert "pasted: Trams return to Portwen" in pasted[p.ingest_html] and "nd-pill-ok" in pasted[p.ingest_html]
    assert pasted[p.p_title] == "" and pasted[p.p_text] == ""
    assert pasted[p.f_sources]["choices"] == ["Portwen Post"] and len(pasted[p.table]["value"]) == 2

    bridge = id_of(app, "Riverton")
    assert call(app, app.delete, "", "") == [gr.skip()]  # not confirmed
    [deleted] = call(app, app.delete, bridge, "")
    assert "Article deleted." in deleted[p.library_note] and deleted[p.selected_id] == ""
    assert [title_of_cell(row[0]) for row in deleted[p.table]["value"]] == ["Trams return to Portwen"]
    assert all(deleted[b]["interactive"] is False for b in p.article_buttons)
    assert '<b class="nd-count-articles">1</b>' in deleted[p.status] and app.ui.article(bridge) is None
    [twice] = call(app, app.delete, bridge, "")
    assert "That article was already deleted." in twice[p.library_note]


def test_web_addresses_are_one_a_line(empty):
    rows = list(empty.ui.ingest_urls("not a url\n\n  not a url  \nftp://x.example/a b\n", poll=0.05))[-1].rows
    assert [(r["name"], r["status"], r["summary"]) for r in rows] == [
        ("not a url", "failed", "not a web address"), ("ftp://x.example/a b", "failed", "not a web address")]
    with pytest.raises(ValueError, match="web addresses"):
        list(empty.ui.ingest_urls(" \n \n"))


def test_stop_ends_the_answer_being_written_keeps_it_and_frees_the_model(store_dir):
    """The model writes a long answer token by token (0.01 s each); Stop ends it at the next token: the text
    written so far stays in the chat, marked stopped, no more token is written, and the next question is
    answered without waiting."""
    long_answer = json.dumps({"sentences": [1], "answer": "The bridge is long. " * 300})

    def script(last: str, n: int) -> str:
        return long_answer if last.startswith("<passages>") and "in words?" in last else newsroom(last, n)

    assistant, model = scripted_assistant(store_dir, script=script)
    model.token_delay = 0.01
    app = NewsdeskApp(NewsdeskUI(assistant))
    p = app.page
    states: list = []
    asking = threading.Thread(target=lambda: states.extend(
        call(app, app.chat, "How long is the bridge, in words?", [], new_session(), *NO_FILTERS)))
    asking.start()
    deadline = time.monotonic() + 60
    while model.pieces < 30 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert model.pieces >= 30, "the model never started writing"
    assert call(app, app.stop) == [{p.stop_btn: {"interactive": False, "__type__": "update"}}]
    asking.join(timeout=30)
    assert not asking.is_alive()
    written = model.pieces
    time.sleep(0.3)
    assert model.pieces == written < len(long_answer) // 4  # the model stopped writing, long before its end
    final = chat_states(states, app)[-1]
    bubble = last_bubble(final, app)
    assert "The bridge is long." in bubble and "Stopped" in bubble and "{" not in bubble
    kept = final[p.session]["answers"]["1"]
    assert kept["status"] == "stopped" and kept["answer"].startswith("The bridge is long.")
    assert states[-1][p.ask_btn]["interactive"] is True and not app.signals
    gate = app.ui.gate
    assert (gate.running, gate.waiting) == (0, 0)
    # the next question: its turn at once (no waiting bubble), answered
    after = chat_states(call(app, app.chat, BRIDGE_QUESTION, [], new_session(), *NO_FILTERS), app)
    assert not any("Waiting for the model" in last_bubble(s, app) for s in after)
    assert "420 metres long" in last_bubble(after[-1], app)
    # the conversation with its stopped answer, as Markdown
    markdown = Path(final[p.export_btn]["value"]).read_text(encoding="utf-8")
    assert "## 1. How long is the bridge, in words?" in markdown and "_Stopped before the end" in markdown


def test_an_empty_chat_shows_the_archive_and_example_questions_that_ask_themselves(scripted):
    app, model = scripted
    p = app.page
    [state] = call(app, app.refresh, "")
    head = state[p.start_html]
    assert '<b class="nd-overview-articles">4</b> articles' in head
    assert "English (2)" in head and "French (2)" in head and "2021-03-09</span> → <span class=\"nd-nowrap\">2022-09-21" in head
    questions = [state[b]["value"] for b in p.examples]
    assert len(questions) == 4 and all(state[b]["visible"] for b in p.examples)
    titles = [a.title for a in app.ui.assistant.articles()]
    for q in questions:  # each made from a stored article's title, in its language
        assert any(t[:30] in q for t in titles), q
    assert any(q.startswith("Que disent les articles sur « ") for q in questions)
    assert any(q.startswith("What do the articles say about “") for q in questions)
    # a click asks it: the example button is the question's input
    example = p.examples[0]
    asked = chat_states(call(app, app.chat, questions[0], [], new_session(), *NO_FILTERS, via=app.chat), app)
    assert asked[0][p.chatbot][0]["content"] == md_safe(questions[0])
    assert any(event.fn == app.chat and example in event.inputs for event in app.demo.fns.values())
    # the head hides once the chat has begun and comes back with a new conversation
    states = call(app, app.chat, questions[1], [], new_session(), *NO_FILTERS)
    assert states[0][p.start_box]["visible"] is False
    assert call(app, app.clear)[0][p.start_box]["visible"] is True


def test_the_conversation_as_markdown(scripted):
    from qa.answers.transcript import answer_markdown

    app, _ = scripted
    p = app.page
    final = chat_states(call(app, app.chat, BRIDGE_QUESTION, [], new_session(), *NO_FILTERS), app)[-1]
    follow = chat_states(call(app, app.chat, "Who won the 2019 Nobel prize in economics?", final[p.chatbot],
                              final[p.session], *NO_FILTERS), app)[-1]
    markdown = Path(follow[p.export_btn]["value"]).read_text(encoding="utf-8")
    assert markdown.startswith("# newsdesk QA: conversation of ")
    assert f"## 1. {BRIDGE_QUESTION}" in markdown and "## 2. Who won the 2019 Nobel prize in economics?" in markdown
    assert "The bridge is 420 metres long [1]." in markdown
    assert f"[1] **{BRIDGE_TITLE}**" in markdown
    assert "> The bridge is 420 metres long and cost 38 million pounds." in markdown
    assert "It cost 38 million pounds [1]." in markdown  # the script takes it for a follow-up on the bridge
    assert "_The stored articles do not say._" in answer_markdown({"question": "Q?", "answer": "No.",
                                                                   "status": "not_found", "sources": []})
    # a source with its source, date and address, and untrusted text kept from becoming Markdown
    answer = {"question": "Q?", "answer": "A [1].", "status": "answered", "sources": [
        {"n": 1, "title": "Harbour *bridge* [reopens]", "source": "Coast Herald", "date": "2022-05-02",
         "url": "https://example.org/bridge", "article_id": "portwell-bridge", "quote": "It reopened.\nOn Monday."}]}
    assert answer_markdown(answer) == (
        "## Q?\n\nA [1].\n\n[1] **Harbour \\*bridge\\* \\[reopens\\]**, Coast Herald, 2022-05-02, "
        "<https://example.org/bridge> (`portwell-bridge`)\n> It reopened. On Monday.\n")
