"""``ActorSystem``: many graph runs inside one application, each streamed to any number of
subscribers. (A node's ``Runtime`` is something else: see :mod:`._context`.)"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, NoReturn

import anyio
import msgspec

from ..actors import Actor, ActorRef, Supervisor, SupervisorInfo
from ..errors import GraphError, ThreadBusyError
from ._context import RunControl
from ._loop import Run
from ._stream import STREAM_MODES, Overflow, StreamHub, Subscriber, Subscription


class RunCancelledError(GraphError):
    """``result()`` of a run that was cancelled with ``RunHandle.cancel()``."""


class _Start(msgspec.Struct, frozen=True):
    pass


class RunHandle:
    """A run started by :meth:`ActorSystem.start`: subscribe to its events, await its result,
    cancel it, look at its actor tree.

    ``run_id`` and ``thread_id`` (``None`` without one in the config) name the run.
    """

    def __init__(self, run_id: str, thread_id: str | None, hub: StreamHub, run: Run | None = None) -> None:
        self.run_id = run_id
        self.thread_id = thread_id
        self._hub = hub
        self._run = run
        self._ended = anyio.Event()
        self._output: Any = None
        self._error: BaseException | None = None
        self._scope: anyio.CancelScope | None = None
        self._cancel_requested = False

    @property
    def control(self) -> RunControl | None:
        """The run's :class:`RunControl` (the one given to :meth:`ActorSystem.start`, else its
        own): ``handle.control.request_drain(reason)`` stops the run at its next barrier (and
        its subgraphs at theirs), its ``result()`` raising ``GraphDrained``; the thread is
        checkpointed and a new run with input ``None`` resumes it."""
        return self._run.control if self._run is not None else None

    @property
    def done(self) -> bool:
        """True once the run ended (finished, failed, was cancelled or stopped)."""
        return self._ended.is_set()

    def _end(self, output: Any = None, error: BaseException | None = None) -> None:
        """Record the run's outcome (the first one recorded stands) and wake every waiter."""
        if self._ended.is_set():
            return
        self._output = output
        self._error = error
        self._ended.set()

    @asynccontextmanager
    async def subscribe(
        self,
        stream_mode: str | Sequence[str] = ("updates",),
        *,
        buffer: int = 1024,
        on_overflow: Overflow = "block",
    ) -> AsyncIterator[Subscription]:
        """Receive this run's events from now on: ``async with run.subscribe(modes) as events``
        yields a :class:`Subscription`, an async iterator of ``(mode, chunk)`` pairs.

        ``buffer`` bounds what may queue up for this subscriber; ``on_overflow`` says what
        happens beyond it: ``"block"`` holds the run at its next barrier, ``"drop"`` drops and
        counts (read the count as ``events.dropped``), ``"error"`` detaches the subscriber,
        whose iteration then raises :class:`StreamOverflow`. Leaving the block detaches without
        disturbing the run. Iteration ends when the run ends (at once if it already ended).
        An unknown stream mode raises ``ValueError`` naming it.
        """
        modes = [stream_mode] if isinstance(stream_mode, str) else list(stream_mode)
        for m in modes:
            if m not in STREAM_MODES:
                raise ValueError(f"Unknown stream mode {m!r}; expected one of {sorted(STREAM_MODES)}")
        sub = Subscriber(frozenset(modes), capacity=buffer, on_overflow=on_overflow)
        if self.done:
            sub.close()
        else:
            self._hub.subscribe(sub)
        try:
            yield Subscription(sub)
        finally:
            self._hub.unsubscribe(sub)
            sub.close()

    async def result(self) -> Any:
        """Wait for the run to end; return its output or raise its error.

        Any number of tasks may wait at once, and a cancelled wait changes nothing: every call
        made once the run ended returns the same output or raises the same error
        (:class:`RunCancelledError` when the run was cancelled or its system stopped it).
        """
        await self._ended.wait()
        if self._error is not None:
            self._raise(self._error)
        return self._output

    def tree(self) -> SupervisorInfo | None:
        """The run's actor tree now, for debugging: its barrier supervisor (``run:<graph name>``)
        with the ``hub`` actor, a ``node:<name>`` actor per node triggered so far (one per node
        for the whole run) and a ``channel:<key>`` actor per channel changed so far, each with
        its state and mailbox (:meth:`Supervisor.tree`; ``.render()`` makes it text).

        ``None`` while the run has no actor tree: before its task has started it (just after
        :meth:`ActorSystem.start`) and once it has ended (finished, failed, cancelled or
        stopped); a tree is never kept after the run, as its actors are gone.
        """
        run = self._run
        sup = run.sup if run is not None else None
        return sup.tree() if sup is not None else None

    @staticmethod
    def _raise(error: BaseException) -> NoReturn:
        # the traceback as recorded: raising the same object again must not grow it
        raise error.with_traceback(error.__traceback__)

    async def cancel(self) -> None:
        """Cancel the run (its ``result()`` raises :class:`RunCancelledError`)."""
        self._cancel_requested = True
        if self._scope is not None:
            self._scope.cancel()


class _RunActor(Actor):
    """Drives one run in its own task under the actor system's supervisor. Its ``supervisor``
    is the run's barrier supervisor while the run has one (so the system's tree nests the run's
    tree under this actor)."""

    def __init__(self, handle: RunHandle, run: Run, value: Any, system: ActorSystem) -> None:
        self.run_handle = handle
        self.run = run
        self.value = value
        self.system = system
        self.ref: ActorRef | None = None

    @property
    def supervisor(self) -> Supervisor | None:
        return self.run.sup

    async def handle(self, message: Any) -> None:
        handle = self.run_handle
        try:
            with anyio.CancelScope() as scope:
                handle._scope = scope
                if handle._cancel_requested:
                    scope.cancel()
                output = await self.run.run(self.value)
            if scope.cancelled_caught:
                handle._end(error=RunCancelledError(f"run {handle.run_id} was cancelled"))
            else:
                handle._end(output)
        except Exception as exc:
            handle._end(error=exc)
        finally:
            # cancelled from outside (the system is closing): the first outcome stands
            self.system._finished(handle)
            if self.ref is not None:
                await self.ref.stop()  # from its own handler: stops after this message


class ActorSystem:
    """Owns one supervisor for many concurrent graph runs (``async with ActorSystem() as system``).

    ``checkpointer`` (e.g. one ``SqliteSaver`` shared by every run, whose writer actor batches
    their writes) and ``store`` apply to graphs compiled without their own.

    ``await system.start(graph, input, config)`` starts a run in the background and returns a
    :class:`RunHandle`; leaving the block cancels whatever still runs (their ``result()`` raises
    :class:`RunCancelledError`). One ``thread_id`` has at most one active run: starting another
    raises :class:`ThreadBusyError`. :meth:`tree` / :meth:`dump` show every run's actor tree.

    Not to be confused with :class:`Runtime`, the object a node receives as ``runtime``.
    """

    def __init__(self, *, checkpointer: Any = None, store: Any = None, name: str = "actor-system") -> None:
        self.checkpointer = checkpointer
        self.store = store
        self.name = name
        self._supervisor = Supervisor(name=name)
        self._threads: dict[str, RunHandle] = {}
        self._active: set[RunHandle] = set()

    async def __aenter__(self) -> ActorSystem:
        await self._supervisor.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        try:
            return await self._supervisor.__aexit__(exc_type, exc, tb)
        finally:
            # runs stopped before their actor got to start them
            for handle in list(self._active):
                self._finished(handle)

    async def start(
        self, graph: Any, input: Any, config: dict[str, Any] | None = None, *, context: Any = None,
        durability: str | None = None, control: RunControl | None = None,
    ) -> RunHandle:
        """Start ``graph`` on ``input`` in the background; subscribe to it or await its result.

        ``context`` is what its nodes see as ``runtime.context``. ``control``: a
        :class:`RunControl` to drain the run with (as ``invoke(..., control=)``; without one the
        run has its own, ``handle.control``). A graph compiled without a checkpointer (or
        store) uses the system's (``ActorSystem(checkpointer=, store=)``). Raises
        :class:`ThreadBusyError` naming the thread if it already has an active run.
        """
        config = dict(config or {})
        thread = (config.get("configurable") or {}).get("thread_id")
        if thread is not None and thread in self._threads:
            raise ThreadBusyError(f"thread {thread!r} already has an active run "
                                  f"({self._threads[thread].run_id}); wait for it or cancel it")
        run_id = str(config.get("run_id") or uuid.uuid4())
        config["run_id"] = run_id
        hub = StreamHub()
        run = getattr(graph, "run_class", Run)(graph, config, hub=hub, modes=None, context=context,
                  store=self.store if self.store is not None else graph.store,
                  checkpointer=self.checkpointer, durability=durability, control=control)
        handle = RunHandle(run_id, thread, hub, run)
        if thread is not None:
            self._threads[thread] = handle
        self._active.add(handle)
        actor = _RunActor(handle, run, input, self)
        try:
            ref = actor.ref = await self._supervisor.spawn(actor, name=f"run-{run_id}", policy="stop",
                                                           mailbox_size=1)
            ref.tell_nowait(_Start())
        except BaseException:
            self._finished(handle)  # never started: free its thread
            raise
        return handle

    def tree(self) -> SupervisorInfo:
        """The system's actor tree now, for debugging: its supervisor (named after the system)
        with a ``run-<run_id>`` actor per active run, under which the run's own tree
        (:meth:`RunHandle.tree`) is nested while it has one (``ActorInfo.children``)."""
        return self._supervisor.tree()

    def dump(self) -> str:
        """:meth:`tree` rendered as indented text."""
        return self.tree().render()

    def _finished(self, handle: RunHandle) -> None:
        """The run ended or was stopped: record "stopped" unless it has an outcome, end its
        subscribers' iteration and free its thread."""
        handle._end(error=RunCancelledError(f"run {handle.run_id} was stopped"))
        handle._hub.close()
        self._active.discard(handle)
        if handle.thread_id is not None and self._threads.get(handle.thread_id) is handle:
            del self._threads[handle.thread_id]
