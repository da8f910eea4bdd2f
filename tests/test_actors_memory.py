"""Stopped actors are freed: an ``ActorRef`` is not tracked by the garbage collector (it is made
for every node and channel of every run), so a cell lets go of its instance when the actor
stops — else an actor that keeps a ref to itself (or to an actor that keeps one back) would
form a cycle the collector cannot see, and never be freed. Found in stop 33: every
``ActorSystem`` run leaked its whole actor tree (~80 objects per run) that way."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import anyio
import pytest

from _helpers import Count, count_to

from actorgraph import ActorSystem, get_stream_writer
from actorgraph.actors import Actor, ActorRef, SyncActor, Supervisor

pytestmark = pytest.mark.anyio


class Payload:
    """Something an actor holds, to watch it being freed."""


class KeepsItsRef(Actor):
    def __init__(self) -> None:
        self.ref: ActorRef | None = None
        self.payload = Payload()

    async def handle(self, message: Any) -> Any:
        return message


class SyncKeepsItsRef(SyncActor):
    def __init__(self) -> None:
        self.ref: ActorRef | None = None
        self.payload = Payload()

    def receive(self, message: Any) -> Any:
        return message


async def test_an_actor_keeping_its_own_ref_is_freed_once_stopped() -> None:
    watched: list[weakref.ref[Payload]] = []
    async with Supervisor(name="s") as sup:
        for dispatcher in ("task", "inline"):
            actor = KeepsItsRef()
            actor.ref = await sup.spawn(actor, name=f"a-{dispatcher}", dispatcher=dispatcher)  # type: ignore[arg-type]
            assert await actor.ref.ask("hi") == "hi"
            watched.append(weakref.ref(actor.payload))
        stopped = KeepsItsRef()
        stopped.ref = await sup.spawn(stopped, name="stopped-early")
        watched.append(weakref.ref(stopped.payload))
        await stopped.ref.stop()
        del stopped
        gc.collect()
        assert watched[2]() is None  # stopped while its supervisor goes on: freed already
        sync = SyncKeepsItsRef()
        sync.ref = sup.spawn_inline(sync, name="sync")
        assert sync.ref.call("x") == "x"
        watched.append(weakref.ref(sync.payload))
        del actor, sync
    gc.collect()
    assert [w() for w in watched] == [None] * 4  # every one freed when the supervisor stopped


async def test_actor_system_runs_are_freed() -> None:
    async def inc(state: Count) -> dict[str, Any]:
        return {"n": state["n"] + 1}

    graph = count_to(2, inc).compile()

    async with ActorSystem() as system:  # (a first run: what is made once, imports and caches)
        assert await (await system.start(graph, {"n": 0})).result() == {"n": 2}
    gc.collect()
    before = len(gc.get_objects())
    runs: list[weakref.ref[Any]] = []
    async with ActorSystem() as system:
        for _ in range(50):
            handle = await system.start(graph, {"n": 0})
            assert await handle.result() == {"n": 2}
            runs.append(weakref.ref(handle._run))
            del handle
        await anyio.sleep(0)
    gc.collect()
    assert sum(r() is not None for r in runs) == 0
    assert len(gc.get_objects()) - before < 200  # (was ~80 objects more per run)


async def test_a_run_leaves_no_reference_cycle_behind() -> None:
    """A run's objects are freed by reference counting when it ends, with or without streams:
    none waits for the garbage collector (each run's emitter referred to itself, through its
    ``root`` and its stream writer: ~11 objects a run, its hub and subscribers included, were
    left to the collector — a full collection among 1000 concurrent runs costs ~60-90 ms)."""

    async def write(state: Count) -> dict[str, Any]:
        get_stream_writer()({"n": state["n"]})
        return {"n": state["n"] + 1}

    graph = count_to(2, write).compile()

    async def runs(system: ActorSystem) -> None:
        assert await (await system.start(graph, {"n": 0})).result() == {"n": 2}
        assert await graph.ainvoke({"n": 0}) == {"n": 2}
        chunks = [c async for c in graph.astream({"n": 0}, stream_mode=["custom", "updates"])]
        assert ("custom", {"n": 0}) in chunks

    async with ActorSystem() as system:
        await runs(system)  # (a first round: what is made once, imports and caches)
        gc.collect()
        gc.disable()
        try:
            for _ in range(3):
                await runs(system)
            await anyio.sleep(0)
            gc.set_debug(gc.DEBUG_SAVEALL)
            gc.collect()
            left = [type(o).__qualname__ for o in gc.garbage]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
    assert left == []
