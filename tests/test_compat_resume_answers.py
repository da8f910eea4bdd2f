"""Resume answers are saved with the task's writes, as LangGraph 1.2 stores them.

A task that takes a new ``interrupt()`` answer saves ``(__resume__, [every answer so far])``
with its writes on the checkpoint it ran from; only new answers are written. So a
``Command(resume=...)`` given at that (older) checkpoint later re-runs the task with the
answers stored there, the new value going to its first unanswered question; a replay
(``invoke(None, config)``) asks the questions again. Every expected value was observed with
LangGraph 1.2 (the same graphs, InMemorySaver).
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, Command, StateGraph, interrupt
from actorgraph.persistence import BaseCheckpointSaver

pytestmark = pytest.mark.anyio

RESUME = "__resume__"


class S(TypedDict):
    value: Annotated[list[str], operator.add]


def ask_once(state: S) -> dict[str, Any]:
    return {"value": [str(interrupt("q1"))]}


def ask_twice(state: S) -> dict[str, Any]:
    x = interrupt("q1")
    y = interrupt("q2")
    return {"value": [f"{x}/{y}"]}


def build(saver: BaseCheckpointSaver, ask: Any) -> Any:
    return (StateGraph(S).add_node("a", lambda s: {"value": ["a"]}).add_node("ask", ask)
            .add_edge(START, "a").add_edge("a", "ask").compile(checkpointer=saver))


T = {"configurable": {"thread_id": "t"}}


def shown(out: dict[str, Any]) -> dict[str, Any]:
    return {k: [i.value for i in v] if k == "__interrupt__" else v for k, v in out.items()}


async def history(graph: Any) -> list[tuple[Any, ...]]:
    return [(s.metadata["source"], s.metadata["step"], s.next, s.values["value"],
             tuple(i.value for i in s.interrupts)) async for s in graph.aget_state_history(T)]


async def test_the_answers_are_saved_with_the_finished_task(saver: BaseCheckpointSaver) -> None:
    graph = build(saver, ask_twice)
    await graph.ainvoke({"value": []}, T)
    paused = (await graph.aget_state(T)).config
    assert shown(await graph.ainvoke(Command(resume="v1"), T)) == {"value": ["a"], "__interrupt__": ["q2"]}
    saved = await saver.aget_tuple(paused)
    assert saved is not None
    assert [v for t, c, v in saved.pending_writes if c == RESUME and not t.startswith("0000")] == [["v1"]]
    assert await graph.ainvoke(Command(resume="w1"), T) == {"value": ["a", "v1/w1"]}
    saved = await saver.aget_tuple(paused)
    assert saved is not None
    writes = {(c, str(v)) for t, c, v in saved.pending_writes if not t.startswith("0000")}
    assert (RESUME, "['v1', 'w1']") in writes and ("value", "['v1/w1']") in writes


async def test_a_resume_at_an_older_checkpoint_reuses_the_answers_stored_there(saver: BaseCheckpointSaver) -> None:
    graph = build(saver, ask_twice)
    await graph.ainvoke({"value": []}, T)
    paused = (await graph.aget_state(T)).config
    await graph.ainvoke(Command(resume="v1"), T)
    assert await graph.ainvoke(Command(resume="w1"), T) == {"value": ["a", "v1/w1"]}
    # LangGraph re-runs the task with the answers stored on that checkpoint: v2 is not used
    assert await graph.ainvoke(Command(resume="v2"), paused) == {"value": ["a", "v1/w1"]}
    # a replay from there asks again (on a fork)
    assert shown(await graph.ainvoke(None, paused)) == {"value": ["a"], "__interrupt__": ["q1"]}
    assert await history(graph) == [
        ("fork", 2, ("ask",), ["a"], ("q1",)),
        ("loop", 2, (), ["a", "v1/w1"], ()),
        ("loop", 2, (), ["a", "v1/w1"], ()),
        ("loop", 1, ("ask",), ["a"], ("q2",)),
        ("loop", 0, ("a",), [], ()),
        ("input", -1, ("__start__",), [], ()),
    ]


async def test_a_resume_at_a_checkpoint_the_thread_moved_past_runs_its_finished_tasks_again(
        saver: BaseCheckpointSaver) -> None:
    calls: list[str] = []

    def ask(state: S) -> dict[str, Any]:
        calls.append("ask")
        x = interrupt("q1")
        calls.append(f"ask:{x}")
        return {"value": [f"{x}/{interrupt('q2')}"]}

    def sib(state: S) -> dict[str, Any]:
        calls.append("sib")
        return {"value": ["sib"]}

    graph = (StateGraph(S).add_node("a", lambda s: {"value": ["a"]}).add_node("ask", ask).add_node("sib", sib)
             .add_edge(START, "a").add_edge("a", "ask").add_edge("a", "sib").compile(checkpointer=saver))
    await graph.ainvoke({"value": []}, T)
    await graph.ainvoke(Command(resume="v1"), T)
    paused = (await graph.aget_state(T)).config  # sib finished, ask asked q2
    assert await graph.ainvoke(Command(resume="w1"), T) == {"value": ["a", "v1/w1", "sib"]}
    calls.clear()
    # LangGraph 1.2.24: ask and sib run again (ask with the answers saved there; w2 is not
    # used) and their updates are not shown as cached. actorgraph: their writes were handed
    # back ({'cached': True}) and neither ran.
    updates = [u async for u in graph.astream(Command(resume="w2"), paused, stream_mode="updates")]
    assert sorted(updates, key=str) == [{"ask": {"value": ["v1/w1"]}}, {"sib": {"value": ["sib"]}}]
    assert sorted(calls) == ["ask", "ask:v1", "sib"]
    assert (await graph.aget_state(T)).values == {"value": ["a", "v1/w1", "sib"]}


async def test_one_question_resumed_again_at_its_checkpoint(saver: BaseCheckpointSaver) -> None:
    graph = build(saver, ask_once)
    await graph.ainvoke({"value": []}, T)
    paused = (await graph.aget_state(T)).config
    assert await graph.ainvoke(Command(resume="v1"), T) == {"value": ["a", "v1"]}
    assert await graph.ainvoke(Command(resume="v2"), paused) == {"value": ["a", "v1"]}
    assert shown(await graph.ainvoke(None, paused)) == {"value": ["a"], "__interrupt__": ["q1"]}
    assert await history(graph) == [
        ("fork", 2, ("ask",), ["a"], ("q1",)),
        ("loop", 2, (), ["a", "v1"], ()),
        ("loop", 2, (), ["a", "v1"], ()),
        ("loop", 1, ("ask",), ["a"], ("q1",)),
        ("loop", 0, ("a",), [], ()),
        ("input", -1, ("__start__",), [], ()),
    ]


async def test_a_replay_asks_again_and_the_next_answer_goes_to_the_first_unanswered_question(
        saver: BaseCheckpointSaver) -> None:
    graph = build(saver, ask_twice)
    await graph.ainvoke({"value": []}, T)
    update = await graph.aupdate_state(T, {"value": ["u"]}, as_node="a")
    assert shown(await graph.ainvoke(None, update)) == {"value": ["a", "u"], "__interrupt__": ["q1"]}
    assert shown(await graph.ainvoke(Command(resume="v1"), T)) == {"value": ["a", "u"], "__interrupt__": ["q2"]}
    # a replay from the update (still the head: no fork) asks q1 again
    assert shown(await graph.ainvoke(None, update)) == {"value": ["a", "u"], "__interrupt__": ["q1"]}
    # the answer v1 stayed saved with the task: the new one answers q2
    assert await graph.ainvoke(Command(resume="x1"), T) == {"value": ["a", "u", "v1/x1"]}
    assert await history(graph) == [
        ("loop", 3, (), ["a", "u", "v1/x1"], ()),
        ("update", 2, ("ask",), ["a", "u"], ("q1",)),
        ("loop", 1, ("ask",), ["a"], ("q1",)),
        ("loop", 0, ("a",), [], ()),
        ("input", -1, ("__start__",), [], ()),
    ]


async def test_a_resume_value_reaches_only_the_step_it_was_given_at(saver: BaseCheckpointSaver) -> None:
    # Given at the checkpoint before a (whose step asks nothing), the value is not kept for the
    # question ask asks in the next step.
    graph = build(saver, ask_twice)
    await graph.ainvoke({"value": []}, T)
    before_a = [s async for s in graph.aget_state_history(T) if s.next == ("a",)][0]
    assert shown(await graph.ainvoke(Command(resume="early"), before_a.config)) == {
        "value": ["a"], "__interrupt__": ["q1"]}
    assert shown(await graph.ainvoke(Command(resume="v1"), T)) == {"value": ["a"], "__interrupt__": ["q2"]}
    assert await graph.ainvoke(Command(resume="w1"), T) == {"value": ["a", "v1/w1"]}


async def test_a_resume_after_an_edit_at_the_question_answers_it(saver: BaseCheckpointSaver) -> None:
    graph = build(saver, ask_twice)
    await graph.ainvoke({"value": []}, T)
    await graph.aupdate_state(T, {"value": ["edit"]}, as_node="a")
    assert (await graph.aget_state(T)).next == ("ask",)
    assert shown(await graph.ainvoke(Command(resume="x1"), T)) == {"value": ["a", "edit"], "__interrupt__": ["q2"]}


async def test_a_paused_resume_shows_the_writes_of_tasks_that_finished_before(saver: BaseCheckpointSaver) -> None:
    # Command(goto="ask") at the input checkpoint: a fork whose step runs __start__ and ask;
    # __start__ finishes, ask asks q1. Resumed, __start__'s saved writes count in what the
    # paused run shows (LangGraph 1.2: {'value': ['start'], '__interrupt__': [q2]}).
    graph = build(saver, ask_twice)
    await graph.ainvoke({"value": ["start"]}, T)
    first = [s async for s in graph.aget_state_history(T)][-1]
    assert shown(await graph.ainvoke(Command(goto="ask"), first.config)) == {
        "value": ["start"], "__interrupt__": ["q1"]}
    assert shown(await graph.ainvoke(Command(resume="R"), T)) == {"value": ["start"], "__interrupt__": ["q2"]}
    assert await history(graph) == [
        ("fork", 0, ("__start__", "ask"), [], ("q2",)),
        ("loop", 1, ("ask",), ["start", "a"], ("q1",)),
        ("loop", 0, ("a",), ["start"], ()),
        ("input", -1, ("__start__",), [], ()),
    ]


def build_with_subgraph(saver: BaseCheckpointSaver) -> Any:
    sub = (StateGraph(S).add_node("s1", lambda s: {"value": ["s1"]}).add_node("ask", ask_twice)
           .add_edge(START, "s1").add_edge("s1", "ask").compile())
    return (StateGraph(S).add_node("a", lambda s: {"value": ["a"]}).add_node("sub", sub)
            .add_node("c", lambda s: {"value": ["c"]})
            .add_edge(START, "a").add_edge("a", "sub").add_edge("sub", "c").compile(checkpointer=saver))


async def test_a_replay_asks_again_inside_a_subgraph(saver: BaseCheckpointSaver) -> None:
    # A replay that starts from a fork checkpoint still at the head writes no new fork, so the
    # subgraph task keeps its id (and namespace). As LangGraph, the subgraph starts from its
    # newest checkpoint older than the replayed one (here none: afresh), so it asks again.
    graph = build_with_subgraph(saver)
    assert shown(await graph.ainvoke({"value": ["start"]}, T)) == {"value": ["start", "a"], "__interrupt__": ["q1"]}
    before_sub = [s async for s in graph.aget_state_history(T) if s.next == ("sub",)][0]
    assert shown(await graph.ainvoke(None, before_sub.config)) == {"value": ["start", "a"], "__interrupt__": ["q1"]}
    fork = (await graph.aget_state(T)).config
    assert shown(await graph.ainvoke(Command(resume="r1"), T)) == {"value": ["start", "a"], "__interrupt__": ["q2"]}
    assert shown(await graph.ainvoke(None, fork)) == {"value": ["start", "a"], "__interrupt__": ["q1"]}
    # the subgraph started afresh (it had no checkpoint older than the replayed one), in the
    # same namespace, as LangGraph: its third run there
    sub = [(t.metadata["source"], t.metadata["step"]) async for t in saver.alist(T)
           if t.config["configurable"]["checkpoint_ns"].startswith("sub:")]
    assert sub == [("loop", 1), ("loop", 0), ("input", -1)] * 3
    assert shown(await graph.ainvoke(Command(resume="x1"), T)) == {"value": ["start", "a"], "__interrupt__": ["q2"]}
    assert await graph.ainvoke(Command(resume="x2"), T) == {"value": ["start", "a", "start", "a", "s1", "x1/x2", "c"]}
