"""``NamedBarrierValue`` and ``NamedBarrierValueAfterFinish``: joins (``add_edge([a, b], c)``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Self

from ..errors import InvalidUpdateError
from ._base import MISSING, BaseChannel, MissingType


def _render(names: Iterable[str]) -> str:
    # A set's repr, but in sorted order so that messages are reproducible.
    return "{" + ", ".join(repr(name) for name in sorted(names)) + "}"


class _Barrier(BaseChannel[None, str, Any]):
    __slots__ = ("names", "seen")

    def __init__(self, typ: Any, names: Iterable[str], key: str = "") -> None:
        super().__init__(typ, key)
        self.names = frozenset(names)
        self.seen: set[str] = set()

    def _empty(self) -> Self:
        return type(self)(self.typ, self.names, self.key)

    def update(self, values: Sequence[str]) -> bool:
        for name in values:
            if name not in self.names:
                raise InvalidUpdateError(
                    f"At key '{self.key}': Value {name} not in {_render(self.names)}"
                )
        new = set(values) - self.seen
        if not new:
            return False
        self.seen = self.seen | new  # a new set: checkpoints and copies share the old one
        return True


class NamedBarrierValue(_Barrier):
    """A join: waits until every name in ``names`` has been written, in any steps.

    Each write is the name of a source (writing a name twice is harmless; a name not in
    ``names`` raises ``InvalidUpdateError``). The channel becomes available (``get()`` returns
    ``None``) once all names are seen, and ``consume()`` (the joined node ran) resets it. Its
    checkpoint is the set of names seen so far.
    """

    __slots__ = ()

    def _restore(self, checkpoint: Iterable[str]) -> None:
        self.seen = set(checkpoint)

    def copy(self) -> Self:
        channel = self._empty()
        channel.seen = self.seen
        return channel

    def checkpoint(self) -> set[str] | MissingType:
        return self.seen if self.seen else MISSING

    def get(self) -> None:
        if self.seen != self.names:
            raise self._empty_error()
        return None

    def is_available(self) -> bool:
        return self.seen == self.names

    def consume(self) -> bool:
        if self.seen != self.names:
            return False
        self.seen = set()
        return True


class NamedBarrierValueAfterFinish(_Barrier):
    """A join for a ``defer=True`` node: like :class:`NamedBarrierValue`, but once every name is
    seen it still waits for ``finish()`` (the run would otherwise end) before it is available;
    ``consume()`` then resets both. Its checkpoint is the pair ``(seen, finished)``.
    """

    __slots__ = ("finished",)

    def __init__(self, typ: Any, names: Iterable[str], key: str = "") -> None:
        super().__init__(typ, names, key)
        self.finished = False

    def _restore(self, checkpoint: tuple[Iterable[str], bool]) -> None:
        seen, finished = checkpoint
        self.seen = set(seen)
        self.finished = bool(finished)

    def copy(self) -> Self:
        channel = self._empty()
        channel.seen = self.seen
        channel.finished = self.finished
        return channel

    def checkpoint(self) -> tuple[set[str], bool] | MissingType:
        if not self.seen and not self.finished:
            return MISSING
        return (self.seen, self.finished)

    def get(self) -> None:
        if not self.finished or self.seen != self.names:
            raise self._empty_error()
        return None

    def is_available(self) -> bool:
        return self.finished and self.seen == self.names

    def consume(self) -> bool:
        if not self.finished or self.seen != self.names:
            return False
        self.seen = set()
        self.finished = False
        return True

    def finish(self) -> bool:
        if self.finished or self.seen != self.names:
            return False
        self.finished = True
        return True
