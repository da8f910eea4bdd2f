"""Live streams: what ``CompiledGraph.astream`` returns.

The run's actor tree must not live inside the consumer's ``async for`` (an async generator
cannot yield from inside a task group or cancel scope: the consumer's task moves on between
items). So the run is hosted by a task of its own and its events reach the consumer through a
:class:`Subscriber` of the run's stream hub, the moment they are published:

* ``async for chunk in graph.astream(...)``: the run is hosted by a task rooted at the event loop
  (an asyncio task; a trio system task), started at the first iteration. Leaving the loop early
  (``break``, an exception, the consumer cancelled) cancels the run and, through ``aclose()``,
  waits for it; an abandoned stream is cancelled when it is garbage collected (at once, in
  CPython). A sync node running in a worker thread is waited for, never abandoned.
* ``async with graph.astream(...) as events:`` (fully structured): the run is a child task of
  the caller's task group for the block; leaving the block cancels it and waits for it.
* sync ``stream()`` (:func:`iterate_pumped`): the run is hosted as for ``async for``, on the
  calling thread's private loop, which the iterator runs until the next event (no second
  thread); from a sync node on a loop's thread (:func:`iterate_blocking`), on a blocking
  portal's loop, the calling thread reading the subscriber itself, waiting on a thread event.

The run's own exception reaches the consumer unchanged, after every event published before it.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import anyio
import anyio.abc
from anyio.from_thread import BlockingPortal

from . import _private_loop
from ..actors._slot import running_on_trio
from ._loop import SYNC_API, SYNC_CALLER, Run
from ._stream import StreamEvent, Subscriber
from ._task import is_cancelled

CAPACITY = 1024
"""Events a consumer may fall behind before the run waits for it at the next barrier."""


class _Host:
    """The task side of a :class:`RunStream`: runs the run, hands its outcome to the subscriber.

    Kept apart from the stream object, which the hosting task must not reference: an abandoned
    stream has to become garbage (and cancel the run) while the run still runs.
    """

    __slots__ = ("sub", "scope", "done", "error", "cancelled", "run_")

    def __init__(self, sub: Subscriber) -> None:
        self.sub = sub
        self.scope: anyio.CancelScope | None = None
        self.done = anyio.Event()
        self.error: BaseException | None = None
        self.cancelled = False
        self.run_: Run | None = None

    async def run(self, run: Run, value: Any) -> None:
        self.run_ = run
        try:
            with anyio.CancelScope() as self.scope:
                if self.cancelled:
                    self.scope.cancel()
                await run.run(value)
        except BaseException as exc:
            if not is_cancelled(exc):
                self.error = exc  # to the consumer, unchanged
            else:
                raise  # not our cancellation: the event loop is shutting down
        finally:
            self.sub.close(self.error)
            self.done.set()

    def cancel(self) -> None:
        self.cancelled = True
        if self.scope is not None:
            self.scope.cancel()

    def abandon(self) -> None:
        """Cancel the run of a stream nobody iterates any more, which nobody will wait for: a
        run on its thread may start meanwhile, and waits for this one to stop
        (``Persistence.claim_after_abandoned``) instead of failing as a concurrent run."""
        run = self.run_
        if run is not None:
            run.persist.abandoned = True
        self.cancel()

    async def wait(self) -> None:
        if not self.done.is_set():
            with anyio.CancelScope(shield=True):
                await self.done.wait()


class RunStream:
    """An async iterator of one run's stream chunks (LangGraph's shapes), that is also an async
    context manager. Iterate it once, from one task."""

    def __init__(self, start: Callable[[], tuple[Run, Subscriber, Any]], single: bool, subgraphs: bool) -> None:
        self._start = start  # builds the run (errors surface at the first iteration, as LangGraph's)
        self._single = single
        self._subgraphs = subgraphs
        self._host: _Host | None = None
        self._group: anyio.abc.TaskGroup | None = None

    # -- hosting -------------------------------------------------------------------------------

    def _prepare(self) -> tuple[_Host, Run, Any]:
        run, sub, value = self._start()
        self._host = host = _Host(sub)
        return host, run, value

    def _start_rooted(self) -> None:
        host, run, value = self._prepare()
        context = contextvars.copy_context()
        if running_on_trio():
            sys.modules["trio"].lowlevel.spawn_system_task(host.run, run, value, name="actorgraph.astream", context=context)
        else:
            # the loop keeps running tasks referenced; the host is reachable from the task only
            _tasks.add(task := asyncio.get_running_loop().create_task(host.run(run, value), context=context))
            task.add_done_callback(_tasks.discard)

    async def aclose(self) -> None:
        """Cancel the run if it still runs and wait until it has stopped."""
        host = self._host
        if host is not None:
            host.cancel()
            await host.wait()

    def __del__(self) -> None:
        # Abandoned without aclose() (a plain ``break`` out of ``async for``): stop the run.
        host = self._host
        if host is not None and not host.done.is_set() and self._group is None:
            try:
                host.abandon()
            except Exception:  # the event loop is already gone: so is the run
                pass

    # -- the structured form ----------------------------------------------------------------------

    async def __aenter__(self) -> RunStream:
        if self._host is not None:
            raise RuntimeError("this stream was already started")
        host, run, value = self._prepare()
        self._group = group = anyio.create_task_group()
        await group.__aenter__()
        group.start_soon(host.run, run, value)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> bool | None:
        assert self._group is not None and self._host is not None
        self._host.cancel()
        try:
            return await self._group.__aexit__(exc_type, exc, tb)
        except BaseExceptionGroup as group:
            # the host never raises into the group: it only holds the block's own exception,
            # which leaves the block unchanged (not wrapped)
            if exc is not None and group.exceptions == (exc,):
                return False
            raise

    # -- iterating ---------------------------------------------------------------------------------

    def __aiter__(self) -> RunStream:
        return self

    async def __anext__(self) -> Any:
        if self._host is None:
            self._start_rooted()
        assert self._host is not None
        sub = self._host.sub
        while True:
            try:
                event: StreamEvent = await sub.__anext__()
            except StopAsyncIteration:
                await self.aclose()  # (the run has ended: this only waits for its last breath)
                raise
            except BaseException:
                await self.aclose()  # the run's error, or the consumer cancelled: the run stops too
                raise
            chunk = self._chunk(event)
            if chunk is not SKIP:
                return chunk

    def _chunk(self, event: StreamEvent) -> Any:
        """What the consumer gets for ``event`` (LangGraph's shape); :data:`SKIP`: nothing."""
        if self._subgraphs:
            return (event.ns, event.chunk) if self._single else (event.ns, event.mode, event.chunk)
        return event.chunk if self._single else (event.mode, event.chunk)


SKIP: Any = object()
"""What :meth:`RunStream._chunk` returns for an event its consumer does not get."""


def _start_sync(stream: RunStream, inline: bool) -> Subscriber:
    """On the run's loop: start ``stream``'s run for the sync API (``inline``: see
    :func:`iterate_blocking`); its subscriber, to which nothing is published yet."""
    SYNC_CALLER.set(True)  # (the run copies this context: it knows the sync API started it)
    if inline:
        SYNC_API.set(True)
    stream._start_rooted()  # (the host task runs once this returns: nothing is published yet)
    assert stream._host is not None
    return stream._host.sub


def iterate_blocking(stream: RunStream, portal: BlockingPortal, inline: bool = False) -> Iterator[Any]:
    """Iterate ``stream`` from a thread that runs no event loop (sync ``stream()``): the run is
    hosted on ``portal``'s loop, as ``async for`` hosts it, and this thread reads the events
    from the run's subscriber directly, waiting on a thread event the hub sets (no call through
    the portal per event). Closing the iterator early cancels the run and waits for it; the
    run's exception is raised here unchanged, after every event published before it.

    ``inline``: a sync node that is its step's only task runs on the loop's thread, as under
    ``invoke()`` (no hand-off to a worker thread per step). Only for a stream whose events are
    all made on the loop's thread (at the barrier, or by the node itself): what other threads
    post to the loop — a thread the node starts, a graph it calls with the sync API — waits
    until the node returns, and would not reach the consumer live."""

    def start() -> Subscriber:
        sub = _start_sync(stream, inline)
        sub.attach_thread()
        return sub

    sub = portal.call(start)
    try:
        while True:
            event = sub.next_blocking()
            if event is None:
                return
            chunk = stream._chunk(event)
            if chunk is not SKIP:
                yield chunk
    finally:
        portal.call(stream.aclose)


def iterate_pumped(stream: RunStream, inline: bool = False) -> Iterator[Any]:
    """Iterate ``stream`` on the calling thread's private event loop (sync ``stream()`` called
    outside any event loop), as LangGraph's sync stream runs its loop in the caller's thread:
    the loop runs until the next event (``Subscriber.next_pumped``), and stops at each barrier
    that made one; no second thread, no hand-off per event. The run does not go on while the
    caller holds a chunk (its worker threads do). Whichever thread resumes the iterator runs
    the loop (LangChain's ``RunnableParallel`` and Starlette's ``iterate_in_threadpool`` take
    chunks from their pools' threads): what must know "the loop's thread" asks which loop runs
    here (``current_loop_checker``). Meanwhile the thread's other sync calls run on loops of
    their own (``_private_loop.own_loop``). Closing the iterator early cancels the run and
    waits for it; the run's exception is raised here unchanged, after every event published
    before it. ``inline``: as for :func:`iterate_blocking`."""
    loop, owned = _private_loop.own_loop(hold=True)

    async def start() -> Subscriber:
        sub = _start_sync(stream, inline)
        sub.pump(loop)
        return sub

    interrupted = False
    try:
        sub = _private_loop.drive(loop, start())
        while True:
            event = sub.next_pumped(loop)
            if event is None:
                return
            chunk = stream._chunk(event)
            if chunk is not SKIP:
                yield chunk
    except BaseException as exc:
        interrupted = not isinstance(exc, (Exception, GeneratorExit))  # (KeyboardInterrupt...)
        raise
    finally:
        try:
            _private_loop.drive(loop, stream.aclose())
        finally:
            _private_loop.settle(loop, owned, interrupted)


_tasks: set[asyncio.Task[None]] = set()
