"""The review of a model's summary before it is shown: which units (sentences, key points) stay, and
what a second try should fix.

A unit is removed when it names a fact the article does not hold (a number, or a name: in another
language than the article's, checked against the article's names translated, :mod:`.entities`), or
when it holds a word of the other language outside names and (in the article's language) quotations
(:mod:`.wording`); a key point that is not a whole sentence, and a unit that repeats another, go too.
What the summary as a whole lacks is noted for the second try: the title's names and figures
(:mod:`.headline`), and the word that tells apart two figures the article gives for one thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.models import prompts
from qa.text.facts import calendar_words
from qa.text.language import fold, written_in
from qa.summaries.entities import ArticleNames
from qa.summaries.headline import HEADLINE_STYLES, headline_facts, missing_facts, twin_figures, unqualified_figures
from qa.summaries.units import (
    MAX_UNITS,
    Evidence,
    as_sentence,
    clean_output,
    is_filler,
    is_fragment,
    repeats,
)
from qa.summaries.wording import mark_translated_quotations, untranslated_words


def _is_date(name: str) -> bool:
    """A name the fact check rejected for its month or weekday ("July" for an article of June)."""
    calendar = calendar_words()
    return any(w in calendar for w in re.findall(r"\w+", fold(name)))


@dataclass
class Review:
    """What the review kept and found."""

    units: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # names and numbers the article does not hold
    untranslated: list[str] = field(default_factory=list)  # words left in the other language
    missing: list[str] = field(default_factory=list)  # the title's names and figures not stated
    unqualified: list[str] = field(default_factory=list)  # figures stated without the word telling them apart
    fragment_units: list[str] = field(default_factory=list)  # key points dropped for not being whole sentences

    @property
    def fragments(self) -> int:
        return len(self.fragment_units)

    @property
    def needs_retry(self) -> bool:
        return not self.units or bool(self.untranslated or self.missing or self.unqualified or self.fragments)

    def rank(self) -> tuple:
        """Higher is better: something kept, then the fewest missing facts, untranslated words, vague figures."""
        return (bool(self.units), -len(self.missing), -len(self.untranslated), -len(self.unqualified),
                -self.fragments, len(self.units))


class Reviewer:
    """Reviews the model's texts for one article, style and language."""

    def __init__(self, *, article: str, title: str | None, text: str, style: str, language: str, lang: str,
                 names: ArticleNames):
        self.evidence, self.title, self.style, self.language = Evidence(article), title, style, language
        self.same_language, self.names = language == lang, names
        self.facts = headline_facts(title, text) if style in HEADLINE_STYLES else []
        # the qualifiers are the article's words: compared in its language only
        self.twins = twin_figures(f"{title or ''}. {text}") if self.same_language else {}

    def __call__(self, raw: str) -> Review:
        review = Review()
        units: list[str] = []
        for unit in clean_output(raw, self.style):
            if is_filler(unit, self.title):
                continue
            if self.style == "bullets" and is_fragment(unit):
                review.fragment_units.append(as_sentence(unit))
                continue
            unit = as_sentence(unit) if self.style == "bullets" else unit
            if not repeats(unit, units):
                units.append(unit)
        if units and not written_in(" ".join(units), self.language):
            return Review(missing=list(self.facts))
        for unit in units:
            kept = self._check(unit, review)
            if kept is not None:
                review.unqualified += [f for f in unqualified_figures(kept, self.twins) if f not in review.unqualified]
                review.units.append(kept)
        review.units = review.units[:MAX_UNITS[self.style]]
        review.missing = missing_facts(" ".join(review.units), self.facts,
                                       None if self.same_language else self.names)
        return review

    def _check(self, unit: str, review: Review) -> str | None:
        """The unit as shown (a translated quotation marked), or None when it names a fact the article does
        not hold or leaves a word untranslated (noted in ``review``)."""
        if not self.same_language:
            unit = mark_translated_quotations(unit, self.language)
        facts = self.evidence.unsupported(unit, same_language=self.same_language)
        if not self.same_language:  # names: the article's or their translations, not the lenient rule
            facts = [f for f in facts if f[0].isdigit() or _is_date(f)]
            facts += [n for n in self.names.unsupported(unit) if n not in facts]
        foreign = untranslated_words(unit, self.language, quotations_allowed=self.same_language)
        if not self.same_language:
            foreign += self.names.untranslated(unit)
        review.removed += [f for f in facts if f not in review.removed]
        review.untranslated += [w for w in foreign if w not in review.untranslated]
        return None if facts or foreign else unit

    def fallback(self, review: Review) -> list[str]:
        """The key points a review dropped only for not being whole sentences, when they hold no unsupported
        fact and no untranslated word: in another language than the article's, better than its lead
        sentences (in the article's language)."""
        return [u for u in (self._check(f, Review()) for f in review.fragment_units) if u][:MAX_UNITS[self.style]]

    def fixes(self, review: Review) -> str:
        """What the second try is told besides the reminder: the facts to state, the words to translate,
        the figures to qualify (``prompts/summary_fix_*.txt``)."""
        language = prompts.language_name(self.language)
        lines = []
        if review.missing:
            lines.append(prompts.load("summary_fix_missing").format(facts=", ".join(review.missing)))
        if review.untranslated:
            lines.append(prompts.load("summary_fix_words").format(words=", ".join(review.untranslated),
                                                                  language=language))
        if review.fragments:
            lines.append(prompts.load("summary_fix_sentences"))
        if review.unqualified:
            lines.append(prompts.load("summary_fix_figures").format(figures=", ".join(review.unqualified)))
        return " ".join(line.strip() for line in lines)
