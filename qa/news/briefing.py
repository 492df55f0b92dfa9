"""Brief a subject: the stories about a person, organisation, place or event, and a short brief in the asked
language, every line cited [n] to a quoted passage.

1. **Stories** (``Assistant.search``, one version per story): the articles found about the subject, those whose
   title or text names it (one of its words, or of its translation's, longer than three letters).
2. **Passages** (``Assistant.retrieve``): the ``BRIEF_PASSAGES`` best passages, numbered; their articles are
   the articles read, the other stories found are left out for length (both listed).
3. **Brief** (one model call, JSON constrained by :func:`brief_schema`, prompts ``brief_system``/``brief_user``):
   a 3-5 sentence overview, key facts, who is who (name, role, passage).
4. **Check**, like summaries (:func:`qa.text.facts.unsupported_facts`): a line citing no passage is given the
   passage holding most of its words (at least half of them, else it is dropped, as the digest does); a line
   holding a name or a figure absent from the passages it cites is dropped (``Brief.dropped``); a person whose name is
   not in their passage is dropped too. The model is asked once more, hotter, when the overview keeps fewer
   than two sentences.
5. **Dated events**: ``Assistant.timeline`` as it is (optional: one short model call per article).
"""

from __future__ import annotations

import json
import re
import time

from pydantic import BaseModel, Field

from qa.models import prompts
from qa.store.articles import Quoted
from qa.text.citations import cited_numbers, strip_citations
from qa.text.facts import unsupported_facts
from qa.store.keyword import tokenize
from qa.text.language import fold
from qa.models.llm import structured
from qa.retrieval.passages import Passage

BRIEF_PASSAGES = 8
BRIEF_TOKENS = 520
SEARCHED = 40  # candidate chunks searched for the stories about the subject


class BriefSource(Quoted):
    """A passage the brief cites as [n]: ``quote == article.text[start:end]``."""

    n: int


class Person(BaseModel):
    name: str
    role: str
    source: int


class Brief(BaseModel):
    """The result of ``Assistant.brief``: the same object for Python, the command line and the app."""

    subject: str
    language: str
    overview: list[str] = Field(default_factory=list, description="3-5 sentences, each cited [n]")
    facts: list[str] = Field(default_factory=list, description="key facts and figures, each cited [n]")
    people: list[Person] = Field(default_factory=list, description="who is who, as the articles give it")
    events: list[dict] = Field(default_factory=list, description="the dated events (qa.news.timeline.TimelineEvent)")
    sources: list[BriefSource] = Field(default_factory=list)
    stories: list[str] = Field(default_factory=list, description="the stories found about the subject (one article each)")
    read: list[str] = Field(default_factory=list, description="the articles read")
    left_out: list[str] = Field(default_factory=list, description="stories found but not read, for length")
    dropped: list[str] = Field(default_factory=list, description="lines the check removed, with the facts missing")
    seconds: float = 0.0

    @property
    def brief(self) -> str:
        """The brief as text: overview, key facts, who is who, dated events."""
        parts = [" ".join(self.overview)]
        if self.facts:
            parts.append("\n".join(f"- {f}" for f in self.facts))
        if self.people:
            parts.append("\n".join(f"- {p.name}: {p.role} [{p.source}]" for p in self.people))
        if self.events:
            parts.append("\n".join(f"- {e['date']}: {e['event']} ({e['article_id']})" for e in self.events))
        return "\n\n".join(p for p in parts if p)


def brief_schema(passages: int) -> dict:
    numbers = list(range(1, passages + 1))
    return {
        "type": "object",
        "properties": {
            "overview": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 5},
            "facts": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
            "people": {"type": "array", "maxItems": 6, "items": {
                "type": "object", "properties": {"name": {"type": "string"}, "role": {"type": "string"},
                                                 "source": {"type": "integer", "enum": numbers}},
                "required": ["name", "role", "source"]}},
        },
        "required": ["overview", "facts", "people"],
    }


def about_subject(subject: str, phrasings: list[str], text: str) -> bool:
    """Whether a text names the subject: one of its words (or of a translation's) longer than three letters."""
    words = {w for w in tokenize(" ".join([subject, *phrasings])) if len(w) > 3}
    held = set(tokenize(text))
    return bool(words & held) if words else True


def format_passages(passages: list[Passage]) -> str:
    return "\n\n".join(f"[{p.n}] {p.title}" + (f" ({p.date})" if p.date else "") + f"\n{p.text}" for p in passages)


def parse(raw: str) -> dict:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        match = re.search(r"\{.*\}", raw, re.DOTALL)
        try:
            data = json.loads(match.group(0)) if match else {}
        except json.JSONDecodeError:
            data = {}
    return data if isinstance(data, dict) else {}


class Checker:
    """The brief's lines kept when they cite a passage that holds their names and figures."""

    def __init__(self, passages: list[Passage], language: str):
        self.by_n = {p.n: p for p in passages}
        self.language = language
        self.dropped: list[str] = []

    def line(self, text: str) -> str | None:
        text = strip_citations(str(text).strip(), set(self.by_n))
        cited = [n for n in cited_numbers(text) if n in self.by_n]
        if not cited:  # as the digest does: the passage holding most of its words, when it holds half of them
            words = set(tokenize(text))
            best = max(self.by_n, key=lambda n: len(words & set(tokenize(self.by_n[n].text))))
            if not words or 2 * len(words & set(tokenize(self.by_n[best].text))) < len(words):
                self.dropped.append(f"{text} (no passage cited)")
                return None
            cited, text = [best], f"{text.rstrip()} [{best}]"
        missing = self.missing(re.sub(r"\[\d+\]", " ", text), cited)
        if missing:
            self.dropped.append(f"{text} (not in its passages: {', '.join(missing)})")
            return None
        return text

    def person(self, item: dict) -> Person | None:
        if not isinstance(item, dict) or item.get("source") not in self.by_n or not str(item.get("name", "")).strip():
            return None
        person = Person(name=str(item["name"]).strip(), role=str(item.get("role", "")).strip(), source=item["source"])
        if fold(person.name.split()[-1]) not in fold(self.by_n[person.source].text):
            self.dropped.append(f"{person.name}: {person.role} [{person.source}] (not named in its passage)")
            return None
        missing = self.missing(f"{person.name}, {person.role}", [person.source])
        if missing:
            self.dropped.append(f"{person.name}: {person.role} [{person.source}] (not in its passage: "
                                f"{', '.join(missing)})")
            return None
        return person

    def missing(self, text: str, cited: list[int]) -> list[str]:
        evidence = " ".join(self.by_n[n].text for n in cited)
        titles = " ".join(self.by_n[n].title for n in cited)
        same = all((self.by_n[n].lang or self.language) == self.language for n in cited)
        return unsupported_facts(text, evidence, check_names=same, setting=titles)


def write_brief(subject: str, language: str, passages: list[Passage], llm, settings) -> tuple[dict, Checker]:
    """The model's brief over the passages, checked; asked again (hotter) when fewer than two overview lines hold."""
    messages = prompts.chat("brief_system", "brief_user").invoke({
        "passages": format_passages(passages), "subject": subject,
        "language": prompts.language_name(language)}).to_messages()
    model = structured(llm, brief_schema(len(passages)), settings).bind(max_tokens=BRIEF_TOKENS)
    best: tuple[dict, Checker] | None = None
    for temperature in (None, 0.4):
        bound = model.bind(temperature=temperature) if temperature is not None else model
        data = parse(str(bound.invoke(messages).content))
        check = Checker(passages, language)
        out = {"overview": [t for t in map(check.line, data.get("overview") or []) if t][:5],
               "facts": [t for t in map(check.line, data.get("facts") or []) if t][:5],
               "people": [p for p in map(check.person, data.get("people") or []) if p][:6]}
        if best is None or len(out["overview"]) > len(best[0]["overview"]):
            best = (out, check)
        if len(out["overview"]) >= 2:
            break
    return best


def make_brief(assistant, subject: str, language: str, *, events: bool = True, on_progress=None) -> Brief:
    """The brief of ``subject`` in ``language`` from the assistant's store (see the module's docstring)."""
    began = time.perf_counter()
    translations = assistant.translate(subject, language)
    chunks = assistant.search(subject, k=SEARCHED, translations=translations)
    stories = list(dict.fromkeys(c.article_id for c in chunks
                                 if about_subject(subject, translations, f"{c.title} {c.text}")))
    passages = [p for p in assistant.retrieve(subject, k=BRIEF_PASSAGES, language=language, translations=translations)
                if p.article_id in stories]
    passages = [p.model_copy(update={"n": i}) for i, p in enumerate(passages, 1)]
    result = Brief(subject=subject, language=language, stories=stories)
    if not passages:
        result.seconds = round(time.perf_counter() - began, 3)
        return result
    if on_progress:
        on_progress(0, 2 if events else 1)
    written, check = write_brief(subject, language, passages, assistant.llm, assistant.settings)
    cited = sorted({n for line in written["overview"] + written["facts"] for n in cited_numbers(line)}
                   | {p.source for p in written["people"]})
    by_n = {p.n: p for p in passages}
    result.overview, result.facts, result.people = written["overview"], written["facts"], written["people"]
    result.dropped = check.dropped
    result.sources = [BriefSource.of(by_n[n], by_n[n].text, by_n[n].start, by_n[n].end, n=n) for n in cited]
    result.read = list(dict.fromkeys(p.article_id for p in passages))
    if events:
        if on_progress:
            on_progress(1, 2)
        timeline = assistant.timeline(subject, language=language)
        result.events = [e.model_dump() for e in timeline.events]
        result.read = list(dict.fromkeys([*result.read, *timeline.articles]))
    result.left_out = [s for s in stories if s not in result.read]
    if on_progress:
        on_progress(2 if events else 1, 2 if events else 1)
    result.seconds = round(time.perf_counter() - began, 3)
    return result
