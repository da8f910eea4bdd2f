"""LangGraph's ``langgraph.config`` path: what a node reads of its run from anywhere in its call
stack (also importable from :mod:`actorgraph` and :mod:`actorgraph.runtime`)."""

from .runtime import StreamWriter, get_config, get_store, get_stream_writer

__all__ = ["StreamWriter", "get_config", "get_store", "get_stream_writer"]
