"""The life of one spawned actor: its message loop, its incarnations, its end.

A :class:`Cell` is what an :class:`ActorRef` points at. With the default *task* dispatcher the
cell runs :meth:`Cell.run` in its supervisor's task group; with the *inline* dispatcher there is
no task: :meth:`Cell.run_inline` runs the handler in the sender's task under the actor's lock
(same one-message-at-a-time and FIFO-per-sender guarantees, no task switch).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Literal

import anyio
import anyio.lowlevel

from .._log import get_logger
from ._actor import Actor
from ._errors import ActorStopped
from ._mailbox import Mailbox
from ._policy import Restart
from ._slot import Backend, Slot

if TYPE_CHECKING:
    from ._supervisor import Supervisor

State = Literal["starting", "running", "restarting", "stopping", "stopped"]

BURST = 64
"""Messages an actor handles back to back before it yields to the event loop once (fairness)."""

ON_STOP_GRACE = 5.0
"""Seconds ``on_stop`` may take when it runs during cancellation (it runs shielded)."""

_current_cell: ContextVar[Cell | None] = ContextVar("actorgraph_current_cell", default=None)


class Cell:
    __slots__ = (
        "supervisor", "name", "path", "index", "factory", "instance", "policy", "inline",
        "backend", "mailbox", "state", "lock", "scope", "restart_requested", "restart_times",
        "restarts", "current", "stopped_event", "log",
    )

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
    ) -> None:
        self.supervisor = supervisor
        self.name = name
        self.path = f"{supervisor.name}/{name}"
        self.index = index
        self.instance = instance
        self.factory = factory
        self.policy = policy
        self.inline = inline
        self.backend = backend
        self.mailbox = Mailbox(name, mailbox_size, backend.new_slot)
        self.state: State = "starting"
        self.lock = anyio.Lock(fast_acquire=True) if inline else None
        self.scope: anyio.CancelScope | None = None
        self.restart_requested = False
        self.restart_times: deque[float] = deque()
        self.restarts = 0
        self.current: Slot | None = None
        self.stopped_event = anyio.Event()
        self.log = get_logger("actors", actor=name, supervisor=supervisor.name)

    # -- task dispatcher -------------------------------------------------------------------

    async def run(self) -> None:
        """Serve messages until stopped, restarting per policy; always ends in :meth:`finish`."""
        _current_cell.set(self)
        try:
            while True:
                failure = await self._incarnation(self.instance)
                if failure is None:
                    if not self.restart_requested:
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
                    await anyio.sleep(delay)
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
        mailbox = self.mailbox
        items = mailbox._items
        handle = instance.handle
        burst = 0
        while True:
            if items:
                burst += 1
                if burst >= BURST:
                    burst = 0
                    await anyio.lowlevel.checkpoint()
                    continue
                message, slot = mailbox.get_nowait()
            else:
                burst = 0
                if mailbox.closed:
                    return
                try:
                    message, slot = await mailbox.get()
                except ActorStopped:
                    return
            self.current = slot
            try:
                result = await handle(message)
            except Exception as exc:
                if slot is not None:
                    slot.set_exception(exc)
                self.current = None
                raise
            self.current = None
            if slot is not None:
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

    async def run_inline(self, message: Any) -> Any:
        lock = self.lock
        assert lock is not None
        async with lock:
            if self.state == "stopped":
                raise ActorStopped(self.name)
            try:
                return await self.instance.handle(message)
            except Exception as exc:
                await self._inline_failed(exc)
                raise

    async def _inline_failed(self, exc: Exception) -> None:
        # The caller (the parent driving this actor) receives the exception; the policy only
        # decides what becomes of the instance.
        self.log.error("actor_failed", exc_info=exc)
        policy = self.policy
        if isinstance(policy, Restart) and self.supervisor._restart_allowed(self, policy):
            await self._call_on_stop(self.instance)
            self._renew("failed", 0.0)
            await self.instance.on_start()
            self.state = "running"
        elif policy != "escalate":
            await self.close()

    # -- ending ----------------------------------------------------------------------------

    async def _call_on_stop(self, instance: Actor) -> None:
        with anyio.move_on_after(ON_STOP_GRACE, shield=True):
            try:
                await instance.on_stop()
            except Exception as exc:
                self.log.error("actor_on_stop_failed", exc_info=exc)

    def _fail_current(self, detail: str) -> None:
        slot = self.current
        if slot is not None:
            self.current = None
            slot.set_exception(ActorStopped(self.name, detail))

    def finish(self) -> None:
        """Mark the actor stopped for good: fail every queued ask, wake everybody waiting."""
        if self.state == "stopped":
            return
        self.state = "stopped"
        for _message, slot in self.mailbox.close():
            if slot is not None:
                slot.set_exception(ActorStopped(self.name, "stopped before answering"))
        self._fail_current("stopped before answering")
        self.stopped_event.set()
        self.supervisor._forget(self)
        self.log.info("actor_stopped", restarts=self.restarts)

    async def close(self) -> None:
        """Stop an inline actor (runs its ``on_stop``)."""
        if self.state != "stopped":
            self.state = "stopping"
            await self._call_on_stop(self.instance)
            self.finish()

    async def stop(self) -> None:
        if self.state == "stopped":
            return
        if self.inline:
            await self.close()
            return
        self.state = "stopping"
        for _message, slot in self.mailbox.close():
            if slot is not None:
                slot.set_exception(ActorStopped(self.name, "stopped before answering"))
        if _current_cell.get() is not self:
            await self.stopped_event.wait()
