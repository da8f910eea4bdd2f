"""An epidemic on a contact graph: 1,000 keyed agents exchanging messages in lock-step.

    python examples/simulation.py                       # 1,000 people, 200 steps, seed 7
    python examples/simulation.py --agents 5000 --seed 3 --trio
    python examples/simulation.py --plot epidemic.png   # draw S/I/R over time (matplotlib)
    python examples/simulation.py --resume              # continue a stopped simulation

Each person is an agent of the population ``people`` (``StateGraph.add_agents``) with a private
state: susceptible (S), infectious (I, for ``--days`` steps) or recovered (R, immune for
``--immunity`` steps, then susceptible again). Every super-step an infectious person infects
each of their contacts with probability ``--beta``: a message ``Send("people", "infect",
key=contact)``, delivered in the next step. The population is clock-driven: infectious people
run every step (they call ``halt()`` once recovered); everyone else runs only in a step that
brings them a message — a susceptible person nobody meets costs nothing.

Randomness is drawn from ``Random(f"{seed}:{person}:{round}")``: the same seed gives the same
trajectory on asyncio and trio, however the steps are scheduled. Every step is checkpointed to
SQLite (``--db``); stop the program (Ctrl-C, or kill it) and ``--resume`` continues from the
last checkpoint to the very same end. The summary ends with a digest of the whole trajectory.
"""

from __future__ import annotations

import argparse
import hashlib
import operator
import random
import sys
from collections import Counter
from typing import Annotated, Any, TypedDict

import anyio

from actorgraph import START, Agent, Command, Send, StateGraph
from actorgraph.persistence import SqliteSaver


class Params(TypedDict):
    agents: int
    steps: int
    seed: int
    contacts: int
    beta: float
    days: int
    immunity: int
    initial: int


DEFAULTS = Params(agents=1000, steps=200, seed=7, contacts=8, beta=0.07, days=5, immunity=25, initial=5)


class World(TypedDict):
    params: Params
    cases: Annotated[list[int], operator.add]  # the step of every infection
    recoveries: Annotated[list[int], operator.add]  # the step of every recovery


def contacts_of(person: int, p: Params) -> list[int]:
    """The people ``person`` meets (fixed for the run, derived from the seed)."""
    rng = random.Random(f"{p['seed']}:contacts:{person}")
    others = rng.sample(range(p["agents"]), p["contacts"] + 1)
    return [o for o in others if o != person][:p["contacts"]]


class Person(Agent):
    """One person. ``state``: ``{"status": "S"|"I"|"R", "left": steps still infectious,
    "immune_until": step immunity ends}``; ``contacts`` is derived, not stored."""

    def __init__(self, key: int, params: Params) -> None:
        super().__init__(key)
        self.params = params
        self.contacts = contacts_of(key, params)
        self.state = {"status": "S", "left": 0, "immune_until": 0}

    def step(self, messages: list[Any]) -> Any:
        p = self.params
        t = self.round  # the population's clock: 1, 2, ... (the same after a resume or replay)
        state = self.state
        if t > p["steps"]:  # the simulation is over: nobody stays awake
            self.halt()
            return None
        if state["status"] == "R" and t >= state["immune_until"]:
            state["status"] = "S"
        if state["status"] == "I":
            rng = random.Random(f"{p['seed']}:{self.key}:{t}")
            infect = [Send("people", "infect", key=c) for c in self.contacts if rng.random() < p["beta"]]
            state["left"] -= 1
            update: dict[str, Any] = {}
            if state["left"] == 0:
                state.update(status="R", immune_until=t + p["immunity"])
                update["recoveries"] = [t]
                self.halt()
            return Command(update=update, goto=infect)
        if state["status"] == "S" and messages:
            state.update(status="I", left=p["days"])
            return {"cases": [t]}  # infectious from the next step on: stays awake
        self.halt()
        return None


def seed_infections(world: World) -> Command[Any]:
    """Step 0: infect ``initial`` people chosen by the seed."""
    p = world["params"]
    first = random.Random(f"{p['seed']}:initial").sample(range(p["agents"]), p["initial"])
    return Command(goto=[Send("people", "infect", key=k) for k in sorted(first)])


def build(params: Params, checkpointer: Any = None) -> Any:
    """The simulation graph: ``seed`` starts it, the ``people`` population runs it."""
    graph = StateGraph(World)
    graph.add_node("seed", seed_infections)
    graph.add_agents("people", lambda key: Person(key, params), clock=True)
    graph.add_edge(START, "seed")
    return graph.compile(checkpointer=checkpointer)


def curve(world: dict[str, Any]) -> list[tuple[int, int, int, int]]:
    """``(step, S, I, R)`` for every step, from the infection and recovery events."""
    p: Params = world["params"]
    cases = Counter(world["cases"])
    recovered = Counter(world["recoveries"])
    waned = Counter(t + p["immunity"] for t in world["recoveries"])
    s, i, r = p["agents"], 0, 0
    out = []
    for t in range(1, p["steps"] + 1):
        s += waned[t] - cases[t]
        i += cases[t] - recovered[t]
        r += recovered[t] - waned[t]
        out.append((t, s, i, r))
    return out


def digest(world: dict[str, Any]) -> str:
    """A fingerprint of the trajectory (every infection and recovery, in order)."""
    text = repr((world["cases"], world["recoveries"]))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def summary(world: dict[str, Any]) -> str:
    rows = curve(world)
    peak = max(rows, key=lambda row: row[2])
    last = rows[-1]
    return "\n".join([
        f"agents: {world['params']['agents']}  steps: {world['params']['steps']}  seed: {world['params']['seed']}",
        f"infections: {len(world['cases'])}  recoveries: {len(world['recoveries'])}",
        f"peak: {peak[2]} infectious at step {peak[0]}",
        f"at step {last[0]}: S={last[1]} I={last[2]} R={last[3]}",
        f"digest: {digest(world)}",
    ])


def plot(world: dict[str, Any], path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("--plot needs matplotlib: pip install matplotlib")
    rows = curve(world)
    steps = [r[0] for r in rows]
    fig, ax = plt.subplots(figsize=(8, 4))
    for col, label in ((1, "susceptible"), (2, "infectious"), (3, "recovered")):
        ax.plot(steps, [r[col] for r in rows], label=label)
    ax.set_xlabel("super-step")
    ax.set_ylabel("people")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


async def simulate(params: Params, db: str, thread: str, resume: bool, durability: str = "async") -> dict[str, Any]:
    """Run (or, with ``resume``, continue) the simulation on ``thread`` of the SQLite file ``db``."""
    config = {"configurable": {"thread_id": thread}, "recursion_limit": params["steps"] + 100}
    async with SqliteSaver.from_conn_string(db) as saver:
        graph = build(params, saver)
        if resume and (await graph.aget_state(config)).values:
            return await graph.ainvoke(None, config, durability=durability)  # type: ignore[no-any-return]
        await saver.adelete_thread(thread)
        return await graph.ainvoke({"params": params, "cases": [], "recoveries": []}, config,  # type: ignore[no-any-return]
                                   durability=durability)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name, value in DEFAULTS.items():
        parser.add_argument(f"--{name}", type=type(value), default=value)
    parser.add_argument("--db", default="simulation.db")
    parser.add_argument("--thread", default=None, help="default: epidemic-<seed>")
    parser.add_argument("--resume", action="store_true", help="continue the thread's simulation")
    parser.add_argument("--plot", metavar="OUT.png")
    parser.add_argument("--trio", action="store_true")
    args = parser.parse_args()
    params = Params(**{name: getattr(args, name) for name in DEFAULTS})  # type: ignore[typeddict-item]
    thread = args.thread or f"epidemic-{params['seed']}"
    world = anyio.run(simulate, params, args.db, thread, args.resume, backend="trio" if args.trio else "asyncio")
    print(summary(world))
    if args.plot:
        plot(world, args.plot)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
