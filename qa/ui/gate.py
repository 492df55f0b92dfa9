"""The line in front of the model: requests take it one at a time (a few with a hosted endpoint), first come
first served; the one too many is refused at once (:class:`BusyError`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass



class BusyError(RuntimeError):
    """Too many requests already wait for the model: this one is refused at once (try again later)."""

    def __init__(self, waiting: int, running: int):
        self.waiting, self.running = waiting, running
        if waiting:
            what = f"{waiting} question{'s' if waiting != 1 else ''} waiting"
        else:
            what = f"{running} question{'s' if running != 1 else ''} being answered"
        super().__init__(f"The assistant is busy ({what}): try again in a minute.")


@dataclass(frozen=True)
class Waiting:
    """Yielded by the streaming methods while their request waits for the model: ``ahead`` requests come
    before it (those being answered included). ``ahead == 0`` once it has waited and its turn has come."""

    ahead: int


@dataclass(frozen=True)
class Reading:
    """Yielded by :meth:`NewsdeskUI.stream_timeline` while a timeline is made: ``done`` articles read of
    ``total`` (None while the articles are being found)."""

    done: int = 0
    total: int | None = None


class ModelGate:
    """The line in front of the model: requests take the model ``slots`` at a time, first come, first served.

    At most ``max_waiting`` requests wait (besides those being answered); one more is refused at once with a
    :class:`BusyError`, so that nobody waits in a line that cannot move in time. :meth:`turn` waits
    (blocking) for a request that cannot show its place; :meth:`queued` yields :class:`Waiting` places
    while it waits, for a page that shows them.
    """

    def __init__(self, slots: int = 1, max_waiting: int = 8):
        if slots < 1 or max_waiting < 0:
            raise ValueError("a gate needs slots >= 1 and max_waiting >= 0")
        self.slots, self.max_waiting = slots, max_waiting
        self._line: list[object] = []  # the tickets, oldest first: the first `slots` of them hold the model
        self._changed = threading.Condition()
        self.served = self.refused = 0

    @property
    def running(self) -> int:
        with self._changed:
            return min(len(self._line), self.slots)

    @property
    def waiting(self) -> int:
        with self._changed:
            return max(0, len(self._line) - self.slots)

    def wait_until(self, check: Callable[[ModelGate], bool], timeout: float | None = None) -> bool:
        """Wait until ``check(gate)`` holds (checked whenever the line changes); False after ``timeout`` seconds.
        For monitors and tests: ``gate.wait_until(lambda g: g.waiting == 2, timeout=10)``."""
        with self._changed:
            return self._changed.wait_for(lambda: check(self), timeout)

    def _join(self) -> object:
        with self._changed:
            waiting = max(0, len(self._line) - self.slots)
            if len(self._line) >= self.slots and waiting >= self.max_waiting:
                self.refused += 1
                raise BusyError(waiting, min(len(self._line), self.slots))
            ticket = object()
            self._line.append(ticket)
            self._changed.notify_all()
            return ticket

    def _leave(self, ticket: object, served: bool) -> None:
        with self._changed:
            if ticket in self._line:
                self._line.remove(ticket)
            self.served += served
            self._changed.notify_all()

    def _ahead(self, ticket: object) -> int:
        return self._line.index(ticket)

    @contextmanager
    def turn(self):
        """Wait for a slot of the model (BusyError at once when the line is full), hold it inside the block."""
        ticket = self._join()
        try:
            with self._changed:
                self._changed.wait_for(lambda: self._ahead(ticket) < self.slots)
            yield
        finally:
            self._leave(ticket, served=True)

    def queued(self, work: Callable[[], Iterator], heartbeat: float = 5.0) -> Iterator:
        """Take a place in the line (BusyError at once when it is full), yielding :class:`Waiting` whenever the
        place changes (and every ``heartbeat`` seconds, so that the page can close this generator when its
        user has gone), ``Waiting(0)`` when the turn comes after a wait; then the items of ``work()``, the
        model held. Leaving early (the generator closed) gives the place or the slot up."""
        ticket = self._join()
        served = False
        try:
            shown, waited = None, False
            while True:
                with self._changed:
                    self._changed.wait_for(lambda shown=shown: self._ahead(ticket) != shown, timeout=heartbeat)
                    ahead = self._ahead(ticket)
                if ahead < self.slots:
                    break
                waited, shown = True, ahead
                yield Waiting(ahead)
            if waited:
                yield Waiting(0)
            served = True
            with closing(work()) as items:
                yield from items
        finally:
            self._leave(ticket, served)
