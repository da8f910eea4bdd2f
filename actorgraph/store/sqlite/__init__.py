"""LangGraph's ``langgraph.store.sqlite`` path (see :class:`actorgraph.persistence.SqliteStore`)."""

from ...persistence import SqliteStore

__all__ = ["SqliteStore"]
