"""``MessageGraph``: LangGraph's deprecated graph whose whole state is one list of messages."""

from __future__ import annotations

import warnings
from typing import Annotated

from ..warnings import LangGraphDeprecatedSinceV10
from ._messages import AnyMessage, add_messages
from ._state import StateGraph


class MessageGraph(StateGraph):
    """A :class:`StateGraph` whose state is a single list of messages merged by
    :func:`add_messages`: every node gets the list and returns one message or a list of them
    (or message data: ``("assistant", "Hello!")``, dicts, strings, with langchain-core), which
    are appended — or replace the message with the same ``id``. ``invoke`` takes and returns the
    list itself, not a dict.

    Deprecated, as in LangGraph (since 1.0, to be removed in 2.0): making one warns with
    :class:`~actorgraph.warnings.LangGraphDeprecatedSinceV10`. Use a ``StateGraph`` with a
    ``messages`` key (:class:`MessagesState`) instead.
    """

    def __init__(self) -> None:
        warnings.warn(
            "MessageGraph is deprecated in LangGraph v1.0.0, to be removed in v2.0.0. Please use "
            "StateGraph with a `messages` key instead.",
            category=LangGraphDeprecatedSinceV10,
            stacklevel=2,
        )
        super().__init__(Annotated[list[AnyMessage], add_messages])
