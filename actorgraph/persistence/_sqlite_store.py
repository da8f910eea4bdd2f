"""``SqliteStore``: a :class:`~._store.BaseStore` in one table of a SQLite file.

SQL runs on the stdlib ``sqlite3`` driver, off the event loop through ``anyio.to_thread`` on
asyncio and trio alike; one lock serializes the connection (the sync twins take it too), so the
same file written on asyncio reads on trio. WAL journal, ``synchronous=NORMAL``.

Several processes may open one file, a new one too: opening waits for another connection's lock
(see :func:`~._schema.retry_locked`) and creates the table in a ``BEGIN IMMEDIATE`` transaction,
so one opener creates it and the others find it; a lock held past ``busy_timeout`` raises
:class:`DatabaseLockedError` naming the file.

Schema: the ``schema_version`` table the checkpoint saver uses (one row per component, so a
store and a saver can share one file), row ``component = 'store'``; version 1 is table
``store_items``; version 2 adds its time-to-live columns ``expires_at`` (ISO-8601 UTC text with
microseconds, NULL: never) and ``ttl_minutes`` (NULL: no ttl) and an index on ``expires_at``
(a version 1 file reads back as it was: its items never expire). Opening brings the file up to :data:`LATEST` with the statements of
:data:`MIGRATIONS`, from the stored version, in the ``BEGIN IMMEDIATE`` transaction that reads
it, so opening is idempotent and safe from several processes at once. A file written before
stores were versioned (``store_items`` but no ``'store'`` row) is checked column by column and
stamped version 1; a file from a newer actorgraph, a foreign ``store_items`` table or a corrupted
version row raises :class:`PersistenceError` naming the file.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Final, TypeVar

import aiosqlite
import anyio.to_thread
import msgspec

from ._errors import DatabaseLockedError, PersistenceError
from ._schema import BUSY_TIMEOUT, is_locked, retry_locked
from ._store import BaseStore, Item, Namespace, Record, Vector, expiry, now

__all__ = ["LATEST", "MIGRATIONS", "SqliteStore"]

T = TypeVar("T")

_TABLE = "store_items"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {_TABLE} (
    seq INTEGER PRIMARY KEY,
    prefix TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    vectors TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (prefix, key)
)
"""

COMPONENT: Final = "store"
"""The store's row in ``schema_version``."""

MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    (_SCHEMA,),  # 0 -> 1: the items table (IF NOT EXISTS: a pre-versioning file already has it)
    (  # 1 -> 2: time to live
        f"ALTER TABLE {_TABLE} ADD COLUMN expires_at TEXT",
        f"ALTER TABLE {_TABLE} ADD COLUMN ttl_minutes REAL",
        f"CREATE INDEX IF NOT EXISTS {_TABLE}_expires_at ON {_TABLE} (expires_at) WHERE expires_at IS NOT NULL",
    ),
)
"""``MIGRATIONS[v]``: the statements that bring a store schema from version ``v`` to ``v + 1``."""

LATEST: Final = len(MIGRATIONS)
"""The store schema version this code writes."""

_COLUMNS: Final = frozenset({"seq", "prefix", "key", "value", "vectors", "created_at", "updated_at"})
"""The columns of version 1 (a file written before stores were versioned has these)."""

_SEARCH_ORDER: Final = "updated_at DESC, seq"
"""The order of ``search`` without a query, LangGraph's: the items updated last first (its
SQLite store compares whole seconds, its Postgres store microseconds, as here)."""
_SELECT: Final = f"SELECT prefix, key, value, vectors, created_at, updated_at, expires_at FROM {_TABLE}"

_decode_value = msgspec.json.Decoder(dict[str, Any])
_decode_vectors = msgspec.json.Decoder(list[list[float]])


def _ns_text(namespace: Namespace) -> str:
    return ".".join(namespace)


def _ns_tuple(text: str) -> Namespace:
    return tuple(text.split("."))


def _setup(conn: sqlite3.Connection, busy_timeout: float, where: str) -> None:
    """WAL mode and the schema at :data:`LATEST`; raises SQLite's lock errors for
    :func:`retry_locked` to retry (leaving no transaction open)."""
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")  # before the mode switch
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = _stored_version(conn, where)
        if current > LATEST:
            raise PersistenceError(
                f"{where} was written by a newer actorgraph (store schema version {current}; "
                f"this version reads up to {LATEST}): upgrade actorgraph"
            )
        for version in range(current, LATEST):
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
        if current < LATEST:
            conn.execute(
                "INSERT OR REPLACE INTO schema_version (component, version) VALUES (?, ?)", (COMPONENT, LATEST)
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _stored_version(conn: sqlite3.Connection, where: str) -> int:
    """The store schema version of the file (0: none yet), creating ``schema_version`` if absent."""
    tables = {name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )}
    if "schema_version" not in tables:
        conn.execute("CREATE TABLE schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
    else:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(schema_version)")}
        if not {"component", "version"} <= columns:
            raise PersistenceError(
                f"{where} is not an actorgraph database: its schema_version table has columns {sorted(columns)}"
            )
        row = conn.execute("SELECT version FROM schema_version WHERE component = ?", (COMPONENT,)).fetchone()
        if row is not None:
            version = row[0]
            if not isinstance(version, int) or version < 1:
                raise PersistenceError(f"{where}: corrupted store schema_version entry {version!r}")
            return version
    if _TABLE in tables:  # written before stores were versioned: it must be ours
        columns = {row[1] for row in conn.execute(f"PRAGMA table_info({_TABLE})")}
        if columns != _COLUMNS:
            raise PersistenceError(
                f"{where}: table {_TABLE!r} has columns {sorted(columns)}, not an actorgraph store's "
                f"{sorted(_COLUMNS)}"
            )
    return 0


def _stamp(moment: datetime) -> str:
    """``moment`` as stored in ``expires_at``: fixed-width ISO text, so text order is time order."""
    return moment.isoformat(timespec="microseconds")


def _record(row: tuple[Any, ...]) -> Record:
    prefix, key, value, vectors, created_at, updated_at, expires_at = row
    item = Item(
        value=_decode_value.decode(value),
        key=key,
        namespace=_ns_tuple(prefix),
        created_at=created_at,
        updated_at=updated_at,
    )
    return Record(item, _decode_vectors.decode(vectors) if vectors else [],
                  datetime.fromisoformat(expires_at) if expires_at else None)


class SqliteStore(BaseStore):
    """A :class:`BaseStore` in table ``store_items`` of a SQLite file.

    Open with ``async with SqliteStore.from_conn_string(path) as store`` (or ``with``). Search
    without a query lists the items updated last first (as LangGraph's, whose SQLite store
    compares whole seconds: see docs/langgraph-compat-details.md); a replacing ``put`` keeps
    ``created_at`` and sets ``updated_at``. Vectors (for
    ``index=...``) are stored beside the value; ranking is done in Python.

    ``busy_timeout``: seconds to wait for a lock another connection (another process) holds on
    the file, opening included, before :class:`DatabaseLockedError`.

    Time to live as LangGraph's ``SqliteStore``: ``ttl=`` a :class:`~._store.TTLConfig`,
    ``put(..., ttl=minutes)``, refresh on read, ``sweep_ttl()`` and ``start_ttl_sweeper()``
    (see :class:`~._store.BaseStore`); closing the store stops and joins the sweeper thread.
    Unlike LangGraph's SQLite store, ``ttl_config["omit_expired"]`` is honoured (as its
    Postgres store does) and ``refresh_on_read`` defaults to True as documented (LangGraph's
    SQLite store refreshes only when it is set explicitly).
    """

    supports_ttl = True

    def __init__(self, conn_string: str | sqlite3.Connection | aiosqlite.Connection, *, index: Mapping[str, Any] | None = None,
                 busy_timeout: float = BUSY_TIMEOUT, ttl: Mapping[str, Any] | None = None) -> None:
        """``conn_string``: a database file (open the store with ``with``/``async with``), or, as
        LangGraph's ``SqliteStore(conn)``, an open ``sqlite3`` connection (made with
        ``check_same_thread=False``: the store runs SQL on worker threads), or, as LangGraph's
        ``AsyncSqliteStore(conn)``, an ``aiosqlite`` connection (asyncio only), which the store
        uses at once without closing it; its table is set up on first use (or by ``setup()``).
        ``ttl``: the time-to-live config (:class:`~._store.TTLConfig`)."""
        super().__init__(index=index, ttl=ttl)
        if not busy_timeout >= 0:
            raise ValueError(f"busy_timeout must be a number of seconds >= 0, not {busy_timeout!r}")
        self.busy_timeout = busy_timeout
        self._conn: sqlite3.Connection | None = None
        self._borrowed: sqlite3.Connection | None = None  # a connection handed in (not ours to close)
        self._aio: aiosqlite.Connection | None = None  # an aiosqlite one (AsyncSqliteStore(conn))
        self._lock = threading.Lock()
        self._handed_in = False  # a connection handed in: we commit the transactions its isolation_level begins
        if isinstance(conn_string, aiosqlite.Connection):
            self.path = "connection"
            self._where = "SQLite store connection"
            self._aio = conn_string
            self._ready, self._handed_in = False, True
        elif isinstance(conn_string, sqlite3.Connection):
            self.path = "connection"
            self._where = "SQLite store connection"
            self._conn = self._borrowed = conn_string
            self._ready, self._handed_in = False, True
        else:
            self.path = conn_string
            self._where = f"SQLite file {conn_string!r}"
            self._ready = True

    @classmethod
    def from_conn_string(cls, conn_string: str, *, index: Mapping[str, Any] | None = None,
                         busy_timeout: float = BUSY_TIMEOUT, ttl: Mapping[str, Any] | None = None) -> SqliteStore:
        """A store on the database file ``conn_string``; open it with ``async with`` or ``with``."""
        return cls(conn_string, index=index, busy_timeout=busy_timeout, ttl=ttl)

    def __repr__(self) -> str:
        return f"SqliteStore({self.path!r}, {'open' if self._conn is not None else 'closed'})"

    # -- lifetime -------------------------------------------------------------------------------

    def _open(self) -> None:
        if self._aio is not None:
            return
        if self._borrowed is not None:  # (a connection handed in is open already)
            self._conn = self._borrowed
            return
        with self._lock:
            if self._conn is not None:
                raise RuntimeError("this SqliteStore is already open")
            try:
                conn = sqlite3.connect(self.path, timeout=self.busy_timeout, check_same_thread=False,
                                       isolation_level=None)
                try:
                    retry_locked(functools.partial(_setup, conn, self.busy_timeout, self._where), self._where,
                                 self.busy_timeout)
                except BaseException:
                    conn.close()
                    raise
            except sqlite3.Error as exc:
                raise PersistenceError(f"cannot open store {self.path!r}: {exc}") from exc
            self._conn = conn

    def _close(self) -> None:
        if self._borrowed is not None or self._aio is not None:  # the caller closes its connection
            return
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.close()

    async def __aenter__(self) -> SqliteStore:
        await anyio.to_thread.run_sync(self._open)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.astop_ttl_sweeper()
        await anyio.to_thread.run_sync(self._close)

    def __enter__(self) -> SqliteStore:
        self._open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop_ttl_sweeper()
        self._close()

    async def setup(self) -> None:
        """Create or migrate the table now. Opening the store (``with`` / ``async with``) has done
        so already: this is LangGraph's ``setup()`` call, idempotent."""
        await self._call(lambda conn: retry_locked(functools.partial(_setup, conn, self.busy_timeout, self._where),
                                                   self._where, self.busy_timeout))

    # -- SQL ------------------------------------------------------------------------------------

    def _locked(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            if self._conn is None:
                raise RuntimeError("this SqliteStore is not open: use `async with SqliteStore.from_conn_string(...)`")
            return self._on(self._conn, fn)

    def _on(self, conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn(conn)``, the table set up first on a connection handed in; SQLite's errors as ours."""
        try:
            if not self._ready:  # a connection handed in: its table on first use
                retry_locked(functools.partial(_setup, conn, self.busy_timeout, self._where), self._where,
                             self.busy_timeout)
                self._ready = True
            result = fn(conn)
            if self._handed_in and conn.in_transaction:  # (its isolation_level began one)
                conn.commit()
            return result
        except sqlite3.Error as exc:
            if is_locked(exc):
                raise DatabaseLockedError(self._where, self.busy_timeout, str(exc)) from exc
            raise PersistenceError(f"store {self.path!r}: {exc}") from exc

    async def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._aio is not None:  # an aiosqlite connection handed in: on its thread
            from ._sqlite import _AiosqliteDriver

            return await _AiosqliteDriver(self._aio, owned=False).call(self._on, fn)
        return await anyio.to_thread.run_sync(self._locked, fn)

    async def _load(self, namespace: Namespace, key: str) -> Record | None:
        def read(conn: sqlite3.Connection) -> tuple[Any, ...] | None:
            row: tuple[Any, ...] | None = conn.execute(
                f"{_SELECT} WHERE prefix = ? AND key = ?", (_ns_text(namespace), key)
            ).fetchone()
            return row

        row = await self._call(read)
        return _record(row) if row is not None else None

    async def _store(self, namespace: Namespace, key: str, value: dict[str, Any], vectors: list[Vector],
                     ttl: float | None) -> None:
        data = msgspec.json.encode(value).decode()
        vec = msgspec.json.encode(vectors).decode() if vectors else None
        moment = now()
        stamp = moment.isoformat()
        expires = expiry(ttl, moment)
        expires_at = _stamp(expires) if expires is not None else None

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"INSERT INTO {_TABLE} (prefix, key, value, vectors, created_at, updated_at, expires_at, ttl_minutes) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (prefix, key) DO UPDATE SET value = excluded.value, vectors = excluded.vectors, "
                "updated_at = excluded.updated_at, expires_at = excluded.expires_at, "
                "ttl_minutes = excluded.ttl_minutes",
                (_ns_text(namespace), key, data, vec, stamp, stamp, expires_at, ttl),
            )

        await self._call(write)

    async def _refresh(self, keys: list[tuple[Namespace, str]]) -> None:
        moment = now()

        def refresh(conn: sqlite3.Connection) -> None:
            for namespace, key in keys:
                row = conn.execute(f"SELECT ttl_minutes FROM {_TABLE} WHERE prefix = ? AND key = ?",
                                   (_ns_text(namespace), key)).fetchone()
                if row is not None and row[0] is not None:
                    expires = expiry(float(row[0]), moment)
                    conn.execute(f"UPDATE {_TABLE} SET expires_at = ? WHERE prefix = ? AND key = ?",
                                 (_stamp(expires) if expires else None, _ns_text(namespace), key))

        await self._call(refresh)

    async def _sweep(self) -> int:
        cutoff = _stamp(now())

        def sweep(conn: sqlite3.Connection) -> int:
            return conn.execute(f"DELETE FROM {_TABLE} WHERE expires_at IS NOT NULL AND expires_at <= ?",
                                (cutoff,)).rowcount

        return await self._call(sweep)

    async def _remove(self, namespace: Namespace, key: str) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            conn.execute(f"DELETE FROM {_TABLE} WHERE prefix = ? AND key = ?", (_ns_text(namespace), key))

        await self._call(delete)

    async def _records(self, prefix: Namespace) -> list[Record]:
        text = _ns_text(prefix)

        def read(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            if not prefix:
                return conn.execute(f"{_SELECT} ORDER BY {_SEARCH_ORDER}").fetchall()
            below = text + "."
            return conn.execute(
                f"{_SELECT} WHERE prefix = ? OR substr(prefix, 1, ?) = ? ORDER BY {_SEARCH_ORDER}",
                (text, len(below), below)
            ).fetchall()

        return [_record(row) for row in await self._call(read)]

    async def _namespaces(self, live_at: datetime | None) -> list[Namespace]:
        def read(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            if live_at is None:
                return conn.execute(f"SELECT DISTINCT prefix FROM {_TABLE}").fetchall()
            return conn.execute(f"SELECT DISTINCT prefix FROM {_TABLE} WHERE expires_at IS NULL OR expires_at > ?",
                                (_stamp(live_at),)).fetchall()

        return [_ns_tuple(row[0]) for row in await self._call(read)]
