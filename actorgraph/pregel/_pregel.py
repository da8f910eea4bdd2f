"""``Pregel``: a program of channels and nodes built by hand (LangGraph's low-level API).

The nodes (built with :class:`~actorgraph.pregel.NodeBuilder`) read and write the channels
named; the input goes straight into the input channels (no ``__start__`` step: the first
nodes run at step 0, as in LangGraph), and the run goes on while some node is triggered.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from .._policies import CachePolicy
from ..channels import BaseChannel, BinaryOperatorAggregate, EphemeralValue, LastValue, Topic
from ..errors import EmptyInputError, GraphValidationError, InvalidUpdateError
from ..graph._constants import END, INTERRUPT, START, TASKS
from ..graph._program import NodeCall, NodeProgram, Program
from ..graph._schema import as_is
from ..runtime import CompiledGraph
from ..runtime._algo import apply_writes
from ..runtime._loop import Run
from ..runtime._task import Writes
from ..types import Command, RetryPolicy, Send, retry_policies
from ._node import NodeBuilder, PregelNode, node_body
from ._write import assemble_writes

__all__ = ("Pregel",)

log = logging.getLogger("actorgraph.pregel")

RESERVED = frozenset({START, END, TASKS, "__interrupt__", "__resume__", "__error__", "__pregel_pull",
                      "__pregel_push"})
"""Names a channel or node of a Pregel program cannot have."""

_KEEPING = (LastValue, BinaryOperatorAggregate)
"""Channel types whose value stays when a step does not write them (any other channel is
told each such step, which changes nothing for one that keeps its value)."""


class PregelRun(Run):
    """A run of a :class:`Pregel` program: the input is written into the input channels at
    the input step (LangGraph's ``map_input``), not into ``__start__``."""

    def _input(self, value: Any, discarded: Sequence[Any] = ()) -> None:
        graph: Pregel = self.graph  # type: ignore[assignment]  # (a PregelRun runs a Pregel)
        if isinstance(value, Command):
            pairs = graph._command_input(value)
        else:
            pairs = graph._input_pairs(value)
        apply_writes(self.program, self.state, discarded, pairs)

    def output(self) -> Any:
        """What ``invoke`` returns (an ``ActorSystem`` run's result too): with one output channel
        its bare value, else the dict of the output channels that have one."""
        out = super().output()
        graph: Pregel = self.graph  # type: ignore[assignment]
        channel = graph.output_channels
        if isinstance(channel, str) and isinstance(out, dict) and INTERRUPT not in out:
            return out.get(channel)
        return out


class _InputMap:
    """``__start__``'s function (for a run that is not a :class:`PregelRun`, as
    ``ActorSystem`` makes): the input as a dict of input channel values."""

    def __init__(self, graph: Pregel) -> None:
        self.graph = graph

    def __call__(self, value: Any) -> dict[str, Any]:
        return dict(self.graph._input_pairs(value))


class Pregel(CompiledGraph):
    """A program of channels and nodes, run in super-steps (LangGraph's ``Pregel``, whose
    examples run unchanged with ``actorgraph.pregel`` imports).

    ``nodes``: name -> :class:`NodeBuilder` or built node; ``channels``: name -> channel
    (``LastValue``, ``EphemeralValue``, ``Topic``, ``BinaryOperatorAggregate``...; each run
    uses copies); ``input_channels``: one channel name (the input is its value) or a list
    (the input is a dict of their values); ``output_channels``: the same for what
    ``invoke`` returns (with a list: the dict of those that have a value, ``None`` when the
    run wrote none of them); ``stream_channels`` (default: every channel): what ``values`` and
    ``updates`` chunks of ``stream``/``astream`` show; ``stream_mode``: their default mode
    (``"values"``). ``checkpointer``, ``store``, ``cache``, ``retry_policy`` and
    ``cache_policy`` (the defaults of nodes that have none), ``interrupt_before_nodes``,
    ``interrupt_after_nodes``, ``debug``, ``step_timeout``, ``config``, ``context_schema``
    and ``name`` are as for a compiled ``StateGraph``.

    A program LangGraph refuses raises :class:`~actorgraph.errors.GraphValidationError` (a
    ``ValueError``) naming the node and channel (an unknown channel read, subscribed to or
    written, a reserved name, an input channel no node subscribes to); a node that is neither a
    ``NodeBuilder`` nor a built node raises ``TypeError``.
    """

    run_class = PregelRun

    def __init__(
        self,
        *,
        nodes: Mapping[str, PregelNode | NodeBuilder],
        channels: Mapping[str, BaseChannel[Any, Any, Any]] | None,
        input_channels: str | Sequence[str],
        output_channels: str | Sequence[str],
        stream_channels: str | Sequence[str] | None = None,
        stream_mode: str = "values",
        interrupt_before_nodes: Sequence[str] | str = (),
        interrupt_after_nodes: Sequence[str] | str = (),
        checkpointer: Any = None,
        store: Any = None,
        cache: Any = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] = (),
        cache_policy: CachePolicy | None = None,
        debug: bool | None = None,
        step_timeout: float | None = None,
        config: dict[str, Any] | None = None,
        context_schema: Any = None,
        name: str = "LangGraph",
        auto_validate: bool = True,
    ) -> None:
        from ..graph._state import _check_checkpointer, _node_list

        _check_checkpointer(checkpointer)
        built: dict[str, PregelNode] = {}
        for key, node in nodes.items():
            if isinstance(node, NodeBuilder):
                node = node.build()
            if not isinstance(node, PregelNode):
                raise TypeError(f"Invalid node type {type(node).__name__} for node '{key}', "
                                "expected PregelNode or NodeBuilder")
            built[key] = node
        self._pregel_nodes = built
        self._user_channels = dict(channels or {})
        self.input_channels = input_channels if isinstance(input_channels, str) else list(input_channels)
        self.output_channels = output_channels if isinstance(output_channels, str) else list(output_channels)
        self.stream_channels = (stream_channels if stream_channels is None or isinstance(stream_channels, str)
                                else list(stream_channels))
        self._stream_mode = stream_mode
        self.retry_policy = retry_policies(retry_policy)
        self.cache_policy = cache_policy
        self.context_schema = context_schema
        self.cache = cache
        self._validate(_node_list(interrupt_before_nodes), _node_list(interrupt_after_nodes))
        program = self._build_program(name)
        program.cache = cache
        super().__init__(program, checkpointer=checkpointer, store=store,
                         interrupt_before=_node_list(interrupt_before_nodes),
                         interrupt_after=_node_list(interrupt_after_nodes), debug=bool(debug))
        self.step_timeout = step_timeout
        self.config = config

    # -- building ----------------------------------------------------------------------------

    def _validate(self, before: list[str], after: list[str]) -> None:
        channels = self._user_channels
        known = sorted(channels)
        for chan in channels:
            if chan in RESERVED:
                raise GraphValidationError(f"Channel name '{chan}' is reserved")
            if not isinstance(channels[chan], BaseChannel):
                raise TypeError(f"Channel '{chan}' is a {type(channels[chan]).__name__}, not a channel "
                                "(LastValue, EphemeralValue, Topic, BinaryOperatorAggregate...)")
        subscribed: set[str] = set()
        for name, node in self._pregel_nodes.items():
            if name in RESERVED:
                raise GraphValidationError(f"Node name '{name}' is reserved")
            reads = [node.channels] if isinstance(node.channels, str) else node.channels
            for chan in reads:
                if chan not in channels:
                    raise GraphValidationError(f"Node {name} reads channel '{chan}' not in known channels: {known}")
            for chan in node.triggers:
                if chan not in channels:
                    raise GraphValidationError(f"Node {name} subscribes to channel '{chan}' not in known "
                                               f"channels: {known}")
            for entry in node.writers:
                if isinstance(entry, Send):
                    continue
                if entry.channel == TASKS:
                    raise GraphValidationError(f"Node {name} writes to the reserved channel {TASKS}")
                if entry.channel not in channels:
                    raise GraphValidationError(f"Node {name} writes to channel '{entry.channel}' not in known "
                                               f"channels: {known}")
            subscribed.update(node.triggers)
        inputs = [self.input_channels] if isinstance(self.input_channels, str) else self.input_channels
        for chan in inputs:
            if chan not in channels:
                raise GraphValidationError(f"Input channel '{chan}' not in known channels: {known}")
        if isinstance(self.input_channels, str) and self.input_channels not in subscribed:
            raise GraphValidationError(f"Input channel {self.input_channels} is not subscribed to by any node")
        if not isinstance(self.input_channels, str) and subscribed.isdisjoint(inputs):
            raise GraphValidationError(f"None of the input channels {inputs} are subscribed to by any node")
        outputs = [self.output_channels] if isinstance(self.output_channels, str) else list(self.output_channels)
        if self.stream_channels is not None:
            outputs += [self.stream_channels] if isinstance(self.stream_channels, str) else self.stream_channels
        for chan in outputs:
            if chan not in channels:
                raise GraphValidationError(f"Output channel '{chan}' not in known channels: {known}")
        for n in (*before, *after):
            if n != "*" and n not in self._pregel_nodes:
                raise GraphValidationError(f"Node {n} not in nodes")

    def _build_program(self, name: str) -> Program:
        channels: dict[str, BaseChannel[Any, Any, Any]] = {}
        for key, template in self._user_channels.items():
            ch: BaseChannel[Any, Any, Any] = template.copy()
            ch.key = key
            channels[key] = ch
        keys = tuple(channels)
        channels[START] = EphemeralValue(Any, START)
        channels[TASKS] = Topic(Any, TASKS)
        clearing = {k for k, c in channels.items()
                    if not (type(c) in _KEEPING or (isinstance(c, Topic) and getattr(c, "accumulate", False)))}
        clearing.add(TASKS)
        inputs = (self.input_channels,) if isinstance(self.input_channels, str) else tuple(self.input_channels)
        outputs = (self.output_channels,) if isinstance(self.output_channels, str) else tuple(self.output_channels)
        nodes: dict[str, NodeProgram] = {
            START: NodeProgram(START, NodeCall(_InputMap(self)), (START,), _start_value, (START,), (), (), (), (),
                               False, hidden=True),
        }
        for name_, node in self._pregel_nodes.items():
            reads = (node.channels,) if isinstance(node.channels, str) else tuple(node.channels)
            reader = _one(node.channels) if isinstance(node.channels, str) else as_is
            metadata = dict(node.metadata)
            nodes[name_] = NodeProgram(
                name_, NodeCall(node_body(node)), reads, reader, tuple(node.triggers), (), (), (),
                node.retry_policy or self.retry_policy, False, metadata=metadata,
                cache_policy=node.cache_policy or self.cache_policy,
            )
        return Program(name, channels, keys, inputs, outputs, nodes, {}, as_is, frozenset(clearing), False,
                       frozenset(keys), {}, keys)

    # -- input -------------------------------------------------------------------------------

    def _input_pairs(self, value: Any) -> list[tuple[str, Any]]:
        """The input as writes to the input channels (LangGraph's ``map_input``): a single input
        channel takes the value as it is; a list takes a dict, whose keys that are no input
        channel are dropped with a warning. ``EmptyInputError`` when nothing is written."""
        inputs = self.input_channels
        if value is None:
            raise EmptyInputError(f"Received no input for {inputs}")
        if isinstance(inputs, str):
            return [(inputs, value)]
        if not isinstance(value, dict):
            raise TypeError(f"Expected chunk to be a dict, got {type(value).__name__}")
        pairs = []
        for k, v in value.items():
            if k in inputs:
                pairs.append((k, v))
            else:
                log.warning("Input channel %s not found in %s", k, inputs)
        if not pairs:
            raise EmptyInputError(f"Received no input for {inputs}")
        return pairs

    def _command_input(self, command: Command[Any]) -> list[tuple[str, Any]]:
        """A ``Command`` as input: its ``update`` written to the channels it names, its
        ``goto`` ``Send``s scheduled (a node name cannot be a goto here: no edges lead to it)."""
        if command.graph == Command.PARENT:
            raise InvalidUpdateError("There is no parent graph")
        if command.resume is not None:
            raise InvalidUpdateError("Cannot use Command(resume=...) as input of a new thread: nothing to resume")
        pairs: list[tuple[str, Any]] = []
        update = command.update
        items = update.items() if isinstance(update, dict) else (update or ())
        for k, v in items:
            if k not in self._user_channels:
                raise InvalidUpdateError(f"Command(update=...) names channel '{k}', not a channel of this program")
            pairs.append((k, v))
        gotos = command.goto if isinstance(command.goto, (list, tuple)) else [command.goto]
        for goto in gotos:
            if isinstance(goto, Send):
                pairs.append((TASKS, goto))
            else:
                raise InvalidUpdateError(f"Command(goto={goto!r}): a Pregel program takes Send goto only")
        if not pairs:
            raise EmptyInputError("Received empty Command input")
        return pairs

    # -- LangGraph's attributes --------------------------------------------------------------

    @property
    def nodes(self) -> Mapping[str, PregelNode]:  # type: ignore[override]
        """The built nodes by name (read-only)."""
        return MappingProxyType(self._pregel_nodes)

    @property
    def channels(self) -> Mapping[str, Any]:
        """The channels by name (read-only), the tasks channel ``__pregel_tasks`` included."""
        return MappingProxyType({k: v for k, v in self._program.channels.items() if k != START})

    @property
    def stream_mode(self) -> str:
        """What :meth:`stream`/:meth:`astream` stream without a ``stream_mode``."""
        return self._stream_mode

    @property
    def stream_channels_asis(self) -> str | list[str]:
        """The channels ``values``/``updates`` chunks show: ``stream_channels``, or every channel."""
        if self.stream_channels is not None:
            return self.stream_channels
        return list(self._user_channels)

    async def aupdate_state(self, config: dict[str, Any], values: Any, as_node: str | None = None,
                            task_id: str | None = None) -> dict[str, Any]:
        """As :meth:`CompiledGraph.aupdate_state`; ``values`` given ``as_node`` (a node of this
        program) go through that node's writes, as its output would (as LangGraph)."""
        node = self._pregel_nodes.get(as_node) if as_node is not None else None
        if node is not None and values is not None:
            values = Writes(assemble_writes(node.writers, values))
        return await super().aupdate_state(config, values, as_node, task_id)

    def __repr__(self) -> str:
        return f"<Pregel {self.name!r}: {len(self._pregel_nodes)} nodes>"

    # -- running -----------------------------------------------------------------------------

    async def ainvoke(self, input: Any, config: dict[str, Any] | None = None, *,
                      output_keys: str | Sequence[str] | None = None, **kwargs: Any) -> Any:
        """As :meth:`CompiledGraph.ainvoke`; the output is ``output_channels`` (one channel's
        bare value, or the dict of those with a value) unless ``output_keys`` names others."""
        if output_keys is None:
            output_keys = self.output_channels
        return await super().ainvoke(input, config, output_keys=output_keys, **kwargs)

    def astream(self, input: Any, config: dict[str, Any] | None = None, *,
                stream_mode: str | Sequence[str] | None = None, output_keys: str | Sequence[str] | None = None,
                **kwargs: Any) -> Any:
        """As :meth:`CompiledGraph.astream`; ``stream_mode`` defaults to :attr:`stream_mode`,
        and ``values``/``updates`` chunks show :attr:`stream_channels_asis` unless
        ``output_keys`` names others."""
        if output_keys is None:
            output_keys = self.stream_channels_asis
        return super().astream(input, config, stream_mode=stream_mode if stream_mode is not None else self.stream_mode,
                               output_keys=output_keys, **kwargs)


def _start_value(values: dict[str, Any]) -> Any:
    return values.get(START)


def _one(channel: str) -> Any:
    def read(values: dict[str, Any]) -> Any:
        return values.get(channel)

    return read
