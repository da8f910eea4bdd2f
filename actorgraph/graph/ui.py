"""LangGraph's ``langgraph.graph.ui`` path: generative-UI messages.

A node calls :func:`push_ui_message` (or :func:`delete_ui_message`) while it runs: the message
goes out at once on the ``custom`` stream mode and, unless ``state_key`` is None, is written
to that state key (``"ui"``) before what the node returns, to be folded by
:func:`ui_message_reducer` (``ui: Annotated[Sequence[AnyUIMessage], ui_message_reducer]``).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal, TypedDict

__all__ = (
    "UIMessage",
    "RemoveUIMessage",
    "AnyUIMessage",
    "push_ui_message",
    "delete_ui_message",
    "ui_message_reducer",
)


class UIMessage(TypedDict):
    """A UI component to show: its ``name``, ``props`` and ``metadata``, under ``id``."""

    type: Literal["ui"]
    id: str
    name: str
    props: dict[str, Any]
    metadata: dict[str, Any]


class RemoveUIMessage(TypedDict):
    """Remove the UI component ``id``."""

    type: Literal["remove-ui"]
    id: str


AnyUIMessage = UIMessage | RemoveUIMessage


def _emit(event: Any, state_key: str | None, what: str) -> Any:
    """Stream ``event`` on ``custom`` and (with a ``state_key``) write it from the running node
    (``RuntimeError`` outside one); returns the node's config."""
    from ..runtime._context import current_task

    ctx = current_task.get()
    if ctx is None:
        raise RuntimeError(f"Called {what} outside of a running node")
    ctx.writer(event)
    if state_key:
        if ctx.pushed is None:
            ctx.pushed = []
        ctx.pushed.append((state_key, event))
        ctx.progress()
    return ctx.config


def push_ui_message(name: str, props: dict[str, Any], *, id: str | None = None, metadata: dict[str, Any] | None = None,
                    message: Any = None, state_key: str | None = "ui", merge: bool = False) -> UIMessage:
    """Show the UI component ``name`` with ``props`` (under ``id``, a new uuid by default), from
    inside a running node. Its metadata: ``merge`` (``True``: the reducer merges ``props`` into
    those of the message with the same id), the node's ``run_id``/``tags``/``run_name`` (as
    ``name``), ``metadata``, and ``message_id`` (the id of ``message``, a chat message or a dict,
    when given). Returns the message."""
    from ..runtime._context import current_task

    ctx = current_task.get()
    config = ctx.config if ctx is not None else {}
    message_id = message.get("id") if isinstance(message, dict) else getattr(message, "id", None)
    event: UIMessage = {
        "type": "ui",
        "id": id or str(uuid.uuid4()),
        "name": name,
        "props": props,
        "metadata": {
            "merge": merge,
            "run_id": config.get("run_id"),
            "tags": config.get("tags"),
            "name": config.get("run_name"),
            **(metadata or {}),
            **({"message_id": message_id} if message_id else {}),
        },
    }
    _emit(event, state_key, "push_ui_message")
    return event


def delete_ui_message(id: str, *, state_key: str = "ui") -> RemoveUIMessage:
    """Remove the UI component ``id``, from inside a running node. Returns the message."""
    event: RemoveUIMessage = {"type": "remove-ui", "id": id}
    _emit(event, state_key, "delete_ui_message")
    return event


def ui_message_reducer(left: list[AnyUIMessage] | AnyUIMessage,
                       right: list[AnyUIMessage] | AnyUIMessage) -> list[AnyUIMessage]:
    """Fold UI messages into the list so far: a message replaces the one with its id (its
    ``props`` merged into the old ones when its metadata says ``merge``), or is appended; a
    ``remove-ui`` message removes its id (``ValueError`` for an id not there)."""
    current: list[Any] = list(left) if isinstance(left, list) else [left]
    incoming: list[Any] = right if isinstance(right, list) else [right]
    position = {m.get("id"): i for i, m in enumerate(current)}
    removed: set[Any] = set()
    for msg in incoming:
        key = msg.get("id")
        at = position.get(key)
        if at is None:
            if msg.get("type") == "remove-ui":
                raise ValueError(f"Attempting to delete an UI message with an ID that doesn't exist ('{key}')")
            position[key] = len(current)
            current.append(msg)
        elif msg.get("type") == "remove-ui":
            removed.add(key)
        else:
            removed.discard(key)
            if (msg.get("metadata") or {}).get("merge", False):
                msg = {**msg, "props": {**current[at]["props"], **msg["props"]}}
            current[at] = msg
    return [m for m in current if m.get("id") not in removed]
