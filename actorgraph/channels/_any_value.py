"""``AnyValue``: last write wins, and a step without writes clears it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

from ._base import MISSING, BaseChannel, MissingType, V


class AnyValue(BaseChannel[V, V, V]):
    """Holds the last value written in the previous super-step; meant for keys whose writers
    all write the same value, so any one of them may win.

    Several writes in one step are fine (the last in apply order is kept). An update with no
    writes clears the channel (and counts as a change if it held a value).
    """

    __slots__ = ("value",)

    def __init__(self, typ: Any, key: str = "") -> None:
        super().__init__(typ, key)
        self.value: V | MissingType = MISSING

    def _empty(self) -> Self:
        return type(self)(self.typ, self.key)

    def _restore(self, checkpoint: V) -> None:
        self.value = checkpoint

    def copy(self) -> Self:
        channel = self._empty()
        channel.value = self.value
        return channel

    def checkpoint(self) -> V | MissingType:
        return self.value

    def get(self) -> V:
        if self.value is MISSING:
            raise self._empty_error()
        return self.value

    def is_available(self) -> bool:
        return self.value is not MISSING

    def update(self, values: Sequence[V]) -> bool:
        if not values:
            if self.value is MISSING:
                return False
            self.value = MISSING
            return True
        self.value = values[-1]
        return True
