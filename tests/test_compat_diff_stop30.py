"""Differences found by running the same programs on LangGraph 1.2.24 and on actorgraph."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, StateGraph
from actorgraph.checkpoint.memory import InMemorySaver
from actorgraph.config import get_stream_writer
from actorgraph.types import Command, interrupt


class S(TypedDict):
    x: int
    log: Annotated[list[Any], operator.add]


def _inner_node(s: S) -> dict[str, Any]:
    get_stream_writer()({"inner": s["x"]})
    return {"x": s["x"] + 1, "log": ["i1"]}


def _inner() -> Any:
    return StateGraph(S).add_node("i1", _inner_node).add_edge(START, "i1").compile()


def _ns(path: tuple[str, ...]) -> list[str]:
    return [p.split(":")[0] for p in path]


# -- the sync API called where an event loop runs ---------------------------------------------


@pytest.mark.anyio
async def test_the_sync_api_works_from_async_code(anyio_backend: str) -> None:
    # (a notebook's cell runs in a running event loop.) LangGraph 1.2.24: invoke, stream,
    # batch, get_state, update_state, get_state_history and a resume all work there (the
    # caller's loop is blocked meanwhile); we raised RuntimeError('... inside a running event loop')
    inner = _inner()

    def outer(s: S) -> dict[str, Any]:
        return {"x": inner.invoke({"x": s["x"], "log": []})["x"], "log": ["outer"]}

    def ask(s: S) -> dict[str, Any]:
        return {"log": [interrupt("q?")]}

    g = StateGraph(S).add_node("outer", outer).add_edge(START, "outer").compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "1"}}
    assert g.invoke({"x": 1, "log": []}, cfg) == {"x": 2, "log": ["outer"]}
    assert g.get_state(cfg).values == {"x": 2, "log": ["outer"]}
    g.update_state(cfg, {"x": 100})
    assert g.get_state(cfg).values["x"] == 100
    assert len(list(g.get_state_history(cfg))) == 4
    chunks = [(_ns(ns), mode, chunk) for ns, mode, chunk in g.stream(
        {"x": 1, "log": []}, {"configurable": {"thread_id": "2"}}, stream_mode=["updates", "custom"], subgraphs=True)]
    assert chunks == [
        (["outer"], "custom", {"inner": 1}),
        (["outer"], "updates", {"i1": {"x": 2, "log": ["i1"]}}),
        ([], "updates", {"outer": {"x": 2, "log": ["outer"]}}),
    ]
    assert g.batch([{"x": 1, "log": []}, {"x": 2, "log": []}],
                   [{"configurable": {"thread_id": "3"}}, {"configurable": {"thread_id": "4"}}]) == [
        {"x": 2, "log": ["outer"]}, {"x": 3, "log": ["outer"]}]
    h = StateGraph(S).add_node("ask", ask).add_edge(START, "ask").compile(checkpointer=InMemorySaver())
    hc = {"configurable": {"thread_id": "h"}}
    assert [i.value for i in h.invoke({"x": 0, "log": []}, hc)["__interrupt__"]] == ["q?"]
    assert h.invoke(Command(resume="yes"), hc) == {"x": 0, "log": ["yes"]}


@pytest.mark.anyio
async def test_an_async_node_may_call_a_graphs_sync_api(anyio_backend: str) -> None:
    # LangGraph 1.2.24: an async node calling inner.invoke()/inner.stream() blocks its loop and
    # works; both calls are the node's subgraphs (the second under the node's namespace with
    # a task id of its own: ['outer', '1']), their events streamed before the node's update.
    # We raised RuntimeError from invoke()
    inner = _inner()

    async def outer(s: S) -> dict[str, Any]:
        r = inner.invoke({"x": s["x"], "log": []})
        chunks = list(inner.stream({"x": 10, "log": []}, stream_mode="updates"))
        return {"x": r["x"], "log": ["outer", chunks]}

    g = StateGraph(S).add_node("outer", outer).add_edge(START, "outer").compile(checkpointer=InMemorySaver())
    out = [(_ns(ns), mode, chunk) async for ns, mode, chunk in g.astream(
        {"x": 1, "log": []}, {"configurable": {"thread_id": "a"}}, stream_mode=["updates", "custom"],
        subgraphs=True)]
    update = {"outer": {"x": 2, "log": ["outer", [{"i1": {"x": 11, "log": ["i1"]}}]]}}
    assert out == [
        (["outer"], "custom", {"inner": 1}),
        (["outer"], "updates", {"i1": {"x": 2, "log": ["i1"]}}),
        (["outer", "1"], "custom", {"inner": 10}),
        (["outer", "1"], "updates", {"i1": {"x": 11, "log": ["i1"]}}),
        ([], "updates", update),
    ]
    assert await g.ainvoke({"x": 5, "log": []}, {"configurable": {"thread_id": "b"}}) == {
        "x": 6, "log": ["outer", [{"i1": {"x": 11, "log": ["i1"]}}]]}


@pytest.mark.anyio
async def test_a_sync_stream_left_early_in_async_code_stops_the_run_there(anyio_backend: str) -> None:
    # LangGraph 1.2.24: its sync stream runs the graph only as the caller takes chunks: left
    # after the first chunk (in async code too), the thread's state is after that step, 'b'
    # next. Under a running loop the run went on ahead of the caller (on a helper thread)
    def a(s: S) -> dict[str, Any]:
        return {"log": ["a"]}

    def b(s: S) -> dict[str, Any]:
        return {"log": ["b"]}

    g = (StateGraph(S).add_node("a", a).add_node("b", b).add_edge(START, "a").add_edge("a", "b")
         .compile(checkpointer=InMemorySaver()))
    cfg = {"configurable": {"thread_id": "1"}}
    for chunk in g.stream({"x": 0, "log": []}, cfg, stream_mode="updates"):
        assert chunk == {"a": {"log": ["a"]}}
        break
    state = g.get_state(cfg)
    assert (state.values, state.next) == ({"x": 0, "log": ["a"]}, ("b",))
    assert g.invoke(None, cfg) == {"x": 0, "log": ["a", "b"]}


def test_a_sync_stream_left_early_in_a_sync_node_stops_the_inner_run_there() -> None:
    # LangGraph 1.2.24: a def node iterating inner.stream() and leaving after the first chunk
    # ran only the inner graph's first node ('a'); ours ran ahead on a helper thread ('a', 'b')
    seen: list[str] = []

    def a(s: S) -> dict[str, Any]:
        seen.append("a")
        return {"log": ["a"]}

    def b(s: S) -> dict[str, Any]:
        seen.append("b")
        return {"log": ["b"]}

    inner = StateGraph(S).add_node("a", a).add_node("b", b).add_edge(START, "a").add_edge("a", "b").compile()

    def outer(s: S) -> dict[str, Any]:
        for chunk in inner.stream({"x": 0, "log": []}, stream_mode="updates"):
            return {"log": [(chunk, list(seen))]}
        raise AssertionError("no chunk")

    g = StateGraph(S).add_node("o", outer).add_edge(START, "o").compile()
    expected = [({"a": {"log": ["a"]}}, ["a"])]
    assert g.invoke({"x": 0, "log": []})["log"] == expected
    seen.clear()
    assert list(g.stream({"x": 0, "log": []}, stream_mode="updates")) == [{"o": {"log": expected}}]


# -- LangGraph's sync SQLite saver and store from async code (a notebook's cell) ---------------


@pytest.mark.anyio
async def test_sync_sqlite_saver_and_store_work_from_async_code(anyio_backend: str, tmp_path: Any) -> None:
    # LangGraph 1.2.24: `with SqliteSaver.from_conn_string(...)`, SqliteStore likewise, and their
    # sync methods work where an event loop runs (they block it); a def node's store.put under
    # invoke() too. Ours refused: "use `async with SqliteSaver.from_conn_string(...)` inside an
    # event loop", then each sync method ("... blocks, and this thread is running ...")
    import anyio

    from actorgraph.checkpoint.sqlite import SqliteSaver
    from actorgraph.config import get_store
    from actorgraph.store.sqlite import SqliteStore

    def n(s: S) -> dict[str, Any]:
        get_store().put(("ns",), "k", {"v": len(s["log"])})
        anyio.run(anyio.sleep, 0)  # (a def node may run an event loop of its own)
        return {"log": ["n"]}

    cfg = {"configurable": {"thread_id": "1"}}
    with SqliteSaver.from_conn_string(str(tmp_path / "cp.db")) as cp, \
            SqliteStore.from_conn_string(str(tmp_path / "st.db")) as st:
        cp.setup()
        st.setup()
        g = StateGraph(S).add_node("n", n).add_edge(START, "n").compile(checkpointer=cp, store=st)
        assert g.invoke({"x": 0, "log": []}, cfg) == {"x": 0, "log": ["n"]}
        assert g.get_state(cfg).values == {"x": 0, "log": ["n"]}
        tup = cp.get_tuple(cfg)
        assert tup is not None and tup.checkpoint["channel_values"] == {"x": 0, "log": ["n"]}
        assert len(list(cp.list(cfg))) == 3
        item = st.get(("ns",), "k")
        assert item is not None and item.value == {"v": 0}
        st.put(("ns",), "k2", {"v": 9})
        # newest first (LangGraph's SqliteStore compares whole seconds: within one, as written)
        assert [i.key for i in st.search(("ns",))] == ["k2", "k"]
