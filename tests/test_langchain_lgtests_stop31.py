"""Differences found by running LangGraph's own small test files (libs/langgraph/tests/test_*.py)
on actorgraph, where langchain-core (and LangSmith) are involved; expected values are what
LangGraph 1.2.24 gives."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

import pytest
from typing_extensions import TypedDict

pytest.importorskip("langchain_core")
langsmith = pytest.importorskip("langsmith")

from actorgraph.graph.state import END, START, StateGraph  # noqa: E402  (LangGraph's path has them)


class S(TypedDict):
    x: int
    seen: list[Any]


def _run_tree_chain() -> list[tuple[str, str, list[str]]]:
    tree = langsmith.get_current_run_tree()
    chain = []
    while tree is not None:
        chain.append((tree.name, tree.run_type, sorted(tree.tags or [])))
        tree = tree.parent_run
    return chain


def _graph(is_async: bool, routed: list[Any]) -> Any:
    def node(s: S) -> dict[str, Any]:
        return {"seen": _run_tree_chain()}

    async def anode(s: S) -> dict[str, Any]:
        return {"seen": _run_tree_chain()}

    def route(s: S) -> str:
        tree = langsmith.get_current_run_tree()
        routed.append(tree.name if tree is not None else None)
        return "b"

    return (StateGraph(S).add_node("a", anode if is_async else node).add_node("b", lambda s: {"x": 2})
            .add_edge(START, "a").add_conditional_edges("a", route, ["b"]).add_edge("b", END).compile())


@contextlib.contextmanager
def _langsmith_tracing() -> Iterator[None]:
    # LangSmith tracing switched on, with a mock client: nothing leaves the process
    with patch("langsmith.client.Client", spec=langsmith.Client) as client, \
            patch("langchain_core.tracers.langchain.get_client") as get_client:
        get_client.return_value = client
        with langsmith.tracing_context(enabled=True):
            yield


# -- from LangGraph's test_utils.py (test_runnable_callable_tracing_nested) --------------------


def test_langsmith_run_tree_inside_a_node_sync() -> None:
    # LangGraph 1.2.24: with LangSmith tracing on (langsmith.tracing_context(enabled=True), or
    # LANGSMITH_TRACING=true) a graph run is traced without any config["callbacks"], and inside a
    # node langsmith.get_current_run_tree() is the node's run (a router sees its own run); we
    # did not trace at all there (None)
    routed: list[Any] = []
    with _langsmith_tracing():
        out = _graph(False, routed).invoke({"x": 1, "seen": []})
    assert out["seen"] == [("a", "chain", ["graph:step:1"])]
    assert routed == ["route"]
    assert langsmith.get_current_run_tree() is None
    # tracing off: no run tree
    routed.clear()
    assert _graph(False, routed).invoke({"x": 1, "seen": []})["seen"] == []
    assert routed == [None]


@pytest.mark.anyio
async def test_langsmith_run_tree_inside_a_node_async(anyio_backend: str) -> None:
    routed: list[Any] = []
    with _langsmith_tracing():
        out = await _graph(True, routed).ainvoke({"x": 1, "seen": []})
        out_sync_node = await _graph(False, routed).ainvoke({"x": 1, "seen": []})
    assert out["seen"] == out_sync_node["seen"] == [("a", "chain", ["graph:step:1"])]
    assert routed == ["route", "route"]
    assert langsmith.get_current_run_tree() is None
