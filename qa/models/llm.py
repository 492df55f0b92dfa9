"""The language model, built in one place: a local GGUF through llama.cpp (default: the bundled
Qwen2.5 1.5B), or any OpenAI-compatible endpoint (OpenAI, Mistral, Ollama, vLLM, a llama.cpp server).

Both are LangChain chat models, so the chains are the same whichever is configured.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

from qa.models.bundled import BUNDLED, ModelMissingError, assemble
from qa.settings import Settings
from qa.models.stop import StopSignal, Stopped, watched_signal

_ROLES = {"human": "user", "ai": "assistant", "system": "system"}


class ModelUnavailableError(RuntimeError):
    """The configured model cannot be used; the message says what to do."""


_LOADING = threading.Lock()


@contextmanager
def _model_params(**fields):
    """llama.cpp's model parameters with ``fields`` changed, for the models loaded inside the block:
    ``llama_cpp.Llama`` exposes only some of them (``use_extra_bufts``, the weights' repacking, is not)."""
    from llama_cpp import llama_cpp as low_level

    original = low_level.llama_model_default_params

    def patched():
        params = original()
        for name, value in fields.items():
            setattr(params, name, value)
        return params

    with _LOADING:
        low_level.llama_model_default_params = patched
        try:
            yield
        finally:
            low_level.llama_model_default_params = original


@lru_cache(maxsize=4)
def _load_llama(path: str, n_ctx: int, threads: int, slot: str = "main", repack: bool = False):
    """One llama.cpp context per (model, size, slot): short side calls (translation, verification) on their
    own slot do not evict the answer prompt's cached system prompt. Without ``repack`` the weights stay
    memory-mapped from the file, so a second slot costs only its KV cache (with it, llama.cpp copies them into
    its CPU kernels' layout for each context: +0.6 GB for the 1.5B model, faster generation, slower prompts;
    docs/benchmarks.md)."""
    from llama_cpp import Llama

    if not Path(path).exists():
        raise ModelUnavailableError(f"Model file not found: {path}. Set QA_MODEL_PATH to a GGUF file.")
    try:
        with _model_params(use_extra_bufts=repack):
            llama = Llama(model_path=path, n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
                          n_batch=512, verbose=False, seed=0)
    except ValueError as exc:
        raise ModelUnavailableError(f"Cannot load the model {path}: {exc}") from exc
    _allow_abort(llama)
    return llama, threading.Lock()


def _allow_abort(llama) -> None:
    """Let a Stop end llama.cpp's reading of a prompt, not only its writing (a token callback acts at the first
    token, after a 1,500-token prompt has taken 30 s to read on 2 cores). llama.cpp asks the abort callback between
    the steps of its compute graph; an aborted ``llama_decode`` returns 2 and removes what the batch had put in the
    KV cache, so the next prompt is read as if this one had never begun (tested). The callback is armed only while a
    stoppable request reads its prompt (:func:`_abortable`): it costs nothing the rest of the time."""
    import llama_cpp

    llama.newsdesk_signal = None

    @llama_cpp.ggml_abort_callback
    def abort(_data) -> bool:
        signal = llama.newsdesk_signal
        return bool(signal is not None and signal.stopped)

    llama.newsdesk_abort = abort  # a reference kept as long as the model: llama.cpp holds only the pointer


@contextmanager
def _abortable(llama, signal: StopSignal | None):
    """While the block reads a prompt, a stop of ``signal`` ends llama.cpp's decoding: :class:`Stopped` is raised."""
    import llama_cpp

    if signal is None or getattr(llama, "newsdesk_abort", None) is None:
        yield lambda: None
        return

    def disarm() -> None:
        llama.newsdesk_signal = None
        llama_cpp.llama_set_abort_callback(llama.ctx, llama_cpp.ggml_abort_callback(0), None)

    llama.newsdesk_signal = signal
    llama_cpp.llama_set_abort_callback(llama.ctx, llama.newsdesk_abort, None)
    try:
        yield disarm
    except RuntimeError as exc:
        if signal.stopped and "llama_decode returned 2" in str(exc):
            raise Stopped(signal.written) from None
        raise
    finally:
        disarm()


class LocalChatModel(BaseChatModel):
    """A GGUF chat model run in-process by llama.cpp. One generation at a time per model (a lock
    queues concurrent requests); llama.cpp reuses the KV cache of the longest common prompt prefix."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    model_path: str
    slot: str = "main"
    repack: bool = False
    n_ctx: int = 4096
    threads: int = 2
    temperature: float = 0.0
    max_tokens: int = 384
    _llama: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "llama.cpp"

    @property
    def _identifying_params(self) -> dict:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx}

    def load(self):
        """The llama.cpp context (loaded on first use; shared by every instance of the same model and slot)."""
        if self._llama is None:
            self._llama, self._lock = _load_llama(self.model_path, self.n_ctx, self.threads, self.slot, self.repack)
        return self._llama

    def _request(self, messages: list[BaseMessage], stop: list[str] | None, **kwargs) -> dict:
        return {
            "messages": [{"role": _ROLES.get(m.type, "user"), "content": m.content} for m in messages],
            "temperature": kwargs.get("temperature", self.temperature),
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "stop": stop or None,
            "seed": 0,
            # {"type": "json_object", "schema": {...}}: llama.cpp constrains the output with a grammar
            "response_format": kwargs.get("response_format"),
        }

    def _generate(self, messages, stop=None, run_manager: CallbackManagerForLLMRun | None = None, **kwargs):
        text = "".join(chunk.text for chunk in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages, stop=None, run_manager: CallbackManagerForLLMRun | None = None,
                **kwargs) -> Iterator[ChatGenerationChunk]:
        llama = self.load()
        with self._lock, _abortable(llama, watched_signal()) as prompt_read:
            for part in llama.create_chat_completion(stream=True, **self._request(messages, stop, **kwargs)):
                prompt_read()  # writing: the token callback stops it from here
                token = part["choices"][0]["delta"].get("content") or ""
                if not token:
                    continue
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=token))
                if run_manager:
                    run_manager.on_llm_new_token(token, chunk=chunk)
                yield chunk

    def yes_probability(self, messages: list[BaseMessage]) -> float:
        """P("yes") / (P("yes") + P("no")) for the first token of the reply to ``messages``, read from the
        model's logits (llama.cpp returns log-probabilities only for models loaded with every token's
        logits, which would cost memory and time on every prompt). The prompt's cached prefix is reused."""
        import llama_cpp
        import numpy as np

        from qa.models.stop import check_stop

        check_stop()  # no token is written here: a stopped request ends before the model reads the prompt
        llama = self.load()
        prompt = self._chat_prompt(llama, messages)
        tokens = llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        with self._lock:
            cached = llama.input_ids[: llama.n_tokens].tolist()
            prefix = 0
            for a, b in zip(cached, tokens):
                if a != b:
                    break
                prefix += 1
            llama.n_tokens = min(prefix, len(tokens) - 1)
            with _abortable(llama, watched_signal()):
                llama.eval(tokens[llama.n_tokens:])
            logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits(llama.ctx),
                                           shape=(llama.n_vocab(),)).astype(np.float64)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()

        def mass(words: tuple[str, ...]) -> float:
            ids = {llama.tokenize(w.encode(), add_bos=False, special=False)[0] for w in words}
            return float(sum(probs[i] for i in ids))

        yes, no = mass(("yes", "Yes", " yes", " Yes", "YES", "oui", "Oui")), mass(("no", "No", " no", " No", "NO", "non", "Non"))
        return yes / (yes + no) if yes + no > 0 else 0.5

    @staticmethod
    def _chat_prompt(llama, messages: list[BaseMessage]) -> str:
        """The prompt text llama.cpp builds for a chat, from the model's own chat template."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = llama.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelUnavailableError("The model file has no chat template (tokenizer.chat_template).")
        eos = llama.detokenize([llama.token_eos()]).decode("utf-8", errors="ignore")
        bos = llama.detokenize([llama.token_bos()]).decode("utf-8", errors="ignore")
        formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)
        chat = [{"role": _ROLES.get(m.type, "user"), "content": m.content} for m in messages]
        return formatter(messages=chat).prompt

    def count_tokens(self, text: str) -> int:
        return len(self.load().tokenize(text.encode("utf-8"), add_bos=False, special=True))


@contextmanager
def model_errors(settings: Settings):
    """Turn a hosted endpoint's connection failures into a :class:`ModelUnavailableError` that says what to check."""
    try:
        yield
    except ModelUnavailableError:
        raise
    except Exception as exc:
        if settings.llm == "openai" and _is_endpoint_error(exc):
            raise ModelUnavailableError(
                f"Cannot reach the language model at {settings.openai_base_url or 'the OpenAI API'} "
                f"(model {settings.openai_model!r}): {type(exc).__name__}: {exc}. Check QA_OPENAI_BASE_URL, "
                "QA_OPENAI_MODEL and QA_OPENAI_API_KEY, or use the local model (QA_LLM=local)."
            ) from exc
        raise


def _is_endpoint_error(exc: Exception) -> bool:
    """Connection, time-out, authentication and server errors of an OpenAI-compatible endpoint."""
    import openai

    if isinstance(exc, (openai.APIConnectionError, openai.AuthenticationError, openai.PermissionDeniedError,
                        openai.NotFoundError, openai.InternalServerError)):
        return True
    from langchain_core.exceptions import ModelConnectionError

    return isinstance(exc, ModelConnectionError)


def model_path(settings: Settings) -> Path:
    if settings.model_path:
        return Path(settings.model_path).expanduser()
    try:
        return assemble(settings.bundled_model, settings.cache_dir)
    except ModelMissingError as exc:
        raise ModelUnavailableError(str(exc)) from exc


def model_id(settings: Settings) -> str:
    """A short name for the configured model (recorded with cached summaries)."""
    if settings.llm == "openai":
        return f"openai:{settings.openai_model}@{settings.openai_base_url or 'api.openai.com'}"
    if settings.model_path:
        return f"gguf:{Path(settings.model_path).name}"
    return f"gguf:{BUNDLED[settings.bundled_model].filename}"


def model_label(settings: Settings) -> str:
    """The configured model as a person reads it: its name and where it runs."""
    if settings.llm == "openai":
        return f"{settings.openai_model} (OpenAI-compatible endpoint {settings.openai_base_url or 'api.openai.com'})"
    name = Path(settings.model_path).name if settings.model_path else BUNDLED[settings.bundled_model].filename
    return f"{name.removesuffix('.gguf')} (local, llama.cpp)"


def get_chat_model(settings: Settings, *, slot: str = "main", **overrides) -> BaseChatModel:
    """The configured chat model. ``overrides`` (temperature, max_tokens, n_ctx) apply to this instance only;
    ``slot`` names the local model's llama.cpp context (``side``: a small second one for short calls)."""
    temperature = overrides.get("temperature", settings.temperature)
    max_tokens = overrides.get("max_tokens", settings.max_tokens)
    if settings.llm == "openai":
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(model=settings.openai_model, base_url=settings.openai_base_url,
                          api_key=settings.openai_api_key or "not-needed", temperature=temperature,
                          max_tokens=max_tokens, timeout=settings.request_timeout, max_retries=1, seed=0)
    return LocalChatModel(model_path=str(model_path(settings)), n_ctx=overrides.get("n_ctx", settings.n_ctx),
                          threads=settings.threads, temperature=temperature, max_tokens=max_tokens, slot=slot,
                          repack=settings.llama_repack)


def structured(llm: BaseChatModel, schema: dict, settings: Settings) -> BaseChatModel:
    """``llm`` bound to write JSON that follows ``schema``: a grammar for the local model; for a hosted
    endpoint the format it accepts (``QA_OPENAI_RESPONSE_FORMAT``: ``json_schema``, OpenAI and vLLM;
    ``json_object``, llama.cpp's server, which takes the schema beside it; ``none``)."""
    if isinstance(llm, LocalChatModel):
        return llm.bind(response_format={"type": "json_object", "schema": schema})
    kind = settings.openai_response_format
    if kind == "json_schema":
        return llm.bind(response_format={"type": "json_schema",
                                         "json_schema": {"name": "answer", "schema": schema, "strict": True}})
    if kind == "json_object":
        return llm.bind(response_format={"type": "json_object", "schema": schema})
    return llm


def yes_probability(llm: BaseChatModel, messages: list[BaseMessage]) -> float:
    """The model's probability that the answer to ``messages`` is "yes" rather than "no": from the
    logits locally, from the first token's log-probabilities on a hosted endpoint, or 1/0 from the
    reply's text where the endpoint gives none."""
    if isinstance(llm, LocalChatModel):
        return llm.yes_probability(messages)
    import openai

    key = (getattr(llm, "openai_api_base", None), getattr(llm, "model_name", None))
    reply = None
    if key not in _NO_LOGPROBS:
        try:
            reply = llm.bind(logprobs=True, top_logprobs=10, max_tokens=2, temperature=0).invoke(messages)
        except (openai.BadRequestError, openai.UnprocessableEntityError, openai.InternalServerError):
            _NO_LOGPROBS.add(key)  # llama.cpp's server gives none unless started with --logits_all
    if reply is None:
        reply = llm.bind(max_tokens=2, temperature=0).invoke(messages)
    content = ((reply.response_metadata or {}).get("logprobs") or {}).get("content") or []
    if content and content[0].get("top_logprobs"):
        return yes_from_logprobs(content[0]["top_logprobs"])
    text = str(reply.content).strip().lower()
    return 1.0 if text.startswith(("yes", "oui")) else 0.0


def yes_from_logprobs(top_logprobs: list[dict]) -> float:
    """P(yes) / (P(yes) + P(no)) from the first token's top log-probabilities (OpenAI's format)."""
    yes = no = 0.0
    for item in top_logprobs:
        token = item["token"].strip().lower()
        if token in ("yes", "oui", "y"):
            yes += math.exp(item["logprob"])
        elif token in ("no", "non", "n"):
            no += math.exp(item["logprob"])
    return yes / (yes + no) if yes + no > 0 else 0.5


_NO_LOGPROBS: set = set()

