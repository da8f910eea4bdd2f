"""Task ids differ from run to run, with or without a checkpointer (issue 14, leftover of 10).

Observed from LangGraph 1.2 (scratch runs of the graph below, no checkpointer): two runs of
START -> a -> b (b calls ``interrupt()``) stream different task ids in ``tasks`` (the ids
derive from checkpoint ids every run makes afresh), so the node's ``checkpoint_ns``
(``"a:<task id>"``) and the interrupt ids in the output differ too; within a run the
``checkpoint_ns`` names the task id the ``tasks`` stream shows. With a checkpointer, two
threads given the same input get different task ids as well; resuming a paused thread runs the
task under the id ``get_state`` listed for it.
"""

from __future__ import annotations

from typing import Any, TypedDict

import pytest

from actorgraph import START, Command, StateGraph, interrupt
from actorgraph.persistence import BaseCheckpointSaver

pytestmark = pytest.mark.anyio


class S(TypedDict, total=False):
    x: int


def build(seen: list[str], saver: BaseCheckpointSaver | None = None) -> Any:
    def a(state: S, config: dict[str, Any]) -> dict[str, Any]:
        seen.append(config["configurable"]["checkpoint_ns"])
        return {"x": 1}

    def b(state: S) -> dict[str, Any]:
        return {"x": interrupt("q")}

    return (StateGraph(S).add_node("a", a).add_node("b", b).add_edge(START, "a").add_edge("a", "b")
            .compile(checkpointer=saver))


async def _one_run(graph: Any, config: dict[str, Any] | None = None) -> tuple[list[str], str]:
    """The task ids of the ``tasks`` stream (start events) and the interrupt id of the output."""
    ids: list[str] = []
    interrupt_id = ""
    async for mode, chunk in graph.astream({"x": 0}, config, stream_mode=["tasks", "updates"]):
        if mode == "tasks" and "input" in chunk:
            ids.append(chunk["id"])
        elif mode == "updates" and "__interrupt__" in chunk:
            interrupt_id = chunk["__interrupt__"][0].id
    return ids, interrupt_id


async def test_without_a_checkpointer_every_run_has_its_own_task_and_interrupt_ids() -> None:
    seen: list[str] = []
    graph = build(seen)
    ids1, int1 = await _one_run(graph)
    ids2, int2 = await _one_run(graph)
    assert len(ids1) == len(ids2) == 2 and len(set(ids1 + ids2)) == 4
    assert int1 and int2 and int1 != int2
    assert seen == [f"a:{ids1[0]}", f"a:{ids2[0]}"]  # the node's namespace names its task
    out1 = await graph.ainvoke({"x": 0})
    out2 = await graph.ainvoke({"x": 0})
    assert out1["__interrupt__"][0].id != out2["__interrupt__"][0].id


async def test_a_subgraph_without_a_checkpointer_gets_a_new_namespace_every_run() -> None:
    inner = StateGraph(S).add_node("i", lambda s: {"x": s["x"] + 1}).add_edge(START, "i").compile()
    outer = StateGraph(S).add_node("sub", inner).add_edge(START, "sub").compile()

    async def namespaces() -> list[tuple[str, ...]]:
        return [ns async for ns, _ in outer.astream({"x": 0}, stream_mode="updates", subgraphs=True) if ns]

    first, second = await namespaces(), await namespaces()
    assert len(first) == len(second) == 1
    assert first[0][0].startswith("sub:") and second[0][0].startswith("sub:")
    assert first != second


async def test_with_a_checkpointer_threads_differ_and_a_resume_keeps_the_listed_id(
        saver: BaseCheckpointSaver) -> None:
    seen: list[str] = []
    graph = build(seen, saver)
    c1 = {"configurable": {"thread_id": "1"}}
    c2 = {"configurable": {"thread_id": "2"}}
    ids1, int1 = await _one_run(graph, c1)
    ids2, int2 = await _one_run(graph, c2)
    assert len(set(ids1 + ids2)) == 4 and int1 != int2
    state = await graph.aget_state(c1)
    assert [t.id for t in state.tasks] == [ids1[1]] and state.interrupts[0].id == int1
    resumed = [c async for c in graph.astream(Command(resume=5), c1, stream_mode="tasks")]
    assert [c["id"] for c in resumed] == [ids1[1], ids1[1]]
    assert (await graph.aget_state(c1)).values == {"x": 5}
