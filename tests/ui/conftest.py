"""What the app's tests share: the articles and the scripted model of the fast tests (a script answers from
the numbered passages the prompt gives), a small store of the samples for the tests with the small bundled model,
the app started in this process, and Chromium for the tests in a real browser (:func:`app`, :func:`browser`,
:func:`page`)."""

from __future__ import annotations

import inspect
import json
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlparse

import gradio as gr
import pytest

from qa.ingest.front_matter import front_matter
from tests.conftest import ROOT, SAMPLES, SEED, free_port, write_jsonl
from tests.scripted import NOT_FOUND, Scripted

BRIDGE = (
    "Riverton opens its new harbour bridge\n\n"
    "The town of Riverton opened its new harbour bridge on Saturday, the mayor, Ellen Marsh, announced. "
    "The bridge is 420 metres long and cost 38 million pounds.\n\n"
    "About 12,000 vehicles are expected to cross the bridge every day. The old ferry service will stop at the end "
    "of the month, the harbour authority said.\n\n"
    "Construction began in 2021 and was carried out by the firm Calder & Sons. Local shops hope the bridge will "
    "bring more visitors to the old town.\n"
)
BRIDGE_QUESTION = "How long is the new harbour bridge in Riverton?"
SEED_TITLE = front_matter(SEED.read_text(encoding="utf-8"))[1].split("\n")[0]


def make_assistant(folder: Path):
    """A small store from data/samples (the seed article and a few OrangeSum articles) plus one short English
    article the small model answers reliably; the small bundled model, and no query translation (speed)."""
    from qa import Assistant
    from qa.settings import get_settings

    inputs = folder / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    lines = (SAMPLES / "orangesum-sample.jsonl").read_text(encoding="utf-8").splitlines()[:6]
    (inputs / "orangesum-6.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (inputs / "riverton-bridge.txt").write_text(BRIDGE, encoding="utf-8")
    settings = get_settings().model_copy(update={
        "store_dir": folder / "store", "bundled_model": "qwen2.5-0.5b", "translate_queries": False,
        # the 0.5B model's yes/no is no verifier (the verification has its own tests: test_assistant_wiring)
        "verify_answers": False,
        "max_tokens": 160, "llm": "local"})
    assistant = Assistant(settings)
    report = assistant.ingest([SEED, inputs])
    assert report.ok and report.added >= 8, report.summary()
    return assistant


def start_app(assistant, **kwargs):
    from qa.ui import build_app, launch

    demo = build_app(assistant)
    _, url = launch(demo, host="127.0.0.1", port=free_port(), quiet=True, prevent_thread_lock=True, **kwargs)
    return demo, url


def article_id(assistant, title_start: str) -> str:
    return next(a.id for a in assistant.articles() if a.title.startswith(title_start))


# ---------------------------------------------------------------- the scripted model's newsroom

# two articles with a source and a date (for the filters), one of them in French
NEWS = [
    {"id": "portwell-bridge", "title": "Harbour bridge reopens after repairs", "source": "Coast Herald",
     "date": "2022-05-02", "lang": "en",
     "text": "The harbour bridge of Portwell reopened on Monday after eight months of repairs costing £12m, the "
             "council said. Engineer Sarah Lane, who led the works, said the steel deck had been replaced. "
             "Traffic is expected to return to normal within a week."},
    {"id": "villebourg-budget", "title": "Conseil municipal de Villebourg : le budget 2021 adopté",
     "source": "Le Courrier", "date": "2021-03-09", "lang": "fr",
     "text": "Le conseil municipal de Villebourg a adopté mardi un budget de 14 millions d'euros pour 2021, a "
             "annoncé la maire Claire Dumont. La maire a précisé que 3 millions d'euros seraient consacrés à la "
             "rénovation des écoles. Le chantier des écoles commencera en septembre."},
]
FOLLOW_UP = "How much did the Riverton harbour bridge cost?"  # how the script rewrites a follow-up question
# question → (words of the sentence the scripted model names as its evidence, its answer)
SCRIPTED_ANSWERS = {
    BRIDGE_QUESTION: ("420 metres", "The bridge is 420 metres long."),
    FOLLOW_UP: ("38 million pounds", "It cost 38 million pounds."),
    "Combien de millions pour les écoles de Villebourg ?": ("rénovation des écoles", "3 millions d'euros."),
}
BRIDGE_SUMMARY = "Riverton opened its new harbour bridge, 420 metres long, on Saturday."


def newsroom(last: str, _n: int) -> str:
    """The scripted model: answers the questions of :data:`SCRIPTED_ANSWERS` with the number the prompt gives
    their evidence sentence (NOT_FOUND when no such sentence was retrieved, or for any other question), says
    yes to the verification, rewrites follow-ups as :data:`FOLLOW_UP`, and summarizes the Riverton article."""
    if last.startswith("<passages>"):
        question = re.search(r"^Question: (.*)$", last, re.MULTILINE).group(1).strip()
        if question not in SCRIPTED_ANSWERS:
            return NOT_FOUND
        words, answer = SCRIPTED_ANSWERS[question]
        line = re.search(rf"^\((\d+)\) [^\n]*{re.escape(words)}", last, re.MULTILINE)
        return json.dumps({"sentences": [int(line.group(1))], "answer": answer}) if line else NOT_FOUND
    if "Does this sentence answer the question?" in last:
        return "yes"
    if "Does this passage answer the question?" in last:  # the judge: yes for a passage holding the scripted answer
        question = re.search(r"^Question: (.*)$", last, re.MULTILINE).group(1).strip()
        return "yes" if question in SCRIPTED_ANSWERS and SCRIPTED_ANSWERS[question][0] in last else "no"
    if last.startswith("Conversation so far:"):
        return FOLLOW_UP
    if last.startswith("<article>") and "Riverton" in last:
        return BRIDGE_SUMMARY
    return "I cannot help with that."


def make_scripted_store(folder: Path) -> Path:
    """The Riverton article, the seed article (French) and :data:`NEWS`, in a store (real embedder)."""
    from qa import Assistant

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "riverton-bridge.txt").write_text(BRIDGE, encoding="utf-8")
    news = write_jsonl(folder / "news.jsonl", NEWS)
    report = Assistant(store_dir=folder / "store").ingest([folder / "riverton-bridge.txt", SEED, news])
    assert report.ok and report.added == 4, report.summary()
    return folder / "store"


def blocking(entered: threading.Event, release: threading.Event, script=newsroom):
    """:func:`newsroom` whose first answer waits until ``release`` is set (``entered`` says it has begun): the
    test holds the model as long as it needs, without sleeping."""
    first = threading.Lock()

    def held(last: str, n: int) -> str:
        if last.startswith("<passages>") and first.acquire(blocking=False):
            entered.set()
            if not release.wait(timeout=120):
                raise TimeoutError("the test never released the model")
        return script(last, n)

    return held


def scripted_assistant(store_dir: Path, script=newsroom, **settings):
    """An Assistant over ``store_dir`` whose chat model is scripted (the local model's limits: one answer at a
    time); returns it with its model, whose ``calls`` record every prompt."""
    from qa import Assistant

    assistant = Assistant(store_dir=store_dir, **{"llm": "local", "translate_queries": False, **settings})
    model = Scripted(script=script)
    assistant.__dict__["llm"] = model
    return assistant, model


@pytest.fixture(scope="session")
def scripted_store(tmp_path_factory):
    """:func:`make_scripted_store`, built once for the tests that only read it."""
    return make_scripted_store(tmp_path_factory.mktemp("ui-api-scripted"))



def call(app, handler, *args, via=None) -> list:
    """What ``handler`` returns (or yields, in order) for ``args``; every dict must name only outputs of
    every event it is wired to (or, for a part of a handler, of the events of the handler ``via``), so that
    a wrong key fails here rather than in the browser."""
    wired = [f for f in app.demo.fns.values() if f.fn == (via or handler)]
    assert wired, f"{(via or handler).__name__} is wired to no event"
    result = handler(*args)
    results = list(result) if inspect.isgenerator(result) else [result]
    assert results, f"{handler.__name__} returned nothing"
    for r in results:
        if r == gr.skip():
            continue
        assert isinstance(r, dict) and r and all(isinstance(k, gr.components.Component | gr.blocks.BlockContext)
                                                for k in r), r
        for event in wired:
            outputs = {block._id for block in event.outputs}
            assert {k._id for k in r} <= outputs, f"{handler.__name__} returned a component its event does not output"
    return results



# ---------------------------------------------------------------- the app in Chromium

CHROMIUM = os.environ.get("QA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts"
ANSWER_TIMEOUT = 420_000  # ms: the small model on two shared CPU cores

GOOD_ARTICLE = (
    "Seaside library reopens after repairs\n\n"
    "The seaside library of Portwen reopened on Monday after two years of repairs, the council said. "
    "It now holds 40,000 books and a new reading room facing the harbour.\n"
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ui-browser")
    assistant = make_assistant(folder)
    model = os.environ.get("QA_UI_TEST_MODEL")
    if model:  # only for the docs screenshot
        assistant.settings = assistant.settings.model_copy(update={"bundled_model": model, "max_tokens": 384})
    demo, url = start_app(assistant)
    yield {"url": url, "assistant": assistant, "folder": folder}
    demo.close()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's, or ``QA_CHROMIUM``); the test skips where there is none."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (set QA_CHROMIUM)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app):
    """A fresh page (a new session of the app); fails the test if the page requested anything off this machine."""
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.set_default_timeout(60_000)
    page.goto(app["url"])
    page.wait_for_selector("#nd-question textarea")
    page.wait_for_selector("#nd-status .nd-count-articles")
    yield page
    context.close()
    outside = sorted({urlparse(u).hostname for u in requests if urlparse(u).scheme in ("http", "https", "ws", "wss")}
                     - {"127.0.0.1", "localhost"})
    assert not outside, f"the page made requests outside the machine: {outside}"


def idle(page, timeout: float = 30_000) -> None:
    """Wait until no event of the page is running (Gradio shows a status tracker on pending outputs)."""
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=status-tracker]')]"
                           ".every(e => e.classList.contains('hide'))", timeout=timeout)


def shot(page, name: str) -> Path:
    idle(page)
    path = ARTIFACTS / f"ui-{name}.png"
    page.screenshot(path=str(path))
    return path


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def open_from_library(page, query: str, title: str, timeout: float | None = None) -> None:
    """Search the library for ``query``, click the row of the article titled ``title`` and wait for the reader to
    show it."""
    open_tab(page, "Library")
    page.fill("#nd-search textarea, #nd-search input", query)
    row = page.locator("#nd-table .virtual-row", has_text=title).first
    row.wait_for(timeout=timeout)
    row.click()
    page.wait_for_selector(f"#nd-article .nd-article-title:has-text('{title}')", timeout=timeout)


