"""LangGraph's ``langgraph.prebuilt.tool_node`` path (see :mod:`actorgraph.prebuilt`)."""

from ._tool_node import (
    INVALID_TOOL_NAME_ERROR_TEMPLATE,
    TOOL_CALL_ERROR_TEMPLATE,
    InjectedState,
    InjectedStore,
    ToolCallRequest,
    ToolInvocationError,
    ToolNode,
    ToolRuntime,
    tools_condition,
)

__all__ = [
    "INVALID_TOOL_NAME_ERROR_TEMPLATE",
    "TOOL_CALL_ERROR_TEMPLATE",
    "InjectedState",
    "InjectedStore",
    "ToolCallRequest",
    "ToolInvocationError",
    "ToolNode",
    "ToolRuntime",
    "tools_condition",
]
