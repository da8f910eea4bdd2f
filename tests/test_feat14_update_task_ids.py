"""``update_state`` / ``bulk_update_state`` keep each update's writes as pending writes of the
checkpoint they update, under the task id LangGraph 1.2 uses (issue 14): the id of the
checkpoint's pending task for that node when it has one, else
``uuid5(UUID(checkpoint_id), "__interrupt__")`` (``"__interrupt__:<i>"`` for the i-th update of
a super-step). Every expected value observed from LangGraph 1.2 running the same graph with its
InMemorySaver (scratch script; its own task ids differ, the rule giving them does not)."""

from __future__ import annotations

import operator
import uuid
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, StateGraph
from actorgraph.errors import InvalidUpdateError
from actorgraph.persistence import BaseCheckpointSaver
from actorgraph.types import StateUpdate

pytestmark = pytest.mark.anyio


class S(TypedDict, total=False):
    log: Annotated[list[str], operator.add]
    x: int


def build(saver: BaseCheckpointSaver, ran: list[str]) -> Any:
    """START -> a -> b -> c, paused before b."""
    def node(name: str) -> Any:
        def run(s: S) -> dict[str, Any]:
            ran.append(name)
            return {"log": [name]}

        return run

    g = StateGraph(S)
    for n in "abc":
        g.add_node(n, node(n))
    g.add_edge(START, "a").add_edge("a", "b").add_edge("b", "c")
    return g.compile(checkpointer=saver, interrupt_before=["b"])


def derived(checkpoint_id: str, i: int) -> str:
    return str(uuid.uuid5(uuid.UUID(checkpoint_id), "__interrupt__" if i == 0 else f"__interrupt__:{i}"))


async def pending(saver: BaseCheckpointSaver, config: dict[str, Any]) -> list[tuple[str, str, Any]]:
    saved = await saver.aget_tuple(config)
    assert saved is not None
    return [tuple(w) for w in saved.pending_writes]  # type: ignore[misc]


async def test_an_update_of_a_pending_task_is_that_tasks_result(saver: BaseCheckpointSaver) -> None:
    ran: list[str] = []
    graph = build(saver, ran)
    config = {"configurable": {"thread_id": "A"}}
    await graph.ainvoke({"log": []}, config)
    paused = await graph.aget_state(config)
    (b,) = paused.tasks
    new = await graph.aupdate_state(config, {"log": ["U"]}, as_node="b")
    assert await pending(saver, paused.config) == [(b.id, "log", ["U"]), (b.id, "branch:to:c", None)]
    assert await pending(saver, new) == []
    history = [s async for s in graph.aget_state_history(config)]
    assert [(s.metadata["step"], s.next, [(t.name, t.result) for t in s.tasks]) for s in history] == [
        (2, ("c",), [("c", None)]),
        (1, ("b",), [("b", {"log": ["U"]})]),
        (0, ("a",), [("a", {"log": ["a"]})]),
        (-1, ("__start__",), [("__start__", {"log": []})]),
    ]
    assert history[1].tasks[0].id == b.id
    state = await graph.aget_state(config)
    assert (state.values, state.next) == ({"log": ["a", "U"]}, ("c",))
    # a replay of the paused checkpoint runs b again (the update's writes are not b's run)
    ran.clear()
    assert await graph.ainvoke(None, paused.config) == {"log": ["a", "b", "c"]}
    assert ran == ["b", "c"]


async def test_an_update_of_a_node_without_a_pending_task(saver: BaseCheckpointSaver) -> None:
    graph = build(saver, [])
    config = {"configurable": {"thread_id": "B"}}
    await graph.ainvoke({"log": []}, config)
    paused = await graph.aget_state(config)
    await graph.aupdate_state(config, {"log": ["U"]}, as_node="a")
    tid = derived(paused.config["configurable"]["checkpoint_id"], 0)
    assert await pending(saver, paused.config) == [(tid, "log", ["U"]), (tid, "branch:to:b", None)]
    assert (await graph.aget_state(config)).next == ("b",)


async def test_bulk_updates_reuse_pending_ids_then_derive_them_by_index(saver: BaseCheckpointSaver) -> None:
    graph = build(saver, [])
    config = {"configurable": {"thread_id": "C"}}
    await graph.ainvoke({"log": []}, config)
    paused = await graph.aget_state(config)
    (b,) = paused.tasks
    cid = paused.config["configurable"]["checkpoint_id"]
    await graph.abulk_update_state(config, [
        [StateUpdate({"log": ["1"]}, "a"), StateUpdate({"log": ["2"]}, "b"),
         StateUpdate({"log": ["3"]}, "a"), StateUpdate({"log": ["4"]}, "b")],
        [StateUpdate({"log": ["5"]}, "c")],
    ])
    assert await pending(saver, paused.config) == [
        (derived(cid, 0), "log", ["1"]), (derived(cid, 0), "branch:to:b", None),
        (b.id, "log", ["2"]), (b.id, "branch:to:c", None),
        (derived(cid, 2), "log", ["3"]), (derived(cid, 2), "branch:to:b", None),
        (derived(cid, 3), "log", ["4"]), (derived(cid, 3), "branch:to:c", None),
    ]
    # the second super-step's update is the pending c task of the first one's checkpoint
    middle = [s async for s in graph.aget_state_history(config)][1]
    assert middle.next == ("b", "c")
    assert [(t.name, t.result) for t in middle.tasks] == [("b", None), ("c", {"log": ["5"]})]
    c = middle.tasks[1]
    assert await pending(saver, middle.config) == [(c.id, "log", ["5"])]


async def test_no_writes_kept_on_a_forked_checkpoint_or_a_new_thread(saver: BaseCheckpointSaver) -> None:
    graph = build(saver, [])
    config = {"configurable": {"thread_id": "D"}}
    await graph.ainvoke({"log": []}, config)
    await graph.ainvoke(None, config)
    old = [s async for s in graph.aget_state_history(config) if s.next == ("b",)][0]
    before = await pending(saver, old.config)
    assert [(ch, v) for _, ch, v in before] == [("log", ["b"]), ("branch:to:c", None)]
    await graph.aupdate_state(old.config, {"log": ["U"]}, as_node="b")  # the thread moved past it
    assert await pending(saver, old.config) == before

    fresh = {"configurable": {"thread_id": "E"}}
    first = await graph.aupdate_state(fresh, {"log": ["U"]}, as_node="a")
    assert await pending(saver, first) == []
    await graph.aupdate_state(fresh, {"log": ["V"]}, as_node="a")
    tid = derived(first["configurable"]["checkpoint_id"], 0)
    assert await pending(saver, first) == [(tid, "log", ["V"]), (tid, "branch:to:b", None)]


async def test_a_failing_super_step_keeps_its_writes_but_no_checkpoint(saver: BaseCheckpointSaver) -> None:
    graph = build(saver, [])
    config = {"configurable": {"thread_id": "F"}}
    await graph.ainvoke({"log": []}, config)
    paused = await graph.aget_state(config)
    (b,) = paused.tasks
    with pytest.raises(InvalidUpdateError):
        await graph.abulk_update_state(config, [[StateUpdate({"x": 1}, "a"), StateUpdate({"x": 2}, "b")]])
    tid = derived(paused.config["configurable"]["checkpoint_id"], 0)
    assert await pending(saver, paused.config) == [
        (tid, "x", 1), (tid, "branch:to:b", None), (b.id, "x", 2), (b.id, "branch:to:c", None)]
    assert len([s async for s in graph.aget_state_history(config)]) == 3


async def test_command_updates_keep_gotos_and_sends_in_langgraphs_order(saver: BaseCheckpointSaver) -> None:
    from actorgraph import Command, Send

    graph = build(saver, [])
    expected = {
        # (a's update, its goto, then its edge to b: LangGraph 1.2's order)
        "goto": (Command(update={"x": 1}, goto="c"), "a",
                 [("x", 1), ("branch:to:c", None), ("branch:to:b", None)], ("b", "c")),
        "send": (Command(goto=Send("c", {"log": ["sent"]})), "a",
                 [("__pregel_tasks", Send("c", {"log": ["sent"]})), ("branch:to:b", None)], ("c", "b")),
        "sends": (Command(goto=[Send("c", {}), Send("b", {})]), "b",
                  [("__pregel_tasks", Send("c", {})), ("__pregel_tasks", Send("b", {})), ("branch:to:c", None)],
                  ("c", "b", "c")),
    }
    for thread, (command, as_node, writes, after) in expected.items():
        config = {"configurable": {"thread_id": thread}}
        await graph.ainvoke({"log": []}, config)
        paused = await graph.aget_state(config)
        await graph.aupdate_state(config, command, as_node=as_node)
        assert [(ch, v) for _, ch, v in await pending(saver, paused.config)] == writes, thread
        assert (await graph.aget_state(config)).next == after, thread


async def test_a_copy_updated_at_once_groups_its_updates_by_node(saver: BaseCheckpointSaver) -> None:
    graph = build(saver, [])
    config = {"configurable": {"thread_id": "G"}}
    await graph.ainvoke({"log": []}, config)
    paused = await graph.aget_state(config)
    await graph.abulk_update_state(paused.config, [[StateUpdate(
        [({"log": ["Y"]}, "a"), ({"log": ["X"]}, "b"), ({"log": ["Z"]}, "a")], "__copy__")]])
    history = [s async for s in graph.aget_state_history(config)]
    assert [(s.metadata["source"], s.metadata["step"], s.next) for s in history[:3]] == [
        ("update", 3, ("b", "c")), ("fork", 2, ("b",)), ("loop", 1, ("b",))]
    copy = history[1]
    (b,) = copy.tasks
    assert b.result == {"log": ["X"]}
    cid = copy.config["configurable"]["checkpoint_id"]
    # a's updates first (as LangGraph 1.2 groups them), each under its index's id; X under b's
    assert await pending(saver, copy.config) == [
        (derived(cid, 0), "log", ["Y"]), (derived(cid, 0), "branch:to:b", None),
        (derived(cid, 1), "log", ["Z"]), (derived(cid, 1), "branch:to:b", None),
        (b.id, "log", ["X"]), (b.id, "branch:to:c", None)]
    assert await pending(saver, paused.config) == []
    assert (await graph.aget_state(config)).values == {"log": ["a", "Y", "Z", "X"]}
