"""What a timeline reads: the articles about the subject, and of each its lead and its best passage."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel

from qa.articles import Article
from qa.grounding import is_instruction
from qa.keyword import tokenize
from qa.language import function_words, question_language
from qa.retrieval import Passage, evidence_passages
from qa.sentences import sentence_spans
from qa.store import Store, StoredChunk

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
    """What the model reads of one article: its passages in reading order, numbered from 1, and where its lead
    ends (an article offset; 0 when the article starts with a sentence addressed to a model)."""

    passages: list[Passage]
    lead_end: int = 0

    @property
    def article_id(self) -> str:
        return self.passages[0].article_id


def timeline_passages(subject: str, chunks: list[StoredChunk], store: Store, embedder, *, articles: int,
                      translations: Iterable[str] = ()) -> list[ArticlePassages]:
    """What a timeline reads, best article first: for at most ``articles`` articles about the subject (their
    title or lead names it; one of a group of wire copies), the article's lead and the passage that matches the
    subject best, when it is not in the lead."""
    translations = list(translations)
    # every article's best passage, however it compares with the best article's (no floor)
    ranked = evidence_passages(subject, chunks, embedder, k=articles * 6, translations=translations, floor=0.0)
    best: dict[str, Passage] = {}
    for p in ranked:
        best.setdefault(p.article_id, p)
    out, stories = [], set()
    for article_id, found in best.items():
        if len(out) >= articles:
            break
        article = store.get_article(article_id)
        if article is None or found.chunk.story in stories:
            continue
        lead = lead_passage(article, found)
        group = [p for p in (lead, found) if p is not None]
        if lead is not None and found.start < lead.end:
            group = [lead]
        if not names_subject(group[:1], [subject, *translations]):  # about it: named by its title or lead
            continue
        stories.add(found.chunk.story)
        out.append(ArticlePassages(passages=[p.model_copy(update={"n": n}) for n, p in enumerate(group, 1)],
                                   lead_end=lead.end if lead is not None else 0))
    return out


def names_subject(passages: list[Passage], phrasings: list[str]) -> bool:
    """Whether the article's title and ``passages`` hold more than half of the keywords of one phrasing of the
    subject (a subject of function words only is named by any article)."""
    words = set(tokenize(" ".join([passages[0].title or "", *(p.text for p in passages)])))
    for phrasing in phrasings:
        keywords = set(tokenize(phrasing))
        if not keywords or 2 * len(keywords & words) > len(keywords):
            return True
    return False
