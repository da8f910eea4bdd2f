"""actorgraph: LangGraph-style stateful graphs as BSP super-steps on an anyio actor kernel."""

__version__ = "0.1.0"

__all__ = ["__version__"]
