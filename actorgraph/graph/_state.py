"""``StateGraph``: the builder users write graphs with, and ``compile()`` into a :class:`Program`."""

from __future__ import annotations

import types
import typing
import warnings
from collections.abc import Callable, Hashable, Sequence
from datetime import timedelta
from typing import Any, Literal, get_args, get_origin

from ..channels import (
    AgentJournal,
    AnyValue,
    BaseChannel,
    BinaryOperatorAggregate,
    EphemeralValue,
    LastValue,
    LastValueAfterFinish,
    NamedBarrierValue,
    NamedBarrierValueAfterFinish,
    Topic,
)
from .. import _langchain
from ..errors import GraphValidationError
from .._policies import CachePolicy, TimeoutPolicy
from ..types import Command, RetryPolicy, TracePolicy, retry_policies
from ._agents import AgentSpec, PopulationCall, check_factory, inbox_channel, round_channel, state_channel
from ._branch import Branch
from ._constants import END, RESERVED_CHARS, START, TASKS, branch_channel, join_channel
from ._program import NodeCall, NodeProgram, Program
from ._schema import (
    _MANAGED, FieldSpec, input_schema_of, make_reader, make_validator, reader_for, schema_fields,
)


class _NodeSpec:
    __slots__ = ("name", "fn", "input_schema", "retry_policy", "defer", "destinations", "metadata", "subgraph",
                 "timeout", "cache_policy", "error_handler", "trace_policy")

    def __init__(self, name: str, fn: Any, input_schema: Any, retry_policy: tuple[RetryPolicy, ...],
                 defer: bool, destinations: tuple[str, ...], metadata: dict[str, Any] | None,
                 subgraph: Any) -> None:
        self.name = name
        self.fn = fn
        self.input_schema = input_schema
        self.retry_policy = retry_policy
        self.defer = defer
        self.destinations = destinations
        self.metadata = metadata
        self.subgraph = subgraph
        self.timeout: TimeoutPolicy | None = None
        self.cache_policy: CachePolicy | None = None
        self.error_handler: Callable[..., Any] | None = None
        self.trace_policy: TracePolicy | None = None


DEFAULT_ERROR_HANDLER = "__default_error_handler__"
"""The node name of the error handler given by ``set_node_defaults(error_handler=...)``."""


def _deprecated_kwarg(old: str, old_value: Any, new: str, new_value: Any) -> Any:
    """Warn that ``StateGraph``'s keyword ``old`` is deprecated; the value ``new`` takes
    (``new_value`` when that was given too, else ``old_value``)."""
    from ..warnings import LangGraphDeprecatedSinceV05, LangGraphDeprecatedSinceV10

    # (LangGraph's categories: config_schema since 1.0, input/output/retry since 0.5)
    category = LangGraphDeprecatedSinceV10 if old == "config_schema" else LangGraphDeprecatedSinceV05
    warnings.warn(f"`{old}` is deprecated and will be removed. Please use `{new}` instead.",
                  category, stacklevel=3)
    return old_value if new_value is None else new_value


class StateGraph:
    """A graph whose nodes read and write a shared state, run as BSP super-steps.

    ``state_schema`` is a ``TypedDict``, dataclass, ``msgspec.Struct`` or pydantic model; each
    field becomes a channel: ``Annotated[T, reducer]`` folds every write of a step with
    ``reducer(old, new)``; any other field keeps the last value (two writes in one step raise
    ``InvalidUpdateError``). ``input_schema`` / ``output_schema`` restrict what ``invoke``
    accepts and returns (LangGraph's deprecated ``input=`` / ``output=`` still work, warning). Builder methods return ``self`` so calls can be chained.
    """

    def __class_getitem__(cls, params: Any) -> Any:
        """``StateGraph[State]`` (up to ``[State, Context, Input, Output]``) in annotations and
        calls, as LangGraph's generic class allows: the class itself, parameterized."""
        return types.GenericAlias(cls, params)


    def __init__(
        self,
        state_schema: Any = None,
        context_schema: Any = None,
        *,
        input_schema: Any = None,
        output_schema: Any = None,
        config_schema: Any = None,
        input: Any = None,
        output: Any = None,
    ) -> None:
        # LangGraph's deprecated names (config_schema since 1.0, input/output since 0.5): each
        # warns, and the new name wins when both are given
        if config_schema is not None:
            context_schema = _deprecated_kwarg("config_schema", config_schema, "context_schema", context_schema)
        if input is not None:
            input_schema = _deprecated_kwarg("input", input, "input_schema", input_schema)
        if output is not None:
            output_schema = _deprecated_kwarg("output", output, "output_schema", output_schema)
        if state_schema is None:
            if input_schema is None or output_schema is None:
                raise GraphValidationError("StateGraph needs a state_schema (or both input_schema and output_schema)")
            state_schema = input_schema
        self.state_schema = state_schema
        self.input_schema = input_schema if input_schema is not None else state_schema
        self.output_schema = output_schema if output_schema is not None else state_schema
        self.context_schema = context_schema
        self.nodes: dict[str, _NodeSpec] = {}
        self.agents: dict[str, AgentSpec] = {}  # agent populations (add_agents), also nodes
        self.edges: set[tuple[str, str]] = set()
        self.waiting_edges: set[tuple[tuple[str, ...], str]] = set()
        self.branches: dict[str, dict[str, Branch]] = {}
        self.destination_labels: dict[str, dict[str, str]] = {}  # add_node(destinations={node: label})
        self.node_defaults: dict[str, Any] = {}  # set_node_defaults(...)
        self.fields: dict[str, FieldSpec] = {}
        self._add_schema(self.state_schema)
        self._add_schema(self.input_schema)
        self._add_schema(self.output_schema)

    @property
    def channels(self) -> dict[str, BaseChannel[Any, Any, Any]]:
        """The state's channels by key, as LangGraph's ``builder.channels``: every key of the
        state, input, output and nodes' input schemas (a reducer's key a
        ``BinaryOperatorAggregate``, others a ``LastValue``, or the channel ``Annotated``
        names), managed values left out. A new dict of fresh channels at each access: changing
        it changes nothing (add keys with schemas)."""
        return {key: _channel_for(key, field) for key, field in self.fields.items() if field.managed is None}

    @property
    def managed(self) -> dict[str, type]:
        """The state's managed values by key, as LangGraph's ``builder.managed``: each key's
        manager class (``RemainingStepsManager`` for ``remaining_steps: RemainingSteps``, also
        under ``Required``/``NotRequired``). A new dict at each access."""
        managers = {alias: manager for manager, alias in _MANAGED.items()}
        return {key: managers[field.managed] for key, field in self.fields.items() if field.managed is not None}

    # -- building --------------------------------------------------------------------------

    def _add_schema(self, schema: Any) -> None:
        for name, spec in schema_fields(schema).items():
            old = self.fields.get(name)
            if old is None or (old.reducer is None and old.channel is None and old.managed is None):
                self.fields[name] = spec
            elif (spec.reducer or spec.channel) and (spec.reducer, spec.channel) != (old.reducer, old.channel):
                raise GraphValidationError(f"Channel '{name}' already exists with a different type")

    def add_node(
        self,
        node: str | Callable[..., Any],
        action: Any = None,
        *,
        input_schema: Any = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        defer: bool = False,
        destinations: dict[str, str] | tuple[str, ...] | None = None,
        metadata: dict[str, Any] | None = None,
        cache_policy: CachePolicy | None = None,
        error_handler: Callable[..., Any] | None = None,
        timeout: float | timedelta | TimeoutPolicy | None = None,
        retry: RetryPolicy | Sequence[RetryPolicy] | None = None,
        input: Any = None,
        trace_policy: TracePolicy | None = None,
    ) -> StateGraph:
        """Add a node: ``add_node("name", fn)`` or ``add_node(fn)`` (named after ``fn``).

        ``fn`` may be sync or async, take ``(state)`` or ``(state, config)`` and keyword
        parameters ``config``, ``writer``, ``store``, ``runtime``; or be a compiled graph
        (a subgraph sharing the keys it knows); or a LangChain ``Runnable`` (with
        langchain-core installed: ``RunnableLambda``, ``prompt | model``, a ``@tool``, ..., or a
        dict of runnables/callables, which becomes a ``RunnableParallel`` as in LangGraph),
        called with the state and the node's config — ``invoke`` under the sync API and on trio
        (in a worker thread), ``ainvoke`` under the async API on asyncio — and named by its
        ``get_name()`` when no name is given. ``retry_policy`` retries failed attempts (a
        sequence: the first policy whose ``retry_on`` matches the error applies);
        ``defer=True`` runs the node only when nothing else is left to run; ``destinations``
        declares ``Command(goto=...)`` targets for validation and drawing.

        ``cache_policy`` reuses the node's writes for an input seen before (with
        ``compile(cache=...)``); ``error_handler`` (``fn(state, error: NodeError)``, sync or
        async) runs when the node fails after its retries, and its return value (an update or a
        ``Command``) replaces the node's: the node's own edges are not taken; ``timeout``
        (seconds, a ``timedelta`` or a :class:`TimeoutPolicy`) cancels an attempt that takes
        too long with :class:`NodeTimeoutError` (async nodes only). See docs/node-policies.md.
        ``retry`` and ``input`` are LangGraph's deprecated names for ``retry_policy`` and
        ``input_schema`` (they warn, as LangGraph's do). ``trace_policy`` (a
        :class:`~actorgraph.types.TracePolicy`) changes what tracers record of the node's run.
        """
        if retry is not None:  # (LangGraph's deprecated names, as StateGraph's)
            retry_policy = _deprecated_kwarg("retry", retry, "retry_policy", retry_policy)
        if input is not None:
            input_schema = _deprecated_kwarg("input", input, "input_schema", input_schema)
        if not isinstance(node, str):
            action = node
            node = _default_name(action)
        if isinstance(action, dict) and _langchain.available():
            # as LangGraph: a dict of runnables/callables is a RunnableParallel (each gets the
            # state; the node writes {key: its output})
            action = _langchain.runnables().RunnableParallel(action)
        if _langchain.is_runnable(action):
            action = _langchain.RunnableNode(action)
        if action is None:
            raise GraphValidationError(f"Node `{node}` needs an action (a function or a compiled graph)")
        if not callable(action) and not _is_compiled_graph(action):
            # as LangGraph, at add_node (not at the node's first run); a dict needs langchain-core
            raise TypeError(f"Node `{node}`: expected a Runnable, callable or compiled graph. "
                            f"Instead got an unsupported type: {type(action)}")
        if node in self.nodes or node in self.agents:
            raise GraphValidationError(f"Node `{node}` already present.")
        if node in (START, END):
            raise GraphValidationError(f"Node `{node}` is reserved.")
        for ch in RESERVED_CHARS:
            if ch in node:
                raise GraphValidationError(f"'{ch}' is a reserved character and is not allowed in the node names.")
        subgraph = action if _is_compiled_graph(action) else None
        if input_schema is None and subgraph is None:
            input_schema = input_schema_of(action)
        if input_schema is not None:
            self._add_schema(input_schema)
        policies = retry_policies(retry_policy)
        dests: tuple[str, ...] = ()
        if isinstance(destinations, dict):
            dests = tuple(destinations)
            self.destination_labels[node] = {str(k): str(v) for k, v in destinations.items()}
        elif destinations:
            dests = tuple(destinations)
        else:
            dests = _command_destinations(action)
        spec = self.nodes[node] = _NodeSpec(node, action, input_schema, policies, defer, dests, metadata, subgraph)
        spec.timeout = TimeoutPolicy.coerce(timeout)
        spec.cache_policy = cache_policy
        spec.error_handler = error_handler
        spec.trace_policy = trace_policy
        return self

    def set_node_defaults(
        self,
        *,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        cache_policy: CachePolicy | None = None,
        error_handler: Callable[..., Any] | None = None,
        timeout: float | timedelta | TimeoutPolicy | None = None,
    ) -> StateGraph:
        """Policies for every node that ``add_node`` gave none of its own, applied at
        ``compile()`` (not inherited by subgraphs), as LangGraph 1.2's.

        ``retry_policy`` (a :class:`RetryPolicy` or a sequence of them), ``cache_policy``,
        ``timeout`` (seconds, a ``timedelta`` or a :class:`TimeoutPolicy`; a sync node then
        fails to compile, as with its own timeout) and ``error_handler`` (one handler for every
        node without one, run as the node ``__default_error_handler__``). Called again, it
        replaces the defaults it is given and keeps the others.
        """
        if retry_policy is not None:
            self.node_defaults["retry_policy"] = retry_policies(retry_policy)
        if cache_policy is not None:
            self.node_defaults["cache_policy"] = cache_policy
        if error_handler is not None:
            self.node_defaults["error_handler"] = error_handler
        if timeout is not None:
            self.node_defaults["timeout"] = TimeoutPolicy.coerce(timeout)
        return self

    def _node_policies(self, spec: _NodeSpec) -> tuple[tuple[RetryPolicy, ...], TimeoutPolicy | None,
                                                        CachePolicy | None, Any, str]:
        """A node's retry policies, timeout, cache policy, error handler and the handler's node
        name: its own, else the graph's defaults (``set_node_defaults``)."""
        defaults = self.node_defaults
        handler, hname = spec.error_handler, f"__error_handler__{spec.name}"
        if handler is None and "error_handler" in defaults:
            handler, hname = defaults["error_handler"], DEFAULT_ERROR_HANDLER
        return (spec.retry_policy or defaults.get("retry_policy", ()),
                spec.timeout if spec.timeout is not None else defaults.get("timeout"),
                spec.cache_policy if spec.cache_policy is not None else defaults.get("cache_policy"),
                handler, hname)

    def add_agents(self, name: str, agent: Any, *, clock: bool = False,
                   metadata: dict[str, Any] | None = None) -> StateGraph:
        """Add an agent population ``name``: keyed agents made by ``agent`` (an
        :class:`~actorgraph.Agent` subclass, or a ``factory(key) -> Agent``), one per key,
        created on the first ``Send(name, payload, key=key)``, alive for the run.

        Each super-step delivers every agent the messages sent to it in the previous one and
        runs the agents that got some (``clock=True``: also every agent that has not called
        ``halt()``) concurrently; what an agent returns is what a node returns. Edges from
        ``name`` fire after every step the population runs; an edge or ``goto`` to it runs its
        awake agents (clock-driven) without messages. See ``docs/agents.md``.
        """
        if not isinstance(name, str) or not name:
            raise GraphValidationError(f"add_agents needs a population name (a non-empty str), got {name!r}")
        if name in self.nodes or name in self.agents:
            raise GraphValidationError(f"Node `{name}` already present.")
        if name in (START, END):
            raise GraphValidationError(f"Node `{name}` is reserved.")
        for ch in RESERVED_CHARS:
            if ch in name:
                raise GraphValidationError(f"'{ch}' is a reserved character and is not allowed in the node names.")
        check_factory(name, agent)
        self.agents[name] = AgentSpec(name, agent, clock, metadata)
        return self

    def add_edge(self, start_key: str | Sequence[str], end_key: str) -> StateGraph:
        """``add_edge("a", "b")``: b runs after a. ``add_edge(["a", "b"], "c")``: c runs once,
        after both a and b have finished (whatever the steps they finish in)."""
        if isinstance(start_key, str):
            if start_key == END:
                raise GraphValidationError("END cannot be a start node")
            if end_key == START:
                raise GraphValidationError("START cannot be an end node")
            self.edges.add((start_key, end_key))
            return self
        sources = tuple(start_key)
        for s in sources:
            if s == END:
                raise GraphValidationError("END cannot be a start node")
            if s not in self.nodes and s not in self.agents:  # START too, as in LangGraph
                raise GraphValidationError(f"Need to add_node `{s}` first")
        if end_key == START:
            raise GraphValidationError("START cannot be an end node")
        if end_key != END and end_key not in self.nodes and end_key not in self.agents:
            raise GraphValidationError(f"Need to add_node `{end_key}` first")
        self.waiting_edges.add((sources, end_key))
        return self

    def add_conditional_edges(
        self,
        source: str,
        path: Callable[..., Any],
        path_map: dict[Hashable, str] | list[str] | None = None,
    ) -> StateGraph:
        """After ``source`` runs, ``path(state)`` picks the next node(s): a name, ``END``, a
        ``Send``, or a list of them (mapped through ``path_map`` when given). The router sees
        the state plus ``source``'s own writes of this step. ``path`` may be a LangChain
        ``Runnable``, called with the state and the config (``ainvoke`` on asyncio, ``invoke``
        in a worker thread on trio)."""
        if _langchain.is_runnable(path):
            path = _langchain.RunnableRouter(path)
        branch = Branch(path, path_map, source=source)
        if branch.name in self.branches.get(source, {}):
            raise GraphValidationError(f"Branch with name `{branch.name}` already exists for node `{source}`")
        self.branches.setdefault(source, {})[branch.name] = branch
        return self

    def add_sequence(self, nodes: Sequence[Callable[..., Any] | tuple[str, Callable[..., Any]]]) -> StateGraph:
        """Add nodes that run one after another, in the given order. A name already taken
        (two lambdas, say: name them with ``(name, fn)`` tuples) raises
        :class:`GraphValidationError` with LangGraph's message."""
        if not nodes:
            raise GraphValidationError("Sequence requires at least one node.")
        previous: str | None = None
        for item in nodes:
            if isinstance(item, tuple):
                name, fn = item
            else:
                fn = item
                if _langchain.is_runnable(item):
                    name = _langchain.runnable_name(item)
                else:
                    name = getattr(item, "__name__", None) or type(item).__name__
            if name in self.nodes or name in self.agents:
                raise GraphValidationError(
                    f"Node names must be unique: node with the name '{name}' already exists. If you need "
                    "to use two different runnables/callables with the same name (for example, using "
                    "`lambda`), please provide them as tuples (name, runnable/callable).")
            self.add_node(name, fn)
            if previous is not None:
                self.add_edge(previous, name)
            previous = name
        return self

    def set_entry_point(self, key: str) -> StateGraph:
        """Same as ``add_edge(START, key)``."""
        return self.add_edge(START, key)

    def set_conditional_entry_point(
        self, path: Callable[..., Any], path_map: dict[Hashable, str] | list[str] | None = None
    ) -> StateGraph:
        """Same as ``add_conditional_edges(START, path, path_map)``."""
        return self.add_conditional_edges(START, path, path_map)

    def set_finish_point(self, key: str) -> StateGraph:
        """Same as ``add_edge(key, END)``."""
        return self.add_edge(key, END)

    # -- compiling -------------------------------------------------------------------------

    def validate(self, interrupt: Sequence[str] = ()) -> StateGraph:
        """Raise :class:`GraphValidationError` naming the first bad node or edge (or node of
        ``interrupt`` not in the graph); else return the builder, as LangGraph's does."""
        all_sources = {s for s, _ in self.edges} | {s for ss, _ in self.waiting_edges for s in ss}
        all_sources |= set(self.branches)
        for name, spec in self.nodes.items():
            if spec.destinations:
                all_sources.add(name)
        known = self.nodes.keys() | self.agents.keys()
        for source in sorted(all_sources):
            if source != START and source not in known:
                raise GraphValidationError(f"Found edge starting at unknown node '{source}'")
        if START not in all_sources:
            raise GraphValidationError("Graph must have an entrypoint: add at least one edge from START to another node")
        targets = {t for _, t in self.edges} | {t for _, t in self.waiting_edges}
        for name, spec in self.nodes.items():
            targets.update(spec.destinations)
        for target in sorted(targets):
            if target != END and target not in known:
                raise GraphValidationError(f"Found edge ending at unknown node `{target}`")
        for source, branches in self.branches.items():
            for bname, branch in branches.items():
                for end in branch.ends or ():
                    if end != END and end not in known:
                        raise GraphValidationError(f"At '{source}' node, '{bname}' branch found unknown target '{end}'")
        for node in interrupt:
            if node != "*" and node not in known:
                raise GraphValidationError(f"Interrupt node `{node}` not found")
        return self

    def compile(
        self,
        checkpointer: Any = None,
        *,
        store: Any = None,
        interrupt_before: Sequence[str] | Literal["*"] | None = None,
        interrupt_after: Sequence[str] | Literal["*"] | None = None,
        debug: bool = False,
        name: str | None = None,
        cache: Any = None,
    ) -> Any:
        """Validate and freeze the graph; returns a runnable ``CompiledGraph``.

        ``checkpointer``: a saver (a :class:`~actorgraph.persistence.BaseCheckpointSaver`),
        ``None``, or ``True``/``False`` as LangGraph accepts for subgraphs; anything else raises
        ``TypeError`` naming its type. Raises :class:`GraphValidationError` (a ``ValueError``)
        naming the unknown node, edge or branch target.
        """
        _check_checkpointer(checkpointer)
        before = _node_list(interrupt_before)
        after = _node_list(interrupt_after)
        self.validate([*before, *after])
        program = self._program(name or "LangGraph")
        program.cache = cache
        self._register_schemas()
        # The runtime is the layer above; the builder hands it the finished program.
        from ..runtime import CompiledGraph

        return CompiledGraph(
            program,
            builder=self,
            checkpointer=checkpointer,
            store=store,
            interrupt_before=before,
            interrupt_after=after,
            debug=debug,
        )

    def _register_schemas(self) -> None:
        """Let checkpoints hold instances of this graph's own schema classes, as LangGraph's
        serializer does: ``invoke(State(...))``, a pydantic subgraph's input,
        ``Send("node", NodeInput(...))``, a field typed with a model, dataclass or enum
        (``sub: Optional[Item]``, ``items: list[Item]``). Only classes the program's schemas
        name; a stored name is still never imported."""
        from ..persistence._serde import register_schema_types

        register_schema_types(self.state_schema, self.input_schema, self.output_schema,
                              *(spec.input_schema for spec in self.nodes.values()))

    def _program(self, name: str) -> Program:
        channels: dict[str, BaseChannel[Any, Any, Any]] = {}
        managed: dict[str, Any] = {}
        for key, field in self.fields.items():
            if field.managed is not None:
                managed[key] = field.managed
                continue
            channels[key] = _channel_for(key, field)
        state_keys = tuple(k for k in schema_fields(self.state_schema) if k in channels)
        input_keys = tuple(k for k in schema_fields(self.input_schema) if k in channels)
        output_keys = tuple(k for k in schema_fields(self.output_schema) if k in channels)
        root_key = state_keys == ("__root__",)

        channels[START] = EphemeralValue(Any, START)
        channels[TASKS] = Topic(Any, TASKS)
        clearing = {START, TASKS}
        for node, nspec in self.nodes.items():
            ch = branch_channel(node)
            channels[ch] = LastValueAfterFinish(Any, ch) if nspec.defer else EphemeralValue(Any, ch, guard=False)
            if not nspec.defer:
                clearing.add(ch)
        for pop in self.agents:
            ch = branch_channel(pop)
            channels[ch] = EphemeralValue(Any, ch, guard=False)
            clearing.add(ch)
            channels[inbox_channel(pop)] = Topic(Any, inbox_channel(pop))
            channels[state_channel(pop)] = AgentJournal(Any, state_channel(pop))
            channels[round_channel(pop)] = LastValue(int, round_channel(pop))
        joins_into: dict[str, list[str]] = {}
        joins_from: dict[str, list[str]] = {}
        for sources, target in sorted(self.waiting_edges):
            ch = join_channel(sources, target)
            deferred = target in self.nodes and self.nodes[target].defer
            channels[ch] = (NamedBarrierValueAfterFinish if deferred else NamedBarrierValue)(str, set(sources), ch)
            joins_into.setdefault(target, []).append(ch)
            for s in sources:
                joins_from.setdefault(s, []).append(ch)
        for key, ch_obj in channels.items():
            if isinstance(ch_obj, (EphemeralValue, AnyValue)) or (isinstance(ch_obj, Topic) and key not in self.fields):
                clearing.add(key)
            elif isinstance(ch_obj, Topic) and not getattr(ch_obj, "accumulate", False):
                clearing.add(key)

        edges_from: dict[str, list[str]] = {}
        for s, t in sorted(self.edges):
            if t != END:
                edges_from.setdefault(s, []).append(t)

        nodes: dict[str, NodeProgram] = {}
        nodes[START] = NodeProgram(
            START, NodeCall(_identity), (START,), lambda values: values.get(START), (START,),
            tuple(edges_from.get(START, ())), tuple(joins_from.get(START, ())),
            tuple(self.branches.get(START, {}).values()), (), False, hidden=True,
        )
        for node, spec in self.nodes.items():
            if spec.subgraph is not None:
                reads = tuple(k for k in state_keys)
                reader = reader_for(self.state_schema, reads, managed)
                call = NodeCall(spec.fn, subgraph=spec.subgraph)
            else:
                schema = spec.input_schema if spec.input_schema is not None else self.state_schema
                reads = tuple(k for k in schema_fields(schema) if k in channels or k in managed)
                reader = reader_for(schema, reads, managed)
                call = NodeCall(spec.fn)
            triggers = (branch_channel(node), *joins_into.get(node, ()))
            retry, timeout, cache_policy, error_handler, hname = self._node_policies(spec)
            handler = None
            if error_handler is not None:
                hcall = NodeCall(error_handler, extra=("error",))
                # as LangGraph 1.2: a handler takes the graph's default retry policies (not its
                # node's); a default timeout makes a sync handler fail to compile (checked
                # before its node; the default handler after every node), though the handler
                # then runs with no deadline
                if hname != DEFAULT_ERROR_HANDLER:
                    _check_timeout(hname, hcall, self.node_defaults.get("timeout"))
                handler = NodeProgram(hname, hcall, reads, reader, (), (), (), (),
                                      self.node_defaults.get("retry_policy", ()), False)
            if call.subgraph is None:
                _check_timeout(node, call, timeout)
            nodes[node] = NodeProgram(
                node, call, reads, reader, triggers,
                tuple(edges_from.get(node, ())), tuple(joins_from.get(node, ())),
                tuple(self.branches.get(node, {}).values()), retry, spec.defer,
                metadata=spec.metadata, timeout=timeout, cache_policy=cache_policy,
                error_handler=handler, trace_policy=spec.trace_policy,
            )
        for pop, aspec in self.agents.items():
            inbox = inbox_channel(pop)
            nodes[pop] = NodeProgram(
                pop, NodeCall(PopulationCall(aspec)), (inbox,), _inbox_reader(inbox),
                (inbox, branch_channel(pop), *joins_into.get(pop, ())),
                tuple(edges_from.get(pop, ())), tuple(joins_from.get(pop, ())),
                tuple(self.branches.get(pop, {}).values()), (), False, metadata=aspec.metadata,
            )
        if "error_handler" in self.node_defaults:
            _check_timeout(DEFAULT_ERROR_HANDLER, NodeCall(self.node_defaults["error_handler"]),
                           self.node_defaults.get("timeout"))
        validator = make_validator(self.state_schema)
        validators = {k: validator for k in state_keys} if validator is not None else {}
        return Program(
            name, channels, state_keys, input_keys, output_keys, nodes, validators,
            make_reader(self.state_schema), frozenset(clearing), root_key,
            frozenset(k for k in self.fields if k in channels), managed,
            tuple(k for k in self.fields if k in channels),
            inboxes={pop: inbox_channel(pop) for pop in self.agents},
        )


def _default_name(action: Any) -> str:
    """The name of a node added without one: a Runnable's ``get_name()``, else the action's
    ``name`` or ``__name__`` attribute, else its class name."""
    if _langchain.is_runnable(action):
        return _langchain.runnable_name(action)
    name = getattr(action, "name", None) or getattr(action, "__name__", None) or type(action).__name__
    return str(name)


def _is_compiled_graph(action: Any) -> bool:
    """``action`` is a compiled graph (to run as a subgraph), not a callable that merely has
    every attribute asked for (a ``unittest.mock.Mock`` is a plain callable node)."""
    from ..runtime import CompiledGraph  # the layer above, needed only at build time

    return isinstance(action, CompiledGraph)


def _check_checkpointer(checkpointer: Any) -> None:
    from ..persistence import BaseCheckpointSaver

    if checkpointer is None or isinstance(checkpointer, (bool, BaseCheckpointSaver)):
        return
    if isinstance(checkpointer, type):
        got = f"the class {checkpointer.__name__} (pass an instance: {checkpointer.__name__}(...))"
    else:
        got = type(checkpointer).__name__
    raise TypeError(
        "compile(checkpointer=...) takes a checkpoint saver (a BaseCheckpointSaver such as "
        f"InMemorySaver or SqliteSaver), True, False or None; got {got}"
    )


def _identity(value: Any) -> Any:
    return value


def _inbox_reader(inbox: str) -> Callable[[dict[str, Any]], Any]:
    def read(values: dict[str, Any]) -> Any:
        return values.get(inbox)

    return read


def _channel_for(key: str, spec: FieldSpec) -> BaseChannel[Any, Any, Any]:
    if spec.channel is not None:
        ch = spec.channel
        if isinstance(ch, type):
            return ch(spec.annotation, key)  # type: ignore[no-any-return]
        copy: BaseChannel[Any, Any, Any] = ch.copy()
        copy.key = key
        return copy
    if spec.reducer is not None:
        return BinaryOperatorAggregate(spec.annotation, spec.reducer, key)
    return LastValue(spec.annotation, key)


def _node_list(value: Sequence[str] | str | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _command_destinations(fn: Any) -> tuple[str, ...]:
    try:
        ret = typing.get_type_hints(fn).get("return")
    except Exception:  # unresolvable hints: no declared destinations
        return ()
    if ret is None or get_origin(ret) is not Command:
        return ()
    (arg,) = get_args(ret) or (None,)
    if get_origin(arg) is Literal:
        return tuple(str(a) for a in get_args(arg))
    return ()


def _check_timeout(name: str, call: NodeCall, timeout: TimeoutPolicy | None) -> None:
    """A sync node (or error handler) cannot have a timeout: a thread cannot be cancelled."""
    if timeout is not None and not call.is_async:
        raise GraphValidationError(
            f"Node '{name}' has a timeout but is sync: node timeouts are only supported for "
            "async nodes (a thread cannot be cancelled)")
