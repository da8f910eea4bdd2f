"""PostgresSaver specifics: fencing between savers (as separate worker processes would have),
concurrent setup, schema versioning, pools handed in, sync use, history listing cost, and
encryption at rest. The shared contract runs in the ``saver``-fixture tests (conftest.py)."""

from __future__ import annotations

import contextlib
import operator
import os
import threading
from typing import Annotated, Any, TypedDict

import anyio
import pytest

from actorgraph import END, START, StateGraph
from actorgraph.persistence import (
    CheckpointConflictError,
    CheckpointStoreError,
    DecryptionError,
    TaskWrites,
)
from conftest import postgres_url
from test_persistence_savers import Run, cfg, history

pytestmark = pytest.mark.anyio


def _saver(schema: str, **kw: Any) -> Any:
    from actorgraph.persistence import PostgresSaver

    kw.setdefault("max_size", 4)
    return PostgresSaver.from_conn_string(postgres_url(), schema=schema, **kw)


def _sql(sql: str, params: Any = None) -> list[Any]:
    import psycopg

    with psycopg.connect(postgres_url(), autocommit=True) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else []


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
async def test_two_savers_on_one_schema_never_fork_a_thread(pg_schema: str, durability: str) -> None:
    """As test_runtime_persistence's SQLite test: run A waits inside its node while run B (on
    another saver, another pool: another worker) does a whole turn; whichever commits second
    onto a checkpoint the other continued fails with CheckpointConflictError."""

    class S(TypedDict):
        log: Annotated[list[str], operator.add]

    entered, release = anyio.Event(), anyio.Event()

    async def work(state: S, config: Any) -> dict[str, Any]:
        who = config["configurable"]["who"]
        if who == "A":
            entered.set()
            await release.wait()
        return {"log": [who]}

    g = StateGraph(S)
    g.add_node("work", work)
    g.add_edge(START, "work")
    g.add_edge("work", END)
    thread = {"thread_id": "t"}
    async with _saver(pg_schema) as one, _saver(pg_schema) as two:
        a, b = g.compile(checkpointer=one), g.compile(checkpointer=two)
        await b.ainvoke({"log": ["start"]}, {"configurable": {**thread, "who": "B"}})
        conflicts: list[str] = []

        async def turn(graph: Any, who: str, value: str) -> None:
            try:
                await graph.ainvoke({"log": [value]}, {"configurable": {**thread, "who": who}},
                                    durability=durability)
            except CheckpointConflictError:
                conflicts.append(who)

        async with anyio.create_task_group() as tg:
            tg.start_soon(turn, a, "A", "a")
            await entered.wait()
            await turn(b, "B", "b")
            release.set()
        assert len(conflicts) == 1, conflicts
        states = [s async for s in b.aget_state_history({"configurable": thread})]
        parents = [s.parent_config["configurable"]["checkpoint_id"] for s in states if s.parent_config]
        assert len(parents) == len(set(parents)), "a checkpoint has two children: the chain forked"
        out = await a.ainvoke({"log": ["c"]}, {"configurable": {**thread, "who": "C"}})
        assert out["log"][:2] == ["start", "B"] and out["log"][-2:] == ["c", "C"]


async def test_racing_commits_on_one_head_exactly_one_wins(pg_schema: str) -> None:
    """Eight savers (eight pools) commit a step onto the same head at the same moment: the
    advisory lock serialises them, one is stored, seven get CheckpointConflictError and leave
    no row behind (not even their pending writes)."""
    async with contextlib.AsyncExitStack() as stack:
        savers = [await stack.enter_async_context(_saver(pg_schema, max_size=1)) for _ in range(8)]
        first = savers[0]
        run = Run(first)
        head = await run.put({"a": 0})
        outcome: dict[int, str] = {}
        go = anyio.Event()

        async def commit(i: int) -> None:
            cp, versions = run.next_checkpoint({"a": i})
            await go.wait()
            try:
                await savers[i].aput_step(head, [TaskWrites(f"task-{i}", [("a", i)])], cp,
                                          {"source": "loop", "step": 1}, versions, expect_head=True)
                outcome[i] = "stored"
            except CheckpointConflictError:
                outcome[i] = "conflict"

        async with anyio.create_task_group() as tg:
            for i in range(8):
                tg.start_soon(commit, i)
            await anyio.sleep(0)
            go.set()
        assert sorted(outcome.values()) == ["conflict"] * 7 + ["stored"]
        winner = next(i for i, o in outcome.items() if o == "stored")
        listed = await history(first, cfg())
        assert len(listed) == 2 and listed[0].checkpoint.channel_values == {"a": winner}
        base = await first.aget_tuple(head)
        assert base is not None and [w[0] for w in base.pending_writes] == [f"task-{winner}"]


def test_workers_starting_together_set_the_schema_up_once(pg_schema: str) -> None:
    """Six savers open a new schema at the same moment (threads, each its own pool): all
    succeed, and the schema holds one version row and the tables once."""
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            barrier.wait()
            with _saver(pg_schema, max_size=1) as saver:
                saver.put(cfg(f"t{threading.get_ident()}"), Run(saver).next_checkpoint({"a": 1})[0], {}, {"a": 1})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _sql(f'SELECT component, version FROM "{pg_schema}".schema_version') == [("checkpoints", 1)]
    assert _sql(f'SELECT count(*) FROM "{pg_schema}".checkpoints') == [(6,)]


async def test_setup_is_idempotent_and_refuses_newer_or_foreign_schemas(pg_schema: str) -> None:
    async with _saver(pg_schema) as saver:
        config = await Run(saver).put({"a": 1})
        await saver.setup()
        await saver.setup()
        assert (await saver.aget_tuple(config)) is not None
    _sql(f'UPDATE "{pg_schema}".schema_version SET version = 7')
    with pytest.raises(CheckpointStoreError, match="newer actorgraph.*version 7"):
        async with _saver(pg_schema):
            pass
    _sql(f'DROP TABLE "{pg_schema}".schema_version')
    with pytest.raises(CheckpointStoreError, match="not an actorgraph checkpoint schema"):
        async with _saver(pg_schema):
            pass


async def test_an_unreachable_server_is_a_store_error() -> None:
    from actorgraph.persistence import PostgresSaver

    postgres_url()
    saver = PostgresSaver.from_conn_string("postgresql://postgres@127.0.0.1:1/test", timeout=0.5)
    with pytest.raises(CheckpointStoreError, match="cannot open PostgreSQL schema 'public'"):
        async with saver:
            pass
    with pytest.raises(CheckpointStoreError, match="not open"):
        await saver.aget_tuple(cfg())


async def test_alist_holds_no_connection_while_it_yields(pg_schema: str) -> None:
    """With a pool of ONE connection, a loop over alist (three pages) reads each checkpoint
    again inside its body: that only works if no page keeps the connection while yielding."""
    async with _saver(pg_schema, max_size=1) as saver:
        run = Run(saver)
        for i in range(150):
            await run.put({"i": i})
        seen = 0
        async for t in saver.alist(cfg()):
            again = await saver.aget_tuple(t.config)
            assert again is not None and again.checkpoint == t.checkpoint
            seen += 1
        assert seen == 150


async def test_listing_history_costs_a_bounded_number_of_queries(pg_schema: str) -> None:
    async with _saver(pg_schema) as saver:
        run = Run(saver)
        for i in range(200):
            config = await run.put({"log": list(range(i + 1)), "big": "x" * 2000 + str(i)})
            await saver.aput_writes(config, [("w", i), ("v", "y" * 1000)], f"task-{i}")
        before = saver.statistics().queries
        listed = await history(saver, cfg())
        spent = saver.statistics().queries - before
    assert len(listed) == 200 and listed[0].pending_writes[0][2] == 199
    assert listed[-1].checkpoint.channel_values["log"] == [0]
    pages = 4  # 64 a page
    assert spent <= pages * 6, f"{spent} statements for {pages} pages: a query per checkpoint?"


def test_sync_use_without_an_event_loop(pg_schema: str) -> None:
    with _saver(pg_schema) as saver:
        run_cp, versions = Run(saver).next_checkpoint({"a": 1})
        config = saver.put(cfg(), run_cp, {"source": "input", "step": -1}, versions)
        saver.put_writes(config, [("a", 2)], "task")
        got = saver.get_tuple(config)
        assert got is not None and got.checkpoint.channel_values == {"a": 1}
        assert got.pending_writes == [("task", "a", 2)]
        assert [t.config for t in saver.list(cfg())] == [config]
        saver.delete_thread("t")
        assert saver.get_tuple(cfg()) is None


def test_langgraphs_sync_postgres_paths_have_a_sync_setup(pg_schema: str) -> None:
    # LangGraph's sync recipe, ported by imports: `with PostgresSaver.from_conn_string(url) as
    # saver: saver.setup()` (a plain method there; ours is a coroutine), the same for the store
    from actorgraph.checkpoint.postgres import PostgresSaver
    from actorgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from actorgraph.persistence import PostgresSaver as Saver, PostgresStore as Store
    from actorgraph.store.postgres import PostgresStore
    from actorgraph.store.postgres.aio import AsyncPostgresStore

    assert issubclass(PostgresSaver, Saver) and AsyncPostgresSaver is Saver
    assert issubclass(PostgresStore, Store) and AsyncPostgresStore is Store

    class S(TypedDict):
        x: int

    graph = StateGraph(S).add_node("a", lambda s: {"x": s["x"] + 1}).add_edge(START, "a").add_edge("a", END)
    with PostgresSaver.from_conn_string(postgres_url(), schema=pg_schema) as saver:
        assert saver.setup() is None
        app = graph.compile(checkpointer=saver)
        assert app.invoke({"x": 1}, cfg("lg")) == {"x": 2}
        assert app.get_state(cfg("lg")).values == {"x": 2}
    with PostgresStore.from_conn_string(postgres_url(), schema=pg_schema) as store:
        assert store.setup() is None
        store.put(("a",), "k", {"v": 1})
        item = store.get(("a",), "k")
        assert item is not None and item.value == {"v": 1}


class _X(TypedDict):
    x: int


def _one_node() -> Any:
    return StateGraph(_X).add_node("a", lambda s: {"x": s["x"] + 1}).add_edge(START, "a").add_edge("a", END)


def test_a_single_connection_handed_in_as_langgraphs_docs_do(pg_schema: str) -> None:
    # LangGraph's recipe: `with psycopg.connect(url, autocommit=True, row_factory=dict_row) as
    # conn: saver = PostgresSaver(conn); saver.setup()` (ours took only pools: TypeError).
    # Expected values: LangGraph 1.2.24 running the same graph ({'x': 2}, {'x': 6}, 6 checkpoints).
    import psycopg
    from psycopg.rows import dict_row

    from actorgraph.checkpoint.postgres import PostgresSaver
    from actorgraph.store.postgres import PostgresStore

    with psycopg.connect(postgres_url(), autocommit=True, row_factory=dict_row) as conn:
        saver = PostgresSaver(conn, schema=pg_schema)
        saver.setup()
        app = _one_node().compile(checkpointer=saver)
        assert app.invoke({"x": 1}, cfg("c")) == {"x": 2}
        assert app.invoke({"x": 5}, cfg("c")) == {"x": 6}
        assert len(list(app.get_state_history(cfg("c")))) == 6
        store = PostgresStore(conn, schema=pg_schema)
        store.setup()
        store.put(("a",), "k", {"v": 1})
        item = store.get(("a",), "k")
        assert item is not None and item.value == {"v": 1}
        assert not conn.closed  # (the connection stays the caller's)
    with psycopg.connect(postgres_url()) as plain:  # not autocommit, tuple rows: the same
        app = _one_node().compile(checkpointer=PostgresSaver(plain, schema=pg_schema))
        assert app.get_state(cfg("c")).values == {"x": 6}
    with pytest.raises(TypeError, match="PostgresSaver needs a psycopg_pool ConnectionPool"):
        PostgresSaver("postgresql://nowhere")  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_a_single_connection_handed_in_async(pg_schema: str, anyio_backend: str) -> None:
    # LangGraph's async recipe: AsyncPostgresSaver(await AsyncConnection.connect(...)); psycopg's
    # async API runs on asyncio only: on trio the same saver takes a sync connection
    import psycopg
    from psycopg.rows import dict_row

    from actorgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    async with contextlib.AsyncExitStack() as stack:
        if anyio_backend == "asyncio":
            conn: Any = await stack.enter_async_context(await psycopg.AsyncConnection.connect(
                postgres_url(), autocommit=True, prepare_threshold=0, row_factory=dict_row))
        else:
            conn = stack.enter_context(psycopg.connect(postgres_url(), autocommit=True, row_factory=dict_row))
        saver = AsyncPostgresSaver(conn, schema=pg_schema)
        await saver.setup()
        app = _one_node().compile(checkpointer=saver)
        assert await app.ainvoke({"x": 1}, cfg("c")) == {"x": 2}
        assert await app.ainvoke({"x": 5}, cfg("c")) == {"x": 6}
        assert len([s async for s in app.aget_state_history(cfg("c"))]) == 6


async def test_sync_twins_from_worker_threads_run_on_the_saver_loop(pg_schema: str) -> None:
    async with _saver(pg_schema) as saver:
        config = await Run(saver).put({"a": 1})
        with pytest.raises(RuntimeError, match="aget_tuple"):
            saver.get_tuple(config)
        got = await anyio.to_thread.run_sync(saver.get_tuple, config)
        assert got is not None and got.checkpoint.channel_values == {"a": 1}


async def test_a_pool_handed_in_stays_the_callers(pg_schema: str, anyio_backend: str) -> None:
    import psycopg_pool

    from actorgraph.persistence import PostgresSaver

    pool: psycopg_pool.ConnectionPool[Any] = psycopg_pool.ConnectionPool(postgres_url(), min_size=1, max_size=2,
                                                                         open=False)
    await anyio.to_thread.run_sync(pool.open)
    try:
        saver = PostgresSaver(pool, schema=pg_schema)
        await saver.setup()
        config = await Run(saver).put({"a": [1, 2]})
        got = await saver.aget_tuple(config)
        assert got is not None and got.checkpoint.channel_values == {"a": [1, 2]}
        async with saver:  # opening and closing does not close the caller's pool
            pass
        assert not pool.closed
        assert (await saver.aget_tuple(config)) is not None
    finally:
        await anyio.to_thread.run_sync(pool.close)
    if anyio_backend == "trio":
        apool = psycopg_pool.AsyncConnectionPool(postgres_url(), open=False)
        with pytest.raises(CheckpointStoreError, match="only works on asyncio"):
            await PostgresSaver(apool, schema=pg_schema).aget_tuple(config)
    else:
        apool = psycopg_pool.AsyncConnectionPool(postgres_url(), min_size=1, max_size=2, open=False)
        await apool.open()
        try:
            got = await PostgresSaver(apool, schema=pg_schema).aget_tuple(config)
            assert got is not None and got.checkpoint.channel_values == {"a": [1, 2]}
        finally:
            await apool.close()


def test_written_on_asyncio_reads_on_trio(pg_schema: str) -> None:
    async def write() -> dict[str, Any]:
        async with _saver(pg_schema) as saver:
            run = Run(saver)
            await run.put({"msgs": ["hi"]})
            return await run.put({"msgs": ["hi", "there" * 300]})

    async def read(config: dict[str, Any]) -> Any:
        async with _saver(pg_schema) as saver:
            return await saver.aget_tuple(config)

    config = anyio.run(write, backend="asyncio")
    got = anyio.run(read, config, backend="trio")
    assert got is not None and got.checkpoint.channel_values == {"msgs": ["hi", "there" * 300]}


async def test_encrypted_at_rest(pg_schema: str) -> None:
    pytest.importorskip("cryptography")
    from actorgraph.persistence import EncryptedSerializer

    key = os.urandom(32)
    secret = "the-launch-code-is-0000"
    async with _saver(pg_schema, serde=EncryptedSerializer.from_aes_key(key)) as saver:
        run = Run(saver)
        await run.put({"msgs": [secret]}, note=secret)
        await run.put({"msgs": [secret, secret + "!" * 700]})
        await saver.aput_writes(run.config, [("w", secret)], "task")
        head = await saver.aget_tuple(cfg())
        assert head is not None and head.checkpoint.channel_values["msgs"] == [secret, secret + "!" * 700]
    dumped = b"".join(
        bytes(v) for table, col in (("checkpoints", "metadata"), ("checkpoint_blobs", "blob"),
                                    ("checkpoint_writes", "value"), ("checkpoint_chunks", "data"))
        for (v,) in _sql(f'SELECT {col} FROM "{pg_schema}".{table}'))
    assert len(dumped) > 100 and secret.encode() not in dumped
    async with _saver(pg_schema, serde=EncryptedSerializer.from_aes_key(os.urandom(32))) as saver:
        with pytest.raises(DecryptionError):
            await saver.aget_tuple(cfg())
    async with _saver(pg_schema) as saver:  # no key at all
        with pytest.raises(CheckpointStoreError, match="msgpack\\+aes"):
            await saver.aget_tuple(cfg())


async def test_a_corrupted_row_names_the_schema_thread_and_channel(pg_schema: str) -> None:
    async with _saver(pg_schema) as saver:
        await Run(saver).put({"a": 1, "b": 2})
        _sql(f"""UPDATE "{pg_schema}".checkpoint_blobs SET blob = '\\x00ff'::bytea WHERE channel = 'b'""")
        with pytest.raises(CheckpointStoreError, match=f"PostgreSQL schema '{pg_schema}'.*channel 'b'.*thread 't'"):
            await saver.aget_tuple(cfg())


async def test_concurrent_steps_share_transactions_and_only_the_culprit_fails(pg_schema: str) -> None:
    """Forty runs commit at once through one saver: the writer actor batches them into fewer
    transactions than steps. One of them continues a stale head: it alone fails, the others
    of its batch are stored."""
    async with _saver(pg_schema) as saver:
        runs = [Run(saver, f"t{i}") for i in range(40)]
        stale = await runs[0].put({"a": 0})
        await runs[0].put({"a": 1})
        for run in runs[1:]:
            await run.put({"a": -1})
        outcome: dict[int, str] = {}

        async def drive(i: int) -> None:
            run = runs[i]
            for k in range(5):
                config = stale if (i == 0 and k == 0) else run.config
                cp, versions = run.next_checkpoint({"a": k})
                try:
                    run.config = await saver.aput_step(config, [TaskWrites("task", [("a", k)])], cp,
                                                       {"source": "loop", "step": k}, versions, expect_head=True)
                except CheckpointConflictError:
                    outcome[i] = "conflict"
                    return
            outcome[i] = "stored"

        before = saver.statistics()
        async with anyio.create_task_group() as tg:
            for i in range(40):
                tg.start_soon(drive, i)
        stats = saver.statistics()
        assert outcome[0] == "conflict" and all(outcome[i] == "stored" for i in range(1, 40))
        assert stats.jobs - before.jobs == 39 * 5
        assert stats.transactions - before.transactions < 39 * 5, stats
        assert stats.largest_batch > 1
        for i in range(1, 40):
            head = await saver.aget_tuple(cfg(f"t{i}"))
            assert head is not None and head.checkpoint.channel_values == {"a": 4}
        assert len(await history(saver, cfg("t0"))) == 2
        assert stats.failed_jobs - before.failed_jobs == 1


async def test_a_delta_whose_base_another_process_removed_is_stored_in_full(pg_schema: str) -> None:
    """Saver A remembers the list it stored last and writes the next value as a delta on it.
    If saver B (another worker) deleted the thread meanwhile, that base is gone: A's commit
    notices in its transaction and stores the value in full instead of a dangling delta."""
    async with _saver(pg_schema) as a, _saver(pg_schema) as b:
        run = Run(a)
        await run.put({"log": ["x" * 50, "y"]})
        await run.put({"log": ["x" * 50, "y", "z"]})
        await b.adelete_thread("t")
        await run.put({"log": ["x" * 50, "y", "z", "w"]})
        head = await b.aget_tuple(cfg())
        assert head is not None and head.checkpoint.channel_values == {"log": ["x" * 50, "y", "z", "w"]}
        assert _sql(f'SELECT base FROM "{pg_schema}".checkpoint_blobs WHERE channel = %s', ("log",)) == [(None,)]
