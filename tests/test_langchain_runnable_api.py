"""A compiled graph in LangChain: ``astream_events`` (v2), composition with ``|``, callbacks of a
graph with bound config (with langchain-core).

Expected values observed by running the same graphs on LangGraph 1.2.24 with langchain-core
1.8.3 (scratch scripts, fake chat models). ``astream_events`` is langchain-core's own
implementation, which is asyncio-only: those tests run on asyncio."""

from __future__ import annotations

from typing import Any, TypedDict

import pytest

pytest.importorskip("langchain_core")

from langchain_core.callbacks import BaseCallbackHandler  # noqa: E402
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel  # noqa: E402
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage  # noqa: E402
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda  # noqa: E402

from actorgraph import START, MessagesState, StateGraph  # noqa: E402


class S(TypedDict):
    x: int


def inc(s: S) -> dict[str, int]:
    return {"x": s["x"] + 1}


def graph() -> Any:
    return StateGraph(S).add_node("n", inc).add_edge(START, "n").compile()


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_astream_events_v2_as_langgraph(anyio_backend: str) -> None:
    m = GenericFakeChatModel(messages=iter([AIMessage("a b", id="m0")]))

    async def n(s: dict[str, Any]) -> dict[str, Any]:
        return {"messages": [await m.ainvoke(s["messages"])]}

    app = (StateGraph(MessagesState).add_node("n", n).add_node("k", lambda s: {})
           .add_edge(START, "n").add_edge("n", "k").compile())
    events = [e async for e in app.astream_events({"messages": [HumanMessage("hi", id="h1")]}, {"tags": ["u"]},
                                                  version="v2")]
    rows = [(e["event"], e["name"], e["tags"], sorted(e["data"]), len(e["parent_ids"])) for e in events]
    step1, step2, seq = ["graph:step:1", "u"], ["graph:step:2", "u"], ["seq:step:1", "u"]
    model = "GenericFakeChatModel"
    assert rows == [
        ("on_chain_start", "LangGraph", ["u"], ["input"], 0),
        ("on_chain_start", "n", step1, ["input"], 1),
        ("on_chat_model_start", model, seq, ["input"], 2),
        ("on_chat_model_stream", model, seq, ["chunk"], 2),
        ("on_chat_model_stream", model, seq, ["chunk"], 2),
        ("on_chat_model_stream", model, seq, ["chunk"], 2),
        ("on_chat_model_end", model, seq, ["input", "output"], 2),
        ("on_chain_stream", "n", step1, ["chunk"], 1),
        ("on_chain_end", "n", step1, ["input", "output"], 1),
        ("on_chain_stream", "LangGraph", ["u"], ["chunk"], 0),
        ("on_chain_start", "k", step2, ["input"], 1),
        ("on_chain_stream", "k", step2, ["chunk"], 1),
        ("on_chain_end", "k", step2, ["input", "output"], 1),
        ("on_chain_stream", "LangGraph", ["u"], ["chunk"], 0),
        ("on_chain_end", "LangGraph", ["u"], ["output"], 0),
    ]
    assert [e["data"]["chunk"].content for e in events if e["event"] == "on_chat_model_stream"] == ["a", " ", "b"]
    reply = AIMessage("a b", id="m0")
    graph_chunks = [e["data"]["chunk"] for e in events if e["event"] == "on_chain_stream" and e["name"] == "LangGraph"]
    assert graph_chunks == [{"n": {"messages": [reply]}}, {"k": None}]
    assert events[-1]["data"]["output"] == {"messages": [HumanMessage("hi", id="h1"), reply]}
    node_meta = events[1]["metadata"]
    assert (node_meta["langgraph_node"], node_meta["langgraph_step"], node_meta["ls_integration"]) == ("n", 1, "langgraph")
    # the graph's run id is the one every event's parent chain starts from
    root = events[0]["run_id"]
    assert all(e["parent_ids"][0] == root for e in events if e["run_id"] != root)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_astream_events_run_name_node_metadata_and_interrupt_output(anyio_backend: str) -> None:
    # LangGraph 1.2.24: the config's run_name names the graph run only (a model called in a
    # node keeps its own name; the node's config has no run_name/run_id); add_node(metadata=)
    # is in the node run's metadata; the graph run's output after interrupt() holds no
    # __interrupt__ (the stream had it)
    from actorgraph import interrupt
    from actorgraph.persistence import InMemorySaver

    m = GenericFakeChatModel(messages=iter([AIMessage("hi", id="m0")]))
    seen: list[Any] = []

    async def n(s: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        seen.append((config.get("run_name"), config.get("run_id")))
        return {"messages": [await m.ainvoke(s["messages"])]}

    def ask(s: dict[str, Any]) -> dict[str, Any]:
        interrupt("ok?")
        return {}

    app = (StateGraph(MessagesState).add_node("n", n, metadata={"nodemeta": "v"}).add_node("ask", ask)
           .add_edge(START, "n").add_edge("n", "ask").compile(checkpointer=InMemorySaver()))
    config = {"run_name": "MyRun", "configurable": {"thread_id": "t"}}
    events = [e async for e in app.astream_events({"messages": [HumanMessage("q", id="h1")]}, config, version="v2")]
    assert seen == [(None, None)]
    names = {(e["event"], e["name"]) for e in events}
    assert ("on_chat_model_end", "GenericFakeChatModel") in names and ("on_chain_end", "MyRun") in names
    assert [e["metadata"].get("nodemeta") for e in events if e["name"] == "n"] == ["v", "v", "v"]
    assert events[-1]["event"] == "on_chain_end" and events[-1]["data"]["output"] == {
        "messages": [HumanMessage("q", id="h1"), AIMessage("hi", id="m0", name=None)]}


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_a_sequence_node_is_streamed_under_astream_events_only(anyio_backend: str) -> None:
    # LangGraph 1.2.24 streams a node's Runnable when astream_events (a streaming callback
    # handler) watches: the later steps transform the chunks (no input at their start, a stream
    # event each) and the node's result holds the model's AIMessageChunk (AIMessage in the
    # state); under plain ainvoke/astream it invokes it (AIMessage everywhere)
    def app() -> Any:
        model = GenericFakeChatModel(messages=iter([AIMessage("hi there", id="m1")]))
        node = RunnableLambda(lambda s: s["messages"]) | model | RunnableLambda(lambda m: {"messages": [m]}, name="wrap")
        return StateGraph(MessagesState).add_node("chat", node).add_edge(START, "chat").compile()

    events = [e async for e in app().astream_events({"messages": [HumanMessage("hi", id="h1")]}, version="v2")
              if e["name"] in ("wrap", "LangGraph")]
    assert [(e["event"], e["name"], sorted(e["data"])) for e in events] == [
        ("on_chain_start", "LangGraph", ["input"]), ("on_chain_start", "wrap", []),
        ("on_chain_stream", "wrap", ["chunk"]), ("on_chain_end", "wrap", ["input", "output"]),
        ("on_chain_stream", "LangGraph", ["chunk"]), ("on_chain_end", "LangGraph", ["output"])]
    assert type(events[3]["data"]["input"]) is AIMessageChunk
    assert type(events[4]["data"]["chunk"]["chat"]["messages"][0]) is AIMessageChunk
    assert [type(m) for m in events[5]["data"]["output"]["messages"]] == [HumanMessage, AIMessage]
    updates = [c async for c in app().astream({"messages": [HumanMessage("hi", id="h1")]})]
    assert type(updates[0]["chat"]["messages"][0]) is AIMessage


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_astream_events_filters(anyio_backend: str) -> None:
    events = [e["event"] async for e in graph().astream_events({"x": 1}, version="v2", include_names=["n"])]
    assert events == ["on_chain_start", "on_chain_stream", "on_chain_end"]


def test_graph_piped_into_a_runnable_and_a_callable_piped_into_the_graph() -> None:
    assert (graph() | RunnableLambda(lambda s: s["x"] * 10)).invoke({"x": 1}) == 20
    assert ((lambda v: {"x": v}) | graph()).invoke(4) == {"x": 5}
    assert (graph() | {"double": lambda s: s["x"] * 2}).invoke({"x": 1}) == {"double": 4}


@pytest.mark.anyio
async def test_composed_graph_under_the_async_api(anyio_backend: str) -> None:
    seq = graph() | (lambda s: s["x"] * 10)
    if anyio_backend == "asyncio":
        assert await seq.ainvoke({"x": 1}) == 20
    else:  # langchain-core's async API is asyncio-only; the graph itself runs on trio
        assert await graph().ainvoke({"x": 1}) == {"x": 2}


def test_as_runnable_is_a_runnable_running_the_graph() -> None:
    runnable = graph().as_runnable()
    assert isinstance(runnable, Runnable)
    assert (RunnableLambda(lambda v: {"x": v}) | runnable).invoke(4) == {"x": 5}
    assert list((RunnableLambda(lambda v: {"x": v}) | runnable).stream(4)) == [{"n": {"x": 5}}]
    assert runnable.batch([{"x": 1}, {"x": 2}]) == [{"x": 2}, {"x": 3}]


def test_a_graph_in_a_sequence_nests_its_runs_under_the_sequence() -> None:
    rows: list[tuple[Any, ...]] = []
    ids: dict[Any, int] = {}

    class H(BaseCallbackHandler):
        def on_chain_start(self, serialized: Any, inputs: Any, *, name: str | None = None,
                           tags: list[str] | None = None, run_id: Any = None, parent_run_id: Any = None,
                           **kwargs: Any) -> None:
            rows.append((name, tags, ids.setdefault(run_id, len(ids)), ids.get(parent_run_id)))

    seq = RunnableLambda(lambda v: {"x": v}) | graph().as_runnable() | RunnableLambda(lambda s: s)
    seq.invoke(4, {"callbacks": [H()]})
    assert rows == [("RunnableSequence", [], 0, None), ("RunnableLambda", ["seq:step:1"], 1, 0),
                    ("LangGraph", ["seq:step:2"], 2, 0), ("n", ["graph:step:1"], 3, 2),
                    ("RunnableLambda", ["seq:step:3"], 4, 0)]


def test_bound_tags_callbacks_and_run_name() -> None:
    rows: list[tuple[Any, ...]] = []

    class H(BaseCallbackHandler):
        def on_chain_start(self, serialized: Any, inputs: Any, *, name: str | None = None,
                           tags: list[str] | None = None, **kwargs: Any) -> None:
            rows.append((name, tags))

    graph().with_config(tags=["bound"], callbacks=[H()], run_name="Named").invoke({"x": 1}, {"tags": ["call"]})
    assert rows == [("Named", ["bound", "call"]), ("n", ["graph:step:1", "bound", "call"])]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_react_agent_events_as_langgraph(anyio_backend: str) -> None:
    from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
    from langchain_core.tools import tool

    from actorgraph.prebuilt import create_react_agent

    class M(FakeMessagesListChatModel):
        def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
            return self

    @tool
    def get_weather(city: str) -> str:
        """Weather."""
        return f"sunny in {city}"

    model = M(responses=[AIMessage("", id="a1", tool_calls=[{"name": "get_weather", "args": {"city": "sf"}, "id": "c1"}]),
                         AIMessage("done", id="a2")])
    events = [(e["event"], e["name"], e["tags"], len(e["parent_ids"]), e["metadata"].get("langgraph_node"))
              async for e in create_react_agent(model, [get_weather]).astream_events(
                  {"messages": [HumanMessage("hi", id="h")]}, version="v2")]

    def agent_step(step: int) -> list[tuple[Any, ...]]:
        tag = [f"graph:step:{step}"]
        s1, s2, s3 = ["seq:step:1"], ["seq:step:2"], ["seq:step:3"]
        return [("on_chain_start", "agent", tag, 1, "agent"), ("on_chain_start", "call_model", s1, 2, "agent"),
                ("on_chain_start", "RunnableSequence", s1, 2, "agent"), ("on_chain_start", "Prompt", s1, 3, "agent"),
                ("on_chain_end", "Prompt", s1, 3, "agent"), ("on_chat_model_start", "M", s2, 3, "agent"),
                ("on_chat_model_end", "M", s2, 3, "agent"), ("on_chain_end", "RunnableSequence", s1, 2, "agent"),
                ("on_chain_end", "call_model", s1, 2, "agent"),
                ("on_chain_start", "should_continue", s3, 2, "agent"),
                ("on_chain_end", "should_continue", s3, 2, "agent"),
                ("on_chain_stream", "agent", tag, 1, "agent"), ("on_chain_end", "agent", tag, 1, "agent"),
                ("on_chain_stream", "LangGraph", [], 0, None)]

    tools = ["graph:step:2"]
    assert events == [
        ("on_chain_start", "LangGraph", [], 0, None), *agent_step(1),
        ("on_chain_start", "tools", tools, 1, "tools"), ("on_tool_start", "get_weather", ["seq:step:1"], 2, "tools"),
        ("on_tool_end", "get_weather", ["seq:step:1"], 2, "tools"), ("on_chain_stream", "tools", tools, 1, "tools"),
        ("on_chain_end", "tools", tools, 1, "tools"), ("on_chain_stream", "LangGraph", [], 0, None),
        *agent_step(3), ("on_chain_end", "LangGraph", [], 0, None)]
