"""Searching the library: which stored articles a few words are about, best first, each with the sentence
that matches.

Three signals, in this order of trust:

- **the article's card**: every word of the query in its title, source, date, language or id (accents and
  case ignored): "Orange Actu", "2020-07", "botswana";
- **its words**: the keyword index (BM25 over the chunks, accent-folded, cut to a 6-letter stem: "éléphants"
  and "elephants" meet);
- **its meaning**: the embedder (multilingual: "elephants" finds "éléphants", "nurses pay" finds "rémunérer
  les soignants"), kept only above :data:`MEANING_FLOOR` and near the best hit, so that a query about nothing
  stored finds nothing rather than the nearest article.

Keyword and meaning rankings are fused by reciprocal rank (:func:`qa.retrieval.search.fuse`), one entry per article.
"""

from __future__ import annotations

import numpy as np

from qa.store.catalog import ArticleInfo
from qa.models.embeddings import embed_array
from qa.store.keyword import tokenize
from qa.text.language import fold
from qa.models.prompts import LANGUAGE_NAMES
from qa.retrieval.search import dense_search, fuse
from qa.text.sentences import sentence_spans
from qa.store.articles import StoredChunk
from qa.store.store import Store

# cosine similarity of the default embedder (use-multilingual-v3) between a short query and a chunk: on the
# samples, chunks about the query score 0.28-0.58 and unrelated ones 0.06-0.16 ("football", "zzkx qwerty")
MEANING_FLOOR = 0.25
MEANING_NEAR_BEST = 0.7  # and within this share of the best hit's similarity
DEPTH = 200  # chunks read from each ranking


class FoundArticle(ArticleInfo):
    """A stored article that a library search found: its card, how well it matched, and the sentence of its
    text that matches best (None when only its card matched)."""

    score: float = 0.0
    sentence: str | None = None
    matched: str = "text"  # "card" (title, source, date...), "text" (its words or its meaning)


def card_matches(article: ArticleInfo, words: list[str]) -> bool:
    """Every (folded) word in the article's title, source, date, language (code or name) or id."""
    card = " ".join(str(x or "") for x in (article.title, article.source, article.date, article.lang,
                                             LANGUAGE_NAMES.get(article.lang or ""), article.id))
    card = fold(card)
    return all(w in card for w in words)


def search_articles(store: Store, embedder, query: str, *, limit: int = 100) -> list[FoundArticle]:
    """The stored articles about ``query``, best first (at most ``limit``): the articles whose card holds
    every word first, then those whose text matches by words or meaning; each with its best sentence."""
    query = (query or "").strip()
    articles = store.list_articles()
    if not query:
        return [FoundArticle(**a.model_dump()) for a in articles[:limit]]
    by_id = {a.id: a for a in articles}
    words = [fold(w) for w in query.split()]
    by_card = [a for a in articles if card_matches(a, words)]

    keyword = store.keyword_search(query, DEPTH)
    meaning = dense_search(store, embedder, query, DEPTH) if store.count_chunks() else []
    best = max((c.score for c in meaning), default=0.0)
    meaning = [c for c in meaning if c.score >= max(MEANING_FLOOR, MEANING_NEAR_BEST * best)]
    best_chunk: dict[str, StoredChunk] = {}
    for chunk in fuse([(keyword, 1.0), (meaning, 1.0)]):
        if chunk.article_id in by_id:
            best_chunk.setdefault(chunk.article_id, chunk)

    found: list[FoundArticle] = []
    for a in by_card:
        chunk = best_chunk.get(a.id)
        found.append(FoundArticle(**a.model_dump(), score=1.0 + (chunk.score if chunk else 0.0), matched="card"))
    shown = {a.id for a in by_card}
    for article_id, chunk in best_chunk.items():
        if article_id not in shown:
            found.append(FoundArticle(**by_id[article_id].model_dump(), score=chunk.score))
    found.sort(key=lambda f: f.score, reverse=True)
    found = found[:limit]
    _add_sentences(found, best_chunk, query, embedder)
    return found


def _add_sentences(found: list[FoundArticle], chunks: dict[str, StoredChunk], query: str, embedder) -> None:
    """Each found article's best sentence of its best chunk: the one holding most of the query's words, else
    (another language, other words) the one closest in meaning."""
    keys = set(tokenize(query))
    by_meaning: list[tuple[FoundArticle, list[str]]] = []
    for f in found:
        chunk = chunks.get(f.id)
        if chunk is None:
            continue
        texts = [chunk.text[b:e] for b, e in sentence_spans(chunk.text)] or [chunk.text]
        held = [len(keys & set(tokenize(t))) for t in texts]
        if max(held) > 0:
            f.sentence = texts[held.index(max(held))]
        else:
            by_meaning.append((f, texts))
    if not by_meaning:
        return
    vectors = embed_array(embedder, [query] + [t for _, texts in by_meaning for t in texts])
    query_vector, rest = vectors[0], vectors[1:]
    at = 0
    for f, texts in by_meaning:
        sims = rest[at:at + len(texts)] @ query_vector
        f.sentence = texts[int(np.argmax(sims))]
        at += len(texts)
