"""What a timeline is made of: its events, the events a check dropped, and the timeline itself (the same objects
for Python, the command line and the app)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, computed_field

from qa.news.timeline.tense import Status

Precision = Literal["day", "month", "year"]


class TimelineEvent(BaseModel):
    """One dated event, cited to the sentence of the article that reports it."""

    date: str = Field(description="ISO date to the precision known: YYYY-MM-DD, YYYY-MM or YYYY")
    precision: Precision = "day"
    dated_by: Literal["passage", "article"] = Field(
        "passage", description="passage: read from the quoted passage's words; article: the article's date")
    when: str = Field("", description="the passage's words that give the date (empty when dated by the article)")
    status: Status = Field("done", description="done; planned (told in the future tense, or dated after its "
                           "article); cancelled (called off or put off): see qa/news/timeline/tense.py")
    event: str = Field(description="one short sentence in the reader's language")
    article_id: str
    title: str
    source: str | None = None
    article_date: str | None = None
    url: str | None = None
    lang: str | None = None
    quote: str = Field(description="the sentence that reports the event: article.text[start:end]")
    start: int
    end: int
    also: list[str] = Field(default_factory=list, description="other articles that tell the same event")


class Dropped(BaseModel):
    """An event the model proposed that failed a check, and why."""

    article_id: str
    event: str
    reason: str


class Timeline(BaseModel):
    """The result of ``Assistant.timeline``: the same object for Python, the command line and the app."""

    query: str
    language: str
    events: list[TimelineEvent] = Field(default_factory=list)
    articles: list[str] = Field(default_factory=list, description="the articles read, best first")
    named: list[str] = Field(default_factory=list, description="the articles found that name the subject, best "
                             "first, every version (those read among them, at most QA_TIMELINE_MAX_ARTICLES)")
    dropped: list[Dropped] = Field(default_factory=list)
    seconds: float = 0.0

    @computed_field
    @property
    def message(self) -> str:
        """What a reader is told when there is no event: that no article names the subject, or that the articles
        naming it give no dated event; empty when there are events."""
        if self.events:
            return ""
        if not self.named:
            return f"No article names {self.query}."
        n = len(self.named)
        read = f" ({len(self.articles)} read)" if len(self.articles) < n else ""
        return (f"{n} article{'s' if n > 1 else ''} name{'' if n > 1 else 's'} {self.query}{read}, "
                f"none gives a dated event about it.")
