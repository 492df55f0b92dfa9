"""Grounded answers: the question's passages, the model's answer, the check of its citations.

The steps are plain functions over plain data, so that ``Assistant.ask``, ``Assistant.stream`` and
the LangChain chain (``Assistant.chain``) run exactly the same logic.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import BaseModel, Field

from qa.citations import cited_numbers, fold, is_refusal, strip_citations, unsupported_facts
from qa.embeddings import embed_array
from qa.keyword import tokenize
from qa.numbers import localize_numbers
from qa.prompts import language_name, refusal
from qa.store import StoredChunk

_CITATION_MARK = re.compile(r"\s*\[\d+\]")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”»)]?\s+|\n+")


class Source(BaseModel):
    """A cited passage: where it comes from and the exact text quoted from the article."""

    n: int
    article_id: str
    title: str
    source: str | None = None
    date: str | None = None
    url: str | None = None
    lang: str | None = None
    quote: str  # copied from the article: article.text[start:end]
    start: int
    end: int
    chunk_id: str


class Answer(BaseModel):
    """The result of a question, the same object for Python, the command line and the UI."""

    question: str
    answer: str
    sources: list[Source] = Field(default_factory=list)
    language: str
    refused: bool = False
    standalone_question: str | None = None
    unsupported: list[str] = Field(default_factory=list, description="facts the check could not find")
    seconds: float = 0.0

    @property
    def text(self) -> str:
        return self.answer


class Passage(BaseModel):
    """What the model reads: a span of one retrieved chunk, numbered for citation."""

    n: int
    chunk: StoredChunk
    text: str
    start: int
    end: int


# ---------------------------------------------------------------- language


_QUESTION_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl")


@lru_cache(maxsize=1)
def _stopword_lists() -> dict[str, frozenset[str]]:
    import bm25s.stopwords as sw

    lists = {"en": sw.STOPWORDS_EN_PLUS, "fr": sw.STOPWORDS_FRENCH, "de": sw.STOPWORDS_GERMAN, "es": sw.STOPWORDS_SPANISH,
             "it": sw.STOPWORDS_ITALIAN, "pt": sw.STOPWORDS_PORTUGUESE, "nl": sw.STOPWORDS_DUTCH}
    # question words, which short questions are made of and which the stop-word lists often lack
    questions = {
        "en": "who what when where which why how whom whose did does do is are was were has have many much",
        "fr": "qui que quoi quel quelle quels quelles quand où comment combien pourquoi lequel laquelle est-ce "
              "qu a-t-il a-t-elle ont-ils était était-ce sont",
        "de": "wer was wann wo welche welcher welches warum wie wieviel hat haben ist sind",
        "es": "quién qué cuándo dónde cuál cuáles por cómo cuánto cuántos ha han es son",
        "it": "chi che cosa quando dove quale quali perché come quanto quanti ha hanno è sono",
        "pt": "quem que quando onde qual quais porque como quanto quantos tem têm é são",
        "nl": "wie wat wanneer waar welke waarom hoe hoeveel heeft hebben is zijn",
    }
    return {lang: frozenset(words) | frozenset(questions[lang].split()) for lang, words in lists.items()}


@lru_cache(maxsize=1)
def _language_identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(list(_QUESTION_LANGUAGES))
    return identifier


def question_language(question: str, preferred: tuple[str, ...] = ("en", "fr")) -> str:
    """The language of a (short) question. Character statistics mislead on a few words, so the
    function words of each language vote ("qui", "quel" → French; "who", "how" → English); the
    character model breaks ties, and among near-equals the ``preferred`` languages (those of the
    collection) win."""
    words = re.findall(r"\w+", question.lower().replace("’", "'"))
    if not words:
        return preferred[0]
    votes = {lang: sum(w in stop for w in words) for lang, stop in _stopword_lists().items()}
    best_votes = max(votes.values())
    ranking = dict(_language_identifier().rank(question))  # log-probabilities, higher is likelier
    top = max(ranking.values())

    def score(lang: str) -> tuple:
        close = ranking.get(lang, -1e9) > top - 15  # within a few words' worth of evidence
        return (votes[lang], close and lang in preferred, ranking.get(lang, -1e9))

    return max((lang for lang in votes if votes[lang] == best_votes), key=score)


# ---------------------------------------------------------------- context


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, begin = [], 0
    for match in _SENTENCE_END.finditer(text):
        if text[begin:match.start()].strip():
            spans.append((begin, match.end()))
        begin = match.end()
    if text[begin:].strip():
        spans.append((begin, len(text)))
    return spans


def select_passages(question: str, chunks: list[StoredChunk], embedder, *, max_passages: int = 4,
                    window: int = 3, whole: int = 2, translations: list[str] = ()) -> list[Passage]:
    """The ``whole`` best chunks as they are, and for the next ones the ``window`` consecutive
    sentences that bear most on the question.

    Sentences are scored by embedding similarity to the question (or its best-matching translation)
    plus shared keywords, so the model reads a few hundred tokens instead of whole chunks: on a CPU
    every prompt token costs time.
    """
    chunks = chunks[:max_passages]
    spans = [_sentences(c.text) for c in chunks]
    flat = [c.text[b:e] for c, ss in zip(chunks, spans) for b, e in ss]
    if not flat:
        return []
    queries = [question, *translations]
    vectors = embed_array(embedder, [*queries, *flat])
    similarity = (vectors[len(queries):] @ vectors[: len(queries)].T).max(axis=1)
    keywords = set(tokenize(" ".join(queries)))
    passages, offset = [], 0
    for rank, (chunk, sentence_spans) in enumerate(zip(chunks, spans)):
        scores = [float(similarity[offset + i]) + 0.05 * len(keywords & set(tokenize(chunk.text[b:e])))
                  for i, (b, e) in enumerate(sentence_spans)]
        offset += len(sentence_spans)
        if not sentence_spans:
            continue
        size = len(sentence_spans) if rank < whole else min(window, len(sentence_spans))
        top = max(range(len(sentence_spans)), key=scores.__getitem__)  # the window holds the best sentence
        candidates = range(max(0, top - size + 1), min(top, len(sentence_spans) - size) + 1)
        best = max(candidates, key=lambda i: sum(scores[i:i + size]))
        begin, end = sentence_spans[best][0], sentence_spans[best + size - 1][1]
        text = chunk.text[begin:end].strip()
        lead = len(chunk.text[begin:end]) - len(chunk.text[begin:end].lstrip())
        start = chunk.start + begin + lead
        passages.append(Passage(n=len(passages) + 1, chunk=chunk, text=text, start=start, end=start + len(text)))
    return passages


def format_passages(passages: list[Passage], language: str | None = None) -> str:
    """The numbered passages of the prompt; numbers of a passage in another language written as the answer's
    language writes them (see :mod:`qa.numbers`)."""
    blocks = []
    for p in passages:
        header = " — ".join(x for x in (p.chunk.title, p.chunk.source, p.chunk.date) if x)
        blocks.append(f"[{p.n}] ({header})\n{localize_numbers(p.text, p.chunk.lang, language or p.chunk.lang)}")
    return "\n\n".join(blocks)


def prompt_inputs(question: str, passages: list[Passage], language: str) -> dict:
    return {"passages": format_passages(passages, language), "question": question,
            "language": language_name(language)}


# ---------------------------------------------------------------- answer check


def finalize(question: str, raw: str, passages: list[Passage], language: str, *,
             standalone: str | None = None) -> Answer:
    """Turn the model's raw text into an :class:`Answer`: keep valid citations, check the facts
    against the cited passages, refuse when the model did or when the check fails."""
    def refused(unsupported: list[str] | None = None) -> Answer:
        return Answer(question=question, answer=refusal(language), language=language, refused=True,
                      standalone_question=standalone, unsupported=unsupported or [])

    if not passages or is_refusal(raw):
        return refused()
    numbers = {p.n for p in passages}
    cited = [n for n in cited_numbers(raw) if n in numbers]
    text = strip_citations(raw, numbers)
    if not cited:  # the model forgot to cite: attach the passage that shares the most words
        words = set(tokenize(text))
        best = max(passages, key=lambda p: len(words & set(tokenize(p.text))))
        cited = [best.n]
        text = f"{text} [{best.n}]"
    by_n = {p.n: p for p in passages}
    evidence = " ".join(by_n[n].text for n in cited)
    same_language = all(by_n[n].chunk.lang in (None, language) for n in cited)
    context = question + " " + (standalone or "")
    asked = set(re.findall(r"\w+", fold(context)))

    def translated(langs: set) -> set[str]:
        """Words of the question that no passage in these languages spells: the reader's words for what the
        passages say in theirs ("French" for "Françaises"). A name that one of them spells must be in the
        passage cited: it is what ties the answer to it."""
        spelled = " ".join(p.text for p in passages if p.chunk.lang in langs)
        return asked - set(re.findall(r"\w+", fold(spelled)))

    def setting(ns: list[int]) -> str:
        """The titles and the other passages of the cited passages' articles (where names may be found)."""
        articles = {by_n[n].chunk.article_id for n in ns}
        same = [p for p in passages if p.chunk.article_id in articles]
        return " ".join([p.chunk.title or "" for p in same] + [p.text for p in same if p.n not in ns])

    missing = unsupported_facts(text, evidence, context, check_names=same_language,
                                translated=translated({by_n[n].chunk.lang for n in cited}), setting=setting(cited))
    if missing:
        # not in what it cites: the model may have cited the wrong number; re-cite the one passage that
        # holds every fact, else refuse (facts picked from several unrelated passages are not an answer)
        holders = [p for p in passages
                   if not unsupported_facts(text, p.text, context, check_names=p.chunk.lang in (None, language),
                                            translated=translated({p.chunk.lang}), setting=setting([p.n]))]
        if not holders:
            return refused(missing)
        cited = [holders[0].n]
        text = strip_citations(text, set())
        text = f"{text} [{holders[0].n}]"
    sources = [Source(n=n, article_id=by_n[n].chunk.article_id, title=by_n[n].chunk.title, source=by_n[n].chunk.source,
                      date=by_n[n].chunk.date, url=by_n[n].chunk.url, lang=by_n[n].chunk.lang, quote=by_n[n].text,
                      start=by_n[n].start, end=by_n[n].end, chunk_id=by_n[n].chunk.id) for n in cited]
    return Answer(question=question, answer=text, sources=sources, language=language,
                  standalone_question=standalone)


def format_history(history: list[tuple[str, str]], turns: int = 3) -> str:
    lines = []
    for question, answer in history[-turns:]:
        lines.append(f"User: {question}")
        lines.append("Assistant: " + _CITATION_MARK.sub("", answer))
    return "\n".join(lines)
