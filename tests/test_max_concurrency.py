"""``config["max_concurrency"]``: at most that many tasks of a super-step run at once.

LangGraph 1.2 (observed by running it): a 10-way ``Send`` fan-out with ``max_concurrency=2``
peaks at 2 concurrently running nodes, at 10 without it; ``0`` means no bound.
"""

from __future__ import annotations

import operator
import threading
import time
from typing import Annotated, Any, TypedDict

import anyio
import pytest

from actorgraph import START, Send, StateGraph


class S(TypedDict):
    log: Annotated[list[int], operator.add]


class Counter:
    def __init__(self) -> None:
        self.running = 0
        self.peak = 0
        self.lock = threading.Lock()

    def enter(self) -> None:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)

    def leave(self) -> None:
        with self.lock:
            self.running -= 1


def fan_out(counter: Counter, sync: bool = False, fail_at: int | None = None) -> Any:
    async def work(arg: dict[str, int]) -> dict[str, Any]:
        counter.enter()
        try:
            for _ in range(20):  # let every other ready task start meanwhile
                await anyio.sleep(0)
            if arg["i"] == fail_at:
                raise ValueError(f"task {arg['i']} fails")
            return {"log": [arg["i"]]}
        finally:
            counter.leave()

    def sync_work(arg: dict[str, int]) -> dict[str, Any]:
        counter.enter()
        try:
            time.sleep(0.005)
            return {"log": [arg["i"]]}
        finally:
            counter.leave()

    return (StateGraph(S).add_node("w", sync_work if sync else work)
            .add_conditional_edges(START, lambda s: [Send("w", {"i": i}) for i in range(10)])
            .compile())


@pytest.mark.anyio
async def test_max_concurrency_bounds_a_fan_out() -> None:
    counter = Counter()
    out = await fan_out(counter).ainvoke({"log": []}, {"max_concurrency": 2})
    assert out == {"log": list(range(10))}  # every task ran, in task order
    assert counter.peak == 2


@pytest.mark.anyio
async def test_without_a_bound_every_task_runs_at_once() -> None:
    for config in ({}, {"max_concurrency": 0}, {"max_concurrency": None}):
        counter = Counter()
        await fan_out(counter).ainvoke({"log": []}, config)
        assert counter.peak == 10, config


@pytest.mark.anyio
async def test_a_bound_above_the_fan_out_changes_nothing() -> None:
    counter = Counter()
    await fan_out(counter).ainvoke({"log": []}, {"max_concurrency": 50})
    assert counter.peak == 10


def test_sync_nodes_in_worker_threads_are_bounded_too() -> None:
    counter = Counter()
    out = fan_out(counter, sync=True).invoke({"log": []}, {"max_concurrency": 3})
    assert out == {"log": list(range(10))}
    assert 1 <= counter.peak <= 3


@pytest.mark.anyio
async def test_a_failure_stops_the_tasks_still_waiting_for_a_slot() -> None:
    counter = Counter()
    with pytest.raises(ValueError, match="task 1 fails"):
        await fan_out(counter, fail_at=1).ainvoke({"log": []}, {"max_concurrency": 2})
    assert counter.peak == 2
    assert counter.running == 0


@pytest.mark.parametrize(("bound", "error"), [(-1, ValueError), ("2", TypeError), (1.5, TypeError),
                                              (True, TypeError)])
def test_a_bad_bound_is_a_clear_error(bound: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="max_concurrency"):
        fan_out(Counter()).invoke({"log": []}, {"max_concurrency": bound})
