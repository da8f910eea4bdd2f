"""``Pregel`` and ``NodeBuilder`` at LangGraph's module path ``langgraph.pregel.main``."""

from ._node import NodeBuilder
from ._pregel import Pregel

__all__ = ("NodeBuilder", "Pregel")
