"""The storage model every saver shares: what one write becomes, and how rows become tuples.

A checkpoint is stored as these kinds of row:

* one **checkpoint row** per checkpoint: its id, parent id, creation time, ``channel_versions``
  (plain msgpack: the saver must read it to find blobs) and, through the serializer, the rest of
  the checkpoint (``v``, ``ts``, ``versions_seen``, ``updated_channels``) and the metadata;
* one **blob row** per (thread, namespace, channel, version), written only for the channels in
  ``new_versions``: an unchanged channel is referenced by its version, never rewritten;
* one **write row** per pending write, keyed (thread, namespace, checkpoint id, task id, index);
* with interning (SqliteSaver), **chunks**: content stored once per thread and referenced by
  digest — long strings and bytes inside values, and whole blobs or writes over
  :data:`INLINE_MAX` bytes (their row's type is then :data:`CHUNKED` + the serializer's tag).

**List deltas.** When a list channel's new value extends the value this saver last stored for
the same (thread, namespace, channel) (``new[:len(old)]`` is element for element the same
objects, or values that encode to the same bytes), its blob holds only the appended tail plus a
reference to the base version; reading walks the chain back to a full value (SQLite reads a
whole chain with one query). A chain restarts with a full value when the value stops extending,
or when it holds at least :data:`CHAIN_MIN_DEPTH` deltas whose bytes add up to more than
:data:`CHAIN_GROWTH` times its full value. Full values therefore grow geometrically: all of them
together take at most about ``1 + 1/CHAIN_GROWTH`` times the newest value, so a thread's stored
bytes stay linear in what was appended (about 2x the appended bytes at worst, typically less),
and a read decodes one full value plus the chain's tails. (A full snapshot every K deltas would
bound the chain length instead, but costs ``n**2 / 2K`` bytes over a long thread.) The cache of
last values is bounded (:data:`CACHE_CHANNELS` entries, least recently used evicted: the next
write is then a full value).

Contract for deltas: a value handed to a saver is not mutated afterwards (the runtime's barrier
snapshots are not). A list element changed in place after it was stored would not be noticed.
Savers take ``deltas=False`` to store every value in full.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import operator
import pickle
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Final, Protocol

import msgspec

from ._errors import CheckpointConflictError, CheckpointStoreError, DecryptionError, SerializationError
from ._records import (
    WRITES_IDX_MAP,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    PendingWrite,
    ThreadKey,
    Version,
    checkpoint_time,
    made_from,
)
from ._serde import MSGPACK, REF_MARKER, MsgpackSerializer, Serializer

CHAIN_GROWTH: Final = 8
"""A delta chain restarts once its tails exceed this many times its full value's bytes..."""

CHAIN_MIN_DEPTH: Final = 32
"""...and it holds at least this many deltas (short chains are cheap to read)."""

CACHE_CHANNELS: Final = 4096
"""(thread, namespace, channel) entries whose last stored list the delta encoder remembers."""

INLINE_MAX: Final = 640
"""With interning on, a blob or write whose bytes exceed this goes to a chunk of its own (the row
holds :data:`CHUNKED` + its type and the chunk's digest), so rows stay small."""

CHUNKED: Final = "chunk:"

EMPTY: Final = "empty"
"""Blob type of a channel version that has no value (the channel became empty)."""

_plain_encode = msgspec.msgpack.encode
_versions_decoder = msgspec.msgpack.Decoder(dict[str, int | str])


# -- what savers are asked to do --------------------------------------------------------------


class PutOp(msgspec.Struct, frozen=True, gc=False):
    """Store ``checkpoint`` in ``key``'s thread; ``key.checkpoint_id`` is its parent. With
    ``expect_head`` the parent must still be the newest checkpoint of the thread's namespace
    (none at all for a parent of None), else :class:`CheckpointConflictError`."""

    key: ThreadKey
    checkpoint: Checkpoint
    metadata: CheckpointMetadata
    new_versions: Mapping[str, Version]
    expect_head: bool = False


class WritesOp(msgspec.Struct, frozen=True, gc=False):
    """Store a task's pending writes against checkpoint ``key.checkpoint_id``."""

    key: ThreadKey
    task_id: str
    task_path: str
    writes: Sequence[tuple[str, Any]]


Op = PutOp | WritesOp


# -- rows ---------------------------------------------------------------------------------------


class CheckpointRow(msgspec.Struct, array_like=True, gc=False):
    thread_id: str
    ns: str
    checkpoint_id: str
    parent_id: str | None
    ts: float
    versions: bytes  # plain msgpack channel -> version
    type: str
    data: bytes
    meta_type: str
    meta: bytes


class BlobRow(msgspec.Struct, array_like=True, gc=False):
    thread_id: str
    ns: str
    channel: str
    version: Version
    root: Version
    depth: int
    base: Version | None  # None: a full value; else the tail appended to version ``base``
    type: str
    data: bytes


class WriteRow(msgspec.Struct, array_like=True, gc=False):
    thread_id: str
    ns: str
    checkpoint_id: str
    task_id: str
    idx: int
    channel: str
    type: str
    data: bytes
    task_path: str


class Encoded(msgspec.Struct, gc=False):
    """The rows one job (a list of ops committed together) becomes, in commit order."""

    writes: list[WriteRow]
    blobs: list[BlobRow]
    checkpoints: list[CheckpointRow]
    chunks: dict[tuple[str, bytes], bytes] = {}  # (thread, digest) -> interned content
    heads: list[tuple[str, str, str | None, str, bool]] = []  # (thread, ns, parent, new id, expect_head)
    chains: dict[Any, Any] = {}  # the list chains these rows continue or start (see Encoder)


# -- encoding -----------------------------------------------------------------------------------


class _Chain:
    """What the encoder remembers about the last list it stored for one channel: its elements
    (``items``) and, for each, what it was stored as (``marks``: an immutable scalar itself, any
    other element the digest of its bytes; ``mutable``: the positions of the latter). A list
    stored in full is given marks only when it looks like a growing list (it began with the
    very elements of the list stored before it): a list replaced at each step (the ``Send`` s
    of a step) never pays for them, a growing one is stored in full once more, then as deltas."""

    __slots__ = ("version", "items", "marks", "mutable", "root", "depth", "root_bytes", "tail_bytes")

    def __init__(self, version: Version, items: list[Any], marks: list[Any] | None, root: Version, depth: int,
                 root_bytes: int, tail_bytes: int) -> None:
        self.version = version
        self.items = items
        self.marks = marks
        self.mutable = [] if marks is None else [i for i, m in enumerate(marks) if type(m) is _Digest]
        self.root = root
        self.depth = depth
        self.root_bytes = root_bytes
        self.tail_bytes = tail_bytes


class _Digest(bytes):
    """The digest of an element's stored bytes (a mark: see :class:`_Chain`)."""


_SCALARS: Final = frozenset({str, bytes, int, float, bool, complex, type(None)})
"""Immutable element types: one that is the very object stored is stored alike."""


def _mark(serde: Serializer, item: Any) -> Any:
    """What ``item`` is stored as: itself if an immutable scalar or a tuple of them, else a
    digest: of its state (:func:`_state_digest`) where that is builtin data, else of its bytes."""
    cls = type(item)
    if cls in _SCALARS or (cls is tuple and all(type(x) in _SCALARS for x in item)):
        return item
    reader = _STATE_READERS[cls] if cls in _STATE_READERS else _state_reader(cls)
    if reader is not None:
        digest = _state_digest(reader[1], reader[0], item)
        if digest is not None:
            return digest
    tag, data = serde.dumps_typed(item)
    return _Digest(hashlib.blake2b(data, digest_size=16, person=tag.encode()[:16]).digest())


# -- marks from an element's state ----------------------------------------------------------
#
# A growing list's elements that can change in place (messages, dicts) are checked at every
# checkpoint against what they were stored as (see _extends). Encoding each again costs
# ~5-8 µs a langchain-core message; pickling its state costs ~1-1.5 µs. The state is what the
# serializer reads: a builtin container itself; a Struct's fields; a pydantic (v2) model's field
# values (``__dict__``), its explicitly set fields and its extras (private attributes are not
# stored). Other classes (dataclasses...) are marked by their bytes.
# Pickled without its memo ("fast" mode), the bytes depend on types, values and order alone, not
# on which objects are shared; a pickler that refuses every object pickle does not write itself
# (``reducer_override`` is only reached for those) keeps this to builtin data, whose every change
# changes the bytes (1, 1.0 and True, str and bytes, list and tuple, key order all differ). State
# holding anything else (or a cycle) raises, and the element is marked by its serialized bytes.


class _NotBuiltin(Exception):
    pass


class _BuiltinPickler(pickle.Pickler):
    """Pickles builtin data only (None, bools, ints, floats, str, bytes, bytearray and dicts,
    lists, tuples, sets, frozensets of them); anything else raises :class:`_NotBuiltin`."""

    def reducer_override(self, obj: Any) -> Any:
        raise _NotBuiltin


class _Picklers(threading.local):
    def __init__(self) -> None:
        self.file = io.BytesIO()
        self.pickler = _BuiltinPickler(self.file, 5)
        self.pickler.fast = True  # no memo: shared and equal objects pickle alike


_picklers = _Picklers()
_STATE_HASH: Final = hashlib.blake2b(digest_size=16, person=b"ag-state")
_STATE_READERS: dict[type, tuple[Callable[[Any], Any], bytes] | None] = {}
"""A class's state reader and the tag its digests start with (None: marked by its bytes)."""
_BUILTIN_CONTAINERS: Final = frozenset({dict, list, tuple, set, frozenset, bytearray})


def _model_state(item: Any) -> Any:
    return item.__dict__, sorted(item.__pydantic_fields_set__), item.__pydantic_extra__


def _state_reader(cls: type) -> tuple[Callable[[Any], Any], bytes] | None:
    """How to read the state of a ``cls`` element, and its digests' tag (None: mark it by its
    bytes); cached in :data:`_STATE_READERS`."""
    reader: Callable[[Any], Any] | None = None
    if cls in _BUILTIN_CONTAINERS:
        reader = _same_object
    elif issubclass(cls, msgspec.Struct):
        reader = msgspec.structs.astuple  # (every field: what is stored is the non-default ones)
    else:
        pydantic = sys.modules.get("pydantic")
        if pydantic is not None and issubclass(cls, pydantic.BaseModel) and hasattr(cls, "__pydantic_fields_set__"):
            reader = _model_state
    found = None if reader is None else (reader, f"{cls.__module__}.{cls.__qualname__}".encode())
    _STATE_READERS[cls] = found
    return found


def _same_object(item: Any) -> Any:
    return item


def _state_digest(tag: bytes, read: Callable[[Any], Any], item: Any) -> _Digest | None:
    """The digest of ``item``'s state (``read`` from it; ``tag``: its class's); None unless the
    state can be read and is builtin data."""
    local = _picklers
    file = local.file
    try:
        local.pickler.dump(read(item))
        data = file.getvalue()
    except Exception:  # (_NotBuiltin; ValueError: a cycle; a state that cannot be read):
        return None  # marked by its bytes instead
    finally:
        file.seek(0)
        file.truncate()
    h = _STATE_HASH.copy()
    h.update(tag)
    h.update(data)
    return _Digest(h.digest())


def _same(item: Any, mark: Any, serde: Serializer) -> bool:
    """``item`` would be stored as the element ``mark`` was made of."""
    if type(mark) is _Digest:
        return bool(_mark(serde, item) == mark)
    if item is mark:
        return True
    if type(item) is not type(mark):
        return False
    if type(item) is tuple:  # (of scalars: 1 and 1.0 are equal but not stored alike)
        return len(item) == len(mark) and all(type(a) is type(b) and a == b for a, b in zip(item, mark))
    return bool(item == mark)


def _mark_serde(serde: Serializer) -> Serializer:
    """The serializer whose bytes make marks: an encrypting one's ``plain_serde`` (its own
    bytes differ at each call)."""
    plain = getattr(serde, "plain_serde", None)
    return plain if plain is not None else serde


ChainKey = tuple[str, str, str]
Overlay = dict[ChainKey, "_Chain | None"]
"""Tentative chain states of a batch being written; committed to the cache once it is durable."""


def _extends(new: list[Any], chain: _Chain, serde: Serializer) -> bool:
    """``new[:len(chain.items)]`` holds what the chain's list was stored as.

    The usual case is cheap: a reducer appended to the same list, so the elements are the very
    same objects, and those that are immutable scalars (strings, numbers) are stored alike. An
    element that can change in place (a message, a dict) may have changed since it was stored
    (a node edits a message and returns it): it is encoded again and its digest compared, as is
    every element that is not the very object stored (``1`` and ``1.0`` are equal but not stored
    alike). A serializer that is not deterministic never matches, which only costs a full value.
    """
    old = chain.items
    marks = chain.marks
    if marks is None or len(new) < len(old):
        return False
    try:
        if all(map(operator.is_, new, old)):
            return all(_mark(serde, new[i]) == marks[i] for i in chain.mutable)
        return all(_same(a, m, serde) for a, m in zip(new, marks))
    except Exception:  # an element that cannot be encoded: the full value will say why
        return False


_NO_MEMO = contextlib.nullcontext()


class Encoder:
    """Turns ops into rows, delta-encoding list channels against what it stored before.

    With ``intern=True``, blobs and writes over :data:`INLINE_MAX` bytes go to
    :attr:`Encoded.chunks` (once per thread), and with a :class:`MsgpackSerializer` so do the long
    strings and bytes inside values; rows hold references (see
    :meth:`MsgpackSerializer.dumps_interned`).

    Thread-safe: ``encode`` and ``commit`` hold a lock (savers call them from several threads).
    """

    def __init__(self, serde: Serializer, *, deltas: bool = True, intern: bool = False) -> None:
        self.serde = serde
        self._marker = _mark_serde(serde)  # (what makes the marks of list chains: see _Chain)
        self.deltas = deltas
        self.chunking = intern  # rows over INLINE_MAX bytes go to chunks (any serializer)
        self.intern = intern and type(serde) is MsgpackSerializer  # long strings too
        self._chunks: dict[bytes, bytes] | None = None  # sink of the op being encoded
        self._cache: OrderedDict[ChainKey, _Chain] = OrderedDict()
        # chains of rows encoded at submission and not stored yet (see encode_queued)
        self._queued: Overlay = {}
        self._lock = threading.Lock()

    def encode(self, ops: Sequence[Op], overlay: Overlay) -> Encoded:
        """Rows for ``ops``; chain updates go to ``overlay`` only if every op encodes.

        Raises :class:`SerializationError` naming the channel (or write) and the type.
        """
        out = Encoded([], [], [], {}, [])
        mine: Overlay = {}
        serde = self.serde
        # (one sink per thread: what the serializer packed once, chunk references included,
        # is reused only in records of the same thread, whose chunks hold them)
        sinks: dict[str, dict[bytes, bytes]] = {}
        with self._lock, (serde.memoized() if type(serde) is MsgpackSerializer else _NO_MEMO):
            for op in ops:
                sink = sinks.setdefault(op.key.thread_id, {}) if self.chunking else None
                self._chunks = sink
                try:
                    if isinstance(op, PutOp):
                        self._encode_put(op, out, overlay, mine)
                    else:
                        self._encode_writes(op, out)
                finally:
                    self._chunks = None
            overlay.update(mine)
        for thread, sink in sinks.items():
            for digest, content in sink.items():
                out.chunks[(thread, digest)] = content
        out.chains = mine
        return out

    def encode_queued(self, ops: Sequence[Op]) -> Encoded:
        """:meth:`encode` ``ops`` now, to store later (a writer's queue): the rows hold the
        values as they are now, whatever their owner changes in place meanwhile, and continue
        the chains of rows encoded this way before them and not stored yet. Each such
        :class:`Encoded` is then given to :meth:`settle`, stored or not."""
        return self.encode(ops, self._queued)

    def settle(self, encoded: Encoded, stored: bool) -> None:
        """The rows of :meth:`encode_queued` are durable (``stored``: their chains are
        remembered) or failed (rows encoded after them on their chains fail too: they continue
        a checkpoint that failed)."""
        with self._lock:
            queued = self._queued
            for key, chain in encoded.chains.items():
                if key in queued and queued[key] is chain:
                    del queued[key]
            if stored:
                self._remember(encoded.chains)

    def commit(self, overlay: Overlay) -> None:
        """The rows encoded with ``overlay`` are durable: remember their chains."""
        with self._lock:
            self._remember(overlay)

    def _remember(self, overlay: Overlay) -> None:
        cache = self._cache
        for key, chain in overlay.items():
            if chain is None:
                cache.pop(key, None)
            else:
                cache[key] = chain
                cache.move_to_end(key)
        while len(cache) > CACHE_CHANNELS:
            cache.popitem(last=False)

    def adopt(self, thread: str, ns: str, checkpoint: Checkpoint) -> None:
        """``checkpoint`` was just read back: remember its lists' elements as the stored ones.

        A run resumed from a read extends the lists it got; with these very objects in the cache,
        the next delta is found by identity instead of by encoding every element again.
        """
        versions = checkpoint.channel_versions
        with self._lock:
            for channel, value in checkpoint.channel_values.items():
                if type(value) is list:
                    chain = self._cache.get((thread, ns, channel))
                    if chain is not None and chain.version == versions.get(channel) and len(chain.items) == len(value):
                        chain.items = list(value)

    def forget(self, thread_id: str) -> None:
        """Drop chains of ``thread_id`` (its rows were deleted or pruned)."""
        with self._lock:
            for key in [k for k in self._cache if k[0] == thread_id]:
                del self._cache[key]
            for key in [k for k in self._queued if k[0] == thread_id]:
                del self._queued[key]

    def dumps(self, value: Any, channel: str, task: str | None = None) -> tuple[str, bytes]:
        """``value`` (of ``channel``; a pending write of ``task``, when given) serialized; a
        :class:`SerializationError` that says where."""
        try:
            sink = self._chunks
            if sink is not None and self.intern:
                serde = self.serde
                assert isinstance(serde, MsgpackSerializer)
                return serde.dumps_interned(value, sink)
            return self.serde.dumps_typed(value)
        except SerializationError as exc:
            raise exc.with_channel(channel, _write_of(task)) from None
        except Exception as exc:  # a user serializer failing its own way
            raise SerializationError(
                f"cannot serialize {type(value).__qualname__}: {exc}",
                type_name=type(value).__qualname__,
            ).with_channel(channel, _write_of(task)) from exc

    def _place(self, type_: str, data: bytes) -> tuple[str, bytes]:
        """A row's (type, data): large values of an interning encoder move to a chunk."""
        sink = self._chunks
        if sink is None or len(data) <= INLINE_MAX:
            return type_, data
        digest = hashlib.blake2b(data, digest_size=16).digest()
        sink[digest] = data
        return CHUNKED + type_, digest

    def _encode_put(self, op: PutOp, out: Encoded, overlay: Overlay, mine: Overlay) -> None:
        key, cp = op.key, op.checkpoint
        thread, ns = key.thread_id, key.checkpoint_ns
        out.heads.append((thread, ns, key.checkpoint_id, cp.id, op.expect_head))
        values = cp.channel_values
        for channel, version in op.new_versions.items():
            if channel not in values:
                out.blobs.append(BlobRow(thread, ns, channel, version, version, 0, None, EMPTY, b""))
                mine[(thread, ns, channel)] = None
                continue
            out.blobs.append(self._blob(thread, ns, channel, version, values[channel], overlay, mine))
        # [v, versions_seen, updated_channels(, ts)]: ts only when the row's epoch-seconds
        # column does not give it back exactly (it does for a ts now_iso() rendered from them)
        skeleton: list[Any] = [cp.v, cp.versions_seen, cp.updated_channels]
        stamp = made_from(cp.ts)
        if stamp is None:
            stamp = _timestamp(cp)
            if _iso(stamp) != cp.ts:
                skeleton.append(cp.ts)
        sink, self._chunks = self._chunks, None  # records stay self-contained
        try:
            type_, data = self._skeleton(skeleton)
            meta_type, meta = self.dumps(op.metadata, "<metadata>")
        finally:
            self._chunks = sink
        out.checkpoints.append(CheckpointRow(
            thread, ns, cp.id, key.checkpoint_id, stamp,
            _plain_encode(cp.channel_versions), type_, data, meta_type, meta,
        ))

    def _skeleton(self, skeleton: list[Any]) -> tuple[str, bytes]:
        """``[v, versions_seen, updated_channels(, ts)]`` serialized. Made of versions (ints or
        strings, as ``channel_versions``, which is encoded as it stands) keyed by node and
        channel names, and a list of names: plain msgpack, which the default serializer would
        check item by item (~300 bytecodes a checkpoint) to produce these very bytes."""
        updated = skeleton[2]
        if type(self.serde) is MsgpackSerializer and (updated is None or type(updated) is list):
            try:
                return MSGPACK, _plain_encode(skeleton)
            except (TypeError, OverflowError):  # (not plain after all: the serializer says why)
                pass
        return self.dumps(skeleton, "<checkpoint>")

    def _blob(self, thread: str, ns: str, channel: str, version: Version, value: Any,
              overlay: Overlay, mine: Overlay) -> BlobRow:
        key = (thread, ns, channel)
        if type(value) is not list:
            type_, data = self.dumps(value, channel)
            mine[key] = None
            return BlobRow(thread, ns, channel, version, version, 0, None, *self._place(type_, data))
        if self.deltas:
            if key in mine:
                prev = mine[key]
            elif key in overlay:
                prev = overlay[key]
            else:
                prev = self._cache.get(key)
            marker = self._marker
            if (prev is not None and prev.version != version and prev.items
                    and _extends(value, prev, marker)):
                tail = value[len(prev.items):]
                type_, data = self.dumps(tail, channel)
                if (prev.depth < CHAIN_MIN_DEPTH
                        or prev.tail_bytes + len(data) <= CHAIN_GROWTH * max(prev.root_bytes, 1)):
                    assert prev.marks is not None  # (_extends holds only then)
                    mine[key] = _Chain(version, list(value), prev.marks + [_mark(marker, x) for x in tail],
                                       prev.root, prev.depth + 1, prev.root_bytes, prev.tail_bytes + len(data))
                    return BlobRow(thread, ns, channel, version, prev.root, prev.depth + 1,
                                   prev.version, *self._place(type_, data))
        type_, data = self.dumps(value, channel)
        if self.deltas:
            grows = (prev is not None and 0 < len(prev.items) <= len(value)
                     and all(map(operator.is_, value, prev.items)))
            mine[key] = _Chain(version, list(value), [_mark(self._marker, x) for x in value] if grows else None,
                               version, 0, len(data), 0)
        else:
            mine[key] = None
        return BlobRow(thread, ns, channel, version, version, 0, None, *self._place(type_, data))

    def _encode_writes(self, op: WritesOp, out: Encoded) -> None:
        out.writes.extend(self.write_rows(op))

    def write_rows(self, op: WritesOp) -> list[WriteRow]:
        """The rows of ``op``'s writes. Called alone (not through :meth:`encode`) only by an
        encoder that is not ``chunking``: writes touch no chain, nothing is to commit after."""
        key = op.key
        assert key.checkpoint_id is not None
        rows = []
        for position, (channel, value) in enumerate(op.writes):
            type_, data = self._place(*self.dumps(value, channel, op.task_id))
            rows.append(WriteRow(
                key.thread_id, key.checkpoint_ns, key.checkpoint_id, op.task_id,
                WRITES_IDX_MAP.get(channel, position), channel, type_, data, op.task_path,
            ))
        return rows


def _write_of(task: str | None) -> str | None:
    return None if task is None else f"pending write of task {task!r}"


def _iso(stamp: float) -> str:
    """``ts`` as :func:`~._records.now_iso` renders it (UTC, microseconds)."""
    return datetime.fromtimestamp(stamp, timezone.utc).isoformat()


def _timestamp(cp: Checkpoint) -> float:
    try:
        stamp = datetime.fromisoformat(cp.ts)
    except (TypeError, ValueError):
        return checkpoint_time(cp.id) or datetime.now(timezone.utc).timestamp()
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.timestamp()


# -- decoding -------------------------------------------------------------------------------------


class BlobSource(Protocol):
    """Blob rows of one read, by (thread, namespace, channel, version)."""

    def get(self, key: tuple[str, str, str, Version], /) -> BlobRow | None: ...


_MISSING: Final = object()
_ABSENT: Final = object()  # (memo) no blob stored for the version


class Decoder:
    """Builds :class:`CheckpointTuple` s from rows; one instance per read (it memoises blobs).

    Any stored row that cannot be decoded raises :class:`CheckpointStoreError` whose message
    names ``source`` (the file, when given), the thread (and namespace), the checkpoint and the
    channel, "metadata" or the pending write's task: a column of the wrong SQL type, garbage or
    truncated bytes, an unknown type tag, a missing or corrupted chunk, a missing delta base, and
    a missing blob of a channel the checkpoint lists in ``updated_channels`` (that blob is
    written with the checkpoint). A :class:`DecryptionError` (wrong key, tampered data) is
    raised as itself, with a note saying where.

    A missing blob of any other channel in ``channel_versions`` reads as an absent value: the
    savers' contract stores only ``new_versions``, so a caller may name versions it never
    stored (a fork that renumbers every channel, say), and such checkpoints stay readable.
    """

    def __init__(self, serde: Serializer, blobs: BlobSource, chunks: Mapping[bytes, bytes] | None = None,
                 *, source: str | None = None) -> None:
        self.serde = serde
        self.blobs = blobs
        self.chunks: Mapping[bytes, bytes] = chunks if chunks is not None else {}
        self.source = source
        self._values: dict[tuple[str, str, str, Version], Any] = {}

    def error(self, where: str, problem: str) -> CheckpointStoreError:
        """The error for an undecodable ``where`` (e.g. "channel 'x' of checkpoint ...")."""
        prefix = "" if self.source is None else f"{self.source}: "
        return CheckpointStoreError(f"{prefix}cannot decode {where}: {problem}")

    def loads(self, type_: str, data: bytes, where: str) -> Any:
        if not isinstance(type_, str):
            raise self.error(where, f"its type tag is {_sql_type(type_)}, not TEXT")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise self.error(where, f"stored as {_sql_type(data)}, not a BLOB")
        if type_.startswith(CHUNKED):
            type_ = type_[len(CHUNKED):]
            content = self.chunks.get(bytes(data))
            if content is None:
                raise self.error(where, f"its chunk {bytes(data).hex()} is missing")
            if (not isinstance(content, (bytes, bytearray, memoryview))
                    or hashlib.blake2b(content, digest_size=16).digest() != data):
                raise self.error(where, f"its chunk {bytes(data).hex()} is corrupted")
            data = content
        try:
            serde = self.serde
            if isinstance(serde, MsgpackSerializer):  # its payloads may refer to interned chunks
                return serde.loads_interned((type_, data), self.chunks)
            return serde.loads_typed((type_, data))
        except DecryptionError as exc:
            exc.add_note(f"while reading {where}" + ("" if self.source is None else f" in {self.source}"))
            raise
        except Exception as exc:
            raise self.error(where, str(exc)) from exc

    def metadata(self, row: CheckpointRow) -> dict[str, Any]:
        """The checkpoint's metadata (a dict, else :class:`CheckpointStoreError`)."""
        where = f"metadata of {checkpoint_where(row)}"
        metadata = self.loads(row.meta_type, row.meta, where)
        if not isinstance(metadata, dict):
            raise self.error(where, f"not a dict but {type(metadata).__name__}")
        return metadata

    def checkpoint_tuple(self, row: CheckpointRow, writes: Iterable[WriteRow]) -> CheckpointTuple:
        where = checkpoint_where(row)
        try:
            versions = _versions_decoder.decode(row.versions)
        except (msgspec.DecodeError, TypeError) as exc:
            raise self.error(f"channel versions of {where}", str(exc)) from exc
        skeleton = self.loads(row.type, row.data, where)
        metadata = self.metadata(row)
        if isinstance(skeleton, list) and len(skeleton) in (3, 4):
            try:
                ts = skeleton[3] if len(skeleton) == 4 else _iso(row.ts)
            except (TypeError, ValueError, OverflowError, OSError) as exc:
                raise self.error(where, f"its timestamp {row.ts!r} is corrupted ({exc})") from exc
            skeleton = {"v": skeleton[0], "versions_seen": skeleton[1], "updated_channels": skeleton[2], "ts": ts}
        if not isinstance(skeleton, dict):
            raise self.error(where, "not a checkpoint record")
        updated = skeleton.get("updated_channels")
        written = {c for c in updated if isinstance(c, str)} if isinstance(updated, (list, tuple)) else set()
        values: dict[str, Any] = {}
        for channel, version in versions.items():
            value = self.channel_value(row.thread_id, row.ns, channel, version, where, required=channel in written)
            if value is not _MISSING:
                values[channel] = value
        try:
            checkpoint = Checkpoint(
                v=skeleton["v"], id=row.checkpoint_id, ts=skeleton["ts"], channel_values=values,
                channel_versions=versions, versions_seen=skeleton["versions_seen"],
                updated_channels=skeleton.get("updated_channels"),
            )
        except (KeyError, TypeError) as exc:
            raise self.error(where, f"missing field {exc}") from exc
        key = ThreadKey(row.thread_id, row.ns, row.checkpoint_id)
        pending: list[PendingWrite] = []
        try:
            ordered = sorted(writes, key=lambda w: (w.task_path, w.task_id, w.idx))
        except TypeError as exc:  # a key column of the wrong SQL type
            raise self.error(f"pending writes of {where}", f"corrupted keys ({exc})") from exc
        for w in ordered:
            value = self.loads(w.type, w.data, f"pending write {w.channel!r} of task {w.task_id!r} in {where}")
            pending.append((w.task_id, w.channel, value))
        return CheckpointTuple(
            config=key.config(),
            checkpoint=checkpoint,
            metadata=metadata,
            parent_config=key.config(row.parent_id) if row.parent_id is not None else None,
            pending_writes=pending,
        )

    def channel_value(self, thread: str, ns: str, channel: str, version: Version, where: str,
                      *, required: bool = False) -> Any:
        """The value of ``channel`` at ``version``, following delta chains; _MISSING if the
        stored version holds no value (the channel is empty) or, unless ``required``, if no
        blob is stored for it. A ``required`` version with no stored blob, or a delta whose base
        is not stored, raises :class:`CheckpointStoreError`."""
        key = (thread, ns, channel, version)
        what = f"channel {channel!r} (version {version!r}) of {where}"
        if key in self._values:
            known = self._values[key]
            if known is _ABSENT:
                if required:
                    raise self.error(what, "its blob, written with the checkpoint, is missing")
                return _MISSING
            # Several checkpoints of one page may share a version: each gets its own container.
            return _fresh(known)
        chain: list[BlobRow] = []
        start: list[Any] | None = None
        cursor: Version | None = version
        while cursor is not None:
            ckey = (thread, ns, channel, cursor)
            if chain and ckey in self._values:
                start = self._values[ckey]
                if start is _ABSENT:
                    raise self.error(what, f"version {cursor!r}, the base of a stored delta, is missing")
                break
            row = self.blobs.get(ckey)
            if row is None:
                if not chain:
                    self._values[key] = _ABSENT
                    if required:
                        raise self.error(what, "its blob, written with the checkpoint, is missing")
                    return _MISSING
                raise self.error(what, f"version {cursor!r}, the base of a stored delta, is missing")
            chain.append(row)
            cursor = row.base
            if len(chain) > 1_000_000:
                raise self.error(what, "its delta chain loops")
        if start is None:
            root = chain.pop()
            if root.type == EMPTY:
                value: Any = _MISSING
            else:
                value = self.loads(root.type, root.data, what)
            if not chain:
                self._values[key] = value
                return value
            if not isinstance(value, list):
                raise self.error(what, "delta base is not a list")
            items = list(value)
        elif isinstance(start, list):
            items = list(start)
        else:
            raise self.error(what, "delta base is not a list")
        for row in reversed(chain):
            tail = self.loads(row.type, row.data, what)
            if not isinstance(tail, list):
                raise self.error(what, "a delta is not a list")
            items.extend(tail)
        self._values[key] = items
        return items


def checkpoint_where(row: CheckpointRow) -> str:
    """Where a checkpoint row sits, for messages: its id, thread and namespace (if any)."""
    ns = f" (namespace {row.ns!r})" if row.ns else ""
    return f"checkpoint {row.checkpoint_id!r} of thread {row.thread_id!r}{ns}"


def _sql_type(value: object) -> str:
    """The SQLite storage class a column value read back as."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "TEXT"
    if isinstance(value, int):
        return "INTEGER"
    if isinstance(value, float):
        return "REAL"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "BLOB"
    return type(value).__name__


def _fresh(value: Any) -> Any:
    cls = type(value)
    if cls is list or cls is dict or cls is set:
        return cls(value)
    return value


# -- listing, pruning ----------------------------------------------------------------------------


def metadata_matches(metadata: Mapping[str, Any], filter: Mapping[str, Any] | None) -> bool:
    """``filter`` is equality on metadata keys (all must match; a missing key reads as None)."""
    if not filter:
        return True
    return all(metadata.get(k) == v for k, v in filter.items())


def metadata_contains(metadata: Mapping[str, Any], filter: Mapping[str, Any] | None) -> bool:
    """``filter`` as PostgreSQL's JSONB containment (``metadata @> filter``, what LangGraph's
    Postgres savers query): every key present (a None value matches only a stored null), nested
    objects matched on the keys they give, a list matched when each of its elements is in the
    stored list, and a bool never equal to a number."""
    if not filter:
        return True
    return _contains(metadata, filter)


def _contains(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, Mapping):
        return isinstance(value, Mapping) and all(
            k in value and _contains(value[k], v) for k, v in wanted.items())
    if isinstance(wanted, (list, tuple)):
        return isinstance(value, (list, tuple)) and all(
            any(_contains(item, w) for item in value) for w in wanted)
    if isinstance(wanted, bool) or isinstance(value, bool):
        return type(value) is type(wanted) and value == wanted
    if wanted is None or value is None:
        return value is wanted
    return bool(value == wanted)


class PruneRow(msgspec.Struct, array_like=True, gc=False):
    checkpoint_id: str
    parent_id: str | None
    ts: float
    has_writes: bool


def checkpoints_to_prune(rows: Sequence[PruneRow], *, keep_last: int | None, older_than: float | None) -> set[str]:
    """Ids of one (thread, namespace) that pruning removes.

    Kept: the newest checkpoint; with ``keep_last=N`` the N newest; with ``older_than`` every
    checkpoint created at or after that time (when both are given a checkpoint goes only if
    both rules let it go); and every checkpoint with pending writes but no child checkpoint
    (an interrupted or failed step still waiting to be resumed).
    """
    ordered = sorted(rows, key=lambda r: r.checkpoint_id, reverse=True)
    has_child = {r.parent_id for r in rows if r.parent_id is not None}
    doomed: set[str] = set()
    for position, row in enumerate(ordered):
        if position == 0:
            continue
        if keep_last is not None and position < keep_last:
            continue
        if older_than is not None and row.ts >= older_than:
            continue
        if row.has_writes and row.checkpoint_id not in has_child:
            continue
        doomed.add(row.checkpoint_id)
    return doomed


def blobs_to_keep(needed: Iterable[tuple[str, Version]], base_of: Mapping[tuple[str, Version], Version | None]) -> set[tuple[str, Version]]:
    """``needed`` (channel, version) pairs plus every delta base they are built on."""
    keep: set[tuple[str, Version]] = set()
    for item in needed:
        cursor: tuple[str, Version] | None = item
        while cursor is not None and cursor not in keep and cursor in base_of:
            keep.add(cursor)
            base = base_of[cursor]
            cursor = None if base is None else (cursor[0], base)
    return keep


def version_counter(version: Version) -> int:
    """An int version itself; a string one (``"<counter>.<random>"``) its leading counter."""
    return version if isinstance(version, int) else int(str(version).split(".", 1)[0])


def same_blob(a: BlobRow, b: BlobRow) -> bool:
    """Two rows for one (thread, namespace, channel, version) store the same value."""
    return a.base == b.base and a.type == b.type and bytes(a.data) == bytes(b.data)


def check_heads(heads: Sequence[tuple[str, str, str | None, str, bool]],
                newest: Callable[[str, str], str | None]) -> None:
    """Raise :class:`CheckpointConflictError` unless the parent of each checkpoint written with
    ``expect_head`` is the newest checkpoint of its (thread, namespace): as stored (``newest``),
    or as the checkpoints before it in the same batch leave it."""
    ahead: dict[tuple[str, str], str] = {}
    for thread, ns, parent, new_id, expect in heads:
        if expect:
            found = ahead[(thread, ns)] if (thread, ns) in ahead else newest(thread, ns)
            if found != parent:
                raise CheckpointConflictError(thread, ns, parent, found)
        if (thread, ns) not in ahead or new_id > ahead[(thread, ns)]:
            ahead[(thread, ns)] = new_id


def chunk_refs(data: bytes, into: set[bytes], type_: str = "") -> None:
    """Add to ``into`` the digests of the chunks a row's ``data`` (of type ``type_``) refers to:
    the row's own chunk (``type_`` starts with :data:`CHUNKED`) or interned strings inside it.

    A byte scan: it may report digests that are not references (random bytes that happen to
    look like one), which only costs a lookup that finds nothing; it never misses one.
    (A chunk's own content may refer to further chunks: scan it too.)
    """
    if type_.startswith(CHUNKED):
        into.add(bytes(data))
        return
    find = data.find
    pos = find(REF_MARKER)
    while pos >= 0:
        start = pos + len(REF_MARKER) + 1  # skip the kind byte
        digest = data[start:start + 16]
        if len(digest) == 16:
            into.add(digest)
        pos = find(REF_MARKER, pos + 1)


def decode_versions(data: bytes) -> dict[str, Version]:
    return _versions_decoder.decode(data)


def prune_cutoff(older_than: datetime | timedelta | float | None) -> float | None:
    """``older_than`` as epoch seconds: a datetime (naive = UTC), an age, or epoch seconds."""
    if older_than is None:
        return None
    if isinstance(older_than, timedelta):
        return datetime.now(timezone.utc).timestamp() - older_than.total_seconds()
    if isinstance(older_than, datetime):
        if older_than.tzinfo is None:
            older_than = older_than.replace(tzinfo=timezone.utc)
        return older_than.timestamp()
    if isinstance(older_than, (int, float)) and math.isfinite(older_than):
        return float(older_than)
    raise TypeError(f"older_than must be a datetime, a timedelta or epoch seconds, not {older_than!r}")
