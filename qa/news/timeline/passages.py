"""What a timeline reads: the articles about the subject, and of each its lead and its best passage."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, Field

from qa.store.articles import Article, StoredChunk
from qa.text.instructions import is_instruction
from qa.store.keyword import tokenize
from qa.text.language import function_words, question_language
from qa.retrieval.passages import Passage, evidence_passages
from qa.text.sentences import sentence_spans
from qa.store.store import Store

LEAD_SENTENCES = 3  # an article's first sentences: where news says what happened and when


def subject_language(subject: str, preferred: tuple[str, ...]) -> str:
    """The reader's language for a subject: the question's language when it has words of one ("Quand Carlos
    Ghosn a-t-il fui ?"), else (a bare name: "Carlos Ghosn", "Brexit") the collection's main language."""
    words = set(re.findall(r"\w+", subject.lower().replace("’", "'")))
    if any(words & stop for stop in function_words().values()):
        return question_language(subject, preferred)
    return preferred[0]


def lead_passage(article: Article, found: Passage) -> Passage | None:
    """The first :data:`LEAD_SENTENCES` sentences of an article (where news says what happened and when), as a
    passage with the metadata of ``found``, a passage of the same article; it stops before a sentence
    addressed to a model. None when the article starts with one."""
    spans = []
    for begin, end in sentence_spans(article.text)[:LEAD_SENTENCES]:
        if is_instruction(article.text[begin:end]):
            break
        spans.append((begin, end))
    if not spans:
        return None
    start, end = spans[0][0], spans[-1][1]
    return Passage(n=1, chunk=found.chunk, text=article.text[start:end], start=start, end=end, sentences=spans,
                   score=found.score)


class ArticlePassages(BaseModel):
    """What the model reads of one article: its passages in reading order, numbered from 1, where its lead ends
    (an article offset; 0 when the article starts with a sentence addressed to a model), and the other versions of
    its story (wire copies) that name the subject: not read, their events are this article's."""

    passages: list[Passage]
    lead_end: int = 0
    copies: list[str] = Field(default_factory=list)

    @property
    def article_id(self) -> str:
        return self.passages[0].article_id


class TimelineReading(BaseModel):
    """The articles that name the subject (``named``, best first, every version) and what is read of them."""

    named: list[str] = Field(default_factory=list)
    groups: list[ArticlePassages] = Field(default_factory=list)


KEYWORD_DEPTH = 8  # keyword-matched chunks looked at per article a timeline may read, to find every one naming it


def timeline_passages(subject: str, chunks: list[StoredChunk], store: Store, embedder, *, articles: int,
                      translations: Iterable[str] = ()) -> TimelineReading:
    """What a timeline reads: every article that names the subject (its title or text holds more than half of the
    keywords of the subject or of a translation: :func:`names_subject`), found among the candidate ``chunks`` and
    the keyword index's best matches, best first; of at most ``articles`` of them, one per story (the other
    versions are its ``copies``), the lead and the passage that matches the subject best, when it is not in the
    lead."""
    phrasings = [subject, *translations]
    pool = list(chunks)
    for phrasing in phrasings:
        pool += store.keyword_search(phrasing, k=KEYWORD_DEPTH * articles)
    named, seen, by_id = [], set(), {}
    for chunk in pool:
        if chunk.article_id in seen:
            continue
        seen.add(chunk.article_id)
        article = store.get_article(chunk.article_id)
        if article is not None and names_subject(f"{article.title or ''}\n{article.text}", phrasings):
            named.append(chunk.article_id)
            by_id[chunk.article_id] = (article, chunk)
    pool = [c for c in pool if c.article_id in by_id]
    # every article's best passage, however it compares with the best article's (no floor)
    ranked = evidence_passages(subject, list({c.id: c for c in pool}.values()), embedder, k=len(named) * 6,
                               translations=list(translations), floor=0.0)
    best: dict[str, Passage] = {}
    for p in ranked:
        best.setdefault(p.article_id, p)
    order = [*best, *(a for a in named if a not in best)]
    groups: dict[str, ArticlePassages] = {}  # by story
    for article_id in order:
        article, chunk = by_id[article_id]
        story = chunk.story or article_id
        if story in groups:
            groups[story].copies.append(article_id)
            continue
        if len(groups) >= articles:
            continue
        found = best.get(article_id)
        lead = lead_passage(article, found) if found is not None else None
        group = [p for p in (lead, found) if p is not None]
        if lead is not None and found.start < lead.end:
            group = [lead]
        if not group:
            continue
        groups[story] = ArticlePassages(passages=[p.model_copy(update={"n": n}) for n, p in enumerate(group, 1)],
                                        lead_end=lead.end if lead is not None else 0)
    return TimelineReading(named=named, groups=list(groups.values()))


def names_subject(text: str, phrasings: list[str]) -> bool:
    """Whether ``text`` holds more than half of the keywords of one phrasing of the subject (any text, for a
    subject of function words only)."""
    words = set(tokenize(text))
    for phrasing in phrasings:
        keywords = set(tokenize(phrasing))
        if not keywords or 2 * len(keywords & words) > len(keywords):
            return True
    return False
