"""Fan-out/fan-in, joins and conditional edges.

Expected values come from running the same graphs on LangGraph 1.2.24 (never from actorgraph).
Updates of tasks running in the same super-step arrive in completion order, so those are
compared per step as sets.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypedDict

import pytest

from actorgraph import END, START, StateGraph
from actorgraph.errors import UnknownDestinationWarning
from _helpers import NS, mk

pytestmark = pytest.mark.anyio


class S(TypedDict):
    log: Annotated[list[Any], operator.add]


def _names(chunks: list[dict[str, Any]]) -> list[str]:
    return [next(iter(c)) for c in chunks]


# -- fan-out / fan-in -------------------------------------------------------------------------


def _diamond() -> Any:
    g = StateGraph(S)
    for n in ["a", "b", "c", "d"]:
        g.add_node(n, mk(n))
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("a", "c")
    g.add_edge("b", "d")
    g.add_edge("c", "d")
    return g.compile()


async def test_diamond_fan_out_fan_in() -> None:
    graph = _diamond()
    # LangGraph 1.2.24: {'log': ['a', 'b', 'c', 'd']} (d runs once: b and c finish in one step)
    assert await graph.ainvoke({"log": []}) == {"log": ["a", "b", "c", "d"]}
    chunks = [c async for c in graph.astream({"log": []})]
    # LangGraph 1.2.24: [{'a': ..}, {'b': ..}, {'c': ..}, {'d': ..}] (b, c in completion order)
    assert chunks[0] == {"a": {"log": ["a"]}}
    assert sorted(_names(chunks[1:3])) == ["b", "c"]
    assert {"b": {"log": ["b"]}} in chunks[1:3] and {"c": {"log": ["c"]}} in chunks[1:3]
    assert chunks[3] == {"d": {"log": ["d"]}}
    assert len(chunks) == 4


async def test_fan_out_writes_reduced_in_node_name_order() -> None:
    g = StateGraph(S)
    for n in ["start", "zeta", "alpha", "mid", "end"]:
        g.add_node(n, mk(n))
    g.add_edge(START, "start")
    for n in ["zeta", "alpha", "mid"]:
        g.add_edge("start", n)
        g.add_edge(n, "end")
    # LangGraph 1.2.24: {'log': ['start', 'alpha', 'mid', 'zeta', 'end']}
    assert await g.compile().ainvoke({"log": []}) == {"log": ["start", "alpha", "mid", "zeta", "end"]}


def _uneven(join: bool) -> Any:
    g = StateGraph(S)
    for n in ["a", "a2", "b", "c"]:
        g.add_node(n, mk(n))
    g.add_edge(START, "a")
    g.add_edge(START, "b")
    g.add_edge("a", "a2")
    if join:
        g.add_edge(["a2", "b"], "c")
    else:
        g.add_edge("a2", "c")
        g.add_edge("b", "c")
    return g.compile()


async def test_join_of_branches_of_different_lengths_fires_once() -> None:
    graph = _uneven(join=True)
    # LangGraph 1.2.24: {'log': ['a', 'b', 'a2', 'c']}
    assert await graph.ainvoke({"log": []}) == {"log": ["a", "b", "a2", "c"]}
    chunks = [c async for c in graph.astream({"log": []})]
    # LangGraph 1.2.24: a, b (same step), a2, c
    assert sorted(_names(chunks[:2])) == ["a", "b"]
    assert chunks[2:] == [{"a2": {"log": ["a2"]}}, {"c": {"log": ["c"]}}]


async def test_without_join_target_runs_once_per_triggering_step() -> None:
    graph = _uneven(join=False)
    # LangGraph 1.2.24: {'log': ['a', 'b', 'a2', 'c', 'c']}
    assert await graph.ainvoke({"log": []}) == {"log": ["a", "b", "a2", "c", "c"]}
    chunks = [c async for c in graph.astream({"log": []})]
    # LangGraph 1.2.24: a, b | a2, c | c
    assert sorted(_names(chunks[:2])) == ["a", "b"]
    assert sorted(_names(chunks[2:4])) == ["a2", "c"]
    assert chunks[4:] == [{"c": {"log": ["c"]}}]


async def test_join_from_start_nodes() -> None:
    g = StateGraph(S)
    for n in ["a", "b", "c"]:
        g.add_node(n, mk(n))
    g.add_edge(START, "a")
    g.add_edge(START, "b")
    g.add_edge(["a", "b"], "c")
    g.add_edge("c", END)
    # LangGraph 1.2.24: {'log': ['a', 'b', 'c']}
    assert await g.compile().ainvoke({"log": []}) == {"log": ["a", "b", "c"]}


# -- conditional edges ------------------------------------------------------------------------


def _routed(router: Callable[..., Any], path_map: Any = None) -> Any:
    g = StateGraph(NS)
    g.add_node("r", mk("r"))
    for n in ("a", "b", "c"):
        g.add_node(n, mk(n))
    g.add_edge(START, "r")
    g.add_conditional_edges("r", router, path_map)
    return g.compile()


async def test_router_returns_a_name() -> None:
    graph = _routed(lambda s: "b" if s["n"] > 0 else "c")
    # LangGraph 1.2.24: {'n': 1, 'log': ['r', 'b']} / {'n': 0, 'log': ['r', 'c']}
    assert await graph.ainvoke({"n": 1}) == {"n": 1, "log": ["r", "b"]}
    assert await graph.ainvoke({"n": 0}) == {"n": 0, "log": ["r", "c"]}


async def test_router_returns_end() -> None:
    # LangGraph 1.2.24: {'n': 1, 'log': ['r']}
    assert await _routed(lambda s: END).ainvoke({"n": 1}) == {"n": 1, "log": ["r"]}


async def test_router_returns_a_list() -> None:
    # LangGraph 1.2.24: {'n': 1, 'log': ['r', 'a', 'c']} (reduced in node-name order)
    assert await _routed(lambda s: ["c", "a"]).ainvoke({"n": 1}) == {"n": 1, "log": ["r", "a", "c"]}
    # LangGraph 1.2.24: END inside a list is skipped: {'n': 1, 'log': ['r', 'b']}
    assert await _routed(lambda s: ["b", END]).ainvoke({"n": 1}) == {"n": 1, "log": ["r", "b"]}


async def test_router_with_path_map_dict() -> None:
    graph = _routed(lambda s: "yes" if s["n"] else "no", {"yes": "a", "no": END})
    # LangGraph 1.2.24: {'n': 1, 'log': ['r', 'a']} / {'n': 0, 'log': ['r']}
    assert await graph.ainvoke({"n": 1}) == {"n": 1, "log": ["r", "a"]}
    assert await graph.ainvoke({"n": 0}) == {"n": 0, "log": ["r"]}


async def test_router_with_path_map_list() -> None:
    # LangGraph 1.2.24: {'n': 0, 'log': ['r', 'b']}
    assert await _routed(lambda s: "b", ["a", "b"]).ainvoke({"n": 0}) == {"n": 0, "log": ["r", "b"]}


async def test_router_value_missing_from_path_map_raises_key_error() -> None:
    # LangGraph 1.2.24: KeyError("'zz'")
    with pytest.raises(KeyError) as info:
        await _routed(lambda s: "zz", {"yes": "a"}).ainvoke({"n": 0})
    assert str(info.value) == "'zz'"


async def test_router_returning_none() -> None:
    # LangGraph 1.2.24: ValueError('Branch did not return a valid destination')
    with pytest.raises(ValueError, match="^Branch did not return a valid destination"):
        await _routed(lambda s: None).ainvoke({"n": 0})


def lit(s: NS) -> Literal["a", "b"]:
    return "a" if s["n"] else "b"


def lit_bad(s: NS) -> Literal["a", "b"]:
    return "c"  # type: ignore[return-value]


async def test_router_literal_return_hint() -> None:
    # LangGraph 1.2.24: {'n': 1, 'log': ['r', 'a']} / {'n': 0, 'log': ['r', 'b']}
    assert await _routed(lit).ainvoke({"n": 1}) == {"n": 1, "log": ["r", "a"]}
    assert await _routed(lit).ainvoke({"n": 0}) == {"n": 0, "log": ["r", "b"]}
    # LangGraph 1.2.24: a value outside the Literal -> KeyError("'c'")
    with pytest.raises(KeyError) as info:
        await _routed(lit_bad).ainvoke({"n": 1})
    assert str(info.value) == "'c'"


async def test_router_unknown_name_is_ignored() -> None:
    # LangGraph 1.2.24: warning "wrote to unknown channel branch:to:nope, ignoring it"; {'n': 1, 'log': ['r']}
    with pytest.warns(UnknownDestinationWarning, match="^Node 'r' at step 1 routed to 'nope'"):
        assert await _routed(lambda s: "nope").ainvoke({"n": 1}) == {"n": 1, "log": ["r"]}


async def test_async_router() -> None:
    async def router(s: NS) -> str:
        return "b"

    # LangGraph 1.2.24: {'n': 0, 'log': ['r', 'b']}
    assert await _routed(router).ainvoke({"n": 0}) == {"n": 0, "log": ["r", "b"]}


async def test_router_sees_its_source_nodes_own_writes() -> None:
    g = StateGraph(NS)
    g.add_node("r", lambda s: {"n": s["n"] + 100})
    g.add_node("a", mk("a"))
    g.add_node("b", mk("b"))
    g.add_edge(START, "r")
    g.add_conditional_edges("r", lambda s: "a" if s["n"] >= 100 else "b")
    # LangGraph 1.2.24: {'n': 101, 'log': ['a']}
    assert await g.compile().ainvoke({"n": 1}) == {"n": 101, "log": ["a"]}


async def test_loop_ended_by_condition() -> None:
    def inc(s: NS) -> dict[str, Any]:
        return {"n": s["n"] + 1, "log": [s["n"]]}

    g = StateGraph(NS)
    g.add_node("inc", inc)
    g.add_edge(START, "inc")
    g.add_conditional_edges("inc", lambda s: "inc" if s["n"] < 5 else END)
    # LangGraph 1.2.24: {'n': 5, 'log': [0, 1, 2, 3, 4]}
    assert await g.compile().ainvoke({"n": 0}) == {"n": 5, "log": [0, 1, 2, 3, 4]}


async def test_two_node_loop_ended_by_condition() -> None:
    g = StateGraph(NS)
    g.add_node("ping", lambda s: {"n": s["n"] + 1, "log": ["ping"]})
    g.add_node("pong", mk("pong"))
    g.add_edge(START, "ping")
    g.add_edge("pong", "ping")
    g.add_conditional_edges("ping", lambda s: "pong" if s["n"] < 3 else END)
    # LangGraph 1.2.24: {'n': 3, 'log': ['ping', 'pong', 'ping', 'pong', 'ping']}
    assert await g.compile().ainvoke({"n": 0}) == {"n": 3, "log": ["ping", "pong", "ping", "pong", "ping"]}


async def test_conditional_entry_point() -> None:
    g = StateGraph(NS)
    g.add_node("a", mk("a"))
    g.add_node("b", mk("b"))
    g.add_conditional_edges(START, lambda s: ["a", "b"] if s["n"] else "b")
    graph = g.compile()
    # LangGraph 1.2.24: {'n': 1, 'log': ['a', 'b']}
    assert await graph.ainvoke({"n": 1}) == {"n": 1, "log": ["a", "b"]}


async def test_static_edge_and_router_from_same_node() -> None:
    g = StateGraph(NS)
    for n in ["r", "a", "b"]:
        g.add_node(n, mk(n))
    g.add_edge(START, "r")
    g.add_edge("r", "a")
    g.add_conditional_edges("r", lambda s: "b")
    # LangGraph 1.2.24: {'n': 0, 'log': ['r', 'a', 'b']}
    assert await g.compile().ainvoke({"n": 0}) == {"n": 0, "log": ["r", "a", "b"]}


def _defer_graph(defer: bool) -> Any:
    g = StateGraph(S)
    for n in ["a", "a2", "a3", "b", "d"]:
        g.add_node(n, mk(n), defer=defer and n == "d")
    g.add_edge(START, "a")
    g.add_edge("a", "a2")
    g.add_edge("a2", "a3")
    g.add_edge(START, "b")
    g.add_edge("a3", "d")
    g.add_edge("b", "d")
    return g.compile()


async def test_deferred_node_runs_once_after_the_longest_branch() -> None:
    # LangGraph 1.2.24: {'log': ['a', 'b', 'a2', 'a3', 'd']}
    assert await _defer_graph(True).ainvoke({"log": []}) == {"log": ["a", "b", "a2", "a3", "d"]}
    # LangGraph 1.2.24, same graph without defer: {'log': ['a', 'b', 'a2', 'd', 'a3', 'd']}
    assert await _defer_graph(False).ainvoke({"log": []}) == {"log": ["a", "b", "a2", "d", "a3", "d"]}
