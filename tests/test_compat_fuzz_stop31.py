"""Differences found by differential fuzzing: random programs run on LangGraph 1.2.24 and on
actorgraph (expected values below are literals observed on LangGraph 1.2.24)."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph.checkpoint.memory import InMemorySaver
from actorgraph.graph import START, StateGraph
from actorgraph.types import Send


class S(TypedDict):
    log: Annotated[list[Any], operator.add]


def _mk(name: str) -> Any:
    def node(s: S) -> dict[str, Any]:
        return {"log": [name]}
    return node


def _deferred_beside_send() -> Any:
    def d(s: S) -> dict[str, Any]:
        return {"log": [f"d{len(s['log'])}"]}

    g = StateGraph(S)
    for n in "abc":
        g.add_node(n, _mk(n))
    g.add_node("d", d, defer=True)
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("a", "d")
    g.add_conditional_edges("b", lambda s: [Send("c", s)])
    return g.compile(checkpointer=InMemorySaver())


@pytest.mark.anyio
async def test_a_deferred_node_runs_beside_pending_sends(anyio_backend: str) -> None:
    # A step whose writes trigger no node but Send tasks is (tentatively) the last one: LangGraph
    # 1.2.24 releases the deferred node then, so it runs in the same step as the Send's task
    # (we ran it one step later, after the Send's task).
    app = _deferred_beside_send()
    cfg = {"configurable": {"thread_id": "1"}}
    chunks = [c async for c in app.astream({"log": []}, cfg, stream_mode="updates")]
    assert sorted(map(repr, chunks)) == sorted(map(repr, [
        {"a": {"log": ["a"]}}, {"b": {"log": ["b"]}}, {"c": {"log": ["c"]}}, {"d": {"log": ["d2"]}}]))
    assert (await app.aget_state(cfg)).values == {"log": ["a", "b", "d2", "c"]}
    hist = [(st.metadata["step"], st.next) async for st in app.aget_state_history(cfg)]
    assert hist == [(3, ()), (2, ("c", "d")), (1, ("b",)), (0, ("a",)), (-1, ("__start__",))]


def test_a_deferred_node_runs_beside_pending_sends_sync() -> None:
    app = _deferred_beside_send()
    cfg = {"configurable": {"thread_id": "1"}}
    assert app.invoke({"log": []}, cfg) == {"log": ["a", "b", "d2", "c"]}
    assert [st.next for st in app.get_state_history(cfg)] == [(), ("c", "d"), ("b",), ("a",), ("__start__",)]


# -- what a router sees ----------------------------------------------------------------------


class RS(TypedDict, total=False):
    a: int
    b: int
    log: Annotated[list[Any], operator.add]


class OnlyB(TypedDict, total=False):
    b: int


def _router_graph(seen: list[tuple[str, Any]]) -> Any:
    def r_start(s: Any) -> str:
        seen.append(("start", s))
        return "n"

    def r_plain(s: Any) -> str:
        seen.append(("plain", s))
        return "__end__"

    def r_typed(s: OnlyB) -> str:
        seen.append(("typed", s))
        return "__end__"

    g = StateGraph(RS)
    g.add_node("n", lambda s: {"log": ["x"], "b": 2})
    g.add_conditional_edges(START, r_start)
    g.add_conditional_edges("n", r_plain)
    g.add_conditional_edges("n", r_typed)
    return g.compile()


def _ordered(seen: list[tuple[str, Any]]) -> list[tuple[str, list[tuple[str, Any]]]]:
    return [(who, list(s.items())) for who, s in seen]


@pytest.mark.anyio
async def test_a_router_sees_the_nodes_output_keys_first_and_a_typed_router_its_schema(
        anyio_backend: str) -> None:
    # LangGraph 1.2.24 (BranchSpec: {**node_output, **state} unless the router's first
    # parameter is annotated with a schema, which it then reads alone): START's router sees
    # the raw input (its key 'zz' too), a plain router the node's returned keys first, a router
    # taking `s: OnlyB` just {'b': 2}. We gave every router the whole state, in schema order.
    seen: list[tuple[str, Any]] = []
    assert await _router_graph(seen).ainvoke({"a": 1, "zz": 5}) == {"a": 1, "b": 2, "log": ["x"]}
    assert _ordered(seen) == [
        ("start", [("a", 1), ("zz", 5), ("log", [])]),
        ("plain", [("log", ["x"]), ("b", 2), ("a", 1)]),
        ("typed", [("b", 2)]),
    ]


def test_a_router_sees_the_nodes_output_keys_first_sync() -> None:
    seen: list[tuple[str, Any]] = []
    assert _router_graph(seen).invoke({"a": 1, "zz": 5}) == {"a": 1, "b": 2, "log": ["x"]}
    assert _ordered(seen) == [
        ("start", [("a", 1), ("zz", 5), ("log", [])]),
        ("plain", [("log", ["x"]), ("b", 2), ("a", 1)]),
        ("typed", [("b", 2)]),
    ]
