"""Every run is an actor tree (issue 11): what ``RunHandle.tree()`` / ``ActorSystem.tree()`` show
while a run runs, one node actor per node for the whole run, channels that change only through
their channel actors, and the run's log events (run_started, step_planned, task_started,
task_finished with duration_ms, run_finished)."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Annotated, Any, TypedDict

import anyio
import msgspec
import pytest

from actorgraph import END, START, ActorSystem, Send, StateGraph
from actorgraph.actors import Actor, ActorRef, Supervisor
from actorgraph.channels import BaseChannel, ChannelActor
from actorgraph.runtime import RunCancelledError
from actorgraph.testing import capture_logs

pytestmark = pytest.mark.anyio


# -- helpers -------------------------------------------------------------------------------------


class Spawned:
    """Every actor the runs of a test spawned inline, by ``(supervisor name, actor name)``, in
    spawn order (recorded by a wrapper around the public ``Supervisor.spawn_inline``)."""

    def __init__(self) -> None:
        self.actors: dict[tuple[str, str], list[Actor]] = {}

    def one(self, supervisor: str, name: str) -> Any:
        instances = self.actors[(supervisor, name)]
        assert len(instances) == 1, f"{name} was spawned {len(instances)} times"
        return instances[0]


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> Spawned:
    record = Spawned()
    original = Supervisor.spawn_inline

    def spawn_inline(self: Supervisor, actor: Actor, *, name: str) -> ActorRef:
        ref = original(self, actor, name=name)
        record.actors.setdefault((self.name, name), []).append(actor)
        return ref

    monkeypatch.setattr(Supervisor, "spawn_inline", spawn_inline)
    return record


def spawn_events(logs: list[dict[str, Any]], actor: str) -> list[dict[str, Any]]:
    return [e for e in logs if e["event"] == "actor_spawned" and e.get("actor") == actor]


class S(TypedDict):
    x: int
    log: Annotated[list[str], operator.add]


# -- the tree while a run runs ---------------------------------------------------------------------


async def test_run_tree_shows_supervisor_hub_nodes_and_channels_while_running() -> None:
    entered = anyio.Event()
    gate = anyio.Event()
    handles: list[Any] = []
    trees: dict[str, Any] = {}

    def first(s: S) -> dict[str, Any]:
        return {"x": s["x"] + 1, "log": ["first"]}

    async def wait(s: S) -> dict[str, Any]:
        entered.set()
        await gate.wait()
        return {"log": ["wait"]}

    async def last(s: S) -> dict[str, Any]:
        trees["last"] = handles[0].tree()  # read from inside the run's last node
        return {"log": ["last"]}

    g = StateGraph(S)
    g.add_node("first", first)
    g.add_node("wait", wait)
    g.add_node("last", last)
    g.add_edge(START, "first")
    g.add_edge("first", "wait")
    g.add_edge("wait", "last")
    graph = g.compile(name="tree_demo")

    async with ActorSystem(name="sys") as system:
        run = await system.start(graph, {"x": 0, "log": []})
        handles.append(run)
        with anyio.fail_after(10):
            await entered.wait()
        tree = run.tree()
        assert tree is not None
        assert tree.name == "run:tree_demo"
        names = [a.name for a in tree.actors]
        assert len(names) == len(set(names))
        assert "hub" in names
        # a node actor for each node triggered so far (the hidden __start__ node too), not for
        # the node still to come
        assert {n for n in names if n.startswith("node:")} == {"node:__start__", "node:first", "node:wait"}
        # a channel actor for each channel changed so far
        assert {"channel:__start__", "channel:x", "channel:log", "channel:branch:to:first",
                "channel:branch:to:wait"} <= {n for n in names if n.startswith("channel:")}
        assert "channel:branch:to:last" not in names
        assert all(a.state == "running" for a in tree.actors)
        assert all(a.dispatcher == "inline" for a in tree.actors)

        # the system's tree nests the run's tree under the run's actor
        system_tree = system.tree()
        assert system_tree.name == "sys"
        [run_actor] = system_tree.actors
        assert run_actor.name == f"run-{run.run_id}"
        assert run_actor.children is not None
        assert run_actor.children.name == "run:tree_demo"
        assert [a.name for a in run_actor.children.actors] == names
        dump = system.dump()
        assert f"run-{run.run_id}" in dump and "run:tree_demo" in dump and "node:wait" in dump
        assert dump.index("run:tree_demo") > dump.index(f"run-{run.run_id}")
        assert tree.render() in run_actor.children.render()

        gate.set()
        assert await run.result() == {"x": 1, "log": ["first", "wait", "last"]}
        # the run has ended: no actor tree any more
        assert run.tree() is None

    inside = trees["last"]
    assert inside is not None
    assert {a.name for a in inside.actors if a.name.startswith("node:")} == {
        "node:__start__", "node:first", "node:wait", "node:last"}
    assert "channel:branch:to:last" in {a.name for a in inside.actors}


async def test_run_tree_is_none_once_the_run_failed_or_was_cancelled() -> None:
    gate = anyio.Event()
    entered = anyio.Event()

    async def boom(s: S) -> dict[str, Any]:
        raise ValueError("boom")

    async def stuck(s: S) -> dict[str, Any]:
        entered.set()
        await gate.wait()
        return {}

    failing = StateGraph(S)
    failing.add_node("boom", boom)
    failing.add_edge(START, "boom")
    blocking = StateGraph(S)
    blocking.add_node("stuck", stuck)
    blocking.add_edge(START, "stuck")
    async with ActorSystem() as system:
        failed = await system.start(failing.compile(), {"x": 0})
        with pytest.raises(ValueError, match="boom"):
            await failed.result()
        assert failed.tree() is None
        cancelled = await system.start(blocking.compile(), {"x": 0})
        with anyio.fail_after(10):
            await entered.wait()
        assert cancelled.tree() is not None
        await cancelled.cancel()
        with pytest.raises(RunCancelledError):
            await cancelled.result()
        assert cancelled.tree() is None
        assert all(a.children is None for a in system.tree().actors)


class C(TypedDict):
    n: int


async def test_one_node_actor_per_node_for_the_whole_run(spawned: Spawned) -> None:
    handles: list[Any] = []
    trees: list[Any] = []

    async def count(s: C) -> dict[str, Any]:
        trees.append(handles[0].tree())
        return {"n": s["n"] + 1}

    g = StateGraph(C)
    g.add_node("count", count)
    g.add_edge(START, "count")
    g.add_conditional_edges("count", lambda s: "count" if s["n"] < 5 else END)
    graph = g.compile(name="looping")

    with capture_logs() as logs:
        async with ActorSystem() as system:
            run = await system.start(graph, {"n": 0})
            handles.append(run)
            assert await run.result() == {"n": 5}

    # the node ran five times, in five steps, always on the same actor
    started = [e for e in logs if e["event"] == "task_started" and e["node"] == "count"]
    assert [e["step"] for e in started] == [1, 2, 3, 4, 5]
    assert len(spawn_events(logs, "node:count")) == 1
    actor = spawned.one("run:looping", "node:count")
    assert actor.executed == 5
    # every tree taken inside the node showed that one actor
    assert len(trees) == 5
    for tree in trees:
        assert [a.name for a in tree.actors].count("node:count") == 1


# -- channels change only through their channel actors ---------------------------------------------

receiving: ContextVar[ChannelActor | None] = ContextVar("receiving", default=None)


class ChannelCall(msgspec.Struct):
    channel: Any  # the channel object (kept alive: identities stay unique)
    method: str
    actor_key: str | None  # the key of the channel actor handling a message meanwhile, if any


def _subclasses(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


@pytest.fixture
def channel_calls(monkeypatch: pytest.MonkeyPatch) -> list[ChannelCall]:
    """Records every ``update`` / ``consume`` / ``finish`` of every channel class, with the
    channel actor whose ``receive`` is running meanwhile (None outside any)."""
    calls: list[ChannelCall] = []
    original_receive = ChannelActor.receive

    def receive(self: ChannelActor, message: Any) -> Any:
        token = receiving.set(self)
        try:
            return original_receive(self, message)
        finally:
            receiving.reset(token)

    monkeypatch.setattr(ChannelActor, "receive", receive)

    def wrap(fn: Callable[..., Any], method: str) -> Callable[..., Any]:
        @functools.wraps(fn)
        def recorded(self: BaseChannel[Any, Any, Any], *args: Any) -> Any:
            actor = receiving.get()
            calls.append(ChannelCall(self, method, actor.key if actor is not None else None))
            return fn(self, *args)

        return recorded

    # (only methods a class defines itself: the runtime skips channels that keep BaseChannel's
    # consume/finish, which change nothing)
    for cls in {BaseChannel, *_subclasses(BaseChannel)}:
        for method in ("update", "consume", "finish"):
            fn = vars(cls).get(method)
            if fn is not None and not getattr(fn, "__isabstractmethod__", False) and cls is not BaseChannel:
                monkeypatch.setattr(cls, method, wrap(fn, method))
    return calls


class G(TypedDict):
    topic: str
    items: Annotated[list[str], operator.add]
    total: Annotated[int, operator.add]
    rounds: int


def channels_graph() -> Any:
    """START -> a, b (parallel) -> join c -> Send w(0..2) -> d, which loops back to itself
    through a conditional edge until ``rounds`` is 3."""

    def a(s: G) -> dict[str, Any]:
        return {"items": ["a"]}

    async def b(s: G) -> dict[str, Any]:
        return {"items": ["b"]}

    def c(s: G) -> dict[str, Any]:
        return {"topic": "fanned"}

    def w(i: int) -> dict[str, Any]:
        return {"total": i, "items": [f"w{i}"]}

    def d(s: G) -> dict[str, Any]:
        return {"rounds": s["rounds"] + 1}

    g = StateGraph(G)
    for name, fn in (("a", a), ("b", b), ("c", c), ("w", w), ("d", d)):
        g.add_node(name, fn)
    g.add_edge(START, "a")
    g.add_edge(START, "b")
    g.add_edge(["a", "b"], "c")
    g.add_conditional_edges("c", lambda s: [Send("w", i) for i in range(3)])
    g.add_edge("w", "d")
    g.add_conditional_edges("d", lambda s: "d" if s["rounds"] < 3 else END)
    return g.compile(name="channels")


async def test_channels_change_only_inside_their_channel_actors(
        channel_calls: list[ChannelCall], spawned: Spawned) -> None:
    graph = channels_graph()
    out = await graph.ainvoke({"topic": "t", "items": [], "total": 0, "rounds": 0})
    assert out == {"topic": "fanned", "items": ["a", "b", "w0", "w1", "w2"], "total": 3, "rounds": 3}

    # the run's own channels (as its node actors' run holds them), by identity
    run = spawned.one("run:channels", "node:d").run
    own = list(run.state.channels.values())

    def is_own(channel: Any) -> bool:
        return any(channel is c for c in own)

    mine = [c for c in channel_calls if is_own(c.channel)]
    others = [c for c in channel_calls if not is_own(c.channel)]
    outside = [(type(c.channel).__name__, c.channel.key, c.method) for c in mine if c.actor_key is None]
    assert outside == []
    # ... and each inside the actor of that very channel
    assert all(c.actor_key == c.channel.key for c in mine)
    # every kind of channel the graph has changed that way: state keys with and without a
    # reducer, edges and the START input (ephemeral), the Sends (topic), the join (barrier)
    kinds = {(type(c.channel).__name__, c.method) for c in mine}
    assert {("LastValue", "update"), ("BinaryOperatorAggregate", "update"), ("EphemeralValue", "update"),
            ("Topic", "update"), ("NamedBarrierValue", "update"), ("NamedBarrierValue", "consume")} <= kinds
    keys = {c.channel.key for c in mine}
    assert {"topic", "items", "total", "rounds", "__start__", "branch:to:d"} <= keys
    # the routers read copies (the state plus their node's writes): those are updated outside
    # any actor, which the recording does see
    assert any(c.actor_key is None and c.channel.key in ("topic", "rounds") for c in others)

    # the three Sends to w ran on one node actor, spawned once
    assert spawned.one("run:channels", "node:w").executed == 3
    assert spawned.one("run:channels", "node:d").executed == 3


# -- log events ------------------------------------------------------------------------------------


class L(TypedDict):
    log: Annotated[list[str], operator.add]


async def test_log_events_for_parallel_and_sequential_tasks() -> None:
    async def a(s: L) -> dict[str, Any]:
        await anyio.sleep(0.05)
        return {"log": ["a"]}

    def b(s: L) -> dict[str, Any]:
        return {"log": ["b"]}

    async def c(s: L) -> dict[str, Any]:
        return {"log": ["c"]}

    g = StateGraph(L)
    g.add_node("a", a)
    g.add_node("b", b)
    g.add_node("c", c)
    g.add_edge(START, "a")
    g.add_edge(START, "b")
    g.add_edge("a", "c")
    graph = g.compile(name="logged")

    with capture_logs() as logs:
        assert await graph.ainvoke({"log": []}) == {"log": ["a", "b", "c"]}

    runtime = [e for e in logs if "run" in e]
    assert len({e["run"] for e in runtime}) == 1
    names = [e["event"] for e in runtime]
    assert names.count("run_started") == 1 and names.count("run_finished") == 1
    assert names[0] == "run_started" and names[-1] == "run_finished"
    assert runtime[0]["graph"] == "logged" and runtime[-1]["graph"] == "logged"

    planned = [(e["step"], sorted(e["tasks"])) for e in runtime if e["event"] == "step_planned"]
    assert planned == [(0, ["__start__"]), (1, ["a", "b"]), (2, ["c"])]

    tasks = [(step, name) for step, names_ in planned for name in names_]
    started = [(e["step"], e["node"]) for e in runtime if e["event"] == "task_started"]
    finished = {(e["step"], e["node"]): e for e in runtime if e["event"] == "task_finished"}
    assert sorted(started) == sorted(tasks)
    assert sorted(finished) == sorted(tasks)
    assert len([e for e in runtime if e["event"] == "task_finished"]) == len(tasks)
    for key, event in finished.items():
        assert isinstance(event["duration_ms"], (int, float)) and event["duration_ms"] >= 0, key
        assert event["task_id"]
    assert finished[(1, "a")]["duration_ms"] >= 40  # it slept 50 ms
    # each task is started before it finishes, and a step's tasks within the step
    order = [(e["event"], e.get("step"), e.get("node")) for e in runtime]
    for step, name in tasks:
        assert order.index(("task_started", step, name)) < order.index(("task_finished", step, name))
    assert order.index(("task_finished", 1, "a")) < order.index(("step_planned", 2, None))
    assert order.index(("task_finished", 1, "b")) < order.index(("step_planned", 2, None))
    assert not any(e["event"] == "task_failed" for e in runtime)
