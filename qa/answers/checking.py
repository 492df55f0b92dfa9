"""Grounded answers: evidence first, then a short answer, then checks.

The model reads a few short passages whose sentences are numbered (:mod:`qa.answers.prompting`), and
writes JSON (constrained by a JSON schema: llama.cpp's grammar locally, ``response_format`` on a hosted
endpoint): the numbers of the sentences that state the answer, then the answer. The sentences are the
article's own text, so the evidence is verbatim by construction. Then:

1. the answer's numbers and names must be in the chosen sentences (their article for names), see
   :func:`qa.text.facts.unsupported_facts`;
2. a short yes/no question to the model, "does this sentence answer the question?" (its probability
   of "yes" against :data:`VERIFY_THRESHOLD`);
3. the judge: the same yes/no question asked of every passage, one probability each (see
   :func:`qa.answers.prompting.judge_input`). Its best passage is a second opinion on where the answer is.

Three outcomes (:attr:`qa.answers.results.Answer.status`): ``answered`` (cited), ``unconfirmed`` (passages
were found but no answer is confirmed: the closest passages are shown as sources so the reader can judge)
and ``not_found`` (nothing relevant was found).

The steps are plain functions over plain data, so that ``Assistant.ask``, ``Assistant.stream`` and
the LangChain chain (``Assistant.chain``) run exactly the same logic (:class:`qa.answers.chain.AnswerChain`).
"""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, Field

from qa.text.citations import CITATION, numbered_as_shown
from qa.text.facts import names_in, unsupported_facts
from qa.text.language import fold
from qa.text.numbers import localize_numbers
from qa.models.prompts import refusal, unconfirmed
from qa.retrieval.passages import Passage
from qa.answers.prompting import Numbered, number_sentences
from qa.answers.refusals import is_refusal, off_target
from qa.answers.results import Answer, Source

# below this probability of "yes" from the verification question, the answer is refused (tuned on
# data/eval/questions.jsonl: see docs/benchmarks.md)
VERIFY_THRESHOLD = 0.6
# a question none of whose passages the judge gives this probability of answering it finds nothing relevant
# ("the articles don't say"); above it, an answer that is not confirmed shows the closest passages
RELEVANT_THRESHOLD = 0.2
# the judge's best passage confirms an answer that cites it when the judge gives it at least this
JUDGE_AGREES = 0.5
# the closest passages shown when no answer is confirmed
CLOSEST_PASSAGES = 3


# ---------------------------------------------------------------- the model's reply


class Reply(BaseModel):
    """The model's structured reply."""

    sentences: list[int] = Field(default_factory=list)
    answer: str = ""


def parse_reply(raw: str) -> Reply:
    """The JSON reply; a reply that is not JSON (a hosted model that ignores the schema) is read as a
    plain answer whose ``(n)`` or ``[n]`` marks name its sentences."""
    text = raw.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(text)
        if isinstance(data, dict):
            numbers = [int(n) for n in data.get("sentences") or [] if str(n).strip().lstrip("-").isdigit()]
            return Reply(sentences=numbers, answer=str(data.get("answer") or "").strip())
    except (json.JSONDecodeError, ValueError, TypeError):
        pass
    numbers = [int(n) for n in re.findall(r"[(\[](\d+)[)\]]", text)]
    return Reply(sentences=numbers, answer=re.sub(r"\s*[(\[]\d+[)\]]", "", text).strip())


# ---------------------------------------------------------------- answer check


def evidence_of(reply: Reply, passages: list[Passage]) -> list[Numbered]:
    """The sentences the reply names, in order, that exist."""
    by_number = {s.number: s for s in number_sentences(passages)}
    return [by_number[n] for n in dict.fromkeys(reply.sentences) if n in by_number]


class Checked(BaseModel):
    """A reply after the fact check: the answer's text and the sentences that hold its facts (none: refused)."""

    text: str = ""
    chosen: list[Numbered] = Field(default_factory=list)
    unsupported: list[str] = Field(default_factory=list)


def check(question: str, reply: Reply, passages: list[Passage], language: str, *,
          standalone: str | None = None) -> Checked:
    """The reply's answer and evidence sentences, when its facts are in them; an empty ``chosen`` when the
    model refused or the check failed. A sentence next to the named one, in the same article, may hold
    the facts instead (the model named its neighbour); a sentence of another article may not."""
    text = CITATION.sub("", reply.answer).strip()
    if not passages or not text or is_refusal(text) or fold(text).strip(" .") in ("none", "null", "n/a"):
        return Checked()
    numbered = number_sentences(passages)
    chosen = evidence_of(reply, passages)
    if not chosen:  # no sentence named: the one sharing the most words with the answer
        words = set(fold(text).split())
        chosen = [max(numbered, key=lambda s: len(words & set(fold(s.text).split())))]
    context = question + " " + (standalone or "")
    reason = off_target(text, standalone or question, language)
    if reason:
        return Checked(text=text, unsupported=[reason])
    missing = _unsupported(text, chosen, passages, context, language)
    if missing:
        holders = _holders(text, chosen, passages, context, language)
        if not holders:
            return Checked(text=text, unsupported=missing)
        chosen = holders[:1]
    elif _unsupported(text, chosen, passages, context, language, with_article=False):
        # its facts hold only with the rest of the article (the model named the wrong sentence of it): quote the
        # sentence of that article that holds them by itself and shares more of the answer's words, if one does
        from qa.store.keyword import tokenize

        words = set(tokenize(text))

        def shared(s: Numbered) -> int:
            return len(words & set(tokenize(s.text)))

        named = max(shared(s) for s in chosen)
        holders = _holders(text, chosen, passages, context, language, with_article=False)
        better = [s for s in holders if shared(s) > named]
        chosen = [max(better, key=shared)] if better else chosen
    return Checked(text=text, chosen=chosen)


def _holders(text: str, chosen: list[Numbered], passages: list[Passage], context: str, language: str, *,
             with_article: bool = True) -> list[Numbered]:
    """The sentences of the chosen sentences' articles that hold the answer's facts by themselves."""
    by_n = {p.n: p for p in passages}
    articles = {by_n[s.passage].chunk.article_id for s in chosen}
    return [s for s in number_sentences(passages) if by_n[s.passage].chunk.article_id in articles
            and not _unsupported(text, [s], passages, context, language, with_article=with_article)]


def finalize(question: str, checked: Checked, passages: list[Passage], language: str, *,
             standalone: str | None = None, verified: float | None = None,
             threshold: float = VERIFY_THRESHOLD, judged: dict[int, float] | None = None,
             phrasings: list[str] | None = None) -> Answer:
    """The :class:`Answer`. ``answered``: the checked text with its citations and the evidence sentences as
    sources, when the check passed and the evidence is confirmed (see :func:`confirmed`). Otherwise
    ``unconfirmed`` with the closest passages as sources, or ``not_found`` when no passage is relevant: none
    names what the question names (see :func:`mentions_subject`; ``phrasings``: the question's translations),
    or the judge gives none ``RELEVANT_THRESHOLD`` (``judged``: its probability for each passage, by number)."""
    if checked.chosen and confirmed(checked, verified, threshold, judged):
        return numbered_as_shown(_answered(question, checked, passages, language, standalone, verified))
    if passages and (not judged or max(judged.values()) >= RELEVANT_THRESHOLD) and mentions_subject(
            [question, standalone or "", *(phrasings or [])], passages):
        closest = closest_passages(checked, passages, judged)
        sources = [_source(p, p.start, p.end) for p in closest]
        marks = "".join(f"[{p.n}]" for p in closest)
        return numbered_as_shown(Answer(question=question, answer=f"{unconfirmed(language)} {marks}", sources=sources,
                                        language=language, status="unconfirmed", refused=True, verified=verified,
                                        standalone_question=standalone, unsupported=checked.unsupported))
    return Answer(question=question, answer=refusal(language), language=language, status="not_found", refused=True,
                  standalone_question=standalone, unsupported=checked.unsupported, verified=verified)


def confirmed(checked: Checked, verified: float | None, threshold: float = VERIFY_THRESHOLD,
              judged: dict[int, float] | None = None) -> bool:
    """Whether a checked answer is confirmed: the verification says yes (at ``threshold``), or the judge's best
    passage is the one the answer cites (two signals with different errors agree; only a judge read from the
    model's probabilities, not a yes/no read from its text)."""
    if verified is None or verified >= threshold:
        return True
    # a judge read from text (a hosted endpoint without log-probabilities) says 1 or 0: no probability to agree with
    graded = judged and any(0.0 < p < 1.0 for p in judged.values())
    if graded and max(judged.values()) >= JUDGE_AGREES:
        best = {n for n, p in judged.items() if p == max(judged.values())}
        return any(s.passage in best for s in checked.chosen)
    return False


def mentions_subject(questions: list[str], passages: list[Passage]) -> bool:
    """Whether the passages name something the question names (a person, a place, a body: capitalised words,
    in the question or one of its phrasings); True for a question that names nothing. "Who won the 2019
    Nobel prize?" over passages that never say "Nobel" is not about them: the articles do not say."""
    from qa.store.keyword import tokenize

    # the first word lowered: a question's capitalised first word ("Who", "Combien") is not a name
    names = {n for q in questions if q.strip() for n in names_in(q.strip()[0].lower() + q.strip()[1:])}
    if not names:
        return True
    held = set(tokenize(" ".join([p.text for p in passages] + [p.chunk.title or "" for p in passages])))
    # a name is named when its longest word is ("Eiffel Tower": "eiffel", not "tower")
    return any(max(tokenize(name) or [""], key=len) in held for name in names)


def closest_passages(checked: Checked, passages: list[Passage], judged: dict[int, float] | None = None,
                     n: int = CLOSEST_PASSAGES) -> list[Passage]:
    """The passages shown when no answer is confirmed: the one holding the model's candidate evidence, then the
    judge's best (or the retrieval's order)."""
    order = sorted(passages, key=lambda p: -(judged or {}).get(p.n, 0.0)) if judged else list(passages)
    first = [p for p in passages if any(s.passage == p.n for s in checked.chosen)]
    return list({p.n: p for p in [*first, *order]}.values())[:n]


def _source(p: Passage, start: int, end: int) -> Source:
    return Source(n=p.n, article_id=p.chunk.article_id, title=p.chunk.title, source=p.chunk.source, date=p.chunk.date,
                  url=p.chunk.url, lang=p.chunk.lang, quote=p.text[start - p.start:end - p.start], start=start, end=end,
                  chunk_id=p.chunk.id, also=p.also)


def _answered(question: str, checked: Checked, passages: list[Passage], language: str, standalone: str | None,
              verified: float | None) -> Answer:
    by_n = {p.n: p for p in passages}
    cited = list(dict.fromkeys(s.passage for s in checked.chosen))
    sources = []
    for n in cited:
        spans = [s for s in checked.chosen if s.passage == n]
        sources.append(_source(by_n[n], spans[0].start, spans[-1].end))
    text = checked.text.rstrip()
    marks = "".join(f"[{n}]" for n in cited)
    text = f"{text[:-1]} {marks}{text[-1]}" if text[-1] in ".!?" else f"{text} {marks}"
    return Answer(question=question, answer=text, sources=sources, language=language, standalone_question=standalone,
                  verified=verified)


def _unsupported(text: str, chosen: list[Numbered], passages: list[Passage], context: str, language: str, *,
                 with_article: bool = True) -> list[str]:
    """The answer's facts that the chosen sentences do not hold (``with_article``: names may also come from
    their article, its title and the other passages of it shown to the model)."""
    by_n = {p.n: p for p in passages}
    evidence = " ".join(s.text for s in chosen)
    langs = {by_n[s.passage].chunk.lang for s in chosen}
    articles = {by_n[s.passage].chunk.article_id for s in chosen}
    same = [p for p in passages if p.chunk.article_id in articles] if with_article else []
    setting = " ".join([p.chunk.title or "" for p in same] + [p.text for p in same])
    asked = set(re.findall(r"\w+", fold(context)))
    spelled = " ".join(p.text for p in passages if p.chunk.lang in langs)
    translated = asked - set(re.findall(r"\w+", fold(spelled)))
    return unsupported_facts(text, evidence, context, check_names=langs <= {None, language},
                             translated=translated, setting=setting)


def needs_translation(checked: Checked, passages: list[Passage], language: str) -> bool:
    """Whether the answer, copied from a sentence in another language, is still in that language: it has
    ordinary words (not only names and numbers) and reads as another language than the question's."""
    from qa.text.language import QUESTION_LANGUAGES, language_ranking

    by_n = {p.n: p for p in passages}
    if not checked.chosen or all(by_n[s.passage].chunk.lang in (None, language) for s in checked.chosen):
        return False
    if language not in QUESTION_LANGUAGES or not re.search(r"(?<![\w'’])[a-zà-ÿ]{3,}", checked.text):
        return False
    ranking = language_ranking(checked.text)
    return max(ranking, key=ranking.get) != language


def verification_inputs(question: str, checked: Checked, passages: list[Passage], language: str) -> dict | None:
    """What the yes/no verification reads: the question and the evidence sentences, nothing else (asked
    with the proposed answer and the article's title, the 1.5B model's "yes" did not tell right answers
    from wrong ones: see docs/benchmarks.md); None when there is nothing to verify."""
    if not checked.chosen:
        return None
    by_n = {p.n: p for p in passages}
    evidence = " ".join(localize_numbers(s.text, by_n[s.passage].chunk.lang, language) for s in checked.chosen)
    return {"question": question, "evidence": evidence}


__all__ = ["VERIFY_THRESHOLD", "Checked", "Reply", "check", "closest_passages", "confirmed", "finalize",
           "mentions_subject", "parse_reply", "verification_inputs"]
