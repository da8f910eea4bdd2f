"""``ChannelActor``: one channel behind an actor; the barrier supervisor changes it by message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from ..actors import SyncActor
from ._base import BaseChannel

# Any below: writes, values and versions are whatever the graph's channels and the runtime's
# version scheme (ints, or LangGraph-style strings) use; the actor only passes them through.
# gc=False: the messages are made at every barrier and never take part in a reference cycle
# (msgspec then skips tracking them: cheaper to make and free, less work for the collector).


class Apply(msgspec.Struct, frozen=True, gc=False):
    """All of one super-step's writes to the channel, in apply order (possibly none), and the
    version the channel takes if they change it. Answered with :class:`Applied`."""

    writes: Sequence[Any]
    version: Any


class Applied(msgspec.Struct, frozen=True, gc=False):
    """The channel after a message: whether that message changed it, its version (the new one
    if it changed, else the one it had) and its checkpoint (``MISSING`` when empty)."""

    changed: bool
    version: Any
    value: Any


class Snapshot(msgspec.Struct, frozen=True, gc=False):
    """Ask for the channel's current :class:`Applied` record (``changed`` is False)."""


class Clear(msgspec.Struct, frozen=True, gc=False):
    """A per-step channel nobody wrote this step: empty it (``update(())``). When that changes
    it, the channel drops its version (an empty per-step channel needs none). Answered with
    :class:`Applied`."""


class Consume(msgspec.Struct, frozen=True, gc=False):
    """A task triggered by the channel ran (``BaseChannel.consume``). When it changes the channel
    and ``version`` is given, the channel takes that version. Answered with :class:`Applied`."""

    version: Any = None


class Finish(msgspec.Struct, frozen=True, gc=False):
    """The run would otherwise end (``BaseChannel.finish``). When it changes the channel and
    ``version`` is given, the channel takes that version. Answered with :class:`Applied`."""

    version: Any = None


class Read(msgspec.Struct, frozen=True, gc=False):
    """Ask for the channel's value as nodes see it (``BaseChannel.get``); the ask raises
    ``EmptyChannelError`` when the channel has none."""


ChannelMessage = Apply | Clear | Snapshot | Consume | Finish | Read
"""Every message a :class:`ChannelActor` understands."""


class ChannelActor(SyncActor):
    """Owns exactly one channel and its version; spawn it inline (``spawn_inline``) and send it
    messages with ``call`` (the handler never suspends).

    The channel changes only through messages from the barrier supervisor: :class:`Apply` at the
    step barrier, :class:`Clear`, :class:`Consume` and :class:`Finish`; each is answered with
    :class:`Applied`. The stored version moves to the message's version only when the channel
    changed. A rejected update (``InvalidUpdateError``, a reducer's exception) is raised in the
    sender and leaves channel and version as they were. Between messages the supervisor may
    read the channel (``get``/``is_available``) as its read view; it never changes it.
    """

    __slots__ = ("_channel", "_version")

    def __init__(self, channel: BaseChannel[Any, Any, Any], version: Any = None) -> None:
        self._channel = channel
        self._version = version

    @property
    def key(self) -> str:
        """The key of the owned channel."""
        return self._channel.key

    @property
    def version(self) -> Any:
        """The channel's version (None while it has none)."""
        return self._version

    def _record(self, changed: bool, version: Any) -> Applied:
        if changed and version is not None:
            self._version = version
        return Applied(changed, self._version, self._channel.checkpoint())

    def receive(self, message: Any) -> Any:
        channel = self._channel
        kind = type(message)
        if kind is Apply or (kind is not Clear and isinstance(message, Apply)):  # (the barrier's: no extra call)
            changed = channel.update(message.writes)
            if changed and message.version is not None:
                self._version = message.version
            return Applied(changed, self._version, channel.checkpoint())
        if kind is Clear or isinstance(message, Clear):
            changed = channel.update(())
            if changed:
                self._version = None
            return Applied(changed, self._version, channel.checkpoint())
        if isinstance(message, Read):
            return channel.get()
        if isinstance(message, Snapshot):
            return Applied(False, self._version, channel.checkpoint())
        if isinstance(message, Consume):
            return self._record(channel.consume(), message.version)
        if isinstance(message, Finish):
            return self._record(channel.finish(), message.version)
        raise TypeError(
            f"ChannelActor for key '{channel.key}' cannot handle {type(message).__name__} "
            f"(expected one of Apply, Clear, Consume, Finish, Read, Snapshot)"
        )
