"""LangGraph's ``langgraph.prebuilt.chat_agent_executor`` path (see :mod:`actorgraph.prebuilt`)."""

from ._react import (
    AgentState,
    AgentStatePydantic,
    AgentStateWithStructuredResponse,
    AgentStateWithStructuredResponsePydantic,
    StateSchemaType,
    create_react_agent,
)

create_tool_calling_executor = create_react_agent
"""LangGraph's other name for :func:`create_react_agent`."""

__all__ = [
    "AgentState",
    "AgentStatePydantic",
    "AgentStateWithStructuredResponse",
    "AgentStateWithStructuredResponsePydantic",
    "StateSchemaType",
    "create_react_agent",
    "create_tool_calling_executor",
]
