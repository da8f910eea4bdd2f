"""``stream_mode="messages"``, ``push_message`` and LangChain callbacks (with langchain-core).

Every expected value was observed by running the same graph on LangGraph 1.2.24 with
langchain-core 1.8.3 (scratch scripts, fake chat models, no network): event order, message
classes, contents, ids and the metadata keys compared here. Task ids differ between the two
implementations (ours are not LangGraph's hashes), so ``checkpoint_ns`` values are compared by
shape (``node:<uuid>``).

On trio, langchain-core's async model API does not run (it is asyncio-only): the trio runs of
the async tests call sync models (``invoke``/``stream``) inside async nodes instead, which is
what a trio program can do.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

pytest.importorskip("langchain_core")

from langchain_core.callbacks import BaseCallbackHandler  # noqa: E402
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel  # noqa: E402
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage  # noqa: E402

from actorgraph import START, MessagesState, StateGraph  # noqa: E402
from actorgraph.graph import push_message  # noqa: E402
from actorgraph.persistence import InMemorySaver  # noqa: E402

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
INPUT = {"messages": [HumanMessage("hi", id="h1")]}
KEYS = ("langgraph_node", "langgraph_step", "langgraph_triggers", "langgraph_path", "tags", "ls_provider",
        "thread_id")


def model(*texts: str, **kwargs: Any) -> GenericFakeChatModel:
    """A fake chat model answering ``texts`` in turn (ids m0, m1, ...); it streams a message
    word by word, spaces as tokens of their own."""
    return GenericFakeChatModel(messages=iter([AIMessage(t, id=f"m{i}") for i, t in enumerate(texts)]), **kwargs)


def one(fn: Any, **compile_kw: Any) -> Any:
    return StateGraph(MessagesState).add_node("n", fn).add_edge(START, "n").compile(**compile_kw)


def row(message: Any, metadata: dict[str, Any]) -> tuple[str, Any, str | None, dict[str, Any]]:
    """An event as compared: class name, content, id, the metadata keys of KEYS present."""
    return type(message).__name__, message.content, message.id, {k: metadata[k] for k in KEYS if k in metadata}


def ns_shape(value: str) -> str:
    return re.sub(UUID, "<id>", value)


N1 = {"langgraph_node": "n", "langgraph_step": 1, "langgraph_triggers": ("branch:to:n",),
      "langgraph_path": ("__pregel_pull", "n")}
MODEL_N1 = {**N1, "ls_provider": "genericfakechatmodel"}
TOKENS_AB = [("AIMessageChunk", "a", "m0", MODEL_N1), ("AIMessageChunk", " ", "m0", MODEL_N1),
             ("AIMessageChunk", "b", "m0", MODEL_N1)]


def test_model_invoke_in_a_sync_node_streams_its_tokens_with_langgraph_metadata() -> None:
    m = model("a b")
    events = list(one(lambda s: {"messages": [m.invoke(s["messages"])]}).stream(INPUT, stream_mode="messages"))
    assert [row(c, md) for c, md in events] == TOKENS_AB
    _, metadata = events[0]
    assert re.fullmatch(f"n:{UUID}", metadata["langgraph_checkpoint_ns"])
    assert metadata["checkpoint_ns"] == metadata["langgraph_checkpoint_ns"]
    assert metadata["ls_model_type"] == "chat"
    assert metadata["ls_integration"] == "langchain_chat_model"
    assert "tags" not in metadata  # no user tags: no key (as LangGraph)


def test_a_nodes_own_metadata_rides_with_its_tokens() -> None:
    # LangGraph 1.2.24: add_node(..., metadata=...) is in the node's config metadata, so in the
    # metadata of its model's tokens (over the langgraph_* keys of the same name)
    m = model("a b")
    app = StateGraph(MessagesState).add_node("n", lambda s: {"messages": [m.invoke(s["messages"])]},
                                             metadata={"agent": "writer", "langgraph_path": "mine"})
    events = list(app.add_edge(START, "n").compile().stream(INPUT, stream_mode="messages"))
    assert [(c.content, md["agent"], md["langgraph_path"], md["langgraph_node"]) for c, md in events] == [
        ("a", "writer", "mine", "n"), (" ", "writer", "mine", "n"), ("b", "writer", "mine", "n")]


def test_model_stream_in_a_node_streams_its_tokens() -> None:
    m = model("a b")

    def n(s: dict[str, Any]) -> dict[str, Any]:
        out: Any = None
        for chunk in m.stream(s["messages"]):
            out = chunk if out is None else out + chunk
        return {"messages": [out]}

    events = list(one(n).stream(INPUT, stream_mode="messages"))
    assert [row(c, md) for c, md in events] == TOKENS_AB
    assert events[-1][0].chunk_position == "last"


@pytest.mark.anyio
async def test_async_node_model_calls_stream_on_both_backends(anyio_backend: str) -> None:
    m = model("a b", "c d")

    async def native(s: dict[str, Any]) -> dict[str, Any]:  # langchain-core's async API: asyncio
        first = await m.ainvoke(s["messages"])
        out: Any = None
        async for chunk in m.astream(s["messages"]):
            out = chunk if out is None else out + chunk
        return {"messages": [first, out]}

    async def sync_calls(s: dict[str, Any]) -> dict[str, Any]:  # what works on trio
        first = m.invoke(s["messages"])
        out: Any = None
        for chunk in m.stream(s["messages"]):
            out = chunk if out is None else out + chunk
        return {"messages": [first, out]}

    graph = one(native if anyio_backend == "asyncio" else sync_calls)
    events = [row(c, md) async for c, md in graph.astream(INPUT, stream_mode="messages")]
    m1 = MODEL_N1
    assert events == [*TOKENS_AB, ("AIMessageChunk", "c", "m1", m1), ("AIMessageChunk", " ", "m1", m1),
                      ("AIMessageChunk", "d", "m1", m1)]


@pytest.mark.anyio
async def test_sync_node_under_the_async_api_streams_from_its_worker_thread(anyio_backend: str) -> None:
    m = model("a b")
    graph = one(lambda s: {"messages": [m.invoke(s["messages"])]})
    assert [row(c, md) async for c, md in graph.astream(INPUT, stream_mode="messages")] == TOKENS_AB


def test_a_model_with_streaming_disabled_gives_its_whole_message() -> None:
    m = model("a b", disable_streaming=True)
    events = list(one(lambda s: {"messages": [m.invoke(s["messages"])]}).stream(INPUT, stream_mode="messages"))
    assert [row(c, md) for c, md in events] == [("AIMessage", "a b", "m0", MODEL_N1)]


def test_nostream_tag_hides_a_model_and_tags_filter_as_in_the_streaming_docs() -> None:
    def n(s: dict[str, Any]) -> dict[str, Any]:
        hidden = model("a b").with_config(tags=["nostream"])
        joke = model("c d").with_config(tags=["joke"])
        return {"messages": [hidden.invoke(s["messages"]), joke.invoke(s["messages"])]}

    events = list(one(n).stream(INPUT, stream_mode="messages"))
    tagged = {**MODEL_N1, "tags": ["joke"]}
    # both fake models name their message m0; the hidden one's whole message is not emitted
    # either: its id was seen as the joke model's tokens
    assert [row(c, md) for c, md in events] == [("AIMessageChunk", "c", "m0", tagged),
                                               ("AIMessageChunk", " ", "m0", tagged),
                                               ("AIMessageChunk", "d", "m0", tagged)]
    assert [c.content for c, md in one(n).stream(INPUT, stream_mode="messages")
            if "joke" in md.get("tags", [])] == ["c", " ", "d"]


def test_filter_by_node() -> None:
    m = model("a b", "c d")
    graph = (StateGraph(MessagesState)
             .add_node("x", lambda s: {"messages": [m.invoke(s["messages"])]})
             .add_node("y", lambda s: {"messages": [m.invoke(s["messages"])]})
             .add_edge(START, "x").add_edge("x", "y").compile())
    assert [c.content for c, md in graph.stream(INPUT, stream_mode="messages")
            if md["langgraph_node"] == "y"] == ["c", " ", "d"]


def test_messages_a_node_returns_are_emitted_once_and_the_input_is_not() -> None:
    def n(s: dict[str, Any]) -> dict[str, Any]:
        return {"messages": [s["messages"][0], AIMessage("x", id="x1"), HumanMessage("y")]}

    events = list(one(n).stream(INPUT, stream_mode="messages"))
    assert [(type(c).__name__, c.content) for c, _ in events] == [("AIMessage", "x"), ("HumanMessage", "y")]
    metadata = events[0][1]
    assert {k: metadata[k] for k in KEYS if k in metadata} == N1
    assert metadata["ls_integration"] == "langgraph"
    assert events[1][0].id is not None  # given an id when emitted


def test_streamed_model_message_returned_by_the_node_is_not_emitted_again() -> None:
    m = model("a b")

    def n(s: dict[str, Any]) -> dict[str, Any]:
        return {"messages": [m.invoke(s["messages"]), AIMessage("whole", id="w1")]}

    events = list(one(n).stream(INPUT, {"tags": ["t0"]}, stream_mode="messages"))
    tagged = {**MODEL_N1, "tags": ["t0"]}
    assert [row(c, md) for c, md in events] == [
        ("AIMessageChunk", "a", "m0", tagged), ("AIMessageChunk", " ", "m0", tagged),
        ("AIMessageChunk", "b", "m0", tagged), ("AIMessage", "whole", "w1", N1)]


def test_messages_mode_with_other_modes_and_a_thread() -> None:
    m = model("a b")
    graph = one(lambda s: {"messages": [m.invoke(s["messages"])]}, checkpointer=InMemorySaver())
    out = list(graph.stream(INPUT, {"configurable": {"thread_id": "t"}}, stream_mode=["messages", "updates"]))
    threaded = {**MODEL_N1, "thread_id": "t"}
    assert [(mode, row(*c)) for mode, c in out[:3]] == [
        ("messages", ("AIMessageChunk", "a", "m0", threaded)), ("messages", ("AIMessageChunk", " ", "m0", threaded)),
        ("messages", ("AIMessageChunk", "b", "m0", threaded))]
    assert out[3] == ("updates", {"n": {"messages": [AIMessage("a b", id="m0")]}})


def _subgraph_app() -> Any:
    m = model("a b", "c d")
    sub = (StateGraph(MessagesState).add_node("inner", lambda s: {"messages": [m.invoke(s["messages"])]})
           .add_edge(START, "inner").compile())
    return (StateGraph(MessagesState).add_node("outer", sub)
            .add_node("after", lambda s: {"messages": [AIMessage("done", id="d1")]})
            .add_edge(START, "outer").add_edge("outer", "after").compile())


def test_subgraph_tokens_carry_its_namespace_with_subgraphs_true() -> None:
    events = list(_subgraph_app().stream(INPUT, stream_mode="messages", subgraphs=True))
    shapes = [(tuple(map(ns_shape, ns)), c.content, md["langgraph_node"], ns_shape(md["langgraph_checkpoint_ns"]),
               ns_shape(md.get("checkpoint_ns", "-"))) for ns, (c, md) in events]
    inner = (("outer:<id>",), "inner", "outer:<id>|inner:<id>", "outer:<id>")
    assert shapes == [(inner[0], "a", *inner[1:]), (inner[0], " ", *inner[1:]), (inner[0], "b", *inner[1:]),
                      ((), "done", "after", "after:<id>", "-")]
    # the subgraph's namespace is the outer task's
    assert events[0][0][0] == events[0][1][1]["checkpoint_ns"]


def test_without_subgraphs_only_the_subgraph_nodes_result_is_emitted() -> None:
    events = list(_subgraph_app().stream(INPUT, stream_mode="messages"))
    # the inner model ran unstreamed (its tokens are the subgraph's); the outer node's result
    # holds its message, new to the parent graph
    assert [(type(c).__name__, c.content, c.id, md["langgraph_node"]) for c, md in events] == [
        ("AIMessage", "a b", "m0", "outer"), ("AIMessage", "done", "d1", "after")]


def test_a_graph_invoked_inside_a_node_streams_as_a_subgraph() -> None:
    m = model("a b")
    sub = (StateGraph(MessagesState).add_node("inner", lambda s: {"messages": [m.invoke(s["messages"])]})
           .add_edge(START, "inner").compile())
    graph = one(lambda s: {"messages": sub.invoke(s)["messages"][-1:]})
    events = list(graph.stream(INPUT, stream_mode="messages", subgraphs=True))
    assert [(tuple(map(ns_shape, ns)), c.content, md["langgraph_node"]) for ns, (c, md) in events] == [
        (("n:<id>",), "a", "inner"), (("n:<id>",), " ", "inner"), (("n:<id>",), "b", "inner")]


def test_push_message_streams_at_once_and_writes_the_state() -> None:
    def n(s: dict[str, Any]) -> dict[str, Any]:
        sent = push_message(AIMessage("pushed", id="p1"))
        assert sent.id == "p1"
        return {}

    graph = one(n)
    events = list(graph.stream(INPUT, stream_mode="messages"))
    assert [row(c, md) for c, md in events] == [("AIMessage", "pushed", "p1", N1)]
    assert [m.content for m in graph.invoke(INPUT)["messages"]] == ["hi", "pushed"]


def test_push_message_needs_an_id_and_a_node() -> None:
    def n(s: dict[str, Any]) -> dict[str, Any]:
        push_message({"role": "assistant", "content": "no id"})
        return {}

    with pytest.raises(ValueError, match="Message ID is required"):
        one(n).invoke(INPUT)
    with pytest.raises(RuntimeError, match="outside of a running node"):
        push_message(AIMessage("x", id="x"))


# -- callbacks -------------------------------------------------------------------------------


class Recorder(BaseCallbackHandler):
    """Records chain and chat-model runs: run ids numbered in order of appearance."""

    def __init__(self) -> None:
        self.ids: dict[Any, int] = {}
        self.rows: list[tuple[Any, ...]] = []

    def _n(self, run_id: Any) -> int | None:
        return None if run_id is None else self.ids.setdefault(run_id, len(self.ids))

    def on_chain_start(self, serialized: Any, inputs: Any, *, run_id: Any, parent_run_id: Any = None,
                       tags: list[str] | None = None, name: str | None = None, **kwargs: Any) -> None:
        self.rows.append(("chain_start", name, self._n(run_id), self._n(parent_run_id), tags))

    def on_chat_model_start(self, serialized: Any, messages: Any, *, run_id: Any, parent_run_id: Any = None,
                            tags: list[str] | None = None, **kwargs: Any) -> None:
        self.rows.append(("chat_start", self._n(run_id), self._n(parent_run_id), tags))

    def on_chain_end(self, outputs: Any, *, run_id: Any, **kwargs: Any) -> None:
        self.rows.append(("chain_end", self._n(run_id)))

    def on_chain_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
        self.rows.append(("chain_error", self._n(run_id), repr(error)))

    def on_llm_end(self, response: Any, *, run_id: Any, **kwargs: Any) -> None:
        self.rows.append(("llm_end", self._n(run_id)))


NESTED = [("chain_start", "LangGraph", 0, None, ["u"]),
          ("chain_start", "x", 1, 0, ["graph:step:1", "u"]),
          ("chat_start", 2, 1, ["seq:step:1", "u"]), ("llm_end", 2), ("chain_end", 1),
          ("chain_start", "y", 3, 0, ["graph:step:2", "u"]),
          ("chat_start", 4, 3, ["seq:step:1", "u"]), ("llm_end", 4), ("chain_end", 3),
          ("chain_end", 0)]


@pytest.mark.anyio
async def test_callbacks_see_graph_node_and_model_runs_nested(anyio_backend: str) -> None:
    m = model("a", "b")

    async def y(s: dict[str, Any]) -> dict[str, Any]:  # a model called without the node's config
        reply = await m.ainvoke(s["messages"]) if anyio_backend == "asyncio" else m.invoke(s["messages"])
        return {"messages": [reply]}

    graph = (StateGraph(MessagesState).add_node("x", lambda s: {"messages": [m.invoke(s["messages"])]})
             .add_node("y", y).add_edge(START, "x").add_edge("x", "y").compile())
    recorder = Recorder()
    await graph.ainvoke(INPUT, {"callbacks": [recorder], "tags": ["u"]})
    assert recorder.rows == NESTED


def test_callbacks_under_the_sync_api_and_the_node_config_passed_on() -> None:
    m = model("a", "b")
    graph = (StateGraph(MessagesState)
             .add_node("x", lambda s, config: {"messages": [m.invoke(s["messages"], config)]})
             .add_node("y", lambda s: {"messages": [m.invoke(s["messages"])]})
             .add_edge(START, "x").add_edge("x", "y").compile())
    recorder = Recorder()
    graph.invoke(INPUT, {"callbacks": [recorder], "tags": ["u"]})
    assert recorder.rows == NESTED


def test_run_name_and_metadata_of_the_graph_and_node_runs() -> None:
    seen: list[tuple[str, dict[str, Any]]] = []

    class H(BaseCallbackHandler):
        def on_chain_start(self, serialized: Any, inputs: Any, *, name: str | None = None,
                           metadata: dict[str, Any] | None = None, **kwargs: Any) -> None:
            seen.append((str(name), dict(metadata or {})))

    graph = one(lambda s: {}, checkpointer=InMemorySaver())
    graph.invoke({"messages": []}, {"callbacks": [H()], "configurable": {"thread_id": "x"}, "run_name": "RN"})
    (graph_name, graph_meta), (node_name, node_meta) = seen
    assert (graph_name, graph_meta) == ("RN", {"thread_id": "x", "ls_integration": "langgraph"})
    assert node_name == "n"
    assert ns_shape(node_meta.pop("langgraph_checkpoint_ns")) == "n:<id>"
    assert node_meta == {"thread_id": "x", "ls_integration": "langgraph", **N1}


def test_a_failing_node_reports_its_error_to_the_node_and_graph_runs() -> None:
    def n(s: dict[str, Any]) -> dict[str, Any]:
        raise ValueError("boom")

    recorder = Recorder()
    with pytest.raises(ValueError, match="boom"):
        one(n).invoke(INPUT, {"callbacks": [recorder]})
    assert [r for r in recorder.rows if r[0] == "chain_error"] == [("chain_error", 1, "ValueError('boom')"),
                                                                   ("chain_error", 0, "ValueError('boom')")]


def test_a_model_called_without_config_is_seen_by_the_runs_handler() -> None:
    # interop.py's callbacks_not_propagated: LangGraph shows ['chat_model_start']
    seen: list[str] = []

    class H(BaseCallbackHandler):
        def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
            seen.append("chat_model_start")

    m = model("a")
    one(lambda s: {"messages": [m.invoke(s["messages"])]}).invoke(INPUT, {"callbacks": [H()]})
    assert seen == ["chat_model_start"]


def test_runs_without_callbacks_or_messages_mode_give_nodes_no_callbacks() -> None:
    configs: list[dict[str, Any]] = []

    def n(s: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        configs.append(config)
        return {}

    one(n).invoke({"messages": []})
    assert "callbacks" not in configs[0]


def test_chunk_classes_in_state_are_messages() -> None:
    m = model("a b")
    out = one(lambda s: {"messages": [m.invoke(s["messages"])]}).invoke(INPUT)
    assert type(out["messages"][-1]) is AIMessage
    assert not isinstance(out["messages"][-1], AIMessageChunk)


def test_stream_message_tokens_are_langchain_chunks_and_the_result_is_not_emitted_again() -> None:
    from actorgraph.graph import stream_message

    def n(s: dict[str, Any]) -> dict[str, Any]:
        return {"messages": [stream_message(["a", "b"], id="t")]}

    events = list(one(n).stream(INPUT, stream_mode="messages"))
    assert [row(c, md) for c, md in events] == [("AIMessageChunk", "a", "t", N1), ("AIMessageChunk", "b", "t", N1)]


def test_a_subgraphs_graph_run_nests_under_its_parents_node_run() -> None:
    rows: list[tuple[Any, ...]] = []
    ids: dict[Any, int] = {}

    class H(BaseCallbackHandler):
        def on_chain_start(self, serialized: Any, inputs: Any, *, name: str | None = None,
                           tags: list[str] | None = None, run_id: Any = None, parent_run_id: Any = None,
                           **kwargs: Any) -> None:
            rows.append((name, tags, ids.setdefault(run_id, len(ids)), ids.get(parent_run_id)))

        def on_chat_model_start(self, serialized: Any, messages: Any, *, tags: list[str] | None = None,
                                run_id: Any = None, parent_run_id: Any = None, **kwargs: Any) -> None:
            rows.append(("chat", tags, ids.setdefault(run_id, len(ids)), ids.get(parent_run_id)))

    m = model("a b")
    sub = (StateGraph(MessagesState).add_node("inner", lambda s: {"messages": [m.invoke(s["messages"])]})
           .add_edge(START, "inner").compile(name="sub"))
    app = StateGraph(MessagesState).add_node("outer", sub).add_edge(START, "outer").compile()
    app.invoke(INPUT, {"callbacks": [H()]})
    assert rows == [("LangGraph", [], 0, None), ("outer", ["graph:step:1"], 1, 0), ("sub", ["seq:step:1"], 2, 1),
                    ("inner", ["graph:step:1"], 3, 2), ("chat", ["seq:step:1"], 4, 3)]


def test_routers_of_conditional_edges_are_chain_runs_inside_the_node_run() -> None:
    from typing import TypedDict

    from actorgraph import END

    rows: list[tuple[Any, ...]] = []
    ids: dict[Any, int] = {}

    class H(BaseCallbackHandler):
        def on_chain_start(self, serialized: Any, inputs: Any, *, name: str | None = None,
                           tags: list[str] | None = None, run_id: Any = None, parent_run_id: Any = None,
                           **kwargs: Any) -> None:
            rows.append(("start", name, tags, ids.setdefault(run_id, len(ids)), ids.get(parent_run_id), inputs))

        def on_chain_end(self, outputs: Any, *, run_id: Any = None, **kwargs: Any) -> None:
            rows.append(("end", ids[run_id], outputs))

    class S(TypedDict):
        x: int

    def route(s: S) -> str:
        return END if s["x"] > 1 else "b"

    def route2(s: S, config: dict[str, Any]) -> str:
        return "c"

    app = (StateGraph(S).add_node("a", lambda s: {"x": s["x"] + 1}).add_node("b", lambda s: {"x": s["x"] + 1})
           .add_node("c", lambda s: {}).add_edge(START, "a").add_conditional_edges("a", route)
           .add_conditional_edges("b", route2, ["c"]).compile())
    app.invoke({"x": 0}, {"callbacks": [H()]})
    assert rows == [
        ("start", "LangGraph", [], 0, None, {"x": 0}),
        ("start", "a", ["graph:step:1"], 1, 0, {"x": 0}),
        ("start", "route", ["seq:step:3"], 2, 1, {"x": 1}), ("end", 2, "b"),
        ("end", 1, {"x": 1}),
        ("start", "b", ["graph:step:2"], 3, 0, {"x": 1}),
        ("start", "route2", ["seq:step:3"], 4, 3, {"x": 2}), ("end", 4, "c"),
        ("end", 3, {"x": 2}),
        ("start", "c", ["graph:step:3"], 5, 0, {"x": 2}), ("end", 5, {}),
        ("end", 0, {"x": 2}),
    ]


@pytest.mark.anyio
async def test_a_runnable_sequence_node_runs_its_steps_as_the_node_runs_steps(anyio_backend: str) -> None:
    from langchain_core.runnables import RunnableLambda

    rows: list[tuple[Any, ...]] = []
    ids: dict[Any, int] = {}

    class H(BaseCallbackHandler):
        def on_chain_start(self, serialized: Any, inputs: Any, *, name: str | None = None,
                           tags: list[str] | None = None, run_id: Any = None, parent_run_id: Any = None,
                           **kwargs: Any) -> None:
            rows.append((name, tags, ids.setdefault(run_id, len(ids)), ids.get(parent_run_id)))

        def on_chat_model_start(self, serialized: Any, messages: Any, *, tags: list[str] | None = None,
                                run_id: Any = None, parent_run_id: Any = None, **kwargs: Any) -> None:
            rows.append(("chat", tags, ids.setdefault(run_id, len(ids)), ids.get(parent_run_id)))

    node = RunnableLambda(lambda s: s["messages"]) | model("a b") | RunnableLambda(lambda m: {"messages": [m]})
    app = StateGraph(MessagesState).add_node("agent", node).add_edge(START, "agent").compile()
    out = await app.ainvoke(INPUT, {"callbacks": [H()], "tags": ["u"]})
    assert out["messages"][-1].content == "a b"
    assert rows == [("LangGraph", ["u"], 0, None), ("agent", ["graph:step:1", "u"], 1, 0),
                    ("RunnableLambda", ["seq:step:1", "u"], 2, 1), ("chat", ["seq:step:2", "u"], 3, 1),
                    ("RunnableLambda", ["seq:step:3", "u"], 4, 1)]


@pytest.mark.anyio
async def test_actor_system_subscriber_of_messages_gets_tokens(anyio_backend: str) -> None:
    import anyio

    from actorgraph import ActorSystem

    gate = anyio.Event()

    async def wait(s: dict[str, Any]) -> dict[str, Any]:
        await gate.wait()  # (the subscriber is there before the model node's step)
        return {}

    m = model("a b")
    app = (StateGraph(MessagesState).add_node("wait", wait)
           .add_node("n", lambda s: {"messages": [m.invoke(s["messages"])]})
           .add_edge(START, "wait").add_edge("wait", "n").compile())
    got: list[tuple[str, str]] = []
    async with ActorSystem() as system:
        run = await system.start(app, INPUT)
        async with run.subscribe(["messages"]) as events:
            gate.set()
            async for mode, (chunk, metadata) in events:
                got.append((chunk.content, metadata["langgraph_node"]))
        await run.result()
    assert got == [("a", "n"), (" ", "n"), ("b", "n")]


def test_sync_handlers_run_on_the_calling_thread_under_invoke_and_in_executor_threads_under_ainvoke() -> None:
    import asyncio
    import threading

    main = threading.get_ident()
    seen: list[tuple[str, bool]] = []

    class H(BaseCallbackHandler):
        def on_chain_start(self, serialized: Any, inputs: Any, *, name: str | None = None, **kwargs: Any) -> None:
            seen.append((str(name), threading.get_ident() == main))

    app = one(lambda s: {})
    app.invoke({"messages": []}, {"callbacks": [H()]})
    assert seen == [("LangGraph", True), ("n", True)]
    seen.clear()
    asyncio.run(app.ainvoke({"messages": []}, {"callbacks": [H()]}))  # langchain-core's async manager
    assert seen == [("LangGraph", False), ("n", False)]


@pytest.mark.anyio
async def test_leaving_a_traced_stream_early_cancels_the_run(anyio_backend: str) -> None:
    import anyio

    started = anyio.Event()
    errors: list[str] = []

    class H(BaseCallbackHandler):
        def on_chain_error(self, error: BaseException, **kwargs: Any) -> None:
            errors.append(type(error).__name__)

    async def n(s: dict[str, Any]) -> dict[str, Any]:
        push_message(AIMessage("first", id="f1"))
        started.set()
        await anyio.sleep_forever()
        return {}

    stream = one(n).astream(INPUT, {"callbacks": [H()]}, stream_mode="messages")
    with anyio.fail_after(10):  # (a deadlock guard)
        async for chunk, _ in stream:
            assert chunk.content == "first"
            break
        await stream.aclose()
    assert started.is_set()
    # the node run ends with the cancellation (LangGraph 1.2: CancelledError), then the graph
    # run with an error (LangGraph: GeneratorExit, its astream being a generator; ours: the
    # cancellation again)
    cancelled = "CancelledError" if anyio_backend == "asyncio" else "Cancelled"
    assert errors == [cancelled, cancelled]


@pytest.mark.anyio
async def test_a_model_called_in_a_task_streams_with_the_tasks_metadata(anyio_backend: str) -> None:
    # LangGraph 1.2.24 (subgraphs=True): the tokens of a model called inside a @task carry the
    # task's metadata (its node name, push trigger, path below its caller's, checkpoint_ns
    # below its caller's) and the namespace of the graph it runs in (the root: ())
    from actorgraph.func import entrypoint, task

    llm = model("a b")

    @task
    def callm(q: str) -> str:
        return str(llm.invoke(q).content)

    @entrypoint()
    def wf(q: str) -> str:
        return callm(q).result()

    chunks = [c async for c in wf.astream("hi", stream_mode="messages", subgraphs=True)]
    assert [(ns, m.content) for ns, (m, _) in chunks] == [((), "a"), ((), " "), ((), "b")]
    for _, (_, meta) in chunks:
        assert meta["langgraph_node"] == "callm" and meta["langgraph_triggers"] == ("__pregel_push",)
        assert meta["langgraph_path"] == ("__pregel_push", ("__pregel_pull", "wf"), 0, True)
        assert re.fullmatch(f"wf:{UUID}\\|callm:{UUID}", meta["langgraph_checkpoint_ns"])
        assert meta["checkpoint_ns"] == meta["langgraph_checkpoint_ns"]


# -- a graph streamed inside a node (LangGraph 1.2.24: /work-derived scratch runs of these graphs) --
# The graph's own stream gets its tokens; the enclosing run's stream gets them (under the inner
# run's namespace) only with subgraphs=True; an untraced enclosing run does not matter.


def _inner_chat() -> Any:
    def chat(s: dict[str, Any]) -> dict[str, Any]:
        return {"messages": [model("inner tok").invoke(s["messages"])]}

    return StateGraph(MessagesState).add_node("inner_chat", chat).add_edge(START, "inner_chat").compile()


@pytest.mark.anyio
async def test_astream_messages_inside_a_node_of_an_untraced_run(anyio_backend: str) -> None:
    inner = _inner_chat()
    seen: list[Any] = []

    async def outer_node(s: dict[str, Any]) -> dict[str, Any]:
        seen.extend([m.content async for m, _ in inner.astream(s, stream_mode="messages")])
        return {}

    outer = StateGraph(MessagesState).add_node("outer_node", outer_node).add_edge(START, "outer_node").compile()
    await outer.ainvoke(INPUT)  # (LangGraph: the node sees ['inner', ' ', 'tok'])
    assert seen == ["inner", " ", "tok"]


def _nesting_app(is_async: bool, seen: list[Any]) -> Any:
    inner = _inner_chat()

    def sync_node(s: dict[str, Any]) -> dict[str, Any]:
        seen.append([m.content for m, _ in inner.stream(s, stream_mode="messages")])
        return {"messages": [AIMessage("done", id="joined")]}

    async def async_node(s: dict[str, Any]) -> dict[str, Any]:
        seen.append([m.content async for m, _ in inner.astream(s, stream_mode="messages")])
        return {"messages": [AIMessage("done", id="joined")]}

    name = "async_node" if is_async else "sync_node"
    return StateGraph(MessagesState).add_node(name, async_node if is_async else sync_node).add_edge(START, name).compile()


def _outer_rows(items: list[Any], subgraphs: bool) -> list[tuple[Any, ...]]:
    rows = []
    for item in items:
        ns, mode, data = item if subgraphs else (None, *item)
        shown = tuple(map(ns_shape, ns)) if subgraphs else None
        if mode == "messages":
            rows.append((shown, mode, data[0].content, ns_shape(data[1]["langgraph_checkpoint_ns"])))
        else:
            rows.append((shown, mode, list(data)))
    return rows


def _expected_outer(node: str, subgraphs: bool) -> list[tuple[Any, ...]]:
    if not subgraphs:
        return [(None, "messages", "done", f"{node}:<id>"), (None, "updates", [node])]
    where, ns = (f"{node}:<id>",), f"{node}:<id>|inner_chat:<id>"
    return [(where, "messages", "inner", ns), (where, "messages", " ", ns), (where, "messages", "tok", ns),
            (where, "updates", ["inner_chat"]), ((), "messages", "done", f"{node}:<id>"), ((), "updates", [node])]


@pytest.mark.parametrize("subgraphs", [False, True])
def test_stream_inside_a_sync_node_is_its_subgraph(subgraphs: bool) -> None:
    seen: list[Any] = []
    items = list(_nesting_app(False, seen).stream(INPUT, stream_mode=["messages", "updates"], subgraphs=subgraphs))
    assert seen == [["inner", " ", "tok"]]
    assert _outer_rows(items, subgraphs) == _expected_outer("sync_node", subgraphs)


@pytest.mark.anyio
@pytest.mark.parametrize("subgraphs", [False, True])
async def test_astream_inside_an_async_node_is_its_subgraph(anyio_backend: str, subgraphs: bool) -> None:
    seen: list[Any] = []
    app = _nesting_app(True, seen)
    items = [i async for i in app.astream(INPUT, stream_mode=["messages", "updates"], subgraphs=subgraphs)]
    assert seen == [["inner", " ", "tok"]]
    assert _outer_rows(items, subgraphs) == _expected_outer("async_node", subgraphs)


def test_the_process_exits_after_a_sync_messages_stream_of_a_runnable_node() -> None:
    # A Runnable node under stream_mode="messages" runs through ainvoke, whose executor thread
    # belongs to the calling thread's private loop: closing that loop when the thread's locals
    # go (at exit) must not wait forever on a new thread (it did: the process never ended).
    import subprocess
    import sys

    code = (
        "from langchain_core.runnables import RunnableLambda\n"
        "from langchain_core.messages import AIMessage, HumanMessage\n"
        "from actorgraph import StateGraph, START, MessagesState\n"
        "g = StateGraph(MessagesState)\n"
        "g.add_node('n', RunnableLambda(lambda s: {'messages': [AIMessage('x', id='x')]}))\n"
        "g.add_edge(START, 'n')\n"
        "chunks = list(g.compile().stream({'messages': [HumanMessage('q')]}, stream_mode='messages'))\n"
        "print('end', len(chunks))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, "end 1"), done.stderr[-2000:]


def _start_router_app() -> Any:
    def route(s: dict[str, Any]) -> str:
        return str(model("a").invoke(s["messages"]).content)

    return (StateGraph(MessagesState).add_node("a", lambda s: {"messages": [AIMessage("done", id="d")]})
            .add_conditional_edges(START, route, ["a"]).compile())


def test_a_model_in_a_start_router_streams_as_start_hidden() -> None:
    # LangGraph 1.2.24: the START task that routes is traced (hidden), so a model called in its
    # router streams its tokens with langgraph_node '__start__' and the hidden tag
    events = list(_start_router_app().stream(INPUT, stream_mode="messages"))
    assert [(type(c).__name__, c.content, md["langgraph_node"], md.get("tags")) for c, md in events] == [
        ("AIMessageChunk", "a", "__start__", ["langsmith:hidden"]), ("AIMessage", "done", "a", None)]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_astream_events_show_the_start_router_hidden(anyio_backend: str) -> None:
    # LangGraph 1.2.24: __start__ (graph:step:0, hidden), its router (seq:step:2, hidden) and the
    # model called in it (hidden) are runs of their own
    rows = [(e["event"], e["name"], sorted(e["tags"])) async for e in _start_router_app().astream_events(
        INPUT, version="v2") if e["name"] in ("__start__", "route", "GenericFakeChatModel")]
    hidden, router = ["langsmith:hidden"], ["langsmith:hidden", "seq:step:2"]
    start = ["graph:step:0", "langsmith:hidden"]
    assert rows == [
        ("on_chain_start", "__start__", start), ("on_chain_start", "route", router),
        ("on_chat_model_start", "GenericFakeChatModel", hidden), ("on_chat_model_stream", "GenericFakeChatModel", hidden),
        ("on_chat_model_end", "GenericFakeChatModel", hidden), ("on_chain_end", "route", router),
        ("on_chain_stream", "__start__", start), ("on_chain_end", "__start__", start)]
