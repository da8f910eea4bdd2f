"""Sync ``def`` nodes: where they run.

- Under the sync API (``invoke``/``stream``'s private loop), the only task of a step runs on the
  calling thread, as in LangGraph (which calls sync nodes in the caller's thread): no thread hop.
  The graph's own sync API called from such a node (a subgraph's ``invoke``) still works.
- Tasks of a step with several tasks run concurrently in worker threads.
- Under ``ainvoke`` a sync node never runs on the event loop's thread.
"""

from __future__ import annotations

import operator
import threading
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, StateGraph
from actorgraph.persistence import InMemorySaver


class S(TypedDict):
    x: int
    seen: Annotated[list[int], operator.add]


def _where(s: S) -> dict[str, Any]:
    return {"seen": [threading.get_ident()]}


def test_a_lone_sync_node_runs_on_the_calling_thread_under_invoke() -> None:
    g = StateGraph(S).add_node("a", _where).add_node("b", _where).add_edge(START, "a").add_edge("a", "b").compile()
    out = g.invoke({"x": 0, "seen": []})
    assert out["seen"] == [threading.get_ident()] * 2


def test_parallel_sync_nodes_run_concurrently_in_worker_threads_under_invoke() -> None:
    meet = threading.Barrier(2, timeout=5)  # each waits for the other: only concurrency passes

    def node(s: S) -> dict[str, Any]:
        meet.wait()
        return {"seen": [threading.get_ident()]}

    g = StateGraph(S).add_node("a", node).add_node("b", node).add_edge(START, "a").add_edge(START, "b").compile()
    out = g.invoke({"x": 0, "seen": []})
    assert len(set(out["seen"])) == 2
    assert threading.get_ident() not in out["seen"]


def test_a_sync_node_calling_the_sync_api_of_another_graph_under_invoke() -> None:
    inner = StateGraph(S).add_node("double", lambda s: {"x": s["x"] * 2}).add_edge(START, "double").compile()
    stored = StateGraph(S).add_node("double", lambda s: {"x": s["x"] * 2}).add_edge(START, "double").compile(
        checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "other"}}
    stored.invoke({"x": 5, "seen": []}, cfg)

    def outer_node(s: S) -> dict[str, Any]:
        got = inner.invoke({"x": s["x"], "seen": []})
        chunks = list(inner.stream({"x": 1, "seen": []}, stream_mode="values"))
        saved = stored.get_state(cfg).values["x"]
        return {"x": got["x"], "seen": [len(chunks), saved]}

    outer = StateGraph(S).add_node("o", outer_node).add_edge(START, "o").compile()
    assert outer.invoke({"x": 21, "seen": []}) == {"x": 42, "seen": [2, 10]}


@pytest.mark.anyio
async def test_sync_nodes_stay_off_the_event_loop_under_ainvoke(anyio_backend: str) -> None:
    g = StateGraph(S).add_node("a", _where).add_edge(START, "a").compile()
    out = await g.ainvoke({"x": 0, "seen": []})
    assert out["seen"] != [threading.get_ident()]
