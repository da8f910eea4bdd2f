"""How much a thread takes on disk: interned strings, chunks, the storage-growth bound, migration
from schema version 1, and chunk garbage after pruning and deleting."""

from __future__ import annotations

import dataclasses
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

import actorgraph.persistence._schema as schema
from actorgraph import END, START, AIMessage, Command, HumanMessage, MessagesState, StateGraph, interrupt
from actorgraph.persistence import (
    CheckpointStoreError,
    DecryptionError,
    EncryptedSerializer,
    MsgpackSerializer,
    SerializationError,
    SqliteSaver,
    register_type,
)
from actorgraph.persistence._records import ThreadKey
from actorgraph.persistence._rows import CHUNKED, INLINE_MAX, Encoder, PutOp
from actorgraph.persistence._serde import INTERN_MIN
from test_persistence_savers import Run, cfg, history
from test_persistence_sqlite import raw

pytestmark = pytest.mark.anyio

LONG = "long text " * 100  # 1,000 characters: interned
LONGER = "other text " * 100


@register_type
@dataclasses.dataclass
class Note:
    title: str
    body: str
    blob: bytes


def _count(path: Path, table: str) -> int:
    with raw(path) as conn:
        count: int = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        return count


# -- the serializer ------------------------------------------------------------------------------


def test_long_strings_and_bytes_go_to_chunks_once_each() -> None:
    serde = MsgpackSerializer()
    chunks: dict[bytes, bytes] = {}
    value = {"a": LONG, "b": [LONG, (LONG, LONGER)], "n": Note("t", LONGER, LONG.encode()), "short": "x" * 10}
    tag, data = serde.dumps_interned(value, chunks)
    assert sorted(chunks.values()) == sorted([LONG.encode(), LONGER.encode()])  # bytes and str share content
    assert len(data) < 300  # references, not 3,000 characters of text
    assert LONG.encode() not in data
    assert serde.loads_interned((tag, data), chunks) == value
    assert "x" * 10 in repr(serde.loads_interned((tag, data), chunks))
    # short values stay inline
    small: dict[bytes, bytes] = {}
    serde.dumps_interned({"s": "y" * (INTERN_MIN - 1)}, small)
    assert small == {}


def test_an_interned_payload_needs_its_chunks() -> None:
    serde = MsgpackSerializer()
    chunks: dict[bytes, bytes] = {}
    data = serde.dumps_interned([LONG], chunks)
    with pytest.raises(SerializationError, match="loads_interned"):
        serde.loads_typed(data)
    with pytest.raises(SerializationError, match="missing"):
        serde.loads_interned(data, {})
    (digest,) = chunks
    with pytest.raises(SerializationError, match="corrupted"):
        serde.loads_interned(data, {digest: b"tampered" + chunks[digest][8:]})


# -- SQLite ----------------------------------------------------------------------------------------


def _chat() -> Any:
    g = StateGraph(MessagesState)
    g.add_node("chat", lambda s: {"messages": [AIMessage(LONGER)]})
    g.add_edge(START, "chat")
    return g


async def test_a_message_in_input_writes_and_state_is_stored_once(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        app = _chat().compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "t"}}
        for i in range(3):
            await app.ainvoke({"messages": [HumanMessage(f"{i} {LONG}")]}, config)
        state = await app.aget_state(config)
        assert [m.content for m in state.values["messages"]] == [f"0 {LONG}", LONGER, f"1 {LONG}", LONGER,
                                                                   f"2 {LONG}", LONGER]
        # the history's task results come back whole too
        start = [s async for s in app.aget_state_history(config)][-1]
        assert start.tasks[0].result["messages"][0].content == f"0 {LONG}"
    # three user messages and one (repeated) reply: four chunks, though each message sits in
    # the input, a pending write and the messages channel
    assert _count(path, "checkpoint_chunks") == 4


async def test_rows_larger_than_the_inline_limit_live_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "big.db"
    serde = EncryptedSerializer.from_aes_key(b"k" * 32)  # no interning: the whole value moves
    big = list(range(INLINE_MAX))
    async with SqliteSaver.from_conn_string(str(path), serde=serde) as saver:
        run = Run(saver)
        await run.put({"big": big, "small": 1})
        await saver.aput_writes(run.config, [("big", big)], "task-1")
    with raw(path) as conn:
        types = dict(conn.execute("SELECT channel, type FROM checkpoint_blobs").fetchall())
        assert types["big"].startswith(CHUNKED) and not types["small"].startswith(CHUNKED)
        (wtype,) = conn.execute("SELECT type FROM checkpoint_writes").fetchone()
        assert wtype.startswith(CHUNKED)
    async with SqliteSaver.from_conn_string(str(path), serde=serde) as saver:
        head = await saver.aget_tuple(cfg())
        assert head is not None and head.checkpoint.channel_values["big"] == big
        assert head.pending_writes == [("task-1", "big", big)]
    with raw(path) as conn:  # a chunk changed behind our back
        conn.execute("UPDATE checkpoint_chunks SET data = CAST(x'00' || substr(data, 2) AS BLOB)")
    async with SqliteSaver.from_conn_string(str(path), serde=serde) as saver:
        with pytest.raises(CheckpointStoreError, match="corrupted"):
            await saver.aget_tuple(cfg())
    async with SqliteSaver.from_conn_string(str(path), serde=EncryptedSerializer.from_aes_key(b"x" * 32)) as saver:
        with pytest.raises((CheckpointStoreError, DecryptionError)):
            await saver.aget_tuple(cfg())


async def test_pruning_and_deleting_free_the_chunks(tmp_path: Path) -> None:
    path = tmp_path / "prune.db"
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        run = Run(saver)
        for i in range(4):
            await run.put({"text": f"{i} {LONG}", "log": [f"{j} {LONGER}" for j in range(i + 1)]})
        other = Run(saver, "other")
        await other.put({"text": LONG})
        assert _count(path, "checkpoint_chunks") == 4 + 4 + 1
        assert await saver.aprune("t", keep_last=1) == 3
        head = await saver.aget_tuple(cfg())
        assert head is not None and head.checkpoint.channel_values == {
            "text": f"3 {LONG}", "log": [f"{j} {LONGER}" for j in range(4)]}
        # the head's text and its four log entries; the other thread keeps its own
        assert _count(path, "checkpoint_chunks") == 5 + 1
        await saver.adelete_thread("t")
        assert await saver.aget_tuple(cfg()) is None
        assert _count(path, "checkpoint_chunks") == 1
        with raw(path) as conn:
            (t_other,) = conn.execute("SELECT t FROM checkpoint_threads WHERE thread_id = 'other'").fetchone()
            assert conn.execute("SELECT thread_id FROM checkpoint_threads").fetchall() == [("other",)]
            for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes", "checkpoint_chunks"):
                assert conn.execute(f"SELECT count(*) FROM {table} WHERE t != ?", (t_other,)).fetchone()[0] == 0
        still = await saver.aget_tuple(cfg("other"))
        assert still is not None and still.checkpoint.channel_values == {"text": LONG}


async def test_a_thread_deleted_through_another_connection_is_written_again(tmp_path: Path) -> None:
    """Savers cache thread keys; a delete committed by another connection must not leave this
    one writing under a key that no longer names the thread."""
    path = str(tmp_path / "two.db")
    async with SqliteSaver.from_conn_string(path) as one, SqliteSaver.from_conn_string(path) as two:
        first = Run(one, "x")
        await first.put({"a": 1})
        await Run(one, "y").put({"b": 1})
        await two.adelete_thread("x")
        again = Run(one, "x")
        await again.put({"a": 2})
        for saver in (one, two):
            head = await saver.aget_tuple(cfg("x"))
            assert head is not None and head.checkpoint.channel_values == {"a": 2}
            assert len(await history(saver, cfg("x"))) == 1
            other = await saver.aget_tuple(cfg("y"))
            assert other is not None and other.checkpoint.channel_values == {"b": 1}


async def test_ids_that_are_not_uuids_are_kept_as_text(tmp_path: Path) -> None:
    path = tmp_path / "ids.db"
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        run = Run(saver)
        first = await run.put({"a": 1})
        await saver.aput_writes(first, [("a", 2)], "not-a-uuid")
        head = await saver.aget_tuple(first)
        assert head is not None and head.pending_writes == [("not-a-uuid", "a", 2)]
        assert [t.config for t in await history(saver, cfg())] == [first]
    with raw(path) as conn:
        (cid,) = conn.execute("SELECT checkpoint_id FROM checkpoints").fetchone()
        assert isinstance(cid, bytes) and len(cid) == 16
        (tid,) = conn.execute("SELECT task_id FROM checkpoint_writes").fetchone()
        assert tid == "not-a-uuid"
    assert schema.pack_id("ABCDEF00-0000-0000-0000-000000000000") == "ABCDEF00-0000-0000-0000-000000000000"
    some = str(uuid.uuid4())
    assert schema.unpack_id(schema.pack_id(some)) == some  # type: ignore[arg-type]


async def test_a_version_1_file_is_migrated(tmp_path: Path) -> None:
    """Rows written in the version-1 layout (thread id text in every row, text ids, the
    checkpoint record as a dict) read back after the migration, and the thread goes on."""
    path = tmp_path / "v1.db"
    serde = MsgpackSerializer()
    encoded = Encoder(serde).encode([PutOp(
        key=ThreadKey("t", "", None),
        checkpoint=Run(SqliteSaver()).next_checkpoint({"log": ["a"], "x": 1})[0],
        metadata={"source": "input", "step": -1, "parents": {}},
        new_versions={"log": 1, "x": 1},
    )], {})
    (cp,) = encoded.checkpoints
    _, skeleton = serde.dumps_typed({"v": 4, "ts": "2024-01-02T03:04:05.000006+00:00",
                                     "versions_seen": {}, "updated_channels": None})
    with raw(path) as conn:
        conn.execute("CREATE TABLE schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
        for statement in schema.MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES ('checkpoints', 1)")
        conn.execute("INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (cp.thread_id, cp.ns, cp.checkpoint_id, None, cp.ts, cp.versions, cp.type, skeleton,
                      cp.meta_type, cp.meta))
        for b in encoded.blobs:
            conn.execute("INSERT INTO checkpoint_blobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (b.thread_id, b.ns, b.channel, b.version, b.root, b.depth, b.base, b.type, b.data))
        conn.execute("INSERT INTO checkpoint_writes VALUES ('t', '', ?, 'task', 0, 'x', 'msgpack', ?, '')",
                     (cp.checkpoint_id, serde.dumps(5)))
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        head = await saver.aget_tuple(cfg())
        assert head is not None
        assert head.checkpoint.id == cp.checkpoint_id
        assert head.checkpoint.ts == "2024-01-02T03:04:05.000006+00:00"
        assert head.checkpoint.channel_values == {"log": ["a"], "x": 1}
        assert head.pending_writes == [("task", "x", 5)]
        run = Run(saver)
        run.config, run.values, run.versions = head.config, dict(head.checkpoint.channel_values), {"log": 1, "x": 1}
        await run.put({"log": ["a", LONG]})
        assert [t.checkpoint.channel_values["log"] for t in await history(saver, cfg())] == [["a", LONG], ["a"]]
    with raw(path) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchone()[0] == schema.LATEST
        (cid,) = conn.execute("SELECT checkpoint_id FROM checkpoints ORDER BY checkpoint_id LIMIT 1").fetchone()
        assert isinstance(cid, bytes)  # the migrated id was packed too


class ChatState(MessagesState):
    n: int


def _v1_chat_graph() -> Any:
    """The graph of ``tests/data/make_v1_chat.py``."""
    g = StateGraph(ChatState)

    def chat(s: Any) -> dict[str, Any]:
        return {"messages": [AIMessage(f"reply {len(s['messages'])} " + "r" * 600)], "n": s.get("n", 0) + 1}

    def ask(s: Any) -> dict[str, Any]:
        answer = interrupt("ok?")
        return {"messages": [HumanMessage(f"answer {answer}")]}

    g.add_node("chat", chat)
    g.add_node("ask", ask)
    g.add_edge(START, "chat")
    g.add_conditional_edges("chat", lambda s: "ask" if s["n"] >= 3 else END)
    g.add_edge("ask", END)
    return g


async def test_a_file_written_by_schema_version_1_code_reads_and_resumes(tmp_path: Path) -> None:
    """``tests/data/v1_chat.db`` was written by the version-1 code (see make_v1_chat.py): three
    turns, the third paused at an interrupt. Today's saver migrates it, shows the same thread,
    and resumes it."""
    path = tmp_path / "v1_chat.db"
    shutil.copy(Path(__file__).with_name("data") / "v1_chat.db", path)
    config = {"configurable": {"thread_id": "chat-1"}}
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        app = _v1_chat_graph().compile(checkpointer=saver)
        state = await app.aget_state(config)
        assert state.next == ("ask",)
        assert [i.value for i in state.interrupts] == ["ok?"]
        assert [m.content for m in state.values["messages"]] == [
            f"hello 0 {'h' * 600}", f"reply 1 {'r' * 600}",
            f"hello 1 {'h' * 600}", f"reply 3 {'r' * 600}",
            f"hello 2 {'h' * 600}", f"reply 5 {'r' * 600}"]
        history = [s async for s in app.aget_state_history(config)]
        assert [s.metadata["step"] for s in history if s.metadata] == [7, 6, 5, 4, 3, 2, 1, 0, -1]
        out = await app.ainvoke(Command(resume="yes"), config)
        assert out["messages"][-1].content == "answer yes" and out["n"] == 3
        assert len([s async for s in app.aget_state_history(config)]) == 10
    with raw(path) as conn:
        assert conn.execute("SELECT version FROM schema_version WHERE component = 'checkpoints'").fetchone() == (
            schema.LATEST,)


# -- the storage-growth bound -----------------------------------------------------------------------


async def test_a_1000_turn_chat_thread_of_1kb_messages_takes_at_most_3x_its_raw_bytes(tmp_path: Path) -> None:
    """The issue's bound, through a graph with the default durability: 1,000 turns, each adding
    a 1 KB user message (random text, no id: add_messages gives it one) to MessagesState on a
    thread with a UUID id. The node answers nothing, the harshest shape (no reply bytes to
    dilute the per-checkpoint overhead). Measured: every file of the database after the saver
    closed, against the message contents' bytes. The thread reads back whole."""
    path = tmp_path / "chat.db"
    g = StateGraph(MessagesState)
    g.add_node("chat", lambda s: None)
    g.add_edge(START, "chat")
    contents = [os.urandom(512).hex() for _ in range(1000)]
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        app = g.compile(checkpointer=saver)
        for text in contents:
            await app.ainvoke({"messages": [HumanMessage(text)]}, config)
    raw_bytes = sum(len(t.encode()) for t in contents)
    on_disk = sum(f.stat().st_size for f in tmp_path.iterdir())
    assert on_disk <= 3 * raw_bytes, f"{on_disk / raw_bytes:.2f}x the raw message bytes"
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        app = g.compile(checkpointer=saver)
        state = await app.aget_state(config)
        assert [m.content for m in state.values["messages"]] == contents
        assert len({m.id for m in state.values["messages"]}) == 1000
        assert state.metadata is not None and state.metadata["step"] == 3 * 1000 - 2  # turn k ends at step 3k - 2



# -- checkpoint size does not follow the graph's size ------------------------------------------------


async def test_checkpoint_bytes_per_step_do_not_grow_with_the_number_of_nodes(tmp_path: Path) -> None:
    """A chain of 10 and one of 300 nodes, each node adding 1 to ``x``: the rows a step writes
    (checkpoint record, versions, metadata, blobs, pending writes) take the same bytes. Per-node
    trigger channels are dropped once consumed, so neither the version map nor versions-seen
    grows with the graph."""
    from typing import TypedDict

    class S(TypedDict):
        x: int

    def chain(n: int) -> Any:
        g = StateGraph(S)
        prev = START
        for i in range(n):
            g.add_node(f"node{i:03}", lambda s: {"x": s["x"] + 1})
            g.add_edge(prev, f"node{i:03}")
            prev = f"node{i:03}"
        g.add_edge(prev, END)
        return g

    per_step: dict[int, float] = {}
    for n in (10, 300):
        path = tmp_path / f"chain{n}.db"
        async with SqliteSaver.from_conn_string(str(path)) as saver:
            app = chain(n).compile(checkpointer=saver)
            out = await app.ainvoke({"x": 0}, {"configurable": {"thread_id": "t"}, "recursion_limit": n + 5},
                                    durability="sync")
            assert out == {"x": n}
        with raw(path) as conn:
            steps = conn.execute("SELECT count(*) FROM checkpoints").fetchone()[0]
            assert steps == n + 2  # input, __start__, one per node
            total = sum(conn.execute(query).fetchone()[0] or 0 for query in (
                "SELECT sum(length(channel_versions) + length(checkpoint) + length(metadata)) FROM checkpoints",
                "SELECT sum(length(blob) + length(channel)) FROM checkpoint_blobs",
                "SELECT sum(length(value) + length(channel) + length(task_path)) FROM checkpoint_writes",
            ))
            per_step[n] = total / steps
    assert per_step[300] <= per_step[10] * 1.15, per_step
