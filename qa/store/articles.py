"""The records that flow through ingestion: articles read from files, and the failures met on the way."""

from __future__ import annotations

import hashlib
import re
from datetime import date as _date

from pydantic import BaseModel, Field, computed_field


def printable(text: str) -> str:
    """``text`` with control characters written as escapes (a newline in a file name becomes ``\\n``), so that
    an id or a path prints on one line and cannot pass for another line of a report."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class Quoted(BaseModel):
    """Text quoted from a stored article, with where it comes from: ``quote == article.text[start:end]``."""

    article_id: str
    title: str
    source: str | None = None
    date: str | None = None
    lang: str | None = None
    quote: str
    start: int
    end: int

    @classmethod
    def of(cls, passage, quote: str, start: int, end: int, **fields):
        """``quote`` (``text[start:end]`` of the article of ``passage``, a retrieved passage), with its article's
        title, source, date and language."""
        return cls(article_id=passage.article_id, title=passage.title, source=passage.source, date=passage.date,
                   lang=passage.lang, quote=quote, start=start, end=end, **fields)


class Article(BaseModel):
    """One news article, cleaned, as stored."""

    id: str
    title: str
    text: str
    source: str | None = None
    url: str | None = None
    date: str | None = None  # ISO 8601 (YYYY-MM-DD) when known
    lang: str | None = None
    path: str | None = None
    line: int | None = Field(None, exclude=True, description="its line in a collection file (not stored)")
    warnings: list[str] = Field(default_factory=list, exclude=True)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def content_hash(self) -> str:
        """Identity of the content: same title and text give the same hash, whatever the id."""
        return hashlib.sha256(f"{self.title}\n\n{self.text}".encode()).hexdigest()[:32]

    @property
    def date_int(self) -> int | None:
        """YYYYMMDD as an integer, for range filters in the vector store."""
        if not self.date:
            return None
        try:
            d = _date.fromisoformat(self.date[:10])
        except ValueError:
            return None
        return d.year * 10000 + d.month * 100 + d.day


class Failure(BaseModel):
    """Something that could not be ingested, with the reason in words a user understands."""

    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return printable(f"{where}: {self.reason}")
