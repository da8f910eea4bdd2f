"""When a ``@task`` call starts and what it sees (asyncio and trio).

An entrypoint's own call starts at the loop's next turn (on trio, when the scope's starter task
is woken), or runs in the entrypoint's task when it is awaited at once (a task switch saved per
sequential call): these tests hold both ways to what a task per call gives, and to LangGraph
1.2's observed behaviour (the expected values of the first test and of the two about calls
between waits and a cancelled run were printed by the same programs on ``langgraph.func``).
"""

from __future__ import annotations

import contextvars
from typing import Any

import anyio
import pytest

from actorgraph.func import entrypoint, task
from actorgraph.persistence import InMemorySaver

pytestmark = pytest.mark.anyio

_var: contextvars.ContextVar[int] = contextvars.ContextVar("_var", default=0)


def cfg(thread: str = "t") -> dict[str, Any]:
    return {"configurable": {"thread_id": thread}}


def _recording(started: list[int]) -> Any:
    """A task that records its argument in ``started`` as it starts, and returns it."""
    @task
    async def mark(i: int) -> int:
        started.append(i)
        return i

    return mark


async def test_a_call_sees_the_context_of_its_call_and_sets_none_of_the_callers() -> None:
    started: list[int] = []

    @task
    async def seen(x: int) -> int:
        got = _var.get()
        _var.set(99)
        started.append(x)
        return got

    @entrypoint(checkpointer=InMemorySaver())
    async def main(_: int) -> dict[str, Any]:
        _var.set(1)
        first = seen(1)
        _var.set(2)
        a = await first  # (awaited at once: it runs in this task)
        after = _var.get()
        second = seen(2)
        await anyio.sleep(0.01)  # (not awaited yet: it runs meanwhile)
        before_await = list(started)
        b = await second
        return {"a": a, "after": after, "before_await": before_await, "b": b, "final": _var.get()}

    # (LangGraph 1.2: {'a': 1, 'after': 2, 'before_await': [1, 2], 'b': 2, 'final': 2})
    assert await main.ainvoke(0, cfg()) == {"a": 1, "after": 2, "before_await": [1, 2], "b": 2, "final": 2}


async def test_calls_made_together_run_together_whichever_is_awaited_first() -> None:
    arrived = 0
    all_here = anyio.Event()

    @task
    async def meet(i: int) -> int:
        nonlocal arrived
        arrived += 1
        if arrived == 5:
            all_here.set()
        await all_here.wait()  # (deadlocks if the first awaited ran alone)
        return i

    @entrypoint(checkpointer=InMemorySaver())
    async def main(n: int) -> list[int]:
        calls = [meet(i) for i in range(n)]
        return [await c for c in calls]

    with anyio.fail_after(5):
        assert await main.ainvoke(5, cfg()) == [0, 1, 2, 3, 4]


async def test_a_call_never_awaited_still_runs() -> None:
    ran: list[str] = []

    @task
    async def note(what: str) -> str:
        ran.append(what)
        return what

    @entrypoint(checkpointer=InMemorySaver())
    async def fire_and_forget(_: int) -> str:
        note("forgotten")  # (made last, never awaited: it runs before the run ends)
        return "done"

    assert await fire_and_forget.ainvoke(0, cfg("a")) == "done"
    assert ran == ["forgotten"]


async def test_calls_awaited_one_by_one_are_saved_and_not_run_again_on_resume() -> None:
    """A failed run's finished calls (each run in the entrypoint's task) are kept:
    the resumed run gets their results without calling them (LangGraph 1.2: ``5`` and the
    calls ``[0, 1, 2, 3, 4]`` once)."""
    calls: list[int] = []
    fail = [True]

    @task
    async def step(x: int) -> int:
        calls.append(x)
        return x + 1

    @entrypoint(checkpointer=InMemorySaver())
    async def chain(n: int) -> int:
        x = 0
        for _ in range(n):
            x = await step(x)
        if fail[0]:
            raise RuntimeError("once")
        return x

    with pytest.raises(RuntimeError, match="once"):
        await chain.ainvoke(5, cfg("r"))
    fail[0] = False
    assert await chain.ainvoke(None, cfg("r")) == 5
    assert calls == [0, 1, 2, 3, 4]


async def test_calls_made_between_waits_each_start_while_the_entrypoint_waits() -> None:
    """Each call starts at the loop's next turn, as many times as the entrypoint makes one and
    waits on something else (on trio the scope's starter task is woken each time)."""
    started: list[int] = []
    mark = _recording(started)

    @entrypoint(checkpointer=InMemorySaver())
    async def main(n: int) -> list[Any]:
        seen = []
        futures = []
        for i in range(n):
            futures.append(mark(i))
            await anyio.sleep(0.005)
            seen.append(list(started))
        return [seen, [await f for f in futures]]

    # (LangGraph 1.2: [[[0], [0, 1], [0, 1, 2], [0, 1, 2, 3]], [0, 1, 2, 3]])
    seen, results = await main.ainvoke(4, cfg())
    assert seen == [[0], [0, 1], [0, 1, 2], [0, 1, 2, 3]]
    assert results == [0, 1, 2, 3]


async def test_a_run_cancelled_while_its_calls_wait_to_start_ends() -> None:
    started: list[int] = []
    mark = _recording(started)

    @entrypoint(checkpointer=InMemorySaver())
    async def main(_: int) -> int:
        first = mark(0)
        await anyio.sleep(0.005)  # (the first call starts and finishes meanwhile)
        mark(1)
        await anyio.sleep_forever()  # (cancelled here: the second call has started too)
        return await first

    with anyio.fail_after(5):
        with anyio.move_on_after(0.05) as scope:
            await main.ainvoke(0, cfg("c"))
    assert scope.cancelled_caught  # (LangGraph 1.2: True, [0, 1])
    assert started == [0, 1]



async def test_calls_made_just_before_the_entrypoint_raises_are_started() -> None:
    """The calls made before an async entrypoint fails start all the same: a sync call runs
    to its end in its thread and is saved (a resume does not run it again), an async one gets
    as far as its first wait and is cancelled there (it runs again on resume). LangGraph 1.2,
    the same program: ``[('start', 1), ('sync', 2)]`` then, resumed, ``[('start', 1)]``."""
    calls: list[tuple[str, int]] = []

    @task
    async def slow(x: int) -> int:
        calls.append(("start", x))
        await anyio.sleep(0.01)
        calls.append(("end", x))
        return x

    @task
    def quick(x: int) -> int:
        calls.append(("sync", x))
        return x

    @entrypoint(checkpointer=InMemorySaver())
    async def main(_: int) -> list[int]:
        first = slow(1)
        second = quick(2)
        raise ValueError("boom")
        return [await first, await second]  # (never reached)

    with pytest.raises(ValueError, match="boom"):
        await main.ainvoke(0, cfg("f"))
    await anyio.sleep(0.03)  # (the async call, had it gone on, would have ended by now)
    # (both started, neither again: the sync call runs in a worker thread, which may get there
    # before the async call's task has its first turn, on a busy machine)
    assert sorted(calls) == [("start", 1), ("sync", 2)]
    calls.clear()
    with pytest.raises(ValueError, match="boom"):
        await main.ainvoke(None, cfg("f"))
    assert calls == [("start", 1)]
