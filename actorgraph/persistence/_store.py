"""Long-term memory stores: LangGraph's ``BaseStore`` contract, async first.

A store keeps JSON-like ``dict`` values under ``(namespace, key)``, across threads and runs.
A namespace is a non-empty tuple of labels; a label is a non-empty string without ``"."`` and
the root label may not be ``"langgraph"`` (:class:`InvalidNamespaceError` otherwise, raised by
``put``). :class:`BaseStore` implements validation, filtering, semantic ranking, paging and
namespace listing once; a backend (:class:`InMemoryStore` here, ``SqliteStore`` in
:mod:`._sqlite_store`) only stores and loads records.

Time to live (LangGraph's store TTL): a store with ``supports_ttl`` (the SQLite and Postgres
ones; not :class:`InMemoryStore`, as in LangGraph) takes ``ttl=`` minutes per ``put``, a
:class:`TTLConfig` at construction, refreshes an item's expiry when it is read, and deletes
expired items in :meth:`BaseStore.asweep_ttl` (or a :class:`TTLSweeper` thread). :class:`BaseStore`
implements the rules once; a backend stores ``expires_at``/``ttl_minutes`` and runs
``_refresh`` and ``_sweep``.
"""

from __future__ import annotations

import concurrent.futures
import inspect
import math
import numbers
import threading
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Final, Literal, NamedTuple, TypedDict, TypeVar, cast

import anyio.to_thread
import msgspec

from .._log import get_logger
from ._base import SyncTwins, _sync_twin, run_now, running_event_loop

__all__ = [
    "BaseStore",
    "InMemoryStore",
    "InvalidNamespaceError",
    "Item",
    "SearchItem",
    "TTLConfig",
    "TTLSweeper",
]

_log = get_logger("persistence.store")

T = TypeVar("T")

Namespace = tuple[str, ...]
Vector = list[float]
NamespaceMatchType = Literal["prefix", "suffix"]


# -- LangGraph's low-level store API: operations for BaseStore.batch / abatch ----------------------


class GetOp(NamedTuple):
    """Read the item at ``(namespace, key)`` (``batch`` result: the :class:`Item` or None)."""

    namespace: tuple[str, ...]
    key: str
    refresh_ttl: bool = True


class PutOp(NamedTuple):
    """Store ``value`` at ``(namespace, key)``, ``None`` removes it (``batch`` result: None)."""

    namespace: tuple[str, ...]
    key: str
    value: dict[str, Any] | None
    index: Literal[False] | list[str] | None = None  # type: ignore[assignment]  # (LangGraph's field name shadows tuple.index)
    ttl: float | None = None


class SearchOp(NamedTuple):
    """Search under ``namespace_prefix`` (``batch`` result: a list of :class:`SearchItem`)."""

    namespace_prefix: tuple[str, ...]
    filter: dict[str, Any] | None = None
    limit: int = 10
    offset: int = 0
    query: str | None = None
    refresh_ttl: bool = True


class MatchCondition(NamedTuple):
    """A namespace pattern of :class:`ListNamespacesOp` (``"*"`` matches any label)."""

    match_type: NamespaceMatchType
    path: tuple[str, ...]


class ListNamespacesOp(NamedTuple):
    """List namespaces (``batch`` result: a list of namespace tuples)."""

    match_conditions: tuple[MatchCondition, ...] | None = None
    max_depth: int | None = None
    limit: int = 100
    offset: int = 0


Op = GetOp | PutOp | SearchOp | ListNamespacesOp
"""An operation of :meth:`BaseStore.batch`."""

_OPERATORS = ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte")


# -- time to live -----------------------------------------------------------------------------


class TTLConfig(TypedDict, total=False):
    """A store's time-to-live settings (LangGraph's ``TTLConfig``), all optional.

    - ``default_ttl``: minutes an item lives when ``put`` gets no ``ttl`` argument (None: for ever).
    - ``refresh_on_read``: whether ``get``/``search`` restart the clock of the items they
      return when their ``refresh_ttl`` is None (default True).
    - ``omit_expired``: whether expired items that no sweep deleted yet are hidden from
      ``get``, ``search`` and ``list_namespaces`` (default False: visible until swept).
    - ``sweep_interval_minutes``: minutes between sweeps of :meth:`start_ttl_sweeper`
      (default 5).
    """

    refresh_on_read: bool
    omit_expired: bool
    default_ttl: float | None
    sweep_interval_minutes: float | None


class NotProvided:
    """The type of :data:`NOT_PROVIDED`."""

    def __repr__(self) -> str:
        return "NOT_PROVIDED"


NOT_PROVIDED: Final = NotProvided()
"""``put``'s ``ttl`` when not given: the store's ``default_ttl`` applies (an explicit None
means no expiry)."""

_TTL_KEYS: Final = frozenset(TTLConfig.__annotations__)


def check_minutes(value: Any, argument: str, owner: str) -> float:
    """``value`` as a float number of minutes > 0: ``TypeError`` if it is no real number (a bool
    neither), ``ValueError`` if it is not finite or not > 0; both name ``argument`` and ``owner``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {argument} must be a number of minutes > 0 or None, not {value!r}")
    minutes = float(value)
    if not math.isfinite(minutes) or minutes <= 0:
        raise ValueError(f"{owner}: {argument} must be a finite number of minutes > 0, not {value!r}")
    return minutes


def check_ttl_config(config: Mapping[str, Any], owner: str) -> TTLConfig:
    """``config`` checked key by key (``ValueError``/``TypeError`` naming the key), as a dict."""
    if not isinstance(config, Mapping):
        raise TypeError(f"{owner}: ttl must be a TTLConfig dict or None, not {config!r}")
    unknown = set(config) - _TTL_KEYS
    if unknown:
        raise ValueError(f"{owner}: unknown ttl config keys {sorted(unknown)}; known: {sorted(_TTL_KEYS)}")
    for flag in ("refresh_on_read", "omit_expired"):
        if flag in config and not isinstance(config[flag], bool):
            raise TypeError(f"{owner}: ttl[{flag!r}] must be a bool, not {config[flag]!r}")
    for minutes in ("default_ttl", "sweep_interval_minutes"):
        if config.get(minutes) is not None:
            check_minutes(config[minutes], f"ttl[{minutes!r}]", owner)
    return cast(TTLConfig, dict(config))  # (keys checked above)


def expiry(ttl: float | None, stamp: datetime) -> datetime | None:
    """When an item written at ``stamp`` with ``ttl`` minutes expires (None: never)."""
    return None if ttl is None else stamp + timedelta(minutes=ttl)


class InvalidNamespaceError(ValueError):
    """A namespace that a store refuses: empty, with an empty label, a label containing ``"."``,
    a label that is not a string, or the reserved root label ``"langgraph"``."""


class Item:
    """A stored value: ``value`` (a dict), ``key``, ``namespace`` (a tuple of labels) and the
    ``created_at`` / ``updated_at`` datetimes. Equal when all five are equal."""

    __slots__ = ("created_at", "key", "namespace", "updated_at", "value")

    def __init__(
        self,
        *,
        value: dict[str, Any],
        key: str,
        namespace: tuple[str, ...],
        created_at: datetime | str,
        updated_at: datetime | str,
    ) -> None:
        self.value = value
        self.key = key
        self.namespace = tuple(namespace)
        self.created_at = datetime.fromisoformat(created_at) if isinstance(created_at, str) else created_at
        self.updated_at = datetime.fromisoformat(updated_at) if isinstance(updated_at, str) else updated_at

    def _fields(self) -> tuple[Any, ...]:
        return (self.value, self.key, self.namespace, self.created_at, self.updated_at)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Item):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash((self.namespace, self.key, self.created_at, self.updated_at))

    def dict(self) -> dict[str, Any]:
        """The item as plain data: list namespace, ISO-format timestamps."""
        return {
            "value": self.value,
            "key": self.key,
            "namespace": list(self.namespace),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(namespace={self.namespace!r}, key={self.key!r}, value={self.value!r}, "
            f"created_at={self.created_at.isoformat()!r}, updated_at={self.updated_at.isoformat()!r})"
        )


class SearchItem(Item):
    """An :class:`Item` returned by ``search``, with ``score``: the cosine similarity to the
    query (higher is closer), None without a query or without a vector index."""

    __slots__ = ("score",)

    def __init__(
        self,
        *,
        value: dict[str, Any],
        key: str,
        namespace: tuple[str, ...],
        created_at: datetime | str,
        updated_at: datetime | str,
        score: float | None = None,
    ) -> None:
        super().__init__(value=value, key=key, namespace=namespace, created_at=created_at, updated_at=updated_at)
        self.score = score

    def _fields(self) -> tuple[Any, ...]:
        return (*super()._fields(), self.score)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Item):
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = Item.__hash__

    def dict(self) -> dict[str, Any]:
        """The item as plain data (see :meth:`Item.dict`) plus ``score``."""
        return {**super().dict(), "score": self.score}

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, score={self.score!r})"


@dataclass
class Record:
    """What a backend stores per item: the item, its vectors (one per embedded field) and
    when it expires (None: never)."""

    item: Item
    vectors: list[Vector] = field(default_factory=list)
    expires_at: datetime | None = None

    def expired(self, at: datetime) -> bool:
        """Whether the item's time to live is over at ``at``."""
        return self.expires_at is not None and self.expires_at <= at


# -- namespaces -------------------------------------------------------------------------------


def validate_namespace(namespace: Sequence[Any]) -> Namespace:
    """``namespace`` as a tuple, or :class:`InvalidNamespaceError`."""
    if isinstance(namespace, str) or not isinstance(namespace, Sequence):
        raise InvalidNamespaceError(f"namespace must be a tuple of strings, got {namespace!r}")
    ns = tuple(namespace)
    if not ns:
        raise InvalidNamespaceError("Namespace cannot be empty.")
    for label in ns:  # LangGraph's messages, word for word
        if not isinstance(label, str):
            raise InvalidNamespaceError(f"Invalid namespace label '{label}' found in {ns}. Namespace labels"
                                        f" must be strings, but got {type(label).__name__}.")
        if "." in label:
            raise InvalidNamespaceError(f"Invalid namespace label '{label}' found in {ns}. Namespace labels "
                                        "cannot contain periods ('.').")
        if "\x00" in label:
            raise InvalidNamespaceError(f"Invalid namespace label '{label}' found in {ns}. Namespace labels "
                                        "cannot contain NUL bytes ('\\x00').")
        if not label:
            raise InvalidNamespaceError(f"Namespace labels cannot be empty strings. Got {label} in {ns}")
    if ns[0] == "langgraph":
        raise InvalidNamespaceError(f'Root label for namespace cannot be "langgraph". Got: {ns}')
    return ns


def _as_namespace(namespace: Sequence[Any]) -> Namespace:
    if isinstance(namespace, str) or not isinstance(namespace, Sequence):
        raise InvalidNamespaceError(f"namespace must be a tuple of strings, got {namespace!r}")
    return tuple(namespace)


def _matches(pattern: Namespace, ns: Namespace, how: NamespaceMatchType) -> bool:
    if len(ns) < len(pattern):
        return False
    part = ns[: len(pattern)] if how == "prefix" else ns[len(ns) - len(pattern) :]
    return all(p == "*" or p == n for p, n in zip(pattern, part, strict=True))


def select_namespaces(
    namespaces: Iterable[Namespace],
    *,
    prefix: Namespace | None,
    suffix: Namespace | None,
    max_depth: int | None,
    limit: int,
    offset: int,
) -> list[Namespace]:
    """LangGraph's ``list_namespaces`` over ``namespaces``: match, truncate, dedupe, sort, page."""
    chosen = [
        ns
        for ns in namespaces
        if (prefix is None or _matches(prefix, ns, "prefix")) and (suffix is None or _matches(suffix, ns, "suffix"))
    ]
    if max_depth is not None:
        chosen = [ns[:max_depth] for ns in chosen]
    return sorted(set(chosen))[offset : offset + limit]


# -- filters ----------------------------------------------------------------------------------


def _apply_operator(value: Any, op: str, operand: Any) -> bool:
    try:
        if op == "$eq":
            return bool(value == operand)
        if op == "$ne":
            return bool(value != operand)
        if op == "$gt":
            return bool(value > operand)
        if op == "$gte":
            return bool(value >= operand)
        if op == "$lt":
            return bool(value < operand)
        if op == "$lte":
            return bool(value <= operand)
    except TypeError:  # None or another type cannot be ordered against the operand: no match
        return False
    raise ValueError(f"unsupported filter operator {op!r}: use one of {', '.join(_OPERATORS)}")


def _compare(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, Mapping):
        if any(isinstance(k, str) and k.startswith("$") for k in wanted):
            return all(_apply_operator(value, op, operand) for op, operand in wanted.items())
        if not isinstance(value, Mapping):
            return False
        return all(_compare(value.get(k), v) for k, v in wanted.items())
    if isinstance(wanted, (list, tuple)):
        return (
            isinstance(value, (list, tuple))
            and len(value) == len(wanted)
            and all(_compare(v, w) for v, w in zip(value, wanted, strict=True))
        )
    return bool(value == wanted)


_ABSENT = object()


def _field(value: Mapping[str, Any], key: str) -> Any:
    """``value[key]``; if absent and ``key`` is a dotted path (``"user.name"``), the nested field
    it names (as LangGraph's SQLite and Postgres stores read it); None when neither exists."""
    found = value.get(key, _ABSENT)
    if found is not _ABSENT or "." not in key:
        return None if found is _ABSENT else found
    current: Any = value
    for part in key.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current


def matches_filter(value: Mapping[str, Any], filter: Mapping[str, Any] | None) -> bool:
    """Whether ``value`` passes ``filter``: per key, equality, a nested dict matched key by key,
    a list matched element by element, or a dict of operators ``$eq $ne $gt $gte $lt $lte``.
    A key that is not in ``value`` but contains dots is a path into nested dicts."""
    if not filter:
        return True
    return all(_compare(_field(value, k), wanted) for k, wanted in filter.items())


# -- embeddings -------------------------------------------------------------------------------

Embed = Callable[[Sequence[str]], "Sequence[Sequence[float]] | Awaitable[Sequence[Sequence[float]]]"]


def _texts_at(value: Mapping[str, Any], path: str) -> list[str]:
    """The text of ``value`` at dotted ``path`` (``"$"``: the whole value as JSON); [] if absent."""
    if path in ("$", ""):
        return [msgspec.json.encode(value).decode()]
    current: Any = value
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.lstrip("-").isdigit() and -len(current) <= int(part) < len(current):
            current = current[int(part)]
        else:
            return []
    if current is None:
        return []
    if isinstance(current, str):
        return [current]
    return [msgspec.json.encode(current).decode()]


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    if na == 0.0 or nb == 0.0:
        return 0.0
    return dot / (na * nb)


class _Index:
    """A store's vector index config: ``embed`` (texts -> vectors; sync, async, or an object with
    ``embed_documents``/``aembed_documents``), ``dims`` and default ``fields``."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        if "embed" not in config or "dims" not in config:
            raise ValueError('index config needs "embed" and "dims"')
        self.embed: Any = config["embed"]
        self.dims = int(config["dims"])
        fields = config.get("fields")
        self.fields: list[str] = list(fields) if fields else ["$"]

    async def vectors(self, texts: Sequence[str]) -> list[Vector]:
        if not texts:
            return []
        embed = self.embed
        result: Any
        if hasattr(embed, "aembed_documents"):
            result = await embed.aembed_documents(list(texts))
        elif hasattr(embed, "embed_documents"):
            result = embed.embed_documents(list(texts))
        else:
            result = embed(list(texts))
        if inspect.isawaitable(result):
            result = await result
        vectors = [[float(x) for x in v] for v in result]
        if len(vectors) != len(texts):
            raise ValueError(f"embedding function returned {len(vectors)} vectors for {len(texts)} texts")
        for v in vectors:
            if len(v) != self.dims:
                raise ValueError(f"embedding function returned a vector of {len(v)} dims, index has {self.dims}")
        return vectors


# -- the contract -----------------------------------------------------------------------------


class BaseStore(SyncTwins, ABC):
    """A key-value store for long-term memory, LangGraph's ``BaseStore`` contract.

    - ``aget(namespace, key) -> Item | None``.
    - ``aput(namespace, key, value, index=None)``: insert or replace; ``value`` must be a dict;
      the namespace is validated (:class:`InvalidNamespaceError`). ``index``: None embeds the
      store's configured fields, ``False`` nothing, a list of field paths those fields.
    - ``adelete(namespace, key)``: remove (absent: no-op).
    - ``asearch(namespace_prefix, /, *, query=None, filter=None, limit=10, offset=0)``: items
      whose namespace starts with ``namespace_prefix``, passing ``filter`` (see
      :func:`matches_filter`); with ``query`` and an index, ranked by cosine similarity (items
      without vectors follow with score None); otherwise in the backend's order, score None.
    - ``alist_namespaces(*, prefix=None, suffix=None, max_depth=None, limit=100, offset=0)``:
      the namespaces holding items, sorted; ``"*"`` in ``prefix``/``suffix`` matches any label;
      ``max_depth`` truncates longer namespaces and dedupes.

    Each has a sync twin without the ``a`` that refuses to run on a thread running an event
    loop. ``index={"embed": fn, "dims": N, "fields": [...]}`` enables semantic search; ``fn``
    maps a list of texts to a list of vectors, sync or async.

    Time to live, on a store whose ``supports_ttl`` is True (else ``put(..., ttl=...)`` raises
    ``NotImplementedError``, as LangGraph's): ``aput(..., ttl=minutes)`` makes the item expire
    ``ttl`` minutes after its last write or refreshing read; ``ttl`` not given takes
    ``ttl_config["default_ttl"]``, an explicit None never expires. ``aget``/``asearch`` with
    ``refresh_ttl`` True (None: ``ttl_config["refresh_on_read"]``, default True) restart the
    clock of the items they return. Expired items stay visible until :meth:`asweep_ttl` deletes
    them, unless ``ttl_config["omit_expired"]``. Items carry no expiry field (as in LangGraph).
    """

    supports_ttl = False

    def __init__(self, *, index: Mapping[str, Any] | None = None, ttl: Mapping[str, Any] | None = None) -> None:
        self.index_config: dict[str, Any] | None = dict(index) if index is not None else None
        self._index = _Index(index) if index is not None else None
        if ttl is not None and not self.supports_ttl:
            raise NotImplementedError(f"TTL is not supported by {type(self).__name__}")
        self.ttl_config: TTLConfig | None = check_ttl_config(ttl, type(self).__name__) if ttl is not None else None
        self._sweeper: TTLSweeper | None = None

    # -- time to live ---------------------------------------------------------------------------

    def _refresh_on_read(self, refresh_ttl: bool | None) -> bool:
        """Whether a read restarts the clock of what it returns (LangGraph's rule)."""
        if not self.supports_ttl:
            return False
        if refresh_ttl is not None:
            return bool(refresh_ttl)
        return self.ttl_config.get("refresh_on_read", True) if self.ttl_config is not None else True

    def _live_at(self) -> datetime | None:
        """The time at which reads hide expired items (None: they do not, the default)."""
        if self.ttl_config is not None and self.ttl_config.get("omit_expired", False):
            return now()
        return None

    def _resolve_ttl(self, ttl: float | None | NotProvided) -> float | None:
        """``put``'s ``ttl``: not given is ``default_ttl``; checked when a store expires items."""
        if isinstance(ttl, NotProvided):
            return self.ttl_config.get("default_ttl") if self.ttl_config is not None else None
        if ttl is not None and not self.supports_ttl:
            raise NotImplementedError(f"TTL is not supported by {type(self).__name__}. "
                                      "Use a store implementation that supports TTL or set ttl=None.")
        return None if ttl is None else check_minutes(ttl, "ttl", type(self).__name__)

    async def _refresh(self, keys: list[tuple[Namespace, str]]) -> None:
        """Restart the clock of the items at ``keys`` that have a ttl (backends with TTL)."""

    async def _sweep(self) -> int:
        """Delete the expired items; how many (backends with TTL)."""
        return 0

    async def asweep_ttl(self) -> int:
        """Delete the items whose time to live is over; returns how many (0 on a store without
        TTL). LangGraph's ``sweep_ttl``."""
        return await self._sweep() if self.supports_ttl else 0

    def start_ttl_sweeper(self, sweep_interval_minutes: float | None = None) -> concurrent.futures.Future[None]:
        """Start a thread that runs :meth:`sweep_ttl` every ``sweep_interval_minutes`` (None:
        ``ttl_config["sweep_interval_minutes"]``, else 5) until :meth:`stop_ttl_sweeper` or
        until the store closes, which stops and joins it. Returns a future done when the thread
        ends (cancelling it stops the thread). Without a ``ttl`` config: nothing to sweep, a
        done future (as LangGraph's); already running: that sweeper's future. A failed sweep is
        logged and the next one runs."""
        if not self.ttl_config:
            done: concurrent.futures.Future[None] = concurrent.futures.Future()
            done.set_result(None)
            return done
        if self._sweeper is not None and self._sweeper.alive:
            return self._sweeper.future
        name = type(self).__name__
        if sweep_interval_minutes is not None:
            minutes = check_minutes(sweep_interval_minutes, "sweep_interval_minutes", name)
        else:
            minutes = float(self.ttl_config.get("sweep_interval_minutes") or 5)
        self._sweeper = TTLSweeper(repr(self), self.sweep_ttl, minutes * 60)
        self._sweeper.start()
        return self._sweeper.future

    def stop_ttl_sweeper(self, timeout: float | None = None) -> bool:
        """Stop the sweeper thread and join it, waiting up to ``timeout`` seconds (None: until
        it ends). True when no sweeper runs any more. From a thread running an event loop, use
        :meth:`astop_ttl_sweeper` (a sweep may need that loop): ``RuntimeError`` here."""
        sweeper = self._sweeper
        if sweeper is None:
            return True
        if running_event_loop() is not None:
            raise RuntimeError(f"{type(self).__name__}.stop_ttl_sweeper() joins a thread: in an event loop, "
                               "use `await store.astop_ttl_sweeper()`")
        stopped = sweeper.stop(timeout)
        if stopped:
            self._sweeper = None
        return stopped

    async def astop_ttl_sweeper(self, timeout: float | None = None) -> bool:
        """:meth:`stop_ttl_sweeper` from async code: joins the thread off the event loop."""
        sweeper = self._sweeper
        if sweeper is None:
            return True
        stopped = await anyio.to_thread.run_sync(sweeper.stop, timeout)
        if stopped and self._sweeper is sweeper:
            self._sweeper = None
        return stopped

    # -- backend primitives ---------------------------------------------------------------------

    @abstractmethod
    async def _load(self, namespace: Namespace, key: str) -> Record | None:
        """The record at (namespace, key), or None."""

    @abstractmethod
    async def _store(self, namespace: Namespace, key: str, value: dict[str, Any], vectors: list[Vector],
                     ttl: float | None) -> None:
        """Insert or replace (namespace, key) with ``value`` and ``vectors``, stamping times;
        ``ttl``: minutes from now until it expires (None: never; only on stores with TTL)."""

    @abstractmethod
    async def _remove(self, namespace: Namespace, key: str) -> None:
        """Remove (namespace, key) if present."""

    @abstractmethod
    async def _records(self, prefix: Namespace) -> list[Record]:
        """Records whose namespace starts with ``prefix``, in search order."""

    @abstractmethod
    async def _namespaces(self, live_at: datetime | None) -> list[Namespace]:
        """Every namespace holding at least one item (one not expired at ``live_at`` if given)."""

    # -- the contract ---------------------------------------------------------------------------

    async def aget(self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None) -> Item | None:
        """The item stored at ``(namespace, key)``, or None. ``refresh_ttl``: whether to restart
        its time to live (None: the store's ``refresh_on_read``; ignored without TTL)."""
        ns, key = _as_namespace(namespace), str(key)
        record = await self._load(ns, key)
        live_at = self._live_at()
        if record is None or (live_at is not None and record.expired(live_at)):
            return None
        if record.expires_at is not None and self._refresh_on_read(refresh_ttl):
            await self._refresh([(ns, key)])
        return record.item

    async def aput(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: dict[str, Any] | None,
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | None | NotProvided = NOT_PROVIDED,
    ) -> None:
        """Store ``value`` (a dict) at ``(namespace, key)``, replacing what was there; ``None``
        removes the item (as LangGraph's ``put``). ``ttl``: minutes until the item expires
        (a number > 0, else ``TypeError``/``ValueError`` naming ``ttl``); not given: the store's
        ``default_ttl``; None: never. A store without TTL raises ``NotImplementedError`` for a
        ``ttl`` other than None."""
        await self._put(validate_namespace(namespace), key, value, index, self._resolve_ttl(ttl))

    async def _put(self, ns: Namespace, key: str, value: dict[str, Any] | None,
                   index: Literal[False] | list[str] | None, ttl: float | None) -> None:
        if not isinstance(key, str):
            raise TypeError(f"store keys are strings, got {key!r}")
        if value is None:
            await self._remove(ns, key)
            return
        if not isinstance(value, dict):
            raise TypeError(f"store values are dicts, got {type(value).__name__}")
        vectors: list[Vector] = []
        if self._index is not None and index is not False:
            fields = self._index.fields if index is None else list(index)
            texts = [t for f in fields for t in _texts_at(value, f)]
            vectors = await self._index.vectors(texts)
        await self._store(ns, key, value, vectors, ttl)

    async def adelete(self, namespace: tuple[str, ...], key: str) -> None:
        """Remove the item at ``(namespace, key)`` (no-op when absent)."""
        await self._remove(_as_namespace(namespace), str(key))

    async def asearch(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
    ) -> list[SearchItem]:
        """Items under ``namespace_prefix`` matching ``filter``, ranked by ``query`` if indexed.
        ``refresh_ttl``: whether to restart the time to live of the items returned, as for
        :meth:`aget`."""
        prefix = _as_namespace(namespace_prefix)
        live_at = self._live_at()
        records = [r for r in await self._records(prefix)
                   if matches_filter(r.item.value, filter) and not (live_at is not None and r.expired(live_at))]
        if query is not None and self._index is not None:
            (qv,) = await self._index.vectors([query])
            scored = [(max(_cosine(qv, v) for v in r.vectors), r) for r in records if r.vectors]
            scored.sort(key=lambda sr: sr[0], reverse=True)  # stable: ties keep store order
            unscored = [r for r in records if not r.vectors]
            ranked: list[tuple[float | None, Record]] = [*scored, *((None, r) for r in unscored)]
        else:
            ranked = [(None, r) for r in records]
        page = ranked[offset : offset + limit]
        if self._refresh_on_read(refresh_ttl):
            expiring = [(r.item.namespace, r.item.key) for _, r in page if r.expires_at is not None]
            if expiring:
                await self._refresh(expiring)
        return [_search_item(r.item, score) for score, r in page]

    async def alist_namespaces(
        self,
        *,
        prefix: tuple[str, ...] | None = None,
        suffix: tuple[str, ...] | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        """Namespaces holding items, sorted, filtered by ``prefix``/``suffix`` (``"*"`` matches
        any label), truncated to ``max_depth`` labels (deduplicated), paged."""
        return select_namespaces(
            await self._namespaces(self._live_at()),
            prefix=tuple(prefix) if prefix is not None else None,
            suffix=tuple(suffix) if suffix is not None else None,
            max_depth=max_depth,
            limit=limit,
            offset=offset,
        )

    async def abatch(self, ops: Iterable[Op]) -> list[Any]:
        """LangGraph's low-level store API: run ``ops`` (:class:`GetOp`, :class:`PutOp`,
        :class:`SearchOp`, :class:`ListNamespacesOp`) and return each one's result in its place
        (a put's is None). As LangGraph's stores do, reads see the store as it was before the
        batch, whose puts are applied last, the last put of a ``(namespace, key)`` winning; a
        put's namespace is not checked against the reserved ``"langgraph"`` root label. A
        ``GetOp``/``SearchOp``'s ``refresh_ttl`` and a ``PutOp``'s ``ttl`` apply as given (a
        ``PutOp`` with ``ttl=None`` never expires: ``default_ttl`` is ``put``'s; on a store
        without TTL a ``PutOp``'s ``ttl`` is ignored, as LangGraph's ``InMemoryStore``). An object
        that is no op raises ``ValueError``."""
        results: list[Any] = []
        puts: dict[tuple[Namespace, str], PutOp] = {}
        for op in ops:
            if isinstance(op, GetOp):
                results.append(await self.aget(op.namespace, op.key, refresh_ttl=op.refresh_ttl))
            elif isinstance(op, SearchOp):
                results.append(await self.asearch(op.namespace_prefix, query=op.query, filter=op.filter,
                                                  limit=op.limit, offset=op.offset, refresh_ttl=op.refresh_ttl))
            elif isinstance(op, ListNamespacesOp):
                prefix = suffix = None
                for condition in op.match_conditions or ():
                    if condition.match_type == "prefix":
                        prefix = tuple(condition.path)
                    elif condition.match_type == "suffix":
                        suffix = tuple(condition.path)
                    else:
                        raise ValueError(f"Match type {condition.match_type!r} must be 'prefix' or 'suffix'")
                results.append(await self.alist_namespaces(prefix=prefix, suffix=suffix, max_depth=op.max_depth,
                                                           limit=op.limit, offset=op.offset))
            elif isinstance(op, PutOp):
                if op.ttl is not None and self.supports_ttl:
                    self._resolve_ttl(op.ttl)  # (checked before any put runs)
                puts.pop((tuple(op.namespace), op.key), None)  # (the last one, in its place)
                puts[(tuple(op.namespace), op.key)] = op
                results.append(None)
            else:
                raise ValueError(f"Unknown operation type: {type(op)}")
        for op in puts.values():
            ttl = self._resolve_ttl(op.ttl) if op.ttl is not None and self.supports_ttl else None
            await self._put(_as_namespace(op.namespace), op.key, op.value, op.index, ttl)
        return results

    # -- sync twins -----------------------------------------------------------------------------

    batch = _sync_twin(abatch)
    get = _sync_twin(aget)
    put = _sync_twin(aput)
    delete = _sync_twin(adelete)
    search = _sync_twin(asearch)
    list_namespaces = _sync_twin(alist_namespaces)
    sweep_ttl = _sync_twin(asweep_ttl)


class TTLSweeper:
    """The thread of :meth:`BaseStore.start_ttl_sweeper`: calls ``sweep`` every ``interval``
    seconds until :meth:`stop`. Its store owns it and stops and joins it when closing."""

    def __init__(self, owner: str, sweep: Callable[[], int], interval: float) -> None:
        self.owner = owner
        self.interval = interval
        self.future: concurrent.futures.Future[None] = concurrent.futures.Future()
        self.future.add_done_callback(lambda f: self._stopping.set() if f.cancelled() else None)
        self._sweep = sweep
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"ttl-sweeper {owner}", daemon=True)

    @property
    def alive(self) -> bool:
        """Whether the thread runs."""
        return self._thread.is_alive()

    def start(self) -> None:
        """Start the thread."""
        _log.info("store ttl sweeper started", store=self.owner, interval_s=self.interval)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stopping.wait(self.interval):
                self._sweep_once()
        finally:
            if not self.future.done():
                self.future.set_result(None)

    def _sweep_once(self) -> None:
        try:
            deleted = self._sweep()
        except Exception as exc:  # (the next sweep may work: the store was busy, or is closing)
            _log.warning("store ttl sweep failed", store=self.owner, error=repr(exc))
        else:
            _log.debug("store ttl sweep", store=self.owner, deleted=deleted)

    def stop(self, timeout: float | None = None) -> bool:
        """Ask the thread to stop and join it for up to ``timeout`` seconds; whether it ended."""
        self._stopping.set()
        if self._thread.ident is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        stopped = not self._thread.is_alive()
        if stopped:
            _log.info("store ttl sweeper stopped", store=self.owner)
        return stopped


def _search_item(item: Item, score: float | None) -> SearchItem:
    return SearchItem(
        value=item.value,
        key=item.key,
        namespace=item.namespace,
        created_at=item.created_at,
        updated_at=item.updated_at,
        score=score,
    )


def now() -> datetime:
    """The current UTC time (store timestamps)."""
    return datetime.now(timezone.utc)


class InMemoryStore(BaseStore):
    """A :class:`BaseStore` in a dict, for tests and single-process use (LangGraph semantics).

    Search order is insertion order: replacing an item keeps its place. Every ``put`` resets both
    ``created_at`` and ``updated_at`` (as LangGraph's ``InMemoryStore`` does). Values are stored
    as given (not copied).

    Nothing here waits on IO, so the sync twins (``put``, ``get``, ...) may also be called on a
    thread running an event loop, e.g. in an ``async def`` node (LangGraph allows it); only
    an async ``embed`` function that really suspends makes them refuse there.
    """

    def __init__(self, *, index: Mapping[str, Any] | None = None) -> None:
        super().__init__(index=index)
        self._data: dict[tuple[Namespace, str], Record] = {}

    async def _load(self, namespace: Namespace, key: str) -> Record | None:
        return self._data.get((namespace, key))

    async def _store(self, namespace: Namespace, key: str, value: dict[str, Any], vectors: list[Vector],
                     ttl: float | None) -> None:
        stamp = now()
        item = Item(value=value, key=key, namespace=namespace, created_at=stamp, updated_at=stamp)
        self._data[(namespace, key)] = Record(item, vectors)  # an existing key keeps its place

    async def _remove(self, namespace: Namespace, key: str) -> None:
        self._data.pop((namespace, key), None)

    async def _records(self, prefix: Namespace) -> list[Record]:
        n = len(prefix)
        return [r for (ns, _), r in self._data.items() if ns[:n] == prefix]

    async def _namespaces(self, live_at: datetime | None) -> list[Namespace]:
        return list({ns: None for ns, _ in self._data})

    def _run_sync(self, method: str, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        """Drive the coroutine of sync ``method`` to its end without an event loop: it only
        suspends if an async ``embed`` function does. Then, inside an event loop, raise
        ``RuntimeError`` (nothing was stored yet: embedding comes first); outside one, run the
        call in a private loop."""
        if self._index is not None and running_event_loop() is None:
            return super()._run_sync(method, fn, *args)  # an async embed may wait on IO
        finished, result = run_now(fn(*args))
        if finished:
            return result  # type: ignore[return-value]  # T, as the coroutine finished
        raise RuntimeError(
            f"InMemoryStore.{method}() has to wait for the async embed function of its index, "
            f"and this thread is running an event loop: use `await store.a{method}(...)` instead"
        )

    def __repr__(self) -> str:
        return f"InMemoryStore({len(self._data)} items)"
