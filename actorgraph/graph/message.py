"""LangGraph's ``langgraph.graph.message`` path: the message-list reducer and state (also
importable from :mod:`actorgraph` and :mod:`actorgraph.graph`), and the deprecated
:class:`MessageGraph`."""

from ._message_graph import MessageGraph
from ._messages import REMOVE_ALL_MESSAGES, AnyMessage, MessagesState, add_messages, push_message

__all__ = ["REMOVE_ALL_MESSAGES", "AnyMessage", "MessageGraph", "MessagesState", "add_messages", "push_message"]
