"""LangGraph's ``langgraph.store.postgres`` path (extra ``postgres``).

:class:`PostgresStore` here is :class:`actorgraph.persistence.PostgresStore` with LangGraph's sync
``setup()``; the async store of ``store.postgres.aio`` keeps ``await store.setup()``.
"""

from ...persistence._postgres_store import PostgresStore as _PostgresStore


class PostgresStore(_PostgresStore):
    """:class:`actorgraph.persistence.PostgresStore` whose ``setup()`` is a plain method, as on
    LangGraph's sync store (creates the table if missing; ``with PostgresStore.from_conn_string(url)``
    has done so already). Inside an event loop use ``actorgraph.store.postgres.aio``'s store and
    ``await store.setup()``."""

    def setup(self) -> None:  # type: ignore[override]  # (LangGraph's sync store: not a coroutine)
        self._run_sync("setup", _PostgresStore.setup, self)


__all__ = ["PostgresStore"]
