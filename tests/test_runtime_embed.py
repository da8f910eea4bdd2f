"""ActorSystem: background runs, many subscribers per run, slow-subscriber policies, threads,
and the run handle's result under concurrent and cancelled waits."""

from __future__ import annotations

import threading
from typing import Any, TypedDict

import anyio
import pytest

from _helpers import live_tasks

from actorgraph import START, ActorSystem, StateGraph, get_stream_writer
from actorgraph.runtime import RunCancelledError, StreamOverflow, ThreadBusyError

pytestmark = pytest.mark.anyio


class S(TypedDict):
    x: int


def chain(n: int, gate: anyio.Event | None = None) -> Any:
    g = StateGraph(S)
    prev = START
    for i in range(n):
        async def node(state: S) -> dict[str, Any]:
            get_stream_writer()({"at": state["x"]})
            if gate is not None:
                await gate.wait()
            return {"x": state["x"] + 1}

        g.add_node(f"n{i}", node)
        g.add_edge(prev, f"n{i}")
        prev = f"n{i}"
    return g.compile()


async def collect(run: Any, modes: list[str], out: list[tuple[str, Any]], **kw: Any) -> None:
    async with run.subscribe(modes, **kw) as events:
        async for pair in events:
            out.append(pair)


async def test_every_subscriber_gets_its_modes() -> None:
    graph = chain(3)
    async with ActorSystem() as system:
        run = await system.start(graph, {"x": 0})
        a: list[tuple[str, Any]] = []
        b: list[tuple[str, Any]] = []
        c: list[tuple[str, Any]] = []
        async with anyio.create_task_group() as tg:
            # registered before the run's task gets to its first step
            async with run.subscribe("updates") as ev_a, run.subscribe(["custom"]) as ev_b, \
                    run.subscribe(["updates", "custom"]) as ev_c:
                async def drain(ev: Any, out: list[Any]) -> None:
                    async for pair in ev:
                        out.append(pair)

                tg.start_soon(drain, ev_a, a)
                tg.start_soon(drain, ev_b, b)
                await drain(ev_c, c)
        assert await run.result() == {"x": 3}
    assert a == [("updates", {"n0": {"x": 1}}), ("updates", {"n1": {"x": 2}}), ("updates", {"n2": {"x": 3}})]
    assert b == [("custom", {"at": 0}), ("custom", {"at": 1}), ("custom", {"at": 2})]
    assert c == [("custom", {"at": 0}), ("updates", {"n0": {"x": 1}}), ("custom", {"at": 1}),
                 ("updates", {"n1": {"x": 2}}), ("custom", {"at": 2}), ("updates", {"n2": {"x": 3}})]


async def test_late_subscriber_sees_events_from_then_on() -> None:
    gate = anyio.Event()
    graph = chain(2, gate)
    async with ActorSystem() as system:
        run = await system.start(graph, {"x": 0})
        await anyio.wait_all_tasks_blocked()  # the run now waits inside n0
        got: list[tuple[str, Any]] = []
        async with run.subscribe("custom") as events:
            gate.set()
            async for pair in events:
                got.append(pair)
        assert await run.result() == {"x": 2}
    assert got == [("custom", {"at": 1})]


async def test_one_active_run_per_thread_and_cancel() -> None:
    gate = anyio.Event()
    graph = chain(1, gate)
    cfg = {"configurable": {"thread_id": "t1"}}
    async with ActorSystem() as system:
        run = await system.start(graph, {"x": 0}, cfg)
        with pytest.raises(ThreadBusyError, match="t1"):
            await system.start(graph, {"x": 0}, cfg)
        other = await system.start(graph, {"x": 0}, {"configurable": {"thread_id": "t2"}})
        await run.cancel()
        with pytest.raises(RunCancelledError):
            await run.result()
        # the thread is free again once its run ended
        again = await system.start(chain(1), {"x": 5}, cfg)
        assert await again.result() == {"x": 6}
        gate.set()
        assert await other.result() == {"x": 1}


async def test_drop_policy_counts_and_error_policy_detaches() -> None:
    graph = chain(6)
    async with ActorSystem() as system:
        run = await system.start(graph, {"x": 0})
        async with run.subscribe("updates", buffer=2, on_overflow="drop") as dropping, \
                run.subscribe("updates", buffer=2, on_overflow="error") as failing:
            assert await run.result() == {"x": 6}   # nobody read: the run was not held back
            assert dropping.dropped == 4 and failing.dropped == 0 and dropping.modes == {"updates"}
            kept = [pair async for pair in dropping]
            assert kept == [("updates", {"n0": {"x": 1}}), ("updates", {"n1": {"x": 2}})]
            assert dropping.dropped == 4
            with pytest.raises(StreamOverflow):
                async for _ in failing:
                    pass


async def test_block_policy_holds_the_run_at_the_barrier() -> None:
    graph = chain(5)
    async with ActorSystem() as system:
        run = await system.start(graph, {"x": 0})
        async with run.subscribe("updates", buffer=1, on_overflow="block") as events:
            await anyio.wait_all_tasks_blocked()
            assert not run.done   # one event buffered, the run waits for the reader
            got = [pair async for pair in events]
        assert len(got) == 5
        assert await run.result() == {"x": 5}


async def test_leaving_the_system_cancels_runs_and_leaves_no_task() -> None:
    gate = anyio.Event()
    before = len(live_tasks())
    async with ActorSystem() as system:
        run = await system.start(chain(1, gate), {"x": 0})
        await anyio.wait_all_tasks_blocked()
        assert len(live_tasks()) > before
    assert len(live_tasks()) == before
    assert run.done


async def test_system_checkpointer_serves_graphs_compiled_without_one() -> None:
    from actorgraph.persistence import InMemorySaver

    saver = InMemorySaver()
    graph = chain(2)  # compiled without a checkpointer
    async with ActorSystem(checkpointer=saver) as system:
        run = await system.start(graph, {"x": 0}, {"configurable": {"thread_id": "t"}}, durability="sync")
        assert await run.result() == {"x": 2}
    saved = await saver.aget_tuple({"configurable": {"thread_id": "t"}})
    assert saved is not None and saved.metadata["step"] == 2
    assert saved.checkpoint.channel_values["x"] == 2


def failing_chain(gate: anyio.Event) -> Any:
    async def boom(state: S) -> dict[str, Any]:
        await gate.wait()
        raise ValueError("boom")

    return StateGraph(S).add_node("boom", boom).add_edge(START, "boom").compile()


async def test_result_wakes_every_concurrent_waiter() -> None:
    gate = anyio.Event()
    async with ActorSystem() as system:
        run = await system.start(chain(1, gate), {"x": 0})
        got: list[Any] = []

        async def wait() -> None:
            got.append(await run.result())

        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                for _ in range(3):
                    tg.start_soon(wait)
                await anyio.wait_all_tasks_blocked()   # all three wait on the unfinished run
                gate.set()
    assert got == [{"x": 1}] * 3


async def cancelled_wait(run: Any) -> None:
    """Wait for ``run.result()`` in a task and cancel that wait once it is blocked."""
    async with anyio.create_task_group() as tg:
        tg.start_soon(run.result)
        await anyio.wait_all_tasks_blocked()
        tg.cancel_scope.cancel()


@pytest.mark.parametrize("outcome", ["output", "error"])
async def test_cancelled_waits_do_not_lose_the_outcome(outcome: str) -> None:
    gate = anyio.Event()
    graph = chain(1, gate) if outcome == "output" else failing_chain(gate)
    async with ActorSystem() as system:
        run = await system.start(graph, {"x": 0})
        await cancelled_wait(run)
        await cancelled_wait(run)
        assert not run.done           # a cancelled wait says nothing about the run
        gate.set()
        with anyio.fail_after(5):
            for _ in range(2):        # every later call gets the same outcome
                if outcome == "output":
                    assert await run.result() == {"x": 1}
                else:
                    with pytest.raises(ValueError, match="boom"):
                        await run.result()
        assert run.done


async def test_a_detached_subscriber_does_not_hide_the_event_from_the_next() -> None:
    graph = chain(3)
    async with ActorSystem() as system:
        run = await system.start(graph, {"x": 0})
        # both registered before the run's first step; nobody reads until the run ended
        async with run.subscribe("updates", buffer=1, on_overflow="error") as failing, \
                run.subscribe("updates") as keeping:
            assert await run.result() == {"x": 3}
            got = [pair async for pair in keeping]
            with pytest.raises(StreamOverflow):
                async for _ in failing:
                    pass
    # the second event detached ``failing``: ``keeping`` must still have received it
    assert got == [("updates", {"n0": {"x": 1}}), ("updates", {"n1": {"x": 2}}),
                   ("updates", {"n2": {"x": 3}})]


async def test_a_run_stopped_by_leaving_the_system_reports_cancelled() -> None:
    gate = anyio.Event()
    async with ActorSystem() as system:
        run = await system.start(chain(1, gate), {"x": 0}, {"configurable": {"thread_id": "t"}})
        await anyio.wait_all_tasks_blocked()   # the run waits inside n0
    with anyio.fail_after(5):
        for _ in range(2):
            with pytest.raises(RunCancelledError, match=run.run_id):
                await run.result()
    assert run.done
    async with run.subscribe("updates") as events:   # a finished run's subscription ends at once
        assert [pair async for pair in events] == []


async def test_a_sync_node_streams_custom_events_live_from_its_worker_thread() -> None:
    resume = threading.Event()

    def sync_node(state: S) -> dict[str, Any]:   # runs in a worker thread
        get_stream_writer()({"from": "thread"})
        resume.wait(5)
        return {"x": state["x"] + 1}

    graph = StateGraph(S).add_node("n", sync_node).add_edge(START, "n").compile()
    async with ActorSystem() as system:
        run = await system.start(graph, {"x": 0})
        with anyio.fail_after(5):
            async with run.subscribe(["custom", "updates"]) as events:
                first = await events.__anext__()    # delivered while the node still runs
                assert not run.done                 # the node waits for ``resume``
                resume.set()
                rest = [pair async for pair in events]
            assert await run.result() == {"x": 1}
    assert first == ("custom", {"from": "thread"})
    assert rest == [("updates", {"n": {"x": 1}})]


async def test_subscribers_do_not_pace_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    # An ActorSystem subscription is a bounded buffer: the run goes on while events queue up
    # (up to ``buffer``), it does not wait at each barrier for a woken consumer to take them
    # (what astream's consumer does, as LangGraph's). Nodes that never await and a run that
    # never passes the loop a checkpoint of its own (YIELD_AFTER far away): no consumer runs
    # before the run ends, yet each gets every event, in order.
    import actorgraph.runtime._loop as loop_module

    monkeypatch.setattr(loop_module, "YIELD_AFTER", 3600.0)
    consumed = [0, 0, 0]
    seen_by_nodes: list[int] = []

    class T(TypedDict):
        x: int

    g = StateGraph(T)
    prev = START
    for i in range(6):
        async def node(state: T) -> dict[str, Any]:
            seen_by_nodes.append(sum(consumed))
            return {"x": state["x"] + 1}

        g.add_node(f"n{i}", node)
        g.add_edge(prev, f"n{i}")
        prev = f"n{i}"
    graph = g.compile()

    got: list[list[Any]] = [[], [], []]

    async def consume(i: int, events: Any) -> None:
        async for _mode, chunk in events:
            consumed[i] += 1
            got[i].append(chunk)

    async with ActorSystem() as system:
        run = await system.start(graph, {"x": 0})
        async with anyio.create_task_group() as tg, run.subscribe("updates") as a, \
                run.subscribe("updates") as b, run.subscribe("updates", buffer=2, on_overflow="drop") as c:
            for i, events in enumerate((a, b, c)):
                tg.start_soon(consume, i, events)
            assert await run.result() == {"x": 6}
    assert seen_by_nodes == [0] * 6  # (paced, as astream is: [0, 3, 6, 9, 12, 15] on asyncio)
    expected = [{f"n{i}": {"x": i + 1}} for i in range(6)]
    assert got[0] == expected and got[1] == expected
    assert got[2] == expected[:2] and c.dropped == 4  # its buffer of 2 overflowed: the rest dropped
