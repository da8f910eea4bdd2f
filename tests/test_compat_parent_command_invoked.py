"""``Command(graph=Command.PARENT)`` from a graph that a node *calls* (``child.invoke()``,
``await child.ainvoke()``, ``async for ... in child.astream()`` inside the node's body): as
LangGraph 1.2, the Command is the calling node's result in its graph (repro r14). On asyncio
and trio.

Expected values were produced by running the same graphs with LangGraph 1.2.24.
"""

from __future__ import annotations

from typing import Any, TypedDict

import pytest

from actorgraph import START, Command, StateGraph
from actorgraph.errors import ParentCommand
from actorgraph.persistence import InMemorySaver

pytestmark = pytest.mark.anyio


class P(TypedDict):
    x: int


class C(TypedDict):
    y: int


def child(goto: str = "second", update: dict[str, Any] | None = None) -> Any:
    return (StateGraph(C).add_node("node", lambda s: Command(graph=Command.PARENT, goto=goto, update=update))
            .add_edge(START, "node").compile())


def parent(first: Any, checkpointer: Any = None) -> Any:
    return (StateGraph(P).add_node("first", first).add_node("second", lambda s: {"x": s["x"] + 1})
            .add_edge(START, "first").compile(checkpointer=checkpointer))


def test_sync_invoke_in_a_sync_node() -> None:  # r14 as given
    sub = child()

    def first(state: P) -> dict[str, Any]:
        sub.invoke({"y": 1})
        raise AssertionError("not reached")

    assert parent(first).invoke({"x": 1}) == {"x": 2}  # LangGraph: {'x': 2}
    sub = child(update={"x": 10})
    assert list(parent(first).stream({"x": 1}, stream_mode="updates")) == [
        {"first": {"x": 10}}, {"second": {"x": 11}}]


async def test_ainvoke_in_an_async_node() -> None:
    sub = child(update={"x": 10})

    async def first(state: P) -> dict[str, Any]:
        await sub.ainvoke({"y": 1})
        raise AssertionError("not reached")

    assert await parent(first).ainvoke({"x": 1}) == {"x": 11}


async def test_astream_in_an_async_node() -> None:
    sub = child(update={"x": 10})

    async def first(state: P) -> dict[str, Any]:
        async for _ in sub.astream({"y": 1}):
            pass
        raise AssertionError("not reached")

    chunks = [c async for c in parent(first).astream({"x": 1}, stream_mode="updates")]
    assert chunks == [{"first": {"x": 10}}, {"second": {"x": 11}}]


async def test_checkpointed_history() -> None:
    sub = child(update={"x": 10})

    async def first(state: P) -> dict[str, Any]:
        await sub.ainvoke({"y": 1})
        raise AssertionError("not reached")

    g = parent(first, InMemorySaver())
    cfg: dict[str, Any] = {"configurable": {"thread_id": "1"}}
    assert await g.ainvoke({"x": 1}, cfg) == {"x": 11}
    history = [(s.metadata["source"], s.metadata["step"], s.next, s.values) async for s in g.aget_state_history(cfg)]
    assert history == [("loop", 2, (), {"x": 11}), ("loop", 1, ("second",), {"x": 10}),
                       ("loop", 0, ("first",), {"x": 1}), ("input", -1, ("__start__",), {})]


async def test_addressed_to_the_graph_that_called_it_not_further() -> None:
    """top's node invokes mid; mid's node invokes leaf, whose Command(PARENT) jumps in mid."""
    leaf = child(goto="mid_b", update={"x": 5})

    async def mid_a(state: P) -> dict[str, Any]:
        await leaf.ainvoke({"y": 1})
        raise AssertionError("not reached")

    mid = (StateGraph(P).add_node("mid_a", mid_a).add_node("mid_b", lambda s: {"x": s["x"] * 3})
           .add_edge(START, "mid_a").compile())

    async def top_a(state: P) -> dict[str, Any]:
        return {"x": (await mid.ainvoke({"x": state["x"]}))["x"] + 100}

    top = StateGraph(P).add_node("top_a", top_a).add_edge(START, "top_a").compile()
    assert await top.ainvoke({"x": 1}) == {"x": 115}  # LangGraph: {'x': 115}


async def test_beside_a_sibling_task() -> None:
    sub = child(update={"x": 10})

    async def first(state: P) -> dict[str, Any]:
        await sub.ainvoke({"y": 1})
        raise AssertionError("not reached")

    g = (StateGraph(P).add_node("first", first).add_node("other", lambda s: {}).add_node("second", lambda s: {"x": s["x"] + 1})
         .add_edge(START, "first").add_edge(START, "other").compile())
    chunks = [c async for c in g.astream({"x": 1}, stream_mode="updates")]
    # LangGraph: {'first': {'x': 10}}, {'other': None} (in either order), then {'second': {'x': 11}}
    assert sorted(chunks[:2], key=str) == [{"first": {"x": 10}}, {"other": None}]
    assert chunks[2:] == [{"second": {"x": 11}}]


async def test_a_node_of_the_root_graph_addressing_a_parent_still_raises() -> None:
    g = StateGraph(P).add_node("n", lambda s: Command(graph=Command.PARENT, goto="n")).add_edge(START, "n").compile()
    with pytest.raises(ParentCommand):
        await g.ainvoke({"x": 1})


async def test_with_langchain_callbacks() -> None:
    """The traced path (a callbacks config makes every task a chain run) handles it too."""
    callbacks = pytest.importorskip("langchain_core.callbacks")
    seen: list[str] = []

    class Handler(callbacks.BaseCallbackHandler):  # type: ignore[misc,name-defined]
        def on_chain_start(self, serialized: Any, inputs: Any, **kw: Any) -> None:
            seen.append(kw.get("name") or "")

    sub = child(update={"x": 10})

    async def first(state: P) -> dict[str, Any]:
        await sub.ainvoke({"y": 1})
        raise AssertionError("not reached")

    assert await parent(first).ainvoke({"x": 1}, {"callbacks": [Handler()]}) == {"x": 11}
    assert "first" in seen and "second" in seen
