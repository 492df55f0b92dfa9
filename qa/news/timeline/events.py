"""The events of one article: one model call, then each event checked against its sentence and dated."""

from __future__ import annotations

import json

from pydantic import BaseModel

from qa.models import prompts
from qa.answers.checking import Reply, check
from qa.answers.prompting import format_passages, number_sentences
from qa.text.citations import CITATION
from qa.text.facts import names_in
from qa.store.keyword import tokenize
from qa.models.llm import structured
from qa.retrieval.passages import Passage
from qa.settings import Settings
from qa.news.timeline.dates import resolve_date
from qa.news.timeline.passages import ArticlePassages
from qa.news.timeline.results import Dropped, TimelineEvent

EVENTS_PER_ARTICLE = 2
EVENT_TOKENS = 160  # most tokens one call may write: two short events
SUPPORT = 0.5  # share of an event's words its sentence must have (see support())


class ProposedEvent(BaseModel):
    """One event as the model proposes it."""

    sentence: int
    when: str = ""
    event: str = ""


def events_schema(sentences: list[int]) -> dict:
    """The JSON the model writes for one article: at most :data:`EVENTS_PER_ARTICLE` events, each with the
    number of its sentence (one of ``sentences``), its date words and its sentence."""
    return {
        "type": "object",
        "properties": {"events": {"type": "array", "maxItems": EVENTS_PER_ARTICLE, "items": {
            "type": "object",
            "properties": {"sentence": {"type": "integer", "enum": list(sentences)}, "when": {"type": "string"},
                           "event": {"type": "string"}},
            "required": ["sentence", "when", "event"]}}},
        "required": ["events"],
    }


def parse_events(raw: str) -> list[ProposedEvent]:
    """The events of the model's JSON reply; none when it is not JSON."""
    text = raw.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return []
    items = data.get("events") if isinstance(data, dict) else data
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not str(item.get("sentence", "")).strip().isdigit():
            continue
        out.append(ProposedEvent(sentence=int(item["sentence"]), when=str(item.get("when") or "").strip(),
                                 event=str(item.get("event") or "").strip()))
    return out


def _tidy(event: str) -> str:
    """The event's sentence without citation marks and quotes around it, with a capital and a full stop."""
    text = CITATION.sub("", event).strip().strip("\"'«»“” ").strip()
    if text and text[-1] not in ".!?…":
        text += "."
    return text[:1].upper() + text[1:]


def event_prompt(subject: str, passages: list[Passage], language: str):
    """The messages of one article's call (``prompts/timeline_events.txt``). The passages are headed by their
    article's title alone: given its date, the model copies it as an event's date words."""
    undated = [p.model_copy(update={"chunk": p.chunk.model_copy(update={"date": None, "source": None})})
                for p in passages]
    inputs = {"subject": subject, "passages": format_passages(undated, language),
              "language": prompts.language_name(language)}
    return prompts.template("timeline_events").invoke(inputs).to_messages()


def support(event: str, sentence: str) -> float:
    """The share of the event's words (keywords, names aside: the check finds those in the article) that the
    sentence has: whether it is the sentence that tells the event."""
    names = {w for name in names_in(event) for w in tokenize(name)}
    words = set(tokenize(event)) - names
    return len(words & set(tokenize(sentence))) / len(words) if words else 1.0


def article_events(subject: str, reading: ArticlePassages, language: str, llm,
                   settings: Settings) -> tuple[list[TimelineEvent], list[Dropped]]:
    """The checked, dated events of one article (one model call), and those that failed a check."""
    passages = reading.passages
    numbered = number_sentences(passages)
    model = structured(llm, events_schema([s.number for s in numbered]), settings).bind(max_tokens=EVENT_TOKENS)
    raw = str(model.invoke(event_prompt(subject, passages, language)).content)
    by_n = {p.n: p for p in passages}
    named = {s.number: s for s in numbered}
    same_language = passages[0].lang in (None, language)
    events, dropped = [], []
    for proposed in parse_events(raw)[:EVENTS_PER_ARTICLE]:
        text = _tidy(proposed.event)
        number = proposed.sentence
        if same_language and (number not in named or support(text, named[number].text) < SUPPORT):
            # the small model names a neighbour of its sentence: the one that has the event's words, if any
            best = max(numbered, key=lambda s: support(text, s.text))
            if support(text, best.text) < SUPPORT:
                dropped.append(Dropped(article_id=reading.article_id, event=text,
                                       reason="no sentence of the article tells it"))
                continue
            number = best.number
        # the subject is not a question: an event that names only the subject ("Carlos Ghosn démissionne.")
        # is no echo of it, so the check is given no question
        checked = check("", Reply(sentences=[number], answer=text), passages, language)
        if not checked.chosen:
            dropped.append(Dropped(article_id=reading.article_id, event=text,
                                   reason="; ".join(checked.unsupported) or "no event"))
            continue
        sentence = checked.chosen[0]
        passage = by_n[sentence.passage]
        told = " ".join(dict.fromkeys(s.text for s in (sentence, named.get(number)) if s))
        dated = resolve_date(proposed.when, told, passage.date, [passage.lang, language],
                             in_lead=sentence.end <= reading.lead_end)
        if isinstance(dated, str):
            dropped.append(Dropped(article_id=reading.article_id, event=text, reason=dated))
            continue
        chunk = passage.chunk
        events.append(TimelineEvent(
            **dated.model_dump(), event=text, article_id=reading.article_id, title=chunk.title,
            source=chunk.source, article_date=chunk.date, url=chunk.url, lang=chunk.lang, start=sentence.start,
            end=sentence.end, quote=passage.text[sentence.start - passage.start:sentence.end - passage.start]))
    return events, dropped
