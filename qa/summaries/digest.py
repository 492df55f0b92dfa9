"""A digest of several stored articles: what they say together and where they differ, each point
cited [n] to its article and checked against the full text of the articles it cites."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

from qa.models import prompts
from qa.store.articles import Article
from qa.text.citations import cited_numbers, strip_citations
from qa.text.language import fold, written_in
from qa.text.sentences import sentences
from qa.settings import Settings
from qa.store.store import Store
from qa.summaries.results import Digest, DigestSource, language_code
from qa.summaries.service import article_language, find_article, summarize
from qa.summaries.summarizer import REGENERATION_TEMPERATURE, Summarizer, reminder
from qa.summaries.units import Evidence, clean_output, join_units

DIGEST_TOKENS = 420  # most tokens the digest may write
MAX_POINTS = 6


def _prompt(sources: list[DigestSource], articles: list[Article], language: str, keep: int) -> str:
    """The digest prompt over the sources' first ``keep`` summary sentences."""
    blocks = "\n\n".join(f"[{s.n}] {s.title}" + (f" ({a.date})" if a.date else "") + "\n"
                         + " ".join(sentences(s.summary)[:keep]) for s, a in zip(sources, articles, strict=True))
    return prompts.load("summary_digest").format(articles=blocks, count=len(articles),
                                                 language=prompts.language_name(language))


class _Check:
    """The digest's points that cite an article and hold only facts of the articles they cite."""

    def __init__(self, evidences: dict[int, Evidence], langs: dict[int, str], language: str):
        self.evidences, self.langs, self.language = evidences, langs, language

    def __call__(self, raw: str) -> tuple[list[str], list[str]]:
        kept, removed = [], []
        valid = set(self.evidences)
        for unit in clean_output(raw, "digest"):
            text = strip_citations(unit, valid)
            cited = [n for n in cited_numbers(text) if n in valid]
            if not cited:  # no citation: the article sharing the most words
                words = set(re.findall(r"\w{4,}", fold(text)))
                best = max(valid, key=lambda n: len(words & self.evidences[n].words))
                cited, text = [best], f"{text} [{best}]"
            missing = Evidence(" ".join(self.evidences[m].text for m in cited)).unsupported(
                re.sub(r"\[\d+\]", " ", text), same_language=all(self.langs[m] == self.language for m in cited))
            if missing:
                removed += [m for m in missing if m not in removed]
            elif written_in(re.sub(r"\[\d+\]", " ", text), self.language):
                kept.append(text)
        return kept[:MAX_POINTS], removed


def longest_version_per_story(store: Store, articles: list[Article]) -> list[Article]:
    """The articles with each story counted once: of several versions of one story (wire copies), the longest
    (it holds what the others say, and usually more), in the place of the first one selected."""
    known = store.stories_of([a.id for a in articles])
    story = {a.id: known[a.id].story if a.id in known else a.id for a in articles}
    best: dict[str, Article] = {}  # a story keeps the place where it was first met
    for a in articles:
        if story[a.id] not in best or len(a.text) > len(best[story[a.id]].text):
            best[story[a.id]] = a
    return list(best.values())


def digest(store: Store, llm, settings: Settings, article_ids: Iterable[str], language: str | None = None) -> Digest:
    """What the articles say together and where they disagree, as 3-6 points cited [n] to their article.

    Each article is first summarised (``short`` style, cached), then the summaries are combined. Every
    point must cite an article; its facts are checked against the full text of the articles it cites.
    Several versions of one story (wire copies) count as one article."""
    started = time.perf_counter()
    ids = list(dict.fromkeys(article_ids))
    if not ids:
        raise ValueError("No articles selected for the digest.")
    articles = longest_version_per_story(store, [find_article(store, i) for i in ids])
    langs = [article_language(a) for a in articles]
    language = language_code(language) or max(langs, key=langs.count)
    summaries = [summarize(store, llm, settings, a.id, style="short") for a in articles]
    sources = [DigestSource(n=n, article_id=a.id, title=a.title, summary=s.summary)
               for n, (a, s) in enumerate(zip(articles, summaries, strict=True), 1)]
    summarizer = Summarizer(llm, settings)
    for keep in (3, 1):  # the summaries, or only their first sentence when they do not all fit
        user = _prompt(sources, articles, language, keep)
        if summarizer.fits(summarizer.messages(user), DIGEST_TOKENS):
            break
    else:
        raise ValueError(f"Too many articles for one digest ({len(articles)}): select fewer.")
    check = _Check({s.n: Evidence(summarizer.article_block(a.title, a.text, a.date))
                    for s, a in zip(sources, articles, strict=True)},
                   {s.n: lang for s, lang in zip(sources, langs, strict=True)}, language)

    units, removed = check(summarizer.call(summarizer.messages(user), DIGEST_TOKENS))
    regenerated = False
    if not units:
        regenerated = True
        retry = f"{user} {reminder(language, source='articles')}"
        units, more = check(summarizer.call(summarizer.messages(retry), DIGEST_TOKENS, REGENERATION_TEMPERATURE))
        removed += [m for m in more if m not in removed]
    if not units:  # fall back on the articles' own checked summaries
        units = [f"{s.title}: {s.summary} [{s.n}]" for s in sources]
    from qa.models.llm import model_id

    return Digest(digest=join_units(units, "digest"), sources=sources, language=language, model=model_id(settings),
                  seconds=round(time.perf_counter() - started, 3), unsupported=removed, regenerated=regenerated)
