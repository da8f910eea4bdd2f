"""``_SingleValue``: the shared core of the channels that hold one value (or none)."""

from __future__ import annotations

from typing import Any, Self

from ._base import MISSING, BaseChannel, MissingType, U, V


class _SingleValue(BaseChannel[V, U, V]):
    """A channel whose whole state is one ``value`` slot, :data:`MISSING` when empty.

    ``get()`` returns the value (``EmptyChannelError`` when MISSING), ``is_available()`` says
    whether there is one, ``checkpoint()`` is the value itself (MISSING when empty) and
    ``copy()`` shares it (values are treated as immutable). Subclasses supply ``update`` and,
    when their constructor takes more than ``(typ, key)``, ``_empty``.
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

    def peek(self) -> V | MissingType:
        return self.value
