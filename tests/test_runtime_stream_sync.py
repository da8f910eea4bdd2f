"""Sync ``stream()`` reads the run's events in the calling thread (issue 11): the run lives on the
calling thread's private loop, which the iterator runs until the next event (``iterate_pumped``,
``Subscriber.next_pumped``), and whichever thread resumes the iterator runs it. From a sync node
on a loop's thread the run is hosted on a blocking portal's loop instead, the consumer thread
taking each event from the run's subscriber directly (``iterate_blocking``, ``next_blocking``:
no call through the portal per event); that helper works with a portal on either backend.

Expected chunks are LangGraph 1.2.24's for the same graphs (``graph.stream`` with the same modes).
"""

from __future__ import annotations

import asyncio
import operator
import threading
import time
from typing import Annotated, Any, TypedDict

import anyio
import anyio.from_thread
import anyio.to_thread
import pytest

from _helpers import running_threads

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


def recording_chain(names: str, ran: list[str]) -> Any:
    """START -> one def node per letter of ``names``, in order; each appends its name to
    ``ran`` and writes it to ``log``."""

    def node(name: str) -> Any:
        def run(s: S) -> dict[str, Any]:
            ran.append(name)
            return {"log": [name]}
        return run

    g = StateGraph(S)
    prev = START
    for name in names:
        g.add_node(name, node(name)).add_edge(prev, name)
        prev = name
    return g


def test_sync_stream_yields_langgraphs_chunks() -> None:
    assert list(ab_graph().stream({"log": []}, stream_mode=["custom", "updates"])) == AB_CHUNKS


def test_sync_stream_runs_its_loop_once_per_step_not_per_event(monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[object] = []
    original = asyncio.BaseEventLoop.run_forever

    def counting(self: Any) -> Any:
        runs.append(self)
        return original(self)

    monkeypatch.setattr(asyncio.BaseEventLoop, "run_forever", counting)
    chunks = list(chatty_graph(3, 50).stream({"n": 0}, stream_mode="custom"))
    assert chunks == [(step, i) for step in range(3) for i in range(50)]
    # the run starts, stops at each of the 3 barriers that published, ends, is closed: 150
    # events are taken from the buffer without running the loop for each
    assert len(runs) <= 8, len(runs)


def test_sync_stream_takes_one_loop_iteration_per_step(monkeypatch: pytest.MonkeyPatch) -> None:
    # Between two chunks the consumer's thread runs the loop until the run has published the
    # next one: the step itself is one iteration (the event stops the loop as it ends), not
    # three (a future to wait for, its callback, the stop).
    class C(TypedDict):
        x: int

    def inc(state: C) -> dict[str, int]:
        return {"x": state["x"] + 1}

    steps = 40
    g = StateGraph(C)
    prev = START
    for i in range(steps):
        g.add_node(f"n{i}", inc)
        g.add_edge(prev, f"n{i}")
        prev = f"n{i}"
    graph = g.compile()
    list(graph.stream({"x": 0}, stream_mode="updates"))  # (warm: first-use imports)
    iterations = 0
    original = asyncio.BaseEventLoop._run_once  # type: ignore[attr-defined]

    def counting(self: Any) -> Any:
        nonlocal iterations
        iterations += 1
        return original(self)

    monkeypatch.setattr(asyncio.BaseEventLoop, "_run_once", counting)
    chunks = list(graph.stream({"x": 0}, stream_mode="updates"))
    assert chunks == [{f"n{i}": {"x": i + 1}} for i in range(steps)]
    assert iterations <= steps + 10, iterations


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
    before = running_threads()
    stream = chatty_graph(10_000, 1).stream({"n": 0}, stream_mode="custom")
    for chunk in stream:
        if chunk[0] == 5:
            break
    stream.close()  # (closed: the run was cancelled and waited for, the portal's thread joined)
    assert running_threads() == before


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
    # LangChain's RunnableParallel.stream (and Starlette's iterate_in_threadpool) take a graph's
    # stream() chunks from their pools' threads: the run's loop is run by whichever thread
    # iterates, and what tells "the loop's thread" must follow it
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


def test_stream_takes_each_steps_update_as_the_step_ends_on_the_calling_threads_loop() -> None:
    # Sync stream() runs the run on the calling thread's private loop, as LangGraph's sync stream
    # runs its loop in the caller's thread: no second thread, and each step's update reaches
    # the caller at its barrier, before the next node has run (the def nodes run on the loop's
    # thread here: nothing else yields in between)
    ended: list[str] = []
    g = recording_chain("abc", ended).compile()
    threads = running_threads()
    seen: list[tuple[Any, list[str]]] = []
    for chunk in g.stream({"log": []}, stream_mode="updates"):
        seen.append((chunk, list(ended)))
        assert running_threads() == threads
    assert seen == [({"a": {"log": ["a"]}}, ["a"]), ({"b": {"log": ["b"]}}, ["a", "b"]),
                    ({"c": {"log": ["c"]}}, ["a", "b", "c"])]


def test_breaking_out_of_stream_cancels_the_run_on_the_calling_threads_loop() -> None:
    ran: list[str] = []
    g = recording_chain("ab", ran).compile()
    for chunk in g.stream({"log": []}, stream_mode="updates"):
        assert chunk == {"a": {"log": ["a"]}}
        break
    assert ran == ["a"]  # b never ran: the run was cancelled when the loop was left
    assert g.invoke({"log": []}) == {"log": ["a", "b"]}  # (the thread's loop still works)


def test_the_sync_api_called_while_holding_a_chunk_leaves_the_paused_run_alone() -> None:
    # between two chunks the run waits on the calling thread's loop; what the caller runs
    # meanwhile (get_state, another graph's invoke, another stream) runs on a loop of its own
    from actorgraph.persistence import InMemorySaver

    ran: list[str] = []
    g = recording_chain("ab", ran).compile(checkpointer=InMemorySaver())
    other = StateGraph(S).add_node("x", lambda s: {"log": ["x"]}).add_edge(START, "x").compile()
    config = {"configurable": {"thread_id": "t"}}
    states, others = [], []
    for chunk, twin in zip(g.stream({"log": []}, config, stream_mode="values"),
                           other.stream({"log": []}, stream_mode="values")):
        states.append((chunk, list(ran)))
        assert g.get_state(config).values["log"] in ([], ["a"])  # (LangGraph 1.2.24: [] twice,
        others.append((twin, other.invoke({"log": []})))         # its checkpoint is written later)
    # LangGraph 1.2.24, the same loop: the run waits while the caller holds a chunk
    assert states == [({"log": []}, []), ({"log": ["a"]}, ["a"])]
    assert others == [({"log": []}, {"log": ["x"]}), ({"log": ["x"]}, {"log": ["x"]})]
    assert g.get_state(config).values == {"log": ["a", "b"]}
    assert ran == ["a", "b"]


def test_a_stream_taken_chunk_by_chunk_from_pool_threads_keeps_every_event() -> None:
    # Starlette's iterate_in_threadpool / LangChain's RunnableParallel: each next() on whichever
    # pool thread is free. Custom events of def nodes in worker threads (the stream mode keeps
    # them off the loop's thread), a subgraph's events, and the order are all kept.
    from concurrent.futures import ThreadPoolExecutor

    inner = ab_graph()
    outer = (StateGraph(S).add_node("sub", inner).add_node("c", lambda s: {"log": ["c"]})
             .add_edge(START, "sub").add_edge("sub", "c").compile())

    def plain(chunks: Any) -> list[Any]:  # (task ids differ between runs)
        return [(tuple(part.split(":")[0] for part in ns), mode, chunk) for ns, mode, chunk in chunks]

    # LangGraph 1.2.24, the same graphs and modes
    expected = [(("sub",), "custom", "a1"), (("sub",), "custom", "a2"), (("sub",), "updates", {"a": {"log": ["a"]}}),
                (("sub",), "custom", "b1"), (("sub",), "updates", {"b": {"log": ["b"]}}),
                ((), "updates", {"sub": {"log": ["a", "b"]}}), ((), "updates", {"c": {"log": ["c"]}})]
    assert plain(outer.stream({"log": []}, stream_mode=["custom", "updates"], subgraphs=True)) == expected
    done = object()
    for _ in range(5):
        chunks = outer.stream({"log": []}, stream_mode=["custom", "updates"], subgraphs=True)
        got: list[Any] = []
        threads: set[int] = set()

        def take() -> Any:
            threads.add(threading.get_ident())
            return next(chunks, done)

        with ThreadPoolExecutor(4) as pool:
            while (chunk := pool.submit(take).result()) is not done:
                got.append(chunk)
                pool.submit(time.sleep, 0.001)  # (another thread is free next time)
        assert plain(got) == expected
    assert len(threads) > 1


def test_the_starting_thread_calls_the_sync_api_while_another_thread_iterates() -> None:
    # the thread that started a stream lends its loop to whichever thread iterates: its own
    # calls meanwhile run on a loop of their own, concurrently
    from actorgraph.persistence import InMemorySaver

    release = threading.Event()

    def slow(s: S) -> dict[str, Any]:
        release.wait(5)
        return {"log": ["slow"]}

    g = (StateGraph(S).add_node("a", lambda s: {"log": ["a"]}).add_node("slow", slow)
         .add_edge(START, "a").add_edge("a", "slow").compile(checkpointer=InMemorySaver()))
    other = StateGraph(S).add_node("x", lambda s: {"log": ["x"]}).add_edge(START, "x").compile()
    config = {"configurable": {"thread_id": "t"}}
    chunks = g.stream({"log": []}, config, stream_mode="updates")
    assert next(chunks) == {"a": {"log": ["a"]}}
    rest: list[Any] = []
    worker = threading.Thread(target=lambda: rest.extend(chunks))
    worker.start()
    try:
        time.sleep(0.05)  # (the worker runs the loop: the run waits in slow)
        assert not release.is_set() and worker.is_alive()
        assert other.invoke({"log": []}) == {"log": ["x"]}
        assert list(other.stream({"log": []}, stream_mode="updates")) == [{"x": {"log": ["x"]}}]
        assert g.get_state(config).next == ("slow",)
    finally:
        release.set()
        worker.join(5)
    assert rest == [{"slow": {"log": ["slow"]}}]
    assert g.get_state(config).values == {"log": ["a", "slow"]}
    assert other.invoke({"log": []}) == {"log": ["x"]}


async def test_a_sync_stream_resumed_from_async_code_goes_on(anyio_backend: str) -> None:
    # a sync stream made in sync code and taken on in a coroutine (next() on the loop's thread):
    # its loop is run on a helper thread, which is waited for
    chunks = await anyio.to_thread.run_sync(
        lambda: ab_graph().stream({"log": []}, stream_mode=["custom", "updates"]))
    first = await anyio.to_thread.run_sync(next, chunks)
    rest = list(chunks)  # (blocks this loop for a few milliseconds: the test's point)
    assert [first, *rest] == AB_CHUNKS
