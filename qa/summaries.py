"""Per-article summaries and multi-article digests, grounded in the article text.

One article, four styles (``short``: 2-3 sentences, the default; ``abstract``: one headline-style
sentence; ``paragraph``; ``bullets``: 3-6 key points), in the article's language or any other.

How a summary is made:

1. **Budget.** The article is counted in the model's own tokens. When the prompt, the article and the
   answer fit the context (``settings.n_ctx``) the summary is one call. Otherwise the article is cut on
   sentence boundaries into balanced sections that each fit, every section is turned into notes (map)
   and the notes into the summary (reduce); notes that still do not fit are condensed again.
2. **Check.** Every sentence (or bullet) of the result is checked against the article: its numbers
   must be in the article (digits or spelled out), and so must its names (capitalised words); in a
   summary written in another language than the article, names are matched leniently (Moscou ~
   Moscow, OTAN ~ NATO). A sentence with an unsupported fact is removed. If nothing is left, or the
   summary is not in the language asked for, the summary is generated once more with a reminder; if
   that fails too the lead sentences of the article are used (extractive, so nothing is invented).
3. **Cache.** The checked summary is stored with the article, keyed by the article's content hash,
   the style, the language and the model (plus a fingerprint of the prompts): asking again is instant,
   and editing the article (new hash) or the prompts makes a fresh one.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from qa import prompts
from qa.articles import Article
from qa.citations import cited_numbers, strip_citations
from qa.grounding import NUMBER_WORDS, unsupported_facts, without_instructions
from qa.language import fold, written_in
from qa.numbers import localize_numbers
from qa.sentences import GLUED_SENTENCE, sentences
from qa.settings import Settings
from qa.store import Store, StoreError

STYLES: dict[str, str] = {
    "short": "2-3 sentences (default)",
    "abstract": "one headline-style sentence",
    "paragraph": "one paragraph of 4-6 sentences",
    "bullets": "3-6 bullet points: who, what, when, where, numbers",
}
DEFAULT_STYLE = "short"

# Most tokens each step may write.
_MAX_TOKENS = {"short": 200, "abstract": 96, "paragraph": 380, "bullets": 320, "map": 260, "digest": 420}
# Sentences (or bullets) kept at most per style; the model sometimes writes more than asked.
_MAX_UNITS = {"short": 3, "abstract": 1, "paragraph": 7, "bullets": 6}
_MARGIN = 48  # tokens kept free for the chat template and rounding
_EXAMPLES_PREFIX = "summary_examples_"  # prompts/summary_examples_<style>_<lang>.txt: few-shot pairs


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


# ---------------------------------------------------------------- languages and styles

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
    if style not in STYLES:
        raise ValueError(f"Unknown summary style {style!r}: choose one of {', '.join(STYLES)}.")
    return style


def article_language(article: Article) -> str:
    if article.lang:
        return article.lang
    from qa.language import detect_language

    return detect_language(f"{article.title}\n{article.text}") or "en"


@lru_cache(maxsize=1)
def prompt_fingerprint() -> str:
    """Changes whenever a summary prompt file changes: cached summaries made by old prompts are not reused."""
    digest = hashlib.sha256()
    for path in sorted(prompts.PROMPTS_DIR.glob("summary_*.txt")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:8]


# ---------------------------------------------------------------- text helpers

_BULLET = re.compile(r"^\s*(?:[-*•–—]|\d{1,2}[.)])\s+")
_LABEL = re.compile(r"^\s*(?:#+\s*)?(?:\*\*)?(?:r[ée]sum[ée]|summary|abstract|key points|points cl[ée]s|digest|"
                    r"synth[èe]se|voici[^:\n]{0,80}|here is[^:\n]{0,80}|here are[^:\n]{0,80})(?:\*\*)?\s*:?\s*(?:\*\*)?\s*$",
                    re.IGNORECASE)
_INLINE_LABEL = re.compile(r"^\s*(?:\*\*)?(?:r[ée]sum[ée]|summary|abstract)(?:\*\*)?\s*:\s*", re.IGNORECASE)


def _strip_quotes(text: str) -> str:
    text = text.strip()
    pairs = {'"': '"', "«": "»", "“": "”"}
    if len(text) > 2 and text[0] in pairs and (text.count('"') == 2 if text[0] == '"'
                                               else text.count(text[0]) == text.count(pairs[text[0]]) == 1):
        if text.endswith(pairs[text[0]]):
            text = text[1:-1].strip()
        elif text[-1] in ".!?" and text[-2] == pairs[text[0]]:
            text = text[1:-2].strip() + text[-1]
    return text


def clean_output(raw: str, style: str) -> list[str]:
    """The model's text as a list of units (sentences, or bullets for ``bullets``), labels and
    introductions removed."""
    raw = GLUED_SENTENCE.sub(r"\1 ", raw)
    lines = [line.strip() for line in raw.replace("\r", "").split("\n")]
    lines = [line.replace("**", "").strip() for line in lines if line and not _LABEL.match(line)]
    if lines:
        lines[0] = _INLINE_LABEL.sub("", lines[0])
    if style in ("bullets", "map", "digest"):
        units = []
        for line in lines:
            if _BULLET.match(line):
                units.append(_BULLET.sub("", line).strip())
            elif units and not line.endswith(":"):  # a wrapped line continues the previous point
                units[-1] += " " + line
            elif not line.endswith(":"):
                units.append(line)
        return [u for u in units if u]
    text = " ".join(_BULLET.sub("", line) for line in lines)
    return [s for s in (_strip_quotes(s) for s in sentences(_strip_quotes(text))) if s]


def join_units(units: list[str], style: str) -> str:
    if style in ("bullets", "map", "digest"):
        return "\n".join(f"- {u}" for u in units)
    return " ".join(units)


# ---------------------------------------------------------------- fact check



class Evidence:
    """The article's text prepared for checking: its words, and its spelled-out numbers as digits."""

    def __init__(self, text: str):
        self.text = text
        self.words = set(re.findall(r"\w+", fold(text)))
        spelled = {str(NUMBER_WORDS[w]) for w in self.words if w in NUMBER_WORDS}
        self.numbers_text = " ".join(sorted(spelled))

    def unsupported(self, unit: str, *, same_language: bool) -> list[str]:
        """The numbers and names of ``unit`` that the article does not hold (names in another language
        than the article's are matched leniently: they may be translated)."""
        return unsupported_facts(unit, self.text, self.numbers_text, check_names=same_language)


def check_units(units: list[str], evidence: Evidence, *, same_language: bool) -> tuple[list[str], list[str]]:
    """Keep the units whose facts are all in the evidence; return (kept, facts removed)."""
    kept, removed = [], []
    for unit in units:
        missing = evidence.unsupported(unit, same_language=same_language)
        if missing:
            removed.extend(m for m in missing if m not in removed)
        else:
            kept.append(unit)
    return kept, removed


def _filler(unit: str, title: str | None) -> bool:
    """A unit that says nothing: a bare date or figure ("2020-07-02", "16h00 GMT"), or the title copied."""
    words = re.findall(r"[^\W\d_]{2,}", unit)
    return len(words) < 3 or bool(title) and fold(unit).strip(" .") == fold(title).strip(" .")


# ---------------------------------------------------------------- the summariser


def _format(name: str, **values) -> str:
    return prompts.load(name).format(**values)


@lru_cache(maxsize=None)
def _examples(style: str, language: str) -> tuple[tuple[str, str], ...]:
    """Few-shot (article, summary) pairs from ``prompts/summary_examples_<style>_<lang>.txt``, if any.

    The file holds blocks ``=== article`` / ``=== summary``; lines starting with ``#`` are comments.
    """
    path = prompts.PROMPTS_DIR / f"{_EXAMPLES_PREFIX}{style}_{language}.txt"
    if not path.exists():
        return ()
    pairs, current, key = [], {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        if line.startswith("=== "):
            key = line[4:].strip()
            if key == "article" and current:
                pairs.append((current.get("article", "").strip(), current.get("summary", "").strip()))
                current = {}
            current[key] = ""
            continue
        if key:
            current[key] += line + "\n"
    if current:
        pairs.append((current.get("article", "").strip(), current.get("summary", "").strip()))
    return tuple(p for p in pairs if p[0] and p[1])


def model_key(settings: Settings) -> str:
    """What a cached summary is keyed on besides the article, style and language."""
    from qa.llm import model_id

    return f"{model_id(settings)}#{prompt_fingerprint()}"


class Summarizer:
    """Summaries of article texts with one chat model; no store involved (see :func:`summarize`)."""

    def __init__(self, llm, settings: Settings):
        self.llm, self.settings = llm, settings
        counter = getattr(llm, "count_tokens", None)
        if counter is None:
            from qa.tokens import count_tokens

            def counter(text: str) -> int:
                return count_tokens(text, settings.encoding)
        self.count: Callable[[str], int] = counter
        self.calls = 0
        self.raw: list[str] = []  # the model's own text of the last summary's attempts, for inspection

    # ------------------------------------------------------------ model calls
    def _stream(self, messages: list[BaseMessage], max_tokens: int, temperature: float | None = None) -> Iterator[str]:
        options = {"max_tokens": max_tokens}
        if temperature is not None:
            options["temperature"] = temperature
        self.calls += 1
        for chunk in self.llm.bind(**options).stream(messages):
            if chunk.content:
                yield chunk.content

    def _call(self, messages: list[BaseMessage], max_tokens: int, temperature: float | None = None) -> str:
        return "".join(self._stream(messages, max_tokens, temperature))

    def _messages(self, user: str, examples: Iterable[tuple[str, str]] = ()) -> list[BaseMessage]:
        messages: list[BaseMessage] = [SystemMessage(prompts.load("summary_system"))]
        for article, answer in examples:
            messages += [HumanMessage(article), AIMessage(answer)]
        messages.append(HumanMessage(user))
        return messages

    def _tokens(self, messages: list[BaseMessage]) -> int:
        return sum(self.count(str(m.content)) + 6 for m in messages)

    # ------------------------------------------------------------ planning
    @staticmethod
    def article_block(title: str | None, text: str, date: str | None = None) -> str:
        head = "\n".join(x for x in (f"Title: {title}" if title else "", f"Date: {date}" if date else "") if x)
        return f"{head}\n\n{text}" if head else text

    def _instruction(self, style: str, language: str, reminder: bool = False) -> str:
        text = _format(f"summary_{style}", language=prompts.language_name(language))
        if reminder:
            text += (f" Write in {prompts.language_name(language)} only, and use only names, numbers and dates "
                     "that are written in the article.")
        return text

    def _example_messages(self, style: str, language: str) -> list[tuple[str, str]]:
        out = []
        for article, answer in _examples(style, language):
            out.append((_format("summary_article", article=article, instruction=self._instruction(style, language)),
                        answer))
        return out

    def split(self, text: str, budget: int) -> list[str]:
        """Cut ``text`` on sentence boundaries into the fewest balanced sections of at most ``budget`` tokens."""
        pieces: list[tuple[str, int]] = []
        for sentence in sentences(text):
            n = self.count(sentence)
            if n <= budget:
                pieces.append((sentence, n))
                continue
            words, current = sentence.split(), []
            for word in words:  # a sentence longer than a section (rare): cut between words
                current.append(word)
                if self.count(" ".join(current)) >= budget * 0.9:
                    pieces.append((" ".join(current), self.count(" ".join(current))))
                    current = []
            if current:
                pieces.append((" ".join(current), self.count(" ".join(current))))
        total = sum(n + 1 for _, n in pieces)
        target = total / max(1, math.ceil(total / budget))
        sections, current, size = [], [], 0
        for sentence, n in pieces:
            if current and (size + n > budget or size + n / 2 > target):
                sections.append(" ".join(current))
                current, size = [], 0
            current.append(sentence)
            size += n + 1
        if current:
            sections.append(" ".join(current))
        return sections

    # ------------------------------------------------------------ the pipeline
    def run(self, *, title: str | None, text: str, lang: str | None, style: str = DEFAULT_STYLE,
            language: str | None = None, date: str | None = None, article_id: str = "",
            model: str = "") -> Iterator[str | Summary]:
        """Yield the final step's text as the model writes it, then the checked :class:`Summary` last.

        The Summary may differ from the streamed text: sentences with unsupported facts are removed,
        and a failed summary is generated again (not streamed)."""
        started = time.perf_counter()
        self.calls = 0
        style = check_style(style)
        lang = lang or "en"
        language = language_code(language) or lang
        n_ctx = self.settings.n_ctx
        max_tokens = _MAX_TOKENS[style]
        text = without_instructions(text)  # a sentence addressed to a model is not part of the article's story
        prompt_text = localize_numbers(text, lang, language)  # "2 763" read as "2,763" for an English summary
        article = self.article_block(title, prompt_text, date)
        instruction = self._instruction(style, language)

        # one call when the article fits, with the few-shot examples when they fit too
        sections = [article]
        messages = None
        for examples in (self._example_messages(style, language), []):
            candidate = self._messages(_format("summary_article", article=article, instruction=instruction), examples)
            if self._tokens(candidate) + max_tokens + _MARGIN <= n_ctx:
                messages = candidate
                break
        if messages is None:  # map-reduce
            notes, sections = self._map(title, prompt_text, date, lang)
            messages = self._messages(self._reduce_prompt(title, notes, instruction))
            if self._tokens(messages) + max_tokens + _MARGIN > n_ctx:
                notes = self._condense(title, notes, lang, n_ctx - max_tokens - _MARGIN - self._tokens(
                    self._messages(self._reduce_prompt(title, [], instruction))))
                messages = self._messages(self._reduce_prompt(title, notes, instruction))

        raw = []
        for piece in self._stream(messages, max_tokens):
            raw.append(piece)
            yield piece
        self.raw = ["".join(raw)]
        evidence = Evidence(article)
        same_language = language == lang
        units, removed = self._finish("".join(raw), style, evidence, same_language, language, title)
        regenerated = extractive = False
        if not units:
            regenerated = True
            retry = messages[:-1] + [HumanMessage(str(messages[-1].content).replace(
                instruction, self._instruction(style, language, reminder=True)))]
            self.raw.append(self._call(retry, max_tokens, temperature=0.3))
            units, more = self._finish(self.raw[-1], style, evidence, same_language, language, title)
            removed += [m for m in more if m not in removed]
        if not units:
            extractive = True
            units = self._lead(text, style)
        return_summary = Summary(
            article_id=article_id, title=title or "", summary=join_units(units, style), language=language,
            style=style, model=model, sections=len(sections), calls=self.calls, unsupported=removed,
            regenerated=regenerated, extractive=extractive, seconds=round(time.perf_counter() - started, 3))
        yield return_summary

    def _finish(self, raw: str, style: str, evidence: Evidence, same_language: bool,
                language: str, title: str | None) -> tuple[list[str], list[str]]:
        """Clean, check the language and the facts: the units to keep and the facts removed."""
        units = [u for u in clean_output(raw, style) if not _filler(u, title)]
        if units and not written_in(" ".join(units), language):
            return [], []
        kept, removed = check_units(units, evidence, same_language=same_language)
        if style == "abstract" and kept:
            kept = kept[:1]
        return kept[:_MAX_UNITS[style]], removed

    @staticmethod
    def _lead(text: str, style: str) -> list[str]:
        lead = sentences(text)
        count = {"abstract": 1, "short": 2, "paragraph": 4, "bullets": 3}[style]
        return lead[:count] or [text[:300]]

    def _reduce_prompt(self, title: str | None, notes: list[str], instruction: str) -> str:
        return _format("summary_reduce", title=f' "{title}"' if title else "", notes="\n\n".join(notes),
                       instruction=instruction)

    def _map_prompt(self, section: str, part: int, parts: int, lang: str) -> list[BaseMessage]:
        instruction = _format("summary_map", part=part, parts=parts, language=prompts.language_name(lang))
        return self._messages(_format("summary_article", article=section, instruction=instruction))

    def _map(self, title: str | None, text: str, date: str | None, lang: str) -> tuple[list[str], list[str]]:
        """Notes on each section of a long article (in the article's language), checked like a summary."""
        overhead = self._tokens(self._map_prompt(self.article_block(title, "", date), 99, 99, lang))
        budget = max(128, self.settings.n_ctx - _MAX_TOKENS["map"] - _MARGIN - overhead)
        sections = self.split(text, budget)
        evidence = Evidence(self.article_block(title, text, date))
        notes = []
        for i, section in enumerate(sections, 1):
            head = self.article_block(title, section, date) if i == 1 else section
            units = clean_output(self._call(self._map_prompt(head, i, len(sections), lang), _MAX_TOKENS["map"]), "map")
            kept, _ = check_units(units, evidence, same_language=True)
            notes.append(join_units(kept or self._lead(section, "bullets"), "map"))
        return notes, sections

    def _condense(self, title: str | None, notes: list[str], lang: str, budget: int) -> list[str]:
        """Notes too long for the reduce prompt: condense groups of them until they fit."""
        for _ in range(4):
            if sum(self.count(n) for n in notes) <= budget or len(notes) == 1:
                return notes
            joined = "\n\n".join(notes)
            overhead = self._tokens(self._map_prompt("", 99, 99, lang))
            groups = self.split(joined, max(128, self.settings.n_ctx - _MAX_TOKENS["map"]
                                                                       - _MARGIN - overhead))
            notes = [join_units(clean_output(self._call(self._map_prompt(g, i, len(groups), lang),
                                                        _MAX_TOKENS["map"]), "map"), "map")
                     for i, g in enumerate(groups, 1)]
        return notes


# ---------------------------------------------------------------- with a store


def _article(store: Store, article_id: str) -> Article:
    article = store.get_article(article_id)
    if article is None:
        raise ArticleNotFoundError(f"No article with id '{article_id}' in {store.directory}. "
                                   f"List the stored ids with: python -m qa articles --store {store.directory}")
    return article


def stream_summary(store: Store, llm, settings: Settings, article_id: str, style: str = DEFAULT_STYLE,
                   language: str | None = None) -> Iterator[str | Summary]:
    """Yield text pieces as the model writes them, then the :class:`Summary` last (cached: one piece)."""
    started = time.perf_counter()
    style = check_style(style)
    article = _article(store, article_id)
    lang = article_language(article)
    language = language_code(language) or lang
    model = model_key(settings)
    cached = store.get_summary(article.content_hash, style, language, model)
    if cached is not None:
        yield cached
        yield Summary(article_id=article.id, title=article.title, summary=cached, language=language, style=style,
                      model=model.split("#")[0], cached=True, seconds=round(time.perf_counter() - started, 4))
        return
    summary = None
    for item in Summarizer(llm, settings).run(title=article.title, text=article.text, lang=lang, style=style,
                                              language=language, date=article.date, article_id=article.id,
                                              model=model.split("#")[0]):
        if isinstance(item, Summary):
            summary = item
        else:
            yield item
    assert summary is not None
    store.put_summary(article.id, article.content_hash, style, language, model, summary.summary)
    summary.seconds = round(time.perf_counter() - started, 3)
    yield summary


def summarize(store: Store, llm, settings: Settings, article_id: str, style: str = DEFAULT_STYLE,
              language: str | None = None) -> Summary:
    """The summary of a stored article (from the cache when it was made before)."""
    result = None
    for result in stream_summary(store, llm, settings, article_id, style, language):
        pass
    assert isinstance(result, Summary)
    return result


def summarize_text(text: str, llm, settings: Settings, style: str = DEFAULT_STYLE, language: str | None = None, *,
                   title: str | None = None, lang: str | None = None) -> Summary:
    """The summary of a text that is not in a store (no cache)."""
    if lang is None:
        from qa.language import detect_language

        lang = detect_language(text) or "en"
    from qa.llm import model_id

    result = None
    for result in Summarizer(llm, settings).run(title=title, text=text, lang=lang, style=style, language=language,
                                                model=model_id(settings)):
        pass
    assert isinstance(result, Summary)
    return result


def summarize_all(store: Store, llm, settings: Settings, style: str = DEFAULT_STYLE,
                  show_progress: bool = True) -> list[Summary]:
    """Make (or find in the cache) the summary of every stored article, with a progress bar."""
    from tqdm import tqdm

    infos = store.list_articles()
    results, made = [], 0
    with tqdm(total=len(infos), unit="article", desc=f"summaries ({style})", disable=not show_progress,
              dynamic_ncols=True) as bar:
        for info in infos:
            summary = summarize(store, llm, settings, info.id, style=style)
            made += not summary.cached
            results.append(summary)
            bar.set_postfix(new=made)
            bar.update(1)
    return results


# ---------------------------------------------------------------- digest


def digest(store: Store, llm, settings: Settings, article_ids: Iterable[str], language: str | None = None) -> Digest:
    """What the articles say together and where they disagree, as 3-6 points cited [n] to their article.

    Each article is first summarised (``short`` style, cached), then the summaries are combined. Every
    point must cite an article; its facts are checked against the full text of the articles it cites."""
    started = time.perf_counter()
    ids = list(dict.fromkeys(article_ids))
    if not ids:
        raise ValueError("No articles selected for the digest.")
    articles = [_article(store, i) for i in ids]
    langs = [article_language(a) for a in articles]
    language = language_code(language) or max(langs, key=langs.count)
    summaries = [summarize(store, llm, settings, a.id, style="short") for a in articles]
    sources = [DigestSource(n=n, article_id=a.id, title=a.title, summary=s.summary)
               for n, (a, s) in enumerate(zip(articles, summaries, strict=True), 1)]
    summarizer = Summarizer(llm, settings)
    user = ""
    for keep in (3, 1):  # the summaries, or only their first sentence when they do not all fit
        blocks = "\n\n".join(f"[{s.n}] {s.title}" + (f" ({a.date})" if a.date else "") + "\n"
                             + " ".join(sentences(s.summary)[:keep]) for s, a in zip(sources, articles, strict=True))
        user = _format("summary_digest", articles=blocks, count=len(articles), language=prompts.language_name(language))
        if summarizer._tokens(summarizer._messages(user)) + _MAX_TOKENS["digest"] + _MARGIN <= settings.n_ctx:
            break
    else:
        raise ValueError(f"Too many articles for one digest ({len(articles)}): select fewer.")
    evidences = {s.n: Evidence(summarizer.article_block(a.title, a.text, a.date))
                 for s, a in zip(sources, articles, strict=True)}
    langs_by_n = dict(zip([s.n for s in sources], langs, strict=True))

    def check(raw: str) -> tuple[list[str], list[str]]:
        kept, removed = [], []
        valid = set(evidences)
        for unit in clean_output(raw, "digest"):
            text = strip_citations(unit, valid)
            cited = [n for n in cited_numbers(text) if n in valid]
            if not cited:  # no citation: the article sharing the most words
                words = set(re.findall(r"\w{4,}", fold(text)))
                best = max(valid, key=lambda n: len(words & evidences[n].words))
                cited, text = [best], f"{text} [{best}]"
            missing = Evidence(" ".join(evidences[m].text for m in cited)).unsupported(
                re.sub(r"\[\d+\]", " ", text), same_language=all(langs_by_n[m] == language for m in cited))
            if missing:
                removed += [m for m in missing if m not in removed]
            elif written_in(re.sub(r"\[\d+\]", " ", text), language):
                kept.append(text)
        return kept[:6], removed

    units, removed = check(summarizer._call(summarizer._messages(user), _MAX_TOKENS["digest"]))
    regenerated = False
    if not units:
        regenerated = True
        reminder = (f" Write in {prompts.language_name(language)} only, and use only names, numbers and dates "
                    "that are written in the articles.")
        units, more = check(summarizer._call(summarizer._messages(user + reminder), _MAX_TOKENS["digest"], 0.3))
        removed += [m for m in more if m not in removed]
    if not units:  # fall back on the articles' own checked summaries
        units = [f"{s.title}: {s.summary} [{s.n}]" for s in sources]
    from qa.llm import model_id

    return Digest(digest=join_units(units, "digest"), sources=sources, language=language, model=model_id(settings),
                  seconds=round(time.perf_counter() - started, 3), unsupported=removed, regenerated=regenerated)
