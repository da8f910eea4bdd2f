"""Serializers: channel values <-> ``(type_tag, bytes)``.

:class:`MsgpackSerializer` encodes with msgspec's msgpack. Plain data (None, bool, int, float,
str, bytes, list, dict) is native msgpack; every other supported type travels as a msgpack
extension value whose payload is itself msgpack, so it comes back as its own type:

=========================  =====================================================================
tuple, set, frozenset      their own type (nested freely; also as dict keys)
datetime, date, time,      their own type; a ``zoneinfo.ZoneInfo`` tzinfo keeps its key, other
timedelta                  tzinfos come back as a fixed UTC offset
pathlib.Path, re.Pattern,  their own type (as LangGraph's serializer: a ``Path``, a compiled
ipaddress values, deque,   pattern with its flags, the six ``ipaddress`` classes, a ``deque``
datetime.timezone,         with its ``maxlen``, a ``timezone`` with its name, a ``ZoneInfo`` by
ZoneInfo                   key)
UUID, Decimal, bytearray   their own type; ints beyond 64 bits too
Enum members, dataclasses  their own type **if registered** (:func:`register_type` or
msgspec Structs,           ``MsgpackSerializer(allowed=[...])``); the payload records the type's
NamedTuples, pydantic      registered name, and decoding maps the name through the registry only
models
langchain-core messages    their own type **without registration**: a built-in allowlist
and documents              (:data:`LANGCHAIN_ALLOWED`) every serializer accepts, as LangGraph's
                           does; reading them needs langchain-core installed
exceptions                 ``repr(exc)`` as a string (what LangGraph stores for ``__error__``)
subclasses of str, int,    the base type (e.g. ``OrderedDict`` -> ``dict``), unless registered
float, bytes, list, dict,
tuple, set
anything else              :class:`SerializationError`, or pickle with ``pickle_fallback=True``
=========================  =====================================================================

**Interning.** :meth:`MsgpackSerializer.dumps_interned` stores every ``str`` or ``bytes`` of at
least :data:`INTERN_MIN` characters out of line: the payload holds a 17-byte reference (kind and
a 128-bit BLAKE2b digest of the content) and the content goes into a ``chunks`` mapping the
caller stores once (SQLite: once per thread). :meth:`~MsgpackSerializer.loads_interned` reads
such a payload back given those chunks. A message that sits in the input, in a task's pending
writes and in a channel's list is then stored once, not three times.

Decoding never imports a module nor calls anything a stored name points at: a name missing
from the registry and from the built-in allowlist is a :class:`SerializationError`, as is
pickled data when ``pickle_fallback`` is off. (The allowlist's classes are found by importing
the fixed public modules that define them, never a module a stored name spells.) Registered classes are rebuilt without running user code where possible: dataclasses
through ``__new__`` plus field assignment (like ``copy``), Structs and NamedTuples through their
constructors (which only assign), pydantic models (langchain-core's messages included) through
``model_construct``, enums by member name.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import collections
import hashlib
import importlib
import ipaddress
import pathlib
import pickle
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar, Token
from decimal import Decimal
from typing import Any, Final, Protocol, TypeVar, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from msgspec.msgpack import Ext

from ._errors import SerializationError

T = TypeVar("T", bound=type)

MSGPACK: Final = "msgpack"
PICKLE: Final = "pickle"

_TUPLE, _SET, _FROZENSET, _DATETIME, _DATE, _TIME, _TIMEDELTA = 1, 2, 3, 4, 5, 6, 7
_UUID, _DECIMAL, _OBJECT, _PICKLED, _BYTEARRAY, _BIGINT, _PAIRS = 8, 9, 10, 11, 12, 13, 14
_REF: Final = 15
_STDLIB: Final = 16  # [kind, state]: the standard-library values of _STDLIB_KINDS
_REF_STR, _REF_BYTES = b"s", b"b"

INTERN_MIN: Final = 512
"""Strings and bytes at least this long are stored out of line by ``dumps_interned``."""

REF_MARKER: Final = bytes((0xC7, 17, _REF))
"""How a chunk reference starts in interned msgpack (ext 8, 17-byte payload): the kind byte and
the 16-byte digest follow. Savers scan stored payloads for it to fetch the chunks they need."""

_SCALARS: Final = frozenset({str, int, float, bool, type(None), bytes})
_KEY_TYPES: Final = frozenset({str, int, float, bool, type(None), bytes})
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1


@runtime_checkable
class Serializer(Protocol):
    """What savers need from a serializer (LangGraph's ``SerializerProtocol`` subset).

    ``dumps_typed(obj)`` returns ``(type_tag, data)``; ``loads_typed((type_tag, data))`` the
    value back. Both raise :class:`SerializationError` (a wrong key or tampered data:
    :class:`DecryptionError`). Savers store the tag next to the bytes.
    """

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]: ...

    def loads_typed(self, data: tuple[str, bytes]) -> Any: ...


# -- the type registry ------------------------------------------------------------------------


def type_name(cls: type) -> str:
    """The name a registered class is stored under: ``module:qualname``."""
    return f"{cls.__module__}:{cls.__qualname__}"


def _kind(cls: type) -> str | None:
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        return "enum"
    if isinstance(cls, type) and issubclass(cls, msgspec.Struct):
        return "struct"
    if dataclasses.is_dataclass(cls):
        return "dataclass"
    if isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields"):
        return "namedtuple"
    if _is_pydantic_class(cls):
        return "pydantic"
    return None


def _is_pydantic_class(cls: type) -> bool:
    # pydantic is optional: recognise a v2 model by its API instead of importing it.
    return isinstance(cls, type) and hasattr(cls, "model_construct") and hasattr(cls, "model_fields")


class TypeRegistry:
    """Classes allowed to round-trip as themselves, by :func:`type_name`.

    Registering a second class under a name already taken replaces the first (a module that
    was reloaded, or a class redefined in a test).
    """

    def __init__(self, classes: Iterable[type] = ()) -> None:
        self._lock = threading.Lock()
        self._by_name: dict[str, type] = {}
        self._kinds: dict[type, str] = {}
        for cls in classes:
            self.register(cls)

    def register(self, cls: type) -> None:
        kind = _kind(cls)
        if kind is None:
            raise TypeError(
                f"register_type() takes Enum, dataclass, msgspec.Struct, NamedTuple or pydantic "
                f"model classes, not {cls!r}"
            )
        with self._lock:
            old = self._by_name.get(type_name(cls))
            if old is not None:
                self._kinds.pop(old, None)
            self._by_name[type_name(cls)] = cls
            self._kinds[cls] = kind

    def kind_of(self, cls: type) -> str | None:
        return self._kinds.get(cls)

    def lookup(self, name: str) -> type | None:
        return self._by_name.get(name)

    def __contains__(self, cls: object) -> bool:
        return cls in self._kinds


_GLOBAL_REGISTRY = TypeRegistry()


def register_type(*classes: T) -> T:
    """Allow ``classes`` to be stored and loaded as themselves by every :class:`MsgpackSerializer`.

    Works as a decorator (``@register_type``) and returns the first class. Takes Enum,
    dataclass, msgspec Struct, NamedTuple and pydantic model classes.
    """
    if not classes:
        raise TypeError("register_type() needs at least one class")
    for cls in classes:
        _GLOBAL_REGISTRY.register(cls)
    return classes[0]


def _register_builtin_types() -> None:
    from ..types import Command, Interrupt, Overwrite, Send, TimeoutPolicy

    register_type(Send, Command, Overwrite, Interrupt, TimeoutPolicy)  # (a Send's own timeout)


_register_builtin_types()


# -- the built-in allowlist: langchain-core's messages and documents ----------------------------

LANGCHAIN_ALLOWED: Final = {
    "langchain_core.messages": (
        "BaseMessage", "BaseMessageChunk",
        "HumanMessage", "HumanMessageChunk", "AIMessage", "AIMessageChunk",
        "SystemMessage", "SystemMessageChunk", "ChatMessage", "ChatMessageChunk",
        "ToolMessage", "ToolMessageChunk", "FunctionMessage", "FunctionMessageChunk",
        "RemoveMessage",
    ),
    "langchain_core.documents": ("Document",),
}
"""Classes every :class:`MsgpackSerializer` stores and loads as themselves without
registration (public module -> class names): plain-data pydantic models, rebuilt with
``model_construct`` (no validator runs). They are stored under :func:`type_name`; a stored name
of a ``langchain_core`` module whose class name is listed here loads as that class even if a
later langchain-core moved it to another module."""

_LANGCHAIN_PREFIX: Final = "langchain_core."
_ALLOWLISTED: Final = "allowlisted"  # the kind of an allowlisted class: a pydantic model stored lean


class _Allowlist:
    """:data:`LANGCHAIN_ALLOWED`, resolved to classes the first time a langchain-core object is
    stored or loaded (importing only those public modules, and only if langchain-core is
    installed)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._classes: frozenset[type] | None = None
        self._by_name: dict[str, type] = {}
        self._by_qualname: dict[str, type] = {}

    def _load(self) -> frozenset[type]:
        with self._lock:
            if self._classes is None:
                from .. import _langchain  # (imports nothing itself; see its docs)

                classes: set[type] = set()
                if _langchain.available():
                    for module_name, names in LANGCHAIN_ALLOWED.items():
                        module = importlib.import_module(module_name)
                        for name in names:
                            cls = getattr(module, name, None)
                            if isinstance(cls, type) and _is_pydantic_class(cls):
                                classes.add(cls)
                                self._by_name[type_name(cls)] = cls
                                self._by_qualname[cls.__qualname__] = cls
                self._classes = frozenset(classes)
            return self._classes

    def kind_of(self, cls: type) -> str | None:
        if not cls.__module__.startswith(_LANGCHAIN_PREFIX):
            return None
        classes = self._classes if self._classes is not None else self._load()
        return _ALLOWLISTED if cls in classes else None

    def lookup(self, name: str) -> type | None:
        """The allowlisted class stored as ``name``; :class:`SerializationError` if ``name`` is
        a langchain-core class and langchain-core is not installed."""
        if not name.startswith(_LANGCHAIN_PREFIX):
            return None
        if self._classes is None:
            self._load()
        cls = self._by_name.get(name)
        if cls is None:
            cls = self._by_qualname.get(name.rpartition(":")[2])
        if cls is None and not self._by_qualname:
            raise SerializationError(
                f"stored data holds {name}; reading it needs langchain-core: "
                "pip install 'actorgraph[langchain]'",
                type_name=name,
            )
        return cls


_ALLOWLIST = _Allowlist()


# -- the serializer ---------------------------------------------------------------------------


def _fail(obj: Any, reason: str) -> SerializationError:
    return SerializationError(reason, type_name=type(obj).__qualname__)


class _PathError(Exception):
    """Carries a failure out of the walk while the path to the culprit is collected."""

    def __init__(self, error: SerializationError) -> None:
        self.error = error
        self.path: list[str] = []


_memo_blocks: ContextVar[dict[tuple[int, int], tuple[Any, Any, dict[int, tuple[Any, Ext]]]] | None] = ContextVar(
    "actorgraph_serde_memo", default=None)
"""The memos of the current :meth:`MsgpackSerializer.memoized` block (None outside one), per
(serializer, chunk sink): a context variable, not a thread-local (a third of the cost a commit)."""


class _Memoized:
    """:meth:`MsgpackSerializer.memoized`'s block (a plain class: it is entered at every commit)."""

    __slots__ = ("_token",)

    def __init__(self) -> None:
        self._token: Token[Any] | None = None

    def __enter__(self) -> None:
        if _memo_blocks.get() is None:  # (an inner block shares the outer one's memos)
            self._token = _memo_blocks.set({})

    def __exit__(self, *exc_info: object) -> None:
        token = self._token
        if token is not None:
            self._token = None
            _memo_blocks.reset(token)


class MsgpackSerializer:
    """msgpack (msgspec) serializer with a registry of allowed classes; see the module docs.

    ``allowed`` adds classes for this serializer only, on top of the global registry
    (:func:`register_type`). ``pickle_fallback=True`` pickles values of any other type and
    unpickles them on load: only for stores nobody else can write to.

    ``dumps_typed`` returns ``("msgpack", bytes)``; ``loads_typed`` also accepts LangGraph's
    ``"null"`` and ``"bytes"`` tags, and ``"pickle"`` when ``pickle_fallback`` is on.
    """

    def __init__(self, *, pickle_fallback: bool = False, allowed: Iterable[type] = ()) -> None:
        self.pickle_fallback = pickle_fallback
        self._local = TypeRegistry(allowed)
        self._encoder = msgspec.msgpack.Encoder()
        self._decoder = msgspec.msgpack.Decoder(ext_hook=self._ext_hook)
        self._tls = threading.local()  # the chunk sink / source of the current (un)interning call
        self._pack_special: dict[type, Callable[[Any], Any]] = {
            tuple: lambda o: Ext(_TUPLE, self._encode([self._pack(x) for x in o])),
            set: lambda o: Ext(_SET, self._encode([self._pack(x) for x in o])),
            frozenset: lambda o: Ext(_FROZENSET, self._encode([self._pack(x) for x in o])),
            dt.datetime: self._pack_datetime,
            dt.date: lambda o: Ext(_DATE, self._encode(o.toordinal())),
            dt.time: self._pack_time,
            dt.timedelta: lambda o: Ext(_TIMEDELTA, self._encode([o.days, o.seconds, o.microseconds])),
            uuid.UUID: lambda o: Ext(_UUID, o.bytes),
            Decimal: lambda o: Ext(_DECIMAL, str(o).encode()),
            bytearray: lambda o: Ext(_BYTEARRAY, bytes(o)),
            _PATH_CLASS: lambda o: self._stdlib("path", str(o)),
            re.Pattern: lambda o: self._stdlib("pattern", [o.pattern, o.flags]),
            collections.deque: lambda o: self._stdlib("deque", [self._pack_items(list(o)), o.maxlen]),
            dt.timezone: lambda o: self._stdlib("timezone", _timezone_state(o)),
            ZoneInfo: self._pack_zoneinfo,
        }
        for ip_class in _IP_CLASSES.values():
            self._pack_special[ip_class] = lambda o: self._stdlib("ip", [type(o).__name__, str(o)])

    def __repr__(self) -> str:
        return f"MsgpackSerializer(pickle_fallback={self.pickle_fallback})"

    # public protocol

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        """``("msgpack", bytes)``; :class:`SerializationError` naming the type and where it sits."""
        return MSGPACK, self.dumps(obj)

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        """The value back; :class:`SerializationError` for unknown tags or unsafe payloads."""
        tag, payload = data
        if tag == MSGPACK:
            return self.loads(payload)
        if tag == "null":
            return None
        if tag == "bytes":
            return bytes(payload)
        if tag == "bytearray":
            return bytearray(payload)
        if tag == PICKLE:
            return self._unpickle(payload)
        raise SerializationError(f"unknown serialization type tag {tag!r}", type_name=tag)

    def dumps(self, obj: Any) -> bytes:
        if obj is None or _plain(obj, 0):  # nothing to convert (the common case for records)
            return self._encoder.encode(obj)
        return self._dumps_packed(obj)

    def _dumps_packed(self, obj: Any) -> bytes:
        """``obj`` converted by :meth:`_pack` (extension types, interned strings), encoded."""
        try:
            return self._encode(self._pack(obj))
        except _PathError as failure:
            err = failure.error
            where = "".join(reversed(failure.path))
            raise SerializationError(f"{err.message} (at ${where})" if where else err.message,
                                     type_name=err.type_name) from None

    def loads(self, data: bytes) -> Any:
        try:
            return self._decoder.decode(data)
        except SerializationError:
            raise
        except (msgspec.DecodeError, ValueError, TypeError, KeyError, IndexError) as exc:
            raise SerializationError(f"stored bytes are not a valid msgpack payload: {exc}") from exc

    def dumps_interned(self, obj: Any, chunks: dict[bytes, bytes]) -> tuple[str, bytes]:
        """Like :meth:`dumps_typed`, with long strings and bytes moved to ``chunks``
        (digest -> content; see the module docs)."""
        if _plain(obj, 0):  # no string long enough to intern: no sink needed
            return MSGPACK, self._encoder.encode(obj)
        tls = self._tls
        tls.sink = chunks
        try:
            return MSGPACK, self._dumps_packed(obj)
        finally:
            tls.sink = None

    def memoized(self) -> _Memoized:
        """Within the block (``with serde.memoized():``, in this thread or task), an object of a
        registered class (a message, a ``Send``, a dataclass...) met again — by identity — is
        packed once: what several records of one commit hold in common (a state's messages in a
        channel, in each ``Send`` that carries the state, in a task's writes) is converted once.
        The objects are kept alive until the block ends (ids are not reused) and must not change
        in it. What is packed while interning into a chunk sink (:meth:`dumps_interned`) refers
        to that sink's chunks: it is reused only with the same sink (kept alive too)."""
        return _Memoized()

    def _memo(self) -> dict[int, tuple[Any, Ext]] | None:
        """The current :meth:`memoized` block's memo for this serializer and the current sink
        (None outside a block)."""
        blocks = _memo_blocks.get()
        if blocks is None:
            return None
        sink = getattr(self._tls, "sink", None)
        entry = blocks.get((id(self), id(sink)))
        if entry is None:  # (serializer and sink kept alive with it: their ids are not reused)
            entry = blocks[(id(self), id(sink))] = (self, sink, {})
        return entry[2]

    def loads_interned(self, data: tuple[str, bytes], chunks: Mapping[bytes, bytes]) -> Any:
        """Like :meth:`loads_typed`, resolving chunk references through ``chunks``; a reference
        to a chunk that is not there raises :class:`SerializationError`."""
        tls = self._tls
        tls.source = chunks
        try:
            return self.loads_typed(data)
        finally:
            tls.source = None

    # encoding

    def _intern(self, obj: str | bytes, sink: dict[bytes, bytes]) -> Ext:
        if isinstance(obj, str):
            kind, content = _REF_STR, obj.encode("utf-8", "surrogatepass")
        else:
            kind, content = _REF_BYTES, bytes(obj)
        digest = hashlib.blake2b(content, digest_size=16).digest()
        sink[digest] = content
        return Ext(_REF, kind + digest)

    def _encode(self, obj: Any) -> bytes:
        try:
            return self._encoder.encode(obj)
        except (TypeError, OverflowError) as exc:  # defensive: _pack hands over wire types only
            raise _PathError(SerializationError(str(exc))) from None

    def _pack(self, obj: Any) -> Any:
        cls = type(obj)
        if cls in _SCALARS:
            if cls is int and not (_INT_MIN <= obj <= _INT_MAX):
                return Ext(_BIGINT, str(obj).encode())
            if (cls is str or cls is bytes) and len(obj) >= INTERN_MIN:
                sink = getattr(self._tls, "sink", None)
                if sink is not None:
                    return self._intern(obj, sink)
            return obj
        if cls is list:
            return obj if _plain(obj, 0) else self._pack_items(obj)  # (plain: nothing to convert)
        if cls is dict:
            return obj if _plain(obj, 0) else self._pack_dict(obj)
        special = self._pack_special.get(cls)
        if special is not None:
            return special(obj)
        return self._pack_other(obj, cls)

    def _pack_items(self, items: list[Any]) -> list[Any]:
        pack = self._pack
        try:
            return [pack(x) for x in items]
        except _PathError as failure:
            for i, x in enumerate(items):  # find the index only on the error path
                try:
                    pack(x)
                except _PathError:
                    failure.path.append(f"[{i}]")
                    break
            raise

    def _pack_dict(self, obj: dict[Any, Any]) -> Any:
        pack = self._pack
        if all(type(k) in _KEY_TYPES and (type(k) is not int or _INT_MIN <= k <= _INT_MAX) for k in obj):
            out = {}
            for k, v in obj.items():
                try:
                    out[k] = pack(v)
                except _PathError as failure:
                    failure.path.append(f"[{k!r}]")
                    raise
            return out
        pairs = []
        for k, v in obj.items():
            try:
                pairs.append([pack(k), pack(v)])
            except _PathError as failure:
                failure.path.append(f"[{k!r}]")
                raise
        return Ext(_PAIRS, self._encode(pairs))

    def _pack_datetime(self, obj: dt.datetime) -> Ext:
        tz = obj.tzinfo
        zone = tz.key if isinstance(tz, ZoneInfo) else None
        base = obj.replace(tzinfo=None) if zone is not None else obj
        return Ext(_DATETIME, self._encode([base.isoformat(), zone, obj.fold]))

    def _pack_time(self, obj: dt.time) -> Ext:
        tz = obj.tzinfo
        if isinstance(tz, ZoneInfo):  # no offset without a date: keep the zone's key
            return Ext(_TIME, self._encode([obj.replace(tzinfo=None).isoformat(), obj.fold, tz.key]))
        return Ext(_TIME, self._encode([obj.isoformat(), obj.fold]))

    def _pack_zoneinfo(self, obj: ZoneInfo) -> Ext:
        if obj.key is None:  # ZoneInfo.from_file: nothing to find it again by
            raise _PathError(_fail(obj, "cannot serialize a ZoneInfo without a key (made by ZoneInfo.from_file)"))
        return self._stdlib("zoneinfo", obj.key)

    def _stdlib(self, kind: str, state: Any) -> Ext:
        return Ext(_STDLIB, self._encode([kind, state]))

    def _pack_other(self, obj: Any, cls: type) -> Any:
        kind = self._local.kind_of(cls) or _GLOBAL_REGISTRY.kind_of(cls) or _ALLOWLIST.kind_of(cls)
        if kind is not None:
            memo = self._memo()
            if memo is None:
                return Ext(_OBJECT, self._encode([type_name(cls), self._state(obj, kind)]))
            hit = memo.get(id(obj))
            if hit is not None:
                return hit[1]
            packed = Ext(_OBJECT, self._encode([type_name(cls), self._state(obj, kind)]))
            memo[id(obj)] = (obj, packed)  # (obj kept: its id is not reused meanwhile)
            return packed
        if isinstance(obj, BaseException):
            return repr(obj)
        if _kind(cls) is not None:  # an enum, dataclass, Struct, NamedTuple or model
            if self.pickle_fallback:
                return self._pickle(obj)
            raise _PathError(_fail(obj, (
                f"cannot serialize {cls.__module__}.{cls.__qualname__}: the class is not "
                f"registered; call actorgraph.persistence.register_type({cls.__qualname__}) or "
                f"use MsgpackSerializer(allowed=[{cls.__qualname__}])"
            )))
        base = _base_value(obj)
        if base is not None:
            return self._pack(base)
        if self.pickle_fallback:
            return self._pickle(obj)
        raise _PathError(_fail(obj, (
            f"cannot serialize {cls.__module__}.{cls.__qualname__}: MsgpackSerializer stores plain "
            "data, tuples, sets, datetimes, UUIDs, Decimals and registered enums, dataclasses, "
            "Structs, NamedTuples and pydantic models; convert the value, register its class, or "
            "use MsgpackSerializer(pickle_fallback=True) for stores only you can write to"
        )))

    def _state(self, obj: Any, kind: str) -> Any:
        if kind == "enum":
            return obj.name
        if kind == "namedtuple":
            return self._pack_items(list(obj))
        values: dict[str, Any] = {}
        name = ""
        try:
            if kind == "struct" or kind == _ALLOWLISTED:
                # fields holding their plain default are left out (as pydantic: an allowlisted
                # model); each field read once, a scalar kept as it is without a _pack call
                fields = _struct_defaults(type(obj)) if kind == "struct" else _model_defaults(type(obj))
                for name, default in fields:
                    value = getattr(obj, name)
                    cls = type(value)
                    if default is not _NO_DEFAULT and cls is type(default) and value == default:
                        continue
                    values[name] = value if _as_is(value, cls) else self._pack(value)
                if kind == "struct":
                    return values
                names: list[str] = list(getattr(obj, "model_extra", None) or ())
            elif kind == "dataclass":
                names = [f.name for f in dataclasses.fields(obj)]
            else:  # pydantic: declared fields plus extras, and which fields were set explicitly
                names = list(type(obj).model_fields)
                names += list(getattr(obj, "model_extra", None) or ())
            for name in names:
                value = getattr(obj, name)
                values[name] = value if _as_is(value, type(value)) else self._pack(value)
        except _PathError as failure:
            failure.path.append(f".{name}")
            raise
        if kind == "pydantic" or kind == _ALLOWLISTED:
            return [values, sorted(obj.model_fields_set)]
        return values

    def _pickle(self, obj: Any) -> Ext:
        try:
            return Ext(_PICKLED, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
        except Exception as exc:
            raise _PathError(_fail(obj, f"cannot pickle {type(obj).__qualname__}: {exc}")) from None

    # decoding

    def _unpickle(self, payload: bytes) -> Any:
        if not self.pickle_fallback:
            raise SerializationError(
                "stored data is pickled, and this serializer has pickle_fallback=False; "
                "enable it only for stores nobody else can write to",
                type_name="pickle",
            )
        return pickle.loads(payload)  # noqa: S301 - explicit opt-in, documented as trusted-only

    def _ext_hook(self, code: int, data: memoryview) -> Any:
        if code == _TUPLE:
            return tuple(self._decoder.decode(data))
        if code == _SET:
            return set(self._decoder.decode(data))
        if code == _FROZENSET:
            return frozenset(self._decoder.decode(data))
        if code == _PAIRS:
            return {k: v for k, v in self._decoder.decode(data)}
        if code == _DATETIME:
            text, zone, fold = self._decoder.decode(data)
            value = dt.datetime.fromisoformat(text)
            if zone is not None:
                value = value.replace(tzinfo=_zone(zone))
            return value.replace(fold=fold)
        if code == _DATE:
            return dt.date.fromordinal(self._decoder.decode(data))
        if code == _TIME:
            text, fold, *zone = self._decoder.decode(data)
            clock = dt.time.fromisoformat(text).replace(fold=fold)
            return clock.replace(tzinfo=_zone(zone[0])) if zone else clock
        if code == _STDLIB:
            return _load_stdlib(self._decoder.decode(data))
        if code == _TIMEDELTA:
            days, seconds, micros = self._decoder.decode(data)
            return dt.timedelta(days=days, seconds=seconds, microseconds=micros)
        if code == _UUID:
            return uuid.UUID(bytes=bytes(data))
        if code == _DECIMAL:
            return Decimal(bytes(data).decode())
        if code == _BYTEARRAY:
            return bytearray(data)
        if code == _BIGINT:
            return int(bytes(data).decode())
        if code == _OBJECT:
            return self._load_object(self._decoder.decode(data))
        if code == _PICKLED:
            return self._unpickle(bytes(data))
        if code == _REF:
            return self._resolve(bytes(data))
        raise SerializationError(f"unknown msgpack extension code {code}")

    def _resolve(self, ref: bytes) -> str | bytes:
        source: Mapping[bytes, bytes] | None = getattr(self._tls, "source", None)
        if source is None:
            raise SerializationError("stored data refers to an interned chunk; read it with loads_interned")
        kind, digest = ref[:1], ref[1:]
        content = source.get(digest)
        if content is None or len(digest) != 16 or kind not in (_REF_STR, _REF_BYTES):
            raise SerializationError(f"stored data refers to chunk {digest.hex()}, which is missing")
        if hashlib.blake2b(content, digest_size=16).digest() != digest:
            raise SerializationError(f"stored chunk {digest.hex()} is corrupted (its content does not match its digest)")
        return content.decode("utf-8", "surrogatepass") if kind == _REF_STR else bytes(content)

    def _load_object(self, payload: Any) -> Any:
        if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], str)):
            raise SerializationError("malformed registered-object payload")
        name, state = payload
        cls = self._local.lookup(name) or _GLOBAL_REGISTRY.lookup(name)
        kind = self._local.kind_of(cls) or _GLOBAL_REGISTRY.kind_of(cls) if cls is not None else None
        if cls is None:
            cls = _ALLOWLIST.lookup(name)
            kind = _ALLOWLISTED
        if cls is None:
            raise SerializationError(
                f"stored data names type {name!r}, which is not registered; register the class "
                "with actorgraph.persistence.register_type() (stored names are never imported)",
                type_name=name,
            )
        try:
            if kind == "enum":
                return cls[state]  # type: ignore[index]  # Enum classes support lookup by name
            if kind == "struct":
                return cls(**state)
            if kind == "dataclass":
                make: Any = cls.__new__  # Any: the registered class's own allocator
                obj = make(cls)
                for key, value in state.items():
                    object.__setattr__(obj, key, value)
                return obj
            if kind == "namedtuple":
                return cls(*state)
            values, fields_set = state
            if kind == _ALLOWLISTED:
                _fill_defaults(cls, values)
            # Any: pydantic is optional, so its classmethod is reached untyped.
            construct: Any = getattr(cls, "model_construct")
            return construct(_fields_set=set(fields_set), **values)
        except SerializationError:
            raise
        except Exception as exc:
            raise SerializationError(f"cannot rebuild {name}: {exc}", type_name=name) from exc


def _plain(obj: Any, depth: int) -> bool:
    """``obj`` is msgpack as it stands: str-keyed dicts, lists, short str/bytes, in-range ints,
    floats, bools and None, not deeper than 8 levels (anything else goes through ``_pack``).
    This runs for every record a saver writes: the leaves are checked in the loop itself, a
    call only per nested container."""
    cls = type(obj)
    if cls is dict:
        if depth > 8:
            return False
        for k in obj:
            if type(k) is not str:
                return False
        items: Iterable[Any] = obj.values()
    elif cls is list:
        if depth > 8:
            return False
        items = obj
    else:
        return _as_is(obj, cls)
    for v in items:
        cls = type(v)
        if cls is str or cls is bytes:
            if len(v) >= INTERN_MIN:
                return False
        elif cls is int:
            if not _INT_MIN <= v <= _INT_MAX:
                return False
        elif cls not in _ATOMS and not ((cls is dict or cls is list) and _plain(v, depth + 1)):
            return False
    return True


_ATOMS: Final = frozenset({float, bool, type(None)})
"""The leaves that are plain whatever their value."""


_NO_DEFAULT: Final = object()
_struct_default_cache: dict[type, tuple[tuple[str, Any], ...]] = {}


def _struct_defaults(cls: type) -> tuple[tuple[str, Any], ...]:
    """(field, default) of a Struct class; a field without a plain default gets _NO_DEFAULT.

    Fields holding their default are left out of the payload (the constructor fills them back
    in on load): a message's empty ``additional_kwargs`` costs nothing per stored copy.
    """
    cached = _struct_default_cache.get(cls)
    if cached is None:
        out = []
        for f in msgspec.structs.fields(cls):
            default = f.default
            if default is msgspec.NODEFAULT and f.default_factory in (dict, list):
                default = f.default_factory()
            if default is msgspec.NODEFAULT or type(default) not in _OMITTABLE:
                default = _NO_DEFAULT
            out.append((f.name, default))
        cached = _struct_default_cache[cls] = tuple(out)
    return cached


_OMITTABLE: Final = frozenset({type(None), bool, int, float, str, bytes, list, dict})
_model_default_cache: dict[type, tuple[tuple[str, Any], ...]] = {}


def _model_defaults(cls: type) -> tuple[tuple[str, Any], ...]:
    """(field, default) of an allowlisted pydantic class, as :func:`_struct_defaults` (a field
    left out is filled back in by ``model_construct``)."""
    cached = _model_default_cache.get(cls)
    if cached is None:
        out = []
        fields: Any = getattr(cls, "model_fields")  # Any: pydantic is optional
        for name, info in fields.items():
            default = info.default
            factory = info.default_factory
            if factory in (dict, list):
                default = factory()
            elif factory is not None or type(default) not in _OMITTABLE:
                default = _NO_DEFAULT
            out.append((name, default))
        cached = _model_default_cache[cls] = tuple(out)
    return cached


def _fill_defaults(cls: type, values: dict[str, Any]) -> None:
    """Put back the fields an allowlisted model was stored without (they held their default):
    ``model_construct`` would ask pydantic for each, which inspects the default factory's
    signature every time (~50 µs a field: a langchain-core message took ~0.4 ms to load)."""
    for name, default in _model_defaults(cls):
        if name not in values and default is not _NO_DEFAULT:
            values[name] = default.copy() if type(default) in (dict, list) else default


def _as_is(value: Any, cls: type) -> bool:
    """``value`` (of class ``cls``) is what :meth:`MsgpackSerializer._pack` would make of it: a
    scalar it hands over unchanged (no big int, no string long enough to intern)."""
    if cls is str or cls is bytes:
        return len(value) < INTERN_MIN
    if cls is int:
        return _INT_MIN <= value <= _INT_MAX  # type: ignore[no-any-return]
    return value is None or cls is bool or cls is float


def _base_value(obj: Any) -> Any:
    """A subclass instance of a builtin scalar or container as its base type (else None)."""
    if isinstance(obj, str):
        return str.__str__(obj)
    if isinstance(obj, int):
        return int.__index__(obj)
    if isinstance(obj, float):
        return float.__float__(obj)
    bases: tuple[Callable[[Any], Any], ...] = (bytes, list, dict, tuple, frozenset, set)
    for base in bases:
        if isinstance(obj, base):  # type: ignore[arg-type]  # every entry is a class
            return base(obj)
    return None


_PATH_CLASS: Final = type(pathlib.Path())
_IP_CLASSES: Final[dict[str, type]] = {
    cls.__name__: cls
    for cls in (ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Network,
                ipaddress.IPv6Network, ipaddress.IPv4Interface, ipaddress.IPv6Interface)
}


def _timezone_state(tz: dt.timezone) -> list[Any]:
    offset = tz.utcoffset(None)
    name: str | None = tz.tzname(None)
    if name == dt.timezone(offset).tzname(None):
        name = None  # the default name: rebuilt by the constructor
    return [offset.days, offset.seconds, offset.microseconds, name]


def _load_stdlib(payload: Any) -> Any:
    """A standard-library value stored under ``_STDLIB``: paths, compiled patterns, deques,
    ``datetime.timezone``, ``ZoneInfo`` and ``ipaddress`` values."""
    try:
        kind, state = payload
        if kind == "path":
            return pathlib.Path(state)
        if kind == "pattern":
            return re.compile(state[0], state[1])
        if kind == "deque":
            return collections.deque(state[0], state[1])
        if kind == "timezone":
            offset = dt.timedelta(days=state[0], seconds=state[1], microseconds=state[2])
            return dt.timezone(offset) if state[3] is None else dt.timezone(offset, state[3])
        if kind == "zoneinfo":
            return _zone(state)
        if kind == "ip":
            return _IP_CLASSES[state[0]](state[1])
    except SerializationError:
        raise
    except Exception as exc:
        raise SerializationError(f"malformed stored {payload!r:.80}: {exc}") from exc
    raise SerializationError(f"unknown stored standard-library kind {kind!r}", type_name=str(kind))


def _zone(key: str) -> dt.tzinfo:
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SerializationError(f"unknown time zone {key!r} in stored data") from exc


# -- the classes a graph's own schemas name -----------------------------------------------------

_TRUSTED_MODULES: Final = ("langchain_core", "langchain", "actorgraph", "pydantic", "builtins", "typing")


def register_schema_types(*schemas: Any) -> None:
    """Allow the classes the annotations of ``schemas`` name (a state, input or output schema:
    TypedDict, pydantic model, dataclass), at any depth (``list[Order]``, ``Optional[Color]``,
    an ``Order``'s own fields...): what LangGraph's strict msgpack mode allows from a graph's
    schemas. So a state declaring its own Enum, dataclass or pydantic types is checkpointed
    without :func:`register_type`; a value of an undeclared class (in an ``Any`` field) still
    needs it. langchain-core's classes keep their built-in handling."""
    seen: set[int] = set()
    found: list[type] = []
    for schema in schemas:
        _collect_schema_types(schema, found, seen, 0)
    for cls in found:
        if cls not in _GLOBAL_REGISTRY:
            _GLOBAL_REGISTRY.register(cls)


def _collect_schema_types(tp: Any, found: list[type], seen: set[int], depth: int) -> None:
    import typing

    if tp is None or id(tp) in seen or depth > 20:
        return
    seen.add(id(tp))
    origin = typing.get_origin(tp)
    if origin is not None:  # list[X], X | None, Annotated[X, ...], dict[K, V], Literal[...]
        if origin is typing.Literal:
            return
        for arg in typing.get_args(tp):
            _collect_schema_types(arg, found, seen, depth + 1)
        return
    if not isinstance(tp, type):
        return
    module = getattr(tp, "__module__", "") or ""
    if module.split(".")[0] in _TRUSTED_MODULES:
        return
    kind = _kind(tp)
    if kind is not None:
        found.append(tp)
    if kind in ("enum", "struct") or (kind is None and not typing.is_typeddict(tp)):
        return
    if kind == "pydantic":
        hints: dict[str, Any] = {name: f.annotation for name, f in getattr(tp, "model_fields", {}).items()}
    else:
        try:
            hints = typing.get_type_hints(tp, include_extras=True)
        except Exception:  # an unresolvable forward reference: its fields stay unregistered
            hints = dict(getattr(tp, "__annotations__", {}))
    for hint in hints.values():
        _collect_schema_types(hint, found, seen, depth + 1)
