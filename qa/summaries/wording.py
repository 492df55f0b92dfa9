"""Untranslated words: a summary asked in English holds no French word outside names and quotations,
and the other way round.

The rule for quotations (stated in docs/summaries.md and told to the model):

* a summary in the article's language quotes the article as written, in quotes;
* a summary in another language translates a quotation, keeps it in quotes and marks it
  "(translated)" ("(traduit)" in French): the marker is added after every quotation of such a summary
  that lacks it, and the words inside the quotes are checked like the others, so a quotation left in
  the article's language is found.

A word is foreign when the other language's news corpus writes it in lower case and the summary
language's corpus never does (``qa/summaries/lexicon/``, built by ``scripts/build_lexicon.py``): names,
written with a capital, are never foreign. Only English and French have word lists; other languages are
not checked.
"""

from __future__ import annotations

import gzip
import re
from functools import lru_cache
from pathlib import Path

from qa.text.language import fold

LEXICON_DIR = Path(__file__).parent / "lexicon"
OTHER_LANGUAGE = {"en": "fr", "fr": "en"}
TRANSLATED_MARK = {"en": "(translated)", "fr": "(traduit)"}
QUOTATION = re.compile(r'"[^"\n]{2,}"|“[^”\n]{2,}”|«[^»\n]{2,}»')
_WORD = re.compile(r"(?<![\w’'-])[^\W\d_]+(?:[’'-][^\W\d_]+)*")


@lru_cache(maxsize=4)
def lexicon(language: str) -> frozenset[str]:
    """The words ``language``'s news corpus writes in lower case, as written and accent-folded (empty when
    there is no list for that language)."""
    path = LEXICON_DIR / f"{language}.txt.gz"
    if not path.exists():
        return frozenset()
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        words = {line.strip() for line in handle if line.strip()}
    return frozenset(words | {fold(w) for w in words})


_ENDINGS = {"en": ("s", "es", "ed", "d", "ing", "ly"), "fr": ("s", "x", "e", "es")}


def known_word(word: str, language: str) -> bool:
    """Whether ``word`` (lower case) is an ordinary word of ``language``: in its list, or once a plural or
    tense ending is taken off ("poachers": "poacher")."""
    words = lexicon(language)
    word = word.lower()
    return word in words or any(word.endswith(e) and word[:-len(e)] in words for e in _ENDINGS.get(language, ()))


def lower_words(text: str) -> list[str]:
    """The lower-case words of ``text`` ("l'éléphant" gives "éléphant"; capitalised words are names)."""
    found = []
    for word in _WORD.findall(text):
        found += [part for part in re.split(r"[’'-]", word) if len(part) > 1 and part.islower()]
    return found


def untranslated_words(text: str, language: str, *, quotations_allowed: bool = False) -> list[str]:
    """The words of ``text`` that belong to the other language (French in an English text, English in a
    French one), in order, once each. ``quotations_allowed``: the words inside quotes are not checked
    (a summary in the article's own language quotes it as written)."""
    other = OTHER_LANGUAGE.get(language)
    if other is None:
        return []
    own, foreign = lexicon(language), lexicon(other)
    if not own or not foreign:
        return []
    if quotations_allowed:
        text = QUOTATION.sub(" ", text)
    found: list[str] = []
    for word in lower_words(text):
        if word in foreign and word not in own and fold(word) not in own and word not in found:
            found.append(word)
    return found


def mark_translated_quotations(text: str, language: str) -> str:
    """Every quotation of ``text`` followed by "(translated)" (or the ``language``'s word), unless it is already."""
    mark = TRANSLATED_MARK.get(language, TRANSLATED_MARK["en"])

    def add(match: re.Match) -> str:
        following = text[match.end():match.end() + len(mark) + 3]
        return match.group(0) if mark in following else f"{match.group(0)} {mark}"

    return QUOTATION.sub(add, text)
