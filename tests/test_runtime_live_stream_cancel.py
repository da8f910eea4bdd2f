"""Leaving a live stream stops its run at once, whatever the nodes are (issue 11).

- A plain ``break`` (no ``aclose()``) or an exception in the loop body cancels the run: the
  abandoned stream is garbage at once and cancels it.
- ``async with graph.astream(...)``: the run's exception leaves the block unchanged, not wrapped
  in an exception group.
- A run made of lone sync nodes (each in a worker thread, shielded) is cancelled between steps:
  by ``aclose()``, by the consumer's cancellation, by ``RunHandle.cancel()``.
"""

from __future__ import annotations

import time
from typing import Any
from contextlib import aclosing

import anyio
import pytest
from _helpers import live_tasks
from test_runtime_live_stream import LIMIT, MyErr, counting_loop, endless_node, failing_graph

from actorgraph import ActorSystem

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_plain_break_cancels_a_looping_run_within_one_step(anyio_backend: str, kind: str) -> None:
    ticks: list[int] = []
    running: list[int] = []
    graph, _ = counting_loop(ticks, kind, running)
    before = len(live_tasks())
    with anyio.fail_after(20):
        async for n in graph.astream({"n": 0}, LIMIT, stream_mode="custom"):
            if n == 3:
                break
    at_break = len(ticks)
    await anyio.sleep(0.3)
    assert len(ticks) <= at_break + 1
    assert running == [] and len(live_tasks()) == before


async def test_an_exception_in_the_loop_body_cancels_the_run(anyio_backend: str) -> None:
    done: list[str] = []
    with pytest.raises(MyErr):
        async for i in endless_node(done).astream({"log": []}, stream_mode="custom"):
            if i == 3:
                raise MyErr("consumer")
    await anyio.sleep(0.2)
    assert done == ["exited"]


async def test_node_exception_reaches_the_structured_consumer_unchanged(anyio_backend: str) -> None:
    raised: list[BaseException] = []
    got = []
    with pytest.raises(MyErr) as info:
        async with failing_graph("async", raised).astream({"log": []}, stream_mode=["updates", "custom"]) as events:
            async for pair in events:
                got.append(pair)
    assert info.value is raised[0]
    assert got == [("updates", {"first": {"log": ["first"]}}), ("custom", "before 1"), ("custom", "before 2")]


async def test_aclose_stops_a_loop_of_sync_nodes_within_one_step(anyio_backend: str) -> None:
    ticks: list[int] = []
    running: list[int] = []
    graph, _ = counting_loop(ticks, "sync", running)
    at_break, started = 0, 0.0
    with anyio.fail_after(20):
        async with aclosing(graph.astream({"n": 0}, LIMIT, stream_mode="custom")) as stream:
            async for n in stream:
                if n == 3:
                    at_break, started = len(ticks), time.monotonic()
                    break
    assert time.monotonic() - started < 2 and len(ticks) <= at_break + 1


async def test_consumer_cancellation_stops_a_loop_of_sync_nodes(anyio_backend: str) -> None:
    ticks: list[int] = []
    running: list[int] = []
    graph, _ = counting_loop(ticks, "sync", running)
    started = time.monotonic()
    with anyio.fail_after(20):
        with anyio.move_on_after(0.2):
            async for _ in graph.astream({"n": 0}, LIMIT, stream_mode="custom"):
                pass
    assert time.monotonic() - started < 2


async def test_run_handle_cancel_stops_a_loop_of_sync_nodes(anyio_backend: str) -> None:
    ticks: list[int] = []
    running: list[int] = []
    graph, _ = counting_loop(ticks, "sync", running)
    with anyio.fail_after(20):
        async with ActorSystem() as system:
            run = await system.start(graph, {"n": 0}, LIMIT)
            await anyio.sleep(0.1)
            started = time.monotonic()
            await run.cancel()
            with pytest.raises(Exception):
                await run.result()
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_breaking_out_at_the_first_chunk_of_nodes_that_never_yield(anyio_backend: str, kind: str) -> None:
    # Nodes that never await anything (async def without an await, or def nodes run on the
    # loop's thread): the run still stops at its first barrier once the consumer has its chunk
    # and breaks out. LangGraph 1.2.24, the same graph and a memory saver: ran ['a'], the thread
    # is left before 'b' with {"x": 1}
    from typing import TypedDict

    from actorgraph import START, StateGraph
    from actorgraph.persistence import InMemorySaver

    class S(TypedDict):
        x: int

    ran: list[str] = []

    def node(name: str) -> Any:
        if kind == "async":
            async def anode(s: S) -> dict[str, Any]:
                ran.append(name)
                return {"x": s["x"] + 1}
            return anode

        def snode(s: S) -> dict[str, Any]:
            ran.append(name)
            return {"x": s["x"] + 1}
        return snode

    g = StateGraph(S)
    for name in "abcd":
        g.add_node(name, node(name))
    g.add_edge(START, "a").add_edge("a", "b").add_edge("b", "c").add_edge("c", "d")
    app = g.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "1"}}
    async for chunk in app.astream({"x": 0}, config, stream_mode="updates"):
        assert chunk == {"a": {"x": 1}}
        break
    await anyio.sleep(0.05)
    state = await app.aget_state(config)
    assert ran == ["a"]
    assert state.next == ("b",) and state.values == {"x": 1}
