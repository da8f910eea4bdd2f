"""SQLite files under stress: many processes opening one new file at once, locks held by others,
and rows that cannot be decoded (wrong SQL type, garbage, missing pieces)."""

from __future__ import annotations

import contextlib
import os
import select
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import actorgraph
import actorgraph.persistence._schema as schema
from actorgraph.persistence import CheckpointStoreError, PersistenceError, SqliteSaver, SqliteStore
from actorgraph.persistence._errors import DatabaseLockedError
from test_persistence_savers import Run, cfg

# -- many processes, one new file -------------------------------------------------------------------

_WORKER = r"""
import os, sys
import anyio
from actorgraph.persistence import Checkpoint, SqliteSaver, SqliteStore, new_checkpoint_id
from actorgraph.persistence._records import now_iso

kind, folder, index, backend, *fds = sys.argv[1:]

async def open_and_write(path):
    if kind == "store":
        async with SqliteStore.from_conn_string(path) as store:
            await store.aput(("who",), f"w{index}", {"index": int(index)})
        return
    async with SqliteSaver.from_conn_string(path) as saver:
        cp = Checkpoint(id=new_checkpoint_id(-1), ts=now_iso(), channel_values={"who": int(index)},
                        channel_versions={"who": 1}, versions_seen={}, updated_channels=["who"])
        await saver.aput({"configurable": {"thread_id": f"w{index}", "checkpoint_ns": ""}}, cp,
                         {"source": "input", "step": -1, "parents": {}}, {"who": 1})

async def main():
    for round, fd in enumerate(fds):
        os.read(int(fd), 1)  # returns when the parent closes the pipe: every worker at once
        try:
            await open_and_write(os.path.join(folder, f"round-{round}.db"))
        except Exception as exc:
            print(round, "failed", type(exc).__name__, str(exc).replace("\n", " "), flush=True)
        else:
            print(round, "ok", flush=True)

anyio.run(main, backend=backend)
"""


def _open_together(tmp_path: Path, kind: str, workers: int, rounds: int) -> list[str]:
    """``workers`` processes (half on asyncio, half on trio) open a new file ``round-<r>.db`` at
    the same moment and write to it, for each round; the failures they report.

    In odd rounds another connection got to the new file first and still holds its write lock
    when the workers arrive (a process that is creating the file): it lets go when a worker
    reports, or after a moment, whichever is first. Even rounds are a plain race.
    """
    pipes = [os.pipe() for _ in range(rounds)]
    reads = [r for r, _ in pipes]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(actorgraph.__file__).parent.parent), os.environ.get("PYTHONPATH", "")])}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, kind, str(tmp_path), str(i), ("asyncio", "trio")[i % 2],
             *map(str, reads)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, pass_fds=reads, env=env,
        )
        for i in range(workers)
    ]
    outs = []
    for proc in procs:
        assert proc.stdout is not None
        outs.append(proc.stdout)
    failures: list[str] = []
    try:
        for r in reads:
            os.close(r)
        for round, (_, start) in enumerate(pipes):
            first = None
            if round % 2:
                first = sqlite3.connect(tmp_path / f"round-{round}.db", isolation_level=None)
                first.execute("BEGIN IMMEDIATE")
            os.close(start)  # the barrier: every worker's read returns now
            if first is not None:
                # (the wait only decides how many workers meet the lock, never the outcome)
                select.select(outs, [], [], 0.3)
                first.execute("COMMIT")
                first.close()
            for i, out in enumerate(outs):
                line = out.readline().strip()  # the worker's report on this round
                if line == f"{round} ok":
                    continue
                if not line:  # the worker died
                    line = f"{round} exited: {procs[i].communicate()[1].strip().splitlines()[-1:]}"
                failures.append(f"worker {i}, round {line}")
    except BaseException:
        for proc in procs:
            proc.kill()
        raise
    finally:
        for proc in procs:
            proc.communicate()
    return failures


def test_processes_opening_one_new_file_at_once_all_write_to_it(tmp_path: Path) -> None:
    workers, rounds = 10, 10
    failures = _open_together(tmp_path, "saver", workers, rounds)
    assert failures == [], f"{len(failures)} of {workers * rounds} opens failed:\n" + "\n".join(failures)
    for round in range(rounds):
        with SqliteSaver.from_conn_string(str(tmp_path / f"round-{round}.db")) as saver:
            heads = {t.config["configurable"]["thread_id"]: t.checkpoint.channel_values["who"]
                     for t in saver.list(None)}
        assert heads == {f"w{i}": i for i in range(workers)}


def test_processes_opening_one_new_store_file_at_once_all_write_to_it(tmp_path: Path) -> None:
    workers, rounds = 10, 10
    failures = _open_together(tmp_path, "store", workers, rounds)
    assert failures == [], f"{len(failures)} of {workers * rounds} opens failed:\n" + "\n".join(failures)
    for round in range(rounds):
        with SqliteStore.from_conn_string(str(tmp_path / f"round-{round}.db")) as store:
            found = {item.key: item.value["index"] for item in store.search(("who",), limit=100)}
        assert found == {f"w{i}": i for i in range(workers)}


# -- a lock another connection holds ------------------------------------------------------------------


@contextlib.contextmanager
def _first_opener(path: Path, wal: bool = False) -> Iterator[sqlite3.Connection]:
    """Another connection holding the write lock of ``path`` (a new, empty file unless ``wal``:
    then one a saver already set up)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    if wal:
        schema.Store("test").setup(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")
        conn.close()


def _release_on_first_retry(monkeypatch: pytest.MonkeyPatch, first: sqlite3.Connection) -> list[float]:
    """Make the opener's first pause between attempts end ``first``'s transaction."""
    pauses: list[float] = []

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        if first.in_transaction:
            first.execute("COMMIT")

    monkeypatch.setattr(schema, "_sleep", pause)
    return pauses


@pytest.mark.anyio
@pytest.mark.parametrize("inline", [False, True])
async def test_a_new_file_locked_by_its_first_opener_is_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inline: bool
) -> None:
    # The first opener holds the write lock while this one switches the file to WAL: SQLite
    # answers "database is locked" at once, without its busy handler; the open retries.
    path = tmp_path / "new.db"
    with _first_opener(path) as first:
        pauses = _release_on_first_retry(monkeypatch, first)
        async with SqliteSaver.from_conn_string(str(path), inline=inline) as saver:
            await Run(saver).put({"x": 1})
        assert pauses  # it did meet the lock
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        head = await saver.aget_tuple(cfg())
        assert head is not None and head.checkpoint.channel_values == {"x": 1}


@pytest.mark.anyio
async def test_a_new_store_file_locked_by_its_first_opener_is_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "new.db"
    with _first_opener(path) as first:
        pauses = _release_on_first_retry(monkeypatch, first)
        async with SqliteStore.from_conn_string(str(path)) as store:
            await store.aput(("a",), "k", {"v": 1})
        assert pauses
    async with SqliteStore.from_conn_string(str(path)) as store:
        item = await store.aget(("a",), "k")
        assert item is not None and item.value == {"v": 1}


@pytest.mark.anyio
@pytest.mark.parametrize("wal", [False, True], ids=["new-file", "set-up-file"])
async def test_a_lock_held_past_the_busy_timeout_is_a_lock_error_naming_the_file(
    tmp_path: Path, wal: bool
) -> None:
    path = tmp_path / "busy.db"
    with _first_opener(path, wal=wal):
        with pytest.raises(DatabaseLockedError, match="is locked") as info:
            async with SqliteSaver.from_conn_string(str(path), busy_timeout=0.05):
                pass
        assert str(path) in str(info.value) and "not a usable" not in str(info.value)
        assert isinstance(info.value, CheckpointStoreError) and info.value.timeout == 0.05
        with pytest.raises(DatabaseLockedError, match="is locked") as store_info:
            async with SqliteStore.from_conn_string(str(path), busy_timeout=0.05):
                pass
        assert str(path) in str(store_info.value)
    async with SqliteSaver.from_conn_string(str(path)) as saver:  # the file is fine
        await Run(saver).put({"x": 1})


@pytest.mark.anyio
async def test_a_write_or_read_meeting_a_lock_past_the_busy_timeout_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    async with SqliteSaver.from_conn_string(str(path), busy_timeout=0.05) as saver:
        run = Run(saver)
        await run.put({"x": 1})
        with _first_opener(path):
            with pytest.raises(DatabaseLockedError, match="is locked") as info:
                await run.put({"x": 2})
            assert str(path) in str(info.value)
            with pytest.raises(DatabaseLockedError) as info:
                await saver.aprune("t", keep_last=1)
            assert str(path) in str(info.value)
        head = await saver.aget_tuple(cfg())
        assert head is not None and head.checkpoint.channel_values == {"x": 1}
    async with SqliteStore.from_conn_string(str(path), busy_timeout=0.05) as store:
        with _first_opener(path):
            with pytest.raises(DatabaseLockedError) as info:
                await store.aput(("a",), "k", {"v": 1})
            assert str(path) in str(info.value) and isinstance(info.value, PersistenceError)
