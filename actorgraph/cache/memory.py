"""LangGraph's ``langgraph.cache.memory`` path (see :mod:`actorgraph.cache`)."""

from ._memory import InMemoryCache

__all__ = ["InMemoryCache"]
