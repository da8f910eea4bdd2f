"""LangGraph's ``langgraph.constants`` path: the reserved node names and the LangChain tags a
graph honours."""

from .graph._constants import END, START, TAG_HIDDEN, TAG_NOSTREAM

__all__ = ["END", "START", "TAG_HIDDEN", "TAG_NOSTREAM"]
