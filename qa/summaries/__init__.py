"""Per-article summaries and multi-article digests, grounded in the article text.

One article, four styles (``short``: 2-3 sentences, the default; ``abstract``: one headline-style
sentence; ``paragraph``; ``bullets``: 3-6 key points), in the article's language or any other.

How a summary is made:

1. **Budget.** The article is counted in the model's own tokens. When the prompt, the article and the
   answer fit the context (``settings.n_ctx``) the summary is one call. Otherwise the article is cut on
   sentence boundaries into balanced sections that each fit, every section is turned into notes (map)
   and the notes into the summary (reduce); notes that still do not fit are condensed again.
2. **Review** (:mod:`.review`). Every sentence (or bullet) of the result is checked against the
   article: its numbers must be in the article (digits or spelled out), and so must its names; in a
   summary written in another language than the article, names are checked against the article's names
   translated once by the model and cached (:mod:`.entities`: NATO for OTAN passes, "UN Security
   Council" does not). A unit with an unsupported fact, or a word of the other language (:mod:`.wording`),
   is removed; a key point that is not a whole sentence, or repeats another, too. If nothing is left,
   a word was left untranslated, a name or figure of the title is missing (:mod:`.headline`) or the
   summary is not in the language asked for, the summary is generated once more with a reminder and
   what to fix; if nothing survives that either, the lead sentences of the article are used
   (extractive, so nothing is invented).
3. **Cache.** The checked summary is stored with the article, keyed by the article's content hash,
   the style, the language and the model (plus a fingerprint of the prompts): asking again is instant,
   and editing the article (new hash) or the prompts makes a fresh one.
"""

from __future__ import annotations

# the modules, one concern each:
#   results     what comes back (Summary, Digest) and the arguments (styles, languages)
#   units       model text to units (sentences, bullets) and the fact check
#   review      what stays of a model's text, and what the second try must fix
#   entities    the article's names, translated once, against a summary's names
#   wording     words left in the other language; the quotation rule
#   headline    the title's names and figures; two figures for one thing
#   summarizer  Summarizer: one chat model, the budget, map-reduce, regeneration (no store)
#   service     stored articles: lookup, cache, summarize, stream_summary, cached_summary, summarize_all
#   digest      several articles in one digest, cited [n]
from qa.summaries.digest import digest
from qa.summaries.results import (
    DEFAULT_STYLE,
    STYLES,
    ArticleNotFoundError,
    Digest,
    DigestSource,
    Summary,
    check_style,
    language_code,
)
from qa.summaries.service import (
    article_language,
    cached_summary,
    stream_summary,
    summarize,
    summarize_all,
)
from qa.summaries.summarizer import Summarizer
from qa.summaries.units import Evidence, check_units, clean_output

__all__ = [
    "DEFAULT_STYLE",
    "STYLES",
    "ArticleNotFoundError",
    "Digest",
    "DigestSource",
    "Evidence",
    "Summarizer",
    "Summary",
    "article_language",
    "cached_summary",
    "check_style",
    "check_units",
    "clean_output",
    "digest",
    "language_code",
    "stream_summary",
    "summarize",
    "summarize_all",
]
