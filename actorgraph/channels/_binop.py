"""``BinaryOperatorAggregate``: a reducer key (``Annotated[T, reducer]``)."""

from __future__ import annotations

import collections.abc
import typing
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Self

from ..errors import InvalidUpdateError, error_message
from ..types import Overwrite
from ._base import MISSING, V
from ._value import _SingleValue

_OVERWRITE = "__overwrite__"

_WRAPPERS = frozenset({"Required", "NotRequired", "ReadOnly"})

_CONCRETE: dict[Any, type] = {
    collections.abc.Sequence: list,
    collections.abc.MutableSequence: list,
    collections.abc.Set: set,
    collections.abc.MutableSet: set,
    collections.abc.Mapping: dict,
    collections.abc.MutableMapping: dict,
}


def _constructor(typ: Any) -> Any:
    """The class whose no-argument call gives ``typ``'s initial value (it may not be callable).

    Annotated/Required/NotRequired are stripped, generics reduced to their origin
    (``list[int]``, ``typing.List`` -> list) and abstract collections mapped to concrete ones.
    """
    # Any: typ is an arbitrary annotation; the result is only ever called inside a try.
    while True:
        origin = typing.get_origin(typ)
        if origin is Annotated or getattr(origin, "_name", None) in _WRAPPERS:
            typ = typing.get_args(typ)[0]
        elif origin is not None:
            typ = origin
        else:
            break
    return _CONCRETE.get(typ, typ)


_constructors: dict[Any, Any] = {}  # annotation -> _constructor(annotation) (a run copies its channels)


def _initial(typ: Any) -> Any:
    try:
        make = _constructors.get(typ)
    except TypeError:  # (an annotation that cannot be hashed)
        make = _constructor(typ)
    else:
        if make is None:
            make = _constructors[typ] = _constructor(typ)
    try:
        return make()
    except Exception:  # Optional[int], a Union, Any, a class needing arguments...: start empty
        return MISSING


def _overwrite(value: object) -> tuple[bool, Any]:
    """``(True, v)`` if ``value`` asks to overwrite with ``v``, else ``(False, None)``.

    Recognised: ``Overwrite(v)``, ``{"__overwrite__": v}`` (that single key), and the
    JSON-erased form ``{"type": "__overwrite__", "value": v}``.
    """
    if isinstance(value, Overwrite):
        return True, value.value
    if isinstance(value, dict):
        if len(value) == 1 and _OVERWRITE in value:
            return True, value[_OVERWRITE]
        if value.get("type") == _OVERWRITE and "value" in value:
            return True, value["value"]
    return False, None


class BinaryOperatorAggregate(_SingleValue[V, Any]):
    """Folds every write into the value with a binary operator: ``value = operator(value, w)``
    for each write ``w`` of the step, in apply order. Never raises for several writes.

    The initial value is ``typ()`` (``Annotated``/``Required``/``NotRequired`` stripped, abstract
    ``Sequence``/``Set``/``Mapping`` mapped to ``list``/``set``/``dict``), so a ``list`` key
    starts as ``[]``, an ``int`` key as ``0``. When ``typ()`` fails (``Optional[int]``, ...) the
    channel starts empty and its first write is stored as is, without calling the operator.

    A write of ``Overwrite(v)`` (or ``{"__overwrite__": v}``, or
    ``{"type": "__overwrite__", "value": v}``) replaces the value with ``v`` without the
    operator; the step's later plain writes are discarded, and a second overwrite in the same
    step raises ``InvalidUpdateError``. An exception from the operator propagates unchanged and
    leaves the channel as it was.

    Values are treated as immutable: ``checkpoint()`` and ``get()`` return the value itself, not
    a copy. The operator must therefore return a new value rather than mutate its first argument
    (``operator.add``, ``add_messages`` and LangGraph's documented reducers all do); one that
    mutates in place would also change snapshots already handed out.
    """

    # Why no copy on checkpoint: a per-step copy costs O(len) for every reducer key (quadratic
    # over a run for a growing message list) and still could not protect values that nodes
    # receive by reference from get(); LangGraph has the same contract, so graphs written for it
    # behave identically here.

    __slots__ = ("operator",)

    def __init__(self, typ: Any, operator: Callable[[V, Any], V], key: str = "") -> None:
        super().__init__(typ, key)
        self.operator = operator
        self.value = _initial(typ)

    def _empty(self) -> Self:
        return type(self)(self.typ, self.operator, self.key)

    def update(self, values: Sequence[Any]) -> bool:
        if not values:
            return False
        value = self.value
        operator = self.operator
        overwritten = False
        for write in values:
            is_overwrite, replacement = _overwrite(write)
            if is_overwrite:
                if overwritten:
                    raise InvalidUpdateError(error_message(
                        "Can receive only one Overwrite value per super-step.",
                        "INVALID_CONCURRENT_GRAPH_UPDATE",
                    ))
                value = replacement
                overwritten = True
            elif overwritten:
                continue
            elif value is MISSING:
                value = write
            else:
                value = operator(value, write)
        self.value = value
        return True
