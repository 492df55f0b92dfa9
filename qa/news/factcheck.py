"""Check a draft against the archive: each sentence holding a checkable fact gets a verdict with its evidence.

For each sentence of the draft (:func:`draft_spans`; at most ``QA_MAX_CHECK_SENTENCES``):

1. **A claim?** (:func:`qa.news.claims.is_claim`): a sentence without a figure, a date or a name is ``no_claim``.
2. **Passages**: the sentence is searched like a question (``Assistant.retrieve``: dense and keyword search,
   in the store's other language too through the existing query translation).
3. **Comparison** (:func:`qa.news.claims.compare`, deterministic): each sentence of the passages is compared with
   the claim: the figures, years, months and names it holds, those it lacks, those where it holds another value.
4. **Verdict**: ``supported`` when a sentence holds every fact of the claim and the model says it states the
   same fact (its probability of "yes", prompt ``check_claim``, at least ``SUPPORT_THRESHOLD``);
   ``contradicted`` when a sentence about the same subject (it shares another fact or most of the claim's
   words, or means nearly the same to the multilingual embedder; no more of the claim's facts differ or are
   missing than agree, and none missing but a name) holds another value for one of its facts:
   every such article is cited, newest first, with the two values side by side; else ``not_found``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Literal

from pydantic import BaseModel, Field

from qa.models import prompts
from qa.store.articles import Quoted
from qa.news.claims import Comparison, Disagreement, compare, is_claim
from qa.models.embeddings import embed_array
from qa.store.keyword import tokenize
from qa.text.language import question_language
from qa.models.llm import yes_probability
from qa.retrieval.passages import Passage
from qa.text.sentences import sentence_spans

Verdict = Literal["supported", "contradicted", "not_found", "no_claim"]

CHECK_PASSAGES = 6  # passages read for each claim
JUDGED = 2  # sentences holding every fact of the claim that the model is asked about, best first
# the model's probability of "yes" from which a sentence holding the claim's facts states the same fact
# (chosen on data/eval/claims-dev.jsonl, docs/benchmarks.md)
SUPPORT_THRESHOLD = 0.5
# a sentence disagreeing with the claim is about the same subject when it shares another of its facts or this
# share of its words, or when the embedder finds them this close
SHARED_WORDS = 0.5
SAME_SUBJECT = 0.6
MIN_SIMILARITY = 0.3


class Evidence(Quoted):
    """An article sentence cited for a verdict, with its article offsets (``quote == text[start:end]``)."""

    disagreements: list[Disagreement] = Field(default_factory=list, description="the draft's value and the "
                                              "article's, side by side (contradicted)")
    probability: float | None = Field(None, description="the model's probability that it states the same fact")


class CheckedSentence(BaseModel):
    """One sentence of the draft (offsets into the draft) with its verdict and the evidence for it."""

    sentence: str
    start: int
    end: int
    verdict: Verdict
    evidence: list[Evidence] = Field(default_factory=list)


class DraftCheck(BaseModel):
    """Every sentence of a draft, in order, with its verdict."""

    sentences: list[CheckedSentence]
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        out = {"supported": 0, "contradicted": 0, "not_found": 0, "no_claim": 0}
        for s in self.sentences:
            out[s.verdict] += 1
        return out


def draft_spans(text: str, limit: int) -> list[tuple[int, int]]:
    """The sentences of a draft; a clear ``ValueError`` when it is empty or has more than ``limit``."""
    spans = sentence_spans(text or "")
    if not spans:
        raise ValueError("Empty draft: paste the text to check (one or more sentences).")
    if len(spans) > limit:
        raise ValueError(f"The draft has {len(spans)} sentences; at most {limit} are checked at once "
                         "(QA_MAX_CHECK_SENTENCES): check it in parts.")
    return spans


class Candidate(BaseModel):
    """An article sentence compared with the claim."""

    passage: Passage
    start: int
    end: int
    quote: str
    comparison: Comparison
    similarity: float = 0.0
    shared_words: float = 0.0
    window: str = ""

    def evidence(self, probability: float | None = None) -> Evidence:
        return Evidence.of(self.passage, self.quote, self.start, self.end, probability=probability,
                           disagreements=self.comparison.disagreements)

    @property
    def same_subject(self) -> bool:
        """Whether a disagreement with the claim is about the claim's subject, not another one."""
        c = self.comparison
        if self.similarity < MIN_SIMILARITY or len(c.disagreements) + len(c.missing) > max(1, len(c.matched)):
            return False  # more of the claim differs or is missing than agrees: another subject
        if any(f.kind != "name" for f in c.missing) or len(c.missing) > 1:
            return False  # a figure or a date of the claim the sentence does not give: it tells something else
        return bool(c.matched) or self.shared_words >= SHARED_WORDS or self.similarity >= SAME_SUBJECT


def candidates(claim: str, phrasings: list[str], passages: list[Passage], embedder, language: str,
               article_text: Callable[[str], str]) -> list[Candidate]:
    """Each sentence of the passages compared with the claim, with its similarity to it (the better over the
    claim and its translations) and the share of the claim's words it holds."""
    found: list[Candidate] = []
    words = set(tokenize(claim))
    other_words = set(tokenize(" ".join(phrasings)))
    for p in passages:
        texts = p.sentence_texts()
        for i, ((start, end), quote) in enumerate(zip(p.sentences, texts)):
            window = " ".join(texts[max(0, i - 1):i + 2])
            same = (p.lang or language) == language
            comparison = compare(claim, quote, setting=f"{window} {p.title}", article=article_text(p.article_id),
                                 same_language=same)
            held = set(tokenize(window))
            share = max(len(words & held) / max(len(words), 1), len(other_words & held) / max(len(other_words), 1))
            found.append(Candidate(passage=p, start=start, end=end, quote=quote, comparison=comparison,
                                   shared_words=round(share, 3), window=window))
    if found:
        vectors = embed_array(embedder, [claim, *phrasings, *(c.quote for c in found)])
        queries, sentences = vectors[:1 + len(phrasings)], vectors[1 + len(phrasings):]
        for c, sim in zip(found, (sentences @ queries.T).max(axis=1)):
            c.similarity = round(float(sim), 4)
    return sorted(found, key=lambda c: c.similarity, reverse=True)


def judge(llm, claim: str, candidate: Candidate) -> float:
    """The model's probability that the candidate's sentence (with the one before and after) states the claim."""
    messages = prompts.template("check_claim").invoke({"claim": claim, "evidence": candidate.window}).to_messages()
    return round(yes_probability(llm, messages), 4)


def verdict_of(sentence: str, start: int, end: int, found: list[Candidate],
               probability: Callable[[Candidate], float]) -> CheckedSentence:
    """The verdict from the compared sentences: supported (holding every fact, confirmed by the model),
    contradicted (another value on the same subject: every such article, newest first), else not found."""
    contradicting: dict[str, Candidate] = {}
    for c in found:  # best first: one sentence per article
        if c.comparison.disagreements and c.same_subject:
            contradicting.setdefault(c.passage.article_id, c)
    against = sorted(contradicting.values(), key=lambda c: c.passage.date or "", reverse=True)
    holding = [c for c in found if c.comparison.holds_all and c.similarity >= MIN_SIMILARITY][:JUDGED]
    for c in holding:
        yes = probability(c)
        if yes >= SUPPORT_THRESHOLD:
            return CheckedSentence(sentence=sentence, start=start, end=end, verdict="supported",
                                   evidence=[c.evidence(yes), *(a.evidence() for a in against)])
    if against:
        return CheckedSentence(sentence=sentence, start=start, end=end, verdict="contradicted",
                               evidence=[a.evidence() for a in against])
    return CheckedSentence(sentence=sentence, start=start, end=end, verdict="not_found")


def check_sentences(assistant, text: str) -> Iterator[CheckedSentence]:
    """Each sentence of the draft with its verdict, in order, as soon as it is decided."""
    spans = draft_spans(text, assistant.settings.max_check_sentences)
    preferred = assistant.preferred_languages()
    articles: dict[str, str] = {}

    def article_text(article_id: str) -> str:
        if article_id not in articles:
            article = assistant.article(article_id)
            articles[article_id] = article.text if article else ""
        return articles[article_id]

    for start, end in spans:
        sentence = text[start:end]
        if not is_claim(sentence):
            yield CheckedSentence(sentence=sentence, start=start, end=end, verdict="no_claim")
            continue
        language = question_language(sentence, preferred)
        translations = assistant.translate(sentence, language)
        passages = assistant.retrieve(sentence, k=CHECK_PASSAGES, language=language, translations=translations)
        found = candidates(sentence, translations, passages, assistant.embedder, language, article_text)

        def probability(c: Candidate) -> float:  # asked in the article's language when the claim was translated
            claim = translations[0] if translations and (c.passage.lang or language) != language else sentence
            return judge(assistant.side_llm, claim, c)

        yield verdict_of(sentence, start, end, found, probability)

