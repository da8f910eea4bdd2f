"""LangGraph's ``langgraph.store.base`` path (see :mod:`actorgraph.persistence`): the store base
class, its records, and the operations of its low-level ``batch`` API."""

from ..persistence import (
    BaseStore,
    GetOp,
    InvalidNamespaceError,
    Item,
    ListNamespacesOp,
    MatchCondition,
    PutOp,
    SearchItem,
    SearchOp,
    TTLConfig,
)

__all__ = [
    "BaseStore", "GetOp", "InvalidNamespaceError", "Item", "ListNamespacesOp", "MatchCondition", "PutOp",
    "SearchItem", "SearchOp", "TTLConfig",
]
