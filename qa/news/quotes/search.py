"""Who said what: the quotations of a person across the stored articles, newest first, one per story.

Found on demand, not at ingestion: the extraction is patterns over an article's text (no model, about a
millisecond an article), the store keeps no quotation, and a change to the patterns needs no re-ingestion.
A search reads only the articles whose text holds every word of the person's name (accent- and
case-insensitive), and keeps each article's quotations in memory by its content hash, so asking again or
about another person of the same articles costs only the reading of the store's texts.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable

from pydantic import BaseModel, Field

from qa.text.language import fold
from qa.news.quotes.extract import Found, extract

CACHE_ARTICLES = 20_000
_WORD = re.compile(r"\w+")
_cache: OrderedDict[str, list[Found]] = OrderedDict()


class Quote(BaseModel):
    """One quotation: ``text[start:end]`` of the stored article ``article_id`` is ``quote``."""

    speaker: str
    quote: str
    date: str | None = None
    article_id: str
    source: str | None = None
    start: int
    end: int
    title: str = ""
    also: list[str] = Field(default_factory=list, description="other versions of the story that carry the quote")


class Quotes(BaseModel):
    """The answer to "what did PERSON say": the quotes, and how many articles were searched."""

    person: str
    words: list[str] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)
    articles: int = 0  # stored articles searched
    read: int = 0  # articles whose text names the person (their quotations were looked at)
    seconds: float = 0.0

    @property
    def message(self) -> str:
        """What to say when there is no quote."""
        who = f"of {self.person}" if self.person else "with these words"
        words = f" with {' '.join(self.words)}" if self.person and self.words else ""
        return f"no quote {who}{words} in {self.articles} article{'s' if self.articles != 1 else ''}"


def _tokens(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def speaker_matches(person: str, speaker: str) -> bool:
    """Whether ``speaker`` (as an article names them) is ``person`` (as a user types them): every word of the one
    is a word of the other, accents and case aside ("stoltenberg" ~ "Jens Stoltenberg", "Jens Stoltenberg" ~
    "Stoltenberg"); for a speaker named by one word only, that word must be the person's last."""
    asked, said = _tokens(person), _tokens(speaker)
    if not asked or not said:
        return False
    if set(asked) <= set(said):
        return True
    return set(said) <= set(asked) and said[-1] == asked[-1]


def quotations_of(article_id: str, content_hash: str, text: str) -> list[Found]:
    """An article's quotations, from the cache when its content was read before."""
    key = f"{article_id}:{content_hash}"
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    found = extract(text)
    _cache[key] = found
    if len(_cache) > CACHE_ARTICLES:
        _cache.popitem(last=False)
    return found


def find_quotes(store, person: str, words: list[str] | None = None,
                on_progress: Callable[[int, int], None] | None = None) -> Quotes:
    """The quotations of ``person`` (a name, a surname alone; may be empty when ``words`` are given) whose text
    holds every one of ``words``, across the store's articles: newest first, one per story (the newest version of
    the story that carries it; the others in ``also``)."""
    started = time.perf_counter()
    person = " ".join((person or "").split())
    words = [w for w in (words or []) if w.strip()]
    if not person and not words:
        raise ValueError("Say whose quotes to find (a name, or a surname alone), or which words they hold.")
    wanted = _tokens(person) + [t for w in words for t in _tokens(w)]
    if not wanted:
        raise ValueError(f"No word to search for in {person!r}: give a name with letters.")
    phrase = [t for w in words for t in _tokens(w)]
    result = Quotes(person=person, words=words)
    hits: list[tuple[object, Found]] = []
    articles = list(store.iter_articles())
    result.articles = len(articles)
    for i, article in enumerate(articles):
        if on_progress and i % 500 == 0:
            on_progress(i, len(articles))
        quick = unicodedata.normalize("NFKD", article.text.lower()).encode("ascii", "ignore").decode()
        if not all(w in quick for w in wanted) or not set(wanted) <= set(_tokens(article.text)):
            continue
        result.read += 1
        for found in quotations_of(article.id, article.content_hash, article.text):
            if not found.speaker or (person and not speaker_matches(person, found.speaker)):
                continue
            if phrase and not set(phrase) <= set(_tokens(found.quote)):
                continue
            hits.append((article, found))
    if on_progress:
        on_progress(len(articles), len(articles))
    result.quotes = _one_per_story(store, hits)
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _one_per_story(store, hits: list) -> list[Quote]:
    """Newest first; a quotation carried by several versions of one story is given once, by the newest."""
    stories = store.stories_of(sorted({article.id for article, _found in hits}))
    kept: dict[tuple[str, str], Quote] = {}
    for article, found in sorted(hits, key=lambda h: (h[0].date or "", h[0].id), reverse=True):
        story = stories[article.id].story if article.id in stories else article.id
        key = (story, " ".join(_tokens(found.quote)))
        if key in kept:
            kept[key].also.append(article.id)
            continue
        kept[key] = Quote(speaker=found.speaker, quote=found.quote, date=article.date, article_id=article.id,
                          source=article.source, start=found.start, end=found.end, title=article.title)
    return list(kept.values())
