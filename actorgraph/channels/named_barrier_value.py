"""LangGraph's ``langgraph.channels.named_barrier_value`` path (see :mod:`actorgraph.channels`)."""

from . import NamedBarrierValue, NamedBarrierValueAfterFinish

__all__ = ["NamedBarrierValue", "NamedBarrierValueAfterFinish"]
