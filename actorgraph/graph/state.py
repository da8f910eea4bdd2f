"""LangGraph's ``langgraph.graph.state`` path: :class:`StateGraph` and what it compiles to
(``CompiledStateGraph`` is LangGraph's name for :class:`~actorgraph.CompiledGraph`)."""

from ..runtime import CompiledGraph
from ._state import StateGraph

CompiledStateGraph = CompiledGraph

__all__ = ["CompiledGraph", "CompiledStateGraph", "StateGraph"]
