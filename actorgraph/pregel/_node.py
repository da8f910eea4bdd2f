"""``NodeBuilder`` and the node it builds (LangGraph's ``PregelNode``), and the function the
runtime calls for such a node: the node's steps chained, its output turned into writes."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from .. import _langchain
from .._policies import CachePolicy
from ..actors._slot import running_on_trio
from ..graph._program import NodeCall
from ..runtime._context import TaskContext, current_task
from ..runtime._task import Writes, in_thread
from ..types import RetryPolicy, Send, retry_policies
from ._write import ChannelWriteEntry, assemble_writes

__all__ = ("NodeBuilder", "PregelNode")


class PregelNode:
    """A built node of a :class:`~actorgraph.pregel.Pregel` program (what
    :meth:`NodeBuilder.build` returns; LangGraph's ``PregelNode``).

    ``channels``: one channel name (the node's input is that channel's value) or a list (its
    input is the dict of those channels that have a value); ``triggers``: the channels whose
    update runs the node next step; ``bound``: the steps called in turn, each with the
    previous one's result; ``writers``: what the last result writes (see
    :class:`~actorgraph.pregel._write.ChannelWriteEntry`)."""

    __slots__ = ("channels", "triggers", "bound", "writers", "tags", "metadata", "retry_policy",
                 "cache_policy")

    def __init__(
        self,
        *,
        channels: str | list[str],
        triggers: Sequence[str],
        bound: Sequence[Any] = (),
        writers: Sequence[ChannelWriteEntry | Send] = (),
        tags: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        cache_policy: CachePolicy | None = None,
    ) -> None:
        self.channels = channels
        self.triggers = list(triggers)
        self.bound = list(bound)
        self.writers = list(writers)
        self.tags = list(tags or ())
        self.metadata = dict(metadata or {})
        self.retry_policy = retry_policies(retry_policy)
        self.cache_policy = cache_policy

    def __repr__(self) -> str:
        return f"PregelNode(channels={self.channels!r}, triggers={self.triggers!r})"


class NodeBuilder:
    """Builds a :class:`PregelNode` by chaining, as LangGraph's ``NodeBuilder``::

        NodeBuilder().subscribe_only("a").do(lambda x: x + x).write_to("b")

    ``subscribe_only(ch)``: run on updates of ``ch``, with its value as input;
    ``subscribe_to(*chs, read=True)``: run on updates of any of ``chs``, with the dict of the
    channels read as input (``read=False``: they trigger without being read);
    ``read_from(*chs)``: read more channels without being triggered by them; ``do(fn)``: a
    step (a function, sync or async, or a LangChain ``Runnable``; several chain);
    ``write_to(*chs, **kw)``: write the output to each channel of ``chs`` (or a
    ``ChannelWriteEntry``), and for each ``name=value``: ``value(output)`` when ``value``
    is callable, else the constant ``value`` (``None`` included). The misuse LangGraph refuses
    raises as there: ``ValueError`` (``subscribe_only`` after another subscription,
    ``subscribe_to`` after ``subscribe_only``), ``AssertionError`` (``read_from`` after
    ``subscribe_only``)."""

    __slots__ = ("_channels", "_triggers", "_tags", "_metadata", "_writes", "_bound", "_retry_policy",
                 "_cache_policy")

    def __init__(self) -> None:
        self._channels: str | list[str] = []
        self._triggers: list[str] = []
        self._tags: list[str] = []
        self._metadata: dict[str, Any] = {}
        self._writes: list[ChannelWriteEntry | Send] = []
        self._bound: list[Any] = []
        self._retry_policy: list[RetryPolicy] = []
        self._cache_policy: CachePolicy | None = None

    def subscribe_only(self, channel: str) -> NodeBuilder:
        """Run on updates of ``channel``; the node's input is its value."""
        if self._channels:
            raise ValueError("Cannot subscribe to single channels when other channels are already subscribed to")
        self._channels = channel
        self._triggers.append(channel)
        return self

    def subscribe_to(self, *channels: str, read: bool = True) -> NodeBuilder:
        """Run on updates of any of ``channels``; with ``read``, they are keys of the input dict."""
        if isinstance(self._channels, str):
            raise ValueError("Cannot subscribe to channels when subscribed to a single channel")
        if read:
            self._channels.extend(channels)
        self._triggers.extend(channels)
        return self

    def read_from(self, *channels: str) -> NodeBuilder:
        """Read ``channels`` too (keys of the input dict) without being triggered by them."""
        assert isinstance(self._channels, list), "Cannot read additional channels when subscribed to single channels"
        self._channels.extend(channels)
        return self

    def do(self, node: Any) -> NodeBuilder:
        """Add a step: a callable (sync or async) or a LangChain ``Runnable``, called with the
        previous step's result (the first with the node's input)."""
        if not callable(node) and not _langchain.is_runnable(node):
            raise TypeError(f"NodeBuilder.do() takes a callable or a Runnable, not {type(node).__name__}")
        self._bound.append(node)
        return self

    def write_to(self, *channels: str | ChannelWriteEntry, **kwargs: Any) -> NodeBuilder:
        """Add writes: the output to each of ``channels``; ``name=fn`` writes ``fn(output)``,
        ``name=value`` the constant ``value``."""
        for c in channels:
            if isinstance(c, str):
                self._writes.append(ChannelWriteEntry(c))
            elif isinstance(c, (ChannelWriteEntry, Send)):
                self._writes.append(c)
            else:
                raise TypeError(f"write_to() takes channel names or ChannelWriteEntry, not {type(c).__name__}")
        for name, value in kwargs.items():
            self._writes.append(ChannelWriteEntry(name, mapper=value) if callable(value)
                                else ChannelWriteEntry(name, value=value))
        return self

    def meta(self, *tags: str, **metadata: Any) -> NodeBuilder:
        """Add tags and metadata to the node."""
        self._tags.extend(tags)
        self._metadata.update(metadata)
        return self

    def add_retry_policies(self, *policies: RetryPolicy) -> NodeBuilder:
        """Add retry policies (the first whose ``retry_on`` matches a failure applies)."""
        self._retry_policy.extend(policies)
        return self

    def add_cache_policy(self, policy: CachePolicy) -> NodeBuilder:
        """Cache the node's results (with ``Pregel(cache=...)``)."""
        self._cache_policy = policy
        return self

    def build(self) -> PregelNode:
        """The node built so far."""
        channels = self._channels if isinstance(self._channels, str) else list(self._channels)
        return PregelNode(channels=channels, triggers=self._triggers, bound=self._bound, writers=self._writes,
                          tags=self._tags, metadata=self._metadata, retry_policy=self._retry_policy,
                          cache_policy=self._cache_policy)


# -- what the runtime calls --------------------------------------------------------------------


class _Step:
    """One ``do()`` step: how to call it (a Runnable, or a function and its parameters)."""

    __slots__ = ("fn", "runnable", "call")

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.runnable = _langchain.is_runnable(fn)
        self.call = None if self.runnable else NodeCall(fn)

    def args(self, value: Any, config: Any, ctx: TaskContext | None) -> tuple[tuple[Any, ...], dict[str, Any]]:
        call = self.call
        assert call is not None
        args = (value, config) if call.config_positional else (value,)
        kwargs = {name: ctx.injected(name) for name in call.inject} if call.inject and ctx is not None else {}
        return args, kwargs

    def sync(self, value: Any, config: Any, ctx: TaskContext | None) -> Any:
        if self.runnable:
            return self.fn.invoke(value, config)
        args, kwargs = self.args(value, config, ctx)
        return self.fn(*args, **kwargs)


class SyncBody:
    """A node whose steps are all sync: called in a worker thread (or on the loop's thread
    under the sync API), as a sync node is."""

    __slots__ = ("steps", "writers")

    def __init__(self, steps: list[_Step], writers: list[ChannelWriteEntry | Send]) -> None:
        self.steps = steps
        self.writers = writers

    def __call__(self, value: Any, config: Any) -> Writes:
        ctx = current_task.get()
        for step in self.steps:
            value = step.sync(value, config, ctx)
        return Writes(assemble_writes(self.writers, value))


class AsyncBody:
    """A node with an async step: awaited on the event loop; its sync steps run in the run's
    worker threads, a Runnable through ``ainvoke`` on asyncio (``invoke`` in a thread on trio,
    where langchain-core's async API does not run)."""

    __slots__ = ("steps", "writers")

    def __init__(self, steps: list[_Step], writers: list[ChannelWriteEntry | Send]) -> None:
        self.steps = steps
        self.writers = writers

    async def __call__(self, value: Any, config: Any) -> Writes:
        ctx = current_task.get()
        for step in self.steps:
            call = step.call
            if call is not None and call.is_async:
                args, kwargs = step.args(value, config, ctx)
                value = await step.fn(*args, **kwargs)
            elif step.runnable and not running_on_trio():
                value = await step.fn.ainvoke(value, config)
            elif ctx is not None:
                value = await in_thread(ctx.run, functools.partial(step.sync, value, config, ctx))
            else:
                value = step.sync(value, config, ctx)
        return Writes(assemble_writes(self.writers, value))


def node_body(node: PregelNode) -> SyncBody | AsyncBody:
    """The function the runtime calls for ``node``."""
    steps = [_Step(fn) for fn in node.bound]
    if any(s.call is not None and s.call.is_async for s in steps):
        return AsyncBody(steps, node.writers)
    return SyncBody(steps, node.writers)
