"""SqliteSaver's database thread: one dedicated thread per open saver serves its connection
(every write and read is one hand-off to it), a second one fsyncs the WAL aside; both are
joined when the saver closes, a cancelled caller waits for the commit it handed off, a failing
call does not stop the thread, and the newest checkpoint the saver remembers is read again
once another connection commits. Both backends."""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any

import anyio
import pytest

from actorgraph.actors import _wake
from actorgraph.persistence import CheckpointConflictError, CheckpointStoreError, SqliteSaver, TaskWrites
from actorgraph.persistence._sqlite import _DbThread, _InlineDriver, _ThreadDriver, _WalSyncer
from test_persistence_savers import Run, cfg, history

pytestmark = pytest.mark.anyio


def _ours() -> set[threading.Thread]:
    """The saver's threads now running (anyio's and trio's worker threads come and go)."""
    return {t for t in threading.enumerate() if t.name.startswith("actorgraph-sqlite")}


def _driver(saver: SqliteSaver) -> _DbThread:
    driver = saver._driver
    assert isinstance(driver, _DbThread)
    return driver


async def test_closing_the_saver_joins_its_threads(tmp_path: Path) -> None:
    saver = SqliteSaver.from_conn_string(str(tmp_path / "db"))
    for _ in range(2):  # and it opens again
        async with saver:
            run = Run(saver)
            for i in range(3):
                await run.put({"i": i})
            driver = _driver(saver)
            syncer = driver.syncer
            assert syncer is not None
            assert {driver.thread, syncer.thread} == _ours()
            assert all(t.is_alive() for t in _ours())
        assert not driver.thread.is_alive() and not syncer.thread.is_alive()
        assert _ours() == set()
    assert saver._driver is None


async def test_a_saver_that_fails_to_open_leaves_no_thread(tmp_path: Path) -> None:
    path = tmp_path / "foreign.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    conn.close()
    with pytest.raises(CheckpointStoreError, match="not an actorgraph checkpoint database"):
        async with SqliteSaver.from_conn_string(str(path)):
            pass
    assert _ours() == set()
    with pytest.raises(CheckpointStoreError):
        async with SqliteSaver.from_conn_string(str(tmp_path / "missing" / "dir" / "db")):
            pass
    assert _ours() == set()


async def test_a_connection_handed_in_is_served_by_a_thread_while_open(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "db", check_same_thread=False, isolation_level=None)
    try:
        saver = SqliteSaver(conn)
        await Run(saver, "before").put({"a": 0})
        async with saver:
            driver = _driver(saver)
            assert driver.conn is conn and driver.syncer is None  # (not a file of ours)
            await Run(saver).put({"a": 1})
            assert _ours() == {driver.thread}
        assert _ours() == set() and not driver.thread.is_alive()
        assert isinstance(saver._driver, _ThreadDriver)
        head = await saver.aget_tuple(cfg())  # the connection is still open, used as before
        assert head is not None and head.checkpoint.channel_values == {"a": 1}
        assert conn.execute("SELECT count(*) FROM checkpoints").fetchone() == (2,)
    finally:
        conn.close()


async def test_a_cancelled_caller_waits_for_the_commit_it_handed_off(tmp_path: Path) -> None:
    async with SqliteSaver.from_conn_string(str(tmp_path / "db")) as saver:
        run = Run(saver)
        await run.put({"a": 0})
        entered, release = threading.Event(), threading.Event()
        write = saver._store.write

        def slow_write(conn: sqlite3.Connection, batch: Any) -> None:
            entered.set()
            release.wait(10)
            write(conn, batch)

        saver._store.write = slow_write  # type: ignore[method-assign]
        cp, versions = run.next_checkpoint({"a": 1})
        returned: list[bool] = []

        async def step(scope: anyio.CancelScope) -> None:
            with scope:
                await saver.aput_step(run.config, [TaskWrites("task", [("a", 1)])], cp,
                                      {"source": "loop", "step": 0}, versions, expect_head=True)
            returned.append(scope.cancelled_caught)

        scope = anyio.CancelScope()
        async with anyio.create_task_group() as tg:
            tg.start_soon(step, scope)
            while not entered.is_set():
                await anyio.sleep(0.001)
            scope.cancel()
            await anyio.sleep(0.05)
            assert returned == []  # still waiting for the commit under way
            release.set()
        assert returned == [True]  # the cancellation, once the commit landed
        saver._store.write = write  # type: ignore[method-assign]
        head = await saver.aget_tuple(cfg())
        assert head is not None and head.checkpoint.id == cp.id  # stored, and the saver knows it
        assert head.checkpoint.channel_values == {"a": 1}
        assert saver.statistics().jobs == 2


async def test_closing_waits_for_calls_already_handed_off(tmp_path: Path) -> None:
    path = tmp_path / "db"
    stored: list[str] = []
    async with anyio.create_task_group() as tg, SqliteSaver.from_conn_string(str(path)) as saver:
        entered = threading.Event()
        write = saver._store.write

        def slow_write(conn: sqlite3.Connection, batch: Any) -> None:
            entered.set()
            threading.Event().wait(0.1)
            write(conn, batch)

        saver._store.write = slow_write  # type: ignore[method-assign]

        async def put() -> None:
            config = await Run(saver).put({"a": 1})
            stored.append(config["configurable"]["checkpoint_id"])

        tg.start_soon(put)
        while not entered.is_set():
            await anyio.sleep(0.001)
    assert len(stored) == 1
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        assert [t.checkpoint.id for t in await history(saver, cfg())] == stored


async def test_a_failing_call_does_not_stop_the_thread(tmp_path: Path) -> None:
    async with SqliteSaver.from_conn_string(str(tmp_path / "db")) as saver:
        driver = _driver(saver)
        with pytest.raises(ZeroDivisionError):
            await driver.call(lambda conn: 1 / 0)
        with pytest.raises(sqlite3.OperationalError):
            await driver.call(lambda conn: conn.execute("SELECT nothing FROM nowhere"))
        assert await driver.call(lambda conn: conn.execute("SELECT 41 + 1").fetchone()) == (42,)
        await Run(saver).put({"a": 1})
        assert driver.thread.is_alive()
        assert driver.thread is not threading.current_thread()


@pytest.mark.parametrize("wake", ["eventfd", "no-eventfd"])
async def test_concurrent_and_cancelled_calls_are_all_answered(tmp_path: Path, wake: str, anyio_backend: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The thread wakes the event loop through an eventfd where there is one (asyncio: a
    reader; trio: the waiting callers read it in turn), else through ``call_soon_threadsafe``
    or the trio token: many calls in flight at once each get their own answer, a caller
    cancelled while waiting leaves nothing stuck, and the eventfd is closed with the saver."""
    if wake == "no-eventfd":
        monkeypatch.setattr(_wake, "eventfd", lambda: None)
    async with SqliteSaver.from_conn_string(str(tmp_path / "db")) as saver:
        driver = _driver(saver)
        assert (driver._waker.fd is not None) == (wake == "eventfd" and sys.platform == "linux")
        assert driver._waker.polled == (driver._waker.fd is not None and anyio_backend == "trio")
        results: dict[int, int] = {}

        def slow_square(conn: sqlite3.Connection, i: int) -> int:
            threading.Event().wait(0.001 * (i % 3))
            return int(conn.execute("SELECT ? * ?", (i, i)).fetchone()[0])

        async def ask(i: int) -> None:
            results[i] = await driver.call(slow_square, i)

        for _ in range(3):
            results.clear()
            async with anyio.create_task_group() as tg:
                for i in range(30):
                    tg.start_soon(ask, i)
            assert results == {i: i * i for i in range(30)}
        release = threading.Event()
        with anyio.move_on_after(0.02) as scope:
            await driver.call(lambda conn: release.wait(0.2))  # cancelled: waits for the outcome
        assert scope.cancelled_caught
        release.set()
        for i in range(5):  # and the next calls are answered as before
            assert await driver.call(slow_square, i) == i * i
        await Run(saver).put({"a": 1})
    assert driver._waker.fd is None


async def test_every_call_runs_on_the_one_database_thread(tmp_path: Path) -> None:
    async with SqliteSaver.from_conn_string(str(tmp_path / "db")) as saver:
        seen: set[int] = set()
        write = saver._store.write

        def spy(conn: sqlite3.Connection, batch: Any) -> None:
            seen.add(threading.get_ident())
            write(conn, batch)

        saver._store.write = spy  # type: ignore[method-assign]
        run = Run(saver)
        await run.put({"a": 0})
        waits = []
        for i in range(20):  # through the batching writer actor too
            cp, versions = run.next_checkpoint({"a": i + 1})
            waits.append(await saver.asubmit_step(run.config, [], cp, {"source": "loop", "step": i}, versions))
            run.config = cfg(checkpoint_id=cp.id)
        for wait in waits:
            await wait()
        assert seen == {_driver(saver).thread.ident}
        assert len(await history(saver, cfg())) == 21


async def test_the_wal_is_synced_aside_and_checkpointed_as_sqlite_does(tmp_path: Path) -> None:
    """A second thread fsyncs the WAL while the writer writes; SQLite's own checkpoints still
    copy it into the database (the WAL file stays ~1000 pages), and another connection's
    checkpoint works as with any SQLite file."""
    path = tmp_path / "db"
    page = 8192
    steps = 300
    synced: set[int] = set()
    fsync = os.fsync

    def spy(fd: int) -> None:
        synced.add(threading.get_ident())
        fsync(fd)

    async with SqliteSaver.from_conn_string(str(path)) as saver:
        driver = _driver(saver)
        syncer = driver.syncer
        assert syncer is not None
        os.fsync = spy
        try:
            run = Run(saver)
            for i in range(steps):
                await run.put({"big": os.urandom(4 * page), "i": i})  # ~7 pages a step, 2000 in all
        finally:
            os.fsync = fsync
        assert syncer.syncs > 0
        assert syncer.thread.ident in synced and driver.thread.ident not in synced
        assert os.path.getsize(f"{path}-wal") < 1500 * page
        with sqlite3.connect(path) as other:
            assert other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone() == (0, 0, 0)
            assert other.execute("SELECT count(*) FROM checkpoints").fetchone() == (steps,)
        other.close()
        await run.put({"i": steps})
    assert not os.path.exists(f"{path}-wal")  # the last connection to close checkpointed it
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        head = await saver.aget_tuple(cfg())
        assert head is not None and head.checkpoint.channel_values["i"] == steps


async def test_a_head_another_connection_moved_is_read_again(tmp_path: Path) -> None:
    """The saver remembers the newest checkpoint of a thread it writes to; another connection
    committing makes it look again, so a step continuing a stale head is refused."""
    path = str(tmp_path / "db")
    async with SqliteSaver.from_conn_string(path) as a, SqliteSaver.from_conn_string(path) as b:
        run = Run(a)
        for i in range(3):
            cp, versions = run.next_checkpoint({"i": i})
            await a.aput_step(run.config, [], cp, {"source": "loop", "step": i}, versions, expect_head=True)
            run.config = cfg(checkpoint_id=cp.id)
        mine = run.config
        cp, versions = run.next_checkpoint({"i": 10})
        await b.aput_step(mine, [], cp, {"source": "loop", "step": 10}, versions, expect_head=True)
        cp2, versions = run.next_checkpoint({"i": 11})
        with pytest.raises(CheckpointConflictError) as caught:
            await a.aput_step(mine, [], cp2, {"source": "loop", "step": 10}, versions, expect_head=True)
        assert caught.value.found == cp.id
        await a.aput_step(cfg(checkpoint_id=cp.id), [], cp2, {"source": "loop", "step": 11}, versions,
                          expect_head=True)
        assert [t.checkpoint.id for t in await history(b, cfg())][:2] == [cp2.id, cp.id]


async def test_a_thread_deleted_and_written_again_starts_a_new_chain(tmp_path: Path) -> None:
    async with SqliteSaver.from_conn_string(str(tmp_path / "db")) as saver:
        run = Run(saver)
        cp, versions = run.next_checkpoint({"i": 0})
        await saver.aput_step(cfg(), [], cp, {"source": "input", "step": -1}, versions, expect_head=True)
        await saver.adelete_thread("t")
        again = Run(saver)
        cp, versions = again.next_checkpoint({"i": 1})
        await saver.aput_step(cfg(), [], cp, {"source": "input", "step": -1}, versions, expect_head=True)
        assert [t.checkpoint.id for t in await history(saver, cfg())] == [cp.id]


async def test_an_inline_saver_syncs_its_wal_aside_and_joins_the_syncer(tmp_path: Path) -> None:
    """inline=True: SQL runs on the event loop's thread, the WAL's fsyncs on a syncer thread
    (as with the database thread), stopped and joined when the saver closes."""
    path = tmp_path / "db"
    async with SqliteSaver.from_conn_string(str(path), inline=True) as saver:
        driver = saver._driver
        assert isinstance(driver, _InlineDriver)
        syncer = driver.syncer
        assert syncer is not None and _ours() == {syncer.thread}
        run = Run(saver)
        for i in range(4 * _WalSyncer.NUDGE):
            await run.put({"i": i})
        for _ in range(200):  # (the syncer answers its nudges at its own pace)
            if syncer.syncs:
                break
            await anyio.sleep(0.01)
        assert syncer.syncs > 0
    assert not syncer.thread.is_alive() and _ours() == set()
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        assert len(await history(saver, cfg())) == 4 * _WalSyncer.NUDGE
