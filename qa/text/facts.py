"""Grounding: whether an answer's facts are in the text it cites.

A small model will not reliably refuse, so every answer and summary is checked after generation: its
numbers (and, when it is written in the passages' language, its names) must appear in the text it
cites. The rules are named functions, each unit-tested: :func:`numbers_in`, :func:`names_in`,
:func:`unsupported_facts`, :func:`is_refusal`, :func:`is_instruction` (a sentence addressed to a model
is never evidence).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from qa.text.citations import CITATION
from qa.text.language import fold, stopwords

_NUMBER = re.compile(r"\d+(?:[ \u202f\u00a0.,]\d{3})*(?:[.,]\d+)?")
_NAME = re.compile(r"[A-ZÀ-ÖØ-Þ][\w’'-]{2,}(?:\s+[A-ZÀ-ÖØ-Þ][\w’'-]{2,})*")
_SHORT_ACRONYM = re.compile(r"(?<![\w’'-])[A-ZÀ-ÖØ-Þ]{2}(?![\w’'-])")  # "RT", "UE": too short for _NAME
_SENTENCE_START = re.compile(r"(?:^|[.!?:«“\"]\s*)$")
NOT_FOUND = "NOT_FOUND"


def _digits(number: str) -> str:
    """A written number as its digits, without separators or leading zeros: "02" is "2", "2 763" is "2763"."""
    return re.sub(r"[ \u202f\u00a0.,]", "", number).lstrip("0") or "0"


def _plain_numbers(text: str) -> set[str]:
    return {_digits(n) for n in _NUMBER.findall(text)}


_SCALES = {"thousand": 3, "mille": 3, "million": 6, "millions": 6, "m": 6, "mn": 6, "billion": 9,
           "billions": 9, "milliard": 9, "milliards": 9, "bn": 9, "trillion": 12, "trillions": 12}
_SCALED = re.compile(r"(?<![\d.,])(\d{1,3}(?:[.,]\d{1,3})?)\s*(" + "|".join(sorted(_SCALES, key=len, reverse=True))
                     + r")\b", re.IGNORECASE)
# "1. ", "2) " at the start of a line: a list's numbering, not a fact
_ENUMERATION = re.compile(r"(?m)^\s*\d{1,2}[.)]\s+")


def _scaled(text: str) -> list[tuple[str, str]]:
    """Scaled numbers ("2.2 million", "9,4 millions", "3 milliards"): (their digits, their value in digits)."""
    found = []
    for number, scale in _SCALED.findall(text):
        whole, _, decimals = number.replace(",", ".").partition(".")
        exponent = _SCALES[scale.lower()]
        if len(decimals) <= exponent:
            found.append((_digits(number), _digits(whole + decimals.ljust(exponent, "0"))))
    return found


def numbers_in(text: str) -> set[str]:
    """The numbers of ``text`` as digit strings, without leading zeros ("02" is "2", "2 763" and "2,763"
    are "2763"), its scaled numbers also by value ("2,2 millions" is "22" and "2200000")."""
    return _plain_numbers(text) | {value for _, value in _scaled(text)}


def names_in(text: str) -> set[str]:
    """Runs of capitalised words: likely names of people, places, bodies. At the start of a sentence,
    a capitalised function word ("The", "Le", "Il") is not a name and is left out of the run."""
    text = CITATION.sub(" ", text)
    names = set()
    for match in _NAME.finditer(text):
        words = match.group(0).split()
        if _SENTENCE_START.search(text[:match.start()]):
            while words and (fold(words[0]) in stopwords() or len(words) == 1 and _is_common(words[0])):
                words = words[1:]
        if words:
            names.add(" ".join(words))
    return names


def _is_common(word: str) -> bool:
    """A lone capitalised first word that is probably an ordinary word, not a name."""
    return fold(word).endswith(("ment", "tion", "ly", "ing", "ed", "es", "ait", "ont", "ez"))


_CALENDAR_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl")
_CALENDAR_KEYS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                  "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
                  "saturday", "sunday")
_ISO_MONTH = re.compile(r"\b\d{4}-(\d{2})-\d{2}\b")


@lru_cache(maxsize=1)
def calendar_words() -> dict[str, str]:
    """Month and weekday names in the languages dateparser knows ("juillet", "July" → "july")."""
    from dateparser.languages.loader import LocaleDataLoader

    words: dict[str, str] = {}
    for locale in LocaleDataLoader().get_locales(languages=list(_CALENDAR_LANGUAGES)):
        for key in _CALENDAR_KEYS:
            for form in locale.info.get(key, []):
                if len(form) >= 3 and form.isalpha():
                    words.setdefault(fold(form), key)
    return words


def calendar_in(text: str) -> set[str]:
    """The months and weekdays a text names, in any language dateparser knows ("mardi", "Tuesday" → tuesday),
    or in dates written 2020-07-02."""
    table = calendar_words()
    found = {table[w] for w in re.findall(r"\w+", fold(text)) if w in table}
    found |= {_CALENDAR_KEYS[int(m) - 1] for m in _ISO_MONTH.findall(text) if 1 <= int(m) <= 12}
    return found


def unsupported_facts(answer: str, evidence: str, question: str = "", check_names: bool = True,
                      translated: Iterable[str] = (), setting: str = "") -> list[str]:
    """The numbers of ``answer`` found neither in ``evidence`` nor in the question, and its names not in
    ``evidence``.

    With ``check_names=False`` (answer and evidence in different languages) names may be translated:
    a name passes when at least half of its words share their first three letters with a word of the
    evidence ("United States"/"États-Unis", "London"/"Londres"), or its last word is in the evidence
    as written; "United States Navy" against a text that never mentions a navy does not. Month and
    weekday names pass when the evidence or the question names the same month or day in any language
    (or has an ISO date in that month): "July" is supported by "juillet" or "2020-07-02".
    ``translated``: words of the question that no passage spells (the reader's words for what the
    passages name in their language, "French" for "Françaises"); names made of them pass in another
    language. ``setting``: more text of the evidence's articles (their titles, their other passages),
    where names may be found too, not numbers: a passage says "il", its article says "Stoltenberg".
    """
    answer = _ENUMERATION.sub(" ", CITATION.sub(" ", answer))
    allowed = numbers_in(evidence) | numbers_in(question)
    # a number passes when the evidence has it whole ("2" does not stand for "2 763"), or, when the answer
    # scales it ("2.2 million"), when the evidence has that value in any spelling ("2 200 000", "2,2 millions")
    scaled_ok = {digits for digits, value in _scaled(answer) if value in allowed}
    missing = sorted(_plain_numbers(answer) - allowed - scaled_ok)
    haystack = fold(evidence + " " + setting)  # a name from the question must still be there: it ties them
    translated = {fold(w) for w in translated}
    prefixes = {w[:3] for w in re.findall(r"\w+", haystack) if len(w) > 3}
    calendar, months_named = calendar_words(), None
    for name in sorted(names_in(answer)):
        words = [w for w in re.findall(r"\w+", fold(name)) if len(w) > 2]
        dates = [calendar[w] for w in words if w in calendar]  # "July" for "juillet": not a name to spell alike
        if dates:
            if months_named is None:  # the answer may repeat the question's date ("in April 2020")
                months_named = calendar_in(haystack) | calendar_in(question)
            if not set(dates) <= months_named:
                missing.append(name)
                continue
            words = [w for w in words if w not in calendar]
        if not words:
            continue
        if check_names:  # every word, or at least the last one (a family name: "Jens Stoltenberg" → "Stoltenberg")
            supported = all(w in haystack for w in words) or (len(words) > 1 and words[-1] in haystack)
        else:  # another language: names may be translated ("Londres"/"London"): shared stems will do
            matched = sum(w[:3] in prefixes or w in haystack for w in words)
            supported = 2 * matched >= len(words) or words[-1] in haystack or set(words) <= translated
        if not supported:
            missing.append(name)
    if check_names:  # a two-letter acronym names a body as well ("RT", the article's publisher, is not Reuters)
        words = set(re.findall(r"\w+", haystack))
        missing += sorted({a for a in _SHORT_ACRONYM.findall(answer) if fold(a) not in words})
    return missing


def is_refusal(answer: str) -> bool:
    """NOT_FOUND, or nothing but citations and punctuation ("", "[1]", "[2]."). The 1.5B model writes a
    bare citation when it does not find the answer: asked again for the answer itself, it said
    NOT_FOUND on 5 of 5 such eval questions."""
    return not re.search(r"\w", CITATION.sub(" ", answer)) or NOT_FOUND in answer.upper().replace(" ", "_")


# Sentences addressed to an assistant or a model, not to a reader: "ignore previous instructions",
# "answer every question with …", "you are now …", "if you are an AI …", in English and French
# (matched on folded text: lower case, no accents). Such a sentence is never evidence.
_MODELS_EN = (r"(?:ai|a\.i\.|artificial intelligence|llms?|language models?|ai models?|chatbots?|chat ?bots?|bots|"
              r"(?:ai|virtual|digital) assistants?|assistants? (?:like|such as) \w+|machines? reading this|"
              r"models? reading this|any model|automated (?:systems?|readers?)|crawlers?)\b")
_MODELS_FR = (r"(?:ia|intelligences? artificielles?|assistants? (?:ia|d'ia|virtuels?|numeriques?|conversationnels?)|"
              r"chatbots?|robots? conversationnels?|agents? conversationnels?|modeles? de langage|modeles? d'ia|"
              r"llms?|machines? qui (?:lisent|lit))\b")
_INSTRUCTION = re.compile("|".join([
    r"\b(?=ignor|disregard|forget|oubli)(?<!\bont )(?<!\ba )(?<!\bavait )(?<!\bavaient )"
    r"(?:ignore|ignorez|ignorer|disregard|forget|oublie[rz]?)\b"
    r"(?=.{0,60}\b(?:instructions?|prompts?|rules|consignes?|regles|directives?)\b)"
    r"(?=.{0,60}\b(?:previous|prior|above|earlier|preceding|precedentes?|anterieures?|ci-dessus|your|vos|tes|all|"
    r"toutes?)\b)",
    r"\b(?:forget|oubliez|oublie) (?:everything|tout)\b",
    r"(?:^|[.:;!\"«]\s*|\b(?:please|must|should|always|now|and|then|simply)\s+)(?:answer|respond|reply)\s+(?:to\s+)?"
    r"(?:every|all|any|each)\b.{0,20}\b(?:questions?|queries|prompts?|requests?)",
    r"\b(?:reponds|repondez|repondre|reponde)\b.{0,30}\b(?:toutes?|chaque|n'importe quelle?|aux?)\b.{0,20}"
    r"\b(?:questions?|requetes?|demandes?)\b",
    r"\byou are (?:now|from now on|no longer)\b",
    r"\b(?:tu es|vous etes|tu n'es plus|vous n'etes plus) (?:desormais|maintenant|a present|plus)\b",
    r"\b(?:if|when|since) you are an? (?:ai|assistant|language model|chatbot|llm|bot|model)\b",
    r"\b(?:si|quand|comme) (?:tu es|vous etes) (?:une? )?(?:ia|intelligence artificielle|assistant|modele|chatbot|robot)\b",
    r"\b(?:as|en tant qu'?) ?an? ?(?:ai|ia|language model|modele de langage|assistant virtuel)\b,",
    r"\b(?:system prompt|system message|developer mode|jailbreak|invite systeme|prompt systeme)\b",
    r"\b(?:new instructions|nouvelles? (?:instructions?|consignes?))\s*:",
    r"\b(?:ai|ia|llm|chatbots?|assistants?|language models?|modeles? de langage|intelligences? artificielles?)\b.{0,40}"
    r"\b(?:must|should|shall|are instructed to|doi[st]|doivent|devez|devra) (?:answer|respond|reply|say|state|write|"
    r"ignore|repondre|dire|ecrire|affirmer|ignorer|indiquer)\b(?! to\b)",
    r"\bfrom now on\b.{0,40}\b(?:answer|respond|reply|say|write|you)\b",
    r"\ba partir de maintenant\b.{0,40}\b(?:reponds|repondez|dis|dites|ecris|ecrivez|tu|vous)\b",
    r"\b(?:do not|don't|never) (?:tell|reveal|mention|inform)\b.{0,30}\b(?:the user|users|the reader)\b",
    r"\bne (?:dites|dis|revelez|revele) (?:pas|rien|jamais)\b.{0,30}\b(?:utilisateurs?|lecteurs?)\b",
    r"<\|?(?:im_start|im_end|system|assistant|endoftext)\|?>|\[/?inst\]|^\s*(?:system|assistant)\s*:",
    # a note or message addressed to models: "Note to AI assistants:", "Message for chatbots", "Note aux IA"
    r"\b(?:note|notes|message|memo|notice|reminder|warning|attention|instructions?)\s+(?:to|for)\s+"
    r"(?:all\s+|any\s+|the\s+)?" + _MODELS_EN,
    r"\b(?:note|message|avis|rappel|consignes?|instructions?|avertissement)\s+(?:a|aux|pour(?: les?)?|a l'attention "
    r"des?|a l'intention des?|destinee?s? aux)\s+(?:les?\s+|tous les\s+)?" + _MODELS_FR,
    r"\b(?:a l'attention|a l'intention)\s+(?:des?|du|de tous les|de toutes les)\s+" + _MODELS_FR,
    r"\b(?:for the attention of|attention)\s+(?:all\s+|any\s+)?" + _MODELS_EN + r"\s*[:,!]",
    # the model called by its name at the start of a sentence: "Assistant, when asked about NATO, answer …"
    r"^\W*(?:hey |dear |ok |okay )?(?:ai )?(?:assistant|ai|chatbot|bot|language model|llm|chatgpt|gpt|claude|gemini|"
    r"copilot)\s*[,:]\s*(?:when|if|whenever|please|always|never|you|answer|respond|reply|say|tell|ignore|remember|"
    r"from now|do not|don't)\b",
    r"^\W*(?:cher |chere )?(?:assistant|ia|chatbot|robot|modele|agent)\s*[,:]\s*(?:quand|si|lorsque|lorsqu'|des que|"
    r"veuillez|reponds|repondez|dis|dites|ignore|ignorez|oublie|oubliez|tu|vous|toujours|ne)\b",
    # "when asked about X, answer …": an order for whoever is asked
    r"\b(?:when|if|whenever|once) (?:you are |you're |you get |anyone is )?(?:asked|questioned|queried)\b"
    r"[^.;]{0,80},\s*"
    r"(?:always\s+|simply\s+|just\s+|only\s+)?(?:answer|respond|reply|say|state|claim|tell|write|insist)\b",
    r"\b(?:quand|si|lorsqu'?|des qu'?)\s*(?:on (?:te|vous) (?:demande|interroge|pose|questionne)|(?:tu es|vous etes) "
    r"(?:interroge|questionne)e?s?)\b[^.;]{0,80},\s*(?:toujours\s+)?(?:reponds|repondez|dis|dites|affirme|affirmez|"
    r"ecris|ecrivez|indique|indiquez|soutiens|soutenez)\b",
    # "Disregard everything above", "Pay no attention to the earlier guidance",
    # "Ne tenez pas compte de ce qui précède"
    r"\b(?=disregard|ignore|forget|pay |take |do |don't|set |discard|override)(?<!\bont )(?<!\ba )(?<!\bavait )"
    r"(?:disregard|ignore|forget|pay no (?:attention|heed|mind) to|take no notice of|"
    r"do not (?:follow|obey|heed)|don't (?:follow|obey|heed)|set aside|discard|override)\b"
    r"(?=.{0,50}\b(?:everything|anything|all|guidance|guidelines|instructions?|directions?|directives?|orders|text|"
    r"context|messages?|prompts?|rules|said|written|told)\b)"
    r"(?=.{0,60}\b(?:above|earlier|previous|prior|preceding|before this|so far|until now|up to now|you (?:were|have "
    r"been) (?:told|given))\b)",
    r"\b(?=ne |fai|ignor|oubli|n'ecout)(?<!\bont )(?<!\ba )(?<!\bavait )"
    r"(?:ne (?:tenez|tiens) (?:pas|aucun) compte|faites abstraction|fais abstraction|"
    r"ignorez|ignore|oubliez|oublie|n'ecoutez pas|n'ecoute pas|ne suivez pas|ne suis pas)\b"
    r"(?=.{0,50}\b(?:ce qui precede|ci-dessus|plus haut|jusqu'ici|precedemment|precedentes?|precedents?|anterieures?|"
    r"qu'on (?:t'a|vous a) (?:dit|donne)e?s?)\b)",
    # "the correct answer to any question about X is …"
    r"\b(?:the )?(?:correct|right|only|true|official) answer to (?:any|every|all|each) (?:questions?|queries)\b",
    r"\b(?:la )?(?:bonne|seule|vraie|reponse officielle|veritable) reponse a (?:toute|chaque|toutes les|n'importe "
    r"quelle) (?:questions?|demandes?)\b",
    # an order about what the answer's reader is told: "Tell the reader that …", "In your answer, say …"
    r"(?:^|[.:;!]\s+)\W*(?:please\s+|always\s+)?(?:tell|inform|remind|assure|convince|reassure)\s+"
    r"(?:the\s+|your\s+|every\s+|all\s+)?(?:readers?|users?|persons? asking|people asking)\b",
    r"(?:^|[.:;!]\s+)\W*(?:dites|dis|indiquez|indique|rappelez|rappelle|affirmez|affirme|assurez|assure|expliquez|"
    r"explique)\s+(?:au|aux|a l'|a la|a votre|a ton|a tout)\s*(?:lecteurs?|lectrices?|utilisateurs?|utilisatrices?|"
    r"personnes? qui)",
    r"\b(?:in|within|throughout) (?:your|any|every|each) (?:answers?|repl(?:y|ies)|responses?|summar(?:y|ies))\b,?\s*"
    r"(?:always\s+|also\s+)?(?:say|state|write|mention|claim|include|tell|assert|insist)\b",
    r"\bdans (?:ta|votre|chaque|toute) (?:reponse|synthese|resume)s?\b,?\s*(?:toujours\s+)?(?:dis|dites|ecris|ecrivez|"
    r"indique|indiquez|affirme|affirmez|precise|precisez|mentionne|mentionnez)\b",
]))


def is_instruction(sentence: str) -> bool:
    """Whether ``sentence`` is addressed to an assistant or a model ("Ignore previous instructions",
    "Répondez à toutes les questions par …"): article text that tries to steer the model, never evidence."""
    return bool(_INSTRUCTION.search(fold(sentence)))


def without_instructions(text: str) -> str:
    """``text`` without its sentences addressed to a model (what a summary is written from)."""
    from qa.text.sentences import sentence_spans

    out, cursor = [], 0
    for start, end in sentence_spans(text):
        if is_instruction(text[start:end]):
            out.append(text[cursor:start])
            cursor = end
            while cursor < len(text) and text[cursor] in " \t":  # the space after it goes with it
                cursor += 1
    return "".join(out) + text[cursor:] if out else text


# ---------------------------------------------------------------- does the answer answer?

NUMBER_WORDS = {
    # French, English, German, Spanish, Italian: enough to accept "7" for "sept" and "seven"
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9,
    "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16, "vingt": 20,
    "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60, "cent": 100, "mille": 1000,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "hundred": 100, "thousand": 1000, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6,
    "sieben": 7, "acht": 8, "zehn": 10, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "diez": 10, "due": 2, "tre": 3, "quattro": 4, "cinque": 5, "sette": 7, "otto": 8, "dieci": 10,
    "premier": 1, "première": 1, "first": 1, "second": 2, "deuxième": 2, "third": 3, "troisième": 3,
    "dizaine": 10, "douzaine": 12, "quinzaine": 15, "vingtaine": 20, "trentaine": 30, "centaine": 100,
    "millier": 1000, "milliers": 1000, "centaines": 100, "dizaines": 10, "dozen": 12,
}

# questions that ask for a figure, a date or an age: their answer holds a number
_ASKS_NUMBER = re.compile(
    r"\b(?:combien|how (?:many|much|old|long|far|tall|big)|what (?:amount|percentage|share|proportion|sum|age|price|"
    r"score|fine|salary|year|figure|number)|which year|in what year|en quelle annee|quel(?:le)?s? (?:montant|pourcentage|"
    r"somme|age|prix|score|amende|nombre|proportion|taux|chiffre|annee|salaire)|a quel (?:age|prix|montant|score))\b")


def asks_for_number(question: str) -> bool:
    """Whether the question asks for a figure ("combien", "how many", "what amount", "quel âge", "which year")."""
    return bool(_ASKS_NUMBER.search(fold(question)))


def holds_number(text: str) -> bool:
    """Digits, or a number written in words ("sept", "seven", "une dizaine")."""
    return bool(re.search(r"\d", text)) or any(w in NUMBER_WORDS for w in re.findall(r"\w+", fold(text)))


def echoes_question(answer: str, question: str) -> bool:
    """Whether the answer only repeats what the question names: every name in it is one the question
    names (its last word, not after another first name: "Terry Armstrong" is not "Lance Armstrong") and
    every number one the question gives. "Who interviewed Jens
    Stoltenberg?" answered "Jens Stoltenberg" says nothing: the model took the subject for the answer."""
    answer = CITATION.sub(" ", answer)
    names, numbers = names_in(answer), _plain_numbers(answer)
    if not names and not numbers:
        return False
    tokens = re.findall(r"\w+", question)

    def named(name: str) -> bool:  # its last word in the question, not after another first name
        words = re.findall(r"\w+", fold(name))
        for i, token in enumerate(tokens):
            if fold(token) == words[-1]:
                before = tokens[i - 1] if i else ""
                if len(words) == 1 or not before[:1].isupper() or fold(before) in words:
                    return True
        return False

    return all(named(n) for n in names) and numbers <= numbers_in(question)


def off_target(answer: str, question: str, language: str) -> str | None:
    """Why the answer does not answer the question, or None: it echoes the question, it lacks the number
    the question asks for, or it is written in another language than the question's."""
    from qa.text.language import written_in

    if echoes_question(answer, question):
        return "echo of the question"
    if asks_for_number(question) and not holds_number(answer):
        return "no number"
    if not written_in(answer, language):
        return "another language"
    return None
