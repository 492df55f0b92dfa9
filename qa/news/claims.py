"""Claims: the checkable facts of a draft's sentence and how they compare with an article's sentence.

Deterministic, no model: a claim's figures, years, months and names (:func:`facts_of`) are looked for in an
article sentence (and, for names, the passage and title around it). A fact of the claim that the sentence
does not hold, while the sentence holds a fact of the same kind the claim does not, is a disagreement: the two
values side by side ("14,2 millions d'euros" in the article, "12 millions" in the draft). A name the claim
gives that its article never writes, where the sentence names someone or somewhere else, is one too.
:func:`compare` says what matched, what is missing, and what disagrees; ``qa.news.factcheck`` decides the verdict.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from qa.text.facts import NUMBER_WORDS, calendar_words, names_in, numbers_in, unsupported_facts
from qa.text.language import fold

_SCALE = (r"milliards?|millions?|billions?|thousands?|mille|bn|m|%|pour\s?cent|per\s?cent|percent")
_FIGURE = re.compile(r"(?<![\w.,])(?:[$£€]\s?)?(\d+(?:[ \u202f\u00a0.,]\d{3})*(?:[.,]\d+)?)(?:[ \u202f\u00a0]?("
                     + _SCALE + r"))?(?![\w])", re.IGNORECASE)
_LINKS = {"et", "and", "ou", "or", "en", "in", "a", "au", "le", "la", "les", "the", "to", "for", "pour", "par", "by",
          "on", "sur", "dans", "at", "from", "des", "du"}
_ORDINALS = {"premier", "premiere", "first", "second", "deuxieme", "third", "troisieme", "un", "une", "one"}
_MONTHS_EN = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
              "november", "december")
_MONTHS_FR = ("janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre",
              "novembre", "decembre")
# months written in full, English and French ("sept" is seven, "may" a verb when not capitalised)
MONTHS = {**{m: m for m in _MONTHS_EN}, **dict(zip(_MONTHS_FR, _MONTHS_EN))}


class Fact(BaseModel):
    """One fact of a sentence: its kind, its words as written and where they are, and what it is compared by."""

    kind: str  # "figure", "year", "month" or "name"
    text: str
    start: int
    end: int
    keys: frozenset[str] = Field(default_factory=frozenset)


def _figure_keys(token: str) -> frozenset[str]:
    keys = set(numbers_in(token))
    if re.search(r"%|cent", token, re.IGNORECASE):
        keys |= {k + "%" for k in keys}
    return frozenset(keys)


def figures_of(text: str) -> list[Fact]:
    """The figures and years of ``text`` ("14,2 millions", "2 763", "12%", "2019"), numbers written in words
    ("seven", "sept") included; a year is a four-digit number from 1900 to 2099 standing alone."""
    found = []
    for match in _FIGURE.finditer(text):
        digits = match.group(1)
        kind = "year" if re.fullmatch(r"(19|20)\d\d", digits) and not match.group(2) else "figure"
        found.append(Fact(kind=kind, text=match.group(0).strip(), start=match.start(), end=match.end(),
                          keys=_figure_keys(match.group(0))))
    for match in re.finditer(r"\w+", text):
        word = fold(match.group(0))
        if word in NUMBER_WORDS and word not in _ORDINALS and NUMBER_WORDS[word] >= 2:
            found.append(Fact(kind="figure", text=match.group(0), start=match.start(), end=match.end(),
                              keys=frozenset({str(NUMBER_WORDS[word])})))
    return sorted(found, key=lambda f: f.start)


def months_of(text: str) -> list[Fact]:
    """The months ``text`` names, in any language dateparser knows ("mars", "March" → march)."""
    return [Fact(kind="month", text=m.group(0), start=m.start(), end=m.end(), keys=frozenset({MONTHS[fold(m.group(0))]}))
            for m in re.finditer(r"\w+", text) if fold(m.group(0)) in MONTHS and m.group(0) != "may"]


def name_facts(text: str) -> list[Fact]:
    """The names of ``text`` (runs of capitalised words, months aside), where they are written."""
    table = calendar_words()
    found = []
    for name in names_in(text):
        words = [w for w in name.split() if fold(w) not in table]
        if not words or len(words) == 1 and (re.search(r"['’]", words[0]) or fold(words[0]) in _function_words()):
            continue  # "C'est", "L'Etat", "What" at a sentence's start: an elided article or a function word
        name = " ".join(words)
        at = text.find(name)
        found.append(Fact(kind="name", text=name, start=max(at, 0), end=max(at, 0) + len(name),
                          keys=frozenset({fold(words[-1])})))
    return sorted(found, key=lambda f: f.start)


def _function_words() -> frozenset[str]:
    from qa.text.language import function_words

    words = function_words()
    return words["en"] | words["fr"]


def facts_of(text: str) -> list[Fact]:
    """Every checkable fact of a sentence: figures, years, months, names."""
    return sorted([*figures_of(text), *months_of(text), *name_facts(text)], key=lambda f: f.start)


def is_claim(sentence: str) -> bool:
    """Whether a draft's sentence holds a checkable fact (a figure, a date, a name): "C'est une bonne
    nouvelle." does not. A question is not a claim."""
    if sentence.rstrip().endswith("?") or len(re.findall(r"\w+", sentence)) < 4:
        return False
    return bool(facts_of(sentence))


class Disagreement(BaseModel):
    """A fact that differs: the draft's value and the article's, side by side."""

    kind: str
    draft: str
    article: str


class Comparison(BaseModel):
    """A claim against one article sentence: the claim's facts the sentence (or its setting) holds, those it
    does not, and those where it holds another value of the same kind."""

    matched: list[Fact] = Field(default_factory=list)
    missing: list[Fact] = Field(default_factory=list)
    disagreements: list[Disagreement] = Field(default_factory=list)

    @property
    def holds_all(self) -> bool:
        return not self.missing and not self.disagreements


def _holds_name(name: str, text: str, same_language: bool) -> bool:
    return not unsupported_facts(name, text, check_names=same_language)


def compare(claim: str, sentence: str, *, setting: str = "", article: str = "", same_language: bool = True) -> Comparison:
    """Compare ``claim`` with an article ``sentence``. ``setting``: the text around the sentence (the passage,
    the title) where a name may be written instead ("il" in the sentence, "Stoltenberg" before it); ``article``:
    the whole article, where a claim's name must be missing for a name in the sentence to disagree with it.
    Names of another language are matched by their stems (:func:`qa.text.facts.unsupported_facts`)."""
    out = Comparison()
    context = f"{sentence} {setting}"
    figures, months = figures_of(sentence), months_of(sentence)  # the values that may disagree: the sentence's
    held = set().union(*(f.keys for f in figures_of(context)), set())  # those that agree: its setting's too
    held_months = set().union(*(m.keys for m in months_of(context)), set())
    claim_facts = facts_of(claim)
    claim_keys = set().union(*(f.keys for f in claim_facts)) if claim_facts else set()
    used: set[int] = set()  # article facts already paired with one of the claim's
    for fact in claim_facts:
        if fact.kind in ("figure", "year"):
            if fact.keys & held:
                out.matched.append(fact)
                continue
            rivals = [f for f in figures if f.kind == fact.kind and not f.keys & claim_keys and id(f) not in used
                      and (fact.kind == "year" or same_units(claim, fact, sentence, f, same_language))]
        elif fact.kind == "month":
            if fact.keys & held_months:
                out.matched.append(fact)
                continue
            rivals = [m for m in months if not m.keys & claim_keys and id(m) not in used]
        else:
            if _holds_name(fact.text, context, same_language):
                out.matched.append(fact)
                continue
            rivals = []
            if not article or not _holds_name(fact.text, article, same_language):
                claim_text = claim
                size = len(fact.text.split())  # a person's full name for a full name, a place for a place
                rivals = [n for n in name_facts(sentence) if not _holds_name(n.text, claim_text, same_language)
                          and id(n) not in used and len(n.text.split()) == size
                          and re.search(r"\w", sentence[:n.start])]  # a capital opening the sentence: maybe no name
        if rivals:
            rival = _closest(fact, rivals)
            used.add(id(rival))
            out.disagreements.append(Disagreement(kind=fact.kind, draft=_with_unit(claim, fact),
                                                  article=_with_unit(sentence, rival)))
        else:
            out.missing.append(fact)
    return out


def unit_of(text: str, fact: Fact) -> str:
    """What a figure counts: the word after it, or its scale ("400 000 visiteurs" → "visi", "12 %" → "%")."""
    if "%" in fact.text or "cent" in fold(fact.text):
        return "%"
    after = re.match(r"\s*(?:d['’]|de |of )?([^\W\d_]+)", text[fact.end:])
    word = fold(after.group(1)) if after else ""
    return "" if word in _LINKS else word[:4]


def same_units(claim: str, fact: Fact, sentence: str, rival: Fact, same_language: bool) -> bool:
    """Whether two figures may count the same thing: both percentages or neither, and, in one language, the same
    word after them when both have one ("400 000 visiteurs" never disagrees with "14,2 millions d'euros")."""
    a, b = unit_of(claim, fact), unit_of(sentence, rival)
    if (a == "%") != (b == "%"):
        return False
    return not same_language or not a or not b or a == b


def _closest(fact: Fact, rivals: list[Fact]) -> Fact:
    """The rival figure of the same scale or unit as the claim's ("millions" with "millions"), else the first."""
    unit = _unit(fact.text)
    same = [r for r in rivals if unit and _unit(r.text) == unit]
    return (same or rivals)[0]


def _unit(text: str) -> str:
    match = re.search(_SCALE + r"$", text, re.IGNORECASE)
    return fold(match.group(0))[:4] if match else ""


def _with_unit(text: str, fact: Fact) -> str:
    """The fact as written, with the word after a figure ("14,2 millions d'euros", "12 personnes")."""
    if fact.kind != "figure":
        return fact.text
    after = re.match(r"\s*(?:d['’]|de |of )?[\w€$£]+", text[fact.end:])
    word = after.group(0) if after else ""
    if word and fold(word.strip()) not in _LINKS:
        return (fact.text + text[fact.end:fact.end + len(word)]).strip()
    return fact.text
