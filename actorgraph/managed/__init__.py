"""LangGraph's ``langgraph.managed`` path: the managed state key types (also importable from
:mod:`actorgraph.graph`). A state key annotated ``RemainingSteps`` reads the super-steps left
before ``recursion_limit``; one annotated ``IsLastStep`` reads whether this step is the last."""

from ..graph._schema import IsLastStep, RemainingSteps

__all__ = ["IsLastStep", "RemainingSteps"]
