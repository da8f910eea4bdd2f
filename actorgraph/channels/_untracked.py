"""``UntrackedValue``: a last value that is never checkpointed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

from ..errors import InvalidUpdateError
from ._base import MISSING, MissingType, V
from ._value import _SingleValue


class UntrackedValue(_SingleValue[V, V]):
    """Like :class:`LastValue`, but its value lives only in the running graph: ``checkpoint()``
    always returns :data:`MISSING`, so it is neither saved nor restored (``from_checkpoint``
    gives an empty channel; ``copy()`` keeps the value).

    With ``guard=True`` two or more writes in one step raise ``InvalidUpdateError``; with
    ``guard=False`` the last write wins. An update with no writes leaves it unchanged.
    """

    __slots__ = ("guard",)

    def __init__(self, typ: Any, key: str = "", guard: bool = True) -> None:
        super().__init__(typ, key)
        self.guard = guard

    def _empty(self) -> Self:
        return type(self)(self.typ, self.key, guard=self.guard)

    def _restore(self, checkpoint: V) -> None:
        pass  # never checkpointed: a restored channel starts empty

    def checkpoint(self) -> V | MissingType:
        return MISSING

    def update(self, values: Sequence[V]) -> bool:
        if not values:
            return False
        if self.guard and len(values) > 1:
            raise InvalidUpdateError(
                f"At key '{self.key}': UntrackedValue(guard=True) can receive only one value per "
                "step. Use guard=False if you want to store any one of multiple values."
            )
        self.value = values[-1]
        return True
