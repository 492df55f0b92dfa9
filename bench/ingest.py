"""Ingestion speed on OrangeSum articles: chunks/s, overhead over the embedder alone, re-ingest cost.

    python bench/ingest.py [--articles 2000] [--embed-runs 3]

The embedder is warmed up on other articles first; the embedder alone is timed several times and its
median kept; the time spent embedding inside the ingestion is reported too, so that the overhead can
also be read within a single run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from common import corpus_records, write_results

from qa.models.embeddings import embed_array, embedder_name, get_embedder
from qa.ingest.ingestion import ingest_paths
from qa.settings import get_settings
from qa.store.store import Store


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--embed-runs", type=int, default=3, help="runs of the embedder alone (median kept)")
    args = parser.parse_args()
    settings = get_settings()
    embedder = get_embedder(settings.embedder, settings.threads, settings.embed_batch_size)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "articles.jsonl"
        source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                  for r in corpus_records("orangesum", args.articles)), encoding="utf-8")
        store = Store(Path(tmp) / "store", embedder_name(embedder))
        # load the weights, and make a first full pass outside the timings: in a new process the first
        # minute of embedding runs about 20 % slower than the next ones (measured: 19.1 s, then 16.8, 15.7
        # and 15.8 s for the same 1,500 texts), which would charge the ingestion for the process's warm-up
        warm = [r["text"][:1200] for r in corpus_records("orangesum", args.articles + 600)[args.articles:]]
        for begin in range(0, len(warm), 256):
            embed_array(embedder, warm[begin:begin + 256])

        t0 = time.perf_counter()
        first = ingest_paths([source], store, embedder, settings)
        first_s = time.perf_counter() - t0

        # the embedder alone, on exactly the texts the ingestion embedded
        from qa.ingest.ingestion import embedding_text

        texts = [embedding_text(c.title, c.text) for c in store.iter_all_chunks()]
        def embed_all() -> float:
            t0 = time.perf_counter()
            for begin in range(0, len(texts), 256):
                embed_array(embedder, texts[begin:begin + 256])
            return time.perf_counter() - t0

        embed_runs = [embed_all() for _ in range(args.embed_runs)]
        embed_only_s = statistics.median(embed_runs)

        t0 = time.perf_counter()
        again = ingest_paths([source], store, embedder, settings)
        again_s = time.perf_counter() - t0
        assert again.chunks_written == 0 and again.unchanged + len(again.duplicates) == args.articles

    write_results("ingest", {
        "articles": args.articles,
        "embedder": embedder_name(embedder),
        "chunks": first.chunks_written,
        "duplicates": len(first.duplicates),
        "ingest_seconds": round(first_s, 2),
        "chunks_per_second": round(first.chunks_written / first_s, 2),
        "embedder_alone_seconds": round(embed_only_s, 2),
        "embedder_alone_runs": [round(s, 2) for s in embed_runs],
        "embedding_seconds_inside_ingest": round(first.embed_seconds, 2),
        "ingest_to_embedder_ratio": round(first_s / embed_only_s, 3),
        "ingest_to_embedding_inside_ratio": round(first_s / first.embed_seconds, 3),
        "reingest_seconds": round(again_s, 2),
        "reingest_fraction": round(again_s / first_s, 4),
    })


if __name__ == "__main__":
    main()
