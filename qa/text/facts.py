"""Grounding: whether an answer's facts are in the text it cites.

A small model will not reliably refuse, so every answer and summary is checked after generation: its
numbers (and, when it is written in the passages' language, its names) must appear in the text it
cites. The rules are named functions, each unit-tested: :func:`numbers_in`, :func:`names_in`,
:func:`calendar_in`, :func:`unsupported_facts`; and whether a question asks for a figure
(:func:`asks_for_number`) and a text holds one (:func:`holds_number`). What makes an answer a refusal is
in :mod:`qa.answers.refusals`; a sentence addressed to a model, never evidence, in :mod:`qa.text.instructions`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from qa.text.citations import CITATION
from qa.text.language import fold, stopwords

_NUMBER = re.compile(r"\d+(?:[ \u202f\u00a0.,]\d{3})*(?:[.,]\d+)?")
_NAME = re.compile(r"[A-ZÀ-ÖØ-Þ][\w’'-]{2,}(?:\s+[A-ZÀ-ÖØ-Þ][\w’'-]{2,})*")
_SHORT_ACRONYM = re.compile(r"(?<![\w’'-])[A-ZÀ-ÖØ-Þ]{2}(?![\w’'-])")  # "RT", "UE": too short for _NAME
_SENTENCE_START = re.compile(r"(?:^|[.!?:«“\"]\s*)$")


def _digits(number: str) -> str:
    """A written number as its digits, without separators or leading zeros: "02" is "2", "2 763" is "2763"."""
    return re.sub(r"[ \u202f\u00a0.,]", "", number).lstrip("0") or "0"


def plain_numbers(text: str) -> set[str]:
    """The numbers of ``text`` as written, as digit strings (no scaled values: see :func:`numbers_in`)."""
    return {_digits(n) for n in _NUMBER.findall(text)}


_SCALES = {"thousand": 3, "mille": 3, "million": 6, "millions": 6, "m": 6, "mn": 6, "billion": 9,
           "billions": 9, "milliard": 9, "milliards": 9, "bn": 9, "trillion": 12, "trillions": 12}
_SCALED = re.compile(r"(?<![\d.,])(\d{1,3}(?:[.,]\d{1,3})?)\s*(" + "|".join(sorted(_SCALES, key=len, reverse=True))
                     + r")\b", re.IGNORECASE)
# "1. ", "2) " at the start of a line: a list's numbering, not a fact
_ENUMERATION = re.compile(r"(?m)^\s*\d{1,2}[.)]\s+")


def _scaled(text: str) -> list[tuple[str, str]]:
    """Scaled numbers ("2.2 million", "9,4 millions", "3 milliards"): (their digits, their value in digits)."""
    found = []
    for number, scale in _SCALED.findall(text):
        whole, _, decimals = number.replace(",", ".").partition(".")
        exponent = _SCALES[scale.lower()]
        if len(decimals) <= exponent:
            found.append((_digits(number), _digits(whole + decimals.ljust(exponent, "0"))))
    return found


def numbers_in(text: str) -> set[str]:
    """The numbers of ``text`` as digit strings, without leading zeros ("02" is "2", "2 763" and "2,763"
    are "2763"), its scaled numbers also by value ("2,2 millions" is "22" and "2200000")."""
    return plain_numbers(text) | {value for _, value in _scaled(text)}


def names_in(text: str) -> set[str]:
    """Runs of capitalised words: likely names of people, places, bodies. At the start of a sentence,
    a capitalised function word ("The", "Le", "Il") is not a name and is left out of the run."""
    text = CITATION.sub(" ", text)
    names = set()
    for match in _NAME.finditer(text):
        words = match.group(0).split()
        if _SENTENCE_START.search(text[:match.start()]):
            while words and (fold(words[0]) in stopwords() or len(words) == 1 and _is_common(words[0])):
                words = words[1:]
        if words:
            names.add(" ".join(words))
    return names


def _is_common(word: str) -> bool:
    """A lone capitalised first word that is probably an ordinary word, not a name."""
    return fold(word).endswith(("ment", "tion", "ly", "ing", "ed", "es", "ait", "ont", "ez"))


_CALENDAR_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl")
_CALENDAR_KEYS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                  "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
                  "saturday", "sunday")
_ISO_MONTH = re.compile(r"\b\d{4}-(\d{2})-\d{2}\b")


@lru_cache(maxsize=1)
def calendar_words() -> dict[str, str]:
    """Month and weekday names in the languages dateparser knows ("juillet", "July" → "july")."""
    from dateparser.languages.loader import LocaleDataLoader

    words: dict[str, str] = {}
    for locale in LocaleDataLoader().get_locales(languages=list(_CALENDAR_LANGUAGES)):
        for key in _CALENDAR_KEYS:
            for form in locale.info.get(key, []):
                if len(form) >= 3 and form.isalpha():
                    words.setdefault(fold(form), key)
    return words


def calendar_in(text: str) -> set[str]:
    """The months and weekdays a text names, in any language dateparser knows ("mardi", "Tuesday" → tuesday),
    or in dates written 2020-07-02."""
    table = calendar_words()
    found = {table[w] for w in re.findall(r"\w+", fold(text)) if w in table}
    found |= {_CALENDAR_KEYS[int(m) - 1] for m in _ISO_MONTH.findall(text) if 1 <= int(m) <= 12}
    return found


def unsupported_facts(answer: str, evidence: str, question: str = "", check_names: bool = True,
                      translated: Iterable[str] = (), setting: str = "") -> list[str]:
    """The numbers of ``answer`` found neither in ``evidence`` nor in the question, and its names not in
    ``evidence``.

    With ``check_names=False`` (answer and evidence in different languages) names may be translated:
    a name passes when at least half of its words share their first three letters with a word of the
    evidence ("United States"/"États-Unis", "London"/"Londres"), or its last word is in the evidence
    as written; "United States Navy" against a text that never mentions a navy does not. Month and
    weekday names pass when the evidence or the question names the same month or day in any language
    (or has an ISO date in that month): "July" is supported by "juillet" or "2020-07-02".
    ``translated``: words of the question that no passage spells (the reader's words for what the
    passages name in their language, "French" for "Françaises"); names made of them pass in another
    language. ``setting``: more text of the evidence's articles (their titles, their other passages),
    where names may be found too, not numbers: a passage says "il", its article says "Stoltenberg".
    """
    answer = _ENUMERATION.sub(" ", CITATION.sub(" ", answer))
    allowed = numbers_in(evidence) | numbers_in(question)
    # a number passes when the evidence has it whole ("2" does not stand for "2 763"), or, when the answer
    # scales it ("2.2 million"), when the evidence has that value in any spelling ("2 200 000", "2,2 millions")
    scaled_ok = {digits for digits, value in _scaled(answer) if value in allowed}
    missing = sorted(plain_numbers(answer) - allowed - scaled_ok)
    haystack = fold(evidence + " " + setting)  # a name from the question must still be there: it ties them
    translated = {fold(w) for w in translated}
    prefixes = {w[:3] for w in re.findall(r"\w+", haystack) if len(w) > 3}
    calendar, months_named = calendar_words(), None
    for name in sorted(names_in(answer)):
        words = [w for w in re.findall(r"\w+", fold(name)) if len(w) > 2]
        dates = [calendar[w] for w in words if w in calendar]  # "July" for "juillet": not a name to spell alike
        if dates:
            if months_named is None:  # the answer may repeat the question's date ("in April 2020")
                months_named = calendar_in(haystack) | calendar_in(question)
            if not set(dates) <= months_named:
                missing.append(name)
                continue
            words = [w for w in words if w not in calendar]
        if not words:
            continue
        if check_names:  # every word, or at least the last one (a family name: "Jens Stoltenberg" → "Stoltenberg")
            supported = all(w in haystack for w in words) or (len(words) > 1 and words[-1] in haystack)
        else:  # another language: names may be translated ("Londres"/"London"): shared stems will do
            matched = sum(w[:3] in prefixes or w in haystack for w in words)
            supported = 2 * matched >= len(words) or words[-1] in haystack or set(words) <= translated
        if not supported:
            missing.append(name)
    if check_names:  # a two-letter acronym names a body as well ("RT", the article's publisher, is not Reuters)
        words = set(re.findall(r"\w+", haystack))
        missing += sorted({a for a in _SHORT_ACRONYM.findall(answer) if fold(a) not in words})
    return missing


# ---------------------------------------------------------------- figures asked for, figures held

NUMBER_WORDS = {
    # French, English, German, Spanish, Italian: enough to accept "7" for "sept" and "seven"
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9,
    "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16, "vingt": 20,
    "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60, "cent": 100, "mille": 1000,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "hundred": 100, "thousand": 1000, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6,
    "sieben": 7, "acht": 8, "zehn": 10, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "diez": 10, "due": 2, "tre": 3, "quattro": 4, "cinque": 5, "sette": 7, "otto": 8, "dieci": 10,
    "premier": 1, "première": 1, "first": 1, "second": 2, "deuxième": 2, "third": 3, "troisième": 3,
    "dizaine": 10, "douzaine": 12, "quinzaine": 15, "vingtaine": 20, "trentaine": 30, "centaine": 100,
    "millier": 1000, "milliers": 1000, "centaines": 100, "dizaines": 10, "dozen": 12,
}

# questions that ask for a figure, a date or an age: their answer holds a number
_ASKS_NUMBER = re.compile(
    r"\b(?:combien|how (?:many|much|old|long|far|tall|big)|what (?:amount|percentage|share|proportion|sum|age|price|"
    r"score|fine|salary|year|figure|number)|which year|in what year|en quelle annee|quel(?:le)?s? (?:montant|pourcentage|"
    r"somme|age|prix|score|amende|nombre|proportion|taux|chiffre|annee|salaire)|a quel (?:age|prix|montant|score))\b")


def asks_for_number(question: str) -> bool:
    """Whether the question asks for a figure ("combien", "how many", "what amount", "quel âge", "which year")."""
    return bool(_ASKS_NUMBER.search(fold(question)))


def holds_number(text: str) -> bool:
    """Digits, or a number written in words ("sept", "seven", "une dizaine")."""
    return bool(re.search(r"\d", text)) or any(w in NUMBER_WORDS for w in re.findall(r"\w+", fold(text)))
