"""A conversation as Markdown, to paste into a draft: each question, its answer, and its numbered citations with
title, source, date, link, article id and the quoted passage. The page's "Export as Markdown" button and
``python -m qa ask --markdown`` write it from the same answers (``Answer.model_dump()`` dicts)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

NOTES = {
    "unconfirmed": "_Not confirmed: the passages below are the closest the archive holds; check them._",
    "not_found": "_The stored articles do not say._",
    "stopped": "_Stopped before the end: this text was not checked against the articles._",
}


def _plain(text: str | None) -> str:
    """One line of text without Markdown that would change its meaning (links, emphasis, headings)."""
    text = re.sub(r"\s+", " ", str(text or "")).strip()
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


def answer_markdown(answer: dict, number: int | None = None) -> str:
    """One question and its answer, with its citations numbered as in the answer."""
    heading = f"## {f'{number}. ' if number else ''}{_plain(answer.get('question'))}"
    status = answer.get("status") or ("not_found" if answer.get("refused") else "answered")
    body = re.sub(r"\s+\n|\n\s+", "\n", str(answer.get("answer") or "").strip())
    parts = [heading, "", body or "…"]
    if status in NOTES:
        parts += ["", NOTES[status]]
    for s in answer.get("sources") or []:
        where = ", ".join(x for x in (_plain(s.get("source")), s.get("date")) if x)
        line = f"[{int(s['n'])}] **{_plain(s.get('title'))}**" + (f", {where}" if where else "")
        if s.get("url"):
            line += f", <{s['url']}>"
        line += f" (`{s.get('article_id')}`)"
        parts += ["", line, f"> {_plain(s.get('quote'))}"]
    return "\n".join(parts) + "\n"


def conversation_markdown(answers: list[dict], when: datetime | None = None) -> str:
    """The whole conversation, oldest question first."""
    when = when or datetime.now(timezone.utc)
    head = f"# newsdesk QA: conversation of {when:%Y-%m-%d %H:%M} UTC\n"
    if not answers:
        return head + "\n_No question asked yet._\n"
    return head + "".join("\n" + answer_markdown(a, i) for i, a in enumerate(answers, 1))
