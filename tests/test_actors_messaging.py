"""Messaging guarantees of task-dispatched actors: ordering, exclusivity, ask, backpressure."""

from __future__ import annotations

import asyncio
import inspect
import math
from collections.abc import Callable
from typing import Any

import anyio
import anyio.lowlevel
import msgspec
import pytest
from anyio.abc import TaskGroup, TaskStatus

import actorgraph.actors
from actorgraph.actors import (
    Actor,
    ActorRef,
    ActorStopped,
    AskTimeout,
    MailboxFull,
    MailboxStatistics,
    Supervisor,
)

pytestmark = pytest.mark.anyio


class Note(msgspec.Struct, frozen=True):
    sender: int
    seq: int


class Recorder(Actor):
    """Records every message; ``"log"`` returns the record, ``"hold"`` waits for ``release``."""

    def __init__(self) -> None:
        self.log: list[Any] = []
        self.active = 0
        self.max_active = 0
        self.entered = anyio.Event()
        self.release = anyio.Event()

    async def handle(self, message: Any) -> Any:
        if message == "log":
            return list(self.log)
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            self.log.append(message)
            if message == "hold":
                self.entered.set()
                await self.release.wait()
            else:
                # Suspend inside the handler: a second message must still not get in.
                for _ in range(3):
                    await anyio.lowlevel.checkpoint()
            return message
        finally:
            self.active -= 1


async def ask_in_background(tg: TaskGroup, ref: ActorRef, message: Any, out: list[Any]) -> None:
    """Start a task asking ``message``; returns once the message is queued (or refused)."""

    async def asker(*, task_status: TaskStatus[None]) -> None:
        task_status.started()  # the ask below queues before this task first suspends
        try:
            out.append(await ref.ask(message))
        except Exception as exc:
            out.append(exc)

    await tg.start(asker)


def test_public_surface() -> None:
    for name in actorgraph.actors.__all__:
        obj = getattr(actorgraph.actors, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__doc__, f"actorgraph.actors.{name} has no docstring"


async def test_ask_returns_handler_value() -> None:
    class Counter(Actor):
        def __init__(self) -> None:
            self.n = 0

        async def handle(self, message: int) -> int:
            self.n += message
            return self.n

    async with Supervisor() as sup:
        ref = await sup.spawn(Counter, name="counter")
        await ref.tell(1)
        assert await ref.ask(2, timeout=5) == 3
        assert await ref.ask(0, timeout=math.inf) == 3
        assert ref.name == "counter"
        assert "counter" in repr(ref)


async def test_ask_reraises_handler_exception_unchanged() -> None:
    err = KeyError("nope")

    class Picky(Actor):
        async def handle(self, message: Any) -> Any:
            if message == "bad":
                raise err
            return "ok"

    async with Supervisor() as sup:
        ref = await sup.spawn(Picky(), policy="stop")
        with pytest.raises(KeyError) as info:
            await ref.ask("bad")
        assert info.value is err


async def test_fifo_per_sender_and_one_message_at_a_time() -> None:
    senders, per_sender = 4, 25
    async with Supervisor() as sup:
        actor = Recorder()
        ref = await sup.spawn(actor, mailbox_size=8)

        async def sender(s: int) -> None:
            for i in range(per_sender):
                await ref.tell(Note(s, i))
                if i % 3 == s % 3:
                    await anyio.lowlevel.checkpoint()

        async with anyio.create_task_group() as tg:
            for s in range(senders):
                tg.start_soon(sender, s)
        log = await ref.ask("log")
    assert len(log) == senders * per_sender
    for s in range(senders):
        assert [n.seq for n in log if n.sender == s] == list(range(per_sender))
    # Senders really interleaved, and the actor (which suspends in handle) never overlapped.
    assert [n.sender for n in log] != sorted(n.sender for n in log)
    assert actor.max_active == 1


async def test_concurrent_asks_never_overlap() -> None:
    async with Supervisor() as sup:
        actor = Recorder()
        ref = await sup.spawn(actor)
        results: list[Any] = []

        async def asker(i: int) -> None:
            results.append(await ref.ask(i))

        async with anyio.create_task_group() as tg:
            for i in range(20):
                tg.start_soon(asker, i)
    assert sorted(results) == list(range(20))
    assert actor.max_active == 1


async def test_ask_timeout_then_actor_keeps_working() -> None:
    async with Supervisor() as sup:
        actor = Recorder()
        ref = await sup.spawn(actor)
        with pytest.raises(AskTimeout) as info:
            await ref.ask("hold", timeout=0.01)
        assert isinstance(info.value, TimeoutError)
        assert info.value.actor == ref.name
        assert actor.entered.is_set()  # the message was delivered and is being handled
        actor.release.set()
        assert await ref.ask("after", timeout=5) == "after"
        assert await ref.ask("log") == ["hold", "after"]  # the late message was handled


async def test_ask_timeout_counts_waiting_for_mailbox_room() -> None:
    async with Supervisor() as sup:
        actor = Recorder()
        ref = await sup.spawn(actor, mailbox_size=1)
        await ref.tell("hold")
        await actor.entered.wait()
        await ref.tell("queued")  # fills the mailbox
        with pytest.raises(AskTimeout):
            await ref.ask("no room", timeout=0.01)
        assert ref.statistics().senders_waiting == 0
        actor.release.set()
        assert await ref.ask("log") == ["hold", "queued"]


async def test_full_mailbox_blocks_tell_and_refuses_tell_nowait() -> None:
    async with Supervisor() as sup:
        actor = Recorder()
        ref = await sup.spawn(actor, mailbox_size=2)
        await ref.tell("hold")
        await actor.entered.wait()
        await ref.tell(1)
        ref.tell_nowait(2)
        assert ref.statistics() == MailboxStatistics(
            current_size=2, capacity=2, senders_waiting=0, receiver_waiting=False, closed=False
        )
        with pytest.raises(MailboxFull) as info:
            ref.tell_nowait(3)
        assert (info.value.actor, info.value.capacity) == (ref.name, 2)

        delivered = anyio.Event()

        async def blocked_sender(*, task_status: TaskStatus[None]) -> None:
            task_status.started()
            await ref.tell(3)
            delivered.set()

        async with anyio.create_task_group() as tg:
            await tg.start(blocked_sender)
            # The sender ran until it parked: it is waiting for room, not done.
            assert not delivered.is_set()
            assert ref.statistics().senders_waiting == 1
            actor.release.set()
            await delivered.wait()
        assert await ref.ask("log") == ["hold", 1, 2, 3]
        assert ref.statistics().senders_waiting == 0


async def test_sender_cancelled_right_after_wakeup_passes_room_on(anyio_backend: str) -> None:
    """A sender woken for room but cancelled before it could use it wakes the next sender.

    Only asyncio can interrupt a task that was already woken (native ``Task.cancel``, as
    ``asyncio.timeout`` does); on trio the wake-up wins and the sender delivers.
    """

    class Caller(Actor):
        def __init__(self) -> None:
            self.log: list[Any] = []
            self.release = anyio.Event()

        async def handle(self, message: Any) -> Any:
            if message == "hold":
                await self.release.wait()
            elif callable(message):
                message()  # runs right after the pop that woke the first waiting sender
                message = "called"
            self.log.append(message)
            return self.log

    cancel_first: list[Callable[[], Any]] = []
    async with Supervisor() as sup:
        actor = Caller()
        ref = await sup.spawn(actor, mailbox_size=1)
        await ref.tell("hold")
        await ref.tell(lambda: cancel_first[0]())  # fills the mailbox
        delivered = anyio.Event()

        async def second(*, task_status: TaskStatus[None]) -> None:
            task_status.started()
            await ref.tell("second")
            delivered.set()

        async with anyio.create_task_group() as tg:
            if anyio_backend == "asyncio":
                first: Any = asyncio.get_running_loop().create_task(ref.tell("first"))
                cancel_first.append(first.cancel)
                while ref.statistics().senders_waiting < 1:
                    await anyio.lowlevel.checkpoint()
            else:
                doomed = anyio.CancelScope()
                cancel_first.append(doomed.cancel)

                async def first_sender(*, task_status: TaskStatus[None]) -> None:
                    with doomed:
                        task_status.started()
                        await ref.tell("first")

                await tg.start(first_sender)
            await tg.start(second)
            assert ref.statistics().senders_waiting == 2
            actor.release.set()
            await delivered.wait()
        log = await ref.ask("log")
        if anyio_backend == "asyncio":
            with pytest.raises(asyncio.CancelledError):
                await first
            assert log == ["hold", "called", "second", "log"]
        else:
            assert log == ["hold", "called", "first", "second", "log"]


async def test_stopped_actor_refuses_messages_without_hanging() -> None:
    async with Supervisor() as sup:
        ref = await sup.spawn(Recorder())
        assert await ref.ask("x") == "x"
        await ref.stop()
        assert ref.stopped
        await ref.stop()  # idempotent
        with pytest.raises(ActorStopped):
            await ref.ask("y")
        with pytest.raises(ActorStopped):
            await ref.tell("y")
        with pytest.raises(ActorStopped):
            ref.tell_nowait("y")
        assert ref.statistics().closed
        assert sup.children() == []


async def test_queued_asks_get_actor_stopped_when_actor_stops() -> None:
    async with Supervisor() as sup:
        actor = Recorder()
        ref = await sup.spawn(actor)
        results: list[Any] = []
        async with anyio.create_task_group() as tg:
            await ask_in_background(tg, ref, "hold", results)
            await actor.entered.wait()
            queued: list[Any] = []
            for i in range(3):
                await ask_in_background(tg, ref, i, queued)
            assert ref.statistics().current_size == 3

            async def stopper() -> None:
                await ref.stop()

            tg.start_soon(stopper)
            # Queued asks fail as soon as the stop is requested, before the handler finishes.
            while len(queued) < 3:
                await anyio.lowlevel.checkpoint()
            assert not ref.stopped
            actor.release.set()
        assert results == ["hold"]  # the message being handled completes
        assert all(isinstance(r, ActorStopped) for r in queued)
        assert ref.stopped
        assert actor.log == ["hold"]


async def test_stop_from_own_handler() -> None:
    class Quitter(Actor):
        def __init__(self) -> None:
            self.ref: ActorRef | None = None
            self.stopped = False

        async def handle(self, message: Any) -> Any:
            assert self.ref is not None
            await self.ref.stop()  # only requests the stop: must not deadlock
            return "bye"

        async def on_stop(self) -> None:
            self.stopped = True

    async with Supervisor() as sup:
        actor = Quitter()
        ref = await sup.spawn(actor)
        actor.ref = ref
        assert await ref.ask("quit") == "bye"
        await ref.stop()
        assert actor.stopped and ref.stopped


async def test_on_start_and_on_stop_bracket_messages() -> None:
    events: list[str] = []

    class Lifecycle(Actor):
        async def on_start(self) -> None:
            events.append("start")

        async def handle(self, message: Any) -> Any:
            events.append(f"handle {message}")

        async def on_stop(self) -> None:
            events.append("stop")

    async with Supervisor() as sup:
        ref = await sup.spawn(Lifecycle())
        await ref.ask(1)
        await ref.tell(2)
    assert events == ["start", "handle 1", "handle 2", "stop"]


async def test_pending_ask_gets_actor_stopped_when_supervisor_exits() -> None:
    results: list[Any] = []
    actor = Recorder()
    async with anyio.create_task_group() as outside:
        async with Supervisor() as sup:
            ref = await sup.spawn(actor)
            await ask_in_background(outside, ref, "hold", results)
            await actor.entered.wait()
        # The supervisor cancelled the actor in the middle of its handler.
    assert len(results) == 1 and isinstance(results[0], ActorStopped)
    assert ref.stopped
