"""A structured task group on the backend's own primitive: ``asyncio.TaskGroup`` or a trio
nursery.

anyio's task group costs ~14 µs per child on asyncio (measured: 139 µs for ten no-op children
against 38 µs with ``asyncio.TaskGroup``); the super-step barrier starts a task per node, so it
uses this instead. Same guarantees: the block does not exit before every child has finished,
leaving it by cancellation cancels the children, :meth:`TaskGroup.cancel` cancels them all.
Children are expected to handle their own errors (an escaping one is raised by the native group
as an exception group).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from contextvars import Context
from types import TracebackType
from typing import Any

from ._slot import running_on_trio


class TaskGroup:
    """``async with TaskGroup() as g: g.start_soon(fn, *args)`` on asyncio or trio."""

    __slots__ = ("_native", "_nursery_cm", "_tasks", "_trio")

    def __init__(self) -> None:
        self._trio = running_on_trio()
        self._native: Any = None
        self._nursery_cm: Any = None
        self._tasks: list[asyncio.Task[Any]] = []

    async def __aenter__(self) -> TaskGroup:
        if self._trio:
            self._nursery_cm = sys.modules["trio"].open_nursery()
            self._native = await self._nursery_cm.__aenter__()
        else:
            self._native = asyncio.TaskGroup()
            await self._native.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        if self._trio:
            return await self._nursery_cm.__aexit__(exc_type, exc, tb)  # type: ignore[no-any-return]
        return await self._native.__aexit__(exc_type, exc, tb)  # type: ignore[no-any-return]

    def start_soon(self, func: Callable[..., Coroutine[Any, Any, Any]], *args: Any,
                   shielded: bool = False, context: Context | None = None) -> asyncio.Task[Any] | None:
        """Start ``func(*args)`` as a child; on asyncio, return its task (``None`` on trio).
        ``shielded`` children are not cancelled by :meth:`cancel` (on trio they run in a
        shielded cancel scope: a child that has not run yet when the group is cancelled still
        runs, as on asyncio); only a cancel scope of their own stops them. ``context`` is the
        context the child runs in, instead of a copy of the current one (on trio, a copy of
        ``context``: a nursery copies the context its child is started in)."""
        if self._trio:
            if context is not None:
                context.run(self._start_trio, func, args, shielded)
            elif shielded:
                self._native.start_soon(_shielded, func, *args)
            else:
                self._native.start_soon(func, *args)
            return None
        if context is not None:
            task: asyncio.Task[Any] = self._native.create_task(func(*args), context=context)
        else:
            task = self._native.create_task(func(*args))
        if not shielded:
            self._tasks.append(task)
        return task

    def _start_trio(self, func: Callable[..., Coroutine[Any, Any, Any]], args: tuple[Any, ...],
                    shielded: bool) -> None:
        if shielded:
            self._native.start_soon(_shielded, func, *args)
        else:
            self._native.start_soon(func, *args)

    def cancel(self) -> None:
        """Cancel every child but the shielded ones (on trio, the block's body too, as a
        nursery does)."""
        if self._trio:
            self._native.cancel_scope.cancel()
        else:
            for task in self._tasks:
                task.cancel()


async def _shielded(func: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> None:
    with sys.modules["trio"].CancelScope(shield=True):
        await func(*args)
