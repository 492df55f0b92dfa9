"""The summariser: one chat model turns an article's text into a checked summary (no store involved).

It plans the calls within the model's context (one call, or map-reduce over sections), streams the
final step, checks the result against the article and, when nothing survives the check, asks once more
with a reminder before falling back on the article's lead sentences.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator
from functools import cache

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from qa.models import prompts
from qa.text.instructions import without_instructions
from qa.text.numbers import localize_numbers
from qa.text.sentences import sentences
from qa.settings import Settings
from qa.summaries.results import DEFAULT_STYLE, Summary, check_style, language_code
from qa.summaries.entities import ArticleNames, article_names
from qa.summaries.review import Review, Reviewer
from qa.summaries.units import (
    Evidence,
    check_units,
    clean_output,
    join_units,
    lead_sentences,
)

# Most tokens each step may write.
MAX_TOKENS = {"short": 200, "abstract": 96, "paragraph": 380, "bullets": 320, "map": 260, "names": 200}
MARGIN = 48  # tokens kept free for the chat template and rounding
MESSAGE_OVERHEAD = 6  # tokens the chat template adds around each message
REGENERATION_TEMPERATURE = 0.3  # the second try must not repeat the first one word for word
_EXAMPLES_PREFIX = "summary_examples_"  # prompts/summary_examples_<style>_<lang>.txt: few-shot pairs


def _format(name: str, **values) -> str:
    return prompts.load(name).format(**values)


def reminder(language: str, source: str = "article") -> str:
    """What a second try adds to its instruction (``prompts/summary_reminder.txt``): the language, and
    facts only from the ``source`` ("article", or "articles" for a digest)."""
    return _format("summary_reminder", language=prompts.language_name(language), source=source)


@cache
def _examples(style: str, language: str) -> tuple[tuple[str, str], ...]:
    """Few-shot (article, summary) pairs from ``prompts/summary_examples_<style>_<lang>.txt``, if any.

    The file holds blocks ``=== article`` / ``=== summary``; lines starting with ``#`` are comments.
    """
    path = prompts.PROMPTS_DIR / f"{_EXAMPLES_PREFIX}{style}_{language}.txt"
    if not path.exists():
        return ()
    pairs, current, key = [], {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        if line.startswith("=== "):
            key = line[4:].strip()
            if key == "article" and current:
                pairs.append((current.get("article", "").strip(), current.get("summary", "").strip()))
                current = {}
            current[key] = ""
            continue
        if key:
            current[key] += line + "\n"
    if current:
        pairs.append((current.get("article", "").strip(), current.get("summary", "").strip()))
    return tuple(p for p in pairs if p[0] and p[1])


class Summarizer:
    """Summaries of article texts with one chat model; no store involved (see :func:`qa.summaries.summarize`).

    Its model-call methods (:meth:`messages`, :meth:`count_messages`, :meth:`fits`, :meth:`call`,
    :meth:`stream`) are public: the digest plans and makes its own call with them."""

    def __init__(self, llm, settings: Settings):
        self.llm, self.settings = llm, settings
        counter = getattr(llm, "count_tokens", None)
        if counter is None:  # a model without its own tokenizer (a remote one, a test's): tiktoken counts
            from qa.text.tokens import count_tokens

            def counter(text: str) -> int:
                return count_tokens(text, settings.encoding)
        self.count: Callable[[str], int] = counter
        self.calls = 0  # model calls since the last run() began

    # ------------------------------------------------------------ model calls
    def stream(self, messages: list[BaseMessage], max_tokens: int, temperature: float | None = None) -> Iterator[str]:
        """The model's answer to ``messages``, piece by piece as it writes (one call, counted in ``calls``)."""
        options = {"max_tokens": max_tokens}
        if temperature is not None:
            options["temperature"] = temperature
        self.calls += 1
        for chunk in self.llm.bind(**options).stream(messages):
            if chunk.content:
                yield chunk.content

    def call(self, messages: list[BaseMessage], max_tokens: int, temperature: float | None = None) -> str:
        """The model's whole answer to ``messages``."""
        return "".join(self.stream(messages, max_tokens, temperature))

    def messages(self, user: str, examples: Iterable[tuple[str, str]] = ()) -> list[BaseMessage]:
        """The summary system prompt, the few-shot (user, answer) ``examples``, then ``user``."""
        messages: list[BaseMessage] = [SystemMessage(prompts.load("summary_system"))]
        for article, answer in examples:
            messages += [HumanMessage(article), AIMessage(answer)]
        messages.append(HumanMessage(user))
        return messages

    def count_messages(self, messages: list[BaseMessage]) -> int:
        """The tokens ``messages`` take in the model's context, chat template included."""
        return sum(self.count(str(m.content)) + MESSAGE_OVERHEAD for m in messages)

    def fits(self, messages: list[BaseMessage], max_tokens: int) -> bool:
        """Whether ``messages`` and an answer of ``max_tokens`` fit the model's context."""
        return self.count_messages(messages) + max_tokens + MARGIN <= self.settings.n_ctx

    # ------------------------------------------------------------ planning
    @staticmethod
    def article_block(title: str | None, text: str, date: str | None = None) -> str:
        """The article as the model reads it (and as the check reads it): title and date, then the text."""
        head = "\n".join(x for x in (f"Title: {title}" if title else "", f"Date: {date}" if date else "") if x)
        return f"{head}\n\n{text}" if head else text

    def _instruction(self, style: str, language: str, remind: bool = False) -> str:
        text = _format(f"summary_{style}", language=prompts.language_name(language))
        return f"{text} {reminder(language)}" if remind else text

    def _example_messages(self, style: str, language: str) -> list[tuple[str, str]]:
        out = []
        for article, answer in _examples(style, language):
            out.append((_format("summary_article", article=article, instruction=self._instruction(style, language)),
                        answer))
        return out

    def split(self, text: str, budget: int) -> list[str]:
        """Cut ``text`` on sentence boundaries into the fewest balanced sections of at most ``budget`` tokens."""
        pieces: list[tuple[str, int]] = []
        for sentence in sentences(text):
            n = self.count(sentence)
            if n <= budget:
                pieces.append((sentence, n))
                continue
            words, current = sentence.split(), []
            for word in words:  # a sentence longer than a section (rare): cut between words
                current.append(word)
                if self.count(" ".join(current)) >= budget * 0.9:
                    pieces.append((" ".join(current), self.count(" ".join(current))))
                    current = []
            if current:
                pieces.append((" ".join(current), self.count(" ".join(current))))
        total = sum(n + 1 for _, n in pieces)
        target = total / max(1, math.ceil(total / budget))
        sections, current, size = [], [], 0
        for sentence, n in pieces:
            if current and (size + n > budget or size + n / 2 > target):
                sections.append(" ".join(current))
                current, size = [], 0
            current.append(sentence)
            size += n + 1
        if current:
            sections.append(" ".join(current))
        return sections

    # ------------------------------------------------------------ the pipeline
    def run(self, *, title: str | None, text: str, lang: str | None, style: str = DEFAULT_STYLE,
            language: str | None = None, date: str | None = None, article_id: str = "",
            model: str = "", cached_names: str | None = None,
            remember_names: Callable[[str], None] | None = None) -> Iterator[str | Summary]:
        """Yield the final step's text as the model writes it, then the checked :class:`Summary` last.

        The Summary may differ from the streamed text: units with unsupported facts or untranslated words
        are removed, and a summary that lost every unit, left a word untranslated or missed the title's
        facts is generated again once (not streamed; :mod:`.review`). ``cached_names``: the article's
        names as translated into ``language`` before (the model's lines); ``remember_names`` is given a
        new translation to cache."""
        started = time.perf_counter()
        self.calls = 0
        style = check_style(style)
        lang = lang or "en"
        language = language_code(language) or lang
        max_tokens = MAX_TOKENS[style]
        text = without_instructions(text)  # a sentence addressed to a model is not part of the article's story
        prompt_text = localize_numbers(text, lang, language)  # "2 763" read as "2,763" for an English summary
        article = self.article_block(title, prompt_text, date)
        instruction = self._instruction(style, language)

        # one call when the article fits, with the few-shot examples when they fit too
        sections = [article]
        messages = None
        for examples in (self._example_messages(style, language), []):
            candidate = self.messages(_format("summary_article", article=article, instruction=instruction), examples)
            if self.fits(candidate, max_tokens):
                messages = candidate
                break
        if messages is None:  # map-reduce
            notes, sections = self._map(title, prompt_text, date, lang)
            messages = self.messages(self._reduce_prompt(title, notes, instruction))
            if not self.fits(messages, max_tokens):
                notes = self._condense(title, notes, lang, self.settings.n_ctx - max_tokens - MARGIN
                                       - self.count_messages(self.messages(self._reduce_prompt(title, [], instruction))))
                messages = self.messages(self._reduce_prompt(title, notes, instruction))

        raw = []
        for piece in self.stream(messages, max_tokens):
            raw.append(piece)
            yield piece
        reviewer = Reviewer(article=article, title=title, text=prompt_text, style=style, language=language, lang=lang,
                            names=ArticleNames(article, article_names(title, prompt_text, lang), cached=cached_names,
                                               translate=lambda names: self.translate_names(names, lang, language),
                                               remember=remember_names, language=language))
        review = reviewer("".join(raw))
        regenerated = extractive = False
        if review.needs_retry:  # once, with the reminder and what to fix; the better of the two is kept
            regenerated = True
            fixes = f"{self._instruction(style, language, remind=True)} {reviewer.fixes(review)}".strip()
            retry = messages[:-1] + [HumanMessage(str(messages[-1].content).replace(instruction, fixes))]
            second = reviewer(self.call(retry, max_tokens, REGENERATION_TEMPERATURE))
            found = ([*review.removed, *(m for m in second.removed if m not in review.removed)],
                     [*review.untranslated, *(w for w in second.untranslated if w not in review.untranslated)])
            review = max((review, second), key=Review.rank) if review.units else second
            review.removed, review.untranslated = found  # what either try wrote and the review took out
        units = review.units
        if not units and language != lang:  # key points that are not sentences beat the article's own language
            units = reviewer.fallback(review)
        if not units:
            extractive = True
            units = lead_sentences(text, style)
        yield Summary(
            article_id=article_id, title=title or "", summary=join_units(units, style), language=language,
            style=style, model=model, sections=len(sections), calls=self.calls, unsupported=review.removed,
            untranslated=review.untranslated, missing=review.missing, regenerated=regenerated,
            extractive=extractive, seconds=round(time.perf_counter() - started, 3))

    def translate_names(self, names: list[str], lang: str, language: str) -> str:
        """The model's ``name => forms`` lines for the ``names`` that ``language`` writes differently
        (``prompts/summary_entities.txt``): one short call, on demand (see :class:`.entities.ArticleNames`)."""
        user = _format("summary_entities", source=prompts.language_name(lang), language=prompts.language_name(language),
                       names="\n".join(names))
        return self.call(self.messages(user), MAX_TOKENS["names"])

    # ------------------------------------------------------------ map-reduce (articles longer than the context)
    def _reduce_prompt(self, title: str | None, notes: list[str], instruction: str) -> str:
        return _format("summary_reduce", title=f' "{title}"' if title else "", notes="\n\n".join(notes),
                       instruction=instruction)

    def _map_prompt(self, section: str, part: int, parts: int, lang: str) -> list[BaseMessage]:
        instruction = _format("summary_map", part=part, parts=parts, language=prompts.language_name(lang))
        return self.messages(_format("summary_article", article=section, instruction=instruction))

    def _section_budget(self, head: str, lang: str) -> int:
        """Tokens of article one map prompt can hold besides ``head`` (the title and date, or nothing)."""
        overhead = self.count_messages(self._map_prompt(head, 99, 99, lang))
        return max(128, self.settings.n_ctx - MAX_TOKENS["map"] - MARGIN - overhead)

    def _map(self, title: str | None, text: str, date: str | None, lang: str) -> tuple[list[str], list[str]]:
        """Notes on each section of a long article (in the article's language), checked like a summary."""
        sections = self.split(text, self._section_budget(self.article_block(title, "", date), lang))
        evidence = Evidence(self.article_block(title, text, date))
        notes = []
        for i, section in enumerate(sections, 1):
            head = self.article_block(title, section, date) if i == 1 else section
            units = clean_output(self.call(self._map_prompt(head, i, len(sections), lang), MAX_TOKENS["map"]), "map")
            kept, _ = check_units(units, evidence, same_language=True)
            notes.append(join_units(kept or lead_sentences(section, "bullets"), "map"))
        return notes, sections

    def _condense(self, title: str | None, notes: list[str], lang: str, budget: int) -> list[str]:
        """Notes too long for the reduce prompt: condense groups of them until they fit."""
        for _ in range(4):
            if sum(self.count(n) for n in notes) <= budget or len(notes) == 1:
                return notes
            groups = self.split("\n\n".join(notes), self._section_budget("", lang))
            notes = [join_units(clean_output(self.call(self._map_prompt(g, i, len(groups), lang),
                                                       MAX_TOKENS["map"]), "map"), "map")
                     for i, g in enumerate(groups, 1)]
        return notes
