"""Building graphs: ``StateGraph`` and what its nodes exchange."""

from ._agents import Agent
from ._constants import END, START
from ._draw import CurveStyle, DrawableGraph, Edge, MermaidDrawMethod, Node, NodeStyles
from ._errors import DrawError, DuplicateSubgraphError, RendererNotFoundError
from ._messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    MessagesState,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
    add_messages,
    astream_message,
    push_message,
    stream_message,
)
from ._message_graph import MessageGraph
from ._schema import IsLastStep, RemainingSteps
from ._state import StateGraph

__all__ = [
    "END",
    "START",
    "Agent",
    "AIMessage",
    "AnyMessage",
    "BaseMessage",
    "CurveStyle",
    "DrawError",
    "DrawableGraph",
    "DuplicateSubgraphError",
    "Edge",
    "HumanMessage",
    "IsLastStep",
    "MermaidDrawMethod",
    "MessageGraph",
    "MessagesState",
    "Node",
    "NodeStyles",
    "RemainingSteps",
    "RemoveMessage",
    "RendererNotFoundError",
    "StateGraph",
    "SystemMessage",
    "ToolMessage",
    "add_messages",
    "astream_message",
    "push_message",
    "stream_message",
]
