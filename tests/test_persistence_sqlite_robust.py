"""SQLite files under stress: many processes opening one new file at once, locks held by others,
and rows that cannot be decoded (wrong SQL type, garbage, missing pieces)."""

from __future__ import annotations

import contextlib
import io
import operator
import os
import re
import select
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TypedDict

import anyio
import pytest

import actorgraph
from actorgraph import START, StateGraph
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


# -- rows that cannot be decoded -----------------------------------------------------------------------

BIG = "b" * 3000  # interned: the blob holds a reference to a chunk
NUMS = list(range(400))  # over INLINE_MAX bytes: the whole blob lives in a chunk


@contextlib.contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


async def _fill(path: Path, serde: Any = None) -> list[str]:
    """Thread 't': three checkpoints (a list growing by deltas, an int, an interned string, a
    chunked list) and two pending writes on the newest; their ids, oldest first."""
    async with SqliteSaver.from_conn_string(str(path), serde=serde) as saver:
        run = Run(saver)
        configs = [await run.put({"log": [0], "i": 0, "big": BIG, "nums": NUMS})]
        for step in (1, 2):
            configs.append(await run.put({"log": list(range(step + 1)), "i": step}))
        await saver.aput_writes(run.config, [("x", 1), ("y", "y" * 2000)], "task-1")
        return [str(c["configurable"]["checkpoint_id"]) for c in configs]


CORRUPTIONS = [
    # a BLOB column holding another SQL type
    ("UPDATE checkpoint_blobs SET blob = CAST(blob AS TEXT) WHERE channel = 'i'", r"channel 'i'.*TEXT, not a BLOB"),
    ("UPDATE checkpoint_blobs SET blob = CAST(blob AS TEXT)", r"channel '\w+'.*TEXT, not a BLOB"),  # not UTF-8
    ("UPDATE checkpoint_blobs SET blob = 3.5 WHERE channel = 'i'", r"channel 'i'.*REAL, not a BLOB"),
    ("UPDATE checkpoints SET checkpoint = 'garbage'", r"decode checkpoint '{head}'.*TEXT, not a BLOB"),
    ("UPDATE checkpoints SET metadata = 'garbage'", r"metadata of checkpoint '{head}'.*TEXT, not a BLOB"),
    ("UPDATE checkpoints SET channel_versions = 'garbage'", r"channel versions"),
    ("UPDATE checkpoint_writes SET value = CAST(value AS TEXT) WHERE channel = 'x'",
     r"pending write 'x' of task 'task-1'.*TEXT, not a BLOB"),
    ("UPDATE checkpoint_writes SET value = 12 WHERE channel = 'x'", r"pending write 'x' of task 'task-1'.*INTEGER"),
    ("UPDATE checkpoint_blobs SET type = x'00' WHERE channel = 'i'", r"channel 'i'.*type tag is BLOB"),
    ("UPDATE checkpoint_chunks SET data = CAST(data AS TEXT)", r"channel '(big|nums)'"),
    # garbage and truncated bytes
    ("UPDATE checkpoints SET checkpoint = x'c1c1'", r"decode checkpoint '{head}'"),
    ("UPDATE checkpoints SET metadata = x'00'", r"metadata of checkpoint '{head}'.*not a dict"),
    ("UPDATE checkpoints SET metadata = x'c1'", r"metadata of checkpoint '{head}'"),
    ("UPDATE checkpoint_blobs SET blob = substr(blob, 1, length(blob) - 1) WHERE channel = 'log' AND base IS NULL",
     r"channel 'log'.*truncated"),
    ("UPDATE checkpoint_writes SET value = x'c1' WHERE channel = 'x'", r"pending write 'x' of task 'task-1'"),
    ("UPDATE checkpoints SET parent_checkpoint_id = x'0102'", r"parent id of checkpoint '{head}'"),
    # missing pieces
    ("DELETE FROM checkpoint_chunks", r"channel '(big|nums)'.*missing"),
    ("DELETE FROM checkpoint_blobs WHERE channel = 'i'", r"channel 'i'.*blob, written with the checkpoint, is missing"),
    ("DELETE FROM checkpoint_blobs WHERE channel = 'log' AND base IS NULL", r"channel 'log'.*missing"),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("sql", "names"), CORRUPTIONS, ids=[sql for sql, _ in CORRUPTIONS])
async def test_an_undecodable_row_is_a_store_error_naming_file_thread_checkpoint_and_channel(
    tmp_path: Path, sql: str, names: str
) -> None:
    path = tmp_path / "damaged.db"
    head = (await _fill(path))[-1]
    with raw(path) as conn:
        assert conn.execute(sql).rowcount > 0
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        reads = {
            "aget_tuple": lambda: saver.aget_tuple(cfg()),
            "alist": lambda: _drain(saver.alist(cfg())),
            "alist(filter=...)": lambda: _drain(saver.alist(cfg(), filter={"source": "loop"})),
            "alist(None)": lambda: _drain(saver.alist(None)),
        }
        for name, read in reads.items():
            with pytest.raises(CheckpointStoreError) as info:
                await read()
            message = str(info.value)
            assert f"SQLite file {str(path)!r}" in message, name
            assert "thread 't'" in message, name
            assert f"checkpoint '{head}'" in message, name
            assert re.search(names.format(head=head), message), (name, message)


async def _drain(tuples: Any) -> None:
    async for _ in tuples:
        pass


@pytest.mark.anyio
async def test_a_missing_blob_is_an_error_at_the_checkpoint_that_wrote_it(tmp_path: Path) -> None:
    # Later checkpoints name the version too, but a caller may name versions it never stored
    # (only new_versions are), so there a missing blob reads as an absent value.
    path = tmp_path / "damaged.db"
    first = (await _fill(path))[0]
    with raw(path) as conn:
        assert conn.execute("DELETE FROM checkpoint_blobs WHERE channel = 'big'").rowcount == 1
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        with pytest.raises(CheckpointStoreError, match=rf"channel 'big' \(version 1\) of checkpoint '{first}' "
                                                       r"of thread 't': its blob, written with the checkpoint, "
                                                       r"is missing") as info:
            await _drain(saver.alist(cfg()))
        assert str(path) in str(info.value)
        with pytest.raises(CheckpointStoreError, match=f"checkpoint '{first}'"):
            await saver.aget_tuple(cfg(checkpoint_id=first))


@pytest.mark.anyio
async def test_a_readable_file_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "fine.db"
    await _fill(path)
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        head = await saver.aget_tuple(cfg())
        assert head is not None
        assert head.checkpoint.channel_values == {"log": [0, 1, 2], "i": 2, "big": BIG, "nums": NUMS}
        assert head.pending_writes == [("task-1", "x", 1), ("task-1", "y", "y" * 2000)]
        assert len([t async for t in saver.alist(cfg(), filter={"source": "loop"})]) == 3


@pytest.mark.anyio
async def test_a_damaged_thread_is_not_pruned(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    await _fill(path)
    with raw(path) as conn:
        conn.execute("UPDATE checkpoint_blobs SET blob = CAST(blob AS TEXT)")
        before = conn.execute("SELECT count(*) FROM checkpoints").fetchone()
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        with pytest.raises(CheckpointStoreError, match="cannot prune thread 't'") as info:
            await saver.aprune("t", keep_last=1)
        assert str(path) in str(info.value)
    with raw(path) as conn:
        assert conn.execute("SELECT count(*) FROM checkpoints").fetchone() == before


@pytest.mark.anyio
async def test_an_encrypted_file_tells_a_damaged_row_from_a_wrong_key(tmp_path: Path) -> None:
    from actorgraph.persistence import DecryptionError, EncryptedSerializer

    path = tmp_path / "secret.db"
    serde = EncryptedSerializer.from_aes_key(b"k" * 32)
    head = (await _fill(path, serde))[-1]
    with raw(path) as conn:  # tampered bytes: authentication fails
        # (the first byte is a random nonce's: flipped, not set, so that every row changes)
        conn.execute("UPDATE checkpoint_blobs SET blob = CAST(CASE WHEN substr(blob, 1, 1) = x'00' THEN x'01' "
                     "ELSE x'00' END || substr(blob, 2) AS BLOB) WHERE channel = 'i'")
    async with SqliteSaver.from_conn_string(str(path), serde=serde) as saver:
        with pytest.raises(DecryptionError) as decryption:
            await saver.aget_tuple(cfg())
        assert any("channel 'i'" in note and str(path) in note for note in decryption.value.__notes__)
    with raw(path) as conn:  # not bytes at all: a damaged row, whatever the key
        conn.execute("UPDATE checkpoint_blobs SET blob = CAST(blob AS TEXT) WHERE channel = 'i'")
    async with SqliteSaver.from_conn_string(str(path), serde=serde) as saver:
        with pytest.raises(CheckpointStoreError, match=rf"checkpoint '{head}' of thread 't'.*TEXT") as info:
            await saver.aget_tuple(cfg())
        assert str(path) in str(info.value)


class _Log(TypedDict):
    log: Annotated[list[str], operator.add]


async def _fill_graph(path: str) -> None:
    g = StateGraph(_Log)
    g.add_node("a", lambda s: {"log": ["a"]})
    g.add_edge(START, "a")
    async with SqliteSaver.from_conn_string(path) as saver:
        await g.compile(checkpointer=saver).ainvoke({"log": ["one"]}, {"configurable": {"thread_id": "t1"}})
    with raw(Path(path)) as conn:
        conn.execute("UPDATE checkpoint_blobs SET blob = CAST(blob AS TEXT) WHERE channel = 'log'")


@pytest.mark.anyio
async def test_graph_state_and_history_of_a_damaged_file_raise_a_named_store_error(tmp_path: Path) -> None:
    path = str(tmp_path / "damaged.db")
    await _fill_graph(path)
    g = StateGraph(_Log)
    g.add_node("a", lambda s: {"log": ["a"]})
    g.add_edge(START, "a")
    config = {"configurable": {"thread_id": "t1"}}
    async with SqliteSaver.from_conn_string(path) as saver:
        app = g.compile(checkpointer=saver)
        with pytest.raises(CheckpointStoreError, match=r"channel 'log'.*of thread 't1'.*TEXT") as info:
            await app.aget_state(config)
        assert path in str(info.value)
        with pytest.raises(CheckpointStoreError, match=r"channel 'log'.*of thread 't1'.*TEXT"):
            async for _ in app.aget_state_history(config):
                pass


@pytest.mark.parametrize("command", [["threads"], ["history", "t1"], ["state", "t1"]])
def test_the_inspect_commands_on_a_damaged_file_raise_a_named_store_error(tmp_path: Path, command: list[str]) -> None:
    from actorgraph.cli import main

    path = str(tmp_path / "damaged.db")
    anyio.run(_fill_graph, path)
    with pytest.raises(CheckpointStoreError, match=r"channel 'log'.*of thread 't1'.*TEXT") as info:
        main([command[0], path, *command[1:]], io.StringIO())
    assert path in str(info.value)
