"""The SQLite cache: entries in a file that outlives the process."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anyio.to_thread

from ..persistence import Serializer
from ._base import BaseCache, FullKey, Namespace

_SCHEMA = """CREATE TABLE IF NOT EXISTS cache (
    ns TEXT NOT NULL,
    key TEXT NOT NULL,
    expiry REAL,
    encoding TEXT NOT NULL,
    val BLOB NOT NULL,
    PRIMARY KEY (ns, key)
)"""


class SqliteCache(BaseCache):
    """Entries in the ``cache`` table of the SQLite file ``path`` (``":memory:"`` for a private
    in-memory database). One connection, used under a lock from whichever thread calls; the
    async methods run the query in a worker thread (waited for, never abandoned) so the event
    loop is not blocked. :meth:`close` closes the connection (also ``with SqliteCache(...)``)."""

    def __init__(self, *, path: str, serde: Serializer | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(serde=serde, clock=clock)
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        with self._lock:
            if path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(_SCHEMA)

    def __enter__(self) -> SqliteCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def get(self, keys: Sequence[FullKey]) -> dict[FullKey, Any]:
        if not keys:
            return {}
        now = self.clock()
        wanted = {(_ns(ns), key): (tuple(ns), key) for ns, key in keys}
        params: list[str] = [p for pair in wanted for p in pair]
        rows_sql = " OR ".join("(ns = ? AND key = ?)" for _ in wanted)
        out: dict[FullKey, Any] = {}
        with self._lock:
            rows = self._conn.execute(
                f"SELECT ns, key, expiry, encoding, val FROM cache WHERE {rows_sql}", params).fetchall()
            expired = [(ns, key) for ns, key, expiry, _, _ in rows if expiry is not None and now >= expiry]
            if expired:
                self._conn.executemany("DELETE FROM cache WHERE ns = ? AND key = ?", expired)
        for ns, key, expiry, tag, val in rows:
            if expiry is None or now < expiry:
                out[wanted[(ns, key)]] = self.serde.loads_typed((tag, bytes(val)))
        return out

    def set(self, pairs: Mapping[FullKey, tuple[Any, float | None]]) -> None:
        rows = [(_ns(ns), key, self._expiry(ttl), *self.serde.dumps_typed(value))
                for (ns, key), (value, ttl) in pairs.items()]
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany(
                    "INSERT OR REPLACE INTO cache (ns, key, expiry, encoding, val) VALUES (?, ?, ?, ?, ?)", rows)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def clear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        with self._lock:
            if namespaces is None:
                self._conn.execute("DELETE FROM cache")
            else:
                self._conn.executemany("DELETE FROM cache WHERE ns = ?", [(_ns(ns),) for ns in namespaces])

    async def aget(self, keys: Sequence[FullKey]) -> dict[FullKey, Any]:
        return await anyio.to_thread.run_sync(self.get, keys)

    async def aset(self, pairs: Mapping[FullKey, tuple[Any, float | None]]) -> None:
        await anyio.to_thread.run_sync(self.set, pairs)

    async def aclear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        await anyio.to_thread.run_sync(self.clear, namespaces)


def _ns(ns: Namespace) -> str:
    return ",".join(ns)
