"""``Actor`` (what users subclass) and ``ActorRef`` (the only handle others hold)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import msgspec

from ._errors import AskTimeout, MailboxFull
from ._mailbox import MailboxStatistics
from ._slot import SlotTimeout

if TYPE_CHECKING:
    from ._cell import Cell

DEFAULT_ASK_TIMEOUT: float = 30.0
"""Seconds an :meth:`ActorRef.ask` waits for its reply unless told otherwise (``math.inf``: forever)."""


class Actor:
    """Base class of actors.

    An actor handles one message at a time, in arrival order per sender, and owns its state:
    nothing else touches it. The value ``handle`` returns is the reply to an ``ask``; an exception
    it raises is re-raised in the asker unchanged and then handed to the supervision policy.
    ``on_start`` runs before the first message of every incarnation (also after a restart);
    ``on_stop`` runs when an incarnation ends for any reason (stop, failure, restart, shutdown).
    """

    __slots__ = ()  # (a subclass that declares its own __slots__ gets no instance dict)

    async def on_start(self) -> None:
        """Called before the first message."""

    async def on_stop(self) -> None:
        """Called when this instance is discarded; keep it short (it may run shielded)."""

    async def handle(self, message: Any) -> Any:
        """Handle one message; the return value answers an ``ask``."""
        raise NotImplementedError(f"{type(self).__name__} must implement handle()")


class SyncActor(Actor):
    """An actor whose handler never suspends: :meth:`receive` is a plain function.

    Spawned with the inline dispatcher, its parent can deliver a message with
    :meth:`ActorRef.call`: the handler runs at once in the caller's task, with the actor's usual
    guarantees (one message at a time) and no coroutine or task switch (a fraction of a µs).
    ``tell`` and ``ask`` work as for any actor. ``call`` raises the handler's exception in the
    caller and leaves the instance as it is (the ``escalate`` policy: the parent decides).
    """

    __slots__ = ()

    def receive(self, message: Any) -> Any:
        """Handle one message synchronously; the return value answers ``call``/``ask``."""
        raise NotImplementedError(f"{type(self).__name__} must implement receive()")

    async def handle(self, message: Any) -> Any:
        return self.receive(message)


class ActorRef(msgspec.Struct, frozen=True, eq=False, gc=False):
    """Address of a spawned actor. Cheap to copy around; valid across restarts. Two refs are
    equal only if they are the same object (as two handles of one actor may be told apart)."""

    # (a Struct without garbage-collector tracking: a run keeps a ref per node and per channel
    # until it ends, and every tracked object kept alive adds to the collector's passes; a
    # ref refers only to its cell, which never refers back to it, so it is never in a cycle)
    _cell: Cell

    @property
    def name(self) -> str:
        return self._cell.name

    @property
    def stopped(self) -> bool:
        """True once the actor has stopped for good (it will accept no more messages)."""
        return self._cell.state == "stopped"

    def __repr__(self) -> str:
        return f"<ActorRef {self._cell.path} {self._cell.state}>"

    async def tell(self, message: Any) -> None:
        """Deliver ``message`` without waiting for it to be handled.

        Waits while the mailbox is full (backpressure); does not yield when it has room. On an
        inline actor the handler runs here, in the caller's task. Raises :class:`ActorStopped`
        if the actor has stopped.
        """
        cell = self._cell
        if cell.inline:
            await cell.run_inline(message)
            return
        mailbox = cell.mailbox
        if len(mailbox.items) < mailbox.capacity:
            mailbox.put_nowait((message, None))
        else:
            await mailbox.put((message, None))

    def tell_nowait(self, message: Any) -> None:
        """Deliver ``message`` or raise :class:`MailboxFull` at once; never waits.

        Inline actors have no mailbox: this raises :class:`MailboxFull` (capacity 0); use ``tell``.
        """
        cell = self._cell
        if cell.inline:
            raise MailboxFull(cell.name, 0)
        cell.mailbox.put_nowait((message, None))

    async def ask(self, message: Any, timeout: float = DEFAULT_ASK_TIMEOUT) -> Any:
        """Deliver ``message`` and return the handler's return value.

        Raises :class:`AskTimeout` (a :class:`TimeoutError`) when no reply comes within
        ``timeout`` seconds (default :data:`DEFAULT_ASK_TIMEOUT`; waiting for mailbox room counts
        too); the message stays delivered and the late reply is discarded. Re-raises the
        handler's exception unchanged. Raises :class:`ActorStopped` if the actor is stopped or
        stops before answering. On an inline actor the handler runs in the caller's task and a
        timeout cancels it.
        """
        cell = self._cell
        if timeout == math.inf and cell.inline and not cell.busy and cell.state == "running":
            # The common inline case (a parent driving its idle child): Cell.run_inline's work
            # without its coroutine.
            cell.busy = True
            cell.holder = cell.backend.current_task()
            try:
                return await cell.instance.handle(message)
            except Exception as exc:
                await cell._inline_failed(exc)
                raise
            finally:
                cell.holder = None
                if cell.stop_requested:
                    await cell._close_held()
                if cell.waiters:
                    cell.leave()
                else:
                    cell.busy = False
        deadline = math.inf if timeout == math.inf else cell.backend.clock() + timeout
        try:
            if cell.inline:
                return await cell.run_inline(message, deadline)
            slot = cell.backend.new_slot()
            mailbox = cell.mailbox
            if len(mailbox.items) < mailbox.capacity:
                mailbox.put_nowait((message, slot))
            else:
                await mailbox.put((message, slot), deadline)
            if deadline != math.inf:
                cell.supervisor._deadlines.add(deadline, slot)
            return await slot
        except SlotTimeout:
            raise AskTimeout(cell.name, timeout) from None

    def call(self, message: Any) -> Any:
        """Deliver ``message`` to an inline :class:`SyncActor` and return its reply at once.

        The handler runs now, in the caller's task, without suspending. Raises
        :class:`ActorStopped` if the actor has stopped, ``RuntimeError`` if it is handling
        another message (``call`` cannot wait: use ``ask``), ``TypeError`` if it is not an
        inline ``SyncActor``; re-raises the handler's exception unchanged.
        """
        cell = self._cell
        receive = cell.receive
        if receive is None or cell.busy or cell.state != "running":
            return cell.call_inline(message)  # (raises the right error)
        cell.busy = True
        try:
            return receive(cell.instance, message)
        finally:
            cell.busy = False

    async def stop(self) -> None:
        """Stop the actor and wait until it has stopped.

        The message being handled completes; queued messages are discarded (their asks raise
        :class:`ActorStopped`); ``on_stop`` runs. Called from the actor's own handler it only
        requests the stop (the actor stops after the current message). Idempotent.
        """
        await self._cell.stop()

    @property
    def mailbox_depth(self) -> int:
        """Messages waiting in the mailbox (cheap; :meth:`statistics` has the full picture)."""
        return len(self._cell.mailbox)

    def statistics(self) -> MailboxStatistics:
        """A snapshot of the mailbox (depth, capacity, waiting senders)."""
        return self._cell.mailbox.statistics()
