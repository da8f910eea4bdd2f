"""LangGraph's ``langgraph.checkpoint.serde.base`` path: ``SerializerProtocol`` is
:class:`actorgraph.persistence.Serializer` (``dumps_typed`` / ``loads_typed``)."""

from ...persistence import Serializer

SerializerProtocol = Serializer

__all__ = ["SerializerProtocol"]
