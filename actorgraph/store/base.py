"""LangGraph's ``langgraph.store.base`` path (see :mod:`actorgraph.persistence`)."""

from ..persistence import BaseStore, Item, SearchItem

__all__ = ["BaseStore", "Item", "SearchItem"]
