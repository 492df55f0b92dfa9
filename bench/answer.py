"""Answer latency with the default local model, every model call included (translation, answer,
verification, a second attempt when the first is rejected), and how much of it is spent inside llama.cpp.

    python bench/answer.py [--store DIR] [--questions data/eval/hard.jsonl] [--n 12]

For each question: the time until something is shown (the passages found, ``Found``: the app says
what it reads and the command line prints it) and until the checked answer is ready (``Assistant.stream``), and the time spent inside llama.cpp's completion and evaluation calls
during it (measured by wrapping them: the chain runs unchanged). The chain's overhead is the ratio of
the two totals. Without --store, the sample articles are ingested into a
temporary store and the seed question and its paraphrases are asked.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from common import ROOT, write_results

from qa import Assistant
from qa.models import prompts
from qa.answers.results import Answer
from qa.answers.prompting import format_passages


def timed_stream(pieces) -> tuple[float, float, list]:
    started = time.perf_counter()
    first, items = None, []
    for piece in pieces:
        if first is None and not isinstance(piece, Answer):
            first = time.perf_counter() - started
        items.append(piece)
    total = time.perf_counter() - started
    return first if first is not None else total, total, items


class ModelClock:
    """Time spent inside llama.cpp: wraps the completion and evaluation calls of the loaded contexts (the
    answer's and the side one for translation and verification), so the chain runs unchanged. A completion
    evaluates internally: only the outermost call is counted."""

    def __init__(self, *llamas):
        self.seconds, self.calls, self._depth = 0.0, 0, 0
        for llama in dict.fromkeys(llamas):
            llama.create_chat_completion = self._wrap(llama.create_chat_completion)
            llama.eval = self._wrap(llama.eval)

    def _timed(self, step):
        """Run ``step()``, adding its time when it is not inside another timed call."""
        outer = self._depth == 0
        self._depth += 1
        started = time.perf_counter()
        try:
            return step()
        finally:
            self._depth -= 1
            if outer:
                self.seconds += time.perf_counter() - started

    def _wrap(self, call):
        def timed(*args, **kwargs):
            if self._depth == 0:
                self.calls += 1
            result = self._timed(lambda: call(*args, **kwargs))
            return self._pieces(iter(result)) if kwargs.get("stream") else result
        return timed

    def _pieces(self, iterator):
        done = object()
        while (piece := self._timed(lambda: next(iterator, done))) is not done:
            yield piece

    def lap(self) -> tuple[float, int]:
        """Seconds and calls since the last lap."""
        lap = (self.seconds, self.calls)
        self.seconds, self.calls = 0.0, 0
        return lap


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store")
    parser.add_argument("--questions", help="a JSONL eval set (default: data/eval/seed.jsonl)")
    parser.add_argument("--n", type=int, default=12, help="questions, spread over the set")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    store = Path(args.store) if args.store else Path(tmp.name) / "store"
    assistant = Assistant(store_dir=store)
    if assistant.store.count_articles() == 0:
        assistant.ingest([ROOT / "data" / "samples"])
    rows = [json.loads(line) for line in Path(args.questions or ROOT / "data/eval/seed.jsonl").read_text().splitlines()]
    rows = [rows[i * len(rows) // args.n] for i in range(min(args.n, len(rows)))]
    llm = assistant.llm
    system_tokens = llm.count_tokens(prompts.load("answer_system"))
    list(assistant.stream(rows[0]["question"]))  # load the model, cache the system prompt
    clock = ModelClock(llm.load(), assistant.side_llm.load())
    records = []
    for row in rows:
        clock.lap()
        first, total, items = timed_stream(assistant.stream(row["question"]))
        answer = items[-1]
        raw_seconds, calls = clock.lap()
        passages = items[0].passages
        user_tokens = llm.count_tokens(format_passages(passages))
        records.append({"id": row.get("id"), "first_text_s": round(first, 2), "total_s": round(total, 2),
                        "raw_llama_s": round(raw_seconds, 2), "model_calls": calls, "prompt_tokens_beyond_system": user_tokens,
                        "answer": answer.answer, "status": answer.status})
        print(json.dumps(records[-1], ensure_ascii=False), flush=True)

    def dist(key: str) -> dict:
        values = sorted(r[key] for r in records)
        return {"median": round(statistics.median(values), 2), "p90": values[int(0.9 * (len(values) - 1))],
                "min": values[0], "max": values[-1]}

    write_results("answer", {
        "model": "bundled qwen2.5-1.5b Q4_K_M", "questions": len(records), "store_articles": assistant.store.count_articles(),
        "system_prompt_tokens": system_tokens, "first_text_s": dist("first_text_s"), "total_s": dist("total_s"),
        "raw_llama_s": dist("raw_llama_s"), "prompt_tokens_beyond_system": dist("prompt_tokens_beyond_system"),
        "model_calls": dist("model_calls"),
        "overhead_ratio": round(sum(r["total_s"] for r in records) / sum(r["raw_llama_s"] for r in records), 3),
        "records": records})


if __name__ == "__main__":
    main()
