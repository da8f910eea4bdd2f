"""Per-node policies beyond retries: :class:`TimeoutPolicy` and :class:`CachePolicy` (names and
fields as LangGraph 1.2's ``langgraph.types``); re-exported by :mod:`actorgraph.types`."""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Literal


def _seconds(value: float | timedelta | None, field: str) -> float | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds <= 0:
        raise ValueError(f"{field} must be greater than 0")
    return seconds


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class TimeoutPolicy:
    """How long one attempt of a node may take (``add_node(..., timeout=...)``).

    * ``run_timeout``: a hard cap in seconds (or a ``timedelta``) per attempt;
    * ``idle_timeout``: the longest an attempt may go without progress: with
      ``refresh_on="auto"`` a ``runtime.heartbeat()`` call or a chunk sent to the ``custom``
      stream writer; with ``refresh_on="heartbeat"`` only ``runtime.heartbeat()``.

    An attempt that exceeds one is cancelled and fails with :class:`~actorgraph.errors.NodeTimeoutError`
    naming the node (retried by a ``RetryPolicy`` like any failure). Only ``async`` nodes may
    have a timeout: a thread cannot be cancelled (``compile()`` refuses a sync one).
    """

    run_timeout: float | timedelta | None = None
    idle_timeout: float | timedelta | None = None
    refresh_on: Literal["auto", "heartbeat"] = "auto"

    @classmethod
    def coerce(cls, value: float | timedelta | TimeoutPolicy | None) -> TimeoutPolicy | None:
        """A policy in positive float seconds from what ``add_node(timeout=...)`` takes (a number,
        a ``timedelta`` or a policy); ``None`` for no timeout. ``ValueError`` for a timeout
        that is not positive or an unknown ``refresh_on``."""
        if value is None:
            return None
        policy = value if isinstance(value, TimeoutPolicy) else cls(run_timeout=value)
        if policy.refresh_on not in ("auto", "heartbeat"):
            raise ValueError("refresh_on must be 'auto' or 'heartbeat'")
        run = _seconds(policy.run_timeout, "run_timeout")
        idle = _seconds(policy.idle_timeout, "idle_timeout")
        if run is None and idle is None:
            return None
        return cls(run_timeout=run, idle_timeout=idle, refresh_on=policy.refresh_on)

    def limits(self) -> tuple[float | None, float | None]:
        """``(run_timeout, idle_timeout)`` in seconds."""
        return _seconds(self.run_timeout, "run_timeout"), _seconds(self.idle_timeout, "idle_timeout")


def _freeze(obj: Any, depth: int = 10) -> Hashable:
    """A hashable image of a keyword argument's value, as LangGraph 1.2 makes it: a hashable
    value as is (a tuple too, whatever it holds), a mapping as its items sorted by key, another
    sequence as a tuple, recursively; an array-like (``tobytes()``) as its bytes."""
    if depth <= 0 or isinstance(obj, Hashable):
        return obj  # type: ignore[no-any-return]  # Any: hashable, or too deep to freeze
    if isinstance(obj, Mapping):
        items = [(k, _freeze(v, depth - 1)) for k, v in obj.items()]
        try:
            return tuple(sorted(items))
        except TypeError:  # keys (or values) that do not compare: by their repr instead
            return tuple(sorted(items, key=repr))
    if isinstance(obj, Sequence):
        return tuple(_freeze(x, depth - 1) for x in obj)
    if hasattr(obj, "tobytes"):  # numpy arrays and the like
        return (type(obj).__name__, obj.tobytes(), getattr(obj, "shape", None))
    return obj  # type: ignore[no-any-return]  # Any: unhashable and unknown, pickled as is


def default_cache_key(*args: Any, **kwargs: Any) -> str | bytes:
    """The default :attr:`CachePolicy.key_func`: the pickled arguments, with the same inputs
    hitting and missing as under LangGraph 1.2: the node's input is pickled as it is (the
    positional arguments form a tuple, which LangGraph keeps as is), so a dict's key order and
    a list-versus-tuple difference make another key, at any depth (a node's state input has
    its keys in the schema's order whatever the order they were written in; a ``Send``'s
    payload is as sent); keyword arguments are frozen (dicts sorted by key, sequences as
    tuples)."""
    return pickle.dumps((args, _freeze(kwargs)), protocol=5, fix_imports=False)


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class CachePolicy:
    """Reuse a node's writes for an input seen before (``add_node(..., cache_policy=...)``, with
    ``compile(cache=...)``).

    ``key_func(input)`` gives the cache key (``str`` or ``bytes``; by default the pickled
    input); ``ttl``: seconds an entry lives, ``None`` for ever. A hit skips the node: its
    stored writes apply as if it had run, and its ``updates`` chunk carries
    ``"__metadata__": {"cached": True}``.
    """

    key_func: Callable[..., str | bytes] = default_cache_key
    ttl: int | float | None = None
