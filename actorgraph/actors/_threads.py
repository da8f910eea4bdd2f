"""Worker threads that belong to a supervisor: sync code off the event loop, never abandoned.

``anyio.to_thread.run_sync`` costs ~100-150 µs a call on this project's machines on asyncio (a
capacity limiter, a cancel scope, its worker's bookkeeping) and trio's own thread machinery about
as much: more than most sync graph nodes take. On asyncio, too, a native ``task.cancel()`` (an
``asyncio.TaskGroup`` aborting) makes an anyio caller leave while the thread still runs. A
supervisor's :class:`WorkerThreads` hands a call to an idle thread of its own over a
``queue.SimpleQueue`` and is woken through an eventfd where the OS has one (Linux; see
:mod:`._wake`: on asyncio a reader callback, on trio the waiting callers take turns reading it,
:meth:`._wake.Waker.wait`), else the loop's thread-safe "call this soon"
(``call_soon_threadsafe`` on asyncio, the trio token's ``run_sync_soon`` on trio): what is left
is the two thread wake-ups themselves (a no-op call's round trip on a quiet 2-core VM, p50:
~85-115 µs through "call this soon", ~70-95 µs through the eventfd). In the
thread, ``anyio.from_thread`` and (on trio) ``trio.from_thread`` work as in anyio's and trio's
own workers.

The threads are the supervisor's: made when first needed (one per concurrent call, at most
:data:`MAX_THREADS`; further calls wait for one to be free), reused while it runs, and stopped
and joined when it stops — after the calls in progress have returned. A call is never abandoned:
if the task awaiting it is cancelled, the thread still runs it to the end, and the supervisor's
exit waits for that.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import queue
import sys
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel
from anyio._core._eventloop import threadlocals as _anyio_threadlocals

from ._slot import Backend, Slot
from ._slot import running_on_trio
from ._wake import Waker, adopt_poster, thread_poster

T = TypeVar("T")

MAX_THREADS = 40
"""Threads one supervisor runs at once (anyio's default thread limit)."""

_STOP = None

try:  # (anyio's optional dependency, by which it and others tell which loop runs the thread)
    from sniffio import current_async_library_cvar as _async_library
except ImportError:  # pragma: no cover
    _async_library = None  # type: ignore[assignment]


class _Call:
    """One call handed to a worker: what to run, and (once ``finished``) its outcome. ``slot`` is
    what its caller awaits (replaced by another one if the first was cancelled)."""

    __slots__ = ("fn", "context", "slot", "worker", "finished", "result", "exc")

    def __init__(self, fn: Callable[[], Any], context: contextvars.Context, slot: Slot | None,
                 worker: _Worker) -> None:
        self.fn = fn
        self.context = context
        self.slot = slot
        self.worker: _Worker | None = worker
        self.finished = False
        self.result: Any = None
        self.exc: BaseException | None = None


class _Exits:
    """What :meth:`WorkerThreads.aclose` waits for: every thread has exited (``finished``)."""

    __slots__ = ("slot", "finished")

    def __init__(self, slot: Slot) -> None:
        self.slot: Slot | None = slot
        self.finished = False


class _Worker:
    __slots__ = ("queue", "thread")

    def __init__(self, name: str, waker: Waker[Any], token: Any) -> None:
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._serve, args=(waker, token), name=name, daemon=True)

    def _serve(self, waker: Waker[Any], token: Any) -> None:
        # anyio.from_thread.run()/run_sync() work here as in anyio's own worker threads (user
        # code in sync graph nodes calls them): anyio finds the loop in this thread-local
        _anyio_threadlocals.current_token = token
        if token.backend_class.__module__.endswith("_trio"):
            _adopt_for_trio(token.native_token)
        if waker.polled:  # (what this thread posts to the loop keeps its order with its calls)
            adopt_poster(waker.post)
        get, notify = self.queue.get, waker.notify
        while True:
            item = get()
            if item is _STOP:
                notify(self)  # "exited" (after its calls' outcomes): the loop may join us now
                return
            call: _Call = item
            item = None  # (keep nothing of a finished call alive while idle)
            try:
                call.result = call.context.run(call.fn)
            except BaseException as exc:  # handed to the caller, whatever it is
                call.exc = exc
            notify(call)
            call = None  # type: ignore[assignment]


def _adopt_for_trio(trio_token: Any) -> None:
    """In a worker thread on trio: tell trio which run the thread works for, as
    ``trio.to_thread.run_sync`` does in its own threads (trio has no public way to; without it
    ``trio.from_thread`` — and ``anyio.from_thread``, which relies on it there — asks for
    ``trio_token=``). The calls it sends run as with an explicit token (in trio's system
    nursery), and ``trio.from_thread.check_cancelled()`` never raises: a call of ours is never
    abandoned, so there is no cancellation to report in the thread."""
    from trio._threads import PARENT_TASK_DATA  # (a name an update of trio may move: tested)

    PARENT_TASK_DATA.token = trio_token
    PARENT_TASK_DATA.abandon_on_cancel = True
    PARENT_TASK_DATA.cancel_register = [None]
    PARENT_TASK_DATA.task_register = [None]


class WorkerThreads:
    """The worker threads of one supervisor (see the module docstring). Made and used on the
    supervisor's event loop only."""

    __slots__ = ("_name", "_backend", "_token", "_waker", "_idle", "_workers", "_waiting", "_exits", "_closed")

    def __init__(self, name: str, backend: Backend) -> None:
        self._name = name
        self._backend = backend
        # (a thread's outcomes and its exit reach _done in the order the thread sent them; on
        # trio the waiting tasks read the waker's fd themselves, one at a time: Waker.wait)
        self._waker: Waker[_Call | _Worker] = Waker(self._done, polled=True)
        self._token = anyio.lowlevel.current_token()
        self._idle: list[_Worker] = []
        self._workers: list[_Worker] = []
        self._waiting: deque[Slot] = deque()  # calls waiting for a free thread (MAX_THREADS busy)
        self._exits: _Exits | None = None
        self._closed = False

    async def run_sync(self, fn: Callable[[], T]) -> T:
        """Run ``fn()`` in one of the threads, in a copy of the caller's context; return what it
        returns or raise what it raises. The call is never abandoned: the caller awaits it
        unshielded (no cancel scope to enter and leave per call) and only a cancellation turns
        the wait into a shielded one until ``fn`` has returned. Then an anyio cancellation of
        the caller gets the outcome all the same (the cancellation takes effect at its next
        checkpoint, as if the wait had been shielded); a native ``task.cancel()`` (an
        ``asyncio.TaskGroup`` aborting) raises ``CancelledError`` (the result is dropped)."""
        if self._closed:
            raise RuntimeError(f"the worker threads of {self._name!r} are stopped")
        while not self._idle and len(self._workers) >= MAX_THREADS:
            wait = self._backend.new_slot()
            self._waiting.append(wait)
            await wait
        if self._idle:
            worker = self._idle.pop()
        else:
            worker = _Worker(f"{self._name}/thread-{len(self._workers)}", self._waker, self._token)
            self._workers.append(worker)
            worker.thread.start()
        context = contextvars.copy_context()
        if _async_library is not None:
            context.run(_async_library.set, None)  # no event loop runs in the thread (anyio does so too)
        slot = self._backend.new_slot()
        call = _Call(fn, context, slot, worker)
        worker.queue.put(call)
        if self._waker.polled:
            return await self._polled(call)  # type: ignore[no-any-return]
        try:
            return await slot  # type: ignore[no-any-return]  # (an asyncio.Future)
        except BaseException as exc:
            if call.finished and exc is call.exc:
                raise  # fn's own exception
            # cancelled (the slot was cancelled with the task, or the cancellation came after
            # the result): wait for the thread, shielded
            return await self._cancelled(call)  # type: ignore[no-any-return]

    async def _polled(self, call: _Call) -> Any:
        """(trio) ``run_sync``'s wait with a polled waker (``Waker.wait``); a cancellation is
        handled as in :meth:`_cancelled`."""
        try:
            await self._waker.wait(call)
        except BaseException:
            return await self._cancelled(call)
        if call.exc is not None:
            raise call.exc
        return call.result

    async def _cancelled(self, call: _Call) -> Any:
        by_anyio = anyio.current_effective_deadline() == -math.inf  # (else a native task.cancel())
        if not call.finished:
            call.slot = follow = self._backend.new_slot()  # (the thread tells it, not an fd)
            with anyio.CancelScope(shield=True):
                if self._waker.polled:  # (trio, a polled waker: the shielded wait reads in turn)
                    await self._waker.wait(call)
                elif self._backend.name == "trio":
                    await follow  # (trio cancels through scopes only: the shield holds)
                else:
                    # a native task.cancel() reaches through an anyio shield; asyncio.shield
                    # keeps the slot, and the wait goes on until it is done
                    while not follow.done():
                        try:
                            await asyncio.shield(follow)
                        except BaseException:
                            if not follow.done():
                                by_anyio = False
        if not by_anyio:
            raise asyncio.CancelledError  # (the call of a cancelled caller: its result is dropped)
        if call.exc is not None:
            raise call.exc
        return call.result

    def _done(self, item: _Call | _Worker) -> None:
        # On the event loop: a call returned (or, a worker, that thread exited).
        if type(item) is _Worker:
            self._workers.remove(item)
            exits = self._exits
            if not self._workers and exits is not None:
                exits.finished = True
                if exits.slot is not None and not exits.slot.done():
                    exits.slot.set_result(None)
            return
        call: _Call = item  # type: ignore[assignment]
        call.finished = True
        slot = call.slot
        assert slot is not None
        if not slot.done():  # (done: its waiter was cancelled; it looks at the call itself)
            if call.exc is None:
                slot.set_result(call.result)
            else:
                slot.set_exception(call.exc)
        self._free(call)

    def _free(self, call: _Call) -> None:
        """On the event loop: ``call`` returned; its thread is idle again."""
        worker, call.worker = call.worker, None
        assert worker is not None
        self._idle.append(worker)
        while self._waiting:
            wait = self._waiting.popleft()
            if not wait.done():
                wait.set_result(None)
                break

    async def aclose(self) -> None:
        """Stop every thread once its call in progress has returned, and join them; then close
        the eventfd (no thread writes to it any more). The wait cannot be cancelled (the caller
        shields it): a thread is never abandoned."""
        self._closed = True
        if self._workers:
            exits = self._exits = _Exits(self._backend.new_slot())
            for worker in self._workers:
                worker.queue.put(_STOP)
            workers = list(self._workers)
            if self._waker.polled:
                await self._waker.wait(exits)
            else:
                assert exits.slot is not None
                await exits.slot
            for worker in workers:
                worker.thread.join()  # it has returned from its loop: immediate
        await self._waker.aclose()  # (the threads joined: none writes to its fd any more)
        for wait in self._waiting:
            if not wait.done():
                wait.set_exception(RuntimeError(f"the worker threads of {self._name!r} are stopped"))


def current_loop_poster() -> Callable[..., Any]:
    """On an event loop's thread: that loop's thread-safe "call this soon"
    (``call_soon_threadsafe``; trio: the token's ``run_sync_soon``, or in a worker thread of a
    supervisor the queue its calls' outcomes take, see :mod:`._wake`). It returns at once; what
    is posted runs on the loop in the order it was posted, and what a worker thread posted
    before its call returned runs before the caller goes on."""
    if running_on_trio():
        # (in a worker thread of ours the waker's queue, which the calls' outcomes take too:
        # what the thread posts runs before its caller learns that the call returned)
        token_post = sys.modules["trio"].lowlevel.current_trio_token().run_sync_soon

        def post(fn: Callable[..., Any], *args: Any) -> None:
            (thread_poster() or token_post)(fn, *args)

        return post
    return asyncio.get_running_loop().call_soon_threadsafe


def current_loop_checker() -> Callable[[], bool]:
    """On an event loop's thread: a function that tells whether it is called on the thread
    running that loop now — what "the loop's thread" is where code must either act directly or
    post to the loop. An asyncio loop may be run by one thread, stopped, then run by another
    (sync ``stream()`` runs its run's loop on whichever thread iterates it), so the test is the
    loop running here, not a thread id; a trio run stays on its thread."""
    if running_on_trio():
        ident = threading.get_ident()
        get_ident = threading.get_ident
        return lambda: get_ident() == ident
    loop = asyncio.get_running_loop()
    get_ident = threading.get_ident
    if isinstance(loop, asyncio.BaseEventLoop):
        # BaseEventLoop keeps the id of the thread running it (None when stopped): also the
        # answer while a sync node runs on the loop's thread with the loop hidden from it (see
        # runtime._task.call_inline), and cheaper than asking for the running loop (on Python
        # 3.11 that is a getpid() system call, ~0.3-0.8 µs; the stream asks once per event)
        return lambda: loop._thread_id == get_ident()  # type: ignore[attr-defined]
    running = asyncio._get_running_loop
    return lambda: running() is loop or getattr(loop, "_thread_id", None) == get_ident()
