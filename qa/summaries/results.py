"""What the summaries give back (one object for Python, the command line and the UI), and the arguments
they accept: the styles, the language codes, and the error for an unknown article."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from qa.models import prompts
from qa.store.errors import StoreError

STYLES: dict[str, str] = {
    "short": "2-3 sentences (default)",
    "abstract": "one headline-style sentence",
    "paragraph": "one paragraph of 4-6 sentences",
    "bullets": "3-6 bullet points: who, what, when, where, numbers",
}
DEFAULT_STYLE = "short"


class ArticleNotFoundError(StoreError, KeyError):
    """No article with that id in the store."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class Summary(BaseModel):
    """A summary of one article, the same object for Python, the command line and the UI."""

    article_id: str
    title: str
    summary: str
    language: str
    style: str
    model: str
    cached: bool = False
    seconds: float = 0.0
    sections: int = Field(1, description="sections the article was summarised in (more than 1: map-reduce)")
    calls: int = Field(0, description="model calls made for this summary (0 when cached)")
    unsupported: list[str] = Field(default_factory=list, description="facts removed by the check")
    untranslated: list[str] = Field(default_factory=list, description="words left in another language (removed)")
    missing: list[str] = Field(default_factory=list, description="the title's names and figures not stated")
    regenerated: bool = False
    extractive: bool = Field(False, description="the model failed the check twice: lead sentences used")

    @property
    def text(self) -> str:
        return self.summary


class DigestSource(BaseModel):
    n: int
    article_id: str
    title: str
    summary: str


class Digest(BaseModel):
    """What several articles say together and where they differ, each point cited as [n]."""

    digest: str
    sources: list[DigestSource]
    language: str
    model: str
    seconds: float = 0.0
    unsupported: list[str] = Field(default_factory=list)
    regenerated: bool = False

    @property
    def text(self) -> str:
        return self.digest


# ---------------------------------------------------------------- arguments

_LANGUAGE_ALIASES = {"anglais": "en", "français": "fr", "francais": "fr", "allemand": "de", "espagnol": "es",
                     "italien": "it", "portugais": "pt", "néerlandais": "nl", "english": "en", "french": "fr"}


def language_code(value: str | None) -> str | None:
    """``"en"``, ``"EN"``, ``"English"``, ``"anglais"`` → ``"en"``; None stays None."""
    if value is None or not str(value).strip():
        return None
    key = str(value).strip().lower()
    if key in prompts.LANGUAGE_NAMES:
        return key
    for code, name in prompts.LANGUAGE_NAMES.items():
        if name.lower() == key:
            return code
    if key in _LANGUAGE_ALIASES:
        return _LANGUAGE_ALIASES[key]
    if re.fullmatch(r"[a-z]{2}", key):
        return key
    raise ValueError(f"Unknown language {value!r}: give an ISO code such as "
                     f"{', '.join(list(prompts.LANGUAGE_NAMES)[:6])}.")


def check_style(style: str) -> str:
    """``style`` itself when it is one of :data:`STYLES`; a ValueError naming the styles otherwise."""
    if style not in STYLES:
        raise ValueError(f"Unknown summary style {style!r}: choose one of {', '.join(STYLES)}.")
    return style
