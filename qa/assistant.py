"""``Assistant``: the one object a user needs. It builds the components (embedder, store, model) once
and offers the features: ingest, retrieve, ask, stream, summarize, and the LangChain chain."""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from pathlib import Path

from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable

from qa.models import prompts
from qa.answers.chain import AnswerChain, Asked, History
from qa.answers.results import Answer, Found
from qa.store.articles import Article, StoredChunk
from qa.models.embeddings import embedder_name, get_embedder
from qa.ingest.ingestion import IngestReport, ProgressCallback, ingest_files, ingest_paths, ingest_urls, rebuild
from qa.text.language import question_language
from qa.models.llm import LocalChatModel, get_chat_model, model_errors, model_label
from qa.retrieval.passages import Passage, evidence_passages, with_versions
from qa.retrieval.search import Filters, hybrid_search
from qa.settings import Settings, get_settings
from qa.store.catalog import ArticleInfo
from qa.store.errors import NoArticlesError
from qa.store.store import Store


def _model_call(method: Callable) -> Callable:
    """Run ``method`` (a function or a generator) with a hosted endpoint's failures turned into one clear
    :class:`~qa.models.llm.ModelUnavailableError` (see :func:`qa.models.llm.model_errors`)."""
    if inspect.isgeneratorfunction(method):
        @functools.wraps(method)
        def generator(self, *args, **kwargs):
            with model_errors(self.settings):
                yield from method(self, *args, **kwargs)
        return generator

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        with model_errors(self.settings):
            return method(self, *args, **kwargs)
    return call


class Assistant:
    """Questions and summaries over the articles of one store.

    >>> assistant = Assistant()                       # default store, bundled local model
    >>> answer = assistant.ask("Qui a interrogé Stoltenberg ?")
    >>> answer.text, answer.sources
    """

    def __init__(self, settings: Settings | None = None, *, create: bool = True, **overrides):
        """``overrides`` are settings fields (``store_dir=``, ``bundled_model=``...); ``create=False`` refuses to
        create a store that does not exist yet (for commands that only read)."""
        base = settings or get_settings()
        self.settings = base.model_copy(update=overrides) if overrides else base
        self._create = create
        self._translated: dict[tuple, list[str]] = {}

    # ------------------------------------------------------------ components (built once, lazily)
    @cached_property
    def embedder(self):
        s = self.settings
        return get_embedder(s.embedder, s.threads, s.embed_batch_size, base_url=s.embeddings_base_url,
                            api_key=s.embeddings_api_key or s.openai_api_key, timeout=s.request_timeout,
                            max_retries=s.embeddings_max_retries)

    @cached_property
    def store(self) -> Store:
        return Store(self.settings.store_dir, embedder_name(self.embedder), create=self._create,
                     server=self.settings.chroma_url)

    @cached_property
    def llm(self):
        return get_chat_model(self.settings)

    @cached_property
    def side_llm(self):
        """The model for short side calls (translation, verification): locally a second small llama.cpp
        context on the same weights, so that the answer prompt's system prompt stays cached."""
        if isinstance(self.llm, LocalChatModel):
            return get_chat_model(self.settings, slot="side", n_ctx=1024)
        return self.llm

    def model_label(self) -> str:
        """The configured language model as a person reads it (name, and where it runs); loads nothing."""
        return model_label(self.settings)

    def stats(self) -> dict:
        """The store's folder, embedder, article and chunk counts, and the model's label."""
        return {**self.store.stats(), "llm": self.model_label()}

    # ------------------------------------------------------------ articles
    def ingest(self, paths: Iterable[str | Path], on_progress: ProgressCallback | None = None,
               limit: int | None = None) -> IngestReport:
        """Ingest files and folders (recursively); ``limit`` stops after that many articles.
        ``on_progress(done, total, title)`` is called after each article."""
        return ingest_paths(paths, self.store, self.embedder, self.settings, on_progress=on_progress, limit=limit)

    def ingest_files(self, files: Iterable[tuple[str | Path, str]],
                     on_progress: ProgressCallback | None = None) -> IngestReport:
        """Ingest uploaded files, each given as (its temporary path, the name the user knows it by)."""
        return ingest_files([(Path(path), name) for path, name in files], self.store, self.embedder, self.settings,
                            on_progress=on_progress)

    def ingest_urls(self, urls: Iterable[str], on_progress: ProgressCallback | None = None) -> IngestReport:
        """Ingest web pages and RSS/Atom feeds (a feed: the pages of its items). A re-run fetches only what
        changed (ETag / Last-Modified, items seen); robots.txt, a per-site delay and the size limit are kept."""
        return ingest_urls(list(urls), self.store, self.embedder, self.settings, on_progress=on_progress)

    def rebuild(self, on_progress: ProgressCallback | None = None) -> IngestReport:
        """Re-embed every stored article with the configured embedder (after changing ``QA_EMBEDDER``)."""
        if "store" not in self.__dict__:  # a store built by another embedder may be opened to be rebuilt
            self.__dict__["store"] = Store(self.settings.store_dir, embedder_name(self.embedder),
                                           create=self._create, check_embedder=False, server=self.settings.chroma_url)
        return rebuild(self.store, self.embedder, self.settings, embedder_name(self.embedder),
                       on_progress=on_progress)

    def reopen(self) -> Store:
        """Open the store again (after its files were changed by another hand: a repair, a restore)."""
        old = self.__dict__.pop("store", None)
        if old is not None:
            old.close()
        return self.store

    def delete(self, article_id: str) -> bool:
        """Remove an article, its chunks and its summaries; False when there was none with that id."""
        return self.store.delete(article_id)

    def articles(self, search: str | None = None) -> list[ArticleInfo]:
        """The stored articles, newest first; with ``search``, those about it, best first, each with its
        matching ``sentence`` (:func:`qa.retrieval.library.search_articles`)."""
        from qa.retrieval.library import search_articles

        return search_articles(self.store, self.embedder, search) if search and search.strip() else \
            self.store.list_articles()

    def languages(self) -> dict[str, int]:
        """The stored articles' languages with their counts, most common first."""
        return self.store.languages()

    def article(self, article_id: str) -> Article | None:
        """The stored article (its full text and metadata), or None."""
        return self.store.get_article(article_id)

    def versions(self, article_id: str) -> list[ArticleInfo]:
        """Every version of the article's story (wire copies of one another, itself included) in the order they
        were stored; empty when the article is not stored."""
        story = self.store.stories_of([article_id]).get(article_id)
        return self.store.story_members([story.story]).get(story.story, []) if story else []

    # ------------------------------------------------------------ retrieval
    def search(self, question: str, k: int | None = None, filters: Filters | None = None, *,
               translations: list[str] = (), depth: int | None = None) -> list[StoredChunk]:
        """Candidate chunks: dense + keyword search fused, with the question's translations (half weight)."""
        return hybrid_search(self.store, self.embedder, question, k or self.settings.candidates, filters,
                             extra_queries=[(t, 0.5) for t in translations],
                             depth=depth or self.settings.search_depth)

    def retrieve(self, question: str, k: int | None = None, filters: Filters | None = None, *,
                 language: str | None = None, translations: list[str] | None = None) -> list[Passage]:
        """What the model reads for ``question``, best first: short passages (the best sentences of the
        candidate chunks, each with the sentence before it), with their article and offsets. When the
        store holds articles in another language, the question is also searched in translation."""
        if translations is None:
            translations = self.translate(question, language)
        chunks = self.search(question, filters=filters, translations=translations)
        passages = evidence_passages(question, chunks, self.embedder, k=k or self.settings.context_passages,
                                     translations=translations, before=self.settings.passage_before,
                                     after=self.settings.passage_after)
        return with_versions(self.store, passages)  # a story's other versions: "also published by"

    def translate(self, question: str, language: str | None = None) -> list[str]:
        """The question in the collection's main other language, when it has one (and translation is on)."""
        if not self.settings.translate_queries:
            return []
        language = language or question_language(question, self.preferred_languages())
        return self._translations(question, language)

    def preferred_languages(self) -> tuple[str, ...]:
        """The collection's languages, most common first, then English and French."""
        return tuple(dict.fromkeys([*list(self.store.languages())[:3], "en", "fr"]))

    def _translations(self, question: str, language: str) -> list[str]:
        others = [lang for lang, count in self.store.languages().items()
                  if lang != language and lang in prompts.LANGUAGE_NAMES][:1]
        key = (question, language, tuple(others))
        if key not in self._translated:  # a question asked again (retry, evaluation) is not translated again
            if len(self._translated) > 256:
                self._translated.clear()
            self._translated[key] = self._translate_into(question, others)
        return list(self._translated[key])

    def _translate_into(self, question: str, others: list[str]) -> list[str]:
        chain = prompts.template("translate_query") | self.side_llm.bind(max_tokens=96) | StrOutputParser()
        out = []
        for lang in others:
            text = chain.invoke({"question": question, "language": prompts.language_name(lang)}).strip()
            text = text.strip('"«»“” ').split("\n")[0].strip()
            if text and text.lower() != question.lower() and not text.startswith("{"):
                out.append(text)
        return out

    # ------------------------------------------------------------ answers
    def _require_articles(self) -> None:
        """A :class:`NoArticlesError` that says how to add some, when the store holds no article."""
        if self.store.count_articles() == 0:
            raise NoArticlesError(f"No articles in {self.store.location} yet: add some first "
                                  "(python ingest.py PATH..., or the app's 'Add articles' tab).")

    @cached_property
    def _answers(self) -> AnswerChain:
        """The answer chain (:class:`qa.answers.chain.AnswerChain`), reading this assistant's settings, models and
        retrieval when it needs them."""
        # looked up on each call: a method replaced on this assistant or its class is the one the chain calls
        return AnswerChain(lambda: self.settings, lambda: self.llm, lambda: self.side_llm,
                           require_articles=lambda: self._require_articles(),
                           preferred_languages=lambda: self.preferred_languages(),
                           translate=lambda *args, **kwargs: self.translate(*args, **kwargs),
                           retrieve=lambda *args, **kwargs: self.retrieve(*args, **kwargs))

    def condense(self, question: str, history: History) -> str:
        """A follow-up question rewritten to stand alone, using the conversation."""
        return self._answers.condense(question, history)

    @cached_property
    def chain(self) -> Runnable:
        """The whole question-answering pipeline as a LangChain Runnable (invoke, stream, batch, ainvoke).

        Input: a question string or ``{"question": str, "history": [(q, a), ...], "filters": Filters}``.
        Output: :class:`Answer`.
        """
        return self._answers.chain

    @_model_call
    def ask(self, question: str, history: History | None = None, filters: Filters | None = None) -> Answer:
        return self.chain.invoke({"question": question, "history": history or [], "filters": filters})

    @_model_call
    def stream(self, question: str, history: History | None = None,
               filters: Filters | None = None) -> Iterator[Found | Answer]:
        """Yield what was found first (:class:`~qa.answers.results.Found`: the passages the model is about to read),
        then the checked :class:`Answer`. The answer is shown only once checked: nothing shown is taken back."""
        yield from self._answers.stream(question, history, filters)

    @_model_call
    def trace(self, question: str, history: History | None = None,
              filters: Filters | None = None) -> tuple[Answer, Asked]:
        """The answer with what led to it (passages read, the judge's probabilities, the model's reply and its
        check): what ``python -m qa eval`` reads to say at which stage an answer failed."""
        return self._answers.trace(question, history, filters)

    # ------------------------------------------------------------ summaries (qa/summaries/)
    @_model_call
    def summarize(self, article_id: str, style: str = "short", language: str | None = None):
        """The :class:`qa.summaries.Summary` of a stored article: ``style`` is ``short`` (2-3 sentences,
        default), ``abstract`` (one sentence), ``paragraph`` or ``bullets``; ``language`` (ISO code or
        name) defaults to the article's. Stored with the article: asking again is instant."""
        from qa.summaries import summarize

        return summarize(self.store, self.llm, self.settings, article_id, style=style, language=language)

    @_model_call
    def stream_summary(self, article_id: str, style: str = "short", language: str | None = None):
        """Yield the summary's text as the model writes it, then the checked Summary last."""
        from qa.summaries import stream_summary

        yield from stream_summary(self.store, self.llm, self.settings, article_id, style=style, language=language)

    def cached_summary(self, article_id: str, style: str = "short", language: str | None = None):
        """The summary made before for this article, style and language, or None; never calls the model."""
        from qa.summaries import cached_summary

        return cached_summary(self.store, self.settings, article_id, style=style, language=language)

    @_model_call
    def digest(self, article_ids: Iterable[str], language: str | None = None):
        """A :class:`qa.summaries.Digest` of several stored articles: what they say together and where
        they differ, each point cited [n] to its article."""
        from qa.summaries import digest

        return digest(self.store, self.llm, self.settings, article_ids, language=language)

    @_model_call
    def summarize_all(self, style: str = "short", show_progress: bool = True):
        """Make (or find in the cache) the summary of every stored article, with a progress bar."""
        from qa.summaries import summarize_all

        return summarize_all(self.store, self.llm, self.settings, style=style, show_progress=show_progress)

    # ------------------------------------------------------------ story timeline (qa/news/timeline/)
    @_model_call
    def timeline(self, query: str, language: str | None = None, filters: Filters | None = None,
                 on_progress: Callable[[int, int], None] | None = None):
        """The :class:`qa.news.timeline.Timeline` of a subject ("Carlos Ghosn", "l'incendie de Notre-Dame"): the
        dated events the stored articles report about it, oldest first, each one short sentence in
        ``language`` (ISO code or name; default: the query's, or for a bare name the collection's main one)
        cited to its sentence, its date and numbers checked against its passage. One short model call per
        article read (every article that names the subject, up to ``QA_TIMELINE_MAX_ARTICLES``);
        ``on_progress(done, total)`` is called before each and at the end."""
        from qa.summaries import language_code
        from qa.news.timeline import make_timeline, subject_language

        query = (query or "").strip()
        if not query:
            raise ValueError("Empty subject: say what the timeline is about (a person, a place, an event).")
        self._require_articles()
        language = language_code(language) or subject_language(query, self.preferred_languages())
        translations = self.translate(query, language)
        chunks = self.search(query, k=max(self.settings.candidates, 4 * self.settings.timeline_max_articles),
                             filters=filters, translations=translations)
        return make_timeline(query, language, chunks, self.store, self.embedder, self.llm, self.settings,
                             translations=translations, on_progress=on_progress)

    # ------------------------------------------------------------ who said what (qa/news/quotes/)
    def quotes(self, person: str, words: list[str] | None = None,
               on_progress: Callable[[int, int], None] | None = None):
        """The :class:`qa.news.quotes.Quotes` of ``person`` (a name or a surname alone, accents and case aside): their
        direct quotations in the stored articles, newest first, one per story; ``words`` keeps those holding them.
        Patterns, no model: found on demand in a few seconds at most."""
        from qa.news.quotes import find_quotes

        self._require_articles()
        return find_quotes(self.store, person, words, on_progress=on_progress)
    # ------------------------------------------------------------ checking a draft (qa/news/factcheck.py)
    @_model_call
    def stream_check(self, text: str):
        """Yield each sentence of ``text`` with its verdict (:class:`qa.news.factcheck.CheckedSentence`), in order."""
        from qa.news.factcheck import check_sentences, draft_spans

        draft_spans(text, self.settings.max_check_sentences)  # an empty or too long draft: said before any search
        self._require_articles()
        yield from check_sentences(self, text)

    @_model_call
    def check(self, text: str, on_progress: Callable[[int, int], None] | None = None):
        """Check a draft against the stored articles: each sentence ``supported``, ``contradicted``, ``not_found``
        or ``no_claim``, with the article sentences cited (:class:`qa.news.factcheck.DraftCheck`)."""
        from qa.news.factcheck import DraftCheck, draft_spans

        began, total, out = time.perf_counter(), len(draft_spans(text, self.settings.max_check_sentences)), []
        for checked in self.stream_check(text):
            out.append(checked)
            if on_progress:
                on_progress(len(out), total)
        return DraftCheck(sentences=out, seconds=round(time.perf_counter() - began, 3))

    # ------------------------------------------------------------ briefing a subject (qa/news/briefing.py)
    @_model_call
    def brief(self, subject: str, language: str | None = None, *, events: bool = True,
              on_progress: Callable[[int, int], None] | None = None):
        """A :class:`qa.news.briefing.Brief` of a person, organisation, place or event: the stories about it, an
        overview, key facts, who is who and (``events``) the dated events, every line cited [n] to a passage."""
        from qa.news.briefing import make_brief
        from qa.summaries import language_code

        subject = (subject or "").strip()
        if not subject:
            raise ValueError("Empty subject: say who or what the brief is about (a person, a place, an event).")
        self._require_articles()
        language = language_code(language) or question_language(subject, self.preferred_languages())
        return make_brief(self, subject, language, events=events, on_progress=on_progress)
