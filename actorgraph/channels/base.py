"""LangGraph's ``langgraph.channels.base`` path (see :mod:`actorgraph.channels`)."""

from . import BaseChannel

__all__ = ["BaseChannel"]
