"""Summaries of stored articles: the article looked up by id, its summary made once and cached.

A cached summary is keyed on the article's content hash, the style, the language and
:func:`cache_key` (the model, plus a fingerprint of the summary prompts): asking again is instant, and
editing the article (new hash) or a prompt makes a fresh one.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from functools import lru_cache

from qa.models import prompts
from qa.store.articles import Article
from qa.settings import Settings
from qa.store.store import Store
from qa.summaries.results import (
    DEFAULT_STYLE,
    ArticleNotFoundError,
    Summary,
    check_style,
    language_code,
)
from qa.summaries.summarizer import Summarizer


NAMES_ENTRY = "names"  # the summaries table's style column for the article's names translated (entities.py)


def find_article(store: Store, article_id: str) -> Article:
    """The stored article ``article_id``; an :class:`ArticleNotFoundError` that says how to list the ids."""
    article = store.get_article(article_id)
    if article is None:
        raise ArticleNotFoundError(f"No article with id '{article_id}' in {store.location}. "
                                   f"List the stored ids with: python -m qa articles {store.option}")
    return article


def article_language(article: Article) -> str:
    """The language the article is written in: as stored, else detected from its text (English if unsure)."""
    if article.lang:
        return article.lang
    from qa.text.language import detect_language

    return detect_language(f"{article.title}\n{article.text}") or "en"


# ---------------------------------------------------------------- the cache


@lru_cache(maxsize=1)
def prompt_fingerprint() -> str:
    """Changes whenever a summary prompt file changes: cached summaries made by old prompts are not reused."""
    digest = hashlib.sha256()
    for path in sorted(prompts.PROMPTS_DIR.glob("summary_*.txt")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:8]


def cache_key(settings: Settings) -> str:
    """What a cached summary is keyed on besides the article, style and language: the model and the
    prompts. Only ever compared, never parsed: the model's name comes from :func:`qa.models.llm.model_id`."""
    from qa.models.llm import model_id

    return f"{model_id(settings)}#{prompt_fingerprint()}"


def _from_cache(store: Store, settings: Settings, article: Article, style: str, language: str,
                started: float) -> Summary | None:
    text = store.get_summary(article.content_hash, style, language, cache_key(settings))
    if text is None:
        return None
    from qa.models.llm import model_id

    return Summary(article_id=article.id, title=article.title, summary=text, language=language, style=style,
                   model=model_id(settings), cached=True, seconds=round(time.perf_counter() - started, 4))


def cached_summary(store: Store, settings: Settings, article_id: str, style: str = DEFAULT_STYLE,
                   language: str | None = None) -> Summary | None:
    """The summary made before for this article, style and language (``cached=True``), or None when
    there is none, the article included: a lookup for the UI when its style or language changes, which
    never calls the model. An unknown style or language is a ValueError, as for :func:`summarize`."""
    started = time.perf_counter()
    style = check_style(style)
    language = language_code(language)
    article = store.get_article(article_id)
    if article is None:
        return None
    return _from_cache(store, settings, article, style, language or article_language(article), started)


# ---------------------------------------------------------------- making summaries


def stream_summary(store: Store, llm, settings: Settings, article_id: str, style: str = DEFAULT_STYLE,
                   language: str | None = None) -> Iterator[str | Summary]:
    """Yield text pieces as the model writes them, then the :class:`Summary` last (cached: one piece)."""
    started = time.perf_counter()
    style = check_style(style)
    article = find_article(store, article_id)
    lang = article_language(article)
    language = language_code(language) or lang
    cached = _from_cache(store, settings, article, style, language, started)
    if cached is not None:
        yield cached.summary
        yield cached
        return
    from qa.models.llm import model_id

    summary = None
    key = cache_key(settings)  # the article's names translated into the language: cached beside its summaries

    def remember_names(raw: str) -> None:
        store.put_summary(article.id, article.content_hash, NAMES_ENTRY, language, key, raw)

    for item in Summarizer(llm, settings).run(title=article.title, text=article.text, lang=lang, style=style,
                                              language=language, date=article.date, article_id=article.id,
                                              model=model_id(settings), remember_names=remember_names,
                                              cached_names=store.get_summary(article.content_hash, NAMES_ENTRY,
                                                                             language, key)):
        if isinstance(item, Summary):
            summary = item
        else:
            yield item
    assert summary is not None
    store.put_summary(article.id, article.content_hash, style, language, cache_key(settings), summary.summary)
    summary.seconds = round(time.perf_counter() - started, 3)
    yield summary


def summarize(store: Store, llm, settings: Settings, article_id: str, style: str = DEFAULT_STYLE,
              language: str | None = None) -> Summary:
    """The summary of a stored article (from the cache when it was made before)."""
    result = None
    for result in stream_summary(store, llm, settings, article_id, style, language):
        pass
    assert isinstance(result, Summary)
    return result


def summarize_all(store: Store, llm, settings: Settings, style: str = DEFAULT_STYLE,
                  show_progress: bool = True) -> list[Summary]:
    """Make (or find in the cache) the summary of every stored article, with a progress bar."""
    from tqdm import tqdm

    infos = store.list_articles()
    results, made = [], 0
    with tqdm(total=len(infos), unit="article", desc=f"summaries ({style})", disable=not show_progress,
              dynamic_ncols=True) as bar:
        for info in infos:
            summary = summarize(store, llm, settings, info.id, style=style)
            made += not summary.cached
            results.append(summary)
            bar.set_postfix(new=made)
            bar.update(1)
    return results
