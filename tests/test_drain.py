"""Graceful drain: ``RunControl.request_drain(reason)`` stops a run at its next super-step
barrier — the barrier supervisor refuses the next step — with ``GraphDrained``; the thread is
checkpointed and ``invoke(None, config)`` resumes it.

Observed from LangGraph 1.2 (scratch runs): a node of a->b requesting a drain lets "a" finish
(its update streams, its checkpoint is saved with next == ("b",)), then the run raises
``GraphDrained("Graph drained: deploy")`` (``reason == "deploy"``, a GraphBubbleUp); resuming
runs "b". A drain requested before the run starts stops it before the first step (next ==
("__start__",)). ``runtime.control`` is the control passed (or a fresh one), and
``runtime.drain_requested`` / ``drain_reason`` read it.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, StateGraph
from actorgraph.errors import GraphBubbleUp, GraphDrained
from actorgraph.persistence import BaseCheckpointSaver
from actorgraph.runtime import RunControl, Runtime


class S(TypedDict):
    log: Annotated[list[str], operator.add]


def chain(ctl: RunControl | None = None, seen: list[Any] | None = None) -> StateGraph:
    def a(state: S, runtime: Runtime[None]) -> dict[str, Any]:
        if seen is not None:
            seen.append((runtime.control is ctl, runtime.drain_requested))
        if ctl is not None:
            ctl.request_drain("deploy")
        if seen is not None:
            seen.append((runtime.drain_requested, runtime.drain_reason))
        return {"log": ["a"]}

    def b(state: S) -> dict[str, Any]:
        return {"log": ["b"]}

    return StateGraph(S).add_node("a", a).add_node("b", b).add_edge(START, "a").add_edge("a", "b")


@pytest.mark.anyio
@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
async def test_drain_stops_at_the_next_barrier_and_the_thread_resumes(
        saver: BaseCheckpointSaver, durability: str) -> None:
    ctl = RunControl()
    seen: list[Any] = []
    graph = chain(ctl, seen).compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "t"}}
    chunks = []
    with pytest.raises(GraphDrained) as caught:
        async for chunk in graph.astream({"log": []}, config, stream_mode=["updates", "values"],
                                         control=ctl, durability=durability):
            chunks.append(chunk)
    assert (caught.value.reason, str(caught.value)) == ("deploy", "Graph drained: deploy")
    assert isinstance(caught.value, GraphBubbleUp)
    assert seen == [(True, False), (True, "deploy")]
    assert chunks == [("values", {"log": []}), ("updates", {"a": {"log": ["a"]}}), ("values", {"log": ["a"]})]
    state = await graph.aget_state(config)
    assert (state.values, state.next) == ({"log": ["a"]}, ("b",))
    assert state.metadata is not None and (state.metadata["source"], state.metadata["step"]) == ("loop", 1)
    assert await graph.ainvoke(None, config) == {"log": ["a", "b"]}


def test_drain_without_a_checkpointer_stops_all_the_same() -> None:
    ctl = RunControl()
    with pytest.raises(GraphDrained, match="Graph drained: deploy"):
        chain(ctl).compile().invoke({"log": []}, control=ctl)


@pytest.mark.anyio
async def test_a_drain_requested_before_the_run_stops_it_before_the_first_step(saver: BaseCheckpointSaver) -> None:
    ctl = RunControl()
    ctl.request_drain()
    graph = chain().compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "t"}}
    with pytest.raises(GraphDrained, match="Graph drained: shutdown"):
        await graph.ainvoke({"log": []}, config, control=ctl)
    assert (await graph.aget_state(config)).next == ("__start__",)
    assert await graph.ainvoke(None, config) == {"log": ["a", "b"]}


def test_a_run_without_a_control_has_a_fresh_one_on_its_runtime() -> None:
    controls: list[Any] = []

    def n(state: S, runtime: Runtime[None]) -> dict[str, Any]:
        controls.append(runtime.control)
        return {"log": ["n"]}

    graph = StateGraph(S).add_node("n", n).add_edge(START, "n").compile()
    graph.invoke({"log": []})
    graph.invoke({"log": []})
    assert all(isinstance(c, RunControl) and not c.drain_requested for c in controls)
    assert controls[0] is not controls[1]


def test_a_node_may_drain_its_own_run_through_its_runtime() -> None:
    def a(state: S, runtime: Runtime[None]) -> dict[str, Any]:
        assert runtime.control is not None
        runtime.control.request_drain("node asked")
        return {"log": ["a"]}

    graph = StateGraph(S).add_node("a", a).add_node("b", lambda s: {"log": ["b"]}).add_edge(START, "a").add_edge("a", "b")
    with pytest.raises(GraphDrained, match="node asked"):
        graph.compile().invoke({"log": []})


def test_run_control_is_langgraphs_shape() -> None:
    ctl = RunControl()
    assert (ctl.drain_requested, ctl.drain_reason) == (False, None)
    ctl.request_drain()
    assert (ctl.drain_requested, ctl.drain_reason) == (True, "shutdown")
    assert GraphDrained().reason == "shutdown"
