"""``bulk_update_state`` / ``abulk_update_state``: super-steps of ``StateUpdate``s, one checkpoint
each, with LangGraph 1.2's semantics (every expected value observed from LangGraph 1.2 running
the same graph with its InMemorySaver)."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import END, START, StateGraph
from actorgraph.errors import InvalidUpdateError
from actorgraph.persistence import BaseCheckpointSaver, InMemorySaver
from actorgraph.types import StateUpdate


class S(TypedDict):
    x: int
    log: Annotated[list[str], operator.add]


def node(name: str) -> Any:
    def run(s: S) -> dict[str, Any]:
        return {"log": [name]}

    return run


def diamond(saver: BaseCheckpointSaver) -> Any:
    """START -> a, b; a, b -> c."""
    g = StateGraph(S)
    for n in "abc":
        g.add_node(n, node(n))
    g.add_edge(START, "a").add_edge(START, "b").add_edge("a", "c").add_edge("b", "c")
    return g.compile(checkpointer=saver)


async def history(graph: Any, config: dict[str, Any]) -> list[Any]:
    return [s async for s in graph.aget_state_history(config)]


@pytest.mark.anyio
async def test_one_checkpoint_per_superstep(saver: BaseCheckpointSaver) -> None:
    graph = diamond(saver)
    config = {"configurable": {"thread_id": "t"}}
    returned = await graph.abulk_update_state(config, [
        [StateUpdate({"x": 1, "log": ["i"]}, "__input__")],
        [StateUpdate({"log": ["A"]}, "a"), StateUpdate({"log": ["B"], "x": 5}, "b")],
    ])
    snaps = await history(graph, config)
    assert [(s.values, s.next, s.metadata) for s in snaps] == [
        ({"x": 5, "log": ["A", "B"]}, ("c",), {"source": "update", "step": 0, "parents": {}}),
        ({"log": []}, ("__start__",), {"source": "input", "step": -1, "parents": {}}),
    ]
    assert returned == {"configurable": {"thread_id": "t", "checkpoint_ns": "",
                                         "checkpoint_id": snaps[0].config["configurable"]["checkpoint_id"]}}
    # both updates' edges fired: c runs next, once
    assert await graph.ainvoke(None, config) == {"x": 5, "log": ["A", "B", "c"]}


@pytest.mark.anyio
async def test_updates_of_a_superstep_fold_in_the_order_given() -> None:
    graph = diamond(InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    await graph.abulk_update_state(config, [[
        StateUpdate({"log": ["1"]}, "b"), StateUpdate({"log": ["2"]}, "a"), StateUpdate({"log": ["3"]}, "b"),
    ]])
    state = await graph.aget_state(config)
    assert (state.values, state.next, state.metadata) == (
        {"log": ["1", "2", "3"]}, ("c",), {"source": "update", "step": 0, "parents": {}})


@pytest.mark.anyio
async def test_bad_updates_raise_and_save_nothing_of_their_superstep() -> None:
    graph = diamond(InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    with pytest.raises(ValueError, match="^No supersteps provided$"):
        await graph.abulk_update_state(config, [])
    with pytest.raises(ValueError, match="^No updates provided$"):
        await graph.abulk_update_state(config, [[StateUpdate({"x": 1}, "a")], []])
    with pytest.raises(InvalidUpdateError, match="^as_node is required when applying multiple updates$"):
        await graph.abulk_update_state(config, [[StateUpdate({"x": 1}), StateUpdate({"x": 1}, "a")]])
    with pytest.raises(InvalidUpdateError, match="^Node zz does not exist$"):
        await graph.abulk_update_state(config, [[StateUpdate({"x": 1}, "zz")]])
    with pytest.raises(InvalidUpdateError, match="^At key 'x': Can receive only one value per step"):
        await graph.abulk_update_state(config, [[StateUpdate({"x": 1}, "a"), StateUpdate({"x": 2}, "b")]])
    with pytest.raises(InvalidUpdateError, match="^Cannot apply multiple updates when clearing state$"):
        await graph.abulk_update_state(config, [[StateUpdate(None, END), StateUpdate({"x": 2}, "b")]])
    with pytest.raises(InvalidUpdateError, match="^Cannot apply multiple updates when updating as input$"):
        await graph.abulk_update_state(config, [[StateUpdate({"x": 1}, "__input__"), StateUpdate({"x": 2}, "b")]])
    with pytest.raises(InvalidUpdateError, match="^Cannot copy checkpoint with multiple updates$"):
        await graph.abulk_update_state(config, [[StateUpdate(None, "__copy__"), StateUpdate({"x": 2}, "b")]])
    assert await history(graph, config) == []
    # the super-steps before a bad one stay saved
    with pytest.raises(InvalidUpdateError, match="^Node zz does not exist$"):
        await graph.abulk_update_state(config, [[StateUpdate({"x": 3}, "a")], [StateUpdate({"x": 2}, "zz")]])
    assert [(s.values, s.metadata["step"]) for s in await history(graph, config)] == [({"x": 3, "log": []}, 0)]


def linear(saver: BaseCheckpointSaver) -> Any:
    g = StateGraph(S)
    g.add_node("a", node("a")).add_node("b", node("b")).add_edge(START, "a").add_edge("a", "b")
    return g.compile(checkpointer=saver)


@pytest.mark.anyio
async def test_copy_with_updates_then_more_supersteps(saver: BaseCheckpointSaver) -> None:
    graph = linear(saver)
    config = {"configurable": {"thread_id": "t"}}
    await graph.ainvoke({"x": 1, "log": []}, config)
    middle = (await history(graph, config))[1].config  # after a, before b
    await graph.abulk_update_state(middle, [
        [StateUpdate([({"log": ["X"]}, "a")], "__copy__")],
        [StateUpdate({"x": 7}, "b")],
    ])
    assert [(s.values, s.next, s.metadata["source"], s.metadata["step"])
            for s in await history(graph, config)] == [
        ({"x": 7, "log": ["a", "X"]}, (), "update", 4),
        ({"x": 1, "log": ["a", "X"]}, ("b",), "update", 3),
        ({"x": 1, "log": ["a"]}, ("b",), "fork", 2),
        ({"x": 1, "log": ["a", "b"]}, (), "loop", 2),
        ({"x": 1, "log": ["a"]}, ("b",), "loop", 1),
        ({"x": 1, "log": []}, ("a",), "loop", 0),
        ({"log": []}, ("__start__",), "input", -1),
    ]
    # a (values, as_node) tuple is an update too
    await graph.abulk_update_state(config, [[(None, END)]])
    state = await graph.aget_state(config)
    assert (state.next, state.metadata) == ((), {"source": "update", "step": 5, "parents": {}})


def test_sync_bulk_update_and_update_state_task_id() -> None:
    graph = diamond(InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    graph.bulk_update_state(config, [[StateUpdate({"log": ["A"]}, "a"), StateUpdate({"log": ["B"]}, "b")]])
    assert graph.get_state(config).values == {"log": ["A", "B"]}
    graph.update_state(config, {"x": 9}, as_node="c", task_id="my-task")
    state = graph.get_state(config)
    assert (state.values, state.next, state.metadata["step"]) == ({"x": 9, "log": ["A", "B"]}, (), 1)


def test_bulk_update_needs_a_checkpointer() -> None:
    g = StateGraph(S)
    g.add_node("a", node("a")).add_edge(START, "a")
    with pytest.raises(ValueError, match="No checkpointer set"):
        g.compile().bulk_update_state({"configurable": {"thread_id": "t"}}, [[StateUpdate({"x": 1}, "a")]])
