"""LangGraph's ``langgraph.version`` path: the installed package's version."""

from importlib import metadata

__all__ = ("__version__",)

try:
    __version__ = metadata.version("actorgraph")
except metadata.PackageNotFoundError:  # (run from a source tree that is not installed)
    __version__ = ""
del metadata
