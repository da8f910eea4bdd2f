"""``@entrypoint``: a function of one input, run as a one-node graph on the actor runtime.

The function becomes a :class:`~actorgraph.runtime.CompiledGraph` whose program has one node
(named after the function), triggered by the input (``__start__``) and run by its node actor
like any node; it writes two channels: ``__end__`` (the return value: the run's output, its
``values``, what ``get_state`` shows) and ``__previous__`` (what the next run on the thread gets
as ``previous``; ``entrypoint.final(value=..., save=...)`` sets it apart from the return
value). Its task calls (``@task``) run in a task group opened around the function, started by
the run's task actors (see :mod:`._task`).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, Generic, TypeVar

import anyio.lowlevel

from ..actors._group import TaskGroup
from ..actors._slot import Slot, current_backend
from ..channels import EphemeralValue, LastValue, Topic
from ..errors import GraphInterrupt, GraphValidationError
from ..graph._constants import END, START, TASKS
from ..graph._program import NodeCall, NodeProgram, Program
from ..runtime import CompiledGraph
from ..runtime._context import TaskContext, current_task
from ..runtime._task import ChannelWrites, in_thread
from ..types import RetryPolicy, StateUpdate, TimeoutPolicy, retry_policies
from ._task import Caller, Scope, asked_by_call, close_starter, current_caller, flush_pending

ROOT = END
"""The return value's channel (LangGraph's); ``__root__`` before (threads saved then load)."""
OLD_ROOT = "__root__"
PREVIOUS = "__previous__"
INJECTED = ("previous", "config", "writer", "store", "runtime")
"""Keyword parameters an entrypoint function may declare (as in LangGraph)."""

V = TypeVar("V")
S = TypeVar("S")


class CompiledEntrypoint(CompiledGraph):
    """What ``@entrypoint`` returns: a compiled graph of one node (``invoke``, ``ainvoke``,
    ``stream``, ``astream``, ``get_state``, ``get_state_history``, ``update_state`` and their
    async twins), usable as a node of a ``StateGraph`` too."""

    func: Callable[..., Any]
    context_schema: Any
    input_type: Any = Any
    """The first parameter's annotation (``Any`` without one)."""
    output_type: Any = Any
    """The return annotation (``V`` of ``entrypoint.final[V, S]``; ``Any`` without one)."""

    def __repr__(self) -> str:
        return f"<entrypoint {self.name!r}>"

    async def aupdate_state(self, config: dict[str, Any], values: Any,
                            as_node: str | None = None, task_id: str | None = None) -> dict[str, Any]:
        """Write ``values`` as the entrypoint's return value (``as_node`` None or its name), as
        LangGraph 1.2 does: the thread's value and the next run's ``previous`` both become
        ``values`` (``entrypoint.final(value=..., save=...)`` sets them apart). A thread paused
        at an ``interrupt()`` is no longer paused. See ``CompiledGraph.aupdate_state``."""
        return await super().aupdate_state(config, self._returned(values, as_node), as_node, task_id)

    async def abulk_update_state(self, config: dict[str, Any],
                                 supersteps: Sequence[Sequence[StateUpdate]]) -> dict[str, Any]:
        """:meth:`aupdate_state` for each update (see ``CompiledGraph.abulk_update_state``)."""
        steps = [[StateUpdate(*update) for update in step] for step in supersteps]
        return await super().abulk_update_state(config, [
            [u._replace(values=self._returned(u.values, u.as_node)) for u in step] for step in steps])

    def _returned(self, values: Any, as_node: str | None) -> Any:
        """An update as the entrypoint node: the writes its return of ``values`` makes."""
        if as_node is not None and as_node != self.name:
            return values
        return _writes(values)

    @property
    def InputType(self) -> Any:  # noqa: N802  (LangChain's name)
        """The first parameter's annotation, as LangGraph 1.2 reports it."""
        return self.input_type

    @property
    def OutputType(self) -> Any:  # noqa: N802
        """The return annotation, as LangGraph 1.2 reports it."""
        return self.output_type

    def get_input_schema(self, config: dict[str, Any] | None = None) -> Any:
        """The pydantic model of the input, as LangGraph 1.2's: the first parameter's
        annotation if it is a pydantic model, else a ``RootModel`` named ``LangGraphInput``
        rooted at it (``Any`` when not annotated). ``ImportError`` naming pydantic without it."""
        return _model(self.input_type, "LangGraphInput")

    def get_output_schema(self, config: dict[str, Any] | None = None) -> Any:
        """The pydantic model of the return value (``LangGraphOutput``), as :meth:`get_input_schema`."""
        return _model(self.output_type, "LangGraphOutput")

    def get_input_jsonschema(self, config: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON Schema of the input, as LangGraph 1.2's: :meth:`get_input_schema`'s
        (``{"title": "LangGraphInput", "type": "integer"}`` for ``def wf(x: int)``)."""
        return dict(self.get_input_schema(config).model_json_schema())

    def get_output_jsonschema(self, config: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON Schema of the return value, as LangGraph 1.2's (see :meth:`get_output_schema`)."""
        return dict(self.get_output_schema(config).model_json_schema())

    def _config_model(self, include: Sequence[str] | None) -> Any:
        """(``config_schema()``: ``LangGraphConfig``, as LangGraph 1.2 names an entrypoint's.)"""
        from ..graph._jsonschema import config_model

        return config_model(self.context_schema, "LangGraphConfig", include)

    def get_context_jsonschema(self) -> dict[str, Any] | None:
        """The JSON Schema of ``context_schema``; ``None`` without one."""
        from ..graph._jsonschema import context_json_schema

        return context_json_schema(self.context_schema)

    def _config_parts(self) -> tuple[Any, str]:
        return self.context_schema, "LangGraphConfig"  # (LangGraph's name, as for the input's)

    def get_graph(self, config: dict[str, Any] | None = None, *, xray: int | bool = False) -> Any:
        """The drawable graph: ``__start__`` → the entrypoint ⇢ ``__end__``, as LangGraph 1.2
        draws an entrypoint (``config`` and ``xray`` are accepted for compatibility)."""
        from ..graph._draw import _FUNCTION_TAG, DrawableGraph, Edge, Node

        nodes = {self.name: Node(self.name, self.name, _FUNCTION_TAG), START: Node(START, START),
                 END: Node(END, END)}
        return DrawableGraph(nodes, [Edge(START, self.name), Edge(self.name, END, conditional=True)],
                             name=self.name)


class entrypoint:  # noqa: N801  (LangGraph's name)
    """Decorator making a workflow function of one input a runnable, checkpointed graph::

        @entrypoint(checkpointer=InMemorySaver())
        def workflow(topic: str, *, previous: Any = None) -> dict:
            essay = write_essay(topic).result()   # a @task call
            return {"essay": essay}

    ``checkpointer``: a saver (needed for ``previous``, ``interrupt()``/resume and the state
    API); ``store``: a store (injected as ``store``); ``context_schema``: the type of
    ``context=`` (only recorded); ``retry_policy``: retries of the whole function; ``cache``: a
    cache (``InMemoryCache()``, ``SqliteCache(path=...)``) for the calls of tasks that have a
    ``cache_policy``, and for the whole function with ``cache_policy`` (keyed by its input);
    ``timeout``: each attempt of the (async) function's time limit, as a node's (``ValueError``
    for a sync function).

    The function (sync or async) takes the input as its first positional parameter and may
    declare the keyword parameters ``previous`` (the value saved by the last run on the
    thread), ``config``, ``writer`` (the ``custom`` stream writer), ``store`` and ``runtime``.
    Its return value is the run's output; ``entrypoint.final(value=..., save=...)`` returns
    ``value`` and saves ``save`` for the next run's ``previous``. A sync function runs in a
    worker thread (its task calls' ``.result()`` block that thread, not the event loop).
    """

    @dataclasses.dataclass(frozen=True)
    class final(Generic[V, S]):  # noqa: N801  (LangGraph's name)
        """Return ``value`` from the entrypoint and save ``save`` as the next run's ``previous``."""

        value: V
        save: S

    def __init__(
        self,
        checkpointer: Any = None,
        store: Any = None,
        cache: Any = None,
        context_schema: Any = None,
        cache_policy: Any = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        timeout: float | timedelta | TimeoutPolicy | None = None,
        *,
        retry: RetryPolicy | Sequence[RetryPolicy] | None = None,
        config_schema: Any = None,
    ) -> None:
        if retry is not None or config_schema is not None:  # (LangGraph's deprecated spellings, warning)
            from ..graph._state import _deprecated_kwarg

            if retry is not None:
                retry_policy = _deprecated_kwarg("retry", retry, "retry_policy", retry_policy)
            if config_schema is not None:
                context_schema = _deprecated_kwarg("config_schema", config_schema, "context_schema", context_schema)
        self.timeout = TimeoutPolicy.coerce(timeout)
        self.cache = cache
        self.cache_policy = cache_policy
        self.checkpointer = checkpointer
        self.store = store
        self.context_schema = context_schema
        self.retry_policy = retry_policies(retry_policy)

    def __call__(self, func: Callable[..., Any]) -> CompiledEntrypoint:
        """Compile ``func`` (``TypeError`` naming it when it takes no input parameter;
        ``NotImplementedError`` for a generator function, sync or async, as LangGraph)."""
        if not callable(func):
            raise TypeError(f"@entrypoint needs a function, got {type(func).__name__}")
        name = getattr(func, "__name__", None) or type(func).__name__
        if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
            raise NotImplementedError(
                f"entrypoint '{name}' is a generator: generators are not supported in the functional API "
                "(stream values with get_stream_writer() instead)"
            )
        if self.timeout is not None and not inspect.iscoroutinefunction(func):
            raise GraphValidationError(
                f"Entrypoint '{name}' has a timeout but is sync: timeouts are only supported for async "
                "functions (a thread cannot be cancelled)")
        body = _Body(func, name)
        node = NodeProgram(name, NodeCall(body.run), (START,), _start_value, (START,), (), (), (),
                           self.retry_policy, False, cache_policy=self.cache_policy, timeout=self.timeout)
        start = NodeProgram(START, NodeCall(_identity), (START,), _start_value, (), (), (), (), (), False,
                            hidden=True)
        channels: dict[str, Any] = {
            START: EphemeralValue(Any, START),
            TASKS: Topic(Any, TASKS),
            ROOT: LastValue(Any, ROOT),
            PREVIOUS: LastValue(Any, PREVIOUS),
        }
        program = Program(
            name, channels, (ROOT,), (), (ROOT,), {START: start, name: node}, {}, _root_value,
            frozenset({START, TASKS}), True, frozenset({ROOT}), {}, (ROOT,),
        )
        program.cache = self.cache
        program.root_channel = ROOT
        program.renamed = {OLD_ROOT: ROOT}
        compiled = CompiledEntrypoint(program, checkpointer=self.checkpointer, store=self.store)
        compiled.func = func
        compiled.context_schema = self.context_schema
        compiled.input_type, compiled.output_type = _io_types(func)
        _register_input_type(compiled.input_type)
        functools.update_wrapper(compiled, func, updated=())  # type: ignore[arg-type]
        return compiled


def _identity(value: Any) -> Any:
    return value


def _start_value(values: dict[str, Any]) -> Any:
    return values.get(START)


def _root_value(values: dict[str, Any]) -> Any:
    return values.get(ROOT)


class _Body:
    """The entrypoint node's function: calls the user's function with its injected
    parameters inside a task group for its task calls; returns the node's writes."""

    def __init__(self, func: Callable[..., Any], name: str) -> None:
        self.func = func
        self.name = name
        self.is_async = inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
            getattr(func, "__call__", None))
        try:
            params = list(inspect.signature(func).parameters.values())
        except (TypeError, ValueError):
            params = []
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if not positional and not any(p.kind == p.VAR_POSITIONAL for p in params) and params is not None:
            if params or _has_signature(func):
                raise TypeError(f"entrypoint '{name}' must take the input as its first positional parameter")
        first = positional[0] if positional else None
        self.inject = tuple(p.name for p in params if p.name in INJECTED and p is not first
                            and p.kind != p.VAR_KEYWORD)

    async def run(self, value: Any) -> Any:
        ctx = current_task.get()
        assert ctx is not None
        run = ctx.run
        kwargs = self._kwargs(ctx, run) if self.inject else {}
        asked: GraphInterrupt | None = None
        failure: Exception | None = None
        result: Any = None
        async with TaskGroup() as group:
            scope = Scope(run, group, lazy=ctx.task)  # (its own calls start lazily: see Scope)
            token = current_caller.set(Caller(scope, ctx.task))
            try:
                if self.is_async:
                    result = await self.func(value, **kwargs)
                else:  # in a worker thread, waited for in a child: the wait is cancellable
                    done = current_backend().new_slot()
                    group.start_soon(_thread_body, run, functools.partial(self.func, value, **kwargs), done,
                                     shielded=True)
                    result = await done
            except GraphInterrupt as exc:
                asked = exc  # task calls still running finish: their results are kept
            except Exception as exc:
                failure = exc
                if scope.pending:
                    # As LangGraph 1.2's: the calls made before the failure were started. Each
                    # gets its first turn (up to its first wait) before the group is cancelled:
                    # a sync call runs to its end in its thread and its result is kept, so it
                    # does not run again on resume; an async one is cancelled there.
                    scope.lazy = None
                    flush_pending(scope)
                    await anyio.lowlevel.cancel_shielded_checkpoint()
                group.cancel()
            except BaseException:
                scope.pending = []
                raise
            finally:
                current_caller.reset(token)
                scope.lazy = None  # (later calls, by calls still running, start at once)
                if scope.starter is not None:
                    close_starter(scope)
            if scope.pending:  # made last: they run before the group ends
                flush_pending(scope)
        if failure is not None:
            raise failure
        if asked is not None:
            raised = GraphInterrupt(asked.interrupts, tuple(ctx.answers))
            if asked_by_call(scope, asked):  # (a call's question: kept under the call's id too)
                raised.repeated = asked.interrupts  # (a parent graph is told it twice, as by LangGraph)
            raise raised
        return _writes(result)

    def _kwargs(self, ctx: TaskContext, run: Any) -> dict[str, Any]:
        channel = run.state.channels[PREVIOUS]
        previous = channel.get() if channel.is_available() else None
        if previous is not None:  # get_runtime() shows it too
            ctx._runtime = ctx.runtime.override(previous=previous)
        out: dict[str, Any] = {}
        for name in self.inject:
            out[name] = previous if name == "previous" else ctx.injected(name)
        return out


async def _thread_body(run: Any, fn: Callable[[], Any], done: Slot) -> None:
    """A sync entrypoint's function in a worker thread, its outcome handed to ``done``. The
    thread is never abandoned; if the run is cancelled meanwhile, the task calls it waits for
    are cancelled (their futures raise in the thread), so it ends soon."""
    try:
        value = await in_thread(run, fn)
    except BaseException as exc:  # (handed over, not raised into the group)
        if not done.done():
            done.set_exception(exc)
        return
    if not done.done():
        done.set_result(value)


def _has_signature(func: Callable[..., Any]) -> bool:
    try:
        inspect.signature(func)
    except (TypeError, ValueError):
        return False
    return True


def _io_types(func: Callable[..., Any]) -> tuple[Any, Any]:
    """The input and output types of an entrypoint function, as LangGraph reads them: the
    first parameter's annotation and the return annotation (``V`` of ``entrypoint.final[V,
    S]``), ``Any`` where absent. (String annotations are resolved where they can be.)"""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return Any, Any
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except Exception:  # (an unresolvable forward reference: the raw annotations)
        hints = {}
    params = [p for p in signature.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    input_type: Any = Any
    if params and params[0].annotation is not inspect.Parameter.empty:
        input_type = hints.get(params[0].name, params[0].annotation)
    output_type: Any = Any
    if signature.return_annotation is not inspect.Signature.empty:
        output_type = hints.get("return", signature.return_annotation)
        if output_type is entrypoint.final:
            output_type = Any
        elif typing.get_origin(output_type) is entrypoint.final:
            output_type = typing.get_args(output_type)[0]
    return input_type, output_type


def _register_input_type(input_type: Any) -> None:
    """An input annotated as a pydantic model or dataclass is the entrypoint's schema: its
    instances (and the classes its fields name) are checkpointed, as a StateGraph's are."""
    from ..persistence._serde import register_schema_types

    register_schema_types(input_type)


def _model(schema: Any, name: str) -> Any:
    from ..graph._jsonschema import _input_model, _langchain_available, input_model

    try:
        return input_model(schema, name)
    except TypeError:  # (an unhashable annotation: not cached)
        return _input_model.__wrapped__(schema, name, _langchain_available())


def _writes(result: Any) -> ChannelWrites:
    """The entrypoint node's writes of its return value ``result``: the value and the saved
    one (``entrypoint.final`` sets them apart)."""
    if isinstance(result, entrypoint.final):
        return ChannelWrites(((ROOT, result.value), (PREVIOUS, result.save)))
    return ChannelWrites(((ROOT, result), (PREVIOUS, result)))
