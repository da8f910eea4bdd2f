"""``AnyValue``: last write wins, and a step without writes clears it."""

from __future__ import annotations

from collections.abc import Sequence

from ._base import MISSING, V
from ._value import _SingleValue


class AnyValue(_SingleValue[V, V]):
    """Holds the last value written in the previous super-step; meant for keys whose writers
    all write the same value, so any one of them may win.

    Several writes in one step are fine (the last in apply order is kept). An update with no
    writes clears the channel (and counts as a change if it held a value).
    """

    __slots__ = ()

    def update(self, values: Sequence[V]) -> bool:
        if not values:
            if self.value is MISSING:
                return False
            self.value = MISSING
            return True
        self.value = values[-1]
        return True
