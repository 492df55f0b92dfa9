"""Sentences: the one splitter that answers, retrieval and summaries share.

A sentence ends at ``.``, ``!``, ``?`` or ``…`` (closing quotes allowed after it) followed by a space
and a capital, a digit or an opening quote, or at a line break. "M. Dupont", "Dr. Smith", "J. K.
Rowling" and "etc." do not end a sentence. Spans are character offsets into the text given, so a
sentence can always be quoted from the article it comes from.
"""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"(?<=[.!?…])(?P<close>(?:[ \u00a0\u202f]?[»”])?[\"”»)’]*)\s+(?=[\"“«(‘'¿¡–—-]?\s?[A-ZÀ-ÖØ-Þ0-9])"
                       r"|\s*\n\s*")
# "…jeudi.Le gouvernement…": a sentence end glued to the next sentence (scraped text, model output)
GLUED_SENTENCE = re.compile(r"(?<=[a-zà-ÿ0-9%)»”\"])([.!?])(?=[«“\"]?[A-ZÀ-ÖØ-Þ][a-zà-ÿ])")
_ABBREVIATION = re.compile(r"(?:^|[\s(])(?:[A-Z]|MM?|Mme|Mlle|Mr|Mrs|Ms|Dr|Pr|Prof|Me|Mgr|St|Ste|Jr|Sr|No|Nos|"
                           r"art|av|env|cf|etc|vs|Gen|Gov|Sen|Rep|Lt|Col|Capt|Sgt|Inc|Co|Corp|Ltd|Mt|p|pp|vol)\.$")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text``, surrounding spaces excluded."""
    spans: list[tuple[int, int]] = []
    begin = 0
    glue = False
    for match in [*_BOUNDARY.finditer(text), None]:
        end = match.start() + len(match.group("close") or "") if match else len(text)
        piece = text[begin:end]
        stripped = piece.strip()
        if stripped:
            start = begin + len(piece) - len(piece.lstrip())
            stop = start + len(stripped)
            if glue and spans and "\n" not in text[spans[-1][1]:start]:
                spans[-1] = (spans[-1][0], stop)
            else:
                spans.append((start, stop))
            glue = bool(_ABBREVIATION.search(stripped))
        if match:
            begin = match.end()
    return spans


def sentences(text: str) -> list[str]:
    """The sentences of ``text``, stripped."""
    return [text[start:end] for start, end in sentence_spans(text)]
