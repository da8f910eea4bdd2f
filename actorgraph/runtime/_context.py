"""What a running node can reach without parameters: ``get_config``, ``get_stream_writer``, ``get_store``."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import msgspec

StreamWriter = Callable[[Any], None]
"""``writer(chunk)``: emit ``chunk`` on the ``custom`` stream mode."""


def _no_writer(_chunk: Any) -> None:
    """Writer used when nobody streams ``custom``: the chunk is dropped."""


class NodeRuntime(msgspec.Struct, frozen=True, kw_only=True):
    """Injected as the ``runtime`` keyword parameter of a node (LangGraph's ``Runtime``):
    the run's ``context`` (per ``context_schema``), ``store`` and ``stream_writer``."""

    context: Any = None
    store: Any = None
    stream_writer: StreamWriter = _no_writer
    previous: Any = None


class TaskContext:
    """Per-task context: the task's config and the handles nodes may ask for."""

    __slots__ = ("run", "task", "_config", "subgraph_calls", "answers", "asked")

    def __init__(self, run: Any, task: Any) -> None:
        self.run = run
        self.task = task
        self._config: dict[str, Any] | None = None
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
            return NodeRuntime(context=self.run.context, store=self.store, stream_writer=self.writer)
        return None


current_task: ContextVar[TaskContext | None] = ContextVar("actorgraph_task", default=None)


def _task(what: str) -> TaskContext:
    ctx = current_task.get()
    if ctx is None:
        raise RuntimeError(f"Called {what} outside of a running node")
    return ctx


def get_config() -> dict[str, Any]:
    """The config of the node task calling it (``RuntimeError`` outside a node)."""
    return _task("get_config").config


def get_stream_writer() -> StreamWriter:
    """The ``custom`` stream writer of the calling node (a no-op when nobody streams ``custom``)."""
    return _task("get_stream_writer").writer


def get_store() -> Any:
    """The store the graph was compiled with (``None`` if none)."""
    return _task("get_store").store
