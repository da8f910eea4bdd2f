"""The graph shapes of BENCH.md, written once against a LangGraph-style module.

Every builder takes the module that provides ``StateGraph``, ``START`` and ``END`` (``actorgraph``
or ``langgraph.graph``) and returns an uncompiled builder, so the same source builds the
actorgraph graph and the LangGraph graph.

``python -m bench.graphs [options]`` is kept as a shortcut for ``python -m bench`` restricted to
the graph-timing workloads (``sequential_{10,100,1000}``, ``fanout_to_subgraph_100``,
``wide_state_300``); it accepts every option of ``python -m bench``.
"""

from __future__ import annotations

import operator
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypedDict

import anyio


class SeqState(TypedDict):
    x: int
    log: Annotated[list[str], operator.add]


def sequential(mod: Any, n: int, sync: bool = False) -> Any:
    """A chain of ``n`` async no-op nodes, each returning ``{"x": x + 1}``; with ``sync=True``
    plain ``def`` nodes (what most LangGraph programs are written with)."""
    g = mod.StateGraph(SeqState)
    prev = mod.START
    for i in range(n):
        name = f"n{i}"

        async def node(state: SeqState) -> dict[str, Any]:
            return {"x": state["x"] + 1}

        g.add_node(name, _sync_step if sync else node)
        g.add_edge(prev, name)
        prev = name
    g.add_edge(prev, mod.END)
    return g


def _sync_step(state: SeqState) -> dict[str, Any]:
    return {"x": state["x"] + 1}


class TalkState(TypedDict):
    x: int
    chunks: int


STREAM_INTERVAL = 0.01  # seconds between two writer() calls of ``talking``


def talking(mod: Any, get_stream_writer: Callable[[], Any], sync: bool = False) -> Any:
    """One node that calls the ``custom`` stream writer ``chunks`` times (a state key), one call
    every :data:`STREAM_INTERVAL` seconds, each chunk ``{"i": i, "t": time.perf_counter()}``
    taken at the call; then returns ``{"x": x + 1}``. ``sync=True``: a plain ``def`` node
    (it runs in a worker thread under ``ainvoke``/``astream``) pacing with ``time.sleep``."""
    g = mod.StateGraph(TalkState)

    async def talk(state: TalkState) -> dict[str, Any]:
        writer = get_stream_writer()
        start = time.perf_counter()
        for i in range(state["chunks"]):
            delay = start + i * STREAM_INTERVAL - time.perf_counter()
            if delay > 0:
                await anyio.sleep(delay)
            writer({"i": i, "t": time.perf_counter()})
        return {"x": state["x"] + 1}

    def talk_sync(state: TalkState) -> dict[str, Any]:
        writer = get_stream_writer()
        start = time.perf_counter()
        for i in range(state["chunks"]):
            delay = start + i * STREAM_INTERVAL - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            writer({"i": i, "t": time.perf_counter()})
        return {"x": state["x"] + 1}

    g.add_node("talk", talk_sync if sync else talk)
    g.add_edge(mod.START, "talk")
    g.add_edge("talk", mod.END)
    return g


class LoopState(TypedDict):
    x: int
    stop: int


def counting_loop(mod: Any) -> Any:
    """One node ``inc`` looping on itself: ``{"x": x + 1}`` until ``x >= stop`` (one super-step
    per increment, so a run from ``{"x": 0, "stop": n}`` makes an n-step thread)."""
    g = mod.StateGraph(LoopState)

    async def inc(state: LoopState) -> dict[str, Any]:
        return {"x": state["x"] + 1}

    g.add_node("inc", inc)
    g.add_edge(mod.START, "inc")
    g.add_conditional_edges("inc", lambda s: mod.END if s["x"] >= s["stop"] else "inc")
    return g


class JokeState(TypedDict):
    subject: str
    counter: int
    jokes: Annotated[list[str], operator.add]


class FanState(TypedDict):
    subjects: list[str]
    jokes: Annotated[list[str], operator.add]


def fanout_to_subgraph(mod: Any, types: Any) -> Any:
    """``Send`` one task per subject into a 3-node subgraph that loops 10 times."""
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
    return parent


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


def wide_state(mod: Any, lanes: int = 10, depth: int = 30) -> Any:
    """300 nodes over a 17-key dataclass: ``lanes`` parallel chains of ``depth``, layers joined."""
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
    return g


class AskState(TypedDict):
    x: int
    answer: str


def asking(mod: Any, interrupt: Callable[[Any], Any]) -> Any:
    """``prepare -> ask -> finish``; ``ask`` parks the run at ``interrupt()``."""
    g = mod.StateGraph(AskState)

    async def prepare(state: AskState) -> dict[str, Any]:
        return {"x": state["x"] + 1}

    async def ask(state: AskState) -> dict[str, Any]:
        return {"answer": interrupt({"question": "go on?", "x": state["x"]})}

    async def finish(state: AskState) -> dict[str, Any]:
        return {"x": state["x"] + 1}

    g.add_node("prepare", prepare)
    g.add_node("ask", ask)
    g.add_node("finish", finish)
    g.add_edge(mod.START, "prepare")
    g.add_edge("prepare", "ask")
    g.add_edge("ask", "finish")
    g.add_edge("finish", mod.END)
    return g


GRAPH_WORKLOADS = "sequential_10,sequential_100,sequential_1000,fanout_to_subgraph_100,wide_state_300"


def main(argv: list[str] | None = None) -> int:
    from ._cli import main as bench_main

    args = list(sys.argv[1:] if argv is None else argv)
    if "--only" not in args and not any(a.startswith("--only=") for a in args):
        args += ["--only", GRAPH_WORKLOADS]
    return bench_main(args, prog="python -m bench.graphs")


if __name__ == "__main__":
    raise SystemExit(main())
