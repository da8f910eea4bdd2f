"""LangChain callbacks and ``stream_mode="messages"`` (the ``langchain`` extra).

A run is *traced* when langchain-core is imported and the run has something to tell it: a
``config["callbacks"]`` handler, a LangChain caller's config in the context
(``var_child_runnable_config``: the graph runs inside a chain, a tool, ``astream_events``), or a
subscriber of the ``messages`` stream mode. Untraced runs never reach this module.

A traced run is, to LangChain's callbacks, what a LangGraph run is:

* the graph run: a chain run named after the graph (``run_name`` in the config overrides it),
  with the config's tags and metadata plus ``ls_integration: "langgraph"``;
* one chain run per task, a child of the graph run, named after the node, tagged
  ``graph:step:N`` and with the ``langgraph_*`` metadata;
* inside the node, the config (given to a ``config`` parameter, and set as langchain-core's
  ``var_child_runnable_config`` so a model called *without* a config finds it) carries a child
  of the node's run tagged ``seq:step:1``: a chat model's run nests under the node's.

``messages`` mode is :class:`MessagesHandler`, a callback handler added to the graph run's
callbacks: a chat model run's tokens (or its whole message when it did not stream) and the
messages a node returns become ``(message, metadata)`` events. ``tools`` mode is
:class:`ToolsHandler`: a LangChain tool run's start, end and error become
``tool-started``/``tool-finished``/``tool-error`` events, as LangGraph 1.2's. An event goes out
through the emitter of the run it was made in (found by the namespace in the call's metadata
among the traced runs, :attr:`Tracing.runs`), as a node's ``custom`` events do: so a stream
opened inside a node (``inner.astream(...)``) gets the tokens of its own graph, and the root's
stream gets a subgraph's only when it streams subgraphs. A stream opened inside a node of an
untraced run is traced on its own (the root of its own tracing).

Everything langchain-core is typed ``Any`` here: an optional dependency.
"""

from __future__ import annotations

import copy
import functools
import importlib
import inspect
import sys
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import fields, is_dataclass
from typing import TYPE_CHECKING, Any

import anyio

from . import _langchain
from .errors import ParentCommand
from .graph._constants import TAG_HIDDEN, TAG_NOSTREAM
from .runtime._algo import PUSH
from .runtime._task import call_hiding_loop

if TYPE_CHECKING:
    from .runtime._algo import Task
    from .runtime._context import TaskContext
    from .runtime._loop import Run

NOSTREAM = TAG_NOSTREAM
_HIDDEN = TAG_HIDDEN

_TO_METADATA = ("thread_id", "checkpoint_id", "checkpoint_ns", "task_id", "run_id", "assistant_id", "graph_id")
"""``configurable`` keys a graph run copies to its metadata when set (as LangGraph 1.2 does):
its node runs, and the model runs below them, carry them too."""


def _graph_metadata(config: dict[str, Any]) -> dict[str, Any]:
    """A graph run's metadata from the config it runs with: the config's metadata plus the
    :data:`_TO_METADATA` keys of its ``configurable`` that the metadata does not have."""
    metadata = dict(config.get("metadata") or {})
    configurable = config.get("configurable") or {}
    for key in _TO_METADATA:
        value = configurable.get(key)
        if value and key not in metadata:
            metadata[key] = value
    return metadata


@functools.cache
def _lc() -> Any:
    """The langchain-core pieces used here, imported once (Any: an optional dependency)."""

    class Mods:
        config = importlib.import_module("langchain_core.runnables.config")
        manager = importlib.import_module("langchain_core.callbacks.manager")
        base = importlib.import_module("langchain_core.callbacks.base")
        outputs = importlib.import_module("langchain_core.outputs")
        messages = importlib.import_module("langchain_core.messages")
        streaming = importlib.import_module("langchain_core.tracers._streaming")
        tracers = importlib.import_module("langchain_core.tracers.context")

    return Mods


def _enter_config(config: dict[str, Any]) -> Callable[[], None]:
    """Make ``config`` langchain-core's ``var_child_runnable_config`` and, when its callbacks
    hold a LangSmith tracer, the traced run LangSmith's current run tree (what
    ``langsmith.get_current_run_tree()`` and ``@traceable`` functions in a node see, as in
    LangGraph); returns the undo."""
    config_mod = _lc().config
    token, previous = config_mod._set_config_context(config)

    def undo() -> None:
        config_mod.var_child_runnable_config.reset(token)
        if previous is not None:
            from langsmith.run_helpers import _set_tracing_context

            _set_tracing_context(previous)

    return undo


HANDLED_MODES = frozenset(("messages", "tools"))
"""The stream modes made by callback handlers: a run streaming one is traced."""


def caller_config() -> dict[str, Any] | None:
    """The config of a LangChain Runnable running in this context (None outside one, and
    without langchain-core imported)."""
    if not _langchain._imported():
        return None
    return _lc().config.var_child_runnable_config.get()  # type: ignore[no-any-return]


def wanted(config: dict[str, Any], modes: frozenset[str]) -> bool:
    """A root run with this config and these stream modes is traced (see the module doc)."""
    if not _langchain._imported():
        return False
    if config.get("callbacks") or not modes.isdisjoint(HANDLED_MODES):
        return True
    lc = _lc()
    parent = lc.config.var_child_runnable_config.get()
    # (LangSmith tracing on: LANGSMITH_TRACING or langsmith.tracing_context(enabled=True))
    return bool(parent and parent.get("callbacks")) or bool(lc.tracers._tracing_v2_is_enabled())


def wanted_below(run: Run) -> bool:
    """A run below an untraced one is traced all the same when it is an ``astream()`` opened in a
    node that streams ``messages`` or ``tools`` to its own consumer."""
    return _langchain._imported() and not run.emitter.own_modes.isdisjoint(HANDLED_MODES)


async def _settle(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def _shielded(value: Any) -> None:
    """Await a callback manager's error notification even in a cancelled task: the handlers
    hear of the cancellation (langchain-core runs a sync handler in an executor thread there)."""
    if inspect.isawaitable(value):
        with anyio.CancelScope(shield=True):
            await value


def _on_asyncio() -> bool:
    return _langchain.on_asyncio()


def _policy_payload(value: Any, process: Callable[[Any], Any] | None) -> Any:
    """What tracers record for ``value`` under a ``TracePolicy`` processor (``value`` itself
    when there is none, or when it raises: logged)."""
    if process is None:
        return value
    try:
        return process(value)
    except Exception:
        import logging

        logging.getLogger("actorgraph").exception("a TracePolicy processor raised; the value itself is recorded")
        return value


def _split(manager: Any) -> tuple[Any, Any]:
    """``manager`` as two: its handlers that are no tracers, and its tracers (``BaseTracer``s
    other than the ones feeding a stream: ``astream_events``/``astream_log`` see real values)."""
    base_tracer = importlib.import_module("langchain_core.tracers.base").BaseTracer
    streaming = _lc().streaming._StreamingCallbackHandler
    real, tracers = copy.copy(manager), copy.copy(manager)
    # (by inheritance: the streaming protocol is runtime-checkable, any exporter with its
    # methods would match an isinstance check)
    tracers.handlers = [h for h in manager.handlers
                        if isinstance(h, base_tracer) and streaming not in type(h).__mro__]
    real.handlers = [h for h in manager.handlers if h not in tracers.handlers]
    return real, tracers


async def _policy_start(manager: Any, policy: Any, value: Any, name: str) -> Any:
    """A node run's start under its ``TracePolicy``: tracers get the processed input."""
    recorded = _policy_payload(value, policy.process_inputs)
    if recorded is value:
        return await _settle(manager.on_chain_start(None, value, name=name))
    real, tracers = _split(manager)
    node_run = await _settle(real.on_chain_start(None, value, name=name))
    await _settle(tracers.on_chain_start(None, recorded, name=name, run_id=node_run.run_id))
    node_run.handlers = manager.handlers
    return node_run


async def _policy_end(node_run: Any, policy: Any, result: Any) -> None:
    """A node run's end under its ``TracePolicy``: tracers get the processed output."""
    recorded = _policy_payload(result, policy.process_outputs)
    if recorded is result:
        await _settle(node_run.on_chain_end(result))
        return
    real, tracers = _split(node_run)
    await _settle(tracers.on_chain_end(recorded))
    await _settle(real.on_chain_end(result))


class Tracing:
    """The LangChain side of one run (the root run or a subgraph's): its graph run manager and
    the per-task node runs. Built by :meth:`for_run`."""

    __slots__ = ("run", "manager", "graph_run", "handler", "asynchronous", "metadata", "runs", "taps", "lifecycle",
                 "resume_told")

    def __init__(self, run: Run, manager: Any, handler: Any, metadata: dict[str, Any],
                 runs: dict[tuple[str, ...], Run]) -> None:
        self.run = run
        self.metadata = metadata  # the graph run's, under its nodes' own (see call())
        self.manager = manager  # Any: a langchain-core (Async)CallbackManager
        self.graph_run: Any = None
        self.handler = handler
        self.asynchronous = isinstance(manager, _lc().manager.AsyncCallbackManager)
        from .runtime._loop import SYNC_API

        # node outputs are tapped (see _tap) unless the run was started by the sync API (a
        # subgraph of such a run, or a graph a node runs with invoke()/stream())
        self.taps = not (run.root.options.sync_api or SYNC_API.get())
        # the traced runs of this tracing's root (it too), by namespace, while they run: where
        # a handler's event goes out (shared by the root's tracing and its subgraphs')
        self.runs = runs
        runs[run.ns] = run
        # the GraphCallbackHandlers among the callbacks (actorgraph.callbacks: a handler class
        # can only be there once that module is imported); None without any
        lifecycle = sys.modules.get("actorgraph._langchain_callbacks")
        self.lifecycle: list[Any] | None = (lifecycle.graph_handlers(manager.handlers)
                                            if lifecycle is not None else None) or None
        self.resume_told = False

    @classmethod
    def for_run(cls, run: Run) -> Tracing | None:
        """The tracing of ``run``: a root run builds its callback manager from its config (and a
        LangChain caller's, with a :class:`MessagesHandler` when it streams ``messages``); a
        subgraph run hangs below the node task that runs it (None when that one is untraced,
        unless the run is a stream opened in the node that streams ``messages`` or ``tools``
        itself: then it is traced as a root is)."""
        lc = _lc()
        config_mod = lc.config
        outer = run.parent.tracing if run.parent is not None else None
        if outer is not None:
            parent_config = config_mod.var_child_runnable_config.get() or {}
            callbacks = parent_config.get("callbacks")
            if callbacks is None:
                return None
            metadata = _graph_metadata(parent_config)
            manager = _manager_class(run).configure(inheritable_callbacks=callbacks, inheritable_metadata=metadata)
            handler = outer.handler
            if handler is None and "messages" in run.emitter.own_modes:  # (its own stream's)
                handler = MessagesHandler(run, outer.runs)
                manager.add_handler(handler, inherit=True)
            if "tools" in run.emitter.own_modes and not any(_is_ours(h, "ToolsHandler") for h in manager.handlers):
                manager.add_handler(ToolsHandler(run, outer.runs), inherit=True)
            return cls(run, manager, handler, metadata, outer.runs)
        config = config_mod.ensure_config(run.config)
        metadata = _graph_metadata(config)
        manager = _manager_class(run).configure(
            inheritable_callbacks=config.get("callbacks"),
            inheritable_tags=config.get("tags"),
            inheritable_metadata={**metadata, "ls_integration": "langgraph"},
        )
        # Another run's handlers, inherited from a caller's config (a graph streamed from a sync
        # node of a run, on a loop of its own): that run does not stream this one's events
        for inherited in [h for h in manager.handlers if _is_ours(h)]:
            manager.remove_handler(inherited)
        runs: dict[tuple[str, ...], Run] = {}
        handler = None
        if "messages" in run.emitter.modes:
            handler = MessagesHandler(run, runs)
            manager.add_handler(handler, inherit=True)
        if "tools" in run.emitter.modes:
            manager.add_handler(ToolsHandler(run, runs), inherit=True)
        return cls(run, manager, handler, metadata, runs)

    def _leave(self) -> None:
        run = self.run
        if self.runs.get(run.ns) is run:
            del self.runs[run.ns]

    async def start(self, value: Any) -> None:
        """The graph run starts (before the input is taken)."""
        run = self.run
        name = run.program.name
        run_id = None
        if run.parent is None:
            name = run.config.get("run_name") or name
            given = run.config.get("run_id")
            run_id = given if isinstance(given, uuid.UUID) else None
        self.graph_run = await _settle(self.manager.on_chain_start(None, value, name=name, run_id=run_id))

    async def end(self, output: Any) -> None:
        self._leave()
        if self.lifecycle is not None:
            await self._told_resume()
            await self._tell_paused()
        if self.graph_run is not None:
            await _settle(self.graph_run.on_chain_end(output))

    async def error(self, exc: BaseException) -> None:
        self._leave()
        if self.lifecycle is not None:
            await self._told_resume()
        if self.graph_run is not None:
            await _shielded(self.graph_run.on_chain_error(exc))

    # -- graph lifecycle callbacks (actorgraph.callbacks) ----------------------------------------

    async def _tell(self, name: str, event: Any) -> None:
        from . import _langchain_callbacks as lifecycle

        assert self.lifecycle is not None
        if self.asynchronous:
            await lifecycle.atell(self.lifecycle, name, event)
        else:
            lifecycle.tell(self.lifecycle, name, event)

    def _event_args(self) -> tuple[Any, str, tuple[str, ...]]:
        run = self.run
        run_id = getattr(self.graph_run, "run_id", None)
        return run_id, run.persist.checkpoint_id or "", tuple(run.ns)

    async def _told_resume(self) -> None:
        """Tell the lifecycle handlers once that this run went on from a saved checkpoint (at
        its first task, or at its end when none ran), as LangGraph tells them before it runs."""
        if self.run.resume_state.resuming and self.lifecycle is not None and not self.resume_told:
            from ._langchain_callbacks import GraphResumeEvent

            self.resume_told = True
            run_id, checkpoint_id, ns = self._event_args()
            await self._tell("on_resume", GraphResumeEvent(run_id, "pending", checkpoint_id, ns))

    async def _tell_paused(self) -> None:
        """The root run paused: at ``interrupt()`` (its questions, a subgraph's too) or at a
        static breakpoint (before the next step's tasks, or after the last step's)."""
        run = self.run
        if run.parent is not None:
            return
        interrupts = tuple(run.resume_state.interrupts)
        status: str
        if interrupts:
            status = "pending"
        elif getattr(run.emitter, "at_breakpoint", False):
            before = run.options.interrupt_before
            status = "interrupt_before" if before and run._breakpoint(before, run._plan()) else "interrupt_after"
        else:
            return
        from ._langchain_callbacks import GraphInterruptEvent

        run_id, checkpoint_id, ns = self._event_args()
        await self._tell("on_interrupt", GraphInterruptEvent(run_id, status, checkpoint_id, ns,  # type: ignore[arg-type]
                                                             interrupts))

    async def call(self, task: Task, ctx: TaskContext, node_call: Callable[[], Awaitable[Any]],
                   writes_of: Callable[..., Awaitable[list[tuple[str, Any]]]]) -> list[tuple[str, Any]]:
        """Run one attempt of ``task`` (``node_call``) as a chain run below the graph run, with
        the node's config (callbacks: the run's child tagged ``seq:step:1``) as langchain-core's
        ``var_child_runnable_config`` meanwhile; then ``writes_of(result, router)``, its
        conditional edges' routers being chain runs of their own (tagged ``seq:step:3``, ...)
        inside the node's, as in LangGraph. Returns the writes."""
        run = self.run
        if self.lifecycle is not None:
            await self._told_resume()
        manager = self.graph_run.get_child()
        manager.tags = [f"graph:step:{run.step}", *manager.tags]  # (LangGraph's order)
        if task.node.hidden:  # __start__ routing the input: hidden, as LangGraph tags it
            manager.add_tags([_HIDDEN])
        config = ctx.config
        own = config["metadata"]
        manager.add_metadata({**{k: v for k, v in own.items() if k.startswith("langgraph_")},
                              **task.node.metadata})  # (add_node(metadata=...): the node run's too)
        config["metadata"] = {**self.metadata, **own}
        config.pop("run_id", None)  # the graph run's: a model run inheriting it would clash
        policy = task.node.trace_policy
        if policy is None:
            node_run = await _settle(manager.on_chain_start(None, task.input, name=task.name))
        else:
            node_run = await _policy_start(manager, policy, task.input, task.name)
        config["callbacks"] = node_run.get_child("seq:step:1")
        leave = _enter_config(config)
        route = functools.partial(self._route, node_run, 2 if task.node.hidden else 3)
        try:
            result = await node_call()
        except ParentCommand as escaped:
            # a graph the node ran (its subgraph, or one it called) addressed this graph: as in
            # LangGraph, the node's run ends with that error, the Command is the node's result
            from .runtime._task import addressed_here

            result = addressed_here(escaped)
            await _shielded(node_run.on_chain_error(escaped))
            try:
                return await writes_of(result, route)
            finally:
                leave()
        except BaseException as exc:
            try:
                await _shielded(node_run.on_chain_error(exc))
            finally:
                leave()
            raise
        try:
            writes = await writes_of(result, route)
        except BaseException as exc:
            await _shielded(node_run.on_chain_error(exc))
            raise
        finally:
            leave()
        await self._tap(node_run, result)
        if policy is None:
            await _settle(node_run.on_chain_end(result))
        else:
            await _policy_end(node_run, policy, result)
        return writes

    async def _route(self, node_run: Any, first: int, branch: Any, index: int, state: Any,
                     config: dict[str, Any]) -> Any:
        """Route ``branch`` as a chain run named after it, below ``node_run``: its input the
        state the router sees, its output what the router returned. ``first``: the sequence
        step of the node's first router (LangGraph's steps of a node: its function, its writes,
        then its routers; ``__start__`` has no function)."""
        manager = node_run.get_child(f"seq:step:{first + index}")
        # (a lambda's run is LangGraph's "Unnamed", so is a partial's or a callable object's: no
        # name of their own; their branch is still "condition" in the graph)
        own = getattr(branch.path, "__name__", None)
        named = "Unnamed" if not isinstance(own, str) or own == "<lambda>" else branch.name
        router_run = await _settle(manager.on_chain_start(None, state, name=named))
        config = {**config, "metadata": {**self.metadata, **config["metadata"]}, "callbacks": router_run.get_child()}
        config.pop("run_id", None)
        raw: list[Any] = []
        traced = copy.copy(branch)
        traced.path = functools.partial(_recorded, branch.path, raw)
        leave = _enter_config(config)
        try:
            dests = await traced.route(state, config, call_hiding_loop)
        except BaseException as exc:
            await _shielded(router_run.on_chain_error(exc))
            raise
        finally:
            leave()
        await _settle(router_run.on_chain_end(raw[0] if raw else dests))
        return dests

    async def _tap(self, node_run: Any, result: Any) -> None:
        """Show ``result`` as the node run's one output chunk to streaming handlers that tap
        outputs (``astream_events``' ``on_chain_stream`` of the node, as LangGraph has it).
        Not under the sync API (a graph a sync node runs with ``invoke()`` inside
        ``astream_events``): LangGraph's sync runs invoke their nodes, they do not stream them."""
        if not self.taps:
            return
        streaming = _lc().streaming._StreamingCallbackHandler
        for handler in node_run.handlers:
            if not isinstance(handler, streaming) or handler is self.handler:
                continue
            if self.asynchronous:
                async for _ in handler.tap_output_aiter(node_run.run_id, _one(result)):
                    pass
            else:
                for _ in handler.tap_output_iter(node_run.run_id, iter((result,))):
                    pass


async def _one(value: Any) -> Any:
    yield value


def _recorded(path: Callable[..., Any], into: list[Any], *args: Any) -> Any:
    """``path(*args)``, its result (awaited, if a coroutine) kept in ``into``."""
    result = path(*args)
    if inspect.isawaitable(result):
        return _recorded_async(result, into)
    into.append(result)
    return result


async def _recorded_async(awaitable: Awaitable[Any], into: list[Any]) -> Any:
    result = await awaitable
    into.append(result)
    return result


def _manager_class(run: Run) -> Any:
    """langchain-core's async callback manager under the async API on asyncio (as LangGraph's
    ``ainvoke``/``astream``); its sync one under the sync API (``invoke``/``stream``: handlers
    are called inline, as LangGraph's sync API calls them) and on trio, where the async
    manager cannot run sync handlers (it hands them to asyncio's executor)."""
    manager = _lc().manager
    if run.root.options.sync_api or not _on_asyncio():
        return manager.CallbackManager
    return manager.AsyncCallbackManager


# -- messages mode ---------------------------------------------------------------------------


def post_message(run: Run, ns: tuple[str, ...], chunk: Any) -> None:
    """Publish a ``messages`` event made in ``run`` now. From a worker thread (a sync node's
    model streaming) the event is handed to the event loop's thread without waiting for it:
    tokens come faster than a round trip each, and the loop delivers them in order, before it
    sees the node finish (which it learns through the same queue, later)."""
    post_event(run, ns, "messages", chunk)


def post_event(run: Run, ns: tuple[str, ...], mode: str, chunk: Any) -> None:
    """Publish an event of ``mode`` made in ``run`` now, through ``run``'s emitter when it
    streams that mode (a subgraph's does only when the root streams subgraphs; a stream opened
    in a node, to its own consumer too: see ``Emitter.emit_at``, which also hands the event to
    the event loop's thread when called from another)."""
    emitter = run.emitter
    if mode in emitter.modes:
        emitter.emit_at(ns, mode, chunk)


def _is_ours(handler: Any, name: str | None = None) -> bool:
    """Whether ``handler`` is one of this module's handlers (``name``: that one)."""
    kind = type(handler)
    if name is None:
        return kind is _handler_class() or kind is _tools_handler_class()
    return kind is (_handler_class() if name == "MessagesHandler" else _tools_handler_class())


def graph_ns(metadata: dict[str, Any]) -> tuple[str, ...]:
    """The namespace of the graph a task runs in, from its ``langgraph_checkpoint_ns``: without
    the task's own part, nor that of each task call (``actorgraph.func``) it runs inside — a
    call runs in its caller's graph, its part nested below its caller's; a call's
    ``langgraph_path`` is ``(PUSH, <its caller's path>, <index>, True)`` (as LangGraph's)."""
    ns = tuple(str(metadata["langgraph_checkpoint_ns"]).split("|"))
    path = metadata.get("langgraph_path", ())
    drop = 1
    while len(path) == 4 and path[0] == PUSH and path[-1] is True:
        drop += 1
        path = path[1]
    return ns[:-drop]


def _state_values(obj: Any) -> Sequence[Any]:
    if isinstance(obj, dict):
        return list(obj.values())
    model_fields = getattr(type(obj), "model_fields", None)
    if isinstance(model_fields, dict):
        return [getattr(obj, k) for k in model_fields]
    if is_dataclass(obj) and not isinstance(obj, type):
        return [getattr(obj, f.name) for f in fields(obj)]
    struct_fields = getattr(type(obj), "__struct_fields__", None)
    if struct_fields is not None:
        return [getattr(obj, k) for k in struct_fields]
    return ()


def _messages_in(value: Any, base: type) -> list[Any]:
    """The langchain-core messages a node returned (alone, in a list, or as state values or
    lists of them), Commands' updates included."""
    from .types import Command

    if isinstance(value, Command):
        return _messages_in(value.update, base)
    if isinstance(value, base):
        return [value]
    if isinstance(value, (list, tuple)):
        if any(isinstance(v, Command) for v in value):
            return [m for v in value for m in _messages_in(v, base)]
        return [v for v in value if isinstance(v, base)]
    out = []
    for v in _state_values(value):
        if isinstance(v, base):
            out.append(v)
        elif isinstance(v, (list, tuple)):
            out.extend(item for item in v if isinstance(item, base))
    return out


def _make_handler_class() -> type:
    lc = _lc()

    class Handler(lc.base.BaseCallbackHandler, lc.streaming._StreamingCallbackHandler):  # type: ignore[misc, name-defined]
        """Turns chat-model runs and node results into ``messages`` stream events."""

        run_inline = True  # called in the caller's thread: events keep their order

        def __init__(self, run: Run, runs: dict[tuple[str, ...], Run]) -> None:
            self.root = run
            self.runs = runs  # the traced runs by namespace (Tracing.runs): where events go
            self.meta: dict[Any, tuple[tuple[str, ...], dict[str, Any]]] = {}
            # (message id, emitter) pairs: messages each consumer (the root's, a stream opened
            # in a node: the emitters whose hubs they reached) has had already
            self.seen: set[tuple[Any, Any]] = set()
            self.message_base = lc.messages.BaseMessage
            self.chunk_class = lc.outputs.ChatGenerationChunk
            self.generation_class = lc.outputs.ChatGeneration

        def emit(self, meta: tuple[tuple[str, ...], dict[str, Any]], message: Any, dedupe: bool = False) -> None:
            """Publish ``message`` (made in the run of namespace ``meta[0]``) to the consumers
            that run's events reach; ``dedupe``: not when they all had it already."""
            run = self.runs.get(meta[0])
            if run is None:
                return
            reached = run.emitter.reaches("messages")
            if not reached:
                return
            if dedupe and all((message.id, e) in self.seen for e in reached):
                return
            if message.id is None:
                message.id = str(uuid.uuid4())
            self.saw(run, message.id, reached)
            post_message(run, meta[0], (message, meta[1]))

        def saw(self, run: Run, message_id: Any, reached: Sequence[Any] | None = None) -> None:
            """The consumers of ``run``'s events have (or need not get) message ``message_id``."""
            for e in run.emitter.reaches("messages") if reached is None else reached:
                self.seen.add((message_id, e))

        def _ns(self, metadata: dict[str, Any]) -> tuple[str, ...] | None:
            """The namespace of the graph the call was made in, if that run is traced here."""
            ns = graph_ns(metadata)
            return ns if ns in self.runs else None

        def tap_output_aiter(self, run_id: Any, output: Any) -> Any:
            return output

        def tap_output_iter(self, run_id: Any, output: Any) -> Any:
            return output

        def on_chat_model_start(self, serialized: Any, messages: Any, *, run_id: Any,
                                tags: list[str] | None = None, metadata: dict[str, Any] | None = None,
                                **kwargs: Any) -> None:
            if not metadata or "langgraph_checkpoint_ns" not in metadata or (tags and NOSTREAM in tags):
                return
            ns = self._ns(metadata)
            if ns is None:
                return
            user_tags = [t for t in tags or () if not t.startswith("seq:step")]
            if user_tags:
                metadata["tags"] = user_tags
            self.meta[run_id] = (ns, metadata)

        def on_llm_new_token(self, token: str, *, chunk: Any = None, run_id: Any, **kwargs: Any) -> None:
            if isinstance(chunk, self.chunk_class):
                meta = self.meta.get(run_id)
                if meta is not None:
                    self.emit(meta, chunk.message)

        def on_llm_end(self, response: Any, *, run_id: Any, **kwargs: Any) -> None:
            meta = self.meta.pop(run_id, None)
            if meta is not None and response.generations and response.generations[0]:
                generation = response.generations[0][0]
                if isinstance(generation, self.generation_class):
                    self.emit(meta, generation.message, dedupe=True)

        def on_llm_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
            self.meta.pop(run_id, None)

        def on_chain_start(self, serialized: Any, inputs: Any, *, run_id: Any, tags: list[str] | None = None,
                           metadata: dict[str, Any] | None = None, **kwargs: Any) -> None:
            if (not metadata or kwargs.get("name") != metadata.get("langgraph_node")
                    or (tags and _HIDDEN in tags)):
                return
            ns = self._ns(metadata)
            if ns is None:
                return
            self.meta[run_id] = (ns, metadata)
            run = self.runs[ns]
            for message in _messages_in(inputs, self.message_base):  # the input is not news
                if message.id is not None:
                    self.saw(run, message.id)

        def on_chain_end(self, outputs: Any, *, run_id: Any, **kwargs: Any) -> None:
            meta = self.meta.pop(run_id, None)
            if meta is not None:
                for message in _messages_in(outputs, self.message_base):
                    self.emit(meta, message, dedupe=True)

        def on_chain_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
            self.meta.pop(run_id, None)

    Handler.__name__ = Handler.__qualname__ = "MessagesHandler"
    return Handler


@functools.cache
def _handler_class() -> type:
    return _make_handler_class()


def MessagesHandler(run: Run, runs: dict[tuple[str, ...], Run]) -> Any:  # noqa: N802  (a class made on first use)
    """The ``messages`` stream mode's callback handler of ``run``'s tracing (a langchain-core
    ``BaseCallbackHandler``, and a streaming one: a chat model called under it streams its
    tokens even from ``invoke``); ``runs``: the tracing's runs (:attr:`Tracing.runs`)."""
    return _handler_class()(run, runs)


# -- tools mode ------------------------------------------------------------------------------


def _make_tools_handler_class() -> type:
    lc = _lc()
    from .errors import GraphDrained, GraphInterrupt

    class Handler(lc.base.BaseCallbackHandler, lc.streaming._StreamingCallbackHandler):  # type: ignore[misc, name-defined]
        """Turns LangChain tool runs into ``tools`` stream events, as LangGraph 1.2's
        ``StreamToolCallHandler``: ``{"event": "tool-started", "tool_call_id", "tool_name",
        "input"}``, then ``{"event": "tool-finished", "tool_call_id", "output"}`` or
        ``{"event": "tool-error", "tool_call_id", "message"}``. The id is the tool call's
        (a tool invoked with a ``ToolCall``), else the tool run's id. An interrupted or
        drained tool reports no error (it runs again on resume)."""

        run_inline = True  # called in the caller's thread: events keep their order

        def __init__(self, run: Run, runs: dict[tuple[str, ...], Run]) -> None:
            self.runs = runs  # the traced runs by namespace (Tracing.runs): where events go
            self.calls: dict[Any, tuple[tuple[str, ...], str]] = {}

        def _post(self, ns: tuple[str, ...], payload: dict[str, Any]) -> None:
            run = self.runs.get(ns)
            if run is not None:
                post_event(run, ns, "tools", payload)

        def tap_output_aiter(self, run_id: Any, output: Any) -> Any:
            return output

        def tap_output_iter(self, run_id: Any, output: Any) -> Any:
            return output

        def on_tool_start(self, serialized: Any, input_str: str, *, run_id: Any, tags: list[str] | None = None,
                          metadata: dict[str, Any] | None = None, inputs: dict[str, Any] | None = None,
                          **kwargs: Any) -> None:
            if not metadata or (tags and NOSTREAM in tags):
                return
            ns = graph_ns(metadata) if metadata.get("langgraph_checkpoint_ns") else ()
            if ns not in self.runs:
                return
            call_id = kwargs.get("tool_call_id") or str(run_id)
            self.calls[run_id] = (ns, call_id)
            payload: dict[str, Any] = {"event": "tool-started", "tool_call_id": call_id,
                                       "tool_name": (serialized or {}).get("name") or kwargs.get("name") or ""}
            if inputs is not None:
                payload["input"] = inputs
            self._post(ns, payload)

        def on_tool_end(self, output: Any, *, run_id: Any, **kwargs: Any) -> None:
            call = self.calls.pop(run_id, None)
            if call is not None:
                self._post(call[0], {"event": "tool-finished", "tool_call_id": call[1], "output": output})

        def on_tool_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
            call = self.calls.pop(run_id, None)
            if call is not None and not isinstance(error, (GraphInterrupt, GraphDrained)):
                self._post(call[0], {"event": "tool-error", "tool_call_id": call[1], "message": str(error)})

    Handler.__name__ = Handler.__qualname__ = "ToolsHandler"
    return Handler


def tool_output_writer(config: Mapping[str, Any], call_id: str) -> Callable[[Any], None] | None:
    """A writer of LangGraph's ``{"event": "tool-output-delta", "tool_call_id", "delta"}`` events
    of tool call ``call_id``, whose config is ``config``: through the ``tools`` mode's handler
    among its callbacks (the one that reports the call's start and end), under the namespace
    of the graph the call runs in; None when no such handler streams that run."""
    callbacks: Any = config.get("callbacks")
    handlers = getattr(callbacks, "handlers", callbacks) or []
    metadata = config.get("metadata") or {}
    ns = graph_ns(metadata) if metadata.get("langgraph_checkpoint_ns") else ()
    for handler in handlers:
        if _is_ours(handler, "ToolsHandler") and ns in handler.runs:
            def write(delta: Any, handler: Any = handler) -> None:
                handler._post(ns, {"event": "tool-output-delta", "tool_call_id": call_id, "delta": delta})

            return write
    return None


@functools.cache
def _tools_handler_class() -> type:
    return _make_tools_handler_class()


def ToolsHandler(run: Run, runs: dict[tuple[str, ...], Run]) -> Any:  # noqa: N802  (a class made on first use)
    """The ``tools`` stream mode's callback handler of ``run``'s tracing (a langchain-core
    ``BaseCallbackHandler``); ``runs``: the tracing's runs (:attr:`Tracing.runs`)."""
    return _tools_handler_class()(run, runs)


def push_message(message: Any, *, state_key: str | None = "messages") -> Any:
    """Emit ``message`` on the ``messages`` stream mode now, from inside a node, and (unless
    ``state_key`` is None) write it to that state key as if the node had returned it, as
    LangGraph's ``langgraph.graph.message.push_message``.

    ``message`` may be anything langchain-core's ``convert_to_messages`` takes; it must have an
    ``id`` (``ValueError`` otherwise). Returns the message. ``RuntimeError`` outside a node.
    """
    from .runtime._context import current_task

    ctx = current_task.get()
    if ctx is None:
        raise RuntimeError("Called push_message outside of a running node")
    _langchain.require("push_message")
    message = _lc().messages.convert_to_messages([message])[0]
    if message.id is None:
        raise ValueError("Message ID is required")
    run = ctx.run
    tracing = run.tracing
    if tracing is not None and tracing.handler is not None:
        metadata = ctx.config["metadata"]
        tracing.handler.emit((graph_ns(metadata), metadata), message)
    if state_key:
        if ctx.pushed is None:
            ctx.pushed = []
        ctx.pushed.append((state_key, message))
        ctx.progress()  # (a write: progress for an idle timeout under refresh_on="auto", as LangGraph's)
    return message


# -- tokens from anywhere ------------------------------------------------------------------------


class _TokenStream:
    """What :func:`stream_message`/:func:`astream_message` share: the calling node's run,
    the message id, the pieces so far."""

    __slots__ = ("ctx", "id", "pieces", "total", "live", "metadata")

    def __init__(self, what: str, id: str | None) -> None:
        from .runtime._context import current_task

        ctx = current_task.get()
        if ctx is None:
            raise RuntimeError(f"Called {what} outside of a running node")
        self.ctx = ctx
        self.id = id or str(uuid.uuid4())
        self.pieces: list[str] = []
        self.total: Any = None  # non-text chunks added up
        run = ctx.run
        self.live = "messages" in run.emitter.modes and run.emitter.root.hub_ref is not None
        self.metadata = ctx.config["metadata"] if self.live else {}
        tracing = run.tracing
        if tracing is not None and tracing.handler is not None:
            tracing.handler.saw(run, self.id)  # the node's result holding it is not news

    def push(self, chunk: Any) -> None:
        if isinstance(chunk, str):
            self.pieces.append(chunk)
            message = _message(chunk, self.id, chunk=True)
        else:
            message = chunk
            self.total = chunk if self.total is None else self.total + chunk
        if self.live:
            run = self.ctx.run
            post_message(run, run.ns, (message, self.metadata))

    def result(self) -> Any:
        if self.total is None:
            return _message("".join(self.pieces), self.id, chunk=False)
        if _langchain.is_message(self.total) and isinstance(self.total, _lc().messages.BaseMessageChunk):
            return _lc().messages.message_chunk_to_message(self.total)
        return self.total


def _message(text: str, id: str, chunk: bool) -> Any:
    """An AI message (chunk) of ``text``: langchain-core's when it is imported, else ours."""
    if _langchain._imported():
        messages = _lc().messages
        return (messages.AIMessageChunk if chunk else messages.AIMessage)(content=text, id=id)
    from .graph._messages import AIMessage

    return AIMessage(content=text, id=id)


def stream_message(chunks: Any, *, id: str | None = None) -> Any:
    """Stream a message made of ``chunks`` (an iterable) from inside a node: each chunk is a
    ``messages`` stream event ``(chunk, metadata)`` the moment it is produced (metadata: the
    node's ``langgraph_*`` keys); returns the whole message, for the node to return.

    For token sources that are not LangChain chat models. A ``str`` chunk is a text token:
    it is emitted as an AI message chunk (langchain-core's ``AIMessageChunk`` when langchain-core
    is imported, else actorgraph's ``AIMessage`` holding the token) with id ``id`` (a new uuid
    if None), and the result is the AI message of all the text. Other chunks (e.g.
    ``AIMessageChunk``s) are emitted as they are and added up with ``+`` (langchain-core chunks
    end as their message class). Works on both backends, with or without langchain-core.
    ``RuntimeError`` outside a node."""
    stream = _TokenStream("stream_message", id)
    for chunk in chunks:
        stream.push(chunk)
    return stream.result()


async def astream_message(chunks: Any, *, id: str | None = None) -> Any:
    """:func:`stream_message` for an async iterable of chunks (e.g. a provider SDK's stream)."""
    stream = _TokenStream("astream_message", id)
    async for chunk in chunks:
        stream.push(chunk)
    return stream.result()
