"""The bounded mailbox: many senders, one receiver, FIFO, no event-loop pass when not needed.

Unlike anyio memory streams, putting and taking do not checkpoint when they can complete at
once; a sender parks (on a :class:`~actorgraph.actors._slot.Slot`) only when the mailbox is full,
the receiver only when it is empty. The receiving side is the actor loop in ``_cell``, which
pops ``items`` itself, calls :meth:`Mailbox.wake_sender` when senders wait, parks in
``receiver`` when empty, and yields now and then for fairness.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

import msgspec

from ._errors import ActorStopped, MailboxFull
from ._slot import Slot
from ._timer import Deadlines


class MailboxStatistics(msgspec.Struct, frozen=True):
    """A snapshot of a mailbox, as returned by :meth:`ActorRef.statistics`."""

    current_size: int
    capacity: int
    senders_waiting: int
    receiver_waiting: bool
    closed: bool


class Mailbox:
    """Bounded FIFO queue with one receiver.

    ``closed`` means "closed by the owner": every later ``put`` raises :class:`ActorStopped`,
    and so does every ``put`` still waiting for room.
    """

    __slots__ = (
        "owner", "capacity", "items", "receiver", "senders", "closed", "new_slot", "_deadlines",
    )

    def __init__(
        self, owner: str, capacity: int, new_slot: Callable[[], Slot], deadlines: Deadlines
    ) -> None:
        if capacity < 1:
            raise ValueError(f"mailbox_size must be >= 1, got {capacity}")
        self.owner = owner
        self.capacity = capacity
        self.items: deque[Any] = deque()
        self.receiver: Slot | None = None  # the parked receiver, woken by the next put
        self.senders: deque[Slot] = deque()
        self.closed = False
        self.new_slot = new_slot
        self._deadlines = deadlines

    def __len__(self) -> int:
        return len(self.items)

    def put_nowait(self, item: Any) -> None:
        if self.closed:
            raise ActorStopped(self.owner)
        if len(self.items) >= self.capacity:
            raise MailboxFull(self.owner, self.capacity)
        self.items.append(item)
        receiver = self.receiver
        if receiver is not None:
            self.receiver = None
            if not receiver.done():
                receiver.set_result(None)

    async def put(self, item: Any, deadline: float = math.inf) -> None:
        """Append ``item``, waiting for room while the mailbox is full (backpressure).

        Raises :class:`~._slot.SlotTimeout` if ``deadline`` passes first.
        """
        while len(self.items) >= self.capacity and not self.closed:
            slot = self.new_slot()
            self.senders.append(slot)
            if deadline != math.inf:
                self._deadlines.add(deadline, slot)
            try:
                await slot
            except BaseException:
                # We may have been woken for room we now leave unused: pass the wake-up on.
                if len(self.items) < self.capacity:
                    self.wake_sender()
                raise
        self.put_nowait(item)

    def wake_sender(self) -> None:
        senders = self.senders
        while senders:
            slot = senders.popleft()
            if not slot.done():
                slot.set_result(None)
                return

    def close(self) -> list[Any]:
        """Refuse further puts, wake every waiter and return the items that were still queued."""
        self.closed = True
        items = list(self.items)
        self.items.clear()
        while self.senders:
            slot = self.senders.popleft()
            if not slot.done():
                slot.set_exception(ActorStopped(self.owner))
        receiver = self.receiver
        if receiver is not None:
            self.receiver = None
            if not receiver.done():
                receiver.set_result(None)
        return items

    def statistics(self) -> MailboxStatistics:
        return MailboxStatistics(
            current_size=len(self.items),
            capacity=self.capacity,
            senders_waiting=sum(1 for s in self.senders if not s.done()),
            receiver_waiting=self.receiver is not None and not self.receiver.done(),
            closed=self.closed,
        )


class NoMailbox:
    """What an inline actor has for a mailbox: nothing is ever queued in it (its messages are
    handled in the sender's task; concurrent senders wait at the actor's gate). One shared,
    stateless instance: capacity 0, always empty."""

    __slots__ = ()

    capacity = 0
    items: tuple[Any, ...] = ()
    closed = False

    def __len__(self) -> int:
        return 0

    def close(self) -> list[Any]:
        return []

    def statistics(self) -> MailboxStatistics:
        return MailboxStatistics(current_size=0, capacity=0, senders_waiting=0, receiver_waiting=False,
                                 closed=False)


NO_MAILBOX: Mailbox = NoMailbox()  # type: ignore[assignment]  # answers what an inline cell's mailbox is asked
