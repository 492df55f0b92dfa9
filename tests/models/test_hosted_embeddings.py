"""Hosted embeddings (``QA_EMBEDDER=openai:MODEL``) against a real OpenAI-compatible server on 127.0.0.1:
llama-cpp-python's server with embeddings on, serving the bundled Qwen2.5 0.5B GGUF (mean-pooled)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from qa.models.embeddings import HostedEmbeddings, embed_array, embedder_setting, get_embedder
from qa.ingest.ingestion import Ingestor, embedding_text
from qa.models.llm import ModelUnavailableError
from qa.ingest.readers import Limits, iter_records
from qa.retrieval.search import dense_search
from qa.store.errors import EmbedderMismatchError
from tests.conftest import fixture_records, free_port, run_cli, write_jsonl

MODEL = "qwen-embed"
SPEC = f"openai:{MODEL}"
NO_LLM = {"translate_queries": False}  # retrieval only: no translation by the language model


@pytest.fixture
def short_news(tmp_path) -> Path:
    """The first 4 articles of tests/fixtures/english-news.jsonl cut to their first paragraph: one chunk each
    (on 2 shared cores the 0.5B model takes seconds a chunk)."""
    records = [{**r, "text": r["text"].split("\n\n")[0]} for r in fixture_records("english-news.jsonl", limit=4)]
    return write_jsonl(tmp_path / "short-news.jsonl", records)


class EmbeddingServer:
    """``python -m llama_cpp.server`` with embeddings on; its access log counts the embedding requests.
    The bundled model's GGUF names no pooling, which gives one vector per token: ``pooled`` sets mean pooling
    with a metadata override."""

    def __init__(self, log: Path, pooled: bool = True):
        from qa.models.bundled import assemble
        from qa.settings import get_settings

        self.log, self.port = log, free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        gguf = assemble("qwen2.5-0.5b", get_settings().cache_dir)
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", MODEL,
                 "--embedding", "true", "--host", "127.0.0.1", "--port", str(self.port), "--n_threads", "2",
                 "--n_threads_batch", "2", "--verbose", "false",
                 *(["--kv_overrides", "qwen2.pooling_type=int:1"] if pooled else [])],
                stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the embedding server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the embedding server did not answer in 120 s: {self.log.read_text()[-2000:]}")
            time.sleep(0.2)

    def requests(self) -> int:
        """Embedding requests answered so far."""
        return len(re.findall(r'"POST /v1/embeddings HTTP/1.1" 200', self.log.read_text()))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    started = EmbeddingServer(tmp_path_factory.mktemp("llama-server") / "server.log")
    yield started
    started.stop()


def _assistant(store_dir: Path, url: str, **settings):
    from qa import Assistant

    return Assistant(store_dir=store_dir, embedder=SPEC, embeddings_base_url=url, **NO_LLM, **settings)


def _dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there


# ---------------------------------------------------------------- without a server


def test_hosted_names_map_back_to_their_setting():
    embedder = get_embedder(SPEC, base_url=_dead_url())
    assert isinstance(embedder, HostedEmbeddings) and embedder.name == SPEC
    assert embedder_setting(embedder.name) == SPEC
    with pytest.raises(ValueError, match="needs the model's name"):
        get_embedder("openai:")


def test_endpoint_down_is_one_clear_line():
    url = _dead_url()
    embedder = HostedEmbeddings(MODEL, base_url=url, max_retries=1)
    with pytest.raises(ModelUnavailableError) as caught:
        embed_array(embedder, ["Un texte"])
    message = str(caught.value)
    assert "\n" not in message
    assert url in message and SPEC in message and "QA_EMBEDDINGS_BASE_URL" in message and "Connection" in message


# ---------------------------------------------------------------- against the real server


@pytest.mark.slow
def test_ingest_batch_and_retrieve(server, short_news, tmp_path):
    assistant = _assistant(tmp_path / "store", server.url, embed_batch_size=3)
    before = server.requests()
    report = assistant.ingest([short_news])
    assert report.ok and report.added == 4 and assistant.store.count_chunks() == 4
    assert server.requests() - before == 2  # the 4 chunks in one flush, 3 texts a request
    assert assistant.stats()["embedder"] == SPEC

    record = fixture_records("english-news.jsonl", limit=1)[0]
    (chunk, stored), = assistant.store.chunk_vectors([record["id"]])[record["id"]]
    vectors = embed_array(assistant.embedder, [embedding_text(chunk.title, chunk.text), "Un autre texte"])
    assert vectors.dtype == np.float32 and vectors.shape == (2, 896)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    # the stored vector is the server's (normalised), and a chunk's own text finds it first by dense search alone
    assert float(stored @ vectors[0]) > 0.999 and float(vectors[0] @ vectors[1]) < 0.99
    best = dense_search(assistant.store, assistant.embedder, embedding_text(chunk.title, chunk.text), k=3)
    assert best[0].id == chunk.id
    # and the whole retrieval (dense + keywords) finds an article by its subject
    hits = assistant.search("Calloway Media quarterly profit", k=3)
    assert hits[0].article_id == record["id"]


@pytest.mark.slow
def test_endpoint_failing_mid_ingestion_keeps_what_was_stored(server, short_news, tmp_path):
    """A second server dies after two articles; the third one's batch fails with the clear error, the two
    stored articles stay, and a re-run (the first server, same model) adds only the rest."""
    store_dir = tmp_path / "store"
    dying = EmbeddingServer(tmp_path / "dying.log")
    try:
        assistant = _assistant(store_dir, dying.url, embeddings_max_retries=0)

        def stop_after_two(done, _total, _title):
            if done == 2:
                dying.stop()

        ingestor = Ingestor(assistant.store, assistant.embedder, assistant.settings, batch_chunks=1,
                            on_progress=stop_after_two)
        with pytest.raises(ModelUnavailableError, match=re.escape(dying.url)):
            ingestor.feed(iter_records([short_news], Limits()))
    finally:
        dying.stop()
    first_two = sorted(r["id"] for r in fixture_records("english-news.jsonl", limit=2))
    assert sorted(a.id for a in assistant.articles()) == first_two

    again = _assistant(store_dir, server.url)
    assert sorted(a.id for a in again.articles()) == first_two
    report = again.ingest([short_news])
    assert report.ok and report.unchanged == 2 and report.added == 2


@pytest.mark.slow
def test_endpoint_down_on_a_stored_collection(server, short_news, tmp_path):
    store_dir = tmp_path / "store"
    assert _assistant(store_dir, server.url).ingest([short_news], limit=1).added == 1
    url = _dead_url()

    down = _assistant(store_dir, url, embeddings_max_retries=0)
    with pytest.raises(ModelUnavailableError, match=re.escape(url)):
        down.ingest([short_news])
    assert down.store.count_articles() == 1

    result = run_cli("-m", "qa", "retrieve", "Calloway Media profit", store=store_dir,
                     env={"QA_EMBEDDER": SPEC, "QA_EMBEDDINGS_BASE_URL": url, "QA_EMBEDDINGS_MAX_RETRIES": "0",
                          "QA_TRANSLATE_QUERIES": "false"}, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("error: Cannot embed with 'openai:qwen-embed'") and result.stderr.count("\n") == 1
    assert _assistant(store_dir, server.url).store.count_articles() == 1


@pytest.mark.slow
def test_stores_refuse_the_other_embedder(server, short_news, tmp_path):
    from qa import Assistant

    bundled_dir, hosted_dir = tmp_path / "bundled", tmp_path / "hosted"
    assert Assistant(store_dir=bundled_dir, **NO_LLM).ingest([short_news], limit=1).added == 1
    with pytest.raises(EmbedderMismatchError, match="QA_EMBEDDER=use-multilingual"):
        _assistant(bundled_dir, server.url).store

    assert _assistant(hosted_dir, server.url).ingest([short_news], limit=1).added == 1
    with pytest.raises(EmbedderMismatchError, match=re.escape(f"QA_EMBEDDER={SPEC}")):
        Assistant(store_dir=hosted_dir, **NO_LLM).store


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")  # the client parsing the nested lists
def test_a_vector_per_token_is_refused(tmp_path):
    """A server without pooling answers a list of token vectors per text: refused with what to start it with."""
    unpooled = EmbeddingServer(tmp_path / "unpooled.log", pooled=False)
    try:
        with pytest.raises(ModelUnavailableError, match="not one vector a text.*pooling"):
            embed_array(HostedEmbeddings(MODEL, base_url=unpooled.url), ["Un texte court.", "Un autre."])
    finally:
        unpooled.stop()
