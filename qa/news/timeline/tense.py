"""Which way a sentence looks from its article's day, and whether what it tells happened, is planned or was called
off: deterministic rules on the words of the sentence, in French and English, no model.

**Tense** (:func:`tense_of`): the tense markers of the clause that holds the date words ("vendredi"), the nearest
first. Future: the future and conditional endings ("se tiendra", "seront", "devrait"), the words of a plan
("prévu", "doit", "devait", "va", "will", "would", "is due to", "scheduled", "expected to", "plans to") and those of
the days ahead ("prochain", "demain", "next", "tomorrow"). Past: the auxiliaries of the compound tenses ("a", "ont",
"avait", "était", "has", "had", "was"), the imperfect ("-ait"), English "-ed" forms and the words of the days behind
("dernier", "hier", "last", "yesterday", "ago"). A clause ends at a comma, a semicolon, a colon, a quotation mark,
or a word that starts another ("que", "mais", "that", "but"); with no marker in its clause, the sentence's nearest
marker counts; with none at all, the tense is unknown (None) and a weekday is read as past (news tells what has
happened).

**Status** (:func:`status_of`): ``cancelled`` when the sentence says the thing was called off or put off
("annulée", "reportée", "décalées", "cancelled", "called off", "postponed"), or tells a plan as what was first
meant ("devait initialement aboutir vendredi", "originally scheduled for Friday"); else ``planned`` when its tense is
future or its date after the article's; else ``done``.
"""

from __future__ import annotations

import re
from typing import Literal

from qa.text.language import fold

Tense = Literal["past", "future"]
Status = Literal["done", "planned", "cancelled"]

# words (accents folded, lower case) that say the time ahead: a plan, the future, the days to come
FUTURE_WORDS = frozenset({
    "prochain", "prochaine", "prochains", "prochaines", "demain", "apres-demain",
    "prevu", "prevue", "prevus", "prevues", "programme", "programmee", "programmes", "programmees", "envisage",
    "doit", "doivent", "devait", "devaient", "devra", "devront", "devrait", "devraient", "va", "vont",
    "attendu", "attendue", "attendus", "attendues", "ira", "iront",
    "will", "shall", "would", "next", "coming", "upcoming", "tomorrow", "scheduled", "planned", "plans",
    "expected", "ll", "going",
})
PAST_WORDS = frozenset({
    "a", "ont", "avait", "avaient", "ai", "avons", "eu", "ete", "etait", "etaient", "fut", "furent",
    "dernier", "derniere", "derniers", "dernieres", "hier", "avant-hier", "passe", "passee", "precedent",
    "precedente", "deja", "recemment",
    "was", "were", "had", "has", "have", "did", "last", "yesterday", "ago", "previous", "earlier", "said", "told",
    "took", "came", "went", "made", "gave", "met", "held", "began", "fled", "won", "lost", "saw", "left", "sent",
})
CANCELLED_WORDS = re.compile(
    r"\b(?:annul\w*|report[ée]e?s?|repouss(?:er|[ée]e?s?)|d[ée]cal[ée]e?s?|ajourn[ée]e?s?|suspendue?s?|"
    r"cancel(?:l?ed|l?ing|s|lation)?|called off|call off|postpone[ds]?|postponing|scrapped|put off|"
    r"called-off|axed)\b", re.IGNORECASE)
# words that end a clause ("Il a dit que la réunion se tiendra vendredi": "vendredi" is in the second one)
_CLAUSE_WORDS = frozenset({"que", "qu", "mais", "tandis", "alors", "lorsque", "quand", "puisque", "car", "that",
                           "but", "while", "whereas", "when", "after", "before", "apres", "avant", "et", "and",
                           "ou", "or", "qui", "which", "who", "dont"})
_PASSIVE = frozenset({"be", "been", "being", "etre"})
_ALLEGED = frozenset({"aurait", "auraient", "serait", "seraient"})  # + a participle: what is said to have happened
_CLAUSE_MARKS = re.compile(r"[,;:()«»\"“”\[\]—–]|\s-\s")
_NOT_VERBS = frozenset({  # words with a verb's ending that are not verbs
    "opera", "camera", "era", "riviera", "chimera", "sierra", "extra", "terra", "mantra", "tiara", "cobra",
    "front", "affront", "trait", "portrait", "retrait", "extrait", "attrait", "abstrait", "souhait", "lait",
    "fait", "faits", "bienfait", "forfait", "environs", "patrons", "marrons", "citrons", "escadrons", "herons",
    "quelquefois", "vrai", "balai", "minerai", "essai", "delai", "relai", "bed", "red", "shed", "need", "speed",
    "seed", "feed", "hundred", "greed", "bred", "sacred", "naked", "wicked", "led", "fed", "wed", "ted",
})
_FUTURE_ENDING = re.compile(r"[eiudvr]r(?:a|ai|ont|ons|ez|ait|aient)$")  # "sera", "tiendra", "pourront", "devrait"
_PAST_ENDING = re.compile(r"[^r]aient$|[^r]ait$|[a-z]{2}ed$")
_PARTICIPLE = re.compile(r"[a-zà-ÿ]{3,}é(?:e|es|s)?")  # "lancée", "arrêtés": past, when nothing stronger is near


def participle(word: str, original: str) -> bool:
    """Whether a word may be a French past participle ("lancée", "interpellés"): a weak past marker, counted only
    when its clause has no other ("lancée le 25 mai" in a sentence whose verb is "devait")."""
    return bool(_PARTICIPLE.fullmatch(original))


def marker(word: str, original: str) -> Tense | None:
    """The tense a word marks (``word`` folded, ``original`` as written), or None."""
    if word in FUTURE_WORDS:
        return "future"
    if word in PAST_WORDS:
        return "past" if word != "a" or original == "a" else None  # "a" (has), not "à" (to)
    if word in _NOT_VERBS or len(word) < 4 or original[:1].isupper():
        return None
    if _FUTURE_ENDING.search(word):
        return "future"
    if _PAST_ENDING.search(word):
        return "past"
    return None


def _tokens(text: str) -> list[tuple[int, str, str]]:
    """(offset, folded word, word as written) for each word; "week-end" and "avant-hier" stay one."""
    return [(m.start(), fold(m.group()), m.group()) for m in re.finditer(r"\w+(?:-\w+)*", text.replace("’", "'"))]


def _clause(sentence: str, offset: int) -> tuple[int, int]:
    """The clause of ``sentence`` around ``offset``: from the mark or the clause word before it to the one after."""
    begin, end = 0, len(sentence)
    for m in _CLAUSE_MARKS.finditer(sentence):
        if m.end() <= offset:
            begin = m.end()
        elif m.start() >= offset:
            end = min(end, m.start())
            break
    for start, word, _ in _tokens(sentence):
        if word in _CLAUSE_WORDS:
            if begin <= start < offset:
                begin = start + len(word)
            elif offset < start < end:
                end = start
    return begin, end


def tense_of(sentence: str, when: str = "") -> Tense | None:
    """The tense of the clause of ``sentence`` that holds the date words ``when`` (the whole sentence when
    ``when`` is empty or not in it): its nearest tense marker; else the sentence's nearest; else None."""
    at = fold(sentence).find(fold(when)) if when else -1
    if at < 0:
        at, span = 0, len(sentence)
    else:
        span = len(when)
    words = set(re.findall(r"[\w-]+", fold(when)))
    found, weak, before = [], [], ""
    for start, word, original in _tokens(sentence):
        tense = marker(word, original) if word not in words else None
        # a participle after "be" or a future verb is told by the verb before it: "will be held", "sera lancée"
        if before in _ALLEGED and found and (tense == "past" or participle(word, original)):
            found[-1] = (found[-1][0], "past")  # "aurait dépensé": the past, alleged, not the future
        elif tense and not (tense == "past" and before in _PASSIVE):
            found.append((start, tense))
        elif not tense and word not in words and before not in _PASSIVE and not marker(before, before) and \
                participle(word, original):
            weak.append((start, "past"))
        before = word
    begin, end = _clause(sentence, at) if when and span < len(sentence) else (0, len(sentence))
    if not any(begin <= item[0] < end for item in found):
        found += [item for item in weak if begin <= item[0] < end]
    if not found:
        return None

    def distance(item: tuple[int, Tense]) -> int:
        start = item[0]
        return at - start if start < at else max(0, start - (at + span))

    inside = [item for item in found if begin <= item[0] < end]
    return min(inside or found, key=distance)[1]


_DONE = frozenset({"a", "ont", "ai", "avons", "has", "have", "was", "were", "did"})  # what happened, told as done
_BACKGROUND = frozenset({"avait", "avaient", "etait", "etaient", "had"})  # what was, or had been


def is_background(sentence: str) -> bool:
    """Whether a sentence tells what was or had been (the imperfect, the pluperfect: "Elle était une proche
    collaboratrice", "Il avait promis un plan") and nothing told as done ("a été arrêtée") or ahead: background,
    not the day's event, so not dated by its article."""
    found = [(word, marker(word, original)) for _, word, original in _tokens(sentence)]
    if any(tense == "future" or word in _DONE for word, tense in found):
        return False
    return any(word in _BACKGROUND or (tense == "past" and word.endswith(("ait", "aient"))) for word, tense in found)


# a plan told as what was first meant ("devait initialement aboutir vendredi", "originally scheduled for"): changed
CHANGED_PLAN = re.compile(r"\b(?:initialement|à l'origine|a l'origine|originally|initially)\b",
                          re.IGNORECASE)


def is_cancelled(sentence: str, tense: Tense | None = None) -> bool:
    """Whether the sentence says that what it tells was called off or put off: its words ("annulée", "reportée",
    "postponed"), or a plan (``tense`` future) told as what was first meant ("initialement", "originally")."""
    return bool(CANCELLED_WORDS.search(sentence)) or (tense == "future" and bool(CHANGED_PLAN.search(sentence)))


def status_of(sentence: str, tense: Tense | None, after_article: bool) -> Status:
    """``cancelled``, ``planned`` (future tense, or dated after its article) or ``done``: see the module's
    description."""
    if is_cancelled(sentence, tense):
        return "cancelled"
    if tense == "future" or after_article:
        return "planned"
    return "done"


__all__ = ["CANCELLED_WORDS", "Status", "Tense", "is_background", "is_cancelled", "marker", "status_of", "tense_of"]
