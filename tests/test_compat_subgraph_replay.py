"""Subgraphs in a replayed step, as LangGraph 1.2 (its "replay state"): the subgraph loads its
namespace's newest checkpoint older than the replayed parent checkpoint (for a replay from an
``update_state``/fork checkpoint: older than that one's parent) and takes its input anew from
there; none: it starts afresh. A bare resume value goes to the first question asked, whatever
its id. Expected values observed with LangGraph 1.2 (InMemorySaver, same programs)."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, Command, StateGraph, interrupt
from actorgraph.persistence import BaseCheckpointSaver

pytestmark = pytest.mark.anyio

T = {"configurable": {"thread_id": "t"}}


class S(TypedDict):
    value: Annotated[list[str], operator.add]


class Sub(TypedDict):
    value: Annotated[list[str], operator.add]
    count: Annotated[int, operator.add]


def _count(s: Sub) -> dict[str, Any]:
    return {"count": 1, "value": [f"s1#{s.get('count', 0) + 1}"]}


def stateful(saver: BaseCheckpointSaver) -> Any:
    sub = StateGraph(Sub).add_node("s1", _count).add_edge(START, "s1").compile(checkpointer=True)
    return (StateGraph(S).add_node("a", lambda s: {"value": ["a"]}).add_node("sub", sub)
            .add_node("c", lambda s: {"value": ["c"]})
            .add_edge(START, "a").add_edge("a", "sub").add_edge("sub", "c").compile(checkpointer=saver))


async def _sub_history(saver: BaseCheckpointSaver) -> list[tuple[str, int]]:
    return [(t.metadata["source"], t.metadata["step"]) async for t in saver.alist(T)
            if t.config["configurable"]["checkpoint_ns"].startswith("sub")]


async def test_replays_of_a_stateful_subgraph(saver: BaseCheckpointSaver) -> None:
    graph = stateful(saver)
    first = ["x", "a", "x", "a", "s1#1", "c"]
    assert (await graph.ainvoke({"value": ["x"]}, T))["value"] == first
    second = [*first, "y", "a", "x", "a", "s1#1", "x", "a", "x", "a", "s1#1", "c", "y", "a", "s1#2", "c"]
    assert (await graph.ainvoke({"value": ["y"]}, T))["value"] == second
    before_sub = [s async for s in graph.aget_state_history(T) if s.next == ("sub",)]
    assert [s.metadata["step"] for s in before_sub] == [6, 1]
    # the subgraph as it was before the second run's step: the second run again
    assert (await graph.ainvoke(None, before_sub[0].config))["value"] == second
    # before the first run's step it had nothing: it starts afresh
    assert (await graph.ainvoke(None, before_sub[-1].config))["value"] == first
    update = await graph.aupdate_state(before_sub[0].config, {"value": ["u"]}, as_node="a")
    assert (await graph.ainvoke(None, update))["value"] == [
        "x", "a", "x", "a", "s1#1", "c", "y", "a", "u", "x", "a", "s1#1", "x", "a", "x", "a", "s1#1",
        "c", "y", "a", "u", "s1#2", "c"]
    run1 = [("loop", 1), ("loop", 0), ("input", -1)]
    run2 = [("loop", 4), ("loop", 3), ("input", 2)]
    assert await _sub_history(saver) == [*run2, *run1, *run2, *run2, *run1]


def _ask(state: S) -> dict[str, Any]:
    x = interrupt("q1")
    y = interrupt("q2")
    return {"value": [f"{x}/{y}"]}


def asking(saver: BaseCheckpointSaver) -> Any:
    sub = (StateGraph(S).add_node("s1", lambda s: {"value": ["s1"]}).add_node("ask", _ask)
           .add_edge(START, "s1").add_edge("s1", "ask").compile(checkpointer=True))
    return (StateGraph(S).add_node("a", lambda s: {"value": ["a"]}).add_node("sub", sub)
            .add_node("c", lambda s: {"value": ["c"]})
            .add_edge(START, "a").add_edge("a", "sub").add_edge("sub", "c").compile(checkpointer=saver))


def shown(out: dict[str, Any]) -> dict[str, Any]:
    return {k: [i.value for i in v] if k == "__interrupt__" else v for k, v in out.items()}


async def test_a_bare_resume_reaches_a_stateful_subgraph_question_under_its_new_id(
        saver: BaseCheckpointSaver) -> None:
    graph = asking(saver)
    assert shown(await graph.ainvoke({"value": ["start"]}, T)) == {"value": ["start", "a"], "__interrupt__": ["q1"]}
    history = [s async for s in graph.aget_state_history(T)]
    before_sub, first = history[0], history[-1]
    assert before_sub.next == ("sub",) and first.metadata["source"] == "input"
    assert shown(await graph.ainvoke(None, before_sub.config)) == {"value": ["start", "a"], "__interrupt__": ["q1"]}
    assert shown(await graph.ainvoke(Command(resume="r1"), first.config)) == {
        "value": ["start", "a"], "__interrupt__": ["q1"]}
    # at the old checkpoint before sub: the subgraph continues its newest checkpoint, whose
    # question has another id than the one saved with the parent; the value answers it
    assert shown(await graph.ainvoke(Command(resume="r2"), before_sub.config)) == {
        "value": ["start", "a"], "__interrupt__": ["q2"]}
    assert await _sub_history(saver) == [("loop", 4), ("loop", 3), ("input", 2),
                                         ("loop", 1), ("loop", 0), ("input", -1),
                                         ("loop", 1), ("loop", 0), ("input", -1)]


async def test_a_stateful_subgraph_run_later_in_a_replay_loads_as_of_the_replay(
        saver: BaseCheckpointSaver) -> None:
    # Replays from before node a: the subgraph runs in the replay's second step, its first run
    # in the replay: it still loads as of the replayed checkpoint.
    graph = stateful(saver)
    first = ["x", "a", "x", "a", "s1#1", "c"]
    await graph.ainvoke({"value": ["x"]}, T)
    second = (await graph.ainvoke({"value": ["y"]}, T))["value"]
    before_a = [s async for s in graph.aget_state_history(T) if s.next == ("a",)]
    assert [s.metadata["step"] for s in before_a] == [5, 0]
    assert (await graph.ainvoke(None, before_a[0].config))["value"] == second
    assert (await graph.ainvoke(None, before_a[-1].config))["value"] == first
    run1 = [("loop", 1), ("loop", 0), ("input", -1)]
    run2 = [("loop", 4), ("loop", 3), ("input", 2)]
    assert await _sub_history(saver) == [*run1, *run2, *run2, *run1]
