"""LangGraph's ``langgraph.prebuilt.tool_node`` path (see :mod:`actorgraph.prebuilt`)."""

from ._tool_node import (
    InjectedState,
    InjectedStore,
    ToolCallRequest,
    ToolInvocationError,
    ToolNode,
    ToolRuntime,
    tools_condition,
)

__all__ = [
    "InjectedState",
    "InjectedStore",
    "ToolCallRequest",
    "ToolInvocationError",
    "ToolNode",
    "ToolRuntime",
    "tools_condition",
]
