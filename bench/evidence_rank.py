"""Evidence ranking: how often the evidence is among the first k passages the model reads, by kind of
question, for the chunk ranking alone and for the sentence ranking with several weightings.

    python bench/evidence_rank.py --store DIR data/eval/questions.jsonl data/eval/hard.jsonl

The question translations (one model call each) are kept in bench/results/translations.json, so a
second run costs no model call. Results go to bench/results/evidence_rank.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa import Assistant  # noqa: E402
from qa.evaluation.runs import load_evalset  # noqa: E402
from qa.text.language import question_language  # noqa: E402
from qa.evaluation.metrics import evidence_hit  # noqa: E402
from qa.retrieval.passages import SENTENCE_WEIGHTS, _sentence_vectors, evidence_passages  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
KS = (1, 3, 5, 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", required=True)
    parser.add_argument("--no-translation", action="store_true")
    parser.add_argument("--grid", action="store_true", help="try several weightings")
    parser.add_argument("--candidates", type=int, help="candidate chunks whose sentences are ranked "
                        "(default: the setting, QA_CANDIDATES)")
    parser.add_argument("--depth", type=int, help="chunks taken from each ranking before fusion "
                        "(default: the setting, QA_SEARCH_DEPTH)")
    parser.add_argument("--before", type=int, help="sentences read before each best sentence (default: the "
                        "setting, QA_PASSAGE_BEFORE)")
    parser.add_argument("--after", type=int, help="sentences read after each best sentence (default: the setting, "
                        "QA_PASSAGE_AFTER)")
    parser.add_argument("--out", default="evidence_rank.json", help="file name under bench/results")
    parser.add_argument("evalsets", nargs="+")
    args = parser.parse_args()
    assistant = Assistant(store_dir=Path(args.store))
    before = assistant.settings.passage_before if args.before is None else args.before
    after = assistant.settings.passage_after if args.after is None else args.after
    sizes: list[int] = []  # characters the model reads at k=5
    _sentence_vectors.size = 10**6  # every weighting ranks the same sentences: embed them once
    cache_path = RESULTS / "translations.json"
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    rows = [r for path in args.evalsets for r in load_evalset(path) if r["answer"] is not None and r["evidence"]]
    prepared, search_ms, rank_ms = [], [], []
    for row in rows:
        language = question_language(row["question"], assistant.preferred_languages())
        if args.no_translation:
            translations = []
        else:
            if row["question"] not in cache:
                cache[row["question"]] = assistant.translate(row["question"], language)
            translations = cache[row["question"]]
        started = time.perf_counter()
        chunks = assistant.search(row["question"], k=args.candidates, translations=translations, depth=args.depth)
        search_ms.append(1000 * (time.perf_counter() - started))
        prepared.append((row, chunks, translations))
    if not args.no_translation:
        cache_path.write_text(json.dumps(cache, ensure_ascii=False, indent=0))

    def score(weights: dict | None, label: str) -> dict:
        """Per question, whether the evidence is in the first k units, for k in KS: the first k chunks, or the
        k passages the model would read when it reads k (what ``evidence_passages(k=k)`` returns: a later
        pick can grow an earlier passage, so the first 5 of 10 passages are not what a 5-passage read gets)."""
        by_kind: dict[str, list[dict[int, bool]]] = {}
        for row, chunks, translations in prepared:
            if weights is None:
                rank = next((i for i, c in enumerate(chunks) if evidence_hit(c.text, row["evidence"])), None)
                hits = {k: rank is not None and rank < k for k in KS}
                hits[0] = rank is not None  # anywhere among the candidates: what the sentence ranking can find
            else:
                hits = {}
                for k in KS:
                    started = time.perf_counter()
                    passages = evidence_passages(row["question"], chunks, assistant.embedder, k=k,
                                                 translations=translations, weights=weights, before=before,
                                                 after=after)
                    if k == 5:
                        sizes.append(sum(len(p.text) for p in passages))
                    if k == KS[0]:  # the first call embeds the sentences (the later ones find them cached)
                        rank_ms.append(1000 * (time.perf_counter() - started))
                    hits[k] = any(evidence_hit(p.text, row["evidence"]) for p in passages)
            by_kind.setdefault(row["kind"], []).append(hits)
        out = {"label": label, "weights": weights}
        everything = [h for runs in by_kind.values() for h in runs]
        for name, runs in [("all", everything), *sorted(by_kind.items())]:
            out[name] = {f"@{k}": round(sum(h[k] for h in runs) / len(runs), 3) for k in KS}
            out[name]["n"] = len(runs)
            if weights is None:
                out[name]["candidates"] = round(sum(h[0] for h in runs) / len(runs), 3)
        print(f"{label:<40} " + "  ".join(f"{n} {v['@5']:.3f}" for n, v in out.items() if n not in ("label", "weights")))
        return out

    results = [score(None, "chunks (hybrid ranking)")]
    grid = [SENTENCE_WEIGHTS]
    if args.grid:
        for chunk_rank in (0.0, 0.25, 0.5, 1.0, 2.0):
            for keywords in (0.0, 0.04, 0.08):
                for title in (0.0, 0.25, 0.5):
                    grid.append({"similarity": 1.0, "keywords": keywords, "chunk_rank": chunk_rank, "title": title})
    for weights in grid:
        results.append(score(weights, "sentences " + ",".join(f"{k[:2]}={v}" for k, v in weights.items())))
    report = {"store": str(args.store), "chroma_url": assistant.settings.chroma_url,
              "articles": assistant.store.count_articles(), "candidates": args.candidates or assistant.settings.candidates,
              "depth": args.depth or assistant.settings.search_depth, "before": before, "after": after,
              "chars_read_at_5_median": statistics.median(sizes) if sizes else None,
              "evalsets": args.evalsets, "translation": not args.no_translation,
              "questions": len(rows), "search_ms_median": round(statistics.median(search_ms), 1),
              "sentence_rank_ms_median": round(statistics.median(rank_ms), 1) if rank_ms else None,
              "results": results}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / args.out).write_text(json.dumps(report, indent=1) + "\n")
    print(f"search {report['search_ms_median']} ms, sentence ranking {report['sentence_rank_ms_median']} ms (median)")


if __name__ == "__main__":
    main()
