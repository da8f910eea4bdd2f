"""Live streams (issue 11): events reach ``astream``, sync ``stream()`` and ``ActorSystem``
subscribers the moment a node publishes them, not at the end of its super-step (subgraph events
too); leaving the stream early (``break`` and ``aclose()``, the consumer cancelled, leaving
``async with``, ``break`` out of sync ``stream()``) cancels the run within one step and leaves no
task or worker thread behind; a node's exception reaches the consumer unchanged."""

from __future__ import annotations

import operator
import sys
import threading
import time
from contextlib import aclosing
from typing import Annotated, Any, TypedDict

import anyio
import pytest

from _helpers import live_tasks

from actorgraph import END, START, ActorSystem, StateGraph, StreamWriter, get_stream_writer

GAP = 0.1  # seconds between a node's custom events
EVENTS = ["e0", "e1", "e2", "e3"]


class S(TypedDict):
    log: Annotated[list[str], operator.add]


class N(TypedDict):
    n: int


class MyErr(Exception):
    pass


class Timeline:
    """When a talking node wrote its events and returned, and when the consumer got them."""

    def __init__(self) -> None:
        self.writes: list[float] = []
        self.returned: float | None = None
        self.arrivals: list[float] = []

    def arrived(self) -> None:
        self.arrivals.append(time.monotonic())

    def check_live(self, chunks: list[Any]) -> None:
        assert chunks == EVENTS  # all of them, in order
        assert self.returned is not None and len(self.arrivals) == len(EVENTS)
        # the first event reached the consumer while the node still ran...
        assert self.arrivals[0] < self.returned
        # ... and each came about GAP after the previous one, not all at once at the barrier
        gaps = [b - a for a, b in zip(self.arrivals, self.arrivals[1:])]
        assert all(gap >= GAP / 2 for gap in gaps), gaps


def talking_graph(timeline: Timeline, kind: str) -> Any:
    """START -> talk -> after; talk writes EVENTS GAP apart (an ``async def`` node sleeping with
    ``anyio.sleep``, or a sync ``def`` node in a worker thread sleeping with ``time.sleep``)."""

    if kind == "async":
        async def talk(s: S, writer: StreamWriter) -> dict[str, Any]:
            for i, event in enumerate(EVENTS):
                if i:
                    await anyio.sleep(GAP)
                timeline.writes.append(time.monotonic())
                writer(event)
            timeline.returned = time.monotonic()
            return {"log": ["talk"]}
    else:
        def talk(s: S, writer: StreamWriter) -> dict[str, Any]:  # type: ignore[misc]
            for i, event in enumerate(EVENTS):
                if i:
                    time.sleep(GAP)
                timeline.writes.append(time.monotonic())
                writer(event)
            timeline.returned = time.monotonic()
            return {"log": ["talk"]}

    g = StateGraph(S)
    g.add_node("talk", talk)
    g.add_node("after", lambda s: {"log": ["after"]})
    g.add_edge(START, "talk")
    g.add_edge("talk", "after")
    return g.compile()


# -- live delivery ---------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_astream_delivers_custom_events_as_they_are_written(kind: str) -> None:
    timeline = Timeline()
    graph = talking_graph(timeline, kind)
    chunks = []
    with anyio.fail_after(20):
        async for chunk in graph.astream({"log": []}, stream_mode="custom"):
            timeline.arrived()
            chunks.append(chunk)
    timeline.check_live(chunks)


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_sync_stream_delivers_custom_events_as_they_are_written(kind: str) -> None:
    timeline = Timeline()
    graph = talking_graph(timeline, kind)
    chunks = []
    for chunk in graph.stream({"log": []}, stream_mode="custom"):
        timeline.arrived()
        chunks.append(chunk)
    timeline.check_live(chunks)


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_actor_system_subscriber_gets_custom_events_as_they_are_written(kind: str) -> None:
    timeline = Timeline()
    graph = talking_graph(timeline, kind)
    chunks = []
    with anyio.fail_after(20):
        async with ActorSystem() as system:
            run = await system.start(graph, {"log": []})
            async with run.subscribe("custom") as events:  # before the run's first step
                async for mode, chunk in events:
                    timeline.arrived()
                    chunks.append(chunk)
            assert await run.result() == {"log": ["talk", "after"]}
    timeline.check_live(chunks)


@pytest.mark.anyio
async def test_subgraph_events_stream_live_with_subgraphs_true() -> None:
    timeline = Timeline()
    inner = talking_graph(timeline, "async")  # talk -> after, as the node "child"
    g = StateGraph(S)
    g.add_node("child", inner)
    g.add_node("done", lambda s: {"log": ["done"]})
    g.add_edge(START, "child")
    g.add_edge("child", "done")
    graph = g.compile()
    namespaces = []
    chunks = []
    with anyio.fail_after(20):
        async for ns, chunk in graph.astream({"log": []}, stream_mode="custom", subgraphs=True):
            timeline.arrived()
            namespaces.append(ns)
            chunks.append(chunk)
    timeline.check_live(chunks)  # the first arrived before "talk" (so the subgraph) returned
    assert all(len(ns) == 1 and ns[0].startswith("child:") for ns in namespaces)


# -- leaving early cancels the run -----------------------------------------------------------------


def counting_loop(ticks: list[int], kind: str, running: list[int] | None = None) -> tuple[Any, Any]:
    """tick -> tick -> ... for ever (through a conditional edge); each tick writes its number
    as a custom event and takes ~20 ms (an ``async def`` node, or a sync ``def`` node in a worker
    thread). ``running`` counts sync ticks running right now. Returns the graph and the node
    function."""

    if kind == "async":
        async def tick(s: N) -> dict[str, Any]:
            ticks.append(s["n"])
            get_stream_writer()(s["n"])
            await anyio.sleep(0.02)
            return {"n": s["n"] + 1}
    else:
        def tick(s: N) -> dict[str, Any]:  # type: ignore[misc]
            assert running is not None
            running.append(1)
            try:
                ticks.append(s["n"])
                get_stream_writer()(s["n"])
                time.sleep(0.02)
                return {"n": s["n"] + 1}
            finally:
                running.pop()

    g = StateGraph(N)
    g.add_node("tick", tick)
    g.add_edge(START, "tick")
    g.add_conditional_edges("tick", lambda s: "tick" if s["n"] >= 0 else END)
    return g.compile(), tick


def endless_node(done: list[str]) -> Any:
    """One node that writes a custom event every 10 ms for ever; ``done`` records how it ended."""

    async def forever(s: S, writer: StreamWriter) -> dict[str, Any]:
        i = 0
        try:
            while True:
                writer(i)
                i += 1
                await anyio.sleep(0.01)
        finally:
            done.append("exited")

    g = StateGraph(S)
    g.add_node("forever", forever)
    g.add_edge(START, "forever")
    return g.compile()


def running_code(code: Any) -> bool:
    """Some thread is executing ``code`` right now."""
    for frame in sys._current_frames().values():
        f: Any = frame
        while f is not None:
            if f.f_code is code:
                return True
            f = f.f_back
    return False


LIMIT = {"recursion_limit": 100_000}


@pytest.mark.anyio
async def test_break_and_aclose_cancel_a_looping_run_within_one_step() -> None:
    ticks: list[int] = []
    graph, _ = counting_loop(ticks, "async")
    before = len(live_tasks())
    with anyio.fail_after(20):
        async with aclosing(graph.astream({"n": 0}, LIMIT, stream_mode="custom")) as stream:
            at_break = 0
            async for n in stream:
                if n == 0:
                    assert len(live_tasks()) > before  # the run's task is counted
                if n == 3:
                    at_break = len(ticks)
                    break
        assert len(ticks) <= at_break + 1  # aclose() stopped the run within one step
    await anyio.sleep(0.3)  # 15 more ticks, if it went on
    assert len(ticks) <= at_break + 1
    assert len(live_tasks()) == before


@pytest.mark.anyio
async def test_break_and_aclose_cancel_a_node_that_runs_for_ever() -> None:
    done: list[str] = []
    graph = endless_node(done)
    before = len(live_tasks())
    with anyio.fail_after(20):
        async with aclosing(graph.astream({"log": []}, stream_mode="custom")) as stream:
            async for i in stream:
                if i == 3:
                    break
            assert done == []
        assert done == ["exited"]  # aclose() waited for the run to stop
    assert len(live_tasks()) == before


def sync_worker(progress: list[str], running: list[int]) -> tuple[Any, Any]:
    """START -> work -> after; work is a sync node (a worker thread) that writes a custom event
    every 50 ms for 0.4 s; ``running`` is non-empty while it runs."""

    def work(s: S, writer: StreamWriter) -> dict[str, Any]:
        running.append(threading.get_ident())
        try:
            for i in range(8):
                writer(i)
                progress.append(f"wrote {i}")
                time.sleep(0.05)
            return {"log": ["work"]}
        finally:
            running.pop()

    g = StateGraph(S)
    g.add_node("work", work)
    g.add_edge(START, "work")
    return g.compile(), work


@pytest.mark.anyio
async def test_break_and_aclose_leave_no_worker_thread_running_a_sync_node() -> None:
    progress: list[str] = []
    running: list[int] = []
    graph, work = sync_worker(progress, running)
    before = len(live_tasks())
    threads: list[int] = []
    with anyio.fail_after(20):
        async with aclosing(graph.astream({"log": []}, stream_mode="custom")) as stream:
            async for i in stream:
                threads.extend(running)
                if i == 1:
                    assert running_code(work.__code__)  # a worker thread runs the node now
                    break
        # a thread cannot be stopped: aclose() waited for the node to return
        assert running == []
    assert threads and threading.get_ident() not in threads  # it ran in a worker thread
    assert not running_code(work.__code__)
    assert len(progress) == 8
    await anyio.sleep(0.1)
    assert len(live_tasks()) == before
    assert not running_code(work.__code__)


def test_break_out_of_sync_stream_cancels_the_run() -> None:
    done: list[str] = []
    graph = endless_node(done)
    for i in graph.stream({"log": []}, stream_mode="custom"):
        if i == 3:
            break
    # the abandoned generator was closed at once: that cancelled the run and waited for it
    assert done == ["exited"]


@pytest.mark.anyio
async def test_cancelling_the_consumer_cancels_the_run() -> None:
    effects: list[str] = []

    async def slow(s: S, writer: StreamWriter) -> dict[str, Any]:
        writer("started")
        await anyio.sleep(0.5)
        effects.append("slow finished")
        return {"log": ["slow"]}

    def after(s: S) -> dict[str, Any]:
        effects.append("after ran")
        return {"log": ["after"]}

    g = StateGraph(S)
    g.add_node("slow", slow)
    g.add_node("after", after)
    g.add_edge(START, "slow")
    g.add_edge("slow", "after")
    graph = g.compile()
    before = len(live_tasks())
    got = []
    with anyio.move_on_after(0.2) as scope:
        async for chunk in graph.astream({"log": []}, stream_mode="custom"):
            got.append(chunk)
    assert scope.cancelled_caught
    assert got == ["started"]
    await anyio.sleep(0.6)  # past the moment slow would have finished
    assert effects == []
    assert len(live_tasks()) == before


# -- the run's exception ---------------------------------------------------------------------------


def failing_graph(kind: str, raised: list[BaseException]) -> Any:
    """START -> first -> bad; bad writes two custom events, then raises MyErr("boom")."""

    if kind == "async":
        async def bad(s: S, writer: StreamWriter) -> dict[str, Any]:
            writer("before 1")
            writer("before 2")
            exc = MyErr("boom")
            raised.append(exc)
            raise exc
    else:
        def bad(s: S, writer: StreamWriter) -> dict[str, Any]:  # type: ignore[misc]
            writer("before 1")
            writer("before 2")
            exc = MyErr("boom")
            raised.append(exc)
            raise exc

    g = StateGraph(S)
    g.add_node("first", lambda s: {"log": ["first"]})
    g.add_node("bad", bad)
    g.add_edge(START, "first")
    g.add_edge("first", "bad")
    return g.compile()


EXPECTED_BEFORE_ERROR = [("updates", {"first": {"log": ["first"]}}), ("custom", "before 1"), ("custom", "before 2")]


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_node_exception_reaches_the_consumer_unchanged(kind: str) -> None:
    raised: list[BaseException] = []
    graph = failing_graph(kind, raised)
    got = []
    with pytest.raises(MyErr) as info:
        async for pair in graph.astream({"log": []}, stream_mode=["updates", "custom"]):
            got.append(pair)
    assert info.value is raised[0]
    assert type(info.value) is MyErr and str(info.value) == "boom"
    assert got == EXPECTED_BEFORE_ERROR


def test_node_exception_reaches_the_sync_stream_consumer_unchanged() -> None:
    raised: list[BaseException] = []
    graph = failing_graph("sync", raised)
    got = []
    with pytest.raises(MyErr) as info:
        for pair in graph.stream({"log": []}, stream_mode=["updates", "custom"]):
            got.append(pair)
    assert info.value is raised[0]
    assert got == EXPECTED_BEFORE_ERROR


# -- the structured form ---------------------------------------------------------------------------


@pytest.mark.anyio
async def test_structured_form_streams_the_whole_run() -> None:
    timeline = Timeline()
    graph = talking_graph(timeline, "async")
    chunks = []
    with anyio.fail_after(20):
        async with graph.astream({"log": []}, stream_mode="custom") as events:
            async for chunk in events:
                timeline.arrived()
                chunks.append(chunk)
    timeline.check_live(chunks)


@pytest.mark.anyio
async def test_leaving_the_structured_block_early_cancels_the_run() -> None:
    done: list[str] = []
    graph = endless_node(done)
    before = len(live_tasks())
    with anyio.fail_after(20):
        async with graph.astream({"log": []}, stream_mode="custom") as events:
            async for i in events:
                if i == 3:
                    break
            assert done == []  # still running while the block runs
        # leaving the block waited for the run to stop
        assert done == ["exited"]
    assert len(live_tasks()) == before
