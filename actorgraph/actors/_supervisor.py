"""``Supervisor``: owns a task group, spawns actors, decides what a failure does."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Literal, TypeVar

import anyio
import msgspec
from anyio.abc import TaskGroup

from .._log import enabled, get_logger
from ._actor import Actor, ActorRef, SyncActor
from ._cell import GONE, ON_STOP_GRACE, Cell
from ._errors import SpawnError
from ._mailbox import NO_MAILBOX
from ._policy import Policy, Restart, Strategy, normalize_policy
from ._slot import Backend, current_backend
from ._threads import WorkerThreads
from ._timer import Deadlines

T = TypeVar("T")

_log = get_logger("actors")

_new = object.__new__

_inline_kinds: dict[type[Actor], bool] = {}
"""Actor classes :meth:`Supervisor.spawn_inline` has taken (checked once): whether each is a
:class:`SyncActor` (``ActorRef.call`` runs its ``receive``)."""


def _inline_kind(kind: type[Actor]) -> bool:
    """Check that ``kind`` can be spawned inline without suspending (no ``on_start`` of its
    own) and remember whether it is a :class:`SyncActor` (see ``_inline_kinds``)."""
    if kind.on_start is not Actor.on_start:
        raise SpawnError(f"{kind.__name__} has an on_start(): spawn it with 'await spawn(...)'")
    sync = _inline_kinds[kind] = issubclass(kind, SyncActor)
    return sync

DEFAULT_MAILBOX_SIZE = 1024
"""Mailbox capacity of a spawned actor unless ``mailbox_size`` says otherwise."""

Dispatcher = Literal["task", "inline"]


class ActorInfo(msgspec.Struct, frozen=True):
    """One line of :meth:`Supervisor.tree`."""

    name: str
    state: str
    dispatcher: str
    policy: str
    mailbox_depth: int
    mailbox_size: int
    restarts: int
    children: SupervisorInfo | None = None


class SupervisorInfo(msgspec.Struct, frozen=True):
    """A supervisor and its actors, for debugging (:meth:`Supervisor.tree`)."""

    name: str
    strategy: str
    actors: list[ActorInfo]

    def render(self, indent: str = "") -> str:
        lines = [f"{indent}{self.name} [{self.strategy}]"]
        for a in self.actors:
            lines.append(
                f"{indent}  {a.name}: {a.state}, mailbox {a.mailbox_depth}/{a.mailbox_size}, "
                f"{a.dispatcher}, policy={a.policy}, restarts={a.restarts}"
            )
            if a.children is not None:
                lines.append(a.children.render(indent + "    "))
        return "\n".join(lines)


class Supervisor:
    """Owns actors; ``async with Supervisor() as sup:`` is their lifetime.

    Each task-dispatched actor runs in the supervisor's task group. When one raises, its policy
    decides: ``escalate`` (default) cancels every sibling and re-raises the original exception
    from ``async with`` (not wrapped in an exception group); ``restart`` brings up a fresh
    instance (and, per ``strategy``, restarts siblings too); ``stop`` ends that actor only.
    Leaving the block, by any route (normal end, error, outer cancellation), cancels every
    actor; queued messages are discarded and pending asks raise :class:`ActorStopped`.
    No task outlives the block.

    ``tasks=False``: a supervisor of inline actors only (``spawn(..., dispatcher="inline")``,
    :meth:`spawn_inline`) needs no task group, and entering and leaving it costs next to
    nothing (~1 µs instead of tens); spawning a task-dispatched actor or a task, or
    :meth:`cancel`, then raise :class:`SpawnError`.
    """

    def __init__(self, name: str = "supervisor", *, strategy: Strategy = "one_for_one",
                 tasks: bool = True) -> None:
        if strategy not in ("one_for_one", "one_for_all", "rest_for_one"):
            raise ValueError(f"unknown restart strategy {strategy!r}")
        self.name = name
        self.strategy: Strategy = strategy
        self._children: dict[str, Cell] = {}
        self._counter = itertools.count()
        self._tg: TaskGroup | None = None
        self._tasks = tasks
        self._running = False
        self._backend: Backend | None = None
        self._failure: BaseException | None = None
        self._timers: Deadlines | None = None  # made on first use (_deadlines): runs never need one
        self._logging = enabled(_log)  # (a bound logger is made only when it logs: _bound_log)
        self._bound: Any = None
        self._busy = False  # a task was started in the task group (else leaving needs no cancel)
        self._threads: WorkerThreads | None = None  # made on the first run_sync()

    async def __aenter__(self) -> Supervisor:
        if self._running:
            raise RuntimeError(f"supervisor {self.name!r} is already running")
        self._backend = current_backend()
        self._timers = None
        if self._tasks:
            tg = anyio.create_task_group()
            await tg.__aenter__()
            self._tg = tg
        self._running = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        assert self._running, "supervisor was not entered"
        self._running = False
        tg = self._tg
        self._tg = None
        if self._busy and tg is not None:
            tg.cancel_scope.cancel()
        children = self._children
        if self._threads is not None:
            threads, self._threads = self._threads, None
            with anyio.CancelScope(shield=True):
                await threads.aclose()
        if children:
            await self._stop_inline(children)
        if tg is None:
            return False
        try:
            suppressed = bool(await tg.__aexit__(exc_type, exc, tb))
        except BaseExceptionGroup as group:
            # Children never raise into the group but their cancellation (trio: a cancelled
            # outer scope reaches them as Cancelled), so it holds the body's own exception:
            # that one goes on, unwrapped (the cancellation takes effect at the next checkpoint)
            if self._failure is None and exc is not None and exc in group.exceptions:
                cancelled = anyio.get_cancelled_exc_class()
                if all(e is exc or isinstance(e, cancelled) for e in group.exceptions):
                    return False
            if self._failure is None:
                raise
            suppressed = True
        failure = self._failure
        if failure is None:
            return suppressed
        context = failure.__context__
        try:
            raise failure
        finally:
            failure.__context__ = context  # keep the child's context, not our cancellation

    async def _stop_inline(self, children: dict[str, Cell]) -> None:
        """Stop every inline actor (leaving the block), in spawn order: an idle one with nothing
        to run on stop is just marked stopped (no gate to take, nobody to wake: the common case,
        a run's node and channel actors), the others are closed properly."""
        base_on_stop = Actor.on_stop
        tasks = False  # some children are task-dispatched (they stay: the task group ends them)
        logging = self._logging  # (finish() logs each stop)
        # (an inline actor never has a _stopped_event: its stop() closes it in the caller)
        for cell in list(children.values()):
            if not cell.inline:
                tasks = True
            elif (cell.busy or logging or cell.mailbox is not NO_MAILBOX
                  or type(cell.instance).on_stop is not base_on_stop):
                if cell.busy or type(cell.instance).on_stop is not base_on_stop:
                    await cell.close(grace=ON_STOP_GRACE)
                else:
                    cell.finish(forget=False)  # idle, nothing to run on stop: no need to take its gate
            else:
                cell.state = "stopped"
                cell.instance = GONE  # (as Cell.finish: no cycle through an untracked ActorRef)
        if not tasks:
            children.clear()
        else:
            for name in [n for n, c in children.items() if c.inline]:
                del children[name]

    async def spawn(
        self,
        actor: Actor | Callable[[], Actor],
        *,
        name: str | None = None,
        mailbox_size: int = DEFAULT_MAILBOX_SIZE,
        policy: Policy = "escalate",
        dispatcher: Dispatcher = "task",
    ) -> ActorRef:
        """Start ``actor`` (an instance, or a zero-argument factory such as the class itself).

        ``policy="restart"`` (or :class:`Restart`) needs a factory: a restart builds a fresh
        instance. ``dispatcher="inline"`` runs the handler in the sender's task (for actors only
        ever driven by their parent); its ``on_start`` runs here, and its handler errors raise in
        the sender. Raises :class:`SpawnError` for a duplicate name or a supervisor not running.
        """
        tg, backend = self._tg, self._backend
        if not self._running or backend is None:
            raise SpawnError(f"supervisor {self.name!r} is not running (use 'async with')")
        if tg is None and dispatcher != "inline":
            raise SpawnError(f"supervisor {self.name!r} has no task group (tasks=False): inline actors only")
        if isinstance(actor, Actor):
            instance, factory = actor, None
        elif callable(actor):
            factory = actor
            instance = factory()
            if not isinstance(instance, Actor):
                raise SpawnError(f"factory {actor!r} returned {instance!r}, not an Actor")
        else:
            raise SpawnError(f"spawn() needs an Actor or a factory, got {actor!r}")
        normalized = normalize_policy(policy)
        if isinstance(normalized, Restart) and factory is None:
            raise SpawnError(
                f"policy 'restart' needs a factory (e.g. {type(instance).__name__}), not an instance"
            )
        if dispatcher not in ("task", "inline"):
            raise SpawnError(f"unknown dispatcher {dispatcher!r}: use 'task' or 'inline'")
        index = next(self._counter)
        if name is None:
            name = f"{type(instance).__name__.lower()}-{index}"
        if name in self._children:
            raise SpawnError(f"supervisor {self.name!r} already has an actor named {name!r}")
        cell = Cell(self, name, index, instance, factory, normalized, mailbox_size,
                    dispatcher == "inline", backend, self._deadlines)
        self._children[name] = cell
        if cell.inline:
            try:
                await instance.on_start()
            except BaseException:
                cell.finish()
                raise
            cell.state = "running"
        else:
            assert tg is not None
            self._busy = True
            tg.start_soon(cell.run, name=cell.path)
        if enabled(_log):
            self._bound_log().info("actor_spawned", actor=name, dispatcher=dispatcher,
                           policy=_policy_name(normalized))
        return ActorRef(cell)

    def spawn_inline(self, actor: Actor, *, name: str) -> ActorRef:
        """Spawn ``actor`` with the inline dispatcher and the ``escalate`` policy, without
        suspending: the cheap way for a parent to bring up the many small actors it alone
        drives (its ``on_start`` must be the default one, which does nothing). Same actor,
        same guarantees as ``spawn(actor, name=name, dispatcher="inline")``; it has no mailbox
        (capacity 0: its messages are handled in the sender's task, concurrent senders queue at
        its gate).
        Raises :class:`SpawnError` like :meth:`spawn`.
        """
        backend = self._backend
        if not self._running or backend is None:
            raise SpawnError(f"supervisor {self.name!r} is not running (use 'async with')")
        kind = type(actor)
        try:
            sync = _inline_kinds[kind]
        except KeyError:
            sync = _inline_kind(kind)
        # Cell's slots set here without an __init__ call: this runs for every
        # node and channel of every run (Cell's other fields keep their class defaults)
        cell = _new(Cell)
        cell.supervisor = self
        cell.name = name
        cell.instance = actor
        cell.inline = True
        cell.backend = backend
        cell.mailbox = NO_MAILBOX
        cell.receive = kind.receive if sync else None  # type: ignore[attr-defined]
        cell.state = "running"
        cell.busy = False
        cell.holder = None
        cell.waiters = None
        cell.stop_requested = False
        cell.current = None
        if self._children.setdefault(name, cell) is not cell:
            raise SpawnError(f"supervisor {self.name!r} already has an actor named {name!r}")
        if self._logging:
            self._bound_log().info("actor_spawned", actor=name, dispatcher="inline", policy="escalate")
        return ActorRef(cell)

    def start_soon(self, func: Callable[..., Coroutine[Any, Any, Any]], *args: Any,
                   name: str | None = None) -> None:
        """Run a plain task (not an actor) under this supervisor; it is cancelled with the rest
        when the block is left or :meth:`cancel` is called. Its exception is not supervised: the
        task must handle its own errors (an escaping one propagates from ``async with`` in an
        exception group, like any task group child)."""
        if self._tg is None:
            raise SpawnError(f"supervisor {self.name!r} is not running (use 'async with')" if not self._running
                             else f"supervisor {self.name!r} has no task group (tasks=False)")
        self._busy = True
        self._tg.start_soon(func, *args, name=name)

    async def run_sync(self, fn: Callable[[], T]) -> T:
        """Run the sync ``fn()`` in a worker thread, in a copy of the caller's context, and
        return its result. The thread is never abandoned: the wait is shielded, so a
        cancellation of the caller takes effect after ``fn`` has returned, at the caller's next
        checkpoint (asyncio's native ``task.cancel()`` cannot be shielded: then the call is
        still waited for, and ``CancelledError`` raised instead of the result). The threads are
        this supervisor's while it runs (taken when first needed, reused, handed back to the
        cache of idle threads once their calls have returned when it stops; see
        :mod:`._threads`), cheaper than ``anyio.to_thread.run_sync``.
        ``anyio.from_thread`` (and on trio ``trio.from_thread``) works in the thread. Available
        with ``tasks=False`` too."""
        threads = self._threads
        if threads is None:
            if not self._running or self._backend is None:
                raise SpawnError(f"supervisor {self.name!r} is not running (use 'async with')")
            threads = self._threads = WorkerThreads(self.name, self._backend)
        return await threads.run_sync(fn)

    @property
    def _deadlines(self) -> Deadlines:
        """The timer of this supervisor's timed asks and mailbox waits, made when first needed
        (it refers back to the supervisor: a supervisor without one is freed by refcounting)."""
        timers = self._timers
        if timers is None:
            timers = self._timers = Deadlines(self._start_timer)
        return timers

    def _bound_log(self) -> Any:
        if self._bound is None:
            self._bound = get_logger("actors", supervisor=self.name)
        return self._bound

    def cancel(self) -> None:
        """Cancel every actor and task of this supervisor (the ``async with`` block too).
        Not available with ``tasks=False`` (:class:`SpawnError`): there is nothing to cancel but
        the caller's own block."""
        if self._running and self._tg is None:
            raise SpawnError(f"supervisor {self.name!r} has no task group (tasks=False) to cancel")
        if self._tg is not None:
            self._tg.cancel_scope.cancel()

    def children(self) -> list[ActorRef]:
        """References to the live actors, in spawn order."""
        return [ActorRef(c) for c in self._children.values()]

    def tree(self) -> SupervisorInfo:
        """The supervisor's actors with state, mailbox depth and restarts, for debugging.

        An actor whose instance has a running :class:`Supervisor` in its ``supervisor``
        attribute shows that supervisor's tree nested under it.
        """
        infos = []
        for cell in self._children.values():
            sub = getattr(cell.instance, "supervisor", None)
            infos.append(ActorInfo(
                name=cell.name,
                state=cell.state,
                dispatcher="inline" if cell.inline else "task",
                policy=_policy_name(cell.policy),
                mailbox_depth=len(cell.mailbox),
                mailbox_size=cell.mailbox.capacity,
                restarts=cell.restarts,
                children=sub.tree() if isinstance(sub, Supervisor) else None,
            ))
        return SupervisorInfo(name=self.name, strategy=self.strategy, actors=infos)

    def dump(self) -> str:
        """:meth:`tree` rendered as indented text."""
        return self.tree().render()

    # -- called by cells -------------------------------------------------------------------

    def _start_timer(self, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        if self._tg is not None:
            self._busy = True
            self._tg.start_soon(run, name=f"{self.name}/deadlines")

    def _forget(self, cell: Cell) -> None:
        if self._children.get(cell.name) is cell:
            del self._children[cell.name]

    def _escalate(self, exc: BaseException) -> None:
        if self._failure is None:
            self._failure = exc
        if self._tg is not None:
            self._tg.cancel_scope.cancel()

    def _restart_allowed(self, cell: Cell, policy: Restart) -> bool:
        assert self._backend is not None
        now = self._backend.clock()
        times = cell.restart_times
        if times is None:
            times = cell.restart_times = deque()
        while times and times[0] <= now - policy.within:
            times.popleft()
        if len(times) >= policy.max_restarts:
            return False
        times.append(now)
        return True

    def _child_failed(self, cell: Cell, exc: Exception) -> float | None:
        """Apply ``cell``'s policy to its failure: the restart delay, or None when it ends."""
        policy = cell.policy
        if policy == "stop":
            return None
        if policy == "escalate" or not self._restart_allowed(cell, policy):
            self._escalate(exc)
            return None
        assert isinstance(policy, Restart)
        if self.strategy != "one_for_one":
            for other in list(self._children.values()):
                if other is not cell and (self.strategy == "one_for_all" or other.index > cell.index):
                    other.request_restart()
        return policy.delay(len(cell.restart_times or ()))


def _policy_name(policy: Any) -> str:
    return "restart" if isinstance(policy, Restart) else str(policy)
