"""One-sentence abstracts on OrangeSum: ROUGE-1/2/L against the gold abstracts, beside BARThez and mBARThez.

    python bench/summaries.py [--docs 50] [--model qwen2.5-1.5b]

The sample is the first ``--docs`` documents of ``orangesum/abstract-test/`` (the OrangeSum Abstract test
set: line i of every file is the same document). The model reads the document text only, through the
same code as ``assistant.summarize(..., style="abstract")`` (budget, generation, fact check); the gold
abstracts are read only to score. ROUGE uses ``qa.evaluation.metrics.rouge_scores`` (Unicode words, accents kept,
no stemming). Also reported: the first sentence of the document (lead-1), seconds per summary, and how
many summaries hold a number or name that is not in the document (ours after the check, and the
published BARThez / mBARThez outputs under the same check).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import time
from pathlib import Path

from common import CORPUS, RESULTS, write_results

from qa.models.llm import get_chat_model, model_id
from qa.evaluation.metrics import rouge_scores
from qa.settings import get_settings
from qa.text.sentences import sentences
from qa.summaries import Evidence, Summarizer, clean_output

TEST = CORPUS / "orangesum" / "abstract-test"


def read_lines(name: str, limit: int, skip: int = 0) -> list[str]:
    with gzip.open(TEST / f"{name}.txt.gz", "rt", encoding="utf-8") as handle:
        lines = [line.rstrip("\n") for _, line in zip(range(skip + limit), handle)]
    return lines[skip:]


def invented(summary: str, document: str) -> list[str]:
    """Numbers and names of the summary that the document does not hold (the check the assistant applies)."""
    evidence = Evidence(document)
    found: list[str] = []
    for unit in clean_output(summary, "abstract") or [summary]:
        found += evidence.unsupported(unit, same_language=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=50, help="the first N test documents (default 50)")
    parser.add_argument("--model", default=None, help="bundled model (default: the configured one, qwen2.5-1.5b)")
    parser.add_argument("--style", default="abstract")
    parser.add_argument("--skip", type=int, default=0,
                        help="start after this many documents (develop on documents 50+, report on the first 50)")
    parser.add_argument("--name", default="summaries", help="results name (bench/results/<name>.json)")
    parser.add_argument("--outputs", nargs="+", type=Path, default=None,
                        help="score these saved outputs (<name>-outputs.jsonl of runs over consecutive documents, "
                             "e.g. a long run made in parts) instead of summarising again")
    args = parser.parse_args()

    settings = get_settings()
    if args.model:
        settings = settings.model_copy(update={"bundled_model": args.model})
    saved = None
    if args.outputs:
        saved = sorted((json.loads(line) for path in args.outputs for line in path.read_text(encoding="utf-8")
                        .splitlines() if line.strip()), key=lambda r: r["line"])
        args.skip, args.docs = saved[0]["line"], len(saved)
        assert [r["line"] for r in saved] == list(range(args.skip, args.skip + args.docs)), "documents missing"
    documents = read_lines("source_documents", args.docs, args.skip)
    systems = {"BARThez": read_lines("barthez", args.docs, args.skip),
               "mBARThez": read_lines("mbarthez", args.docs, args.skip),
               "first sentence": [(sentences(d) or [d])[0] for d in documents]}
    ours, seconds, first_words, records = [], [], [], []
    if saved:
        records = saved
        ours = [r["summary"] for r in saved]
        seconds = [r["seconds"] for r in saved]
        first_words = [r.get("first_words", r["seconds"]) for r in saved]
    else:
        llm = get_chat_model(settings)
        summarizer = Summarizer(llm, settings)
        summarizer.count("warm-up")  # load the weights outside the timings
    for number, document in enumerate(documents if not saved else [], args.skip):
        started, first = time.perf_counter(), None
        summary = None
        for summary in summarizer.run(title=None, text=document, lang="fr", style=args.style, model=model_id(settings)):
            if isinstance(summary, str) and summary.strip() and first is None:
                first = time.perf_counter() - started  # the first words a reader sees (streamed)
        seconds.append(time.perf_counter() - started)
        first_words.append(first or seconds[-1])
        ours.append(summary.summary)
        records.append({"line": number, "summary": summary.summary, "seconds": round(seconds[-1], 2),
                        "first_words": round(first_words[-1], 2), "calls": summary.calls,
                        "removed": summary.unsupported, "regenerated": summary.regenerated,
                        "extractive": summary.extractive, "sections": summary.sections})
        print(f"[{number + 1}] {seconds[-1]:.1f} s (first words {first_words[-1]:.1f} s, {summary.calls} calls)  "
              f"{summary.summary}", flush=True)

    gold = read_lines("gold", args.docs, args.skip)
    rows = {name: rouge_scores(outputs, gold) for name, outputs in systems.items()}
    ours_name = f"newsdesk QA ({settings.bundled_model})"
    rows[ours_name] = rouge_scores(ours, gold)
    invented_counts = {name: sum(bool(invented(s, d)) for s, d in zip(outputs, documents, strict=True))
                       for name, outputs in {**systems, ours_name: ours}.items()}

    print(f"\nOrangeSum Abstract test, first {len(documents)} documents, ROUGE F1 (Unicode words, accents kept)")
    print(f"{'system':<30} {'R-1':>6} {'R-2':>6} {'R-L':>6} {'words':>6} {'invented':>9}")
    for name, outputs in {**systems, ours_name: ours}.items():
        r = rows[name]
        words = statistics.mean(len(o.split()) for o in outputs)
        print(f"{name:<30} {100 * r['rouge1']:6.1f} {100 * r['rouge2']:6.1f} {100 * r['rougeL']:6.1f} {words:6.1f} "
              f"{invented_counts[name]:>5}/{len(outputs)}")
    print(f"seconds per summary: mean {statistics.mean(seconds):.1f}, median {statistics.median(seconds):.1f}; "
          f"first words: median {statistics.median(first_words):.1f}")

    RESULTS.mkdir(parents=True, exist_ok=True)
    outputs_path = RESULTS / f"{args.name}-outputs.jsonl"
    outputs_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    figures = {"documents": len(documents), "first_document": args.skip, "style": args.style,
               "model": model_id(settings)}
    for name, key in (("BARThez", "barthez"), ("mBARThez", "mbarthez"), ("first sentence", "lead1"), (ours_name, "ours")):
        for metric in ("rouge1", "rouge2", "rougeL"):
            figures[f"{key}_{metric}"] = round(100 * rows[name][metric], 2)
        figures[f"{key}_with_invented_facts"] = invented_counts[name]
    figures.update({
        "seconds_per_summary": round(statistics.mean(seconds), 2),
        "seconds_median": round(statistics.median(seconds), 2),
        "first_words_median": round(statistics.median(first_words), 2),
        "calls_mean": round(statistics.mean(r.get("calls", 1) for r in records), 2),
        "regenerated": sum(r["regenerated"] for r in records),
        "extractive_fallbacks": sum(r["extractive"] for r in records),
        "summaries_with_sentences_removed": sum(bool(r["removed"]) for r in records),
    })
    write_results(args.name, figures, notes=f"lines {args.skip}-{args.skip + len(documents) - 1} of "
                  f"orangesum/abstract-test; outputs in bench/results/{outputs_path.name}")


if __name__ == "__main__":
    main()
