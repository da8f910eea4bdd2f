"""The mutual exclusion of an inline actor: one handler at a time, callers served in FIFO order.

An anyio ``Lock`` costs ~1.5-2 µs a round even uncontended; an inline actor is usually driven
by a single parent, so the free case must be a flag test. Waiters park on slots and the gate is
handed over directly to the oldest one, so a caller looping on the actor cannot starve others.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from ._slot import Slot


class Gate:
    """``busy`` is true while some task holds the gate; ``holder`` identifies that task."""

    __slots__ = ("busy", "holder", "_waiters", "_handed", "_new_slot")

    def __init__(self, new_slot: Callable[[], Slot]) -> None:
        self.busy = False
        self.holder: object = None
        self._waiters: deque[Slot] | None = None  # made when somebody first has to wait
        self._handed: Slot | None = None
        self._new_slot = new_slot

    async def enter(self) -> None:
        """Wait until the gate is ours (cancellation-safe)."""
        if not self.busy:
            self.busy = True
            return
        slot = self._new_slot()
        if self._waiters is None:
            self._waiters = deque()
        self._waiters.append(slot)
        try:
            await slot
        except BaseException:
            if self._handed is slot:  # handed over to us just as we were cancelled
                self._handed = None
                self.leave()
            raise
        self._handed = None

    def leave(self) -> None:
        """Release the gate, handing it to the oldest live waiter if there is one."""
        waiters = self._waiters
        while waiters:
            slot = waiters.popleft()
            if not slot.done():
                self._handed = slot
                slot.set_result(None)
                return
        self.busy = False

    @property
    def waiting(self) -> int:
        return sum(1 for s in self._waiters or () if not s.done())
