"""The life of one spawned actor: its message loop, its incarnations, its end.

A :class:`Cell` is what an :class:`ActorRef` points at. With the default *task* dispatcher the
cell runs :meth:`Cell.run` in its supervisor's task group; with the *inline* dispatcher there is
no task: :meth:`Cell.run_inline` runs the handler in the sender's task behind the actor's
'gate' (same one-message-at-a-time and FIFO-per-sender guarantees, no task switch).

The gate is four fields of the cell, not an object: an anyio ``Lock`` costs ~1.5-2 µs a round
even uncontended, and an inline actor is usually driven by a single parent, so the free case is
a flag test (``busy``). Waiters park on slots and the gate is handed over directly to the
oldest one, so a caller looping on the actor cannot starve others.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Final, Literal

import anyio

from .._log import enabled, get_logger
from ._actor import Actor, SyncActor
from ._errors import ActorStopped
from ._mailbox import NO_MAILBOX, Mailbox
from ._policy import Restart
from ._slot import Backend, Slot, SlotTimeout
from ._timer import Deadlines

if TYPE_CHECKING:
    from ._supervisor import Supervisor

State = Literal["starting", "running", "restarting", "stopping", "stopped"]

BURST = 64
"""Messages an actor handles back to back before it yields to the event loop once (fairness)."""

ON_STOP_GRACE = 5.0
"""Seconds ``on_stop`` may take when it runs during cancellation (it runs shielded)."""

_kernel_log = get_logger("actors")

_sync_handle = SyncActor.handle

_current_cell: ContextVar[Cell | None] = ContextVar("actorgraph_current_cell", default=None)

GONE: Final = Actor()
"""What a stopped actor's cell holds instead of its instance (see :meth:`Cell.finish`)."""


class Cell:
    """One spawned actor. Lean by design: a run spawns an inline actor per node and per channel,
    so what every actor needs is a slot set at spawn (:meth:`Supervisor.spawn_inline` sets them
    itself, without an ``__init__`` call), and what only some actors ever need (restart bookkeeping,
    cancel scopes, the stop event, the logger, gate hand-over) is a class-level default that an
    instance overrides in its own ``__dict__`` the first time it needs another value; an inline
    actor that never fails, waits or logs allocates nothing for them.
    """

    __slots__ = (
        "supervisor", "name", "instance", "inline", "backend", "mailbox", "receive", "state",
        "busy", "holder", "waiters", "stop_requested", "current", "__dict__",
    )

    # -- rarely needed: class defaults, set per instance when they change -------------------
    index: int = 0  # spawn order (rest_for_one); inline actors are never restarted by siblings
    factory: Callable[[], Actor] | None = None
    policy: Literal["escalate", "stop"] | Restart = "escalate"
    handed: Slot | None = None  # the waiter the gate was just handed to
    scope: anyio.CancelScope | None = None
    backoff: anyio.CancelScope | None = None
    restart_requested: bool = False
    restart_times: deque[float] | None = None  # (restart policies: when it restarted)
    restarts: int = 0
    _stopped_event: anyio.Event | None = None  # made when somebody waits for the stop
    _log: Any = None

    supervisor: Supervisor
    name: str
    instance: Actor
    inline: bool
    backend: Backend
    mailbox: Mailbox
    # a SyncActor's handler (its class's receive: the instance may be replaced by a restart),
    # for ActorRef.call (inline only)
    receive: Callable[[Any, Any], Any] | None
    state: State
    # the gate: ``busy`` while some task holds it (``holder``); ``waiters`` is made when
    # somebody first has to wait
    busy: bool
    holder: object
    waiters: deque[Slot] | None
    stop_requested: bool
    current: Slot | None  # the ask being answered (task dispatcher)

    def __init__(
        self,
        supervisor: Supervisor,
        name: str,
        index: int,
        instance: Actor,
        factory: Callable[[], Actor] | None,
        policy: Literal["escalate", "stop"] | Restart,
        mailbox_size: int,
        inline: bool,
        backend: Backend,
        deadlines: Deadlines,
    ) -> None:
        self.supervisor = supervisor
        self.name = name
        self.index = index
        self.instance = instance
        if factory is not None:
            self.factory = factory
        if policy != "escalate":
            self.policy = policy
        self.inline = inline
        self.backend = backend
        # an inline actor's messages are handled in the sender's task: nothing is ever queued
        # (spawn_inline gives it none; spawn(dispatcher="inline") keeps the size it was given)
        # (NoMailbox answers what an inline cell's mailbox is asked: its size, close, statistics)
        self.mailbox = (NO_MAILBOX if inline and not mailbox_size else
                        Mailbox(name, mailbox_size, backend.new_slot, deadlines))
        self.receive = type(instance).receive if inline and isinstance(instance, SyncActor) else None
        self.state = "starting"
        self.busy = False
        self.holder = None
        self.waiters = None
        self.stop_requested = False
        self.current = None

    @property
    def path(self) -> str:
        """``supervisor/actor``."""
        return f"{self.supervisor.name}/{self.name}"

    @property
    def log(self) -> Any:
        """This actor's bound logger (built on first use: most actors never log)."""
        if self._log is None:
            self._log = get_logger("actors", actor=self.name, supervisor=self.supervisor.name)
        return self._log

    # -- task dispatcher -------------------------------------------------------------------

    async def run(self) -> None:
        """Serve messages until stopped, restarting per policy; always ends in :meth:`finish`."""
        _current_cell.set(self)
        try:
            while True:
                failure = await self._incarnation(self.instance)
                if failure is None:
                    if not self.restart_requested or self.mailbox.closed:
                        return  # stopped normally
                    self.restart_requested = False
                    self._renew("sibling_restarted", 0.0)
                    continue
                self.log.error("actor_failed", exc_info=failure)
                delay = self.supervisor._child_failed(self, failure)
                if delay is None:
                    return
                self.state = "restarting"
                if delay > 0:
                    with anyio.CancelScope() as self.backoff:  # stop() cuts the wait short
                        await anyio.sleep(delay)
                    self.backoff = None
                if self.mailbox.closed:
                    return  # stopped while waiting to restart
                self._renew("failed", delay)
        finally:
            self.finish()

    async def _incarnation(self, instance: Actor) -> Exception | None:
        """Run one instance: on_start, the message loop, on_stop. Returns its failure, if any."""
        started = False
        with anyio.CancelScope() as scope:
            self.scope = scope
            try:
                await instance.on_start()
                started = True
                if self.state != "stopping":
                    self.state = "running"
                await self._serve(instance)
            except Exception as exc:
                return exc
            finally:
                self.scope = None
                self._fail_current("stopped before answering")
                if started:
                    await self._call_on_stop(instance)
        return None

    async def _serve(self, instance: Actor) -> None:
        # The hot loop: everything it touches is bound to a local.
        mailbox = self.mailbox
        items = mailbox.items
        senders = mailbox.senders
        new_slot = self.backend.new_slot
        checkpoint = self.backend.checkpoint
        handle = instance.handle
        burst = 0
        while True:
            if items:
                burst += 1
                if burst >= BURST:
                    burst = 0
                    await checkpoint()
                    continue
                message, slot = items.popleft()
                if senders:
                    mailbox.wake_sender()
            else:
                burst = 0
                if mailbox.closed:
                    return
                receiver = mailbox.receiver = new_slot()
                await receiver
                continue
            self.current = slot
            try:
                result = await handle(message)
            except Exception as exc:
                self.current = None
                if slot is not None and not slot.done():
                    slot.set_exception(exc)
                raise
            self.current = None
            if slot is not None and not slot.done():
                slot.set_result(result)

    def _renew(self, cause: str, delay: float) -> None:
        assert self.factory is not None
        self.restarts += 1
        self.instance = self.factory()
        self.state = "restarting"
        self.log.info("actor_restarted", cause=cause, restarts=self.restarts, backoff=delay)

    def request_restart(self) -> None:
        """Restart this actor with a fresh instance (strategy one_for_all / rest_for_one)."""
        if self.factory is None or self.inline or self.scope is None:
            return
        self.restart_requested = True
        self.scope.cancel()

    # -- inline dispatcher -----------------------------------------------------------------

    async def run_inline(self, message: Any, deadline: float = math.inf) -> Any:
        """Handle ``message`` in the calling task; :class:`SlotTimeout` if ``deadline`` passes.

        A finite deadline puts the handler in a cancel scope (a few µs), entered before the
        handler starts: entering it only once the handler has suspended would be cheaper, but
        a scope the handler entered before that (``anyio.sleep`` does) would then be left out of
        order. A :class:`SyncActor`'s handler never suspends: it needs none."""
        if not self.busy:
            self.busy = True
        elif self.holder is self.backend.current_task():
            raise RuntimeError(f"inline actor {self.name!r} was sent a message by its own handler")
        elif deadline == math.inf:
            await self.enter()
        else:
            entered = False
            with anyio.CancelScope(deadline=deadline):
                await self.enter()
                entered = True
            if not entered:
                raise SlotTimeout()
        self.holder = self.backend.current_task()
        try:
            if self.state == "stopped" or self.state == "stopping":
                raise ActorStopped(self.name)
            instance = self.instance
            coro = instance.handle(message)
            if deadline == math.inf or type(instance).handle is _sync_handle:  # (a SyncActor's never suspends)
                try:
                    return await coro
                except Exception as exc:
                    await self._inline_failed(exc)
                    raise
            # (the scope is entered before the handler starts: a cancel scope the handler enters
            # before it first suspends, as anyio.sleep does, must nest inside this one)
            failure: Exception | None = None
            with anyio.CancelScope(deadline=deadline):
                try:
                    return await coro
                except Exception as exc:
                    failure = exc
            if failure is not None:
                await self._inline_failed(failure)
                raise failure
            raise SlotTimeout()
        finally:
            self.holder = None
            if self.stop_requested:
                await self._close_held()
            self.leave()

    def call_inline(self, message: Any) -> Any:
        """:meth:`ActorRef.call`: run a :class:`SyncActor`'s ``receive`` here and now."""
        receive = self.receive
        if receive is None or self.busy or self.state != "running":
            if receive is None:
                raise TypeError(f"actor {self.name!r} is not an inline SyncActor: call() needs one")
            if self.state == "stopped" or self.state == "stopping":
                raise ActorStopped(self.name)
            if self.busy:
                raise RuntimeError(f"actor {self.name!r} is handling another message: call() cannot wait (use ask)")
        self.busy = True
        try:
            return receive(self.instance, message)
        finally:
            self.busy = False

    async def enter(self) -> None:
        """Wait until the gate is ours (cancellation-safe)."""
        if not self.busy:
            self.busy = True
            return
        slot = self.backend.new_slot()
        if self.waiters is None:
            self.waiters = deque()
        self.waiters.append(slot)
        try:
            await slot
        except BaseException:
            if self.handed is slot:  # handed over to us just as we were cancelled
                self.handed = None
                self.leave()
            raise
        self.handed = None

    def leave(self) -> None:
        """Release the gate, handing it to the oldest live waiter if there is one."""
        waiters = self.waiters
        while waiters:
            slot = waiters.popleft()
            if not slot.done():
                self.handed = slot
                slot.set_result(None)
                return
        self.busy = False

    async def _inline_failed(self, exc: Exception) -> None:
        # The caller (the parent driving this actor) receives the exception; the policy only
        # decides what becomes of the instance.
        self.log.error("actor_failed", exc_info=exc)
        policy = self.policy
        if isinstance(policy, Restart) and self.supervisor._restart_allowed(self, policy):
            stopping = self.state == "stopping"
            await self._call_on_stop(self.instance)
            self._renew("failed", 0.0)
            await self.instance.on_start()
            self.state = "stopping" if stopping else "running"
        elif policy != "escalate":
            self.stop_requested = True

    async def _close_held(self) -> None:
        """Stop an inline actor whose gate the current task holds."""
        self.stop_requested = False
        if self.state != "stopped":
            self.state = "stopping"
            await self._call_on_stop(self.instance)
            self.finish()

    async def close(self, grace: float | None = None) -> None:
        """Stop an inline actor: wait for the handler in progress, run ``on_stop``, finish.

        Called from its own handler it only requests the stop (done once the handler returns).
        With ``grace`` (during shutdown) the wait is shielded and bounded: past it, the actor is
        stopped without waiting any longer.
        """
        if self.state == "stopped":
            return
        if self.busy and self.holder is self.backend.current_task():
            self.stop_requested = True
            return
        self.state = "stopping"  # callers still waiting for the gate get ActorStopped
        if grace is None or not self.busy:
            await self.enter()
        else:
            entered = False
            with anyio.move_on_after(grace, shield=True):
                await self.enter()
                entered = True
            if not entered:
                await self._close_held()
                return
        try:
            await self._close_held()
        finally:
            self.leave()

    # -- ending ----------------------------------------------------------------------------

    async def _call_on_stop(self, instance: Actor) -> None:
        if type(instance).on_stop is Actor.on_stop:
            return  # nothing to run: skip the shielded scope
        with anyio.move_on_after(ON_STOP_GRACE, shield=True):
            try:
                await instance.on_stop()
            except Exception as exc:
                self.log.error("actor_on_stop_failed", exc_info=exc)

    def _fail_current(self, detail: str) -> None:
        slot = self.current
        if slot is not None:
            self.current = None
            if not slot.done():
                slot.set_exception(ActorStopped(self.name, detail))

    def finish(self, forget: bool = True) -> None:
        """Mark the actor stopped for good: fail every queued ask, wake everybody waiting.
        ``forget=False``: the supervisor drops it from its children itself (it is leaving)."""
        if self.state == "stopped":
            return
        self.state = "stopped"
        # The instance is let go of: an ActorRef is not tracked by the garbage collector, so
        # a cycle through one (an actor keeping its own ref, or a ref to an actor that keeps
        # one back) would never be freed while the cell held the instance
        self.instance = GONE
        if self.mailbox is not NO_MAILBOX:
            for _message, slot in self.mailbox.close():
                if slot is not None and not slot.done():
                    slot.set_exception(ActorStopped(self.name, "stopped before answering"))
        if self.current is not None:
            self._fail_current("stopped before answering")
        if self._stopped_event is not None:
            self._stopped_event.set()
        if forget:
            self.supervisor._forget(self)
        if self.supervisor._logging and enabled(_kernel_log):
            self.log.info("actor_stopped", restarts=self.restarts)

    async def stop(self) -> None:
        if self.state == "stopped":
            return
        if self.inline:
            await self.close()
            return
        self.state = "stopping"
        for _message, slot in self.mailbox.close():
            if slot is not None and not slot.done():
                slot.set_exception(ActorStopped(self.name, "stopped before answering"))
        if self.backoff is not None:
            self.backoff.cancel()
        if _current_cell.get() is not self:
            if self._stopped_event is None:
                self._stopped_event = anyio.Event()
            await self._stopped_event.wait()
