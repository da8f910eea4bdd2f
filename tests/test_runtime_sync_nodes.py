"""Sync ``def`` nodes: where they run.

- Under the sync API the only task of a step runs on the event loop's thread: the calling
  thread's private loop (``invoke``, and ``stream()`` when every streamed mode is made at the
  barrier), as in LangGraph (which calls sync nodes in the caller's thread). No thread hop per
  step. The graph's own sync API called from such a node (a subgraph's
  ``invoke``) still works, and the subgraph's events stream under the node's namespace.
- Tasks of a step with several tasks run concurrently in worker threads.
- Under ``ainvoke`` a sync node never runs on the event loop's thread.
"""

from __future__ import annotations

import asyncio
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


def test_a_lone_sync_node_runs_on_the_loops_thread_under_stream() -> None:
    g = StateGraph(S).add_node("a", _where).add_node("b", _where).add_edge(START, "a").add_edge("a", "b").compile()
    chunks = list(g.stream({"x": 0, "seen": []}, stream_mode="updates"))
    seen = [chunk[name]["seen"][0] for chunk, name in zip(chunks, "ab")]
    assert seen == [threading.get_ident()] * 2  # (stream() runs the calling thread's loop)


@pytest.mark.parametrize("kwargs", [{"stream_mode": ["updates", "custom"]}, {"stream_mode": "messages"},
                                    {"stream_mode": "updates", "subgraphs": True}])
def test_under_stream_a_sync_node_that_may_stream_from_other_threads_runs_in_a_worker(
        kwargs: dict[str, Any]) -> None:
    # what the node's own threads (or a graph it calls) stream must reach the caller live,
    # which the loop's thread could not deliver while it ran the node
    def where(s: S) -> dict[str, Any]:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return {"seen": [threading.get_ident()]}  # a worker thread: no loop runs here
        return {"seen": [0]}

    g = StateGraph(S).add_node("a", where).add_edge(START, "a").compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    list(g.stream({"x": 0, "seen": []}, config, **kwargs))
    seen = g.get_state(config).values["seen"]
    assert seen != [0] and seen != [threading.get_ident()]


def _names(ns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part.split(":")[0] for part in ns)


def test_a_graph_invoked_inside_a_sync_node_streams_as_its_subgraph() -> None:
    inner = StateGraph(S).add_node("i", lambda s: {"x": s["x"] + 1}).add_edge(START, "i").compile()

    def node(s: S) -> dict[str, Any]:
        return {"x": inner.invoke({"x": s["x"], "seen": []})["x"]}

    g = StateGraph(S).add_node("n", node).add_edge(START, "n").compile()
    # LangGraph 1.2.24 (invoke with a stream_mode, and stream): the inner graph's update under the
    # node's namespace ('n:<task id>',), before the node's own
    expected = [(("n",), {"i": {"x": 2}}), ((), {"n": {"x": 2}})]
    chunks = g.invoke({"x": 1, "seen": []}, stream_mode="updates", subgraphs=True)
    assert [(_names(ns), c) for ns, c in chunks] == expected
    chunks = list(g.stream({"x": 1, "seen": []}, stream_mode="updates", subgraphs=True))
    assert [(_names(ns), c) for ns, c in chunks] == expected


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
