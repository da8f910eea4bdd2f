"""The compiled, immutable form of a ``StateGraph``: what the runtime executes."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from ..channels import BaseChannel
from .._policies import CachePolicy, TimeoutPolicy
from ..types import RetryPolicy
from ._branch import Branch, takes_config
from ._constants import branch_channel

INJECTABLE = ("config", "writer", "store", "runtime", "previous")
"""Keyword parameters a node function may declare to receive run context (as in LangGraph)."""


class NodeCall:
    """How to call a node's function: sync or async, which context parameters it takes."""

    __slots__ = ("fn", "is_async", "config_positional", "inject", "subgraph", "direct")

    def __init__(self, fn: Callable[..., Any], subgraph: Any = None, extra: tuple[str, ...] = ()) -> None:
        """``extra``: more injectable keyword names (an error handler's ``error``)."""
        self.fn = fn
        self.subgraph = subgraph
        call = getattr(fn, "__call__", None)
        self.is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(call)
        self.config_positional = False
        inject: list[str] = []
        if subgraph is None:
            try:
                params = list(inspect.signature(fn).parameters.values())
            except (TypeError, ValueError):
                params = []
            injectable = INJECTABLE + extra
            positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            if len(positional) >= 2 and takes_config(positional[1], injectable):
                self.config_positional = True
            for p in params:
                if p.name in injectable and p.kind != p.VAR_KEYWORD:
                    if p.name == "config" and self.config_positional and p is positional[1]:
                        continue
                    if p in positional[:1]:
                        continue
                    inject.append(p.name)
        self.inject = tuple(inject)
        # an async function of the state alone (most async nodes): a task awaits ``fn(state)``
        # itself, without ``call_node``'s questions
        self.direct = self.is_async and subgraph is None and not self.inject and not self.config_positional


def task_path_str(path: tuple[Any, ...]) -> str:
    """LangGraph's sortable rendering of a task path (ints zero-padded), as saved with a
    task's writes."""
    return "~" + ", ".join(f"{p:010}" if isinstance(p, int) else str(p) for p in path)


class NodeProgram:
    """One node as the runtime sees it."""

    __slots__ = (
        "name", "call", "reads", "reader", "triggers", "edges", "joins", "branches",
        "retry_policy", "defer", "hidden", "metadata", "timeout", "cache_policy", "error_handler",
        "edge_writes", "pull_path", "pull_order", "pull_path_str", "sync_inline", "trace_policy",
        "actor_name", "pull_id_tail",
    )

    def __init__(
        self,
        name: str,
        call: NodeCall,
        reads: tuple[str, ...],
        reader: Callable[[dict[str, Any]], Any],
        triggers: tuple[str, ...],
        edges: tuple[str, ...],
        joins: tuple[str, ...],
        branches: tuple[Branch, ...],
        retry_policy: tuple[RetryPolicy, ...],
        defer: bool,
        hidden: bool = False,
        metadata: Mapping[str, Any] | None = None,
        timeout: TimeoutPolicy | None = None,
        cache_policy: CachePolicy | None = None,
        error_handler: NodeProgram | None = None,
        trace_policy: Any = None,
    ) -> None:
        """``timeout``, ``cache_policy``: the node's policies (``None``: none); ``error_handler``:
        the node ``__error_handler__<name>`` run with the failure when the node fails;
        ``trace_policy``: what tracers record of the node's run (a ``TracePolicy``, see
        ``_langchain_trace``)."""
        self.name = name
        self.call = call
        self.reads = reads
        self.reader = reader
        self.triggers = triggers
        self.edges = edges
        self.joins = joins
        self.branches = branches
        self.retry_policy = retry_policy
        self.defer = defer
        self.hidden = hidden
        self.metadata = dict(metadata or {})
        self.timeout = timeout
        self.cache_policy = cache_policy
        self.error_handler = error_handler
        self.trace_policy = trace_policy
        # made once here, not at every step: the trigger write of each edge, a pull task's
        # path and order
        self.edge_writes: tuple[tuple[str, None], ...] = tuple((branch_channel(t), None) for t in edges)
        self.pull_path = ("__pregel_pull", name)
        self.pull_order = (0, name)
        self.pull_path_str = task_path_str(self.pull_path)  # (as saved with a pull task's writes)
        # the end of the text a pull task's id hashes (runtime._algo.task_id's, after the step)
        self.pull_id_tail = f"\x00{name}\x00pull\x00{triggers}"
        self.actor_name = f"node:{name}"  # (its node actor's, in a run's tree)
        # a sync function of the graph's own (no subgraph, not __start__): under the sync API its
        # lone task runs on the loop's thread (see _task.runs_inline); set again with ``call``
        self.sync_inline = not call.is_async and call.subgraph is None and not hidden


class Program:
    """Channels, nodes and the trigger index of a compiled graph. Never mutated after compile."""

    __slots__ = (
        "name", "channels", "state_keys", "input_keys", "output_keys", "nodes",
        "trigger_to_nodes", "validators", "state_reader", "clearing", "root_key", "writable_keys",
        "managed", "value_keys", "cache", "inboxes", "root_channel", "renamed", "consuming", "finishing",
        "actor_names",
    )

    def __init__(
        self,
        name: str,
        channels: dict[str, BaseChannel[Any, Any, Any]],
        state_keys: tuple[str, ...],
        input_keys: tuple[str, ...],
        output_keys: tuple[str, ...],
        nodes: dict[str, NodeProgram],
        validators: dict[str, Callable[[str, Any], Any]],
        state_reader: Callable[[dict[str, Any]], Any],
        clearing: frozenset[str],
        root_key: bool,
        writable_keys: frozenset[str],
        managed: dict[str, Any],
        value_keys: tuple[str, ...],
        inboxes: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.channels = channels
        self.state_keys = state_keys
        self.input_keys = input_keys
        self.output_keys = output_keys
        self.nodes = nodes
        index: dict[str, list[str]] = {}
        for node in sorted(nodes):
            for t in nodes[node].triggers:
                index.setdefault(t, []).append(node)
        self.trigger_to_nodes = {k: tuple(v) for k, v in index.items()}
        self.validators = validators
        self.state_reader = state_reader
        self.clearing = clearing
        self.root_key = root_key
        self.writable_keys = writable_keys
        self.managed = managed
        self.value_keys = value_keys  # every state key incl. private ones: the ``values`` stream
        self.cache: Any = None  # compile(cache=...): a BaseCache, when a node has a CachePolicy
        # agent population -> its inbox channel (a Send with a key goes there, see add_agents)
        self.inboxes: dict[str, str] = inboxes or {}
        # a root-value graph's one channel (an entrypoint's is ``__end__``, as LangGraph's)
        self.root_channel = "__root__"
        # old channel name -> its name now, for checkpoints saved before a rename
        self.renamed: dict[str, str] = {}
        # the channels whose consume() / finish() can change them (the others' do nothing: the
        # barrier sends them no Consume / Finish message), and each channel's actor name
        self.consuming = frozenset(k for k, c in channels.items() if type(c).consume is not BaseChannel.consume)
        self.finishing = tuple(k for k, c in channels.items() if type(c).finish is not BaseChannel.finish)
        self.actor_names = {k: f"channel:{k}" for k in channels}
