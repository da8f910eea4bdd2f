"""What a running node can reach: its :class:`Runtime` (injected as the ``runtime`` parameter or
returned by :func:`get_runtime`), and ``get_config``, ``get_stream_writer``, ``get_store``;
:class:`RunControl` (drain a run at the next barrier) and :class:`ExecutionInfo`."""

from __future__ import annotations

import dataclasses
import functools
import sys
import time
import types
from collections.abc import Callable, Coroutine, Generator
from contextvars import Context, ContextVar, copy_context
from typing import Any, Generic, TypeVar

import anyio
import msgspec

from ..persistence import BaseStore
from ..types import StreamWriter


ContextT = TypeVar("ContextT")


def _no_writer(_chunk: Any) -> None:
    """Writer used when nobody streams ``custom``: the chunk is dropped."""


def _no_heartbeat() -> None:
    """``heartbeat`` outside an attempt with an idle timeout: nothing to refresh."""


class RunControl:
    """Asks a run to stop cooperatively (LangGraph's ``langgraph.runtime.RunControl``): pass one
    as ``invoke(..., control=ctl)`` (or ``ainvoke``/``stream``/``astream``) and call
    ``ctl.request_drain(reason)`` from anywhere (a node, another task or thread, a signal
    handler). The run stops at its next super-step barrier, before the next step's tasks start,
    with everything so far checkpointed, and raises :class:`~actorgraph.errors.GraphDrained`;
    ``invoke(None, config)`` resumes it. One control per run: a drained control stays drained.
    """

    __slots__ = ("_drain_reason",)

    def __init__(self) -> None:
        self._drain_reason: str | None = None

    def request_drain(self, reason: str = "shutdown") -> None:
        """Stop the run at its next barrier (one attribute write: safe from any thread)."""
        self._drain_reason = reason

    @property
    def drain_requested(self) -> bool:
        """A drain was requested."""
        return self._drain_reason is not None

    @property
    def drain_reason(self) -> str | None:
        """The reason given to :meth:`request_drain`, ``None`` before."""
        return self._drain_reason


@dataclasses.dataclass(frozen=True, slots=True)
class ExecutionInfo:
    """Where a node attempt runs (LangGraph's ``ExecutionInfo``): the ``checkpoint_id`` its step
    started from, the task's ``checkpoint_ns`` (``node:task_id``, below enclosing graphs) and
    ``task_id``, the config's ``thread_id`` (with or without a checkpointer), its ``run_id``
    (``None`` unless given), the attempt number (1-based) and the first attempt's start as a
    Unix timestamp."""

    checkpoint_id: str
    checkpoint_ns: str
    task_id: str
    thread_id: str | None = None
    run_id: str | None = None
    node_attempt: int = 1
    node_first_attempt_time: float | None = None

    def patch(self, **overrides: Any) -> ExecutionInfo:
        """A copy with the given fields replaced."""
        return dataclasses.replace(self, **overrides)


class Runtime(msgspec.Struct, Generic[ContextT], frozen=True, kw_only=True):
    """What a node gets as its ``runtime`` keyword parameter, or from :func:`get_runtime`
    (LangGraph's ``langgraph.runtime.Runtime``); annotate it ``Runtime[Ctx]`` to type the context.

    * ``context``: the object passed as ``context=`` to ``invoke``/``stream``/``start``
      (an instance of the graph's ``context_schema``), ``None`` when none was passed;
    * ``store``: the store the graph was compiled with (or its ``ActorSystem``'s), else ``None``;
    * ``stream_writer``: emits a chunk on the ``custom`` stream mode (a no-op when nobody
      streams ``custom``), the same callable as ``get_stream_writer()``;
    * ``previous``: LangGraph's functional-API return value of the thread's last run; always
      ``None`` here (graphs built with ``StateGraph`` have none);
    * ``heartbeat``: records progress for the node's ``idle_timeout`` (a no-op otherwise);
    * ``execution_info``: an :class:`ExecutionInfo` for the current attempt;
    * ``server_info``: ``None`` (LangGraph Server's metadata; there is no server here);
    * ``control``: the run's :class:`RunControl` (``drain_requested``/``drain_reason`` read it).

    Immutable: :meth:`override` and :meth:`merge` return new objects. The runtime does not
    carry ``config``: a node asks for it with a ``config`` parameter or :func:`get_config`.
    """

    # A context-less run has context None whatever ContextT says, as in LangGraph: the default
    # is a debt the checker cannot see through.
    context: ContextT = None  # type: ignore[assignment]
    store: BaseStore | None = None
    stream_writer: StreamWriter = _no_writer
    heartbeat: Callable[[], None] = _no_heartbeat
    previous: Any = None
    execution_info: ExecutionInfo | None = None
    server_info: Any = None
    control: RunControl | None = None

    def override(self, **changes: Any) -> Runtime[ContextT]:
        """A copy with the given fields replaced (``TypeError`` naming an unknown field)."""
        return msgspec.structs.replace(self, **changes)

    def merge(self, other: Runtime[ContextT]) -> Runtime[ContextT]:
        """A runtime with ``other``'s fields where ``other`` sets them, else this one's.

        As LangGraph 1.2 merges: ``context``, ``store``, ``execution_info``, ``server_info`` and
        ``control`` count as set when truthy, ``previous`` when not ``None``, ``stream_writer``
        and ``heartbeat`` when not the no-op.
        """
        return Runtime(
            context=other.context or self.context,
            store=other.store or self.store,
            stream_writer=self.stream_writer if other.stream_writer is _no_writer else other.stream_writer,
            heartbeat=self.heartbeat if other.heartbeat is _no_heartbeat else other.heartbeat,
            previous=self.previous if other.previous is None else other.previous,
            execution_info=other.execution_info or self.execution_info,
            server_info=other.server_info or self.server_info,
            control=other.control or self.control,
        )

    def patch_execution_info(self, **overrides: Any) -> Runtime[ContextT]:
        """A copy whose ``execution_info`` has the given fields replaced (``RuntimeError``
        when it has none)."""
        if self.execution_info is None:
            raise RuntimeError("Cannot patch execution_info before it has been set")
        return msgspec.structs.replace(self, execution_info=self.execution_info.patch(**overrides))

    @property
    def drain_requested(self) -> bool:
        """The run's :class:`RunControl` was asked to drain."""
        return self.control.drain_requested if self.control is not None else False

    @property
    def drain_reason(self) -> str | None:
        """The drain's reason, if one was requested."""
        return self.control.drain_reason if self.control is not None else None


class TaskContext:
    """Per-task context: the task's config and the handles nodes may ask for.

    Made for every task: what most tasks never change is a class default, which an instance
    overrides (in its ``__dict__``) the first time it needs another value."""

    __slots__ = ("run", "task", "answers", "outer", "inline", "__dict__")

    # -- rarely changed: class defaults ----------------------------------------------------
    _config: dict[str, Any] | None = None
    _runtime: Runtime[Any] | None = None
    subgraph_calls = 0
    asked = 0  # interrupt() calls so far
    error: Any = None  # an error handler's NodeError
    attempt = 1
    first_attempt = 0.0  # time.time() of attempt 1 (set when a runtime is first built)
    idle: _Idle | None = None  # the attempt's idle deadline, with an idle_timeout
    pushed: list[tuple[str, Any]] | None = None  # push_message() writes (LangChain extra)
    # an error handler's: the failed node's task id and namespace, which its execution_info
    # and custom chunks report as theirs (as LangGraph 1.2's do)
    reports_as: tuple[str, tuple[str, ...]] | None = None

    def __init__(self, run: Any, task: Any) -> None:
        self.run = run
        self.task = task
        self.inline = False  # a sync node running on the event loop's thread (see _task.call_node)
        # answers for its interrupt() calls, in order (only a resumed run has any)
        resumed = run.resume_state
        self.answers: list[Any] = resumed.answers_for(task.id) if resumed.answers else []
        # the task this one runs inside (a subgraph's or a task call's), when it or one further
        # out waits for progress under refresh_on="auto": this task starting is progress there
        outer = current_task.get()
        if outer is not None and (outer.outer is not None or (outer.idle is not None and outer.idle.auto)):
            self.outer: TaskContext | None = outer
            outer.progress()
        else:
            self.outer = None

    @property
    def config(self) -> dict[str, Any]:
        """The task's config (built on first use: most nodes never look). With an idle timeout
        under ``refresh_on="auto"``, its callbacks (when LangChain is loaded) count every
        LangChain callback event of a Runnable called with it as progress, as LangGraph's."""
        if self._config is None:
            config = self.run.task_config(self.task)
            if self.idle is not None and self.idle.auto and sys.modules.get("langchain_core") is not None:
                config = _with_progress_callback(config, self)
            self._config = config
        return self._config

    @property
    def runtime(self) -> Runtime[Any]:
        """The task's :class:`Runtime` (built on first use, then the same object every time)."""
        if self._runtime is None:
            run = self.run
            self._runtime = Runtime(context=run.context, store=self.store, stream_writer=self.writer,
                                    heartbeat=self.heartbeat, execution_info=self.execution_info(),
                                    control=run.control)
        return self._runtime

    def execution_info(self) -> ExecutionInfo:
        run = self.run
        task = self.task
        if not self.first_attempt:
            self.first_attempt = time.time()
        thread = (run.config.get("configurable") or {}).get("thread_id")  # (as given: LangGraph does not str() it)
        run_id = run.config.get("run_id")
        task_id, ns = (task.id, run.task_ns(task)) if self.reports_as is None else self.reports_as
        return ExecutionInfo(
            checkpoint_id=run.checkpoint_map()[run.ns_str] or "",
            checkpoint_ns="|".join(ns), task_id=task_id,
            thread_id=thread, run_id=None if run_id is None else str(run_id),
            node_attempt=self.attempt, node_first_attempt_time=self.first_attempt)

    def next_attempt(self) -> None:
        """A retry: the next runtime built says so in its ``execution_info``, and the node's
        ``interrupt()`` calls count from the first again (it runs from its first line: they
        take the answers the task already has, as LangGraph's retries do)."""
        self.attempt += 1
        self._runtime = None
        self.asked = 0

    def heartbeat(self) -> None:
        """Progress: push the attempt's idle deadline back (see :class:`TimeoutPolicy`)."""
        idle = self.idle
        if idle is not None:
            idle.refresh()

    def progress(self) -> None:
        """Progress seen under ``refresh_on="auto"`` (a custom chunk, a LangChain callback
        event, a task of a subgraph or a task call starting, a subgraph finishing): pushes back
        the idle deadline of this attempt and of those it runs inside that count it."""
        if not self.run.root.on_loop():  # (a callback in a worker thread)
            try:
                anyio.from_thread.run_sync(self.progress)
            except RuntimeError:  # a thread anyio did not start: no way back to the loop
                pass
            return
        ctx: TaskContext | None = self
        while ctx is not None:
            idle = ctx.idle
            if idle is not None and idle.auto:
                idle.refresh()
            ctx = ctx.outer

    @property
    def writer(self) -> StreamWriter:
        run = self.run
        write = run.emitter.writer
        if self.reports_as is not None:  # under the failed node's namespace
            write = run.emitter.writer_at(self.reports_as[1])
        elif run.call_parents and self.task in run.call_parents:
            # a task call (actorgraph.func): under its caller's namespace (as LangGraph 1.2)
            write = run.emitter.writer_at(run.task_ns(run.call_parents[self.task]))
        if self.outer is not None or (self.idle is not None and self.idle.auto):
            return _progress_writer(self, write)
        return write  # type: ignore[no-any-return]

    @property
    def store(self) -> Any:
        return self.run.store

    def injected(self, name: str) -> Any:
        if name == "config":
            return self.config
        if name == "writer":
            return self.writer
        if name == "store":
            return self.store
        if name == "runtime":
            return self.runtime
        if name == "error":
            return self.error
        return None


class _Idle:
    """An attempt's idle deadline: ``scope``'s deadline is pushed back on each progress signal,
    never past the attempt's hard ``run_deadline``."""

    __slots__ = ("scope", "idle", "run_deadline", "auto")

    def __init__(self, scope: anyio.CancelScope, idle: float, run_deadline: float, auto: bool) -> None:
        self.scope = scope
        self.idle = idle
        self.run_deadline = run_deadline
        self.auto = auto

    def refresh(self) -> None:
        self.scope.deadline = min(self.run_deadline, anyio.current_time() + self.idle)


def inherit_config(ctx: TaskContext) -> Callable[[], None]:
    """Make ``ctx``'s config, with its progress callback, the one LangChain Runnables called
    without a config inherit, as LangGraph's nodes do; returns the undo. (A config built
    before the attempt, as a traced task's is, gets the callback added here.)"""
    from langchain_core.runnables.config import var_child_runnable_config

    config = ctx.config
    if not _has_progress_callback(config, ctx):
        config = ctx._config = _with_progress_callback(config, ctx)
    token = var_child_runnable_config.set(config)  # type: ignore[arg-type]
    return lambda: var_child_runnable_config.reset(token)


def _progress_writer(ctx: TaskContext, write: StreamWriter) -> StreamWriter:
    """``write``, each chunk counting as progress of ``ctx`` (and the tasks it runs inside)."""
    def writer(chunk: Any) -> None:
        ctx.progress()
        write(chunk)

    return writer


@functools.cache
def _progress_handler_class() -> type:
    from langchain_core.callbacks import BaseCallbackHandler

    class _Progress(BaseCallbackHandler):
        """Every LangChain callback event is progress of the task ``ctx``."""

        run_inline = True

        def __init__(self, ctx: TaskContext) -> None:
            self.ctx = ctx

        def _touch(self, *args: Any, **kwargs: Any) -> None:
            self.ctx.progress()

        on_llm_start = on_chat_model_start = on_llm_new_token = on_llm_end = on_llm_error = _touch
        on_chain_start = on_chain_end = on_chain_error = on_tool_start = on_tool_end = _touch
        on_tool_error = on_retriever_start = on_retriever_end = on_retriever_error = _touch
        on_agent_action = on_agent_finish = on_text = on_retry = on_custom_event = _touch

    return _Progress


def _has_progress_callback(config: dict[str, Any], ctx: TaskContext) -> bool:
    callbacks = config.get("callbacks")
    handlers = callbacks if isinstance(callbacks, list) else getattr(callbacks, "handlers", None) or ()
    cls = _progress_handler_class()
    return any(isinstance(h, cls) and getattr(h, "ctx", None) is ctx for h in handlers)


def _with_progress_callback(config: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    """``config`` with a LangChain callback handler whose every event is progress of ``ctx``."""
    from langchain_core.runnables.config import merge_configs

    handler = _progress_handler_class()(ctx)
    return dict(merge_configs(config, {"callbacks": [handler]}))  # type: ignore[arg-type]


current_task: ContextVar[TaskContext | None] = ContextVar("actorgraph_task", default=None)


def _task(what: str) -> TaskContext:
    ctx = current_task.get()
    if ctx is None:
        raise RuntimeError(f"Called {what} outside of a running node")
    return ctx


def coerce_context(graph: Any, context: Any) -> Any:
    """The run's ``context`` as its nodes get it: a dict given for a ``context_schema`` that is
    a dataclass or a pydantic model becomes an instance of it (as LangGraph does); anything
    else as given."""
    if not isinstance(context, dict):
        return context
    schema = getattr(graph, "context_schema", None) or getattr(getattr(graph, "builder", None), "context_schema", None)
    if not isinstance(schema, type):
        return context
    pydantic = sys.modules.get("pydantic")
    if dataclasses.is_dataclass(schema) or (pydantic is not None and issubclass(schema, pydantic.BaseModel)):
        return schema(**context)
    return context


def get_runtime(context_schema: type[ContextT] | None = None) -> Runtime[ContextT]:
    """The :class:`Runtime` of the node task calling it: the object its ``runtime`` parameter
    gets (``RuntimeError`` outside a node).

    ``context_schema`` only tells a type checker what ``runtime.context`` holds; it is not checked.
    """
    return _task("get_runtime").runtime


def get_config() -> dict[str, Any]:
    """The config of the node task calling it (``RuntimeError`` outside a node)."""
    return _task("get_config").config


def get_stream_writer() -> StreamWriter:
    """The ``custom`` stream writer of the calling node (a no-op when nobody streams ``custom``)."""
    return _task("get_stream_writer").writer


def get_store() -> Any:
    """The store the graph was compiled with (``None`` if none)."""
    return _task("get_store").store


# -- a run's own context ----------------------------------------------------------------------

_T = TypeVar("_T")

_RESTORE = object()  # (what restore_context yields to own_context)


@types.coroutine
def own_context(coro: Coroutine[Any, Any, _T], context: Context | None = None) -> Generator[Any, Any, _T]:
    """Run ``coro`` (a run's body) in a copy of the current context (or in ``context``), one
    step at a time: what its tasks set in context variables never reaches the caller. Within the run, a step's lone
    task runs in the run's own task, in this context: when it changed a variable (rare), the
    run awaits :func:`restore_context` and goes on in the context as it was before the task —
    so each task is isolated as if it had a task of its own, as in LangGraph, where every task
    runs in a copy of the caller's context (checking costs two copies, not a copy per task)."""
    if context is None:
        context = copy_context()
    send, throw = coro.send, coro.throw
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            if error is None:
                yielded = context.run(send, value)
            else:
                yielded, error = context.run(throw, error), None
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        if type(yielded) is tuple and len(yielded) == 2 and yielded[0] is _RESTORE:
            context, value = yielded[1], None  # (not an event loop's: resumed at once)
            continue
        try:
            value = yield yielded
        except BaseException as exc:  # (a cancellation, GeneratorExit...: the run's to handle)
            error, value = exc, None


@types.coroutine
def restore_context(snapshot: Context) -> Generator[Any, Any, None]:
    """Inside :func:`own_context`: go on in ``snapshot`` (a ``copy_context()`` taken earlier in
    it) instead of the current context."""
    yield (_RESTORE, snapshot)
