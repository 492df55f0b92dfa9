"""Answer latency with the default local model, every model call included (translation, answer,
verification, a second attempt when the first is rejected), beside raw llama.cpp making the same calls.

    python bench/answer.py [--store DIR] [--questions data/eval/hard.jsonl] [--n 12]

For each question: the time until the first answer text is shown and until the checked answer is
ready (``Assistant.stream``), then the same model calls straight to llama.cpp (same prompts, same
grammar, same cache state: the shared system prompt stays cached between questions). The chain's
overhead is the ratio of the two totals. Without --store, the sample articles are ingested into a
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

from qa import Assistant, prompts
from qa.answers import answer_schema, check, number_sentences, parse_reply, verification_inputs
from qa.assistant import Asked


def timed_stream(pieces) -> tuple[float, float, list]:
    started = time.perf_counter()
    first, items = None, []
    for piece in pieces:
        if first is None and isinstance(piece, str) and piece:
            first = time.perf_counter() - started
        items.append(piece)
    total = time.perf_counter() - started
    return first if first is not None else total, total, items


def raw_calls(assistant: Assistant, question: str) -> tuple[float, int]:
    """The chain's model calls made straight to llama.cpp: (seconds, calls)."""
    llm, llama, side = assistant.llm, assistant.llm._model(), assistant.side_llm._model()
    assistant._translated.clear()
    asked = assistant._prepare(Asked(question=question))  # retrieval: not timed here
    seconds, calls = 0.0, 0

    def complete(messages, model=llama, **extra) -> str:
        nonlocal seconds, calls
        request = llm._request(messages, None, **extra)
        started = time.perf_counter()
        text = model.create_chat_completion(**request)["choices"][0]["message"]["content"]
        seconds += time.perf_counter() - started
        calls += 1
        return text

    others = [lang for lang in assistant.store.languages() if lang != asked.language][:1]
    if assistant.settings.translate_queries and others:
        complete(prompts.template("translate_query").invoke(
            {"question": question, "language": prompts.language_name(others[0])}).to_messages(), model=side, max_tokens=96)
    if not asked.passages:
        return seconds, calls
    messages = assistant._answer_messages(asked)
    allowed = [s.number for s in number_sentences(asked.passages)]
    for _ in range(assistant.settings.answer_attempts):
        schema = answer_schema(len(allowed), allowed)
        asked.raw = complete(messages, max_tokens=assistant.settings.answer_tokens,
                             response_format={"type": "json_object", "schema": schema})
        reply = parse_reply(asked.raw)
        checked = check(question, reply, asked.passages, asked.language)
        inputs = verification_inputs(asked.standalone, checked, asked.passages, asked.language)
        verified = None
        if inputs is not None:
            started = time.perf_counter()
            verified = assistant.side_llm.yes_probability(prompts.template("verify_answer").invoke(inputs).to_messages())
            seconds += time.perf_counter() - started
            calls += 1
        if checked.chosen and (verified is None or verified >= assistant.settings.verify_threshold):
            break
        allowed = [n for n in allowed if n not in reply.sentences]
        if not reply.sentences or not allowed:
            break
    return seconds, calls


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
    records = []
    for row in rows:
        assistant._translated.clear()  # the chain pays the question's translation every time
        first, total, items = timed_stream(assistant.stream(row["question"]))
        answer = items[-1]
        raw_seconds, calls = raw_calls(assistant, row["question"])
        asked = assistant._prepare(Asked(question=row["question"]))
        user_tokens = llm.count_tokens(str(assistant._answer_messages(asked)[-1].content))
        records.append({"id": row.get("id"), "first_text_s": round(first, 2), "total_s": round(total, 2),
                        "raw_llama_s": round(raw_seconds, 2), "model_calls": calls, "prompt_tokens_beyond_system": user_tokens,
                        "answer": answer.answer, "refused": answer.refused})
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
