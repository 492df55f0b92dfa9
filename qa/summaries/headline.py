"""The headline fact first and never missing: the names and figures of the article's title (of its lead
sentence when it has no title) must be in every ``short``, ``abstract`` and ``bullets`` summary; and
when the article gives two figures for one thing ("356 reported, 275 confirmed"), a summary that
states one of them keeps the word that tells which it is.
"""

from __future__ import annotations

import re

from qa.text.facts import NUMBER_WORDS, calendar_words, names_in, numbers_in
from qa.text.language import fold, stopwords
from qa.text.sentences import sentences
from qa.summaries.entities import ELISION, TITLES, ArticleNames

HEADLINE_STYLES = ("short", "abstract", "bullets")
MAX_FACTS = 4  # a headline-style sentence cannot carry more
_FIGURE = re.compile(r"(?<![\w.,])\d+(?:[ \u202f\u00a0.,]\d{3})*(?:[.,]\d+)?(?![\w])")


def headline_facts(title: str | None, text: str) -> list[str]:
    """The title's figures then its names (the lead sentence's when there is no title), at most
    :data:`MAX_FACTS`. Years are left out (a date is context, not the news)."""
    source = title.strip() if title and title.strip() else (sentences(text) or [""])[0]
    figures = [f for f in _FIGURE.findall(source) if not re.fullmatch(r"(?:19|20)\d\d", f)]
    calendar = calendar_words()
    names = []
    for name in sorted(names_in(source), key=source.find):
        name = ELISION.sub("", name)
        words = [w for w in re.findall(r"\w+", fold(name)) if len(w) > 2]
        if words and not all(w in calendar or w in TITLES or w in stopwords() for w in words):
            names.append(name)
    return list(dict.fromkeys(figures + names))[:MAX_FACTS]


def _has_figure(figure: str, text: str) -> bool:
    values = numbers_in(figure)
    spelled = {str(NUMBER_WORDS[w]) for w in re.findall(r"\w+", fold(text)) if w in NUMBER_WORDS}
    return bool(values & (numbers_in(text) | spelled))


def missing_facts(summary: str, facts: list[str], names: ArticleNames | None = None) -> list[str]:
    """The ``facts`` the summary does not state: a figure by value ("2 763" is "2,763"), a name by one of its
    words ("Stoltenberg" for "Jens Stoltenberg") or, when ``names`` has them, one of its translations."""
    words = set(re.findall(r"\w+", fold(summary)))
    missing = []
    for fact in facts:
        if re.match(r"\d", fact):
            if not _has_figure(fact, summary):
                missing.append(fact)
            continue
        forms = [fact]
        if not _name_in(fact, words) and names is not None:
            forms += names.forms().get(fact, [])
        if not any(_name_in(form, words) for form in forms):
            missing.append(fact)
    return missing


def _name_in(name: str, words: set[str]) -> bool:
    own = [w for w in re.findall(r"\w+", fold(name)) if len(w) > 1 and w not in stopwords() and w not in TITLES]
    return bool(own) and any(w in words for w in own)


# ---------------------------------------------------------------- two figures for one thing

_TOKEN = re.compile(r"\d+(?:[ \u202f\u00a0]\d{3})*(?:[.,]\d+)?|[^\W\d_]+")
WINDOW = 6  # words each side of a figure that may qualify it ("confirmé la mort de 275", "356 reported")


def twin_figures(text: str) -> dict[str, set[str]]:
    """Figures the article gives for one thing, each with its qualifiers: the words near it that are not
    near the other figure. Two figures are for one thing when the same word follows them ("356 éléphants",
    "275 éléphants") or the same two words come before them ("la mort de 356", "la mort de 275")."""
    occurrences = []  # (figure, keys, nearby words)
    for sentence in sentences(text):
        tokens = [fold(t) for t in _TOKEN.findall(sentence)]
        for i, token in enumerate(tokens):
            if not token[0].isdigit() or re.fullmatch(r"(?:19|20)\d\d", token):
                continue
            after = next((t for t in tokens[i + 1:i + 3] if len(t) > 3 and t not in stopwords()), None)
            keys = {f"after:{after.rstrip('s')}"} if after else set()
            if i >= 2 and not tokens[i - 1][0].isdigit():
                keys.add(f"before:{tokens[i - 2]} {tokens[i - 1]}")
            near = {t for t in tokens[max(0, i - WINDOW):i + WINDOW + 1]
                    if len(t) > 3 and not t[0].isdigit() and t not in stopwords()}
            occurrences.append((re.sub(r"\D", "", token), keys, near))
    twins: dict[str, set[str]] = {}
    for figure, keys, near in occurrences:
        others = [o for o in occurrences if o[0] != figure and o[1] & keys]
        if others:
            twins.setdefault(figure, set()).update(near - set().union(*(o[2] for o in others)))
    return twins


def _content_words(sentence: str) -> set[str]:
    return {w for w in re.findall(r"[^\W\d_]{4,}", fold(sentence)) if w not in stopwords()}


def unqualified_figures(unit: str, twins: dict[str, set[str]]) -> list[str]:
    """The figures of ``unit`` that the article gives beside another figure for the same thing, stated
    without any of the words that tell them apart (same language only: the qualifiers are the article's)."""
    stems = {w[:6] for w in _content_words(unit)}  # "confirmés" qualifies as "confirmé" does
    return [f for f in sorted(numbers_in(unit)) if twins.get(f) and not {w[:6] for w in twins[f]} & stems]
