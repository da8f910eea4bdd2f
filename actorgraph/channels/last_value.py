"""LangGraph's ``langgraph.channels.last_value`` path (see :mod:`actorgraph.channels`)."""

from . import LastValue, LastValueAfterFinish

__all__ = ["LastValue", "LastValueAfterFinish"]
