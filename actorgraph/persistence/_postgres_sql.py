"""The SQL of :class:`~._postgres.PostgresSaver`, written once for both drivers.

Every operation here is a generator ("sans-IO"): it yields a :class:`Q` (one statement) or a
list of them (sent together in one pipeline, executed by the server in order) and receives the
result (a list of rows for a statement that returns rows, else the affected row count; a list
of results for a list). The saver's driver runs the whole generator inside one transaction on
one pooled connection: psycopg's async API on asyncio, its sync API on a worker thread on trio
(and from sync code). So the SQL exists once and a step's commit takes one connection.

Schema (``schema_version`` row ``component = 'checkpoints'``), version 1, in the saver's
PostgreSQL schema (``public`` by default):

* ``checkpoints``: key (thread_id, checkpoint_ns, checkpoint_id); ``channel_versions`` is plain
  msgpack, ``checkpoint`` and ``metadata`` serializer output (possibly encrypted) with types.
* ``checkpoint_blobs``: key (thread_id, checkpoint_ns, channel, version); a version is stored
  as text (an int as its digits, a string as ``"s:" + it``) with its ``counter`` (the leading
  number, for ``amax_version``); ``base`` NULL for a full value, else the version this list
  tail extends; ``root``/``depth`` place the row in its delta chain (partial index
  ``checkpoint_blobs_chain`` reads a chain in one query).
* ``checkpoint_writes``: key (thread_id, checkpoint_ns, checkpoint_id, task_id, idx).
* ``checkpoint_chunks``: key (thread_id, hash): interned content, as in SQLite.

Key columns use the ``"C"`` collation, so ids sort by bytes, as SQLite and Python sort them.
Rows go in with one ``INSERT ... SELECT FROM unnest(arrays)`` per table (a batch is one
statement whatever its size); reads fetch blobs, writes and chunks of a whole page with a few
``unnest`` joins (no query per checkpoint).

Fencing: a write that continues its thread's head (``expect_head``) first takes
``pg_advisory_xact_lock`` on the thread, then reads the newest checkpoint (a later statement,
so it sees every commit made before the lock was granted) and commits only if it is still the
parent (else the transaction, inserts included, is rolled back); the lock is held until the
transaction ends. Lock, head, inserts go in one pipeline: a step's commit is two round trips
(that pipeline with ``BEGIN``, then ``COMMIT``). Setup takes an advisory lock on the schema
so that workers starting together create it once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Generator, Iterable, Sequence
from typing import Any, Final, NamedTuple, TypeVar

import msgspec

from ._errors import CheckpointConflictError, CheckpointStoreError
from ._records import ThreadKey, Version
from ._rows import (
    BlobRow,
    CheckpointRow,
    Encoded,
    PruneRow,
    WriteRow,
    blobs_to_keep,
    check_heads,
    checkpoint_where,
    checkpoints_to_prune,
    chunk_refs,
    decode_versions,
    version_counter,
)
from ._schema import Page

T = TypeVar("T")

COMPONENT: Final = "checkpoints"
LOCK_CLASS: Final = 0x61677068  # "agph": the first key of every advisory lock actorgraph takes


class MissingBaseError(CheckpointStoreError):
    """A list delta was encoded against a version no longer stored (another process pruned or
    deleted the thread since this one wrote it): the saver encodes the step again in full."""

    def __init__(self, threads: list[str]) -> None:
        self.threads = threads
        super().__init__(f"the delta base of a list channel of thread(s) {threads!r} is no longer stored")


class Q(NamedTuple):
    """One statement and its parameters."""

    sql: str
    params: Sequence[Any] | None = None


Step = Q | list[Q]
Ops = Generator[Step, Any, T]
"""An operation: yields statements, receives their results, returns its value."""


def quote_ident(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    if not name or "\x00" in name:
        raise ValueError(f"not a usable PostgreSQL schema name: {name!r}")
    return '"' + name.replace('"', '""') + '"'


def pack_version(version: Version) -> str:
    """A version as stored: an int as its digits, a string as ``"s:" + it``."""
    if isinstance(version, int) and not isinstance(version, bool):
        return str(version)
    if isinstance(version, str):
        return "s:" + version
    raise CheckpointStoreError(f"a channel version must be an int or a str, not {version!r}")


def unpack_version(stored: str) -> Version:
    """The version a stored text stands for (see :func:`pack_version`)."""
    if stored.startswith("s:"):
        return stored[2:]
    try:
        return int(stored)
    except ValueError:
        raise CheckpointStoreError(f"corrupted channel version {stored!r} in the database") from None


def _unpack_opt(stored: str | None) -> Version | None:
    return None if stored is None else unpack_version(stored)


def _dedupe(rows: Iterable[tuple[Any, ...]], width: int, *, keep_last: bool) -> list[tuple[Any, ...]]:
    """Rows with distinct keys (their first ``width`` columns): one statement may not touch a
    row twice (``ON CONFLICT DO UPDATE``); later rows win (``keep_last``) or earlier ones."""
    out: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for row in rows:
        key = row[:width]
        if keep_last or key not in out:
            out[key] = row
    return list(out.values())


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows turned into ``width`` column lists (the arrays an ``unnest`` insert takes)."""
    return [[row[i] for row in rows] for i in range(width)]


class PgSql:
    """The statements of one schema; ``queries`` counts the statements sent."""

    def __init__(self, schema: str = "public") -> None:
        self.schema = schema
        s = quote_ident(schema)
        self.name = f"PostgreSQL schema {schema!r}"
        self.queries = 0
        self.cp, self.blobs, self.writes, self.chunks = (f"{s}.checkpoints", f"{s}.checkpoint_blobs",
                                                         f"{s}.checkpoint_writes", f"{s}.checkpoint_chunks")
        self.version_table = f"{s}.schema_version"
        self.migrations: tuple[tuple[str, ...], ...] = ((
            f"""CREATE TABLE {self.cp} (
                thread_id text COLLATE "C" NOT NULL,
                checkpoint_ns text COLLATE "C" NOT NULL DEFAULT '',
                checkpoint_id text COLLATE "C" NOT NULL,
                parent_checkpoint_id text COLLATE "C",
                ts double precision NOT NULL,
                channel_versions bytea NOT NULL,
                type text NOT NULL,
                checkpoint bytea NOT NULL,
                metadata_type text NOT NULL,
                metadata bytea NOT NULL,
                PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id))""",
            f"""CREATE TABLE {self.blobs} (
                thread_id text COLLATE "C" NOT NULL,
                checkpoint_ns text COLLATE "C" NOT NULL DEFAULT '',
                channel text COLLATE "C" NOT NULL,
                version text COLLATE "C" NOT NULL,
                counter bigint NOT NULL,
                root text COLLATE "C" NOT NULL,
                depth integer NOT NULL,
                base text COLLATE "C",
                type text NOT NULL,
                blob bytea NOT NULL,
                PRIMARY KEY (thread_id, checkpoint_ns, channel, version))""",
            f"""CREATE INDEX checkpoint_blobs_chain ON {self.blobs}
                (thread_id, checkpoint_ns, channel, root, depth) WHERE depth > 0""",
            f"""CREATE TABLE {self.writes} (
                thread_id text COLLATE "C" NOT NULL,
                checkpoint_ns text COLLATE "C" NOT NULL DEFAULT '',
                checkpoint_id text COLLATE "C" NOT NULL,
                task_id text COLLATE "C" NOT NULL,
                idx integer NOT NULL,
                channel text NOT NULL,
                type text NOT NULL,
                value bytea NOT NULL,
                task_path text NOT NULL DEFAULT '',
                PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx))""",
            f"""CREATE TABLE {self.chunks} (
                thread_id text COLLATE "C" NOT NULL,
                hash bytea NOT NULL,
                data bytea NOT NULL,
                PRIMARY KEY (thread_id, hash))""",
        ),)
        self.latest = len(self.migrations)
        self.own_tables = frozenset({"checkpoints", "checkpoint_blobs", "checkpoint_writes", "checkpoint_chunks"})
        self._insert_checkpoints = (
            f"INSERT INTO {self.cp} (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, ts, "
            "channel_versions, type, checkpoint, metadata_type, metadata) SELECT * FROM unnest("
            "%s::text[], %s::text[], %s::text[], %s::text[], %s::float8[], %s::bytea[], %s::text[], "
            "%s::bytea[], %s::text[], %s::bytea[]) ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) "
            "DO UPDATE SET parent_checkpoint_id = excluded.parent_checkpoint_id, ts = excluded.ts, "
            "channel_versions = excluded.channel_versions, type = excluded.type, "
            "checkpoint = excluded.checkpoint, metadata_type = excluded.metadata_type, "
            "metadata = excluded.metadata")
        self._insert_blobs = (
            f"INSERT INTO {self.blobs} (thread_id, checkpoint_ns, channel, version, counter, root, depth, "
            "base, type, blob) SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], "
            "%s::int8[], %s::text[], %s::int4[], %s::text[], %s::text[], %s::bytea[]) "
            "ON CONFLICT DO NOTHING RETURNING thread_id, checkpoint_ns, channel, version")
        write_cols = ("thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value, task_path")
        write_src = ("SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::int4[], "
                     "%s::text[], %s::text[], %s::bytea[], %s::text[])")
        self._insert_writes = f"INSERT INTO {self.writes} ({write_cols}) {write_src} ON CONFLICT DO NOTHING"
        self._upsert_writes = (
            f"INSERT INTO {self.writes} ({write_cols}) {write_src} ON CONFLICT "
            "(thread_id, checkpoint_ns, checkpoint_id, task_id, idx) DO UPDATE SET channel = excluded.channel, "
            "type = excluded.type, value = excluded.value, task_path = excluded.task_path")
        self._insert_chunks = (
            f"INSERT INTO {self.chunks} (thread_id, hash, data) SELECT * FROM unnest(%s::text[], "
            "%s::bytea[], %s::bytea[]) ON CONFLICT DO NOTHING")
        self._select_cp = (
            "SELECT c.thread_id, c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts, "
            f"c.channel_versions, c.type, c.checkpoint, c.metadata_type, c.metadata FROM {self.cp} c")
        self._blob_cols = "b.thread_id, b.checkpoint_ns, b.channel, b.version, b.root, b.depth, b.base, b.type, b.blob"

    def q(self, sql: str, params: Sequence[Any] | None = None) -> Q:
        self.queries += 1
        return Q(sql, params)

    def lock_thread(self, thread_id: str) -> Q:
        """The statement that takes the transaction's advisory lock on ``thread_id``."""
        return self.q("SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                      (LOCK_CLASS, f"{self.schema}\x1f{thread_id}"))

    # -- setup ------------------------------------------------------------------------------

    def setup(self) -> Ops[None]:
        """Create or migrate the schema up to the latest version (idempotent, one transaction,
        serialised across processes by an advisory lock on the schema's name)."""
        yield self.q("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (LOCK_CLASS, f"setup\x1f{self.schema}"))
        yield self.q(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(self.schema)}")
        tables = {r[0] for r in (yield self.q(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (self.schema,)))}
        if "schema_version" not in tables:
            yield self.q(f"CREATE TABLE {self.version_table} (component text PRIMARY KEY, version integer NOT NULL)")
            current = 0
        else:
            rows = yield self.q(f"SELECT version FROM {self.version_table} WHERE component = %s", (COMPONENT,))
            current = rows[0][0] if rows else 0
        if current == 0 and self.own_tables & tables:
            raise CheckpointStoreError(
                f"{self.name}: tables {sorted(self.own_tables & tables)} exist but schema_version has no "
                f"{COMPONENT!r} entry; this is not an actorgraph checkpoint schema (use another schema=)")
        if current > self.latest:
            raise CheckpointStoreError(
                f"{self.name} was written by a newer actorgraph (checkpoint schema version {current}; "
                f"this version reads up to {self.latest}): upgrade actorgraph")
        for version in range(current, self.latest):
            for statement in self.migrations[version]:
                yield self.q(statement)
        if current < self.latest:
            yield self.q(f"INSERT INTO {self.version_table} (component, version) VALUES (%s, %s) "
                         "ON CONFLICT (component) DO UPDATE SET version = excluded.version", (COMPONENT, self.latest))

    # -- writing ----------------------------------------------------------------------------

    def write(self, batch: Sequence[Encoded]) -> Ops[None]:
        """Store the rows of ``batch`` (jobs in commit order) in the transaction; checkpoints
        written with ``expect_head`` are fenced first (see the module doc)."""
        if len(batch) == 1:
            enc = batch[0]
        else:
            enc = Encoded([w for e in batch for w in e.writes], [b for e in batch for b in e.blobs],
                          [c for e in batch for c in e.checkpoints],
                          {k: v for e in batch for k, v in e.chunks.items()}, [h for e in batch for h in e.heads])
        # One pipeline: the fence (locks, then the heads, read after the locks are granted),
        # the check of delta bases, the inserts; the heads are checked on the results, before
        # the driver commits (a conflict rolls the inserts back).
        statements: list[Q] = []
        fenced = sorted({h[0] for h in enc.heads if h[4]})
        if fenced:
            pairs = sorted({(h[0], h[1]) for h in enc.heads if h[4]})
            statements.extend(self.lock_thread(t) for t in fenced)
            statements.append(self.q(
                f"SELECT u.t, u.n, (SELECT c.checkpoint_id FROM {self.cp} c WHERE c.thread_id = u.t "
                "AND c.checkpoint_ns = u.n ORDER BY c.checkpoint_id DESC LIMIT 1) "
                "FROM unnest(%s::text[], %s::text[]) AS u(t, n)",
                ([p[0] for p in pairs], [p[1] for p in pairs])))
        fence = len(statements)
        if enc.chunks:
            rows = [(thread, digest, data) for (thread, digest), data in enc.chunks.items()]
            statements.append(self.q(self._insert_chunks, _columns(rows, 3)))
        if enc.writes:
            plain = _dedupe((msgspec.structs.astuple(w) for w in enc.writes if w.idx >= 0), 5, keep_last=False)
            special = _dedupe((msgspec.structs.astuple(w) for w in enc.writes if w.idx < 0), 5, keep_last=True)
            if plain:
                statements.append(self.q(self._insert_writes, _columns(plain, 9)))
            if special:
                statements.append(self.q(self._upsert_writes, _columns(special, 9)))
        blob_rows: list[tuple[Any, ...]] = []
        if enc.blobs:
            blob_rows = _dedupe(((b.thread_id, b.ns, b.channel, pack_version(b.version), version_counter(b.version),
                                  pack_version(b.root), b.depth, None if b.base is None else pack_version(b.base),
                                  b.type, b.data) for b in enc.blobs), 4, keep_last=False)
            statements.append(self.q(self._insert_blobs, _columns(blob_rows, 10)))
        if enc.checkpoints:
            cps = _dedupe((msgspec.structs.astuple(c) for c in enc.checkpoints), 3, keep_last=True)
            statements.append(self.q(self._insert_checkpoints, _columns(cps, 10)))
        if not statements:
            return
        own = {tuple(r[:4]) for r in blob_rows}
        bases = sorted({(r[0], r[1], r[2], r[7]) for r in blob_rows if r[7] is not None} - own)
        if bases:  # (before the inserts: it must not see this batch's own rows)
            statements.insert(fence, self.q(
                f"SELECT u.t FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) AS u(t, n, ch, v) "
                f"WHERE NOT EXISTS (SELECT 1 FROM {self.blobs} b WHERE b.thread_id = u.t AND b.checkpoint_ns = u.n "
                "AND b.channel = u.ch AND b.version = u.v)", _columns(bases, 4)))
        results = yield statements
        if fenced:
            found = {(t, n): head for t, n, head in results[fence - 1]}
            check_heads(enc.heads, lambda thread, ns: found[(thread, ns)])
        if bases and results[fence]:
            raise MissingBaseError(sorted({r[0] for r in results[fence]}))
        if blob_rows:
            inserted = {tuple(r) for r in results[-2 if enc.checkpoints else -1]}
            taken = [r for r in blob_rows if tuple(r[:4]) not in inserted]
            if taken:
                yield from self._check_same_blobs(taken)

    def _check_same_blobs(self, rows: list[tuple[Any, ...]]) -> Ops[None]:
        """Blob rows whose keys were taken must hold what is stored, else the step would change
        what an existing checkpoint reads back: :class:`CheckpointConflictError`."""
        stored = yield self.q(
            f"SELECT b.thread_id, b.checkpoint_ns, b.channel, b.version, b.base, b.type, b.blob "
            f"FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) AS u(t, n, ch, v) "
            f"JOIN {self.blobs} b ON b.thread_id = u.t AND b.checkpoint_ns = u.n AND b.channel = u.ch "
            "AND b.version = u.v", _columns([r[:4] for r in rows], 4))
        have = {tuple(r[:4]): (r[4], r[5], bytes(r[6])) for r in stored}
        for t, ns, channel, version, _c, _root, _depth, base, type_, data in rows:
            if have.get((t, ns, channel, version)) != (base, type_, bytes(data)):
                raise CheckpointConflictError.reused(t, ns, channel, unpack_version(version))

    def max_version(self, key: ThreadKey) -> Ops[int]:
        rows = yield self.q(f"SELECT max(counter) FROM {self.blobs} WHERE thread_id = %s AND checkpoint_ns = %s",
                            (key.thread_id, key.checkpoint_ns))
        top = rows[0][0] if rows else None
        return int(top) if top is not None else 0

    def delete_thread(self, thread_id: str) -> Ops[None]:
        yield [self.q(f"DELETE FROM {table} WHERE thread_id = %s", (thread_id,))
               for table in (self.writes, self.blobs, self.cp, self.chunks)]

    # -- reading ----------------------------------------------------------------------------

    _SNAPSHOT: Final = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"

    def read_tuple(self, key: ThreadKey) -> Ops[Page | None]:
        """The addressed checkpoint (or the newest of the namespace) with what it needs."""
        base = f"{self._select_cp} WHERE c.thread_id = %s AND c.checkpoint_ns = %s"
        if key.checkpoint_id is not None:
            select = self.q(base + " AND c.checkpoint_id = %s", (key.thread_id, key.checkpoint_ns, key.checkpoint_id))
        else:
            select = self.q(base + " ORDER BY c.checkpoint_id DESC LIMIT 1", (key.thread_id, key.checkpoint_ns))
        _, found = yield [self.q(self._SNAPSHOT), select]
        rows = [CheckpointRow(*r) for r in found]
        if not rows:
            return None
        page: Page = yield from self._complete(rows)
        return page

    def read_page(self, thread: str | None, ns: str | None, checkpoint_id: str | None, before: str | None,
                  after: tuple[str, str, str] | None, limit: int) -> Ops[Page]:
        """Up to ``limit`` checkpoints, newest first, strictly after the ``after`` position."""
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("c.thread_id", thread), ("c.checkpoint_ns", ns), ("c.checkpoint_id", checkpoint_id)):
            if value is not None:
                where.append(f"{column} = %s")
                params.append(value)
        if before is not None:
            where.append("c.checkpoint_id < %s")
            params.append(before)
        if after is not None:
            where.append("(c.checkpoint_id, c.thread_id, c.checkpoint_ns) < (%s, %s, %s)")
            params.extend(after)
        sql = self._select_cp + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY c.checkpoint_id DESC, c.thread_id DESC, c.checkpoint_ns DESC LIMIT %s"
        _, found = yield [self.q(self._SNAPSHOT), self.q(sql, (*params, limit))]
        rows = [CheckpointRow(*r) for r in found]
        if not rows:
            return Page([], {}, {}, {})
        page: Page = yield from self._complete(rows)
        return page

    def _blob_row(self, r: Sequence[Any]) -> BlobRow:
        return BlobRow(r[0], r[1], r[2], unpack_version(r[3]), unpack_version(r[4]), r[5], _unpack_opt(r[6]),
                       r[7], r[8])

    def _complete(self, rows: list[CheckpointRow]) -> Ops[Page]:
        """Fetch the blobs (with their delta chains), pending writes and chunks of ``rows``."""
        wanted: set[tuple[str, str, str, str]] = set()
        for row in rows:
            try:
                versions = decode_versions(row.versions)
            except (msgspec.DecodeError, TypeError) as exc:
                raise CheckpointStoreError(
                    f"{self.name}: cannot decode channel versions of {checkpoint_where(row)}: {exc}") from exc
            wanted.update((row.thread_id, row.ns, ch, pack_version(v)) for ch, v in versions.items())
        wkeys = sorted({(r.thread_id, r.ns, r.checkpoint_id) for r in rows})
        blob_rows, write_rows = yield [
            self._fetch_blobs_q(wanted),
            self.q(f"SELECT w.thread_id, w.checkpoint_ns, w.checkpoint_id, w.task_id, w.idx, w.channel, w.type, "
                   f"w.value, w.task_path FROM unnest(%s::text[], %s::text[], %s::text[]) AS u(t, n, c) "
                   f"JOIN {self.writes} w ON w.thread_id = u.t AND w.checkpoint_ns = u.n AND w.checkpoint_id = u.c",
                   _columns(wkeys, 3)),
        ]
        blobs: dict[tuple[str, str, str, Version], BlobRow] = {}
        for r in blob_rows:
            b = self._blob_row(r)
            blobs[(b.thread_id, b.ns, b.channel, b.version)] = b
        # Delta chains: every row of each chain up to the deepest version needed, in one query.
        chains: dict[tuple[str, str, str, str], int] = {}
        for b in list(blobs.values()):
            if b.base is not None:
                ckey = (b.thread_id, b.ns, b.channel, pack_version(b.root))
                chains[ckey] = max(chains.get(ckey, 0), b.depth)
        if chains:
            items = sorted(chains.items())
            cols = _columns([(*k, d) for k, d in items], 5)
            found = yield self.q(
                f"SELECT {self._blob_cols} FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::int4[]) "
                f"AS u(t, n, ch, root, d) JOIN {self.blobs} b ON b.thread_id = u.t AND b.checkpoint_ns = u.n "
                "AND b.channel = u.ch AND b.root = u.root AND b.depth > 0 AND b.depth <= u.d "
                f"UNION ALL SELECT {self._blob_cols} FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) "
                f"AS u(t, n, ch, root) JOIN {self.blobs} b ON b.thread_id = u.t AND b.checkpoint_ns = u.n "
                "AND b.channel = u.ch AND b.version = u.root", [*cols, *cols[:4]])
            for r in found:
                b = self._blob_row(r)
                blobs[(b.thread_id, b.ns, b.channel, b.version)] = b
            # A base outside its chain (a row rewritten by another writer) is fetched directly.
            for _ in range(64):
                missing = {(b.thread_id, b.ns, b.channel, pack_version(b.base)) for b in blobs.values()
                           if b.base is not None and (b.thread_id, b.ns, b.channel, b.base) not in blobs}
                if not missing:
                    break
                more = yield self._fetch_blobs_q(missing)
                if not more:
                    break
                for r in more:
                    b = self._blob_row(r)
                    blobs[(b.thread_id, b.ns, b.channel, b.version)] = b
        writes: dict[tuple[str, str, str], list[WriteRow]] = defaultdict(list)
        for r in write_rows:
            w = WriteRow(*r)
            writes[(w.thread_id, w.ns, w.checkpoint_id)].append(w)
        chunks: dict[bytes, bytes] = yield from self._fetch_chunks(blobs.values(), writes.values())
        return Page(rows, blobs, dict(writes), chunks)

    def _fetch_blobs_q(self, wanted: Iterable[tuple[str, str, str, str]]) -> Q:
        return self.q(
            f"SELECT {self._blob_cols} FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) "
            f"AS u(t, n, ch, v) JOIN {self.blobs} b ON b.thread_id = u.t AND b.checkpoint_ns = u.n "
            "AND b.channel = u.ch AND b.version = u.v", _columns(sorted(wanted), 4))

    def _fetch_chunks(self, blobs: Iterable[BlobRow], writes: Iterable[list[WriteRow]]) -> Ops[dict[bytes, bytes]]:
        """The chunks the rows refer to, and those the chunks refer to (a query per level)."""
        wanted: set[tuple[str, bytes]] = set()
        refs: set[bytes] = set()
        rows: list[BlobRow | WriteRow] = [*blobs, *(w for ws in writes for w in ws)]
        for row in rows:
            chunk_refs(row.data, refs, row.type)
            if refs:
                wanted.update((row.thread_id, d) for d in refs)
                refs.clear()
        chunks: dict[bytes, bytes] = {}
        while wanted:
            found: set[tuple[str, bytes]] = set()
            result = yield self.q(
                f"SELECT c.thread_id, c.hash, c.data FROM unnest(%s::text[], %s::bytea[]) AS u(t, h) "
                f"JOIN {self.chunks} c ON c.thread_id = u.t AND c.hash = u.h", _columns(sorted(wanted), 2))
            for t, digest, data in result:
                chunks[bytes(digest)] = bytes(data)
                chunk_refs(bytes(data), refs)
                found.update((t, d) for d in refs if d not in chunks)
                refs.clear()
            wanted = {k for k in found if k[1] not in chunks}
        return chunks

    # -- housekeeping -------------------------------------------------------------------------

    def prune(self, thread_id: str, keep_last: int | None, older_than: float | None) -> Ops[int]:
        """Remove the thread's prunable checkpoints (see :func:`checkpoints_to_prune`) and the
        blobs, writes and chunks nothing left refers to; under the thread's lock."""

        def corrupted(what: str, detail: object) -> CheckpointStoreError:
            return CheckpointStoreError(f"{self.name}: cannot prune thread {thread_id!r}: {what} is "
                                        f"corrupted ({detail}); nothing was removed")

        _, found = yield [self.lock_thread(thread_id), self.q(
            f"""SELECT c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts,
                   EXISTS (SELECT 1 FROM {self.writes} w WHERE w.thread_id = c.thread_id
                           AND w.checkpoint_ns = c.checkpoint_ns AND w.checkpoint_id = c.checkpoint_id)
                FROM {self.cp} c WHERE c.thread_id = %s""", (thread_id,))]
        by_ns: dict[str, list[PruneRow]] = defaultdict(list)
        for ns, cid, parent, ts, has_writes in found:
            by_ns[ns].append(PruneRow(cid, parent, ts, bool(has_writes)))
        doomed = [(ns, cid) for ns, rows in by_ns.items()
                  for cid in checkpoints_to_prune(rows, keep_last=keep_last, older_than=older_than)]
        if not doomed:
            return 0
        cols = [[thread_id] * len(doomed), *_columns(doomed, 2)]
        using = "unnest(%s::text[], %s::text[], %s::text[]) AS u(t, n, c)"
        _, _, kept, bases = yield [
            self.q(f"DELETE FROM {self.writes} w USING {using} WHERE w.thread_id = u.t AND w.checkpoint_ns = u.n "
                   "AND w.checkpoint_id = u.c", cols),
            self.q(f"DELETE FROM {self.cp} c USING {using} WHERE c.thread_id = u.t AND c.checkpoint_ns = u.n "
                   "AND c.checkpoint_id = u.c", cols),
            self.q(f"SELECT checkpoint_ns, checkpoint_id, channel_versions FROM {self.cp} WHERE thread_id = %s",
                   (thread_id,)),
            self.q(f"SELECT checkpoint_ns, channel, version, base FROM {self.blobs} WHERE thread_id = %s",
                   (thread_id,)),
        ]
        needed: dict[str, set[tuple[str, Version]]] = defaultdict(set)
        for ns, cid, versions in kept:
            try:
                needed[ns].update(decode_versions(versions).items())
            except (msgspec.DecodeError, TypeError) as exc:
                raise corrupted(f"checkpoint {cid!r} (channel versions)", exc) from exc
        base_of: dict[str, dict[tuple[str, Version], Version | None]] = defaultdict(dict)
        for ns, channel, version, base in bases:
            base_of[ns][(channel, unpack_version(version))] = _unpack_opt(base)
        garbage: list[tuple[str, str, str]] = []
        for ns, known in base_of.items():
            keep = blobs_to_keep(needed.get(ns, ()), known)
            garbage.extend((ns, ch, pack_version(v)) for ch, v in known if (ch, v) not in keep)
        if garbage:
            yield self.q(f"DELETE FROM {self.blobs} b USING unnest(%s::text[], %s::text[], %s::text[]) AS u(n, ch, v) "
                         "WHERE b.thread_id = %s AND b.checkpoint_ns = u.n AND b.channel = u.ch AND b.version = u.v",
                         [*_columns(garbage, 3), thread_id])
        # chunks no remaining blob or write refers to, directly or through another chunk
        referenced: set[bytes] = set()
        blob_data, write_data, stored_rows = yield [
            self.q(f"SELECT type, blob FROM {self.blobs} WHERE thread_id = %s", (thread_id,)),
            self.q(f"SELECT type, value FROM {self.writes} WHERE thread_id = %s", (thread_id,)),
            self.q(f"SELECT hash, data FROM {self.chunks} WHERE thread_id = %s", (thread_id,)),
        ]
        for type_, data in [*blob_data, *write_data]:
            chunk_refs(bytes(data), referenced, type_)
        stored = {bytes(h): bytes(d) for h, d in stored_rows}
        todo = [d for d in referenced if d in stored]
        while todo:
            inner: set[bytes] = set()
            chunk_refs(stored[todo.pop()], inner)
            for d in inner - referenced:
                referenced.add(d)
                if d in stored:
                    todo.append(d)
        unused = [digest for digest in stored if digest not in referenced]
        if unused:
            yield self.q(f"DELETE FROM {self.chunks} WHERE thread_id = %s AND hash = ANY(%s::bytea[])",
                         (thread_id, unused))
        return len(doomed)

    def used_bytes(self) -> Ops[int]:
        """Bytes of the saver's tables: heap, TOAST and indexes (``pg_total_relation_size``)."""
        rows = yield self.q(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r' "
            "AND c.relname = ANY(%s::text[])", (self.schema, sorted(self.own_tables)))
        return int(rows[0][0])


def run_ops(ops: Ops[T], execute: Callable[[Step], Any]) -> T:
    """Drive ``ops`` with a synchronous ``execute`` (statement or list -> result)."""
    try:
        step = next(ops)
        while True:
            step = ops.send(execute(step))
    except StopIteration as done:
        result: T = done.value
        return result
