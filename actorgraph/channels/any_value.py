"""LangGraph's ``langgraph.channels.any_value`` path (see :mod:`actorgraph.channels`)."""

from . import AnyValue

__all__ = ["AnyValue"]
