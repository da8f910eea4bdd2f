"""LangGraph's ``langgraph.channels.untracked_value`` path (see :mod:`actorgraph.channels`)."""

from . import UntrackedValue

__all__ = ["UntrackedValue"]
