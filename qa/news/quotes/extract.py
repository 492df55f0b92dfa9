"""Finding an article's direct quotations and who said each one: patterns, no model.

A quotation is a span between quotation marks (« », “ ”, or straight ``"`` paired in one paragraph) of at least
:data:`MIN_WORDS` words (shorter quoted terms are names or scare quotes: "Ségur de la santé"). The words of its
sentence(s) outside any quotation are searched for cues, and the nearest cue gives the speaker:
- a speech verb (:data:`SPEECH_VERBS`): a pronoun subject ("il a dit", "a-t-il ajouté", "he said"), else the name
  right after a verb opening the clause after the quote ("”, a déclaré mercredi à Reuters … Jens Stoltenberg"),
  else the subject before it ("Stoltenberg a insisté", "X, président de …, a dit"); a noun phrase subject ("le
  ministre a précisé", "a conclu l'avocate") is the person given that role in an apposition, if any;
- "selon X", "d'après lui", "according to X", "Pour X, …".
A name after "à", "to", "told" (the person spoken to) is never the speaker. A pronoun is the person named since
the last attributed quotation's sentences (never one named in them: "il a raconté à … Alessandra Galloni"), else
the last speaker. A quotation with no cue continues the previous one's speaker when that ended at most a sentence
before; one with no speaker is kept with ``speaker=None``. Speakers are given by the fullest form of their name in
the article ("Stoltenberg" → "Jens Stoltenberg").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.text.language import fold
from qa.text.sentences import sentence_spans

MIN_WORDS = 3
_CLOSING = ("»", "”", '"')
MAX_CHARS = 1200

_PAIRED = re.compile(r"«(?P<a>[^«»\n]{2,%d}?)»|“(?P<b>[^“”\n]{2,%d}?)”" % (MAX_CHARS, MAX_CHARS))
_STRAIGHT = re.compile(r'"([^"\n]{2,%d}?)"' % MAX_CHARS)

_FR_REGULAR = (  # -er verbs: the stem takes é, ée, e, es, ent, ait, aient
    "déclar|affirm|ajout|expliqu|estim|soulign|assur|indiqu|précis|racont|confi|insist|martel|regrett|dénonc|"
    "jug|considér|considèr|consid|qualifi|réfut|annonc|comment|témoign|rappel|tweet|observ|not|avanc|plaid|"
    "félicit|exclam|insurg|interrog|demand|lâch|"
    "confirm|répét|déplor|détaill|résum|gliss|ironis|tranch|clam|répliqu|rétorqu|argu|assén|recommand|alert|"
    "avou|insinu|signal|reproch|raill|fustig|nuanc|tempér|prônt|lanc|lanç|annonç|inquiét|interpell|souffl|"
    "analys|argument|balay|concéd|concèd|constat|critiqu|dévoil|écart|énonc|exhort|implor|jubil|lâch|mis en gard|"
    "pronostiqu|protest|rassur|réclam|relev|rapport|répliqu|salu|s'étonn|s'indign|s'interrog|s'inquiét|s'emport|"
    "se félicit|s'est félicit|s'est exclam|s'est insurg|se dit|se disait|se sont félicit|s'est interrog"
)
_FR_VERBS = (
    "(?:%s)(?:é|ée|és|ées|e|es|ent|ait|aient|a|ons|ez)|dit|dis|disait|disent|écrit|écrivait|écrivent|répond|"
    "répondu|répondait|reconnu|reconnaît|reconnait|prévient|prévenu|promis|promet|admis|admet|conclu|conclut|"
    "soutenu|soutient|poursuit|poursuivi|réagi|réagit|prédit|fait valoir|fait savoir|menacé|menace|averti|avertit"
) % _FR_REGULAR
_EN_VERBS = (
    "said|says|say|added|adds|told|tells|explained|explains|insisted|insists|warned|warns|argued|argues|claimed|"
    "stated|noted|commented|admitted|admits|announced|wrote|writes|asked|asks|replied|"
    "suggested|suggests|continued|agreed|urged|urges|acknowledged|maintained|concluded|pointed out|revealed|"
    "confirmed|predicted|declared|stressed|promised|described|describes|believes|believed|told|joked|recalled|"
    "complained|conceded|cautioned|vowed|boasted|countered|responded|remarked|observed|reckoned|reckons|"
    "accused|criticised|criticized|praised|welcomed|thinks|thought|feels|felt|hopes|hoped|saying|quoted as saying"
)
# a French speech verb: an inflected form (stem + ending), optionally fused with its pronoun ("ajoute-t-il")
SPEECH_VERBS = re.compile(
    r"(?<![\w-])(?:(?:%s|%s)(?P<inv>-t-(?:il|elle|ils|elles)|-(?:il|elle|ils|elles))?"
    r"|(?:a|avait|aurait|ont|avaient)(?P<aux>-t-(?:il|elle)|-(?:ils|elles)))(?![\w])"
    % (_FR_VERBS, _EN_VERBS), re.IGNORECASE)
_ACCORDING = re.compile(r"(?<![\w])(?:selon|d'après|d’après|according to|aux yeux d(?:e|u|es)|pour qui)(?![\w])",
                        re.IGNORECASE)
_OPENING_POUR = re.compile(r"(?:^|(?<=[.!?\n] ))Pour(?=[^,.;:]{0,80},)")
_PRONOUN = re.compile(r"(?:^|[\s,-])(?P<p>il|elle|ils|elles|he|she|they)\s+(?:(?:a|avait|ont|avaient|has|had|have|"
                      r"is|was|also|then|later|aussi|également|ensuite|encore|n'|ne|y|lui|leur|en|a-t-|t'|l'|s'|se|"
                      r"[a-zé]+ment)\s+){0,3}$", re.IGNORECASE)
_ADDRESSEE = re.compile(r"(?:\b(?:à|au|aux|to|told|tells|tell|auprès|with|avec|sur|on|about|de|du|des|of|par|by|"
                        r"pour|for|dans|in|at|from|en)|\bl['’]|\bd['’])\s*$", re.IGNORECASE)

_NAME_WORD = r"(?:[A-ZÀ-ÖØ-Þ][\w'’.-]*[\w]|[A-Z]\.)"
_PARTICLE = r"(?:de|du|des|van|von|der|den|da|di|bin|ben|al|el|le|la|del|dos|das|ter|zu)"
_NAME = re.compile(r"(?<![\w'’-])%s(?:\s+(?:%s\s+)?%s)*" % (_NAME_WORD, _PARTICLE, _NAME_WORD))
TITLES = frozenset(fold(t) for t in (
    "Mr", "Mrs", "Ms", "Miss", "Dr", "Sir", "Lord", "Lady", "Dame", "M.", "Mme", "Mlle", "Me", "Pr", "Prof",
    "Monsieur", "Madame", "President", "Président", "Présidente", "Prime", "Minister", "Chancellor", "Judge",
    "Justice", "Gen", "General", "Général", "Mgr", "Pope", "Pape", "Sen", "Senator", "Rep", "Gov", "Governor",
    "Chairman", "Chief", "Executive", "Secretary", "Coach", "Captain", "Rev", "Father", "Premier", "Ministre"))
_PLAIN_TITLES = frozenset(fold(t) for t in ("Mr", "Mrs", "Ms", "Miss", "M.", "Mme", "Mlle", "Monsieur", "Madame"))
# capitalised words that are not names (sentence starts, days, months, pronouns)
_NOT_NAMES = frozenset(fold(w) for w in (
    "Le La Les L Un Une Des Du De Ce Cet Cette Ces Il Elle Ils Elles On Nous Vous Je Tu Mais Et Or Donc Car Si "
    "Selon Pour Dans En Au Aux À A Après Avant Depuis Lors Alors Ainsi Pourtant Cependant Enfin Puis Quand "
    "Lundi Mardi Mercredi Jeudi Vendredi Samedi Dimanche Janvier Février Mars Avril Mai Juin Juillet Août "
    "Septembre Octobre Novembre Décembre The A An This That These Those He She It They We You I But And Or So "
    "If In On At As By For From With Of To After Before Since When While Although However Yet Also Monday "
    "Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August "
    "September October November December Speaking According Asked Interrogé Interrogée Mr. Mrs. Ms. Dr. "
    "There Here What Who Where Why How Its His Her Their Our Mon Ma Mes Son Sa Ses Leur Leurs Notre Votre "
    "Qui Que Quoi Où Comment Pourquoi Oui Non Yes No Not Ne Pas Lire Read More Plus".split()))


@dataclass
class Found:
    """A quotation of an article: its text and offsets (``text[start:end]`` is the quote without its marks),
    and its speaker as the article names them (None: no speaker found)."""

    quote: str
    start: int
    end: int
    speaker: str | None
    cue: str = ""  # how it was attributed: "after", "before", "according", "pronoun", "continues"


def quotations(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each quotation's inside (marks excluded), in order, at least :data:`MIN_WORDS` words."""
    spans = [(m.start(g), m.end(g)) for m in _PAIRED.finditer(text) for g in ("a", "b") if m.group(g) is not None]
    taken = [(s - 1, e + 1) for s, e in spans]
    for paragraph in re.finditer(r"[^\n]+", text):
        for open_, close in _straight_pairs(paragraph.group()):
            open_, close = open_ + paragraph.start(), close + paragraph.start()
            if close - open_ - 1 <= MAX_CHARS and not any(a <= open_ < b for a, b in taken):
                spans.append((open_ + 1, close))
    spans = [(s, e) for s, e in spans if len(re.findall(r"\w+", text[s:e])) >= MIN_WORDS]
    return sorted({(s + len(text[s:e]) - len(text[s:e].lstrip()), e - (len(text[s:e]) - len(text[s:e].rstrip())))
                   for s, e in spans})


def _straight_pairs(line: str) -> list[tuple[int, int]]:
    """Straight quotation marks of one paragraph paired: a mark after a space (or at the start) opens, one before
    a space or punctuation closes. A quote opened again before it is closed ran to the end of its sentences
    (the newspaper way of quoting several sentences: ``"One. "Two."``): it ends before the next opening."""
    pairs, opened = [], None
    for m in re.finditer('"', line):
        i = m.start()
        opening = (i == 0 or line[i - 1] in " ([—–-\u00a0") and i + 1 < len(line) and not line[i + 1].isspace()
        if opening:
            if opened is not None:
                close = len(line[:i].rstrip())
                if line[:close].endswith((":", ",")):  # 'said: "' : the unclosed quote ended a sentence earlier
                    ends = [m.end() for m in re.finditer(r"[.!?…](?=\s+[A-ZÀ-Ý])", line[opened:close])]
                    close = opened + ends[-1] if ends else close
                pairs.append((opened, close))
            opened = i
        elif opened is not None:
            pairs.append((opened, i))
            opened = None
    if opened is not None and len(line) - opened > 2:
        pairs.append((opened, len(line.rstrip())))
    return pairs


def _names(text: str, offset: int = 0) -> list[tuple[int, int, str]]:
    """Capitalised word groups that may be names, as ``(start, end, name)`` (titles kept: "Mr Smith")."""
    out = []
    for m in _NAME.finditer(text):
        words = m.group().split()
        if re.match(r"[LDJ]['’]", words[0]):  # "L'association", "D'après", "L'OTAN": the article is no name
            rest = words[0][2:]
            words = ([rest] if rest[:1].isupper() else []) + words[1:]
            if not words:
                continue
        while words and fold(words[0]).strip(".'’") in _NOT_NAMES and fold(words[0]) not in TITLES:
            words = words[1:]
        words = [w.rstrip("'’.") if not re.fullmatch(r"[A-Z]\.", w) and fold(w) not in TITLES else w for w in words]
        if not words or all(fold(w) in TITLES or fold(w).strip(".") in _NOT_NAMES for w in words):
            continue
        cut = next((i for i in range(1, len(words)) if fold(words[i]) in TITLES and fold(words[i - 1]) not in TITLES),
                   None)
        pieces = [words[:cut], words[cut:]] if cut else [words]
        at = m.start()
        for piece in pieces:
            if not piece or all(fold(w) in TITLES for w in piece):
                continue
            name = " ".join(piece)
            start = m.group().index(piece[0], at - m.start()) + m.start()
            out.append((offset + start, offset + start + len(name), name))
            at = start + len(name)
    return out


def _bare(name: str) -> str:
    """A name without its leading titles ("Mr Tony Blair" → "Tony Blair")."""
    words = name.split()
    while len(words) > 1 and fold(words[0]) in TITLES:
        words = words[1:]
    return " ".join(words)


def _personlike(name: str) -> bool:
    words = name.split()
    return len(_bare(name).split()) >= 2 or (len(words) >= 2 and fold(words[0]) in TITLES)


class _Article:
    """An article's text with its quotations masked (cues and names are looked for outside them)."""

    def __init__(self, text: str):
        self.text = text
        self.quotes = quotations(text)
        masked = list(text)
        for s, e in self.quotes:
            masked[s:e] = " " * (e - s)
        self.masked = "".join(masked)
        self.names = _names(self.masked)
        starts = {s for s, _e in sentence_spans(text)}
        inside = {fold(w) for s, _e, n in self.names if s not in starts for w in [n, *n.split()]}
        self.names = [n for n in self.names if n[0] not in starts or len(n[2].split()) > 1 or fold(n[2]) in inside]
        self.sentences = sentence_spans(text)
        full: dict[str, str] = {}  # folded last word -> fullest name with it
        for _s, _e, name in self.names:
            bare = _bare(name)
            key = fold(bare.split()[-1])
            if len(bare.split()) > len(full.get(key, "").split()):
                full[key] = bare
        self.full = full

    def names_in(self, low: int, high: int) -> list[tuple[int, int, str]]:
        return [n for n in self.names if low <= n[0] and n[1] <= high]

    def canonical(self, name: str) -> str:
        bare = _bare(name)
        if len(bare.split()) > 1:
            return bare
        full = self.full.get(fold(bare.split()[-1]), bare)
        return full if len(full.split()) > 1 or fold(name.split()[0]) in _PLAIN_TITLES else name

    def region(self, start: int, end: int) -> tuple[int, int]:
        first = next((s for s, e in self.sentences if s <= start < e), start)
        last = next((e for s, e in self.sentences if s <= end <= e), end)
        return first, last

    def sentence_index(self, offset: int) -> int:
        return next((i for i, (s, e) in enumerate(self.sentences) if s <= offset <= e), -1)


def _cue_speaker(art: _Article, verb: re.Match, low: int, high: int, after_quote: bool) -> tuple[str | None, str]:
    """The speaker of one speech verb (found in ``art.masked[low:high]``): ``"pronoun"`` as the speaker's
    name when it is a pronoun."""
    if verb.group("inv") or verb.group("aux"):
        return "pronoun", "pronoun"
    before = art.masked[low:verb.start()]
    if _PRONOUN.search(before[-40:]):
        return "pronoun", "pronoun"
    if after_quote:  # the verb opens the clause after the quote: the speaker follows it
        candidates = [n for n in art.names_in(verb.end(), high)
                      if not _ADDRESSEE.search(art.masked[max(low, n[0] - 12):n[0]])]
        preferred = [n for n in candidates if _personlike(n[2]) or fold(_bare(n[2])) in art.full.values()]
        pick = (preferred or candidates)[:1]
        if pick:
            return pick[0][2], "after"
        role = _ROLE_AFTER.match(art.masked[verb.end():high])
        if role:
            return f"{ROLE}{role.group('role')}", "role"
    return _subject_before(art, verb.start(), low), "before"


ROLE = "role:"  # a speaker named by a role ("le ministre", "the singer"): resolved by _role_holder
_ROLE_AFTER = re.compile(r"(?i)^\s*(?:[a-zé]+ment\s+|(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+)?"
                         r"(?:le|la|l['’]|the)\s*(?P<role>[a-zà-ÿ-]{4,}(?:\s+[a-zà-ÿ-]{4,})?)")


def _role_words(phrase: str) -> set[str]:
    return {fold(w) for w in re.findall(r"[a-zà-ÿ-]{4,}", phrase)} - {"dans", "avec", "pour", "from", "with"}


def _role_holder(art: _Article, role: str, before: int) -> str | None:
    """The person the article gave ``role`` to, in an apposition before ``before``: "le ministre des Comptes publics,
    Gérald Darmanin" for "le ministre", "Jean Veil, l'avocat de …" for "l'avocat" (never "l'avocate de Nicolas
    Sarkozy": a name after "de" is not the role's holder)."""
    words = _role_words(role)
    for start, end, name in reversed([n for n in art.names if n[1] <= before]):
        if len(art.canonical(name).split()) < 2:
            continue
        low, high = art.region(start, end)
        ahead = art.masked[max(low, start - 70):start]
        behind = art.masked[end:min(high, end + 60)]
        complement = re.search(r"(?i)(?:\b(?:de|du|des|of|par|by|à|au|to)|\bd['’])\s*$", ahead)
        if (not complement and words & {fold(w) for w in re.findall(r"[\w-]+", ahead.rstrip(", ").split(",")[-1])}) \
                or (behind.lstrip().startswith(",") and words & {fold(w) for w in re.findall(r"[\w-]+",
                                                                                           behind.split(",")[1])}):
            return name
    return None


_AUXILIARY = re.compile(r"(?i)(?:\s|^)(?:a|avait|aurait|ont|avaient|a-t-il|has|had|have|would|will|then|also|later|"
                        r"aussi|également|encore|ensuite|lui|leur|en|y|ne|n'|n’|qui|who|[a-zé]+ment|[a-z]+ly)\s*$")


_NO_CUE = "\0"
_NOUN_PHRASE = re.compile(r"(?i)(?:^|\s)(?:the|a|an|le|la|les|un|une|des|ce|cette|ces|son|sa|ses|leur|leurs|its|his|"
                          r"her|their|l['’])\s*(?:[\w'’-]+\s+){0,3}$")


def _subject_before(art: _Article, verb: int, low: int) -> str | None:
    """The name that is the subject of a verb at ``verb``: the nearest name right before it ("Stoltenberg a
    insisté"), or the one before an apposition ("Justino Piaguaje, président de …, a dit"); None when a noun
    phrase without a name is the subject ("l'écrivain a déclaré", "the company said")."""
    names = [n for n in art.names_in(low, verb)
             if verb - n[1] < 200 and not _ADDRESSEE.search(art.masked[max(low, n[0] - 12):n[0]])]
    phrase = _NOUN_PHRASE.search(art.masked[max(low, verb - 60):verb])
    role = f"{ROLE}{phrase.group()}" if phrase and _role_words(phrase.group()) else None
    if not names:  # a noun phrase subject ("the company said") is a role; anything else is no cue
        return role if phrase else _NO_CUE
    for start, end, name in reversed(names):
        core = art.masked[end:verb]
        while True:
            shorter = _AUXILIARY.sub("", core)
            if shorter == core:
                break
            core = shorter
        core = core.strip()
        if not core or core == ")" or re.fullmatch(r"\([^()]*\)", core) or re.fullmatch(r",[^.;:!?]*,", core):
            return name
        if core == "," and art.masked[:start].rstrip().endswith(","):
            return name  # "le ministre, Gérald Darmanin, a indiqué": the name is the apposition
        if re.match(r"(?i),\s*(?:qui|who)\b", core):
            return name
        if core == "," or core.endswith(")") or re.fullmatch(r",[^.;:!?,]*", core):
            continue  # the end of an apposition: its head is further back
        return role
    return None


def _attribute(art: _Article, index: int) -> tuple[str | None, str, int]:
    start, end = art.quotes[index]
    low, high = art.region(start - 1, end + (art.text[end:end + 1] in _CLOSING))
    cues: list[tuple[int, str | None, str]] = []  # (distance, speaker, kind)
    for verb in SPEECH_VERBS.finditer(art.masked, low, high):
        if not art.masked[verb.start():verb.end()].strip():
            continue
        gap = art.masked[end:verb.start()]
        after_quote = verb.start() >= end and (not re.search(r"\w", re.sub(
            r"(?i)\b(?:a|avait|ont|has|had|have|then|also|later|aussi|également|encore|ensuite|"
            r"[a-zé]+ment)\b", "", gap)) or (re.search(r",\s*$", _AUXILIARY.sub("", gap)) is not None
                                             and not art.names_in(end, verb.start())))
        bound_low = max(low, max((e for s, e in art.quotes if e <= verb.start()), default=low)) \
            if verb.start() >= end else low
        speaker, kind = _cue_speaker(art, verb, bound_low, high, after_quote)
        if speaker == _NO_CUE:
            continue
        distance = verb.start() - end if verb.start() >= end else start - verb.end()
        if distance < 0:
            continue
        cues.append((distance - (1000 if after_quote else 0), speaker, kind, verb.start()))
    for according in [*_ACCORDING.finditer(art.masked, low, high), *_OPENING_POUR.finditer(art.masked, low, high)]:
        names = art.names_in(according.end(), high)
        rest = art.masked[according.end():high]
        distance = according.start() - end if according.start() >= end else start - according.end()
        if re.match(r"(?i)\s*(?:lui|elle|eux|him|her|them)\b", rest):
            cues.append((distance, "pronoun", "pronoun", according.start()))
        elif (role := _ROLE_AFTER.match(rest)) and not (names and "," not in rest[:names[0][0] - according.end()]):
            cues.append((distance, f"{ROLE}{role.group('role')}", "role", according.start()))
        elif names:
            cues.append((distance, names[0][2], "according", according.start()))
    if not cues:
        return None, "", start
    _distance, speaker, kind, at = min(cues, key=lambda c: c[0])
    return speaker, kind or "unnamed", at  # a cue whose subject has no name: not someone else's quote


def extract(text: str) -> list[Found]:
    """The quotations of an article's text with their speakers (None when no cue says who), in order."""
    art = _Article(text)
    found: list[Found] = []
    last_speaker: str | None = None
    settled = 0  # the end of the last attributed quotation's sentences: the names there are its speaker's company
    for i, (start, end) in enumerate(art.quotes):
        speaker, kind, at = _attribute(art, i)
        if speaker == "pronoun":
            speaker = _referent(art, settled, at) or last_speaker or _last_person(art, start)
        elif speaker and speaker.startswith(ROLE):
            speaker = _role_holder(art, speaker[len(ROLE):], at)
            kind = "role" if speaker else "unnamed"
        elif not kind and found and found[-1].speaker:
            previous = found[-1]
            if 0 <= art.sentence_index(start) - art.sentence_index(previous.end) <= 1:
                speaker, kind = previous.speaker, "continues"
        speaker = art.canonical(speaker) if speaker else None
        if speaker or kind == "unnamed":  # after a quote of someone unnamed, "he" is not the one before
            last_speaker = speaker
            settled = max(settled, art.region(start - 1, end + 1)[1])
        found.append(Found(quote=text[start:end], start=start, end=end, speaker=speaker, cue=kind))
    return found


def _referent(art: _Article, after: int, pronoun: int) -> str | None:
    """Who "he", "elle", "a-t-il" at ``pronoun`` is: a person named since the last attributed quotation's
    sentences (``after``), the first one of the last sentence naming any ("David Davis said …, the government's
    … "…," he said"); None when nobody was named since (the pronoun is then the last speaker). Names in the last
    quotation's own sentences are left out: there they are the people spoken to or about ("il a raconté à …
    Alessandra Galloni")."""
    people = [n for n in art.names if after <= n[0] and n[1] <= pronoun and len(art.canonical(n[2]).split()) > 1
              and not _ADDRESSEE.search(art.masked[max(0, n[0] - 12):n[0]])]
    if not people:
        return None
    last = art.sentence_index(people[-1][0])
    low, high = art.sentences[last]
    for verb in SPEECH_VERBS.finditer(art.masked, low, min(high, pronoun)):
        said_by = art.masked[max(low, verb.start() - 40):verb.start()]
        if verb.group("inv") or verb.group("aux") or _PRONOUN.search(said_by):
            return None  # "he said" there too: the same person as before
        subject = _subject_before(art, verb.start(), low)
        if subject and subject != _NO_CUE and not subject.startswith(ROLE):
            return subject
    return next(n[2] for n in people if art.sentence_index(n[0]) == last)


def _last_person(art: _Article, before: int) -> str | None:
    people = [n for n in art.names if n[1] <= before and _personlike(n[2])]
    return people[-1][2] if people else None
