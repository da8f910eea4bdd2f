"""Differences found by running LangGraph's documented examples (its how-to guides and concept
pages) on LangGraph 1.2.24 and on actorgraph. Expected values are what LangGraph 1.2.24 gave."""

from __future__ import annotations

from typing import Any, TypedDict

import pytest

from actorgraph.checkpoint.memory import InMemorySaver


class S(TypedDict):
    input: str


def _s1(s: S) -> dict[str, Any]:
    return {"input": s["input"] + "1"}


def _s2(s: S) -> dict[str, Any]:
    return {"input": s["input"] + "2"}


# -- import paths the guides use ---------------------------------------------------------------


def test_the_guides_import_start_and_end_from_graph_state() -> None:
    # The subgraph guide: `from langgraph.graph.state import StateGraph, START`. LangGraph 1.2.24's
    # langgraph.graph.state has START, END, Command, Send, RetryPolicy and CachePolicy; ours had
    # StateGraph and CompiledStateGraph only (ImportError)
    from actorgraph.graph.state import END, START, CachePolicy, Command, RetryPolicy, Send, StateGraph

    assert (START, END) == ("__start__", "__end__")
    assert Command(goto="x").goto == "x" and Send("x", 1).node == "x"
    assert RetryPolicy().max_attempts == 3 and CachePolicy().ttl is None
    g = StateGraph(S).add_node("s1", _s1).add_edge(START, "s1").add_edge("s1", END).compile()
    assert g.invoke({"input": "x"}) == {"input": "x1"}
