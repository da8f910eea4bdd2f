"""Prebuilt pieces for chat agents (the ``langchain`` extra: ``pip install 'actorgraph[langchain]'``).

Port ``from langgraph.prebuilt import ...`` by changing the import::

    from actorgraph.prebuilt import ToolNode, tools_condition, create_react_agent

:class:`ToolNode` runs the tool calls of the latest ``AIMessage``; :func:`tools_condition` routes
to it; :func:`create_react_agent` builds the model -> tools -> model loop as a compiled graph;
:class:`ValidationNode` (deprecated, as in LangGraph) checks tool calls against their schemas
without running them.
All are built on actorgraph's public graph API and run on asyncio and trio — on trio with sync
chat models and sync tools, since langchain-core's async API is asyncio-only.

Importing this package without langchain-core raises ``ImportError`` naming the extra.
"""

from .._langchain import require as _require

_require("actorgraph.prebuilt")

from ._react import (  # noqa: E402
    AgentState,
    AgentStatePydantic,
    AgentStateWithStructuredResponse,
    AgentStateWithStructuredResponsePydantic,
    create_react_agent,
)
from ._tool_node import (  # noqa: E402
    InjectedState,
    InjectedStore,
    ToolCallRequest,
    ToolInvocationError,
    ToolNode,
    ToolRuntime,
    tools_condition,
)
from ._tool_validator import ValidationNode  # noqa: E402

__all__ = [
    "AgentState",
    "AgentStatePydantic",
    "AgentStateWithStructuredResponse",
    "AgentStateWithStructuredResponsePydantic",
    "InjectedState",
    "InjectedStore",
    "ToolCallRequest",
    "ToolInvocationError",
    "ToolNode",
    "ToolRuntime",
    "ValidationNode",
    "create_react_agent",
    "tools_condition",
]
