"""Channel write entries of a Pregel node (LangGraph's ``langgraph.pregel._write``).

A node built with :class:`~actorgraph.pregel.NodeBuilder` writes its output through a list of
entries: each :class:`ChannelWriteEntry` names a channel and says what goes there (the
node's output, a constant, or a function of the output), and a ``Send`` schedules a push
task. :func:`assemble_writes` turns them into the ``(channel, value)`` pairs of the task.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from ..graph._constants import TASKS
from ..types import Send

__all__ = ("ChannelWriteEntry", "PASSTHROUGH", "SKIP_WRITE", "assemble_writes")


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


PASSTHROUGH: Any = _Marker("PASSTHROUGH")
"""An entry's ``value`` meaning "the node's output"."""

SKIP_WRITE: Any = _Marker("SKIP_WRITE")
"""What a ``mapper`` returns to write nothing."""


class ChannelWriteEntry(NamedTuple):
    """One write of a node: ``value`` (the node's output by default) to ``channel``, passed
    through ``mapper`` when given; nothing is written when the result is ``SKIP_WRITE``, or
    ``None`` with ``skip_none=True``."""

    channel: str
    value: Any = PASSTHROUGH
    skip_none: bool = False
    mapper: Callable[..., Any] | None = None


def assemble_writes(entries: Iterable[ChannelWriteEntry | Send], output: Any) -> list[tuple[str, Any]]:
    """The ``(channel, value)`` pairs ``entries`` make of a node's ``output``, in order (a
    ``Send`` goes to the tasks channel)."""
    pairs: list[tuple[str, Any]] = []
    for entry in entries:
        if isinstance(entry, Send):
            pairs.append((TASKS, entry))
            continue
        value = output if entry.value is PASSTHROUGH else entry.value
        if entry.mapper is not None:
            value = entry.mapper(value)
        if value is SKIP_WRITE or (value is None and entry.skip_none):
            continue
        pairs.append((entry.channel, value))
    return pairs
