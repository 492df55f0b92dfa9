"""``Assistant``: the one object a user needs. It builds the components (embedder, store, model) once
and offers the features: ingest, retrieve, ask, stream, summarize, and the LangChain chain."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from functools import cached_property
from pathlib import Path

from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from qa import prompts
from qa.answers import Answer, Passage, finalize, format_history, prompt_inputs, question_language, select_passages
from qa.embeddings import embedder_name, get_embedder
from qa.ingestion import IngestReport, ProgressCallback, ingest_paths
from qa.retrieval import Filters, hybrid_search
from qa.settings import Settings, get_settings
from qa.store import ArticleInfo, NoArticlesError, Store, StoredChunk

History = list[tuple[str, str]]


class Assistant:
    """Questions and summaries over the articles of one store.

    >>> assistant = Assistant()                       # default store, bundled local model
    >>> answer = assistant.ask("Qui a interrogé Stoltenberg ?")
    >>> answer.text, answer.sources
    """

    def __init__(self, settings: Settings | None = None, **overrides):
        base = settings or get_settings()
        self.settings = base.model_copy(update=overrides) if overrides else base
        self._translated: dict[tuple, list[str]] = {}

    # ------------------------------------------------------------ components (built once, lazily)
    @cached_property
    def embedder(self):
        s = self.settings
        return get_embedder(s.embedder, s.threads, s.embed_batch_size)

    @cached_property
    def store(self) -> Store:
        return Store(self.settings.store_dir, embedder_name(self.embedder))

    @cached_property
    def llm(self):
        from qa.llm import get_chat_model

        return get_chat_model(self.settings)

    # ------------------------------------------------------------ articles
    def ingest(self, paths: Iterable[str | Path], on_progress: ProgressCallback | None = None) -> IngestReport:
        return ingest_paths(paths, self.store, self.embedder, self.settings, on_progress=on_progress)

    def delete(self, article_id: str) -> bool:
        return self.store.delete(article_id)

    def articles(self) -> list[ArticleInfo]:
        return self.store.list_articles()

    # ------------------------------------------------------------ retrieval
    def retrieve(self, question: str, k: int | None = None, filters: Filters | None = None, *,
                 language: str | None = None, translations: list[str] | None = None) -> list[StoredChunk]:
        """The passages that bear on ``question``: dense + keyword search fused, plus, when the store
        holds articles in other languages, a translation of the question (half weight)."""
        if translations is None:
            translations = self.translate(question, language)
        return hybrid_search(self.store, self.embedder, question, k or self.settings.top_k, filters,
                             extra_queries=[(t, 0.5) for t in translations])

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
        chain = prompts.template("translate_query") | self.llm.bind(max_tokens=96) | StrOutputParser()
        out = []
        for lang in others:
            text = chain.invoke({"question": question, "language": prompts.language_name(lang)}).strip()
            if text and text.lower() != question.lower():
                out.append(text.split("\n")[0])
        return out

    # ------------------------------------------------------------ answers
    def _prepare(self, inputs: dict | str) -> dict:
        """Question (+ history, filters) → standalone question, language, retrieved passages."""
        if isinstance(inputs, str):
            inputs = {"question": inputs}
        question = inputs["question"].strip()
        if not question:
            raise ValueError("Empty question.")
        if self.store.count_articles() == 0:
            raise NoArticlesError(f"No articles in {self.store.directory} yet: add some first "
                                  "(python ingest.py PATH..., or the app's 'Add articles' tab).")
        history: History = inputs.get("history") or []
        filters = inputs.get("filters")
        if isinstance(filters, dict):
            filters = Filters(**filters)
        language = question_language(question, self.preferred_languages())
        standalone = self.condense(question, history) if history else question
        translations = self.translate(standalone, language)
        chunks = self.retrieve(standalone, k=max(self.settings.top_k, self.settings.context_passages),
                               filters=filters, translations=translations)
        passages = select_passages(standalone, chunks, self.embedder, max_passages=self.settings.context_passages,
                                   translations=translations)
        return {"question": question, "standalone": standalone, "language": language, "passages": passages,
                "started": inputs.get("started", time.perf_counter())}

    def condense(self, question: str, history: History) -> str:
        """A follow-up question rewritten to stand alone, using the conversation."""
        chain = prompts.template("condense_question") | self.llm.bind(max_tokens=96) | StrOutputParser()
        rewritten = chain.invoke({"history": format_history(history), "question": question}).strip()
        return rewritten.split("\n")[0].strip() or question

    def _answer_prompt_inputs(self, state: dict) -> dict:
        return prompt_inputs(state["standalone"], state["passages"], state["language"])

    def _finish(self, state: dict) -> Answer:
        answer = finalize(state["question"], state["raw"], state["passages"], state["language"],
                          standalone=state["standalone"] if state["standalone"] != state["question"] else None)
        answer.seconds = round(time.perf_counter() - state["started"], 3)
        return answer

    @cached_property
    def chain(self) -> Runnable:
        """The whole question-answering pipeline as a LangChain Runnable (invoke, stream, batch, ainvoke).

        Input: a question string or ``{"question": str, "history": [(q, a), ...], "filters": Filters}``.
        Output: :class:`Answer`.
        """
        generate = (RunnableLambda(self._answer_prompt_inputs) | prompts.chat("answer_system", "answer_user")
                    | self.llm | StrOutputParser())
        return (RunnableLambda(self._prepare) | RunnablePassthrough.assign(raw=generate)
                | RunnableLambda(self._finish)).with_config(run_name="newsdesk_qa")

    def ask(self, question: str, history: History | None = None, filters: Filters | None = None) -> Answer:
        from qa.llm import model_errors

        with model_errors(self.settings):
            return self.chain.invoke({"question": question, "history": history or [], "filters": filters})

    def stream(self, question: str, history: History | None = None,
               filters: Filters | None = None) -> Iterator[str | Answer]:
        """Yield the answer's text as the model writes it, then the checked :class:`Answer` last.

        The final Answer may differ from the streamed text: invalid citations are removed, and an
        answer whose facts are not in its passages is replaced by a refusal.
        """
        from qa.llm import model_errors

        with model_errors(self.settings):
            state = self._prepare({"question": question, "history": history or [], "filters": filters,
                                   "started": time.perf_counter()})
            prompt = prompts.chat("answer_system", "answer_user").invoke(self._answer_prompt_inputs(state))
            raw = []
            if state["passages"]:
                for chunk in self.llm.stream(prompt):
                    raw.append(chunk.content)
                    yield chunk.content
        state["raw"] = "".join(raw) or "NOT_FOUND"
        yield self._finish(state)

    def passages_for(self, question: str, filters: Filters | None = None) -> list[Passage]:
        """The numbered passages the model would read for ``question`` (for inspection and tests)."""
        return self._prepare({"question": question, "filters": filters})["passages"]

    # ------------------------------------------------------------ summaries (qa/summaries.py)
    def summarize(self, article_id: str, style: str = "short", language: str | None = None):
        """The :class:`qa.summaries.Summary` of a stored article: ``style`` is ``short`` (2-3 sentences,
        default), ``abstract`` (one sentence), ``paragraph`` or ``bullets``; ``language`` (ISO code or
        name) defaults to the article's. Stored with the article: asking again is instant."""
        from qa.llm import model_errors
        from qa.summaries import summarize

        with model_errors(self.settings):
            return summarize(self.store, self.llm, self.settings, article_id, style=style, language=language)

    def stream_summary(self, article_id: str, style: str = "short", language: str | None = None):
        """Yield the summary's text as the model writes it, then the checked Summary last."""
        from qa.llm import model_errors
        from qa.summaries import stream_summary

        with model_errors(self.settings):
            yield from stream_summary(self.store, self.llm, self.settings, article_id, style=style,
                                      language=language)

    def digest(self, article_ids: Iterable[str], language: str | None = None):
        """A :class:`qa.summaries.Digest` of several stored articles: what they say together and where
        they differ, each point cited [n] to its article."""
        from qa.llm import model_errors
        from qa.summaries import digest

        with model_errors(self.settings):
            return digest(self.store, self.llm, self.settings, article_ids, language=language)

    def summarize_all(self, style: str = "short", show_progress: bool = True):
        """Make (or find in the cache) the summary of every stored article, with a progress bar."""
        from qa.llm import model_errors
        from qa.summaries import summarize_all

        with model_errors(self.settings):
            return summarize_all(self.store, self.llm, self.settings, style=style, show_progress=show_progress)
