"""``LastValue`` (a plain state key) and ``LastValueAfterFinish`` (a deferred node's trigger)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

from ..errors import InvalidUpdateError, error_message
from ._base import MISSING, BaseChannel, MissingType, V
from ._value import _SingleValue


class LastValue(_SingleValue[V, V]):
    """Holds the last value written; at most one write per super-step.

    The channel behind every state key without a reducer. An update with no writes leaves it
    unchanged (it is never cleared); one write replaces the value; two or more writes in the
    same step raise ``InvalidUpdateError`` ("Can receive only one value per step"), because
    nothing says which should win: annotate the key with a reducer to accept several.
    """

    __slots__ = ()

    def update(self, values: Sequence[V]) -> bool:
        if not values:
            return False
        if len(values) > 1:
            raise InvalidUpdateError(error_message(
                f"At key '{self.key}': Can receive only one value per step. "
                "Use an Annotated key to handle multiple values.",
                "INVALID_CONCURRENT_GRAPH_UPDATE",
            ))
        self.value = values[0]
        return True


class LastValueAfterFinish(BaseChannel[V, V, tuple[V, bool]]):
    """Holds the last value written, but only makes it available after ``finish()``.

    The trigger channel of a ``defer=True`` node: writes are stored (last write wins) yet the
    channel stays unavailable until the run would otherwise end and the runtime calls
    ``finish()``; ``consume()`` (the deferred node ran) then clears it. A new write after
    ``finish()`` hides the value again until the next ``finish()``. Its checkpoint is the pair
    ``(value, finished)``.
    """

    __slots__ = ("value", "finished")

    def __init__(self, typ: Any, key: str = "") -> None:
        super().__init__(typ, key)
        self.value: V | MissingType = MISSING
        self.finished = False

    def _empty(self) -> Self:
        return type(self)(self.typ, self.key)

    def _restore(self, checkpoint: tuple[V, bool]) -> None:
        self.value, self.finished = checkpoint

    def copy(self) -> Self:
        channel = self._empty()
        channel.value = self.value
        channel.finished = self.finished
        return channel

    def checkpoint(self) -> tuple[V, bool] | MissingType:
        if self.value is MISSING:
            return MISSING
        return (self.value, self.finished)

    def get(self) -> V:
        if self.value is MISSING or not self.finished:
            raise self._empty_error()
        return self.value

    def is_available(self) -> bool:
        return self.finished and self.value is not MISSING

    def update(self, values: Sequence[V]) -> bool:
        if not values:
            return False
        self.value = values[-1]
        self.finished = False
        return True

    def consume(self) -> bool:
        if not self.finished:
            return False
        self.value = MISSING
        self.finished = False
        return True

    def finish(self) -> bool:
        if self.finished or self.value is MISSING:
            return False
        self.finished = True
        return True
