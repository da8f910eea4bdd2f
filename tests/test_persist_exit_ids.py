"""``exit`` durability makes a step's checkpoint id only when something asks for it.

Under ``exit`` durability only the run's last checkpoint is written, so most steps' ids are
never seen: the runtime makes one when a task id, a node's config or the final write first
needs it (``runtime._persist.PendingId``). What must hold all the same: an id a node sees is
the id of the checkpoint its step starts from (its clock-sequence field is that checkpoint's
step, as LangGraph's), ids are made in step order, and the written checkpoint comes last.
"""

from __future__ import annotations

import uuid
from typing import Any, TypedDict

import pytest

from actorgraph import END, START, Command, StateGraph, get_config, interrupt
from actorgraph.persistence import BaseCheckpointSaver
from actorgraph.runtime import _persist

pytestmark = pytest.mark.anyio


class S(TypedDict):
    x: int


def _clock_seq(checkpoint_id: str) -> int:
    return (uuid.UUID(checkpoint_id).int >> 48) & 0x3FFF


def _chain(n: int, seen: list[tuple[int, str]] | None = None, asking: frozenset[int] = frozenset()) -> StateGraph:
    g = StateGraph(S)
    prev = START
    for i in range(n):
        def node(state: S, i: int = i) -> dict[str, Any]:
            if seen is not None and i in asking:
                config = get_config()
                seen.append((config["metadata"]["langgraph_step"], config["configurable"]["checkpoint_map"][""]))
            return {"x": state["x"] + 1}

        g.add_node(f"n{i}", node)
        g.add_edge(prev, f"n{i}")
        prev = f"n{i}"
    g.add_edge(prev, END)
    return g


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every checkpoint id the runtime makes, in order."""
    ids: list[str] = []
    real = _persist.new_checkpoint_id

    def counting(step: int | None = None) -> str:
        cid = real(step)
        ids.append(cid)
        return cid

    monkeypatch.setattr(_persist, "new_checkpoint_id", counting)
    return ids


async def test_ids_nobody_asks_for_are_not_made(saver: BaseCheckpointSaver, made: list[str]) -> None:
    graph = _chain(10).compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "exit"}}
    assert await graph.ainvoke({"x": 0}, config, durability="exit") == {"x": 10}
    # only the checkpoint written at the end got an id: the one read back, step 9's
    snapshot = await graph.aget_state(config)
    assert made == [snapshot.config["configurable"]["checkpoint_id"]]
    assert _clock_seq(made[0]) == snapshot.metadata["step"] == 10  # (n9 ran at step 10)
    # (sync durability writes, so makes, one a step: the input's (-1), then steps 0-10)
    made.clear()
    await graph.ainvoke({"x": 0}, {"configurable": {"thread_id": "sync"}}, durability="sync")
    assert [_clock_seq(cid) for cid in made] == [0x3FFF, *range(11)]


async def test_an_id_a_node_sees_is_its_steps_and_ids_come_in_step_order(
        saver: BaseCheckpointSaver, made: list[str]) -> None:
    seen: list[tuple[int, str]] = []
    graph = _chain(6, seen, asking=frozenset({1, 2, 4})).compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "t"}}
    await graph.ainvoke({"x": 0}, config, durability="exit")
    # node n<i> runs at step i + 1 and starts from step i's checkpoint
    assert [step for step, _ in seen] == [2, 3, 5]
    for step, cid in seen:
        assert _clock_seq(cid) == step - 1
    final = (await graph.aget_state(config)).config["configurable"]["checkpoint_id"]
    ids = [cid for _, cid in seen] + [final]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert made == ids  # nothing else was made


async def test_an_interrupt_under_exit_durability_resumes_with_its_ids(saver: BaseCheckpointSaver) -> None:
    def ask(state: S) -> dict[str, Any]:
        return {"x": state["x"] + interrupt("how many?")}

    g = StateGraph(S)
    g.add_node("a", lambda s: {"x": s["x"] + 1})
    g.add_node("ask", ask)
    g.add_node("b", lambda s: {"x": s["x"] * 10})
    g.add_edge(START, "a")
    g.add_edge("a", "ask")
    g.add_edge("ask", "b")
    g.add_edge("b", END)
    graph = g.compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "i"}}
    out = await graph.ainvoke({"x": 0}, config, durability="exit")
    (asked,) = out["__interrupt__"]
    snapshot = await graph.aget_state(config)
    assert snapshot.next == ("ask",)
    assert [i.id for i in snapshot.interrupts] == [asked.id]
    assert _clock_seq(snapshot.config["configurable"]["checkpoint_id"]) == snapshot.metadata["step"] == 1
    assert await graph.ainvoke(Command(resume=4), config, durability="exit") == {"x": 50}
