"""Checkpoint records, checkpoint ids, and the saver-facing reading of a run ``config``.

A checkpoint is the state of a thread at a super-step boundary: channel values, their versions,
and what every node has seen. Records are msgspec Structs; :class:`Checkpoint` also answers
LangGraph's dict-style reads (``checkpoint["channel_values"]``) for ported code.
"""

from __future__ import annotations

import math
import random
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any, Final

import msgspec

Version = int | str
"""A channel version: an ``int`` (what :meth:`get_next_version` hands out) or a string."""

CheckpointMetadata = dict[str, Any]
"""Checkpoint metadata is a plain dict (as in LangGraph), so user keys sit next to ours.

Keys set by the runtime: ``source`` (``"input" | "loop" | "update" | "fork"``), ``step`` (-1 for
the input checkpoint), ``parents`` (checkpoint namespace -> checkpoint id of enclosing graphs),
optionally ``run_id``. Savers add every ``config["metadata"]`` entry and every str/int/float/bool
``config["configurable"]`` entry that does not start with ``__`` and is not one of
:data:`EXCLUDED_METADATA_KEYS`; keys already in the metadata win. ``CheckpointMetadata(source=
"loop", step=0, parents={})`` builds one.
"""

PendingWrite = tuple[str, str, Any]
"""``(task_id, channel, value)``: a write a task made in the step after a checkpoint."""

EXCLUDED_METADATA_KEYS: Final = frozenset({
    "thread_id", "checkpoint_id", "checkpoint_ns", "checkpoint_map",
    "langgraph_step", "langgraph_node", "langgraph_triggers", "langgraph_path",
    "langgraph_checkpoint_ns",
})
_EXCLUDED_ONLY: Final = EXCLUDED_METADATA_KEYS.issuperset

ERROR: Final = "__error__"
SCHEDULED: Final = "__scheduled__"
INTERRUPT: Final = "__interrupt__"
RESUME: Final = "__resume__"

WRITES_IDX_MAP: Final[Mapping[str, int]] = {ERROR: -1, SCHEDULED: -2, INTERRUPT: -3, RESUME: -4}
"""Special write channels and the fixed index they are stored under.

A pending write is keyed by (thread, namespace, checkpoint id, task id, index). Ordinary writes
use their position in the ``writes`` list and are inserted only if absent (a task's writes are
saved once); these channels use a fixed negative index and overwrite (a later error, interrupt
or resume value replaces the earlier one).
"""


class Checkpoint(msgspec.Struct, kw_only=True):
    """A snapshot of a thread's channels at a super-step boundary.

    ``v`` is the layout version (4, LangGraph's); ``id`` a time-ordered id
    (:func:`new_checkpoint_id`); ``ts`` an ISO-8601 UTC timestamp; ``channel_values`` the
    non-empty channels' values; ``channel_versions`` every channel that has a version;
    ``versions_seen`` node -> channel -> version it last ran on; ``updated_channels`` the channels
    the step that produced this checkpoint changed (sorted), if known.
    """

    v: int = 4
    id: str
    ts: str
    channel_values: dict[str, Any] = {}
    channel_versions: dict[str, Version] = {}
    versions_seen: dict[str, dict[str, Version]] = {}
    updated_channels: list[str] | None = None

    def __getitem__(self, key: str) -> Any:
        """Dict-style read of a field, for code written against LangGraph's TypedDict."""
        if key not in self.__struct_fields__:
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self.__struct_fields__ else default

    # the rest of a read-only mapping's API, as LangGraph's Checkpoint is a TypedDict
    # (``dict(checkpoint)``, ``"channel_values" in checkpoint``, ``for key in checkpoint``)

    def keys(self) -> tuple[str, ...]:
        return self.__struct_fields__

    def values(self) -> list[Any]:
        return [getattr(self, k) for k in self.__struct_fields__]

    def items(self) -> list[tuple[str, Any]]:
        return [(k, getattr(self, k)) for k in self.__struct_fields__]

    def __iter__(self) -> Iterator[str]:
        return iter(self.__struct_fields__)

    def __contains__(self, key: object) -> bool:
        return key in self.__struct_fields__

    def __len__(self) -> int:
        return len(self.__struct_fields__)

    def copy(self) -> Checkpoint:
        """A copy whose dicts can be changed without touching this one (values are shared)."""
        return Checkpoint(
            v=self.v,
            id=self.id,
            ts=self.ts,
            channel_values=dict(self.channel_values),
            channel_versions=dict(self.channel_versions),
            versions_seen={k: dict(v) for k, v in self.versions_seen.items()},
            updated_channels=None if self.updated_channels is None else list(self.updated_channels),
        )


class CheckpointTuple(msgspec.Struct, frozen=True):
    """What ``get_tuple`` / ``list`` return: a checkpoint with its context.

    ``config`` addresses this checkpoint (``{"configurable": {"thread_id", "checkpoint_ns",
    "checkpoint_id"}}``), ``parent_config`` its parent (None for the first), ``pending_writes``
    the writes saved against it, sorted by (task path, task id, index).
    """

    config: dict[str, Any]
    checkpoint: Checkpoint
    metadata: CheckpointMetadata
    parent_config: dict[str, Any] | None = None
    pending_writes: list[PendingWrite] = []

    # a NamedTuple's API, as LangGraph's CheckpointTuple is one (``config, checkpoint, *_ = t``,
    # ``t[1]``, ``t._replace(...)``)

    @property
    def _fields(self) -> tuple[str, ...]:
        return self.__struct_fields__

    def _replace(self, **changes: Any) -> CheckpointTuple:
        return msgspec.structs.replace(self, **changes)

    def _asdict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__struct_fields__}

    def __iter__(self) -> Iterator[Any]:
        return (getattr(self, k) for k in self.__struct_fields__)

    def __len__(self) -> int:
        return len(self.__struct_fields__)

    def __getitem__(self, index: Any) -> Any:
        return tuple(self)[index]


class ThreadKey(msgspec.Struct, frozen=True, gc=False):
    """The part of a run ``config`` a saver reads, parsed once at the edge."""

    thread_id: str
    checkpoint_ns: str = ""
    checkpoint_id: str | None = None

    def config(self, checkpoint_id: str | None = None) -> dict[str, Any]:
        """A config addressing ``checkpoint_id`` (default: this key's own) in this thread."""
        return {"configurable": {
            "thread_id": self.thread_id,
            "checkpoint_ns": self.checkpoint_ns,
            "checkpoint_id": checkpoint_id if checkpoint_id is not None else self.checkpoint_id,
        }}


class MissingThreadIdError(KeyError, ValueError):
    """A config without ``configurable["thread_id"]`` where a checkpointer needs one. Both a
    ``ValueError`` and a ``KeyError``: LangGraph's ``get_state``/``get_state_history``/
    ``update_state`` raise ``KeyError('thread_id')`` (or ``'configurable'``) there, its
    ``invoke`` a ``ValueError``; ``except`` clauses of either kind catch it."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def thread_key(config: Mapping[str, Any] | None, *, need_checkpoint: bool = False) -> ThreadKey:
    """Read ``config["configurable"]``; ``ValueError`` naming what is missing."""
    configurable = (config or {}).get("configurable") or {}
    thread_id = configurable.get("thread_id")
    if thread_id is None:
        raise MissingThreadIdError('a checkpointer needs config["configurable"]["thread_id"]')
    checkpoint_id = configurable.get("checkpoint_id")
    if need_checkpoint and checkpoint_id is None:
        raise ValueError(
            f'thread {thread_id!r}: config["configurable"]["checkpoint_id"] is required here '
            "(the checkpoint the writes belong to)"
        )
    return ThreadKey(
        thread_id=str(thread_id),
        checkpoint_ns=str(configurable.get("checkpoint_ns") or ""),
        checkpoint_id=None if checkpoint_id is None else str(checkpoint_id),
    )


def as_checkpoint(obj: Checkpoint | Mapping[str, Any]) -> Checkpoint:
    """Accept a :class:`Checkpoint` or a LangGraph-style checkpoint dict."""
    if isinstance(obj, Checkpoint):
        return obj
    known = {k: v for k, v in obj.items() if k in Checkpoint.__struct_fields__}
    return Checkpoint(**known)


def merge_metadata(config: Mapping[str, Any] | None, metadata: Mapping[str, Any]) -> CheckpointMetadata:
    """The metadata a saver stores: ``metadata`` plus eligible ``config`` entries.

    Keys of ``metadata`` win; then ``config["metadata"]`` and ``config["configurable"]`` entries
    whose value is a str/int/float/bool, whose key does not start with ``__`` and is not in
    :data:`EXCLUDED_METADATA_KEYS`. NUL characters are removed from string values (SQLite's
    JSON functions and many tools stop at them).
    """
    merged: CheckpointMetadata = {
        k: v.replace("\x00", "") if isinstance(v, str) else v for k, v in metadata.items()
    }
    if config and not (len(config) == 1 and "configurable" in config
                       and _EXCLUDED_ONLY(config["configurable"] or ())):
        # (else nothing to add: a run's own config for its saver names the checkpoint alone)
        for source in (config.get("metadata"), config.get("configurable")):
            if not source:
                continue
            for key, value in source.items():
                if key in merged or key in EXCLUDED_METADATA_KEYS or key.startswith("__"):
                    continue
                if isinstance(value, str):
                    merged[key] = value.replace("\x00", "")
                elif isinstance(value, (int, float, bool)):
                    merged[key] = value
    return merged


# -- ids --------------------------------------------------------------------------------------

_GREGORIAN_OFFSET: Final = 0x01B21DD213814000  # 100-ns ticks from 1582-10-15 to 1970-01-01
_id_lock = threading.Lock()
_last_tick = 0
_prefix = (-1, "")  # (tick >> 12, the id text up to it): replaced as a whole, so thread-safe


_random = random.Random()
_getrandbits = _random.getrandbits  # uniqueness, not secrecy: no need for os.urandom per id
_time_ns = time.time_ns


def new_checkpoint_id(step: int | None = None) -> str:
    """A new time-ordered checkpoint id (a version-6 UUID).

    Ids sort as strings in creation order, also within one process when the clock does not
    advance. The clock-sequence field holds ``step`` (mod 2**14) when given, as LangGraph's
    do (step -1 shows as ``…-bfff-…``); otherwise it is random.
    """
    global _last_tick, _prefix
    _id_lock.acquire()  # (half the cost of `with`, and a run takes an id per super-step)
    try:
        tick = _time_ns() // 100 + _GREGORIAN_OFFSET
        if tick <= _last_tick:
            tick = _last_tick + 1
        _last_tick = tick
    finally:
        _id_lock.release()
    clock_seq = (step if step is not None else _getrandbits(14)) & 0x3FFF
    # Formatted by hand (a run takes one per super-step; uuid.UUID would double the cost): the
    # 60-bit tick is time_high+time_mid (its top 48 bits), the version nibble 6, time_low (its
    # low 12 bits); then the variant bits 10 with the clock sequence, then 48 random node bits.
    # The text up to time_low changes every 2**12 ticks (~0.4 ms): reused until then.
    high = tick >> 12
    prefix = _prefix
    if prefix[0] != high:
        t = f"{high:012x}"
        prefix = _prefix = (high, f"{t[:8]}-{t[8:]}-6")
    return "%s%03x-%04x-%012x" % (prefix[1], tick & 0xFFF, 0x8000 | clock_seq, _getrandbits(48))


def checkpoint_time(checkpoint_id: str) -> float | None:
    """Seconds since the epoch encoded in a :func:`new_checkpoint_id` id (None for other ids)."""
    try:
        u = uuid.UUID(checkpoint_id)
    except ValueError:
        return None
    if u.version != 6:
        return None
    value = u.int
    tick = ((value >> 80) << 12) | ((value >> 64) & 0xFFF)
    return (tick - _GREGORIAN_OFFSET) / 1e7


def now_iso() -> str:
    """The current time as a checkpoint's ``ts`` (ISO 8601, UTC, microseconds): exactly
    ``datetime.fromtimestamp(stamp, timezone.utc).isoformat()`` (what ``datetime.now()``
    gives), the text up to the seconds made once per second. The savers store a ``ts`` as the
    epoch seconds it renders from (see :func:`made_from`)."""
    global _made, _made_before, _second
    stamp = _time()
    # as datetime.fromtimestamp splits it: the fraction rounded half-even to microseconds
    fraction, whole = _modf(stamp)
    micros = round(fraction * 1e6)
    second = int(whole)
    if micros >= 1_000_000:
        second, micros = second + 1, micros - 1_000_000
    prefix = _second
    if prefix[0] != second:
        prefix = _second = (second, datetime.fromtimestamp(second, timezone.utc).isoformat()[:-6])
    ts = f"{prefix[1]}.{micros:06d}+00:00" if micros else f"{prefix[1]}+00:00"
    made = _made
    made[ts] = stamp
    if len(made) >= _MADE_KEPT:  # (a new generation; the one before is still looked at)
        _made_before, _made = made, {}
    return ts


def made_from(ts: str) -> float | None:
    """The epoch seconds ``ts`` was rendered from by a recent :func:`now_iso` call (``ts`` is
    exactly ``datetime.fromtimestamp(stamp, timezone.utc).isoformat()``), else None: a saver
    then parses ``ts``. (A run saves a checkpoint right after stamping it, or a few steps later
    through a writer thread: the last few hundred stamps are kept.)"""
    stamp = _made.get(ts)
    return _made_before.get(ts) if stamp is None else stamp


_time = time.time
_modf = math.modf
_second = (-1, "")  # (epoch second, its text up to the seconds): replaced as a whole, so thread-safe
_MADE_KEPT: Final = 512
# ts -> stamp, in two generations of up to _MADE_KEPT (any thread: a lookup that misses a stamp
# being moved just takes the parsing path)
_made: dict[str, float] = {}
_made_before: dict[str, float] = {}


def empty_checkpoint() -> Checkpoint:
    """A fresh checkpoint with no channels: new id, current time, empty maps."""
    return Checkpoint(v=4, id=new_checkpoint_id(), ts=now_iso(), updated_channels=None)
