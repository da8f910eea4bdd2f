"""LangGraph's ``langgraph.channels.ephemeral_value`` path (see :mod:`actorgraph.channels`)."""

from . import EphemeralValue

__all__ = ["EphemeralValue"]
