"""The SQLite side of :class:`~._sqlite.SqliteSaver`: schema, migrations, and the SQL it runs.

Everything here is synchronous and runs on the database thread (the saver's own, a worker
thread for a sync saver, aiosqlite's for a connection handed in): one call from the event loop
runs one whole function below, so a step's write, or a page of history with its blobs and
writes, costs one thread hop. A write remembers the newest checkpoint of each thread and
namespace it checked or wrote (``expect_head`` then costs no query), like the thread keys
until another connection commits.

Schema (``schema_version`` row ``component = 'checkpoints'``), version 2:

* ``checkpoint_threads``: ``t`` (a small integer, never reused) per ``thread_id``; the other
  tables key rows by ``t``, so a long thread id is stored once, not in every row and index
  entry. The saver caches the mapping and drops the cache when another connection commits
  (``PRAGMA data_version``); deleting a thread deletes its row too.
* Checkpoint and task ids that are canonical UUIDs (all the runtime makes) are stored as their
  16 bytes (:func:`pack_id`), other ids as text.
* ``checkpoints`` (WITHOUT ROWID: the key is the table): one row per checkpoint, key (t,
  checkpoint_ns, checkpoint_id); ``channel_versions`` is plain msgpack (read here to find
  blobs), ``checkpoint`` and ``metadata`` are serializer output (possibly encrypted) with their
  type tags.
* ``checkpoint_blobs``: one row per (t, checkpoint_ns, channel, version), keyed version first
  (versions grow, so rows are appended rather than split into half-empty pages); ``base`` NULL
  for a full value, else the version this row's list tail extends; ``root``/``depth`` place the row in
  its delta chain (index ``checkpoint_blobs_chain``, on delta rows only, reads a chain in one
  query; a value that is not a list never touches it).
* ``checkpoint_writes``: key (t, checkpoint_ns, checkpoint_id, task_id, idx).
* ``checkpoint_chunks``: key (t, hash): the long strings and bytes that blobs and writes refer
  to (interned, see :mod:`._serde`), stored once per thread. Reading a page fetches the chunks
  its rows refer to with one more query; pruning drops the chunks no remaining row refers to;
  deleting a thread drops them all.

Checkpoints, blobs and writes are WITHOUT ROWID tables (no second index for the key). SQLite keeps
at most ~1 KB of such a row on its page, so blobs and writes larger than
:data:`~._rows.INLINE_MAX` bytes live in ``checkpoint_chunks`` (an ordinary rowid table) and the
row holds the chunk's digest.

Version columns have no declared type, so ints stay ints and strings stay strings.
Migrations are lists of statements applied in order, in one transaction, from the stored
version up to :data:`LATEST`. Version 1 keyed every table by the ``thread_id`` text and had no
chunks; migration 2 moves its rows over.
"""

from __future__ import annotations

import functools
import random
import re
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, TypeVar

import msgspec

from ._errors import CheckpointConflictError, CheckpointStoreError, DatabaseLockedError
from ._records import ThreadKey, Version
from ._rows import (
    BlobRow,
    CheckpointRow,
    Encoded,
    PruneRow,
    WriteRow,
    blobs_to_keep,
    check_heads,
    checkpoints_to_prune,
    checkpoint_where,
    chunk_refs,
    decode_versions,
    version_counter,
)

T = TypeVar("T")

COMPONENT: Final = "checkpoints"

BUSY_TIMEOUT: Final = 5.0
"""Seconds a connection waits for another connection's lock (SQLite's busy timeout) before
:class:`DatabaseLockedError`; opening a file retries for as long."""

_V2_TABLES: Final = (
    """CREATE TABLE checkpoint_threads (
        t INTEGER PRIMARY KEY AUTOINCREMENT,
        thread_id TEXT NOT NULL UNIQUE
    )""",
    """CREATE TABLE checkpoints (
        t INTEGER NOT NULL,
        checkpoint_ns TEXT NOT NULL DEFAULT '',
        checkpoint_id TEXT NOT NULL,
        parent_checkpoint_id TEXT,
        ts REAL NOT NULL,
        channel_versions BLOB NOT NULL,
        type TEXT NOT NULL,
        checkpoint BLOB NOT NULL,
        metadata_type TEXT NOT NULL,
        metadata BLOB NOT NULL,
        PRIMARY KEY (t, checkpoint_ns, checkpoint_id)
    ) WITHOUT ROWID""",
    """CREATE TABLE checkpoint_blobs (
        t INTEGER NOT NULL,
        checkpoint_ns TEXT NOT NULL DEFAULT '',
        channel TEXT NOT NULL,
        version NOT NULL,
        root NOT NULL,
        depth INTEGER NOT NULL,
        base,
        type TEXT NOT NULL,
        blob BLOB NOT NULL,
        PRIMARY KEY (t, checkpoint_ns, version, channel)
    ) WITHOUT ROWID""",
    """CREATE TABLE checkpoint_writes (
        t INTEGER NOT NULL,
        checkpoint_ns TEXT NOT NULL DEFAULT '',
        checkpoint_id TEXT NOT NULL,
        task_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        channel TEXT NOT NULL,
        type TEXT NOT NULL,
        value BLOB NOT NULL,
        task_path TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (t, checkpoint_ns, checkpoint_id, task_id, idx)
    ) WITHOUT ROWID""",
    """CREATE TABLE checkpoint_chunks (
        t INTEGER NOT NULL,
        hash BLOB NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (t, hash)
    )""",
)

MIGRATIONS: Final[Sequence[Sequence[str]]] = (
    (  # 1: checkpoints, per-version blobs with delta chains, pending writes (keyed by thread_id)
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
    (  # 2: integer thread keys, WITHOUT ROWID checkpoints, interned chunks
        "ALTER TABLE checkpoints RENAME TO checkpoints_v1",
        "ALTER TABLE checkpoint_blobs RENAME TO checkpoint_blobs_v1",
        "ALTER TABLE checkpoint_writes RENAME TO checkpoint_writes_v1",
        "DROP INDEX checkpoint_blobs_chain",
        *_V2_TABLES,
        """INSERT INTO checkpoint_threads (thread_id)
            SELECT thread_id FROM checkpoints_v1 UNION SELECT thread_id FROM checkpoint_blobs_v1
            UNION SELECT thread_id FROM checkpoint_writes_v1""",
        """INSERT INTO checkpoints SELECT th.t, c.checkpoint_ns, ag_id(c.checkpoint_id),
            ag_id(c.parent_checkpoint_id), c.ts, c.channel_versions, c.type, c.checkpoint, c.metadata_type,
            c.metadata FROM checkpoints_v1 c JOIN checkpoint_threads th USING (thread_id)""",
        """INSERT INTO checkpoint_blobs SELECT th.t, b.checkpoint_ns, b.channel, b.version, b.root,
            b.depth, b.base, b.type, b.blob FROM checkpoint_blobs_v1 b
            JOIN checkpoint_threads th USING (thread_id)""",
        """INSERT INTO checkpoint_writes SELECT th.t, w.checkpoint_ns, ag_id(w.checkpoint_id), ag_id(w.task_id),
            w.idx, w.channel, w.type, w.value, w.task_path FROM checkpoint_writes_v1 w
            JOIN checkpoint_threads th USING (thread_id)""",
        "DROP TABLE checkpoints_v1",
        "DROP TABLE checkpoint_blobs_v1",
        "DROP TABLE checkpoint_writes_v1",
        """CREATE INDEX checkpoint_blobs_chain
            ON checkpoint_blobs (t, checkpoint_ns, channel, root, depth) WHERE depth > 0""",
    ),
)

LATEST: Final = len(MIGRATIONS)
OWN_TABLES: Final = frozenset({"checkpoints", "checkpoint_blobs", "checkpoint_writes", "checkpoint_chunks",
                               "checkpoint_threads"})

_CHECKPOINT_COLS = ("t, checkpoint_ns, checkpoint_id, parent_checkpoint_id, ts, "
                    "channel_versions, type, checkpoint, metadata_type, metadata")
_BLOB_COLS = "t, checkpoint_ns, channel, version, root, depth, base, type, blob"
_WRITE_COLS = "t, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value, task_path"
_CHECKPOINT_KEY = ("t", "checkpoint_ns", "checkpoint_id")
_WRITE_KEY = ("t", "checkpoint_ns", "checkpoint_id", "task_id", "idx")
_INSERT_CHECKPOINT = f"INSERT INTO checkpoints ({_CHECKPOINT_COLS}) VALUES ({', '.join('?' * 10)})"
_INSERT_BLOB = f"INSERT INTO checkpoint_blobs ({_BLOB_COLS}) VALUES ({', '.join('?' * 9)})"
_INSERT_WRITE = f"INSERT INTO checkpoint_writes ({_WRITE_COLS}) VALUES ({', '.join('?' * 9)})"
_HEADS_KEPT: Final = 4096  # threads whose newest checkpoint a Store remembers
_TKEYS_KEPT: Final = 4096  # threads whose key ``t`` a Store remembers
_INSERT_NEW_BLOB = _INSERT_BLOB + " ON CONFLICT DO NOTHING"
_INSERT_NEW_WRITE = _INSERT_WRITE + " ON CONFLICT DO NOTHING"
_INSERT_CHUNK = "INSERT INTO checkpoint_chunks (t, hash, data) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
_SELECT_CHECKPOINT = ("SELECT " + ", ".join("c." + c for c in _CHECKPOINT_COLS.split(", ")[1:])
                      + ", c.t, th.thread_id FROM checkpoints c JOIN checkpoint_threads th ON th.t = c.t")
_CHUNK = 4000  # rows per VALUES list (at most 5 parameters each, under SQLite's 32766)

_astuple = msgspec.structs.astuple

_SQLITE_BUSY: Final = 5
_SQLITE_LOCKED: Final = 6
_sleep = time.sleep  # between attempts of retry_locked (tests act there: release a lock)


def is_locked(exc: BaseException) -> bool:
    """``exc`` is SQLite's "database is locked" (SQLITE_BUSY, any extended code) or "database
    table is locked" (SQLITE_LOCKED): another connection holds a lock; the file is fine."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    return "is locked" in str(exc)


def retry_locked(fn: Callable[[], T], where: str, timeout: float) -> T:
    """``fn()``, run again while it fails because another connection holds a lock, for up to
    ``timeout`` seconds in all; then :class:`DatabaseLockedError` naming ``where`` (the file).

    SQLite's busy handler (``busy_timeout``) does not cover every wait: a connection that
    already holds a read lock and needs the write lock gets SQLITE_BUSY at once while another
    connection writes (deadlock avoidance). That happens to ``PRAGMA journal_mode=WAL`` when
    several processes open one new file together. ``fn`` must leave no transaction open when it
    fails. Other errors propagate as they are.
    """
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if not is_locked(exc):
                raise
            left = deadline - time.monotonic()
            if left <= 0:
                raise DatabaseLockedError(where, timeout, str(exc)) from exc
            _sleep(min(pause * random.uniform(0.5, 1.5), left))  # jitter: openers fall out of step
            pause = min(pause * 2, 0.05)


@functools.lru_cache(maxsize=1024)  # a step stores the same few ids several times
def pack_id(value: str | None) -> str | bytes | None:
    """A checkpoint or task id as stored: a canonical (lowercase, hyphenated) UUID as its 16
    bytes, which sort as the text does; any other id as its text."""
    if value is None or _CANONICAL_UUID(value) is None:
        return value
    return bytes.fromhex(value.replace("-", ""))


_CANONICAL_UUID: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z").match


def unpack_id(value: str | bytes) -> str:
    """The id text of a stored id (see :func:`pack_id`); :class:`CheckpointStoreError` for
    anything else (bytes of another length, a number, NULL)."""
    if isinstance(value, bytes):
        if len(value) != 16:
            raise CheckpointStoreError(f"corrupted id {value!r}: expected 16 bytes")
        h = value.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    if not isinstance(value, str):
        raise CheckpointStoreError(f"corrupted id {value!r}: expected text or 16 bytes")
    return value


def _id_order(stored: str | bytes) -> tuple[bool, str | bytes]:
    """A stored id's place in SQLite's order: any TEXT before any BLOB, then byte order (code
    point order of text is the byte order of its UTF-8)."""
    return (isinstance(stored, bytes), stored)


def _keyed(t: int, row: msgspec.Struct) -> tuple[Any, ...]:
    """A row's column values with its thread id replaced by the thread's key ``t``."""
    return (t, *_astuple(row)[1:])


def _stored(t: int, row: CheckpointRow | WriteRow) -> tuple[Any, ...]:
    """A checkpoint or write row as stored: thread key ``t`` and packed ids (columns 2 and 3:
    checkpoint and parent id, or checkpoint and task id)."""
    cols = _astuple(row)
    return (t, cols[1], pack_id(cols[2]), pack_id(cols[3]), *cols[4:])


def _write_row(name: str, thread_id: str, cols: Sequence[Any]) -> WriteRow:
    checkpoint_id = unpack_id(cols[2])  # (matched a stored checkpoint's id: not corrupted)
    try:
        task_id = unpack_id(cols[3])
    except CheckpointStoreError as exc:
        raise CheckpointStoreError(
            f"{name}: cannot decode a pending write {cols[5]!r} of checkpoint {checkpoint_id!r} of thread "
            f"{thread_id!r}: its task id is corrupted ({exc})"
        ) from exc
    return WriteRow(thread_id, cols[1], checkpoint_id, task_id, *cols[4:])


def _lenient_text(data: bytes) -> str:
    """Text read back even when it is not UTF-8 (a BLOB rewritten as TEXT): the decoder then
    reports the column's type, naming the row, instead of sqlite3 failing the whole read."""
    return data.decode("utf-8", "surrogateescape")


class Page(msgspec.Struct):
    """Checkpoint rows with every blob and pending write they need."""

    rows: list[CheckpointRow]
    blobs: dict[tuple[str, str, str, Version], BlobRow]
    writes: dict[tuple[str, str, str], list[WriteRow]]
    chunks: dict[bytes, bytes]


class Store:
    """The SQL of one database; ``queries`` counts the statements it ran."""

    def __init__(self, name: str, *, busy_timeout: float = BUSY_TIMEOUT) -> None:
        self.name = name
        self.busy_timeout = busy_timeout
        self.queries = 0
        self._tkeys: dict[str, int] = {}  # thread_id -> t, valid while no other connection commits
        # (t, ns) -> newest stored checkpoint id (as stored), as this connection last wrote or
        # read it: valid while no other connection commits, like the thread keys
        self._heads: dict[tuple[int, str], str | bytes | None] = {}
        self._data_version: int | None = None

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
        if self._tkeys or self._heads:
            # Another connection committed since we last looked: it may have deleted a thread
            # or written a checkpoint, so cached thread keys and heads are re-read (rare; PRAGMA
            # data_version is cheap).
            version = conn.execute("PRAGMA data_version").fetchone()[0]
            if version != self._data_version:
                self._tkeys.clear()
                self._heads.clear()
                self._data_version = version

    # -- setup ----------------------------------------------------------------------------------

    def setup(self, conn: sqlite3.Connection) -> None:
        """Check the file is ours (or empty) and bring its schema up to :data:`LATEST`.

        Safe when several processes open one new file at once: a lock another connection holds
        is waited for (:func:`retry_locked`, up to ``busy_timeout``); the schema is created or
        migrated in one ``BEGIN IMMEDIATE`` transaction, so one opener creates it and the others
        find it. A lock held longer raises :class:`DatabaseLockedError`; a file that is not
        SQLite, not ours or newer raises :class:`CheckpointStoreError`.
        """
        retry_locked(functools.partial(self._pragmas, conn), self.name, self.busy_timeout)
        retry_locked(functools.partial(self._migrate, conn), self.name, self.busy_timeout)

    def _pragmas(self, conn: sqlite3.Connection) -> None:
        try:
            # the busy timeout first: the journal mode switch may wait for another connection
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA page_size=8192")  # only takes effect on a new, empty file
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as exc:
            if is_locked(exc):
                raise
            raise CheckpointStoreError(f"{self.name} is not a usable SQLite database: {exc}") from exc

    def _migrate(self, conn: sqlite3.Connection) -> None:
        try:
            self._begin(conn, "IMMEDIATE")
        except sqlite3.DatabaseError as exc:
            if is_locked(exc):
                raise
            raise CheckpointStoreError(f"{self.name} is not a usable SQLite database: {exc}") from exc
        try:
            current = self._stored_version(conn)
            if current > LATEST:
                raise CheckpointStoreError(
                    f"{self.name} was written by a newer actorgraph (checkpoint schema version "
                    f"{current}; this version reads up to {LATEST}): upgrade actorgraph"
                )
            conn.create_function("ag_id", 1, pack_id, deterministic=True)
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
            if is_locked(exc):
                raise
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

    # -- thread keys ------------------------------------------------------------------------------

    def _tkey(self, conn: sqlite3.Connection, thread_id: str) -> int | None:
        """The key ``t`` of a thread (None if the file has never seen it)."""
        t = self._tkeys.get(thread_id)
        if t is None:
            row = self._q(conn, "SELECT t FROM checkpoint_threads WHERE thread_id = ?", (thread_id,)).fetchone()
            if row is None:
                return None
            t = row[0]
            self._remember_tkey(thread_id, t)
        return t

    def _remember_tkey(self, thread_id: str, t: int) -> None:
        """Cache a thread's key, up to :data:`_TKEYS_KEPT` of them (the one cached longest ago
        goes first: a long-lived saver sees a new thread per conversation, its file keeps them)."""
        tkeys = self._tkeys
        if thread_id not in tkeys and len(tkeys) >= _TKEYS_KEPT:
            del tkeys[next(iter(tkeys))]
        tkeys[thread_id] = t

    def _tkeys_for(self, conn: sqlite3.Connection, threads: Iterable[str], new: dict[str, int]) -> dict[str, int]:
        """Keys of ``threads`` inside a write transaction, creating missing ones (recorded in
        ``new``: they are cached only once the transaction commits)."""
        out: dict[str, int] = {}
        for thread_id in threads:
            t = self._tkey(conn, thread_id)
            if t is None:
                t = new.get(thread_id)
            if t is None:
                cur = self._q(conn, "INSERT INTO checkpoint_threads (thread_id) VALUES (?)", (thread_id,))
                assert cur.lastrowid is not None
                t = new[thread_id] = cur.lastrowid
            out[thread_id] = t
        return out

    def _newest(self, conn: sqlite3.Connection, t: int, ns: str) -> str | None:
        """The newest checkpoint id of (``t``, ``ns``), from the head cache or the table (which
        fills the cache: inside a write transaction, nobody else changes it)."""
        heads, key = self._heads, (t, ns)
        if key in heads:
            stored = heads[key]
        else:
            row = self._q(conn, "SELECT checkpoint_id FROM checkpoints WHERE t = ? AND checkpoint_ns = ? "
                                "ORDER BY checkpoint_id DESC LIMIT 1", (t, ns)).fetchone()
            if len(heads) >= _HEADS_KEPT:
                del heads[next(iter(heads))]  # the one cached longest ago
            stored = heads[key] = None if row is None else row[0]
        return None if stored is None else unpack_id(stored)

    def _advance_heads(self, checkpoints: Sequence[tuple[Any, ...]]) -> None:
        """Checkpoint rows (as stored) just committed: heads known before them move on."""
        heads = self._heads
        for row in checkpoints:
            key = (row[0], row[1])
            if key in heads:
                head, new = heads[key], row[2]
                if head is None or _id_order(new) > _id_order(head):
                    heads[key] = new

    # -- writing ----------------------------------------------------------------------------------

    def write(self, conn: sqlite3.Connection, batch: Sequence[Encoded]) -> None:
        """Store every job of ``batch`` in one transaction, in order."""
        if len(batch) == 1:  # a lone step: its rows as they are
            enc = batch[0]
            writes, blobs, checkpoints, chunks, heads = enc.writes, enc.blobs, enc.checkpoints, enc.chunks, enc.heads
        else:
            writes = [w for enc in batch for w in enc.writes]
            blobs = [b for enc in batch for b in enc.blobs]
            checkpoints = [c for enc in batch for c in enc.checkpoints]
            chunks = {k: v for enc in batch for k, v in enc.chunks.items()}
            heads = [h for enc in batch for h in enc.heads]
        threads = {c.thread_id for c in checkpoints}
        for rows in (blobs, writes):
            for row in rows:
                threads.add(row.thread_id)
        for thread, _ in chunks:
            threads.add(thread)
        self._begin(conn, "IMMEDIATE")
        new: dict[str, int] = {}
        stored: list[tuple[Any, ...]] = []
        try:
            tk = self._tkeys_for(conn, threads, new)
            for head in heads:
                if head[4]:
                    check_heads(heads, lambda thread, ns: self._newest(conn, tk[thread], ns))
                    break
            if chunks:
                self._many(conn, _INSERT_CHUNK, [(tk[thread], digest, data) for (thread, digest), data in chunks.items()])
            if writes:
                plain = [_stored(tk[w.thread_id], w) for w in writes if w.idx >= 0]
                if plain:
                    self._many(conn, _INSERT_NEW_WRITE, plain)
                if len(plain) < len(writes):
                    self._many(conn, _UPSERT_WRITE, [_stored(tk[w.thread_id], w) for w in writes if w.idx < 0])
            if blobs:
                self._insert_blobs(conn, [_keyed(tk[b.thread_id], b) for b in blobs], tk)
            if checkpoints:
                stored = [_stored(tk[c.thread_id], c) for c in checkpoints]
                self._many(conn, _UPSERT_CHECKPOINT, stored)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._heads.clear()  # (a head read in a transaction that did not commit: re-read it)
            raise
        if new:
            for thread_id, t in new.items():
                self._remember_tkey(thread_id, t)
        if self._heads:
            self._advance_heads(stored)

    def _insert_blobs(self, conn: sqlite3.Connection, blobs: list[tuple[Any, ...]], tk: dict[str, int]) -> None:
        """Insert blob rows; one whose key is taken must hold the same value (a rewrite of the
        same row), else :class:`CheckpointConflictError`: a stored version never changes."""
        before = conn.total_changes
        self._many(conn, _INSERT_NEW_BLOB, blobs)
        if conn.total_changes - before == len(blobs):
            return
        names = {t: thread for thread, t in tk.items()}
        for t, ns, channel, version, _root, _depth, base, type_, data in blobs:
            row = self._q(conn, "SELECT base, type, blob FROM checkpoint_blobs WHERE t = ? AND checkpoint_ns = ? "
                                "AND version = ? AND channel = ?", (t, ns, version, channel)).fetchone()
            if row is None or row[0] != base or row[1] != type_ or bytes(row[2]) != bytes(data):
                raise CheckpointConflictError.reused(names[t], ns, channel, version)

    def read_max_version(self, conn: sqlite3.Connection, key: ThreadKey) -> int:
        """The largest version stored in the thread's namespace (see ``amax_version``)."""
        t = self._tkey(conn, key.thread_id)
        if t is None:
            return 0
        # Blobs are keyed (t, ns, version, channel): each max is one index lookup. Integers
        # sort before text in SQLite, hence one query per type.
        top, text = self._q(conn, (
            "SELECT (SELECT max(version) FROM checkpoint_blobs WHERE t = ?1 AND checkpoint_ns = ?2 "
            "AND version < ''), (SELECT max(version) FROM checkpoint_blobs WHERE t = ?1 "
            "AND checkpoint_ns = ?2 AND version >= '')"), (t, key.checkpoint_ns)).fetchone()
        try:
            return max(int(version_counter(top or 0)), version_counter(text) if text else 0)
        except (TypeError, ValueError) as exc:
            raise CheckpointStoreError(
                f"{self.name}: thread {key.thread_id!r} has a corrupted channel version ({top!r} or "
                f"{text!r}): {exc}"
            ) from exc

    def delete_thread(self, conn: sqlite3.Connection, thread_id: str) -> None:
        self._begin(conn, "IMMEDIATE")
        try:
            t = self._tkey(conn, thread_id)
            if t is not None:
                for table in ("checkpoint_writes", "checkpoint_blobs", "checkpoints", "checkpoint_chunks"):
                    self._q(conn, f"DELETE FROM {table} WHERE t = ?", (t,))
                self._q(conn, "DELETE FROM checkpoint_threads WHERE t = ?", (t,))
                self._tkeys.pop(thread_id, None)
                self._heads.clear()
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def prune(self, conn: sqlite3.Connection, thread_id: str, keep_last: int | None, older_than: float | None) -> int:
        """Remove the thread's prunable checkpoints (see :func:`checkpoints_to_prune`) and the
        blobs, writes and chunks nothing left refers to. A corrupted row of the thread raises
        :class:`CheckpointStoreError` naming it, and nothing is removed."""
        return self._reading(conn, self._prune_thread, thread_id, keep_last, older_than)

    def _prune_thread(self, conn: sqlite3.Connection, thread_id: str, keep_last: int | None,
                      older_than: float | None) -> int:
        self._begin(conn, "IMMEDIATE")
        try:
            t = self._tkey(conn, thread_id)
            removed = 0 if t is None else self._prune(conn, t, thread_id, keep_last, older_than)
            conn.execute("COMMIT")
            self._heads.clear()  # (the newest checkpoint always stays; cleared all the same)
            return removed
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _prune(self, conn: sqlite3.Connection, t: int, thread_id: str, keep_last: int | None,
               older_than: float | None) -> int:
        def corrupted(what: str, detail: object) -> CheckpointStoreError:
            return CheckpointStoreError(f"{self.name}: cannot prune thread {thread_id!r}: {what} is "
                                        f"corrupted ({detail}); nothing was removed")

        by_ns: dict[str, list[PruneRow]] = defaultdict(list)
        for ns, cid, parent, ts, has_writes in self._q(conn, """
            SELECT c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts,
                   EXISTS (SELECT 1 FROM checkpoint_writes w WHERE w.t = c.t
                           AND w.checkpoint_ns = c.checkpoint_ns AND w.checkpoint_id = c.checkpoint_id)
            FROM checkpoints c WHERE c.t = ?""", (t,)):
            try:
                checkpoint_id = unpack_id(cid)
                parent_id = None if parent is None else unpack_id(parent)
            except CheckpointStoreError as exc:
                raise corrupted("a checkpoint id", exc) from exc
            if not isinstance(ts, (int, float)):
                raise corrupted(f"the timestamp of checkpoint {checkpoint_id!r}", f"{ts!r} is not a number")
            by_ns[ns].append(PruneRow(checkpoint_id, parent_id, ts, bool(has_writes)))
        doomed = [(t, ns, pack_id(cid)) for ns, rows in by_ns.items()
                  for cid in checkpoints_to_prune(rows, keep_last=keep_last, older_than=older_than)]
        if not doomed:
            return 0
        where = "t = ? AND checkpoint_ns = ? AND checkpoint_id = ?"
        self._many(conn, f"DELETE FROM checkpoint_writes WHERE {where}", doomed)
        self._many(conn, f"DELETE FROM checkpoints WHERE {where}", doomed)
        needed: dict[str, set[tuple[str, Version]]] = defaultdict(set)
        for ns, cid, versions in self._q(
            conn, "SELECT checkpoint_ns, checkpoint_id, channel_versions FROM checkpoints WHERE t = ?", (t,)
        ):
            try:
                needed[ns].update(decode_versions(versions).items())
            except (msgspec.DecodeError, TypeError) as exc:
                raise corrupted(f"checkpoint {unpack_id(cid)!r} (channel versions)", exc) from exc
        base_of: dict[str, dict[tuple[str, Version], Version | None]] = defaultdict(dict)
        for ns, channel, version, base in self._q(
            conn, "SELECT checkpoint_ns, channel, version, base FROM checkpoint_blobs WHERE t = ?", (t,)
        ):
            base_of[ns][(channel, version)] = base
        garbage: list[tuple[int, str, str, Version]] = []
        for ns, bases in base_of.items():
            keep = blobs_to_keep(needed.get(ns, ()), bases)
            garbage.extend((t, ns, ch, v) for ch, v in bases if (ch, v) not in keep)
        if garbage:
            self._many(conn, "DELETE FROM checkpoint_blobs WHERE t = ? AND checkpoint_ns = ? "
                             "AND channel = ? AND version = ?", garbage)
        # chunks no remaining blob or write refers to, directly or through another chunk
        referenced: set[bytes] = set()
        for table, column in (("checkpoint_blobs", "blob"), ("checkpoint_writes", "value")):
            for type_, data, channel in self._q(conn, f"SELECT type, {column}, channel FROM {table} WHERE t = ?", (t,)):
                if not isinstance(data, bytes) or not isinstance(type_, str):
                    # its chunk references cannot be read: keep every chunk rather than guess
                    raise corrupted(f"a row of {table} (channel {channel!r})",
                                    f"type {type(type_).__name__}, {column} {type(data).__name__}")
                chunk_refs(data, referenced, type_)
        stored = dict(self._q(conn, "SELECT hash, data FROM checkpoint_chunks WHERE t = ?", (t,)).fetchall())
        todo = [d for d in referenced if d in stored]
        while todo:
            inner: set[bytes] = set()
            digest = todo.pop()
            if not isinstance(stored[digest], bytes):
                raise corrupted(f"chunk {bytes(digest).hex()}", f"{type(stored[digest]).__name__}, not bytes")
            chunk_refs(stored[digest], inner)
            for d in inner - referenced:
                referenced.add(d)
                if d in stored:
                    todo.append(d)
        unused = [(t, digest) for digest in stored if digest not in referenced]
        if unused:
            self._many(conn, "DELETE FROM checkpoint_chunks WHERE t = ? AND hash = ?", unused)
        return len(doomed)

    # -- reading --------------------------------------------------------------------------------

    def _rows(self, cur: sqlite3.Cursor, names: dict[int, str]) -> list[CheckpointRow]:
        """Checkpoint rows of :data:`_SELECT_CHECKPOINT`, noting each thread's key in ``names``."""
        rows = []
        for r in cur:
            ns, cid, parent, *cols, t, thread_id = r
            names[t] = thread_id
            self._remember_tkey(thread_id, t)
            try:
                checkpoint_id = unpack_id(cid)
            except CheckpointStoreError as exc:
                raise CheckpointStoreError(
                    f"{self.name}: cannot decode a checkpoint id of thread {thread_id!r}: {exc}"
                ) from exc
            try:
                parent_id = None if parent is None else unpack_id(parent)
            except CheckpointStoreError as exc:
                raise CheckpointStoreError(
                    f"{self.name}: cannot decode the parent id of checkpoint {checkpoint_id!r} of "
                    f"thread {thread_id!r}: {exc}"
                ) from exc
            rows.append(CheckpointRow(thread_id, ns, checkpoint_id, parent_id, *cols))
        return rows

    def read_tuple(self, conn: sqlite3.Connection, key: ThreadKey) -> Page | None:
        """The addressed checkpoint (or the newest of the namespace) with what it needs."""
        return self._reading(conn, self._read_tuple, key)

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
        return self._reading(conn, self._read_page, thread, ns, checkpoint_id, before, after, limit)

    def _reading(self, conn: sqlite3.Connection, read: Callable[..., T], *args: Any) -> T:
        """``read(conn, *args)``; if a TEXT value is not UTF-8 (sqlite3 cannot return it), once
        more with such text read leniently, so the decoder names the row it is in."""
        try:
            return read(conn, *args)
        except sqlite3.OperationalError as exc:
            if not str(exc).startswith("Could not decode to UTF-8"):
                raise
        factory = conn.text_factory
        conn.text_factory = _lenient_text
        try:
            return read(conn, *args)
        finally:
            conn.text_factory = factory

    def _read_tuple(self, conn: sqlite3.Connection, key: ThreadKey) -> Page | None:
        self._begin(conn)  # one read transaction: a consistent snapshot across the queries
        try:
            t = self._tkey(conn, key.thread_id)
            if t is None:
                return None
            base = f"{_SELECT_CHECKPOINT} WHERE c.t = ? AND c.checkpoint_ns = ?"
            if key.checkpoint_id is not None:
                cur = self._q(conn, base + " AND c.checkpoint_id = ?", (t, key.checkpoint_ns, pack_id(key.checkpoint_id)))
            else:
                cur = self._q(conn, base + " ORDER BY c.checkpoint_id DESC LIMIT 1", (t, key.checkpoint_ns))
            names: dict[int, str] = {}
            rows = self._rows(cur, names)
            return self._complete(conn, rows, names) if rows else None
        finally:
            conn.execute("COMMIT")

    def _read_page(
        self,
        conn: sqlite3.Connection,
        thread: str | None,
        ns: str | None,
        checkpoint_id: str | None,
        before: str | None,
        after: tuple[str, str, str] | None,
        limit: int,
    ) -> Page:
        self._begin(conn)
        try:
            where: list[str] = []
            params: list[Any] = []
            if thread is not None:
                t = self._tkey(conn, thread)
                if t is None:
                    return Page([], {}, {}, {})
                where.append("c.t = ?")
                params.append(t)
            if ns is not None:
                where.append("c.checkpoint_ns = ?")
                params.append(ns)
            if checkpoint_id is not None:
                where.append("c.checkpoint_id = ?")
                params.append(pack_id(checkpoint_id))
            if before is not None:
                where.append("c.checkpoint_id < ?")
                params.append(pack_id(before))
            if after is not None:
                where.append("(c.checkpoint_id, th.thread_id, c.checkpoint_ns) < (?, ?, ?)")
                params.extend((pack_id(after[0]), after[1], after[2]))
            sql = _SELECT_CHECKPOINT
            if where:
                sql += " WHERE " + " AND ".join(where)
            sql += " ORDER BY c.checkpoint_id DESC, th.thread_id DESC, c.checkpoint_ns DESC LIMIT ?"
            names: dict[int, str] = {}
            rows = self._rows(self._q(conn, sql, (*params, limit)), names)
            return self._complete(conn, rows, names)
        finally:
            conn.execute("COMMIT")

    def _complete(self, conn: sqlite3.Connection, rows: list[CheckpointRow], names: dict[int, str]) -> Page:
        """Fetch the blobs (with their delta chains), pending writes and chunks of ``rows``."""
        keys = {thread_id: t for t, thread_id in names.items()}
        blobs: dict[tuple[str, str, str, Version], BlobRow] = {}
        wanted: set[tuple[int, str, str, Version]] = set()
        for row in rows:
            try:
                versions = decode_versions(row.versions)
            except (msgspec.DecodeError, TypeError) as exc:  # garbage, or not a BLOB at all
                raise CheckpointStoreError(
                    f"{self.name}: cannot decode channel versions of {checkpoint_where(row)}: {exc}"
                ) from exc
            t = keys[row.thread_id]
            wanted.update((t, row.ns, ch, v) for ch, v in versions.items())
        self._fetch_blobs(conn, wanted, blobs, names)
        # Delta chains: every row of each chain up to the deepest version needed, in one query.
        chains: dict[tuple[int, str, str, Version], int] = {}
        for b in list(blobs.values()):
            if b.base is not None:
                ckey = (keys[b.thread_id], b.ns, b.channel, b.root)
                chains[ckey] = max(chains.get(ckey, 0), b.depth)
        if chains:
            for chunk in _chunks(list(chains.items())):
                cols = ', '.join('b.' + c for c in _BLOB_COLS.split(', '))
                sql = (f"WITH want(t, ns, ch, root, d) AS (VALUES {_marks(5, len(chunk))}) "
                       f"SELECT {cols} FROM want JOIN checkpoint_blobs b ON b.t = want.t "
                       "AND b.checkpoint_ns = want.ns AND b.channel = want.ch AND b.root = want.root "
                       "AND b.depth > 0 AND b.depth <= want.d "
                       f"UNION ALL SELECT {cols} FROM want JOIN checkpoint_blobs b ON b.t = want.t "
                       "AND b.checkpoint_ns = want.ns AND b.version = want.root AND b.channel = want.ch")
                params = [x for (t, ns, ch, root), d in chunk for x in (t, ns, ch, root, d)]
                for r in self._q(conn, sql, params):
                    b = BlobRow(names[r[0]], *r[1:])
                    blobs[(b.thread_id, b.ns, b.channel, b.version)] = b
            # A base outside its chain (a row rewritten by another writer) is fetched directly.
            for _ in range(64):
                missing = {(keys[b.thread_id], b.ns, b.channel, b.base) for b in blobs.values()
                           if b.base is not None and (b.thread_id, b.ns, b.channel, b.base) not in blobs}
                if not missing or not self._fetch_blobs(conn, missing, blobs, names):
                    break
        writes: dict[tuple[str, str, str], list[WriteRow]] = defaultdict(list)
        wkeys = list({(keys[r.thread_id], r.ns, pack_id(r.checkpoint_id)) for r in rows})
        for chunk in _chunks(wkeys):
            sql = (f"WITH want(t, ns, cid) AS (VALUES {_marks(3, len(chunk))}) "
                   f"SELECT {', '.join('w.' + c for c in _WRITE_COLS.split(', '))} FROM want "
                   "JOIN checkpoint_writes w ON w.t = want.t AND w.checkpoint_ns = want.ns "
                   "AND w.checkpoint_id = want.cid")
            for r in self._q(conn, sql, [x for k in chunk for x in k]):
                w = _write_row(self.name, names[r[0]], r)
                writes[(w.thread_id, w.ns, w.checkpoint_id)].append(w)
        return Page(rows, blobs, dict(writes), self._fetch_chunks(conn, blobs.values(), writes.values(), keys))

    def _fetch_blobs(self, conn: sqlite3.Connection, wanted: Iterable[tuple[int, str, str, Version]],
                     into: dict[tuple[str, str, str, Version], BlobRow], names: dict[int, str]) -> int:
        found = 0
        for chunk in _chunks(list(wanted)):
            sql = (f"WITH want(t, ns, ch, v) AS (VALUES {_marks(4, len(chunk))}) "
                   f"SELECT {', '.join('b.' + c for c in _BLOB_COLS.split(', '))} FROM want "
                   "JOIN checkpoint_blobs b ON b.t = want.t AND b.checkpoint_ns = want.ns "
                   "AND b.channel = want.ch AND b.version = want.v")
            for r in self._q(conn, sql, [x for k in chunk for x in k]):
                b = BlobRow(names[r[0]], *r[1:])
                into[(b.thread_id, b.ns, b.channel, b.version)] = b
                found += 1
        return found

    def _fetch_chunks(self, conn: sqlite3.Connection, blobs: Iterable[BlobRow],
                      writes: Iterable[list[WriteRow]], keys: dict[str, int]) -> dict[bytes, bytes]:
        """The chunks the rows refer to, and those the chunks refer to (a query per level)."""
        wanted: set[tuple[int, bytes]] = set()
        refs: set[bytes] = set()
        rows: list[BlobRow | WriteRow] = [*blobs, *(w for ws in writes for w in ws)]
        for row in rows:
            if not isinstance(row.data, bytes) or not isinstance(row.type, str):
                continue  # corrupted: the decoder names it
            chunk_refs(row.data, refs, row.type)
            if refs:
                t = keys[row.thread_id]
                wanted.update((t, d) for d in refs)
                refs.clear()
        chunks: dict[bytes, bytes] = {}
        while wanted:
            found: set[tuple[int, bytes]] = set()
            for chunk in _chunks(list(wanted)):
                sql = (f"WITH want(t, h) AS (VALUES {_marks(2, len(chunk))}) "
                       "SELECT c.t, c.hash, c.data FROM want JOIN checkpoint_chunks c "
                       "ON c.t = want.t AND c.hash = want.h")
                for t, digest, data in self._q(conn, sql, [x for k in chunk for x in k]):
                    chunks[digest] = data
                    if not isinstance(data, bytes):
                        continue  # corrupted: the decoder reports the chunk when it needs it
                    chunk_refs(data, refs)
                    found.update((t, d) for d in refs if d not in chunks)
                    refs.clear()
            wanted = {k for k in found if k[1] not in chunks}
        return chunks

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


_UPSERT_WRITE: Final = _INSERT_WRITE + _upsert(_WRITE_KEY, _WRITE_COLS)
_UPSERT_CHECKPOINT: Final = _INSERT_CHECKPOINT + _upsert(_CHECKPOINT_KEY, _CHECKPOINT_COLS)


def _marks(width: int, count: int) -> str:
    row = "(" + ", ".join("?" * width) + ")"
    return ", ".join([row] * count)


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]
