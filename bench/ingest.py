"""Ingestion speed on OrangeSum articles: chunks/s, overhead over the embedder alone, re-ingest cost.

    python bench/ingest.py [--articles 2000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from common import corpus_records, write_results

from qa.embeddings import embed_array, embedder_name, get_embedder
from qa.ingestion import ingest_paths
from qa.settings import get_settings
from qa.store import Store


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=2000)
    args = parser.parse_args()
    settings = get_settings()
    embedder = get_embedder(settings.embedder, settings.threads, settings.embed_batch_size)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "articles.jsonl"
        source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                  for r in corpus_records("orangesum", args.articles)), encoding="utf-8")
        store = Store(Path(tmp) / "store", embedder_name(embedder))
        embed_array(embedder, ["warm-up"])  # load the weights outside the timings

        t0 = time.perf_counter()
        first = ingest_paths([source], store, embedder, settings)
        first_s = time.perf_counter() - t0

        # the embedder alone, on exactly the texts the ingestion embedded
        from qa.ingestion import embedding_text

        texts = [embedding_text(c.title, c.text) for c in store.iter_all_chunks()]
        t0 = time.perf_counter()
        for begin in range(0, len(texts), 256):
            embed_array(embedder, texts[begin:begin + 256])
        embed_only_s = time.perf_counter() - t0

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
        "ingest_to_embedder_ratio": round(first_s / embed_only_s, 3),
        "reingest_seconds": round(again_s, 2),
        "reingest_fraction": round(again_s / first_s, 4),
    })


if __name__ == "__main__":
    main()
