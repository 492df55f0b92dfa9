"""Briefing a subject: the wiring with a scripted model on a real store (the check drops what its passages do not
hold), and the command line's errors."""

from __future__ import annotations

import json

import pytest
from qa import Assistant
from tests.conftest import run_cli
from tests.scripted import Scripted
from tests.news.test_factcheck import HARBOUR, VILLEBOURG


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("briefing")
    (folder / "villebourg.txt").write_text(VILLEBOURG, encoding="utf-8")
    (folder / "harbour.txt").write_text(HARBOUR, encoding="utf-8")
    assert Assistant(store_dir=folder / "store").ingest([folder / "villebourg.txt", folder / "harbour.txt"]).added == 2
    return folder / "store"


def brief_reply(last: str) -> str:
    """The brief, citing the passage that holds the 14,2 millions (whatever its number)."""
    n = next(int(m) for m in __import__("re").findall(r"\[(\d+)\] [^\n]*\n[^\n]*14,2 millions", last))
    return json.dumps({
        "overview": [f"Villebourg a adopté un budget de 14,2 millions d'euros pour 2021 [{n}].",
                     f"La maire Claire Dumont l'a annoncé [{n}].",
                     f"Le budget atteint 99 millions d'euros [{n}].",
                     "Le conseil a voté à l'unanimité."],
        "facts": [f"3 millions d'euros iront à la rénovation des écoles [{n}].",
                  "Le conseil municipal de Villebourg a adopté un budget de 14,2 millions d'euros."],
        "people": [{"name": "Claire Dumont", "role": "maire", "source": n},
                   {"name": "Jean Valjean", "role": "préfet", "source": n}]})


def test_a_brief_keeps_only_cited_lines_its_passages_hold(store_dir):
    assistant = Assistant(store_dir=store_dir, create=False)

    def script(last: str, _n: int) -> str:
        if last.startswith("Translate"):
            return "Villebourg budget"
        assert "Subject: Villebourg" in last, last[:200]
        return brief_reply(last)

    assistant.__dict__["llm"] = Scripted(script=script)
    brief = assistant.brief("Villebourg", language="fr", events=False)
    assert [line.split(" [")[0] for line in brief.overview] == [
        "Villebourg a adopté un budget de 14,2 millions d'euros pour 2021", "La maire Claire Dumont l'a annoncé"]
    assert brief.facts[0].startswith("3 millions") and len(brief.facts) == 2
    # a line without a citation is given the passage holding its words (checked like the others)
    assert brief.facts[1].endswith(f"[{brief.sources[0].n}]") and "14,2 millions" in brief.facts[1]
    assert [p.name for p in brief.people] == ["Claire Dumont"]
    assert any("99" in d for d in brief.dropped) and any("no passage cited" in d for d in brief.dropped)
    assert any("Jean Valjean" in d for d in brief.dropped)
    [source] = brief.sources
    article = assistant.article(source.article_id)
    assert article.text[source.start:source.end] == source.quote and "14,2 millions" in source.quote
    assert brief.read == [source.article_id] or source.article_id in brief.read
    assert set(brief.read) | set(brief.left_out) == set(brief.stories)
    assert "[1]" in brief.brief or f"[{source.n}]" in brief.brief


def test_an_empty_subject_is_a_clear_error(tmp_path):
    result = run_cli("-m", "qa", "brief", "  ", store=tmp_path / "none")
    assert result.returncode == 2 and "Empty subject" in result.stderr
