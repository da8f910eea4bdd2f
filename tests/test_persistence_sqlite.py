"""SqliteSaver specifics: both backends on one file, foreign and corrupted files, migrations,
the batching writer actor, sync use, connections handed in, encryption at rest."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict

import aiosqlite
import anyio
import anyio.to_thread
import msgspec
import pytest

import actorgraph.persistence._schema as schema
from actorgraph import END, START, StateGraph
from actorgraph.persistence import (
    CheckpointStoreError,
    DecryptionError,
    SerializationError,
    SqliteSaver,
    TaskWrites,
)
from actorgraph.persistence._sqlite import _DbThread
from test_persistence_savers import Opaque, Run, cfg, history

pytestmark = pytest.mark.anyio


@contextlib.contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


async def fill(path: Path, thread: str = "t", steps: int = 3) -> list[dict[str, Any]]:
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        run = Run(saver, thread)
        return [await run.put({"log": list(range(i + 1)), "i": i}) for i in range(steps)]


# -- one file, both backends -----------------------------------------------------------------------


def test_a_file_written_on_asyncio_reads_on_trio_and_back(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")

    async def session(expected: list[int], driver: type, appended: int) -> None:
        async with SqliteSaver.from_conn_string(path) as saver:
            assert isinstance(saver._driver, driver)
            head = await saver.aget_tuple(cfg())
            if expected:
                assert head is not None and head.checkpoint.channel_values["log"] == expected
            run = Run(saver)
            if head is not None:
                run.config, run.values = head.config, dict(head.checkpoint.channel_values)
                run.versions = {k: int(v) for k, v in head.checkpoint.channel_versions.items()}
            await run.put({"log": [*expected, appended]})
            await saver.aput_writes(run.config, [("note", (appended, {appended}))], f"task-{appended}")

    anyio.run(session, [], _DbThread, 1, backend="asyncio")
    anyio.run(session, [1], _DbThread, 2, backend="trio")
    anyio.run(session, [1, 2], _DbThread, 3, backend="asyncio")

    async def check() -> None:
        async with SqliteSaver.from_conn_string(path) as saver:
            listed = await history(saver, cfg())
            assert [t.checkpoint.channel_values["log"] for t in listed] == [[1, 2, 3], [1, 2], [1]]
            assert [t.pending_writes for t in listed][0] == [("task-3", "note", (3, {3}))]

    anyio.run(check, backend="trio")


async def test_wal_mode_and_schema_version(tmp_path: Path) -> None:
    await fill(tmp_path / "db")
    with raw(tmp_path / "db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT component, version FROM schema_version").fetchall() == [
            ("checkpoints", schema.LATEST)
        ]


# -- foreign, newer and corrupted files ---------------------------------------------------------------


def _other_app(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")


def _langgraph_like(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE checkpoints (thread_id TEXT, checkpoint BLOB)")
    conn.execute("CREATE TABLE writes (thread_id TEXT, value BLOB)")


def _newer(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES ('checkpoints', 99)")


def _other_schema_version(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE schema_version (v INTEGER)")


def _tables_without_entry(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
    conn.execute("CREATE TABLE checkpoints (x)")


@pytest.mark.parametrize(("make", "message"), [
    (_other_app, "not an actorgraph checkpoint database"),
    (_langgraph_like, "not an actorgraph checkpoint database"),
    (_newer, "newer actorgraph"),
    (_other_schema_version, "not an actorgraph checkpoint database"),
    (_tables_without_entry, "not an actorgraph checkpoint database"),
])
async def test_foreign_or_newer_files_are_refused(tmp_path: Path, make: Any, message: str) -> None:
    path = tmp_path / "foreign.db"
    with raw(path) as conn:
        make(conn)
        before = conn.execute("SELECT name FROM sqlite_master ORDER BY name").fetchall()
    with pytest.raises(CheckpointStoreError, match=message):
        async with SqliteSaver.from_conn_string(str(path)):
            pass
    with raw(path) as conn:  # nothing was changed
        assert conn.execute("SELECT name FROM sqlite_master ORDER BY name").fetchall() == before


async def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(os.urandom(8192))
    with pytest.raises(CheckpointStoreError, match="not a usable SQLite database"):
        async with SqliteSaver.from_conn_string(str(path)):
            pass


async def test_an_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointStoreError, match="cannot open"):
        async with SqliteSaver.from_conn_string(str(tmp_path / "no" / "such" / "dir.db")):
            pass


async def test_sharing_a_file_with_another_component_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    with raw(path) as conn:
        conn.execute("CREATE TABLE schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
        conn.execute("INSERT INTO schema_version VALUES ('store', 1)")
        conn.execute("CREATE TABLE store_items (k TEXT)")
    await fill(path)
    with raw(path) as conn:
        assert dict(conn.execute("SELECT component, version FROM schema_version").fetchall()) == {
            "store": 1, "checkpoints": schema.LATEST}


@pytest.mark.parametrize(("sql", "message"), [
    ("UPDATE checkpoints SET checkpoint = x'c1c1'", "cannot decode checkpoint"),
    ("UPDATE checkpoints SET metadata = x'00'", "cannot decode metadata"),
    ("UPDATE checkpoints SET channel_versions = x'c1'", "channel versions"),
    ("UPDATE checkpoint_blobs SET blob = x'c1' WHERE channel = 'i'", "channel 'i'"),
    ("UPDATE checkpoint_blobs SET type = 'nope' WHERE channel = 'i'", "channel 'i'"),
    ("DELETE FROM checkpoint_blobs WHERE channel = 'log' AND base IS NULL", "is missing"),
    ("UPDATE checkpoint_writes SET value = x'c1'", "write 'x'"),
])
async def test_corrupted_rows_raise_a_store_error(tmp_path: Path, sql: str, message: str) -> None:
    path = tmp_path / "db"
    configs = await fill(path, steps=4)
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        await saver.aput_writes(configs[-1], [("x", 1)], "task")
    with raw(path) as conn:
        conn.execute(sql)
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        with pytest.raises(CheckpointStoreError, match=message) as info:
            await saver.aget_tuple(cfg())
        if "thread" in str(info.value):
            assert "'t'" in str(info.value)


async def test_migrations_run_in_order_in_one_transaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "db"
    await fill(path)
    broken = (*schema.MIGRATIONS, ("CREATE TABLE extra (x)", "THIS IS NOT SQL"))
    monkeypatch.setattr(schema, "MIGRATIONS", broken)
    monkeypatch.setattr(schema, "LATEST", len(broken))
    with pytest.raises(CheckpointStoreError):
        async with SqliteSaver.from_conn_string(str(path)):
            pass
    with raw(path) as conn:  # rolled back: no table, old version
        assert conn.execute("SELECT version FROM schema_version").fetchone()[0] == len(broken) - 1
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'extra'").fetchone()[0] == 0

    fixed = (*schema.MIGRATIONS[:-1], ("CREATE TABLE extra (x)", "INSERT INTO extra VALUES (1)"))
    monkeypatch.setattr(schema, "MIGRATIONS", fixed)
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        head = await saver.aget_tuple(cfg())
        assert head is not None and head.checkpoint.channel_values["i"] == 2
    with raw(path) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchone()[0] == len(fixed)
        assert conn.execute("SELECT x FROM extra").fetchall() == [(1,)]


# -- the writer actor ----------------------------------------------------------------------------------


async def test_concurrent_writes_share_transactions(tmp_path: Path) -> None:
    async with SqliteSaver.from_conn_string(str(tmp_path / "db"), queue_size=8) as saver:
        outcomes: dict[int, BaseException | None] = {}

        async def one(i: int) -> None:
            run = Run(saver, f"thread-{i}")
            try:
                await run.put({"i": i, "bad": Opaque()} if i == 13 else {"i": i})
                await run.put({"i": i + 1000})
                outcomes[i] = None
            except SerializationError as exc:
                outcomes[i] = exc

        async with anyio.create_task_group() as tg:
            for i in range(200):
                tg.start_soon(one, i)
        stats = saver.statistics()
        assert [i for i, e in outcomes.items() if e is not None] == [13]
        assert stats.jobs == 398 and stats.failed_jobs == 1  # thread-13 stopped after its failure
        assert stats.transactions < stats.jobs // 4
        assert stats.largest_batch > 1
        for i in range(200):
            head = await saver.aget_tuple(cfg(f"thread-{i}"))
            assert (head is None) if i == 13 else (head is not None and head.checkpoint.channel_values == {"i": i + 1000})


def poison(path: Path) -> None:
    """Make the database itself refuse pending writes of task ``poison``."""
    with raw(path) as conn:
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON checkpoint_writes WHEN NEW.task_id = 'poison' "
                     "BEGIN SELECT RAISE(ABORT, 'poisoned write'); END")


async def test_a_batch_that_fails_in_the_database_only_fails_the_culprit(tmp_path: Path) -> None:
    path = tmp_path / "db"
    await fill(path, steps=1)
    poison(path)
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        configs = [await Run(saver, f"t{i}").put({"i": i}) for i in range(20)]
        errors: dict[int, BaseException] = {}

        async def write(i: int) -> None:
            try:
                await saver.aput_writes(configs[i], [("x", i)], "poison" if i == 7 else "task")
            except CheckpointStoreError as exc:
                errors[i] = exc

        before = saver.statistics()
        async with anyio.create_task_group() as tg:
            for i in range(20):
                tg.start_soon(write, i)
        after = saver.statistics()
        assert list(errors) == [7] and "poisoned write" in str(errors[7])
        assert after.jobs - before.jobs == 19 and after.failed_jobs - before.failed_jobs == 1
        for i in range(20):
            head = await saver.aget_tuple(configs[i])
            assert head is not None and head.pending_writes == ([] if i == 7 else [("task", "x", i)])


async def test_a_step_is_atomic_in_the_database(tmp_path: Path) -> None:
    path = tmp_path / "db"
    await fill(path, thread="other", steps=1)
    poison(path)
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        run = Run(saver)
        start = await run.put({"a": 1})
        cp, versions = run.next_checkpoint({"a": 2})
        with pytest.raises(CheckpointStoreError, match="poisoned"):
            await saver.aput_step(start, [TaskWrites("ok", [("a", 2)]), TaskWrites("poison", [("a", 3)])],
                                  cp, {"source": "loop", "step": 0}, versions)
        head = await saver.aget_tuple(cfg())
        assert head is not None and head.config == start and head.pending_writes == []
        await run.put({"a": 5})
        head = await saver.aget_tuple(cfg())
        assert head is not None and head.checkpoint.channel_values == {"a": 5}


async def test_leaving_by_error_or_cancellation_stores_what_was_accepted(tmp_path: Path) -> None:
    path = tmp_path / "db"

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with SqliteSaver.from_conn_string(str(path)) as saver:
            await Run(saver, "a").put({"x": 1})
            raise Boom
    with anyio.move_on_after(0.05) as scope:
        async with SqliteSaver.from_conn_string(str(path)) as saver:
            await Run(saver, "b").put({"x": 2})
            await anyio.sleep_forever()
    assert scope.cancelled_caught
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        assert [t.config["configurable"]["thread_id"] for t in await history(saver, None)] == ["b", "a"]


async def test_listing_history_costs_a_bounded_number_of_queries_per_page(tmp_path: Path) -> None:
    async with SqliteSaver.from_conn_string(str(tmp_path / "db")) as saver:
        run = Run(saver)
        for i in range(200):
            await run.put({"log": [*run.values.get("log", []), i], "i": i})
            if i % 10 == 0:
                await saver.aput_writes(run.config, [("w", i)], "task")
        before = saver.statistics()
        listed = await history(saver, cfg())
        after = saver.statistics()
        assert len(listed) == 200 and listed[0].checkpoint.channel_values["log"] == list(range(200))
        pages = after.reads - before.reads
        assert pages == 4  # 64 + 64 + 64 + 8
        assert after.queries - before.queries <= 4 * pages


async def test_closed_savers_refuse_work(tmp_path: Path) -> None:
    saver = SqliteSaver.from_conn_string(str(tmp_path / "db"))
    with pytest.raises(CheckpointStoreError, match="not open"):
        await saver.aget_tuple(cfg())
    async with saver:
        await Run(saver).put({"a": 1})
    with pytest.raises(CheckpointStoreError, match="not open"):
        await Run(saver).put({"a": 2})
    async with saver:  # and it can be opened again
        assert (await saver.aget_tuple(cfg())) is not None


async def test_sync_methods_from_worker_threads_run_on_the_saver_loop(tmp_path: Path) -> None:
    async with SqliteSaver.from_conn_string(str(tmp_path / "db")) as saver:
        config = await Run(saver).put({"a": [1]})
        await anyio.to_thread.run_sync(saver.put_writes, config, [("a", 2)], "task")
        got = await anyio.to_thread.run_sync(saver.get_tuple, cfg())
        assert got is not None and got == await saver.aget_tuple(cfg())
        assert got.pending_writes == [("task", "a", 2)]
        with pytest.raises(RuntimeError, match="aput"):
            saver.put(config, Run(saver).next_checkpoint({"a": 1})[0], {}, {})


# -- sync use and connections handed in -----------------------------------------------------------------


def test_sync_context_manager(tmp_path: Path) -> None:
    path = str(tmp_path / "db")
    with SqliteSaver.from_conn_string(path) as saver:
        run = Run(saver)
        cp, versions = run.next_checkpoint({"log": ["a"]})
        config = saver.put(cfg(), cp, {"source": "input", "step": -1}, versions)
        saver.put_writes(config, [("log", "b")], "task")
        got = saver.get_tuple(cfg())
        assert got is not None and got.pending_writes == [("task", "log", "b")]

        async def from_a_private_loop() -> None:  # what a sync graph.invoke does
            run.config = config
            await run.put({"log": ["a", "b"]})

        anyio.run(from_a_private_loop, backend="trio")
        anyio.run(from_a_private_loop, backend="asyncio")
        assert [t.checkpoint.channel_values["log"] for t in saver.list(cfg())] == [["a", "b"]] * 2 + [["a"]]
        saver.delete_thread("t")
        assert saver.get_tuple(cfg()) is None
    with pytest.raises(CheckpointStoreError, match="not open"):
        saver.get_tuple(cfg())


def test_an_aiosqlite_connection_handed_in(tmp_path: Path) -> None:
    path = str(tmp_path / "db")

    async def main() -> None:
        async with aiosqlite.connect(path) as conn:
            saver = SqliteSaver(conn)  # usable without `async with`
            config = await Run(saver).put({"a": 1})
            async with saver:  # adds the batching writer; the connection stays open
                await saver.aput_writes(config, [("a", 2)], "task")
            head = await saver.aget_tuple(cfg())
            assert head is not None and head.pending_writes == [("task", "a", 2)]
            async with conn.execute("SELECT count(*) FROM checkpoints") as cursor:  # still open
                assert await cursor.fetchone() == (1,)

    anyio.run(main, backend="asyncio")


async def test_a_sqlite3_connection_handed_in(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "db", check_same_thread=False)
    try:
        saver = SqliteSaver(conn)
        await Run(saver).put({"a": 1})
        head = await saver.aget_tuple(cfg())
        assert head is not None and head.checkpoint.channel_values == {"a": 1}
    finally:
        conn.close()
    with pytest.raises(TypeError):
        SqliteSaver("state.db")  # type: ignore[arg-type]


# -- encryption at rest ------------------------------------------------------------------------------------


async def test_encrypted_store(tmp_path: Path) -> None:
    pytest.importorskip("cryptography")
    from actorgraph.persistence import EncryptedSerializer

    path = tmp_path / "secret.db"
    key = os.urandom(32)
    secret = "the-launch-code-is-0000"
    async with SqliteSaver.from_conn_string(str(path), serde=EncryptedSerializer.from_aes_key(key)) as saver:
        run = Run(saver)
        await run.put({"msgs": [secret]}, note=secret)
        await run.put({"msgs": [secret, secret + "!"]})
        await saver.aput_writes(run.config, [("w", secret)], "task")
        head = await saver.aget_tuple(cfg())
        assert head is not None and head.checkpoint.channel_values["msgs"] == [secret, secret + "!"]
    with raw(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert secret.encode() not in path.read_bytes()
    async with SqliteSaver.from_conn_string(str(path), serde=EncryptedSerializer.from_aes_key(os.urandom(32))) as saver:
        with pytest.raises(DecryptionError):
            await saver.aget_tuple(cfg())
    async with SqliteSaver.from_conn_string(str(path)) as saver:  # no key at all
        with pytest.raises(CheckpointStoreError, match="msgpack\\+aes"):
            await saver.aget_tuple(cfg())


def test_rows_are_plain_structs() -> None:
    # the row model is msgspec all the way down (what the writer hands the database thread)
    assert issubclass(schema.Page, msgspec.Struct)


# -- LangGraph's recipes, ported by imports (expected values: LangGraph 1.2.24, same programs) ----


class _X(TypedDict):
    x: int


def _one_node() -> Any:
    return StateGraph(_X).add_node("a", lambda s: {"x": s["x"] + 1}).add_edge(START, "a").add_edge("a", END)


def test_langgraphs_sync_sqlite_recipes(tmp_path: Path) -> None:
    import sqlite3

    from actorgraph.checkpoint.sqlite import SqliteSaver
    from actorgraph.persistence import SqliteSaver as Saver, SqliteStore as Store
    from actorgraph.store.sqlite import SqliteStore

    assert issubclass(SqliteSaver, Saver) and issubclass(SqliteStore, Store)
    config = {"configurable": {"thread_id": "t"}}
    with SqliteSaver.from_conn_string(":memory:") as saver:
        app = _one_node().compile(checkpointer=saver)
        assert app.invoke({"x": 1}, config) == {"x": 2}
        assert len(list(saver.list(config))) == 3
    conn = sqlite3.connect(tmp_path / "x.db", check_same_thread=False)
    try:
        saver = SqliteSaver(conn)
        assert saver.setup() is None  # (a plain method, as LangGraph's; ours is a coroutine elsewhere)
        app = _one_node().compile(checkpointer=saver)
        assert app.invoke({"x": 1}, config) == {"x": 2}
        assert app.invoke({"x": 2}, config) == {"x": 3}
        assert len(list(app.get_state_history(config))) == 6
    finally:
        conn.close()
    with SqliteStore.from_conn_string(":memory:") as store:
        assert store.setup() is None
        store.put(("a",), "k", {"v": 1})
        item = store.get(("a",), "k")
        assert item is not None and item.value == {"v": 1}


async def test_langgraphs_async_sqlite_recipes(tmp_path: Path, anyio_backend: str) -> None:
    import aiosqlite

    from actorgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
    from actorgraph.persistence import SqliteSaver as Saver, SqliteStore as Store
    from actorgraph.store.sqlite.aio import AsyncSqliteStore

    assert AsyncSqliteSaver is Saver and AsyncSqliteStore is Store
    config = {"configurable": {"thread_id": "t"}}
    async with AsyncSqliteSaver.from_conn_string(":memory:") as saver:
        await saver.setup()
        app = _one_node().compile(checkpointer=saver)
        assert await app.ainvoke({"x": 1}, config) == {"x": 2}
        assert len([c async for c in saver.alist(config)]) == 3
    async with AsyncSqliteStore.from_conn_string(str(tmp_path / "s.db")) as store:
        await store.setup()
        await store.aput(("a",), "k", {"v": 1})
        item = await store.aget(("a",), "k")
        assert item is not None and item.value == {"v": 1}
    if anyio_backend == "asyncio":  # (an aiosqlite connection works on asyncio only)
        async with aiosqlite.connect(tmp_path / "y.db") as conn:
            saver = AsyncSqliteSaver(conn)
            await saver.setup()
            app = _one_node().compile(checkpointer=saver)
            assert await app.ainvoke({"x": 1}, config) == {"x": 2}
