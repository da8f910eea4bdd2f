"""Regressions found by chaos testing (runs cancelled at random moments, checked for orphan
tasks and threads, checkpoints that change, resumes that differ or re-run committed tasks).
Deterministic reproductions: cancellations are requested at fixed points, not after sleeps."""

from __future__ import annotations

import operator
import threading
import time
from typing import Annotated, Any, TypedDict

import anyio
import anyio.lowlevel
import pytest

from _helpers import running_threads

from actorgraph import END, START, ActorSystem, StateGraph
from actorgraph.persistence import InMemorySaver
from actorgraph.runtime._embed import RunCancelledError

pytestmark = pytest.mark.anyio


class S(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


def chain(kind: str, ran: list[str], saver: Any = None, names: str = "abcd") -> Any:
    """A chain of nodes ``names``: ``def`` nodes (worker threads under ainvoke), ``async def``
    nodes that never await (``"noawait"``: they never give the event loop a turn) or that await
    once (``"await"``)."""

    def node(name: str) -> Any:
        if kind == "def":
            def sync_node(state: S) -> dict[str, Any]:
                ran.append(name)
                return {"log": [name]}
            return sync_node

        async def async_node(state: S) -> dict[str, Any]:
            ran.append(name)
            if kind == "await":
                await anyio.lowlevel.checkpoint()
            return {"log": [name]}
        return async_node

    b = StateGraph(S)
    for n in names:
        b.add_node(n, node(n))
    b.add_edge(START, names[0])
    for x, y in zip(names, names[1:]):
        b.add_edge(x, y)
    b.add_edge(names[-1], END)
    return b.compile(checkpointer=saver)


@pytest.mark.parametrize("kind", ["def", "noawait"])
@pytest.mark.parametrize("with_saver", [False, True])
async def test_a_run_whose_scope_is_already_cancelled_runs_no_node(anyio_backend: str, kind: str,
                                                                   with_saver: bool) -> None:
    """Found: ``ainvoke`` in a scope cancelled before the call (a deadline already passed) ran
    the first step's ``def`` node to the end, and a whole chain of never-awaiting async nodes
    (nothing suspended unshielded before the run ended)."""
    ran: list[str] = []
    saver = InMemorySaver() if with_saver else None
    graph = chain(kind, ran, saver)
    config = {"configurable": {"thread_id": "t"}}
    baseline = running_threads()
    with anyio.CancelScope() as scope:
        scope.cancel()
        await graph.ainvoke({"log": ["in"]}, config)
    assert scope.cancelled_caught
    assert ran == []
    assert running_threads() == baseline
    if saver is not None:
        assert (await graph.aget_state(config)).values == {}
    assert await graph.ainvoke({"log": ["in"]}, config) == {"log": ["in", "a", "b", "c", "d"]}
    assert ran == ["a", "b", "c", "d"]


@pytest.mark.parametrize("kind", ["def", "noawait"])
async def test_an_actor_system_run_cancelled_before_it_starts_runs_no_node(anyio_backend: str, kind: str) -> None:
    """Found: ``await handle.cancel()`` right after ``system.start(...)`` still ran the first
    ``def`` node, and every never-awaiting async node, before the cancellation landed."""
    ran: list[str] = []
    graph = chain(kind, ran, InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    async with ActorSystem() as system:
        handle = await system.start(graph, {"log": ["in"]}, config)
        await handle.cancel()
        with pytest.raises(RunCancelledError):
            with anyio.fail_after(5):
                await handle.result()
    assert ran == []
    assert await graph.ainvoke({"log": ["in"]}, config) == {"log": ["in", "a", "b", "c", "d"]}


class CancelDuringCommit(InMemorySaver):
    """Cancels ``scope`` while it commits the checkpoint of step ``at`` (the commit suspends,
    as a database write does: the run waits for it shielded)."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at
        self.scope: anyio.CancelScope | None = None

    async def aput_step(self, config: Any, writes: Any, checkpoint: Any, metadata: Any,
                        new_versions: Any, *, expect_head: bool = False) -> dict[str, Any]:
        if metadata.get("step") == self.at and self.scope is not None:
            self.scope.cancel()
            self.scope = None
            await anyio.lowlevel.checkpoint()  # (shielded by the run: the commit goes on)
        return await super().aput_step(config, writes, checkpoint, metadata, new_versions,
                                        expect_head=expect_head)


async def test_a_cancellation_during_a_sync_commit_stops_the_run_after_that_step(anyio_backend: str) -> None:
    """Found: under ``durability="sync"`` a run of async nodes that never await suspends only
    in its shielded commits, so a cancellation requested during one (a ``move_on_after``
    deadline passing during a SQLite write) never landed: the run went on to its end."""
    ran: list[str] = []
    saver = CancelDuringCommit(at=2)  # (step 0 takes the input, a runs in step 1)
    graph = chain("noawait", ran, saver)
    config = {"configurable": {"thread_id": "t"}}
    with anyio.CancelScope() as scope:
        saver.scope = scope
        await graph.ainvoke({"log": ["in"]}, config, durability="sync")
    assert scope.cancelled_caught
    assert ran == ["a", "b"]  # the step under way when the cancellation came was committed
    state = await graph.aget_state(config)
    assert state.values == {"log": ["in", "a", "b"]} and state.next == ("c",)
    assert await graph.ainvoke(None, config, durability="sync") == {"log": ["in", "a", "b", "c", "d"]}
    assert ran == ["a", "b", "c", "d"]  # the committed steps did not run again


async def test_def_nodes_cancelled_midway_resume_without_running_committed_steps(anyio_backend: str) -> None:
    """A chain of ``def`` nodes cancelled while one runs in its worker thread: the thread is
    waited for, its step kept, the next step not started; no thread is left."""
    ran: list[str] = []
    started = threading.Event()
    release = threading.Event()

    def slow(state: S) -> dict[str, Any]:
        ran.append("slow")
        started.set()
        release.wait(5)
        return {"log": ["slow"]}

    def after(state: S) -> dict[str, Any]:
        ran.append("after")
        return {"log": ["after"]}

    b = StateGraph(S)
    b.add_node("slow", slow)
    b.add_node("after", after)
    b.add_edge(START, "slow")
    b.add_edge("slow", "after")
    b.add_edge("after", END)
    graph = b.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    baseline = running_threads()

    async with anyio.create_task_group() as tg:
        scope = anyio.CancelScope()

        async def run() -> None:
            with scope:
                await graph.ainvoke({"log": ["in"]}, config, durability="sync")

        tg.start_soon(run)
        with anyio.fail_after(5):
            while not started.is_set():  # (no helper thread: the test counts threads)
                await anyio.sleep(0.001)
        scope.cancel()  # while the node runs in its worker thread
        release.set()
    assert ran == ["slow"]
    assert running_threads() == baseline
    started_at = time.monotonic()
    assert await graph.ainvoke(None, config) == {"log": ["in", "slow", "after"]}
    assert time.monotonic() - started_at < 5
    assert ran == ["slow", "after"]


@pytest.mark.parametrize("kind", ["def", "await"])
async def test_a_thread_continues_right_after_a_break_out_of_astream(anyio_backend: str, kind: str) -> None:
    """Found: ``break`` out of ``async for chunk in graph.astream(...)`` leaves the run to the
    stream's collection, which cancels it without waiting; continuing the thread at once
    (``ainvoke(None, config)``, as LangGraph users do) raised ThreadBusyError. It now waits
    for the abandoned run to stop, then resumes where it stopped, without re-running a
    committed step."""
    ran: list[str] = []
    graph = chain(kind, ran, InMemorySaver(), names="abc")
    config = {"configurable": {"thread_id": "t"}}
    baseline = running_threads()
    async for chunk in graph.astream({"log": ["in"]}, config, durability="sync"):
        assert chunk == {"a": {"log": ["a"]}}
        break
    with anyio.fail_after(5):
        assert await graph.ainvoke(None, config) == {"log": ["in", "a", "b", "c"]}
    assert ran.count("a") == 1 and ran[-1] == "c" and len(ran) == len(set(ran))
    assert running_threads() == baseline
    # a run that is not abandoned still refuses a second one on its thread
    with pytest.raises(Exception, match="already has a run in progress"):
        stream = graph.astream({"log": ["x"]}, config)
        try:
            async for _ in stream:
                await graph.ainvoke(None, config)
        finally:
            await stream.aclose()


async def test_update_state_right_after_a_break_out_of_astream(anyio_backend: str) -> None:
    """As :func:`test_a_thread_continues_right_after_a_break_out_of_astream`, for
    ``aupdate_state``: it waits for the abandoned run to stop instead of raising
    ThreadBusyError, then writes on the thread's newest checkpoint."""
    graph = chain("await", [], InMemorySaver(), names="ab")
    config = {"configurable": {"thread_id": "t"}}
    async for chunk in graph.astream({"log": ["in"]}, config, durability="sync"):
        assert chunk == {"a": {"log": ["a"]}}
        break
    with anyio.fail_after(5):
        await graph.aupdate_state(config, {"log": ["edit"]})
    state = await graph.aget_state(config)
    assert state.values["log"][:2] == ["in", "a"] and state.values["log"][-1] == "edit"
