"""Retrieval quality on the evaluation set, per configuration, with a recall@k plot.

    python bench/retrieval.py --store DIR [--evalset data/eval/questions.jsonl]

The store must hold the evaluation articles among thousands of distractors; build it with
``bench/build_eval_store.sh`` (first 3,000 OrangeSum articles, all 2,225 BBC ones, the seed).
"""

from __future__ import annotations

import argparse

from common import ROOT, write_results

from qa import Assistant
from qa.evaluation.runs import evaluate_retrieval, load_evalset, plot_recall
from qa.retrieval.search import dense_search, hybrid_search


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", required=True)
    parser.add_argument("--evalset", default=str(ROOT / "data" / "eval" / "questions.jsonl"))
    parser.add_argument("--plot", default=str(ROOT / "docs" / "recall_at_k.png"))
    parser.add_argument("--no-translation", action="store_true", help="skip the configuration that needs the LLM")
    args = parser.parse_args()
    rows = load_evalset(args.evalset)
    assistant = Assistant(store_dir=args.store)
    store, embedder = assistant.store, assistant.embedder
    configs = {
        "dense (USE)": lambda q: dense_search(store, embedder, q, 20),
        "keyword (BM25)": lambda q: store.keyword_search(q, 20),
        "hybrid (RRF)": lambda q: hybrid_search(store, embedder, q, 20),
    }
    if not args.no_translation:
        configs["hybrid + translated question"] = lambda q: assistant.retrieve(q, k=20)
    results = {name: evaluate_retrieval(rows, fn) for name, fn in configs.items()}
    plot_recall(results, args.plot)
    figures = {"store": store.stats()}
    for name, r in results.items():
        figures[name] = {"recall@1": round(r["recall@1"], 3), "recall@5": round(r["recall@5"], 3),
                         "recall@10": round(r["recall@10"], 3), "recall@20": round(r["recall@20"], 3),
                         "mrr": round(r["mrr"], 3), "latency_ms_median": r["latency_ms_median"],
                         "recall@5_by_kind": {k: round(v["recall@5"], 3) for k, v in r["by_kind"].items()}}
    write_results("retrieval", figures)


if __name__ == "__main__":
    main()
