"""``PostgresSaver``: checkpoints in PostgreSQL (psycopg 3 + psycopg_pool), on asyncio and trio.

Several worker processes (or machines) may share one database: any of them may continue any
thread. A run continues a thread only if the checkpoint it continues is still the thread's
newest, checked in the commit's own transaction under an advisory lock on the thread (see
:mod:`._postgres_sql`): two workers never fork a thread; the loser gets
:class:`CheckpointConflictError` and nothing of its step is stored.

**How SQL runs.** Each operation (a step's commit, a read, a page of history, a prune) is one
transaction on one connection taken from a pool, its statements sent in pipelines. On asyncio
the saver uses psycopg's async API on an ``AsyncConnectionPool``; on trio (where psycopg's
async API does not run) and for sync code, the same SQL runs with the sync API on a worker
thread (``anyio.to_thread``, joined: a cancelled caller waits for the statement it started)
over a ``ConnectionPool``. Commits are shielded from cancellation: a step whose commit started
is either stored or failed when the cancellation propagates. ``alist`` reads a page per
transaction and holds no connection, lock or transaction while it yields.

Ways to open one:

* ``async with PostgresSaver.from_conn_string(url) as saver:`` — its own pool (async on
  asyncio, sync on trio), closed on exit; the schema is set up on entry.
* ``with PostgresSaver.from_conn_string(url) as saver:`` — for sync code: a sync pool; the
  sync twins (``put``, ``get_tuple``, ``list``...) and the async methods (from any loop) work.
* ``PostgresSaver(pool)`` with an open ``psycopg_pool.ConnectionPool`` (any loop, sync code)
  or ``AsyncConnectionPool`` (asyncio only); the pool stays the caller's. Call
  ``await saver.setup()`` once (or let the first use do it).
* ``PostgresSaver(conn)`` with one open ``psycopg.Connection`` (or ``AsyncConnection``, asyncio
  only), as LangGraph's saver takes it: used as a pool of one (an operation holds it while it
  runs), left open. Its ``autocommit`` and ``row_factory`` settings do not matter.

``schema=`` puts the tables in that PostgreSQL schema (created if missing; default
``public``). Sync twins refuse to run inside an event loop; when the saver was opened with
``async with`` in a loop on another thread, they run there.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from types import TracebackType
from typing import Any, Final, NoReturn, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
import psycopg
import psycopg_pool
from psycopg.rows import tuple_row

from ._base import SaverStatistics, running_event_loop
from ._errors import CheckpointStoreError, PersistenceError
from ._postgres_sql import MissingBaseError, Ops, PgSql, Q, Step
from ._records import ThreadKey, thread_key
from ._rows import metadata_contains
from ._schema import Page
from ._serde import Serializer
from ._sqlite import DEFAULT_MAX_BATCH, DEFAULT_QUEUE_SIZE, BatchingSaver, _Job

__all__ = ["PostgresSaver"]

T = TypeVar("T")

_PAGE: Final = 64
DEFAULT_POOL_SIZE: Final = 10
"""Connections an own pool opens at most (``from_conn_string(max_size=...)``)."""

AnyPool = (psycopg_pool.ConnectionPool[Any] | psycopg_pool.AsyncConnectionPool[Any] | psycopg.Connection[Any]
           | psycopg.AsyncConnection[Any])
"""What ``PostgresSaver(...)``/``PostgresStore(...)`` take: a pool, or one connection (see :func:`driver_for`)."""


# -- drivers: how an operation's statements reach the server ------------------------------------------


# (rows as tuples whatever the connection's row_factory: a connection handed in may have dict_row)
def _exec_sync(conn: psycopg.Connection[Any], step: Step) -> Any:
    if isinstance(step, Q):
        cur = conn.cursor(row_factory=tuple_row).execute(step.sql, step.params)
        return cur.fetchall() if cur.description is not None else cur.rowcount
    with conn.pipeline():
        curs = [conn.cursor(row_factory=tuple_row).execute(q.sql, q.params) for q in step]
    return [c.fetchall() if c.description is not None else c.rowcount for c in curs]


async def _exec_async(conn: psycopg.AsyncConnection[Any], step: Step) -> Any:
    if isinstance(step, Q):
        cur = await conn.cursor(row_factory=tuple_row).execute(step.sql, step.params)
        return await cur.fetchall() if cur.description is not None else cur.rowcount
    async with conn.pipeline():
        curs = [await conn.cursor(row_factory=tuple_row).execute(q.sql, q.params) for q in step]
    return [await c.fetchall() if c.description is not None else c.rowcount for c in curs]


_BEGIN: Final = Q("BEGIN")


def _opening(step: Step, manual: bool) -> Step:
    """The first step of a transaction: on an autocommit connection ``BEGIN`` goes in the same
    pipeline (no round trip of its own); otherwise psycopg opens the transaction itself."""
    if not manual:
        return step
    return [_BEGIN, *(step if isinstance(step, list) else [step])]


def _opened(step: Step, result: Any, manual: bool) -> Any:
    """The result of ``step`` out of the result of its :func:`_opening` form."""
    if not manual:
        return result
    return result[1] if isinstance(step, Q) else result[1:]


def run_in_transaction(conn: psycopg.Connection[Any], ops: Ops[T]) -> T:
    """Run ``ops`` in one transaction of ``conn`` (sync API): committed if it returns, rolled
    back if it (or a statement) raises."""
    manual = conn.autocommit
    try:
        step = next(ops)
    except StopIteration as done:
        nothing: T = done.value
        return nothing
    try:
        result = _opened(step, _exec_sync(conn, _opening(step, manual)), manual)
        while True:
            step = ops.send(result)
            result = _exec_sync(conn, step)
    except StopIteration as done:
        conn.execute("COMMIT") if manual else conn.commit()
        value: T = done.value
        return value
    except BaseException:
        if not conn.closed:
            try:
                conn.execute("ROLLBACK") if manual else conn.rollback()
            except psycopg.Error:
                pass  # a broken connection: the pool discards it
        raise


async def arun_in_transaction(conn: psycopg.AsyncConnection[Any], ops: Ops[T]) -> T:
    """Run ``ops`` in one transaction of ``conn`` (async API); see :func:`run_in_transaction`."""
    manual = conn.autocommit
    try:
        step = next(ops)
    except StopIteration as done:
        nothing: T = done.value
        return nothing
    try:
        result = _opened(step, await _exec_async(conn, _opening(step, manual)), manual)
        while True:
            step = ops.send(result)
            result = await _exec_async(conn, step)
    except StopIteration as done:
        await (conn.execute("COMMIT") if manual else conn.commit())
        value: T = done.value
        return value
    except BaseException:
        if not conn.closed:
            with anyio.CancelScope(shield=True):
                try:
                    await (conn.execute("ROLLBACK") if manual else conn.rollback())
                except psycopg.Error:
                    pass  # a broken connection: the pool discards it
        raise


class _OneConnection:
    """One sync ``psycopg.Connection`` handed in, served as a pool of one: an operation holds it
    (a lock) while it runs; it stays the caller's (never closed here)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self._lock = threading.Lock()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        with self._lock:
            yield self.conn

    def close(self) -> None:
        pass


class _OneAsyncConnection:
    """One ``psycopg.AsyncConnection`` handed in (asyncio), served as a pool of one."""

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self.conn = conn
        self._lock = anyio.Lock()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        async with self._lock:
            yield self.conn

    async def close(self) -> None:
        pass


_Pool = (psycopg_pool.ConnectionPool[Any] | psycopg_pool.AsyncConnectionPool[Any] | _OneConnection
         | _OneAsyncConnection)


class _Driver:
    """Runs an operation in one transaction on a pooled connection."""

    pool: _Pool

    def __init__(self, pool: _Pool, *, owned: bool) -> None:
        self.pool = pool
        self.owned = owned

    async def run(self, ops: Ops[T]) -> T:
        raise NotImplementedError

    async def aclose(self) -> None:
        raise NotImplementedError


class _ThreadDriver(_Driver):
    """A sync ``ConnectionPool`` (or one connection); each operation on a worker thread (any event loop)."""

    pool: psycopg_pool.ConnectionPool[Any] | _OneConnection

    def run_sync(self, ops: Ops[T]) -> T:
        with self.pool.connection() as conn:
            return run_in_transaction(conn, ops)

    async def run(self, ops: Ops[T]) -> T:
        return await anyio.to_thread.run_sync(self.run_sync, ops)

    async def aclose(self) -> None:
        await anyio.to_thread.run_sync(self.pool.close)


class _AsyncDriver(_Driver):
    """An ``AsyncConnectionPool`` (or one connection): psycopg's async API (asyncio only)."""

    pool: psycopg_pool.AsyncConnectionPool[Any] | _OneAsyncConnection

    async def run(self, ops: Ops[T]) -> T:
        if running_event_loop() != "asyncio":
            raise CheckpointStoreError(
                "an AsyncConnectionPool only works on asyncio; on trio use "
                "PostgresSaver.from_conn_string(url) or a psycopg_pool.ConnectionPool")
        async with self.pool.connection() as conn:
            return await arun_in_transaction(conn, ops)

    async def aclose(self) -> None:
        await self.pool.close()


def driver_for(pool: Any, who: str) -> _Driver:
    """The driver of a pool or connection handed to ``who`` (the caller's: never closed here);
    ``TypeError`` naming ``who`` for anything else."""
    if isinstance(pool, psycopg_pool.AsyncConnectionPool):
        return _AsyncDriver(pool, owned=False)
    if isinstance(pool, psycopg_pool.ConnectionPool):
        return _ThreadDriver(pool, owned=False)
    if isinstance(pool, psycopg.AsyncConnection):
        return _AsyncDriver(_OneAsyncConnection(pool), owned=False)
    if isinstance(pool, psycopg.Connection):
        return _ThreadDriver(_OneConnection(pool), owned=False)
    raise TypeError(f"{who} needs a psycopg_pool ConnectionPool or AsyncConnectionPool, or a psycopg "
                    f"Connection or AsyncConnection, not {pool!r}")


def open_sync(conninfo: str, max_size: int, timeout: float, setup: Ops[None], name: str) -> _ThreadDriver:
    """An own sync pool (for ``with``), opened and set up with ``setup``; closed if that fails."""
    pool: psycopg_pool.ConnectionPool[Any] = psycopg_pool.ConnectionPool(conninfo, **pool_kwargs(max_size, timeout))
    driver = _ThreadDriver(pool, owned=True)
    try:
        pool.open(wait=True, timeout=timeout)
        driver.run_sync(setup)
    except BaseException as exc:
        pool.close()
        _reraise(exc, name, "open")
    return driver


def close_sync(driver: _Driver | None) -> None:
    """Close ``driver``'s pool if it is an own sync one (what ``__exit__`` opened)."""
    if isinstance(driver, _ThreadDriver) and driver.owned:
        driver.pool.close()


def pool_kwargs(max_size: int, timeout: float = 30.0) -> dict[str, Any]:
    """Arguments of the pools a ``from_conn_string`` opens."""
    return {"min_size": min(2, max_size), "max_size": max_size, "open": False, "timeout": timeout,
            "kwargs": {"autocommit": True}, "name": "actorgraph-postgres"}


# -- the saver ------------------------------------------------------------------------------------


class PostgresSaver(BatchingSaver):
    """Checkpoints in PostgreSQL; see the module docs for the ways to open one.

    The same contract and storage model as :class:`SqliteSaver` (delta-encoded list channels,
    interned long strings, pending writes, prune, time travel, ``expect_head`` fencing): only
    where the rows live differs. The schema carries a ``schema_version`` table; one with other
    actorgraph-like tables but no version, or a newer version, raises
    :class:`CheckpointStoreError`, and so does a stored row that cannot be decoded (naming the
    schema, thread, checkpoint and channel). Database errors surface as
    :class:`CheckpointStoreError` naming the schema.
    """

    @staticmethod
    def _metadata_filter(metadata: Mapping[str, Any], filter: Mapping[str, Any]) -> bool:
        """JSONB containment, as LangGraph's Postgres savers query ``metadata @> filter``."""
        return metadata_contains(metadata, filter)

    def __init__(
        self,
        pool: AnyPool | None = None,
        *,
        serde: Serializer | None = None,
        deltas: bool = True,
        schema: str = "public",
        max_batch: int = DEFAULT_MAX_BATCH,
        queue_size: int = DEFAULT_QUEUE_SIZE,
    ) -> None:
        super().__init__(serde=serde, deltas=deltas, max_batch=max_batch, queue_size=queue_size)
        self._sql = PgSql(schema)
        self._driver: _Driver | None = None
        if pool is not None:
            self._driver = driver_for(pool, "PostgresSaver")
        self._conninfo: str | None = None
        self._max_size = DEFAULT_POOL_SIZE
        self._timeout = 30.0
        self._ready = False
        self._setup_lock: anyio.Lock | None = None

    @classmethod
    def from_conn_string(
        cls,
        conn_string: str,
        *,
        serde: Serializer | None = None,
        deltas: bool = True,
        schema: str = "public",
        max_size: int = DEFAULT_POOL_SIZE,
        timeout: float = 30.0,
        max_batch: int = DEFAULT_MAX_BATCH,
        queue_size: int = DEFAULT_QUEUE_SIZE,
    ) -> PostgresSaver:
        """A saver on the database ``conn_string`` (a libpq URL or key=value string) with a pool
        of its own of at most ``max_size`` connections; open it with ``async with`` or ``with``.
        ``timeout``: seconds to wait for the server when opening, and for a free connection."""
        if max_size < 1:
            raise ValueError(f"max_size must be at least 1, not {max_size!r}")
        if not timeout > 0:
            raise ValueError(f"timeout must be a number of seconds > 0, not {timeout!r}")
        saver = cls(serde=serde, deltas=deltas, schema=schema, max_batch=max_batch, queue_size=queue_size)
        saver._conninfo = conn_string
        saver._max_size = max_size
        saver._timeout = timeout
        return saver

    @property
    def schema(self) -> str:
        """The PostgreSQL schema holding the tables."""
        return self._sql.schema

    def __repr__(self) -> str:
        state = "open" if self._open or self._driver is not None else "closed"
        return f"PostgresSaver(schema={self.schema!r}, {state})"

    # -- lifetime ---------------------------------------------------------------------------

    async def __aenter__(self) -> PostgresSaver:
        if self._open:
            raise RuntimeError("this PostgresSaver is already open")
        if self._driver is None:
            if self._conninfo is None:
                raise CheckpointStoreError("this PostgresSaver has no pool")
            self._driver = await _open_pool(self._conninfo, self._max_size, self._sql.name, self._timeout)
        try:
            await self._ensure_ready()
            await self._start_writer("postgres-saver")
        except BaseException:
            await self._release()
            raise
        return self

    async def _release(self) -> None:
        driver = self._driver
        if driver is not None and driver.owned:
            self._driver = None
            self._ready = False
            with anyio.CancelScope(shield=True):
                await driver.aclose()

    def __enter__(self) -> PostgresSaver:
        if running_event_loop() is not None:
            raise RuntimeError("use `async with PostgresSaver.from_conn_string(...)` inside an event loop")
        if self._open or self._driver is not None:
            raise RuntimeError("this PostgresSaver is already open (or wraps a pool)")
        if self._conninfo is None:
            raise CheckpointStoreError("this PostgresSaver has no pool")
        self._driver = open_sync(self._conninfo, self._max_size, self._timeout, self._sql.setup(), self._sql.name)
        self._ready = True
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        driver, self._driver = self._driver, None
        self._ready = False
        close_sync(driver)

    async def setup(self) -> None:
        """Create or migrate the schema now (otherwise done on first use). Idempotent, and safe
        when several workers run it at once (an advisory lock serialises them)."""
        self._ready = False
        await self._ensure_ready()

    async def _ensure_ready(self) -> None:
        if not self._ready:
            driver = self._driver_here()
            try:
                await driver.run(self._sql.setup())
            except Exception as exc:
                _reraise(exc, self._sql.name, "set up")
            self._ready = True

    def _driver_here(self) -> _Driver:
        driver = self._driver
        if driver is None:
            raise CheckpointStoreError(
                "this PostgresSaver is not open: use `async with PostgresSaver.from_conn_string(url) "
                "as saver:` (or `with` in sync code), or PostgresSaver(pool)")
        if self._home is not None and threading.get_ident() != self._home:
            raise CheckpointStoreError(
                "this PostgresSaver was opened with `async with` in an event loop on another thread; "
                "use it from there (its sync methods may be called from any thread)")
        return driver

    async def _run(self, ops: Ops[T], doing: str) -> T:
        driver = self._driver_here()
        await self._ensure_ready()
        try:
            return await driver.run(ops)
        except Exception as exc:
            _reraise(exc, self._sql.name, doing)

    # -- writing ----------------------------------------------------------------------------

    async def _commit_jobs(self, jobs: Sequence[_Job], *, retry: bool = False) -> None:
        """Encode ``jobs`` and store them in one transaction (one connection); report each job's
        outcome to it. If the transaction fails, the jobs are retried one by one, so that only
        the culprit fails; if a list delta's base was pruned meanwhile (by another process),
        they are encoded again with full values (``retry``). Shielded: a commit under way lands
        before a cancellation returns."""
        batch = self._encode_jobs(jobs, again=retry)
        if not batch:
            return
        error: BaseException | None = None
        driver = self._driver
        with anyio.CancelScope(shield=True):
            if driver is None:
                error = CheckpointStoreError("the saver closed before this write was stored")
            else:
                try:
                    await driver.run(self._sql.write([enc for _, enc in batch]))
                except MissingBaseError as exc:  # pruned by another process: store values in full
                    for thread in exc.threads:
                        self._encoder.forget(thread)
                    if not retry:
                        await self._commit_jobs([job for job, _ in batch], retry=True)
                        return
                    error = exc
                except Exception as exc:
                    error = exc
            if error is not None and len(batch) > 1:
                for job, _ in batch:
                    await self._commit_jobs([job])
                return
        if error is not None:
            if isinstance(error, psycopg.Error):
                error = CheckpointStoreError(f"cannot write to {self._sql.name}: {type(error).__name__}: {error}")
            for job, _ in batch:
                self._fail(job, error)
            return
        self._stored(batch)

    # -- reading ----------------------------------------------------------------------------

    async def _read(self, ops: Ops[T]) -> T:
        if self._abroad():  # (see BatchingSaver._at_home)
            return await self._at_home(self._read, ops)
        result = await self._run(ops, "read")
        self._count(reads=1)
        return result

    @property
    def _source(self) -> str:
        return self._sql.name

    async def _read_tuple(self, key: ThreadKey) -> Page | None:
        return await self._read(self._sql.read_tuple(key))

    async def _read_page(self, thread: str | None, ns: str | None, checkpoint_id: str | None, before: str | None,
                         after: tuple[str, str, str] | None, size: int) -> Page:
        # one transaction per page, finished before the caller yields anything
        return await self._read(self._sql.read_page(thread, ns, checkpoint_id, before, after, size))

    async def amax_version(self, config: Mapping[str, Any]) -> int:
        return await self._read(self._sql.max_version(thread_key(config)))

    # -- housekeeping -------------------------------------------------------------------------

    async def adelete_thread(self, thread_id: str) -> None:
        thread_id = str(thread_id)
        await self._run(self._sql.delete_thread(thread_id), "delete from")
        self._encoder.forget(thread_id)

    async def _aprune(self, thread_id: str, keep_last: int | None, older_than: float | None) -> int:
        return await self._run(self._sql.prune(thread_id, keep_last, older_than), "prune")

    def statistics(self) -> SaverStatistics:
        """Counters; ``stored_bytes`` is as of the last :meth:`astored_bytes` call."""
        self._stats["queries"] = self._sql.queries
        return super().statistics()

    async def astored_bytes(self) -> int:
        """Bytes of the saver's tables on the server: heap, TOAST and indexes."""
        used = await self._read(self._sql.used_bytes())
        self._stats["stored_bytes"] = used
        return used

    # -- sync twins -----------------------------------------------------------------------------

    def _run_sync(self, method: str, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        done, result = self._run_in_loop(method, fn, *args)
        if done:
            return result  # type: ignore[no-any-return]  # T: what fn returned
        if isinstance(self._driver, _AsyncDriver):
            raise CheckpointStoreError(
                "this saver wraps an AsyncConnectionPool, which only works inside its asyncio event "
                "loop: use the async methods there (or open it with `async with saver:`)")
        return anyio.run(fn, *args)


async def _open_pool(conninfo: str, max_size: int, name: str, timeout: float = 30.0) -> _Driver:
    """An own pool for the running event loop: async on asyncio, sync (threads) elsewhere."""
    driver: _Driver
    try:
        if running_event_loop() == "asyncio":
            apool: psycopg_pool.AsyncConnectionPool[Any] = psycopg_pool.AsyncConnectionPool(
                conninfo, **pool_kwargs(max_size, timeout))
            driver = _AsyncDriver(apool, owned=True)
            try:
                await apool.open(wait=True, timeout=timeout)
            except BaseException:
                with anyio.CancelScope(shield=True):
                    await apool.close()
                raise
        else:
            pool: psycopg_pool.ConnectionPool[Any] = psycopg_pool.ConnectionPool(conninfo, **pool_kwargs(max_size, timeout))
            driver = _ThreadDriver(pool, owned=True)
            try:
                await anyio.to_thread.run_sync(lambda: pool.open(wait=True, timeout=timeout))
            except BaseException:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(pool.close)
                raise
    except Exception as exc:
        _reraise(exc, name, "open")
    return driver


def _reraise(exc: BaseException, name: str, doing: str) -> NoReturn:
    """Raise what ``exc`` means: psycopg's and the pool's errors become
    :class:`CheckpointStoreError` naming the schema; anything else as it is."""
    if isinstance(exc, psycopg.Error) and not isinstance(exc, PersistenceError):
        raise CheckpointStoreError(f"cannot {doing} {name}: {type(exc).__name__}: {exc}".rstrip()) from exc
    raise exc
