"""Chat messages, the ``add_messages`` reducer and ``MessagesState``.

The message types are msgspec Structs tagged by their ``type`` (``"human"``, ``"ai"``,
``"system"``, ``"tool"``, ``"remove"``), so ``msgspec.to_builtins(msg)`` gives the
``{"type": ..., "content": ...}`` dict LangChain users know and ``msgspec.convert(d,
AnyMessage)`` reads it back. They are mutable rather than frozen: ``add_messages`` gives a
message without an ``id`` its new id in place, as LangGraph does, so the object a node holds and
the one in state agree. ``add_messages`` also accepts any other object with an ``id`` attribute
(user dataclasses or Structs) and keeps it as it is.

**With langchain-core installed** (the ``langchain`` extra), ``add_messages`` works with
langchain-core's message classes as LangGraph does: whenever an update or the list it merges into
holds a langchain-core message, or a message given as data (a dict, a string, a ``(role,
content)`` tuple), the whole result is langchain-core messages — data is converted by
langchain-core, chunks become messages (``AIMessageChunk`` -> ``AIMessage``), and actorgraph's own
messages in the list become their langchain-core twins (same content, id, name, tool calls). A
list made only of actorgraph's messages stays as it is, so programs that never use LangChain keep
our classes whether or not langchain-core happens to be installed. See
:func:`add_messages`.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
import uuid
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Final, TypeAlias, overload

import msgspec

from .. import _langchain

if sys.version_info >= (3, 12):
    from typing import TypedDict
else:  # (pydantic refuses typing's TypedDict before 3.12, as a LangChain tool's parameter
    # `state: Annotated[MessagesState, InjectedState]` has it: LangGraph's is typing_extensions')
    from typing_extensions import TypedDict

REMOVE_ALL_MESSAGES: Final = "__remove_all__"
"""``RemoveMessage(id=REMOVE_ALL_MESSAGES)`` in an update clears the list first."""


class BaseMessage(msgspec.Struct, tag_field="type", repr_omit_defaults=True):
    """A chat message: ``content`` (a string or a list of content blocks), an optional ``id``
    (``add_messages`` assigns one), an optional author ``name`` and provider extras."""

    content: Any  # Any: a string or a list of provider content blocks
    id: str | None = None
    name: str | None = None
    additional_kwargs: dict[str, Any] = {}

    type: ClassVar[str]

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """What pydantic validates this class with (a LangChain tool's arguments, as its
        ``state: Annotated[MessagesState, InjectedState]``): one of ours, or a langchain-core
        message of the same type (a state's messages are langchain-core's once it is used, as
        LangGraph's AnyMessage are), both kept as they are; a dict is read by its ``type``."""
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(functools.partial(_validated, cls))


class HumanMessage(BaseMessage, tag="human"):
    """A message from the user."""

    type: ClassVar[str] = "human"


class AIMessage(BaseMessage, tag="ai"):
    """A message from the model; ``tool_calls`` are ``{"name", "args", "id", "type":
    "tool_call"}`` dicts."""

    tool_calls: list[dict[str, Any]] = []

    type: ClassVar[str] = "ai"


class SystemMessage(BaseMessage, tag="system"):
    """Instructions for the model."""

    type: ClassVar[str] = "system"


class ToolMessage(BaseMessage, tag="tool", kw_only=True):
    """The result of the tool call ``tool_call_id``."""

    tool_call_id: str

    type: ClassVar[str] = "tool"


class RemoveMessage(msgspec.Struct, tag="remove", tag_field="type"):
    """In an update to an ``add_messages`` key: delete the message with this ``id``
    (:data:`REMOVE_ALL_MESSAGES`: all of them)."""

    id: str

    type: ClassVar[str] = "remove"


AnyMessage: TypeAlias = HumanMessage | AIMessage | SystemMessage | ToolMessage


_OUR_TYPES: Final = frozenset({"human", "ai", "system", "tool"})


def _validated(cls: type[BaseMessage], value: Any) -> Any:
    """:meth:`BaseMessage.__get_pydantic_core_schema__`'s validator."""
    if isinstance(value, cls):
        return value
    if _langchain.is_message(value):
        kind = str(value.type)
        if kind.endswith("MessageChunk"):  # ("AIMessageChunk"...)
            kind = kind.removesuffix("MessageChunk").lower()
        if cls is BaseMessage or kind == getattr(cls, "type", None) or kind not in _OUR_TYPES:
            return value  # (a type we have no class for, "chat", "function"...: any of ours)
    elif isinstance(value, dict):
        try:
            return msgspec.convert(value, cls if cls is not BaseMessage else AnyMessage)
        except msgspec.ValidationError as exc:
            raise ValueError(str(exc)) from None
    raise ValueError(f"Input should be a {cls.__name__}")
"""Any message that can sit in a message list (msgspec decodes it by its ``type`` tag)."""

Messages: TypeAlias = Any
"""One message-like value or a list of them (``add_messages`` documents the accepted forms).
``Any`` because user message classes are accepted by duck typing."""


# -- coercion --------------------------------------------------------------------------------

_ROLES: Final = "'human', 'user', 'ai', 'assistant', 'system', 'developer', 'tool' or 'remove'"


def _tool_call(call: dict[str, Any]) -> dict[str, Any]:
    """A tool call in LangChain's shape, from that shape or OpenAI's."""
    if "function" not in call:
        return {**call, "type": call.get("type", "tool_call")}
    args = call["function"]["arguments"]
    if isinstance(args, str):
        args = json.loads(args, strict=False)
    return {"name": call["function"]["name"], "args": args, "id": call["id"], "type": "tool_call"}


def _coercion_failure(message: str) -> str:
    """``message`` with the troubleshooting line langchain-core ends its message coercion
    errors with (so LangGraph's, whose ``add_messages`` uses it), trailing space included."""
    return (f"{message}\nFor troubleshooting, visit: "
            "https://docs.langchain.com/oss/python/langchain/errors/MESSAGE_COERCION_FAILURE ")


def _from_dict(message: dict[str, Any]) -> Any:
    fields = dict(message)
    role = fields.pop("role", None) or fields.pop("type", None)
    if role is None or ("content" not in fields and role != "remove"):
        raise ValueError(_coercion_failure(f"Message dict must contain 'role' and 'content' keys, got {message}"))
    if role == "remove":
        return RemoveMessage(id=fields["id"])
    content = fields.pop("content")
    common: dict[str, Any] = {
        "content": "" if content is None else content,
        "id": fields.pop("id", None),
        "name": fields.pop("name", None),
    }
    extra = fields.pop("additional_kwargs", None) or {}
    result: BaseMessage
    if role in ("human", "user"):
        result = HumanMessage(**common)
    elif role in ("ai", "assistant"):
        calls = fields.pop("tool_calls", None) or []
        result = AIMessage(**common, tool_calls=[_tool_call(c) for c in calls])
    elif role in ("system", "developer"):
        if role == "developer":
            fields["__openai_role__"] = "developer"
        result = SystemMessage(**common)
    elif role == "tool":
        if "tool_call_id" not in fields:
            raise ValueError(f"A tool message needs a 'tool_call_id', got {message}")
        result = ToolMessage(**common, tool_call_id=fields.pop("tool_call_id"))
    else:
        raise ValueError(_coercion_failure(f"Unexpected message type: {role!r}. Use one of {_ROLES}."))
    result.additional_kwargs = {**fields, **extra}
    return result


_NATIVE: Final = (HumanMessage, AIMessage, SystemMessage, ToolMessage, RemoveMessage)


def _coerce(message: Any) -> Any:
    if isinstance(message, (BaseMessage, RemoveMessage)):
        return message
    if isinstance(message, str):
        return HumanMessage(message)
    if isinstance(message, dict):
        return _from_dict(message)
    if hasattr(message, "id"):
        return message  # LangChain messages, user classes: kept as they are
    if isinstance(message, (list, tuple)):
        if len(message) != 2:
            raise NotImplementedError("Message as a sequence must be (role string, template)")
        role, content = message
        return _from_dict({"role": role, "content": content})
    raise NotImplementedError(_coercion_failure(f"Unsupported message type: {type(message)}"))


def _with_id(message: Any) -> Any:
    if getattr(message, "id", None) is not None:
        return message
    new_id = str(uuid.uuid4())
    try:
        message.id = new_id
        return message
    except (AttributeError, TypeError, ValueError):
        pass  # frozen (pydantic raises a ValueError subclass); build a copy instead
    if isinstance(message, msgspec.Struct):
        return msgspec.structs.replace(message, id=new_id)
    if dataclasses.is_dataclass(message) and not isinstance(message, type):
        return dataclasses.replace(message, id=new_id)
    if hasattr(message, "model_copy"):
        return message.model_copy(update={"id": new_id})
    if hasattr(message, "_replace"):
        return message._replace(id=new_id)
    raise TypeError(f"Cannot assign an id to message {message!r}")


def _is_remove(message: Any) -> bool:
    # Duck-typed so LangChain's RemoveMessage works too.
    return isinstance(message, RemoveMessage) or getattr(message, "type", None) == "remove"


def _merge(left: list[Any], right: list[Any]) -> list[Any]:
    merged = list(left)
    index = {m.id: i for i, m in enumerate(merged)}
    # Removals apply after the whole update, so a later message with the same id revives it in
    # place.
    removed: set[str] = set()
    for m in right:
        at = index.get(m.id)
        if at is not None:
            if _is_remove(m):
                removed.add(m.id)
            else:
                removed.discard(m.id)
                merged[at] = m
        elif _is_remove(m):
            raise ValueError(
                f"Attempting to delete a message with an ID that doesn't exist ('{m.id}')"
            )
        else:
            index[m.id] = len(merged)
            merged.append(m)
    if removed:
        merged = [m for m in merged if m.id not in removed]
    return merged


MESSAGE_FORMATS: Final = ("langchain-openai",)
"""The ``format=`` values :func:`add_messages` knows."""


@overload
def add_messages(left: Messages, right: Messages, *, format: str | None = None) -> list[Any]: ...


@overload
def add_messages(left: None = None, right: None = None, *, format: str | None = None) -> Callable[[Messages, Messages], list[Any]]: ...


def add_messages(left: Messages | None = None, right: Messages | None = None, *,
                 format: str | None = None) -> list[Any] | Callable[[Messages, Messages], list[Any]]:
    """Merge the message update ``right`` into the message list ``left``; return a new list.

    Called without ``left`` and ``right`` it returns the reducer with its options bound, as
    LangGraph's does: ``Annotated[list, add_messages(format="langchain-openai")]``. Only one of
    the two given raises ``ValueError``.

    ``format="langchain-openai"`` (needs langchain-core) returns the merged list as
    langchain-core messages whose contents are in OpenAI's format (strings, ``text`` and
    ``image_url`` blocks), by a round trip through ``convert_to_openai_messages``: as in
    LangGraph 1.2, that round trip drops the messages' ids. Another ``format`` raises
    ``ValueError``.

    Either side may be one message or a list. Messages may be message objects, dicts such as
    ``{"role": "user", "content": "hi"}`` (roles ``user``/``human``, ``assistant``/``ai``,
    ``system``/``developer``, ``tool``; ``type`` may stand for ``role``), ``(role, content)``
    tuples, bare strings (user messages), or any object with an ``id`` attribute. Messages
    without an id get ``str(uuid4())`` (set on the object; frozen objects are copied).

    Which classes come out: without langchain-core installed, actorgraph's own message classes
    (data is coerced to them). With langchain-core installed, langchain-core's classes as soon
    as either side holds a langchain-core message or a message given as data: then data is
    converted by langchain-core's ``convert_to_messages`` (its errors propagate, as in
    LangGraph), message chunks become messages, ``{"type": "remove", "id": ...}`` dicts and our
    :class:`RemoveMessage` become langchain-core ``RemoveMessage``s, and our other messages
    become their langchain-core twins — a mixed list is never returned. Both sides made only of
    actorgraph messages (and user objects with an ``id``, kept as they are in both modes) stay
    actorgraph messages.

    A message whose id is already in ``left`` replaces it in place (the last one wins within one
    update); a new id is appended; ``RemoveMessage(id)`` deletes that message (an unknown id
    raises ``ValueError``); ``RemoveMessage(REMOVE_ALL_MESSAGES)`` drops everything before it,
    so the result is what follows it.
    """
    if left is None or right is None:
        if left is None and right is None:
            # (as LangGraph's: the options given bound, none when none is given)
            return functools.partial(_add_messages) if format is None else functools.partial(_add_messages, format=format)
        given = "left" if left else "right"  # (LangGraph's words, an empty list included)
        raise ValueError(
            f"Must specify non-null arguments for both 'left' and 'right'. Only received: '{given}'."
        )
    return _add_messages(left, right, format=format)


def _add_messages(left: Messages, right: Messages, *, format: str | None = None) -> list[Any]:
    lefts = left if isinstance(left, list) else [left]
    rights = right if isinstance(right, list) else [right]
    lc = format is not None
    if lc or _langchain.wants_langchain(rights, _NATIVE) or _langchain.wants_langchain(lefts, _NATIVE):
        if lc:
            _langchain.require(f"add_messages(format={format!r})")
        old = [_with_id(m) for m in _langchain.to_langchain(lefts)]
        new = [_with_id(m) for m in _langchain.to_langchain(rights)]
    else:
        old = [_with_id(_coerce(m)) for m in lefts]
        new = [_with_id(_coerce(m)) for m in rights]
    remove_all = [i for i, m in enumerate(new) if _is_remove(m) and m.id == REMOVE_ALL_MESSAGES]
    if remove_all:
        # LangGraph returns the rest of the update verbatim, keeping duplicate ids and
        # RemoveMessages in the state; merging it into an empty list keeps the rules uniform.
        return _merge([], new[remove_all[-1] + 1 :])
    merged = _merge(old, new)
    if format is None:
        return merged
    if format == "langchain-openai":
        messages = _langchain.messages()
        return list(messages.convert_to_messages(messages.convert_to_openai_messages(merged)))
    raise ValueError(f"Unrecognized format={format!r}. Expected one of 'langchain-openai', None.")


def push_message(message: Any, *, state_key: str | None = "messages") -> Any:
    """Emit ``message`` on the ``messages`` stream mode at once, from inside a running node,
    and unless ``state_key`` is None write it to that state key (before what the node returns),
    as LangGraph's ``langgraph.graph.message.push_message``. Needs langchain-core:
    ``message`` is anything its ``convert_to_messages`` takes and must carry an ``id``
    (``ValueError`` otherwise). Returns the langchain-core message. ``RuntimeError`` outside a
    node."""
    from .._langchain_trace import push_message as push

    return push(message, state_key=state_key)


def stream_message(chunks: Any, *, id: str | None = None) -> Any:
    """Stream a message made of ``chunks`` (text tokens, or message chunks) from inside a node
    on the ``messages`` stream mode, each as it is produced; return the whole message. For
    token sources that are not LangChain models; needs no langchain-core. See
    ``actorgraph._langchain_trace.stream_message`` for the details."""
    from .._langchain_trace import stream_message as stream

    return stream(chunks, id=id)


async def astream_message(chunks: Any, *, id: str | None = None) -> Any:
    """:func:`stream_message` for an async iterable of chunks."""
    from .._langchain_trace import astream_message as stream

    return await stream(chunks, id=id)


class MessagesState(TypedDict):
    """A state with one key, ``messages``, merged by :func:`add_messages`. Subclass it to add
    keys."""

    messages: Annotated[list[AnyMessage], add_messages]


# the reducer add_messages() returns shows as LangGraph's: functools.partial(<function add_messages>)
_add_messages.__name__ = _add_messages.__qualname__ = "add_messages"


__all__ = [
    "REMOVE_ALL_MESSAGES",
    "AIMessage",
    "AnyMessage",
    "BaseMessage",
    "HumanMessage",
    "Messages",
    "MessagesState",
    "RemoveMessage",
    "SystemMessage",
    "ToolMessage",
    "add_messages",
]
