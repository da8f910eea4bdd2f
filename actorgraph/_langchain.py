"""The optional LangChain integration (the ``langchain`` extra: langchain-core).

Nothing here imports langchain-core at module level: the core runs without it. Whether it is
installed is looked up once (:func:`available`); it is imported only when it is needed — a
message given as a dict, string or tuple while it is installed, a langchain-core object seen in
a message list, a ``Runnable`` handed to the graph builder. langchain-core's objects cross this
boundary as ``Any``: it is an optional, untyped-for-us dependency.

What is here:

* message coercion for :func:`actorgraph.add_messages` when langchain-core is in play
  (:func:`wants_langchain`, :func:`to_langchain`);
* :class:`RunnableNode` and :class:`RunnableRouter`: a LangChain ``Runnable`` as a graph node
  or as the callable of a conditional edge.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
from collections.abc import Awaitable, Iterable
from typing import Any

import anyio

from .actors._slot import running_on_trio

_MODULE = "langchain_core"

_available: bool | None = None


def available() -> bool:
    """langchain-core is installed (looked up once per process, without importing it)."""
    global _available
    if _available is None:
        try:
            _available = _imported() or importlib.util.find_spec(_MODULE) is not None
        except (ImportError, ValueError):  # a broken or hidden installation counts as absent
            _available = False
    return _available


def _imported() -> bool:
    return sys.modules.get(_MODULE) is not None  # (None there: its import is blocked)


def require(what: str) -> None:
    """Raise ``ImportError`` saying that ``what`` needs the ``langchain`` extra, unless
    langchain-core is installed."""
    if not available():
        raise ImportError(
            f"{what} needs langchain-core: pip install 'actorgraph[langchain]'"
        )


@functools.cache
def messages() -> Any:
    """``langchain_core.messages`` (imported on first use). Any: an optional dependency."""
    return importlib.import_module("langchain_core.messages")


@functools.cache
def runnables() -> Any:
    """``langchain_core.runnables`` (imported on first use). Any: an optional dependency."""
    return importlib.import_module("langchain_core.runnables")


def is_message(obj: Any) -> bool:
    """``obj`` is a langchain-core message (False while langchain-core is not imported: then
    no such object can exist)."""
    if not _imported():
        return False
    return isinstance(obj, messages().BaseMessage)


def is_runnable(obj: Any) -> bool:
    """``obj`` is a LangChain ``Runnable`` (False while langchain-core is not imported)."""
    if not _imported():
        return False
    # (a compiled graph is a virtual Runnable subclass: it stays a subgraph)
    return isinstance(obj, runnables().Runnable) and not getattr(obj, "_ACTORGRAPH_GRAPH", False)


# -- messages --------------------------------------------------------------------------------

_GIVEN_AS_DATA = (str, dict, tuple, list)
_KEPT: set[type] = set()  # langchain-core message classes seen, not chunks: kept as they are


def wants_langchain(items: Iterable[Any], native: tuple[type, ...] = ()) -> bool:
    """``add_messages`` should return langchain-core messages for ``items`` (both sides of an
    update): langchain-core is installed, and some item is a langchain-core message or is given
    as data (a dict, string, tuple or list) that must become a message of some class. Items of
    the ``native`` classes (actorgraph's own) are skipped quickly."""
    if not available():
        return False
    base = messages().BaseMessage if _imported() else None
    for item in items:
        cls = type(item)
        if cls in native:
            continue
        if cls in _KEPT or isinstance(item, _GIVEN_AS_DATA):
            return True
        if base is not None and isinstance(item, base):
            return True
    return False


def to_langchain(items: Iterable[Any]) -> list[Any]:
    """Message-like ``items`` as langchain-core messages, as LangGraph coerces them.

    langchain-core messages are kept (chunks become their message class: ``AIMessageChunk`` ->
    ``AIMessage``); actorgraph's own messages become their langchain-core twins (same
    content, id, name, extras, tool calls); a ``{"type"|"role": "remove", "id": ...}`` dict
    becomes a ``RemoveMessage``; strings, dicts and ``(role, content)`` pairs go through
    langchain-core's ``convert_to_messages`` (its errors propagate, as in LangGraph). Any other
    object with an ``id`` attribute is kept as it is (LangGraph rejects it; actorgraph keeps
    user message classes in both modes).
    """
    lc = messages()
    base, chunk = lc.BaseMessage, lc.BaseMessageChunk
    kept = _KEPT
    out = []
    for item in items:
        cls = type(item)
        if cls in kept:
            out.append(item)
        elif isinstance(item, base):
            if isinstance(item, chunk):
                out.append(lc.message_chunk_to_message(item))
            else:
                kept.add(cls)
                out.append(item)
        else:
            out.append(_other_to_langchain(item, lc))
    return out


def _other_to_langchain(item: Any, lc: Any) -> Any:
    from .graph import _messages as native  # the layer above, needed only here

    if isinstance(item, native.RemoveMessage):
        return lc.RemoveMessage(id=item.id)
    if isinstance(item, native.BaseMessage):
        return _from_native(item, lc, native)
    if isinstance(item, dict) and (item.get("type") == "remove" or item.get("role") == "remove"):
        if "id" not in item:
            raise ValueError(f"A remove message needs an 'id', got {item}")
        return lc.RemoveMessage(id=item["id"])
    if not isinstance(item, _GIVEN_AS_DATA) and hasattr(item, "id"):
        return item
    return lc.convert_to_messages([item])[0]


def _from_native(message: Any, lc: Any, native: Any) -> Any:
    common: dict[str, Any] = {
        "content": message.content,
        "id": message.id,
        "name": message.name,
        "additional_kwargs": dict(message.additional_kwargs),
    }
    if isinstance(message, native.HumanMessage):
        return lc.HumanMessage(**common)
    if isinstance(message, native.AIMessage):
        calls = [{**c, "type": c.get("type", "tool_call")} for c in message.tool_calls]
        return lc.AIMessage(**common, tool_calls=calls)
    if isinstance(message, native.SystemMessage):
        return lc.SystemMessage(**common)
    if isinstance(message, native.ToolMessage):
        return lc.ToolMessage(**common, tool_call_id=message.tool_call_id)
    return lc.ChatMessage(**common, role=message.type)  # a user subclass of our BaseMessage


# -- Runnables in graphs -----------------------------------------------------------------------


def on_asyncio() -> bool:
    """The running event loop is asyncio's (langchain-core's async API needs it)."""
    return not running_on_trio()



def runnable_name(runnable: Any) -> str:
    """The name LangGraph gives a node added without one: the Runnable's ``get_name()``."""
    return str(runnable.get_name())


class RunnableNode:
    """A LangChain ``Runnable`` as a graph node.

    Called as a sync node ``(state, config)``, it runs ``runnable.invoke(state, config)``: the
    runtime does so for the sync API (``invoke``/``stream``) and, on trio, in a worker thread.
    Under the async API on asyncio the runtime awaits :meth:`ainvoke` instead, as LangGraph
    calls ``ainvoke`` there. ``config`` is the node's config (tags, metadata, callbacks of the
    run), so the Runnable's callbacks see it.
    """

    __slots__ = ("runnable", "name", "steps")

    def __init__(self, runnable: Any) -> None:
        self.runnable = runnable  # Any: a langchain-core Runnable
        self.name = runnable_name(runnable)
        # a RunnableSequence's steps: in a traced run they are the node run's own steps
        steps = getattr(runnable, "steps", None)
        self.steps: list[Any] | None = (list(steps) if steps is not None and isinstance(runnable, runnables().RunnableSequence)
                                        else None)

    def __repr__(self) -> str:
        return f"RunnableNode({self.runnable!r})"

    def __call__(self, state: Any, config: Any) -> Any:
        steps = self.steps
        if steps is None or not _traced(config):
            return self.runnable.invoke(state, config)
        value = state
        for i, step in enumerate(steps, 1):
            value = step.invoke(value, _step_config(config, i))
        return value

    def ainvoke(self, state: Any, config: Any) -> Awaitable[Any] | None:
        """``runnable.ainvoke(state, config)`` when running on asyncio; ``None`` on trio, where
        langchain-core's async API does not work (the caller then runs the sync call in a
        worker thread). Under ``astream_events`` (a streaming callback handler other than the
        stream modes' own), the Runnable is streamed instead, as LangGraph runs nodes there:
        its chunks added up are the node's result (a chat model's reply its
        ``AIMessageChunk``), and a sequence's later steps transform the chunks of the step
        before (no input at their start, a stream event each)."""
        if not on_asyncio():
            return None
        steps = self.steps
        traced_steps = steps is not None and _traced(config)
        if _streamed(config):
            if traced_steps:
                assert steps is not None
                stream = steps[0].astream(state, config)
                for i, step in enumerate(steps[1:], 2):
                    stream = step.atransform(stream, _step_config(config, i))
            else:
                stream = self.runnable.astream(state, config)
            return _added_up(stream)
        if traced_steps:
            return self._asteps(state, config)
        return self.runnable.ainvoke(state, config)  # type: ignore[no-any-return]  # a coroutine

    async def _asteps(self, state: Any, config: Any) -> Any:
        value = state
        for i, step in enumerate(self.steps or (), 1):
            value = await step.ainvoke(value, _step_config(config, i))
        return value


def _streamed(config: Any) -> bool:
    """The node's callbacks hold a streaming handler that is not one of the stream modes' own
    (``astream_events``/``astream_log``'s): LangGraph then streams its nodes."""
    callbacks = config.get("callbacks") if isinstance(config, dict) else None
    handlers = getattr(callbacks, "handlers", None)
    if not handlers:
        return False
    from ._langchain_trace import _is_ours
    from langchain_core.tracers._streaming import _StreamingCallbackHandler

    return any(isinstance(h, _StreamingCallbackHandler) and not _is_ours(h) for h in handlers)


async def _added_up(chunks: Any) -> Any:
    """The chunks of a stream added up (``+``; a chunk that does not add replaces the total),
    as langchain-core folds a streamed input."""
    total: Any = None
    first = True
    async for chunk in chunks:
        if first:
            total, first = chunk, False
            continue
        try:
            total = total + chunk
        except TypeError:
            total = chunk
    return total


_STEP_1 = "seq:step:1"


def _traced(config: Any) -> bool:
    """``config`` is a traced node's (see ``_langchain_trace``): its callbacks are the node
    run's child tagged ``seq:step:1``. Then a ``RunnableSequence`` node runs its steps as the
    node run's, as LangGraph runs them (no run of the sequence itself)."""
    callbacks = config.get("callbacks") if isinstance(config, dict) else None
    return callbacks is not None and _STEP_1 in (getattr(callbacks, "tags", None) or ())


def _step_config(config: dict[str, Any], step: int) -> dict[str, Any]:
    """The node's config for step ``step`` of its sequence: its callbacks tagged
    ``seq:step:<step>`` instead of ``seq:step:1``."""
    if step == 1:
        return config
    callbacks = config["callbacks"].copy()
    callbacks.remove_tags([_STEP_1])
    callbacks.add_tags([f"seq:step:{step}"], inherit=False)
    return {**config, "callbacks": callbacks}


class RunnableRouter:
    """A LangChain ``Runnable`` as the ``path`` of a conditional edge: returns an awaitable of
    ``runnable.ainvoke(state, config)`` on asyncio, of ``runnable.invoke(state, config)`` in a
    worker thread on trio. Named as LangGraph names such a branch: the Runnable's ``name``
    attribute, else ``"condition"``."""

    __slots__ = ("runnable", "__name__")

    def __init__(self, runnable: Any) -> None:
        self.runnable = runnable  # Any: a langchain-core Runnable
        self.__name__ = getattr(runnable, "name", None) or "condition"

    def __repr__(self) -> str:
        return f"RunnableRouter({self.runnable!r})"

    def __call__(self, state: Any, config: Any) -> Awaitable[Any]:
        if on_asyncio():
            return self.runnable.ainvoke(state, config)  # type: ignore[no-any-return]
        return anyio.to_thread.run_sync(functools.partial(self.runnable.invoke, state, config))
