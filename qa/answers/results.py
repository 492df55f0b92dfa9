"""What a question gets back: the :class:`Answer` with its cited :class:`Source` passages (the same object
for Python, the command line and the UI), and :class:`Found`, the passages shown while the model reads them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from qa.retrieval.passages import Passage, Version

Status = Literal["answered", "unconfirmed", "not_found"]


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
    also: list[Version] = Field(default_factory=list, description="other versions of the story (wire copies): "
                                "also published by")


class Answer(BaseModel):
    """The result of a question, the same object for Python, the command line and the UI."""

    question: str
    answer: str
    sources: list[Source] = Field(default_factory=list)
    language: str
    status: Status = Field("answered", description="answered (cited), unconfirmed (the closest passages are the "
                           "sources: no answer confirmed), not_found (nothing relevant in the articles)")
    refused: bool = Field(False, description="True unless answered (unconfirmed or not_found)")
    standalone_question: str | None = None
    unsupported: list[str] = Field(default_factory=list, description="facts the check could not find")
    verified: float | None = Field(None, description="the model's probability that the evidence answers the question")
    seconds: float = 0.0

    @property
    def text(self) -> str:
        return self.answer


class Found(BaseModel):
    """Yielded first by ``Assistant.stream``: the passages the model is about to read, shown while it reads."""

    question: str
    language: str
    passages: list[Passage] = Field(default_factory=list)


__all__ = ["Answer", "Found", "Source", "Status"]
