"""Answer latency with the default local model: time to first token and total, for the whole chain
and for raw llama.cpp on the identical prompt (the chain's overhead as a ratio).

    python bench/answer.py [--store DIR] [--runs 3] [--question "..."]

Without --store, the sample articles are ingested into a temporary store. The KV cache is cleared
before every timed run, so both sides pay the full prompt; the chain also pays the translation of the
question (when on), which raw llama.cpp does not: that is part of the overhead measured.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from common import ROOT, write_results

from qa import Assistant, prompts


def timed_stream(pieces) -> tuple[float, float, list]:
    started = time.perf_counter()
    first, items = None, []
    for piece in pieces:
        if first is None and isinstance(piece, str) and piece:
            first = time.perf_counter() - started
        items.append(piece)
    return first or 0.0, time.perf_counter() - started, items


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--question", default="Quel média a interrogé Jens Stoltenberg ?")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    store = Path(args.store) if args.store else Path(tmp.name) / "store"
    figures: dict = {}
    for translate in (False, True):
        assistant = Assistant(store_dir=store, translate_queries=translate)
        if not args.store and assistant.store.count_articles() == 0:
            assistant.ingest([ROOT / "data" / "samples"])
        llama = assistant.llm._model()
        list(assistant.stream(args.question))  # load the model and warm up
        chain_first, chain_total, raw_first, raw_total, retrieval = [], [], [], [], []
        for _ in range(args.runs):
            llama.reset()
            assistant._translated.clear()  # the chain pays the question's translation every time
            first, total, items = timed_stream(assistant.stream(args.question))
            chain_first.append(first)
            chain_total.append(total)
            answer = items[-1]
            # the identical prompt, straight to llama.cpp
            assistant._translated.clear()
            t0 = time.perf_counter()
            state = assistant._prepare({"question": args.question})
            retrieval.append(time.perf_counter() - t0)
            messages = prompts.chat("answer_system", "answer_user").invoke(assistant._answer_prompt_inputs(state))
            request = assistant.llm._request(messages.to_messages(), None)
            llama.reset()
            first, total, _ = timed_stream(part["choices"][0]["delta"].get("content") or ""
                                           for part in llama.create_chat_completion(stream=True, **request))
            raw_first.append(first)
            raw_total.append(total)
        label = "with_translation" if translate else "no_translation"
        figures[label] = {
            "chain_first_token_s": round(statistics.median(chain_first), 2),
            "chain_total_s": round(statistics.median(chain_total), 2),
            "raw_llama_first_token_s": round(statistics.median(raw_first), 2),
            "raw_llama_total_s": round(statistics.median(raw_total), 2),
            "retrieval_and_context_s": round(statistics.median(retrieval), 2),
            "overhead_ratio": round(statistics.median(chain_total) / statistics.median(raw_total), 3),
            "prompt_tokens": assistant.llm.count_tokens(str(messages.to_messages())),
            "answer": answer.answer,
        }
    write_results("answer", {"question": args.question, "model": "bundled qwen2.5-1.5b Q4_K_M", "runs": args.runs,
                             **figures})


if __name__ == "__main__":
    main()
