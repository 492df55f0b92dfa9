"""When an event happened: the date words of its sentence read against its article's date."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel

from qa.text.citations import CITATION
from qa.text.facts import calendar_in, numbers_in, unsupported_facts
from qa.text.language import fold, stopwords
from qa.news.timeline.results import Precision
from qa.news.timeline.tense import Status, Tense, is_background, status_of, tense_of


class EventDate(BaseModel):
    """When an event happened, and where that comes from."""

    date: str
    precision: Precision
    dated_by: Literal["passage", "article"]
    when: str = ""
    status: Status = "done"


def _squash(text: str) -> str:
    return " ".join(re.findall(r"\w+", fold(text)))


def date_words_in(when: str, text: str) -> bool:
    """Whether the date words are in ``text`` (an event's sentence): as written (case, accents and punctuation
    aside), or, when the model translated them, with numbers and month or day names that the text has too
    ("Tuesday" for "mardi", "19 November" for "19 novembre"), the numbers checked like an answer's
    (:func:`qa.text.facts.unsupported_facts`)."""
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


def parse_when(words: str, base: date | None, languages: Iterable[str | None] = (),
               tense: Tense | None = None) -> tuple[date, Precision] | None:
    """The day the date words mean, and to what precision, read against ``base`` (the article's date).

    A weekday alone ("vendredi", "Friday", "ce week-end": its Saturday) goes the way of its sentence's ``tense``
    (:func:`qa.news.timeline.tense.tense_of`): past, the last such day up to the article's ("mardi" in an article of
    Saturday 2020-06-27 is 2020-06-23; "lundi" in an article of a Monday is that day); future, the next one from
    the article's ("vendredi" in "la réunion prévue vendredi", in an article of Thursday 2020-07-02, is
    2020-07-03); unknown, the past: news tells what has happened. A day or a month without its year is the nearest
    one, before or after ("le 23 juillet" in an article of 2020-06-27 is 2020-07-23, "le 19 novembre" in one of
    2019-01-14 is 2018-11-19), and so is a weekday of "this" week ("ce mercredi" in an article of Tuesday
    2019-04-02 is 2019-04-03). Words that say which way go that way ("samedi dernier", "lundi prochain": never the
    article's own day). Words that hold dates among others ("jeudi matin 4 avril", "dans la nuit de dimanche à
    lundi") are read by the most precise date dateparser finds in them (a year, else a day or a month, else a
    weekday). None when it finds none."""
    from dateparser.search import search_dates

    langs = tuple(dict.fromkeys(code for code in languages if code))
    reading = _reading(words, base, langs, tense=tense)
    if reading is None:
        settings = {"RELATIVE_BASE": datetime(base.year, base.month, base.day, 12)} if base else None
        found = [part for part, _ in search_dates(words, languages=list(langs) or None, settings=settings) or []]
        for part in sorted(found, key=_precision_of, reverse=True):
            if (reading := _reading(part, base, langs, said=words, tense=tense)) is not None:
                break
    return reading


def _precision_of(words: str) -> int:
    """2: the words hold a year; 1: a day's number or a month; 0: neither (a weekday, "hier")."""
    return 2 if _YEAR.search(words) else 1 if numbers_in(words) or _MONTHS & calendar_in(words) else 0


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKEND = re.compile(r"\bweek-?ends?\b")


def weekday_date(weekday: int, base: date, way: Tense, strict: bool = False) -> date:
    """The day of ``weekday`` (0: Monday) from ``base``: the last one up to it (``way`` past) or the next one from
    it (future); ``strict``: never ``base`` itself ("lundi prochain" in an article of a Monday is a week later)."""
    if way == "past":
        return base - timedelta(days=(base.weekday() - weekday) % 7 or (7 if strict else 0))
    return base + timedelta(days=(weekday - base.weekday()) % 7 or (7 if strict else 0))


def _weekday_of(words: str) -> int | None:
    """The weekday that words name alone ("vendredi soir", "ce week-end": Saturday), or None when they name none,
    several, or a day's number, a month, a year or a relative day ("hier", "last week")."""
    folded = fold(words)
    named = [w for w in _WEEKDAYS if w in calendar_in(words)]
    if _WEEKEND.search(folded):
        named.append("saturday")
    if len(named) != 1 or _precision_of(words) or re.search(r"\b(?:hier|demain|week(?!-?end)|semaine)\b", folded):
        return None
    return _WEEKDAYS.index(named[0])


def _reading(words: str, base: date | None, langs: tuple[str, ...], said: str = "",
             tense: Tense | None = None) -> tuple[date, Precision] | None:
    """What dateparser reads in the words as a whole (see :func:`parse_when` for the open dates), or None;
    ``said``: the words they were found in, which may say which way ("lundi" in "lundi prochain")."""
    direction = set(re.findall(r"\w+", fold(said or words)))
    weekday = _weekday_of(words)
    if weekday is not None and base is not None:
        if direction & _PAST or direction & _FUTURE:
            return weekday_date(weekday, base, "past" if direction & _PAST else "future", strict=True), "day"
        if tense is not None or not direction & _THIS:
            return weekday_date(weekday, base, tense or "past"), "day"
        # "ce vendredi", tense unknown: the nearest, the article's own day first
        ways = [weekday_date(weekday, base, "past"), weekday_date(weekday, base, "future")]
        return min(ways, key=lambda day: abs((day - base).days)), "day"
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
# the relative days dateparser reads, that name neither a weekday nor a month (folded)
_RELATIVE_DAYS = re.compile(r"\b(?:hier|avant-hier|demain|apres-demain|yesterday|tomorrow)\b")
_WEEKEND_WORDS = re.compile(r"\b(?:(?:ce|le|du|this|last|next|the)\s+)?week-?end(?:\s+(?:dernier|prochain))?\b",
                            re.IGNORECASE)


def sentence_date_words(sentence: str, languages: Iterable[str | None] = (), base: date | None = None) -> str | None:
    """The first words of ``sentence`` that dateparser finds as a date and that name a weekday, a month, a year or
    a relative day ("jeudi soir", "mercredi 6 mars", "en 1935", "hier"), without its false friends ("sa", "deux
    mois", "29 ans"), or a weekend ("ce week-end", which dateparser does not read); searched in the first of
    ``languages`` (the article's). None when there are none."""
    from dateparser.search import search_dates

    langs = [code for code in languages if code][:1] or None
    settings = {"RELATIVE_BASE": datetime(base.year, base.month, base.day, 12)} if base else None
    weekend = _WEEKEND_WORDS.search(sentence)
    for words, _ in search_dates(sentence, languages=langs, settings=settings) or []:
        if calendar_in(words) or _YEAR.search(words) or _RELATIVE_DAYS.search(fold(words)):
            if weekend and weekend.start() < max(0, sentence.find(words)):
                break
            tokens = words.split()
            while tokens and fold(tokens[-1].strip(".,;:")) in stopwords():  # "jeudi 24 janvier le"
                tokens.pop()
            return " ".join(tokens).strip(" .,;:") or None
    return weekend.group() if weekend else None


def resolve_date(when: str, sentence: str, article_date: str | None, languages: Iterable[str | None] = (), *,
                 in_lead: bool = True) -> EventDate | str:
    """The date of an event told by ``sentence``, from the first of: the model's date words ``when`` as the
    sentence writes them; the sentence's own date words (:func:`sentence_date_words`); the model's words translated
    (:func:`date_words_in`); of these, the first in which dateparser reads a date, or a later one that says the
    same more precisely, a weekday read the way of its clause's tense (:func:`parse_when`). Its ``status``: done,
    planned or cancelled (:func:`qa.news.timeline.tense.status_of`). Else the article's date, when the sentence is in
    the article's lead (news tells the day's event first; an undated sentence further on is background: a quote, a
    reminder), unless it is told as background itself (:func:`qa.news.timeline.tense.is_background`: "elle était", "il
    avait promis") or asks a question ("La réforme est-elle à mettre à la poubelle ?"). Never a date that the
    sentence or the article does not give: the model's words that the sentence does not have are set aside. A
    string saying why when there is none."""
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
        tense = tense_of(sentence, words)
        reading = parse_when(words, base, languages, tense=tense)
        if reading is None:
            continue
        day, precision = reading
        after = base is not None and (day > base if precision == "day" else day.strftime(_ISO[precision]) >
                                      base.strftime(_ISO[precision]))
        dated = EventDate(date=day.strftime(_ISO[precision]), precision=precision, dated_by="passage", when=words,
                          status=status_of(sentence, tense, after))
        if chosen is None:
            chosen = dated
        elif len(dated.date) > len(chosen.date) and dated.date.startswith(chosen.date):
            chosen = dated  # the same date, more precisely: "le 15 avril 2019" rather than "2019"
    if chosen is not None:
        return chosen
    if not in_lead:
        return "no date words, and not in the article's lead"
    if sentence.rstrip(" \"'»”").endswith("?"):
        return "no date words, and a question, not the day's event"
    if is_background(sentence):
        return "no date words, and told as background (what was, or had been), not as the day's event"
    if base is None:
        return "no date: neither the sentence nor the article gives one"
    return EventDate(date=base.isoformat(), precision="day", dated_by="article",
                     status=status_of(sentence, tense_of(sentence), False))
