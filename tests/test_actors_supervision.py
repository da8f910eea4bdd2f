"""Supervision: policies, strategies, restart intensity, structured shutdown, tree()/dump()."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import anyio
import msgspec
import pytest

from _helpers import live_tasks

from actorgraph.actors import (
    Actor,
    ActorInfo,
    ActorStopped,
    Restart,
    SpawnError,
    Supervisor,
    SupervisorInfo,
)

pytestmark = pytest.mark.anyio

NO_BACKOFF = Restart(max_restarts=3, within=60.0, backoff=0.0)


class Add(msgspec.Struct, frozen=True):
    by: int


class Get(msgspec.Struct, frozen=True):
    pass


class Fail(msgspec.Struct, frozen=True):
    error: Exception


class Wait(msgspec.Struct, frozen=True):
    event: anyio.Event
    entered: anyio.Event | None = None


class Counter(Actor):
    """Counts; ``Fail`` raises the carried exception, ``Wait`` parks on the carried event."""

    def __init__(self, journal: Journal | None = None, name: str = "") -> None:
        self.n = 0
        self.journal = journal
        self.name = name

    async def on_start(self) -> None:
        if self.journal is not None:
            self.journal.started(self.name, self)

    async def on_stop(self) -> None:
        if self.journal is not None:
            self.journal.events.append(f"{self.name} stopped")

    async def handle(self, message: Any) -> Any:
        match message:
            case Add(by=by):
                self.n += by
                return self.n
            case Get():
                return self.n
            case Fail(error=error):
                raise error
            case Wait(event=event, entered=entered):
                if entered is not None:
                    entered.set()
                try:
                    await event.wait()
                except anyio.get_cancelled_exc_class():
                    if self.journal is not None:
                        self.journal.events.append(f"{self.name} cancelled")
                    raise
        raise AssertionError(f"unexpected {message!r}")


class Journal:
    """Which instances started, per name, plus free-form events; lets a test wait for starts."""

    def __init__(self) -> None:
        self.instances: dict[str, list[Counter]] = defaultdict(list)
        self.events: list[str] = []
        self._changed = anyio.Event()

    def started(self, name: str, instance: Counter) -> None:
        self.instances[name].append(instance)
        self.events.append(f"{name} started")
        self._changed.set()
        self._changed = anyio.Event()

    def factory(self, name: str) -> Callable[[], Counter]:
        return lambda: Counter(self, name)

    async def wait_starts(self, name: str, count: int) -> None:
        while len(self.instances[name]) < count:
            await self._changed.wait()


async def test_escalate_reraises_original_exception_and_cancels_siblings() -> None:
    journal = Journal()
    err = ValueError("boom")
    with pytest.raises(ValueError) as info:
        async with Supervisor("sup") as sup:
            failing = await sup.spawn(journal.factory("failing"), name="failing")
            sibling = await sup.spawn(journal.factory("sibling"), name="sibling")
            entered = anyio.Event()
            await sibling.tell(Wait(anyio.Event(), entered))
            await entered.wait()  # the sibling is parked in its handler
            await failing.tell(Fail(err))
            await anyio.sleep_forever()
    assert info.value is err
    assert type(info.value) is ValueError  # not an exception group
    assert "sibling cancelled" in journal.events
    assert "sibling stopped" in journal.events
    assert sibling.stopped and failing.stopped


async def test_escalate_while_body_waits_on_the_failing_actor() -> None:
    err = RuntimeError("in ask")
    with pytest.raises(RuntimeError) as info:
        async with Supervisor() as sup:
            ref = await sup.spawn(Counter())
            await ref.ask(Fail(err))
    assert info.value is err


async def test_restart_brings_up_fresh_instance_and_keeps_serving() -> None:
    journal = Journal()
    async with Supervisor() as sup:
        ref = await sup.spawn(journal.factory("c"), name="c", policy=NO_BACKOFF)
        assert await ref.ask(Add(5)) == 5
        await ref.tell(Fail(KeyError("x")))
        await ref.tell(Add(1))  # queued behind the failure: handled by the new instance
        assert await ref.ask(Get()) == 1
        first, second = journal.instances["c"]
        assert first is not second and first.n == 5
        assert journal.events[:3] == ["c started", "c stopped", "c started"]
        assert sup.tree().actors[0].restarts == 1
        assert not ref.stopped


async def test_restart_policy_string_uses_default_restart() -> None:
    async with Supervisor() as sup:
        ref = await sup.spawn(Counter, policy="restart")
        await ref.tell(Add(2))
        await ref.tell(Fail(KeyError("x")))
        assert await ref.ask(Get()) == 0


async def test_restart_gives_up_after_intensity_with_original_exception() -> None:
    journal = Journal()
    errors = [OSError(f"failure {i}") for i in range(3)]
    with pytest.raises(OSError) as info:
        async with Supervisor() as sup:
            policy = Restart(max_restarts=2, within=60.0, backoff=0.0)
            ref = await sup.spawn(journal.factory("c"), name="c", policy=policy)
            for i, err in enumerate(errors):
                await ref.tell(Fail(err))
                if i < 2:
                    await journal.wait_starts("c", i + 2)
                    assert await ref.ask(Get()) == 0
            await anyio.sleep_forever()
    assert info.value is errors[2]
    assert len(journal.instances["c"]) == 3


async def test_restart_window_forgets_old_failures() -> None:
    """Failures older than ``within`` do not count towards the restart intensity."""
    journal = Journal()
    async with Supervisor() as sup:
        policy = Restart(max_restarts=1, within=0.001, backoff=0.0)
        ref = await sup.spawn(journal.factory("c"), name="c", policy=policy)
        for i in range(3):
            await ref.tell(Fail(KeyError(i)))
            await journal.wait_starts("c", i + 2)
            await anyio.sleep(0.002)  # let the window pass: outcome does not depend on timing
        assert await ref.ask(Get()) == 0


async def test_restart_needs_a_factory() -> None:
    async with Supervisor() as sup:
        with pytest.raises(SpawnError):
            await sup.spawn(Counter(), policy="restart")
        with pytest.raises(SpawnError):
            await sup.spawn(Counter(), dispatcher="fiber")  # type: ignore[arg-type]
        await sup.spawn(Counter(), name="dup")
        with pytest.raises(SpawnError):
            await sup.spawn(Counter(), name="dup")
    with pytest.raises(SpawnError):
        await sup.spawn(Counter())  # not running any more


async def test_stop_policy_leaves_siblings_running() -> None:
    journal = Journal()
    async with Supervisor() as sup:
        doomed = await sup.spawn(journal.factory("doomed"), name="doomed", policy="stop")
        sibling = await sup.spawn(journal.factory("sibling"), name="sibling")
        await sibling.tell(Add(3))
        with pytest.raises(LookupError):
            await doomed.ask(Fail(LookupError("x")))
        with pytest.raises(ActorStopped):
            await doomed.ask(Get())
        assert doomed.stopped
        assert await sibling.ask(Get()) == 3
        assert [a.name for a in sup.tree().actors] == ["sibling"]
        assert journal.events.count("doomed stopped") == 1


@pytest.mark.parametrize(
    ("strategy", "restarted"),
    [("one_for_one", {"b"}), ("one_for_all", {"a", "b", "c"}), ("rest_for_one", {"b", "c"})],
)
async def test_restart_strategies(strategy: Any, restarted: set[str]) -> None:
    journal = Journal()
    async with Supervisor(strategy=strategy) as sup:
        refs = {
            name: await sup.spawn(journal.factory(name), name=name, policy=NO_BACKOFF)
            for name in "abc"
        }
        for i, ref in enumerate(refs.values()):
            await ref.ask(Add(10 + i))
        await refs["b"].tell(Fail(KeyError("b")))
        for name in restarted:
            await journal.wait_starts(name, 2)
        for i, (name, ref) in enumerate(refs.items()):
            if name in restarted:
                assert await ref.ask(Get()) == 0, name
            else:
                assert await ref.ask(Get()) == 10 + i, name
                assert len(journal.instances[name]) == 1
        assert {a.name: a.restarts for a in sup.tree().actors} == {
            n: int(n in restarted) for n in "abc"
        }


async def test_stop_cuts_restart_backoff_short() -> None:
    async with Supervisor() as sup:
        slow = Restart(max_restarts=3, within=60.0, backoff=3600.0, max_backoff=3600.0)
        ref = await sup.spawn(Counter, policy=slow)
        await ref.tell(Fail(KeyError("x")))
        while sup.tree().actors[0].state != "restarting":
            await anyio.lowlevel.checkpoint()
        with anyio.fail_after(60):  # a hang guard: without the cut this waits an hour
            await ref.stop()
        assert ref.stopped
        with pytest.raises(ActorStopped):
            await ref.ask(Get())


async def _structured_shutdown(backend: str, how: str) -> None:
    before = live_tasks(backend)
    journal = Journal()
    err = RuntimeError("body failed")
    outer = anyio.move_on_after(3600)
    with outer:
        try:
            async with Supervisor() as sup:
                refs = [
                    await sup.spawn(journal.factory(f"a{i}"), name=f"a{i}") for i in range(3)
                ]
                entered = anyio.Event()
                await refs[0].tell(Wait(anyio.Event(), entered))
                await entered.wait()
                for ref in refs[1:]:
                    await ref.ask(Add(1), timeout=30)  # also starts the deadline timer
                during = live_tasks(backend)
                assert len(during - before) >= 3  # the helper does see the actor tasks
                if how == "error":
                    raise err
                if how == "cancel":
                    outer.deadline = anyio.current_time()  # the outer timeout expires now
                    await anyio.sleep_forever()
        except RuntimeError as exc:
            assert exc is err and how == "error"
    assert outer.cancelled_caught == (how == "cancel")
    assert live_tasks(backend) - before == set()
    assert all(ref.stopped for ref in refs)
    assert sorted(e for e in journal.events if e.endswith("stopped")) == [
        "a0 stopped", "a1 stopped", "a2 stopped"
    ]
    assert "a0 cancelled" in journal.events


@pytest.mark.parametrize("how", ["normal", "error", "cancel"])
async def test_no_task_outlives_the_supervisor(anyio_backend: str, how: str) -> None:
    await _structured_shutdown(anyio_backend, how)


async def test_no_task_outlives_an_escalating_supervisor(anyio_backend: str) -> None:
    before = live_tasks(anyio_backend)
    with pytest.raises(KeyError):
        async with Supervisor() as sup:
            a = await sup.spawn(Counter())
            b = await sup.spawn(Counter())
            await b.tell(Wait(anyio.Event()))
            await a.tell(Fail(KeyError("x")))
            await anyio.sleep_forever()
    assert live_tasks(anyio_backend) - before == set()


async def test_body_exception_is_not_wrapped() -> None:
    class Mine(Exception):
        pass

    with pytest.raises(Mine):
        async with Supervisor() as sup:
            await sup.spawn(Counter())
            raise Mine


async def test_supervisor_cannot_be_entered_twice() -> None:
    sup = Supervisor()
    async with sup:
        with pytest.raises(RuntimeError):
            await sup.__aenter__()
    with pytest.raises(ValueError):
        Supervisor(strategy="all_for_none")  # type: ignore[arg-type]


async def test_tree_and_dump() -> None:
    class Parent(Actor):
        def __init__(self, supervisor: Supervisor) -> None:
            self.supervisor = supervisor

        async def handle(self, message: Any) -> Any:
            return None

    hold = anyio.Event()
    async with Supervisor("root", strategy="one_for_all") as root, Supervisor("inner") as inner:
        busy = await root.spawn(Counter, name="busy", mailbox_size=8, policy=NO_BACKOFF)
        await inner.spawn(Counter(), name="leaf", dispatcher="inline", policy="stop")
        parent = await root.spawn(Parent(inner), name="parent")
        await parent.ask("started?")  # an actor not yet scheduled shows state "starting"
        await busy.tell(Fail(KeyError("x")))
        await busy.tell(Wait(hold))
        await busy.tell(Add(1))
        await busy.tell(Add(2))
        while busy.statistics().current_size != 2:  # restarted, parked on Wait, two queued
            await anyio.lowlevel.checkpoint()
        tree = root.tree()
        assert tree == SupervisorInfo(
            name="root",
            strategy="one_for_all",
            actors=[
                ActorInfo(
                    name="busy", state="running", dispatcher="task", policy="restart",
                    mailbox_depth=2, mailbox_size=8, restarts=1,
                ),
                ActorInfo(
                    name="parent", state="running", dispatcher="task", policy="escalate",
                    mailbox_depth=0, mailbox_size=1024, restarts=0,
                    children=SupervisorInfo(
                        name="inner",
                        strategy="one_for_one",
                        actors=[
                            ActorInfo(
                                name="leaf", state="running", dispatcher="inline",
                                policy="stop", mailbox_depth=0, mailbox_size=1024, restarts=0,
                            )
                        ],
                    ),
                ),
            ],
        )
        assert root.dump().splitlines() == [
            "root [one_for_all]",
            "  busy: running, mailbox 2/8, task, policy=restart, restarts=1",
            "  parent: running, mailbox 0/1024, task, policy=escalate, restarts=0",
            "    inner [one_for_one]",
            "      leaf: running, mailbox 0/1024, inline, policy=stop, restarts=0",
        ]
        hold.set()
        assert await busy.ask(Get()) == 3
        assert [ref.name for ref in root.children()] == ["busy", "parent"]
