"""LangGraph's ``langgraph.store.sqlite`` path.

:class:`SqliteStore` here is :class:`actorgraph.persistence.SqliteStore` with LangGraph's sync
``setup()``; the async store of ``store.sqlite.aio`` keeps ``await store.setup()``.
"""

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ...persistence import SqliteStore as _SqliteStore
from ...persistence._base import run_blocking

T = TypeVar("T")


class SqliteStore(_SqliteStore):
    """:class:`actorgraph.persistence.SqliteStore` whose ``setup()`` is a plain method, as on
    LangGraph's sync store (opening it with ``with`` has set the table up already). Its sync
    methods work in an event loop's thread too (a notebook's cell), blocking it as LangGraph's
    do; in async code prefer ``actorgraph.store.sqlite.aio``'s store and its async methods."""

    def _run_sync(self, method: str, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        return run_blocking(fn, *args)  # (in an event loop's thread: on a helper thread)

    def setup(self) -> None:  # type: ignore[override]  # (LangGraph's sync store: not a coroutine)
        self._run_sync("setup", _SqliteStore.setup, self)


__all__ = ["SqliteStore"]
