"""From the model's text to the units of a summary (sentences, or bullet points), and the check that
keeps only the units whose facts are in the article.

Everything here is plain text in, plain text out: no model, no store, so each rule is tested alone.
"""

from __future__ import annotations

import re

from qa.text.facts import NUMBER_WORDS, numbers_in, unsupported_facts
from qa.text.language import fold
from qa.text.sentences import GLUED_SENTENCE, sentences

# Sentences (or bullets) kept at most per style; the model sometimes writes more than asked.
MAX_UNITS = {"short": 3, "abstract": 1, "paragraph": 7, "bullets": 6}
# Lead sentences used per style when the model fails the check twice (extractive: nothing invented).
LEAD_SENTENCES = {"abstract": 1, "short": 2, "paragraph": 4, "bullets": 3}
# Styles whose units are lines ("- ..."), not sentences: the bullets, the map step's notes, the digest.
LINE_STYLES = ("bullets", "map", "digest")

_BULLET = re.compile(r"^\s*(?:[-*•–—]|\d{1,2}[.)])\s+")
_LABEL = re.compile(r"^\s*(?:#+\s*)?(?:\*\*)?(?:r[ée]sum[ée]|summary|abstract|key points|points cl[ée]s|digest|"
                    r"synth[èe]se|voici[^:\n]{0,80}|here is[^:\n]{0,80}|here are[^:\n]{0,80})(?:\*\*)?\s*:?\s*(?:\*\*)?\s*$",
                    re.IGNORECASE)
_INLINE_LABEL = re.compile(r"^\s*(?:\*\*)?(?:r[ée]sum[ée]|summary|abstract)(?:\*\*)?\s*:\s*", re.IGNORECASE)


# ---------------------------------------------------------------- text to units


def _strip_quotes(text: str) -> str:
    """A unit the model put in quotes, unquoted (only when the quotes wrap the whole unit)."""
    text = text.strip()
    pairs = {'"': '"', "«": "»", "“": "”"}
    if len(text) > 2 and text[0] in pairs and (text.count('"') == 2 if text[0] == '"'
                                               else text.count(text[0]) == text.count(pairs[text[0]]) == 1):
        if text.endswith(pairs[text[0]]):
            text = text[1:-1].strip()
        elif text[-1] in ".!?" and text[-2] == pairs[text[0]]:
            text = text[1:-2].strip() + text[-1]
    return text


def clean_output(raw: str, style: str) -> list[str]:
    """The model's text as a list of units (sentences, or bullets for ``bullets``), labels and
    introductions removed."""
    raw = GLUED_SENTENCE.sub(r"\1 ", raw)
    lines = [line.strip() for line in raw.replace("\r", "").split("\n")]
    lines = [line.replace("**", "").strip() for line in lines if line and not _LABEL.match(line)]
    if lines:
        lines[0] = _INLINE_LABEL.sub("", lines[0])
    if style in LINE_STYLES:
        units = []
        for line in lines:
            if _BULLET.match(line):
                units.append(_BULLET.sub("", line).strip())
            elif units and not line.endswith(":"):  # a wrapped line continues the previous point
                units[-1] += " " + line
            elif not line.endswith(":"):
                units.append(line)
        return [u for u in units if u]
    text = " ".join(_BULLET.sub("", line) for line in lines)
    return [s for s in (_strip_quotes(s) for s in sentences(_strip_quotes(text))) if s]


def join_units(units: list[str], style: str) -> str:
    """The units as the summary's text: one ``- `` line each for the line styles, else one paragraph."""
    if style in LINE_STYLES:
        return "\n".join(f"- {u}" for u in units)
    return " ".join(units)


def is_filler(unit: str, title: str | None) -> bool:
    """A unit that says nothing: a bare date or figure ("2020-07-02", "16h00 GMT"), or the title copied."""
    words = re.findall(r"[^\W\d_]{2,}", unit)
    return len(words) < 3 or bool(title) and fold(unit).strip(" .") == fold(title).strip(" .")


_LABEL_VALUE = re.compile(r"^[^\s:]+(?:\s+[^\s:]+){0,3}\s*:\s+\S")  # "EWB: a daté du 19 juin", "Date: 2 July"


def is_fragment(unit: str) -> bool:
    """A key point that is not a whole sentence: a "label: value" line, or fewer than five words."""
    return bool(_LABEL_VALUE.match(unit)) or len(re.findall(r"\w+", unit)) < 5


def as_sentence(unit: str) -> str:
    """The unit ending like a sentence (a full stop added when it has no final punctuation)."""
    unit = unit.rstrip(" ;,")
    return unit if unit[-1:] in ".!?»\"”)" else unit + "."


def repeats(unit: str, kept: list[str]) -> bool:
    """Whether ``unit`` says again what a kept unit says (most of its words the same, no figure of its own)."""
    words, figures = set(re.findall(r"[^\W\d_]{3,}", fold(unit))), numbers_in(unit)
    for other in kept:
        theirs = set(re.findall(r"[^\W\d_]{3,}", fold(other)))
        if figures - numbers_in(other):  # a figure the other does not give: a new fact
            continue
        if words and theirs and len(words & theirs) >= 0.6 * min(len(words), len(theirs)):
            return True
    return False


def lead_sentences(text: str, style: str) -> list[str]:
    """The article's first sentences, as many as ``style`` asks for: the summary of last resort, made
    of the article's own words so that nothing is invented."""
    return sentences(GLUED_SENTENCE.sub(r"\1 ", text))[:LEAD_SENTENCES[style]] or [text[:300]]  # "dit.Le" is two


# ---------------------------------------------------------------- fact check


class Evidence:
    """The article's text prepared for checking: its words, and its spelled-out numbers as digits."""

    def __init__(self, text: str):
        self.text = text
        self.words = set(re.findall(r"\w+", fold(text)))
        spelled = {str(NUMBER_WORDS[w]) for w in self.words if w in NUMBER_WORDS}
        self.numbers_text = " ".join(sorted(spelled))

    def unsupported(self, unit: str, *, same_language: bool) -> list[str]:
        """The numbers and names of ``unit`` that the article does not hold (names in another language
        than the article's are matched leniently: they may be translated)."""
        return unsupported_facts(unit, self.text, self.numbers_text, check_names=same_language)


def check_units(units: list[str], evidence: Evidence, *, same_language: bool) -> tuple[list[str], list[str]]:
    """Keep the units whose facts are all in the evidence; return (kept, facts removed)."""
    kept, removed = [], []
    for unit in units:
        missing = evidence.unsupported(unit, same_language=same_language)
        if missing:
            removed.extend(m for m in missing if m not in removed)
        else:
            kept.append(unit)
    return kept, removed
