"""``stream_mode="tools"`` (with langchain-core): a LangChain tool run's start, end and error as
``tool-started``/``tool-finished``/``tool-error`` events, as LangGraph 1.2.

Expected values observed by running the same graphs on LangGraph 1.2.24 with langchain-core
1.8.3 (scratch scripts). A tool called without a tool call is identified by its run id, a
fresh uuid: those are compared as "a uuid, the same for the start and the end". A tool's own
``ainvoke`` is langchain-core's async API, asyncio-only: that test runs on asyncio."""

from __future__ import annotations

import uuid
from typing import Any, TypedDict

import pytest

pytest.importorskip("langchain_core")

from langchain_core.callbacks import BaseCallbackHandler  # noqa: E402
from langchain_core.messages import AIMessage, HumanMessage  # noqa: E402
from langchain_core.tools import tool  # noqa: E402

from actorgraph import START, Command, MessagesState, StateGraph, interrupt  # noqa: E402
from actorgraph.persistence import InMemorySaver  # noqa: E402
from actorgraph.prebuilt import ToolNode  # noqa: E402


@tool
def add(a: int, b: int) -> int:
    """Add."""
    return a + b


@tool
def boom(a: int) -> int:
    """Fails."""
    raise ValueError("no way")


@tool
def ask(q: str) -> str:
    """Ask."""
    return str(interrupt(q))


class S(TypedDict):
    x: int


def direct(s: S) -> dict[str, int]:
    return {"x": add.invoke({"a": s["x"], "b": 1})}


def graph(node: Any = direct, **compile_kw: Any) -> Any:
    return StateGraph(S).add_node("n", node).add_edge(START, "n").compile(**compile_kw)


STARTED = {"event": "tool-started", "tool_name": "add", "input": {"a": 1, "b": 1}}
FINISHED = {"event": "tool-finished", "output": 2}


def by_run_id(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events without their ``tool_call_id``, checked to be one uuid (the tool run's id)."""
    ids = {e["tool_call_id"] for e in events}
    assert len(ids) == 1
    uuid.UUID(ids.pop())
    return [{k: v for k, v in e.items() if k != "tool_call_id"} for e in events]


def test_direct_tool_call() -> None:
    g = graph()
    assert by_run_id(list(g.stream({"x": 1}, stream_mode="tools"))) == [STARTED, FINISHED]
    assert by_run_id(g.invoke({"x": 1}, stream_mode="tools")) == [STARTED, FINISHED]
    chunks = list(g.stream({"x": 1}, stream_mode=["updates", "tools"]))
    assert [m for m, _ in chunks] == ["tools", "tools", "updates"]
    assert chunks[2] == ("updates", {"n": {"x": 2}})
    parts = list(g.stream({"x": 1}, stream_mode=["tools"], version="v2"))
    assert [(p["type"], p["ns"]) for p in parts] == [("tools", ()), ("tools", ())]
    assert by_run_id([p["data"] for p in parts]) == [STARTED, FINISHED]
    assert list(g.stream({"x": 1}, stream_mode="updates")) == [{"n": {"x": 2}}]


def test_tool_call_id_is_the_run_id_without_a_tool_call() -> None:
    runs: list[str] = []

    class H(BaseCallbackHandler):
        def on_tool_start(self, serialized: Any, input_str: str, *, run_id: uuid.UUID, **kw: Any) -> None:
            runs.append(str(run_id))

    events = list(graph().stream({"x": 1}, {"callbacks": [H()]}, stream_mode="tools"))
    assert [e["tool_call_id"] for e in events] == runs * 2


def test_tool_invoked_with_a_tool_call() -> None:
    def by_call(s: S) -> dict[str, int]:
        msg = add.invoke({"name": "add", "args": {"a": 2, "b": 3}, "id": "c9", "type": "tool_call"})
        return {"x": int(msg.content)}

    started, finished = graph(by_call).stream({"x": 1}, stream_mode="tools")
    assert started == {"event": "tool-started", "tool_call_id": "c9", "tool_name": "add", "input": {"a": 2, "b": 3}}
    out = finished.pop("output")
    assert finished == {"event": "tool-finished", "tool_call_id": "c9"}
    assert (type(out).__name__, out.content, out.tool_call_id, out.name, out.status) == (
        "ToolMessage", "5", "c9", "add", "success")


@pytest.mark.parametrize("api", ["stream", "invoke"])
def test_tool_node_calls_and_errors(api: str) -> None:
    # (under invoke(stream_mode="tools") the ToolNode runs on the loop's thread and its calls in
    # LangChain's executor threads, whose events the loop takes when the node returns: they
    # used to be left queued until the run had ended, and lost; LangGraph 1.2.24 returns them)
    calls = AIMessage("", id="ai", tool_calls=[{"name": "add", "args": {"a": 1, "b": 2}, "id": "c1"},
                                              {"name": "boom", "args": {"a": 1}, "id": "c2"}])
    tn = (StateGraph(MessagesState).add_node("tools", ToolNode([add, boom], handle_tool_errors=True))
          .add_edge(START, "tools").compile())
    value = {"messages": [HumanMessage("hi", id="h"), calls]}
    events = list(tn.stream(value, stream_mode="tools")) if api == "stream" else tn.invoke(value, stream_mode="tools")
    # (the two calls run concurrently: each call's events in order, the calls interleaved)
    for call in ("c1", "c2"):
        assert [e["event"] for e in events if e["tool_call_id"] == call][0] == "tool-started"
    events.sort(key=lambda e: (e["tool_call_id"], e["event"]))
    out = events[0].pop("output")
    assert (type(out).__name__, out.content, out.tool_call_id, out.name, out.status) == (
        "ToolMessage", "3", "c1", "add", "success")
    assert events == [
        {"event": "tool-finished", "tool_call_id": "c1"},
        {"event": "tool-started", "tool_call_id": "c1", "tool_name": "add", "input": {"a": 1, "b": 2}},
        {"event": "tool-error", "tool_call_id": "c2", "message": "no way"},
        {"event": "tool-started", "tool_call_id": "c2", "tool_name": "boom", "input": {"a": 1}},
    ]


def test_error_nostream_and_interrupt() -> None:
    def fails(s: S) -> dict[str, int]:
        try:
            boom.invoke({"a": 1})
        except ValueError:
            pass
        return {"x": 0}

    assert by_run_id(list(graph(fails).stream({"x": 1}, stream_mode="tools"))) == [
        {"event": "tool-started", "tool_name": "boom", "input": {"a": 1}},
        {"event": "tool-error", "message": "no way"}]

    def quiet(s: S) -> dict[str, int]:
        return {"x": add.with_config(tags=["nostream"]).invoke({"a": 1, "b": 1})}

    assert list(graph(quiet).stream({"x": 1}, stream_mode="tools")) == []

    class Q(TypedDict):
        x: str

    g = (StateGraph(Q).add_node("n", lambda s: {"x": ask.invoke({"q": s["x"]})}).add_edge(START, "n")
         .compile(checkpointer=InMemorySaver()))
    cfg = {"configurable": {"thread_id": "1"}}
    first = [(m, c["event"] if m == "tools" else list(c))
             for m, c in g.stream({"x": "q?"}, cfg, stream_mode=["tools", "updates"])]
    assert first == [("tools", "tool-started"), ("updates", ["__interrupt__"])]  # paused, not failed
    again = [(m, c["event"] if m == "tools" else c)
             for m, c in g.stream(Command(resume="yes"), cfg, stream_mode=["tools", "updates"])]
    assert again == [("tools", "tool-started"), ("tools", "tool-finished"), ("updates", {"n": {"x": "yes"}})]


def test_subgraph_tools_only_with_subgraphs() -> None:
    o = StateGraph(S).add_node("sub", graph()).add_edge(START, "sub").compile()
    assert list(o.stream({"x": 1}, stream_mode="tools")) == []
    got = list(o.stream({"x": 1}, stream_mode="tools", subgraphs=True))
    assert [tuple(p.split(":")[0] for p in ns) for ns, _ in got] == [("sub",), ("sub",)]
    assert by_run_id([e for _, e in got]) == [STARTED, FINISHED]


@pytest.mark.anyio
async def test_astream_sync_tool(anyio_backend: str) -> None:
    events = [e async for e in graph().astream({"x": 1}, stream_mode="tools")]
    assert by_run_id(events) == [STARTED, FINISHED]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_astream_async_tool(anyio_backend: str) -> None:
    async def anode(s: S) -> dict[str, int]:
        return {"x": await add.ainvoke({"a": s["x"], "b": 1})}

    events = [e async for e in graph(anode).astream({"x": 1}, stream_mode="tools")]
    assert by_run_id(events) == [STARTED, FINISHED]


@pytest.mark.anyio
async def test_actor_system_subscriber_of_tools(anyio_backend: str) -> None:
    import anyio

    from actorgraph import ActorSystem

    entered, gate = anyio.Event(), anyio.Event()

    async def wait(s: S) -> dict[str, int]:
        entered.set()  # (the run has started untraced: nobody streamed tools then)
        await gate.wait()  # (the subscriber is there before the tool node's step)
        return {}

    app = (StateGraph(S).add_node("wait", wait).add_node("n", direct)
           .add_edge(START, "wait").add_edge("wait", "n").compile())
    got: list[dict[str, Any]] = []
    async with ActorSystem() as system:
        run = await system.start(app, {"x": 1})
        await entered.wait()
        async with run.subscribe(["tools"]) as events:
            gate.set()
            async for mode, event in events:
                assert mode == "tools"
                got.append(event)
        assert await run.result() == {"x": 2}
    assert by_run_id(got) == [STARTED, FINISHED]
