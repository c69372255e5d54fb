"""Answers take turns: a few are written at once (:func:`rag.llm.factory.parallel_answers`: one in this process,
``llm_parallel`` with model servers), the others wait first come, first served, and beyond ``max_waiting`` a
newcomer is told to come back later instead of piling up.

:meth:`rag.library.Library.ask` takes a turn for every answer, so the web chat and the HTTP API share these turns:
an API answer never runs beside a web answer the model cannot write at the same time.
"""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rag.errors import Busy

T = TypeVar("T")
MAX_WAITING = 64  # answers waiting at most: as many requests as the web's queue holds (QUEUE_MAX_SIZE)
FIRST_GUESS = 10.0  # seconds an answer is taken to last until one has been timed
POLL = 0.25  # seconds between looks at a waiting answer's cancel event


class Turns:
    """Turns to write an answer: ``at_once`` run, up to ``max_waiting`` wait in order."""

    def __init__(self, at_once: int, max_waiting: int = MAX_WAITING) -> None:
        self.at_once = at_once
        self.max_waiting = max_waiting
        self.running = 0
        self._queue: deque[object] = deque()  # the waiting answers' tickets, first come first
        self._changed = threading.Condition()
        self._seconds = FIRST_GUESS  # how long an answer lasts (a moving average)

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def retry_after(self) -> int:
        """Seconds until a waiting place is likely free again: until the next answer ends."""
        return max(1, math.ceil(self._seconds / self.at_once))

    @contextmanager
    def turn(self, cancel: threading.Event | None = None) -> Iterator[bool]:
        """Wait for a turn and hold it inside the ``with`` block; yields False (no turn held) when ``cancel`` was
        set while waiting. With ``max_waiting`` answers waiting already it raises :class:`rag.errors.Busy`."""
        ticket = object()
        with self._changed:
            if self.waiting >= self.max_waiting:
                seconds = self.retry_after()
                raise Busy(f"{self.waiting} questions are waiting for an answer: ask again in {seconds} s", seconds)
            self._queue.append(ticket)
            while (self._queue[0] is not ticket or self.running >= self.at_once) and not (cancel and cancel.is_set()):
                self._changed.wait(POLL if cancel else None)
            self._queue.remove(ticket)
            granted = self.running < self.at_once and not (cancel and cancel.is_set())
            self.running += granted
            self._changed.notify_all()  # the next in line: its turn, when at_once > 1, or its place
        if not granted:
            yield False
            return
        started = time.monotonic()
        try:
            yield True
        finally:
            with self._changed:
                self.running -= 1
                self._seconds = 0.7 * self._seconds + 0.3 * (time.monotonic() - started)
                self._changed.notify_all()

    def through(self, events: Iterator[T], cancel: threading.Event | None = None) -> Generator[T, None, None]:
        """``events`` read in a turn (none when ``cancel`` is set while waiting); the turn ends with them."""
        with self.turn(cancel) as granted:
            if granted:
                yield from events
