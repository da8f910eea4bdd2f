"""LangGraph's ``langgraph.managed.is_last_step`` path (see :mod:`actorgraph.managed`)."""

from ..graph._schema import IsLastStep, RemainingSteps

__all__ = ["IsLastStep", "RemainingSteps"]
