"""All configuration in one place: environment variables prefixed ``QA_`` (or a ``.env`` file).

Importing this module also switches off the telemetry of Chroma, Gradio and onnxruntime and keeps
the Hugging Face hub offline unless the user has set ``HF_HUB_OFFLINE`` themselves.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_OFFLINE_DEFAULTS = {
    "ANONYMIZED_TELEMETRY": "False",  # Chroma
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ORT_DISABLE_TELEMETRY": "1",
    "HF_HUB_OFFLINE": "1",  # a hub name would otherwise hang ~70 s before failing
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "DO_NOT_TRACK": "1",
}
for _key, _value in _OFFLINE_DEFAULTS.items():
    os.environ.setdefault(_key, _value)


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    return Path(base) / "newsdesk-qa"


class Settings(BaseSettings):
    """Every knob of newsdesk QA. Each field can be set as ``QA_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="QA_", env_file=".env", extra="ignore")

    # storage
    store_dir: Path = Field(PROJECT_ROOT / "vectorstore", description="Persistent Chroma store (with a Chroma "
                            "server: the folder of this host's copy of the keyword index)")
    chroma_url: str | None = Field(None, description="A Chroma server (http://HOST:PORT, started with `chroma run`) "
                                   "holding the store, shared by every app host; unset: the embedded store in store_dir")
    cache_dir: Path = Field(default_factory=_default_cache_dir, description="Models and caches")

    # ingestion
    embedder: str = Field(
        "use-multilingual",
        description="'use-multilingual' (bundled, default), 'all-minilm-l6-v2' (bundled, English) "
        "or any sentence-transformers model name or local path; 'openai:MODEL': a hosted model "
        "(QA_EMBEDDINGS_BASE_URL)",
    )
    threads: int = Field(default_factory=lambda: min(8, os.cpu_count() or 2), ge=1,
                         description="CPU threads for embedding and the local LLM (default: the CPUs, at most 8)")
    embed_batch_size: int = Field(64, ge=1, description="Texts embedded at once (for openai:MODEL, a request)")
    embeddings_base_url: str | None = Field(
        None, description="QA_EMBEDDER=openai:MODEL: the OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1 "
        "(unset: api.openai.com)")
    embeddings_api_key: str | None = Field(None, description="Its key (unset: QA_OPENAI_API_KEY)")
    embeddings_max_retries: int = Field(2, ge=0, description="Retries of a failed embedding request (with back-off)")
    encoding: str = Field("cl100k_base", description="tiktoken encoding used to count tokens")
    chunk_tokens: int = Field(220, ge=32, description="Target chunk size in tokens")
    chunk_overlap: int = Field(60, ge=0, description="Overlap between chunks in tokens")
    max_chunks_per_article: int = Field(400, ge=1, description="Chunks an article may make, at most (ten times "
                                        "the largest of the corpus's 38,212 articles, 38 chunks); a longer one is "
                                        "stored truncated, with a warning")
    max_file_mb: float = Field(200.0, gt=0, description="Files larger than this are refused")
    max_expanded_mb: float = Field(1000.0, gt=0, description="A .jsonl.gz expanding beyond this is refused "
                                   "(read up to there), as is one expanding more than 100 times its size")
    max_line_kb: int = Field(1024, gt=0, description="A collection's record (one line) longer than this is "
                             "refused, as is a text file with such a line")

    # fetching web pages and feeds (ingest.py URL..., the app's "Add articles" tab)
    fetch_timeout: float = Field(20.0, gt=0, description="Seconds a web page or feed may take, from asking to "
                                 "the end of its download")
    fetch_host_delay: float = Field(1.0, ge=0, description="Seconds between two requests to the same site (its "
                                    "robots.txt's Crawl-delay, when longer, wins)")
    fetch_user_agent: str = Field("newsdesk-qa/0.1 (local news reader; respects robots.txt)", min_length=1,
                                  description="User-Agent of every request; its first word is the name "
                                  "robots.txt rules are matched against")
    fetch_max_redirects: int = Field(5, ge=0, description="Redirects followed for one address")

    # retrieval
    candidates: int = Field(24, ge=1, description="Candidate chunks whose sentences are ranked for each question")
    search_depth: int = Field(40, ge=1, description="Chunks taken from each ranking (dense, keyword; per phrasing of "
                              "the question) before they are fused into the candidates")
    context_passages: int = Field(5, ge=1, description="Passages the model reads for an answer")
    passage_before: int = Field(1, ge=0, le=3, description="Sentences read before each best sentence (where a "
                                "pronoun's name usually is)")
    passage_after: int = Field(1, ge=0, le=3, description="Sentences read after each best sentence (where the "
                               "answer often is when the best sentence only matches the question's words)")
    answer_tokens: int = Field(120, ge=16, description="Most tokens the model may write for an answer")
    timeline_max_articles: int = Field(12, ge=1, description="Most articles a story timeline reads (one short "
                                       "model call each): every article that names the subject, up to this many")
    translate_queries: bool = Field(
        True, description="Also search with the question translated into the store's other languages")

    # generation
    llm: Literal["local", "openai"] = "local"
    bundled_model: Literal["qwen2.5-1.5b", "qwen2.5-0.5b"] = "qwen2.5-1.5b"
    model_path: Path | None = Field(None, description="Any GGUF file; default: the bundled model")
    n_ctx: int = 4096
    llama_repack: bool = Field(False, description="Let llama.cpp copy the weights into its CPU kernels' layout: "
                               "faster generation, slower prompts, and a private copy per context (+0.6 GB for "
                               "the 1.5B model); off, the weights stay memory-mapped and shared")
    max_tokens: int = 384
    temperature: float = 0.0
    openai_base_url: str | None = None
    openai_api_key: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_response_format: Literal["json_schema", "json_object", "none"] = Field(
        "json_schema", description="How the hosted endpoint is asked for JSON: json_schema (OpenAI, vLLM), "
        "json_object with the schema beside it (llama.cpp's server), none")
    request_timeout: float = 120.0
    verify_answers: bool = Field(True, description="Ask the model whether the evidence answers the question "
                                 "before answering (one short extra call)")
    answer_attempts: int = Field(2, ge=1, le=4, description="When the check or the verification rejects an "
                                 "answer's evidence, ask again with those sentences ruled out, up to this many times")
    verify_threshold: float = Field(0.6, ge=0, le=1, description="Below this probability of 'yes' from the "
                                    "verification, an answer is confirmed only when the judge agrees; else "
                                    "'unconfirmed' with the closest passages")
    judge_passages: bool = Field(False, description="When the verification doubts an answer, ask the model, for each "
                                 "passage, whether it answers the question (one short yes/no each): the answer is "
                                 "then confirmed when the judge's best passage is the one it cites, and the closest "
                                 "passages are shown in the judge's order. Off by default: on the dev split it "
                                 "confirmed one right and one wrong answer (docs/benchmarks.md)")

    # checking a draft (python -m qa check, qa/news/factcheck.py)
    max_check_sentences: int = Field(60, ge=1, description="Sentences a draft may have to be checked at once (each "
                                     "claim is one search and one or two short model calls)")

    # the web app
    max_waiting: int = Field(8, ge=0, description="Web app: how many questions and summaries may wait for the "
                             "model at once; one more is refused at once with 'The assistant is busy'")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
