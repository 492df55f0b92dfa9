"""A model request run in a worker thread, so that the page can show its progress while the model works (the
step and its elapsed seconds, once a second) and stop it (:mod:`qa.models.stop`). The request's place in the model's
line is held until the worker has really finished: a stopped answer frees the model for the next question."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from qa.models.stop import StopSignal, steps


@dataclass(frozen=True)
class Tick:
    """Yielded about once a ``tick`` while the worker produces nothing: the page updates its elapsed time."""


def in_worker(make_items: Callable[[], Iterator], signal: StopSignal | None, tick: float = 1.0) -> Iterator:
    """The items of ``make_items()``, computed in a worker thread with ``signal`` watched (see
    :func:`qa.models.stop.steps`), with a :class:`Tick` whenever ``tick`` seconds pass without one. The worker's
    exception (:class:`~qa.models.stop.Stopped` among them) is raised here. Closed early (the page went away), it
    stops the worker and waits for it."""
    signal = signal or StopSignal()
    out: queue.Queue = queue.Queue()

    def work() -> None:
        try:
            for item in steps(make_items(), signal):
                out.put(("item", item))
            out.put(("end", None))
        except BaseException as exc:  # noqa: BLE001  (given to the page's thread, raised there)
            out.put(("error", exc))

    worker = threading.Thread(target=work, name="newsdesk-model", daemon=True)
    worker.start()
    try:
        while True:
            try:
                kind, value = out.get(timeout=tick)
            except queue.Empty:
                yield Tick()
                continue
            if kind == "item":
                yield value
            elif kind == "end":
                return
            else:
                raise value
    finally:
        if worker.is_alive():
            signal.stop()
        worker.join()
