"""What a running node can reach: its :class:`Runtime` (injected as the ``runtime`` parameter or
returned by :func:`get_runtime`), and ``get_config``, ``get_stream_writer``, ``get_store``."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

import msgspec

from ..persistence import BaseStore

StreamWriter = Callable[[Any], None]
"""``writer(chunk)``: emit ``chunk`` on the ``custom`` stream mode."""

ContextT = TypeVar("ContextT")


def _no_writer(_chunk: Any) -> None:
    """Writer used when nobody streams ``custom``: the chunk is dropped."""


class Runtime(msgspec.Struct, Generic[ContextT], frozen=True, kw_only=True):
    """What a node gets as its ``runtime`` keyword parameter, or from :func:`get_runtime`
    (LangGraph's ``langgraph.runtime.Runtime``); annotate it ``Runtime[Ctx]`` to type the context.

    * ``context``: the object passed as ``context=`` to ``invoke``/``stream``/``start``
      (an instance of the graph's ``context_schema``), ``None`` when none was passed;
    * ``store``: the store the graph was compiled with (or its ``ActorSystem``'s), else ``None``;
    * ``stream_writer``: emits a chunk on the ``custom`` stream mode (a no-op when nobody
      streams ``custom``), the same callable as ``get_stream_writer()``;
    * ``previous``: LangGraph's functional-API return value of the thread's last run; always
      ``None`` here (graphs built with ``StateGraph`` have none).

    Immutable: :meth:`override` and :meth:`merge` return new objects. The runtime does not
    carry ``config``: a node asks for it with a ``config`` parameter or :func:`get_config`.
    """

    # A context-less run has context None whatever ContextT says, as in LangGraph: the default
    # is a debt the checker cannot see through.
    context: ContextT = None  # type: ignore[assignment]
    store: BaseStore | None = None
    stream_writer: StreamWriter = _no_writer
    previous: Any = None

    def override(self, **changes: Any) -> Runtime[ContextT]:
        """A copy with the given fields replaced (``TypeError`` naming an unknown field)."""
        return msgspec.structs.replace(self, **changes)

    def merge(self, other: Runtime[ContextT]) -> Runtime[ContextT]:
        """A runtime with ``other``'s fields where ``other`` sets them, else this one's.

        A field counts as set when it is not ``None`` (for ``stream_writer``: not the no-op).
        """
        return Runtime(
            context=self.context if other.context is None else other.context,
            store=self.store if other.store is None else other.store,
            stream_writer=self.stream_writer if other.stream_writer is _no_writer else other.stream_writer,
            previous=self.previous if other.previous is None else other.previous,
        )


class TaskContext:
    """Per-task context: the task's config and the handles nodes may ask for."""

    __slots__ = ("run", "task", "_config", "_runtime", "subgraph_calls", "answers", "asked", "inline")

    def __init__(self, run: Any, task: Any) -> None:
        self.run = run
        self.task = task
        self.inline = False  # a sync node running on the event loop's thread (see _task.call_node)
        self._config: dict[str, Any] | None = None
        self._runtime: Runtime[Any] | None = None
        self.subgraph_calls = 0
        # answers for its interrupt() calls, in order (only a resumed run has any)
        self.answers: list[Any] = run.answers_for(task.id) if run.resume else []
        self.asked = 0

    @property
    def config(self) -> dict[str, Any]:
        """The task's config (built on first use: most nodes never look)."""
        if self._config is None:
            self._config = self.run.task_config(self.task)
        return self._config

    @property
    def runtime(self) -> Runtime[Any]:
        """The task's :class:`Runtime` (built on first use, then the same object every time)."""
        if self._runtime is None:
            self._runtime = Runtime(context=self.run.context, store=self.store, stream_writer=self.writer)
        return self._runtime

    @property
    def writer(self) -> StreamWriter:
        return self.run.writer  # type: ignore[no-any-return]

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
        return None


current_task: ContextVar[TaskContext | None] = ContextVar("actorgraph_task", default=None)


def _task(what: str) -> TaskContext:
    ctx = current_task.get()
    if ctx is None:
        raise RuntimeError(f"Called {what} outside of a running node")
    return ctx


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
