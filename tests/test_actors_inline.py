"""The inline dispatcher: the handler runs in the caller's task, one message at a time."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.lowlevel
import pytest
from anyio.abc import TaskStatus

from _helpers import live_tasks

from actorgraph.actors import Actor, ActorRef, ActorStopped, AskTimeout, MailboxFull, Supervisor

pytestmark = pytest.mark.anyio


class Probe(Actor):
    """Records (task id, message) pairs; suspends a few times per message; "hold" waits."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, Any]] = []
        self.events: list[str] = []
        self.active = 0
        self.max_active = 0
        self.entered = anyio.Event()
        self.release = anyio.Event()
        self.n = 0
        self.ref: ActorRef | None = None

    async def on_start(self) -> None:
        self.events.append("start")

    async def on_stop(self) -> None:
        self.events.append("stop")

    async def handle(self, message: Any) -> Any:
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            self.seen.append((anyio.get_current_task().id, message))
            match message:
                case "hold":
                    self.entered.set()
                    try:
                        await self.release.wait()
                    except anyio.get_cancelled_exc_class():
                        self.events.append("cancelled")
                        raise
                    self.events.append("released")
                case "fail":
                    raise ZeroDivisionError("inline")
                case "stop self":
                    assert self.ref is not None
                    await self.ref.stop()
                    self.events.append("stop requested")
                case "self":
                    assert self.ref is not None
                    await self.ref.tell("x")
                case "sync":
                    self.n += 1
                    return self.n
                case _:
                    for _ in range(3):
                        await anyio.lowlevel.checkpoint()
            self.n += 1
            return self.n
        finally:
            self.active -= 1


async def test_handler_runs_in_callers_task_without_creating_tasks(anyio_backend: str) -> None:
    async with Supervisor() as sup:
        before = live_tasks(anyio_backend)
        probe = Probe()
        ref = await sup.spawn(probe, dispatcher="inline")
        me = anyio.get_current_task().id
        assert await ref.ask("a") == 1
        await ref.tell("b")
        assert await ref.ask("sync", timeout=5) == 3
        assert await ref.ask("c", timeout=5) == 4
        assert live_tasks(anyio_backend) == before
        assert probe.seen == [(me, "a"), (me, "b"), (me, "sync"), (me, "c")]
        assert probe.events == ["start"]
    assert probe.events == ["start", "stop"]
    assert ref.stopped


async def test_one_at_a_time_and_fifo_under_concurrent_callers() -> None:
    async with Supervisor() as sup:
        probe = Probe()
        ref = await sup.spawn(probe, dispatcher="inline")

        async def caller(c: int) -> None:
            for i in range(10):
                await ref.tell((c, i))

        async with anyio.create_task_group() as tg:
            for c in range(4):
                tg.start_soon(caller, c)
    assert probe.max_active == 1
    messages = [m for _, m in probe.seen]
    assert len(messages) == 40
    for c in range(4):
        assert [i for cc, i in messages if cc == c] == list(range(10))
    # Each message ran in its caller's task: four distinct tasks took turns.
    assert len({task for task, _ in probe.seen}) == 4


async def test_errors_raise_in_the_caller() -> None:
    async with Supervisor() as sup:
        probe = Probe()
        ref = await sup.spawn(probe, dispatcher="inline")  # policy escalate: to the caller
        with pytest.raises(ZeroDivisionError):
            await ref.ask("fail")
        with pytest.raises(ZeroDivisionError):
            await ref.tell("fail")
        assert await ref.ask("x") == 1  # the instance goes on
        with pytest.raises(MailboxFull):
            ref.tell_nowait("x")


async def test_inline_restart_and_stop_policies() -> None:
    instances: list[Probe] = []

    def factory() -> Probe:
        instances.append(Probe())
        return instances[-1]

    async with Supervisor() as sup:
        restarting = await sup.spawn(factory, dispatcher="inline", policy="restart")
        assert await restarting.ask("sync") == 1
        with pytest.raises(ZeroDivisionError):
            await restarting.ask("fail")
        assert await restarting.ask("sync") == 1  # fresh state
        assert [p.events for p in instances] == [["start", "stop"], ["start"]]

        stopping = await sup.spawn(Probe(), dispatcher="inline", policy="stop")
        with pytest.raises(ZeroDivisionError):
            await stopping.ask("fail")
        assert stopping.stopped
        with pytest.raises(ActorStopped):
            await stopping.ask("sync")


async def test_inline_ask_timeout_cancels_the_handler() -> None:
    async with Supervisor() as sup:
        probe = Probe()
        ref = await sup.spawn(probe, dispatcher="inline")
        with pytest.raises(AskTimeout):
            await ref.ask("hold", timeout=0.01)
        assert probe.events == ["start", "cancelled"]
        assert await ref.ask("sync", timeout=0.01) == 1  # no suspension: no timeout needed
        assert await ref.ask("x", timeout=5) == 2


async def test_inline_timeout_covers_waiting_for_the_gate() -> None:
    async with Supervisor() as sup:
        probe = Probe()
        ref = await sup.spawn(probe, dispatcher="inline")
        async with anyio.create_task_group() as tg:
            tg.start_soon(ref.tell, "hold")
            await probe.entered.wait()
            with pytest.raises(AskTimeout):
                await ref.ask("sync", timeout=0.01)
            probe.release.set()
        assert await ref.ask("sync") == 2
        assert [m for _, m in probe.seen] == ["hold", "sync"]


async def test_inline_stop_waits_for_the_handler_in_progress() -> None:
    async with Supervisor() as sup:
        probe = Probe()
        ref = await sup.spawn(probe, dispatcher="inline")
        results: list[Any] = []

        async def holder(*, task_status: TaskStatus[None]) -> None:
            task_status.started()
            results.append(await ref.ask("hold"))

        async def late(*, task_status: TaskStatus[None]) -> None:
            task_status.started()
            try:
                await ref.ask("late")
            except ActorStopped as exc:
                results.append(exc)

        async with anyio.create_task_group() as tg:
            await tg.start(holder)
            await probe.entered.wait()
            await tg.start(late)  # waits for the gate behind "hold"

            async def stopper() -> None:
                await ref.stop()

            tg.start_soon(stopper)
            await anyio.lowlevel.checkpoint()
            assert probe.events == ["start"]  # on_stop must not overlap the handler
            probe.release.set()
        assert probe.events == ["start", "released", "stop"]
        assert results[0] == 1 and isinstance(results[1], ActorStopped)
        assert probe.max_active == 1


async def test_inline_stop_from_own_handler() -> None:
    async with Supervisor() as sup:
        probe = Probe()
        ref = await sup.spawn(probe, dispatcher="inline")
        probe.ref = ref
        assert await ref.ask("stop self") == 1  # does not deadlock on its own gate
        assert probe.events == ["start", "stop requested", "stop"]
        assert ref.stopped
        with pytest.raises(ActorStopped):
            await ref.tell("x")


async def test_inline_on_start_failure_is_raised_by_spawn() -> None:
    class Broken(Actor):
        async def on_start(self) -> None:
            raise OSError("no start")

    async with Supervisor() as sup:
        with pytest.raises(OSError):
            await sup.spawn(Broken(), name="broken", dispatcher="inline")
        assert sup.children() == []


async def test_inline_handler_messaging_itself_raises_instead_of_deadlocking() -> None:
    async with Supervisor() as sup:
        probe = Probe()
        ref = await sup.spawn(probe, dispatcher="inline", policy="stop")
        probe.ref = ref
        with pytest.raises(RuntimeError, match="its own handler"):
            await ref.ask("self")


async def test_inline_ask_with_a_timeout_whose_handler_opens_a_cancel_scope_first(anyio_backend: str) -> None:
    # (anyio.sleep enters a cancel scope before it suspends: the ask's deadline scope must be
    # entered before the handler starts, or trio's cancel scope stack is corrupted)
    class Sleeper(Actor):
        async def handle(self, message: Any) -> Any:
            with anyio.CancelScope():
                await anyio.sleep(message)
            await anyio.sleep(message)
            return message

    async with Supervisor() as sup:
        ref = await sup.spawn(Sleeper(), dispatcher="inline")
        assert await ref.ask(0.01, timeout=5) == 0.01
        with pytest.raises(AskTimeout):
            await ref.ask(5, timeout=0.05)
        assert await ref.ask(0, timeout=5) == 0  # the timed-out handler was cancelled, not left running
