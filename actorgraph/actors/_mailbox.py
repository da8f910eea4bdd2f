"""The bounded mailbox: many senders, one receiver, FIFO, no event-loop pass when not needed.

Unlike anyio memory streams, ``put`` and ``get`` do not checkpoint when they can complete at
once; they park (through a :class:`~actorgraph.actors._slot.Slot`) only when the mailbox is full
or empty. The receiving actor loop is responsible for yielding now and then (see ``_actor``).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

import msgspec

from ._errors import ActorStopped, MailboxFull
from ._slot import Slot


class MailboxStatistics(msgspec.Struct, frozen=True):
    """A snapshot of a mailbox, as returned by :meth:`ActorRef.statistics`."""

    current_size: int
    capacity: int
    senders_waiting: int
    receiver_waiting: bool
    closed: bool


class Mailbox:
    """Bounded FIFO queue with one receiver.

    ``closed`` means "closed by the owner": every later ``put`` raises :class:`ActorStopped`.
    """

    __slots__ = ("owner", "capacity", "_items", "_receiver", "_senders", "_closed", "_new_slot")

    def __init__(self, owner: str, capacity: int, new_slot: Callable[[], Slot]) -> None:
        if capacity < 1:
            raise ValueError(f"mailbox_size must be >= 1, got {capacity}")
        self.owner = owner
        self.capacity = capacity
        self._items: deque[Any] = deque()
        self._receiver: Slot | None = None
        self._senders: deque[Slot] = deque()
        self._closed = False
        self._new_slot = new_slot

    def __len__(self) -> int:
        return len(self._items)

    @property
    def closed(self) -> bool:
        return self._closed

    def put_nowait(self, item: Any) -> None:
        if self._closed:
            raise ActorStopped(self.owner)
        if len(self._items) >= self.capacity:
            raise MailboxFull(self.owner, self.capacity)
        self._items.append(item)
        receiver = self._receiver
        if receiver is not None:
            self._receiver = None
            receiver.set_result(None)

    async def put(self, item: Any, deadline: float = math.inf) -> None:
        """Append ``item``, waiting for room while the mailbox is full (backpressure)."""
        while len(self._items) >= self.capacity and not self._closed:
            slot = self._new_slot()
            self._senders.append(slot)
            await slot.wait(deadline)
        self.put_nowait(item)

    def _wake_sender(self) -> None:
        senders = self._senders
        while senders:
            slot = senders.popleft()
            if not slot.done():
                slot.set_result(None)
                return

    def get_nowait(self) -> Any:
        """Pop the oldest item; ``IndexError`` when empty."""
        item = self._items.popleft()
        if self._senders:
            self._wake_sender()
        return item

    async def get(self) -> Any:
        """Pop the oldest item, parking the receiver while the mailbox is empty."""
        while not self._items:
            if self._closed:
                raise ActorStopped(self.owner)
            slot = self._receiver = self._new_slot()
            await slot.wait()
        return self.get_nowait()

    def close(self) -> list[Any]:
        """Refuse further puts, wake every waiter and return the items that were still queued."""
        self._closed = True
        items = list(self._items)
        self._items.clear()
        stopped = ActorStopped(self.owner)
        while self._senders:
            self._senders.popleft().set_exception(stopped)
        if self._receiver is not None:
            self._receiver.set_result(None)
            self._receiver = None
        return items

    def statistics(self) -> MailboxStatistics:
        return MailboxStatistics(
            current_size=len(self._items),
            capacity=self.capacity,
            senders_waiting=sum(1 for s in self._senders if not s.done()),
            receiver_waiting=self._receiver is not None,
            closed=self._closed,
        )
