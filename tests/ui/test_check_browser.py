"""The "Check a draft" tab in a real browser (the fixtures of tests/ui/test_ui_browser.py: Chromium against the app
in-process, the small bundled model, a small store with the Riverton bridge article)."""

from __future__ import annotations

import pytest

from tests.ui.conftest import ANSWER_TIMEOUT, idle, open_tab, shot

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:.*no_silent_downcasting")]

DRAFT = ("The town of Riverton opened its new harbour bridge on Saturday. The bridge is 420 metres long and cost "
         "45 million pounds. What a sight it is!")


def test_a_draft_is_checked_sentence_by_sentence_with_its_evidence(page):
    open_tab(page, "Check a draft")
    page.fill("#nd-check-draft textarea", DRAFT)
    page.click("#nd-check-run")
    page.wait_for_selector("#nd-check-table .nd-check-row:nth-child(3)", timeout=ANSWER_TIMEOUT)
    idle(page)
    rows = page.locator("#nd-check-table .nd-check-row")
    verdicts = [rows.nth(i).get_attribute("data-verdict") for i in range(rows.count())]
    assert verdicts[1] == "contradicted" and verdicts[2] == "no_claim", verdicts
    second = rows.nth(1).inner_text()
    assert "article: 38 million pounds" in second and "draft: 45 million pounds" in second, second
    assert "Riverton opens its new harbour bridge" in second
    shot(page, "check")


def test_an_empty_draft_is_a_clear_message(page):
    open_tab(page, "Check a draft")
    page.click("#nd-check-run")
    page.wait_for_selector("#nd-check-result .nd-error")
    assert "Empty draft" in page.locator("#nd-check-result").inner_text()


def test_a_brief_is_written_with_its_counts_and_an_empty_subject_is_refused(page):
    open_tab(page, "Brief")
    page.click("#nd-brief-run")
    page.wait_for_selector("#nd-brief-result .nd-error")
    assert "Empty subject" in page.locator("#nd-brief-result").inner_text()
    page.fill("#nd-brief-subject textarea", "Riverton harbour bridge")
    page.click("#nd-brief-run")
    page.wait_for_selector("#nd-brief-result .nd-summary-head:has-text('articles read of')", timeout=ANSWER_TIMEOUT)
    idle(page)
    text = page.locator("#nd-brief-result").inner_text()
    assert "Something went wrong" not in text, text
    # the small model's brief with its sources quoted, or the plain statement that nothing passed the check
    quoted = page.locator("#nd-brief-body").count() == 1 and page.locator("#nd-brief-result .nd-source mark").count() >= 1
    assert quoted or "No stored article holds a passage" in text, text
    shot(page, "brief")
