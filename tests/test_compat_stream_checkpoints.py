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
