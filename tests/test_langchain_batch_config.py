"""``CompiledGraph.with_config``, ``batch`` and ``abatch``: LangChain's Runnable API on a compiled
graph, which needs no langchain-core (this file runs in both CI passes).

Expected values observed by running the same graphs on LangGraph 1.2.24 (scratch scripts)."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, StateGraph
from actorgraph.errors import GraphRecursionError
from actorgraph.persistence import InMemorySaver


class S(TypedDict):
    x: int


def inc(s: S, config: dict[str, Any]) -> dict[str, int]:
    if s["x"] < 0:
        raise ValueError(f"neg {s['x']}")
    return {"x": s["x"] + 1}


def graph(**compile_kw: Any) -> Any:
    return StateGraph(S).add_node("n", inc).add_edge(START, "n").compile(**compile_kw)


def test_batch_returns_outputs_in_input_order() -> None:
    # interop.py's graph_is_not_a_runnable: LangGraph gives [{'x': 2}, {'x': 3}]
    assert graph().batch([{"x": 1}, {"x": 2}]) == [{"x": 2}, {"x": 3}]
    assert graph().batch([]) == []


def test_batch_with_one_config_per_input() -> None:
    seen: list[list[str]] = []

    def tagged(s: S, config: dict[str, Any]) -> dict[str, int]:
        seen.append(config.get("tags", []))
        return {"x": s["x"] + 1}

    app = StateGraph(S).add_node("n", tagged).add_edge(START, "n").compile()
    assert app.batch([{"x": 1}, {"x": 2}], [{"tags": ["a"]}, {"tags": ["b"]}]) == [{"x": 2}, {"x": 3}]
    assert sorted(seen) == [["a"], ["b"]]
    with pytest.raises(ValueError, match="2 inputs and 1 configs"):
        app.batch([{"x": 1}, {"x": 2}], [{"tags": ["a"]}])


def test_batch_failures_raised_or_returned() -> None:
    with pytest.raises(ValueError, match="neg -1"):
        graph().batch([{"x": 1}, {"x": -1}])
    out = graph().batch([{"x": 1}, {"x": -1}], return_exceptions=True)
    assert out[0] == {"x": 2}
    assert isinstance(out[1], ValueError) and str(out[1]) == "neg -1"


@pytest.mark.anyio
async def test_abatch_runs_concurrently_within_max_concurrency(anyio_backend: str) -> None:
    import anyio

    running = [0, 0]  # now, most at once

    async def slow(s: S) -> dict[str, int]:
        running[0] += 1
        running[1] = max(running)
        await anyio.sleep(0.01)
        running[0] -= 1
        return {"x": s["x"] + 1}

    app = StateGraph(S).add_node("n", slow).add_edge(START, "n").compile()
    assert await app.abatch([{"x": 1}, {"x": 5}, {"x": 7}]) == [{"x": 2}, {"x": 6}, {"x": 8}]
    assert running[1] == 3
    running[1] = 0
    assert await app.abatch([{"x": i} for i in range(4)], {"max_concurrency": 2}) == [{"x": i + 1} for i in range(4)]
    assert running[1] == 2


def test_with_config_binds_a_thread() -> None:
    app = graph(checkpointer=InMemorySaver()).with_config({"configurable": {"thread_id": "t"}})
    app.invoke({"x": 1})
    assert app.get_state({"configurable": {"thread_id": "t"}}).values == {"x": 2}


def test_with_config_keyword_recursion_limit() -> None:
    class T(TypedDict):
        x: Annotated[int, operator.add]

    app = (StateGraph(T).add_node("a", lambda s: {"x": 1}).add_node("b", lambda s: {"x": 1})
           .add_edge(START, "a").add_edge("a", "b").add_edge("b", "a").compile())
    with pytest.raises(GraphRecursionError):
        app.with_config(recursion_limit=3).invoke({"x": 0})


def test_with_config_merges_under_the_call_config_and_leaves_the_graph_alone() -> None:
    seen: list[dict[str, Any]] = []

    def n(s: S, config: dict[str, Any]) -> dict[str, int]:
        seen.append(config)
        return {"x": 0}

    app = StateGraph(S).add_node("n", n).add_edge(START, "n").compile()
    bound = app.with_config(tags=["bound"], metadata={"a": 1, "b": 1}).with_config(metadata={"b": 2})
    bound.invoke({"x": 1}, {"tags": ["call"], "metadata": {"c": 3}})
    assert seen[0]["tags"] == ["bound", "call"]
    assert {k: seen[0]["metadata"][k] for k in "abc"} == {"a": 1, "b": 2, "c": 3}
    app.invoke({"x": 1})
    assert "tags" not in seen[1] and app.config is None
