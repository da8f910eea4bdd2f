"""Deadlines for many slots with one timer.

A timed ``ask`` used to open a cancel scope (trio) or a loop timer (asyncio) per call, which
cost more than the round trip itself. Replies almost always beat their deadline, so instead each
supervisor keeps a heap of ``(deadline, slot)`` and one task sleeping until the earliest
deadline; registering a deadline is a heap push, and answered slots are dropped lazily.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Coroutine
from typing import Any

import anyio

from ._slot import Slot, SlotTimeout

_COMPACT_MIN = 64


class Deadlines:
    """Sets :class:`SlotTimeout` on each registered slot still pending at its deadline.

    ``start`` launches the sleeping task (in the owning supervisor's task group) the first time
    a deadline is registered; the task dies with that task group. Slots left pending when it is
    gone are failed by their actor's shutdown instead.
    """

    __slots__ = ("_heap", "_seq", "_armed", "_scope", "_start", "_started", "_limit")

    def __init__(self, start: Callable[[Callable[[], Coroutine[Any, Any, None]]], None]) -> None:
        self._heap: list[tuple[float, int, Slot]] = []
        self._seq = itertools.count()
        self._armed = math.inf  # the deadline the task sleeps until
        self._scope: anyio.CancelScope | None = None
        self._start = start
        self._started = False
        self._limit = _COMPACT_MIN

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, deadline: float, slot: Slot) -> None:
        heap = self._heap
        while heap and heap[0][2].done():
            heapq.heappop(heap)
        heapq.heappush(heap, (deadline, next(self._seq), slot))
        if len(heap) > self._limit:
            self._compact()
        if deadline < self._armed:
            self._armed = deadline
            if self._scope is not None:
                self._scope.deadline = deadline
            elif not self._started:
                self._started = True
                self._start(self._run)

    def _compact(self) -> None:
        # Answered slots behind a long-pending one never reach the top of the heap.
        heap = self._heap
        heap[:] = [entry for entry in heap if not entry[2].done()]
        heapq.heapify(heap)
        self._limit = max(_COMPACT_MIN, 2 * len(heap))

    def _expire(self, now: float) -> None:
        heap = self._heap
        while heap and (heap[0][0] <= now or heap[0][2].done()):
            slot = heapq.heappop(heap)[2]
            if not slot.done():
                slot.set_exception(SlotTimeout())
        self._armed = heap[0][0] if heap else math.inf

    async def _run(self) -> None:
        try:
            while True:
                with anyio.CancelScope(deadline=self._armed) as scope:
                    self._scope = scope
                    await anyio.sleep_forever()
                self._scope = None
                self._expire(anyio.current_time())
        finally:
            self._scope = None
