"""Building graphs: ``StateGraph`` and what its nodes exchange."""

from ._constants import END, START
from ._draw import DrawableGraph, Edge
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
)
from ._schema import IsLastStep, RemainingSteps
from ._state import StateGraph

__all__ = [
    "END",
    "START",
    "AIMessage",
    "AnyMessage",
    "BaseMessage",
    "DrawableGraph",
    "Edge",
    "HumanMessage",
    "IsLastStep",
    "MessagesState",
    "RemainingSteps",
    "RemoveMessage",
    "StateGraph",
    "SystemMessage",
    "ToolMessage",
    "add_messages",
]
