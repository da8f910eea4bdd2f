"""The SQLite side of :class:`~._sqlite.SqliteSaver`: schema, migrations, and the SQL it runs.

Everything here is synchronous and runs on the database thread (aiosqlite's, or the worker
thread used on trio): one call from the event loop runs one whole function below, so a step's
write, or a page of history with its blobs and writes, costs one thread hop.

Schema, version 1 (``schema_version`` row ``component = 'checkpoints'``):

* ``checkpoints``: one row per checkpoint, key (thread_id, checkpoint_ns, checkpoint_id);
  ``channel_versions`` is plain msgpack (read here to find blobs), ``checkpoint`` and
  ``metadata`` are serializer output (possibly encrypted) with their type tags.
* ``checkpoint_blobs``: one row per (thread_id, checkpoint_ns, channel, version); ``base`` NULL
  for a full value, else the version this row's list tail extends; ``root``/``depth`` place the
  row in its delta chain (index ``checkpoint_blobs_chain`` reads a chain in one query).
* ``checkpoint_writes``: key (thread_id, checkpoint_ns, checkpoint_id, task_id, idx).

Version columns have no declared type, so ints stay ints and strings stay strings.
Migrations are lists of statements applied in order, in one transaction, from the stored
version up to :data:`LATEST`.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Final

import msgspec

from ._errors import CheckpointStoreError
from ._records import ThreadKey, Version
from ._rows import (
    BlobRow,
    CheckpointRow,
    Encoded,
    PruneRow,
    WriteRow,
    blobs_to_keep,
    checkpoints_to_prune,
    decode_versions,
)

COMPONENT: Final = "checkpoints"

MIGRATIONS: Final[Sequence[Sequence[str]]] = (
    (  # 1: checkpoints, per-version blobs with delta chains, pending writes
        """CREATE TABLE checkpoints (
            thread_id TEXT NOT NULL,
            checkpoint_ns TEXT NOT NULL DEFAULT '',
            checkpoint_id TEXT NOT NULL,
            parent_checkpoint_id TEXT,
            ts REAL NOT NULL,
            channel_versions BLOB NOT NULL,
            type TEXT NOT NULL,
            checkpoint BLOB NOT NULL,
            metadata_type TEXT NOT NULL,
            metadata BLOB NOT NULL,
            PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
        )""",
        """CREATE TABLE checkpoint_blobs (
            thread_id TEXT NOT NULL,
            checkpoint_ns TEXT NOT NULL DEFAULT '',
            channel TEXT NOT NULL,
            version NOT NULL,
            root NOT NULL,
            depth INTEGER NOT NULL,
            base,
            type TEXT NOT NULL,
            blob BLOB NOT NULL,
            PRIMARY KEY (thread_id, checkpoint_ns, channel, version)
        )""",
        """CREATE INDEX checkpoint_blobs_chain
            ON checkpoint_blobs (thread_id, checkpoint_ns, channel, root, depth)""",
        """CREATE TABLE checkpoint_writes (
            thread_id TEXT NOT NULL,
            checkpoint_ns TEXT NOT NULL DEFAULT '',
            checkpoint_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            idx INTEGER NOT NULL,
            channel TEXT NOT NULL,
            type TEXT NOT NULL,
            value BLOB NOT NULL,
            task_path TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
        )""",
    ),
)

LATEST: Final = len(MIGRATIONS)
OWN_TABLES: Final = frozenset({"checkpoints", "checkpoint_blobs", "checkpoint_writes"})

_CHECKPOINT_COLS = ("thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, ts, "
                    "channel_versions, type, checkpoint, metadata_type, metadata")
_BLOB_COLS = "thread_id, checkpoint_ns, channel, version, root, depth, base, type, blob"
_WRITE_COLS = "thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value, task_path"
_CHECKPOINT_KEY = ("thread_id", "checkpoint_ns", "checkpoint_id")
_BLOB_KEY = ("thread_id", "checkpoint_ns", "channel", "version")
_WRITE_KEY = ("thread_id", "checkpoint_ns", "checkpoint_id", "task_id", "idx")
_INSERT_CHECKPOINT = f"INSERT INTO checkpoints ({_CHECKPOINT_COLS}) VALUES ({', '.join('?' * 10)})"
_INSERT_BLOB = f"INSERT INTO checkpoint_blobs ({_BLOB_COLS}) VALUES ({', '.join('?' * 9)})"
_INSERT_WRITE = f"INSERT INTO checkpoint_writes ({_WRITE_COLS}) VALUES ({', '.join('?' * 9)})"
_CHUNK = 4000  # rows per VALUES list (at most 5 parameters each, under SQLite's 32766)

_astuple = msgspec.structs.astuple


class Page(msgspec.Struct):
    """Checkpoint rows with every blob and pending write they need."""

    rows: list[CheckpointRow]
    blobs: dict[tuple[str, str, str, Version], BlobRow]
    writes: dict[tuple[str, str, str], list[WriteRow]]


class Store:
    """The SQL of one database; ``queries`` counts the statements it ran."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.queries = 0

    # -- plumbing -------------------------------------------------------------------------------

    def _q(self, conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        self.queries += 1
        return conn.execute(sql, params)

    def _many(self, conn: sqlite3.Connection, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.queries += 1
        conn.executemany(sql, rows)

    def _begin(self, conn: sqlite3.Connection, mode: str = "") -> None:
        if conn.in_transaction:
            raise CheckpointStoreError(
                f"{self.name}: the connection has an open transaction; SqliteSaver needs its "
                "connection to itself"
            )
        conn.execute(f"BEGIN {mode}")

    # -- setup ----------------------------------------------------------------------------------

    def setup(self, conn: sqlite3.Connection) -> None:
        """Check the file is ours (or empty) and bring its schema up to :data:`LATEST`."""
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=5000")
            self._begin(conn, "IMMEDIATE")
        except sqlite3.DatabaseError as exc:
            raise CheckpointStoreError(f"{self.name} is not a usable SQLite database: {exc}") from exc
        try:
            current = self._stored_version(conn)
            if current > LATEST:
                raise CheckpointStoreError(
                    f"{self.name} was written by a newer actorgraph (checkpoint schema version "
                    f"{current}; this version reads up to {LATEST}): upgrade actorgraph"
                )
            for version in range(current, LATEST):
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
            if current < LATEST:
                conn.execute(
                    "INSERT OR REPLACE INTO schema_version (component, version) VALUES (?, ?)",
                    (COMPONENT, LATEST),
                )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _stored_version(self, conn: sqlite3.Connection) -> int:
        try:
            tables = {name for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )}
        except sqlite3.DatabaseError as exc:
            raise CheckpointStoreError(f"{self.name} is not a usable SQLite database: {exc}") from exc
        if "schema_version" not in tables:
            if tables:
                raise CheckpointStoreError(
                    f"{self.name} is not an actorgraph checkpoint database: it has tables "
                    f"{sorted(tables)} and no schema_version table"
                )
            conn.execute("CREATE TABLE schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
            return 0
        columns = {row[1] for row in conn.execute("PRAGMA table_info(schema_version)")}
        if not {"component", "version"} <= columns:
            raise CheckpointStoreError(
                f"{self.name} is not an actorgraph checkpoint database: its schema_version table "
                f"has columns {sorted(columns)}"
            )
        row = conn.execute("SELECT version FROM schema_version WHERE component = ?", (COMPONENT,)).fetchone()
        if row is None:
            clash = sorted(OWN_TABLES & tables)
            if clash:
                raise CheckpointStoreError(
                    f"{self.name}: tables {clash} exist but schema_version has no "
                    f"{COMPONENT!r} entry; this is not an actorgraph checkpoint database"
                )
            return 0
        version = row[0]
        if not isinstance(version, int) or version < 1:
            raise CheckpointStoreError(f"{self.name}: corrupted schema_version entry {version!r}")
        return version

    # -- writing ----------------------------------------------------------------------------------

    def write(self, conn: sqlite3.Connection, batch: Sequence[Encoded]) -> None:
        """Store every job of ``batch`` in one transaction, in order."""
        self._begin(conn, "IMMEDIATE")
        try:
            plain = [_astuple(w) for enc in batch for w in enc.writes if w.idx >= 0]
            special = [_astuple(w) for enc in batch for w in enc.writes if w.idx < 0]
            blobs = [_astuple(b) for enc in batch for b in enc.blobs]
            checkpoints = [_astuple(c) for enc in batch for c in enc.checkpoints]
            if plain:
                self._many(conn, _INSERT_WRITE + " ON CONFLICT DO NOTHING", plain)
            if special:
                self._many(conn, _INSERT_WRITE + _upsert(_WRITE_KEY, _WRITE_COLS), special)
            if blobs:
                self._many(conn, _INSERT_BLOB + _upsert(_BLOB_KEY, _BLOB_COLS), blobs)
            if checkpoints:
                self._many(conn, _INSERT_CHECKPOINT + _upsert(_CHECKPOINT_KEY, _CHECKPOINT_COLS), checkpoints)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def delete_thread(self, conn: sqlite3.Connection, thread_id: str) -> None:
        self._begin(conn, "IMMEDIATE")
        try:
            for table in ("checkpoint_writes", "checkpoint_blobs", "checkpoints"):
                self._q(conn, f"DELETE FROM {table} WHERE thread_id = ?", (thread_id,))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def prune(self, conn: sqlite3.Connection, thread_id: str, keep_last: int | None, older_than: float | None) -> int:
        self._begin(conn, "IMMEDIATE")
        try:
            removed = self._prune(conn, thread_id, keep_last, older_than)
            conn.execute("COMMIT")
            return removed
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _prune(self, conn: sqlite3.Connection, thread_id: str, keep_last: int | None, older_than: float | None) -> int:
        by_ns: dict[str, list[PruneRow]] = defaultdict(list)
        for ns, cid, parent, ts, has_writes in self._q(conn, """
            SELECT c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts,
                   EXISTS (SELECT 1 FROM checkpoint_writes w WHERE w.thread_id = c.thread_id
                           AND w.checkpoint_ns = c.checkpoint_ns AND w.checkpoint_id = c.checkpoint_id)
            FROM checkpoints c WHERE c.thread_id = ?""", (thread_id,)):
            by_ns[ns].append(PruneRow(cid, parent, ts, bool(has_writes)))
        doomed = [(thread_id, ns, cid) for ns, rows in by_ns.items()
                  for cid in checkpoints_to_prune(rows, keep_last=keep_last, older_than=older_than)]
        if not doomed:
            return 0
        where = "thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?"
        self._many(conn, f"DELETE FROM checkpoint_writes WHERE {where}", doomed)
        self._many(conn, f"DELETE FROM checkpoints WHERE {where}", doomed)
        needed: dict[str, set[tuple[str, Version]]] = defaultdict(set)
        for ns, versions in self._q(conn, "SELECT checkpoint_ns, channel_versions FROM checkpoints WHERE thread_id = ?",
                                    (thread_id,)):
            needed[ns].update(decode_versions(versions).items())
        base_of: dict[str, dict[tuple[str, Version], Version | None]] = defaultdict(dict)
        for ns, channel, version, base in self._q(
            conn, "SELECT checkpoint_ns, channel, version, base FROM checkpoint_blobs WHERE thread_id = ?", (thread_id,)
        ):
            base_of[ns][(channel, version)] = base
        garbage: list[tuple[str, str, str, Version]] = []
        for ns, bases in base_of.items():
            keep = blobs_to_keep(needed.get(ns, ()), bases)
            garbage.extend((thread_id, ns, ch, v) for ch, v in bases if (ch, v) not in keep)
        if garbage:
            self._many(conn, "DELETE FROM checkpoint_blobs WHERE thread_id = ? AND checkpoint_ns = ? "
                             "AND channel = ? AND version = ?", garbage)
        return len(doomed)

    # -- reading --------------------------------------------------------------------------------

    def read_tuple(self, conn: sqlite3.Connection, key: ThreadKey) -> Page | None:
        """The addressed checkpoint (or the newest of the namespace) with what it needs."""
        self._begin(conn)  # one read transaction: a consistent snapshot across the queries
        try:
            base = f"SELECT {_CHECKPOINT_COLS} FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ?"
            if key.checkpoint_id is not None:
                cur = self._q(conn, base + " AND checkpoint_id = ?",
                              (key.thread_id, key.checkpoint_ns, key.checkpoint_id))
            else:
                cur = self._q(conn, base + " ORDER BY checkpoint_id DESC LIMIT 1",
                              (key.thread_id, key.checkpoint_ns))
            rows = [CheckpointRow(*r) for r in cur]
            return self._complete(conn, rows) if rows else None
        finally:
            conn.execute("COMMIT")

    def read_page(
        self,
        conn: sqlite3.Connection,
        thread: str | None,
        ns: str | None,
        checkpoint_id: str | None,
        before: str | None,
        after: tuple[str, str, str] | None,
        limit: int,
    ) -> Page:
        """Up to ``limit`` checkpoints, newest first, strictly after the ``after`` position."""
        where, params = [], []
        for column, value in (("thread_id", thread), ("checkpoint_ns", ns), ("checkpoint_id", checkpoint_id)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if before is not None:
            where.append("checkpoint_id < ?")
            params.append(before)
        if after is not None:
            where.append("(checkpoint_id, thread_id, checkpoint_ns) < (?, ?, ?)")
            params.extend(after)
        sql = f"SELECT {_CHECKPOINT_COLS} FROM checkpoints"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY checkpoint_id DESC, thread_id DESC, checkpoint_ns DESC LIMIT ?"
        self._begin(conn)
        try:
            rows = [CheckpointRow(*r) for r in self._q(conn, sql, (*params, limit))]
            return self._complete(conn, rows)
        finally:
            conn.execute("COMMIT")

    def _complete(self, conn: sqlite3.Connection, rows: list[CheckpointRow]) -> Page:
        """Fetch the blobs (with their delta chains) and pending writes of ``rows``."""
        blobs: dict[tuple[str, str, str, Version], BlobRow] = {}
        wanted: set[tuple[str, str, str, Version]] = set()
        for row in rows:
            try:
                versions = decode_versions(row.versions)
            except msgspec.DecodeError as exc:
                raise CheckpointStoreError(
                    f"{self.name}: checkpoint {row.checkpoint_id!r} of thread {row.thread_id!r} "
                    "is corrupted (channel versions)"
                ) from exc
            wanted.update((row.thread_id, row.ns, ch, v) for ch, v in versions.items())
        self._fetch_blobs(conn, wanted, blobs)
        # Delta chains: every row of each chain up to the deepest version needed, in one query.
        chains: dict[tuple[str, str, str, Version], int] = {}
        for b in list(blobs.values()):
            if b.base is not None:
                ckey = (b.thread_id, b.ns, b.channel, b.root)
                chains[ckey] = max(chains.get(ckey, 0), b.depth)
        if chains:
            for chunk in _chunks(list(chains.items())):
                sql = (f"WITH want(t, ns, ch, root, d) AS (VALUES {_marks(5, len(chunk))}) "
                       f"SELECT {', '.join('b.' + c for c in _BLOB_COLS.split(', '))} FROM want "
                       "JOIN checkpoint_blobs b ON b.thread_id = want.t AND b.checkpoint_ns = want.ns "
                       "AND b.channel = want.ch AND b.root = want.root AND b.depth <= want.d")
                params = [x for (t, ns, ch, root), d in chunk for x in (t, ns, ch, root, d)]
                for r in self._q(conn, sql, params):
                    b = BlobRow(*r)
                    blobs[(b.thread_id, b.ns, b.channel, b.version)] = b
            # A base outside its chain (a row rewritten by another writer) is fetched directly.
            for _ in range(64):
                missing = {(b.thread_id, b.ns, b.channel, b.base) for b in blobs.values()
                           if b.base is not None and (b.thread_id, b.ns, b.channel, b.base) not in blobs}
                if not missing or not self._fetch_blobs(conn, missing, blobs):
                    break
        writes: dict[tuple[str, str, str], list[WriteRow]] = defaultdict(list)
        keys = list({(r.thread_id, r.ns, r.checkpoint_id) for r in rows})
        for chunk in _chunks(keys):
            sql = (f"WITH want(t, ns, cid) AS (VALUES {_marks(3, len(chunk))}) "
                   f"SELECT {', '.join('w.' + c for c in _WRITE_COLS.split(', '))} FROM want "
                   "JOIN checkpoint_writes w ON w.thread_id = want.t AND w.checkpoint_ns = want.ns "
                   "AND w.checkpoint_id = want.cid")
            for r in self._q(conn, sql, [x for k in chunk for x in k]):
                w = WriteRow(*r)
                writes[(w.thread_id, w.ns, w.checkpoint_id)].append(w)
        return Page(rows, blobs, dict(writes))

    def _fetch_blobs(self, conn: sqlite3.Connection, wanted: Iterable[tuple[str, str, str, Version]],
                     into: dict[tuple[str, str, str, Version], BlobRow]) -> int:
        found = 0
        for chunk in _chunks(list(wanted)):
            sql = (f"WITH want(t, ns, ch, v) AS (VALUES {_marks(4, len(chunk))}) "
                   f"SELECT {', '.join('b.' + c for c in _BLOB_COLS.split(', '))} FROM want "
                   "JOIN checkpoint_blobs b ON b.thread_id = want.t AND b.checkpoint_ns = want.ns "
                   "AND b.channel = want.ch AND b.version = want.v")
            for r in self._q(conn, sql, [x for k in chunk for x in k]):
                b = BlobRow(*r)
                into[(b.thread_id, b.ns, b.channel, b.version)] = b
                found += 1
        return found

    def used_bytes(self, conn: sqlite3.Connection) -> int:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        return int((pages - free) * page_size)


def _upsert(key: Sequence[str], columns: str) -> str:
    # Upserts, not INSERT OR REPLACE/IGNORE: those would also swallow NOT NULL violations.
    rest = [c for c in columns.split(", ") if c not in key]
    return (f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in rest))


def _marks(width: int, count: int) -> str:
    row = "(" + ", ".join("?" * width) + ")"
    return ", ".join([row] * count)


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]
