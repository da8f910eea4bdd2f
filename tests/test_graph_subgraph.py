"""Subgraphs: compiled graphs as nodes (shared keys) and graphs called inside function nodes.

Expected values come from running the same graphs on LangGraph 1.2.24 (never from actorgraph).
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, StateGraph
from _helpers import Outer, inner_graph, mk

pytestmark = pytest.mark.anyio


class S(TypedDict):
    log: Annotated[list[Any], operator.add]
    x: int


class C(TypedDict):
    log: Annotated[list[Any], operator.add]
    x: int
    inner: str


def _shared() -> Any:
    cg = StateGraph(C)
    cg.add_node("c1", lambda s: {"log": ["c1"], "x": s["x"] + 1, "inner": "secret"})
    cg.add_edge(START, "c1")
    g = StateGraph(S)
    g.add_node("pre", mk("pre"))
    g.add_node("child", cg.compile())
    g.add_node("post", mk("post"))
    g.add_edge(START, "pre")
    g.add_edge("pre", "child")
    g.add_edge("child", "post")
    return g.compile()


async def test_shared_reducer_key_is_duplicated_and_child_only_keys_dropped() -> None:
    graph = _shared()
    # LangGraph 1.2.24: {'log': ['in', 'pre', 'in', 'pre', 'c1', 'post'], 'x': 2}
    assert await graph.ainvoke({"log": ["in"], "x": 1}) == {"log": ["in", "pre", "in", "pre", "c1", "post"], "x": 2}


async def test_shared_keys_updates_stream() -> None:
    chunks = [c async for c in _shared().astream({"log": ["in"], "x": 1})]
    # LangGraph 1.2.24: the subgraph node's update is the child's whole final state (shared keys only)
    assert chunks == [
        {"pre": {"log": ["pre"]}},
        {"child": {"log": ["in", "pre", "c1"], "x": 2}},
        {"post": {"log": ["post"]}},
    ]


async def test_subgraph_sharing_only_a_last_value_key() -> None:
    class C2(TypedDict):
        x: int

    cg = StateGraph(C2)
    cg.add_node("c2", lambda s: {"x": s["x"] * 100})
    cg.add_edge(START, "c2")
    g = StateGraph(S)
    g.add_node("child", cg.compile())
    g.add_edge(START, "child")
    graph = g.compile()
    # LangGraph 1.2.24: {'log': [], 'x': 200}; updates [{'child': {'x': 200}}]
    assert await graph.ainvoke({"log": [], "x": 2}) == {"log": [], "x": 200}
    assert [c async for c in graph.astream({"log": [], "x": 2})] == [{"child": {"x": 200}}]


class P(TypedDict):
    log: Annotated[list[Any], operator.add]
    only_parent: str


class CC(TypedDict):
    log: Annotated[list[Any], operator.add]
    only_child: str


async def test_subgraph_sees_only_its_keys_and_its_extra_keys_are_dropped_silently() -> None:
    seen: list[Any] = []

    def cc1(s: CC) -> dict[str, Any]:
        seen.append(dict(s))
        return {"only_child": "c", "log": ["cc1"]}

    cg = StateGraph(CC)
    cg.add_node("cc1", cc1)
    cg.add_node("cc2", lambda s: {"log": ["cc2:" + s["only_child"]]})
    cg.add_edge(START, "cc1")
    cg.add_edge("cc1", "cc2")
    g = StateGraph(P)
    g.add_node("child", cg.compile())
    g.add_edge(START, "child")
    graph = g.compile()
    # LangGraph 1.2.24: {'log': ['cc1', 'cc2:c'], 'only_parent': 'p'}; cc1 sees {'log': []}
    assert await graph.ainvoke({"log": [], "only_parent": "p"}) == {"log": ["cc1", "cc2:c"], "only_parent": "p"}
    assert seen == [{"log": []}]
    # LangGraph 1.2.24: [{'child': {'log': ['cc1', 'cc2:c']}}] ('only_child' dropped, no error)
    assert [c async for c in graph.astream({"log": [], "only_parent": "p"})] == [
        {"child": {"log": ["cc1", "cc2:c"]}}
    ]


async def test_nested_subgraphs_duplicate_at_each_level() -> None:
    gg = StateGraph(C)
    gg.add_node("g1", mk("g1"))
    gg.add_edge(START, "g1")
    mid = StateGraph(C)
    mid.add_node("grand", gg.compile())
    mid.add_edge(START, "grand")
    g = StateGraph(S)
    g.add_node("mid", mid.compile())
    g.add_edge(START, "mid")
    # LangGraph 1.2.24: {'log': ['in', 'in', 'in', 'g1'], 'x': 0}
    assert await g.compile().ainvoke({"log": ["in"], "x": 0}) == {"log": ["in", "in", "in", "g1"], "x": 0}


async def test_subgraph_with_different_schema_called_in_async_node() -> None:
    inner = inner_graph()

    async def call(s: Outer) -> dict[str, Any]:
        out = await inner.ainvoke({"text": s["sentence"]})
        return {"result": out["words"]}

    g = StateGraph(Outer)
    g.add_node("call", call)
    g.add_edge(START, "call")
    # LangGraph 1.2.24: {'sentence': 'a b', 'result': ['a', 'b', 'A', 'B']}
    assert await g.compile().ainvoke({"sentence": "a b"}) == {"sentence": "a b", "result": ["a", "b", "A", "B"]}


def test_subgraph_with_different_schema_called_in_sync_node() -> None:
    inner = inner_graph()

    def call(s: Outer) -> dict[str, Any]:
        out = inner.invoke({"text": s["sentence"]})
        return {"result": out["words"]}

    g = StateGraph(Outer)
    g.add_node("call", call)
    g.add_edge(START, "call")
    # LangGraph 1.2.24: {'sentence': 'a b', 'result': ['a', 'b', 'A', 'B']}
    assert g.compile().invoke({"sentence": "a b"}) == {"sentence": "a b", "result": ["a", "b", "A", "B"]}
