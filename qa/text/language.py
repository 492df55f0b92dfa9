"""Language: detection of an article's or a question's language, function words, accent folding.

One home for what answers, summaries, retrieval and ingestion share about languages.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

QUESTION_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl")


def fold(text: str) -> str:
    """Lower case without accents, typographic quotes and spaces made plain."""
    text = text.replace("’", "'").replace("\u202f", " ").replace("\u00a0", " ")
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """French and English function words, accent-folded (the keyword index and the name finder skip them)."""
    from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_FRENCH

    return frozenset(fold(w) for w in (*STOPWORDS_EN, *STOPWORDS_FRENCH))


@lru_cache(maxsize=1)
def function_words() -> dict[str, frozenset[str]]:
    """Each question language's function words, question words included (short questions are made of them)."""
    import bm25s.stopwords as sw

    lists = {"en": sw.STOPWORDS_EN_PLUS, "fr": sw.STOPWORDS_FRENCH, "de": sw.STOPWORDS_GERMAN, "es": sw.STOPWORDS_SPANISH,
             "it": sw.STOPWORDS_ITALIAN, "pt": sw.STOPWORDS_PORTUGUESE, "nl": sw.STOPWORDS_DUTCH}
    questions = {
        "en": "who what when where which why how whom whose did does do is are was were has have many much",
        "fr": "qui que quoi quel quelle quels quelles quand où comment combien pourquoi lequel laquelle est-ce "
              "qu a-t-il a-t-elle ont-ils était était-ce sont",
        "de": "wer was wann wo welche welcher welches warum wie wieviel hat haben ist sind",
        "es": "quién qué cuándo dónde cuál cuáles por cómo cuánto cuántos ha han es son",
        "it": "chi che cosa quando dove quale quali perché come quanto quanti ha hanno è sono",
        "pt": "quem que quando onde qual quais porque como quanto quantos tem têm é são",
        "nl": "wie wat wanneer waar welke waarom hoe hoeveel heeft hebben is zijn",
    }
    return {lang: frozenset(words) | frozenset(questions[lang].split()) for lang, words in lists.items()}


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(list(QUESTION_LANGUAGES))
    return identifier


def language_ranking(text: str) -> dict[str, float]:
    """Log-probabilities of the question languages for ``text`` (character n-grams), higher is likelier."""
    return dict(_identifier().rank(text))


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of an article's language (any of py3langid's 97), or None when it is too short to tell."""
    sample = text[:2000]
    if len(re.findall(r"\w+", sample)) < 3:
        return None
    import py3langid

    lang, _score = py3langid.classify(sample)
    return lang


def question_language(question: str, preferred: tuple[str, ...] = ("en", "fr")) -> str:
    """The language of a (short) question. Character statistics mislead on a few words, so the
    function words of each language vote ("qui", "quel" → French; "who", "how" → English); the
    character model breaks ties, and among near-equals the ``preferred`` languages (those of the
    collection) win."""
    words = re.findall(r"\w+", question.lower().replace("’", "'"))
    if not words:
        return preferred[0]
    votes = {lang: sum(w in stop for w in words) for lang, stop in function_words().items()}
    best_votes = max(votes.values())
    ranking = language_ranking(question)
    top = max(ranking.values())

    def score(lang: str) -> tuple:
        close = ranking.get(lang, -1e9) > top - 15  # within a few words' worth of evidence
        return (votes[lang], close and lang in preferred, ranking.get(lang, -1e9))

    return max((lang for lang in votes if votes[lang] == best_votes), key=score)


def written_in(text: str, language: str) -> bool:
    """False only when the text is clearly in another language (character n-gram model, among the
    languages it can tell apart: a few points of log-probability are not enough to reject)."""
    if language not in QUESTION_LANGUAGES or len(re.findall(r"\w+", text)) < 6:
        return True
    ranking = language_ranking(text)
    top = max(ranking, key=ranking.get)
    return top == language or ranking[top] - ranking.get(language, -1e9) < 20
