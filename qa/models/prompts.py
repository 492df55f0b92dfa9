"""Prompts are product text and live in ``prompts/`` as files, each with its named placeholders."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate, PromptTemplate

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"

LANGUAGE_NAMES = {
    "en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian", "pt": "Portuguese",
    "nl": "Dutch", "pl": "Polish", "ru": "Russian", "ar": "Arabic", "zh": "Chinese", "ja": "Japanese",
    "ko": "Korean", "tr": "Turkish", "th": "Thai",
}


@lru_cache(maxsize=None)
def load(name: str) -> str:
    """The text of ``prompts/<name>.txt``."""
    path = PROMPTS_DIR / f"{name}.txt"
    return path.read_text(encoding="utf-8").strip()


def template(name: str) -> PromptTemplate:
    return PromptTemplate.from_template(load(name))


def chat(system: str, user: str) -> ChatPromptTemplate:
    """A chat prompt from two prompt files: a stable system part and a user part with placeholders."""
    return ChatPromptTemplate.from_messages([("system", load(system)), ("human", load(user))])


@lru_cache(maxsize=None)
def by_language(name: str) -> dict[str, str]:
    """A prompt file of one line per language (``code: text``) as a dict."""
    out = {}
    for line in load(name).splitlines():
        if line.strip() and not line.startswith("#"):
            code, text = line.split(":", 1)
            out[code.strip()] = text.strip()
    return out


def refusals() -> dict[str, str]:
    return by_language("refusals")


def refusal(language: str) -> str:
    """What the assistant says when the articles hold nothing relevant to the question."""
    return refusals().get(language, refusals()["en"])


def unconfirmed(language: str) -> str:
    """What the assistant says when passages were found but none is confirmed to answer the question."""
    lines = by_language("unconfirmed")
    return lines.get(language, lines["en"])


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)
