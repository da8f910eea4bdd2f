"""Sync routers see no event loop, as in LangGraph (found by running the same programs on
LangGraph 1.2.24 and on actorgraph): LangGraph calls a sync router in the caller's thread under
``invoke()`` and in a worker thread under ``ainvoke()``, where no loop runs; actorgraph calls it
on the event loop's thread with the loop hidden. ``asyncio.run()`` (how many SDKs wrap their
async clients) and a graph's sync API work in it."""

from __future__ import annotations

import asyncio
from typing import Any, TypedDict

import pytest

from actorgraph import END, START, StateGraph
from actorgraph.config import get_stream_writer


class S(TypedDict):
    x: int


async def _fetch() -> int:
    await asyncio.sleep(0)
    return 7


def _loop_seen() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _graph(route: Any, first_async: bool = False) -> Any:
    async def a_async(s: S) -> dict[str, Any]:
        return {"x": 1}

    def a(s: S) -> dict[str, Any]:
        return {"x": 1}

    return (StateGraph(S).add_node("a", a_async if first_async else a).add_node("b", lambda s: {"x": s["x"] + 1})
            .add_edge(START, "a").add_conditional_edges("a", route, ["b", END]).compile())


def _asyncio_run_router(seen: list[bool]) -> Any:
    def route(s: S) -> str:
        seen.append(_loop_seen())
        return "b" if asyncio.run(_fetch()) == 7 else END
    return route


def test_a_sync_router_under_invoke_sees_no_loop_and_may_run_asyncio() -> None:
    # LangGraph 1.2.24: 'router: no loop', {'x': 2} (invoke), [{'a': {'x': 1}}, {'b': {'x': 2}}] (stream)
    seen: list[bool] = []
    g = _graph(_asyncio_run_router(seen))
    assert g.invoke({"x": 0}) == {"x": 2}
    assert list(g.stream({"x": 0})) == [{"a": {"x": 1}}, {"b": {"x": 2}}]
    assert seen == [False, False]


@pytest.mark.anyio
@pytest.mark.parametrize("first_async", [False, True])
async def test_a_sync_router_under_ainvoke_sees_no_loop(anyio_backend: str, first_async: bool) -> None:
    # LangGraph 1.2.24: under ainvoke the sync router runs where no loop runs (a worker thread),
    # after a sync node and after an async one: asyncio.run() works, the result is {'x': 2}
    seen: list[bool] = []
    g = _graph(_asyncio_run_router(seen), first_async)
    assert await g.ainvoke({"x": 0}) == {"x": 2}
    assert [c async for c in g.astream({"x": 0})] == [{"a": {"x": 1}}, {"b": {"x": 2}}]
    assert seen == [False, False]


def _inner() -> Any:
    return StateGraph(S).add_node("i", lambda s: {"x": s["x"] * 10}).add_edge(START, "i").compile()


def test_a_router_calling_a_graphs_sync_api_under_invoke_and_stream() -> None:
    # LangGraph 1.2.24 (a router invoking another graph, then writing a custom chunk):
    # {'x': 2}; [('custom', {'routed': 30}), ('updates', {'a': {'x': 1}}), ('updates', {'b': {'x': 2}})]
    inner = _inner()

    def route(s: S) -> str:
        r = inner.invoke({"x": 3})
        get_stream_writer()({"routed": r["x"]})
        return "b" if r["x"] == 30 else END

    g = _graph(route)
    assert g.invoke({"x": 0}) == {"x": 2}
    assert list(g.stream({"x": 0}, stream_mode=["custom", "updates"])) == [
        ("custom", {"routed": 30}), ("updates", {"a": {"x": 1}}), ("updates", {"b": {"x": 2}})]


@pytest.mark.anyio
async def test_a_router_calling_a_graphs_sync_api_under_ainvoke(anyio_backend: str) -> None:
    # LangGraph 1.2.24: as under invoke ({'x': 2}, the same chunks)
    inner = _inner()

    def route(s: S) -> str:
        r = inner.invoke({"x": 3})
        get_stream_writer()({"routed": r["x"]})
        return "b" if r["x"] == 30 else END

    g = _graph(route, first_async=True)
    assert await g.ainvoke({"x": 0}) == {"x": 2}
    assert [c async for c in g.astream({"x": 0}, stream_mode=["custom", "updates"])] == [
        ("custom", {"routed": 30}), ("updates", {"a": {"x": 1}}), ("updates", {"b": {"x": 2}})]


@pytest.mark.anyio
async def test_an_async_router_still_runs_on_the_loop(anyio_backend: str) -> None:
    # an async router is awaited on the run's loop (LangGraph's too): it sees its backend's loop
    seen: list[str] = []

    async def route(s: S) -> str:
        import sniffio
        seen.append(sniffio.current_async_library())
        return "b"

    g = _graph(route)
    assert await g.ainvoke({"x": 0}) == {"x": 2}
    assert seen == [anyio_backend]
