"""``Topic``: a pub/sub channel collecting every write of a step (or of the whole run)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

from ._base import MISSING, BaseChannel, MissingType, V


class Topic(BaseChannel[list[V], V | list[V], Sequence[V]]):
    """Collects writes into a list. A write that is a ``list`` contributes its items
    (flattened one level); any other write is one item.

    Without ``accumulate`` every update first drops the previous step's items, so an update
    without writes empties it (a change if it held items). With ``accumulate=True`` items keep
    growing across steps. An empty topic is unavailable; ``get()`` returns a fresh list.
    Pending ``Send``s travel in such a channel (``__pregel_tasks``).
    """

    # The item list is replaced on every change, never extended in place, so a list returned by
    # checkpoint() (or shared with a copy) is never mutated afterwards.

    __slots__ = ("accumulate", "values")

    def __init__(self, typ: Any, key: str = "", accumulate: bool = False) -> None:
        super().__init__(typ, key)
        self.accumulate = accumulate
        self.values: list[V] = []

    def _empty(self) -> Self:
        return type(self)(self.typ, self.key, accumulate=self.accumulate)

    def _restore(self, checkpoint: Sequence[V]) -> None:
        self.values = list(checkpoint)

    def copy(self) -> Self:
        channel = self._empty()
        channel.values = self.values
        return channel

    def checkpoint(self) -> list[V] | MissingType:
        return self.values if self.values else MISSING

    def get(self) -> list[V]:
        if not self.values:
            raise self._empty_error()
        return list(self.values)

    def is_available(self) -> bool:
        return bool(self.values)

    def update(self, values: Sequence[V | list[V]]) -> bool:
        items: list[V] = []
        for write in values:
            if isinstance(write, list):
                items.extend(write)
            else:
                items.append(write)
        if self.accumulate:
            if not items:
                return False
            self.values = self.values + items
            return True
        changed = bool(self.values) or bool(items)
        self.values = items
        return changed
