"""The Stop button with the default local model: how soon a stopped answer (or summary) ends, whether the model
really stops writing, and how soon the next question gets the model.

    python bench/stop.py [--store DIR] [--trials 3] [--after 2.0]

Through the app's controller (``NewsdeskUI.stream_answer`` / ``stream_summary``, the model's line included):
a question is asked, stopped ``--after`` seconds after its passages were found (the model is writing then),
and the next question is asked at once. Measured: stop → the request ends (``Stopped`` raised), the
characters the model wrote after the stop, and the next question's wait for the model (its turn: no
``Waiting``) and time to its passages. Without --store, the samples are ingested into a temporary store.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from common import ROOT, write_results

from qa import Assistant
from qa.answers.results import Found
from qa.models.stop import StopSignal, Stopped
from qa.ui.controller import NewsdeskUI, Waiting
from qa.ui.progress import Tick

QUESTIONS = ["Qui a interrogé Jens Stoltenberg pour Reuters ?", "Combien d'éléphants sont morts au Botswana ?",
             "Pourquoi les soignants manifestent-ils ?", "Que dit l'OTAN sur une guerre nucléaire ?"]


def stop_one(items, signal: StopSignal, after: float) -> dict:
    """Consume a request's items; stop it ``after`` seconds after its first Found (or its first text)."""
    started, found, stopped_at, written_at_stop = time.perf_counter(), None, None, ""
    try:
        for item in items:
            now = time.perf_counter()
            if found is None and (isinstance(item, (Found, str))):
                found = now
            if found is not None and stopped_at is None and now - found >= after:
                written_at_stop, stopped_at = signal.written, time.perf_counter()
                signal.stop()
            if found is not None and stopped_at is None and isinstance(item, Tick):
                continue
            if isinstance(item, dict):
                return {"finished": True, "seconds": now - started}
    except Stopped as exc:
        ended = time.perf_counter()
        return {"finished": False, "stop_to_end": ended - stopped_at,
                "chars_after_stop": max(0, len(exc.written) - len(written_at_stop)), "kept": exc.written}
    return {"finished": True, "seconds": time.perf_counter() - started}


def next_question(ui: NewsdeskUI, question: str) -> dict:
    """Ask at once: the time until the model is ours (no Waiting) and until the passages are found."""
    started, waited, first = time.perf_counter(), False, None
    signal = StopSignal()
    items = ui.stream_answer(question, [], None, signal)
    for item in items:
        if isinstance(item, Waiting):
            waited = waited or item.ahead > 0
        if isinstance(item, Found):
            first = time.perf_counter() - started
            signal.stop()  # this one is not needed to the end
        if first is not None:
            break
    items.close()
    return {"waited": waited, "to_found": first}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", help="a store (default: the samples in a temporary one)")
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--after", type=float, default=2.0, help="seconds of writing before Stop")
    args = parser.parse_args()
    folder = None
    if args.store:
        assistant = Assistant(store_dir=Path(args.store), create=False)
    else:
        folder = tempfile.mkdtemp(prefix="newsdesk-bench-stop-")
        assistant = Assistant(store_dir=Path(folder) / "store")
        assistant.ingest([ROOT / "data" / "samples"])
    ui = NewsdeskUI(assistant)
    if hasattr(assistant.llm, "load"):
        assistant.llm.load()  # loaded before the clock starts
    stops, nexts = [], []
    for trial in range(args.trials):
        signal = StopSignal()
        result = stop_one(ui.stream_answer(QUESTIONS[trial % len(QUESTIONS)], [], None, signal), signal, args.after)
        after = next_question(ui, QUESTIONS[(trial + 1) % len(QUESTIONS)])
        print(f"trial {trial + 1}: {result} next: {after}", flush=True)
        stops.append(result)
        nexts.append(after)
    # a summary stopped while it is written
    article = next(a.id for a in assistant.articles() if a.title.startswith("Botswana"))
    signal = StopSignal()
    summary = stop_one(ui.stream_summary(article, "paragraph", "en", signal), signal, args.after)
    summary_next = next_question(ui, QUESTIONS[0])
    print(f"summary: {summary} next: {summary_next}", flush=True)
    stopped = [s for s in stops if not s["finished"]]
    figures = {
        "trials": args.trials, "stopped": len(stopped), "stop_after_s": args.after,
        "stop_to_end_s_median": round(statistics.median(s["stop_to_end"] for s in stopped), 3) if stopped else None,
        "stop_to_end_s_max": round(max(s["stop_to_end"] for s in stopped), 3) if stopped else None,
        "chars_after_stop_max": max((s["chars_after_stop"] for s in stopped), default=None),
        "next_waited": sum(n["waited"] for n in nexts), "next_to_found_s_median":
            round(statistics.median(n["to_found"] for n in nexts), 3),
        "summary_stop_to_end_s": round(summary.get("stop_to_end", -1), 3),
        "summary_next_waited": summary_next["waited"],
    }
    write_results("stop", figures, notes="kept texts: " + " | ".join(s.get("kept", "")[:80] for s in stopped))


if __name__ == "__main__":
    main()
