"""The article's names (people, organisations, places), and the check that every name of a summary is one
of them, in any language.

In the article's language a summary's name must be written in the article (the rule of
:func:`qa.text.facts.unsupported_facts`). In another language it may be a translation: the article's
names are translated once into the summary's language by the model (``prompts/summary_entities.txt``:
"OTAN => NATO | North Atlantic Treaty Organization") and cached, and every word of the summary's name
must be a word of the article or of those translations, or a title ("President", "ministre"). So NATO
passes for OTAN and "the UN" for l'ONU, while "UN Security Council" for an article that names only
l'ONU and OTAN does not ("Security" and "Council" are in neither).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from qa.text.facts import calendar_words, names_in
from qa.text.language import fold, stopwords
from qa.text.sentences import GLUED_SENTENCE, sentences

MAX_NAMES = 15  # the article's most frequent names sent for translation (the call stays short: ~10 s)
# Titles and ranks written before a name ("President Vladimir Putin", "le ministre Olivier Véran"):
# not names of their own, so not required in the article.
TITLES = frozenset(fold(w) for w in (
    "mr mrs ms dr sir lady lord president vice prime minister secretary general chancellor king queen prince "
    "princess pope mayor governor senator judge chief director leader spokesman spokeswoman spokesperson "
    "minister foreign interior defence defense health finance state head former acting deputy "
    "monsieur madame président présidente premier première ministre secrétaire générale chancelier chancelière "
    "roi reine prince princesse pape maire gouverneur sénateur juge chef directeur directrice porte-parole "
    "ancien ancienne adjoint adjointe").split())


ELISION = re.compile(r"^(?:[LlDdCcJjMmNnSsTt]|[Qq]u|[Jj]usqu|[Ll]orsqu|[Pp]uisqu)[’']")


def article_names(title: str | None, text: str, lang: str | None = None) -> list[str]:
    """The names the article writes (runs of capitalised words), most frequent first, at most :data:`MAX_NAMES`
    (the title's first), without months and weekdays. An elided article goes ("L’OTAN" is "OTAN"), and a
    lone capitalised word written once, at the start of a sentence, that the ``lang`` word list knows in
    lower case ("Interrogé", "Lire") is not taken for a name."""
    from qa.summaries.wording import lexicon

    calendar, words_of_language = calendar_words(), lexicon(lang or "")
    counts: Counter = Counter()
    inside: set[str] = set()  # names met inside a sentence, not only at its start
    for part, weight in ((title or "", 3), (text, 1)):
        for sentence in sentences(GLUED_SENTENCE.sub(r"\1 ", part)):  # OrangeSum glues sentences: "dit.Le"
            start = sentence.lstrip(" \"“”«»-–—")
            for name in names_in(sentence):
                bare = ELISION.sub("", name)
                words = re.findall(r"\w+", fold(bare))
                if bare[:1].isupper() and any(len(w) > 2 and w not in calendar for w in words):
                    counts[bare] += weight
                    if not start.startswith(name):
                        inside.add(bare)
    return [name for name, n in counts.most_common()
            if n > 1 or " " in name or name in inside or name.lower() not in words_of_language][:MAX_NAMES]


def parse_translations(text: str, names: list[str]) -> dict[str, list[str]]:
    """The model's lines ``name => form | form`` as {article name: its forms}; lines that name no article
    name, or say nothing, are left out."""
    known = {fold(n): n for n in names}
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        source, arrow, target = line.strip().lstrip("-*• ").partition("=>")
        name = known.get(fold(source.strip()))
        forms = [f.strip().strip('"') for f in target.split("|") if f.strip()]
        if arrow and name and forms:
            found.setdefault(name, []).extend(f for f in forms if f not in found.get(name, []))
    return found


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", fold(text)) if len(w) > 2}


class ArticleNames:
    """An article's names, checked against a summary's: as written in the article, or (in another language)
    as translated by ``translate``, which is called at most once, and only when a name is not found as
    written. ``translate(names) -> text`` returns the model's ``name => forms`` lines; ``cached`` is that
    text from an earlier call (``remember(text)`` is told each new one, for a cache); ``language``: the
    summary's, whose ordinary words may open a sentence with a capital."""

    def __init__(self, article: str, names: list[str], *, translate: Callable[[list[str]], str] | None = None,
                 cached: str | None = None, remember: Callable[[str], None] | None = None, language: str | None = None):
        self.names, self.language = names, language
        self.article_words = set(re.findall(r"\w+", fold(article)))
        self._translate, self._remember = translate, remember
        self._raw = cached
        self._forms: dict[str, list[str]] | None = None

    @property
    def translated(self) -> bool:
        """Whether the names' translations were asked for (or found in the cache)."""
        return self._raw is not None

    def forms(self) -> dict[str, list[str]]:
        """{article name: its forms in the summary's language}, translated on first use."""
        if self._forms is None:
            if self._raw is None and self._translate is not None and self.names:
                self._raw = self._translate(self.names)
                if self._remember is not None:
                    self._remember(self._raw)
            self._forms = parse_translations(self._raw or "", self.names)
        return self._forms

    def translated_words(self) -> set[str]:
        return set().union(*(_words(f) for forms in self.forms().values() for f in forms))

    def untranslated(self, unit: str) -> list[str]:
        """The names of ``unit`` written as the article writes them where the summary's language writes them
        otherwise ("OTAN" in English, where the translation says NATO). Asks for the translation."""
        forms = {fold(name): {fold(f) for f in found} for name, found in self.forms().items()}
        bare = {name: fold(ELISION.sub("", name)) for name in names_in(unit)}
        return [name for name in sorted(bare) if bare[name] in forms and bare[name] not in forms[bare[name]]]

    def unsupported(self, unit: str) -> list[str]:
        """The names of ``unit`` whose words are neither the article's nor its names' translations (titles
        and months apart)."""
        from qa.summaries.wording import known_word

        calendar, missing = calendar_words(), []
        opening = unit.lstrip(" \"“”«»-–—")
        for name in sorted(names_in(unit)):
            if " " not in name and opening.startswith(name) and known_word(name, self.language or ""):
                continue  # "Poachers are not suspected": an ordinary word opening the sentence
            words = [w for w in _words(name) if w not in calendar and w not in TITLES and w not in stopwords()]
            if not words or all(w in self.article_words for w in words):
                continue
            covered = self.article_words | self.translated_words()
            if not all(w in covered for w in words):
                missing.append(name)
        return missing
