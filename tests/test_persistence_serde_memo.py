"""One commit packs an object it holds several times once (``MsgpackSerializer.memoized``),
and a list element changed in place since it was stored is stored changed.

A ReAct agent's checkpoint holds the same messages in its ``messages`` channel, in each ``Send``
that carries the state to the tool node and in the node's writes; within one commit each is
converted once. What is packed is reused only within that commit (a message changed between two
commits is stored as it is then) and, when long strings go to chunks (SQLite), only in records
of the same thread, whose chunks hold them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import msgspec
import pytest

from actorgraph import START, AIMessage, HumanMessage, MessagesState, Send, StateGraph
from actorgraph.persistence import InMemorySaver, MsgpackSerializer, SqliteSaver, register_type
from actorgraph.persistence._records import ThreadKey
from actorgraph.persistence._rows import Decoder, Encoder, PutOp
from test_persistence_savers import Run

pytestmark = pytest.mark.anyio

LONG = "long text " * 100  # (interned by SQLite's encoder: a chunk)


@register_type
@dataclasses.dataclass
class Card:
    title: str
    body: str


def _count_packs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    packed: list[str] = []
    state = MsgpackSerializer._state

    def counting(self: MsgpackSerializer, obj: Any, kind: str) -> Any:
        packed.append(getattr(obj, "title", type(obj).__name__))
        return state(self, obj, kind)

    monkeypatch.setattr(MsgpackSerializer, "_state", counting)
    return packed


def test_an_object_held_twice_in_one_commit_is_packed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    serde = MsgpackSerializer()
    packed = _count_packs(monkeypatch)
    card = Card("c", "body")
    checkpoint, versions = Run(InMemorySaver()).next_checkpoint({"a": [card], "b": {"k": card}})
    encoded = Encoder(serde).encode([PutOp(ThreadKey("t", "", None), checkpoint, {"step": 0}, versions)], {})
    assert packed == ["c"]
    values = {b.channel: serde.loads_typed((b.type, b.data)) for b in encoded.blobs}
    assert values == {"a": [card], "b": {"k": card}}
    # (outside a commit, as before: each dumps packs what it is given)
    serde.dumps_typed([card, card])
    assert packed == ["c", "c", "c"]


async def test_an_object_changed_between_two_commits_is_stored_as_it_is_then() -> None:
    saver = InMemorySaver()
    run = Run(saver)
    card = Card("c", "first")
    await run.put({"a": [card]})
    card.body = "second"
    await run.put({"a": [card], "b": card})
    head = await saver.aget_tuple(run.config)
    assert head is not None
    assert head.checkpoint.channel_values["b"] == Card("c", "second")
    assert head.checkpoint.channel_values["a"] == [Card("c", "second")]


def test_interned_chunks_are_reused_only_within_one_thread() -> None:
    """Two threads' checkpoints in one batch hold the same object with a long string: each
    thread's rows decode with that thread's chunks alone."""
    serde = MsgpackSerializer()
    card = Card("c", LONG)
    ops = []
    for thread in ("t1", "t2"):
        checkpoint, versions = Run(InMemorySaver()).next_checkpoint({"a": card, "b": [card]})
        ops.append(PutOp(ThreadKey(thread, "", None), checkpoint, {"step": 0}, versions))
    encoded = Encoder(serde, intern=True).encode(ops, {})
    for thread in ("t1", "t2"):
        chunks = {digest: content for (t, digest), content in encoded.chunks.items() if t == thread}
        assert chunks  # (the long string went to a chunk of each thread)
        for b in (b for b in encoded.blobs if b.thread_id == thread):
            decoder = Decoder(serde, blobs=None, chunks=chunks)  # type: ignore[arg-type]
            assert serde.loads_interned((b.type, b.data), decoder.chunks) in (card, [card])
        # and the checkpoint record itself stays self-contained (no chunk references)
        (cp,) = [c for c in encoded.checkpoints if c.thread_id == thread]
        serde.loads_typed((cp.type, cp.data))


def _sending_graph() -> Any:
    def route(state: MessagesState) -> list[Send]:
        return [Send("answer", {"messages": state["messages"], "n": i}) for i in range(3)]

    def answer(state: dict[str, Any]) -> dict[str, Any]:
        return {"messages": [AIMessage(f"{state['n']} {LONG}")]}

    g = StateGraph(MessagesState)
    g.add_node("answer", answer)
    g.add_conditional_edges(START, route, ["answer"])
    return g


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_a_graph_whose_sends_carry_the_messages_reads_back_whole(kind: str, tmp_path: Path) -> None:
    async def check(saver: Any) -> None:
        app = _sending_graph().compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "s"}}
        for turn in range(3):
            await app.ainvoke({"messages": [HumanMessage(f"q{turn} {LONG}")]}, config)
        state = await app.aget_state(config)
        # (LangGraph 1.2, the same graph: ['q0', '0', '1', '2', 'q1', ..., '2'], 9 checkpoints)
        assert [m.content.split(" ")[0] for m in state.values["messages"]] == [
            w for t in range(3) for w in (f"q{t}", "0", "1", "2")]
        assert all(m.content.endswith(LONG) for m in state.values["messages"])
        history = [s async for s in app.aget_state_history(config)]
        assert len(history) == 9
        sent = [s for s in history if s.tasks and len(s.tasks) == 3]  # (each Send's payload decodes)
        assert sent and all(t.name == "answer" for s in sent for t in s.tasks)

    if kind == "memory":
        await check(InMemorySaver())
    else:
        async with SqliteSaver.from_conn_string(str(tmp_path / "send.db")) as saver:
            await check(saver)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_a_message_a_node_edits_in_place_is_saved_edited(kind: str, tmp_path: Path) -> None:
    """A node changes the last message's content in place and returns it (add_messages keeps
    it by id): the saved state is the run's (LangGraph 1.2, the same graph: the state read back
    ['hi', 'edited']); the checkpoint before the edit keeps the draft, though under ``async``
    durability SQLite's writer stores it after the edit (its rows are made as it is submitted;
    LangGraph 1.2's history shows the edit there too, a checkpoint that never was)."""
    async def first(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage("draft", id="m1")]}

    async def edit(state: MessagesState) -> dict[str, Any]:  # (never yields: under async
        message = state["messages"][-1]  # durability the step before is still to be written)
        message.content = "edited"
        return {"messages": [message]}

    g = StateGraph(MessagesState)
    g.add_node("first", first)
    g.add_node("edit", edit)
    g.add_edge(START, "first")
    g.add_edge("first", "edit")

    async def check(saver: Any) -> None:
        app = g.compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "e"}}
        out = await app.ainvoke({"messages": [HumanMessage("hi", id="h")]}, config)
        assert [m.content for m in out["messages"]] == ["hi", "edited"]
        assert [m.content for m in (await app.aget_state(config)).values["messages"]] == ["hi", "edited"]
        history = [[m.content for m in s.values.get("messages", [])] async for s in app.aget_state_history(config)]
        assert history == [["hi", "edited"], ["hi", "draft"], ["hi"], []]

    if kind == "memory":
        await check(InMemorySaver())
    else:
        async with SqliteSaver.from_conn_string(str(tmp_path / "edit.db")) as saver:
            await check(saver)


@pytest.mark.parametrize("updated, seen", [
    (["a", "b"], {"node": {"a": 3, "branch:to:node": 2}, "other": {"b": "00000000000000000000000000000002.0.5"}}),
    (None, {}),
    (("a", "b"), {"node": {"a": 3}}),  # (a tuple: the serializer's own way, kept a tuple)
    (["a"], {"node": {"a": 2**70}}),  # (past msgpack's ints: the serializer's own way)
])
def test_the_checkpoint_record_is_what_the_serializer_makes_of_it(updated: Any, seen: Any) -> None:
    """The record ``[v, versions_seen, updated_channels(, ts)]`` is plain msgpack and is encoded
    as it stands when it is: the very bytes the serializer makes of it, read back alike."""
    serde = MsgpackSerializer()
    checkpoint, versions = Run(InMemorySaver()).next_checkpoint({"a": 1})
    checkpoint = msgspec.structs.replace(checkpoint, versions_seen=seen, updated_channels=updated)
    encoded = Encoder(serde).encode([PutOp(ThreadKey("t", "", None), checkpoint, {"step": 0}, versions)], {})
    (row,) = encoded.checkpoints
    record = serde.loads_typed((row.type, row.data))
    assert record[:3] == [4, seen, updated]
    assert (row.type, row.data) == serde.dumps_typed(record)
