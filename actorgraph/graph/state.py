"""LangGraph's ``langgraph.graph.state`` path: :class:`StateGraph` and what it compiles to
(``CompiledStateGraph`` is LangGraph's name for :class:`~actorgraph.CompiledGraph`), plus the
names ported code imports from there too (``from langgraph.graph.state import END, START``)."""

from ..runtime import CompiledGraph
from ..types import CachePolicy, Command, RetryPolicy, Send, TimeoutPolicy
from ._constants import END, START
from ._state import StateGraph

CompiledStateGraph = CompiledGraph

__all__ = ["END", "START", "CachePolicy", "Command", "CompiledGraph", "CompiledStateGraph", "RetryPolicy", "Send",
           "StateGraph", "TimeoutPolicy"]
