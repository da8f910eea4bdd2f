"""Graph workloads of BENCH.md, written once for actorgraph and once for LangGraph.

Run: ``python -m bench.graphs [--reps N] [--only NAME]``. Each repetition runs actorgraph on
asyncio, LangGraph (asyncio) and actorgraph on trio, alternating, after one warm-up run of
each; the table shows medians (min-max) and the per-repetition ratio median. Without LangGraph
installed (the ``bench`` extra) only actorgraph's columns are filled.
"""

from __future__ import annotations

import argparse
import operator
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypedDict

import anyio

try:  # optional: the ``bench`` extra
    import langgraph.graph as lg_graph
    import langgraph.types as lg_types
except ImportError:  # pragma: no cover - depends on the environment
    lg_graph = None
    lg_types = None

import actorgraph


class SeqState(TypedDict):
    x: int
    log: Annotated[list[str], operator.add]


def _sequential(mod: Any, n: int) -> Any:
    g = mod.StateGraph(SeqState)
    prev = mod.START
    for i in range(n):
        name = f"n{i}"

        async def node(state: SeqState) -> dict[str, Any]:
            return {"x": state["x"] + 1}

        g.add_node(name, node)
        g.add_edge(prev, name)
        prev = name
    g.add_edge(prev, mod.END)
    return g.compile()


class JokeState(TypedDict):
    subject: str
    counter: int
    jokes: Annotated[list[str], operator.add]


class FanState(TypedDict):
    subjects: list[str]
    jokes: Annotated[list[str], operator.add]


def _fanout(mod: Any, types: Any, n: int = 100) -> Any:
    sub = mod.StateGraph(JokeState)

    async def edit(state: JokeState) -> dict[str, Any]:
        return {"subject": state["subject"] + "!"}

    async def generate(state: JokeState) -> dict[str, Any]:
        return {"jokes": [f"joke about {state['subject']}"]}

    async def bump(state: JokeState) -> dict[str, Any]:
        return {"counter": state.get("counter", 0) + 1}

    sub.add_node("edit", edit)
    sub.add_node("generate", generate)
    sub.add_node("bump", bump)
    sub.add_edge(mod.START, "edit")
    sub.add_edge("edit", "generate")
    sub.add_edge("generate", "bump")
    sub.add_conditional_edges("bump", lambda s: mod.END if s["counter"] >= 10 else "edit")
    child = sub.compile()

    parent = mod.StateGraph(FanState)

    async def start(state: FanState) -> dict[str, Any]:
        return {}

    parent.add_node("start", start)
    parent.add_node("generate_joke", child)
    parent.add_edge(mod.START, "start")
    parent.add_conditional_edges(
        "start", lambda s: [types.Send("generate_joke", {"subject": x, "counter": 0}) for x in s["subjects"]]
    )
    parent.add_edge("generate_joke", mod.END)
    return parent.compile()


def _concat(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {**a, **b}


@dataclass
class WideState:
    k0: Annotated[list[int], operator.add] = field(default_factory=list)
    k1: Annotated[list[int], operator.add] = field(default_factory=list)
    k2: Annotated[list[int], operator.add] = field(default_factory=list)
    k3: Annotated[list[int], operator.add] = field(default_factory=list)
    k4: Annotated[dict[str, int], _concat] = field(default_factory=dict)
    k5: Annotated[dict[str, int], _concat] = field(default_factory=dict)
    k6: Annotated[int, operator.add] = 0
    k7: Annotated[int, operator.add] = 0
    k8: Annotated[float, operator.add] = 0.0
    k9: Annotated[str, operator.add] = ""
    k10: int = 0
    k11: str = ""
    k12: float = 0.0
    k13: list[int] = field(default_factory=list)
    k14: dict[str, Any] = field(default_factory=dict)
    k15: bool = False
    k16: str = ""


def _wide(mod: Any, lanes: int = 10, depth: int = 30) -> Any:
    """300 nodes: ``lanes`` parallel chains of ``depth`` nodes, every layer joined."""
    g = mod.StateGraph(WideState)

    def make(lane: int, level: int) -> Callable[[WideState], Any]:
        async def node(state: WideState) -> dict[str, Any]:
            out: dict[str, Any] = {
                f"k{lane % 4}": [level],
                f"k{4 + lane % 2}": {f"{lane}": level},
                "k6": 1,
                "k8": 0.5,
            }
            if lane == 0:
                out["k10"] = state.k10 + 1
                out["k11"] = f"level{level}"
            return out

        return node

    for level in range(depth):
        for lane in range(lanes):
            g.add_node(f"n{level}_{lane}", make(lane, level))
    for lane in range(lanes):
        g.add_edge(mod.START, f"n0_{lane}")
    for level in range(1, depth):
        prev = [f"n{level - 1}_{lane}" for lane in range(lanes)]
        for lane in range(lanes):
            g.add_edge(prev, f"n{level}_{lane}")
    return g.compile()


class Workload:
    def __init__(self, name: str, unit: str, steps: int, build: Callable[[Any, Any], Any],
                 make_input: Callable[[], Any], recursion_limit: int = 10_000) -> None:
        self.name = name
        self.unit = unit  # "us/step" or "ms/run"
        self.steps = steps
        self.build = build
        self.make_input = make_input
        self.config = {"recursion_limit": recursion_limit}

    def scale(self, seconds: float) -> float:
        return seconds / self.steps * 1e6 if self.unit == "us/step" else seconds * 1e3


WORKLOADS = [
    *[
        Workload(f"sequential_{n}", "us/step", n + 1, lambda m, t, n=n: _sequential(m, n), lambda: {"x": 0})
        for n in (10, 100, 1000)
    ],
    Workload("fanout_to_subgraph_100", "ms/run", 1, lambda m, t: _fanout(m, t),
             lambda: {"subjects": [f"s{i}" for i in range(100)]}),
    Workload("wide_state_300", "ms/run", 1, lambda m, t: _wide(m), lambda: {"k0": []}),
]


def _time_actorgraph(graph: Any, w: Workload, backend: str) -> float:
    async def once() -> float:
        inp = w.make_input()
        t0 = time.perf_counter()
        await graph.ainvoke(inp, w.config)
        return time.perf_counter() - t0

    return anyio.run(once, backend=backend)


def _time_langgraph(graph: Any, w: Workload) -> float:
    async def once() -> float:
        inp = w.make_input()
        t0 = time.perf_counter()
        await graph.ainvoke(inp, w.config)
        return time.perf_counter() - t0

    return anyio.run(once, backend="asyncio")


def run(reps: int, only: str | None) -> list[dict[str, Any]]:
    rows = []
    for w in WORKLOADS:
        if only and w.name != only:
            continue
        ag = w.build(actorgraph, actorgraph)
        lg = w.build(lg_graph, lg_types) if lg_graph is not None else None
        _time_actorgraph(ag, w, "asyncio")
        _time_actorgraph(ag, w, "trio")
        if lg is not None:
            _time_langgraph(lg, w)
        a_s: list[float] = []
        t_s: list[float] = []
        l_s: list[float] = []
        for _ in range(reps):
            a_s.append(w.scale(_time_actorgraph(ag, w, "asyncio")))
            if lg is not None:
                l_s.append(w.scale(_time_langgraph(lg, w)))
            t_s.append(w.scale(_time_actorgraph(ag, w, "trio")))
        ratios = [lv / av for lv, av in zip(l_s, a_s, strict=False)]
        rows.append({"name": w.name, "unit": w.unit, "asyncio": a_s, "trio": t_s, "langgraph": l_s,
                     "ratio": statistics.median(ratios) if ratios else None})
        print(_line(rows[-1]), flush=True)
    return rows


def _fmt(xs: list[float]) -> str:
    if not xs:
        return "n/a"
    return f"{statistics.median(xs):.1f} ({min(xs):.1f}-{max(xs):.1f})"


def _line(r: dict[str, Any]) -> str:
    ratio = f"{r['ratio']:.1f}x" if r["ratio"] is not None else "n/a"
    return (f"| {r['name']} | {r['unit']} | {_fmt(r['asyncio'])} | {_fmt(r['trio'])} | "
            f"{_fmt(r['langgraph'])} | {ratio} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--only")
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, {platform.machine()}, {platform.processor() or 'cpu'}; "
          f"langgraph: {'yes' if lg_graph is not None else 'not installed'}")
    print("| workload | unit | actorgraph asyncio | actorgraph trio | LangGraph asyncio | LangGraph/actorgraph (asyncio) |")
    print("|---|---|---|---|---|---|")
    run(args.reps, args.only)


if __name__ == "__main__":
    main()
