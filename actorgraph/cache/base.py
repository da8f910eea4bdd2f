"""LangGraph's ``langgraph.cache.base`` path (see :mod:`actorgraph.cache`)."""

from ._base import BaseCache, FullKey, Namespace

__all__ = ["BaseCache", "FullKey", "Namespace"]
