"""LangGraph's ``langgraph.checkpoint.memory`` path (see :mod:`actorgraph.persistence`)."""

from ..persistence import InMemorySaver, MemorySaver

__all__ = ["InMemorySaver", "MemorySaver"]
