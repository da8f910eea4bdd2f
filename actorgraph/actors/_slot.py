"""One-shot reply slots: the cheapest way to park a task until another one answers.

anyio's ``Event``, ``Lock`` and cancel scopes cost microseconds each (measured: an anyio cancel
scope ~3 µs on asyncio and ~6 µs on trio, a ``Lock`` round ~1.5-2 µs); a mailbox and an ``ask``
only need "park this task until somebody hands it a value". A slot is that, built on each
backend's own primitive: a bare ``asyncio.Future`` on asyncio, a small object over
``trio.lowlevel.wait_task_rescheduled`` on trio. Both are awaited directly (``await slot``) and
are cancellation-safe: a cancelled waiter simply leaves and the slot counts as done, so a later
``set_*`` on it is skipped by callers that check :meth:`Slot.done` first.

Deadlines are not handled here: see :mod:`._timer`, which expires many slots with one timer.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Awaitable, Callable, Generator
from typing import Any, Protocol


class SlotTimeout(Exception):
    """A slot's deadline passed before it was set (set by :class:`~._timer.Deadlines`)."""


class Slot(Protocol):
    """A value that one task awaits and another sets, at most once.

    ``set_result`` / ``set_exception`` must only be called while ``done()`` is false (an
    ``asyncio.Future`` raises otherwise).
    """

    def done(self) -> bool: ...

    def set_result(self, value: Any, /) -> None: ...

    def set_exception(self, exc: BaseException, /) -> None: ...

    def __await__(self) -> Generator[Any, Any, Any]: ...


class _TrioSlot:
    __slots__ = ("_done", "_value", "_exc", "_task")

    def __init__(self) -> None:
        self._done = False
        self._value: Any = None
        self._exc: BaseException | None = None
        self._task: Any = None

    def done(self) -> bool:
        return self._done

    def set_result(self, value: Any, /) -> None:
        if not self._done:
            self._done = True
            self._value = value
            task = self._task
            if task is not None:
                self._task = None
                _trio.lowlevel.reschedule(task)

    def set_exception(self, exc: BaseException, /) -> None:
        if not self._done:
            self._done = True
            self._exc = exc
            task = self._task
            if task is not None:
                self._task = None
                _trio.lowlevel.reschedule(task)

    def _abort(self, _raise_cancel: Any) -> Any:
        # The waiter was cancelled: the slot counts as done, so setters skip it.
        self._task = None
        self._done = True
        return _trio.lowlevel.Abort.SUCCEEDED

    def __await__(self) -> Generator[Any, Any, Any]:
        if not self._done:
            self._task = _trio.lowlevel.current_task()
            yield from _trio.lowlevel.wait_task_rescheduled(self._abort).__await__()
        if self._exc is not None:
            raise self._exc
        return self._value


_trio: Any = None


class Awaited(Protocol):
    """Something a thread or task finishes (``finished`` set, then ``slot`` set) while its
    caller awaits ``slot``."""

    slot: Any
    finished: bool


async def wait_finished(item: Awaited, wait: Callable[[Awaited], Awaitable[None]] | None = None) -> None:
    """Await ``item.slot`` (or ``wait(item)``: a polled waker's ``Waker.wait``, see ``_wake``).
    A cancelled caller still waits until ``item`` is finished (on a fresh slot, shielded:
    whoever finishes it sets the slot it finds there), then the cancellation propagates: what
    it started lands before the cancellation returns."""
    try:
        await (item.slot if wait is None else wait(item))
    except BaseException:
        if not item.finished:
            import anyio

            item.slot = current_backend().new_slot()
            with anyio.CancelScope(shield=True):
                await (item.slot if wait is None else wait(item))
        raise


def shielded() -> Any:
    """``anyio.CancelScope(shield=True)`` made with the running backend's own class: anyio
    looks the backend up (through sniffio) at every scope it makes, ~40 % of the cost of a
    scope (asyncio ~3.2 -> ~1.9 µs, trio ~6.4 -> ~4.3, whose anyio scope wraps trio's own). For
    a shield taken at every super-step (a ``sync`` durability commit)."""
    global _asyncio_scope
    if running_on_trio():
        return sys.modules["trio"].CancelScope(shield=True)
    if _asyncio_scope is None:
        import anyio

        _asyncio_scope = type(anyio.CancelScope())  # (anyio's asyncio CancelScope)
    return _asyncio_scope(shield=True)


_asyncio_scope: Any = None


def checkpoint_if_cancelled() -> Awaitable[None]:
    """``anyio.lowlevel.checkpoint_if_cancelled()`` without anyio's backend look-up (see
    :func:`shielded`)."""
    global _asyncio_backend
    if running_on_trio():
        return sys.modules["trio"].lowlevel.checkpoint_if_cancelled()  # type: ignore[no-any-return]
    if _asyncio_backend is None:
        from anyio._core._eventloop import get_async_backend

        _asyncio_backend = get_async_backend()  # (anyio's asyncio backend class)
    return _asyncio_backend.checkpoint_if_cancelled()  # type: ignore[no-any-return]


_asyncio_backend: Any = None


def running_on_trio() -> bool:
    """Whether this thread runs trio now (inside ``trio.run``, or a trio guest run's tick).

    Read from sniffio's thread-local, which trio sets while it runs (sniffio is trio's
    dependency, imported with it): ~0.08 µs where ``trio.lowlevel.in_trio_run()`` costs ~0.35
    µs on asyncio (a failed attribute lookup). Code in a host loop's callbacks beside a trio
    guest run is not on trio (``in_trio_run()`` says it is)."""
    if "trio" not in sys.modules:
        return False
    return bool(sys.modules["sniffio"].thread_local.name == "trio")


class Backend:
    """What the kernel needs from the running event loop.

    ``new_slot()`` makes a :class:`Slot`, ``clock()`` is the loop's clock (the one anyio cancel
    scope deadlines use), ``checkpoint()`` yields to the scheduler once, ``current_task()``
    returns an object identifying the running task.
    """

    __slots__ = ("name", "new_slot", "clock", "checkpoint", "current_task")

    def __init__(
        self,
        name: str,
        new_slot: Callable[[], Slot],
        clock: Callable[[], float],
        checkpoint: Callable[[], Any],
        current_task: Callable[[], object],
    ) -> None:
        self.name = name
        self.new_slot = new_slot
        self.clock = clock
        self.checkpoint = checkpoint
        self.current_task = current_task


async def _asyncio_checkpoint() -> None:
    await asyncio.sleep(0)


def current_backend() -> Backend:
    """The :class:`Backend` of the event loop running in this thread (``RuntimeError`` if none)."""
    global _trio
    if running_on_trio():
        _trio = sys.modules["trio"]
        return Backend(
            "trio", _TrioSlot, _trio.current_time, _trio.lowlevel.checkpoint,
            _trio.lowlevel.current_task,
        )
    loop = asyncio.get_running_loop()  # raises RuntimeError outside any event loop
    return Backend(
        "asyncio", loop.create_future, loop.time, _asyncio_checkpoint, _current_task_of(loop)
    )


def _current_task_of(loop: asyncio.AbstractEventLoop) -> Callable[[], object]:
    """``asyncio.current_task`` on ``loop``. Python 3.11's is a Python function (it looks the
    running loop up again, then the C task registry): the inline dispatcher asks it for every
    message, so ask the registry directly there (3.12+: the C function)."""
    registry = getattr(asyncio.tasks, "_current_tasks", None)
    if sys.version_info < (3, 12) and isinstance(registry, dict):
        return functools.partial(registry.get, loop)
    return asyncio.current_task
