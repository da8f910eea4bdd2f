"""A run whose async nodes never await still lets the event loop in between steps (at least
every few milliseconds): other tasks make progress during it, and a deadline or a cancellation
of the caller takes effect within a few steps, not when the run ends (LangGraph's loop awaits
at every step). Each check here would hold for seconds without it: the runs are long."""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest

from actorgraph.persistence import InMemorySaver

from _helpers import Count, count_to

pytestmark = pytest.mark.anyio

STEPS = 20_000  # ~0.3 s of steps on this project's machines (more with a saver): longer than the deadlines below


def counting(seen: list[int]) -> Any:
    """``inc`` runs ``STEPS`` times, never awaiting; ``seen`` gets each value it writes."""

    async def inc(state: Count) -> dict[str, int]:
        seen.append(state["n"] + 1)
        return {"n": state["n"] + 1}

    return count_to(STEPS, inc)


async def test_other_tasks_run_during_a_run_of_nodes_that_never_await() -> None:
    seen: list[int] = []
    graph = counting(seen).compile()
    at_tick: list[int] = []  # how far the run was each time the other task had a turn

    async def ticker() -> None:
        while True:
            await anyio.sleep(0)
            at_tick.append(len(seen))

    async with anyio.create_task_group() as tg:
        tg.start_soon(ticker)
        await anyio.sleep(0)
        out = await graph.ainvoke({"n": 0}, {"recursion_limit": STEPS + 10})
        tg.cancel_scope.cancel()
    assert out == {"n": STEPS}
    during = [n for n in at_tick if 0 < n < STEPS]
    assert len(during) >= 10, f"the other task had {len(during)} turns during the run"


async def test_a_deadline_stops_a_run_of_nodes_that_never_await() -> None:
    seen: list[int] = []
    graph = counting(seen).compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}, "recursion_limit": STEPS + 10}
    started = time.perf_counter()
    with anyio.move_on_after(0.05) as scope:
        await graph.ainvoke({"n": 0}, config)
    elapsed = time.perf_counter() - started
    assert scope.cancelled_caught
    assert 0 < len(seen) < STEPS
    assert elapsed < 1.0, f"the deadline took {elapsed:.2f} s to stop the run"
    # the thread holds what was committed before the cancellation; it resumes from there
    committed = (await graph.aget_state(config)).values["n"]
    assert 0 < committed <= len(seen)
    resumed_at = len(seen)
    with anyio.move_on_after(0.05) as scope:
        await graph.ainvoke(None, config)
    assert scope.cancelled_caught
    assert seen[resumed_at] == committed + 1  # went on from the committed step
    assert (await graph.aget_state(config)).values["n"] > committed


async def test_cancelling_the_caller_stops_a_run_of_nodes_that_never_await() -> None:
    seen: list[int] = []
    graph = counting(seen).compile()

    async def run() -> None:
        await graph.ainvoke({"n": 0}, {"recursion_limit": STEPS + 10})

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        while not seen:
            await anyio.sleep(0)
        tg.cancel_scope.cancel()
    assert 0 < len(seen) < STEPS


def test_the_recursion_limit_still_holds_at_every_step() -> None:
    # the limit is tested every few steps now: it must still stop the run at exactly the step
    # LangGraph stops it at (recursion_limit super-steps, then GraphRecursionError)
    from actorgraph.errors import GraphRecursionError

    for limit in (1, 2, 3, 4, 5, 6, 9, 25):
        seen: list[int] = []
        graph = counting(seen).compile()
        with pytest.raises(GraphRecursionError):
            graph.invoke({"n": 0}, {"recursion_limit": limit})
        assert len(seen) == limit, (limit, len(seen))
