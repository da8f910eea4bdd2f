"""How a thread of ours wakes the event loop when something it was handed is done.

The plain way is the loop's thread-safe "call this soon": ``call_soon_threadsafe`` on asyncio,
the trio token's ``run_sync_soon`` on trio. On asyncio, where the OS has eventfd (Linux), a
:class:`Waker` has the thread write to one instead: a reader registered once on the loop drains
what the threads finished (a ``deque``) and hands each item to the owner's ``on_done`` — no
self-pipe write, no handle made and queued by ``call_soon_threadsafe``. The items and what else
a thread posts with ``call_soon_threadsafe`` (a sync node's stream events) keep their order:
both are queued at once, the fd's readiness is seen at the loop's next poll.

On trio the token is used, unless the owner asks for a *polled* waker (``polled=True``, the
worker threads'): then the threads write to an eventfd and the owner's waiting tasks themselves
take turns reading it (``trio.lowlevel.wait_readable``, :meth:`Waker.wait`) and draining it — one
scheduler pass per wake-up instead of two (the token's entry-queue task, then the waiter), ~7
µs of a ~19 µs round trip. What else such a thread hands to the loop goes through the same
queue (:meth:`Waker.post`, found by :func:`thread_poster`), so it keeps its order with the
items: a sync node's stream events reach the hub before the news that the node returned. (The
token beside an fd read by a task lost that order: a stream event reached a subscriber after
the run had ended, 7 runs in 30 of an ``ActorSystem`` test.)

Measured (a loop -> thread -> loop round trip): the SQLite saver's database thread went from
24-45 to 16-19 µs with the other core busy and from 135-240 to 118-180 µs on an idle machine.
Where there is no eventfd, or the asyncio loop cannot watch a file descriptor (not a selector
loop), the plain way is used.

A waker is made on the loop's thread; :meth:`Waker.aclose` (on that thread, once the threads
that use it are joined) hands the items still queued to ``on_done``, unregisters the fd and
closes it: a thread never writes to a closed (or reused) descriptor.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sys
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, TypeVar


from ._slot import Awaited, current_backend, running_on_trio

T = TypeVar("T")


def eventfd() -> int | None:
    """A non-blocking eventfd (Linux), or None where there is none."""
    if sys.platform != "linux":
        return None
    try:
        return os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
    except (AttributeError, OSError):
        return None


def eventfd_clear(fd: int) -> None:
    try:
        os.eventfd_read(fd)
    except BlockingIOError:  # (a write still to come: the waiter checks its item again)
        pass


_TAKE_OVER: Any = object()
"""What a task waiting on a polled waker is woken with when it is to read the fd in turn."""


class _Posted:
    """A call a thread hands to the loop through a polled waker's queue (:meth:`Waker.post`)."""

    __slots__ = ("fn", "args")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.args = args


_thread_post = threading.local()


def thread_poster() -> Callable[..., Any] | None:
    """In a thread of an owner with a polled waker (a supervisor's worker thread on trio): its
    :meth:`Waker.post`, which keeps what the thread posts in order with its calls' outcomes;
    None in any other thread."""
    post: Callable[..., Any] | None = getattr(_thread_post, "post", None)
    return post


def adopt_poster(post: Callable[..., Any] | None) -> None:
    """In a new thread of an owner: what :func:`thread_poster` returns there."""
    _thread_post.post = post


class Waker(Generic[T]):
    """The wake-ups of one owner's threads (see the module docstring).

    ``notify(item)`` (from a thread): have ``on_done(item)`` called on the loop, in the order
    the items were notified. ``fd`` is the eventfd (asyncio; trio when ``polled``), None where
    the plain way is used. ``polled`` (trio only; ignored on asyncio): nobody watches the fd for
    the owner, whose waiting tasks read it in turn (:meth:`wait`; see the module docstring);
    ``polled`` tells whether that is how this waker works."""

    __slots__ = ("fd", "notify", "polled", "_on_done", "_finished", "_loop", "_reading", "_waiters")

    def __init__(self, on_done: Callable[[T], None], polled: bool = False) -> None:
        self._on_done = on_done
        self.fd: int | None = None
        self._finished: deque[Any] | None = None  # the items for the reader
        self._loop: asyncio.AbstractEventLoop | None = None
        self.notify: Callable[[T], Any]
        self.polled = False
        self._reading = False  # (polled) some task is reading the fd
        self._waiters: set[Awaited] = set()  # (polled) what the waiting tasks wait for
        if running_on_trio():  # (trio: its token, unless polled; see the module docstring)
            fd = eventfd() if polled else None
            if fd is not None:
                self.fd, self._finished, self.polled = fd, deque(), True
                self.notify = functools.partial(_notify_fd, self._finished.append, fd)
                return
            token = sys.modules["trio"].lowlevel.current_trio_token()
            self.notify = functools.partial(token.run_sync_soon, on_done)
            return
        loop = asyncio.get_running_loop()
        post: Callable[..., Any] = loop.call_soon_threadsafe
        self.notify = functools.partial(post, on_done)
        fd = eventfd()
        if fd is None:
            return
        try:
            loop.add_reader(fd, self._drain)
        except (NotImplementedError, RuntimeError, ValueError, OSError):  # not a selector loop
            os.close(fd)
            return
        self.fd, self._loop, self._finished = fd, loop, deque()
        self.notify = functools.partial(_notify_fd, self._finished.append, fd)

    async def wait(self, waiter: Awaited) -> None:
        """(trio, a polled waker; on the loop's thread) Return once ``waiter`` is finished (its
        ``on_done`` ran). One waiting task at a time reads the fd (trio allows one reader) and
        drains it, which finishes the items it finds (their waiters woken through their slots);
        the others wait on their slot. A reader whose own wait is over hands the reading to
        another waiting task (woken with :data:`_TAKE_OVER`). A cancellation is raised as it
        comes (a caller that must see the outcome waits again, shielded)."""
        waiters = self._waiters
        waiters.add(waiter)
        try:
            await self._pump(waiter)
        finally:
            waiters.discard(waiter)

    async def _pump(self, waiter: Awaited) -> None:
        trio = sys.modules["trio"]
        fd = self.fd
        assert fd is not None
        while not waiter.finished:
            if self._reading:  # somebody reads: wait to be finished, or to read in turn
                slot = waiter.slot
                if slot is None or slot.done():
                    slot = waiter.slot = current_backend().new_slot()
                try:
                    await slot
                except BaseException:
                    if waiter.finished:  # (its outcome, handed to the slot: the owner reads it)
                        break
                    raise  # cancelled (trio: raised again at the next checkpoint if swallowed)
                continue
            self._reading = True
            try:
                await trio.lowlevel.wait_readable(fd)
            finally:
                self._reading = False
            self._drain()
        for other in self._waiters:  # hand the reading over, if another task waits
            if not other.finished and other.slot is not None and not other.slot.done():
                other.slot.set_result(_TAKE_OVER)
                break

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        """(From a thread; a polled waker's) Have ``fn(*args)`` called on the loop, in order
        with the items notified. ``fn`` must not raise."""
        assert self._finished is not None and self.fd is not None
        _notify_fd(self._finished.append, self.fd, _Posted(fn, args))

    def _drain(self) -> None:
        """The eventfd is readable (the reader callback; a polled waker's reading task): hand
        on the finished items, and run what was posted, in order."""
        fd, finished, on_done = self.fd, self._finished, self._on_done
        assert fd is not None and finished is not None
        eventfd_clear(fd)  # (first: an item appended after this makes the fd readable again)
        while finished:
            item = finished.popleft()
            if type(item) is _Posted:
                item.fn(*item.args)
            else:
                on_done(item)


    async def aclose(self) -> None:
        """On the loop's thread, the threads joined: hand on what is left, then unregister and
        close the fd."""
        if self.fd is not None:
            self._drain()
            self.close()

    def close(self) -> None:
        """Unregister and close the fd now (no thread writes to it any more)."""
        fd, self.fd = self.fd, None
        if fd is None:
            return
        try:
            if self._loop is not None:
                self._loop.remove_reader(fd)
            elif self.polled:  # (trio may still have it registered)
                sys.modules["trio"].lowlevel.notify_closing(fd)
        except Exception:  # (the loop is closing: nothing to unregister from)
            pass
        finally:
            os.close(fd)


def _notify_fd(append: Callable[[Any], None], fd: int, item: Any) -> None:
    append(item)
    os.eventfd_write(fd, 1)
