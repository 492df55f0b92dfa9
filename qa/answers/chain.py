"""The answer chain: a question's way to its checked :class:`~qa.answers.results.Answer`.

Prepare (the question made to stand alone, its language, its translations, the passages found), generate (the
model's reply, checked against its evidence, verified, asked again without a rejected sentence), finish (the
Answer: answered, unconfirmed or not found; see :mod:`qa.answers.checking`). ``Assistant.ask``,
``Assistant.stream``, ``Assistant.trace`` and the LangChain chain (``Assistant.chain``) all run these steps.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from functools import cached_property

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import BaseModel, ConfigDict, Field

from qa.models import prompts
from qa.answers.checking import (Checked, check, confirmed, finalize, needs_translation, parse_reply,
                                 verification_inputs)
from qa.answers.prompting import answer_schema, format_history, judge_input, number_sentences, prompt_inputs
from qa.answers.refusals import is_refusal
from qa.answers.results import Answer, Found
from qa.text.facts import unsupported_facts
from qa.text.language import question_language
from qa.models.llm import structured, yes_probability
from qa.retrieval.passages import Passage
from qa.retrieval.search import Filters
from qa.settings import Settings

History = list[tuple[str, str]]


class Asked(BaseModel):
    """A question on its way through the chain: what was asked, what was found, what the model said."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    question: str
    history: History = Field(default_factory=list)
    filters: Filters | None = None
    standalone: str = ""
    language: str = "en"
    translations: list[str] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    raw: str = ""
    checked: Checked = Field(default_factory=Checked)
    verified: float | None = None
    judged: dict[int, float] = Field(default_factory=dict)  # the judge's P(yes) of each passage, by number
    started: float = Field(default_factory=time.perf_counter)


class AnswerChain:
    """The steps from a question to its checked :class:`Answer`, over what its owner (an ``Assistant``) provides:
    its settings, its answer model and side model (translation, verification, the judge), and its own
    ``require_articles``, ``preferred_languages``, ``translate`` and ``retrieve``.

    Each is given as a function and called when a step needs it, never kept: the owner's settings, model and
    store may be replaced after the chain is made (a scripted model in a test, a store opened again), and
    nothing is built or loaded before a question needs it."""

    def __init__(self, settings: Callable[[], Settings], llm: Callable[[], BaseChatModel],
                 side_llm: Callable[[], BaseChatModel], *, require_articles: Callable[[], None],
                 preferred_languages: Callable[[], tuple[str, ...]],
                 translate: Callable[[str, str | None], list[str]], retrieve: Callable[..., list[Passage]]):
        self._settings, self._llm, self._side_llm = settings, llm, side_llm
        self._require_articles, self.preferred_languages = require_articles, preferred_languages
        self.translate, self.retrieve = translate, retrieve

    @property
    def settings(self) -> Settings:
        return self._settings()

    @property
    def llm(self) -> BaseChatModel:
        return self._llm()

    @property
    def side_llm(self) -> BaseChatModel:
        return self._side_llm()

    def _prepare(self, inputs: dict | str | Asked) -> Asked:
        """Question (+ history, filters) → standalone question, language, translations, passages."""
        if isinstance(inputs, str):
            inputs = {"question": inputs}
        asked = inputs if isinstance(inputs, Asked) else Asked(
            question=str(inputs.get("question", "")), history=inputs.get("history") or [],
            filters=Filters(**inputs["filters"]) if isinstance(inputs.get("filters"), dict) else inputs.get("filters"))
        asked.question = asked.question.strip()
        if not asked.question:
            raise ValueError("Empty question.")
        self._require_articles()
        asked.language = question_language(asked.question, self.preferred_languages())
        asked.standalone = self.condense(asked.question, asked.history) if asked.history else asked.question
        asked.translations = self.translate(asked.standalone, asked.language)
        asked.passages = self.retrieve(asked.standalone, filters=asked.filters, translations=asked.translations)
        return asked

    def condense(self, question: str, history: History) -> str:
        """A follow-up question rewritten to stand alone, using the conversation."""
        chain = prompts.template("condense_question") | self.llm.bind(max_tokens=96) | StrOutputParser()
        rewritten = chain.invoke({"history": format_history(history), "question": question}).strip()
        return rewritten.split("\n")[0].strip() or question

    def _answer_messages(self, asked: Asked):
        return prompts.chat("answer_system", "answer_user").invoke(
            prompt_inputs(asked.standalone, asked.passages, asked.language)).to_messages()

    def _answer_model(self, asked: Asked, allowed: list[int] | None = None):
        schema = answer_schema(len(number_sentences(asked.passages)), allowed)
        return structured(self.llm, schema, self.settings).bind(max_tokens=self.settings.answer_tokens)

    def _generate(self, asked: Asked) -> Asked:
        """Ask the model, check its reply; when the check or the verification rejects the evidence it
        named, ask again (``answer_attempts``) with those sentences ruled out by the schema. The prompt is
        the same, so llama.cpp reuses it whole: a second attempt costs only the reply and its check. An answer
        the verification doubts is confirmed when the judge's best passage is the one it cites."""
        if not asked.passages:
            return asked
        allowed = [s.number for s in number_sentences(asked.passages)]
        messages = self._answer_messages(asked)
        rejected: list[str] = []
        candidate = None  # the first answer whose facts hold but that is not confirmed: its passage is shown first
        for _ in range(self.settings.answer_attempts):
            asked.raw = str(self._answer_model(asked, allowed).invoke(messages).content)
            self._check(asked)
            reply = parse_reply(asked.raw)
            if not (asked.checked.chosen and confirmed(asked.checked, asked.verified, self.settings.verify_threshold)):
                self._judge(asked)  # only when the verification does not confirm: the judge is what decides then
            if asked.checked.chosen and confirmed(asked.checked, asked.verified, self.settings.verify_threshold,
                                                  asked.judged):
                return asked
            if asked.checked.chosen and candidate is None:
                candidate = (asked.raw, asked.checked, asked.verified)
            rejected += [fact for fact in asked.checked.unsupported if fact not in rejected]
            allowed = [n for n in allowed if n not in reply.sentences]
            if not reply.sentences or is_refusal(reply.answer) or not allowed:
                break  # the model's own refusal, or nothing left to choose from
        if candidate is not None:
            asked.raw, asked.checked, asked.verified = candidate
        asked.checked.unsupported = rejected
        self._judge(asked)  # what is shown now: the closest passages (the judge's best first), or nothing relevant
        return asked

    def _check(self, asked: Asked) -> Asked:
        """The fact check of the reply, then the model's probability that the evidence answers the question."""
        asked.checked = check(asked.question, parse_reply(asked.raw), asked.passages, asked.language,
                              standalone=asked.standalone if asked.standalone != asked.question else None)
        if needs_translation(asked.checked, asked.passages, asked.language):
            self._translate_answer(asked)
        langs = {p.chunk.lang for p in asked.passages if any(s.passage == p.n for s in asked.checked.chosen)}
        question = self._question_for(asked, langs)
        inputs = verification_inputs(question, asked.checked, asked.passages, asked.language)
        if inputs is not None and self.settings.verify_answers:
            messages = prompts.template("verify_answer").invoke(inputs).to_messages()
            asked.verified = round(yes_probability(self.side_llm, messages), 4)
        return asked

    def _question_for(self, asked: Asked, langs: set) -> str:
        """The question as the model is asked it about evidence in ``langs``: in the evidence's language when the
        question was translated into it (the small model judges a French question about an English sentence
        worse than the same question in English)."""
        return asked.translations[0] if asked.translations and asked.language not in langs else asked.standalone

    def _judge(self, asked: Asked) -> Asked:
        """The judge: the model's probability that each passage answers the question (``Asked.judged``), a
        second opinion on where the answer is (see :func:`qa.answers.checking.confirmed`). Asked only when the
        verification does not confirm an answer (it decides nothing otherwise): once per question."""
        if asked.judged or not (self.settings.judge_passages and asked.passages):
            return asked  # judged already, or nothing to judge
        # passages asked with the same question one after the other: llama.cpp reuses the question's prefix
        order = sorted(asked.passages, key=lambda p: self._question_for(asked, {p.chunk.lang}) != asked.standalone)
        # one after the other, also on a hosted endpoint: llama.cpp's Python server interrupts a request when the
        # next one comes
        for p in order:
            inputs = judge_input(self._question_for(asked, {p.chunk.lang}), p, asked.language)
            messages = prompts.template("judge_passage").invoke(inputs).to_messages()
            asked.judged[p.n] = round(yes_probability(self.side_llm, messages), 4)
        return asked

    def _translate_answer(self, asked: Asked) -> None:
        """An answer copied from a sentence in another language, in the question's language (kept as it is
        when the translation loses one of its numbers or names)."""
        chain = prompts.template("translate_answer") | self.side_llm.bind(max_tokens=80) | StrOutputParser()
        text = chain.invoke({"text": asked.checked.text, "language": prompts.language_name(asked.language)})
        text = text.strip().strip('"«»“” ').split("\n")[0].strip()
        if text and not unsupported_facts(text, asked.checked.text, check_names=False):
            asked.checked.text = text

    def _finish(self, asked: Asked) -> Answer:
        answer = finalize(asked.question, asked.checked, asked.passages, asked.language, verified=asked.verified,
                          standalone=asked.standalone if asked.standalone != asked.question else None,
                          threshold=self.settings.verify_threshold, judged=asked.judged,
                          phrasings=asked.translations)
        answer.seconds = round(time.perf_counter() - asked.started, 3)
        return answer

    @cached_property
    def chain(self) -> Runnable:
        """The whole question-answering pipeline as a LangChain Runnable (invoke, stream, batch, ainvoke).

        Input: a question string or ``{"question": str, "history": [(q, a), ...], "filters": Filters}``.
        Output: :class:`Answer`.
        """
        return (RunnableLambda(self._prepare) | RunnableLambda(self._generate)
                | RunnableLambda(self._finish)).with_config(run_name="newsdesk_qa")

    def stream(self, question: str, history: History | None = None,
               filters: Filters | None = None) -> Iterator[Found | Answer]:
        """Yield what was found first (:class:`~qa.answers.results.Found`: the passages the model is about to read),
        then the checked :class:`Answer`."""
        asked = self._prepare(Asked(question=question, history=history or [], filters=filters))
        yield Found(question=asked.question, language=asked.language, passages=asked.passages)
        yield self._finish(self._generate(asked))

    def trace(self, question: str, history: History | None = None,
              filters: Filters | None = None) -> tuple[Answer, Asked]:
        """The answer with what led to it (passages read, the judge's probabilities, the model's reply and its
        check)."""
        asked = self._generate(self._prepare(Asked(question=question, history=history or [], filters=filters)))
        return self._finish(asked), asked


__all__ = ["AnswerChain", "Asked", "History"]
