"""Refusals, and answers that do not answer: the model's "not found" (:func:`is_refusal`), and an answer that
only echoes the question, lacks the figure it asks for or is in another language (:func:`off_target`)."""

from __future__ import annotations

import re

from qa.text.citations import CITATION
from qa.text.facts import asks_for_number, holds_number, names_in, numbers_in, plain_numbers
from qa.text.language import fold

NOT_FOUND = "NOT_FOUND"


def is_refusal(answer: str) -> bool:
    """NOT_FOUND, or nothing but citations and punctuation ("", "[1]", "[2]."). The 1.5B model writes a
    bare citation when it does not find the answer: asked again for the answer itself, it said
    NOT_FOUND on 5 of 5 such eval questions."""
    return not re.search(r"\w", CITATION.sub(" ", answer)) or NOT_FOUND in answer.upper().replace(" ", "_")


def echoes_question(answer: str, question: str) -> bool:
    """Whether the answer only repeats what the question names: every name in it is one the question
    names (its last word, not after another first name: "Terry Armstrong" is not "Lance Armstrong") and
    every number one the question gives. "Who interviewed Jens
    Stoltenberg?" answered "Jens Stoltenberg" says nothing: the model took the subject for the answer."""
    answer = CITATION.sub(" ", answer)
    names, numbers = names_in(answer), plain_numbers(answer)
    if not names and not numbers:
        return False
    tokens = re.findall(r"\w+", question)

    def named(name: str) -> bool:  # its last word in the question, not after another first name
        words = re.findall(r"\w+", fold(name))
        for i, token in enumerate(tokens):
            if fold(token) == words[-1]:
                before = tokens[i - 1] if i else ""
                if len(words) == 1 or not before[:1].isupper() or fold(before) in words:
                    return True
        return False

    return all(named(n) for n in names) and numbers <= numbers_in(question)


def off_target(answer: str, question: str, language: str) -> str | None:
    """Why the answer does not answer the question, or None: it echoes the question, it lacks the number
    the question asks for, or it is written in another language than the question's."""
    from qa.text.language import written_in

    if echoes_question(answer, question):
        return "echo of the question"
    if asks_for_number(question) and not holds_number(answer):
        return "no number"
    if not written_in(answer, language):
        return "another language"
    return None
