"""Stopping the model while it writes: the page's Stop button.

A :class:`StopSignal` belongs to one request. While a step of the request runs inside :func:`stoppable`,
every LangChain model call made in it carries a callback (a LangChain configure hook on a context variable:
nothing has to pass it along) that raises :class:`Stopped` at the next token once the signal is set. The
exception ends llama.cpp's token loop, so the model really stops generating and its lock is free for the next
question at once; :attr:`Stopped.written` holds what the interrupted call had written.

>>> signal = StopSignal()
>>> for item in steps(assistant.stream(question), signal):  # signal.stop() from another thread ends it
...     ...
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from contextvars import ContextVar

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.tracers.context import register_configure_hook


class Stopped(RuntimeError):
    """The request was stopped by its user; ``written``: what the model had written of the interrupted call."""

    def __init__(self, written: str = ""):
        super().__init__("Stopped.")
        self.written = written


class StopSignal(BaseCallbackHandler):
    """Set by :meth:`stop` (from any thread); checked by the model at every token of the calls it watches."""

    raise_error = True  # LangChain lets the callback's exception end the call

    def __init__(self):
        self._event = threading.Event()
        self.written = ""
        self.calls_ended = 0  # model calls finished under this signal (the page's "Checking…" step)

    def stop(self) -> None:
        self._event.set()

    @property
    def stopped(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Stopped` when the signal is set."""
        if self.stopped:
            raise Stopped(self.written)

    def on_chat_model_start(self, serialized, messages, **kwargs) -> None:
        self.written = ""  # each model call writes afresh: what is kept is the interrupted call's text

    def on_llm_start(self, serialized, prompts, **kwargs) -> None:
        self.written = ""

    def on_llm_end(self, response, **kwargs) -> None:
        self.calls_ended += 1

    def on_llm_new_token(self, token: str, **kwargs) -> None:
        self.check()
        self.written += token


class _QuietStops(logging.Filter):
    """LangChain logs a callback's exception as a warning before raising it: a stop is no warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Stopped(" not in record.getMessage()


logging.getLogger("langchain_core.callbacks.manager").addFilter(_QuietStops())
_watching: ContextVar[StopSignal | None] = ContextVar("newsdesk_stop_signal", default=None)
register_configure_hook(_watching, inheritable=True)


@contextmanager
def stoppable(signal: StopSignal | None):
    """Inside the block, the model calls of this thread stop at their next token once ``signal`` is set."""
    token = _watching.set(signal)
    try:
        yield
    finally:
        _watching.reset(token)


def watched_signal() -> StopSignal | None:
    """The signal of the request being run in this thread (None outside :func:`stoppable`)."""
    return _watching.get()


def check_stop() -> None:
    """Raise :class:`Stopped` when the request being run has been stopped (for model calls that write no tokens,
    such as a yes/no read from the logits)."""
    signal = _watching.get()
    if signal is not None:
        signal.check()


def steps(items: Iterator, signal: StopSignal | None) -> Iterator:
    """The items of ``items``, each computed inside :func:`stoppable` (every ``next`` may run in another thread:
    a context variable set in one is not seen in the next); a stopped signal raises :class:`Stopped`."""
    with closing(items) as source:
        while True:
            with stoppable(signal):
                if signal is not None:
                    signal.check()
                try:
                    item = next(source)
                except StopIteration:
                    return
            yield item
