"""LangGraph's ``langgraph.checkpoint.serde.jsonplus`` path: ``JsonPlusSerializer`` is
:class:`actorgraph.persistence.MsgpackSerializer`, the savers' default serializer. It takes
``pickle_fallback`` as LangGraph's does; classes it may rebuild are given as ``allowed`` types
(or :func:`~actorgraph.persistence.register_type`), not as LangGraph's ``allowed_*_modules``."""

from ...persistence import MsgpackSerializer

JsonPlusSerializer = MsgpackSerializer

__all__ = ["JsonPlusSerializer"]
