"""LangGraph's ``langgraph.prebuilt.chat_agent_executor`` path (see :mod:`actorgraph.prebuilt`)."""

from ._react import AgentState, AgentStateWithStructuredResponse, create_react_agent

__all__ = ["AgentState", "AgentStateWithStructuredResponse", "create_react_agent"]
