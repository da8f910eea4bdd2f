"""Sync ``stream()`` reads the run's events in the calling thread (issue 11): the run is hosted on
a blocking portal's loop and the consumer thread takes each event from the run's subscriber
directly (``Subscriber.attach_thread`` / ``next_blocking``), with no call through the portal per
event. The same helper (``iterate_blocking``) works with a portal on either backend.

Expected chunks are LangGraph 1.2.24's for the same graphs (``graph.stream`` with the same modes).
"""

from __future__ import annotations

import operator
import threading
import time
from typing import Annotated, Any, TypedDict

import anyio
import anyio.from_thread
import anyio.to_thread
import pytest

from actorgraph import START, StateGraph, get_stream_writer
from actorgraph.runtime import _compiled
from actorgraph.runtime._live import iterate_blocking
from actorgraph.runtime._stream import StreamEvent, Subscriber


class S(TypedDict):
    log: Annotated[list[str], operator.add]


class N(TypedDict):
    n: int


def ab_graph() -> Any:
    """START -> a -> b; a writes custom a1, a2; b writes b1 (sync nodes)."""

    def a(s: S) -> dict[str, Any]:
        w = get_stream_writer()
        w("a1")
        w("a2")
        return {"log": ["a"]}

    def b(s: S) -> dict[str, Any]:
        get_stream_writer()("b1")
        return {"log": ["b"]}

    g = StateGraph(S)
    g.add_node("a", a)
    g.add_node("b", b)
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    return g.compile()


# LangGraph 1.2.24: list(graph.stream({"log": []}, stream_mode=["custom", "updates"]))
AB_CHUNKS = [("custom", "a1"), ("custom", "a2"), ("updates", {"a": {"log": ["a"]}}),
             ("custom", "b1"), ("updates", {"b": {"log": ["b"]}})]


def chatty_graph(steps: int, per_step: int) -> Any:
    """A loop of ``steps`` super-steps; each writes ``per_step`` custom events ``(step, i)``."""

    async def talk(s: N) -> dict[str, Any]:
        w = get_stream_writer()
        for i in range(per_step):
            w((s["n"], i))
        return {"n": s["n"] + 1}

    g = StateGraph(N)
    g.add_node("talk", talk)
    g.add_edge(START, "talk")
    g.add_conditional_edges("talk", lambda s: "talk" if s["n"] < steps else "__end__")
    return g.compile()


def test_sync_stream_yields_langgraphs_chunks() -> None:
    assert list(ab_graph().stream({"log": []}, stream_mode=["custom", "updates"])) == AB_CHUNKS


def test_sync_stream_makes_no_portal_call_per_event(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = anyio.from_thread.BlockingPortal.call

    def counting(self: Any, func: Any, *args: Any) -> Any:
        calls.append(getattr(func, "__name__", repr(func)))
        return original(self, func, *args)

    monkeypatch.setattr(anyio.from_thread.BlockingPortal, "call", counting)
    chunks = list(chatty_graph(3, 50).stream({"n": 0}, stream_mode="custom"))
    assert chunks == [(step, i) for step in range(3) for i in range(50)]
    # one call starts the run, one waits for its end, one stops the portal: 150 events made none
    assert len(calls) <= 3, calls


def test_sync_stream_consumer_is_the_calling_thread_and_gets_events_in_order() -> None:
    seen: list[int] = []
    chunks = []
    for chunk in chatty_graph(5, 20).stream({"n": 0}, stream_mode="custom"):
        seen.append(threading.get_ident())
        chunks.append(chunk)
    assert chunks == [(step, i) for step in range(5) for i in range(20)]
    assert set(seen) == {threading.get_ident()}


def test_a_slow_sync_consumer_holds_the_run_back(monkeypatch: pytest.MonkeyPatch) -> None:
    # a buffer of 2 events: the run waits at each barrier until the consumer thread made room
    # (the consumer wakes it through the loop); it never runs far ahead and never hangs
    monkeypatch.setattr(_compiled, "CAPACITY", 2)
    started: list[int] = []

    async def talk(s: N) -> dict[str, Any]:
        started.append(s["n"])
        w = get_stream_writer()
        w((s["n"], 0))
        w((s["n"], 1))
        return {"n": s["n"] + 1}

    g = StateGraph(N)
    g.add_node("talk", talk)
    g.add_edge(START, "talk")
    g.add_conditional_edges("talk", lambda s: "talk" if s["n"] < 8 else "__end__")
    graph = g.compile()
    chunks = []
    ahead = []
    for chunk in graph.stream({"n": 0}, stream_mode="custom"):
        chunks.append(chunk)
        time.sleep(0.01)
        ahead.append(len(started) - 1 - chunk[0])  # steps the run started past this event's
    assert chunks == [(n, i) for n in range(8) for i in (0, 1)]
    assert max(ahead) <= 2, ahead  # without backpressure the run would finish at the first event


def test_sync_stream_with_print_mode_prints_and_filters(capsys: pytest.CaptureFixture[str]) -> None:
    # LangGraph 1.2.24: stream(stream_mode="custom", print_mode="updates") yields the custom
    # chunks and prints the updates
    chunks = list(ab_graph().stream({"log": []}, stream_mode="custom", print_mode="updates"))
    assert chunks == ["a1", "a2", "b1"]
    out = capsys.readouterr().out.splitlines()
    assert out == ["\x1b[1m[updates]\x1b[0m {'a': {'log': ['a']}}",
                   "\x1b[1m[updates]\x1b[0m {'b': {'log': ['b']}}"]


def test_breaking_out_of_sync_stream_leaves_no_thread() -> None:
    before = threading.active_count()
    stream = chatty_graph(10_000, 1).stream({"n": 0}, stream_mode="custom")
    for chunk in stream:
        if chunk[0] == 5:
            break
    stream.close()  # (closed: the run was cancelled and waited for, the portal's thread joined)
    assert threading.active_count() == before


def test_a_node_error_reaches_the_sync_consumer_after_the_events_before_it() -> None:
    class Boom(Exception):
        pass

    def a(s: S) -> dict[str, Any]:
        get_stream_writer()("before")
        raise Boom("a failed")

    g = StateGraph(S)
    g.add_node("a", a)
    g.add_edge(START, "a")
    chunks = []
    with pytest.raises(Boom, match="a failed"):
        for chunk in g.compile().stream({"log": []}, stream_mode="custom"):
            chunks.append(chunk)
    assert chunks == ["before"]


# -- the helper itself, with a portal on either backend ------------------------------------------


@pytest.mark.anyio
async def test_iterate_blocking_from_a_worker_thread(anyio_backend: str) -> None:
    graph = ab_graph()
    async with anyio.from_thread.BlockingPortal() as portal:
        def consume() -> list[Any]:
            return list(iterate_blocking(graph.astream({"log": []}, stream_mode=["custom", "updates"]), portal))

        with anyio.fail_after(20):
            chunks = await anyio.to_thread.run_sync(consume)
    assert chunks == AB_CHUNKS


@pytest.mark.anyio
async def test_next_blocking_sees_every_event_then_the_error(anyio_backend: str) -> None:
    sub = Subscriber(frozenset({"custom"}))
    sub.attach_thread()
    got: list[Any] = []

    def consume() -> None:
        while True:
            try:
                event = sub.next_blocking()
            except ValueError as exc:
                got.append(exc)
                return
            if event is None:
                got.append("end")
                return
            got.append(event.chunk)

    async with anyio.create_task_group() as tg:
        tg.start_soon(anyio.to_thread.run_sync, consume)
        for i in range(200):
            sub.push(StreamEvent((), "custom", i))
            if i % 50 == 0:
                await anyio.sleep(0.001)
        error = ValueError("detached")
        sub.close(error)
    assert got == [*range(200), error]


def test_a_stream_resumed_from_another_thread_goes_on() -> None:
    # LangChain's RunnableParallel.stream takes a graph's stream() chunks from its pool's
    # threads: the run lives on a portal's loop, and whichever thread iterates reads its events
    g = (StateGraph(S).add_node("a", lambda s: {"log": ["a"]}).add_node("b", lambda s: {"log": ["b"]})
         .add_edge(START, "a").add_edge("a", "b").compile())
    chunks = g.stream({"log": []}, stream_mode="updates")
    first = next(chunks)
    rest: list[Any] = []
    worker = threading.Thread(target=lambda: rest.extend(chunks))
    worker.start()
    worker.join(5)
    assert [first, *rest] == [{"a": {"log": ["a"]}}, {"b": {"log": ["b"]}}]
    assert g.invoke({"log": []}) == {"log": ["a", "b"]}  # (the thread's own loop is untouched)
