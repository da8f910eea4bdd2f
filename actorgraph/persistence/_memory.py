"""``InMemorySaver``: checkpoints in process memory, stored as serialized bytes."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from typing import Any, Final, Self, TypeVar

from ._base import BaseCheckpointSaver, ListQuery, SaverStatistics, delegate_to_sync, run_now
from ._errors import CheckpointConflictError
from ._records import CheckpointTuple, Version, thread_key
from ._rows import (
    BlobRow,
    CheckpointRow,
    Decoder,
    Op,
    PruneRow,
    WriteRow,
    WritesOp,
    blobs_to_keep,
    check_heads,
    checkpoints_to_prune,
    decode_versions,
    metadata_matches,
    same_blob,
    version_counter,
)
from ._serde import Serializer

T = TypeVar("T")

_PAGE = 64

BlobKey = tuple[str, str, Version]  # (namespace, channel, version) within a thread
WriteKey = tuple[str, int]  # (task id, index) within a checkpoint

_NOTHING: Final[Mapping[Any, Any]] = {}  # (never written to)


class _Blobs:
    """The :class:`~._rows.BlobSource` view of an :class:`InMemorySaver`."""

    __slots__ = ("_blobs",)

    def __init__(self, blobs: dict[str, dict[BlobKey, BlobRow]]) -> None:
        self._blobs = blobs

    def get(self, key: tuple[str, str, str, Version], /) -> BlobRow | None:
        thread = self._blobs.get(key[0])
        return None if thread is None else thread.get((key[1], key[2], key[3]))


_LANGGRAPH_SYNC_HOOKS = (("get_tuple", "aget_tuple"), ("put", "aput"), ("put_writes", "aput_writes"))
"""The sync methods whose override in an :class:`InMemorySaver` subclass async runs honour."""


class InMemorySaver(BaseCheckpointSaver):
    """Keeps checkpoints in memory, for tests, notebooks and single-process apps.

    Values are stored serialized (like every saver), so a stored checkpoint is isolated from
    later changes to the objects it was made from, and what cannot be persisted fails here as
    it would with SQLite. Same storage model as :class:`SqliteSaver`: a blob per channel
    version, list deltas (see :mod:`actorgraph.persistence._rows`). Each call is applied
    atomically (nothing is stored if any value fails to encode). Nothing here suspends, so the
    sync twins work everywhere, also inside an event loop.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """As in LangGraph, whose ``InMemorySaver`` runs its sync methods from its async ones:
        a subclass's override of ``get_tuple``, ``put`` or ``put_writes`` (without one of its
        ``a``-twin) is what async runs call too, so a wrapper or a test double written for
        LangGraph sees every read and write (its ``super().put(...)`` stores as usual)."""
        for sync_name, async_name in _LANGGRAPH_SYNC_HOOKS:
            if (getattr(cls, sync_name) is not getattr(InMemorySaver, sync_name)
                    and getattr(cls, async_name) is getattr(InMemorySaver, async_name)):
                setattr(cls, async_name, delegate_to_sync(sync_name, async_name))
        super().__init_subclass__(**kwargs)

    def __init__(self, *, serde: Serializer | None = None, deltas: bool = True) -> None:
        super().__init__(serde=serde, deltas=deltas)
        self._checkpoints: dict[str, dict[str, dict[str, CheckpointRow]]] = {}
        self._blobs: dict[str, dict[BlobKey, BlobRow]] = {}
        self._top: dict[tuple[str, str], int] = {}  # (thread, ns) -> largest version stored
        self._head: dict[tuple[str, str], str] = {}  # (thread, ns) -> newest checkpoint id
        self._writes: dict[str, dict[tuple[str, str], dict[WriteKey, WriteRow]]] = {}

    def __repr__(self) -> str:
        return f"InMemorySaver(threads={len(self._checkpoints)})"

    # -- context manager: as LangGraph's, ``with``/``async with`` give the saver back and keep
    # its contents (there is nothing to open or close) -----------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    # -- writing ------------------------------------------------------------------------------

    async def _acommit(self, ops: Sequence[Op]) -> None:
        if len(ops) == 1 and type(ops[0]) is WritesOp and not self._encoder.chunking:
            # (a task's writes alone, the functional API's per call: no chain, no overlay)
            try:
                rows = self._encoder.write_rows(ops[0])
            except Exception:
                self._count(failed_jobs=1)
                raise
            self._store_writes(rows)
            self._committed(1, 0)
            return
        overlay: dict[Any, Any] = {}
        try:
            encoded = self._encoder.encode(ops, overlay)
        except Exception:
            self._count(failed_jobs=1)
            raise
        try:
            if any(h[4] for h in encoded.heads):
                check_heads(encoded.heads, self._newest)
            for b in encoded.blobs:
                old = self._blobs.get(b.thread_id, _NOTHING).get((b.ns, b.channel, b.version))
                if old is not None and not same_blob(old, b):
                    raise CheckpointConflictError.reused(b.thread_id, b.ns, b.channel, b.version)
        except Exception:
            self._count(failed_jobs=1)
            raise
        # Nothing below can fail: the call is stored entirely or (above) not at all.
        self._store_writes(encoded.writes)
        top = self._top
        for b in encoded.blobs:
            self._blobs.setdefault(b.thread_id, {})[(b.ns, b.channel, b.version)] = b
            version = b.version
            counter = version if type(version) is int else version_counter(version)
            if counter > top.get((b.thread_id, b.ns), 0):
                top[(b.thread_id, b.ns)] = counter
        head = self._head
        for c in encoded.checkpoints:
            self._checkpoints.setdefault(c.thread_id, {}).setdefault(c.ns, {})[c.checkpoint_id] = c
            if c.checkpoint_id > head.get((c.thread_id, c.ns), ""):  # (ids sort by time)
                head[(c.thread_id, c.ns)] = c.checkpoint_id
        self._encoder.commit(overlay)
        self._committed(1, len(encoded.checkpoints))

    def _store_writes(self, rows: Sequence[WriteRow]) -> None:
        """Keep pending-write rows: an ordinary write only if its (task, index) is absent,
        a special one (negative index) over the one before."""
        writes = self._writes
        for w in rows:
            per_checkpoint = writes.setdefault(w.thread_id, {}).setdefault((w.ns, w.checkpoint_id), {})
            key = (w.task_id, w.idx)
            if w.idx >= 0 and key in per_checkpoint:
                continue
            per_checkpoint[key] = w

    def _newest(self, thread: str, ns: str) -> str | None:
        return self._head.get((thread, ns))

    # -- reading ------------------------------------------------------------------------------

    def _pending(self, row: CheckpointRow) -> builtins.list[WriteRow]:
        per_thread = self._writes.get(row.thread_id)
        if per_thread is None:
            return []
        return builtins.list(per_thread.get((row.ns, row.checkpoint_id), {}).values())

    async def aget_tuple(self, config: Mapping[str, Any]) -> CheckpointTuple | None:
        key = thread_key(config)
        by_id = self._checkpoints.get(key.thread_id, {}).get(key.checkpoint_ns)
        if not by_id:
            return None
        cid = key.checkpoint_id
        row = by_id.get(cid if cid is not None else self._head[(key.thread_id, key.checkpoint_ns)])
        if row is None:
            return None
        self._count(reads=1)
        saved = Decoder(self.serde, _Blobs(self._blobs)).checkpoint_tuple(row, self._pending(row))
        self._encoder.adopt(row.thread_id, row.ns, saved.checkpoint)
        return saved

    async def amax_version(self, config: Mapping[str, Any]) -> int:
        key = thread_key(config)
        return self._top.get((key.thread_id, key.checkpoint_ns), 0)

    async def _alist(self, query: ListQuery) -> AsyncIterator[CheckpointTuple]:
        thread, ns, cid, upper = query.scope()
        filter = query.filter
        threads = self._checkpoints if thread is None else {thread: self._checkpoints.get(thread, {})}
        rows = [
            row
            for namespaces in threads.values()
            for name, by_id in namespaces.items()
            if ns is None or name == ns
            for row in by_id.values()
            if (cid is None or row.checkpoint_id == cid) and (upper is None or row.checkpoint_id < upper)
        ]
        rows.sort(key=lambda r: (r.checkpoint_id, r.thread_id, r.ns), reverse=True)
        remaining = query.limit
        for start in range(0, len(rows), _PAGE):
            decoder = Decoder(self.serde, _Blobs(self._blobs))  # one per page bounds its memo
            self._count(reads=1)
            for row in rows[start:start + _PAGE]:
                if remaining is not None and remaining <= 0:
                    return
                if filter:
                    metadata = decoder.loads(row.meta_type, row.meta, f"metadata of {row.checkpoint_id!r}")
                    if not metadata_matches(metadata, filter):
                        continue
                yield decoder.checkpoint_tuple(row, self._pending(row))
                if remaining is not None:
                    remaining -= 1

    # -- housekeeping -------------------------------------------------------------------------

    async def adelete_thread(self, thread_id: str) -> None:
        thread_id = str(thread_id)
        self._checkpoints.pop(thread_id, None)
        self._blobs.pop(thread_id, None)
        self._writes.pop(thread_id, None)
        for key in [k for k in self._top if k[0] == thread_id]:
            del self._top[key]
        for key in [k for k in self._head if k[0] == thread_id]:
            del self._head[key]
        self._encoder.forget(thread_id)

    async def _aprune(self, thread_id: str, keep_last: int | None, older_than: float | None) -> int:
        namespaces = self._checkpoints.get(thread_id, {})
        writes = self._writes.get(thread_id, {})
        blobs = self._blobs.get(thread_id, {})
        removed = 0
        for ns, by_id in namespaces.items():
            rows = [PruneRow(r.checkpoint_id, r.parent_id, r.ts, bool(writes.get((ns, r.checkpoint_id))))
                    for r in by_id.values()]
            doomed = checkpoints_to_prune(rows, keep_last=keep_last, older_than=older_than)
            for cid in doomed:
                del by_id[cid]
                writes.pop((ns, cid), None)
            removed += len(doomed)
            if by_id:
                self._head[(thread_id, ns)] = max(by_id)
            else:
                self._head.pop((thread_id, ns), None)
            needed = {item for r in by_id.values() for item in decode_versions(r.versions).items()}
            base_of = {(ch, v): b.base for (bns, ch, v), b in blobs.items() if bns == ns}
            keep = blobs_to_keep(needed, base_of)
            for bkey in [k for k in blobs if k[0] == ns and (k[1], k[2]) not in keep]:
                del blobs[bkey]
        return removed

    def statistics(self) -> SaverStatistics:
        stored = sum(
            len(r.data) + len(r.meta) + len(r.versions)
            for namespaces in self._checkpoints.values()
            for by_id in namespaces.values()
            for r in by_id.values()
        )
        stored += sum(len(b.data) for per in self._blobs.values() for b in per.values())
        stored += sum(
            len(w.data) for per in self._writes.values() for ws in per.values() for w in ws.values()
        )
        self._stats["stored_bytes"] = stored
        return super().statistics()

    # -- sync twins: nothing here suspends, so drive the coroutine directly ------------------------

    def _run_sync(self, method: str, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        finished, result = run_now(fn(*args))
        if finished:
            return result  # type: ignore[return-value]  # T, as the coroutine finished
        raise RuntimeError(f"InMemorySaver.{method}() suspended; use the async method")


MemorySaver = InMemorySaver
"""LangGraph's older name for :class:`InMemorySaver`."""
