"""Differences found by running LangGraph's documented examples (its how-to guides and concept
pages) on LangGraph 1.2.24 and on actorgraph. Expected values are what LangGraph 1.2.24 gave."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, StateGraph
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


# -- a node's second parameter with a default ------------------------------------------------


class L(TypedDict):
    log: Annotated[list[str], operator.add]


@pytest.mark.anyio
async def test_a_second_parameter_with_a_default_keeps_it(anyio_backend: str) -> None:
    # Nodes made in a loop bind the loop variable as a default (`lambda state, name=name: ...`).
    # LangGraph 1.2.24 passes the config by name only (a parameter named `config`), so `name`
    # keeps its default: {'log': ['a', 'b']}. We passed the config dict to any second positional
    # parameter (the node wrote "{'configurable': ...}"); routers likewise
    builder = StateGraph(L)
    for name in ("a", "b"):
        builder.add_node(name, lambda state, name=name: {"log": [name]})

    async def route(state: L, target: str = "b") -> str:
        return target

    builder.add_edge(START, "a").add_conditional_edges("a", route, ["b"])
    assert await builder.compile().ainvoke({"log": []}) == {"log": ["a", "b"]}

    async def with_config(state: L, config=None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        return {"log": [config["metadata"]["langgraph_node"]]}

    async def by_position(state: L, cfg: Any) -> dict[str, Any]:  # (LangGraph: TypeError; we pass it)
        return {"log": [cfg["metadata"]["langgraph_node"]]}

    g = (StateGraph(L).add_node("c", with_config).add_node("p", by_position)
         .add_edge(START, "c").add_edge("c", "p").compile())
    assert await g.ainvoke({"log": []}) == {"log": ["c", "p"]}
