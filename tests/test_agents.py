"""Agent populations (``StateGraph.add_agents``): delivery, private state, durability, cost.

Expected values come from plain-Python models of the same message flows written here, never
from the runtime under test.
"""

from __future__ import annotations

import operator
from collections import Counter, defaultdict
from typing import Annotated, Any, TypedDict

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actorgraph import START, Agent, Command, Send, StateGraph, interrupt
from actorgraph.channels import AgentJournal
from actorgraph.errors import AgentAddressError, AgentError, GraphValidationError
from actorgraph.graph._agents import state_channel
from actorgraph.persistence import BaseCheckpointSaver, InMemorySaver


class Log(TypedDict):
    log: Annotated[list[Any], operator.add]


# -- delivery: exactly once, next step, deterministic order (hypothesis) --------------------


class Relay(Agent):
    """Forwards every message with ``hop < hops`` to each of its routes; sleeps a drawn latency
    first, so agents of a step finish in arbitrary order."""

    def __init__(self, key: int, routes: dict[int, list[int]], hops: int, latencies: list[float]) -> None:
        super().__init__(key)
        self.routes = routes
        self.hops = hops
        self.latencies = latencies
        self.state = {"received": 0}

    async def step(self, messages: list[Any]) -> Any:
        delay = self.latencies[(self.key * 7 + self.superstep) % len(self.latencies)]
        if delay:
            await anyio.sleep(delay)
        self.state["received"] += len(messages)
        sends = []
        n = 0
        for _sender, _seq, hop in messages:
            if hop < self.hops:
                for target in self.routes[self.key]:
                    sends.append(Send("relay", (self.key, (self.superstep, n), hop + 1), key=target))
                    n += 1
        return Command(update={"log": [(self.superstep, self.key, tuple(messages))]}, goto=sends)


def relay_graph(starts: list[int], routes: dict[int, list[int]], hops: int, latencies: list[float],
                checkpointer: Any = None) -> Any:
    def seed(state: Log) -> Any:
        return Command(goto=[Send("relay", (-1, (0, i), 0), key=k) for i, k in enumerate(starts)])

    g = StateGraph(Log)
    g.add_node("seed", seed)
    g.add_agents("relay", lambda key: Relay(key, routes, hops, latencies))
    g.add_edge(START, "seed")
    return g.compile(checkpointer=checkpointer)


def relay_model(starts: list[int], routes: dict[int, list[int]], hops: int) -> list[Any]:
    """What each agent receives, step by step: messages sent in step t arrive in t + 1, grouped
    per receiver in sender-key order, each sender's in the order it sent them."""
    inbox: dict[int, list[Any]] = defaultdict(list)
    for i, k in enumerate(starts):
        inbox[k].append((-1, (0, i), 0))
    log: list[Any] = []
    t = 2  # input at -1, __start__ at 0, seed at 1: the agents first run in step 2
    while inbox:
        nxt: dict[int, list[Any]] = defaultdict(list)
        for k in sorted(inbox):
            msgs = inbox[k]
            log.append((t, k, tuple(msgs)))
            n = 0
            for _s, _q, hop in msgs:
                if hop < hops:
                    for target in routes[k]:
                        nxt[target].append((k, (t, n), hop + 1))
                        n += 1
        inbox = nxt
        t += 1
    return log


@st.composite
def flows(draw: Any) -> tuple[list[int], dict[int, list[int]], int]:
    n = draw(st.integers(2, 6))
    keys = st.integers(0, n - 1)
    starts = draw(st.lists(keys, min_size=1, max_size=4))
    routes = {k: draw(st.lists(keys, max_size=2)) for k in range(n)}
    return starts, routes, draw(st.integers(1, 3))


latency = st.sampled_from([0.0, 0.0, 0.001, 0.003])


@settings(max_examples=20, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(flow=flows(), data=st.data())
def test_delivery_is_exactly_once_in_deterministic_order_whatever_the_latencies(flow: Any, data: Any) -> None:
    starts, routes, hops = flow
    expected = relay_model(starts, routes, hops)
    sent = Counter(m for _t, _k, msgs in expected for m in msgs)
    assert all(c == 1 for c in sent.values())  # the model's messages are all distinct
    for backend in ("asyncio", "trio"):
        lat = data.draw(st.lists(latency, min_size=1, max_size=8), label=f"latencies {backend}")
        graph = relay_graph(starts, routes, hops, lat)

        async def main() -> Any:
            with anyio.fail_after(20):
                return await graph.ainvoke({"log": []})

        out = anyio.run(main, backend=backend)
        assert out["log"] == expected
        received = Counter(m for _t, _k, msgs in out["log"] for m in msgs)
        assert received == sent  # every message delivered exactly once


# -- the epidemic example against a plain-Python model of it ---------------------------------


def sirs_model(p: dict[str, Any]) -> dict[str, list[int]]:
    """The SIRS rules of examples/simulation.py, written as a plain loop (no agents, no runtime)."""
    import random

    def contacts(k: int) -> list[int]:
        rng = random.Random(f"{p['seed']}:contacts:{k}")
        others = rng.sample(range(p["agents"]), p["contacts"] + 1)
        return [o for o in others if o != k][:p["contacts"]]

    status: dict[int, list[Any]] = {}
    inbox = set(random.Random(f"{p['seed']}:initial").sample(range(p["agents"]), p["initial"]))
    awake: set[int] = set()
    cases: list[int] = []
    recoveries: list[int] = []
    t = 1  # the population's round
    while inbox or awake:
        nxt: set[int] = set()
        still: set[int] = set()
        for k in sorted(inbox | awake):
            s = status.setdefault(k, ["S", 0, 0])
            if t > p["steps"]:
                continue
            if s[0] == "R" and t >= s[2]:
                s[0] = "S"
            if s[0] == "I":
                rng = random.Random(f"{p['seed']}:{k}:{t}")
                nxt.update(c for c in contacts(k) if rng.random() < p["beta"])
                s[1] -= 1
                if s[1] == 0:
                    s[0], s[2] = "R", t + p["immunity"]
                    recoveries.append(t)
                else:
                    still.add(k)
            elif s[0] == "S" and k in inbox:
                s[0], s[1] = "I", p["days"]
                cases.append(t)
                still.add(k)
        inbox, awake = nxt, still
        t += 1
    return {"cases": cases, "recoveries": recoveries}


ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
SMALL = {"agents": 200, "steps": 40, "seed": 11, "contacts": 6, "beta": 0.12, "days": 4, "immunity": 12,
         "initial": 3}


def _simulation() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("simulation_example", ROOT / "examples" / "simulation.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    __import__("sys").modules[spec.name] = module  # (its schemas' annotations resolve there)
    spec.loader.exec_module(module)
    return module


sim = _simulation()


def _env() -> dict[str, str]:
    """The subprocess imports this tree's actorgraph (as PYTHONPATH=. does from the root)."""
    import os

    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def _cli(args: list[str], cwd: Any) -> Any:
    import subprocess
    import sys

    flags = [f"--{k}={v}" for k, v in SMALL.items()]
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "simulation.py"), *flags, *args],
                          capture_output=True, text=True, timeout=120, cwd=cwd, env=_env())
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_example_matches_a_plain_python_model_on_both_backends(tmp_path: Any) -> None:
    model = sirs_model(SMALL)
    assert len(model["cases"]) > 3 * SMALL["initial"]  # an epidemic happened: not a trivial check
    expected = sim.digest(model)
    a = _cli(["--db", str(tmp_path / "a.db")], tmp_path)
    b = _cli(["--db", str(tmp_path / "b.db"), "--trio"], tmp_path)
    assert f"digest: {expected}" in a and f"digest: {expected}" in b
    assert f"infections: {len(model['cases'])}  recoveries: {len(model['recoveries'])}" in a
    again = _cli(["--db", str(tmp_path / "a.db"), "--resume"], tmp_path)  # a finished thread stays as it is
    assert f"digest: {expected}" in again


@pytest.mark.anyio
async def test_the_example_graph_gives_the_model_trajectory(saver: BaseCheckpointSaver) -> None:
    graph = sim.build(SMALL, saver)
    out = await graph.ainvoke({"params": SMALL, "cases": [], "recoveries": []},
                              {"configurable": {"thread_id": "t"}})
    model = sirs_model(SMALL)
    assert (out["cases"], out["recoveries"]) == (model["cases"], model["recoveries"])


# -- crash and resume ------------------------------------------------------------------------

CHILD = r"""
import sys, anyio, importlib.util
spec = importlib.util.spec_from_file_location("simulation_example", sys.argv[1])
sim = importlib.util.module_from_spec(spec); sys.modules[spec.name] = sim; spec.loader.exec_module(sim)
from actorgraph import START, StateGraph
from actorgraph.persistence import SqliteSaver
params = eval(sys.argv[3])

class SlowPerson(sim.Person):  # the same person, taking a while: the kill lands mid-run
    async def step(self, messages):
        await anyio.sleep(0.02)
        return sim.Person.step(self, messages)

async def main():
    async with SqliteSaver.from_conn_string(sys.argv[2]) as saver:
        g = StateGraph(sim.World).add_node("seed", sim.seed_infections).add_edge(START, "seed")
        graph = g.add_agents("people", lambda key: SlowPerson(key, params), clock=True).compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "epidemic"}, "recursion_limit": 1000}
        async for chunk in graph.astream({"params": params, "cases": [], "recoveries": []}, config,
                                         stream_mode="updates", durability="sync"):
            print("step", flush=True)
    print("finished", flush=True)

anyio.run(main, backend=sys.argv[4])
"""


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_killed_simulation_resumes_to_the_identical_trajectory(tmp_path: Any, backend: str) -> None:
    import signal
    import subprocess
    import sys

    from actorgraph.persistence import SqliteSaver

    params = {**SMALL, "steps": 150}
    db = str(tmp_path / "sim.db")
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(ROOT / "examples" / "simulation.py"), db,
                              repr(params), backend], stdout=subprocess.PIPE, text=True, cwd=tmp_path,
                             env=_env())
    assert child.stdout is not None
    seen = 0
    for line in child.stdout:
        seen += line.startswith("step")
        if seen >= 15:
            break
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    async def resume() -> tuple[int, Any, Any]:
        async with SqliteSaver.from_conn_string(db) as saver:
            graph = sim.build(params, saver)
            config = {"configurable": {"thread_id": "epidemic"}, "recursion_limit": 1000}
            killed_at = (await graph.aget_state(config)).metadata["step"]
            out = await graph.ainvoke(None, config)
            return killed_at, out, await graph.aget_agents(config, "people", limit=10_000)

    killed_at, out, agents = anyio.run(resume, backend=backend)
    assert 1 <= killed_at < 100  # stopped mid-run: the resumed run had most of it to do
    model = sirs_model(params)
    assert (out["cases"], out["recoveries"]) == (model["cases"], model["recoveries"])
    assert agents.total == len(agents.states) > params["initial"]

    async def uninterrupted() -> Any:
        graph = sim.build(params, InMemorySaver())
        config = {"configurable": {"thread_id": "x"}, "recursion_limit": 1000}
        await graph.ainvoke({"params": params, "cases": [], "recoveries": []}, config)
        return await graph.aget_agents(config, "people", limit=10_000)

    assert anyio.run(uninterrupted, backend=backend).states == agents.states


# -- time travel -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_time_travel_to_an_earlier_step_replays_the_same_trajectory(saver: BaseCheckpointSaver) -> None:
    graph = sim.build(SMALL, saver)
    config = {"configurable": {"thread_id": "tt"}}
    first = await graph.ainvoke({"params": SMALL, "cases": [], "recoveries": []}, config)
    final_agents = await graph.aget_agents(config, "people", limit=1000)
    history = [s async for s in graph.aget_state_history(config)]
    at10 = next(s for s in history if s.metadata and s.metadata["step"] == 10)
    then = await graph.aget_agents(at10.config, "people", limit=1000)
    assert then.states != final_agents.states and 0 < then.total <= final_agents.total
    assert then.awake  # infectious agents wait for step 11
    replay = await graph.ainvoke(None, at10.config)
    assert replay == first
    assert (await graph.aget_agents(config, "people", limit=1000)).states == final_agents.states


# -- interrupts ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_breakpoint_before_every_agent_step_changes_nothing(saver: BaseCheckpointSaver) -> None:
    params = {**SMALL, "agents": 60, "steps": 12}
    g = StateGraph(sim.World)
    g.add_node("seed", sim.seed_infections)
    g.add_agents("people", lambda key: sim.Person(key, params), clock=True)
    g.add_edge(START, "seed")
    graph = g.compile(checkpointer=saver, interrupt_before=["people"])
    config = {"configurable": {"thread_id": "bp"}}
    await graph.ainvoke({"params": params, "cases": [], "recoveries": []}, config)
    pauses = 0
    while (await graph.aget_state(config)).next:
        pauses += 1
        out = await graph.ainvoke(None, config)
    assert pauses > params["steps"]
    model = sirs_model(params)
    assert (out["cases"], out["recoveries"]) == (model["cases"], model["recoveries"])


class Tally(Agent):
    calls: Counter[int] = Counter()

    def __init__(self, key: int) -> None:
        super().__init__(key)
        self.state = 0

    def step(self, messages: list[Any]) -> Any:
        Tally.calls[self.key] += 1
        self.state += sum(messages)
        if self.state < 3:
            return [Send("tally", 1, key=self.key)]
        return {"log": [(self.key, self.state)]}


@pytest.mark.anyio
async def test_an_interrupt_in_the_same_step_keeps_the_agents_writes_and_runs_them_once(
        saver: BaseCheckpointSaver) -> None:
    def seed(state: Log) -> Any:
        return Command(goto=[Send("tally", 1, key=1), Send("tally", 2, key=2), "judge"])

    def judge(state: Log) -> Any:
        return {"log": [("judge", interrupt("go on?"))]}

    g = StateGraph(Log)
    g.add_node("seed", seed).add_node("judge", judge)
    g.add_agents("tally", Tally)
    g.add_edge(START, "seed")
    graph = g.compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "i"}}
    Tally.calls.clear()
    first = await graph.ainvoke({"log": []}, config)
    assert [i.value for i in first["__interrupt__"]] == ["go on?"]
    assert Tally.calls == Counter({1: 1, 2: 1})
    out = await graph.ainvoke(Command(resume="yes"), config)
    # agent 1: 1 -> 2 -> 3 (three steps), agent 2: 2 -> 3 (two): the resumed step is not re-run
    assert Tally.calls == Counter({1: 3, 2: 2})
    assert out["log"] == [("judge", "yes"), (2, 3), (1, 3)]
    assert (await graph.aget_agents(config, "tally")).states == {1: 3, 2: 3}


# -- idle agents cost nothing ----------------------------------------------------------------


class Pinger(Agent):
    calls = 0

    def __init__(self, key: int) -> None:
        super().__init__(key)
        self.state = 0

    async def step(self, messages: list[Any]) -> Any:
        Pinger.calls += 1
        self.state += 1
        if self.key < 5 and self.state <= 20:
            return Send("ping", "again", key=self.key)
        return None


@pytest.mark.anyio
async def test_idle_agents_cost_nothing_in_a_step(saver: BaseCheckpointSaver) -> None:
    def seed(state: Log) -> Any:
        return [Send("ping", "hello", key=k) for k in range(1000)]

    g = StateGraph(Log)
    g.add_node("seed", seed).add_agents("ping", Pinger).add_edge(START, "seed")
    graph = g.compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "idle"}}
    Pinger.calls = 0
    await graph.ainvoke({"log": []}, config)
    assert Pinger.calls == 1000 + 5 * 20  # everyone once, then only the five that keep pinging
    # what each checkpoint added to the population's journal: every agent once, then 5 per step
    sizes = [len(t.checkpoint.channel_values.get(state_channel("ping"), []))
             async for t in saver.alist(config)][::-1]
    grown = [b - a for a, b in zip(sizes, sizes[1:]) if b != a]
    assert grown == [1000] + [5] * 20


# -- API, paging and errors ------------------------------------------------------------------


@pytest.mark.anyio
async def test_get_agents_pages_in_key_order() -> None:
    saver = InMemorySaver()

    def seed(state: Log) -> Any:
        return [Send("tally", 3, key=k) for k in (7, 3, 25, 11, 0)]

    graph = StateGraph(Log).add_node("seed", seed).add_agents("tally", Tally).add_edge(START, "seed") \
        .compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "p"}}
    await graph.ainvoke({"log": []}, config)
    page = await graph.aget_agents(config, "tally", limit=2)
    assert page.states == {0: 3, 3: 3} and page.total == 5 and page.next_offset == 2
    page = await graph.aget_agents(config, "tally", offset=4, limit=2)
    assert page.states == {25: 3} and page.next_offset is None
    assert (await graph.aget_agents(config, "tally", keys=[11, 99])).states == {11: 3}
    with pytest.raises(AgentAddressError, match="no agent population 'nope'"):
        await graph.aget_agents(config, "nope")


def test_add_agents_validates_its_arguments() -> None:
    class NoStep(Agent):
        pass

    with pytest.raises(GraphValidationError, match="must subclass actorgraph.Agent"):
        StateGraph(Log).add_agents("a", dict)
    with pytest.raises(GraphValidationError, match="defines no step"):
        StateGraph(Log).add_agents("a", NoStep)
    with pytest.raises(GraphValidationError, match="already present"):
        StateGraph(Log).add_node("a", lambda s: None).add_agents("a", Tally)
    with pytest.raises(GraphValidationError, match="reserved character"):
        StateGraph(Log).add_agents("a:b", Tally)


@pytest.mark.anyio
async def test_bad_addresses_and_bad_agents_raise_typed_errors() -> None:
    def to_node_with_key(state: Log) -> Any:
        return [Send("other", 1, key=3)]

    def to_population_without_key(state: Log) -> Any:
        return [Send("tally", 1)]

    for seed, match in ((to_node_with_key, "'other' is a node, not an agent population"),
                        (to_population_without_key, "without a key")):
        g = StateGraph(Log).add_node("seed", seed).add_node("other", lambda s: None)
        g.add_agents("tally", Tally).add_edge(START, "seed")
        with pytest.raises(AgentAddressError, match=match):
            await g.compile().ainvoke({"log": []})

    def start(state: Log) -> Any:
        return [Send("bad", 1, key="k")]

    g = StateGraph(Log).add_node("seed", start).add_agents("bad", lambda key: object()).add_edge(START, "seed")
    with pytest.raises(AgentError, match="returned object for key 'k', not an Agent"):
        await g.compile().ainvoke({"log": []})

    class Unstorable(Agent):
        def step(self, messages: list[Any]) -> Any:
            self.state = object()

    g = StateGraph(Log).add_node("seed", start).add_agents("bad", Unstorable).add_edge(START, "seed")
    with pytest.raises(AgentError, match="population 'bad', key 'k': its state cannot be stored"):
        await g.compile(checkpointer=InMemorySaver()).ainvoke({"log": []}, {"configurable": {"thread_id": "u"}})


@pytest.mark.anyio
async def test_a_failing_agent_cancels_its_concurrent_siblings_and_is_named() -> None:
    finished: list[int] = []

    class Flaky(Agent):
        async def step(self, messages: list[Any]) -> Any:
            if self.key == 3:
                await anyio.sleep(0)
                raise ValueError("boom")
            await anyio.sleep(5)
            finished.append(self.key)

    def seed(state: Log) -> Any:
        return [Send("flaky", 0, key=k) for k in range(6)]

    graph = StateGraph(Log).add_node("seed", seed).add_agents("flaky", Flaky).add_edge(START, "seed").compile()
    with anyio.fail_after(3):
        with pytest.raises(ValueError, match="boom") as info:
            await graph.ainvoke({"log": []})
    assert finished == []
    assert "During step 2 of agent 3 of population 'flaky'" in info.value.__notes__


def test_the_journal_compacts_to_one_entry_per_agent() -> None:
    journal = AgentJournal(Any, "j")
    for step in range(2100):
        journal.update([[[step % 3, "msgpack", bytes([step % 251]), False]]])
    assert len(journal.log) <= 2 * 3 + 1024
    assert {k: e[2] for k, e in journal.index.items()} == {0: bytes([2097 % 251]), 1: bytes([2098 % 251]),
                                                           2: bytes([2099 % 251])}
    restored = journal.from_checkpoint(journal.checkpoint())
    assert restored.index == journal.index


def test_a_population_is_drawn_as_a_node() -> None:
    g = StateGraph(Log).add_node("seed", lambda s: None).add_agents("tally", Tally)
    g.add_edge(START, "seed").add_edge("seed", "tally")
    text = g.compile().get_graph().draw_mermaid()
    assert "\ttally(tally)\n" in text and "\tseed --> tally;\n" in text


@pytest.mark.anyio
async def test_an_unhashable_key_is_an_address_error() -> None:
    def seed(state: Log) -> Any:
        return [Send("tally", 1, key=[1, 2])]

    g = StateGraph(Log).add_node("seed", seed).add_agents("tally", Tally).add_edge(START, "seed")
    with pytest.raises(AgentAddressError, match=r"key \[1, 2\] is not hashable"):
        await g.compile().ainvoke({"log": []})


@pytest.mark.anyio
async def test_get_state_shows_each_population_as_a_paged_mapping(saver: BaseCheckpointSaver) -> None:
    from actorgraph.runtime import AgentStates

    def seed(state: Log) -> Any:
        return [Send("tally", k, key=k) for k in (5, 1, 3)]

    graph = StateGraph(Log).add_node("seed", seed).add_agents("tally", Tally).add_edge(START, "seed") \
        .compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "gs"}}
    await graph.ainvoke({"log": []}, config)
    agents = (await graph.aget_state(config)).values["tally"]
    assert isinstance(agents, AgentStates)
    # agent 1: 1 -> 2 -> 3; agent 3 and agent 5 stop at once
    assert list(agents) == [1, 3, 5] and dict(agents) == {1: 3, 3: 3, 5: 5} and len(agents) == 3
    assert agents.page(offset=1, limit=1).states == {3: 3}
    history = [s async for s in graph.aget_state_history(config)]
    before = next(s for s in history if s.metadata and s.metadata["step"] == 1)  # the seed's step
    assert dict(before.values["tally"]) == {}
    first = next(s for s in history if s.metadata and s.metadata["step"] == 2)  # the agents' first
    assert dict(first.values["tally"]) == {1: 1, 3: 3, 5: 5}
    assert (await graph.aget_agents(first.config, "tally")).states == {1: 1, 3: 3, 5: 5}
