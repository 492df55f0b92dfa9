"""The keyword index: SQLite FTS5 (the product's, updated in place) against a ``bm25s`` index rebuilt from
every chunk (the product's before 0.2), same tokens, same store.

    python bench/keyword.py --store DIR [--evalset data/eval/questions.jsonl data/eval/hard.jsonl]

For each eval split: recall@1/5/10/20 and MRR of the keyword ranking alone and of the hybrid search (dense +
keyword fused, no translation: no language model), each engine in turn; the median search time; the time to
build each index from the store's chunks; and, on a copy of the store, the time for one new article to be
searchable (FTS5: its rows in the same transaction as the article; bm25s: a rebuild).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from common import ROOT, write_results

from qa import Assistant
from qa.store.articles import Article, StoredChunk
from qa.evaluation.runs import evaluate_retrieval, load_evalset
from qa.ingest.ingestion import Ingestor
from qa.store.keyword import tokenize
from qa.retrieval.search import fuse


class Bm25s:
    """The former index: bm25s over every chunk, rebuilt whenever the store changes."""

    def __init__(self, chunks: list[StoredChunk]):
        import bm25s

        self.chunks = chunks
        self.retriever = bm25s.BM25()
        self.retriever.index([tokenize(f"{c.title}\n{c.text}") for c in chunks], show_progress=False)

    def search(self, query: str, k: int) -> list[StoredChunk]:
        vocab = self.retriever.vocab_dict
        tokens = [t for t in tokenize(query) if t in vocab]
        if not tokens:
            return []
        ids, scores = self.retriever.retrieve([tokens], k=min(k, len(self.chunks)), show_progress=False, n_threads=1)
        return [self.chunks[i] for i, s in zip(ids[0], scores[0]) if s > 0]


def hybrid(store, embedder, keyword, query: str, k: int = 20, depth: int = 40) -> list[StoredChunk]:
    from qa.models.embeddings import embed_array

    dense = store.search(embed_array(embedder, [query])[0], depth)
    return fuse([(dense, 1.0), (keyword(query, depth), 1.0)])[:k]


def figures_of(result: dict) -> dict:
    return {key: round(result[key], 3) for key in ("recall@1", "recall@5", "recall@10", "recall@20", "mrr")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", required=True)
    parser.add_argument("--evalset", nargs="+", default=[str(ROOT / "data/eval/questions.jsonl"),
                                                         str(ROOT / "data/eval/hard.jsonl")])
    args = parser.parse_args()
    assistant = Assistant(store_dir=Path(args.store), create=False)
    store, embedder = assistant.store, assistant.embedder
    out: dict = {"store": store.stats()}

    t0 = time.perf_counter()
    store.rebuild_keywords()
    out["fts5_full_build_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    chunks = list(store.iter_all_chunks())
    old = Bm25s(chunks)
    out["bm25s_full_build_s"] = round(time.perf_counter() - t0, 1)

    engines = {"fts5": lambda q, k: store.keyword_search(q, k), "bm25s": old.search}
    for path in args.evalset:
        rows = load_evalset(path)
        split = Path(path).stem
        for name, search in engines.items():
            times: list[float] = []

            def timed(q, search=search, times=times):
                t = time.perf_counter()
                found = search(q, 20)
                times.append(time.perf_counter() - t)
                return found

            keyword_only = evaluate_retrieval(rows, timed, show_progress=False)
            both = evaluate_retrieval(rows, lambda q, search=search: hybrid(store, embedder, search, q),
                                      show_progress=False)
            out[f"{split}/{name}/keyword"] = {**figures_of(keyword_only),
                                              "search_ms_median": round(1000 * statistics.median(times), 2)}
            out[f"{split}/{name}/hybrid"] = figures_of(both)
            print(split, name, out[f"{split}/{name}/keyword"], out[f"{split}/{name}/hybrid"], flush=True)

    with tempfile.TemporaryDirectory() as tmp:  # one new article, on a copy of the store
        copy = Path(tmp) / "store"
        shutil.copytree(args.store, copy)
        other = Assistant(store_dir=copy)
        article = Article(id="bench-new-article", title="Un zèbre nommé Zanzibar traverse la Loire à la nage",
                          text="Le zèbre Zanzibar, échappé d'un cirque, a traversé la Loire à la nage mardi matin. "
                               "Les pompiers l'ont récupéré sur la rive gauche, épuisé mais indemne.", lang="fr")
        t0 = time.perf_counter()
        Ingestor(other.store, other.embedder, other.settings).feed([article])
        found = other.store.keyword_search("zèbre Zanzibar Loire", 1)
        out["fts5_one_article_searchable_s"] = round(time.perf_counter() - t0, 2)
        assert found and found[0].article_id == article.id, found
        t0 = time.perf_counter()
        Bm25s(list(other.store.iter_all_chunks()))
        out["bm25s_one_article_rebuild_s"] = round(time.perf_counter() - t0, 1)
    write_results("keyword", out, notes="same tokens (6-letter prefixes, folded, no stop words) for both engines")


if __name__ == "__main__":
    main()
