"""Supervisor.run_sync: sync code in the supervisor's own worker threads, never abandoned.

Every test runs with each way a thread wakes the event loop (the ``wake`` fixture): through an
eventfd where the OS has one (a reader, on asyncio; trio always uses its token), and without
one (``call_soon_threadsafe``; the trio token)."""

from __future__ import annotations

import contextvars
import operator
import os
import sys
import threading
import time
from collections.abc import Iterator
from typing import Annotated, Any, TypedDict

import anyio
import anyio.from_thread
import pytest

from actorgraph import START, StateGraph
from actorgraph.actors import SpawnError, Supervisor
from actorgraph.actors import _threads, _wake
from actorgraph.actors._slot import current_backend
from actorgraph.actors._threads import WorkerThreads

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True, params=["eventfd", "no-eventfd"])
def wake(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "no-eventfd":
        monkeypatch.setattr(_wake, "eventfd", lambda: None)
    yield str(request.param)

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


class S(TypedDict):
    x: Annotated[list[str], operator.add]


def _worker_threads(sup: Supervisor) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(f"{sup.name}/thread-")]


async def test_result_exception_and_context(anyio_backend: str) -> None:
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
        # anyio.from_thread works in the thread, as in anyio's own workers
        assert await sup.run_sync(lambda: anyio.from_thread.run_sync(lambda: "on the loop")) == "on the loop"

        async def back_on_the_loop() -> str:
            await anyio.sleep(0)
            return "awaited on the loop"

        assert await sup.run_sync(lambda: anyio.from_thread.run(back_on_the_loop)) == "awaited on the loop"
        if anyio_backend == "trio":  # trio's own from_thread works as in trio's threads
            import trio

            assert await sup.run_sync(lambda: trio.from_thread.run(back_on_the_loop)) == "awaited on the loop"
            assert await sup.run_sync(lambda: trio.from_thread.run_sync(lambda: 7)) == 7
            await sup.run_sync(trio.from_thread.check_cancelled)
    assert _worker_threads(sup) == []


async def test_concurrent_calls_run_in_parallel_threads() -> None:
    barrier = threading.Barrier(3, timeout=10)  # all three must be running at once
    names: list[str] = []

    def meet() -> None:
        barrier.wait()
        names.append(str(threading.get_ident()))

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
            await anyio.sleep(10)  # (the deferred cancellation lands here)
        assert scope.cancel_called and started.is_set()
        # the cancellation took effect only once the call had returned
        assert finished.is_set()
    assert _worker_threads(sup) == []


async def test_not_running() -> None:
    sup = Supervisor(name="sup-d", tasks=False)
    with pytest.raises(SpawnError, match="not running"):
        await sup.run_sync(lambda: None)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # (native task.cancel() is asyncio's)
async def test_a_native_asyncio_cancel_still_waits_for_the_call(anyio_backend: str) -> None:
    # asyncio.TaskGroup cancels its children with task.cancel(), which reaches through an anyio
    # shield: run_sync must still wait for the thread, then raise the cancellation
    import asyncio

    finished = threading.Event()

    def slow() -> str:
        time.sleep(0.2)
        finished.set()
        return "done"

    async with Supervisor(name="sup-e", tasks=False) as sup:
        task = asyncio.ensure_future(sup.run_sync(slow))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert finished.is_set()  # the cancellation came only once the call had returned


async def test_a_graph_cancelled_from_outside_waits_for_its_sync_node() -> None:
    # a sync node and an async node in one step; the run is cancelled while the sync node's
    # thread still runs: the cancelled ainvoke returns only after that thread has finished
    finished = threading.Event()

    def slow(s: S) -> dict[str, list[str]]:
        time.sleep(0.3)
        finished.set()
        return {"x": ["slow"]}

    async def forever(s: S) -> dict[str, list[str]]:
        await anyio.sleep(30)
        return {"x": ["never"]}

    graph = (StateGraph(S).add_node("slow", slow).add_node("forever", forever)
             .add_edge(START, "slow").add_edge(START, "forever").compile())
    with anyio.move_on_after(0.05) as scope:
        await graph.ainvoke({"x": []})
    assert scope.cancelled_caught
    assert finished.is_set()


async def test_a_cancelled_caller_gets_the_calls_own_exception(anyio_backend: str) -> None:
    # the cancellation waits for the thread; what the call raised is not lost to it
    def slow_failure() -> None:
        time.sleep(0.2)
        raise KeyError("after the cancel")

    async with Supervisor(name="sup-f", tasks=False) as sup:
        with anyio.move_on_after(0.05) as scope:
            with pytest.raises(KeyError, match="after the cancel"):
                await sup.run_sync(slow_failure)
        assert scope.cancel_called


async def test_a_cancelled_caller_gets_the_result_and_is_cancelled_at_its_next_checkpoint(
        anyio_backend: str) -> None:
    got: list[str] = []

    def slow() -> str:
        time.sleep(0.2)
        return "result"

    async with Supervisor(name="sup-g", tasks=False) as sup:
        with anyio.move_on_after(0.05) as scope:
            got.append(await sup.run_sync(slow))
            await anyio.sleep(10)  # (the deferred cancellation lands here)
            got.append("not reached")
        assert scope.cancelled_caught
        assert got == ["result"]
        # the supervisor's thread is free again and the task is not left cancelled
        assert await sup.run_sync(lambda: "next") == "next"


async def test_an_uncancelled_call_enters_no_anyio_cancel_scope(anyio_backend: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # the wait is shielded only once a cancellation arrives
    entered: list[bool] = []
    scope_class = type(anyio.CancelScope())  # (the backend's own class)
    original = scope_class.__enter__

    def counting(self: anyio.CancelScope) -> anyio.CancelScope:
        entered.append(self.shield)
        return original(self)

    async with Supervisor(name="sup-h", tasks=False) as sup:
        await sup.run_sync(lambda: None)  # (the first call makes the worker threads)
        monkeypatch.setattr(scope_class, "__enter__", counting)
        for i in range(20):
            assert await sup.run_sync(lambda: i) == i
        monkeypatch.undo()
    assert entered == []


async def test_a_call_made_in_a_cancelled_scope_still_runs(anyio_backend: str) -> None:
    # the caller is already cancelled when it hands the call over: the call still runs, and the
    # cancellation lands at the next checkpoint
    ran: list[str] = []
    async with Supervisor(name="sup-i", tasks=False) as sup:
        with anyio.CancelScope() as scope:
            scope.cancel()
            assert await sup.run_sync(lambda: ran.append("ran") or "result") == "result"
            await anyio.sleep(10)
        assert scope.cancelled_caught
    assert ran == ["ran"]


def _fd_is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


async def test_the_wake_up_path_and_its_fd_closed_after_the_threads(wake: str, anyio_backend: str) -> None:
    async with Supervisor(name="sup-w", tasks=False) as sup:
        assert await sup.run_sync(lambda: 1) == 1
        threads = sup._threads
        assert threads is not None
        fd = threads._waker.fd
        if wake == "eventfd" and sys.platform == "linux":
            # (asyncio: a reader callback; trio: polled by the waiting tasks, see actors._wake)
            assert fd is not None and _fd_is_open(fd)
            assert threads._waker.polled == (anyio_backend == "trio")
        else:
            assert fd is None
        workers = _worker_threads(sup)
    # the threads went back to the cache, idle (renamed), after the fd was no longer written to
    assert workers and all(t in _threads.cached_threads() and t.name == _threads.IDLE_NAME for t in workers)
    assert threads._waker.fd is None
    if fd is not None:
        assert not _fd_is_open(fd) or os.readlink(f"/proc/self/fd/{fd}") != "anon_inode:[eventfd]"


async def test_many_calls_in_a_row_each_get_their_own_outcome() -> None:
    async with Supervisor(name="sup-x", tasks=False) as sup:
        def fail(i: int) -> None:
            raise ValueError(str(i))

        for i in range(500):
            if i % 7 == 3:
                with pytest.raises(ValueError, match=f"^{i}$"):
                    await sup.run_sync(lambda: fail(i))
            else:
                assert await sup.run_sync(lambda: i * i) == i * i
        assert len(_worker_threads(sup)) == 1


async def test_concurrent_calls_outcomes_and_cancellations() -> None:
    """Many calls in flight at once: each gets its own result or exception; a caller
    cancelled while its call runs waits for it, and the calls after it are answered as before."""
    results: dict[int, object] = {}

    def work(i: int) -> int:
        time.sleep(0.001 * (i % 3))
        if i % 5 == 4:
            raise KeyError(i)
        return i * i

    async def ask(sup: Supervisor, i: int) -> None:
        try:
            results[i] = await sup.run_sync(lambda: work(i))
        except KeyError as exc:
            results[i] = exc.args

    async with Supervisor(name="sup-y", tasks=False) as sup:
        for _ in range(3):
            results.clear()
            async with anyio.create_task_group() as tg:
                for i in range(30):
                    tg.start_soon(ask, sup, i)
            assert results == {i: (i,) if i % 5 == 4 else i * i for i in range(30)}
        finished: list[int] = []

        def slow(i: int) -> int:
            time.sleep(0.1)
            finished.append(i)
            return i

        async def cancelled(i: int) -> None:
            with anyio.move_on_after(0.02) as scope:
                results[i] = await sup.run_sync(lambda: slow(i))
                await anyio.sleep(10)
            assert scope.cancelled_caught
            assert i in finished  # it waited for its thread

        results.clear()
        async with anyio.create_task_group() as tg:
            for i in range(4):
                tg.start_soon(cancelled, i)
        assert sorted(finished) == [0, 1, 2, 3] and results == {i: i for i in range(4)}
        for i in range(10):  # and the next calls are answered as before
            assert await sup.run_sync(lambda: i + 1) == i + 1


async def test_closing_waits_for_a_call_in_flight_and_its_waiter(anyio_backend: str) -> None:
    """aclose while a call runs: the thread finishes it, its caller (on trio, waiting on the
    eventfd) gets the result, and only then is the fd closed."""
    threads = WorkerThreads("wt-close", current_backend())
    started = threading.Event()
    got: list[str] = []

    def slow() -> str:
        started.set()
        time.sleep(0.1)
        return "done"

    async def caller() -> None:
        got.append(await threads.run_sync(slow))

    async with anyio.create_task_group() as tg:
        tg.start_soon(caller)
        while not started.is_set():
            await anyio.sleep(0.005)
        with anyio.CancelScope(shield=True):
            await threads.aclose()
        assert threads._waker.fd is None
    assert got == ["done"]
    with pytest.raises(RuntimeError, match="stopped"):
        await threads.run_sync(lambda: None)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # (trio needs no reader)
async def test_a_loop_that_cannot_watch_the_fd_falls_back(anyio_backend: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    loop = asyncio.get_running_loop()
    opened: list[int] = []
    real_eventfd = _wake.eventfd

    def eventfd() -> int | None:
        fd = real_eventfd()
        if fd is not None:
            opened.append(fd)
        return fd

    def add_reader(*args: object) -> None:
        raise NotImplementedError  # (a proactor loop)

    monkeypatch.setattr(_wake, "eventfd", eventfd)
    monkeypatch.setattr(loop, "add_reader", add_reader)
    async with Supervisor(name="sup-z", tasks=False) as sup:
        assert [await sup.run_sync(lambda: i) for i in range(20)] == list(range(20))
        threads = sup._threads
        assert threads is not None and threads._waker.fd is None
    assert not any(_fd_is_open(fd) and os.readlink(f"/proc/self/fd/{fd}") == "anon_inode:[eventfd]"
                   for fd in opened)


async def test_what_the_thread_posted_to_the_loop_runs_before_its_caller_goes_on() -> None:
    """A sync node's stream events reach the loop through its thread-safe "call soon" (see
    current_loop_poster): whatever the thread posted before its call returned has run when the
    caller resumes, whichever way the thread wakes the loop."""
    from actorgraph.actors._threads import current_loop_poster

    post = current_loop_poster()
    seen: list[int] = []

    def talk(n: int) -> int:
        for i in range(n):
            post(seen.append, i)
        return n

    async with Supervisor(name="sup-o", tasks=False) as sup:
        for n in (1, 5, 200):
            seen.clear()
            assert await sup.run_sync(lambda: talk(n)) == n
            assert seen == list(range(n))

        async def concurrent(k: int) -> None:
            got = await sup.run_sync(lambda: talk(k))
            assert seen.count(k - 1) >= 1 and got == k

        seen.clear()
        async with anyio.create_task_group() as tg:
            for k in range(1, 10):
                tg.start_soon(concurrent, k)


async def test_a_call_outlasting_the_one_that_read_for_it_is_answered() -> None:
    """On trio the waiting callers take turns reading the threads' wake-up fd (see
    actors._wake): the first caller reads while both wait; its own call ends first, so it hands
    the reading to the other caller, whose call ends after. (On asyncio a reader callback does
    the reading: the same outcome.)"""
    go_first, go_second = threading.Event(), threading.Event()
    order: list[str] = []

    async with Supervisor(name="sup-r", tasks=False) as sup:
        async def first() -> None:
            order.append(await sup.run_sync(lambda: go_first.wait(5) and "first"))
            go_second.set()  # (only now may the second call end)

        async def second() -> None:
            order.append(await sup.run_sync(lambda: go_second.wait(5) and "second"))

        started = time.monotonic()
        with anyio.move_on_after(3):  # (a cancelled caller reads in turn: a hang would end there)
            async with anyio.create_task_group() as tg:
                tg.start_soon(first)
                await anyio.sleep(0.01)  # (the first caller waits, reading the fd)
                tg.start_soon(second)
                await anyio.sleep(0.01)  # (the second waits too)
                go_first.set()
        assert time.monotonic() - started < 1.5  # (no waiting for the deadline)
    assert order == ["first", "second"]


async def test_a_stopped_supervisors_threads_serve_the_next_one_bound_to_its_loop(anyio_backend: str) -> None:
    """A supervisor's threads go back to the cache when it stops; the next supervisor takes
    them (no thread started, none joined per run) and they work for it as new ones would."""
    async with Supervisor(name="sup-first", tasks=False) as sup:
        first = await sup.run_sync(threading.current_thread)
        assert first.name == "sup-first/thread-0"
    assert first.is_alive() and first in _threads.cached_threads() and first.name == _threads.IDLE_NAME
    VAR.set("second's")
    async with Supervisor(name="sup-second", tasks=False) as sup:
        assert await sup.run_sync(threading.current_thread) is first
        assert first.name == "sup-second/thread-0" and first not in _threads.cached_threads()
        assert await sup.run_sync(VAR.get) == "second's"

        async def on_the_loop() -> str:
            await anyio.sleep(0)
            return "this loop"

        assert await sup.run_sync(lambda: anyio.from_thread.run(on_the_loop)) == "this loop"
    assert first in _threads.cached_threads()


def test_a_cached_thread_serves_a_later_loop_of_the_other_backend() -> None:
    """A thread bound to one event loop (and backend) is bound again to the loop of the next
    supervisor that takes it: ``anyio.from_thread`` there reaches the new loop."""
    seen: list[tuple[str, str]] = []

    async def use(backend: str) -> None:
        async def which() -> str:
            import sniffio

            return sniffio.current_async_library()

        async with Supervisor(name=f"sup-{backend}", tasks=False) as sup:
            thread = await sup.run_sync(threading.current_thread)
            seen.append((thread.name, await sup.run_sync(lambda: anyio.from_thread.run(which))))

    async def trio_from_asyncio(sup: Supervisor) -> None:
        import trio

        with pytest.raises(RuntimeError, match="wasn.t created by Trio"):
            await sup.run_sync(lambda: trio.from_thread.run_sync(lambda: None))

    async def after_trio() -> None:
        async with Supervisor(name="sup-asyncio", tasks=False) as sup:
            await trio_from_asyncio(sup)

    _threads.stop_idle_threads()
    anyio.run(use, "asyncio", backend="asyncio")
    (cached,) = _threads.cached_threads()
    anyio.run(use, "trio", backend="trio")
    anyio.run(use, "asyncio", backend="asyncio")
    anyio.run(after_trio, backend="asyncio")  # (the thread no longer names the trio run that ended)
    assert seen == [("sup-asyncio/thread-0", "asyncio"), ("sup-trio/thread-0", "trio"),
                    ("sup-asyncio/thread-0", "asyncio")]
    assert _threads.cached_threads() == [cached]


def test_idle_threads_exit_after_the_idle_timeout_and_can_be_stopped_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    async def calls(n: int) -> None:
        barrier = threading.Barrier(n, timeout=10)
        async with Supervisor(name="sup-idle", tasks=False) as sup:
            async with anyio.create_task_group() as tg:
                for _ in range(n):
                    tg.start_soon(sup.run_sync, barrier.wait)

    _threads.stop_idle_threads()
    assert _threads.cached_threads() == []
    monkeypatch.setattr(_threads, "IDLE_TIMEOUT", 0.05)
    anyio.run(calls, 2)
    idle = _threads.cached_threads()
    assert len(idle) == 2
    deadline = time.monotonic() + 10
    while any(t.is_alive() for t in idle) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(t.is_alive() for t in idle) and _threads.cached_threads() == []
    monkeypatch.setattr(_threads, "IDLE_TIMEOUT", 10.0)
    anyio.run(calls, 3)
    idle = _threads.cached_threads()
    assert len(idle) == 3
    _threads.stop_idle_threads()
    assert _threads.cached_threads() == [] and not any(t.is_alive() for t in idle)


def test_a_forked_child_starts_with_no_cached_thread() -> None:
    async def one() -> None:
        async with Supervisor(name="sup-fork", tasks=False) as sup:
            await sup.run_sync(lambda: None)

    anyio.run(one)
    assert _threads.cached_threads()
    pid = os.fork()
    if pid == 0:  # the child: the parent's threads do not exist here
        code = 0 if _threads.cached_threads() == [] else 1
        try:
            anyio.run(one)  # (and a new thread serves it)
        except BaseException:
            code = 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


async def test_a_thread_that_cannot_be_bound_answers_with_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Binding a thread to its supervisor's loop (anyio's and trio's thread-locals) is part of
    the call: if it fails, the caller gets the error instead of waiting forever."""

    def broken(self: Any) -> None:
        raise RuntimeError("cannot bind")

    monkeypatch.setattr(_threads._Binding, "adopt", broken)
    async with Supervisor(name="sup-unbound", tasks=False) as sup:
        with pytest.raises(RuntimeError, match="cannot bind"):
            with anyio.fail_after(10):
                await sup.run_sync(lambda: 1)
    monkeypatch.undo()
    async with Supervisor(name="sup-bound", tasks=False) as sup:  # (the thread binds next time)
        assert await sup.run_sync(lambda: 2) == 2
