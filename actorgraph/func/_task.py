"""``@task``: a function whose calls inside an entrypoint run as tasks of the run.

Calling a task inside a running entrypoint (or inside another task) returns a
:class:`TaskFuture` at once; the call itself is an ``Execute`` message to the run's actor of
that task name (a :class:`TaskActor`, spawned inline under the run's supervisor the first time
the name is called), which starts it in the entrypoint's task group: several calls run
concurrently. A finished call's return value is a pending write (``__return__``) of the step's
checkpoint, saved as soon as it finishes (``sync``/``async`` durability; with ``exit``, when the
run stops), so the entrypoint run again after an interrupt or a crash gets it back instead of
calling the function again. Call ids are deterministic: the caller's task id, the step, the
task's name and the call's index among the caller's calls.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import logging
import sys
import threading
import typing
from datetime import timedelta
from collections.abc import Awaitable, Callable, Generator, Sequence
from contextvars import Context, ContextVar, copy_context
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, overload

import anyio
import anyio.from_thread

from .._log import enabled, get_logger
from ..actors import SyncActor
from ..actors._group import TaskGroup
from ..actors._slot import Backend, Slot, current_backend
from ..errors import (
    AsyncTaskInSyncRunError, GraphBubbleUp, GraphInterrupt, GraphValidationError, NodeCancelledError, TaskCancelledError,
)
from ..graph._program import NodeCall, NodeProgram, task_path_str
from ..runtime._algo import PUSH, Task, task_id
from ..runtime._context import TaskContext, current_task, own_context
from ..runtime._persist import NO_WRITES
from ..runtime._cache import lookup as cache_lookup, namespace as cache_namespace, store as cache_store
from ..runtime._task import Execute, cancelling, in_thread, is_cancelled, timed_call
from ..persistence._records import ERROR, INTERRUPT, RESUME
from ..types import CachePolicy, RetryPolicy, TimeoutPolicy, retry_policies

if TYPE_CHECKING:
    from ..cache import BaseCache
    from ..runtime._loop import Run

P = ParamSpec("P")
T = TypeVar("T")

RETURN = "__return__"
"""The channel name of a task call's pending write (LangGraph's)."""

log = get_logger("func")


class TaskFuture(Generic[T]):
    """The result of a task call, to come: ``await future`` in async code, ``future.result()``
    in sync code (an entrypoint running in a worker thread). Raises what the task raised.
    :meth:`cancel` cancels the call, as LangGraph's futures do."""

    __slots__ = ("_on_loop", "_done", "_value", "_error", "_waiters", "_event", "name", "_scope",
                 "_handle", "_started", "_cancelled")

    def __init__(self, name: str, on_loop: Callable[[], bool], scope: Scope | None = None) -> None:
        self.name = name
        self._scope = scope  # a graph node's calls: started when first waited for
        self._on_loop = on_loop  # called on the run's loop's thread? (see current_loop_checker)
        self._done = False
        self._value: Any = None
        self._error: BaseException | None = None
        self._waiters: list[Slot] | None = None
        self._event: threading.Event | None = None
        self._handle: Any = None  # what stops the running async call: its asyncio task (None on trio)
        self._started = False  # (its _run_call runs: an asyncio task not started yet is not cancelled)
        self._cancelled = False

    def done(self) -> bool:
        """The call finished (returned, raised or was cancelled)."""
        return self._done

    def cancelled(self) -> bool:
        """:meth:`cancel` cancelled the call."""
        return self._cancelled

    def cancel(self) -> bool:
        """Cancel the call, as LangGraph's futures: ``False`` if it already finished (or was
        cancelled), else ``True`` — the future is done at once, and awaiting it or calling
        :meth:`result` raises :class:`~actorgraph.errors.TaskCancelledError` (an
        ``asyncio.CancelledError`` and a ``concurrent.futures.CancelledError``). A call not
        started yet never runs; a running ``async`` task is cancelled where it awaits on
        asyncio (on trio, where a cancel scope per call would cost a quarter of every call,
        it runs to its end and its result is dropped); a sync task's thread cannot be
        stopped: it runs to its end and its result is dropped. Either way the call is recorded as failed with that error (a
        pending write, as LangGraph's): an entrypoint resumed later calls it again.
        Callable from the entrypoint's thread or the event loop's."""
        if self._done:
            return False
        if not self._on_loop():
            return bool(anyio.from_thread.run_sync(self._cancel))
        return self._cancel()

    def _cancel(self) -> bool:
        if self._done:
            return False
        self._cancelled = True
        self._finish(None, TaskCancelledError(self.name))
        handle, self._handle = self._handle, None
        if handle is not None and self._started:
            handle.cancel()
        return True

    def _finish(self, value: Any, error: BaseException | None) -> None:
        if self._done:
            return
        self._done = True
        self._value = value
        self._error = error
        waiters = self._waiters
        if waiters is not None:
            self._waiters = None
            for slot in waiters:
                if not slot.done():
                    slot.set_result(None)
        if self._event is not None:
            self._event.set()

    def _outcome(self) -> T:
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[no-any-return]

    def result(self, timeout: float | None = None) -> T:
        """Wait for the call (blocking this thread) and return its value, or raise its error.

        In async code, ``await`` the future instead: blocking the event loop's thread would
        deadlock the run (``RuntimeError``, unless the call is already done).
        """
        if self._done:
            return self._outcome()
        scope = self._scope
        on_loop = self._on_loop()
        if scope is not None and scope.pending:
            if not on_loop:
                anyio.from_thread.run(_drain, scope, self)
            elif scope.group is None:  # a sync node running on the loop's thread (under invoke())
                _drain_inline(scope)
            if self._done:
                return self._outcome()
        if on_loop:
            raise RuntimeError(
                f"TaskFuture.result() of task '{self.name}' called on the event loop's thread before "
                "the task finished: use 'await future' in an async entrypoint"
            )
        if self._event is None:
            anyio.from_thread.run_sync(self._make_event)
        assert self._event is not None
        if not self._event.wait(timeout):
            raise TimeoutError(f"task '{self.name}' did not finish within {timeout} s")
        return self._outcome()

    def _make_event(self) -> None:  # (on the loop's thread: no race with _finish)
        self._event = threading.Event()
        if self._done:
            self._event.set()

    def __await__(self) -> Generator[Any, Any, T]:
        scope = self._scope
        if not self._done and scope is not None and scope.pending:
            yield from _drain(scope, self).__await__()
        if not self._done:
            if scope is None:
                slot = current_backend().new_slot()
            else:  # (the backend looked up once per scope: here, on the run's loop)
                backend = scope.backend
                if backend is None:
                    backend = scope.backend = current_backend()
                slot = backend.new_slot()
            if self._waiters is None:
                self._waiters = [slot]
            else:
                self._waiters.append(slot)
            yield from slot.__await__()
        return self._outcome()

    def __repr__(self) -> str:
        state = "done" if self._done else "pending"
        return f"<TaskFuture {self.name!r} {state}>"


class Caller:
    """Who is calling tasks: the entrypoint's task or a task call's own (``index`` counts its
    calls, which makes their ids), in the entrypoint's :class:`Scope`."""

    __slots__ = ("scope", "task", "index")

    def __init__(self, scope: Scope, task: Task) -> None:
        self.scope = scope
        self.task = task
        self.index = 0


class Scope:
    """One execution of an entrypoint's task: the run, the task group where its calls run,
    the calls' results found again on resume, the calls that stopped at ``interrupt()``.

    A graph node's task (a ``StateGraph`` node calling tasks) has a scope without a group:
    its calls wait in ``pending`` and all start when the node first waits for one of them
    (``owner`` is the node's context)."""

    __slots__ = ("run", "group", "found", "asked", "running", "settled", "pending", "owner", "lazy", "flush_due",
                 "backend", "starter", "parked", "prefixes")

    def __init__(self, run: Run, group: TaskGroup | None, owner: TaskContext | None = None,
                 lazy: Task | None = None) -> None:
        self.run = run
        self.group = group
        self.owner = owner
        # (the calls not started yet, each with the context it runs in: None for a node's)
        self.pending: list[tuple[TaskFunction[..., Any], Task, TaskFuture[Any], Context | None]] = []
        # An entrypoint's own calls (its task ``lazy``): each starts in the group at the loop's
        # next turn (asyncio: one callback for all made meanwhile, ``flush_due``; trio: the
        # ``starter`` task of the scope, woken when ``parked``), unless the entrypoint awaits it
        # first, alone: then it runs in the entrypoint's task (see _drain), in a copy of the
        # context taken at the call, as its own task would have
        self.lazy = lazy
        self.flush_due = False
        self.starter: Any = None  # (trio: the scope's starter task, once started)
        self.parked = False  # (trio: the starter waits to be woken)
        self.prefixes: dict[Any, str] | None = None  # (see _path_str)
        self.backend: Backend | None = None  # (its futures' slots: see TaskFuture.__await__)
        self.found = run.call_writes  # task id -> writes of calls finished before (a resume)
        # id(GraphInterrupt) -> (the call that raised it, it): calls that asked a question
        self.asked: dict[int, tuple[Task, GraphInterrupt]] = {}
        self.running = 0
        self.settled = False  # async durability: the step's checkpoint is committed


current_caller: ContextVar[Caller | None] = ContextVar("actorgraph_func_caller", default=None)


class TaskActor(SyncActor):
    """The actor of one task name in one run: it receives an ``Execute`` per call of the
    task and starts the call in the calling entrypoint's task group (calls run concurrently;
    an entrypoint's own call at the loop's next turn, or in the entrypoint's task if awaited
    at once: see :class:`Scope`). ``executed`` counts the calls it started."""

    def __init__(self, fn: TaskFunction[..., Any]) -> None:
        self.fn = fn
        self.executed = 0

    def receive(self, message: Any) -> None:
        task: Task = message.task
        scope, future, lazy = message.barrier
        self.executed += 1
        scope.running += 1
        run = scope.run  # (its start is shown as it is called, as by LangGraph 1.2: before
        run.emitter.task_starts([task], run.step, run.shown_metadata)  # any call's result)
        if scope.group is None:  # a graph node's call: started when the node waits for it
            scope.pending.append((self.fn, task, future, None))
            return
        if lazy:  # the entrypoint's own call: at the loop's next turn, or awaited at once
            scope.pending.append((self.fn, task, future, copy_context()))
            loop = run.loop
            if loop is None:  # trio: the scope's starter task flushes them
                _wake_starter(scope)
            elif not scope.flush_due:
                scope.flush_due = True
                loop.call_soon(flush_pending, scope)
            return
        _start(scope.group, self.fn, scope, task, future)


def _start(group: TaskGroup, fn: TaskFunction[..., Any], scope: Scope, task: Task, future: TaskFuture[Any],
           context: Context | None = None) -> None:
    """Start a call in ``group``: on asyncio an async call where ``future.cancel()`` can stop
    it (its task); a sync call shielded (its thread is waited for). On trio an async call is
    not given a cancel scope of its own (one costs ~5-8 µs a call, a quarter of a task call's
    whole cost there): once running, a cancelled call runs to its end, its result dropped."""
    if not fn.is_async:
        group.start_soon(_run_call, fn, scope, task, future, shielded=True, context=context)
    else:
        future._handle = group.start_soon(_run_call, fn, scope, task, future, context=context)  # (None on trio)


def flush_pending(scope: Scope) -> None:
    """Start an entrypoint's calls not started yet in its task group, in call order (the
    loop's callback, also called as the entrypoint's body ends)."""
    scope.flush_due = False
    pending, scope.pending = scope.pending, []
    group = scope.group
    assert group is not None
    for fn, task, future, context in pending:
        _start(group, fn, scope, task, future, context)


def _wake_starter(scope: Scope) -> None:
    """(trio) Have the scope's starter task flush its pending calls at its next turn: wake it
    if it waits, start it the first time (its first turn flushes)."""
    if scope.parked:
        scope.parked = False
        sys.modules["trio"].lowlevel.reschedule(scope.starter)
    elif scope.starter is None:
        assert scope.group is not None
        scope.starter = True  # (started: it runs at its first turn)
        scope.group.start_soon(_starter, scope)


def close_starter(scope: Scope) -> None:
    """(trio) The entrypoint's body ended (``scope.lazy`` is None): its waiting starter ends."""
    if scope.parked:
        scope.parked = False
        sys.modules["trio"].lowlevel.reschedule(scope.starter)


async def _starter(scope: Scope) -> None:
    """(trio) What ``loop.call_soon(flush_pending, scope)`` is on asyncio: one long-lived child of the
    entrypoint's group, woken (``trio.lowlevel.reschedule``, no task spawned) when its calls
    wait to start, which starts those the entrypoint has not awaited meanwhile; it ends with
    the entrypoint's body (or its group's cancellation)."""
    lowlevel = sys.modules["trio"].lowlevel
    scope.starter = lowlevel.current_task()

    def abort(_raise_cancel: Any) -> Any:
        scope.parked = False
        return lowlevel.Abort.SUCCEEDED

    while scope.lazy is not None:
        if scope.pending:
            flush_pending(scope)
        scope.parked = True
        await lowlevel.wait_task_rescheduled(abort)


async def _drain(scope: Scope, awaited: TaskFuture[Any]) -> None:
    """``awaited`` is waited for while calls are pending: a graph node's calls made so far run
    concurrently until all finished; an entrypoint's start in its group, unless ``awaited``
    is the only one: then it runs here, in the waiting task (a task switch saved per call
    awaited as soon as it is made, the common sequential ``await task(...)``)."""
    pending = scope.pending
    if len(pending) == 1 and (scope.group is None or pending[0][2] is awaited):
        scope.pending = []
        fn, task, future, context = pending[0]
        if context is None:  # (a node's: in its own context, as its other calls)
            await _run_call(fn, scope, task, future)
        else:
            await own_context(_run_call(fn, scope, task, future), context)
        return
    if scope.group is not None:
        flush_pending(scope)
        return
    scope.pending = []
    async with TaskGroup() as group:
        for fn, task, future, _ in pending:
            _start(group, fn, scope, task, future)


def _drain_inline(scope: Scope) -> None:
    """A sync node on the loop's thread waits for its calls: run them here, one by one (sync
    tasks only; their results are kept for the step's pause or failure, not saved at once)."""
    pending, scope.pending = scope.pending, []
    for fn, task, future, _ in pending:
        if fn.is_async:
            future._finish(None, RuntimeError(
                f"async task '{fn.name}' called from a sync node running on the event loop's thread: "
                "make the node async (or the task sync)"))
            scope.running -= 1
            continue
        _run_call_inline(fn, scope, task, future)


class TaskFunction(Generic[P, T]):
    """What ``@task`` makes of a function: calling it inside an entrypoint returns a
    :class:`TaskFuture`; ``name``, ``retry_policy`` and the wrapped ``func`` are attributes."""

    def __init__(self, func: Callable[P, Any], *, name: str | None = None,
                 retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
                 cache_policy: CachePolicy | None = None,
                 timeout: float | timedelta | TimeoutPolicy | None = None) -> None:
        if not callable(func):
            raise TypeError(f"@task needs a function, got {type(func).__name__}")
        self.func = func
        self.name = name or _callable_name(func)
        self.is_async = inspect.iscoroutinefunction(func)
        # each attempt's time limit (as a node's; a sync task cannot have one, as in LangGraph)
        self.timeout = TimeoutPolicy.coerce(timeout)
        if self.timeout is not None and not self.is_async:
            raise GraphValidationError(
                f"Task '{self.name}' has a timeout but is sync: task timeouts are only supported for "
                "async tasks (a thread cannot be cancelled)")
        self.retry_policy = retry_policies(retry_policy)
        self.cache_policy = cache_policy
        if cache_policy is not None:  # (its key_func gets the call's arguments, as LangGraph's)
            cache_policy = dataclasses.replace(cache_policy, key_func=_SpreadKey(cache_policy.key_func))
        # a task call is a Task of the run like a node's (its config, interrupt(), subgraphs,
        # its cache entries: the node's call names the function; it is never called as a node)
        self.node = NodeProgram(self.name, NodeCall(func), (), _none, (), (), (), (), self.retry_policy, False,
                                cache_policy=cache_policy)
        functools.update_wrapper(self, func)
        _register_return_type(func)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> TaskFuture[T]:
        """Start a call of the task; ``RuntimeError`` outside a running entrypoint."""
        caller = current_caller.get()
        if caller is None:
            ctx = current_task.get()
            if ctx is not None:
                caller = _node_caller(ctx)
        if caller is None:
            raise RuntimeError(
                f"task '{self.name}' was called outside of an entrypoint: call tasks inside a function "
                "decorated with @entrypoint, inside a graph node, or inside another task"
            )
        run = caller.scope.run
        if self.is_async and run.root.options.sync_caller:  # (as LangGraph's, at the call)
            raise AsyncTaskInSyncRunError(self.name)
        if run.root.on_loop():
            return _schedule(self, caller, args, kwargs)
        return anyio.from_thread.run_sync(_schedule, self, caller, args, kwargs)

    def clear_cache(self, cache: BaseCache) -> None:
        """Drop this task's cached results from ``cache`` (the one given to the entrypoint or
        graph as ``cache=``); nothing to do for a task without a ``cache_policy``."""
        if self.cache_policy is not None:
            cache.clear([cache_namespace(self.node)])

    async def aclear_cache(self, cache: BaseCache) -> None:
        """Async :meth:`clear_cache`."""
        if self.cache_policy is not None:
            await cache.aclear([cache_namespace(self.node)])

    def __repr__(self) -> str:
        return f"<task {self.name!r}>"


class _SpreadKey:
    """A task's ``key_func`` as its node's cache policy calls it: with the call's ``(args,
    kwargs)``, spread into the arguments (as LangGraph calls it: ``key_func(*args, **kwargs)``)."""

    __slots__ = ("key_func",)

    def __init__(self, key_func: Callable[..., str | bytes]) -> None:
        self.key_func = key_func

    def __call__(self, call: tuple[tuple[Any, ...], dict[str, Any]]) -> str | bytes:
        args, kwargs = call
        return self.key_func(*args, **kwargs)


def _callable_name(func: Callable[..., Any]) -> str:
    """A task's default name: the function's, through ``functools.partial`` (as LangGraph's),
    else the callable's class name."""
    while isinstance(func, functools.partial):
        func = func.func
    return getattr(func, "__name__", None) or type(func).__name__


def _node_caller(ctx: TaskContext) -> Caller:
    """The caller of tasks that a graph node's task is (one per node task, for its step)."""
    run: Any = ctx.run
    step, callers = run.__dict__.get("_func_callers", (None, None))
    if step != run.step or callers is None:
        callers = {}
        run._func_callers = (run.step, callers)
    caller = callers.get(ctx.task)
    if caller is None:
        caller = callers[ctx.task] = Caller(Scope(run, None, ctx), ctx.task)
    return caller  # type: ignore[no-any-return]


def _none(_values: Any) -> Any:
    return None


def _schedule(fn: TaskFunction[..., Any], caller: Caller, args: tuple[Any, ...],
              kwargs: dict[str, Any]) -> TaskFuture[Any]:
    """(On the loop's thread.) The call's id and Task; its result if a run before finished
    it, else an ``Execute`` to the task name's actor."""
    scope = caller.scope
    run = scope.run
    index = caller.index
    caller.index += 1
    key = (caller.task.id, run.step, fn.name, "call", index)
    lazy = scope.lazy is caller.task  # (the entrypoint's own call: see Scope)
    future: TaskFuture[Any] = TaskFuture(fn.name, run.root.on_loop,
                                         scope if scope.group is None or lazy else None)
    found = scope.found.pop(task_id(*key), None) if scope.found else None
    if found is not None:  # finished before this run: not called again
        value = None
        for channel, v in found:
            if channel == RETURN:
                value = v
        if run.emitter.live:  # (its start is shown all the same, as by LangGraph 1.2)
            run.emitter.task_starts([Task(None, fn.node.name, fn.node, (args, kwargs), (PUSH, caller.task.path, index, True),
                                          (PUSH,), (1, index), key)], run.step, run.shown_metadata)
        future._finish(value, None)
        return future
    # (its id is hashed on first use: a run without a checkpointer may never need it)
    task = Task(None, fn.node.name, fn.node, (args, kwargs), (PUSH, caller.task.path, index, True), (PUSH,), (1, index), key)
    run.call_parents[task] = caller.task  # (its namespace is below its caller's, as in LangGraph)
    name = "task:" + fn.name
    ref = run.node_actors.get(name)
    if ref is None:
        assert run.sup is not None, "the run is not hosted"
        ref = run.node_actors[name] = run.sup.spawn_inline(TaskActor(fn), name=name)
    ref.call(Execute(task, (scope, future, lazy)))
    return future


async def _run_call(fn: TaskFunction[..., Any], scope: Scope, task: Task, future: TaskFuture[Any]) -> None:
    """One task call, as a child of the entrypoint's task group: retried per the task's
    policy; its value saved, streamed and handed to the future; an error handed to the
    future (never raised into the group: an unawaited failed call does not fail the run)."""
    run = scope.run
    ctx = TaskContext(run, task)
    token = current_task.set(ctx)
    caller_token = current_caller.set(Caller(scope, task))
    args, kwargs = task.input
    attempt = 0
    cache = run.program.cache if fn.cache_policy is not None else None
    keyed: list[Any] = []
    try:
        if future._cancelled:  # cancelled before it started: never runs
            _was_cancelled(scope, task, future)
            return
        future._started = True
        if cache is not None:  # (a hit: the value cached for these arguments, as LangGraph)
            try:
                _, hits, keyed = await cache_lookup(cache, [task])
            except Exception as exc:  # (key_func failed: the caller gets it, as in LangGraph)
                future._finish(None, exc)
                return
            if hits:
                value = task.writes[0][1]
                await _save(scope, task, task.writes)
                if "updates" in run.emitter.modes:
                    run.emitter.emit("updates", {task.name: value, "__metadata__": {"cached": True}})
                future._finish(value, None)
                return
        if fn.timeout is not None:
            limit = fn.timeout

            def call() -> Awaitable[Any]:
                return timed_call(task.name, limit, ctx, functools.partial(fn.func, *args, **kwargs))
        elif fn.is_async:
            def call() -> Awaitable[Any]:
                return fn.func(*args, **kwargs)  # type: ignore[no-any-return]
        else:
            def call() -> Awaitable[Any]:
                return in_thread(scope.run, functools.partial(fn.func, *args, **kwargs))
        tracing = run.tracing
        while True:
            attempt += 1
            try:
                if tracing is None:
                    value = await call()
                else:  # a chain run of its own, with its config (as LangGraph): what a model
                    # called inside streams under ``messages`` carries the task's metadata
                    value = (await tracing.call(task, ctx, call, _returned))[0][1]
                break
            except GraphInterrupt as paused:
                future._finish(None, _interrupted(scope, task, paused))
                return
            except GraphBubbleUp as exc:
                future._finish(None, exc)
                return
            except BaseException as exc:
                if future._cancelled and is_cancelled(exc):  # future.cancel() stopped it
                    _was_cancelled(scope, task, future)
                    return
                if not isinstance(exc, Exception):
                    if is_cancelled(exc) and not cancelling():
                        exc = NodeCancelledError(task.name)
                        future._finish(None, exc)
                        return
                    future._finish(None, exc)
                    raise
                policy = next((p for p in fn.retry_policy if p.should_retry(exc)), None)
                if policy is None or attempt >= policy.max_attempts:
                    exc.add_note(f"During task with name '{task.name}' and id '{task.id}'")
                    await _failed(scope, task, exc)
                    future._finish(None, exc)
                    return
                delay = policy.interval(attempt)
                if enabled(log, logging.WARNING):
                    log.warning("task_retry", node=task.name, step=run.step, attempt=attempt,
                                delay=delay, error=repr(exc))
                await anyio.sleep(delay)
        if future._cancelled:  # (a sync call's thread, or a call that returned as it was cancelled)
            _was_cancelled(scope, task, future)
            return
        task.writes = [(RETURN, value)]
        try:
            await _save(scope, task, task.writes)
            if keyed:
                assert cache is not None
                await cache_store(cache, keyed, [task])
        except Exception as exc:  # (a result the saver cannot store: the caller gets the error,
            exc.add_note(f"During task with name '{task.name}' and id '{task.id}'")  # not a hang)
            future._finish(None, exc)
            return
        _emit_result(run, task, value)
        future._finish(value, None)
    finally:
        scope.running -= 1
        run.call_parents.pop(task, None)
        current_caller.reset(caller_token)
        current_task.reset(token)


async def _save(scope: Scope, task: Task, writes: list[tuple[str, Any]]) -> None:
    """A finished call's writes become pending writes of the step's checkpoint: now with
    ``sync``/``async`` durability, when the run stops with ``exit``."""
    run = scope.run
    persist = run.persist
    if not persist.active:
        return
    if persist.durability == "exit" or persist.checkpoint_id is None:
        persist.keep_call(task, writes)
        return
    if not scope.settled:
        await persist.settle()  # the checkpoint the writes belong to is in first
        scope.settled = True
    await persist.put_call_writes(task, writes or [(NO_WRITES, None)], _path_str(scope, task.path))


def _path_str(scope: Scope, path: tuple[Any, ...]) -> str:
    """:func:`task_path_str` of a call's path ``(PUSH, caller's path, index, True)``, its
    caller's part rendered once per scope."""
    if len(path) == 4 and type(path[2]) is int and type(path[3]) is bool:
        prefixes = scope.prefixes
        if prefixes is None:
            prefixes = scope.prefixes = {}
        prefix = prefixes.get(path[1])
        if prefix is None:
            prefix = prefixes[path[1]] = task_path_str(path[:2]) + ", "
        return f"{prefix}{path[2]:010}, {path[3]:010}"
    return task_path_str(path)


def _interrupted(scope: Scope, task: Task, paused: GraphInterrupt) -> GraphInterrupt:
    """A call stopped at ``interrupt()``: what its future raises. In an entrypoint, its
    question (and the answers it had) are kept under its id if the question reaches the
    entrypoint (awaited there, as in LangGraph: one at a time), saved when the step pauses; a
    call that is not awaited asks again on resume. In a graph node, they are kept at once, and
    the future raises the question with the node's own answers (what the node's pause saves)."""
    if id(paused) in scope.asked:  # a call of this task asked it: recorded there
        return paused
    scope.asked[id(paused)] = (task, paused)
    # (no task_result event for the call, as in LangGraph 1.2: the question is shown on the
    # entrypoint's or node's task, which pauses with it)
    if scope.owner is None:
        return paused
    _record(scope, task, paused)
    raised = GraphInterrupt(paused.interrupts, tuple(scope.owner.answers))
    scope.asked[id(raised)] = (task, raised)
    return raised


def _record(scope: Scope, task: Task, paused: GraphInterrupt) -> None:
    if paused.interrupts or paused.answers:
        scope.run.persist.keep_call(task, [(INTERRUPT, tuple(paused.interrupts)), (RESUME, list(paused.answers))])


def asked_by_call(scope: Scope, paused: GraphInterrupt) -> bool:
    """``paused`` (raised by the entrypoint's function) came from a task call: record the
    call's question and answers as its pending writes; False for the entrypoint's own."""
    record = scope.asked.get(id(paused))
    if record is None:
        return False
    _record(scope, record[0], paused)
    return True


async def _returned(value: Any, _route: Any) -> list[tuple[str, Any]]:
    return [(RETURN, value)]


def _run_call_inline(fn: TaskFunction[..., Any], scope: Scope, task: Task, future: TaskFuture[Any]) -> None:
    """:func:`_run_call` of a sync task on the loop's thread, for a sync node running there:
    its result is kept for the step's pause or failure (nothing can be awaited here)."""
    import time

    run = scope.run
    ctx = TaskContext(run, task)
    ctx.inline = True  # (a sync graph API called from it runs on a helper thread)
    token = current_task.set(ctx)
    caller_token = current_caller.set(Caller(scope, task))
    args, kwargs = task.input
    attempt = 0
    try:
        if future._cancelled:  # cancelled before it started: never runs
            _was_cancelled(scope, task, future)
            return
        while True:
            attempt += 1
            try:
                value = fn.func(*args, **kwargs)
                break
            except GraphInterrupt as paused:
                future._finish(None, _interrupted(scope, task, paused))
                return
            except GraphBubbleUp as exc:
                future._finish(None, exc)
                return
            except Exception as exc:
                policy = next((p for p in fn.retry_policy if p.should_retry(exc)), None)
                if policy is None or attempt >= policy.max_attempts:
                    exc.add_note(f"During task with name '{task.name}' and id '{task.id}'")
                    _failed_now(scope, task, exc)
                    future._finish(None, exc)
                    return
                time.sleep(policy.interval(attempt))
        task.writes = [(RETURN, value)]
        run.persist.keep_call(task, task.writes)
        _emit_result(run, task, value)
        future._finish(value, None)
    finally:
        scope.running -= 1
        run.call_parents.pop(task, None)
        current_caller.reset(caller_token)
        current_task.reset(token)


def _emit_result(run: Run, task: Task, value: Any) -> None:
    emitter = run.emitter
    modes = emitter.modes
    if "updates" in modes:
        emitter.emit("updates", {task.name: value})
    if "tasks" in modes or "debug" in modes:
        emitter.task_event("task_result", {"id": task.id, "name": task.name, "error": None,
                                           "result": {RETURN: value}, "interrupts": []}, run.step)


async def _failed(scope: Scope, task: Task, exc: BaseException) -> None:
    _failed_now(scope, task, exc)


def _was_cancelled(scope: Scope, task: Task, future: TaskFuture[Any]) -> None:
    """A call cancelled by ``future.cancel()``: recorded as failed with the future's error."""
    error = future._error
    assert error is not None
    _failed_now(scope, task, error)


def _failed_now(scope: Scope, task: Task, exc: BaseException) -> None:
    run = scope.run
    if enabled(run.log, logging.WARNING):
        run.log.warning("task_failed", step=run.step, node=task.name, task_id=task.id, error=repr(exc))
    run.persist.keep_call(task, [(ERROR, repr(exc))])
    run.emitter.task_error(task, exc, run.step)


def _register_return_type(func: Callable[..., Any]) -> None:
    """A task's result is checkpointed: the classes its return annotation names (a pydantic
    model, dataclass, enum) are registered with the serializer, as a graph's schemas are."""
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except Exception:  # (an unresolvable forward reference, a callable without annotations)
        return
    if "return" in hints:
        from ..persistence._serde import register_schema_types

        register_schema_types(hints["return"])


@overload
def task(__func: Callable[P, Awaitable[T]]) -> TaskFunction[P, T]: ...


@overload
def task(__func: Callable[P, T]) -> TaskFunction[P, T]: ...


@overload
def task(*, name: str | None = None,
         retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
         cache_policy: CachePolicy | None = None,
         timeout: float | timedelta | TimeoutPolicy | None = None,
         retry: RetryPolicy | Sequence[RetryPolicy] | None = None,
         ) -> Callable[[Callable[P, Any]], TaskFunction[P, Any]]: ...


def task(__func: Callable[P, Any] | None = None, *, name: str | None = None,
         retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
         cache_policy: CachePolicy | None = None,
         timeout: float | timedelta | TimeoutPolicy | None = None,
         retry: RetryPolicy | Sequence[RetryPolicy] | None = None) -> Any:
    """Make a function (sync or async) a task: ``@task`` or ``@task(name=..., retry_policy=...)``.

    ``cache_policy`` (a ``CachePolicy``): a call whose arguments (``key_func(*args, **kwargs)``)
    were seen before, within the TTL, returns the cached value without running, when the
    entrypoint (or graph) was given ``cache=``.

    Called inside an ``@entrypoint`` (or another task), the function does not run at once:
    the call returns a :class:`TaskFuture` and runs concurrently with the caller and other
    calls (an async function in the run's event loop, a sync one in a worker thread). Its
    result is checkpointed as soon as it returns, so a resumed entrypoint gets it back without
    calling the function again. A failing call is retried per ``retry_policy``, then its
    exception (unchanged, with a note naming the task and the call id) is raised where the
    future is awaited. Arguments and the return value must be serializable by the
    checkpointer's serializer when the entrypoint has one.

    ``timeout`` (seconds, a ``timedelta`` or a :class:`~actorgraph.types.TimeoutPolicy`): each
    attempt of a call is cancelled past it and fails with ``NodeTimeoutError`` (retried when a
    retry policy says so), as a node's; only an async function can have one (``ValueError``).
    """
    timeout = TimeoutPolicy.coerce(timeout)  # (checked at once, as LangGraph: task(timeout=0) raises)
    if retry is not None:  # (LangGraph's deprecated spelling of retry_policy, warning as there)
        from ..graph._state import _deprecated_kwarg

        retry_policy = _deprecated_kwarg("retry", retry, "retry_policy", retry_policy)
    if __func is not None:
        return TaskFunction(__func, name=name, retry_policy=retry_policy, cache_policy=cache_policy, timeout=timeout)

    def decorate(func: Callable[P, Any]) -> TaskFunction[P, Any]:
        return TaskFunction(func, name=name, retry_policy=retry_policy, cache_policy=cache_policy, timeout=timeout)

    return decorate
