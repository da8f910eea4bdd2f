"""``PostgresStore``: a :class:`~._store.BaseStore` in one table of a PostgreSQL schema.

The same drivers as :class:`~._postgres.PostgresSaver`: psycopg's async API on an
``AsyncConnectionPool`` on asyncio, its sync API on worker threads over a ``ConnectionPool``
on trio and in sync code. Setup is versioned (``schema_version`` row ``component = 'store'``),
idempotent, and serialised across processes by an advisory lock.

Semantics are :class:`SqliteStore`'s: search order is insertion order (replacing keeps the
place), a replacing ``put`` keeps ``created_at``; filters and the ranking of semantic search
(``index=...``; vectors stored beside the value, cosine similarity computed in Python) are
the base class's, so results match the other stores exactly. (pgvector is not used.) Time to
live as in SQLite (see :class:`~._store.BaseStore`): schema version 2 adds columns
``expires_at timestamptz`` and ``ttl_minutes double precision`` (fractional minutes are kept;
LangGraph's Postgres store truncates them to whole minutes when refreshing).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Final, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel
import msgspec
import psycopg_pool

from ._base import refuse_in_event_loop, running_event_loop
from ._errors import PersistenceError
from ._postgres import (
    DEFAULT_POOL_SIZE,
    AnyPool,
    _AsyncDriver,
    _Driver,
    _open_pool,
    _reraise,
    _ThreadDriver,
    close_sync,
    driver_for,
    open_sync,
)
from ._postgres_sql import LOCK_CLASS, Ops, Q, quote_ident
from ._store import BaseStore, Item, Namespace, Record, Vector, expiry, now

__all__ = ["PostgresStore"]

T = TypeVar("T")

COMPONENT: Final = "store"

_SEARCH_ORDER: Final = "updated_at DESC, seq"
"""The order of ``search`` without a query, LangGraph's PostgresStore's: the items updated last
first."""
LATEST: Final = 2

_decode_value = msgspec.json.Decoder(dict[str, Any])
_decode_vectors = msgspec.json.Decoder(list[list[float]])


def _ns_text(namespace: Namespace) -> str:
    return ".".join(namespace)


def _record(row: tuple[Any, ...]) -> Record:
    prefix, key, value, vectors, created_at, updated_at, expires_at = row
    item = Item(value=_decode_value.decode(value), key=key, namespace=tuple(prefix.split(".")),
                created_at=created_at, updated_at=updated_at)
    return Record(item, _decode_vectors.decode(vectors) if vectors else [], expires_at)


class PostgresStore(BaseStore):
    """A :class:`BaseStore` in table ``store_items`` of a PostgreSQL schema.

    Open with ``async with PostgresStore.from_conn_string(url) as store`` (or ``with``), or
    wrap an open pool: ``PostgresStore(pool)`` (then ``await store.setup()`` once, or let the
    first call do it). ``schema=`` picks the PostgreSQL schema (created if missing). Database
    errors raise :class:`PersistenceError` naming the schema.

    ``ttl=``: a :class:`~._store.TTLConfig`, as LangGraph's ``PostgresStore`` (``put(...,
    ttl=minutes)``, refresh on read, ``omit_expired``, ``sweep_ttl()``, ``start_ttl_sweeper()``;
    closing the store stops and joins the sweeper thread).
    """

    supports_ttl = True

    def __init__(self, pool: AnyPool | None = None, *, index: Mapping[str, Any] | None = None,
                 schema: str = "public", ttl: Mapping[str, Any] | None = None) -> None:
        super().__init__(index=index, ttl=ttl)
        self.schema = schema
        self._table = f"{quote_ident(schema)}.store_items"
        self._name = f"PostgreSQL schema {schema!r}"
        self._driver: _Driver | None = None
        if pool is not None:
            self._driver = driver_for(pool, "PostgresStore")
        self._conninfo: str | None = None
        self._max_size = DEFAULT_POOL_SIZE
        self._ready = False
        self._token: Any = None
        self._home: int | None = None

    @classmethod
    def from_conn_string(cls, conn_string: str, *, index: Mapping[str, Any] | None = None,
                         schema: str = "public", max_size: int = DEFAULT_POOL_SIZE,
                         ttl: Mapping[str, Any] | None = None) -> PostgresStore:
        """A store on the database ``conn_string`` with a pool of its own; open it with
        ``async with`` or ``with``."""
        store = cls(index=index, schema=schema, ttl=ttl)
        store._conninfo = conn_string
        store._max_size = max_size
        return store

    def __repr__(self) -> str:
        return f"PostgresStore(schema={self.schema!r}, {'open' if self._driver is not None else 'closed'})"

    # -- lifetime -------------------------------------------------------------------------------

    async def __aenter__(self) -> PostgresStore:
        if self._token is not None:
            raise RuntimeError("this PostgresStore is already open")
        if self._driver is None:
            if self._conninfo is None:
                raise PersistenceError("this PostgresStore has no pool")
            self._driver = await _open_pool(self._conninfo, self._max_size, self._name)
        try:
            await self.setup()
        except BaseException:
            await self._release()
            raise
        self._token = anyio.lowlevel.current_token()
        self._home = threading.get_ident()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.astop_ttl_sweeper()  # (before the token goes: a sweep may be calling in)
        self._token = self._home = None
        await self._release()

    async def _release(self) -> None:
        driver = self._driver
        if driver is not None and driver.owned:
            self._driver = None
            self._ready = False
            with anyio.CancelScope(shield=True):
                await driver.aclose()

    def __enter__(self) -> PostgresStore:
        if running_event_loop() is not None:
            raise RuntimeError("use `async with PostgresStore.from_conn_string(...)` inside an event loop")
        if self._driver is not None or self._conninfo is None:
            raise RuntimeError("this PostgresStore is already open, wraps a pool, or has no conn string")
        self._driver = open_sync(self._conninfo, self._max_size, 30.0, self._setup(), self._name)
        self._ready = True
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop_ttl_sweeper()
        driver, self._driver = self._driver, None
        self._ready = False
        close_sync(driver)

    async def setup(self) -> None:
        """Create the table if missing (idempotent; safe when several processes run it)."""
        self._ready = False
        await self._call(self._setup())
        self._ready = True

    def _setup(self) -> Ops[None]:
        yield Q("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (LOCK_CLASS, f"setup\x1f{self.schema}"))
        yield Q(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(self.schema)}")
        version_table = f"{quote_ident(self.schema)}.schema_version"
        yield Q(f"CREATE TABLE IF NOT EXISTS {version_table} (component text PRIMARY KEY, version integer NOT NULL)")
        rows = yield Q(f"SELECT version FROM {version_table} WHERE component = %s", (COMPONENT,))
        current = rows[0][0] if rows else 0
        if current > LATEST:
            raise PersistenceError(f"{self._name}: its store was written by a newer actorgraph (store schema "
                                   f"version {current}; this version reads up to {LATEST}): upgrade actorgraph")
        if current < 1:
            yield Q(f"""CREATE TABLE IF NOT EXISTS {self._table} (
                seq bigserial PRIMARY KEY,
                prefix text COLLATE "C" NOT NULL,
                key text COLLATE "C" NOT NULL,
                value text NOT NULL,
                vectors text,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                UNIQUE (prefix, key))""")
        if current < 2:
            yield Q(f"ALTER TABLE {self._table} ADD COLUMN IF NOT EXISTS expires_at timestamptz, "
                    "ADD COLUMN IF NOT EXISTS ttl_minutes double precision")
            yield Q(f"CREATE INDEX IF NOT EXISTS store_items_expires_at ON {self._table} (expires_at) "
                    "WHERE expires_at IS NOT NULL")
        if current < LATEST:
            yield Q(f"INSERT INTO {version_table} (component, version) VALUES (%s, %s) "
                    "ON CONFLICT (component) DO UPDATE SET version = excluded.version", (COMPONENT, LATEST))

    # -- SQL ------------------------------------------------------------------------------------

    async def _call(self, ops: Ops[T]) -> T:
        driver = self._driver
        if driver is None:
            raise RuntimeError("this PostgresStore is not open: use `async with PostgresStore.from_conn_string(...)`")
        if self._home is not None and threading.get_ident() != self._home:
            raise PersistenceError("this PostgresStore was opened with `async with` in an event loop on "
                                   "another thread; use it from there (its sync methods work from any thread)")
        try:
            return await driver.run(ops)
        except Exception as exc:
            if isinstance(exc, PersistenceError):
                raise
            _reraise(exc, self._name, "use the store in")

    async def _ready_call(self, ops: Ops[T]) -> T:
        if not self._ready:
            await self.setup()
        return await self._call(ops)

    _COLS: Final = "prefix, key, value, vectors, created_at, updated_at"
    _READ: Final = "prefix, key, value, vectors, created_at, updated_at, expires_at"

    async def _load(self, namespace: Namespace, key: str) -> Record | None:
        def read() -> Ops[Any]:
            rows = yield Q(f"SELECT {self._READ} FROM {self._table} WHERE prefix = %s AND key = %s",
                           (_ns_text(namespace), key))
            return rows[0] if rows else None

        row = await self._ready_call(read())
        return _record(row) if row is not None else None

    async def _store(self, namespace: Namespace, key: str, value: dict[str, Any], vectors: list[Vector],
                     ttl: float | None) -> None:
        data = msgspec.json.encode(value).decode()
        vec = msgspec.json.encode(vectors).decode() if vectors else None
        stamp = now()
        expires_at = expiry(ttl, stamp)

        def write() -> Ops[None]:
            yield Q(f"INSERT INTO {self._table} ({self._COLS}, expires_at, ttl_minutes) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (prefix, key) DO UPDATE SET value = excluded.value, vectors = excluded.vectors, "
                    "updated_at = excluded.updated_at, expires_at = excluded.expires_at, "
                    "ttl_minutes = excluded.ttl_minutes",
                    (_ns_text(namespace), key, data, vec, stamp, stamp, expires_at, ttl))

        await self._ready_call(write())

    async def _refresh(self, keys: list[tuple[Namespace, str]]) -> None:
        stamp = now()

        def refresh() -> Ops[None]:
            for namespace, key in keys:
                yield Q(f"UPDATE {self._table} SET expires_at = %s + ttl_minutes * interval '1 minute' "
                        "WHERE prefix = %s AND key = %s AND ttl_minutes IS NOT NULL",
                        (stamp, _ns_text(namespace), key))

        await self._ready_call(refresh())

    async def _sweep(self) -> int:
        stamp = now()

        def sweep() -> Ops[int]:
            rows: list[Any] = yield Q(f"DELETE FROM {self._table} WHERE expires_at IS NOT NULL AND expires_at <= %s "
                                      "RETURNING 1", (stamp,))
            return len(rows)

        return await self._ready_call(sweep())

    async def _remove(self, namespace: Namespace, key: str) -> None:
        def delete() -> Ops[None]:
            yield Q(f"DELETE FROM {self._table} WHERE prefix = %s AND key = %s", (_ns_text(namespace), key))

        await self._ready_call(delete())

    async def _records(self, prefix: Namespace) -> list[Record]:
        text = _ns_text(prefix)

        def read() -> Ops[list[Any]]:
            sql = f"SELECT {self._READ} FROM {self._table}"
            if not prefix:
                rows: list[Any] = yield Q(f"{sql} ORDER BY {_SEARCH_ORDER}")
            else:
                rows = yield Q(f"{sql} WHERE prefix = %s OR starts_with(prefix, %s) ORDER BY {_SEARCH_ORDER}",
                               (text, text + "."))
            return rows

        return [_record(row) for row in await self._ready_call(read())]

    async def _namespaces(self, live_at: datetime | None) -> list[Namespace]:
        def read() -> Ops[list[Any]]:
            if live_at is None:
                rows: list[Any] = yield Q(f"SELECT DISTINCT prefix FROM {self._table}")
            else:
                rows = yield Q(f"SELECT DISTINCT prefix FROM {self._table} WHERE expires_at IS NULL "
                               "OR expires_at > %s", (live_at,))
            return rows

        return [tuple(row[0].split(".")) for row in await self._ready_call(read())]

    # -- sync twins -------------------------------------------------------------------------------

    def _run_sync(self, method: str, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        refuse_in_event_loop("PostgresStore", method)
        if self._token is not None:
            result: T = anyio.from_thread.run(fn, *args, token=self._token)
            return result
        if isinstance(self._driver, _AsyncDriver):
            raise PersistenceError("this store wraps an AsyncConnectionPool, which only works inside its "
                                   "asyncio event loop: use the async methods there")
        return anyio.run(fn, *args)
