"""One-shot reply slots: the cheapest way to park a task until another one answers.

anyio's ``Event`` and memory streams go through the backend dispatcher and checkpoint on every
operation; a mailbox and an ``ask`` only need "park this task until somebody hands it a value".
A :class:`Slot` is that, built on each backend's own primitive: an ``asyncio.Future`` on asyncio,
``trio.lowlevel.wait_task_rescheduled`` on trio. Both are cancellation-safe: a cancelled waiter
simply leaves, and a later ``set_*`` on the abandoned slot is a no-op.
"""

from __future__ import annotations

import asyncio
import math
import sys
from collections.abc import Callable
from typing import Any, Protocol


class SlotTimeout(Exception):
    """A slot's deadline passed (or its waiter left) before it was set."""


class Slot(Protocol):
    """A value that one task waits for and another sets (at most once)."""

    def done(self) -> bool: ...

    def set_result(self, value: Any) -> None: ...

    def set_exception(self, exc: BaseException) -> None: ...

    async def wait(self, deadline: float = math.inf) -> Any:
        """Park until set; return the value or raise the exception.

        ``deadline`` is an absolute ``anyio.current_time()`` value; when it passes first, the slot
        is set to :class:`SlotTimeout` and that is raised.
        """
        ...


class _AsyncioSlot:
    __slots__ = ("_fut",)

    def __init__(self) -> None:
        self._fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def done(self) -> bool:
        return self._fut.done()

    def set_result(self, value: Any) -> None:
        if not self._fut.done():
            self._fut.set_result(value)

    def set_exception(self, exc: BaseException) -> None:
        if not self._fut.done():
            self._fut.set_exception(exc)

    def _expire(self) -> None:
        if not self._fut.done():
            self._fut.set_exception(SlotTimeout())

    async def wait(self, deadline: float = math.inf) -> Any:
        fut = self._fut
        if fut.done() or deadline == math.inf:
            return await fut
        handle = fut.get_loop().call_at(deadline, self._expire)
        try:
            return await fut
        finally:
            handle.cancel()


class _TrioSlot:
    __slots__ = ("_done", "_value", "_exc", "_task")

    def __init__(self) -> None:
        self._done = False
        self._value: Any = None
        self._exc: BaseException | None = None
        self._task: Any = None

    def done(self) -> bool:
        return self._done

    def _wake(self) -> None:
        task = self._task
        if task is not None:
            self._task = None
            _trio.lowlevel.reschedule(task)

    def set_result(self, value: Any) -> None:
        if not self._done:
            self._done = True
            self._value = value
            self._wake()

    def set_exception(self, exc: BaseException) -> None:
        if not self._done:
            self._done = True
            self._exc = exc
            self._wake()

    def _abort(self, _raise_cancel: Any) -> Any:
        # An abandoned slot counts as done (timed out), so wakers skip it.
        self._task = None
        self._done = True
        self._exc = SlotTimeout()
        return _trio.lowlevel.Abort.SUCCEEDED

    async def wait(self, deadline: float = math.inf) -> Any:
        if not self._done:
            self._task = _trio.lowlevel.current_task()
            if deadline == math.inf:
                await _trio.lowlevel.wait_task_rescheduled(self._abort)
            else:
                with _trio.CancelScope(deadline=deadline):
                    await _trio.lowlevel.wait_task_rescheduled(self._abort)
        if self._exc is not None:
            raise self._exc
        return self._value


_trio: Any = None


def _running_on_trio() -> bool:
    trio = sys.modules.get("trio")
    return trio is not None and bool(trio.lowlevel.in_trio_run())


class Backend:
    """What the kernel needs from the running event loop: a slot constructor and a clock."""

    __slots__ = ("name", "new_slot", "clock")

    def __init__(self, name: str, new_slot: Callable[[], Slot], clock: Callable[[], float]):
        self.name = name
        self.new_slot = new_slot
        self.clock = clock


def current_backend() -> Backend:
    """The :class:`Backend` of the event loop running in this thread (``RuntimeError`` if none)."""
    global _trio
    if _running_on_trio():
        _trio = sys.modules["trio"]
        return Backend("trio", _TrioSlot, _trio.current_time)
    loop = asyncio.get_running_loop()  # raises RuntimeError outside any event loop
    return Backend("asyncio", _AsyncioSlot, loop.time)
