"""The kernel's cheapest actors: ``SyncActor`` + ``ActorRef.call``, ``spawn_inline``, and a
supervisor of inline actors only (``Supervisor(tasks=False)``)."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from actorgraph.actors import Actor, ActorStopped, SpawnError, Supervisor, SyncActor

pytestmark = pytest.mark.anyio


class Counter(SyncActor):
    def __init__(self) -> None:
        self.n = 0

    def receive(self, message: Any) -> Any:
        if message == "boom":
            raise ValueError("boom")
        self.n += message
        return self.n


class Slow(Actor):
    async def handle(self, message: Any) -> Any:
        await anyio.sleep(message)
        return message


async def test_call_runs_the_handler_at_once_and_returns_its_reply(anyio_backend: str) -> None:
    async with Supervisor(tasks=False) as sup:
        ref = sup.spawn_inline(Counter(), name="counter")
        assert ref.call(2) == 2
        assert ref.call(3) == 5
        assert await ref.ask(1) == 6  # the usual verbs work too
        with pytest.raises(ValueError, match="boom"):
            ref.call("boom")  # raised in the caller; the actor goes on
        assert ref.call(1) == 7
        tree = sup.tree()
        assert [(a.name, a.dispatcher, a.mailbox_size, a.state) for a in tree.actors] == [
            ("counter", "inline", 0, "running")]
    assert ref.stopped
    with pytest.raises(ActorStopped):
        ref.call(1)


async def test_call_refuses_what_it_cannot_do_without_waiting(anyio_backend: str) -> None:
    async with Supervisor() as sup:
        slow = await sup.spawn(Slow(), name="slow", dispatcher="inline")
        with pytest.raises(TypeError, match="SyncActor"):
            slow.call(0)
        task_actor = await sup.spawn(Counter(), name="task")
        with pytest.raises(TypeError, match="inline"):
            task_actor.call(1)
        busy = sup.spawn_inline(Counter(), name="busy")

        class Reentrant(SyncActor):
            def receive(self, message: Any) -> Any:
                return busy.call(message)

        sup.spawn_inline(Counter(), name="other")
        outer = sup.spawn_inline(Reentrant(), name="outer")
        assert outer.call(4) == 4  # a different actor: fine

        class Self(SyncActor):
            def receive(self, message: Any) -> Any:
                return me.call(message) if message else 0

        me = sup.spawn_inline(Self(), name="self")
        with pytest.raises(RuntimeError, match="handling another message"):
            me.call(1)


async def test_spawn_inline_refuses_duplicates_and_on_start(anyio_backend: str) -> None:
    class Starting(SyncActor):
        async def on_start(self) -> None:
            pass

    async with Supervisor(tasks=False) as sup:
        sup.spawn_inline(Counter(), name="a")
        with pytest.raises(SpawnError, match="already has an actor named 'a'"):
            sup.spawn_inline(Counter(), name="a")
        with pytest.raises(SpawnError, match="on_start"):
            sup.spawn_inline(Starting(), name="b")
    with pytest.raises(SpawnError, match="not running"):
        sup.spawn_inline(Counter(), name="c")


async def test_a_supervisor_without_tasks_hosts_inline_actors_only(anyio_backend: str) -> None:
    async with Supervisor(name="light", tasks=False) as sup:
        ref = await sup.spawn(Slow(), name="inline", dispatcher="inline")
        assert await ref.ask(0) == 0
        with pytest.raises(SpawnError, match="tasks=False"):
            await sup.spawn(Slow(), name="task")
        with pytest.raises(SpawnError, match="tasks=False"):
            sup.start_soon(anyio.sleep, 0)
        with pytest.raises(SpawnError, match="tasks=False"):
            sup.cancel()
    assert ref.stopped
    with pytest.raises(KeyError):  # the body's exception leaves the block unchanged
        async with Supervisor(tasks=False):
            raise KeyError("x")
