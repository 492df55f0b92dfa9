"""Load: N ``gradio_client`` users on 127.0.0.1 for D seconds against the web app with the real local model.

    python bench/load.py [--users 20] [--seconds 300] [--store DIR] [--ask-every 60] [--think 2 6]

It builds a store from data/samples (``ingest.py``; or serves ``--store DIR``), starts the app (``app.py``,
default settings: the bundled local model) as a subprocess on a free port of 127.0.0.1, then runs the users,
each with its own ``Client`` (its own session). A user browses the library (``/articles`` with a search word)
and retrieves passages (``/retrieve``), pausing ``--think`` seconds (uniform) between requests, and asks a
question (``/ask``) at most once every ``--ask-every`` seconds (the first one at a random moment of the first
interval). A question the app refuses because too many wait for the model ("The assistant is busy...") is a
*busy* refusal, not an error.

Recorded per endpoint: requests, answers, busy refusals, errors (by message), p50/p95/max latency of the
answers (and of the refusals: they must be immediate), the requests still unanswered when the run ends; the
app process's peak memory (VmHWM, and the largest VmRSS sampled every second); the load average before and
after. Results: bench/results/load.json (see docs/load.md).

Bounded: every client call has a timeout (90 s for the library and retrieval); at ``--seconds`` the users stop
starting requests, and those in flight get until ``--seconds`` + 110 s after the start of the script (store and
app start included), then are cancelled and counted as unfinished; the app is stopped and the results written
within ``--seconds`` + 120 s.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from common import ROOT, free_port, write_results

SAMPLES = ROOT / "data" / "samples"
PYTHON = sys.executable
ENDPOINTS = ("/articles", "/retrieve", "/ask")
BUSY = "The assistant is busy"
CALL_TIMEOUT = 90.0  # seconds: the longest a library or retrieval call may take
MARGIN = 10.0  # seconds kept at the end for stopping the app and writing the results

# what the users look for (the sample articles are French news of 2020)
SEARCH_WORDS = ["macron", "coronavirus", "ségur", "birmanie", "epstein", "bmw", "marseille", "police",
                "restylage", "2020-07", "italie", "ours", "traoré", "hong kong", "amazonie", ""]
RETRIEVE_QUESTIONS = [
    "Combien de morts dans le glissement de terrain en Birmanie ?",
    "Quelle somme pour mieux rémunérer les soignants ?",
    "Qui a été arrêtée dans l'affaire Epstein ?",
    "Combien d'éléphants sont morts au Botswana ?",
    "Quelle quantité d'amphétamines a été saisie en Italie ?",
    "Combien d'agents de police ont été mis en examen en Seine-Saint-Denis ?",
    "Quel moteur Maserati a présenté ?",
    "Quel budget pour soutenir la cohabitation avec les ours ?",
]
ASK_QUESTIONS = [
    "Combien de morts dans le glissement de terrain dans les mines de jade en Birmanie ?",
    "Combien d'éléphants sont morts au Botswana ?",
    "Quelle quantité d'amphétamines a été saisie en Italie ?",
    "Combien de millions d'euros supplémentaires pour rémunérer les soignants ?",
    "Qui est Ghislaine Maxwell ?",
    "Combien d'argent pour soutenir le pastoralisme face aux ours en 2020 ?",
    "How many elephants died in Botswana?",
    "What did Maserati present?",
]


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident memory) of a process, in kB (empty once it is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(VmRSS|VmHWM):\s+(\d+) kB", text, re.MULTILINE)}


def build_store(folder: Path, timeout: float) -> None:
    command = [PYTHON, str(ROOT / "ingest.py"), "--quiet", "--store", str(folder), str(SAMPLES)]
    done = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        sys.exit(f"ingest failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    print(done.stdout.strip().splitlines()[-1], flush=True)


def start_app(store: Path, port: int, log_path: Path, timeout: float) -> subprocess.Popen:
    """``app.py`` on 127.0.0.1:port (its output in ``log_path``); returns once it answers."""
    from gradio_client import Client

    log = log_path.open("w")
    app = subprocess.Popen([PYTHON, str(ROOT / "app.py"), "--store", str(store), "--port", str(port)], cwd=ROOT,
                           stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.poll() is not None:
            sys.exit(f"the app stopped ({app.returncode}): see {log_path}")
        try:
            Client(f"http://127.0.0.1:{port}/", verbose=False).predict("", api_name="/articles")
            return app
        except Exception:  # noqa: BLE001  (not listening yet)
            time.sleep(1)
    stop_app(app)
    sys.exit(f"the app did not answer within {timeout:.0f} s: see {log_path}")


def stop_app(app: subprocess.Popen) -> None:
    if app.poll() is None:
        app.send_signal(signal.SIGINT)  # Gradio closes its server
        try:
            app.wait(timeout=5)
        except subprocess.TimeoutExpired:  # a model call still running: no need to wait for it
            app.kill()
            app.wait(timeout=5)


class Recorder:
    """Every request's outcome, by endpoint (thread-safe)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)  # answered
        self.busy: dict[str, list[float]] = defaultdict(list)  # refused at once: the assistant is busy
        self.errors: dict[str, Counter] = defaultdict(Counter)  # by message
        self.unfinished: Counter = Counter()  # still in flight at the end: cancelled

    def answered(self, endpoint: str, seconds: float) -> None:
        with self.lock:
            self.latencies[endpoint].append(seconds)

    def refused(self, endpoint: str, seconds: float) -> None:
        with self.lock:
            self.busy[endpoint].append(seconds)

    def failed(self, endpoint: str, message: str) -> None:
        with self.lock:
            self.errors[endpoint][message[:160]] += 1

    def cut(self, endpoint: str) -> None:
        with self.lock:
            self.unfinished[endpoint] += 1


def call(client, recorder: Recorder, endpoint: str, args: tuple, timeout: float, *, at_end: bool = False) -> None:
    """One request with a timeout: an answer, a busy refusal, an error, or (``at_end``: its timeout is the end
    of the run) unfinished."""
    from gradio_client.exceptions import AppError

    started = time.monotonic()
    try:
        job = client.submit(*args, api_name=endpoint)
    except Exception as exc:  # noqa: BLE001
        recorder.failed(endpoint, f"submit: {type(exc).__name__}: {exc}")
        return
    try:
        job.result(timeout=max(1.0, timeout))
    except TimeoutError:
        cancel(job)
        if at_end:
            recorder.cut(endpoint)
        else:
            recorder.failed(endpoint, f"no answer within {timeout:.0f} s")
        return
    except AppError as exc:
        if str(exc).startswith(BUSY) or BUSY in str(exc):
            recorder.refused(endpoint, time.monotonic() - started)
        else:
            recorder.failed(endpoint, f"AppError: {exc}")
        return
    except Exception as exc:  # noqa: BLE001
        if isinstance(exc.__cause__, TimeoutError) or "Timeout" in type(exc).__name__:
            cancel(job)
            if at_end:
                recorder.cut(endpoint)
                return
        recorder.failed(endpoint, f"{type(exc).__name__}: {exc}")
        return
    recorder.answered(endpoint, time.monotonic() - started)


def cancel(job) -> None:
    try:
        job.cancel()
    except Exception:  # noqa: BLE001, S110  (the app may be gone already: nothing left to cancel)
        pass


def user(number: int, url: str, recorder: Recorder, window: dict, hard_end: float, ask_every: float,
         think: tuple[float, float], ready: threading.Barrier) -> None:
    """One user: its own client (session); browsing and retrieval with pauses, a question every ``ask_every`` s.
    Every user connects first; the load starts when all have (``ready``), and ends at ``window["end"]``; no
    call lasts beyond ``hard_end``."""
    from gradio_client import Client

    rng = random.Random(number)
    client = None
    try:
        client = Client(url, verbose=False)
    except Exception as exc:  # noqa: BLE001
        recorder.failed("client", f"{type(exc).__name__}: {exc}")
    try:
        ready.wait(timeout=max(1.0, hard_end - time.monotonic()))
    except threading.BrokenBarrierError:
        recorder.failed("client", "the users could not all connect")
        return
    if client is None:
        return
    load_end = window["end"]
    next_ask = time.monotonic() + rng.uniform(0, ask_every)
    while True:
        now = time.monotonic()
        if now >= load_end:
            return
        if now >= next_ask:
            next_ask = now + ask_every
            question = rng.choice(ASK_QUESTIONS)
            call(client, recorder, "/ask", (question, None, None), hard_end - time.monotonic(), at_end=True)
        else:
            endpoint, arguments = (("/articles", (rng.choice(SEARCH_WORDS),)) if rng.random() < 0.5 else
                                   ("/retrieve", (rng.choice(RETRIEVE_QUESTIONS), 5, None)))
            timeout = min(CALL_TIMEOUT, hard_end - time.monotonic())
            call(client, recorder, endpoint, arguments, timeout, at_end=timeout < CALL_TIMEOUT)
        pause = rng.uniform(*think)
        time.sleep(max(0.0, min(pause, next_ask - time.monotonic(), load_end - time.monotonic())))


def sample_memory(pid: int, stop: threading.Event, peak: list[int], timeline: list[float]) -> None:
    """The largest VmRSS seen (every second, in kB), and VmRSS every 30 s (in MB) in ``timeline``."""
    seconds = 0
    while not stop.wait(1.0):
        rss = proc_status(pid).get("VmRSS")
        if rss:
            peak[0] = max(peak[0], rss)
            if seconds % 30 == 0:
                timeline.append(round(rss / 1024))
        seconds += 1


def percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20, help="gradio_client users at once (default 20)")
    parser.add_argument("--seconds", type=float, default=300, help="how long they use the app (default 300)")
    parser.add_argument("--store", type=Path, help="serve this store (default: one built from data/samples in a "
                        "temporary folder)")
    parser.add_argument("--ask-every", type=float, default=60, help="each user asks at most once every N s "
                        "(default 60)")
    parser.add_argument("--think", type=float, nargs=2, default=(2.0, 6.0), metavar=("MIN", "MAX"),
                        help="a user's pause between requests, in seconds (uniform; default 2 6)")
    args = parser.parse_args()
    script_start = time.monotonic()
    hard_end = script_start + args.seconds + 120 - MARGIN  # the users' calls end by then, the users just after
    load_before = os.getloadavg()

    temporary = None
    if args.store is None:
        temporary = Path(tempfile.mkdtemp(prefix="newsdesk-load-"))
        args.store = temporary / "store"
        print(f"building a store from {SAMPLES.relative_to(ROOT)} in {args.store}…", flush=True)
        build_store(args.store, timeout=90)
    setup_store_s = time.monotonic() - script_start
    port = free_port()
    log_path = Path(tempfile.gettempdir()) / f"newsdesk-load-app-{port}.log"
    app = start_app(args.store, port, log_path, timeout=60)
    url = f"http://127.0.0.1:{port}/"
    rss_at_start = proc_status(app.pid).get("VmRSS", 0)
    print(f"app on {url} (pid {app.pid}, log {log_path}); {args.users} users for {args.seconds:.0f} s", flush=True)

    recorder, stop, peak, timeline = Recorder(), threading.Event(), [0], []
    monitor = threading.Thread(target=sample_memory, args=(app.pid, stop, peak, timeline), daemon=True)
    monitor.start()
    window: dict[str, float] = {}

    def begin() -> None:  # once every user has connected: the clock starts
        window["start"] = time.monotonic()
        window["end"] = window["start"] + args.seconds

    ready = threading.Barrier(args.users, action=begin)
    threads = [threading.Thread(target=user, args=(k, url, recorder, window, hard_end - 5, args.ask_every,
                                                   tuple(args.think), ready), daemon=True)
               for k in range(args.users)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(0.0, hard_end - time.monotonic()))
        load_seconds = time.monotonic() - window.get("start", time.monotonic())
        still_running = sum(t.is_alive() for t in threads)
    finally:
        memory = proc_status(app.pid)
        stop.set()
        stop_app(app)
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    load_after = os.getloadavg()

    figures: dict = {"users": args.users, "seconds": args.seconds, "ask_every_s": args.ask_every,
                     "think_s": list(args.think), "store_build_s": round(setup_store_s, 1),
                     "load_s": round(load_seconds, 1), "users_unfinished": still_running}
    errors_total = 0
    for endpoint in ENDPOINTS:
        name = endpoint.strip("/")
        answered, busy = recorder.latencies[endpoint], recorder.busy[endpoint]
        errors = dict(recorder.errors[endpoint])
        errors_total += sum(errors.values())
        figures.update({
            f"{name}_requests": len(answered) + len(busy) + sum(errors.values()) + recorder.unfinished[endpoint],
            f"{name}_answered": len(answered), f"{name}_busy": len(busy), f"{name}_errors": sum(errors.values()),
            f"{name}_unfinished": recorder.unfinished[endpoint],
            f"{name}_p50_s": percentile(answered, 50), f"{name}_p95_s": percentile(answered, 95),
            f"{name}_max_s": round(max(answered), 3) if answered else None,
        })
        if busy:
            figures[f"{name}_busy_p95_s"] = percentile(busy, 95)
        if errors:
            figures[f"{name}_error_messages"] = errors
    client_errors = dict(recorder.errors["client"])
    errors_total += sum(client_errors.values())
    if client_errors:
        figures["client_errors"] = client_errors
    figures.update({
        "errors": errors_total,
        "app_peak_rss_mb": round(max(memory.get("VmHWM", 0), peak[0]) / 1024, 1),
        "app_rss_at_start_mb": round(rss_at_start / 1024, 1),
        "app_rss_at_end_mb": round(memory.get("VmRSS", 0) / 1024, 1),
        "app_rss_mb_every_30s": timeline,
        "loadavg_before": [round(x, 2) for x in load_before], "loadavg_after": [round(x, 2) for x in load_after],
        "cpus": os.cpu_count(),
    })
    write_results("load", figures, notes=f"app.py with default settings on a store of data/samples; app log "
                  f"{log_path}")
    if errors_total:
        sys.exit(1)


if __name__ == "__main__":
    main()
