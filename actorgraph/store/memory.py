"""LangGraph's ``langgraph.store.memory`` path (see :mod:`actorgraph.persistence`)."""

from ..persistence import InMemoryStore

__all__ = ["InMemoryStore"]
