"""Passages: what the model reads and an answer cites, from the candidate chunks of a search.

:func:`evidence_passages` ranks the candidates' *sentences* against the question and its translations
(:func:`rank_sentences`), and returns short passages, best first: the best sentences with the sentence before
them (where a pronoun's name usually is), as the article writes them. A sentence addressed to a model ("ignore
previous instructions") is never part of a passage. :func:`with_versions` lists the other versions of each
passage's story (wire copies).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from threading import Lock

import numpy as np
from pydantic import BaseModel, Field

from qa.models.embeddings import embed_array, embedder_name
from qa.text.facts import asks_for_number
from qa.text.instructions import is_instruction
from qa.text.sentences import sentence_spans
from qa.store.articles import StoredChunk
from qa.store.store import Store


class Version(BaseModel):
    """Another version of a passage's story (a wire copy of its article): shown as "also published by"."""

    article_id: str
    title: str
    source: str | None = None
    date: str | None = None
    url: str | None = None


class Passage(BaseModel):
    """What the model reads and an answer cites: consecutive sentences of one article, numbered ``n``.

    ``text == article.text[start:end]``; ``sentences`` are the article offsets of each sentence."""

    n: int
    chunk: StoredChunk  # the candidate chunk it was found in (title, source, date, language of the article)
    text: str
    start: int
    end: int
    sentences: list[tuple[int, int]] = Field(default_factory=list)
    score: float = 0.0
    also: list[Version] = Field(default_factory=list, description="the other versions of its article's story")

    @property
    def article_id(self) -> str:
        return self.chunk.article_id

    @property
    def title(self) -> str:
        return self.chunk.title

    @property
    def lang(self) -> str | None:
        return self.chunk.lang

    @property
    def date(self) -> str | None:
        return self.chunk.date

    @property
    def source(self) -> str | None:
        return self.chunk.source

    def sentence_texts(self) -> list[str]:
        return [self.text[b - self.start:e - self.start] for b, e in self.sentences]


def with_versions(store: Store, passages: list[Passage]) -> list[Passage]:
    """The passages with the other versions of their article's story (``also``), as the store lists them."""
    stories = {p.chunk.story or p.article_id for p in passages}
    members = store.story_members(sorted(stories)) if stories else {}
    return [p.model_copy(update={"also": [
        Version(article_id=m.id, title=m.title, source=m.source, date=m.date, url=m.url)
        for m in members.get(p.chunk.story or p.article_id, []) if m.id != p.article_id]}) for p in passages]


class _Sentence:
    __slots__ = ("chunk", "start", "end", "text", "rank", "score")

    def __init__(self, chunk: StoredChunk, start: int, end: int, text: str, rank: int):
        self.chunk, self.start, self.end, self.text, self.rank, self.score = chunk, start, end, text, rank, 0.0


class _VectorCache:
    """Sentence vectors by text, least recently used dropped first (questions on one story share them)."""

    def __init__(self, size: int = 20000):
        self.size, self.items, self.lock = size, OrderedDict(), Lock()

    def vectors(self, embedder, texts: list[str]) -> np.ndarray:
        key = embedder_name(embedder)
        found: dict[str, np.ndarray] = {}
        with self.lock:
            for text in texts:
                vector = self.items.get((key, text))
                if vector is not None:
                    self.items.move_to_end((key, text))
                    found[text] = vector
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            fresh = embed_array(embedder, missing)
            found.update(zip(missing, fresh))
            with self.lock:  # what this call needs is in ``found``: evicting may drop any of it from the cache
                for text, vector in zip(missing, fresh):
                    self.items[(key, text)] = vector
                while len(self.items) > self.size:
                    self.items.popitem(last=False)
        return np.stack([found[t] for t in texts]) if texts else np.zeros((0, 1), dtype=np.float32)


_sentence_vectors = _VectorCache()

MAX_PASSAGE_SENTENCES = 4
# a sentence scoring under this share of the best one opens no passage of its own: the k passages are the
# best ones, not k whatever the store holds (a small model answers from a weak passage as readily as a good one)
PASSAGE_FLOOR = 0.55
# weights of the sentence score, tuned on data/eval/questions.jsonl at 4,901 and 36,092 articles (docs/benchmarks.md)
SENTENCE_WEIGHTS = {"similarity": 1.0, "keywords": 2.0, "chunk_rank": 0.5, "title": 0.5, "number": 0.2}


def _sentences_of(chunks: list[StoredChunk]) -> list[_Sentence]:
    """The sentences of the candidate chunks, each once (chunks overlap). A sentence's rank is its article's:
    the rank of the article's best candidate chunk (the chunk that matched best is often not the one that
    holds the answer, and a big archive pushes an article's other chunks down among look-alikes)."""
    article_rank: dict[str, int] = {}
    for rank, chunk in enumerate(chunks):
        article_rank.setdefault(chunk.article_id, rank)
    found: dict[tuple[str, int], _Sentence] = {}
    for chunk in chunks:
        for b, e in sentence_spans(chunk.text):
            key = (chunk.article_id, chunk.start + b)
            if key in found:
                continue
            text = chunk.text[b:e]
            if is_instruction(text):
                continue
            found[key] = _Sentence(chunk, chunk.start + b, chunk.start + e, text, article_rank[chunk.article_id])
    return list(found.values())


def _keyword_weights(keywords: set[str], sentence_words: list[set[str]]) -> dict[str, float]:
    """Each question keyword's weight among these sentences, as a share of the question's: a word most of
    them hold (the subject every candidate shares) weighs little, a rare one (the asked detail) much."""
    n = len(sentence_words)
    idf = {w: math.log((n + 1) / (sum(w in words for words in sentence_words) + 0.5)) for w in keywords}
    total = sum(idf.values()) or 1.0
    return {w: v / total for w, v in idf.items()}


def _by_article(sentences: list[_Sentence]) -> dict[str, list[_Sentence]]:
    """The sentences of each article, in the article's order."""
    groups: dict[str, list[_Sentence]] = {}
    for s in sentences:
        groups.setdefault(s.chunk.article_id, []).append(s)
    for group in groups.values():
        group.sort(key=lambda s: s.start)
    return groups


def _with_previous(sentences: list[_Sentence]) -> list[str]:
    """Each sentence's text after the sentence before it in its article, when that one is among them and
    nothing but spacing separates the two; else the sentence alone."""
    previous: dict[int, _Sentence] = {}
    for group in _by_article(sentences).values():
        for a, b in zip(group, group[1:]):
            if _gap(a, b) is not None:
                previous[id(b)] = a
    return [previous[id(s)].text + " " + s.text if id(s) in previous else s.text for s in sentences]


def rank_sentences(question: str, chunks: list[StoredChunk], embedder, translations: list[str] = (),
                   weights: dict | None = None) -> list[_Sentence]:
    """The candidate chunks' sentences, best first: the similarity to the question (or its best translation)
    of the sentence, alone or after the one before it; the question's keywords it holds (the ones rare among
    the candidates weigh more); its article's title similarity and rank; a figure when the question asks one."""
    from qa.store.keyword import tokenize

    w = {**SENTENCE_WEIGHTS, **(weights or {})}
    sentences = _sentences_of(chunks)
    if not sentences:
        return []
    queries = [question, *translations]
    query_vectors = embed_array(embedder, queries)
    vectors = _sentence_vectors.vectors(embedder, [s.text for s in sentences])
    # a sentence as the model reads it, after the one before it (a pronoun's name is often there): the better
    # of the two similarities
    in_context = _sentence_vectors.vectors(embedder, _with_previous(sentences))
    similarity = np.maximum(vectors @ query_vectors.T, in_context @ query_vectors.T).max(axis=1)
    titles = sorted({s.chunk.title for s in sentences if s.chunk.title})
    title_sim = {}
    if titles and w["title"]:
        title_vectors = _sentence_vectors.vectors(embedder, titles)
        title_sim = dict(zip(titles, (title_vectors @ query_vectors.T).max(axis=1)))
    words = [set(tokenize(s.text)) for s in sentences]
    keyword_weight = _keyword_weights(set(tokenize(" ".join(queries))), words)
    wants_number = any(asks_for_number(q) for q in queries)
    for s, sim, held in zip(sentences, similarity, words):
        shared = sum(v for k, v in keyword_weight.items() if k in held)
        figure = wants_number and any(c.isdigit() for c in s.text)
        s.score = (w["similarity"] * float(sim) + w["keywords"] * shared + w["number"] * figure
                   + w["title"] * float(title_sim.get(s.chunk.title, 0.0)) + w["chunk_rank"] / (1 + s.rank))
    return sorted(sentences, key=lambda s: s.score, reverse=True)


def evidence_passages(question: str, chunks: list[StoredChunk], embedder, *, k: int = 5, before: int = 1,
                      after: int = 0, translations: list[str] = (), weights: dict | None = None,
                      floor: float | None = None) -> list[Passage]:
    """The ``k`` best short passages for ``question`` among the candidate ``chunks``, best first: each
    best sentence with up to ``before`` sentences before it and ``after`` after it, when the article
    has them right there. A sentence already shown is not shown twice; passages of one article that
    touch are merged (on the k best sentences only), and k counts passages, not sentences. A sentence
    under ``floor`` (default ``PASSAGE_FLOOR``) of the best opens no passage: fewer than k when the rest is weak."""
    ranked = rank_sentences(question, chunks, embedder, translations, weights)
    weakest = ranked[0].score * (PASSAGE_FLOOR if floor is None else floor) if ranked else 0.0
    by_article = _by_article(ranked)
    position = {id(s): i for group in by_article.values() for i, s in enumerate(group)}
    windows: list[list] = []  # [article_id, first index, last index, score, chunk]
    considered = 0
    for s in ranked:
        if len(windows) >= k or (considered >= k and s.score < weakest):
            break  # k passages, or nothing left that could open one
        group, i = by_article[s.chunk.article_id], position[id(s)]
        same = [w for w in windows if w[0] == s.chunk.article_id]
        if any(w[1] <= i <= w[2] for w in same):
            continue  # already shown
        considered += 1
        lo = hi = i
        while lo > 0 and i - lo < before and _gap(group[lo - 1], group[lo]) is not None:
            lo -= 1
        while hi < len(group) - 1 and hi - i < after and _gap(group[hi], group[hi + 1]) is not None:
            hi += 1
        for w in same:  # overlapping or touching a passage of the same article: grow it (up to 4 sentences)
            touches = (lo <= w[2] + 1 and hi >= w[1] - 1) and (
                (lo <= w[2] and hi >= w[1]) or _gap(group[min(hi, w[2])], group[max(lo, w[1])]) is not None)
            if touches and max(hi, w[2]) - min(lo, w[1]) < MAX_PASSAGE_SENTENCES:
                if considered > k:
                    break  # past the k best sentences, a sentence only opens a passage: passages stay short
                w[1], w[2] = min(w[1], lo), max(w[2], hi)
                for other in [o for o in same if o is not w and o[1] <= w[2] and o[2] >= w[1]]:
                    # grown over another passage of the article: one passage, in the place of the better one
                    first, second = sorted((w, other), key=windows.index)
                    first[1], first[2], first[3] = min(w[1], other[1]), max(w[2], other[2]), max(w[3], other[3])
                    windows.remove(second)
                    w = first
                break
        else:
            if s.score < weakest:
                continue  # too weak to open a passage of its own
            for w in same:  # do not show a sentence twice
                if w[1] <= lo <= w[2]:
                    lo = w[2] + 1
                if w[1] <= hi <= w[2]:
                    hi = w[1] - 1
            windows.append([s.chunk.article_id, lo, hi, s.score, s.chunk])
    passages = []
    for article_id, lo, hi, score, chunk in windows:
        group = by_article[article_id][lo:hi + 1]
        text = group[0].text
        for prev, cur in zip(group, group[1:]):
            text += _gap(prev, cur) + cur.text
        passages.append(Passage(n=len(passages) + 1, chunk=chunk, text=text, start=group[0].start, end=group[-1].end,
                                sentences=[(x.start, x.end) for x in group], score=round(score, 4)))
    return passages


def _gap(prev: _Sentence, cur: _Sentence) -> str | None:
    """The text between two sentences of an article when it is only spacing (they follow each other), else None."""
    if cur.start < prev.end:
        return None
    for chunk in (prev.chunk, cur.chunk):
        if chunk.start <= prev.end and cur.start <= chunk.end:
            gap = chunk.text[prev.end - chunk.start:cur.start - chunk.start]
            return gap if not gap.strip() else None
    return None
