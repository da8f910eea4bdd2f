"""LangGraph's ``langgraph.channels.binop`` path (see :mod:`actorgraph.channels`)."""

from . import BinaryOperatorAggregate

__all__ = ["BinaryOperatorAggregate"]
