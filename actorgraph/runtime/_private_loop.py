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
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class _Owned:
    """A thread's private loop; closing it when the thread ends (its thread-locals are dropped)."""

    __slots__ = ("loop",)

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def __del__(self) -> None:
        loop = self.loop
        if loop.is_closed() or loop.is_running():
            return
        if asyncio._get_running_loop() is not None:
            # collected while another loop runs in this thread (it cannot run this one): after
            # each call nothing of it was left on the loop, close it without running it
            loop.close()
            return
        try:
            _shut_down(loop)
        except Exception:  # (interpreter shutdown: nothing left to clean up with)
            pass


_local = threading.local()


def run(main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main()`` to its end on this thread's private event loop and return its result.
    Refuses (``RuntimeError``) when an event loop already runs in this thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError("run() cannot be called from a running event loop")
    owned: _Owned | None = getattr(_local, "owned", None)
    if owned is None or owned.loop.is_closed():
        owned = _local.owned = _Owned()
    loop = owned.loop
    task = loop.create_task(_call(main), context=contextvars.copy_context())
    interrupted = False
    try:
        return loop.run_until_complete(task)
    except BaseException as exc:
        interrupted = not isinstance(exc, Exception)  # (KeyboardInterrupt, SystemExit...)
        raise
    finally:
        if interrupted or not task.done() or _leftovers(loop):
            _local.owned = None
            _shut_down(loop)


async def _call(main: Callable[[], Awaitable[T]]) -> T:
    return await main()


def _leftovers(loop: asyncio.AbstractEventLoop) -> bool:
    """Something of the finished call would run on: a task, or an async generator not closed."""
    if asyncio.all_tasks(loop):
        return True
    asyncgens = getattr(loop, "_asyncgens", None)  # (BaseEventLoop's; unknown loop: assume some)
    return asyncgens is None or bool(asyncgens)


def _shut_down(loop: asyncio.AbstractEventLoop) -> None:
    """What ``asyncio.run`` does when its main task has ended: cancel and await what is left,
    close the async generators and the default executor, close the loop."""
    try:
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            for task in tasks:
                if not task.cancelled() and task.exception() is not None:
                    loop.call_exception_handler({
                        "message": "unhandled exception during the sync API's event loop shutdown",
                        "exception": task.exception(), "task": task})
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()
