"""LangGraph's ``langgraph.callbacks`` path: graph lifecycle callbacks (``on_interrupt`` /
``on_resume``), see :mod:`actorgraph._langchain_callbacks`. Needs langchain-core."""

from ._langchain_callbacks import (
    GraphCallbackHandler,
    GraphInterruptEvent,
    GraphLifecycleEvent,
    GraphLifecycleStatus,
    GraphResumeEvent,
)

__all__ = (
    "GraphCallbackHandler",
    "GraphInterruptEvent",
    "GraphLifecycleEvent",
    "GraphLifecycleStatus",
    "GraphResumeEvent",
)
