"""What the model reads: the passages with their sentences numbered (the model names the sentences that
state its answer), the JSON it must write, and the inputs of the prompts: the answer's, the conversation so
far, the judge's yes/no question about one passage."""

from __future__ import annotations

from pydantic import BaseModel

from qa.text.citations import CITATION
from qa.text.numbers import localize_numbers
from qa.models.prompts import language_name
from qa.retrieval.passages import Passage


class Numbered(BaseModel):
    """One numbered sentence of the prompt: which passage it is in, and its article offsets."""

    number: int
    passage: int
    start: int
    end: int
    text: str


def number_sentences(passages: list[Passage]) -> list[Numbered]:
    out = []
    for p in passages:
        for (b, e), text in zip(p.sentences, p.sentence_texts()):
            out.append(Numbered(number=len(out) + 1, passage=p.n, start=b, end=e, text=text))
    return out


def format_passages(passages: list[Passage], language: str | None = None) -> str:
    """The passages as the model reads them: a header per passage (title, source, date) and its
    numbered sentences; numbers of a passage in another language written as the answer's language
    writes them (see :mod:`qa.text.numbers`)."""
    numbered = number_sentences(passages)
    blocks = []
    for p in passages:
        header = " — ".join(x for x in (p.chunk.title, p.chunk.source, p.chunk.date) if x)
        lines = [f"({s.number}) {localize_numbers(s.text, p.chunk.lang, language or p.chunk.lang)}"
                 for s in numbered if s.passage == p.n]
        blocks.append(f"[{p.n}] {header}\n" + "\n".join(lines))
    return "\n\n".join(blocks)


def answer_schema(sentences: int, allowed: list[int] | None = None) -> dict:
    """The JSON the model must write: the numbers of the evidence sentences (none: not found), then the
    answer. ``allowed``: the sentence numbers it may name (default: all)."""
    numbers = list(allowed) if allowed is not None else list(range(1, sentences + 1))
    return {
        "type": "object",
        "properties": {
            "sentences": {"type": "array", "items": {"type": "integer", "enum": numbers}, "maxItems": 2},
            "answer": {"type": "string"},
        },
        "required": ["sentences", "answer"],
    }


def prompt_inputs(question: str, passages: list[Passage], language: str) -> dict:
    return {"passages": format_passages(passages, language), "question": question,
            "language": language_name(language)}


def judge_input(question: str, passage: Passage, language: str) -> dict:
    """What the judge reads of one passage: the question and the passage's text (numbers written as the
    question's language writes them), for the yes/no prompt ``judge_passage``."""
    return {"question": question, "passage": localize_numbers(passage.text, passage.chunk.lang, language)}


def format_history(history: list[tuple[str, str]], turns: int = 3) -> str:
    lines = []
    for question, answer in history[-turns:]:
        lines.append(f"User: {question}")
        lines.append("Assistant: " + CITATION.sub("", answer).strip())
    return "\n".join(lines)


__all__ = ["Numbered", "answer_schema", "format_history", "format_passages", "judge_input", "number_sentences",
           "prompt_inputs"]
