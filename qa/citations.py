"""Citations: the passage numbers an answer cites ("[1]", "[2, 3]"), read and cleaned."""

from __future__ import annotations

import re

CITATION = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")


def cited_numbers(answer: str) -> list[int]:
    """Passage numbers cited in the answer, in order of first appearance: "[1]", "[2, 3]", "[1][2]"."""
    seen: list[int] = []
    for group in CITATION.findall(answer):
        for number in re.split(r"\s*[,;]\s*", group):
            n = int(number)
            if n not in seen:
                seen.append(n)
    return seen


def strip_citations(answer: str, keep: set[int]) -> str:
    """Remove citations to passages that do not exist; keep the others, normalised as [n]."""
    def replace(match: re.Match) -> str:
        numbers = [int(n) for n in re.split(r"\s*[,;]\s*", match.group(1)) if int(n) in keep]
        return "".join(f"[{n}]" for n in numbers)

    text = CITATION.sub(replace, answer)
    return re.sub(r"\s+([.,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()
