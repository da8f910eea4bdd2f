"""``EphemeralValue``: a value that lasts exactly one super-step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

from ..errors import InvalidUpdateError
from ._base import MISSING, V
from ._value import _SingleValue


class EphemeralValue(_SingleValue[V, V]):
    """Holds the value written in the previous super-step only: the next update without
    writes clears it (a change).

    Used for the ``__start__`` input channel and the ``branch:to:<node>`` triggers. With
    ``guard=True`` two or more writes in one step raise ``InvalidUpdateError``; with
    ``guard=False`` the last write (in apply order) wins.
    """

    __slots__ = ("guard",)

    def __init__(self, typ: Any, key: str = "", guard: bool = True) -> None:
        super().__init__(typ, key)
        self.guard = guard

    def _empty(self) -> Self:
        return type(self)(self.typ, self.key, guard=self.guard)

    def copy(self) -> Self:
        if type(self) is not EphemeralValue:  # a subclass may hold more: its constructor knows
            return super().copy()
        # Every run copies every channel of its graph, and a graph has one of these per node
        # (its branch trigger): skip the constructor chain.
        channel = object.__new__(type(self))
        channel.typ = self.typ
        channel.key = self.key
        channel.guard = self.guard
        channel.value = self.value
        return channel

    def update(self, values: Sequence[V]) -> bool:
        if not values:
            if self.value is MISSING:
                return False
            self.value = MISSING
            return True
        if self.guard and len(values) > 1:
            raise InvalidUpdateError(
                f"At key '{self.key}': EphemeralValue(guard=True) can receive only one value per "
                "step. Use guard=False if you want to store any one of multiple values."
            )
        self.value = values[-1]
        return True
