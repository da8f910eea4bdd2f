"""Supervisor.run_sync: sync code in the supervisor's own worker threads, never abandoned."""

from __future__ import annotations

import contextvars
import threading
import time

import anyio
import pytest

from actorgraph.actors import SpawnError, Supervisor

pytestmark = pytest.mark.anyio

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


def _worker_threads(sup: Supervisor) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(f"{sup.name}/thread-")]


async def test_result_exception_and_context() -> None:
    async with Supervisor(name="sup-a", tasks=False) as sup:
        assert await sup.run_sync(lambda: 41 + 1) == 42
        VAR.set("caller's")
        assert await sup.run_sync(VAR.get) == "caller's"

        def boom() -> None:
            raise KeyError("inside")

        with pytest.raises(KeyError, match="inside"):
            await sup.run_sync(boom)
        # the thread that raised serves the next call: one thread for sequential calls
        assert await sup.run_sync(threading.current_thread) is (await sup.run_sync(threading.current_thread))
        assert len(_worker_threads(sup)) == 1
    assert _worker_threads(sup) == []


async def test_concurrent_calls_run_in_parallel_threads() -> None:
    barrier = threading.Barrier(3, timeout=10)  # all three must be running at once
    names: list[str] = []

    def meet() -> None:
        barrier.wait()
        names.append(threading.current_thread().name)

    async with Supervisor(name="sup-b", tasks=False) as sup:
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(sup.run_sync, meet)
    assert len(set(names)) == 3
    assert _worker_threads(sup) == []


async def test_cancelled_caller_does_not_abandon_the_thread() -> None:
    finished = threading.Event()
    started = threading.Event()

    def slow() -> None:
        started.set()
        time.sleep(0.2)
        finished.set()

    async with Supervisor(name="sup-c", tasks=False) as sup:
        with anyio.move_on_after(0.05) as scope:
            await sup.run_sync(slow)
        assert scope.cancelled_caught and started.is_set()
        assert not finished.is_set()  # the call is still running in its thread
    # leaving the supervisor waited for it and joined the thread
    assert finished.is_set()
    assert _worker_threads(sup) == []


async def test_not_running() -> None:
    sup = Supervisor(name="sup-d", tasks=False)
    with pytest.raises(SpawnError, match="not running"):
        await sup.run_sync(lambda: None)
