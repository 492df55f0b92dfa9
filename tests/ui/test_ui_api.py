"""The web app's API, driven as a user of ``gradio_client`` would: the named endpoints ``ask``, ``retrieve``,
``summarize`` and ``articles``, clear errors, the model's waiting line (questions answered in turn, the one too
many told the assistant is busy at once), login and the loopback rule, and the escaping of untrusted article
text. The app runs in-process on 127.0.0.1.

The fast tests answer with a scripted chat model (:mod:`tests.scripted`: what it says is a function of the
prompt) over the real embedder and store; the ``slow`` ones with the small bundled model (one client, then
several at once).
"""

from __future__ import annotations

import re
import threading
import time

import pytest

from tests.conftest import free_port
from tests.ui.conftest import (BRIDGE, BRIDGE_QUESTION, BRIDGE_SUMMARY, FOLLOW_UP, NEWS, SEED_TITLE, article_id,
                               blocking, make_assistant, make_scripted_store, scripted_assistant,
                               start_app)

pytestmark = [  # pandas deprecations inside Gradio's queue statistics
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


@pytest.fixture(scope="module")
def scripted_store(tmp_path_factory):
    """Its own store: these tests write a summary, which the shared store's readers must not find made."""
    return make_scripted_store(tmp_path_factory.mktemp("ui-api-scripted"))


@pytest.fixture(scope="module")
def scripted(scripted_store):
    assistant, model = scripted_assistant(scripted_store)
    demo, url = start_app(assistant)
    yield {"assistant": assistant, "model": model, "url": url}
    demo.close()


@pytest.fixture(scope="module")
def fast_client(scripted):
    from gradio_client import Client

    return Client(scripted["url"], verbose=False)


# ---------------------------------------------------------------- without a model


def test_untrusted_text_is_escaped():
    from qa.store.articles import Article
    from qa.ui import md_safe, render_article, render_sources

    evil = ('<script>alert(1)</script><img src=x onerror=alert(2)> ![t](http://evil.example/p.png) '
            '[link](javascript:alert(3)) ${alert(4)} {{value}} `x`')
    article = Article(id="evil", title=evil, text=evil + "\n\nSecond <b>paragraph</b>.", url="javascript:alert(5)")
    page = render_article(article)
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page and "${" not in page and "{{" not in page and "href" not in page  # no link
    answer = {"answer": evil, "refused": False, "sources": [{
        "n": 1, "article_id": "evil", "title": evil, "source": "<i>S</i>", "date": "2020-01-01", "lang": "en",
        "url": "http://evil.example/a?x=\"'><script>", "quote": evil, "start": 0, "end": len(evil)}]}
    for cards in (render_sources(answer), render_sources(answer, {"evil": article.text})):  # with its context too
        assert "<script" not in cards and "<img" not in cards and "<i>" not in cards and "<b>" not in cards
        assert cards.count("<mark>") == 1 and "&lt;script&gt;alert(1)&lt;/script&gt;" in cards
    assert "Second &lt;b&gt;paragraph&lt;/b&gt;" in render_sources(answer, {"evil": article.text})
    bubble = md_safe(evil + " [1]")
    assert "<img" not in bubble and "](" not in bubble and "![" not in bubble and "${" not in bubble
    assert '<span class="nd-cite">&#91;1&#93;</span>' in bubble


def test_loopback_rule_and_login_from_environment(monkeypatch, capsys):
    from qa.ui import auth_from_env, is_loopback, main

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.20") and not is_loopback("example.org")
    monkeypatch.delenv("QA_UI_USER", raising=False)
    monkeypatch.delenv("QA_UI_PASSWORD", raising=False)
    assert main(["--host", "0.0.0.0", "--port", str(free_port())]) == 2
    assert "Refusing to listen on 0.0.0.0 without a login" in capsys.readouterr().err
    check = auth_from_env({"QA_UI_USER": "desk", "QA_UI_PASSWORD": "s3cret"})
    assert check("desk", "s3cret") and not check("desk", "wrong") and not check("other", "s3cret")
    assert auth_from_env({"QA_UI_USER": "desk"}) is None


# ---------------------------------------------------------------- the endpoints, with the scripted model


def test_login_is_required_when_configured(scripted):
    from gradio_client import Client

    from qa.ui import auth_from_env

    demo, url = start_app(scripted["assistant"], auth=auth_from_env({"QA_UI_USER": "desk",
                                                                     "QA_UI_PASSWORD": "s3cret"}))
    try:
        with pytest.raises(Exception):  # noqa: B017  (gradio_client raises its own error for a missing login)
            Client(url, verbose=False)
        with pytest.raises(Exception):  # noqa: B017
            Client(url, auth=("desk", "wrong"), verbose=False)
        authed = Client(url, auth=("desk", "s3cret"), verbose=False)
        listed = authed.predict(api_name="/articles")
        assert any(a["title"].startswith("Riverton") for a in listed)
    finally:
        demo.close()


def test_named_endpoints_are_documented(fast_client):
    named = fast_client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(named) == {"/ask", "/retrieve", "/summarize", "/articles", "/timeline"}, "UI events must stay private"
    assert [p["parameter_name"] for p in named["/ask"]["parameters"]] == ["question", "history", "filters"]
    assert [p["parameter_name"] for p in named["/retrieve"]["parameters"]] == ["question", "k", "filters"]
    assert [p["parameter_name"] for p in named["/summarize"]["parameters"]] == ["article_id", "style", "language"]
    assert [p["parameter_name"] for p in named["/articles"]["parameters"]] == ["query"]
    assert [p["parameter_name"] for p in named["/timeline"]["parameters"]] == ["query", "language"]


def test_ask_returns_the_answer_with_its_sources_scripted(fast_client, scripted):
    store = scripted["assistant"].store
    result = fast_client.predict(BRIDGE_QUESTION, api_name="/ask")
    assert result["question"] == BRIDGE_QUESTION and result["language"] == "en" and not result["refused"]
    assert result["answer"] == "The bridge is 420 metres long [1]."
    [source] = result["sources"]
    assert source["n"] == 1 and source["title"] == "Riverton opens its new harbour bridge"
    assert "420 metres long" in source["quote"]
    assert store.get_article(source["article_id"]).text[source["start"]:source["end"]] == source["quote"]


def test_ask_with_history_and_filters_scripted(fast_client):
    follow_up = fast_client.predict("How much did it cost?", [[BRIDGE_QUESTION, "420 metres [1]."]],
                                    {"languages": ["en"]}, api_name="/ask")
    assert follow_up["standalone_question"] == FOLLOW_UP and not follow_up["refused"]
    assert [s["lang"] for s in follow_up["sources"]] == ["en"]
    # the same question, only over the French articles: the bridge's sentence is not among the passages
    french = fast_client.predict("How much did it cost?", [[BRIDGE_QUESTION, "420 metres [1]."]],
                                 {"languages": ["fr"]}, api_name="/ask")
    assert french["refused"] and french["sources"] == []


def test_ask_refuses_what_the_articles_do_not_say_scripted(fast_client):
    result = fast_client.predict("Who won the 2019 Nobel prize in economics?", None, None, api_name="/ask")
    assert result["refused"] and result["sources"] == []
    assert result["answer"] and "[" not in result["answer"]


def test_retrieve_returns_the_passages_without_the_model_scripted(fast_client, scripted):
    from gradio_client.exceptions import AppError

    store, calls = scripted["assistant"].store, len(scripted["model"].calls)
    passages = fast_client.predict(BRIDGE_QUESTION, 3, None, api_name="/retrieve")
    assert 1 <= len(passages) <= 3 and [p["n"] for p in passages] == list(range(1, len(passages) + 1))
    best = passages[0]
    assert best["title"] == "Riverton opens its new harbour bridge" and "420 metres long" in best["text"]
    assert {"article_id", "source", "date", "lang", "url", "score", "start", "end"} <= set(best)
    for passage in passages:
        assert store.get_article(passage["article_id"]).text[passage["start"]:passage["end"]] == passage["text"]
    french = fast_client.predict(BRIDGE_QUESTION, 5, {"languages": ["fr"]}, api_name="/retrieve")
    assert french and {p["lang"] for p in french} == {"fr"}
    assert len(scripted["model"].calls) == calls  # no model call
    with pytest.raises(AppError, match="Empty question"):
        fast_client.predict("  ", 3, None, api_name="/retrieve")
    with pytest.raises(AppError, match="k is between 1 and 50"):
        fast_client.predict(BRIDGE_QUESTION, 500, None, api_name="/retrieve")


def test_summarize_returns_the_summary_then_the_cached_one_scripted(fast_client, scripted):
    bridge = article_id(scripted["assistant"], "Riverton")
    first = fast_client.predict(bridge, "abstract", None, api_name="/summarize")
    assert first["article_id"] == bridge and first["style"] == "abstract" and first["language"] == "en"
    assert first["summary"] == BRIDGE_SUMMARY and first["cached"] is False
    again = fast_client.predict(article_id=bridge, style="abstract", language="", api_name="/summarize")
    assert again["cached"] is True and again["summary"] == first["summary"]


def test_articles_lists_and_searches_the_store(fast_client):
    listed = fast_client.predict(api_name="/articles")
    assert sorted(a["title"] for a in listed) == sorted([BRIDGE.split("\n")[0], SEED_TITLE,
                                                         *(n["title"] for n in NEWS)])
    assert all({"id", "title", "source", "date", "lang", "chunks"} <= set(a) for a in listed)
    assert not any("content_hash" in a or "path" in a for a in listed)
    found = fast_client.predict("herald 2022", api_name="/articles")
    assert [a["id"] for a in found] == ["portwell-bridge"]
    assert fast_client.predict("no such words", api_name="/articles") == []


@pytest.mark.parametrize("app", ["fast_client", pytest.param("client", marks=pytest.mark.slow)])
def test_errors_are_clear_messages(app, request):
    """The same messages with the scripted model and with the real one (none of them reaches the model)."""
    from gradio_client.exceptions import AppError

    client = request.getfixturevalue(app)
    with pytest.raises(AppError, match="No article with id 'no-such-article'"):
        client.predict("no-such-article", "short", None, api_name="/summarize")
    with pytest.raises(AppError, match="Unknown summary style"):
        client.predict("anything", "haiku", None, api_name="/summarize")
    with pytest.raises(AppError, match="Dates are written YYYY-MM-DD"):
        client.predict("Who?", None, {"date_from": "last week"}, api_name="/ask")
    with pytest.raises(AppError, match="Unknown filter topics"):
        client.predict("Who?", None, {"topics": ["sport"]}, api_name="/ask")
    with pytest.raises(AppError, match="history is a list of"):
        client.predict("Who?", [["only a question"]], None, api_name="/ask")
    with pytest.raises(AppError) as info:
        client.predict("   ", api_name="/ask")
    assert "Empty question" in str(info.value) and "Traceback" not in str(info.value)


def test_questions_wait_their_turn_and_the_one_too_many_is_told_busy_scripted(scripted_store):
    """Six clients at once, room for three to wait: the first holds the model (its script blocks until the test
    releases it), three wait in the order they came, two are refused at once, while the first still holds the
    model (no hang); what needs no model is answered meanwhile. Then each waiting question is answered, once."""
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from qa.ui import NewsdeskApp, NewsdeskUI, launch

    entered, release = threading.Event(), threading.Event()
    assistant, model = scripted_assistant(scripted_store, script=blocking(entered, release), max_waiting=3)
    app = NewsdeskApp(NewsdeskUI(assistant))
    _, url = launch(app.demo, host="127.0.0.1", port=free_port(), quiet=True, prevent_thread_lock=True)
    gate = app.ui.gate
    questions = [f"Who built the bridge number {k}?" for k in range(4)]
    try:
        clients = [Client(url, verbose=False) for _ in range(6)]
        jobs = [clients[0].submit(questions[0], None, None, api_name="/ask")]
        assert entered.wait(timeout=60), "the first question never reached the model"
        for k in (1, 2, 3):  # one after the other, so that their order in the line is known
            jobs.append(clients[k].submit(questions[k], None, None, api_name="/ask"))
            assert gate.wait_until(lambda g, k=k: g.waiting == k, timeout=60), f"question {k} never joined the line"
        for k in (4, 5):
            with pytest.raises(AppError, match=re.escape("The assistant is busy (3 questions waiting): try again "
                                                         "in a minute.")):
                clients[k].submit("Who opened the bridge?", None, None, api_name="/ask").result(timeout=60)
        assert not release.is_set() and not jobs[0].done()  # refused while the model was still held
        assert clients[4].predict("herald", api_name="/articles")[0]["id"] == "portwell-bridge"
        assert clients[5].predict(BRIDGE_QUESTION, 2, None, api_name="/retrieve")[0]["title"].startswith("Riverton")
    finally:
        release.set()
    try:
        results = [job.result(timeout=120) for job in jobs]
    finally:
        app.demo.close()
    assert [r["question"] for r in results] == questions  # each its own answer
    asked = [re.search(r"^Question: (.*)$", c, re.MULTILINE).group(1) for c in model.calls
             if c.startswith("<passages>")]
    assert asked == questions  # each answered once, in the order they came; the refused ones never reached it
    assert (gate.served, gate.refused, gate.running, gate.waiting) == (4, 2, 0, 0)


def test_an_unreachable_model_is_a_clear_message(scripted_store):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    def down(_last, _n):
        raise ConnectionError("connection refused")

    assistant, _ = scripted_assistant(scripted_store, script=down)
    demo, url = start_app(assistant)
    try:
        with pytest.raises(AppError, match=r"The language model could not be reached \(ConnectionError"):
            Client(url, verbose=False).predict(BRIDGE_QUESTION, api_name="/ask")
    finally:
        demo.close()


def test_no_articles_and_missing_model_are_clear_messages(scripted, tmp_path):
    """An empty store, and a local model file that does not exist (the real model class: nothing scripted)."""
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from qa import Assistant

    settings = scripted["assistant"].settings
    empty = Assistant(settings.model_copy(update={"store_dir": tmp_path / "empty"}))
    missing = Assistant(settings.model_copy(update={"model_path": tmp_path / "no-such-model.gguf"}))
    for instance, message in ((empty, "No articles in"), (missing, "Model file not found")):
        demo, url = start_app(instance)
        try:
            with pytest.raises(AppError, match=message):
                Client(url, verbose=False).predict(BRIDGE_QUESTION, api_name="/ask")
        finally:
            demo.close()


# ---------------------------------------------------------------- the endpoints, with the small bundled model


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    return make_assistant(tmp_path_factory.mktemp("ui-api"))


@pytest.fixture(scope="module")
def app_url(assistant):
    demo, url = start_app(assistant)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


@pytest.mark.slow
def test_ask_returns_the_answer_with_its_sources(client, assistant):
    result = client.predict(BRIDGE_QUESTION, api_name="/ask")
    assert {"question", "answer", "sources", "language", "refused"} <= set(result)
    assert result["question"] == BRIDGE_QUESTION and result["language"] == "en"
    assert not result["refused"], result
    assert result["sources"], result
    for source in result["sources"]:
        article = assistant.store.get_article(source["article_id"])
        assert article is not None and source["title"] == article.title
        assert article.text[source["start"]:source["end"]] == source["quote"]
    assert f"[{result['sources'][0]['n']}]" in result["answer"]


@pytest.mark.slow
def test_summarize_returns_the_summary_then_the_cached_one(client, assistant):
    bridge = article_id(assistant, "Riverton")
    first = client.predict(bridge, "abstract", None, api_name="/summarize")
    assert first["article_id"] == bridge and first["style"] == "abstract" and first["language"] == "en"
    assert first["summary"].strip()
    started = time.perf_counter()
    again = client.predict(article_id=bridge, style="abstract", language="", api_name="/summarize")
    assert again["cached"] is True and again["summary"] == first["summary"]
    assert time.perf_counter() - started < 10


@pytest.mark.slow
def test_several_clients_at_once(app_url, assistant):
    """Three clients at the same time (their own sessions): two questions, one of them a follow-up, and a
    summary. The local model serves one at a time (queued), each gets its own result."""
    from gradio_client import Client

    seed = article_id(assistant, "Une telle guerre")
    bridge_answer = "The bridge is 420 metres long [1]."
    jobs = {
        "ask": lambda c: c.predict("Who built the Riverton bridge?", None, None, api_name="/ask"),
        "follow-up": lambda c: c.predict("How much did it cost?", [[BRIDGE_QUESTION, bridge_answer]],
                                         {"languages": ["en"]}, api_name="/ask"),
        "summary": lambda c: c.predict(seed, "abstract", "", api_name="/summarize"),
    }
    results, errors = {}, {}

    def run(name):
        try:
            results[name] = jobs[name](Client(app_url, verbose=False))
        except Exception as exc:  # noqa: BLE001
            errors[name] = exc

    threads = [threading.Thread(target=run, args=(name,)) for name in jobs]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=900)
    assert not errors, errors
    assert set(results) == set(jobs), f"unfinished after {time.perf_counter() - started:.0f} s"
    assert results["ask"]["question"] == "Who built the Riverton bridge?"
    follow_up = results["follow-up"]
    assert follow_up["question"] == "How much did it cost?"
    assert follow_up["standalone_question"], "the follow-up was not rewritten with the history"
    assert not follow_up["refused"] and follow_up["sources"], follow_up
    assert {s["lang"] for s in follow_up["sources"]} == {"en"}  # the language filter holds
    assert results["summary"]["article_id"] == seed and results["summary"]["summary"].strip()
