"""LangGraph's ``langgraph.store.sqlite.aio`` path: ``AsyncSqliteStore`` is
:class:`actorgraph.persistence.SqliteStore`, which serves async code too."""

from ...persistence import SqliteStore

AsyncSqliteStore = SqliteStore

__all__ = ["AsyncSqliteStore"]
