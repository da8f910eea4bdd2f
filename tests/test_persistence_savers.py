"""The checkpoint saver contract, on every saver (memory, SQLite) and both backends."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import operator
import os
import random
import sqlite3
import string
from datetime import datetime, timedelta
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph.persistence import (
    BaseCheckpointSaver,
    Checkpoint,
    CheckpointConflictError,
    CheckpointTuple,
    InMemorySaver,
    MsgpackSerializer,
    SerializationError,
    SqliteSaver,
    TaskWrites,
    empty_checkpoint,
    new_checkpoint_id,
    register_type,
)
from actorgraph import AIMessage, HumanMessage
from actorgraph.types import Interrupt, Send

pytestmark = pytest.mark.anyio

GONE = object()  # a channel that became empty


class Opaque:
    """A value no serializer here can store."""


def cfg(thread: str = "t", ns: str | None = "", checkpoint_id: str | None = None) -> dict[str, Any]:
    configurable: dict[str, Any] = {"thread_id": thread}
    if ns is not None:
        configurable["checkpoint_ns"] = ns
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


class Run:
    """Drives a saver the way the runtime does: changed channels get ``max(versions) + 1``."""

    def __init__(self, saver: BaseCheckpointSaver, thread: str = "t", ns: str = "") -> None:
        self.saver = saver
        self.config: dict[str, Any] = cfg(thread, ns)
        self.values: dict[str, Any] = {}
        self.versions: dict[str, int] = {}
        self.step = -1

    def next_checkpoint(self, changes: dict[str, Any]) -> tuple[Checkpoint, dict[str, int]]:
        top = max(self.versions.values(), default=0)
        new_versions = {}
        for channel, value in changes.items():
            if value is GONE:
                self.values.pop(channel, None)
            else:
                self.values[channel] = value
            self.versions[channel] = new_versions[channel] = top + 1
        cp = Checkpoint(
            id=new_checkpoint_id(self.step), ts=datetime.now().astimezone().isoformat(),
            channel_values=dict(self.values), channel_versions=dict(self.versions),
            versions_seen={"node": dict(new_versions)}, updated_channels=sorted(changes),
        )
        return cp, new_versions

    async def put(self, changes: dict[str, Any], **metadata: Any) -> dict[str, Any]:
        cp, new_versions = self.next_checkpoint(changes)
        self.config = await self.saver.aput(
            self.config, cp, {"source": "loop", "step": self.step, "parents": {}, **metadata}, new_versions
        )
        self.step += 1
        return self.config


async def history(saver: BaseCheckpointSaver, config: dict[str, Any] | None, **kw: Any) -> list[CheckpointTuple]:
    return [t async for t in saver.alist(config, **kw)]


# -- put / get ---------------------------------------------------------------------------------------


async def test_put_and_get(saver: BaseCheckpointSaver) -> None:
    run = Run(saver)
    first = await run.put({"a": 1, "msgs": ["hi"], "when": datetime(2024, 1, 2)})
    second = await run.put({"a": 2})
    assert second == cfg(checkpoint_id=second["configurable"]["checkpoint_id"])

    head = await saver.aget_tuple(cfg())
    assert head is not None
    assert head.config == second
    assert head.parent_config == first
    assert head.checkpoint.channel_values == {"a": 2, "msgs": ["hi"], "when": datetime(2024, 1, 2)}
    assert head.checkpoint.channel_versions == {"a": 2, "msgs": 1, "when": 1}
    assert head.checkpoint.versions_seen == {"node": {"a": 2}}
    assert head.checkpoint.updated_channels == ["a"]
    assert head.metadata == {"source": "loop", "step": 0, "parents": {}}
    assert head.pending_writes == []

    old = await saver.aget_tuple(first)
    assert old is not None and old.parent_config is None
    assert old.checkpoint.channel_values["a"] == 1
    assert (await saver.aget(first)) == old.checkpoint

    assert await saver.aget_tuple(cfg("nobody")) is None
    assert await saver.aget_tuple(cfg(checkpoint_id=new_checkpoint_id())) is None
    assert await saver.aget_tuple(cfg(ns="child")) is None


async def test_metadata_takes_eligible_config_entries(saver: BaseCheckpointSaver) -> None:
    config = {
        "configurable": {"thread_id": "t", "checkpoint_ns": "", "user_id": "u1", "n": 3, "__hidden": 1,
                         "obj": {"no": "dicts"}, "langgraph_step": 4, "step": 99},
        "metadata": {"run_name": "nightly", "step": 98},
    }
    cp, versions = Run(saver).next_checkpoint({"a": 1})
    await saver.aput(config, cp, {"source": "input", "step": -1, "parents": {}}, versions)
    head = await saver.aget_tuple(cfg())
    assert head is not None
    assert head.metadata == {"source": "input", "step": -1, "parents": {}, "run_name": "nightly",
                             "user_id": "u1", "n": 3}


async def test_channels_that_became_empty_are_absent(saver: BaseCheckpointSaver) -> None:
    run = Run(saver)
    await run.put({"a": 1, "b": [1]})
    await run.put({"a": GONE})
    head = await saver.aget_tuple(cfg())
    assert head is not None
    assert head.checkpoint.channel_values == {"b": [1]}
    assert head.checkpoint.channel_versions == {"a": 2, "b": 1}


async def test_get_next_version(saver: BaseCheckpointSaver) -> None:
    assert saver.get_next_version(None, "c") == 1
    assert saver.get_next_version(7, "c") == 8
    nxt = saver.get_next_version("00000000000000000000000000000041.0.5", "c")
    assert isinstance(nxt, str) and nxt.startswith("00000000000000000000000000000042.")


# -- list ------------------------------------------------------------------------------------------


async def test_list_order_scope_filter_before_limit(saver: BaseCheckpointSaver) -> None:
    t1, t1child, t2 = Run(saver, "t1"), Run(saver, "t1", "child:1"), Run(saver, "t2")
    made: list[str] = []
    for i in range(4):
        for run in (t1, t2, t1child):
            made.append((await run.put({"i": i}, user="ann" if i % 2 else "bob"))["configurable"]["checkpoint_id"])
    newest_first = made[::-1]

    everything = await history(saver, None)
    assert [t.checkpoint.id for t in everything] == newest_first

    thread1 = await history(saver, cfg("t1", ns=None))
    assert len(thread1) == 8 and all(t.config["configurable"]["thread_id"] == "t1" for t in thread1)
    assert {t.config["configurable"]["checkpoint_ns"] for t in thread1} == {"", "child:1"}
    root_only = await history(saver, cfg("t1"))
    assert [t.checkpoint.id for t in root_only] == made[0::3][::-1]
    assert [t.checkpoint.channel_values["i"] for t in root_only] == [3, 2, 1, 0]

    ann = await history(saver, cfg("t2"), filter={"user": "ann"})
    assert [t.checkpoint.channel_values["i"] for t in ann] == [3, 1]
    both = await history(saver, None, filter={"user": "ann", "step": 0})
    assert [t.checkpoint.channel_values["i"] for t in both] == [1, 1, 1]
    assert await history(saver, None, filter={"user": "nobody"}) == []
    # missing reads as None, but not on Postgres: JSONB containment, as LangGraph's Postgres savers
    absent = 0 if type(saver).__name__ == "PostgresSaver" else 12
    assert len(await history(saver, None, filter={"absent": None})) == absent

    t2_all = await history(saver, cfg("t2"))
    before = await history(saver, cfg("t2"), before=t2_all[1].config)
    assert [t.checkpoint.id for t in before] == [t.checkpoint.id for t in t2_all[2:]]
    assert [t.checkpoint.id for t in await history(saver, cfg("t2"), limit=2)] == [t.checkpoint.id for t in t2_all[:2]]
    assert len(await history(saver, None, limit=5, filter={"user": "bob"})) == 5
    exact = await history(saver, t2_all[2].config)
    assert [t.checkpoint.id for t in exact] == [t2_all[2].checkpoint.id]
    assert await history(saver, cfg("nobody")) == []


async def test_long_histories_list_across_pages(saver: BaseCheckpointSaver) -> None:
    run = Run(saver)
    for i in range(150):
        await run.put({"log": [*run.values.get("log", []), i], "i": i})
    listed = await history(saver, cfg())
    assert [t.checkpoint.channel_values["i"] for t in listed] == list(range(149, -1, -1))
    assert all(t.checkpoint.channel_values["log"] == list(range(i + 1)) for i, t in zip(range(149, -1, -1), listed))
    assert len(await history(saver, cfg(), limit=100)) == 100


# -- pending writes ----------------------------------------------------------------------------------


async def test_pending_writes_order_and_overwrite_rules(saver: BaseCheckpointSaver) -> None:
    run = Run(saver)
    config = await run.put({"a": 1})
    await saver.aput_writes(config, [("x", 1), ("y", Send("n", {"k": (1, 2)}))], "task-b", "~2")
    await saver.aput_writes(config, [("x", 3)], "task-a", "~1")
    await saver.aput_writes(config, [("x", 99), ("z", 100)], "task-a", "~1")  # idx 0 exists: kept
    await saver.aput_writes(config, [("__error__", "first")], "task-a", "~1")
    await saver.aput_writes(config, [("__error__", "second")], "task-a", "~1")  # special: replaced
    await saver.aput_writes(config, [("__interrupt__", (Interrupt(value="?", id="i1"),))], "task-c", "~0")
    await saver.aput_writes(config, [("__resume__", ["yes"])], "task-c", "~0")

    head = await saver.aget_tuple(cfg())
    assert head is not None
    assert head.pending_writes == [
        ("task-c", "__resume__", ["yes"]),
        ("task-c", "__interrupt__", (Interrupt(value="?", id="i1"),)),
        ("task-a", "__error__", "second"),
        ("task-a", "x", 3),
        ("task-a", "z", 100),
        ("task-b", "x", 1),
        ("task-b", "y", Send("n", {"k": (1, 2)})),
    ]
    listed = await history(saver, cfg())
    assert listed[0].pending_writes == head.pending_writes

    with pytest.raises(ValueError, match="checkpoint_id"):
        await saver.aput_writes(cfg(), [("x", 1)], "task-a")


async def test_put_step_commits_writes_and_checkpoint_together(saver: BaseCheckpointSaver) -> None:
    run = Run(saver)
    start = await run.put({"log": ["a"]})
    cp, versions = run.next_checkpoint({"log": ["a", "b"]})
    new = await saver.aput_step(
        start, [TaskWrites("t1", [("log", "b")], "~1"), TaskWrites("t2", [("__no_writes__", None)])],
        cp, {"source": "loop", "step": 1, "parents": {}}, versions,
    )
    head = await saver.aget_tuple(cfg())
    assert head is not None and head.config == new and head.parent_config == start
    assert head.checkpoint.channel_values == {"log": ["a", "b"]}
    parent = await saver.aget_tuple(start)
    assert parent is not None
    assert parent.pending_writes == [("t2", "__no_writes__", None), ("t1", "log", "b")]

    # one value fails to encode: neither the writes nor the checkpoint are stored
    bad, bad_versions = run.next_checkpoint({"log": ["a", "b", Opaque()]})
    with pytest.raises(SerializationError, match="'log'"):
        await saver.aput_step(new, {"t3": [("log", "c")]}, bad, {"source": "loop", "step": 2, "parents": {}},
                              bad_versions)
    after = await saver.aget_tuple(cfg())
    assert after == head
    assert (await saver.aget_tuple(new)) == head

    with pytest.raises(ValueError, match="checkpoint_id"):
        await saver.aput_step(cfg(), {"t": [("x", 1)]}, bad, {}, {})


async def test_unencodable_values_name_the_channel_and_keep_the_previous_checkpoint(
    saver: BaseCheckpointSaver,
) -> None:
    run = Run(saver)
    config = await run.put({"msgs": ["a"], "n": 1})
    before = await saver.aget_tuple(cfg())

    with pytest.raises(SerializationError) as info:
        await run.put({"msgs": ["a", "b"], "blob": {"deep": [Opaque()]}})
    assert info.value.channel == "blob" and info.value.type_name == "Opaque"
    assert "'blob'" in str(info.value) and "Opaque" in str(info.value)
    assert await saver.aget_tuple(cfg()) == before
    assert [t.checkpoint.id for t in await history(saver, cfg())] == [config["configurable"]["checkpoint_id"]]

    with pytest.raises(SerializationError, match="'out'") as winfo:
        await saver.aput_writes(config, [("ok", 1), ("out", Opaque())], "task")
    assert winfo.value.type_name == "Opaque" and winfo.value.channel == "out"
    assert "(pending write of task 'task')" in str(winfo.value)
    head = await saver.aget_tuple(cfg())
    assert head is not None and head.pending_writes == []

    # the delta chain is intact: later appends still read back whole
    run.values = dict(before.checkpoint.channel_values) if before else {}
    await run.put({"msgs": ["a", "c"]})
    head = await saver.aget_tuple(cfg())
    assert head is not None and head.checkpoint.channel_values["msgs"] == ["a", "c"]


# -- deltas ----------------------------------------------------------------------------------------------


async def test_list_deltas_read_back_exactly(saver: BaseCheckpointSaver) -> None:
    run = Run(saver)
    expected: list[list[Any]] = []
    items: list[Any] = []
    for i in range(40):
        if i == 20:
            items = ["replaced", *items[1:]]  # not an extension: a full value, then a new chain
        elif i == 30:
            items = [float(x) if isinstance(x, int) else x for x in items]  # equal, not the same
        else:
            items = [*items, i if i % 3 else {"i": i, "t": (i,)}]
        expected.append(items)
        await run.put({"items": items, "other": i})
    got = [t.checkpoint.channel_values["items"] for t in await history(saver, cfg())][::-1]
    assert got == expected
    assert [type(x) for x in got[-1]] == [type(x) for x in expected[-1]]

    # a fork from an old checkpoint extends the old value, not the newest one
    old = (await history(saver, cfg()))[-5]
    fork = Run(saver)
    fork.config, fork.values = old.config, dict(old.checkpoint.channel_values)
    fork.versions = {k: int(v) for k, v in old.checkpoint.channel_versions.items()}
    fork.versions = {k: v + 1000 for k, v in fork.versions.items()}  # fresh versions for the branch
    await fork.put({"items": [*old.checkpoint.channel_values["items"], "forked"]})
    head = await saver.aget_tuple(cfg())
    assert head is not None
    assert head.checkpoint.channel_values["items"] == [*expected[4], "forked"]


async def test_an_element_changed_in_place_is_stored_as_it_is_then(saver: BaseCheckpointSaver) -> None:
    """A node that edits a message (a dict here) of the list and returns the list: the element
    is the very object stored before, changed. Each checkpoint holds the list as it was when it
    was written; the run's state and the saved one agree (a delta by identity alone kept the old
    element)."""
    run = Run(saver)
    first = {"role": "ai", "content": "draft", "parts": ["a"]}
    items: list[Any] = ["hello", first]
    await run.put({"items": items})
    first["content"] = "edited"  # a field replaced
    await run.put({"items": [*items, "again"]})
    first["parts"].append("b")  # a nested list changed in place
    await run.put({"items": [*items, "again", "more"]})
    got = [t.checkpoint.channel_values["items"] for t in await history(saver, cfg())][::-1]
    assert got == [
        ["hello", {"role": "ai", "content": "draft", "parts": ["a"]}],
        ["hello", {"role": "ai", "content": "edited", "parts": ["a"]}, "again"],
        ["hello", {"role": "ai", "content": "edited", "parts": ["a", "b"]}, "again", "more"],
    ]


@register_type
@dataclasses.dataclass
class _Note:
    text: str


async def test_an_element_changed_in_place_to_an_equal_value_of_another_type_is_stored_so(
        saver: BaseCheckpointSaver) -> None:
    """What an element is checked against (its state, pickled without a memo, where it is
    builtin data) tells apart what compares equal but is stored otherwise: ``1``, ``1.0`` and
    ``True``; ``str`` and ``bytes``; a list and a tuple; the same keys in another order. An
    element holding other objects (a registered dataclass) is checked by its stored bytes."""
    run = Run(saver)
    first: dict[str, Any] = {"n": 1, "s": "x", "seq": [1, 2], "a": 1, "b": 2}
    note = _Note("draft")
    holder = {"note": note}
    items: list[Any] = ["hello", first, holder]
    expected = []

    async def put() -> None:
        nonlocal items
        items = [*items, len(items)]  # (a growing list: stored as deltas from the third on)
        expected.append(copy.deepcopy(items))
        await run.put({"items": items})

    await put()
    await put()
    await put()
    for change in (lambda: first.update(n=1.0), lambda: first.update(n=True), lambda: first.update(s=b"x"),
                   lambda: first.update(seq=(1, 2)), lambda: (first.pop("a"), first.update(a=1)),
                   lambda: setattr(note, "text", "edited")):
        change()
        await put()
    got = [t.checkpoint.channel_values["items"] for t in await history(saver, cfg())][::-1]
    assert got == expected
    assert [[(k, type(v)) for k, v in cp[1].items()] for cp in got] == [
        [(k, type(v)) for k, v in cp[1].items()] for cp in expected]
    assert got[-1][2]["note"] == _Note("edited")


async def test_a_message_read_back_is_checked_as_the_one_stored(saver: BaseCheckpointSaver) -> None:
    """A thread read back (the next ``invoke``) continues its messages list as a delta: the
    messages decoded from the checkpoint are checked against the marks the originals left (their
    state pickles alike), and one then changed in place is stored changed. (langchain-core's
    messages: tests/test_langchain_serde.py)"""
    from actorgraph.persistence._rows import _mark

    serde = MsgpackSerializer()
    message = AIMessage("", tool_calls=[{"name": "add", "args": {"a": 1, "b": 2}, "id": "c1"}], id="m1")
    assert _mark(serde, serde.loads_typed(serde.dumps_typed(message))) == _mark(serde, message)
    run = Run(saver)
    items: list[Any] = [HumanMessage("hi", id="h1"), message]
    for i in range(3):
        items = [*items, AIMessage(f"a{i}", id=f"a{i}")]
        await run.put({"messages": items})
    head = await saver.aget_tuple(run.config)
    assert head is not None
    loaded = head.checkpoint.channel_values["messages"]
    assert loaded == items and loaded[1] is not message
    loaded[1].tool_calls[0]["args"]["a"] = 1.0  # (equal to 1, stored otherwise)
    await run.put({"messages": [*loaded, AIMessage("next", id="n")]})
    head = await saver.aget_tuple(run.config)
    assert head is not None
    args = head.checkpoint.channel_values["messages"][1].tool_calls[0]["args"]
    assert args == {"a": 1.0, "b": 2} and type(args["a"]) is float


async def test_tuples_of_scalars_in_a_growing_list_keep_their_types(saver: BaseCheckpointSaver) -> None:
    """A tuple of strings and numbers is taken as unchanged when it is the very one stored (it
    cannot change); an equal one of other types (``1.0`` for ``1``) is stored as it is."""
    run = Run(saver)
    first = (1, "a", b"x", True)
    items: list[Any] = [first]
    for i in range(4):  # (a growing list: from the third checkpoint on, deltas)
        items = [*items, (i, str(i))]
        await run.put({"items": items})
    items = [(1.0, "a", b"x", True), *items[1:], ("end",)]
    await run.put({"items": items})
    head = await saver.aget_tuple(run.config)
    assert head is not None
    got = head.checkpoint.channel_values["items"]
    assert got == items
    assert type(got[0][0]) is float and [type(x) for x in got[1]] == [int, str]


async def test_storage_grows_linearly_with_appended_messages(saver: BaseCheckpointSaver) -> None:
    rng = random.Random(7)
    run = Run(saver)
    messages: list[dict[str, str]] = []
    raw = 0
    for turn in range(1000):
        content = "".join(rng.choices(string.ascii_letters, k=1000))
        raw += len(content)
        messages = [*messages, {"role": "user" if turn % 2 else "ai", "content": content}]
        await run.put({"messages": messages, "turn": turn})
    if isinstance(saver, SqliteSaver):
        assert saver.path is not None
        with contextlib.closing(sqlite3.connect(saver.path)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        stored = os.path.getsize(saver.path)
        assert stored >= await saver.astored_bytes()
    elif hasattr(saver, "astored_bytes"):  # PostgresSaver: its tables' heap, TOAST and indexes
        stored = await saver.astored_bytes()
        assert stored > raw // 2  # (really measured: a nearly empty schema would not pass)
    else:
        stored = saver.statistics().stored_bytes
    assert stored <= 3 * raw, f"stored {stored} bytes for {raw} raw bytes ({stored / raw:.2f}x)"
    head = await saver.aget_tuple(cfg())
    assert head is not None and head.checkpoint.channel_values["messages"] == messages


# -- housekeeping ----------------------------------------------------------------------------------------


async def test_delete_thread(saver: BaseCheckpointSaver) -> None:
    a, a_child, b = Run(saver, "a"), Run(saver, "a", "sub"), Run(saver, "b")
    for i in range(3):
        await a.put({"log": list(range(i + 1))})
        await a_child.put({"x": i})
        await b.put({"log": [i]})
    await saver.aput_writes(a.config, [("x", 1)], "task")
    await saver.adelete_thread("a")
    assert await saver.aget_tuple(cfg("a")) is None
    assert await history(saver, cfg("a", ns=None)) == []
    assert len(await history(saver, None)) == 3
    again = Run(saver, "a")
    await again.put({"log": [0, 1]})
    await again.put({"log": [0, 1, 2]})
    head = await saver.aget_tuple(cfg("a"))
    assert head is not None and head.checkpoint.channel_values == {"log": [0, 1, 2]}
    assert head.pending_writes == []


async def test_prune_keeps_what_resuming_needs(saver: BaseCheckpointSaver) -> None:
    run = Run(saver)
    configs = [await run.put({"log": list(range(i + 1)), "i": i}) for i in range(10)]
    await saver.aput_writes(configs[2], [("log", 3)], "done-task")  # has a child: prunable
    # an interrupted branch off checkpoint 4: pending writes and no child, so it stays
    branch = Run(saver)
    old = await saver.aget_tuple(configs[4])
    assert old is not None
    branch.config, branch.values = configs[4], dict(old.checkpoint.channel_values)
    branch.versions = {k: int(v) + 100 for k, v in old.checkpoint.channel_versions.items()}
    paused = await branch.put({"log": [*old.checkpoint.channel_values["log"], "b"]})
    await saver.aput_writes(paused, [("__interrupt__", (Interrupt(value="?", id="x"),))], "asking")
    tail = [await run.put({"log": list(range(11 + i)), "i": 10 + i}) for i in range(2)]
    side = Run(saver, "t", "child:1")
    for i in range(3):
        await side.put({"n": i})

    removed = await saver.aprune("t", keep_last=2)
    assert removed == 10 + 1  # root namespace: 12 main + 1 branch - 2 newest; child: 3 - 2
    kept = {t.checkpoint.id for t in await history(saver, cfg("t", ns=None))}
    ids = lambda cs: {c["configurable"]["checkpoint_id"] for c in cs}  # noqa: E731
    assert ids(tail) | ids([paused]) <= kept
    assert len(kept) == 2 + 1 + 2
    paused_tuple = await saver.aget_tuple(paused)
    assert paused_tuple is not None
    assert paused_tuple.checkpoint.channel_values["log"] == [0, 1, 2, 3, 4, "b"]
    assert paused_tuple.pending_writes[0][1] == "__interrupt__"
    head = await saver.aget_tuple(cfg())
    assert head is not None and head.checkpoint.channel_values["log"] == list(range(12))

    # time-based: everything older than the newest checkpoint's time goes (but the rules above)
    await run.put({"i": 99})
    newest = await saver.aget_tuple(cfg())
    assert newest is not None
    cutoff = datetime.fromisoformat(newest.checkpoint.ts)
    assert await saver.aprune("t", older_than=cutoff) == 2 + 1
    left = {t.checkpoint.id for t in await history(saver, cfg("t", ns=None))}
    assert left == {newest.checkpoint.id, paused["configurable"]["checkpoint_id"],
                    (await saver.aget_tuple(cfg(ns="child:1"))).checkpoint.id}  # type: ignore[union-attr]
    head = await saver.aget_tuple(cfg())
    assert head is not None and head.checkpoint.channel_values == {"log": list(range(12)), "i": 99}
    assert await saver.aprune("t", older_than=timedelta(days=1)) == 0

    with pytest.raises(ValueError):
        await saver.aprune("t")
    with pytest.raises(ValueError):
        await saver.aprune("t", keep_last=0)


async def test_sync_twins_refuse_inside_a_running_loop_for_sqlite(saver: BaseCheckpointSaver) -> None:
    if isinstance(saver, InMemorySaver):  # nothing blocks: the sync twins work anywhere
        config = saver.put(cfg(), Run(saver).next_checkpoint({"a": 1})[0], {}, {"a": 1})
        assert saver.get_tuple(config) == await saver.aget_tuple(config)
        assert [t.config for t in saver.list(cfg())] == [config]
        saver.delete_thread("t")
        assert saver.get_tuple(cfg()) is None
    else:
        with pytest.raises(RuntimeError, match="aget_tuple"):
            saver.get_tuple(cfg())


def test_memory_saver_sync_api_without_a_loop() -> None:
    saver = InMemorySaver()
    run = Run(saver)
    cp, versions = run.next_checkpoint({"a": [1]})
    config = saver.put(cfg(), cp, {"source": "input"}, versions)
    saver.put_writes(config, [("a", 2)], "task")
    got = saver.get_tuple(cfg())
    assert got is not None and got.pending_writes == [("task", "a", 2)]
    assert next(saver.list(None)).config == config
    cp2, versions2 = run.next_checkpoint({"a": [1, 2]})
    saver.put_step(config, {"task": [("a", 2)]}, cp2, {"source": "loop"}, versions2)
    assert saver.prune("t", keep_last=1) == 1  # the older one has writes, but also a child
    assert saver.get(cfg()) == cp2


async def test_checkpoints_read_together_do_not_share_containers(saver: BaseCheckpointSaver) -> None:
    run = Run(saver)
    await run.put({"log": [1], "tags": {"a"}, "n": 0})
    await run.put({"n": 1})  # log and tags unchanged: the same stored versions
    newer, older = await history(saver, cfg())
    newer.checkpoint.channel_values["log"].append(2)
    newer.checkpoint.channel_values["tags"].add("b")
    assert older.checkpoint.channel_values["log"] == [1]
    assert older.checkpoint.channel_values["tags"] == {"a"}


# -- a run's chain never forks by accident ---------------------------------------------------------------


async def test_a_step_expecting_the_head_is_refused_after_another_writer(saver: BaseCheckpointSaver) -> None:
    run = Run(saver)
    first = await run.put({"a": 1})
    stale = dict(first)
    second = await run.put({"a": 2})  # "another writer" continued the thread from `first`
    cp, versions = run.next_checkpoint({"a": 3})
    with pytest.raises(CheckpointConflictError) as caught:
        await saver.aput_step(stale, [TaskWrites("task", [("a", 3)])], cp, {"source": "loop", "step": 9},
                              versions, expect_head=True)
    assert (caught.value.thread_id, caught.value.expected, caught.value.found) == (
        "t", first["configurable"]["checkpoint_id"], second["configurable"]["checkpoint_id"])
    assert "fork" in str(caught.value)
    assert [t.config for t in await history(saver, cfg())] == [second, first]  # nothing stored
    head = await saver.aget_tuple(first)
    assert head is not None and head.pending_writes == []
    # a brand-new thread expects no checkpoint at all
    cp, versions = Run(saver).next_checkpoint({"a": 1})
    with pytest.raises(CheckpointConflictError):
        await saver.aput_step(cfg(), [], cp, {"source": "input", "step": -1}, versions, expect_head=True)
    # continuing the newest checkpoint, and queued steps continuing each other, are fine
    cp1, v1 = run.next_checkpoint({"a": 3})
    cp2, v2 = run.next_checkpoint({"a": 4})
    wait1 = await saver.asubmit_step(second, [], cp1, {"source": "loop", "step": 2}, v1, expect_head=True)
    wait2 = await saver.asubmit_step(cfg(checkpoint_id=cp1.id), [], cp2, {"source": "loop", "step": 3}, v2,
                                     expect_head=True)
    await wait1()
    await wait2()
    newest = await saver.aget_tuple(cfg())
    assert newest is not None and newest.checkpoint.id == cp2.id
    # without expect_head a write may fork on purpose (replay, update of an old checkpoint)
    cp, versions = run.next_checkpoint({"a": 5})
    await saver.aput_step(first, [], cp, {"source": "fork", "step": 1}, versions)
    assert len(await history(saver, cfg())) == 5


async def test_a_checkpoints_ts_reads_back_exactly(saver: BaseCheckpointSaver) -> None:
    """A ``ts`` stamped by ``now_iso`` (stored as the epoch seconds it was rendered from,
    remembered or not), one rounded differently, one with an offset: each reads back as given."""
    from actorgraph.persistence import _records

    forgotten = _records.now_iso()
    for _ in range(1_000_000):  # newer stamps push it out of the memo (several per µs are one)
        if _records.made_from(forgotten) is None:
            break
        _records.now_iso()
    assert _records.made_from(forgotten) is None
    stamped = _records.now_iso()
    assert _records.made_from(stamped) is not None
    given = [stamped, forgotten, "2024-01-02T03:04:05+00:00", "2024-01-02T03:04:05.123456+05:30",
             "2024-01-02T03:04:05.100000+00:00"]
    run = Run(saver)
    ids = []
    for ts in given:
        cp, versions = run.next_checkpoint({"a": ts})
        cp = Checkpoint(id=cp.id, ts=ts, channel_values=cp.channel_values, channel_versions=cp.channel_versions,
                        versions_seen=cp.versions_seen, updated_channels=cp.updated_channels)
        run.config = await saver.aput(run.config, cp, {"source": "loop", "step": run.step, "parents": {}}, versions)
        run.step += 1
        ids.append(cp.id)
    for cid, ts in zip(ids, given, strict=True):
        got = await saver.aget_tuple(cfg(checkpoint_id=cid))
        assert got is not None and got.checkpoint.ts == ts


class _Log(TypedDict):
    log: Annotated[list[str], operator.add]


async def test_listing_needs_a_thread_unless_none_is_given(saver: BaseCheckpointSaver) -> None:
    # LangGraph 1.2.24 (InMemorySaver, SqliteSaver): list({"configurable": {...}}) without a
    # thread_id raises (KeyError), and so does get_state_history; list(None) / list({}) list
    # every thread. Listing every thread for a config that lost its thread_id would show one
    # user's conversation to another.
    from actorgraph import START, StateGraph

    app = StateGraph(_Log).add_node("a", lambda s: {"log": ["a"]}).add_edge(START, "a").compile(checkpointer=saver)
    await app.ainvoke({"log": ["alice's"]}, {"configurable": {"thread_id": "alice"}})
    with pytest.raises(ValueError, match="thread_id"):
        [s async for s in app.aget_state_history({"configurable": {"user_id": "bob"}})]
    with pytest.raises(ValueError, match="thread_id"):
        [t async for t in saver.alist({"configurable": {}})]
    for everything in (None, {}):
        assert {t.config["configurable"]["thread_id"] async for t in saver.alist(everything)} == {"alice"}


async def test_checkpoint_during_is_durability(saver: BaseCheckpointSaver) -> None:
    # LangGraph 1.2.24 (deprecated argument): True keeps every step's checkpoint
    # ([('loop', 2), ('loop', 1), ('loop', 0), ('input', -1)] here), False only the last
    # ([('loop', 2)]), with durability= too it is a ValueError
    from actorgraph import START, StateGraph

    app = (StateGraph(_Log).add_node("a", lambda s: {"log": ["a"]}).add_node("b", lambda s: {"log": ["b"]})
           .add_edge(START, "a").add_edge("a", "b").compile(checkpointer=saver))
    for thread, during, kept in (("t1", True, [("loop", 2), ("loop", 1), ("loop", 0), ("input", -1)]),
                                 ("t2", False, [("loop", 2)])):
        config = {"configurable": {"thread_id": thread}}
        with pytest.warns(DeprecationWarning, match="checkpoint_during"):
            assert await app.ainvoke({"log": []}, config, checkpoint_during=during) == {"log": ["a", "b"]}
        assert [(s.metadata["source"], s.metadata["step"]) async for s in app.aget_state_history(config)] == kept
        config = {"configurable": {"thread_id": thread + "s"}}
        with pytest.warns(DeprecationWarning):
            assert [c async for c in app.astream({"log": []}, config, checkpoint_during=during)] == [
                {"a": {"log": ["a"]}}, {"b": {"log": ["b"]}}]
        assert len([s async for s in app.aget_state_history(config)]) == len(kept)
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="durability"):
        await app.ainvoke({"log": []}, {"configurable": {"thread_id": "t3"}}, checkpoint_during=True, durability="sync")


async def test_tuples_and_checkpoints_read_as_langgraphs(saver: BaseCheckpointSaver) -> None:
    # LangGraph 1.2.24: a CheckpointTuple is a NamedTuple (fields below), a Checkpoint a
    # TypedDict with these keys
    from actorgraph import START, StateGraph

    app = StateGraph(_Log).add_node("a", lambda s: {"log": ["a"]}).add_edge(START, "a").compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "nt"}}
    await app.ainvoke({"log": []}, config)
    found = await saver.aget_tuple(config)
    assert found is not None
    conf, checkpoint, metadata, parent, writes = found
    assert (conf, checkpoint, metadata, parent, writes) == (
        found.config, found.checkpoint, found.metadata, found.parent_config, found.pending_writes)
    assert found._fields == ("config", "checkpoint", "metadata", "parent_config", "pending_writes")
    assert (found[1] is found.checkpoint, len(found), found[-1] is found.pending_writes) == (True, 5, True)
    assert found._replace(metadata={}).metadata == {} and found.metadata["step"] == 1
    assert list(found._asdict()) == list(found._fields)
    keys = {"v", "id", "ts", "channel_values", "channel_versions", "versions_seen", "updated_channels"}
    assert set(checkpoint) == set(checkpoint.keys()) == set(dict(checkpoint)) == keys and len(checkpoint) == 7
    assert "channel_values" in checkpoint and "nope" not in checkpoint
    assert dict(checkpoint.items())["channel_values"]["log"] == ["a"]


# -- LangGraph-style overrides of an InMemorySaver subclass --------------------------------------
# LangGraph's InMemorySaver runs its sync methods from its async ones, so a subclass overriding
# get_tuple / put / put_writes (a logging wrapper, a test double) sees every read and write of
# sync and async runs. actorgraph's runtime called aget_tuple / aput_step and skipped them.

class _Recording(InMemorySaver):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Any] = []

    def get_tuple(self, config: Any) -> CheckpointTuple | None:
        self.calls.append("get")
        return super().get_tuple(config)

    def put(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> dict[str, Any]:
        self.calls.append(("put", metadata["step"]))
        return super().put(config, checkpoint, metadata, new_versions)

    def put_writes(self, config: Any, writes: Any, task_id: str, task_path: str = "") -> None:
        self.calls.append(("writes", [channel for channel, _ in writes]))
        super().put_writes(config, writes, task_id, task_path)


def _root_graph(parallel: bool = False) -> Any:
    from actorgraph import START, StateGraph

    b = StateGraph(Annotated[str, operator.add])
    b.add_node("agent", lambda s: "x")
    b.add_edge(START, "agent")
    if parallel:
        b.add_node("parallel", lambda s: "")
        b.add_edge(START, "parallel")
    return b


async def test_overrides_of_an_in_memory_saver_see_every_read_and_write() -> None:
    saver = _Recording()
    app = _root_graph().compile(checkpointer=saver)
    cfg = {"configurable": {"thread_id": "1"}}
    assert await app.ainvoke("a", cfg) == "ax"
    # LangGraph 1.2.24, same graph and overrides: exactly these calls, in this order
    assert saver.calls == ["get", ("put", -1), ("writes", ["__root__", "branch:to:agent"]),
                           ("put", 0), ("writes", ["__root__"]), ("put", 1)]
    assert (await app.aget_state(cfg)).values == "ax"  # super() calls stored as usual


def test_overrides_of_an_in_memory_saver_see_the_sync_api_too() -> None:
    saver = _Recording()
    app = _root_graph().compile(checkpointer=saver)
    cfg = {"configurable": {"thread_id": "1"}}
    assert app.invoke("a", cfg) == "ax"
    assert app.invoke("b", cfg) == "axbx"
    assert saver.calls[:2] == ["get", ("put", -1)]
    assert sum(1 for c in saver.calls if c[0] == "put") == 6
    assert len(list(app.get_state_history(cfg))) == 6


def _faulty_app(method: str) -> Any:
    def fail(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise ValueError(f"Faulty {method}")

    faulty = type("Faulty", (InMemorySaver,), {method: fail})
    return _root_graph(parallel=method == "put_writes").compile(checkpointer=faulty())


# LangGraph 1.2.24 (its test_checkpoint_errors): the override's ValueError ends invoke and
# ainvoke alike
@pytest.mark.parametrize("method", ["get_tuple", "put", "put_writes"])
async def test_a_failing_override_of_an_in_memory_saver_fails_the_run(method: str) -> None:
    with pytest.raises(ValueError, match=f"Faulty {method}"):
        await _faulty_app(method).ainvoke("", {"configurable": {"thread_id": "1"}})


@pytest.mark.parametrize("method", ["get_tuple", "put", "put_writes"])
def test_a_failing_override_of_an_in_memory_saver_fails_a_sync_run(method: str) -> None:
    with pytest.raises(ValueError, match=f"Faulty {method}"):
        _faulty_app(method).invoke("", {"configurable": {"thread_id": "2"}})


async def test_an_async_override_is_still_what_the_sync_twin_runs() -> None:
    class AsyncSpy(InMemorySaver):
        seen: list[str] = []

        async def aget_tuple(self, config: Any) -> CheckpointTuple | None:
            self.seen.append("aget")
            return await super().aget_tuple(config)

    saver = AsyncSpy()
    assert saver.get_tuple({"configurable": {"thread_id": "none"}}) is None
    assert AsyncSpy.seen == ["aget"]
    assert not AsyncSpy.commits_by_parts and _Recording.commits_by_parts


# -- InMemorySaver as a context manager (LangGraph's `with InMemorySaver() as saver`) ----------


async def test_in_memory_saver_is_a_context_manager() -> None:
    """As LangGraph's InMemorySaver: ``with`` and ``async with`` hand back the saver itself and
    keep what it stores (nothing is opened or closed)."""
    saver = InMemorySaver()
    config = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
    async with saver as entered:
        assert entered is saver
        stored = await saver.aput(config, empty_checkpoint(), {"source": "input", "step": -1}, {})
    with saver as entered_sync:
        assert entered_sync is saver
        assert saver.get_tuple(stored) is not None
    assert (await saver.aget_tuple(stored)) is not None
