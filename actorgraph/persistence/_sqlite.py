"""``SqliteSaver``: checkpoints in a SQLite file, on asyncio and trio.

**The database thread.** An open saver owns one dedicated thread that holds its ``sqlite3``
connection and runs every call on it: a step's whole write (BEGIN, its inserts, COMMIT; the
rows already encoded on the event loop) is one hand-off to that thread, which wakes the
waiting task once when it is done: through an eventfd where the OS has one (Linux; on asyncio a
reader callback, on trio the waiting tasks read it in turn), else ``call_soon_threadsafe`` or the
trio token's ``run_sync_soon``. No worker-thread pool, limiter or aiosqlite
round trip in between. A caller cancelled while its commit is under way waits for the outcome, then the
cancellation propagates; closing the saver lets the thread finish what it was handed, then
joins it. A second small thread fsyncs the WAL file alongside the commits, so that SQLite's
automatic checkpoint (inside the commit that crosses 1000 WAL pages) finds little left to
sync (see :class:`_WalSyncer`).

**The checkpoint writer actor** batches. A write goes straight from the caller's task to the
database thread when nothing else is being written (a lone run with durability ``"sync"``:
one hand-off per step). Otherwise callers hand the actor jobs (a put, a task's writes, or a
whole step; durability ``"async"`` always does) and wait; the actor takes every job already
queued behind the one in hand, encodes them, and stores them in **one** transaction — one
call into the database thread — then answers each caller. Under load, many runs' steps share
a commit. The actor's mailbox is bounded, so a flood of writers waits (backpressure) instead
of queueing without limit. A job whose values cannot be encoded fails alone; if a batch's
transaction fails, its jobs are retried one by one so only the culprit fails.

Ways to open one:

* ``async with SqliteSaver.from_conn_string(path) as saver:`` — own connection on the
  database thread, writer actor, both closed (the threads joined) on exit.
* ``with SqliteSaver.from_conn_string(path) as saver:`` — for sync code (``graph.invoke``):
  own ``sqlite3`` connection used from worker threads, each write its own transaction; the
  async methods work from any event loop, the sync twins from any thread without a loop.
* ``SqliteSaver(conn)`` with an existing ``sqlite3`` connection opened with
  ``check_same_thread=False``: usable at once from worker threads (each write its own
  transaction); ``async with saver:`` serves it from a database thread and adds the writer
  actor while open; the connection stays open (and its settings the caller's). An
  ``aiosqlite.Connection`` works too (asyncio only), each call a hop to aiosqlite's thread.

Sync twins (``put``, ``get_tuple``, ``list``, ...) refuse to run inside an event loop. When
the saver was opened with ``async with`` in a loop on another thread, they run there; so do
the async methods called from an event loop on another thread (a sync node running a graph
with ``invoke()`` runs it on a loop of its worker thread): the call waits for the saver's loop.
"""

from __future__ import annotations

import math
import os
import queue
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from types import TracebackType
from typing import Any, ClassVar, Final, TypeVar

import aiosqlite
import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
import msgspec

from ..actors._slot import Slot, current_backend, wait_finished
from ..actors._wake import Waker
from ..actors import Actor, ActorRef, ActorStopped, Supervisor
from ._base import (
    BaseCheckpointSaver,
    ListQuery,
    SaverStatistics,
    refuse_in_event_loop,
    run_blocking,
    running_event_loop,
)
from ._errors import CheckpointStoreError, DatabaseLockedError, PersistenceError
from ._records import CheckpointTuple, ThreadKey, thread_key
from ._rows import Decoder, Encoded, Op, PutOp, metadata_matches
from ._schema import BUSY_TIMEOUT, Page, Store, is_locked
from ._serde import Serializer

T = TypeVar("T")

DEFAULT_MAX_BATCH: Final = 256
"""Jobs the writer stores in one transaction at most."""

DEFAULT_QUEUE_SIZE: Final = 1024
"""Jobs that may wait for the writer before callers block."""

_PAGE: Final = 64


# -- how SQL reaches the database thread -----------------------------------------------------------


class _Driver:
    """Runs ``fn(connection, *args)`` on the database's thread."""

    owned: bool

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        raise NotImplementedError

    async def aclose(self) -> None:
        raise NotImplementedError


class _ThreadDriver(_Driver):
    """A stdlib connection, used by one thread at a time (a lock), from worker threads."""

    def __init__(self, conn: sqlite3.Connection, *, owned: bool) -> None:
        self.conn = conn
        self.owned = owned
        self._lock = threading.Lock()

    def call_sync(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            try:
                return fn(self.conn, *args)
            except sqlite3.ProgrammingError as exc:
                raise _programming_error(exc) from exc

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(self.call_sync, fn, *args)

    async def aclose(self) -> None:
        await anyio.to_thread.run_sync(self.call_sync, lambda conn: conn.close())


class _InlineDriver(_ThreadDriver):
    """A stdlib connection used directly on the event loop's thread: no thread hop per call,
    but each call blocks the loop while SQLite works (see ``SqliteSaver.from_conn_string``).
    Its WAL is fsynced aside by a :class:`_WalSyncer` as the database thread's is (started by
    :meth:`sync_aside`, stopped and joined by :meth:`aclose`)."""

    syncer: _WalSyncer | None = None

    def call_sync(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return super().call_sync(fn, *args)
        finally:
            syncer = self.syncer
            if syncer is not None:
                syncer.after_call()

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return self.call_sync(fn, *args)

    def sync_aside(self) -> None:
        """Hand the WAL's fsyncs to a :class:`_WalSyncer` (the file is ours, in WAL mode)."""
        if self.syncer is None and self.owned:
            wal = _wal_of(self.conn)
            if wal is not None:
                self.syncer = _WalSyncer(wal, "actorgraph-sqlite inline wal-sync")

    async def aclose(self) -> None:
        syncer, self.syncer = self.syncer, None
        try:
            if syncer is not None:
                syncer.stop()
        finally:
            self.call_sync(lambda conn: conn.close())


class _AiosqliteDriver(_Driver):
    """An aiosqlite connection: ``fn`` runs on aiosqlite's own thread (asyncio only)."""

    def __init__(self, conn: aiosqlite.Connection, *, owned: bool) -> None:
        self.conn = conn
        self.owned = owned

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        if running_event_loop() != "asyncio":
            raise CheckpointStoreError(
                "an aiosqlite connection only works on asyncio; on trio use "
                "SqliteSaver.from_conn_string(path) or a sqlite3 connection"
            )
        conn = self.conn
        try:
            raw = conn._conn
        except ValueError as exc:
            raise CheckpointStoreError(f"the aiosqlite connection is closed: {exc}") from exc
        # Any: aiosqlite has no public "run this function on your thread"; _execute is the
        # primitive its own methods use, and it turns a whole step into one thread hop.
        execute: Any = conn._execute
        result: T = await execute(fn, raw, *args)
        return result

    async def aclose(self) -> None:
        await self.conn.close()


class _Call:
    """One function handed to a :class:`_DbThread`, and the task waiting for it."""

    __slots__ = ("fn", "args", "result", "error", "finished", "slot", "waker")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], slot: Slot | None,
                 waker: Waker[_Call] | None = None) -> None:
        self.fn = fn
        self.args = args
        self.result: Any = None
        self.error: BaseException | None = None
        self.finished = False
        self.slot = slot
        self.waker = waker  # (a polled one: the caller reads its fd in turn, see Waker.wait)

    def done(self) -> None:
        """The thread ran it (called on the event loop's thread)."""
        self.finished = True
        slot = self.slot
        if slot is not None and not slot.done():
            slot.set_result(None)

    async def wait(self) -> None:
        """Return once the thread has run it, whatever happens: a cancelled caller waits for
        the outcome (shielded), then the cancellation propagates."""
        assert self.slot is not None
        await wait_finished(self, None if self.waker is None else self.waker.wait)


class _WalSyncer:
    """Keeps the fsync of the WAL off the writer's path.

    With ``synchronous=NORMAL`` a commit only appends to the WAL; every 1000 pages, the commit
    that crosses the mark also checkpoints: it fsyncs the whole WAL (megabytes that piled up in
    the page cache), copies it into the database file and fsyncs that. On a VM disk this
    stalls that one commit for tens of milliseconds, ~60 µs a step averaged over a sequential
    run with durability ``"sync"``. This thread fsyncs the WAL file every :attr:`NUDGE` calls
    of the writer, alongside its commits, so that little is left to sync when the checkpoint
    comes. It only calls ``fsync`` on a descriptor of the file: no SQLite lock, no connection,
    nothing that another connection's checkpoint could wait for; the data written, the
    checkpoints and what a crash keeps stay exactly as SQLite makes them. Owned by the writer
    thread, which starts it and stops and joins it before closing its connection.
    """

    NUDGE: Final = 16

    def __init__(self, wal: str, name: str) -> None:
        self._wal = wal
        self._wanted = threading.Event()
        self._stopping = False
        self._calls = 0
        self.syncs = 0
        self.thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        fd: int | None = None
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                if self._stopping:
                    return
                try:
                    if fd is not None and os.fstat(fd).st_nlink == 0:  # deleted: a new WAL file
                        os.close(fd)
                        fd = None
                    if fd is None:
                        fd = os.open(self._wal, os.O_RDONLY)
                    os.fsync(fd)
                except OSError:  # no WAL file (yet): at the next nudge
                    continue
                self.syncs += 1
        finally:
            if fd is not None:
                os.close(fd)

    def after_call(self) -> None:
        """On the writer thread, after it answered a call."""
        self._calls += 1
        if self._calls % self.NUDGE == 0:
            self._wanted.set()

    def stop(self) -> None:
        """On the writer thread: stop this thread (after its fsync in progress) and join it."""
        self._stopping = True
        self._wanted.set()
        self.thread.join()


class _DbThread(_Driver):
    """A dedicated thread that owns one stdlib connection and runs every call on it.

    A call is a hand-off through a ``SimpleQueue`` (one wake-up of this thread) and one wake-up
    of the event loop when it is done (an eventfd, else ``loop.call_soon_threadsafe`` or the
    trio token's ``run_sync_soon``: see ``__init__``): a step's whole
    commit costs one round trip, with no worker-thread pool, limiter or future in between. Started by ``SqliteSaver.__aenter__``
    in the event loop that will use it, stopped and joined by :meth:`aclose`.
    """

    def __init__(self, conn: sqlite3.Connection | None, *, owned: bool, name: str) -> None:
        self.conn = conn
        self.owned = owned
        self._queue: queue.SimpleQueue[_Call] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._closing = False
        self._stop_fn = self._stop  # the one bound method the thread recognises as its last call
        self.syncer: _WalSyncer | None = None
        self._new_slot = current_backend().new_slot
        # How the thread wakes the event loop when a call is done (see actors._wake): on
        # asyncio, where the OS has eventfd (Linux), the thread writes to one and a reader
        # registered once drains the finished calls (~15 µs a round trip against ~23 through
        # call_soon_threadsafe); on trio the callers read it in turn (Waker.wait).
        self._waker: Waker[_Call] = Waker(_Call.done, polled=True)
        self._polled = self._waker if self._waker.polled else None
        try:
            self._thread.start()
        except BaseException:
            self._waker.close()
            raise

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def _serve(self) -> None:
        get, stop = self._queue.get, self._stop_fn
        notify = self._waker.notify
        while True:
            call = get()
            try:
                call.result = call.fn(self.conn, *call.args)
            except sqlite3.ProgrammingError as exc:
                call.error = _programming_error(exc)
            except BaseException as exc:  # handed to the caller: this thread must not die
                call.error = exc
            try:
                notify(call)
            except BaseException:  # the event loop is gone: nobody waits any more
                pass
            if call.fn is stop:
                return
            syncer = self.syncer
            if syncer is not None:
                syncer.after_call()

    def connect(self, _conn: None, path: str, busy_timeout: float) -> None:
        """Open the connection (on the thread, as its first call)."""
        self.conn = _connect(path, busy_timeout)

    def sync_aside(self, conn: sqlite3.Connection) -> bool:
        """Hand the WAL's fsyncs to a :class:`_WalSyncer` (a database file of ours in WAL mode)."""
        if self.syncer is not None or not self.owned:
            return False
        wal = _wal_of(conn)
        if wal is None:
            return False
        self.syncer = _WalSyncer(wal, f"{self._thread.name} wal-sync")
        return True

    def _stop(self, conn: sqlite3.Connection | None) -> None:
        """The thread's last call: stop the syncer, close the connection if it is ours."""
        syncer, self.syncer = self.syncer, None
        try:
            if syncer is not None:
                syncer.stop()
        finally:
            if self.owned and conn is not None:
                conn.close()

    def submit(self, fn: Callable[..., Any], *args: Any) -> _Call:
        """Hand ``fn(connection, *args)`` to the thread; await ``.wait()`` of the result."""
        if self._closing:
            raise CheckpointStoreError("the saver is closed (its database thread has stopped)")
        call = _Call(fn, args, self._new_slot(), self._polled)
        self._queue.put(call)
        return call

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        call = self.submit(fn, *args)
        await call.wait()
        if call.error is not None:
            raise call.error
        result: T = call.result
        return result

    async def aclose(self) -> None:
        """Close the connection if it is ours, stop the thread and join it (after the calls
        already handed to it)."""
        if self._closing:
            return
        self._closing = True
        call = _Call(self._stop_fn, (), self._new_slot(), self._polled)
        self._queue.put(call)
        try:
            await call.wait()
        finally:
            self._thread.join()  # it returns right after answering that last call
            await self._waker.aclose()
        if call.error is not None:
            raise call.error


def _programming_error(exc: sqlite3.ProgrammingError) -> CheckpointStoreError:
    return CheckpointStoreError(
        f"cannot use the SQLite connection: {exc} (a connection handed to "
        "SqliteSaver must be opened with check_same_thread=False)"
    )


def _wal_of(conn: sqlite3.Connection) -> str | None:
    """The WAL file of a connection's database in WAL mode (None otherwise)."""
    if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        return None
    file = conn.execute("PRAGMA database_list").fetchone()[2]  # the path SQLite resolved
    return f"{file}-wal" if file else None


def _connect(path: str, busy_timeout: float) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=busy_timeout, check_same_thread=False, isolation_level=None)


# -- the writer actor --------------------------------------------------------------------------------


class _Job:
    """Ops to commit together, and the caller waiting for the outcome.

    The slot the caller parks on is made only if it waits before the outcome is known: a job
    committed in its caller's task (see ``BatchingSaver._acommit``) never needs one.
    """

    __slots__ = ("ops", "encoded", "error", "finished", "_slot")

    def __init__(self, ops: Sequence[Op]) -> None:
        self.ops = ops
        self.encoded: Encoded | None = None  # (its rows, made as it is submitted)
        self.error: BaseException | None = None
        self.finished = False
        self._slot: Slot | None = None

    def finish(self, error: BaseException | None = None) -> None:
        self.error = error
        self.finished = True
        slot = self._slot
        if slot is not None and not slot.done():
            slot.set_result(None)

    async def wait(self) -> None:
        if not self.finished:
            slot = self._slot
            if slot is None:
                slot = self._slot = current_backend().new_slot()  # cheaper than an anyio.Event
            await slot
        if self.error is not None:
            raise self.error


class _Flush(msgspec.Struct, frozen=True):
    """Store whatever is pending now (sent when the saver closes)."""


class _Writer(Actor):
    """The checkpoint writer: batches queued jobs into one transaction."""

    def __init__(self, saver: BatchingSaver) -> None:
        self.saver = saver
        self.ref: ActorRef | None = None
        self.pending: list[_Job] = []
        self.busy = False

    async def handle(self, message: Any) -> None:
        if isinstance(message, _Job):
            self.pending.append(message)
            ref = self.ref
            if (ref is not None and len(self.pending) < self.saver.max_batch
                    and ref.mailbox_depth > 0):
                return  # more is queued behind this job: take it into the same transaction
        jobs, self.pending = self.pending, []
        if jobs:
            self.busy = True
            try:
                await self.saver._commit_jobs(jobs)
            except BaseException as exc:  # a bug or a cancellation: never leave a caller hanging
                for job in jobs:
                    if not job.finished:
                        self.saver._abandon(job, exc if isinstance(exc, Exception) else
                                            CheckpointStoreError("the checkpoint writer stopped"))
                raise
            finally:
                self.busy = False

    async def on_stop(self) -> None:
        jobs, self.pending = self.pending, []
        for job in jobs:
            self.saver._abandon(job, CheckpointStoreError("the saver closed before this write was stored"))


# -- the saver ------------------------------------------------------------------------------------------


class BatchingSaver(BaseCheckpointSaver):
    """What SqliteSaver and PostgresSaver share: while open (``async with``) their writes go
    through a checkpoint writer actor that batches concurrent jobs into one transaction (a lone
    job commits from its caller's task); a job continuing a checkpoint that failed to commit
    fails too; reads come as pages of rows (:class:`~._schema.Page`) decoded here.

    A subclass provides ``_driver_here`` (raises unless usable here), ``_ensure_ready``,
    ``_commit_jobs`` (store jobs in one transaction, report each outcome to its job),
    ``_read_tuple``, ``_read_page`` and ``_source`` (the store's name, for messages).
    """

    _blocks_a_loop: ClassVar[bool] = False
    """True for LangGraph's sync SQLite saver (``actorgraph.checkpoint.sqlite``): opened with ``with``, its sync
    methods work in an event loop's thread too, blocking it (on a helper thread) as LangGraph's
    do; the others refuse there (use ``async with`` and the async methods)."""

    @staticmethod
    def _metadata_filter(metadata: Mapping[str, Any], filter: Mapping[str, Any]) -> bool:
        """Whether a checkpoint's metadata passes ``list(filter=...)``: equality per key, as
        LangGraph's SQLite saver (PostgresSaver overrides it with JSONB containment)."""
        return metadata_matches(metadata, filter)

    def __init__(self, *, serde: Serializer | None, deltas: bool, max_batch: int, queue_size: int) -> None:
        super().__init__(serde=serde, deltas=deltas, intern=True)
        if max_batch < 1 or queue_size < 1:
            raise ValueError("max_batch and queue_size must be at least 1")
        self.max_batch = max_batch
        self.queue_size = queue_size
        self._supervisor: Supervisor | None = None
        self._writer: ActorRef | None = None
        self._failed: dict[str, BaseException] = {}  # checkpoint id -> why it was not stored
        self._writer_actor: _Writer | None = None
        self._direct = 0  # commits running in their callers' tasks (see _acommit)
        self._open = False
        self._home: int | None = None  # the thread of the event loop it was opened in
        self._token: Any = None  # Any: anyio's EventLoopToken, opaque

    # -- what a subclass provides -------------------------------------------------------------

    @property
    def _source(self) -> str:
        raise NotImplementedError

    def _driver_here(self) -> object:
        raise NotImplementedError

    async def _ensure_ready(self) -> None:
        raise NotImplementedError

    async def _commit_jobs(self, jobs: Sequence[_Job]) -> None:
        raise NotImplementedError

    async def _read_tuple(self, key: ThreadKey) -> Page | None:
        raise NotImplementedError

    async def _read_page(self, thread: str | None, ns: str | None, checkpoint_id: str | None, before: str | None,
                         after: tuple[str, str, str] | None, size: int) -> Page:
        raise NotImplementedError

    async def _release(self) -> None:
        """Give back what ``__aenter__`` opened (connections, threads)."""
        raise NotImplementedError

    # -- the writer -----------------------------------------------------------------------------

    async def _start_writer(self, name: str) -> None:
        """Start the writer actor under a supervisor of its own (stopped again if that fails)."""
        supervisor = Supervisor(name=name)
        await supervisor.__aenter__()
        self._supervisor = supervisor
        try:
            writer = self._writer_actor = _Writer(self)
            self._writer = writer.ref = await supervisor.spawn(
                writer, name="checkpoint-writer", mailbox_size=self.queue_size
            )
        except BaseException:
            await self._close_writer(None, None, None)
            raise
        self._home = threading.get_ident()
        self._token = anyio.lowlevel.current_token()
        self._open = True

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._open = False
        try:
            await self._close_writer(exc_type, exc, tb)
        finally:
            self._home = self._token = None
            await self._release()

    def _abroad(self) -> bool:
        """Called from another thread than the one of the event loop the saver was opened in
        (``async with``): e.g. by a graph run with the sync API (``sub.invoke()``) inside a sync
        node, on an event loop of the node's worker thread."""
        home = self._home
        return home is not None and threading.get_ident() != home

    async def _at_home(self, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        """``await fn(*args)`` in the event loop the saver was opened in, from an event loop on
        another thread (see :meth:`_abroad`): the saver's connection, writer and caches are
        only used from there. A worker thread of the calling loop waits for the result, so
        that loop goes on meanwhile."""
        token = self._token
        if token is None:  # closed since
            raise CheckpointStoreError(f"{type(self).__name__} is closed")

        def there() -> T:
            try:
                return anyio.from_thread.run(fn, *args, token=token)
            except anyio.RunFinishedError:
                raise CheckpointStoreError(
                    f"the event loop {type(self).__name__} was opened in has finished") from None

        result: T = await anyio.to_thread.run_sync(there)
        return result

    def _run_in_loop(self, method: str, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> tuple[bool, Any]:
        """A sync twin's call: refused inside an event loop; run in the loop the saver was
        opened in (``(True, result)``) when it was opened with ``async with``, else
        ``(False, None)`` (the subclass runs it its own way)."""
        if self._token is not None or not self._blocks_a_loop:
            refuse_in_event_loop(type(self).__name__, method)
        if self._token is not None:
            return True, anyio.from_thread.run(fn, *args, token=self._token)
        self._driver_here()  # raises if not open
        return False, None

    async def _close_writer(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        writer, supervisor = self._writer, self._supervisor
        self._writer = self._supervisor = None
        self._writer_actor = None
        try:
            if writer is not None and not writer.stopped:
                with anyio.CancelScope(shield=True):
                    try:
                        await writer.ask(_Flush(), timeout=math.inf)
                    except ActorStopped:
                        pass
                    await writer.stop()
        finally:
            if supervisor is not None:
                await supervisor.__aexit__(exc_type, exc, tb)

    async def _asubmit(self, ops: Sequence[Op]) -> Callable[[], Awaitable[None]]:
        if self._abroad():  # committed at once, in the saver's own loop
            await self._at_home(self._acommit, ops)
            return _done
        self._driver_here()
        writer = self._writer
        if writer is None:
            return await super()._asubmit(ops)
        job = self._prepare(ops)
        try:
            await writer.tell(job)  # waits while the writer's bounded queue is full
        except ActorStopped:
            self._abandon(job, CheckpointStoreError("the saver is closed"))
            raise CheckpointStoreError("the saver is closed") from None
        except BaseException:  # (cancelled while the queue was full: never submitted)
            self._abandon(job, CheckpointStoreError("not submitted"))
            raise
        return job.wait

    async def _acommit(self, ops: Sequence[Op]) -> None:
        if self._abroad():
            return await self._at_home(self._acommit, ops)
        self._driver_here()
        job = self._prepare(ops)
        writer = self._writer
        if writer is not None and self._writer_idle():
            # Nothing to batch with: commit from the caller's task and save the writer's two
            # task switches. (Under load jobs queue up and the writer batches them.)
            self._direct += 1
            try:
                await self._commit_jobs([job])
            finally:
                self._direct -= 1
        elif writer is not None:
            try:
                await writer.tell(job)
            except ActorStopped:
                self._abandon(job, CheckpointStoreError("the saver is closed"))
                raise CheckpointStoreError("the saver is closed") from None
            except BaseException:
                self._abandon(job, CheckpointStoreError("not submitted"))
                raise
        else:
            await self._ensure_ready()
            await self._commit_jobs([job])
        await job.wait()

    def _writer_idle(self) -> bool:
        actor = self._writer_actor
        return (self._direct == 0 and actor is not None and not actor.pending and not actor.busy
                and self._writer is not None and self._writer.mailbox_depth == 0)

    def _orphaned(self, job: _Job) -> BaseException | None:
        """A job writing against a checkpoint that failed to commit fails too (so a queue of
        submitted steps never leaves a chain with a missing link)."""
        for op in job.ops:
            parent = op.key.checkpoint_id
            if parent is not None and parent in self._failed:
                return CheckpointStoreError(
                    f"not stored: it continues checkpoint {parent!r}, which failed to commit "
                    f"({self._failed[parent]!r})"
                )
        return None

    def _prepare(self, ops: Sequence[Op]) -> _Job:
        """A job of ``ops``, encoded now: what it stores is the values as they are when it is
        submitted, not when the writer gets to it (a run goes on meanwhile and may change a
        message in place). An encoding error is raised here, to the caller."""
        job = _Job(ops)
        try:
            job.encoded = self._encoder.encode_queued(ops)
        except Exception:
            self._count(failed_jobs=1)
            raise
        return job

    def _abandon(self, job: _Job, error: BaseException) -> None:
        """``job`` will not be stored (the writer stopped, the saver closed): its caller is told."""
        if job.encoded is not None:
            self._encoder.settle(job.encoded, stored=False)
        job.finish(error)

    def _fail(self, job: _Job, error: BaseException) -> None:
        if job.encoded is not None:
            self._encoder.settle(job.encoded, stored=False)
        self._count(failed_jobs=1)
        for op in job.ops:
            if isinstance(op, PutOp):
                self._failed[op.checkpoint.id] = error
        while len(self._failed) > 1024:
            del self._failed[next(iter(self._failed))]
        job.finish(error)

    def _encode_jobs(self, jobs: Sequence[_Job], again: bool = False) -> list[tuple[_Job, Encoded]]:
        """The rows of ``jobs`` to store together (made as each was submitted; ``again``: made
        anew, full values where a delta's base went missing); a job that continues a failed
        checkpoint, or whose values cannot be encoded, fails here, alone."""
        batch: list[tuple[_Job, Encoded]] = []
        for job in jobs:
            orphan = self._orphaned(job)
            if orphan is not None:
                self._fail(job, orphan)
                continue
            if again or job.encoded is None:
                if job.encoded is not None:
                    self._encoder.settle(job.encoded, stored=False)
                    job.encoded = None
                try:
                    job.encoded = self._encoder.encode_queued(job.ops)
                except Exception as exc:
                    self._fail(job, exc)
                    continue
            batch.append((job, job.encoded))
        return batch

    def _stored(self, batch: list[tuple[_Job, Encoded]]) -> None:
        """``batch`` is committed: remember its chains, count it, tell its callers."""
        for _, encoded in batch:
            self._encoder.settle(encoded, stored=True)
        self._committed(len(batch), sum(len(enc.checkpoints) for _, enc in batch))
        for job, _ in batch:
            job.finish()

    async def aget_tuple(self, config: Mapping[str, Any]) -> CheckpointTuple | None:
        if self._abroad():
            return await self._at_home(self.aget_tuple, config)
        key = thread_key(config)
        page = await self._read_tuple(key)
        if page is None:
            return None
        row = page.rows[0]
        writes = page.writes.get((row.thread_id, row.ns, row.checkpoint_id), [])
        saved = Decoder(self.serde, page.blobs, page.chunks, source=self._source).checkpoint_tuple(row, writes)
        self._encoder.adopt(row.thread_id, row.ns, saved.checkpoint)
        return saved

    async def _alist(self, query: ListQuery) -> AsyncIterator[CheckpointTuple]:
        if self._abroad():  # the whole selection, read in the saver's own loop
            for found in await self._at_home(self._list_at_home, query):
                yield found
            return
        thread, ns, cid, upper = query.scope()
        filter = query.filter
        remaining = query.limit
        after: tuple[str, str, str] | None = None
        while remaining is None or remaining > 0:
            size = _PAGE if filter or remaining is None else min(remaining, _PAGE)
            page = await self._read_page(thread, ns, cid, upper, after, size)
            decoder = Decoder(self.serde, page.blobs, page.chunks, source=self._source)
            for row in page.rows:
                if filter and not self._metadata_filter(decoder.metadata(row), filter):
                    continue
                writes = page.writes.get((row.thread_id, row.ns, row.checkpoint_id), [])
                yield decoder.checkpoint_tuple(row, writes)
                if remaining is not None:
                    remaining -= 1
                    if remaining <= 0:
                        return
            if len(page.rows) < size:
                return
            last = page.rows[-1]
            after = (last.checkpoint_id, last.thread_id, last.ns)


    async def _list_at_home(self, query: ListQuery) -> list[CheckpointTuple]:
        return [found async for found in self._alist(query)]


async def _done() -> None:
    pass


class SqliteSaver(BatchingSaver):
    """Checkpoints in a SQLite file; see the module docs for the ways to open one.

    WAL journal, ``synchronous=NORMAL``. The file carries a ``schema_version`` table; a file
    with other tables or a newer schema raises :class:`CheckpointStoreError`, and so does a
    stored row that cannot be decoded (the message names the file, thread, checkpoint and
    channel). ``max_batch`` caps jobs per transaction, ``queue_size`` the writer's mailbox.

    Several processes may open one file, a new one too: a lock another connection holds is
    waited for up to ``busy_timeout`` seconds (opening retries for as long), then
    :class:`DatabaseLockedError` names the file.
    """

    def __init__(
        self,
        conn: aiosqlite.Connection | sqlite3.Connection | None = None,
        *,
        serde: Serializer | None = None,
        deltas: bool = True,
        max_batch: int = DEFAULT_MAX_BATCH,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        busy_timeout: float = BUSY_TIMEOUT,
    ) -> None:
        super().__init__(serde=serde, deltas=deltas, max_batch=max_batch, queue_size=queue_size)
        if not busy_timeout >= 0:
            raise ValueError(f"busy_timeout must be a number of seconds >= 0, not {busy_timeout!r}")
        self.busy_timeout = busy_timeout
        self._path: str | None = None
        self._driver: _Driver | None = None
        if isinstance(conn, sqlite3.Connection):
            self._driver = _ThreadDriver(conn, owned=False)
        elif isinstance(conn, aiosqlite.Connection):
            self._driver = _AiosqliteDriver(conn, owned=False)
        elif conn is not None:
            raise TypeError(f"SqliteSaver needs an aiosqlite or sqlite3 connection, not {conn!r}")
        self._store = Store("the checkpoint database", busy_timeout=busy_timeout)
        self._ready = False
        self._inline = False
        self._lent: _ThreadDriver | None = None  # a connection handed in, while _DbThread serves it

    @classmethod
    def from_conn_string(
        cls,
        conn_string: str,
        *,
        serde: Serializer | None = None,
        deltas: bool = True,
        max_batch: int = DEFAULT_MAX_BATCH,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        inline: bool = False,
        busy_timeout: float = BUSY_TIMEOUT,
    ) -> SqliteSaver:
        """A saver on the database file ``conn_string``; open it with ``async with`` or ``with``.

        By default SQL runs off the event loop, on the saver's own database thread: one
        hand-off per step's write, the event loop free meanwhile. ``inline=True`` runs it on
        the event loop's own thread instead: no hand-off (a WAL commit with
        ``synchronous=NORMAL`` takes tens of microseconds), but every statement blocks the
        loop while it runs — right for a local file and small steps, wrong for a network disk
        or big reads. What the hand-off costs is the machine's: two thread wake-ups, a few
        microseconds when the threads share a CPU, 80–100 µs per step on a VM whose idle vCPUs
        halt at once (measured with ``durability="sync"``, the one mode that waits for it; under
        ``"async"`` it overlaps the next step).

        ``busy_timeout``: seconds to wait for a lock another connection (another process)
        holds on the file before :class:`DatabaseLockedError`.
        """
        saver = cls(serde=serde, deltas=deltas, max_batch=max_batch, queue_size=queue_size,
                    busy_timeout=busy_timeout)
        saver._inline = inline
        saver._path = conn_string
        saver._store = Store(f"SQLite file {conn_string!r}", busy_timeout=busy_timeout)
        return saver

    @property
    def path(self) -> str | None:
        """The database file of :meth:`from_conn_string` (None for a saver on a connection)."""
        return self._path

    def __repr__(self) -> str:
        where = self._path if self._path is not None else "connection"
        return f"SqliteSaver({where!r}, {'open' if self._open or self._driver else 'closed'})"

    # -- lifetime ---------------------------------------------------------------------------------

    async def __aenter__(self) -> SqliteSaver:
        if self._open:
            raise RuntimeError("this SqliteSaver is already open")
        driver = self._driver
        if driver is None:
            if self._path is None:
                raise CheckpointStoreError("this SqliteSaver has no connection")
            try:
                if self._inline:
                    driver = _InlineDriver(_connect(self._path, self.busy_timeout), owned=True)
                else:
                    driver = _DbThread(None, owned=True, name=f"actorgraph-sqlite {self._path}")
                    try:
                        await driver.call(driver.connect, self._path, self.busy_timeout)
                    except BaseException:
                        await driver.aclose()
                        raise
            except sqlite3.Error as exc:
                raise _store_error(exc, self._store, "open") from exc
            self._driver = driver
        elif type(driver) is _ThreadDriver:
            # a connection handed in: served by a thread of its own while the saver is open
            self._lent = driver
            self._driver = _DbThread(driver.conn, owned=False, name="actorgraph-sqlite connection")
        try:
            await self._ensure_ready()
            if isinstance(self._driver, _DbThread):
                await self._driver.call(self._driver.sync_aside)
            elif isinstance(self._driver, _InlineDriver):
                self._driver.sync_aside()
            await self._start_writer("sqlite-saver")
        except BaseException:
            await self._release()
            raise
        return self

    async def _release(self) -> None:
        """Stop and join the database thread; close the connection if it is ours."""
        driver, lent = self._driver, self._lent
        if lent is not None:  # a connection handed in goes back to worker-thread use
            self._driver, self._lent = lent, None
        elif driver is not None and driver.owned:
            self._driver = None
            self._ready = False
        else:
            return
        assert driver is not None
        with anyio.CancelScope(shield=True):
            await driver.aclose()

    def __enter__(self) -> SqliteSaver:
        if not self._blocks_a_loop and running_event_loop() is not None:
            raise RuntimeError("use `async with SqliteSaver.from_conn_string(...)` inside an event loop")
        if self._open or self._driver is not None:
            raise RuntimeError("this SqliteSaver is already open (or wraps a connection)")
        if self._path is None:
            raise CheckpointStoreError("this SqliteSaver has no connection")
        try:
            driver = _ThreadDriver(_connect(self._path, self.busy_timeout), owned=True)
        except sqlite3.Error as exc:
            raise _store_error(exc, self._store, "open") from exc
        try:
            driver.call_sync(self._store.setup)
        except sqlite3.Error as exc:
            driver.conn.close()
            raise _store_error(exc, self._store) from exc
        except BaseException:
            driver.conn.close()
            raise
        self._driver = driver
        self._ready = True
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        driver = self._driver
        self._driver = None
        self._ready = False
        if isinstance(driver, _ThreadDriver) and driver.owned:
            driver.call_sync(lambda conn: conn.close())

    async def setup(self) -> None:
        """Check and migrate the schema now (otherwise done on first use)."""
        self._driver_here()
        self._ready = False
        await self._ensure_ready()

    async def _ensure_ready(self) -> None:
        if not self._ready:
            try:
                await self._driver_here().call(self._store.setup)
            except sqlite3.Error as exc:
                raise _store_error(exc, self._store) from exc
            self._ready = True

    def _driver_here(self) -> _Driver:
        driver = self._driver
        if driver is None:
            raise CheckpointStoreError(
                "this SqliteSaver is not open: use `async with SqliteSaver.from_conn_string(path) "
                "as saver:` (or `with` in sync code)"
            )
        if self._home is not None and threading.get_ident() != self._home:
            raise CheckpointStoreError(
                "this SqliteSaver was opened with `async with` in an event loop on another "
                "thread; use it from there (its sync methods may be called from any thread)"
            )
        return driver

    # -- writing ------------------------------------------------------------------------------------

    async def _commit_jobs(self, jobs: Sequence[_Job]) -> None:
        """Encode and store ``jobs`` in one transaction; report each job's outcome to it."""
        batch = self._encode_jobs(jobs)
        if not batch:
            return
        # The callers learn the outcome whatever happens: a cancellation that arrives while the
        # database works is raised once the outcome is recorded.
        error: BaseException | None = None
        cancelled: BaseException | None = None
        driver = self._driver
        if driver is None:
            error = CheckpointStoreError("the saver closed before this write was stored")
        elif isinstance(driver, _DbThread):
            try:
                call = driver.submit(self._store.write, [enc for _, enc in batch])
            except Exception as exc:
                error = exc
            else:
                try:
                    await call.wait()  # one hand-off: the thread wakes this task once, when done
                except BaseException as exc:  # a cancellation: the call has finished all the same
                    cancelled = exc
                error = call.error
        elif isinstance(driver, _InlineDriver):  # on this thread, nothing awaited: no shield needed
            try:
                driver.call_sync(self._store.write, [enc for _, enc in batch])
            except Exception as exc:
                error = exc
        else:
            with anyio.CancelScope(shield=True):
                try:
                    await driver.call(self._store.write, [enc for _, enc in batch])
                except Exception as exc:
                    error = exc
        if error is not None:
            if len(batch) > 1 and cancelled is None:  # find the job that broke the batch
                for job, _ in batch:
                    await self._commit_jobs([job])
                return
            error = _store_error(error, self._store)
            for job, _ in batch:
                self._fail(job, error)
            if cancelled is not None:
                raise cancelled
            return
        self._stored(batch)
        if cancelled is not None:
            raise cancelled

    # -- reading ------------------------------------------------------------------------------------

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        if self._abroad():
            return await self._at_home(self._read, fn, *args)
        driver = self._driver_here()
        await self._ensure_ready()
        try:
            result = await driver.call(fn, *args)
        except sqlite3.Error as exc:
            raise _store_error(exc, self._store, "read" if fn.__name__.startswith("read") else "update") from exc
        self._count(reads=1)
        return result

    @property
    def _source(self) -> str:
        return self._store.name

    async def _read_tuple(self, key: ThreadKey) -> Page | None:
        page: Page | None = await self._read(self._store.read_tuple, key)
        return page

    async def _read_page(self, thread: str | None, ns: str | None, checkpoint_id: str | None, before: str | None,
                         after: tuple[str, str, str] | None, size: int) -> Page:
        page: Page = await self._read(self._store.read_page, thread, ns, checkpoint_id, before, after, size)
        return page

    async def amax_version(self, config: Mapping[str, Any]) -> int:
        top: int = await self._read(self._store.read_max_version, thread_key(config))
        return top

    # -- housekeeping ---------------------------------------------------------------------------------

    async def adelete_thread(self, thread_id: str) -> None:
        thread_id = str(thread_id)
        await self._read(self._store.delete_thread, thread_id)
        self._encoder.forget(thread_id)

    async def _aprune(self, thread_id: str, keep_last: int | None, older_than: float | None) -> int:
        removed: int = await self._read(self._store.prune, thread_id, keep_last, older_than)
        return removed

    def statistics(self) -> SaverStatistics:
        """Counters; ``stored_bytes`` is as of the last :meth:`astored_bytes` call."""
        self._stats["queries"] = self._store.queries
        return super().statistics()

    async def astored_bytes(self) -> int:
        """Bytes of the database's used pages (the file may hold free pages and a WAL too)."""
        used: int = await self._read(self._store.used_bytes)
        self._stats["stored_bytes"] = used
        return used

    # -- sync twins -------------------------------------------------------------------------------------

    def _run_sync(self, method: str, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        done, result = self._run_in_loop(method, fn, *args)
        if done:
            return result  # type: ignore[no-any-return]  # T: what fn returned
        if isinstance(self._driver, _AiosqliteDriver):
            raise CheckpointStoreError(
                "this saver wraps an aiosqlite connection, which only works inside its asyncio "
                "event loop: use the async methods there"
            )
        return run_blocking(fn, *args)  # (in an event loop's thread: on a helper thread)


def _store_error(exc: BaseException, store: Store, doing: str = "write to") -> BaseException:
    """What to raise for ``exc``: SQLite's errors become :class:`CheckpointStoreError` naming the
    file (a lock held past the busy timeout: :class:`DatabaseLockedError`)."""
    if isinstance(exc, (PersistenceError, anyio.get_cancelled_exc_class())):
        return exc
    if is_locked(exc):
        return DatabaseLockedError(store.name, store.busy_timeout, f"cannot {doing} it: {exc}")
    if isinstance(exc, sqlite3.Error):
        return CheckpointStoreError(f"cannot {doing} {store.name}: {exc}")
    return exc
