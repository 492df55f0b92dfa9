"""Retrieval latency as the collection grows: 3,000 and 30,000 articles.

    python bench/retrieval_scale.py [--sizes 3000 30000] [--queries 20]

Latency depends on the size of the vector index and of the keyword index, not on what the vectors
mean, so to keep this benchmark minutes long instead of hours, the chunks are the real chunks of
OrangeSum articles (real text for BM25) but their vectors are random unit vectors of the embedder's
dimension (512). The query is embedded by the real embedder. Measured: the whole ``hybrid_search``
(query embedding, Chroma HNSW search, BM25 search, fusion, near-duplicate collapse), warm.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from common import corpus_records, write_results

from qa.store.articles import Article
from qa.ingest.chunking import chunk_article
from qa.text.cleaning import clean_text
from qa.models.embeddings import embedder_name, get_embedder
from qa.retrieval.search import hybrid_search
from qa.settings import get_settings
from qa.store.store import Store

QUESTIONS = ["Combien d'euros pour les soignants ?", "Who interviewed Jens Stoltenberg?", "grève SNCF retraites",
             "Quel est le bilan de l'incendie près de Marseille ?", "Emmanuel Macron gilets jaunes", "hydroxychloroquine",
             "What did the government announce about pensions?", "Brexit négociations Londres"]


NEW = {"id": "bench-new-article", "title": "Un zèbre nommé Zanzibar traverse la Loire",
       "text": "Le zèbre Zanzibar, échappé d'un cirque, a traversé la Loire à la nage mardi matin."}


def build_batch(records: list[dict], dim: int, rng: np.random.Generator) -> list:
    settings = get_settings()
    batch = []
    for record in records:
        article = Article(id=record["id"], title=record["title"], text=clean_text(record["text"]), lang="fr",
                          date=record.get("date"), source=record.get("source"))
        chunks = chunk_article(article, size=settings.chunk_tokens, overlap=settings.chunk_overlap)
        vectors = rng.standard_normal((len(chunks), dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        batch.append((article, chunks, vectors))
    return batch


def build(store: Store, records: list[dict], dim: int, rng: np.random.Generator) -> int:
    return sum(store.write(build_batch(records[i:i + 500], dim, rng)) for i in range(0, len(records), 500))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 30000])
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    settings = get_settings()
    embedder = get_embedder(settings.embedder, settings.threads)
    rng = np.random.default_rng(0)
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store", embedder_name(embedder))
        done = 0
        for size in sorted(args.sizes):
            records = corpus_records("orangesum", size - done, skip=done)
            t0 = time.perf_counter()
            build(store, records, 512, rng)
            done = size
            build_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            store.write(build_batch([NEW], 512, rng))
            add_s = time.perf_counter() - t0
            assert store.keyword_search("zèbre Zanzibar", 1)[0].article_id == NEW["id"]
            hybrid_search(store, embedder, "warm-up", 5)
            latencies = []
            for i in range(args.queries):
                t0 = time.perf_counter()
                hybrid_search(store, embedder, QUESTIONS[i % len(QUESTIONS)], 5)
                latencies.append(time.perf_counter() - t0)
            figures[f"{size}_articles"] = {
                "chunks": store.count_chunks(),
                "hybrid_search_ms_median": round(1000 * statistics.median(latencies), 1),
                "hybrid_search_ms_p90": round(1000 * sorted(latencies)[int(0.9 * (len(latencies) - 1))], 1),
                "one_article_write_and_index_s": round(add_s, 2),
                "store_write_s": round(build_s, 1),
            }
            print(size, figures[f"{size}_articles"], flush=True)
    write_results("retrieval_scale", figures, notes="random unit vectors for the stored chunks; real texts; "
                                                    "real query embedding")


if __name__ == "__main__":
    main()
