"""The order of a snapshot's ``next`` and ``tasks``: as LangGraph 1.2 shows them, pending
``Send``s first, then the triggered nodes in the order they were added to the graph (not by
name). Observed with LangGraph 1.2 (InMemorySaver): ``next == ('z', 'b')``."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, StateGraph
from actorgraph.persistence import BaseCheckpointSaver

pytestmark = pytest.mark.anyio


class S(TypedDict):
    value: Annotated[list[str], operator.add]


def _node(name: str) -> Any:
    def run(state: S) -> dict[str, Any]:
        return {"value": [name]}

    return run


async def test_next_lists_nodes_in_the_order_they_were_added(saver: BaseCheckpointSaver) -> None:
    graph = (StateGraph(S).add_node("a", _node("a")).add_node("z", _node("z")).add_node("b", _node("b"))
             .add_edge(START, "a").add_edge("a", "z").add_edge("a", "b")
             .compile(checkpointer=saver, interrupt_before=["z", "b"]))
    config = {"configurable": {"thread_id": "t"}}
    await graph.ainvoke({"value": []}, config)
    state = await graph.aget_state(config)
    assert state.next == ("z", "b")
    assert [t.name for t in state.tasks] == ["z", "b"]
    assert [s.next async for s in graph.aget_state_history(config)] == [("z", "b"), ("a",), ("__start__",)]
    # the run itself applies their writes in its own (deterministic) order, as before
    assert await graph.ainvoke(None, config) == {"value": ["a", "b", "z"]}
