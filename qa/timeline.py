"""Story timeline: the dated events about a subject across the stored articles, oldest first, each told in
one short sentence in the reader's language and cited to the sentence of the article it comes from.

How a timeline is made (``Assistant.timeline`` finds the candidate chunks, this module does the rest):

1. **Passages** (:func:`timeline_passages`): the subject is searched like a question, with more candidates,
   and the best articles kept (``QA_TIMELINE_ARTICLES``): those about it, whose title or lead names it (more
   than half of its keywords, or of its translation's), one of a group of wire copies. The model reads
   each one's lead (its first sentences, where news says what happened and when) and the passage that
   matches the subject best.
2. **Events** (:func:`article_events`): one short model call per article. The model reads the article's
   passages, sentences numbered, and writes JSON constrained by a schema: for each event (two at most) the
   number of its sentence, the words that say when ("mardi", "le 19 novembre 2018", or nothing), and one
   short sentence in the reader's language.
3. **Checks**: each event must be told by its sentence: in the passages' language, at least half of its
   words (names aside) are in it, else the sentence of the article that has them is taken instead (the small
   model often names a neighbour), else the event is dropped (:func:`support`). Then it is checked like an
   answer (:func:`qa.answers.check`): its numbers and names must be in its sentence (names also in its
   article) and it must be in the reader's language. What fails is dropped (``Timeline.dropped``). The
   reader's language is the subject's, or for a bare name ("Carlos Ghosn") the collection's main one.
4. **Dates** (:func:`resolve_date`): an event's date comes from its sentence or its article, never from the
   model: the model's date words count only when the sentence has them (:func:`date_words_in`), else the
   sentence's own date words are taken (:func:`sentence_date_words`), else the article's date, but only for
   a sentence of the lead (an undated sentence further on is background: it is dropped). Date words are
   read by dateparser against the article's date (``RELATIVE_BASE``): a weekday alone is the last such day
   up to the article's ("mardi" in an article of Saturday 2020-06-27 is 2020-06-23); a day or a month
   without its year the nearest one ("le 23 juillet" in an article of 2020-06-27 is 2020-07-23, "le 19
   novembre" in one of 2019-01-14 is 2018-11-19). ``date`` is ISO to the precision known: ``2018-11-19``,
   ``2018-11`` or ``2018``.
5. **One event once** (:func:`merge_same_events`): the same event told by several articles (dates that
   agree, sentences that mean the same by the multilingual embedder) is kept once, with the best date (from
   a passage rather than an article's date, the most precise), the other articles in ``also``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from qa import prompts
from qa.answers import Reply, check, format_passages, number_sentences
from qa.articles import Article
from qa.citations import CITATION
from qa.embeddings import embed_array
from qa.grounding import calendar_in, is_instruction, names_in, numbers_in, unsupported_facts
from qa.keyword import tokenize
from qa.language import fold, function_words, question_language, stopwords
from qa.llm import structured
from qa.retrieval import Passage, evidence_passages
from qa.sentences import sentence_spans
from qa.settings import Settings
from qa.store import Store, StoredChunk

LEAD_SENTENCES = 3  # an article's first sentences: where news says what happened and when
EVENTS_PER_ARTICLE = 2
EVENT_TOKENS = 160  # most tokens one call may write: two short events
SUPPORT = 0.5  # share of an event's words its sentence must have (see support())
SAME_EVENT = 0.75  # cosine similarity of two event sentences from which they tell the same event (see
# docs/benchmarks.md: same-day retellings scored 0.78-0.81, different events of one story up to 0.74)
ARTICLE_DATE_SLACK = timedelta(days=7)  # an event dated by its article may have happened this long before it

Precision = Literal["day", "month", "year"]
ProgressCallback = Callable[[int, int], None]  # (articles read, articles to read)


class TimelineEvent(BaseModel):
    """One dated event, cited to the sentence of the article that reports it."""

    date: str = Field(description="ISO date to the precision known: YYYY-MM-DD, YYYY-MM or YYYY")
    precision: Precision = "day"
    dated_by: Literal["passage", "article"] = Field(
        "passage", description="passage: read from the quoted passage's words; article: the article's date")
    when: str = Field("", description="the passage's words that give the date (empty when dated by the article)")
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
    dropped: list[Dropped] = Field(default_factory=list)
    seconds: float = 0.0


# ---------------------------------------------------------------- passages


def subject_language(subject: str, preferred: tuple[str, ...]) -> str:
    """The reader's language for a subject: the question's language when it has words of one ("Quand Carlos
    Ghosn a-t-il fui ?"), else (a bare name: "Carlos Ghosn", "Brexit") the collection's main language."""
    words = set(re.findall(r"\w+", subject.lower().replace("’", "'")))
    if any(words & stop for stop in function_words().values()):
        return question_language(subject, preferred)
    return preferred[0]


def lead_passage(article: Article, found: Passage) -> Passage | None:
    """The first :data:`LEAD_SENTENCES` sentences of an article (where news says what happened and when), as a
    passage with the metadata of ``found``, a passage of the same article; it stops before a sentence
    addressed to a model. None when the article starts with one."""
    spans = []
    for begin, end in sentence_spans(article.text)[:LEAD_SENTENCES]:
        if is_instruction(article.text[begin:end]):
            break
        spans.append((begin, end))
    if not spans:
        return None
    start, end = spans[0][0], spans[-1][1]
    return Passage(n=1, chunk=found.chunk, text=article.text[start:end], start=start, end=end, sentences=spans,
                   score=found.score)


class ArticlePassages(BaseModel):
    """What the model reads of one article: its passages in reading order, numbered from 1, and where its lead
    ends (an article offset; 0 when the article starts with a sentence addressed to a model)."""

    passages: list[Passage]
    lead_end: int = 0

    @property
    def article_id(self) -> str:
        return self.passages[0].article_id


def timeline_passages(subject: str, chunks: list[StoredChunk], store: Store, embedder, *, articles: int,
                      translations: Iterable[str] = ()) -> list[ArticlePassages]:
    """What a timeline reads, best article first: for at most ``articles`` articles about the subject (their
    title or lead names it; one of a group of wire copies), the article's lead and the passage that matches the
    subject best, when it is not in the lead."""
    translations = list(translations)
    # every article's best passage, however it compares with the best article's (no floor)
    ranked = evidence_passages(subject, chunks, embedder, k=articles * 6, translations=translations, floor=0.0)
    best: dict[str, Passage] = {}
    for p in ranked:
        best.setdefault(p.article_id, p)
    out, stories = [], set()
    for article_id, found in best.items():
        if len(out) >= articles:
            break
        article = store.get_article(article_id)
        if article is None or found.chunk.story in stories:
            continue
        lead = lead_passage(article, found)
        group = [p for p in (lead, found) if p is not None]
        if lead is not None and found.start < lead.end:
            group = [lead]
        if not names_subject(group[:1], [subject, *translations]):  # about it: named by its title or lead
            continue
        stories.add(found.chunk.story)
        out.append(ArticlePassages(passages=[p.model_copy(update={"n": n}) for n, p in enumerate(group, 1)],
                                   lead_end=lead.end if lead is not None else 0))
    return out


def names_subject(passages: list[Passage], phrasings: list[str]) -> bool:
    """Whether the article's title and ``passages`` hold more than half of the keywords of one phrasing of the
    subject (a subject of function words only is named by any article)."""
    words = set(tokenize(" ".join([passages[0].title or "", *(p.text for p in passages)])))
    for phrasing in phrasings:
        keywords = set(tokenize(phrasing))
        if not keywords or 2 * len(keywords & words) > len(keywords):
            return True
    return False


# ---------------------------------------------------------------- dates


class EventDate(BaseModel):
    """When an event happened, and where that comes from."""

    date: str
    precision: Precision
    dated_by: Literal["passage", "article"]
    when: str = ""


def _squash(text: str) -> str:
    return " ".join(re.findall(r"\w+", fold(text)))


def date_words_in(when: str, text: str) -> bool:
    """Whether the date words are in ``text`` (an event's sentence): as written (case, accents and punctuation
    aside), or, when the model translated them, with numbers and month or day names that the text has too
    ("Tuesday" for "mardi", "19 November" for "19 novembre"), the numbers checked like an answer's
    (:func:`qa.grounding.unsupported_facts`)."""
    if _squash(when) in _squash(text):
        return True
    named = calendar_in(when)
    if not numbers_in(when) and not named:
        return False  # nothing to check them by: "yesterday" may not be what the text says
    return named <= calendar_in(text) and not unsupported_facts(when, text, check_names=False)


def article_day(value: str | None) -> date | None:
    """An article's date (ISO, maybe with a time) as a day; None when it has none."""
    try:
        return date.fromisoformat((value or "")[:10])
    except ValueError:
        return None


_PRECISION = {"day": "day", "week": "day", "time": "day", "month": "month", "year": "year"}
_ISO = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}


@lru_cache(maxsize=64)
def _date_parser(languages: tuple[str, ...], base: date | None, prefer: str):
    from dateparser.date import DateDataParser

    settings = {"PREFER_DATES_FROM": prefer, "PREFER_DAY_OF_MONTH": "first", "RETURN_AS_TIMEZONE_AWARE": False}
    if base is not None:
        settings["RELATIVE_BASE"] = datetime(base.year, base.month, base.day, 12)
    try:
        return DateDataParser(languages=list(languages) or None, settings=settings)
    except ValueError:  # a language dateparser does not know: let it detect
        return DateDataParser(settings=settings)


def _read(words: str, base: date | None, languages: tuple[str, ...], prefer: str) -> tuple[date, Precision] | None:
    data = _date_parser(languages, base, prefer).get_date_data(words)
    if data is None or data.date_obj is None:
        return None
    return data.date_obj.date(), _PRECISION.get(data.period or "day", "day")


# words that say which way an open date goes ("samedi dernier", "next Monday"): dateparser reads the English
# ones itself, not the French ones
_PAST = frozenset({"dernier", "derniere", "passe", "passee", "precedent", "precedente", "last", "previous", "past"})
_FUTURE = frozenset({"prochain", "prochaine", "suivant", "suivante", "next", "coming"})
_THIS = frozenset({"ce", "cette", "this"})  # "ce mercredi": the one of the article's week, before or after
_MONTHS = frozenset({"january", "february", "march", "april", "may", "june", "july", "august", "september",
                     "october", "november", "december"})


def parse_when(words: str, base: date | None, languages: Iterable[str | None] = ()) -> tuple[date, Precision] | None:
    """The day the date words mean, and to what precision, read against ``base`` (the article's date).

    A weekday alone is the last such day up to the article's ("mardi" in an article of Saturday 2020-06-27 is
    2020-06-23; "lundi" in an article of a Monday is that day): news tells what has happened. A day or a month
    without its year is the nearest one, before or after ("le 23 juillet" in an article of 2020-06-27 is
    2020-07-23, "le 19 novembre" in one of 2019-01-14 is 2018-11-19), and so is a weekday of "this" week ("ce
    mercredi" in an article of Tuesday 2019-04-02 is 2019-04-03). Words that say which way go that way
    ("samedi dernier", "lundi prochain"). Words that hold dates among others ("jeudi matin 4 avril", "dans la nuit
    de dimanche à lundi") are read by the most precise date dateparser finds in them (a year, else a day or a
    month, else a weekday). None when it finds none."""
    from dateparser.search import search_dates

    langs = tuple(dict.fromkeys(code for code in languages if code))
    reading = _reading(words, base, langs)
    if reading is None:
        settings = {"RELATIVE_BASE": datetime(base.year, base.month, base.day, 12)} if base else None
        found = [part for part, _ in search_dates(words, languages=list(langs) or None, settings=settings) or []]
        for part in sorted(found, key=_precision_of, reverse=True):
            if (reading := _reading(part, base, langs, said=words)) is not None:
                break
    return reading


def _precision_of(words: str) -> int:
    """2: the words hold a year; 1: a day's number or a month; 0: neither (a weekday, "hier")."""
    return 2 if _YEAR.search(words) else 1 if numbers_in(words) or _MONTHS & calendar_in(words) else 0


def _reading(words: str, base: date | None, langs: tuple[str, ...], said: str = "") -> tuple[date, Precision] | None:
    """What dateparser reads in the words as a whole (see :func:`parse_when` for the open dates), or None;
    ``said``: the words they were found in, which may say which way ("lundi" in "lundi prochain")."""
    direction = set(re.findall(r"\w+", fold(said or words)))
    if direction & _PAST:
        prefers = ["past"]
    elif direction & _FUTURE:
        prefers = ["future"]
    elif _precision_of(words) or direction & _THIS:
        prefers = ["past", "future"]  # a day or a month without its year: the nearest
    else:
        prefers = ["current_period"]  # a weekday: that day of the article's week, up to the article's day
    readings = [r for prefer in prefers if (r := _read(words, base, langs, prefer))]
    if not readings:
        return None
    if base is None:
        return readings[0]
    return min(readings, key=lambda r: abs((r[0] - base).days))  # the first on a tie: the past


_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")


def sentence_date_words(sentence: str, languages: Iterable[str | None] = (), base: date | None = None) -> str | None:
    """The first words of ``sentence`` that dateparser finds as a date and that name a weekday, a month or a
    year ("jeudi soir", "mercredi 6 mars", "en 1935"), without its false friends ("sa", "deux mois", "29 ans");
    searched in the first of ``languages`` (the article's). None when there are none."""
    from dateparser.search import search_dates

    langs = [code for code in languages if code][:1] or None
    settings = {"RELATIVE_BASE": datetime(base.year, base.month, base.day, 12)} if base else None
    for words, _ in search_dates(sentence, languages=langs, settings=settings) or []:
        if calendar_in(words) or _YEAR.search(words):
            tokens = words.split()
            while tokens and fold(tokens[-1].strip(".,;:")) in stopwords():  # "jeudi 24 janvier le"
                tokens.pop()
            return " ".join(tokens).strip(" .,;:") or None
    return None


def resolve_date(when: str, sentence: str, article_date: str | None, languages: Iterable[str | None] = (), *,
                 in_lead: bool = True) -> EventDate | str:
    """The date of an event told by ``sentence``, from the first of: the model's date words ``when`` as the
    sentence writes them; the sentence's own date words (:func:`sentence_date_words`); the model's words
    translated (:func:`date_words_in`); of these, the first in which dateparser reads a date, or a later one
    that says the same more precisely. Else the article's date, when the sentence is in the article's lead (news
    tells the day's event first; an undated sentence further on is background: a quote, a reminder). Never a
    date that the sentence or the article does not give: the model's words that the sentence does not have
    are set aside. A string saying why when there is none."""
    languages = list(languages)
    when = CITATION.sub("", when or "").strip(" \"'«»“”.,;:")
    base = article_day(article_date)
    found = sentence_date_words(sentence, languages, base)
    candidates = []  # the model's words as the sentence writes them, its own, the model's translated ones
    if when and _squash(when) in _squash(sentence):
        candidates.append(when)
    candidates += [found] if found else []
    if when and when not in candidates and date_words_in(when, sentence):
        candidates.append(when)
    chosen: EventDate | None = None
    for words in candidates:
        reading = parse_when(words, base, languages)
        if reading is None:
            continue
        day, precision = reading
        dated = EventDate(date=day.strftime(_ISO[precision]), precision=precision, dated_by="passage", when=words)
        if chosen is None:
            chosen = dated
        elif len(dated.date) > len(chosen.date) and dated.date.startswith(chosen.date):
            chosen = dated  # the same date, more precisely: "le 15 avril 2019" rather than "2019"
    if chosen is not None:
        return chosen
    if not in_lead:
        return "no date words, and not in the article's lead"
    if base is None:
        return "no date: neither the sentence nor the article gives one"
    return EventDate(date=base.isoformat(), precision="day", dated_by="article")


# ---------------------------------------------------------------- the model's events


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


# ---------------------------------------------------------------- one timeline


def _first_day(event: TimelineEvent) -> date:
    return date.fromisoformat((event.date + "-01-01")[:10])


def same_time(a: TimelineEvent, b: TimelineEvent) -> bool:
    """Whether two events' dates agree: equal to the precision both have ("2018-11" and "2018-11-19"), or,
    when one is only its article's date, within :data:`ARTICLE_DATE_SLACK` of each other."""
    common = min(len(a.date), len(b.date))
    if a.date[:common] == b.date[:common]:
        return True
    if "article" in (a.dated_by, b.dated_by):
        return abs(_first_day(a) - _first_day(b)) <= ARTICLE_DATE_SLACK
    return False


def _preference(event: TimelineEvent) -> tuple:
    """Which telling of an event to keep: dated by its passage, then the most precise date, then the oldest article."""
    return (event.dated_by != "passage", -len(event.date), event.article_date or "9999", event.article_id,
            event.start)


def merge_same_events(events: list[TimelineEvent], embedder, threshold: float = SAME_EVENT) -> list[TimelineEvent]:
    """The events with each one told several times kept once (see :func:`same_time`; the sentences' cosine
    similarity at least ``threshold``), the other tellings' articles in its ``also``."""
    if len(events) < 2:
        return list(events)
    vectors = embed_array(embedder, [e.event for e in events])
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    kept: list[int] = []
    for i in sorted(range(len(events)), key=lambda i: _preference(events[i])):
        event = events[i]
        for j in kept:
            if same_time(event, events[j]) and float(vectors[i] @ vectors[j]) >= threshold:
                for article_id in (event.article_id, *event.also):
                    if article_id != events[j].article_id and article_id not in events[j].also:
                        events[j].also.append(article_id)
                break
        else:
            kept.append(i)
    return [events[i] for i in kept]


def in_order(events: list[TimelineEvent]) -> list[TimelineEvent]:
    """Oldest first; a date known to the year or the month before the days within it."""
    return sorted(events, key=lambda e: (e.date, e.article_date or "", e.article_id, e.start))


def make_timeline(subject: str, language: str, chunks: list[StoredChunk], store: Store, embedder, llm,
                  settings: Settings, *, translations: Iterable[str] = (),
                  on_progress: ProgressCallback | None = None) -> Timeline:
    """The timeline of ``subject`` from the candidate ``chunks`` of ``store`` (see the module's description)."""
    started = time.perf_counter()
    groups = timeline_passages(subject, chunks, store, embedder, articles=settings.timeline_articles,
                               translations=translations)
    events: list[TimelineEvent] = []
    dropped: list[Dropped] = []
    for done, reading in enumerate(groups):
        if on_progress:
            on_progress(done, len(groups))
        found, failed = article_events(subject, reading, language, llm, settings)
        events += found
        dropped += failed
    if on_progress:
        on_progress(len(groups), len(groups))
    return Timeline(query=subject, language=language, events=in_order(merge_same_events(events, embedder)),
                    articles=[g.article_id for g in groups], dropped=dropped,
                    seconds=round(time.perf_counter() - started, 3))


__all__ = ["ArticlePassages", "Dropped", "EventDate", "Timeline", "TimelineEvent", "article_events", "date_words_in",
           "make_timeline", "merge_same_events", "parse_when", "resolve_date", "sentence_date_words",
           "subject_language", "support", "timeline_passages"]
