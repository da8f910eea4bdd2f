"""LangGraph's ``langgraph.checkpoint.serde.encrypted`` path (extra ``crypto``): see
:class:`actorgraph.persistence.EncryptedSerializer` and its ``from_pycryptodome_aes``."""

from ...persistence import EncryptedSerializer

__all__ = ["EncryptedSerializer"]
