"""``stream_mode="checkpoints"`` and the ``checkpoint`` events of ``debug`` (issue 10 item 12).

Expected values observed on LangGraph 1.2 (InMemorySaver): for START → one → two, the debug
stream's event types are checkpoint, checkpoint, task, task_result, checkpoint, task,
task_result, checkpoint; ``checkpoints`` yields one event per checkpoint in history (4), each
``{config, parent_config, values, metadata, next, tasks}`` with the next step's tasks as
``{id, name, interrupts, state}``; without a checkpointer it yields nothing.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, StateGraph
from actorgraph.persistence import BaseCheckpointSaver, InMemorySaver

pytestmark = pytest.mark.anyio


class S(TypedDict):
    messages: Annotated[list[str], operator.add]


def build(saver: BaseCheckpointSaver | None) -> Any:
    return (StateGraph(S).add_node("one", lambda s: {"messages": ["one"]})
            .add_node("two", lambda s: {"messages": ["two"]})
            .add_edge(START, "one").add_edge("one", "two").compile(checkpointer=saver))


async def test_debug_stream_has_a_checkpoint_event_per_checkpoint(anyio_backend: str, saver: BaseCheckpointSaver) -> None:
    g = build(saver)
    cfg = {"configurable": {"thread_id": "1"}}
    events = [e async for e in g.astream({"messages": []}, cfg, stream_mode="debug")]
    assert [e["type"] for e in events] == [
        "checkpoint", "checkpoint", "task", "task_result", "checkpoint", "task", "task_result", "checkpoint"]
    assert [e["step"] for e in events if e["type"] == "checkpoint"] == [-1, 0, 1, 2]


async def test_checkpoints_stream_matches_history(anyio_backend: str, saver: BaseCheckpointSaver) -> None:
    g = build(saver)
    cfg = {"configurable": {"thread_id": "2"}}
    events = [e async for e in g.astream({"messages": []}, cfg, stream_mode="checkpoints")]
    history = [s async for s in g.aget_state_history(cfg)][::-1]
    assert len(events) == len(history) == 4
    for event, snap in zip(events, history):
        assert set(event) == {"config", "parent_config", "values", "metadata", "next", "tasks"}
        assert event["config"]["configurable"]["checkpoint_id"] == snap.config["configurable"]["checkpoint_id"]
        assert event["values"] == snap.values
        assert event["metadata"] == snap.metadata
        assert tuple(event["next"]) == snap.next
        assert [t["id"] for t in event["tasks"]] == [t.id for t in snap.tasks]
        assert all(t["interrupts"] == () and t["state"] is None for t in event["tasks"])
    assert [e["next"] for e in events] == [["__start__"], ["one"], ["two"], []]
    assert [e["values"] for e in events] == [
        {"messages": []}, {"messages": []}, {"messages": ["one"]}, {"messages": ["one", "two"]}]
    assert events[0]["parent_config"] is None
    for prev, event in zip(events, events[1:]):
        assert event["parent_config"]["configurable"]["checkpoint_id"] == \
            prev["config"]["configurable"]["checkpoint_id"]


async def test_checkpoints_stream_is_empty_without_a_checkpointer(anyio_backend: str) -> None:
    assert [e async for e in build(None).astream({"messages": []}, stream_mode="checkpoints")] == []


def test_sync_stream_orders_checkpoints_among_other_modes_as_langgraph() -> None:
    g = build(InMemorySaver())
    got = [m for m, _ in g.stream({"messages": []}, {"configurable": {"thread_id": "3"}},
                                  stream_mode=["updates", "checkpoints"])]
    assert got == ["checkpoints", "checkpoints", "updates", "checkpoints", "updates", "checkpoints"]
    got = [m for m, _ in g.stream({"messages": []}, {"configurable": {"thread_id": "4"}},
                                  stream_mode=["values", "checkpoints"])]
    assert got == ["checkpoints", "values", "checkpoints", "values", "checkpoints", "values", "checkpoints"]


# -- subgraphs and resumes: LangGraph 1.2.24's events for the same graphs (scratch script) ---------


def _cid(config: dict[str, Any] | None) -> Any:
    return None if config is None else config["configurable"]["checkpoint_id"]


def _ckpt(ns: str, cid: str, parents: dict[str, str]) -> dict[str, Any]:
    """A checkpoint event's config: a subgraph's has ``checkpoint_map`` (its enclosing
    checkpoints and its own)."""
    configurable: dict[str, Any] = {"thread_id": "1", "checkpoint_ns": ns, "checkpoint_id": cid}
    if parents:
        configurable["checkpoint_map"] = {**parents, ns: cid}
    return {"configurable": configurable}


def leaf_beside_other(saver: BaseCheckpointSaver) -> Any:
    """START -> leaf (a subgraph whose node asks) and other; both -> after."""
    from actorgraph import interrupt

    def lask(s: S) -> dict[str, Any]:
        return {"messages": [f"leaf:{interrupt('leaf-q')}"]}

    leaf = StateGraph(S).add_node("lask", lask).add_edge(START, "lask").compile()
    return (StateGraph(S).add_node("leaf", leaf).add_node("other", lambda s: {"messages": ["other"]})
            .add_node("after", lambda s: {"messages": ["after"]})
            .add_edge(START, "leaf").add_edge(START, "other").add_edge(["leaf", "other"], "after")
            .compile(checkpointer=saver))


async def test_subgraph_checkpoint_events_and_the_checkpoints_a_resume_goes_on_from(
        anyio_backend: str, saver: BaseCheckpointSaver) -> None:
    from actorgraph import Command

    g = leaf_beside_other(saver)
    cfg = {"configurable": {"thread_id": "1"}}
    first = [(ns, e) async for ns, e in g.astream({"messages": []}, cfg, stream_mode="checkpoints", subgraphs=True)]
    assert [(ns and ns[0].split(":")[0], e["metadata"]["step"], e["next"]) for ns, e in first] == [
        ((), -1, ["__start__"]), ((), 0, ["leaf", "other"]), ("leaf", -1, ["__start__"]), ("leaf", 0, ["lask"])]
    (_, in0), (_, root0), (sub_ns, sub_in), (_, sub0) = first
    (leaf_task, other_task), root_cid = root0["tasks"], _cid(root0["config"])
    sub = sub_ns[0]
    assert sub == f"leaf:{leaf_task['id']}"
    # LangGraph 1.2.24: the task running a subgraph names the namespace it keeps its state in
    assert leaf_task == {"id": leaf_task["id"], "name": "leaf", "interrupts": (),
                         "state": {"configurable": {"thread_id": "1", "checkpoint_ns": sub}}}
    assert other_task == {"id": other_task["id"], "name": "other", "interrupts": (), "state": None}
    # LangGraph 1.2.24: a subgraph's checkpoint configs have checkpoint_map
    assert (sub_in["config"], sub_in["parent_config"]) == (_ckpt(sub, _cid(sub_in["config"]), {"": root_cid}), None)
    assert (sub0["config"], sub0["parent_config"]) == (
        _ckpt(sub, _cid(sub0["config"]), {"": root_cid}), _ckpt(sub, _cid(sub_in["config"]), {"": root_cid}))

    # LangGraph 1.2.24: a resumed run first streams the checkpoints it goes on from (the root's,
    # with the Command's update applied, and the subgraph's), as stored, with what their tasks
    # asked or wrote so far
    resumed = [(ns, e) async for ns, e in g.astream(Command(resume="A", update={"messages": ["upd"]}), cfg,
                                                    stream_mode="checkpoints", subgraphs=True)]
    assert [(ns and ns[0].split(":")[0], e["metadata"]["step"], e["next"]) for ns, e in resumed] == [
        ((), 0, ["leaf", "other"]), ("leaf", 0, ["lask"]), ("leaf", 1, []), ((), 1, ["after"]), ((), 2, [])]
    (_, again), (_, sub_again) = resumed[:2]
    (asked,) = sub0["tasks"]
    question = {"value": "leaf-q", "id": again["tasks"][0]["interrupts"][0]["id"], "response_schema": None}
    assert again == {
        "config": root0["config"], "parent_config": root0["parent_config"], "values": {"messages": ["upd"]},
        "metadata": {"source": "loop", "step": 0, "parents": {}}, "next": ["leaf", "other"],
        "tasks": [{**leaf_task, "interrupts": (question,)},
                  {"id": other_task["id"], "name": "other", "result": {"messages": ["other"]}, "interrupts": (),
                   "state": None}]}
    assert sub_again == {**sub0, "tasks": [{**asked, "interrupts": (question,)}]}
    assert resumed[-1][1]["values"] == {"messages": ["upd", "leaf:A", "other", "after"]}


async def test_a_resume_streams_its_checkpoint_with_its_tasks_results_errors_and_questions(
        anyio_backend: str, saver: BaseCheckpointSaver) -> None:
    from actorgraph import Command, interrupt

    fails = [1]

    def y(s: S) -> dict[str, Any]:
        if fails.pop() if fails else 0:
            raise ValueError("boom")
        return {"messages": ["y"]}

    def z(s: S) -> dict[str, Any]:
        return {"messages": [f"z{interrupt('zq')}"]}

    g = StateGraph(S).add_node("x", lambda s: {"messages": ["x"]}).add_node("y", y).add_node("z", z)
    app = g.add_edge(START, "x").add_edge(START, "y").add_edge(START, "z").compile(checkpointer=saver)
    cfg = {"configurable": {"thread_id": "1"}, "metadata": {"m": 1}}
    with pytest.raises(ValueError, match="boom"):
        await app.ainvoke({"messages": []}, cfg)
    paused = await app.aget_state(cfg)
    events = [e async for e in app.astream(None, cfg, stream_mode=["checkpoints", "debug"])]
    # LangGraph 1.2.24 (the checkpoint as stored: its metadata has the run's config metadata)
    first = {"config": paused.config, "parent_config": paused.parent_config, "values": {"messages": []},
             "metadata": {"source": "loop", "step": 0, "parents": {}, "m": 1}, "next": ["x", "y", "z"]}
    x, y_, z_ = paused.tasks
    assert events[0] == ("checkpoints", {**first, "tasks": [
        {"id": x.id, "name": "x", "result": {"messages": ["x"]}, "interrupts": (), "state": None},
        {"id": y_.id, "name": "y", "error": "ValueError('boom')", "state": None},
        {"id": z_.id, "name": "z", "interrupts": ({"value": "zq", "id": z_.interrupts[0].id, "response_schema": None},),
         "state": None}]})
    assert events[1][0] == "debug" and (events[1][1]["type"], events[1][1]["step"]) == ("checkpoint", 0)
    assert events[1][1]["payload"] == events[0][1]
    # a breakpoint's checkpoint is streamed again when the run goes on from it too
    bp = build(saver)
    bcfg = {"configurable": {"thread_id": "bp"}}
    await bp.ainvoke({"messages": []}, bcfg, interrupt_before=["two"])
    at = await bp.aget_state(bcfg)
    again = [e async for e in bp.astream(None, bcfg, stream_mode="checkpoints")]
    assert [(_cid(e["config"]), e["next"]) for e in again] == [(_cid(at.config), ["two"]), (_cid(again[1]["config"]), [])]
    # answering the question: the checkpoint once more, the question now among its tasks
    resumed = [e async for e in app.astream(Command(resume="!"), cfg, stream_mode="checkpoints")]
    assert resumed[0]["tasks"][2]["interrupts"][0]["value"] == "zq"
    assert [e["values"] for e in resumed] == [{"messages": []}, {"messages": ["x", "y", "z!"]}]


async def test_a_breakpoint_after_a_step_streams_the_checkpoint_it_stops_at(
        anyio_backend: str, saver: BaseCheckpointSaver) -> None:
    g = (StateGraph(S).add_node("one", lambda s: {"messages": ["one"]}).add_node("two", lambda s: {"messages": ["two"]})
         .add_edge(START, "one").add_edge("one", "two").compile(checkpointer=saver, interrupt_after=["one"]))
    cfg = {"configurable": {"thread_id": "1"}}

    def shape(chunk: tuple[str, Any]) -> tuple[Any, ...]:
        mode, e = chunk
        return (mode, e["metadata"]["step"], e["next"]) if mode == "checkpoints" else (mode, e)

    # LangGraph 1.2.24
    assert [shape(c) async for c in g.astream({"messages": []}, cfg, stream_mode=["checkpoints", "updates"])] == [
        ("checkpoints", -1, ["__start__"]), ("checkpoints", 0, ["one"]), ("updates", {"one": {"messages": ["one"]}}),
        ("checkpoints", 1, ["two"]), ("updates", {"__interrupt__": ()})]
    assert [shape(c) async for c in g.astream(None, cfg, stream_mode=["checkpoints", "updates"])] == [
        ("checkpoints", 1, ["two"]), ("updates", {"two": {"messages": ["two"]}}), ("checkpoints", 2, [])]
