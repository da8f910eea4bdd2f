"""``agents_10000``: a multi-agent simulation, keyed agent actors against LangGraph's Send fan-out.

The simulation: N agents (10,000) each hold a private state; ``tokens`` (N/20: 5% of the
agents) random-walk between them for ``steps`` (100) rounds. In a round every agent that holds
tokens (about 5% of all) counts them into its state and passes each on to an agent picked by a
hash of (key, round, i). Both sides compute the same final states (checked).

* actorgraph: ``add_agents("agent", Walker)``: one keyed agent per key, ``Send("agent", token,
  key=k)`` messages; an agent's state is its own (checkpointed only when it changed). A first
  round gives every agent a message (so all N agents exist), then ``steps`` rounds of tokens;
  the first round's time counts too (actorgraph pays it, LangGraph does not).
* LangGraph (1.x): the usual way to write it there — every agent's state in one dict channel
  (``Annotated[dict, merge]``), a ``dispatch`` node grouping the outbox per agent and fanning out
  one ``Send("agent", {key, state, messages})`` per active agent, each agent task returning its
  new state and its outgoing messages (two super-steps per round). All N states are in the input.

Agents are ``async def`` on both sides (LangGraph runs sync nodes in a thread pool under
``ainvoke``). Metrics: agent-steps per second and ms per round, without a checkpointer and with
each framework's async SQLite saver (durability ``"async"``), and the SQLite file's size after
the run (WAL folded in, vacuumed) divided by the rounds: the first checkpoints hold all N agents
on both sides, every later one what changed (actorgraph) or every agent again (LangGraph).
"""

from __future__ import annotations

import operator
import os
import random
import sqlite3
import tempfile
import time
import uuid
from typing import Annotated, Any, TypedDict

from ._frameworks import Framework, Side
from .workloads import Metric, Target, Workload

STEPS = 100


def _next(key: int, round_: int, i: int, n: int) -> int:
    """Where agent ``key`` passes its ``i``-th token in ``round_`` (a cheap integer hash: both
    sides pay it, a seeded ``Random`` per token would dominate the actorgraph side's time)."""
    h = (key * 1_000_003 + round_ * 7_919 + i * 104_729) * 2_654_435_761 % 4_294_967_291
    return (h ^ (h >> 13)) % n


def _starts(n: int) -> list[int]:
    return random.Random("starts").sample(range(n), n // 20)


# -- actorgraph ----------------------------------------------------------------------------------


def actorgraph_graph(n: int, steps: int, sync: bool = False) -> Any:
    from actorgraph import START, Agent, Command, Send, StateGraph

    class Sim(TypedDict):
        agent_steps: Annotated[int, operator.add]

    class SyncWalker(Agent):
        def __init__(self, key: int) -> None:
            super().__init__(key)
            self.state = [0, 0]  # tokens seen, sum of their ids

        def step(self, messages: list[Any]) -> Any:
            if self.round == 1:  # every agent comes up; one holding a token keeps it for round 2
                return [Send("agent", m, key=self.key) for m in messages if m is not None]
            seen, total = self.state
            out = []
            for i, token in enumerate(messages):
                seen += 1
                total += token
                if self.round <= steps:
                    out.append(Send("agent", token, key=_next(self.key, self.round, i, n)))
            self.state = [seen, total]
            return Command(update={"agent_steps": 1}, goto=out)

    class Walker(SyncWalker):
        async def step(self, messages: list[Any]) -> Any:  # type: ignore[override]
            return SyncWalker.step(self, messages)

    def seed(state: Sim) -> Any:
        starts = _starts(n)
        token_at = {k: t for t, k in enumerate(starts)}
        return [Send("agent", token_at.get(k), key=k) for k in range(n)]

    g = StateGraph(Sim)
    g.add_node("seed", seed)
    g.add_agents("agent", SyncWalker if sync else Walker)
    g.add_edge(START, "seed")
    return g.compile()


# -- LangGraph -----------------------------------------------------------------------------------


def _merge(a: dict[int, Any], b: dict[int, Any]) -> dict[int, Any]:
    return {**a, **b}


def _outbox(a: list[Any], b: list[Any] | None) -> list[Any]:
    return [] if b is None else a + b


def langgraph_graph(n: int, steps: int, sync: bool = False) -> Any:
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import Command, Send

    class Sim(TypedDict):
        agents: Annotated[dict, _merge]
        outbox: Annotated[list, _outbox]
        round: int
        agent_steps: Annotated[int, operator.add]

    async def dispatch(state: Sim) -> Any:
        r = state["round"] + 1
        if r > steps + 1:
            return Command(update={"outbox": None}, goto=END)
        boxes: dict[int, list[Any]] = {}
        for target, token in state["outbox"]:
            boxes.setdefault(target, []).append(token)
        agents = state["agents"]
        return Command(update={"outbox": None, "round": r},
                       goto=[Send("agent", {"key": k, "state": agents[k], "messages": boxes[k], "round": r})
                             for k in sorted(boxes)])

    def sync_agent(arg: dict[str, Any]) -> Any:
        key, r = arg["key"], arg["round"]
        state = list(arg["state"])
        out = []
        for i, token in enumerate(arg["messages"]):
            state[0] += 1
            state[1] += token
            if r <= steps:
                out.append((_next(key, r, i, n), token))
        return {"agents": {key: state}, "outbox": out, "agent_steps": 1}

    async def agent(arg: dict[str, Any]) -> Any:
        return sync_agent(arg)

    g = StateGraph(Sim)
    g.add_node("dispatch", dispatch)
    g.add_node("agent", sync_agent if sync else agent)
    g.add_edge(START, "dispatch")
    g.add_edge("agent", "dispatch")
    return g.compile()


def langgraph_input(n: int) -> dict[str, Any]:
    # round 1 of the actorgraph side: every agent up, tokens where they start
    return {"agents": {k: [0, 0] for k in range(n)},
            "outbox": [(k, t) for t, k in enumerate(_starts(n))], "round": 1, "agent_steps": 0}


def reference(n: int, steps: int) -> tuple[int, dict[int, list[int]]]:
    """Agent steps taken and the final states of the agents that saw tokens (plain Python)."""
    holding: dict[int, list[int]] = {}
    for t, k in enumerate(_starts(n)):
        holding.setdefault(k, []).append(t)
    states: dict[int, list[int]] = {}
    agent_steps = 0
    for r in range(2, steps + 2):
        nxt: dict[int, list[int]] = {}
        for k in sorted(holding):
            agent_steps += 1
            s = states.setdefault(k, [0, 0])
            for i, token in enumerate(holding[k]):
                s[0] += 1
                s[1] += token
                if r <= steps:
                    nxt.setdefault(_next(k, r, i, n), []).append(token)
        holding = nxt
    return agent_steps, states


def _stored_bytes(path: str) -> int:
    """Bytes the SQLite file needs for what was stored (WAL folded in, free pages dropped)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
    finally:
        conn.close()
    return os.path.getsize(path)


class Agents(Workload):
    """See the module docstring."""

    def __init__(self, n: int = 10_000, steps: int = STEPS, sync: bool = False) -> None:
        self.n = n
        self.steps = steps
        self.sync = sync
        self.full_size = n
        self.quick_size = n // 20
        self.name = f"agents_{n}" + ("_sync" if sync else "")
        self.description = (f"{n} agents ({'def' if sync else 'async def'}), 5% active per round, {steps} "
                            "rounds: keyed agents (actorgraph) vs Send fan-out + one dict channel (LangGraph); "
                            "no saver and SQLite async")
        self.metrics = (
            Metric("agent_steps_per_s", f"{self.name} agent-steps/s", "1/s", better="higher",
                   target=Target("speedup", 20.0), trio_check=True),
            Metric("round_ms", f"{self.name} ms/round", "ms"),
            Metric("agent_steps_per_s_sqlite", f"{self.name}_sqlite_async agent-steps/s", "1/s",
                   better="higher", target=Target("speedup", 20.0)),
            Metric("round_ms_sqlite", f"{self.name}_sqlite_async ms/round", "ms"),
            Metric("bytes_per_round_sqlite", f"{self.name}_sqlite_async checkpoint bytes/round", "B"),
        )
        self.max_reps = 3

    def setup(self, fw: Framework, size: int) -> Any:
        build = actorgraph_graph if fw.name == "actorgraph" else langgraph_graph
        return build(size, self.steps, self.sync), reference(size, self.steps)

    async def sample(self, fw: Framework, state: Any, size: int, side: Side) -> dict[str, float]:
        graph, (expected_steps, _states) = state
        out: dict[str, float] = {}
        inp = {"agent_steps": 0} if fw.name == "actorgraph" else langgraph_input(size)
        config = {"recursion_limit": 4 * self.steps + 10}
        t0 = time.perf_counter()
        result = await graph.ainvoke(inp, config)
        elapsed = time.perf_counter() - t0
        self._check(result, expected_steps)
        out["agent_steps_per_s"] = expected_steps / elapsed
        out["round_ms"] = elapsed / self.steps * 1e3
        with tempfile.TemporaryDirectory(prefix="agbench-") as tmp:
            path = os.path.join(tmp, "agents.db")
            async with fw.sqlite_saver(path) as saver:
                saved = fw.with_saver(graph, saver)
                config = {**config, "configurable": {"thread_id": uuid.uuid4().hex}}
                t0 = time.perf_counter()
                result = await saved.ainvoke(inp, config, durability="async")
                elapsed = time.perf_counter() - t0
            size_bytes = _stored_bytes(path)
        self._check(result, expected_steps)
        out["agent_steps_per_s_sqlite"] = expected_steps / elapsed
        out["round_ms_sqlite"] = elapsed / self.steps * 1e3
        out["bytes_per_round_sqlite"] = size_bytes / self.steps
        return out

    def _check(self, result: Any, expected_steps: int) -> None:
        if result.get("agent_steps") != expected_steps:
            raise AssertionError(f"{self.name}: expected {expected_steps} agent steps, got {result.get('agent_steps')}")
