"""LangGraph's ``langgraph.typing`` path: the type variables of generic graph code.

``StateT`` (a graph's state), ``InputT`` / ``OutputT`` (its input and output schemas, defaulting
to ``StateT``), ``ContextT`` (a run's context, defaulting to ``None``), ``NodeInputT`` (a node's
input), with the co-/contravariant variants LangGraph has. They are for type checkers only:
nothing at runtime looks at them. Unlike LangGraph's, they are not bounded by a "state-like"
protocol (actorgraph takes any state schema its ``StateGraph`` takes).
"""

from __future__ import annotations

import sys

if sys.version_info >= (3, 13):
    from typing import TypeVar
else:  # (a TypeVar's default=: PEP 696)
    from typing_extensions import TypeVar

__all__ = ("ContextT", "InputT", "OutputT", "StateT", "StateT_co", "StateT_contra")

StateT = TypeVar("StateT")
"""A graph's state."""

StateT_co = TypeVar("StateT_co", covariant=True)

StateT_contra = TypeVar("StateT_contra", contravariant=True)

ContextT = TypeVar("ContextT", default=None)
"""A run's context (``context=`` of ``invoke``; ``Runtime[ContextT]``); ``None`` by default."""

ContextT_contra = TypeVar("ContextT_contra", contravariant=True, default=None)

InputT = TypeVar("InputT", default=StateT)
"""A graph's input schema; its state by default."""

OutputT = TypeVar("OutputT", default=StateT)
"""A graph's output schema; its state by default."""

NodeInputT = TypeVar("NodeInputT")
"""A node's input."""

NodeInputT_contra = TypeVar("NodeInputT_contra", contravariant=True)
