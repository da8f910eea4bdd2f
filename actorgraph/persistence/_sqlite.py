"""``SqliteSaver``: checkpoints in a SQLite file, on asyncio (aiosqlite) and trio (a thread).

Writes go through one **checkpoint writer actor** per open saver. Callers hand it jobs (a put,
a task's writes, or a whole step) and wait; the writer takes every job already queued behind
the one in hand, encodes them, and stores them in **one** transaction — one call into the
database thread — then answers each caller. Under load, many runs' steps share a commit; a
lone run pays one thread hop per step. The writer's mailbox is bounded, so a flood of writers
waits (backpressure) instead of queueing without limit. A job whose values cannot be encoded
fails alone; if a batch's transaction fails, its jobs are retried one by one so only the
culprit fails.

Ways to open one:

* ``async with SqliteSaver.from_conn_string(path) as saver:`` — own connection (aiosqlite on
  asyncio, the stdlib ``sqlite3`` on one worker thread on trio), writer actor, closed on exit.
* ``with SqliteSaver.from_conn_string(path) as saver:`` — for sync code (``graph.invoke``):
  own ``sqlite3`` connection used from worker threads, each write its own transaction; the
  async methods work from any event loop, the sync twins from any thread without a loop.
* ``SqliteSaver(conn)`` with an existing ``aiosqlite.Connection`` (asyncio) or ``sqlite3``
  connection opened with ``check_same_thread=False``: usable at once (each write its own
  transaction), and ``async with saver:`` adds the writer actor; the connection stays open.

Sync twins (``put``, ``get_tuple``, ``list``, ...) refuse to run inside an event loop. When
the saver was opened with ``async with`` in a loop on another thread, they run there.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from types import TracebackType
from typing import Any, Final, TypeVar

import aiosqlite
import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
import msgspec

from ..actors._slot import current_backend
from ..actors import Actor, ActorRef, ActorStopped, Supervisor
from ._base import (
    BaseCheckpointSaver,
    ListQuery,
    SaverStatistics,
    refuse_in_event_loop,
    running_event_loop,
)
from ._errors import CheckpointStoreError, DatabaseLockedError, PersistenceError
from ._records import CheckpointTuple, thread_key
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
        # Set while the saver is open in one event loop: at most one worker thread at a time
        # then serves this database (callers queue in the loop, not in threads on the lock).
        self.limiter: anyio.CapacityLimiter | None = None

    def call_sync(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            try:
                return fn(self.conn, *args)
            except sqlite3.ProgrammingError as exc:
                raise CheckpointStoreError(
                    f"cannot use the SQLite connection: {exc} (a connection handed to "
                    "SqliteSaver must be opened with check_same_thread=False)"
                ) from exc

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(self.call_sync, fn, *args, limiter=self.limiter)

    async def aclose(self) -> None:
        await anyio.to_thread.run_sync(self.call_sync, lambda conn: conn.close(), limiter=self.limiter)


class _InlineDriver(_ThreadDriver):
    """A stdlib connection used directly on the event loop's thread: no thread hop per call,
    but each call blocks the loop while SQLite works (see ``SqliteSaver.from_conn_string``)."""

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return self.call_sync(fn, *args)

    async def aclose(self) -> None:
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


def _connect(path: str, busy_timeout: float) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=busy_timeout, check_same_thread=False, isolation_level=None)


def _probe(path: str) -> None:
    sqlite3.connect(path).close()


# -- the writer actor --------------------------------------------------------------------------------


class _Job:
    """Ops to commit together, and the caller waiting for the outcome."""

    __slots__ = ("ops", "error", "done")

    def __init__(self, ops: Sequence[Op]) -> None:
        self.ops = ops
        self.error: BaseException | None = None
        self.done = current_backend().new_slot()  # cheaper than an anyio.Event per job

    def finish(self, error: BaseException | None = None) -> None:
        self.error = error
        if not self.done.done():
            self.done.set_result(None)

    async def wait(self) -> None:
        await self.done
        if self.error is not None:
            raise self.error


class _Flush(msgspec.Struct, frozen=True):
    """Store whatever is pending now (sent when the saver closes)."""


class _Writer(Actor):
    """The checkpoint writer: batches queued jobs into one transaction."""

    def __init__(self, saver: SqliteSaver) -> None:
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
                    if not job.done.done():
                        job.finish(exc if isinstance(exc, Exception) else
                                   CheckpointStoreError("the checkpoint writer stopped"))
                raise
            finally:
                self.busy = False

    async def on_stop(self) -> None:
        jobs, self.pending = self.pending, []
        for job in jobs:
            job.finish(CheckpointStoreError("the saver closed before this write was stored"))


# -- the saver ------------------------------------------------------------------------------------------


class SqliteSaver(BaseCheckpointSaver):
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
        super().__init__(serde=serde, deltas=deltas, intern=True)
        if max_batch < 1 or queue_size < 1:
            raise ValueError("max_batch and queue_size must be at least 1")
        if not busy_timeout >= 0:
            raise ValueError(f"busy_timeout must be a number of seconds >= 0, not {busy_timeout!r}")
        self.max_batch = max_batch
        self.queue_size = queue_size
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
        self._open = False
        self._supervisor: Supervisor | None = None
        self._writer: ActorRef | None = None
        self._failed: dict[str, BaseException] = {}  # checkpoint id -> why it was not stored
        self._writer_actor: _Writer | None = None
        self._direct = 0  # commits running in their callers' tasks (see _acommit)
        self._inline = False
        self._home: int | None = None
        self._token: Any = None  # Any: anyio's EventLoopToken, opaque

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

        By default SQL runs off the event loop (aiosqlite's thread on asyncio, one worker
        thread on trio): one thread hop per step's write. ``inline=True`` runs it on the event
        loop's own thread instead: no hop (a WAL commit with ``synchronous=NORMAL`` takes tens
        of microseconds), but every statement blocks the loop while it runs — right for a local
        file and small steps, wrong for a network disk or big reads.

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
        if self._driver is None:
            if self._path is None:
                raise CheckpointStoreError("this SqliteSaver has no connection")
            try:
                if self._inline:
                    self._driver = _InlineDriver(_connect(self._path, self.busy_timeout), owned=True)
                elif running_event_loop() == "asyncio":
                    # A failed aiosqlite.connect leaves its thread reporting to a loop that may
                    # be gone: find out whether the file opens before handing it to aiosqlite.
                    await anyio.to_thread.run_sync(_probe, self._path)
                    conn = await aiosqlite.connect(self._path, timeout=self.busy_timeout, isolation_level=None)
                    self._driver = _AiosqliteDriver(conn, owned=True)
                else:
                    raw = await anyio.to_thread.run_sync(_connect, self._path, self.busy_timeout)
                    self._driver = _ThreadDriver(raw, owned=True)
            except sqlite3.Error as exc:
                raise _store_error(exc, self._store, "open") from exc
        if isinstance(self._driver, _ThreadDriver) and not isinstance(self._driver, _InlineDriver):
            self._driver.limiter = anyio.CapacityLimiter(1)
        try:
            await self._ensure_ready()
            supervisor = Supervisor(name="sqlite-saver")
            await supervisor.__aenter__()
        except BaseException:
            await self._release()
            raise
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
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._open = False
        try:
            await self._close_writer(exc_type, exc, tb)
        finally:
            self._home = self._token = None
            await self._release()

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

    async def _release(self) -> None:
        driver = self._driver
        if isinstance(driver, _ThreadDriver):
            driver.limiter = None
        if driver is not None and driver.owned:
            self._driver = None
            self._ready = False
            with anyio.CancelScope(shield=True):
                await driver.aclose()

    def __enter__(self) -> SqliteSaver:
        if running_event_loop() is not None:
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

    async def _asubmit(self, ops: Sequence[Op]) -> Callable[[], Awaitable[None]]:
        self._driver_here()
        writer = self._writer
        if writer is None:
            return await super()._asubmit(ops)
        job = _Job(ops)
        try:
            await writer.tell(job)  # waits while the writer's bounded queue is full
        except ActorStopped:
            raise CheckpointStoreError("the saver is closed") from None
        return job.wait

    async def _acommit(self, ops: Sequence[Op]) -> None:
        self._driver_here()
        job = _Job(ops)
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
                raise CheckpointStoreError("the saver is closed") from None
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

    def _fail(self, job: _Job, error: BaseException) -> None:
        self._count(failed_jobs=1)
        for op in job.ops:
            if isinstance(op, PutOp):
                self._failed[op.checkpoint.id] = error
        while len(self._failed) > 1024:
            del self._failed[next(iter(self._failed))]
        job.finish(error)

    async def _commit_jobs(self, jobs: Sequence[_Job]) -> None:
        """Encode and store ``jobs`` in one transaction; report each job's outcome to it."""
        overlay: dict[Any, Any] = {}
        batch: list[tuple[_Job, Encoded]] = []
        for job in jobs:
            orphan = self._orphaned(job)
            if orphan is not None:
                self._fail(job, orphan)
                continue
            try:
                batch.append((job, self._encoder.encode(job.ops, overlay)))
            except Exception as exc:
                self._fail(job, exc)
        if not batch:
            return
        driver = self._driver
        try:
            if driver is None:
                raise CheckpointStoreError("the saver closed before this write was stored")
            with anyio.CancelScope(shield=True):  # the callers learn the outcome, whatever happens
                await driver.call(self._store.write, [enc for _, enc in batch])
        except Exception as exc:
            if len(batch) > 1:  # find the job that broke the batch; the others still commit
                for job, _ in batch:
                    await self._commit_jobs([job])
                return
            self._fail(batch[0][0], _store_error(exc, self._store))
            return
        self._encoder.commit(overlay)
        self._committed(len(batch), sum(len(enc.checkpoints) for _, enc in batch))
        for job, _ in batch:
            job.finish()

    # -- reading ------------------------------------------------------------------------------------

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        driver = self._driver_here()
        await self._ensure_ready()
        try:
            result = await driver.call(fn, *args)
        except sqlite3.Error as exc:
            raise _store_error(exc, self._store, "read" if fn.__name__.startswith("read") else "update") from exc
        self._count(reads=1)
        return result

    async def aget_tuple(self, config: Mapping[str, Any]) -> CheckpointTuple | None:
        key = thread_key(config)
        page: Page | None = await self._read(self._store.read_tuple, key)
        if page is None:
            return None
        row = page.rows[0]
        writes = page.writes.get((row.thread_id, row.ns, row.checkpoint_id), [])
        saved = Decoder(self.serde, page.blobs, page.chunks, source=self._store.name).checkpoint_tuple(row, writes)
        self._encoder.adopt(row.thread_id, row.ns, saved.checkpoint)
        return saved

    async def amax_version(self, config: Mapping[str, Any]) -> int:
        top: int = await self._read(self._store.read_max_version, thread_key(config))
        return top

    async def _alist(self, query: ListQuery) -> AsyncIterator[CheckpointTuple]:
        thread, ns, cid, upper = query.scope()
        filter = query.filter
        remaining = query.limit
        after: tuple[str, str, str] | None = None
        while remaining is None or remaining > 0:
            size = _PAGE if filter or remaining is None else min(remaining, _PAGE)
            page: Page = await self._read(self._store.read_page, thread, ns, cid, upper, after, size)
            decoder = Decoder(self.serde, page.blobs, page.chunks, source=self._store.name)
            for row in page.rows:
                if filter and not metadata_matches(decoder.metadata(row), filter):
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
        refuse_in_event_loop("SqliteSaver", method)
        if self._token is not None:
            result: T = anyio.from_thread.run(fn, *args, token=self._token)
            return result
        if self._driver is None:
            self._driver_here()  # raises: not open
        if isinstance(self._driver, _AiosqliteDriver):
            raise CheckpointStoreError(
                "this saver wraps an aiosqlite connection, which only works inside its asyncio "
                "event loop: use the async methods there"
            )
        return anyio.run(fn, *args)


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
