"""The two frameworks under test behind one small interface, and the event loops they run on."""

from __future__ import annotations

import copy
import gc
import importlib.util
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio

T = TypeVar("T")


class Unavailable(Exception):
    """A workload (or one side of it) cannot run here; the table shows ``n/a (reason)``."""


class Framework:
    name: str
    graph: Any  # the module with StateGraph, START, END
    types: Any  # the module with Send

    def memory_saver(self) -> Any:
        raise NotImplementedError

    def sqlite_saver(self, path: str, inline: bool = False) -> AbstractAsyncContextManager[Any]:
        """The framework's async SQLite saver; ``inline`` asks for SQL on the event loop's
        thread where the framework offers it (LangGraph does not: its usual saver)."""
        raise NotImplementedError

    def with_saver(self, compiled: Any, saver: Any) -> Any:
        """``compiled`` with ``saver`` as its checkpointer (the original stays saver-less)."""
        raise NotImplementedError

    def interrupt(self) -> Callable[[Any], Any]:
        raise NotImplementedError

    def stream_writer(self) -> Callable[[], Any]:
        """The framework's ``get_stream_writer`` (a node's ``custom`` stream writer)."""
        raise NotImplementedError


class ActorGraph(Framework):
    name = "actorgraph"

    def __init__(self) -> None:
        import actorgraph

        self.graph = actorgraph
        self.types = actorgraph

    def memory_saver(self) -> Any:
        from actorgraph.persistence import InMemorySaver

        return InMemorySaver()

    def sqlite_saver(self, path: str, inline: bool = False) -> AbstractAsyncContextManager[Any]:
        from actorgraph.persistence import SqliteSaver

        return SqliteSaver.from_conn_string(path, inline=inline)

    def with_saver(self, compiled: Any, saver: Any) -> Any:
        graph = copy.copy(compiled)  # shares the immutable program; only the checkpointer differs
        graph.checkpointer = saver
        return graph

    def interrupt(self) -> Callable[[Any], Any]:
        try:
            from actorgraph import interrupt
        except ImportError:
            raise Unavailable("interrupt not available") from None
        return interrupt

    def stream_writer(self) -> Callable[[], Any]:
        from actorgraph import get_stream_writer

        return get_stream_writer


class LangGraph(Framework):
    name = "langgraph"

    def __init__(self) -> None:
        import langgraph.graph
        import langgraph.types

        self.graph = langgraph.graph
        self.types = langgraph.types

    def memory_saver(self) -> Any:
        from langgraph.checkpoint.memory import InMemorySaver

        return InMemorySaver()

    def sqlite_saver(self, path: str, inline: bool = False) -> AbstractAsyncContextManager[Any]:
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        return AsyncSqliteSaver.from_conn_string(path)

    def with_saver(self, compiled: Any, saver: Any) -> Any:
        return compiled.copy(update={"checkpointer": saver})

    def interrupt(self) -> Callable[[Any], Any]:
        from langgraph.types import interrupt

        return interrupt

    def stream_writer(self) -> Callable[[], Any]:
        from langgraph.config import get_stream_writer

        return get_stream_writer


def langgraph_available() -> bool:
    try:
        import langgraph.checkpoint.sqlite.aio  # noqa: F401
        import langgraph.graph  # noqa: F401
    except ImportError:
        return False
    return True


def uvloop_available() -> bool:
    return importlib.util.find_spec("uvloop") is not None


@dataclass(frozen=True)
class Side:
    """One column of the table: a framework on one event loop."""

    framework: str  # "actorgraph" | "langgraph"
    backend: str  # "asyncio" | "trio"
    loop: str = "asyncio"  # "asyncio" | "uvloop" (asyncio backend only)

    @property
    def key(self) -> str:
        return f"{self.framework}_{self.backend}"

    @property
    def label(self) -> str:
        if self.backend == "trio":
            return f"{self.framework} trio"
        return f"{self.framework} {self.loop}"

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``fn(*args)`` in a fresh event loop of this side."""
        gc.collect()  # start every sample from a clean heap (outside the timed region)
        options: dict[str, Any] = {}
        if self.backend == "asyncio" and self.loop == "uvloop":
            options["use_uvloop"] = True
        return anyio.run(fn, *args, backend=self.backend, backend_options=options)
