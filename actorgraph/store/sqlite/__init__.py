"""LangGraph's ``langgraph.store.sqlite`` path.

:class:`SqliteStore` here is :class:`actorgraph.persistence.SqliteStore` with LangGraph's sync
``setup()``; the async store of ``store.sqlite.aio`` keeps ``await store.setup()``.
"""

from ...persistence import SqliteStore as _SqliteStore


class SqliteStore(_SqliteStore):
    """:class:`actorgraph.persistence.SqliteStore` whose ``setup()`` is a plain method, as on
    LangGraph's sync store (opening it with ``with`` has set the table up already). Inside an
    event loop use ``actorgraph.store.sqlite.aio``'s store and ``await store.setup()``."""

    def setup(self) -> None:  # type: ignore[override]  # (LangGraph's sync store: not a coroutine)
        self._run_sync("setup", _SqliteStore.setup, self)


__all__ = ["SqliteStore"]
