"""State schemas, node factories and small graphs that several ``test_graph_*`` modules use.

Only builders live here; each test states the values it expects (from LangGraph 1.2.24).
"""

from __future__ import annotations

import asyncio
import operator
import sys
import threading
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

import anyio

from actorgraph import START, Command, Send, StateGraph, StreamWriter, get_stream_writer
from actorgraph.actors import _threads


class S(TypedDict):
    x: int
    log: Annotated[list[Any], operator.add]


class NS(TypedDict):
    n: int
    log: Annotated[list[Any], operator.add]


class L(TypedDict):
    log: Annotated[list[Any], operator.add]


def mk(name: str, key: str = "log") -> Callable[[Any], dict[str, Any]]:
    """A node that writes ``[name]`` to ``key``."""

    def f(s: Any) -> dict[str, Any]:
        return {key: [name]}

    return f


# -- streaming ----------------------------------------------------------------------------------


def node_a(s: S) -> dict[str, Any]:
    get_stream_writer()({"custom_a": s["x"]})
    return {"x": s["x"] + 1, "log": ["a"]}


def node_b(s: S, writer: StreamWriter) -> dict[str, Any]:
    writer("b-progress")
    writer({"n": 2})
    return {"log": ["b"]}


def ab_graph() -> Any:
    """START -> a -> b on :class:`S`; both nodes write custom chunks."""
    g = StateGraph(S)
    g.add_node("a", node_a)
    g.add_node("b", node_b)
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    return g.compile()


def child_graph() -> Any:
    """START -> a -> child, a compiled subgraph whose node c1 writes a custom chunk."""

    class C(TypedDict):
        x: int
        log: Annotated[list[Any], operator.add]

    def c1(s: Any) -> dict[str, Any]:
        get_stream_writer()("from c1")
        return {"log": ["c1"]}

    cg = StateGraph(C)
    cg.add_node("c1", c1)
    cg.add_edge(START, "c1")
    g = StateGraph(S)
    g.add_node("a", node_a)
    g.add_node("child", cg.compile())
    g.add_edge(START, "a")
    g.add_edge("a", "child")
    return g.compile()


def push_and_pull() -> Any:
    """START sends "p0" to w and routes to j, which answers Command(goto="w")."""
    g = StateGraph(L)
    g.add_node("w", lambda x: {"log": [x]})
    g.add_node("j", lambda s: Command(goto="w"))
    g.add_conditional_edges(START, lambda s: [Send("w", "p0"), "j"])
    return g.compile()


def strip_ns(ns: tuple[str, ...]) -> tuple[str, ...]:
    """A namespace without its task ids (the part of each segment before ':')."""
    return tuple(part.split(":")[0] for part in ns)


def no_id(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k != "id"}


async def collect(graph: Any, inp: Any, **kwargs: Any) -> list[Any]:
    return [c async for c in graph.astream(inp, **kwargs)]


# -- input/output and private schemas -----------------------------------------------------------


class In(TypedDict):
    question: str


class Out(TypedDict):
    answer: str


class Full(TypedDict):
    question: str
    answer: str
    scratch: str


class Priv(TypedDict):
    secret: str


class Pub(TypedDict):
    out: str


def priv_p1(s: Pub) -> Priv:
    return {"secret": "s1"}


def priv_p2(s: Priv) -> dict[str, Any]:
    return {"out": s["secret"] + "x"}


def private_graph() -> Any:
    """START -> p1 -> p2 on :class:`Pub`; p1 writes the private key ``secret`` that p2 reads."""
    g = StateGraph(Pub)
    g.add_node("p1", priv_p1)
    g.add_node("p2", priv_p2)
    g.add_edge(START, "p1")
    g.add_edge("p1", "p2")
    return g.compile()


# -- a graph called inside a node ---------------------------------------------------------------


class Inner(TypedDict):
    text: str
    words: Annotated[list[str], operator.add]


class Outer(TypedDict):
    sentence: str
    result: list[str]


def inner_graph() -> Any:
    """START -> split -> upper on :class:`Inner`."""
    ig = StateGraph(Inner)
    ig.add_node("split", lambda s: {"words": s["text"].split()})
    ig.add_node("upper", lambda s: {"words": [w.upper() for w in s["words"]]})
    ig.add_edge(START, "split")
    ig.add_edge("split", "upper")
    return ig.compile()


# -- failures -----------------------------------------------------------------------------------


class MyErr(Exception):
    pass


def parallel_failure(events: list[str]) -> Any:
    """fails, slow and quick run in parallel from START, then after; fails raises MyErr after
    10 ms, slow sleeps 5 s; ``events`` records what quick, slow and after did."""

    async def fails(s: L) -> dict[str, Any]:
        await anyio.sleep(0.01)
        raise MyErr("parallel failure")

    async def slow(s: L) -> dict[str, Any]:
        events.append("slow started")
        try:
            await anyio.sleep(5)
            events.append("slow finished")
        except anyio.get_cancelled_exc_class():
            events.append("slow cancelled")
            raise
        return {"log": ["slow"]}

    def quick(s: L) -> dict[str, Any]:
        events.append("quick")
        return {"log": ["quick"]}

    def after(s: L) -> dict[str, Any]:
        events.append("after")
        return {}

    g = StateGraph(L)
    g.add_node("fails", fails)
    g.add_node("slow", slow)
    g.add_node("quick", quick)
    g.add_node("after", after)
    for n in ("fails", "slow", "quick"):
        g.add_edge(START, n)
        g.add_edge(n, "after")
    return g.compile()


def live_tasks(backend: str | None = None) -> set[Any]:
    """Every task alive in the running event loop (asyncio: all tasks; trio: the task tree)."""
    trio = sys.modules.get("trio")
    if backend == "trio" or (backend is None and trio is not None and trio.lowlevel.in_trio_run()):
        import trio

        tasks: set[Any] = set()
        root = trio.lowlevel.current_root_task()
        assert root is not None
        todo = [root]
        while todo:
            task = todo.pop()
            tasks.add(task)
            for nursery in task.child_nurseries:
                todo.extend(nursery.child_tasks)
        return tasks
    return set(asyncio.all_tasks())


class Count(TypedDict):
    n: int


def count_to(steps: int, inc: Callable[[Count], Any]) -> StateGraph:
    """A loop of one node ``inc`` (adding 1 to ``n``) until ``n`` reaches ``steps``."""
    from actorgraph import END

    g = StateGraph(Count)
    g.add_node("inc", inc)
    g.add_edge(START, "inc")
    g.add_conditional_edges("inc", lambda s: END if s["n"] >= steps else "inc")
    return g


def running_threads() -> int:
    """Threads alive, but the idle ones in the worker-thread cache (see ``actors._threads``):
    what a run must not leave behind."""
    return threading.active_count() - len(_threads.cached_threads())
