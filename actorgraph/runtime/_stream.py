"""The stream hub: every event of a run goes through it and fans out to its subscribers.

A subscriber picks stream modes and a bounded buffer with a slow-consumer policy:

* ``"block"`` (default): the run waits at the next super-step barrier until the subscriber
  has room again (backpressure; a step's own events may overshoot the bound once).
* ``"drop"``: events that do not fit are dropped and counted (``dropped``).
* ``"error"``: the subscriber is detached and its iteration raises :class:`StreamOverflow`.

``astream`` drives the run in the caller's task and is one subscriber whose buffer is drained at
every barrier, so it needs no bound beyond one step's events.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Literal

import anyio.from_thread
import msgspec

from .._log import get_logger
from ..actors import ActorRef, ActorStopped, SyncActor
from ..actors._slot import Slot, current_backend
from ..actors._threads import current_loop_checker, current_loop_poster
from ._private_loop import run_until_stopped

STREAM_MODES: frozenset[str] = frozenset(
    ("values", "updates", "custom", "messages", "debug", "tasks", "checkpoints", "tools")
)
Overflow = Literal["block", "drop", "error"]

_log = get_logger("runtime")


class StreamOverflow(Exception):
    """A subscriber with ``on_overflow="error"`` fell more than its buffer behind."""


class StreamEvent(msgspec.Struct, frozen=True, array_like=True):
    """One event: its namespace (``()`` for the root graph), mode and chunk."""

    ns: tuple[str, ...]
    mode: str
    chunk: Any


class Subscriber:
    """A bounded buffer of events for one consumer task. Iterate it with ``async for``.

    ``dropped`` counts the events dropped under ``on_overflow="drop"``. ``paced``: the consumer
    paces the run, as LangGraph's ``astream``/``stream`` consumer does — when it was waiting for
    events, the run waits at the next barrier until it has taken them (see
    :meth:`wait_for_room`); else (an ``ActorSystem`` subscription) the run goes on while events
    queue up to ``capacity``, the overflow policy deciding beyond it.
    """

    __slots__ = ("modes", "capacity", "on_overflow", "paced", "_items", "_waiter", "_closed", "_error",
                 "dropped", "_room", "_new_slot", "_checkpoint", "_wake", "_post", "_woken", "_pumped",
                 "_asked")

    def __init__(self, modes: frozenset[str], capacity: float = 1024, on_overflow: Overflow = "block",
                 paced: bool = False) -> None:
        if on_overflow not in ("block", "drop", "error"):
            raise ValueError(f"on_overflow must be 'block', 'drop' or 'error', got {on_overflow!r}")
        self.modes = modes
        self.paced = paced
        self.capacity = capacity
        self.on_overflow = on_overflow
        self._items: deque[StreamEvent] = deque()
        self._waiter: Slot | None = None
        self._room: Slot | None = None
        self._closed = False
        self._error: BaseException | None = None
        self.dropped = 0
        backend = current_backend()
        self._new_slot = backend.new_slot
        self._checkpoint = backend.checkpoint  # (anyio's looks the backend up per call: a syscall on 3.11)
        self._wake: threading.Event | None = None  # attach_thread(): a consumer thread's
        self._post: Callable[..., Any] | None = None
        self._woken = False  # a consumer task waiting in __anext__ was woken and has not run yet
        # next_pumped(): the consumer's thread runs this loop between events, and has asked for
        # the next one (the run goes on past a barrier that published only then)
        self._pumped: asyncio.AbstractEventLoop | None = None
        self._asked = False

    def attach_thread(self) -> None:
        """Let a thread other than the event loop's consume this subscriber with
        :meth:`next_blocking` (sync ``stream()``). Called on the event loop's thread before
        the run publishes; the consumer then waits on a thread event that :meth:`push` sets,
        with no round trip through the loop per event."""
        self._wake = threading.Event()
        self._post = current_loop_poster()

    def push(self, event: StreamEvent) -> bool:
        """Buffer ``event``; False when the subscriber wants to be detached."""
        if len(self._items) >= self.capacity:
            if self.on_overflow == "drop":
                self.dropped += 1
                return True
            if self.on_overflow == "error":
                self.close(StreamOverflow(f"subscriber fell {self.capacity} events behind"))
                return False
        self._items.append(event)
        if self._wake is not None:
            self._wake.set()
            return True
        pumped = self._pumped
        if pumped is not None:
            if self._asked:  # the consumer's next_pumped() returns once this loop iteration ends
                self._asked = False
                pumped.stop()
            return True
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
                self._woken = self.paced
        return True

    def drain(self) -> list[StreamEvent]:
        items = list(self._items)
        self._items.clear()
        self._wake_room()
        return items

    def _wake_room(self) -> None:
        room = self._room
        if room is not None and len(self._items) < self.capacity:
            self._room = None
            if not room.done():
                room.set_result(None)

    async def wait_for_room(self) -> None:
        while self._woken or (self._pumped is not None and not self._asked and not self._closed):
            # The consumer waited for this step's events and has not taken them yet: yield to
            # it here, at the barrier, until it has, before the next step — as LangGraph's
            # astream, which goes on when the consumer takes the next chunk. Else a run whose
            # nodes never yield would finish before the consumer sees its first chunk (and a
            # consumer that breaks out early would find the run over). A consumer task on this
            # loop runs in between (trio may run the two in either order: hence the loop); a
            # pumped consumer's thread (next_pumped) runs the loop only while it waits for an
            # event: the loop stops here, and the run goes on when the consumer asks for the
            # next one (closing the stream instead cancels it here).
            await self._checkpoint()
        while self.on_overflow == "block" and not self._closed and len(self._items) >= self.capacity:
            self._room = room = self._new_slot()
            await room

    def close(self, error: BaseException | None = None) -> None:
        if error is not None and self._error is None:
            self._error = error
        self._closed = True  # (after the error: a consumer thread may look between the two)
        if self._wake is not None:
            self._wake.set()
        for slot in (self._waiter, self._room):
            if slot is not None and not slot.done():
                slot.set_result(None)
        self._waiter = self._room = None
        if self._asked:  # a pumped consumer waits in next_pumped (not the loop's other runs)
            self._asked = False
            assert self._pumped is not None
            self._pumped.stop()

    def __aiter__(self) -> Subscriber:
        return self

    async def __anext__(self) -> StreamEvent:
        """The next event; once the buffer is empty, the detaching error (raised once) or the end."""
        while not self._items:
            error = self._error
            if error is not None:
                self._error = None
                raise error
            if self._closed:
                raise StopAsyncIteration
            self._waiter = waiter = self._new_slot()
            try:
                await waiter
            finally:
                self._woken = False
        item = self._items.popleft()
        self._wake_room()
        return item

    def pump(self, loop: asyncio.AbstractEventLoop) -> None:
        """Let the thread of ``loop`` (the run's) consume this subscriber with
        :meth:`next_pumped`, running the loop between events (before the run publishes)."""
        self._pumped = loop

    def next_pumped(self, loop: asyncio.AbstractEventLoop) -> StreamEvent | None:
        """With ``loop``, the loop of the run, stopped between events (sync ``stream()`` on the
        calling thread's private loop; call :meth:`pump` first): the next event, running the loop on this thread until
        there is one (the run yields at each barrier that published, see :meth:`wait_for_room`,
        so the loop stops there); once the buffer is empty, the detaching
        error (raised once) or None (the end)."""
        items = self._items
        while not items:
            error = self._error
            if error is not None:
                self._error = None
                raise error
            if self._closed:
                return None
            # The loop runs until an event is pushed or the subscriber closed (either stops
            # it): one loop iteration per step (a future to wait for would take two more)
            self._asked = True
            try:
                run_until_stopped(loop)
            finally:
                self._woken = self._asked = False
        item = items.popleft()
        self._wake_room()
        return item

    def next_blocking(self) -> StreamEvent | None:
        """In the consumer thread of an :meth:`attach_thread`-ed subscriber: the next event,
        waiting for it; once the buffer is empty, the detaching error (raised once) or None
        (the end). A ``"block"`` subscriber the run waits for is woken through the loop."""
        wake = self._wake
        assert wake is not None and self._post is not None, "attach_thread() first"
        items = self._items
        while not items:
            error = self._error
            if error is not None:
                self._error = None
                raise error
            if self._closed:
                if items:
                    break
                error = self._error  # (set before _closed: seen now if it was missed above)
                if error is not None:
                    self._error = None
                    raise error
                return None
            wake.clear()
            if items or self._closed:  # (pushed between the look and the clear)
                continue
            wake.wait()
        item = items.popleft()
        if self._room is not None or len(items) + 1 >= self.capacity:
            self._post(self._wake_room)  # (the run may be waiting for room: on the loop's thread)
        return item


class Subscription:
    """What ``RunHandle.subscribe`` yields: one subscriber's events as ``(mode, chunk)`` pairs.

    Iterate it with ``async for`` (one consumer task at a time); iteration ends when the run
    ends or the subscription is left, and raises :class:`StreamOverflow` once the buffered events
    are consumed if an ``on_overflow="error"`` subscriber fell behind.

    ``dropped`` counts the events an ``on_overflow="drop"`` subscriber lost because its buffer
    was full (always 0 under the other policies); ``modes`` are the stream modes it receives.
    """

    __slots__ = ("_sub",)

    def __init__(self, sub: Subscriber) -> None:
        self._sub = sub

    @property
    def dropped(self) -> int:
        """Events lost so far because the buffer was full (``on_overflow="drop"`` only)."""
        return self._sub.dropped

    @property
    def modes(self) -> frozenset[str]:
        """The stream modes this subscription receives."""
        return self._sub.modes

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> tuple[str, Any]:
        event = await self._sub.__anext__()
        return event.mode, event.chunk

    def __repr__(self) -> str:
        return f"<Subscription modes={sorted(self._sub.modes)} dropped={self._sub.dropped}>"


class Publish(msgspec.Struct, frozen=True):
    """Message to the hub: deliver these events."""

    events: Sequence[StreamEvent]


def publish_from_thread(post: Callable[..., Any], hub: ActorRef, events: Sequence[StreamEvent]) -> None:
    """From a thread other than the event loop's (a sync node's worker thread): hand ``events``
    to the ``hub`` actor on its loop's thread and return at once, without waiting for the loop.
    ``post`` is that loop's thread-safe "call soon" (``call_soon_threadsafe``; trio: its
    token's ``run_sync_soon``): what one thread posts runs in order, and before the loop
    learns that the thread's call has returned (that news is posted after), so the node's
    events precede its step's later events."""
    post(_deliver, hub, Publish(events))


def _deliver(hub: ActorRef, message: Publish) -> None:
    # On the event loop's thread, as a loop callback: nothing may escape (on trio it would end
    # the run with a TrioInternalError)
    try:
        hub.call(message)
    except ActorStopped:
        pass  # the run ended before the event got there: nobody listens any more
    except Exception as exc:  # pragma: no cover  (the hub's handler raises nothing else)
        _log.error("stream_event_lost", error=repr(exc))


class StreamHub(SyncActor):
    """Fans events out to subscribers by mode.

    The run spawns it inline under its barrier supervisor (``hub`` in the run's actor tree);
    node actors and the supervisor send it :class:`Publish` messages with ``call`` (from a sync
    node's worker thread, posted to the event loop's thread without waiting:
    :func:`publish_from_thread`). Subscribing and leaving are its
    owner's calls (``subscribe``/``unsubscribe``), made on the event loop's thread.
    """

    def __init__(self) -> None:
        self.subscribers: list[Subscriber] = []
        self.modes: frozenset[str] = frozenset()
        self._on_loop = current_loop_checker()  # (made on the event loop's thread: subscribers live there)

    def subscribe(self, sub: Subscriber) -> None:
        self.subscribers.append(sub)
        self.modes = self.modes | sub.modes

    def unsubscribe(self, sub: Subscriber) -> None:
        if sub in self.subscribers:
            self.subscribers.remove(sub)
            self.modes = frozenset().union(*(s.modes for s in self.subscribers))

    def publish(self, event: StreamEvent) -> None:
        """Deliver one event now to every subscriber of its mode (also used by the synchronous
        custom ``writer``); a subscriber that overflows with ``on_overflow="error"`` is detached
        after the event went to all the others.

        Called from a sync node's worker thread, it hands the event to the event loop's thread
        and returns once delivered (subscribers are woken only from there).
        """
        if not self._on_loop():
            anyio.from_thread.run_sync(self.publish, event)
            return
        detached: list[Subscriber] | None = None
        for sub in self.subscribers:
            if event.mode in sub.modes and not sub.push(event):
                if detached is None:
                    detached = []
                detached.append(sub)
        if detached is not None:
            for sub in detached:
                self.unsubscribe(sub)

    def receive(self, message: Any) -> Any:
        if not isinstance(message, Publish):
            raise TypeError(f"the stream hub cannot handle {type(message).__name__} (expected Publish)")
        for event in message.events:
            self.publish(event)

    async def backpressure(self) -> None:
        """Wait until every blocking subscriber has room (called at the barrier)."""
        for sub in list(self.subscribers):
            await sub.wait_for_room()

    def close(self, error: BaseException | None = None) -> None:
        for sub in self.subscribers:
            sub.close(error)
