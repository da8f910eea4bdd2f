"""``BaseChannel``: the protocol every channel follows, and the ``MISSING`` sentinel."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Final, Generic, Literal, Self, TypeAlias, TypeVar

from ..errors import EmptyChannelError

V = TypeVar("V")  # what get() returns
U = TypeVar("U")  # what one write may be
C = TypeVar("C")  # what checkpoint() returns when the channel is not empty


class _Missing(enum.Enum):
    # An enum member pickles by name, so MISSING keeps its identity across processes.
    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing.MISSING
"""The checkpoint of an empty channel (and the value slot of one). Never stored by savers;
``from_checkpoint(MISSING)`` gives an empty channel."""

MissingType: TypeAlias = Literal[_Missing.MISSING]
"""The type of :data:`MISSING`, for annotations."""


class BaseChannel(ABC, Generic[V, U, C]):
    """A channel: the state machine behind one state key (or one hidden edge/join channel).

    Channels are small synchronous objects; the runtime owns them and calls, per super-step:

    - ``update(values)`` once with *all* the writes of the step for this channel, in apply order
      (possibly none); it returns whether the channel changed, so the runtime can bump its
      version. It either applies every write or raises (``InvalidUpdateError``, or the reducer's
      own exception) leaving the channel exactly as it was.
    - ``consume()`` when a task triggered by this channel ran; ``finish()`` when the run would
      otherwise end. Both return whether the channel changed and do nothing by default.
    - ``get()`` returns the value or raises ``EmptyChannelError``; ``is_available()`` says which.
    - ``checkpoint()`` returns a serializable snapshot of the state, :data:`MISSING` when empty.
      A channel never mutates in place anything it returned from ``checkpoint()`` (updates
      replace containers instead), so the snapshot stays valid while later steps run.
      ``from_checkpoint(data)`` builds a *new* channel with the same configuration from such a
      snapshot; ``copy()`` is the cheap equivalent of ``from_checkpoint(checkpoint())``.

    ``typ`` is the annotation the schema gave the key and ``key`` the key's name, used in error
    messages.
    """

    __slots__ = ("typ", "key")

    def __init__(self, typ: Any, key: str = "") -> None:
        # Any: typ is whatever annotation the schema used (a class, Optional[...], Annotated[...]).
        if not isinstance(key, str):
            raise TypeError(
                f"{type(self).__name__}: key must be the state key's name (a str), got {key!r}; "
                "pass options such as guard= or accumulate= by keyword"
            )
        self.typ = typ
        self.key = key

    def __repr__(self) -> str:
        state = "available" if self.is_available() else "empty"
        return f"<{type(self).__name__} key={self.key!r} {state}>"

    # -- snapshots ----------------------------------------------------------------------------

    @abstractmethod
    def _empty(self) -> Self:
        """A new, empty channel with this one's configuration."""

    @abstractmethod
    def _restore(self, checkpoint: C) -> None:
        """Load a (non-MISSING) checkpoint into this freshly made channel."""

    def copy(self) -> Self:
        """An independent channel with the same configuration and value."""
        return self.from_checkpoint(self.checkpoint())

    def from_checkpoint(self, checkpoint: C | MissingType) -> Self:
        """A new channel with this one's configuration, holding ``checkpoint``'s state
        (empty for :data:`MISSING`). ``self`` is left untouched."""
        channel = self._empty()
        if checkpoint is not MISSING:
            channel._restore(checkpoint)
        return channel

    @abstractmethod
    def checkpoint(self) -> C | MissingType:
        """A serializable snapshot of the state; :data:`MISSING` when the channel is empty."""

    # -- reading ------------------------------------------------------------------------------

    @abstractmethod
    def get(self) -> V:
        """The current value; raises ``EmptyChannelError`` when there is none."""

    def is_available(self) -> bool:
        """Whether ``get()`` would return a value."""
        try:
            self.get()
        except EmptyChannelError:
            return False
        return True

    def peek(self) -> V | MissingType:
        """What ``get()`` returns, or :data:`MISSING` where it would raise (one call instead of
        ``is_available()`` then ``get()``: the runtime reads inputs with it). A subclass that
        overrides ``get`` or ``is_available`` keeps this one, or overrides it to agree."""
        return self.get() if self.is_available() else MISSING

    def _empty_error(self) -> EmptyChannelError:
        return EmptyChannelError(f"At key '{self.key}': the channel is empty")

    # -- writing ------------------------------------------------------------------------------

    @abstractmethod
    def update(self, values: Sequence[U]) -> bool:
        """Apply all the writes of one super-step (in apply order); return whether it changed."""

    def consume(self) -> bool:
        """A task triggered by this channel ran; return whether the channel changed."""
        return False

    def finish(self) -> bool:
        """The run would otherwise end; return whether the channel changed."""
        return False
