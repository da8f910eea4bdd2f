"""Which runs from a named checkpoint start their branch with a ``fork`` checkpoint, as
LangGraph 1.2: a run from a checkpoint of the loop does (even at the head); a run from an
``update_state`` (or ``__copy__``) checkpoint that is still the thread's head does not (that
checkpoint already starts the branch); from one the thread has moved past, it does. The same
holds for a ``Command`` without ``resume`` given with a ``checkpoint_id``: the fork carries its
writes.

Each history below (source, step, next, values, index of the parent in the list) is
LangGraph 1.2's for the same program (InMemorySaver).
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, Command, StateGraph
from actorgraph.persistence import BaseCheckpointSaver

pytestmark = pytest.mark.anyio


class S(TypedDict):
    value: Annotated[list[str], operator.add]


def _node(name: str) -> Any:
    def run(state: S) -> dict[str, Any]:
        return {"value": [name]}

    return run


def chain(saver: BaseCheckpointSaver) -> Any:
    return (StateGraph(S).add_node("a", _node("a")).add_node("b", _node("b")).add_node("c", _node("c"))
            .add_edge(START, "a").add_edge("a", "b").add_edge("b", "c").compile(checkpointer=saver))


T = {"configurable": {"thread_id": "t"}}


async def rows(graph: Any) -> list[tuple[Any, ...]]:
    history = [s async for s in graph.aget_state_history(T)]
    ids = [s.config["configurable"]["checkpoint_id"] for s in history]
    return [(s.metadata["source"], s.metadata["step"], s.next, tuple(s.values["value"]),
             ids.index(s.parent_config["configurable"]["checkpoint_id"]) if s.parent_config else None)
            for s in history]


async def test_a_run_from_an_update_at_the_head_writes_no_fork(saver: BaseCheckpointSaver) -> None:
    graph = chain(saver)
    await graph.ainvoke({"value": []}, T)
    config = await graph.aupdate_state(T, {"value": ["u"]}, as_node="a")
    assert await graph.ainvoke(None, config) == {"value": ["a", "b", "c", "u", "b", "c"]}
    assert await rows(graph) == [
        ("loop", 6, (), ("a", "b", "c", "u", "b", "c"), 1),
        ("loop", 5, ("c",), ("a", "b", "c", "u", "b"), 2),
        ("update", 4, ("b",), ("a", "b", "c", "u"), 3),
        ("loop", 3, (), ("a", "b", "c"), 4),
        ("loop", 2, ("c",), ("a", "b"), 5),
        ("loop", 1, ("b",), ("a",), 6),
        ("loop", 0, ("a",), (), 7),
        ("input", -1, ("__start__",), (), None),
    ]


async def test_a_run_from_a_copy_at_the_head_writes_no_fork(saver: BaseCheckpointSaver) -> None:
    graph = chain(saver)
    await graph.ainvoke({"value": []}, T)
    before_b = [s async for s in graph.aget_state_history(T) if s.next == ("b",)][0]
    config = await graph.aupdate_state(before_b.config, None, as_node="__copy__")
    assert await graph.ainvoke(None, config) == {"value": ["a", "b", "c"]}
    assert await rows(graph) == [
        ("loop", 4, (), ("a", "b", "c"), 1),
        ("loop", 3, ("c",), ("a", "b"), 2),
        ("fork", 2, ("b",), ("a",), 6),
        ("loop", 3, (), ("a", "b", "c"), 4),
        ("loop", 2, ("c",), ("a", "b"), 5),
        ("loop", 1, ("b",), ("a",), 6),
        ("loop", 0, ("a",), (), 7),
        ("input", -1, ("__start__",), (), None),
    ]


async def test_a_run_from_an_update_the_thread_moved_past_forks(saver: BaseCheckpointSaver) -> None:
    graph = chain(saver)
    await graph.ainvoke({"value": []}, T)
    before_c = [s async for s in graph.aget_state_history(T) if s.next == ("c",)][0]
    config = await graph.aupdate_state(before_c.config, {"value": ["u"]}, as_node="b")
    assert await graph.ainvoke(None, config) == {"value": ["a", "b", "u", "c"]}  # from the head: no fork
    assert await graph.ainvoke(None, config) == {"value": ["a", "b", "u", "c"]}  # moved past: a fork
    assert await rows(graph) == [
        ("loop", 5, (), ("a", "b", "u", "c"), 1),
        ("fork", 4, ("c",), ("a", "b", "u"), 3),
        ("loop", 4, (), ("a", "b", "u", "c"), 3),
        ("update", 3, ("c",), ("a", "b", "u"), 5),
        ("loop", 3, (), ("a", "b", "c"), 5),
        ("loop", 2, ("c",), ("a", "b"), 6),
        ("loop", 1, ("b",), ("a",), 7),
        ("loop", 0, ("a",), (), 8),
        ("input", -1, ("__start__",), (), None),
    ]


async def test_a_command_at_an_older_checkpoint_forks_carrying_its_writes(saver: BaseCheckpointSaver) -> None:
    graph = chain(saver)
    await graph.ainvoke({"value": []}, T)
    before_b = [s async for s in graph.aget_state_history(T) if s.next == ("b",)][0]
    assert await graph.ainvoke(Command(update={"value": ["cmd"]}), before_b.config) == {
        "value": ["a", "cmd", "b", "c"]}
    assert await rows(graph) == [
        ("loop", 4, (), ("a", "cmd", "b", "c"), 1),
        ("loop", 3, ("c",), ("a", "cmd", "b"), 2),
        ("fork", 2, ("b",), ("a", "cmd"), 5),
        ("loop", 3, (), ("a", "b", "c"), 4),
        ("loop", 2, ("c",), ("a", "b"), 5),
        ("loop", 1, ("b",), ("a",), 6),
        ("loop", 0, ("a",), (), 7),
        ("input", -1, ("__start__",), (), None),
    ]


async def test_a_goto_at_the_head_named_by_its_id_forks(saver: BaseCheckpointSaver) -> None:
    graph = chain(saver)
    await graph.ainvoke({"value": []}, T)
    head = (await graph.aget_state(T)).config
    assert await graph.ainvoke(Command(goto="b"), head) == {"value": ["a", "b", "c", "b", "c"]}
    assert await rows(graph) == [
        ("loop", 6, (), ("a", "b", "c", "b", "c"), 1),
        ("loop", 5, ("c",), ("a", "b", "c", "b"), 2),
        ("fork", 4, ("b",), ("a", "b", "c"), 3),
        ("loop", 3, (), ("a", "b", "c"), 4),
        ("loop", 2, ("c",), ("a", "b"), 5),
        ("loop", 1, ("b",), ("a",), 6),
        ("loop", 0, ("a",), (), 7),
        ("input", -1, ("__start__",), (), None),
    ]


async def test_a_command_at_an_update_at_the_head_continues_it(saver: BaseCheckpointSaver) -> None:
    graph = chain(saver)
    await graph.ainvoke({"value": []}, T)
    update = await graph.aupdate_state(T, {"value": ["u"]}, as_node="a")
    assert await graph.ainvoke(Command(update={"value": ["cmd"]}), update) == {
        "value": ["a", "b", "c", "u", "cmd", "b", "c"]}
    assert await rows(graph) == [
        ("loop", 6, (), ("a", "b", "c", "u", "cmd", "b", "c"), 1),
        ("loop", 5, ("c",), ("a", "b", "c", "u", "cmd", "b"), 2),
        ("update", 4, ("b",), ("a", "b", "c", "u", "cmd"), 3),
        ("loop", 3, (), ("a", "b", "c"), 4),
        ("loop", 2, ("c",), ("a", "b"), 5),
        ("loop", 1, ("b",), ("a",), 6),
        ("loop", 0, ("a",), (), 7),
        ("input", -1, ("__start__",), (), None),
    ]
