"""LangGraph's ``langgraph.prebuilt.tool_validator`` path (see :mod:`actorgraph.prebuilt`)."""

from ._tool_validator import ValidationNode

__all__ = ["ValidationNode"]
