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


# A running subgraph, observed from LangGraph 1.2 (scratch runs of the same graphs): the
# subgraph inherits the run's control and drains at its own next barrier. Its finished step
# ("s1") streams and is checkpointed in its namespace (next ("s2",)); the parent's step is not
# completed: the sibling's writes are kept as pending writes, the parent's next is ("sub",)
# with no error on the task, and the run raises GraphDrained. Resuming continues the subgraph
# at "s2" and then the parent. A subgraph called by a node drains the same way, and one
# called with its own control=... drains with that one (the outer control untouched).

def parent_with_subgraph(called: bool, ctl: RunControl) -> StateGraph:
    def s1(state: S, runtime: Runtime[None]) -> dict[str, Any]:
        assert runtime.control is ctl
        ctl.request_drain("deploy")
        return {"log": ["s1"]}

    sub = (StateGraph(S).add_node("s1", s1).add_node("s2", lambda s: {"log": ["s2"]})
           .add_edge(START, "s1").add_edge("s1", "s2").compile())

    async def calls_sub(state: S) -> dict[str, Any]:
        return {"log": (await sub.ainvoke(state))["log"][len(state["log"]):]}

    return (StateGraph(S).add_node("p0", lambda s: {"log": ["p0"]}).add_node("sub", calls_sub if called else sub)
            .add_node("sib", lambda s: {"log": ["sib"]}).add_node("p2", lambda s: {"log": ["p2"]})
            .add_edge(START, "p0").add_edge("p0", "sub").add_edge("p0", "sib").add_edge("sub", "p2"))


@pytest.mark.anyio
@pytest.mark.parametrize("called", [False, True], ids=["subgraph-node", "called-by-a-node"])
async def test_a_running_subgraph_drains_at_its_own_barrier_and_resumes(
        saver: BaseCheckpointSaver, called: bool) -> None:
    ctl = RunControl()
    graph = parent_with_subgraph(called, ctl).compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "t"}}
    chunks = []
    with pytest.raises(GraphDrained, match="Graph drained: deploy"):
        async for chunk in graph.astream({"log": []}, config, stream_mode="updates", subgraphs=True, control=ctl):
            chunks.append(chunk)
    seen = [(ns[0].split(":")[0] if ns else "", update) for ns, update in chunks]
    assert seen[0] == ("", {"p0": {"log": ["p0"]}})
    assert sorted(seen[1:], key=str) == [("", {"sib": {"log": ["sib"]}}), ("sub", {"s1": {"log": ["s1"]}})]
    state = await graph.aget_state(config, subgraphs=True)
    assert (state.values, state.next) == ({"log": ["p0", "sib"]}, ("sub",))
    tasks = {t.name: t for t in state.tasks}
    assert set(tasks) == {"sub", "sib"} and tasks["sub"].error is None
    assert tasks["sub"].state is not None
    assert (tasks["sub"].state.values, tasks["sub"].state.next) == ({"log": ["p0", "s1"]}, ("s2",))
    # a subgraph node returns its whole state (the parent's "p0" again, as LangGraph's does)
    expected = ["p0", "sib", "s1", "s2", "p2"] if called else ["p0", "sib", "p0", "s1", "s2", "p2"]
    assert await graph.ainvoke(None, config) == {"log": expected}


@pytest.mark.anyio
async def test_a_subgraph_called_with_its_own_control_drains_with_it(saver: BaseCheckpointSaver) -> None:
    own, outer = RunControl(), RunControl()

    def s1(state: S, runtime: Runtime[None]) -> dict[str, Any]:
        assert runtime.control is own
        own.request_drain("inner")
        return {"log": ["s1"]}

    sub = (StateGraph(S).add_node("s1", s1).add_node("s2", lambda s: {"log": ["s2"]})
           .add_edge(START, "s1").add_edge("s1", "s2").compile())

    async def calls_sub(state: S) -> dict[str, Any]:
        return {"log": (await sub.ainvoke(state, control=own))["log"][len(state["log"]):]}

    graph = (StateGraph(S).add_node("sub", calls_sub).add_node("p2", lambda s: {"log": ["p2"]})
             .add_edge(START, "sub").add_edge("sub", "p2").compile(checkpointer=saver))
    config = {"configurable": {"thread_id": "t"}}
    with pytest.raises(GraphDrained, match="Graph drained: inner"):
        await graph.ainvoke({"log": []}, config, control=outer)
    assert not outer.drain_requested
    state = await graph.aget_state(config)
    assert (state.values, state.next, [t.error for t in state.tasks]) == ({"log": []}, ("sub",), [None])


@pytest.mark.anyio
async def test_an_actor_system_run_drains_with_the_control_it_was_started_with(
        saver: BaseCheckpointSaver) -> None:
    from actorgraph import ActorSystem

    ctl = RunControl()
    graph = chain(ctl).compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "t"}}
    async with ActorSystem() as system:
        handle = await system.start(graph, {"log": []}, config, control=ctl)
        assert handle.control is ctl
        with pytest.raises(GraphDrained, match="Graph drained: deploy"):
            await handle.result()
        assert (await graph.aget_state(config)).next == ("b",)
        resumed = await system.start(graph, None, config)
        assert resumed.control is not None and not resumed.control.drain_requested
        assert await resumed.result() == {"log": ["a", "b"]}


@pytest.mark.anyio
async def test_an_actor_system_run_can_be_drained_through_its_handle() -> None:
    import anyio

    from actorgraph import ActorSystem
    from actorgraph.persistence import InMemorySaver

    started, gate = anyio.Event(), anyio.Event()

    async def a(state: S) -> dict[str, Any]:
        started.set()
        await gate.wait()
        return {"log": ["a"]}

    graph = (StateGraph(S).add_node("a", a).add_node("b", lambda s: {"log": ["b"]}).add_edge(START, "a")
             .add_edge("a", "b").compile(checkpointer=InMemorySaver()))
    config = {"configurable": {"thread_id": "t"}}
    async with ActorSystem() as system:
        handle = await system.start(graph, {"log": []}, config)
        assert handle.control is not None
        await started.wait()
        handle.control.request_drain("maintenance")
        gate.set()
        with pytest.raises(GraphDrained, match="maintenance"):
            await handle.result()
    assert (await graph.aget_state(config)).values == {"log": ["a"]}


@pytest.mark.anyio
async def test_a_drained_subgraph_lets_its_sibling_tasks_finish(saver: BaseCheckpointSaver) -> None:
    # observed from LangGraph 1.2: a drained subgraph does not cancel the step's other tasks
    # (a drain is not a failure); their writes are kept and they do not run again on resume
    import anyio

    ctl, drained, calls = RunControl(), anyio.Event(), []

    async def s1(state: S) -> dict[str, Any]:
        ctl.request_drain("deploy")
        drained.set()
        return {"log": ["s1"]}

    async def slow(state: S) -> dict[str, Any]:
        calls.append("slow")
        await drained.wait()
        await anyio.sleep(0.05)  # still running when the subgraph stops at its barrier
        return {"log": ["slow"]}

    sub = (StateGraph(S).add_node("s1", s1).add_node("s2", lambda s: {"log": ["s2"]})
           .add_edge(START, "s1").add_edge("s1", "s2").compile())
    graph = (StateGraph(S).add_node("sub", sub).add_node("slow", slow).add_node("p2", lambda s: {"log": ["p2"]})
             .add_edge(START, "sub").add_edge(START, "slow").add_edge("sub", "p2").compile(checkpointer=saver))
    config = {"configurable": {"thread_id": "t"}}
    with pytest.raises(GraphDrained):
        await graph.ainvoke({"log": []}, config, control=ctl)
    state = await graph.aget_state(config)
    assert (state.values, state.next) == ({"log": ["slow"]}, ("sub",))
    assert await graph.ainvoke(None, config) == {"log": ["slow", "s1", "s2", "p2"]}
    assert calls == ["slow"]
