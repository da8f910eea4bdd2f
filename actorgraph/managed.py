"""LangGraph's ``langgraph.managed`` path: state keys the run fills in itself
(``Annotated``-free markers: ``remaining_steps: RemainingSteps``)."""

from .graph import IsLastStep, RemainingSteps

__all__ = ["IsLastStep", "RemainingSteps"]
