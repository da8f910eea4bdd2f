"""What a node sets in a context variable stays with its task.

LangGraph runs every task in a copy of the caller's context: a node sees the caller's values,
and what it sets is seen neither by the next node nor by the caller after the run (observed
with LangGraph 1.2.24: node ``b`` reads ``"outer"``, the caller ``"outer"`` afterwards, for
``def`` nodes under ``invoke``/``stream`` and ``async def`` nodes under ``ainvoke``). A step's lone
task runs in the barrier supervisor's own task (which under ``ainvoke`` is the caller's), so
actorgraph used to let ``a``'s value through to ``b`` and, under ``ainvoke``, to the caller.
"""

from __future__ import annotations

import contextvars
from typing import Any, TypedDict

import pytest

from actorgraph import START, StateGraph

V: contextvars.ContextVar[str] = contextvars.ContextVar("V", default="unset")


class S(TypedDict):
    seen: str


def _graph(sync: bool) -> Any:
    def a(s: S) -> dict[str, Any]:
        V.set("set by a")
        return {"seen": "a"}

    def b(s: S) -> dict[str, Any]:
        return {"seen": V.get()}

    async def a_async(s: S) -> dict[str, Any]:
        return a(s)

    async def b_async(s: S) -> dict[str, Any]:
        return b(s)

    return (StateGraph(S).add_node("a", a if sync else a_async).add_node("b", b if sync else b_async)
            .add_edge(START, "a").add_edge("a", "b").compile())


@pytest.mark.parametrize("api", ["invoke", "stream"])
def test_a_def_nodes_context_variables_stay_with_its_task(api: str) -> None:
    token = V.set("outer")
    try:
        g = _graph(sync=True)
        if api == "invoke":
            assert g.invoke({"seen": ""}) == {"seen": "outer"}
        else:
            assert list(g.stream({"seen": ""})) == [{"a": {"seen": "a"}}, {"b": {"seen": "outer"}}]
        assert V.get() == "outer"
    finally:
        V.reset(token)


@pytest.mark.anyio
@pytest.mark.parametrize("sync", [False, True])
async def test_a_nodes_context_variables_stay_with_its_task_under_ainvoke(anyio_backend: str, sync: bool) -> None:
    token = V.set("outer")
    try:
        assert await _graph(sync).ainvoke({"seen": ""}) == {"seen": "outer"}
        assert V.get() == "outer"
    finally:
        V.reset(token)


@pytest.mark.anyio
async def test_isolation_holds_across_suspensions_subgraphs_and_failures(anyio_backend: str) -> None:
    import anyio

    async def sets_and_waits(s: S) -> dict[str, Any]:
        V.set("set before a suspension")
        await anyio.sleep(0)
        assert V.get() == "set before a suspension"  # (its own value, while it runs)
        return {"seen": "a"}

    def sets(s: S) -> dict[str, Any]:
        V.set("set in a subgraph")
        return {"seen": "sub"}

    async def reads(s: S) -> dict[str, Any]:
        return {"seen": V.get()}

    sub = StateGraph(S).add_node("inner", sets).add_edge(START, "inner").compile()
    g = (StateGraph(S).add_node("a", sets_and_waits).add_node("sub", sub).add_node("b", reads)
         .add_edge(START, "a").add_edge("a", "sub").add_edge("sub", "b").compile())

    async def fails(s: S) -> dict[str, Any]:
        V.set("set by a failing node")
        raise ValueError("boom")

    failing = StateGraph(S).add_node("f", fails).add_edge(START, "f").compile()
    token = V.set("outer")
    try:
        assert await g.ainvoke({"seen": ""}) == {"seen": "outer"}
        with pytest.raises(ValueError, match="boom"):
            await failing.ainvoke({"seen": ""})
        assert V.get() == "outer"
    finally:
        V.reset(token)
