"""The private event loop of the sync graph API (``invoke``, ``batch``, ``get_state``...).

``anyio.run`` makes, and closes, a new asyncio event loop per call: ~130-250 µs, more than a
small graph's whole run takes. A thread keeps its private loop between calls instead (made on
its first call, closed when the thread ends) and each call runs as a new task, in a copy of the
caller's context, on that loop: ~15-20 µs. What ``asyncio.run`` guarantees still holds: when a
call returns nothing of it runs on — if a task or an async generator of the call is left over
(or the call was interrupted), the loop is shut down as ``asyncio.run`` shuts its own down
(leftover tasks cancelled and awaited, async generators closed) and the thread's next call
makes a new one.

A ``KeyboardInterrupt`` (Ctrl-C) is raised in the code that runs when it arrives, as without an
event loop; if that is the loop's own wait, the call's task is cancelled and awaited (its
``finally`` blocks run, its worker threads are joined) before the interrupt propagates.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

from ..actors._slot import running_on_trio

T = TypeVar("T")


class _Owned:
    """A thread's private loop; closing it when the thread ends (its thread-locals are dropped).
    ``busy``: a sync ``stream()`` holds a run on it (see :func:`own_loop`)."""

    __slots__ = ("loop", "busy")

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.busy = False

    def __del__(self) -> None:
        loop = self.loop
        if loop.is_closed() or loop.is_running() or self.busy:
            return
        if not _leftovers(loop):
            # the usual case (a call that left something on the loop had it shut down): close
            # it without running it, nor asking which loop runs here. This runs as the thread
            # ends, its thread state being torn down: a thread-local touched now (asyncio's
            # running-loop holder, sniffio's and trio's locals) is made anew in a thread-state
            # dict never cleared again, and leaked with it (each thread that ever called the
            # sync API: every sync call made where a loop runs, on a helper thread of its own)
            loop.close()
            return
        if asyncio._get_running_loop() is not None:
            # collected while another loop runs in this thread (it cannot run this one): after
            # each call nothing of it was left on the loop, close it without running it
            loop.close()
            return
        try:
            # (a finalizer may run while this thread holds threading's own locks: it starts no
            # thread, which would wait for them forever; close() shuts the default executor's
            # idle threads down without joining them)
            _shut_down(loop, threads=False)
        except Exception:  # (interpreter shutdown: nothing left to clean up with)
            pass


_local = threading.local()


def run(main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main()`` to its end on this thread's private event loop and return its result.
    Refuses (``RuntimeError``) when an event loop already runs in this thread."""
    loop, owned = own_loop()
    task = loop.create_task(_call(main), context=contextvars.copy_context())
    interrupted = False
    try:
        return loop.run_until_complete(task)
    except BaseException as exc:
        interrupted = not isinstance(exc, Exception)  # (KeyboardInterrupt, SystemExit...)
        raise
    finally:
        settle(loop, owned, interrupted or not task.done())


def own_loop(hold: bool = False) -> tuple[asyncio.AbstractEventLoop, _Owned | None]:
    """This thread's private event loop (made on first use, kept between calls) and its owner,
    to run a call on with ``run_until_complete``; end the call with :func:`settle`. While a
    sync ``stream()`` holds a run on the kept loop (``hold``: this call is one; it runs for as
    long as its caller iterates, and its loop may be run by another thread meanwhile), a loop
    for this call only (owner None). Refuses (``RuntimeError``) when an event loop already runs
    in this thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError("run() cannot be called from a running event loop")
    owned: _Owned | None = getattr(_local, "owned", None)
    if owned is None or owned.loop.is_closed():
        owned = _local.owned = _Owned()
    elif owned.busy or owned.loop.is_running():  # (running: hidden, see pump_hiding_the_loop)
        return asyncio.new_event_loop(), None  # (settle() shuts it down)
    owned.busy = hold
    return owned.loop, owned


def settle(loop: asyncio.AbstractEventLoop, owned: _Owned | None, interrupted: bool = False) -> None:
    """A call on :func:`own_loop`'s ``loop`` has ended (on any thread): if it was
    ``interrupted`` or something of it would run on, shut the loop down (its thread's next call
    makes a new one); a loop made for the call alone (``owned`` None) is shut down in any case."""
    if owned is None:
        _shut_down(loop)
        return
    owned.busy = False
    if interrupted or _leftovers(loop):
        _shut_down(loop)  # (the owner is kept until then: its __del__ would do it meanwhile)


async def _call(main: Callable[[], Awaitable[T]]) -> T:
    return await main()


def _leftovers(loop: asyncio.AbstractEventLoop) -> bool:
    """Something of the finished call would run on: a task, or an async generator not closed."""
    if asyncio.all_tasks(loop):
        return True
    asyncgens = getattr(loop, "_asyncgens", None)  # (BaseEventLoop's; unknown loop: assume some)
    return asyncgens is None or bool(asyncgens)


def drive(loop: asyncio.AbstractEventLoop, awaitable: Awaitable[T]) -> T:
    """``loop.run_until_complete(awaitable)`` on this thread; if an event loop already runs in
    this thread (a sync ``stream()`` resumed or closed from async code, or by the collector on
    a loop's thread), on a helper thread, which is waited for."""
    if not a_loop_runs_here():
        return loop.run_until_complete(awaitable)
    return _on_a_helper_thread(functools.partial(loop.run_until_complete, awaitable))


def run_until_stopped(loop: asyncio.AbstractEventLoop) -> None:
    """``loop.run_forever()`` until something on it calls ``loop.stop()``, on this thread or,
    as :func:`drive`, on a helper thread when an event loop already runs in this one."""
    if not a_loop_runs_here():
        loop.run_forever()
    else:
        _on_a_helper_thread(loop.run_forever)


def _on_a_helper_thread(fn: Callable[[], T]) -> T:
    """``fn()`` on a new thread, waited for: its result, or its exception raised here."""
    out: list[T] = []
    failed: list[BaseException] = []

    def there() -> None:
        try:
            out.append(fn())
        except BaseException as exc:
            failed.append(exc)

    helper = threading.Thread(target=there, name="actorgraph.drive")
    helper.start()
    helper.join()
    if failed:
        raise failed[0]
    return out[0]


def pump_on_a_helper_thread(chunks: Iterator[T]) -> Iterator[T]:
    """Iterate ``chunks`` (a sync stream that runs its loop on the thread that resumes it, between
    its chunks: ``iterate_pumped``) from a thread where an event loop runs (an async node, a
    notebook's cell, a sync node on its run's loop): each step runs on a helper thread, in a
    copy of this context, this thread waiting for it (its loop blocked meanwhile, as by any sync
    code). The run goes on only while the caller asks for the next chunk, as where no loop runs."""
    context = contextvars.copy_context()
    sniffio = sys.modules.get("sniffio")  # (the copied context may name this thread's loop)
    if sniffio is not None:
        context.run(sniffio.current_async_library_cvar.set, None)
    end: list[T] = []

    def step() -> T | list[T]:
        return next(chunks, end)

    with ThreadPoolExecutor(1, thread_name_prefix="actorgraph.stream") as helper:
        try:
            while True:
                chunk = helper.submit(context.run, step).result()
                if chunk is end:
                    return
                yield chunk  # type: ignore[misc]
        finally:
            helper.submit(context.run, chunks.close).result()  # type: ignore[attr-defined]


def a_loop_runs_here() -> bool:
    """An event loop (asyncio's, or trio) runs in this thread now."""
    if asyncio._get_running_loop() is not None:
        return True
    return running_on_trio()


def _shut_down(loop: asyncio.AbstractEventLoop, threads: bool = True) -> None:
    """What ``asyncio.run`` does when its main task has ended: cancel and await what is left,
    close the async generators and the default executor (joined), close the loop. Without
    ``threads`` (from a finalizer) it starts no thread: what is left runs on this thread when
    no loop runs here, and the default executor is shut down without waiting (``close()``)."""
    try:
        if not threads and a_loop_runs_here():
            return
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        if tasks:
            drive(loop, asyncio.gather(*tasks, return_exceptions=True))
            for task in tasks:
                if not task.cancelled() and task.exception() is not None:
                    loop.call_exception_handler({
                        "message": "unhandled exception during the sync API's event loop shutdown",
                        "exception": task.exception(), "task": task})
        drive(loop, loop.shutdown_asyncgens())
        if threads:
            drive(loop, loop.shutdown_default_executor())
    finally:
        loop.close()
