"""Summaries a journalist can paste (issue 23, points 1-3), checked word by word on articles nobody tuned for.

Two parts, each on corpus articles that are neither the samples nor the OrangeSum test set:

* ``--translate N``: N French OrangeSum articles summarised in English and N English BBC articles in
  French (``short``). Counted per summary: words of the other language left outside names (and, in the
  article's language only, quotations) — ``qa.summaries.wording.untranslated_words``, word lists built
  from the corpora — and the names and figures the review removed (names neither the article's nor
  their translations).
* ``--headline N``: N French OrangeSum articles (with their titles) summarised in French as ``short``,
  ``abstract`` and ``bullets``. Counted: summaries missing a name or figure of the title, key points that
  are not whole sentences or that repeat another, figures stated without the word that tells them apart
  from another figure for the same thing.

The checks are the assistant's own (qa.summaries.headline, .wording, .entities, .units), re-applied to
the final text; the ``found by the review`` columns count what the model wrote and the review removed or
asked again for. Every summary is written to bench/results/summary-review-outputs.jsonl for reading.

    flock /tmp/newsdesk-model.lock .venv/bin/python bench/summary_review.py --translate 20 --headline 50
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from common import RESULTS, corpus_records, write_results

from qa.models.llm import get_chat_model, model_id
from qa.settings import get_settings
from qa.summaries import Summarizer, clean_output
from qa.summaries.headline import headline_facts, missing_facts, twin_figures, unqualified_figures
from qa.summaries.units import is_fragment, repeats
from qa.summaries.wording import untranslated_words

SKIP = 30000  # OrangeSum articles from here on: not the samples (the first ones), not the abstract-test set


def summarize(summarizer: Summarizer, record: dict, lang: str, style: str, language: str, model: str):
    started = time.perf_counter()
    first = None
    for item in summarizer.run(title=record.get("title"), text=record["text"], lang=lang, style=style,
                               language=language, date=record.get("date"), model=model):
        if isinstance(item, str):
            first = first or time.perf_counter() - started
        else:
            summary = item
    return summary, time.perf_counter() - started, first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--translate", type=int, default=20, help="articles each way (default 20)")
    parser.add_argument("--headline", type=int, default=50, help="articles for the headline checks (default 50)")
    parser.add_argument("--name", default="summary-review", help="results name (bench/results/<name>.json)")
    args = parser.parse_args()

    settings = get_settings()
    llm = get_chat_model(settings)
    summarizer = Summarizer(llm, settings)
    summarizer.count("warm-up")
    model = model_id(settings)
    records, figures = [], {"model": model}
    log = (RESULTS / f"{args.name}-outputs.jsonl")
    RESULTS.mkdir(parents=True, exist_ok=True)
    log.write_text("", encoding="utf-8")

    def keep(record: dict) -> None:
        records.append(record)
        with log.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        print(json.dumps(record, ensure_ascii=False)[:400], flush=True)

    if args.translate:
        pairs = [("fr", "en", r) for r in corpus_records("orangesum", args.translate, skip=SKIP)]
        pairs += [("en", "fr", r) for r in corpus_records("bbc", args.translate, skip=7)]
        for lang, language, article in pairs:
            summary, seconds, first = summarize(summarizer, article, lang, "short", language, model)
            keep({"part": "translate", "id": article["id"], "from": lang, "to": language, "summary": summary.summary,
                  "untranslated": untranslated_words(summary.summary, language),
                  "review_untranslated": summary.untranslated, "review_removed": summary.unsupported,
                  "regenerated": summary.regenerated, "extractive": summary.extractive, "calls": summary.calls,
                  "seconds": round(seconds, 1), "first_words": round(first or seconds, 1)})
        part = [r for r in records if r["part"] == "translate"]
        for direction in ("fr>en", "en>fr"):
            rows = [r for r in part if f"{r['from']}>{r['to']}" == direction]
            figures[f"{direction} summaries"] = len(rows)
            figures[f"{direction} with an untranslated word"] = sum(bool(r["untranslated"]) for r in rows)
            figures[f"{direction} extractive (article's language)"] = sum(r["extractive"] for r in rows)
            figures[f"{direction} untranslated words found by the review"] = sum(bool(r["review_untranslated"])
                                                                                 for r in rows)
            figures[f"{direction} names or figures removed by the review"] = sum(bool(r["review_removed"])
                                                                                for r in rows)

    if args.headline:
        for article in corpus_records("orangesum", args.headline, skip=SKIP + 1000):
            facts = headline_facts(article["title"], article["text"])
            twins = twin_figures(f"{article['title']}. {article['text']}")
            for style in ("short", "abstract", "bullets"):
                summary, seconds, first = summarize(summarizer, article, "fr", style, "fr", model)
                units = clean_output(summary.summary, style)
                keep({"part": "headline", "id": article["id"], "style": style, "title": article["title"],
                      "summary": summary.summary, "facts": facts, "missing": missing_facts(summary.summary, facts),
                      "fragments": [u for u in units if style == "bullets" and is_fragment(u)],
                      "repeated": [u for i, u in enumerate(units) if repeats(u, units[:i])],
                      "unqualified": sorted({f for u in units for f in unqualified_figures(u, twins)}),
                      "regenerated": summary.regenerated, "extractive": summary.extractive,
                      "calls": summary.calls, "seconds": round(seconds, 1), "first_words": round(first or seconds, 1)})
        part = [r for r in records if r["part"] == "headline"]
        figures["headline summaries"] = len(part)
        for key in ("missing", "fragments", "repeated", "unqualified"):
            figures[f"headline with {key}"] = sum(bool(r[key]) for r in part)
        figures["headline extractive"] = sum(r["extractive"] for r in part)
    figures["regenerated"] = sum(r["regenerated"] for r in records)
    figures["seconds median"] = round(statistics.median(r["seconds"] for r in records), 1) if records else 0
    write_results(args.name, figures, notes=f"outputs in bench/results/{log.name}")


if __name__ == "__main__":
    main()
