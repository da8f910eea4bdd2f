"""LangGraph's ``langgraph.store.base`` path (see :mod:`actorgraph.persistence`)."""

from ..persistence import BaseStore, InvalidNamespaceError, Item, SearchItem

__all__ = ["BaseStore", "InvalidNamespaceError", "Item", "SearchItem"]
