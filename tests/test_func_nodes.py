"""``@task`` calls inside ``StateGraph`` nodes (issue 13), as LangGraph allows: the calls a node
made start together when it first waits for one; their results are kept, so the node run again
after an interrupt (or a failure) does not call them again. Expected values observed with
LangGraph 1.2 running the same graphs.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import anyio
import pytest

from actorgraph import START, Command, StateGraph, interrupt
from actorgraph.func import task
from actorgraph.persistence import BaseCheckpointSaver, InMemorySaver


class S(TypedDict):
    x: int
    log: Annotated[list[str], operator.add]


def cfg(thread: str = "t") -> dict[str, Any]:
    return {"configurable": {"thread_id": thread}}


def sync_graph(calls: list[str], saver: Any) -> Any:
    @task
    def inc(x: int) -> int:
        calls.append("inc")
        return x + 1

    def node(s: S) -> dict[str, Any]:
        a, b = inc(s["x"]), inc(s["x"] + 10)
        y = a.result() + b.result()
        return {"x": y + interrupt("q"), "log": ["node"]}

    g = StateGraph(S)
    g.add_node("node", node)
    g.add_edge(START, "node")
    return g.compile(checkpointer=saver)


def test_a_sync_node_under_invoke_calls_tasks_and_resumes_without_calling_them_again() -> None:
    calls: list[str] = []
    app = sync_graph(calls, InMemorySaver())
    out = app.invoke({"x": 1, "log": []}, cfg())
    # LangGraph 1.2: the state so far and the question; then 2 + 12 + 100; `inc` called twice
    assert [i.value for i in out.pop("__interrupt__")] == ["q"] and out == {"x": 1, "log": []}
    assert app.invoke(Command(resume=100), cfg()) == {"x": 114, "log": ["node"]}
    assert calls == ["inc", "inc"]


@pytest.mark.anyio
async def test_a_sync_node_in_a_worker_thread_streams_its_calls(saver: BaseCheckpointSaver) -> None:
    calls: list[str] = []
    app = sync_graph(calls, saver)
    chunks = [c async for c in app.astream({"x": 1, "log": []}, cfg(), stream_mode="updates")]
    # LangGraph 1.2: an update per call (in the order they finish), then the question
    assert sorted(c["inc"] for c in chunks[:2]) == [2, 12] and list(chunks[2]) == ["__interrupt__"]
    resumed = [c async for c in app.astream(Command(resume=100), cfg(), stream_mode="updates")]
    assert resumed == [{"node": {"x": 114, "log": ["node"]}}]
    assert calls == ["inc", "inc"]


@pytest.mark.anyio
async def test_an_async_node_awaits_concurrent_calls() -> None:
    started = anyio.Event()

    @task
    async def first() -> str:
        with anyio.fail_after(5):  # (a deadlock guard, not a timing assertion)
            await started.wait()  # set by `second`: returns only if both run at once
        return "a"

    @task
    async def second() -> str:
        started.set()
        return "b"

    async def node(s: S) -> dict[str, Any]:
        f, g = first(), second()
        return {"log": [await f, await g]}

    g = StateGraph(S)
    g.add_node("node", node)
    g.add_edge(START, "node")
    app = g.compile()
    assert await app.ainvoke({"x": 0, "log": []}) == {"x": 0, "log": ["a", "b"]}


@pytest.mark.anyio
async def test_an_interrupt_in_a_call_pauses_the_node_and_its_answer_goes_to_the_call() -> None:
    calls: list[str] = []

    @task
    async def ask(q: str) -> Any:
        calls.append(q)
        return interrupt(q)

    async def node(s: S) -> dict[str, Any]:
        first = await ask("first?")
        mine = interrupt("node?")  # the node's own question comes after the call's
        return {"log": [first, mine]}

    g = StateGraph(S)
    g.add_node("node", node)
    g.add_edge(START, "node")
    app = g.compile(checkpointer=InMemorySaver())
    out = await app.ainvoke({"x": 0, "log": []}, cfg())
    assert [i.value for i in out["__interrupt__"]] == ["first?"]
    out = await app.ainvoke(Command(resume="A"), cfg())
    assert [i.value for i in out["__interrupt__"]] == ["node?"]
    assert await app.ainvoke(Command(resume="B"), cfg()) == {"x": 0, "log": ["A", "B"]}
    assert calls == ["first?", "first?"]  # asked, then answered; not run again after that


def test_calls_of_a_failed_node_are_kept_for_the_retry() -> None:
    calls: list[str] = []
    fail = [True]

    @task
    def one() -> int:
        calls.append("one")
        return 1

    def node(s: S) -> dict[str, Any]:
        value = one().result()
        if fail[0]:
            raise RuntimeError("flaky")
        return {"x": value}

    g = StateGraph(S)
    g.add_node("node", node)
    g.add_edge(START, "node")
    app = g.compile(checkpointer=InMemorySaver())
    with pytest.raises(RuntimeError, match="flaky"):
        app.invoke({"x": 0, "log": []}, cfg())
    fail[0] = False
    assert app.invoke(None, cfg()) == {"x": 1, "log": []}
    assert calls == ["one"]


@pytest.mark.anyio
async def test_a_task_calls_custom_events_stream_under_its_callers_namespace() -> None:
    # LangGraph 1.2.24 with subgraphs=True: what a task writes carries the namespace of the
    # node (or entrypoint) that called it; the node's own writes carry none (root graph)
    from actorgraph import get_stream_writer
    from actorgraph.func import entrypoint

    @task
    def double(x: int) -> int:
        get_stream_writer()(f"doubling {x}")
        return 2 * x

    class X(TypedDict):
        x: int

    def node(s: X) -> dict[str, Any]:
        get_stream_writer()("from node")
        return {"x": double(s["x"]).result()}

    graph = StateGraph(X).add_node("node", node).add_edge(START, "node").compile()
    chunks = [c async for c in graph.astream({"x": 1}, stream_mode=["custom", "tasks"], subgraphs=True)]
    node_id = next(c[2]["id"] for c in chunks if c[1] == "tasks" and c[2]["name"] == "node")
    assert [(ns, chunk) for ns, mode, chunk in chunks if mode == "custom"] == [
        ((), "from node"), ((f"node:{node_id}",), "doubling 1")]
    assert [c async for c in graph.astream({"x": 1}, stream_mode="custom")] == ["from node", "doubling 1"]

    @entrypoint()
    def wf(x: int) -> int:
        return double(x).result()

    chunks = [c async for c in wf.astream(1, stream_mode=["custom", "tasks"], subgraphs=True)]
    wf_id = next(c[2]["id"] for c in chunks if c[1] == "tasks" and c[2]["name"] == "wf")
    assert [(ns, chunk) for ns, mode, chunk in chunks if mode == "custom"] == [((f"wf:{wf_id}",), "doubling 1")]
