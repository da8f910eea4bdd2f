"""LangGraph's ``langgraph.channels.topic`` path (see :mod:`actorgraph.channels`)."""

from . import Topic

__all__ = ["Topic"]
