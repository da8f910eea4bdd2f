"""``CompiledGraph``: what ``StateGraph.compile()`` returns — invoke, stream, draw."""

from __future__ import annotations

import contextvars
import copy
import sys
import threading
import types
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar, is_typeddict

import anyio
import anyio.from_thread

from .._langchain_runnable import RunnableMethods, abatch, as_runnable, coerce, merge_configs, register_runnable, sequence
from ..graph._constants import INTERRUPT
from ..graph._program import NodeProgram, Program
from ._context import RunControl, TaskContext, current_task
from . import _private_loop, _snapshot, _stream_parts
from ..types import StateSnapshot, StateUpdate
from ._emit import Tee
from ._loop import SYNC_API, SYNC_CALLER, TASK_ID_KEY, Run
from ._live import CAPACITY, SKIP, RunStream, iterate_pumped
from ._stream import STREAM_MODES, StreamEvent, StreamHub, Subscriber


T = TypeVar("T")

DEFAULT_STREAM_MODE = "updates"
"""What ``astream``/``stream`` stream without a ``stream_mode``."""


class CompiledGraph(RunnableMethods):
    """A compiled, immutable graph. Runs are independent: one graph may run many times at once.

    ``ainvoke``/``astream`` work on asyncio and trio; ``invoke``/``stream`` run them in a private
    event loop (asyncio) and refuse to be called from inside a running loop. Once langchain-core
    is imported it is a LangChain ``Runnable`` (a virtual subclass, see
    :mod:`actorgraph._langchain_runnable`).
    """

    run_class: type[Run] = Run
    """The class of this graph's runs (a subclass may take its input differently: see
    :mod:`actorgraph.pregel`, whose input goes into its channels without an input step)."""

    def __class_getitem__(cls, params: Any) -> Any:
        """``CompiledStateGraph[State]`` (up to ``[State, Context, Input, Output]``) in
        annotations, as LangGraph's generic class allows: the class itself, parameterized."""
        return types.GenericAlias(cls, params)

    def __init__(
        self,
        program: Program,
        *,
        builder: Any = None,
        checkpointer: Any = None,
        store: Any = None,
        interrupt_before: Sequence[str] = (),
        interrupt_after: Sequence[str] = (),
        debug: bool = False,
    ) -> None:
        self._program = program
        self.builder = builder
        self.checkpointer = checkpointer
        self.store = store
        self.interrupt_before = tuple(interrupt_before)
        self.interrupt_after = tuple(interrupt_after)
        self.debug = debug
        self.name = program.name
        self.step_timeout: float | None = None
        """Seconds a super-step may take; ``TimeoutError`` (cancelling the step) when exceeded."""
        self.config: dict[str, Any] | None = None
        """The config bound by :meth:`with_config`, merged under every call's own."""

    def __repr__(self) -> str:
        return f"<CompiledGraph {self.name!r}: {len(self._program.nodes) - 1} nodes>"

    # -- LangGraph's Pregel attributes (read-only views of the compiled program) ---------------

    @property
    def nodes(self) -> Mapping[str, NodeProgram]:
        """The graph's nodes by name, as LangGraph's ``compiled.nodes`` lists them: ``__start__``
        first, then the builder's nodes in the order they were added, a node's error handler
        (``__error_handler__<node>``) just before it. A read-only mapping (``keys()``, ``in``,
        ``len()``); its values are actorgraph's node programs (``name``, ``triggers``,
        ``metadata``, ``retry_policy``...), not LangGraph's ``PregelNode`` objects."""
        view: Mapping[str, NodeProgram] | None = self.__dict__.get("_nodes_view")
        if view is None:
            nodes: dict[str, NodeProgram] = {}
            for name, node in self._program.nodes.items():
                handler = node.error_handler
                if handler is not None and handler.name not in nodes:
                    nodes[handler.name] = handler
                nodes[name] = node
            view = self.__dict__["_nodes_view"] = MappingProxyType(nodes)
        return view

    @property
    def channels(self) -> Mapping[str, Any]:
        """The graph's channels by name (read-only), as LangGraph's ``compiled.channels``: the
        state keys' (private ones too), then ``__start__``, ``__pregel_tasks`` and the
        ``branch:to:<node>`` trigger channels (and join channels). They are the templates each
        run copies: reading them says nothing about a run's state (use ``get_state``)."""
        return MappingProxyType(self._program.channels)

    @property
    def stream_mode(self) -> str:
        """What :meth:`astream`/:meth:`stream` stream without a ``stream_mode``: ``"updates"``,
        as LangGraph's compiled ``StateGraph``. Read-only."""
        return DEFAULT_STREAM_MODE

    def copy(self, update: dict[str, Any] | None = None) -> CompiledGraph:
        """A copy of this graph with some attributes replaced, as LangGraph's
        ``compiled.copy(update={...})`` (``update={"checkpointer": saver}`` runs the same graph
        with another saver). The keys it takes: ``checkpointer``, ``store``, ``debug``,
        ``name``, ``step_timeout``, ``config``, ``interrupt_before``/``interrupt_after`` (or
        LangGraph's ``interrupt_before_nodes``/``interrupt_after_nodes``). The compiled nodes
        and channels are shared (they are never mutated); any other key (LangGraph's
        ``nodes``, ``channels``, ``stream_mode``...) raises ``TypeError`` — LangGraph would
        build another Pregel from it, or ignore an unknown key silently."""
        from ..graph._state import _check_checkpointer, _node_list

        new = copy.copy(self)
        for key, value in (update or {}).items():
            attr = _COPY_ALIASES.get(key, key)
            if attr not in _COPYABLE:
                raise TypeError(f"CompiledGraph.copy() cannot replace {key!r}; it takes "
                                f"{', '.join(sorted(_COPYABLE | set(_COPY_ALIASES)))}")
            if attr == "checkpointer":
                _check_checkpointer(value)
            elif attr in ("interrupt_before", "interrupt_after"):
                value = tuple(_node_list(value))
            setattr(new, attr, value)
        return new

    # -- async API -------------------------------------------------------------------------

    async def ainvoke(
        self,
        input: Any,
        config: dict[str, Any] | None = None,
        *,
        stream_mode: str = "values",
        print_mode: str | Sequence[str] = (),
        context: Any = None,
        durability: str | None = None,
        interrupt_before: Sequence[str] | None = None,
        interrupt_after: Sequence[str] | None = None,
        control: RunControl | None = None,
        subgraphs: bool = False,
        debug: bool | None = None,
        version: str = "v1",
        checkpoint_during: bool | None = None,
        output_keys: str | Sequence[str] | None = None,
    ) -> Any:
        """Run to the end and return the output (the output schema's available keys); as
        LangGraph's, ``None`` when the run wrote none of them, did not resume a paused thread and
        asked no ``interrupt()`` question.

        With a ``stream_mode`` other than ``"values"``, return the list of that mode's chunks
        (``(namespace, chunk)`` pairs with ``subgraphs=True``). ``print_mode`` modes are
        printed as they happen (``[mode] chunk``; ``debug=True``, or ``compile(debug=True)``,
        prints ``"updates"`` and ``"values"``), as LangGraph does; with ``subgraphs=True``
        the subgraphs' events too, tagged ``[graph=namespace]``.
        Called inside a running node, the run becomes a subgraph of that node's run (its
        events stream under the node's namespace with ``subgraphs=True``). ``control``: a
        :class:`RunControl` to drain the run (``GraphDrained`` at the next barrier).
        ``version="v2"`` (LangGraph 1.2's): a :class:`~actorgraph.types.GraphOutput` (or the
        list of v2 stream parts for another ``stream_mode``), see :mod:`._stream_parts`.
        ``checkpoint_during``: LangGraph's deprecated spelling of ``durability`` (see
        :func:`durability_of`).

        ``output_keys`` (LangGraph's): the state keys the output shows instead of the output
        schema's, as in LangGraph 1.2: a list gives the dict of those keys, one key (a ``str``)
        its bare value; the result is the last ``values`` chunk :meth:`astream` would yield
        with them (``None`` when the run wrote none of the keys), plus ``__interrupt__`` when
        the run stopped at ``interrupt()`` (with one key: ``{"__interrupt__": [...]}`` alone).
        A key that is no channel of the graph raises ``ValueError``.
        """
        durability = durability_of(durability, checkpoint_during)
        keys = self._output_keys(output_keys)
        if _stream_parts.check_version(version):
            if stream_mode != "values":
                return [part async for part in self.astream(
                    input, config, stream_mode=stream_mode, print_mode=print_mode, subgraphs=subgraphs,
                    context=context, durability=durability, interrupt_before=interrupt_before,
                    interrupt_after=interrupt_after, control=control, debug=debug, version=version,
                    output_keys=keys)]
            result = await self.ainvoke(
                input, config, print_mode=print_mode, context=context, durability=durability,
                interrupt_before=interrupt_before, interrupt_after=interrupt_after, control=control,
                subgraphs=subgraphs, debug=debug, output_keys=keys)
            return _stream_parts.graph_output(result, _stream_parts.mappers(self.builder)[0])
        printed = self._printed(print_mode, debug)
        if stream_mode != "values":
            return [chunk async for chunk in self.astream(
                input, config, stream_mode=stream_mode, print_mode=printed, subgraphs=subgraphs,
                context=context, durability=durability, interrupt_before=interrupt_before,
                interrupt_after=interrupt_after, control=control, output_keys=keys)]
        if keys is not None:
            return await self._invoke_keyed(input, config, keys, printed, subgraphs, context, durability,
                                            interrupt_before, interrupt_after, control)
        if self.config is not None:
            config = merge_configs(self.config, config)
        parent = current_task.get()
        if parent is not None and nested(config):
            try:
                return await self._child_run(input, config, parent, control=control).run(input)
            finally:
                parent.progress()  # (the subgraph's end is progress, as LangGraph's chain end)
        before, after = self._breakpoints(interrupt_before, interrupt_after)
        if printed:
            return await self._invoke_printing(input, config, printed, subgraphs, context, durability,
                                               before, after, control)
        run = self.run_class(self, dict(config or {}), context=context, store=self.store, durability=durability,
                  interrupt_before=before, interrupt_after=after, control=control)
        return await run.run(input)

    def _output_keys(self, keys: str | Sequence[str] | None) -> str | tuple[str, ...] | None:
        """``output_keys`` checked as LangGraph checks them: each must name a channel."""
        if keys is None:
            return None
        names = (keys,) if isinstance(keys, str) else tuple(keys)
        channels = self._program.channels
        for name in names:
            if name not in channels:
                raise ValueError(f"Key {name} not in channels")
        return keys if isinstance(keys, str) else names

    async def _invoke_keyed(self, input: Any, config: dict[str, Any] | None, keys: str | tuple[str, ...],
                            printed: tuple[str, ...], subgraphs: bool, context: Any, durability: str | None,
                            interrupt_before: Sequence[str] | None, interrupt_after: Sequence[str] | None,
                            control: RunControl | None) -> Any:
        """``ainvoke(output_keys=...)`` as LangGraph's ``invoke``: the last ``values`` chunk
        streamed with those keys, and the questions of the ``updates`` stream."""
        latest: Any = None
        interrupts: list[Any] = []
        async with self.astream(input, config, stream_mode=["updates", "values"], print_mode=printed,
                                subgraphs=subgraphs, context=context, durability=durability,
                                interrupt_before=interrupt_before, interrupt_after=interrupt_after,
                                control=control, output_keys=keys) as events:
            async for item in events:
                mode, payload = item[-2], item[-1]
                if mode == "updates" and isinstance(payload, dict) and INTERRUPT in payload:
                    interrupts.extend(payload[INTERRUPT])
                elif mode == "values":
                    latest = payload
        if interrupts:
            return {**latest, INTERRUPT: interrupts} if isinstance(latest, dict) else {INTERRUPT: interrupts}
        return latest

    def _printed(self, print_mode: str | Sequence[str], debug: bool | None) -> tuple[str, ...]:
        """The modes to print: ``debug`` (or the graph's) means ``"updates"`` and ``"values"``."""
        if debug or self.debug:
            return ("updates", "values")
        printed = (print_mode,) if isinstance(print_mode, str) else tuple(print_mode)
        if printed:
            _modes(list(printed))
        return printed

    async def _invoke_printing(self, input: Any, config: dict[str, Any] | None, printed: tuple[str, ...],
                               subgraphs: bool, context: Any, durability: str | None,
                               before: tuple[str, ...], after: tuple[str, ...],
                               control: RunControl | None) -> Any:
        """``ainvoke`` that prints the events of the ``printed`` modes as they happen."""
        keep = _Result()

        def start() -> tuple[Any, Subscriber, Any]:
            hub = StreamHub()
            sub = Subscriber(frozenset(printed), capacity=CAPACITY, paced=True)
            hub.subscribe(sub)
            keep.target = self.run_class(self, dict(config or {}), hub=hub, modes=frozenset(printed), context=context,
                               store=self.store, subgraphs=subgraphs, durability=durability,
                               interrupt_before=before, interrupt_after=after, control=control)
            return keep, sub, input

        stream = RunStream(start, False, True)  # (the _Result runs the Run, keeping its output)
        async with stream:
            async for ns, mode, chunk in stream:
                _print_event(ns, mode, chunk)
        return keep.result

    def astream(
        self,
        input: Any,
        config: dict[str, Any] | None = None,
        *,
        stream_mode: str | Sequence[str] = DEFAULT_STREAM_MODE,
        print_mode: str | Sequence[str] = (),
        subgraphs: bool = False,
        context: Any = None,
        durability: str | None = None,
        interrupt_before: Sequence[str] | None = None,
        interrupt_after: Sequence[str] | None = None,
        control: RunControl | None = None,
        debug: bool | None = None,
        version: str = "v1",
        checkpoint_during: bool | None = None,
        output_keys: str | Sequence[str] | None = None,
    ) -> RunStream:
        """Run and yield stream chunks (LangGraph's shapes), live: each as it happens.

        One mode yields chunks; a list of modes yields ``(mode, chunk)`` (a tuple of modes,
        even of one, yields bare chunks, as LangGraph does: only a ``list`` names the mode);
        ``subgraphs=True`` prefixes the namespace tuple. ``async for`` hosts the run in a task of its own: leaving
        the loop early cancels the run (and waits for it). ``async with graph.astream(...) as
        events:`` hosts it in the caller's task group for the block. See :class:`RunStream`.
        ``print_mode`` / ``debug`` print events as :meth:`ainvoke` does (a printed mode that
        is not streamed is only printed). ``version="v2"`` (LangGraph 1.2's): every chunk is a
        typed stream part ``{"type": mode, "ns": namespace, "data": chunk}``, whatever the
        modes and ``subgraphs`` (see :mod:`._stream_parts`).

        ``output_keys`` (LangGraph's: a key or a list of state keys) shapes the ``values`` and
        ``updates`` chunks of this graph's run, as in LangGraph 1.2: a list makes a ``values``
        chunk the dict of those keys, yielded only after a step that wrote one of them, and a
        task's ``updates`` chunk its writes to them (``None`` when it wrote none); one key (a
        ``str``) makes both the bare value. Other modes and subgraphs' chunks are unchanged. A
        key that is no channel raises ``ValueError`` at the first iteration.
        """
        durability = durability_of(durability, checkpoint_during)
        printed = self._printed(print_mode, debug)
        v2 = _stream_parts.check_version(version)

        if self.config is not None:
            config = merge_configs(self.config, config)

        def start() -> tuple[Run, Subscriber, Any]:
            modes, _ = _modes(stream_mode)
            keys = self._output_keys(output_keys)
            watched = frozenset((*modes, *printed))
            hub = StreamHub()
            sub = Subscriber(watched, capacity=CAPACITY, paced=True)
            hub.subscribe(sub)
            parent = current_task.get()
            # inside a node: that node's subgraph, also from a sync node's stream(), whose run
            # lives on a loop of its own (as a sync node's invoke()): its events reach the
            # node's run from there as a worker thread's do
            if parent is not None and nested(config):
                return self._child_run(input, config, parent, (hub, watched, subgraphs), control, keys), sub, input
            before, after = self._breakpoints(interrupt_before, interrupt_after)
            run = self.run_class(self, dict(config or {}), hub=hub, modes=watched, context=context,
                      store=self.store, subgraphs=subgraphs, durability=durability,
                      interrupt_before=before, interrupt_after=after, control=control, output_keys=keys)
            return run, sub, input

        if v2:
            modes, _ = _modes(stream_mode)
            return _stream_parts.PartsStream(start, frozenset(modes), frozenset(printed), _print_event,
                                             _stream_parts.mappers(self.builder))
        if printed:
            modes, _ = _modes(stream_mode)
            return _PrintingStream(start, not isinstance(stream_mode, list), subgraphs, frozenset(modes),
                                   frozenset(printed))
        return RunStream(start, not isinstance(stream_mode, list), subgraphs)

    # -- LangChain Runnable API ---------------------------------------------------------------

    def with_config(self, config: dict[str, Any] | None = None, **kwargs: Any) -> CompiledGraph:
        """A copy of this graph whose calls run with ``config`` (and ``kwargs`` as config keys:
        ``recursion_limit=5``, ``tags=[...]``...) under their own config, merged as LangChain
        merges configs (metadata, configurable and tags combined; a call's values win)."""
        bound = copy.copy(self)
        bound.config = merge_configs(merge_configs(self.config, config), kwargs)
        return bound

    async def abatch(self, inputs: Sequence[Any], config: dict[str, Any] | Sequence[dict[str, Any]] | None = None,
                     *, return_exceptions: bool = False, **kwargs: Any) -> list[Any]:
        """``ainvoke`` every input concurrently (one config for all or one per input; at most
        ``config["max_concurrency"]`` at a time); the outputs in input order. The first failing
        input's exception is raised once all runs ended, or with ``return_exceptions`` each
        failure is returned in its input's place."""
        return await abatch(self, inputs, config, return_exceptions, kwargs)

    def batch(self, inputs: Sequence[Any], config: dict[str, Any] | Sequence[dict[str, Any]] | None = None,
              *, return_exceptions: bool = False, **kwargs: Any) -> list[Any]:
        """Sync :meth:`abatch` (in a private event loop; sync nodes run in worker threads)."""
        async def main() -> list[Any]:
            SYNC_CALLER.set(True)  # (runs of the sync API: async @task calls are refused)
            return await self.abatch(inputs, config, return_exceptions=return_exceptions, **kwargs)

        return _run_sync("batch", "abatch", main)

    def astream_events(self, input: Any, config: dict[str, Any] | None = None, *, version: str = "v2",
                       **kwargs: Any) -> AsyncIterator[dict[str, Any]]:
        """LangChain's ``astream_events``: the run's callback events (graph, node, chat model,
        tool... ``on_*_start``/``_stream``/``_end``) as LangGraph gives them, the graph's
        ``on_chain_stream`` chunks being its ``updates``. Needs langchain-core, and asyncio
        (langchain-core's implementation is asyncio-only). ``include_names``/``include_types``/
        ``include_tags`` and their ``exclude_`` twins filter, as in LangChain."""
        runnable = self.as_runnable()
        return runnable.astream_events(input, config, version=version, **kwargs)  # type: ignore[no-any-return]

    def as_runnable(self) -> Any:
        """This graph as a LangChain ``Runnable`` (needs langchain-core): its calls run the
        graph, whose own run is what callbacks see. Any: langchain-core is optional."""
        return as_runnable(self)

    def __or__(self, other: Any) -> Any:
        """``graph | next``: a LangChain ``RunnableSequence`` (needs langchain-core)."""
        return sequence(self, coerce(other))

    def __ror__(self, other: Any) -> Any:
        """``previous | graph``: a LangChain ``RunnableSequence`` (needs langchain-core)."""
        return sequence(coerce(other), self)

    # -- sync API --------------------------------------------------------------------------

    def invoke(self, input: Any, config: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """Sync :meth:`ainvoke` in a private asyncio event loop.

        A sync node that is the only task of its step runs on that loop's thread (there is
        nothing else to run meanwhile), as LangGraph runs sync nodes in the caller's thread;
        sync nodes of a step with several tasks run in worker threads."""

        async def main() -> Any:
            SYNC_API.set(True)
            return await self.ainvoke(input, config, **kwargs)

        return _run_sync("invoke", "ainvoke", main)

    def stream(self, input: Any, config: dict[str, Any] | None = None, **kwargs: Any) -> Iterator[Any]:
        """Sync :meth:`astream`: the run lives on the calling thread's private event loop (as
        :meth:`invoke`'s), which runs until the next chunk: each chunk is handed over as it
        happens, and the run waits while the caller holds it (as LangGraph's sync stream); what
        the caller calls meanwhile (``get_state``, another graph) runs on a loop of its own.
        Closing the iterator early cancels the run. Where an event loop runs (a sync node
        running on its loop's thread, an async node, a notebook's cell), the run lives on a
        helper thread's loop instead, which runs while the caller waits for the next chunk.

        When every mode streamed (``stream_mode``, ``print_mode``) is made at the barrier
        (``values``, ``updates``, ``tasks``, ``checkpoints``, ``debug``) and ``subgraphs`` is
        off, a sync node that is its step's only task runs on the loop's thread, as under
        :meth:`invoke` (no hand-off to a worker thread per step); otherwise in a worker thread,
        so that what it streams from other threads (``custom``, ``messages``, ``tools``, a
        graph it calls) reaches the caller live."""
        inline = _barrier_modes_only(kwargs)
        ctx = current_task.get()
        if (ctx is None or not ctx.inline) and not _private_loop.a_loop_runs_here():
            yield from iterate_pumped(self.astream(input, config, **kwargs), inline)  # (this thread's loop)
            return
        # Code in a running loop (an async node, a notebook's cell), blocked meanwhile as by
        # any sync code, or a sync node on its loop's thread (hidden from it: the loop runs the
        # node's run): the same, each step on a helper thread. From an async node, what this
        # run posts to the node's run (its events: it is the node's subgraph) is held and
        # delivered as the stream ends, before the node goes on.
        emitter = ctx.run.emitter.root if ctx is not None and not ctx.inline else None
        held = emitter.hold_posts() if emitter is not None else None
        try:
            yield from _private_loop.pump_on_a_helper_thread(
                iterate_pumped(self.astream(input, config, **kwargs), inline))
        finally:
            if emitter is not None:
                emitter.release_posts(held)

    def _breakpoints(self, before: Sequence[str] | str | None,
                     after: Sequence[str] | str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Per-call breakpoints replace the compiled ones when given (non-empty). As in
        LangGraph, names that are no node of this graph are not refused here (only ``compile``
        checks them): a node of a subgraph, say, is never stopped at."""
        out = [self.interrupt_before, self.interrupt_after]
        for i, names in enumerate((before, after)):
            if names:
                out[i] = (names,) if isinstance(names, str) else tuple(names)
        return out[0], out[1]

    # -- state, history, time travel --------------------------------------------------------

    async def aget_state(self, config: dict[str, Any], *, subgraphs: bool = False) -> StateSnapshot:
        """The thread's state: its latest checkpoint (live: including the writes of tasks
        that already finished in a pending step), or the one ``checkpoint_id`` names; a
        subgraph's when ``checkpoint_ns`` names one. A task running a subgraph has as ``state``
        the config addressing that subgraph's checkpoints, or with ``subgraphs=True`` its
        snapshot."""
        return await _snapshot.aget_state(self, config, subgraphs)

    def get_state(self, config: dict[str, Any], *, subgraphs: bool = False) -> StateSnapshot:
        """Sync :meth:`aget_state`."""
        return _run_sync("get_state", "aget_state", lambda: self.aget_state(config, subgraphs=subgraphs))

    async def aget_agents(self, config: dict[str, Any], name: str, *, keys: Sequence[Any] | None = None,
                          offset: int = 0, limit: int = 100) -> Any:
        """The private states of agent population ``name`` at the thread's checkpoint (the
        newest, or the one ``checkpoint_id`` names), paged: an ``AgentPage`` with the states of
        ``keys``, or of ``limit`` agents from ``offset`` in key order (see ``docs/agents.md``)."""
        from ._agents import aget_agents

        return await aget_agents(self, config, name, keys=keys, offset=offset, limit=limit)

    def get_agents(self, config: dict[str, Any], name: str, *, keys: Sequence[Any] | None = None,
                   offset: int = 0, limit: int = 100) -> Any:
        """Sync :meth:`aget_agents`."""
        return _run_sync("get_agents", "aget_agents",
                         lambda: self.aget_agents(config, name, keys=keys, offset=offset, limit=limit))

    async def aget_state_history(
        self, config: dict[str, Any], *, filter: dict[str, Any] | None = None,
        before: dict[str, Any] | None = None, limit: int | None = None,
    ) -> AsyncIterator[StateSnapshot]:
        """The thread's checkpoints as snapshots, newest first (``filter`` on metadata keys,
        ``before`` a config of a checkpoint, ``limit`` a count)."""
        async for snap in _snapshot.aget_state_history(self, config, filter=filter, before=before,
                                                        limit=limit):
            yield snap

    def get_state_history(
        self, config: dict[str, Any], *, filter: dict[str, Any] | None = None,
        before: dict[str, Any] | None = None, limit: int | None = None,
    ) -> Iterator[StateSnapshot]:
        """Sync :meth:`aget_state_history` (collected, then iterated)."""
        async def collect() -> list[StateSnapshot]:
            return [s async for s in self.aget_state_history(config, filter=filter, before=before,
                                                             limit=limit)]

        return iter(_run_sync("get_state_history", "aget_state_history", collect))

    async def aupdate_state(self, config: dict[str, Any], values: Any,
                            as_node: str | None = None, task_id: str | None = None) -> dict[str, Any]:
        """Write ``values`` as if ``as_node`` had returned them (reducers apply, its edges fire),
        as a new checkpoint with source ``"update"``; returns that checkpoint's config."""
        return await _snapshot.aupdate_state(self, config, values, as_node, task_id)

    def update_state(self, config: dict[str, Any], values: Any, as_node: str | None = None,
                     task_id: str | None = None) -> dict[str, Any]:
        """Sync :meth:`aupdate_state`."""
        return _run_sync("update_state", "aupdate_state",
                         lambda: self.aupdate_state(config, values, as_node, task_id))

    async def abulk_update_state(self, config: dict[str, Any],
                                 supersteps: Sequence[Sequence[StateUpdate]]) -> dict[str, Any]:
        """Apply super-steps of updates (``[[StateUpdate(values, as_node), ...], ...]``), each
        as one checkpoint with source ``"update"``: the updates of a super-step are the writes
        of one step (reducers fold them in order). Returns the last checkpoint's config.
        ``ValueError`` when there are no super-steps or an empty one; ``InvalidUpdateError``
        for an unknown ``as_node``, a missing one among several updates, or conflicting
        writes (that super-step is not saved)."""
        return await _snapshot.abulk_update_state(self, config, supersteps)

    def bulk_update_state(self, config: dict[str, Any],
                          supersteps: Sequence[Sequence[StateUpdate]]) -> dict[str, Any]:
        """Sync :meth:`abulk_update_state`."""
        return _run_sync("bulk_update_state", "abulk_update_state",
                         lambda: self.abulk_update_state(config, supersteps))

    # -- subgraph --------------------------------------------------------------------------

    def _child_run(self, value: Any, config: dict[str, Any] | None, ctx: TaskContext,
                   stream: tuple[StreamHub, frozenset[str], bool] | None = None,
                   control: RunControl | None = None,
                   output_keys: str | tuple[str, ...] | None = None) -> Run:
        """A run of this graph nested in the task ``ctx`` of another run (a subgraph call).

        Its namespace is the task's (``node:task_id`` below the parent's; a second call in
        the task adds a counter segment). Compiled with ``checkpointer=True``, the namespace
        has no task ids (``node``, ``outer|node``, ``node|1``): the subgraph keeps one state
        per thread, which the next parent run continues with new input. With
        ``checkpointer=False`` it is never checkpointed. (Its own saver is not used inside a
        parent, as in LangGraph.) ``stream``: the hub, modes and ``subgraphs`` of an
        ``astream()`` made inside the node, whose consumer gets the run's events too (see
        :class:`~._emit.Tee`). It drains with its parent's control, or ``control`` when given
        (as LangGraph 1.2's nested invoke).
        """
        parent: Run = ctx.run
        task = ctx.task
        ns: tuple[str, ...] = parent.task_ns(task)
        entry_ns = "|".join(ns)  # (the checkpoint_ns its config has in LangGraph)
        if ctx.subgraph_calls:
            ns = (*ns, str(ctx.subgraph_calls))
        ctx.subgraph_calls += 1
        if self.checkpointer is True:
            ns = tuple(part.split(":", 1)[0] for part in ns)
        above = parent.emitter
        modes = above.modes if parent.options.subgraphs else frozenset()
        hub, subgraphs = above.hub, parent.options.subgraphs
        if stream is not None:
            own_hub, own_modes, own_subgraphs = stream
            root_modes = modes if above.to_root else frozenset()
            hub, modes, subgraphs = own_hub, modes | own_modes, subgraphs or own_subgraphs
        run = self.run_class(self, dict(config) if config is not None else parent.config, hub=hub,
                  modes=modes, ns=ns, context=parent.context, store=parent.store,
                  subgraphs=subgraphs, parent=parent, control=control,
                  interrupt_before=self.interrupt_before, interrupt_after=self.interrupt_after,
                  output_keys=output_keys)
        if run.persist.active and parent.call_parents and task in parent.call_parents:  # (a task call's)
            run.persist.parents.update(parent.caller_namespaces(task))
        run.entry_ns = entry_ns
        emitter = run.emitter
        if stream is not None:
            emitter.tee = Tee(emitter, own_modes, own_subgraphs, root_modes)
            emitter.to_root = bool(root_modes)
        elif above.tee is not None:
            if above.tee.subgraphs:  # below a stream that takes subgraphs: to it alone
                emitter.tee, emitter.to_root = above.tee, False
        elif not above.to_root:
            emitter.to_root = False
        return run

    async def _run_as_node(self, value: Any, ctx: TaskContext, parent: Run) -> Any:
        """Run as a node of ``parent``: input is the parent's state, output the full final state.

        A node of this graph that returned ``Command(graph=Command.PARENT, ...)`` ends the run
        early with ``ParentCommand``: the node's task in ``parent`` makes that Command its result
        (``_task.addressed_here``), after its chain run ended with the error, as in LangGraph.
        """
        run = self._child_run(value, None, ctx)
        try:
            await run.run(value)
        finally:
            ctx.progress()  # (the subgraph's end is progress, as LangGraph's chain end)
        return run.values()

    # -- node cache --------------------------------------------------------------------------

    async def aclear_cache(self, nodes: Sequence[str] | None = None) -> None:
        """Drop the cached writes of ``nodes`` (default: every node) from the graph's cache
        (``ValueError`` when the graph was compiled without ``cache=``)."""
        cache, namespaces = self._cache_namespaces(nodes)
        await cache.aclear(namespaces)

    def clear_cache(self, nodes: Sequence[str] | None = None) -> None:
        """Sync :meth:`aclear_cache` (no event loop needed)."""
        cache, namespaces = self._cache_namespaces(nodes)
        cache.clear(namespaces)

    def _cache_namespaces(self, nodes: Sequence[str] | None) -> tuple[Any, list[tuple[str, ...]]]:
        from ._cache import namespace

        cache = self._program.cache
        if cache is None:
            raise ValueError("No cache is set for this graph. Cannot clear cache.")
        program_nodes = self._program.nodes
        names = list(nodes) if nodes else [n for n in program_nodes if not program_nodes[n].hidden]
        return cache, [namespace(program_nodes[n]) for n in names if n in program_nodes]

    # -- subgraphs -------------------------------------------------------------------------

    def get_subgraphs(self, *, namespace: str | None = None,
                      recurse: bool = False) -> Iterator[tuple[str, CompiledGraph]]:
        """``(namespace, subgraph)`` for each node that is a compiled graph or whose function
        calls one (not one compiled with ``checkpointer=False``), as LangGraph 1.2's:
        ``recurse=True`` goes on into theirs (namespaces ``parent|child``); ``namespace``
        yields only the subgraph there (a nested one needs ``recurse=True``)."""
        for name, node in self._program.nodes.items():
            if namespace is not None and namespace != name and not namespace.startswith(name + "|"):
                continue
            graph = _snapshot.node_subgraph(node.call)
            if graph is None:
                continue
            if name == namespace:
                yield name, graph
                return
            if namespace is None:
                yield name, graph
            if recurse:
                below = None if namespace is None else namespace[len(name) + 1:]
                for inner, sub in graph.get_subgraphs(namespace=below, recurse=recurse):
                    yield f"{name}|{inner}", sub

    async def aget_subgraphs(self, *, namespace: str | None = None,
                             recurse: bool = False) -> AsyncIterator[tuple[str, CompiledGraph]]:
        """:meth:`get_subgraphs` as an async iterator."""
        for item in self.get_subgraphs(namespace=namespace, recurse=recurse):
            yield item

    # -- drawing ---------------------------------------------------------------------------

    def get_graph(self, config: dict[str, Any] | None = None, *, xray: int | bool = False) -> Any:
        """The graph's drawable structure (a :class:`~actorgraph.graph.DrawableGraph`:
        ``draw_mermaid()``, ``to_json()``, ``draw_ascii()``, ``to_dot()``, ``draw_png()``,
        ``draw_mermaid_png()``), as LangGraph 1.2 draws it.

        ``xray=True`` expands every subgraph node (a compiled graph, or one a node's function
        calls; not one compiled with ``checkpointer=False``) into its own nodes, recursively; ``xray=N`` expands N levels. ``config`` is
        accepted for LangGraph compatibility (it does not change the structure)."""
        from ..graph._draw import DrawableGraph

        subgraphs = {}
        if xray:
            deeper = xray if isinstance(xray, bool) else xray - 1
            for name, node in self._program.nodes.items():
                sub = _snapshot.node_subgraph(node.call)
                if sub is not None:
                    subgraphs[name] = sub.get_graph(config, xray=deeper)
        return DrawableGraph.from_builder(self.builder, self.name, interrupt_before=self.interrupt_before,
                                          interrupt_after=self.interrupt_after, subgraphs=subgraphs)

    def get_input_jsonschema(self, config: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON Schema of what ``invoke`` accepts, as LangGraph 1.2 gives it (made with
        pydantic): a pydantic input schema's own, a ``TypedDict``'s, or else an object of the
        input keys titled ``<name>Input``. ``ImportError`` naming pydantic without it."""
        from ..graph._jsonschema import io_json_schema, suffixed_name

        return io_json_schema(self.builder.input_schema, suffixed_name(self.name, "Input"))

    def get_output_jsonschema(self, config: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON Schema of what ``invoke`` returns (see :meth:`get_input_jsonschema`;
        titled ``<name>Output`` when generated)."""
        from ..graph._jsonschema import io_json_schema, suffixed_name

        return io_json_schema(self.builder.output_schema, suffixed_name(self.name, "Output"))

    @property
    def InputType(self) -> Any:  # noqa: N802  (LangChain's name)
        """The graph's input schema, as LangGraph 1.2 reports it (``Runnable.as_tool`` builds
        the tool's arguments from its keys). But ``Any`` for a ``typing.TypedDict`` before
        Python 3.12, which pydantic refuses (LangGraph's then raises ``PydanticUserError``
        where LangChain builds a model of it: ``as_tool``, a ``RunnableParallel``'s schema)."""
        return _pydantic_usable(self.builder.input_schema)

    @property
    def OutputType(self) -> Any:  # noqa: N802
        """The output schema of a graph whose state is one value (``StateGraph(int)``), else
        None, as LangGraph 1.2 reports it."""
        return _pydantic_usable(self.builder.output_schema) if self._program.root_key else None

    def get_input_schema(self, config: dict[str, Any] | None = None) -> Any:
        """The pydantic model of what ``invoke`` accepts, as LangGraph 1.2 gives it: a pydantic
        input schema itself, else a ``RootModel`` named ``<name>Input`` (``<name>_input`` for
        a lower-case name) rooted at the input schema. ``ImportError`` naming pydantic without
        it. (Its JSON schema is not :meth:`get_input_jsonschema`'s, as in LangGraph.)"""
        from ..graph._jsonschema import input_model, suffixed_name

        return input_model(self.builder.input_schema, suffixed_name(self.name, "Input"))

    def get_output_schema(self, config: dict[str, Any] | None = None) -> Any:
        """The pydantic model of what ``invoke`` returns, as LangGraph 1.2 gives it: a model
        named ``<name>Output`` (``<name>_output``) of the output keys (managed values left
        out), each optional with a ``None`` default. ``ImportError`` naming pydantic without
        it."""
        from ..graph._jsonschema import output_model, suffixed_name

        return output_model(self.builder.output_schema, suffixed_name(self.name, "Output"),
                            self._program.output_keys)

    def get_context_jsonschema(self) -> dict[str, Any] | None:
        """The JSON Schema of the graph's ``context_schema``; ``None`` when it has none."""
        from ..graph._jsonschema import context_json_schema

        return context_json_schema(self.builder.context_schema)

    def _config_parts(self) -> tuple[Any, str]:
        """The context schema and the name of :meth:`config_schema`'s model."""
        from ..graph._jsonschema import suffixed_name

        return self.builder.context_schema, suffixed_name(self.name, "Config")

    def config_schema(self, *, include: Sequence[str] | None = None) -> Any:
        """Deprecated (as in LangGraph 1.0, warning ``LangGraphDeprecatedSinceV10``): the
        pydantic model ``<name>Config`` of the config, its ``configurable`` the context schema
        (see :func:`~actorgraph.graph._jsonschema.config_model`). Use
        :meth:`get_context_jsonschema`."""
        from ..graph._jsonschema import config_model
        from ..warnings import LangGraphDeprecatedSinceV10

        warnings.warn("`config_schema` is deprecated. Use `get_context_jsonschema` for the relevant schema instead.",
                      LangGraphDeprecatedSinceV10, stacklevel=2)
        context, name = self._config_parts()
        return config_model(context, name, include)

    def get_config_jsonschema(self, *, include: Sequence[str] | None = None) -> dict[str, Any]:
        """Deprecated: the JSON Schema of :meth:`config_schema`'s model. Use
        :meth:`get_context_jsonschema`."""
        from ..graph._jsonschema import config_model
        from ..warnings import LangGraphDeprecatedSinceV10

        warnings.warn("`get_config_jsonschema` is deprecated. Use `get_context_jsonschema` instead.",
                      LangGraphDeprecatedSinceV10, stacklevel=2)
        context, name = self._config_parts()
        return dict(config_model(context, name, include).model_json_schema())

    async def aget_graph(self, config: dict[str, Any] | None = None, *, xray: int | bool = False) -> Any:
        """:meth:`get_graph` (nothing to wait for; async for LangGraph compatibility)."""
        return self.get_graph(config, xray=xray)


def _pydantic_usable(schema: Any) -> Any:
    """``schema``, or ``Any`` for a ``typing.TypedDict`` pydantic refuses (Python < 3.12)."""
    if sys.version_info < (3, 12) and type(schema).__module__ == "typing" and is_typeddict(schema):
        return Any
    return schema


class _Result:
    """Runs a :class:`Run` for a :class:`RunStream` (as the stream's run) and keeps what it
    returned."""

    __slots__ = ("target", "result")

    def __init__(self) -> None:
        self.target: Run | None = None
        self.result: Any = None

    async def run(self, value: Any) -> None:
        assert self.target is not None
        self.result = await self.target.run(value)


class _PrintingStream(RunStream):
    """A :class:`RunStream` that prints the events of its print modes (``print_mode`` /
    ``debug``) and yields only those of ``shown`` modes."""

    def __init__(self, start: Callable[[], tuple[Run, Subscriber, Any]], single: bool,
                 subgraphs: bool, shown: frozenset[str], printed: frozenset[str]) -> None:
        super().__init__(start, False, True)
        self._shape = (single, subgraphs)
        self._shown = shown
        self._printed = printed

    def _chunk(self, event: StreamEvent) -> Any:
        single, subgraphs = self._shape
        ns, mode, chunk = event.ns, event.mode, event.chunk
        if mode in self._printed:
            _print_event(ns, mode, chunk)
        if mode not in self._shown:
            return SKIP
        if subgraphs:
            return (ns, chunk) if single else (ns, mode, chunk)
        return chunk if single else (mode, chunk)


def _print_event(ns: tuple[str, ...], mode: str, chunk: Any) -> None:
    """Print one event as LangGraph's ``print_mode`` does: ``[mode]`` in bold, a subgraph's
    ``[graph=namespace]`` in yellow, then the chunk's ``repr``."""
    parts = [f"\033[1m[{mode}]\033[0m"]
    if ns:
        parts.append(f"\033[1;30;33m[graph={ns}]\033[0m")
    parts.append(repr(chunk))
    print(" ".join(parts))  # noqa: T201


def durability_of(durability: str | None, checkpoint_during: bool | None) -> str | None:
    """``durability``, or what LangGraph's deprecated ``checkpoint_during`` says (a
    ``DeprecationWarning``): ``True`` is ``"async"``, ``False`` is ``"exit"``; ``ValueError``
    when both are given."""
    if checkpoint_during is None:
        return durability
    from ..warnings import LangGraphDeprecatedSinceV10

    # (LangGraph's text: checkpoint_during=True is durability="async", False is "exit")
    warnings.warn("`checkpoint_during` is deprecated and will be removed. Please use `durability` instead.",
                  LangGraphDeprecatedSinceV10, stacklevel=3)
    if durability is not None:
        raise ValueError("Cannot use both `checkpoint_during` and `durability`: use `durability`")
    return "async" if checkpoint_during else "exit"


def nested(config: dict[str, Any] | None) -> bool:
    """A graph called inside a running node with ``config`` runs as that node's subgraph:
    without a config, with one that leaves ``configurable`` out or empty, or with the node's own
    (derived) config. One with a ``configurable`` of its own (e.g. another ``thread_id``)
    makes an independent run: its own checkpointer and thread, not streamed with the
    caller's, as in LangGraph."""
    if config is None:
        return True
    configurable = config.get("configurable")
    return not configurable or TASK_ID_KEY in configurable  # (LangChain's configs carry {})


register_runnable(CompiledGraph)


_COPYABLE = frozenset({"checkpointer", "store", "debug", "name", "step_timeout", "config",
                       "interrupt_before", "interrupt_after"})
"""The attributes :meth:`CompiledGraph.copy` replaces."""

_COPY_ALIASES = {"interrupt_before_nodes": "interrupt_before", "interrupt_after_nodes": "interrupt_after"}
"""LangGraph's Pregel names of attributes :meth:`CompiledGraph.copy` replaces."""


def _modes(stream_mode: str | Sequence[str]) -> tuple[list[str], bool]:
    if isinstance(stream_mode, str):
        modes, single = [stream_mode], True
    else:
        modes, single = list(stream_mode), False
    for m in modes:
        if m not in STREAM_MODES:
            raise ValueError(f"Unknown stream mode {m!r}; expected one of {sorted(STREAM_MODES)}")
    return modes, single


_BARRIER_MODES = frozenset({"values", "updates", "tasks", "checkpoints", "debug"})
"""Stream modes whose events are made on the run's event loop's thread (see :meth:`CompiledGraph.stream`)."""


def _barrier_modes_only(kwargs: dict[str, Any]) -> bool:
    modes = kwargs.get("stream_mode", DEFAULT_STREAM_MODE)
    printed = kwargs.get("print_mode", ())
    names = {modes} if isinstance(modes, str) else set(modes)
    names |= {printed} if isinstance(printed, str) else set(printed)
    return not kwargs.get("subgraphs") and names <= _BARRIER_MODES


def _inline_node() -> bool:
    """Called by a sync node that a run executes on its event loop's thread (see ``invoke``)."""
    ctx = current_task.get()
    return ctx is not None and ctx.inline


def _run_sync(name: str, alternative: str, main: Callable[[], Awaitable[T]]) -> T:
    """``anyio.run(main)`` for a sync method, on the thread's private loop. Where an event loop
    runs already — a sync node running on the loop's thread, an async node, async code (a
    notebook's cell) — on a helper thread with a loop of its own, joined before returning: the
    caller's loop is blocked meanwhile, as LangGraph's sync API (plain sync code) blocks it."""
    ctx = current_task.get()
    if (ctx is None or not ctx.inline) and not _private_loop.a_loop_runs_here():
        return _private_loop.run(main)  # (the thread's own loop, kept between calls)
    outcome: list[Any] = []
    context = contextvars.copy_context()

    def fresh_loop() -> T:
        sniffio = sys.modules.get("sniffio")  # (the copied context names the caller's loop)
        if sniffio is not None:
            sniffio.current_async_library_cvar.set(None)
        # (the helper's own private loop, as the sync API's anywhere: anyio.run would name its
        # library in the context, where a sync node calling anyio.run() would see it running)
        return _private_loop.run(main)

    def target() -> None:
        try:
            outcome.append((True, context.run(fresh_loop)))
        except BaseException as exc:
            outcome.append((False, exc))

    # what the helper posts to this blocked loop (the events of the run it hosts as a subgraph
    # of the node's) is delivered once it is joined, before the node goes on
    emitter = ctx.run.emitter.root if ctx is not None else None
    held = emitter.hold_posts() if emitter is not None else None
    try:
        thread = threading.Thread(target=target, name=f"actorgraph.{name}")
        thread.start()
        thread.join()
    finally:
        if emitter is not None:
            emitter.release_posts(held)
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]

