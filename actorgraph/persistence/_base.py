"""``BaseCheckpointSaver``: LangGraph's checkpoint saver interface, async first, sync wrapped."""

from __future__ import annotations

import asyncio
import builtins
import functools
import random
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from datetime import datetime, timedelta
from typing import Any, ClassVar, Concatenate, Literal, NamedTuple, ParamSpec, TypeVar

import msgspec

from ._records import (
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    ThreadKey,
    Version,
    as_checkpoint,
    merge_metadata,
    thread_key,
)
from ._rows import Encoder, Op, PutOp, WritesOp
from ._serde import MsgpackSerializer, Serializer

T = TypeVar("T")
P = ParamSpec("P")
S = TypeVar("S", bound="SyncTwins")

Writes = Sequence[tuple[str, Any]]


class ListQuery(NamedTuple):
    """The arguments of one :meth:`BaseCheckpointSaver.alist` call, as a saver's ``_alist``
    receives them."""

    config: Mapping[str, Any] | None
    filter: Mapping[str, Any] | None
    before: Mapping[str, Any] | None
    limit: int | None

    def scope(self) -> tuple[str | None, str | None, str | None, str | None]:
        """(thread id, namespace, checkpoint id, upper bound) selected; None = any. The bound,
        ``before``'s checkpoint id, is exclusive: only older ids are listed."""
        configurable = (self.config or {}).get("configurable") or {}
        thread = configurable.get("thread_id")
        ns = configurable.get("checkpoint_ns")
        cid = configurable.get("checkpoint_id")
        before = self.before
        upper = None if before is None else (before.get("configurable") or {}).get("checkpoint_id")
        return (
            None if thread is None else str(thread),
            None if ns is None else str(ns),
            None if cid is None else str(cid),
            None if upper is None else str(upper),
        )


class TaskWrites(msgspec.Struct, frozen=True, gc=False):
    """One finished task's writes, for :meth:`BaseCheckpointSaver.aput_step`."""

    task_id: str
    writes: Writes
    task_path: str = ""


StepWrites = Mapping[str, Writes] | Iterable[TaskWrites]
"""``{task_id: writes}`` (task path ``""``) or :class:`TaskWrites` records."""


class SaverStatistics(msgspec.Struct, frozen=True):
    """Counters of one saver since it was created (:meth:`BaseCheckpointSaver.statistics`).

    ``jobs`` counts committed calls (``aput``, ``aput_writes``, ``aput_step``); ``transactions``
    the commits they took: fewer than ``jobs`` when the SQLite writer batched concurrent calls.
    ``reads`` counts read round trips (one per ``aget_tuple``, one per page of ``alist``),
    ``queries`` the SQL statements run (0 for memory). ``stored_bytes`` is the size of the
    encoded records an :class:`InMemorySaver` holds; for SQLite, the database's used pages as of
    the last ``astored_bytes()`` call.
    """

    checkpoints: int = 0
    jobs: int = 0
    failed_jobs: int = 0
    transactions: int = 0
    largest_batch: int = 0
    reads: int = 0
    queries: int = 0
    stored_bytes: int = 0


def run_now(coro: Coroutine[Any, Any, T]) -> tuple[bool, T | None]:
    """Drive ``coro`` to its end without an event loop, as long as it never suspends:
    ``(True, result)``; if it suspends, it is closed and ``(False, None)`` is returned."""
    try:
        coro.send(None)
    except StopIteration as done:
        return True, done.value
    coro.close()
    return False, None


def running_event_loop() -> str | None:
    """``"asyncio"`` or ``"trio"`` when this thread is running that event loop, else None."""
    try:
        asyncio.get_running_loop()
        return "asyncio"
    except RuntimeError:
        pass
    trio: Any = sys.modules.get("trio")  # Any: trio is optional and only probed if imported
    if trio is not None:
        try:
            trio.lowlevel.current_task()
            return "trio"
        except RuntimeError:
            pass
    return None


def refuse_in_event_loop(owner: str, method: str) -> None:
    """Raise ``RuntimeError`` if called from a thread that is running an event loop."""
    library = running_event_loop()
    if library is None:
        return
    raise RuntimeError(
        f"{owner}.{method}() blocks, and this thread is running a {library} event loop: "
        f"use `await saver.a{method}(...)` instead"
    )


def run_blocking(fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    """``anyio.run(fn, *args)`` for a sync method of a saver or store that blocks anyway (SQLite
    through a thread): from a thread running an event loop (a notebook's cell, an async node),
    on a helper thread, that loop blocked meanwhile, as LangGraph's sync SQLite classes block it."""
    import anyio

    if running_event_loop() is None:
        return anyio.run(fn, *args)
    outcome: list[tuple[bool, Any]] = []

    def target() -> None:
        try:
            outcome.append((True, anyio.run(fn, *args)))
        except BaseException as exc:
            outcome.append((False, exc))

    helper = threading.Thread(target=target, name="actorgraph.sync-call")
    helper.start()
    helper.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


async def committed() -> None:
    """The wait of a submission that was committed before it returned (what
    :meth:`BaseCheckpointSaver.asubmit_step` returns then; a caller may skip awaiting it)."""


def _step_ops(
    config: Mapping[str, Any],
    writes: StepWrites,
    checkpoint: Checkpoint | Mapping[str, Any],
    metadata: CheckpointMetadata,
    new_versions: Mapping[str, Version],
    expect_head: bool = False,
) -> tuple[ThreadKey, builtins.list[Op]]:
    key = thread_key(config)
    tasks = _task_writes(writes)
    if tasks and key.checkpoint_id is None:
        raise ValueError(
            f"thread {key.thread_id!r}: pending writes need the step's starting checkpoint "
            'in config["configurable"]["checkpoint_id"]'
        )
    cp = as_checkpoint(checkpoint)
    ops: builtins.list[Op] = [WritesOp(key, t.task_id, t.task_path, builtins.list(t.writes)) for t in tasks]
    ops.append(PutOp(key, cp, merge_metadata(config, metadata), dict(new_versions), expect_head))
    return key, ops


def _task_writes(writes: StepWrites) -> builtins.list[TaskWrites]:
    if type(writes) is not builtins.list and isinstance(writes, Mapping):  # (a runtime's list: no ABC check)
        return [TaskWrites(task_id, list(w)) for task_id, w in writes.items()]
    return builtins.list(writes)


class SyncTwins:
    """Mixin of savers and stores: how a sync twin (``put`` for ``aput``) runs its coroutine."""

    def _run_sync(self, method: str, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        """Run ``fn`` (the coroutine behind sync ``method``) from sync code.

        Subclasses may override this; the default refuses inside an event loop, else uses a
        private one.
        """
        import anyio

        refuse_in_event_loop(type(self).__name__, method)
        return anyio.run(fn, *args)


DELEGATES_TO_SYNC = "_delegates_to_sync"
"""Marks an async method that only calls its sync twin's override (see :func:`delegate_to_sync`)."""


def delegate_to_sync(sync_name: str, async_name: str) -> Callable[..., Coroutine[Any, Any, Any]]:
    """An async method ``async_name`` that calls ``self.<sync_name>(...)``: how an
    ``InMemorySaver`` subclass's override of a sync method (``put``) is what async code
    (``aput``) runs too, as in LangGraph. The sync twin skips it (see :func:`_sync_twin`)."""

    async def delegate(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, sync_name)(*args, **kwargs)

    delegate.__name__ = delegate.__qualname__ = async_name
    setattr(delegate, DELEGATES_TO_SYNC, True)
    return delegate


def _own_async(cls: type, async_name: str) -> Callable[..., Coroutine[Any, Any, Any]]:
    """``cls``'s nearest ``async_name`` that is not a :func:`delegate_to_sync` delegate."""
    for klass in cls.__mro__:
        fn = klass.__dict__.get(async_name)
        if fn is not None and not getattr(fn, DELEGATES_TO_SYNC, False):
            return fn  # type: ignore[no-any-return]
    raise AttributeError(async_name)


def _sync_twin(amethod: Callable[Concatenate[S, P], Coroutine[Any, Any, T]]) -> Callable[Concatenate[S, P], T]:
    """The sync twin of async method ``amethod`` (``aput`` -> ``put``), same parameters.

    It runs ``self.<amethod>(...)``, looked up on the instance so that a subclass's override is
    the one run, through :meth:`SyncTwins._run_sync`; unless that is a :func:`delegate_to_sync`
    delegate back to this twin's override (``super().put(...)`` in an override of ``put``):
    then the saver's own ``amethod`` runs.
    """
    async_name = amethod.__name__
    name = async_name.removeprefix("a")

    def twin(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        bound: Callable[P, Coroutine[Any, Any, T]] = getattr(self, async_name)
        if getattr(bound, DELEGATES_TO_SYNC, False):
            bound = functools.partial(_own_async(type(self), async_name), self)
        return self._run_sync(name, functools.partial(bound, *args, **kwargs))

    functools.update_wrapper(twin, amethod, updated=())  # not __dict__: the abstract flag
    twin.__name__ = name
    twin.__qualname__ = f"{amethod.__qualname__.rpartition('.')[0]}.{name}"
    twin.__doc__ = f"Sync :meth:`{async_name}`."
    return twin


class BaseCheckpointSaver(SyncTwins, ABC):
    """A checkpoint saver: LangGraph's ``BaseCheckpointSaver`` contract, async first.

    Writes: :meth:`aput` saves a checkpoint and returns its config; :meth:`aput_writes` saves a
    task's pending writes against the checkpoint its step started from; :meth:`aput_step` does
    both for a whole step in one atomic commit. Reads: :meth:`aget_tuple`, :meth:`alist`.
    Housekeeping: :meth:`adelete_thread`, :meth:`aprune`. Every async method has a sync twin
    without the ``a`` (``put``, ``get_tuple``, ``list``, ...).

    Channel values go through ``serde`` (default :class:`MsgpackSerializer`); a value it cannot
    encode raises :class:`SerializationError` naming the channel and the type, and nothing of
    that call is stored (the previous checkpoint stays as it was). ``deltas=False`` turns off the
    list delta encoding (see :mod:`actorgraph.persistence._rows`). Savers that set
    ``intern=True`` (SqliteSaver) store long strings and bytes once per thread (see
    :mod:`actorgraph.persistence._serde`; only with a plain :class:`MsgpackSerializer`).
    """

    serde: Serializer

    commits_by_parts: ClassVar[bool] = False
    """True for a subclass that overrides ``aput`` or ``aput_writes`` (or, in an
    ``InMemorySaver`` subclass, ``put`` / ``put_writes``): :meth:`aput_step` then stores a step
    through them (``aput_writes`` per task, then ``aput``), so the override sees every write, as
    LangGraph's savers would; such a step is not one transaction and ``expect_head`` is not
    checked."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.commits_by_parts = any(getattr(cls, name) is not getattr(BaseCheckpointSaver, name)
                                   for name in ("aput", "aput_writes"))

    def __init__(self, *, serde: Serializer | None = None, deltas: bool = True, intern: bool = False) -> None:
        self.serde = serde if serde is not None else MsgpackSerializer()
        self._encoder = Encoder(self.serde, deltas=deltas, intern=intern)
        self._stats: dict[str, int] = dict.fromkeys(SaverStatistics.__struct_fields__, 0)

    # -- what a saver implements ------------------------------------------------------------

    @abstractmethod
    async def _acommit(self, ops: Sequence[Op]) -> None:
        """Encode ``ops`` and store them atomically, in order."""

    @abstractmethod
    async def aget_tuple(self, config: Mapping[str, Any]) -> CheckpointTuple | None:
        """The checkpoint ``config`` addresses, with its pending writes, or None.

        With ``checkpoint_id``: exactly that checkpoint; without: the newest (largest id) of the
        thread's ``checkpoint_ns`` (default ``""``).
        """

    @abstractmethod
    async def amax_version(self, config: Mapping[str, Any]) -> int:
        """The largest channel version stored in ``config``'s thread and namespace (0 if none).

        A string version counts as its leading counter. A run that continues or forks a thread
        hands out versions above it, so a fork never reuses a version that an existing
        checkpoint of another branch refers to: a checkpoint, once written, reads back the
        same forever (values are stored once per (namespace, channel, version)).
        """

    @abstractmethod
    def _alist(self, query: ListQuery) -> AsyncIterator[CheckpointTuple]:
        """:meth:`alist`, its arguments gathered in ``query``."""

    @abstractmethod
    async def adelete_thread(self, thread_id: str) -> None:
        """Delete every checkpoint, blob and pending write of ``thread_id`` (all namespaces)."""

    @abstractmethod
    async def _aprune(self, thread_id: str, keep_last: int | None, older_than: float | None) -> int: ...

    # -- the shared surface -----------------------------------------------------------------

    async def aput(
        self,
        config: Mapping[str, Any],
        checkpoint: Checkpoint | Mapping[str, Any],
        metadata: CheckpointMetadata,
        new_versions: Mapping[str, Version],
    ) -> dict[str, Any]:
        """Save ``checkpoint`` as the child of ``config``'s checkpoint; return its config.

        Only the channels in ``new_versions`` have their values read and stored (under that
        version; one in ``new_versions`` but absent from ``channel_values`` is stored as empty).
        ``channel_values`` may therefore hold just the changed channels. Every other channel in
        ``channel_versions`` must already be stored under its version in this thread and
        namespace (unchanged channels keep their version) and is missing on read otherwise.
        Metadata is merged with ``config`` (see ``CheckpointMetadata``).
        """
        key = thread_key(config)
        cp = as_checkpoint(checkpoint)
        await self._acommit([PutOp(key, cp, merge_metadata(config, metadata), dict(new_versions))])
        return key.config(cp.id)

    async def aput_writes(
        self, config: Mapping[str, Any], writes: Writes, task_id: str, task_path: str = ""
    ) -> None:
        """Save a task's ``(channel, value)`` writes against ``config``'s checkpoint.

        Key: (thread, namespace, checkpoint id, task id, index); index = position in
        ``writes``, or the fixed negative index of a special channel (``WRITES_IDX_MAP``).
        Ordinary writes are inserted only if absent; special ones overwrite.
        """
        key = thread_key(config, need_checkpoint=True)
        await self._acommit([WritesOp(key, task_id, task_path, builtins.list(writes))])

    async def aput_step(
        self,
        config: Mapping[str, Any],
        writes: StepWrites,
        checkpoint: Checkpoint | Mapping[str, Any],
        metadata: CheckpointMetadata,
        new_versions: Mapping[str, Version],
        *,
        expect_head: bool = False,
    ) -> dict[str, Any]:
        """Commit a step atomically: its tasks' pending writes, then the checkpoint it led to.

        ``config`` addresses the checkpoint the step started from: the writes are saved against
        it and it becomes the new checkpoint's parent, exactly as ``aput_writes`` per task
        followed by ``aput`` would, but in one transaction: after a crash either all of it is
        stored or none of it. Returns the new checkpoint's config. (A saver that
        :attr:`commits_by_parts` calls its ``aput_writes`` and ``aput`` instead.)

        ``expect_head=True`` (how runs continue their thread) also requires that checkpoint to
        still be the newest of its thread and namespace (the thread to have none, when the
        config names no checkpoint): if another writer got there first — another process, or
        another saver on the same file — :class:`CheckpointConflictError` is raised and nothing
        is stored, so the thread's chain never forks by accident.
        """
        if self.commits_by_parts:
            return await self._aput_step_by_parts(config, writes, checkpoint, metadata, new_versions)
        key, ops = _step_ops(config, writes, checkpoint, metadata, new_versions, expect_head)
        await self._acommit(ops)
        return key.config(as_checkpoint(checkpoint).id)

    async def _aput_step_by_parts(
        self,
        config: Mapping[str, Any],
        writes: StepWrites,
        checkpoint: Checkpoint | Mapping[str, Any],
        metadata: CheckpointMetadata,
        new_versions: Mapping[str, Version],
    ) -> dict[str, Any]:
        """:meth:`aput_step` of a saver that :attr:`commits_by_parts`."""
        for task in _task_writes(writes):
            await self.aput_writes(config, task.writes, task.task_id, task.task_path)
        return await self.aput(config, checkpoint, metadata, new_versions)

    async def asubmit_step(
        self,
        config: Mapping[str, Any],
        writes: StepWrites,
        checkpoint: Checkpoint | Mapping[str, Any],
        metadata: CheckpointMetadata,
        new_versions: Mapping[str, Version],
        *,
        expect_head: bool = False,
    ) -> Callable[[], Awaitable[None]]:
        """Queue :meth:`aput_step`'s commit and return at once with a function to await it.

        For ``durability="async"``: the write overlaps with the next super-step. Submissions
        commit in the order they were made (issue them from one task); the queue is bounded,
        so submitting waits when the writer falls behind. Awaiting the returned function raises
        the commit's error, if any. Savers without a background writer commit before returning.
        """
        if self.commits_by_parts:
            await self._aput_step_by_parts(config, writes, checkpoint, metadata, new_versions)
            return committed
        _key, ops = _step_ops(config, writes, checkpoint, metadata, new_versions, expect_head)
        return await self._asubmit(ops)

    async def _asubmit(self, ops: Sequence[Op]) -> Callable[[], Awaitable[None]]:
        await self._acommit(ops)
        return committed

    def alist(
        self,
        config: Mapping[str, Any] | None,
        *,
        filter: Mapping[str, Any] | None = None,
        before: Mapping[str, Any] | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """Checkpoints newest first (by id, across namespaces and branches).

        ``config=None`` (or ``{}``) lists every thread; with a thread id, that thread (only
        namespace ``checkpoint_ns`` if the key is present; only ``checkpoint_id`` if given). A
        config that is given but names no thread raises ``ValueError`` (as LangGraph refuses
        it: a config built without its ``thread_id`` must not list every thread's
        checkpoints). ``filter``: metadata keys that must be equal (on PostgresSaver: JSONB
        containment, ``metadata @> filter``, as LangGraph's); ``before``: only ids
        strictly older than its ``checkpoint_id``; ``limit``: at most that many.
        """
        if config and (config.get("configurable") or {}).get("thread_id") is None:
            thread_key(config)  # (raises ValueError naming the missing key)
        return self._alist(ListQuery(config, filter, before, limit))

    async def aget(self, config: Mapping[str, Any]) -> Checkpoint | None:
        """Just the checkpoint of :meth:`aget_tuple`."""
        found = await self.aget_tuple(config)
        return None if found is None else found.checkpoint

    async def aprune(
        self,
        thread_id: str | Sequence[str],
        *,
        keep_last: int | None = None,
        older_than: datetime | timedelta | float | None = None,
        strategy: Literal["keep_latest", "delete"] | None = None,
    ) -> int:
        """Delete old checkpoints of ``thread_id``; return how many were deleted.

        Per namespace, a checkpoint is kept if it is the newest; or among the ``keep_last``
        newest; or created at or after ``older_than`` (a datetime — naive means UTC —, an age as
        a timedelta, or epoch seconds); or it has pending writes and no child checkpoint (a
        failed or interrupted step still to be resumed). When both ``keep_last`` and
        ``older_than`` are given a checkpoint must fall outside both to go. The pending writes
        of deleted checkpoints go with them, and so do blobs no remaining checkpoint needs
        (blobs a kept delta builds on stay). Kept checkpoints whose parent was deleted keep
        their ``parent_config``: history simply ends there.

        LangGraph's form works too: ``prune(thread_ids, strategy="keep_latest")`` (a list of
        threads; only the newest checkpoint of each namespace stays, as ``keep_last=1``) and
        ``strategy="delete"`` (the threads are deleted, as :meth:`adelete_thread`).
        """
        from ._rows import prune_cutoff

        if not isinstance(thread_id, str) or strategy is not None:  # LangGraph's prune(thread_ids, strategy=)
            if keep_last is not None or older_than is not None:
                raise ValueError("prune(): give either strategy= (LangGraph's) or keep_last=/older_than=")
            if strategy not in (None, "keep_latest", "delete"):
                raise ValueError(f"Unknown pruning strategy: {strategy!r}")
            ids = [thread_id] if isinstance(thread_id, str) else [str(t) for t in thread_id]
            removed = 0
            for one in ids:
                if strategy == "delete":
                    await self.adelete_thread(one)
                else:
                    removed += await self._aprune(one, 1, None)
                    self._encoder.forget(one)
            return removed
        if keep_last is None and older_than is None:
            raise ValueError("aprune() needs keep_last and/or older_than")
        if keep_last is not None and keep_last < 1:
            raise ValueError(f"keep_last must be at least 1, got {keep_last}")
        removed = await self._aprune(str(thread_id), keep_last, prune_cutoff(older_than))
        self._encoder.forget(str(thread_id))
        return removed

    def get_next_version(self, current: Version | None, channel: Any = None) -> Version:
        """The version after ``current``: ints count up from 1.

        A string version (LangGraph's ``"<32-digit counter>.<random>"``) gets the next counter
        in the same form.
        """
        if current is None:
            return 1
        if isinstance(current, int):
            return current + 1
        return f"{int(current.split('.', 1)[0]) + 1:032}.{random.random():016}"

    def statistics(self) -> SaverStatistics:
        """Counters of this saver (see :class:`SaverStatistics`)."""
        return SaverStatistics(**self._stats)

    def _committed(self, jobs: int, checkpoints: int) -> None:
        """One transaction stored ``jobs`` calls holding ``checkpoints`` checkpoints."""
        stats = self._stats
        stats["jobs"] += jobs
        stats["transactions"] += 1
        stats["checkpoints"] += checkpoints
        if jobs > stats["largest_batch"]:
            stats["largest_batch"] = jobs

    def _count(self, **deltas: int) -> None:
        stats = self._stats
        for name, delta in deltas.items():
            stats[name] += delta

    async def _collect(
        self,
        config: Mapping[str, Any] | None,
        filter: Mapping[str, Any] | None,
        before: Mapping[str, Any] | None,
        limit: int | None,
    ) -> builtins.list[CheckpointTuple]:
        return [t async for t in self.alist(config, filter=filter, before=before, limit=limit)]

    # -- sync twins -----------------------------------------------------------------------------

    put = _sync_twin(aput)
    put_writes = _sync_twin(aput_writes)
    put_step = _sync_twin(aput_step)
    get_tuple = _sync_twin(aget_tuple)
    get = _sync_twin(aget)
    delete_thread = _sync_twin(adelete_thread)
    prune = _sync_twin(aprune)

    def list(
        self,
        config: Mapping[str, Any] | None,
        *,
        filter: Mapping[str, Any] | None = None,
        before: Mapping[str, Any] | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Sync :meth:`alist` (reads the whole selection, then iterates it)."""
        return iter(self._run_sync("list", self._collect, config, filter, before, limit))



