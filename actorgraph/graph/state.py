"""LangGraph's ``langgraph.graph.state`` path: :class:`StateGraph` and what it compiles to
(``CompiledStateGraph`` is LangGraph's name for :class:`~actorgraph.CompiledGraph`), with the
names LangGraph's guides import from there too (``START``, ``END``, ``Command``, ``Send``, the
node policies)."""

from ..constants import END, START
from ..runtime import CompiledGraph
from ..types import CachePolicy, Command, RetryPolicy, Send
from ._state import StateGraph

CompiledStateGraph = CompiledGraph

__all__ = ["END", "START", "CachePolicy", "Command", "CompiledGraph", "CompiledStateGraph", "RetryPolicy",
           "Send", "StateGraph"]
