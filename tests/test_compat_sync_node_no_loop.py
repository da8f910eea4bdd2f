"""A sync node under the sync API sees no running event loop, as in LangGraph.

LangGraph runs a ``def`` node of ``invoke()``/``stream()`` on a thread where no event loop
runs, so ``asyncio.run()`` inside the node (the way many SDKs wrap their async clients) works
and ``asyncio.get_running_loop()`` raises. actorgraph runs a lone sync node on the thread of
its private loop (no thread hand-off): the loop is hidden from the node while it runs. The
expected values were observed on LangGraph 1.2.24 (the same programs with its imports).
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import operator
from typing import Annotated, Any, TypedDict

from actorgraph import END, START, StateGraph, get_stream_writer
from actorgraph.func import entrypoint, task


class S(TypedDict):
    x: int
    seen: Annotated[list[str], operator.add]


async def _five() -> int:
    await asyncio.sleep(0)
    return 5


def _loop_seen() -> str:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return "no loop"
    return "loop"


def _node(state: S) -> dict[str, Any]:
    return {"x": state["x"] + asyncio.run(_five()), "seen": [_loop_seen()]}


def _graph() -> Any:
    g = StateGraph(S)
    g.add_node("a", _node)
    g.add_node("b", _node)
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", END)
    return g.compile()


def test_invoke_sync_node_runs_asyncio_run() -> None:
    assert _graph().invoke({"x": 0, "seen": []}) == {"x": 10, "seen": ["no loop", "no loop"]}


def test_stream_sync_node_runs_asyncio_run() -> None:
    chunks = list(_graph().stream({"x": 0, "seen": []}, stream_mode="updates"))
    assert chunks == [{"a": {"x": 5, "seen": ["no loop"]}}, {"b": {"x": 10, "seen": ["no loop"]}}]


def test_ainvoke_sync_node_runs_asyncio_run() -> None:
    # (a worker thread under ainvoke, in both frameworks)
    assert asyncio.run(_graph().ainvoke({"x": 0, "seen": []})) == {"x": 10, "seen": ["no loop", "no loop"]}


def test_custom_events_keep_their_order_around_a_nested_loop() -> None:
    def node(state: S) -> dict[str, Any]:
        write = get_stream_writer()
        write("before")

        async def inside() -> int:
            write("inside")  # (on a loop of the node's own, same thread)
            return 1

        got = asyncio.run(inside())
        t = threading.Thread(target=contextvars.copy_context().run, args=(write, "thread"))
        t.start()
        t.join()
        write("after")
        return {"x": got, "seen": [_loop_seen()]}

    g = StateGraph(S)
    g.add_node("a", node)
    g.add_edge(START, "a")
    compiled = g.compile()
    events = list(compiled.stream({"x": 0, "seen": []}, stream_mode=["custom", "updates"]))
    assert events == [("custom", "before"), ("custom", "inside"), ("custom", "thread"), ("custom", "after"),
                      ("updates", {"a": {"x": 1, "seen": ["no loop"]}})]


def test_graph_invoked_inside_a_sync_node() -> None:
    inner = _graph()

    def outer_node(state: S) -> dict[str, Any]:
        out = inner.invoke({"x": state["x"], "seen": []})
        return {"x": out["x"], "seen": out["seen"] + [_loop_seen()]}

    g = StateGraph(S)
    g.add_node("outer", outer_node)
    g.add_edge(START, "outer")
    assert g.compile().invoke({"x": 1, "seen": []}) == {"x": 11, "seen": ["no loop", "no loop", "no loop"]}


def test_functional_sync_entrypoint_and_task() -> None:
    @task
    def add(x: int) -> int:
        return x + asyncio.run(_five())

    @entrypoint()
    def work(x: int) -> dict[str, Any]:
        y = add(x).result()
        return {"y": y + asyncio.run(_five()), "seen": _loop_seen()}

    assert work.invoke(1) == {"y": 11, "seen": "no loop"}
