"""LangGraph's ``langgraph.prebuilt.interrupt`` path: the shapes of a human-in-the-loop request
(what a node passes to ``interrupt()``) and of the answer it resumes with, as the Agent Inbox
convention has them. Plain ``TypedDict``s: nothing checks them at run time."""

from __future__ import annotations

import sys
from typing import Any, Literal

if sys.version_info >= (3, 12):
    from typing import TypedDict
else:  # (pydantic refuses typing's TypedDict before 3.12)
    from typing_extensions import TypedDict


class HumanInterruptConfig(TypedDict):
    """Which answers the human may give: skip the step (``allow_ignore``), answer in words
    (``allow_respond``), change the request's arguments (``allow_edit``), approve it as it is
    (``allow_accept``)."""

    allow_ignore: bool
    allow_respond: bool
    allow_edit: bool
    allow_accept: bool


class ActionRequest(TypedDict):
    """The action waiting for the human: its name (``action``) and its arguments (``args``)."""

    action: str
    args: dict[str, Any]


class HumanInterrupt(TypedDict):
    """One request to the human: the action, which answers are allowed, and an optional
    ``description`` shown with it. Usually asked as ``interrupt([request])[0]``."""

    action_request: ActionRequest
    config: HumanInterruptConfig
    description: str | None


class HumanResponse(TypedDict):
    """The human's answer: ``type`` ``"accept"``/``"ignore"`` (``args`` None), ``"response"``
    (``args`` the text) or ``"edit"`` (``args`` the edited :class:`ActionRequest`)."""

    type: Literal["accept", "ignore", "response", "edit"]
    args: None | str | ActionRequest


__all__ = ["ActionRequest", "HumanInterrupt", "HumanInterruptConfig", "HumanResponse"]
