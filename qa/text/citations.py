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


def renumber(answer: str, numbers: list[int]) -> tuple[str, dict[int, int]]:
    """The answer with its citations renumbered 1..n in the order of ``numbers`` (the sources as shown), and
    the mapping old → new: a single source is [1], never [5]. Citations of other numbers are dropped."""
    mapping = {old: new for new, old in enumerate(dict.fromkeys(numbers), start=1)}

    def replace(match: re.Match) -> str:
        cited = [mapping[int(n)] for n in re.split(r"\s*[,;]\s*", match.group(1)) if int(n) in mapping]
        return "".join(f"[{n}]" for n in dict.fromkeys(cited))

    return CITATION.sub(replace, answer), mapping


def numbered_as_shown(answer):
    """An :class:`~qa.answers.results.Answer` with its sources numbered 1..n in the order shown and its citations [n]
    renumbered to match (the passages' numbers are the model's, not the reader's)."""
    text, mapping = renumber(answer.answer, [s.n for s in answer.sources])
    sources = [s.model_copy(update={"n": mapping[s.n]}) for s in answer.sources]
    return answer.model_copy(update={"answer": text, "sources": sources})
