"""Stream events written by a sync (``def``) node in a worker thread (issue 11): the writer posts
the event to the run's hub actor on the event loop's thread and returns at once (no round trip
through the loop), the events arrive live and in order, before the node's ``updates`` event, on
asyncio and trio; a stream opened inside a node (its own hub) gets them the same way.

Expected values are LangGraph 1.2.24's for the same graphs.
"""

from __future__ import annotations

import operator
import threading
import time
from typing import Annotated, Any, TypedDict

import anyio
import pytest

from actorgraph import START, StateGraph, get_stream_writer

pytestmark = pytest.mark.anyio


class S(TypedDict):
    log: Annotated[list[Any], operator.add]


async def test_the_writer_of_a_sync_node_does_not_wait_for_a_busy_loop(anyio_backend: str) -> None:
    # a sibling async node blocks the event loop's thread for 0.4 s while the sync node writes:
    # a writer that waited for the loop would take that long, one that posts returns at once
    go = threading.Event()
    durations: list[float] = []

    def talk(s: S) -> dict[str, Any]:
        w = get_stream_writer()
        go.set()
        time.sleep(0.05)  # (block is blocking the loop by now)
        for i in range(3):
            t = time.monotonic()
            w(f"t{i}")
            durations.append(time.monotonic() - t)
        return {"log": ["talk"]}

    async def block(s: S) -> dict[str, Any]:
        while not go.is_set():
            await anyio.sleep(0.005)
        time.sleep(0.4)  # the loop's thread is busy: nothing posted to it runs meanwhile
        return {"log": ["block"]}

    g = StateGraph(S)
    g.add_node("talk", talk)
    g.add_node("block", block)
    g.add_edge(START, "talk")
    g.add_edge(START, "block")
    chunks = []
    with anyio.fail_after(20):
        async for mode, chunk in g.compile().astream({"log": []}, stream_mode=["custom", "updates"]):
            chunks.append((mode, chunk))
    assert [c for m, c in chunks if m == "custom"] == ["t0", "t1", "t2"]
    # LangGraph 1.2.24: talk's custom events come before talk's update (the order of the two
    # updates follows the order the nodes finish)
    assert chunks.index(("custom", "t2")) < chunks.index(("updates", {"talk": {"log": ["talk"]}}))
    assert max(durations) < 0.2, durations


async def test_events_of_concurrent_sync_nodes_arrive_in_order_before_their_updates(anyio_backend: str) -> None:
    def make(name: str) -> Any:
        def node(s: S) -> dict[str, Any]:
            w = get_stream_writer()
            for i in range(200):
                w((name, i))
            return {"log": [name]}
        return node

    g = StateGraph(S)
    for name in ("a", "b", "c"):
        g.add_node(name, make(name))
        g.add_edge(START, name)
    chunks = []
    with anyio.fail_after(20):
        async for mode, chunk in g.compile().astream({"log": []}, stream_mode=["custom", "updates"]):
            chunks.append((mode, chunk))
    for name in ("a", "b", "c"):
        mine = [i for m, c in chunks if m == "custom" and c[0] == name for i in [c[1]]]
        assert mine == list(range(200))  # every event, in the order written
        last = chunks.index(("custom", (name, 199)))
        assert last < chunks.index(("updates", {name: {"log": [name]}}))
    assert len(chunks) == 603


async def test_a_sync_node_streams_live_to_an_astream_opened_inside_a_node(anyio_backend: str) -> None:
    # the inner run has a hub of its own (its consumer is the outer node): the sync node's
    # events are posted to it from the worker thread
    def inner(s: S) -> dict[str, Any]:
        w = get_stream_writer()
        for i in range(3):
            w(f"in{i}")
        return {"log": ["inner"]}

    sg = StateGraph(S)
    sg.add_node("inner", inner)
    sg.add_edge(START, "inner")
    sub = sg.compile()

    async def outer(s: S) -> dict[str, Any]:
        got = []
        async for c in sub.astream({"log": []}, stream_mode="custom"):
            got.append(c)
        return {"log": got}

    g = StateGraph(S)
    g.add_node("outer", outer)
    g.add_edge(START, "outer")
    with anyio.fail_after(20):
        # LangGraph 1.2.24: {'log': ['in0', 'in1', 'in2']}
        assert await g.compile().ainvoke({"log": []}) == {"log": ["in0", "in1", "in2"]}


async def test_a_sync_node_writing_after_the_consumer_left_does_not_break_the_loop(anyio_backend: str) -> None:
    # the consumer breaks out while the node still writes from its thread: the run is
    # cancelled (the thread waited for); events posted after the hub stopped are dropped
    written: list[int] = []
    first = threading.Event()

    def talk(s: S) -> dict[str, Any]:
        w = get_stream_writer()
        for i in range(50):
            w(i)
            written.append(i)
            if i == 0:
                first.set()
            time.sleep(0.002)
        return {"log": ["talk"]}

    g = StateGraph(S)
    g.add_node("talk", talk)
    g.add_edge(START, "talk")
    stream = g.compile().astream({"log": []}, stream_mode="custom")
    with anyio.fail_after(20):
        async for chunk in stream:
            assert chunk == 0
            break
        await stream.aclose()
    assert written == list(range(50))  # (the thread was waited for, not abandoned)
    await anyio.sleep(0.05)  # (anything still posted runs now, harmlessly)
    # the loop still works
    assert await g.compile().ainvoke({"log": []}) == {"log": ["talk"]}


async def test_a_sync_nodes_nested_invoke_streams_its_events_to_the_outer_consumer(anyio_backend: str) -> None:
    # the sync node runs in a worker thread and calls the subgraph's sync invoke(): that run is
    # the node's subgraph, on the worker thread's own event loop; its events are posted across
    # to the outer run's hub
    def inner(s: S) -> dict[str, Any]:
        get_stream_writer()("from-inner")
        return {"log": ["inner"]}

    sg = StateGraph(S)
    sg.add_node("inner", inner)
    sg.add_edge(START, "inner")
    sub = sg.compile()

    def outer(s: S) -> dict[str, Any]:
        get_stream_writer()("from-outer")
        return {"log": sub.invoke({"log": []})["log"]}

    g = StateGraph(S)
    g.add_node("outer", outer)
    g.add_edge(START, "outer")
    chunks = []
    with anyio.fail_after(20):
        async for ns, chunk in g.compile().astream({"log": []}, stream_mode="custom", subgraphs=True):
            chunks.append((tuple(part.split(":")[0] for part in ns), chunk))
    # LangGraph 1.2.24: [((), 'from-outer'), (('outer:<task id>',), 'from-inner')]
    assert chunks == [((), "from-outer"), (("outer",), "from-inner")]
