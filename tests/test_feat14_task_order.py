"""``get_state`` / ``get_state_history`` list a step's tasks as LangGraph 1.2 does: ``Send``
tasks first (in the order sent), then nodes in the order they were added to the graph, not by
name (issue 14). Expected values observed from LangGraph 1.2 running the same graphs with its
InMemorySaver (scratch script)."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, Send, StateGraph, interrupt
from actorgraph.persistence import BaseCheckpointSaver, InMemorySaver

pytestmark = pytest.mark.anyio


class S(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


def logs(name: str) -> Any:
    def run(s: S) -> dict[str, Any]:
        return {"log": [name]}

    return run


def asks(name: str) -> Any:
    def run(s: S) -> dict[str, Any]:
        return {"log": [interrupt(name)]}

    return run


async def test_sends_first_then_nodes_in_the_order_added(saver: BaseCheckpointSaver) -> None:
    def route(s: S) -> list[Any]:
        return [Send("m", {"log": ["s1"]}), Send("a", {"log": ["s2"]}), "z", "b"]

    g = StateGraph(S)
    for n in ["z", "m", "a", "b"]:
        g.add_node(n, logs(n))
    g.add_conditional_edges(START, route, ["z", "m", "a", "b"])
    graph = g.compile(checkpointer=saver, interrupt_before=["z", "m", "a", "b"])
    config = {"configurable": {"thread_id": "1"}}
    await graph.ainvoke({"log": []}, config)
    state = await graph.aget_state(config)
    # (LangGraph 1.2: next ('m', 'a', 'z', 'b'))
    assert state.next == ("m", "a", "z", "b")
    assert [(t.name, t.path[:2]) for t in state.tasks] == [
        ("m", ("__pregel_push", 0)), ("a", ("__pregel_push", 1)),
        ("z", ("__pregel_pull", "z")), ("b", ("__pregel_pull", "b"))]
    history = [s async for s in graph.aget_state_history(config)]
    assert [(s.metadata["step"], s.next) for s in history] == [(0, ("m", "a", "z", "b")), (-1, ("__start__",))]
    # the run itself is unchanged: its writes fold in task-path order (pulls by name, then pushes)
    assert await graph.ainvoke(None, config) == {"log": ["b", "z", "m", "a"]}


async def test_interrupted_step_lists_tasks_and_interrupts_in_the_order_added() -> None:
    g = StateGraph(S)
    g.add_node("zz", asks("zz")).add_node("ok", logs("ok")).add_node("aa", asks("aa")).add_node("after", logs("after"))
    g.add_edge(START, "zz").add_edge(START, "ok").add_edge(START, "aa").add_edge(["zz", "ok", "aa"], "after")
    graph = g.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "1"}}
    await graph.ainvoke({"log": []}, config)
    state = await graph.aget_state(config)
    assert state.next == ("zz", "aa")
    assert [(t.name, t.result, [i.value for i in t.interrupts]) for t in state.tasks] == [
        ("zz", None, ["zz"]), ("ok", {"log": ["ok"]}, []), ("aa", None, ["aa"])]
    assert [i.value for i in state.interrupts] == ["zz", "aa"]
