"""LangGraph's ``langgraph.prebuilt.chat_agent_executor`` path (see :mod:`actorgraph.prebuilt`)."""

from ._react import (
    AgentState,
    AgentStatePydantic,
    AgentStateWithStructuredResponse,
    AgentStateWithStructuredResponsePydantic,
    StateSchemaType,
    create_react_agent,
)

__all__ = [
    "AgentState",
    "AgentStatePydantic",
    "AgentStateWithStructuredResponse",
    "AgentStateWithStructuredResponsePydantic",
    "StateSchemaType",
    "create_react_agent",
]
