"""LangGraph's low-level Pregel API: ``Pregel`` and ``NodeBuilder``
(``from langgraph.pregel import Pregel, NodeBuilder`` becomes
``from actorgraph.pregel import Pregel, NodeBuilder``).

A :class:`Pregel` program is channels and nodes built by hand: each node subscribes to
channels (its triggers), reads channels, runs its steps and writes its output to channels;
the run goes in super-steps while some node is triggered. It mirrors LangGraph's API (its
docs examples run unchanged, with the same outputs) and runs on actorgraph's runtime, like a
compiled ``StateGraph``. ``ChannelWriteEntry`` is in :mod:`actorgraph.pregel._write`, as
LangGraph's is in ``langgraph.pregel._write``.
"""

from ._node import NodeBuilder
from ._pregel import Pregel

__all__ = ("Pregel", "NodeBuilder")
