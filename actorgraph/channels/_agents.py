"""``AgentJournal``: the durable private state of an agent population, as an append-only log.

Each entry is ``(key, tag, data, awake)`` (a tuple; a list in files written before): agent ``key``'s private state serialized (``tag``,
``data`` as a serializer's ``dumps_typed`` gives them) and whether the agent stays awake for the
next super-step (clock-driven populations). A step appends one entry per agent whose state (or
awake flag) changed; the channel's value for readers is the index ``key -> newest entry``.

Why a log: the checkpoint of a list that extends the previously stored one is stored by savers
as a delta (only the appended tail, see ``persistence._rows``), so a step's checkpoint costs
bytes proportional to the agents that changed, not to the population. When the log holds more
than twice as many entries as there are agents (plus :data:`COMPACT_SLACK`), it is rewritten with
one entry per agent (the next checkpoint stores it in full): amortized, still proportional to
what changed. Compaction depends only on the log itself, so a resumed run compacts exactly where
an uninterrupted one does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Self

from ._base import MISSING, BaseChannel, MissingType

COMPACT_SLACK: Final = 1024
"""Entries a log may hold beyond twice its number of agents before it is compacted."""

Entry = Sequence[Any]
"""``(key, tag, data, awake)``; never mutated once written (a tuple of scalars: the savers' list
deltas take it as unchanged without encoding it again)."""


class AgentJournal(BaseChannel[dict[Any, Entry], Sequence[Entry], list[Entry]]):
    """The private state of one agent population (see the module docstring).

    A write is a list of entries (one step's changes). ``get()`` returns the index
    ``key -> newest entry`` itself (read-only for callers: it is not copied, agents are many).
    """

    __slots__ = ("log", "index")

    def __init__(self, typ: Any = Any, key: str = "") -> None:
        super().__init__(typ, key)
        self.log: list[Entry] = []
        self.index: dict[Any, Entry] = {}

    def _empty(self) -> Self:
        return type(self)(self.typ, self.key)

    def _restore(self, checkpoint: list[Entry]) -> None:
        log = list(checkpoint)
        self.log = log
        self.index = {entry[0]: entry for entry in log}

    def copy(self) -> Self:
        channel = self._empty()
        channel.log = self.log  # replaced, never extended in place: safe to share
        channel.index = dict(self.index)
        return channel

    def checkpoint(self) -> list[Entry] | MissingType:
        return self.log if self.log else MISSING

    def get(self) -> dict[Any, Entry]:
        if not self.log:
            raise self._empty_error()
        return self.index

    def is_available(self) -> bool:
        return bool(self.log)

    def update(self, values: Sequence[Sequence[Entry]]) -> bool:
        entries = [entry for write in values for entry in write]
        if not entries:
            return False
        index = self.index
        for entry in entries:
            index[entry[0]] = entry
        log = self.log + entries  # a new list: what checkpoint() returned stays as it was
        if len(log) > 2 * len(index) + COMPACT_SLACK:
            log = list(index.values())
        self.log = log
        return True
