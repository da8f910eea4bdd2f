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

The threads serve the supervisor while it runs: taken when first needed (one per concurrent
call, at most :data:`MAX_THREADS`; further calls wait for one to be free) and reused. When it
stops — once the calls in progress have returned — they go back to a cache of idle threads that
the next supervisor takes from (its first call bound to it, its loop and its wake-up path), as
trio's and anyio's thread machinery keep theirs: a run of ``def`` nodes under ``ainvoke()``
would otherwise start a thread and stop and join it again every time (~300 µs a run on the
2-core guests here, more than a short run's steps). An idle thread runs nothing and holds
nothing of a call; after :data:`IDLE_TIMEOUT` seconds without one it exits, and
:func:`stop_idle_threads` stops and joins the idle ones at once. A call is never abandoned:
if the task awaiting it is cancelled, the thread still runs it to the end, and the
supervisor's exit waits for that.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import os
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

IDLE_TIMEOUT = 10.0
"""Seconds an idle thread waits for a call before it exits (trio's and anyio's figure)."""

IDLE_NAME = "actorgraph/idle-thread"
"""The name of a thread waiting in the cache (a supervisor's are ``<name>/thread-<i>``)."""

_STOP: Any = object()

try:  # (anyio's optional dependency, by which it and others tell which loop runs the thread)
    from sniffio import current_async_library_cvar as _async_library
except ImportError:  # pragma: no cover
    _async_library = None  # type: ignore[assignment]


class _Binding:
    """What a thread serving one :class:`WorkerThreads` works with: its loop's anyio token (for
    ``anyio.from_thread``; on trio, trio's for ``trio.from_thread``), how it hands back an
    outcome (``notify``, the waker's) and what it posts to the loop in order with the outcomes
    (a polled waker's ``post``). ``lock`` is held while a thread notifies: the owner takes it
    once the outcomes are in, before closing the waker, so no thread still writes to its fd."""

    __slots__ = ("token", "notify", "post", "lock")

    def __init__(self, token: Any, waker: Waker[Any]) -> None:
        self.token = token
        self.notify = waker.notify
        self.post = waker.post if waker.polled else None
        self.lock = threading.Lock()

    def adopt(self) -> None:
        """In a worker thread, before its first call for this owner."""
        # anyio.from_thread.run()/run_sync() work here as in anyio's own worker threads (user
        # code in sync graph nodes calls them): anyio finds the loop in this thread-local
        _anyio_threadlocals.current_token = self.token
        if self.token.backend_class.__module__.endswith("_trio"):
            _adopt_for_trio(self.token.native_token)
        elif "trio" in sys.modules:  # (a cached thread that served a trio run: that run is over)
            _forget_trio()
        adopt_poster(self.post)  # (what this thread posts to the loop keeps its order with its calls)


class _Call:
    """One call handed to a worker: what to run, and (once ``finished``) its outcome. ``slot`` is
    what its caller awaits (replaced by another one if the first was cancelled)."""

    __slots__ = ("fn", "context", "slot", "worker", "binding", "finished", "result", "exc")

    def __init__(self, fn: Callable[[], Any], context: contextvars.Context, slot: Slot | None,
                 worker: _Worker, binding: _Binding) -> None:
        self.fn = fn
        self.context = context
        self.slot = slot
        self.worker: _Worker | None = worker
        self.binding = binding
        self.finished = False
        self.result: Any = None
        self.exc: BaseException | None = None


class _Exits:
    """What :meth:`WorkerThreads.aclose` waits for: the calls in progress have returned
    (``finished``)."""

    __slots__ = ("slot", "finished")

    def __init__(self, slot: Slot) -> None:
        self.slot: Slot | None = slot
        self.finished = False


_cache_lock = threading.Lock()
_cached: list[_Worker] = []
"""The idle threads, the most recently used last (the next taken: its caches are warm)."""


def _take_cached() -> _Worker | None:
    with _cache_lock:
        return _cached.pop() if _cached else None


def cached_threads() -> list[threading.Thread]:
    """The threads idle in the cache now (see the module docstring)."""
    with _cache_lock:
        return [worker.thread for worker in _cached]


def stop_idle_threads() -> None:
    """Stop the idle threads now and join them (each exits as soon as it sees the request;
    none runs a call). Threads serving a supervisor are not affected."""
    with _cache_lock:
        workers = _cached[:]
        _cached.clear()
    for worker in workers:
        worker.queue.put(_STOP)
    for worker in workers:
        worker.thread.join()


def _forget_cached() -> None:
    # (in a forked child: the parent's threads do not exist here)
    global _cache_lock
    _cache_lock = threading.Lock()
    _cached.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_cached)


class _Worker:
    __slots__ = ("queue", "thread")

    def __init__(self, name: str) -> None:
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._serve, name=name, daemon=True)

    def _serve(self) -> None:
        get = self.queue.get
        bound: _Binding | None = None
        while True:
            try:
                item = get(timeout=IDLE_TIMEOUT)
            except queue.Empty:
                with _cache_lock:
                    if self not in _cached:
                        continue  # (taken meanwhile: its call is on the way)
                    _cached.remove(self)
                return
            if item is _STOP:
                return
            call: _Call = item
            item = None  # (keep nothing of a finished call alive while idle)
            binding = call.binding
            try:
                if binding is not bound:
                    bound = None
                    binding.adopt()  # (failing, the caller learns why: not a thread gone silent)
                    bound = binding
                call.result = call.context.run(call.fn)
            except BaseException as exc:  # handed to the caller, whatever it is
                call.exc = exc
            with binding.lock:
                binding.notify(call)
            call = binding = None  # type: ignore[assignment]


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


def _forget_trio() -> None:
    """In a worker thread: it no longer works for a trio run (``trio.from_thread`` says so, as
    in a thread trio did not start)."""
    from trio._threads import PARENT_TASK_DATA

    for name in ("token", "abandon_on_cancel", "cancel_register", "task_register"):
        PARENT_TASK_DATA.__dict__.pop(name, None)


class WorkerThreads:
    """The worker threads of one supervisor (see the module docstring). Made and used on the
    supervisor's event loop only."""

    __slots__ = ("_name", "_backend", "_binding", "_waker", "_idle", "_workers", "_waiting", "_exits",
                 "_closed")

    def __init__(self, name: str, backend: Backend) -> None:
        self._name = name
        self._backend = backend
        # (a thread's outcomes reach _done in the order the thread sent them; on trio the
        # waiting tasks read the waker's fd themselves, one at a time: Waker.wait)
        self._waker: Waker[_Call] = Waker(self._done, polled=True)
        self._binding = _Binding(anyio.lowlevel.current_token(), self._waker)
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
            name = f"{self._name}/thread-{len(self._workers)}"
            cached = _take_cached()
            if cached is None:
                worker = _Worker(name)
                worker.thread.start()
            else:
                worker = cached
                worker.thread.name = name
            self._workers.append(worker)
        context = contextvars.copy_context()
        if _async_library is not None:
            context.run(_async_library.set, None)  # no event loop runs in the thread (anyio does so too)
        slot = self._backend.new_slot()
        call = _Call(fn, context, slot, worker, self._binding)
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

    def _done(self, call: _Call) -> None:
        # On the event loop: a call returned.
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
        exits = self._exits
        if exits is not None and len(self._idle) == len(self._workers):
            exits.finished = True
            if exits.slot is not None and not exits.slot.done():
                exits.slot.set_result(None)
        while self._waiting:
            wait = self._waiting.popleft()
            if not wait.done():
                wait.set_result(None)
                break

    async def aclose(self) -> None:
        """Once every call in progress has returned (its caller answered), hand the threads to
        the cache of idle threads and close the eventfd (no thread writes to it any more). The
        wait cannot be cancelled (the caller shields it): a call is never abandoned."""
        self._closed = True
        if len(self._idle) < len(self._workers):
            exits = self._exits = _Exits(self._backend.new_slot())
            if self._waker.polled:
                await self._waker.wait(exits)
            else:
                assert exits.slot is not None
                await exits.slot
        workers, self._workers, self._idle = self._workers, [], []
        with self._binding.lock:  # (a thread still in notify() has written its wake-up once it is free)
            for worker in workers:
                worker.thread.name = IDLE_NAME
            with _cache_lock:
                _cached.extend(workers)
        await self._waker.aclose()  # (no thread writes to its fd any more)
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
