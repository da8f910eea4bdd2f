"""``StateGraph.set_node_defaults(...)``: policies for the nodes that set none of their own."""

from __future__ import annotations

from typing import Any, TypedDict

import pytest

from actorgraph import START, RetryPolicy, StateGraph


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


@pytest.mark.parametrize("option", ["cache_policy", "error_handler", "timeout"])
def test_unsupported_defaults_are_refused_not_ignored(option: str) -> None:
    with pytest.raises(NotImplementedError, match=f"set_node_defaults\\({option}=...\\)"):
        StateGraph(S).set_node_defaults(**{option: object()})
