"""LangGraph's ``langgraph.cache.sqlite`` path (see :mod:`actorgraph.cache`)."""

from ._sqlite import SqliteCache

__all__ = ["SqliteCache"]
