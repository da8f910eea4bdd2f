"""Channels: the state machines behind state keys, edges and joins, and the actor that owns one.

Every channel follows :class:`BaseChannel`: ``update`` with one super-step's writes (returns
whether it changed), ``get`` / ``is_available``, ``checkpoint`` / ``from_checkpoint`` / ``copy``,
and ``consume`` / ``finish``. Which channel a state key gets:

- no reducer: :class:`LastValue` (one write per step);
- ``Annotated[T, reducer]``: :class:`BinaryOperatorAggregate` (``Overwrite`` bypasses it);
- ``Annotated[T, SomeChannel]``: that channel, e.g. :class:`Topic`, :class:`EphemeralValue`,
  :class:`AnyValue`, :class:`UntrackedValue`.

Hidden channels the graph layer builds: :class:`EphemeralValue` (``__start__``,
``branch:to:<node>``), :class:`Topic` (pending Sends), :class:`NamedBarrierValue` (joins) and the
``*AfterFinish`` variants for ``defer=True`` nodes.

:class:`ChannelActor` owns one channel of a run (the runtime spawns one per channel, inline,
when the channel first changes): it changes only through :class:`Apply` / :class:`Clear` /
:class:`Consume` / :class:`Finish` messages, answered with :class:`Applied`.
"""

from ._agents import AgentJournal
from ._actor import Applied, Apply, ChannelActor, ChannelMessage, Clear, Consume, Finish, Read, Snapshot
from ._any_value import AnyValue
from ._barrier import NamedBarrierValue, NamedBarrierValueAfterFinish
from ._base import MISSING, BaseChannel, MissingType
from ._binop import BinaryOperatorAggregate
from ._ephemeral import EphemeralValue
from ._last_value import LastValue, LastValueAfterFinish
from ._topic import Topic
from ._untracked import UntrackedValue

__all__ = [
    "MISSING",
    "AgentJournal",
    "AnyValue",
    "Applied",
    "Apply",
    "BaseChannel",
    "BinaryOperatorAggregate",
    "ChannelActor",
    "ChannelMessage",
    "Clear",
    "Consume",
    "EphemeralValue",
    "Finish",
    "LastValue",
    "LastValueAfterFinish",
    "MissingType",
    "NamedBarrierValue",
    "NamedBarrierValueAfterFinish",
    "Read",
    "Snapshot",
    "Topic",
    "UntrackedValue",
]
