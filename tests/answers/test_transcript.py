"""``python -m qa ask --markdown``: the question, the answer and its numbered citations as Markdown, from the real
pipeline with the small bundled model (slow: the model answers on the CPU). The Markdown itself is tested
fast, with the page's export, in tests/ui/test_ui_wiring.py."""

from __future__ import annotations

import re

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow


def test_ask_markdown_on_the_command_line(news_store):
    result = run_cli("-m", "qa", "ask", "--markdown", "Qui a interrogé Jens Stoltenberg pour Reuters ?", store=news_store,
                     env={"QA_BUNDLED_MODEL": "qwen2.5-0.5b", "QA_TRANSLATE_QUERIES": "false"}, timeout=900)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("## Qui a interrogé Jens Stoltenberg pour Reuters ?\n\n")
    # answered or not confirmed, the passages about Stoltenberg are its sources: numbered 1..n as shown, each
    # with its title, id and quote
    numbers = [int(n) for n in re.findall(r"^\[(\d+)\] \*\*", text, re.MULTILINE)]
    assert numbers and numbers == list(range(1, len(numbers) + 1)), text
    assert "(`samples/otan-guerre-nucleaire-fr.txt`)" in text and re.search(r"^> \S", text, re.MULTILINE)
