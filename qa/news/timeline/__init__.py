"""Story timeline: the dated events about a subject across the stored articles, oldest first, each told in
one short sentence in the reader's language and cited to the sentence of the article it comes from.

How a timeline is made (``Assistant.timeline`` finds the candidate chunks, this module does the rest):

1. **Passages** (:func:`timeline_passages`): the subject is searched like a question, with more candidates,
   and in the keyword index: every article whose title or text names it (more than half of its keywords, or of
   its translation's) is found (``Timeline.named``) and read, up to ``QA_TIMELINE_MAX_ARTICLES``, one of a
   group of wire copies (the others are its events' ``also``). The model reads each one's lead (its first
   sentences, where news says what happened and when) and the passage that matches the subject best.
2. **Events** (:func:`article_events`): one short model call per article. The model reads the article's
   passages, sentences numbered, and writes JSON constrained by a schema: for each event (two at most) the
   number of its sentence, the words that say when ("mardi", "le 19 novembre 2018", or nothing), and one
   short sentence in the reader's language.
3. **Checks**: each event must be told by its sentence: in the passages' language, at least half of its
   words (names aside) are in it, else the sentence of the article that has them is taken instead (the small
   model often names a neighbour), else the event is dropped (:func:`support`). Then it is checked like an
   answer (:func:`qa.answers.checking.check`): its numbers and names must be in its sentence (names also in its
   article) and it must be in the reader's language. What fails is dropped (``Timeline.dropped``). The
   reader's language is the subject's, or for a bare name ("Carlos Ghosn") the collection's main one.
4. **Dates** (:func:`resolve_date`): an event's date comes from its sentence or its article, never from the
   model: the model's date words count only when the sentence has them (:func:`date_words_in`), else the
   sentence's own date words are taken (:func:`sentence_date_words`), else the article's date, but only for
   a sentence of the lead (an undated sentence further on is background: it is dropped). A weekday goes the
   way of its clause's tense (``qa/news/timeline/tense.py``: past, the last such day; future, the next), and each
   event gets a ``status``: done, planned or cancelled. Date words are
   read by dateparser against the article's date (``RELATIVE_BASE``): a weekday told in the past is the last
   such day up to the article's ("mardi" in an article of Saturday 2020-06-27 is 2020-06-23); a day or a month
   without its year the nearest one ("le 23 juillet" in an article of 2020-06-27 is 2020-07-23, "le 19
   novembre" in one of 2019-01-14 is 2018-11-19). ``date`` is ISO to the precision known: ``2018-11-19``,
   ``2018-11`` or ``2018``.
5. **One event once** (:func:`merge_same_events`): the same event told by several articles (dates that
   agree, sentences that mean the same by the multilingual embedder) is kept once, with the best date (from
   a passage rather than an article's date, the most precise), the other articles in ``also``.
"""

from qa.news.timeline.build import in_order, make_timeline, merge_same_events, same_time
from qa.news.timeline.dates import EventDate, date_words_in, parse_when, resolve_date, sentence_date_words
from qa.news.timeline.events import article_events, support
from qa.news.timeline.passages import ArticlePassages, TimelineReading, subject_language, timeline_passages
from qa.news.timeline.results import Dropped, Timeline, TimelineEvent

__all__ = ["ArticlePassages", "Dropped", "EventDate", "Timeline", "TimelineEvent", "TimelineReading", "article_events",
           "date_words_in", "in_order", "make_timeline", "merge_same_events", "parse_when", "resolve_date", "same_time",
           "sentence_date_words", "subject_language", "support", "timeline_passages"]
