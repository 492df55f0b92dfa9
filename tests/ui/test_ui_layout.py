"""The page's layout in a real browser at phone (400 px) and desktop (1280 px) widths: every tab reachable in the
tab bar (no overflow menu), nothing wider than the screen (no horizontal scrolling), the masthead's parts not
overlapping or clipped, table headers and dates never broken inside a word, and on a phone a library of two
columns (title with its matching sentence, date). Playwright drives Debian's headless Chromium; the app runs
in-process with the scripted model (no language model is loaded). Screenshots go to test-artifacts/;
``QA_UI_DOCS_SCREENSHOT=1`` also writes the README's docs/img/app-phone.png and docs/img/app-desktop.png.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.ui.conftest import ARTIFACTS, idle, newsroom, scripted_assistant, start_app

pytestmark = [pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]

DOCS_IMG = ROOT / "docs" / "img"
TABS = ["Ask", "Library", "Timeline", "Check a draft", "Brief", "Quotes", "Add articles"]
LONG_QUESTION = "How long is the bridge, in words?"
LONG_ANSWER = '{"sentences": [1], "answer": "' + "The bridge is long. " * 300 + '"}'


def script(last: str, n: int) -> str:
    """The newsroom, with one question whose answer takes the model a while to write (to be stopped)."""
    return LONG_ANSWER if last.startswith("<passages>") and LONG_QUESTION in last else newsroom(last, n)

# what the page looks like, measured in the browser
MEASURE = """() => {
  const box = e => e.getBoundingClientRect();
  // the lines each piece of text of an element takes (a word broken in two: 2)
  const lines = e => { let most = 0; const walk = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
    for (let t = walk.nextNode(); t; t = walk.nextNode()) { if (!t.textContent.trim()) continue;
      const r = document.createRange(); r.selectNodeContents(t);
      most = Math.max(most, new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top))).size); }
    return most; };
  const shown = e => { const b = box(e); return b.width > 0 && b.height > 0 && getComputedStyle(e).display !== 'none'; };
  const tabs = [...document.querySelectorAll('#nd-tabs [role=tab]')];
  const more = document.querySelector('#nd-tabs .overflow-menu button');
  const brand = box(document.querySelector('.nd-brand')), status = box(document.querySelector('#nd-status'));
  const overlap = !(brand.right <= status.left || status.right <= brand.left || brand.bottom <= status.top
                    || status.bottom <= brand.top);
  const clipped = [...document.querySelectorAll('#nd-masthead span, #nd-masthead b')].filter(shown)
      .filter(e => box(e).left < 0 || box(e).right > innerWidth).map(e => e.innerText);
  const headers = [...document.querySelectorAll('#nd-table th')].filter(shown);
  const dates = [...document.querySelectorAll('#nd-table .body-cell[data-col="2"]')].filter(shown);
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth,
          tabs: tabs.filter(t => shown(t) && box(t).right <= innerWidth).map(t => t.innerText.trim()),
          overflowMenu: !!(more && shown(more)), mastheadOverlap: overlap, clipped,
          tabsCut: tabs.filter(shown).filter(t => t.scrollWidth > t.clientWidth + 1).map(t => t.innerText.trim()),
          headers: headers.map(h => [h.innerText.trim(), lines(h)]),
          dates: dates.map(d => [d.innerText.trim(), lines(d)])};
}"""


@pytest.fixture(scope="module")
def app_url(scripted_store):
    assistant, model = scripted_assistant(scripted_store, script=script)
    model.token_delay = 0.01  # written token by token, as the local model writes
    demo, url = start_app(assistant)
    yield url
    demo.close()


def settle(page) -> None:
    idle(page)
    time.sleep(0.5)  # the layout settles (the tab bar measures its tabs after rendering)


@pytest.mark.parametrize("width", [400, 1280])
def test_every_tab_fits_the_screen(browser, app_url, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.set_default_timeout(60_000)
    page.goto(app_url)
    page.wait_for_selector("#nd-status .nd-count-articles")
    page.wait_for_selector("#nd-examples button")
    settle(page)
    for tab in TABS:
        page.get_by_role("tab", name=tab).click()
        if tab == "Library":  # a search by content: the matching sentence under the title
            page.fill("#nd-search textarea", "Galloni")
            page.wait_for_selector("#nd-table .virtual-row .nd-row-match")
        settle(page)
        page.screenshot(path=str(ARTIFACTS / f"ui-layout-{tab.split()[0].lower()}-{width}.png"), full_page=True)
        m = page.evaluate(MEASURE)
        where = f"{tab} at {width} px"
        assert m["scrollWidth"] <= m["innerWidth"], f"{where}: the page scrolls sideways ({m['scrollWidth']} px)"
        assert m["tabs"] == TABS and not m["overflowMenu"], f"{where}: tabs in the bar {m['tabs']}"
        assert not m["tabsCut"], f"{where}: tab names cut {m['tabsCut']}"
        assert not m["mastheadOverlap"] and not m["clipped"], f"{where}: masthead {m}"
        if tab == "Library":
            assert m["headers"] and all(n == 1 for _, n in m["headers"]), f"{where}: headers broken {m['headers']}"
            assert m["dates"] and all(n == 1 for _, n in m["dates"]), f"{where}: dates broken {m['dates']}"
            names = [h for h, _ in m["headers"]]
            assert names == (["Title", "Date"] if width < 640 else
                             ["Title", "Source", "Date", "Lang", "Chunks", "Versions"]), f"{where}: {names}"
            assert "Alessandra Galloni" in page.inner_text("#nd-table .virtual-row .nd-row-match")
    if os.environ.get("QA_UI_DOCS_SCREENSHOT"):
        page.get_by_role("tab", name="Ask").click()
        settle(page)
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        name = "app-phone.png" if width < 640 else "app-desktop.png"
        page.screenshot(path=str(DOCS_IMG / name), full_page=width < 640)
    page.close()


def test_stop_in_the_page_and_an_example_that_asks_itself(browser, app_url):
    page = browser.new_page(viewport={"width": 400, "height": 900})
    page.set_default_timeout(60_000)
    page.goto(app_url)
    page.wait_for_selector("#nd-examples button")
    example = page.locator("#nd-examples button").first
    asked = example.inner_text().strip()
    example.click()  # it asks itself: the question in the chat, the head hidden
    page.wait_for_function("q => [...document.querySelectorAll('#nd-chat .message.user')].some(m => "
                           "m.innerText.includes(q.slice(0, 30)))", arg=asked)
    page.wait_for_selector("#nd-chat .message.bot :is(.nd-answer-meta, .nd-refusal)")  # answered
    page.wait_for_selector("#nd-ask:not([disabled])")
    assert not page.locator("#nd-start").is_visible()
    page.click("#nd-clear")  # a new conversation (a follow-up would be rewritten by the script)
    page.wait_for_selector("#nd-start", state="visible")
    page.fill("#nd-question textarea", LONG_QUESTION)
    page.click("#nd-ask")
    page.wait_for_selector("#nd-chat .message.bot .nd-elapsed")  # the step and its seconds
    page.wait_for_selector("#nd-ask[disabled]")  # Ask disabled while it is answered
    page.wait_for_function("() => document.querySelector('#nd-chat').innerText.includes('Reading')")
    page.wait_for_timeout(1500)  # the model is writing
    page.click("#nd-stop")
    stopped = page.wait_for_selector("#nd-chat .message.bot .nd-stopped", timeout=10_000)
    assert "Stopped" in stopped.inner_text()
    kept = page.locator("#nd-chat .message.bot").last.inner_text()
    assert "The bridge is long." in kept, kept
    page.wait_for_selector("#nd-ask:not([disabled])")
    page.screenshot(path=str(ARTIFACTS / "ui-layout-stopped-400.png"), full_page=True)
    with page.expect_download() as download:  # the conversation, its stopped answer marked
        page.click("#nd-export")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert f"## 1. {LONG_QUESTION}" in text and "_Stopped before the end" in text
    page.close()
