"""The records that flow through ingestion and the store: articles read from files, the failures met on the way,
the chunks cut from an article and the chunks as found in the store."""

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


class Chunk(BaseModel):
    id: str
    article_id: str
    index: int
    text: str
    start: int  # character offsets into the article text: article.text[start:end] == text
    end: int


class StoredChunk(BaseModel):
    """A chunk as found in the store, with everything needed to cite it. ``story``: the id of the first article
    of its article's group of wire copies (its own article's id when alone)."""

    id: str
    article_id: str
    title: str
    text: str
    source: str | None = None
    date: str | None = None
    lang: str | None = None
    url: str | None = None
    index: int = 0
    start: int = 0
    end: int = 0
    score: float = 0.0
    story: str = ""

    def model_post_init(self, _context) -> None:
        if not self.story:
            self.story = self.article_id

    @classmethod
    def from_chroma(cls, chunk_id: str, text: str, meta: dict, score: float = 0.0) -> StoredChunk:
        return cls(id=chunk_id, text=text, score=score, article_id=meta["article_id"], title=meta.get("title", ""),
                   source=meta.get("source"), date=meta.get("date"), lang=meta.get("lang"), url=meta.get("url"),
                   index=meta.get("chunk_index", 0), start=meta.get("start", 0), end=meta.get("end", 0),
                   story=meta.get("story", ""))
