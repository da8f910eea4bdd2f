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


async def test_a_refused_duplicate_leaves_the_first_actor_in_place(anyio_backend: str) -> None:
    async with Supervisor(tasks=False) as sup:
        first = sup.spawn_inline(Counter(), name="a")
        first.call(2)
        with pytest.raises(SpawnError):
            sup.spawn_inline(Counter(), name="a")
        assert [r.name for r in sup.children()] == ["a"]
        assert first.call(3) == 5  # still the first instance, still running
    assert first.stopped


async def test_spawn_inline_actors_report_their_defaults_in_the_tree(anyio_backend: str) -> None:
    # (spawn_inline leaves a cell's rarely used fields at their class defaults)
    async with Supervisor(name="run", tasks=False) as sup:
        sup.spawn_inline(Counter(), name="c")
        info = sup.tree().actors[0]
        assert (info.name, info.state, info.dispatcher, info.policy, info.restarts) == (
            "c", "running", "inline", "escalate", 0)
        assert (info.mailbox_depth, info.mailbox_size) == (0, 0)


async def test_leaving_stops_every_inline_actor_and_runs_the_on_stops(anyio_backend: str) -> None:
    stops: list[str] = []

    class Stopping(Actor):
        async def on_stop(self) -> None:
            stops.append("inline")

    class Busy(Actor):
        async def handle(self, message: Any) -> Any:
            await anyio.sleep(message)
            stops.append("handled")
            return message

    class Task(Actor):
        async def on_stop(self) -> None:
            stops.append("task")

        async def handle(self, message: Any) -> Any:
            return message

    refs = []
    async with anyio.create_task_group() as outer:
        async with Supervisor() as sup:
            refs.append(sup.spawn_inline(Counter(), name="plain"))
            refs.append(await sup.spawn(Task(), name="task"))
            refs.append(sup.spawn_inline(Stopping(), name="stopping"))
            busy = sup.spawn_inline(Busy(), name="busy")
            refs.append(busy)
            refs.append(sup.spawn_inline(Counter(), name="plain2"))
            assert await refs[1].ask("x") == "x"
            outer.start_soon(busy.ask, 0.05)  # (a sender outside the supervisor: not cancelled)
            await anyio.sleep(0.01)  # busy is in its handler when the block is left
        assert all(r.stopped for r in refs)
        assert sup.children() == []
        # leaving waited for the handler in progress; the inline actor's on_stop ran, the task's too
        assert sorted(stops) == ["handled", "inline", "task"]


async def test_inline_actors_stop_in_spawn_order(anyio_backend: str) -> None:
    # an inline actor's on_stop may still message the inline actors spawned after it
    replies: list[Any] = []

    class Notifier(Actor):
        def __init__(self) -> None:
            self.later: Any = None

        async def on_stop(self) -> None:
            replies.append(self.later.call(1))
            replies.append(self.earlier.stopped)

    async with Supervisor(tasks=False) as sup:
        earlier = sup.spawn_inline(Counter(), name="earlier")
        notifier = Notifier()
        notifier.earlier = earlier  # type: ignore[attr-defined]
        sup.spawn_inline(notifier, name="notifier")
        notifier.later = sup.spawn_inline(Counter(), name="later")
    assert replies == [1, True]
    assert notifier.later.stopped


async def test_a_ref_is_a_handle_the_garbage_collector_does_not_track(anyio_backend: str) -> None:
    # A run keeps a ref per node and per channel until it ends: refs are kept out of the
    # collector's passes (a ref only points at its actor, never in a cycle), are immutable,
    # and compare by identity as before.
    import gc

    async with Supervisor(name="s", tasks=False) as sup:
        ref = sup.spawn_inline(Counter(), name="c")
        assert not gc.is_tracked(ref)
        assert ref.call(2) == 2
        with pytest.raises(AttributeError):
            ref._cell = None  # type: ignore[misc]
        twin = sup.children()[0]
        assert twin.name == ref.name and twin != ref and ref == ref
        assert len({ref, ref}) == 1
