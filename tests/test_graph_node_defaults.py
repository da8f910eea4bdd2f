"""``StateGraph.set_node_defaults(...)``: policies for the nodes that set none of their own."""

from __future__ import annotations

from typing import Any, TypedDict

import anyio
import pytest

from actorgraph import START, RetryPolicy, StateGraph
from actorgraph.cache import InMemoryCache
from actorgraph.errors import GraphValidationError, NodeError, NodeTimeoutError
from actorgraph.types import CachePolicy


class S(TypedDict):
    x: int


class Flaky(Exception):
    pass


def flaky(fails: int, calls: list[str], name: str) -> Any:
    def node(s: S) -> dict[str, Any]:
        calls.append(name)
        if calls.count(name) <= fails:
            raise Flaky(name)
        return {"x": s["x"] + 1}

    return node


QUICK = RetryPolicy(max_attempts=3, initial_interval=0.0, jitter=False, retry_on=Flaky)


@pytest.mark.anyio
async def test_default_retry_policy_applies_to_nodes_without_their_own() -> None:
    calls: list[str] = []
    g = StateGraph(S).set_node_defaults(retry_policy=QUICK)
    g.add_node("a", flaky(2, calls, "a")).add_edge(START, "a")
    assert await g.compile().ainvoke({"x": 0}) == {"x": 1}
    assert calls == ["a", "a", "a"]  # two failures retried by the default policy


@pytest.mark.anyio
async def test_a_nodes_own_retry_policy_wins() -> None:
    calls: list[str] = []
    g = StateGraph(S).set_node_defaults(retry_policy=QUICK)
    once = RetryPolicy(max_attempts=1, retry_on=Flaky)
    g.add_node("a", flaky(1, calls, "a"), retry_policy=once).add_edge(START, "a")
    with pytest.raises(Flaky):
        await g.compile().ainvoke({"x": 0})
    assert calls == ["a"]


@pytest.mark.anyio
async def test_defaults_set_after_the_nodes_apply_at_compile() -> None:
    calls: list[str] = []
    g = StateGraph(S)
    g.add_node("a", flaky(1, calls, "a")).add_edge(START, "a")
    g.set_node_defaults(retry_policy=[QUICK])
    assert await g.compile().ainvoke({"x": 0}) == {"x": 1}
    assert calls == ["a", "a"]


def test_without_defaults_a_failure_is_not_retried() -> None:
    calls: list[str] = []
    g = StateGraph(S)
    g.add_node("a", flaky(1, calls, "a")).add_edge(START, "a")
    with pytest.raises(Flaky):
        g.compile().invoke({"x": 0})
    assert calls == ["a"]


def test_default_error_handler_runs_as_its_own_node() -> None:
    # observed from LangGraph 1.2: the handler's update is keyed "__default_error_handler__",
    # the failed node's edge to b is not taken, and the drawing shows the handler's node last
    def a(s: S) -> dict[str, Any]:
        raise ValueError("x")

    def handler(s: S, error: NodeError) -> dict[str, Any]:
        return {"x": -1}

    g = StateGraph(S).set_node_defaults(
        error_handler=handler,
        retry_policy=RetryPolicy(max_attempts=2, initial_interval=0.0, retry_on=ValueError))
    g.add_node("a", a).add_node("b", add_one).add_edge(START, "a").add_edge("a", "b")
    graph = g.compile()
    assert list(graph.stream({"x": 0}, stream_mode="updates")) == [{"__default_error_handler__": {"x": -1}}]
    assert list(graph.get_graph().nodes) == ["__start__", "a", "b", "__default_error_handler__", "__end__"]


def test_a_nodes_own_error_handler_wins() -> None:
    def a(s: S) -> dict[str, Any]:
        raise ValueError("x")

    def fallback(s: S, error: NodeError) -> dict[str, Any]:
        return {"x": -1}

    def own(s: S, error: NodeError) -> dict[str, Any]:
        return {"x": -2}

    g = StateGraph(S).set_node_defaults(error_handler=fallback)
    g.add_node("a", a, error_handler=own).add_edge(START, "a")
    graph = g.compile()
    assert list(graph.stream({"x": 0}, stream_mode="updates")) == [{"__error_handler__a": {"x": -2}}]
    # observed from LangGraph 1.2: the default handler's node is drawn even though no node uses it
    assert list(graph.get_graph().nodes) == ["__start__", "__error_handler__a", "a",
                                             "__default_error_handler__", "__end__"]


def add_one(s: S) -> dict[str, Any]:
    return {"x": s["x"] + 1}


@pytest.mark.anyio
async def test_default_timeout() -> None:
    async def slow(s: S) -> dict[str, Any]:
        await anyio.sleep(30)
        return {"x": 1}

    g = StateGraph(S).set_node_defaults(timeout=0.05)
    g.add_node("slow", slow).add_edge(START, "slow")
    with pytest.raises(NodeTimeoutError, match="slow"):
        await g.compile().ainvoke({"x": 0})


def test_default_timeout_refuses_sync_nodes_as_a_nodes_own_does() -> None:
    # LangGraph 1.2 raises ValueError naming the sync node for a default timeout too
    g = StateGraph(S).set_node_defaults(timeout=1.0)
    g.add_node("a", add_one).add_edge(START, "a")
    with pytest.raises(GraphValidationError, match="Node 'a' has a timeout but is sync"):
        g.compile()


@pytest.mark.anyio
async def test_default_cache_policy() -> None:
    calls: list[int] = []

    def counted(s: S) -> dict[str, Any]:
        calls.append(s["x"])
        return {"x": s["x"] + 1}

    g = StateGraph(S).set_node_defaults(cache_policy=CachePolicy())
    g.add_node("a", counted).add_edge(START, "a")
    graph = g.compile(cache=InMemoryCache())
    assert await graph.ainvoke({"x": 1}) == {"x": 2}
    assert await graph.ainvoke({"x": 1}) == {"x": 2}
    assert calls == [1]  # the second run reused the cached writes
