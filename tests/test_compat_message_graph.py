"""``MessageGraph`` (LangGraph's deprecated one-list-of-messages graph).

Expected values were observed on LangGraph 1.2.24 (langchain-core 1.x) running the same programs
with LangGraph's imports (/tmp/mg.py in the stop-33 session): the warning, the list in and out,
message data coerced, a message replacing the one with its id, updates per node."""

import warnings
from typing import Any

import pytest

from actorgraph.checkpoint.memory import InMemorySaver
from actorgraph.graph import END, AIMessage, HumanMessage, MessageGraph, StateGraph
from actorgraph.graph.message import MessageGraph as FromMessagePath
from actorgraph.warnings import LangGraphDeprecatedSinceV10

pytestmark = pytest.mark.anyio

DEPRECATION = ("MessageGraph is deprecated in LangGraph v1.0.0, to be removed in v2.0.0. Please use StateGraph "
               "with a `messages` key instead. Deprecated in LangGraph V1.0 to be removed in V2.0.")


def new_graph() -> MessageGraph:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LangGraphDeprecatedSinceV10)
        return MessageGraph()


def test_making_one_warns_as_langgraph() -> None:
    with pytest.warns(LangGraphDeprecatedSinceV10) as caught:
        builder = MessageGraph()
    assert [str(w.message) for w in caught] == [DEPRECATION]
    assert caught[0].filename == __file__  # (stacklevel: the caller's line)
    assert isinstance(builder, StateGraph) and FromMessagePath is MessageGraph


def replacing_graph() -> Any:
    builder = new_graph()
    builder.add_node("r", lambda state: [AIMessage(content="replaced", id="h1")])
    builder.set_entry_point("r")
    builder.set_finish_point("r")
    return builder.compile()


async def test_the_state_is_the_list_itself_without_langchain(anyio_backend: str) -> None:
    # actorgraph's own message classes (no langchain-core needed): the output is the list, a
    # returned message with an id already in the list replaces it
    out = await replacing_graph().ainvoke([HumanMessage(content="orig", id="h1")])
    assert [(type(m).__name__, m.content, m.id) for m in out] == [("AIMessage", "replaced", "h1")]
    one = await replacing_graph().ainvoke(HumanMessage(content="orig", id="h1"))  # a lone message too
    assert [(m.content, m.id) for m in one] == [("replaced", "h1")]


def test_appends_what_nodes_return_and_checkpoints_it() -> None:
    builder = new_graph()
    builder.add_node("a", lambda state: AIMessage(content="x", id="a1"))  # one message
    builder.add_node("b", lambda state: [AIMessage(content=f"saw {len(state)}", id="b1")])  # a list
    builder.set_entry_point("a")
    builder.add_edge("a", "b")
    builder.add_edge("b", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "1"}}
    out = graph.invoke([HumanMessage(content="q", id="h1")], config)
    assert [(m.content, m.id) for m in out] == [("q", "h1"), ("x", "a1"), ("saw 2", "b1")]
    assert [m.id for m in graph.get_state(config).values] == ["h1", "a1", "b1"]
    updates = list(graph.stream([HumanMessage(content="q2", id="h2")], config, stream_mode="updates"))
    assert [list(chunk) for chunk in updates] == [["a"], ["b"]]
    # a1 and b1 replaced where they were (b saw four messages), h2 appended after them
    assert [(m.content, m.id) for m in graph.get_state(config).values] == [
        ("q", "h1"), ("x", "a1"), ("saw 4", "b1"), ("q2", "h2")]


class TestWithLangChain:
    @pytest.fixture(autouse=True)
    def _needs_langchain(self) -> None:
        pytest.importorskip("langchain_core")

    async def test_message_data_becomes_langchain_messages(self, anyio_backend: str) -> None:
        # LangGraph's docstring example: tuples in, langchain-core messages with ids out
        builder = new_graph()
        builder.add_node("chatbot", lambda state: [("assistant", "Hello!")])
        builder.set_entry_point("chatbot")
        builder.set_finish_point("chatbot")
        out = await builder.compile().ainvoke([("user", "Hi there.")])
        assert [(type(m).__name__, m.content) for m in out] == [("HumanMessage", "Hi there."), ("AIMessage", "Hello!")]
        assert all(type(m).__module__.startswith("langchain_core.") and m.id for m in out)

    def test_tool_calls_and_tool_messages(self) -> None:
        from langchain_core.messages import AIMessage as LcAI
        from langchain_core.messages import HumanMessage as LcHuman
        from langchain_core.messages import ToolMessage

        builder = new_graph()
        builder.add_node("a", lambda state: LcAI(content="x", id="a1", tool_calls=[
            {"name": "search", "id": "123", "args": {"q": "X"}}]))
        builder.add_node("t", lambda state: [ToolMessage(content="res", tool_call_id="123", id="t1")])
        builder.add_edge("a", "t")
        builder.set_entry_point("a")
        builder.add_edge("t", END)
        graph = builder.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": "1"}}
        out = graph.invoke([LcHuman(content="q", id="h1")], config)
        assert [(type(m).__name__, m.content, m.id) for m in out] == [
            ("HumanMessage", "q", "h1"), ("AIMessage", "x", "a1"), ("ToolMessage", "res", "t1")]
        assert out[1].tool_calls == [{"name": "search", "id": "123", "args": {"q": "X"}, "type": "tool_call"}]
        updates = list(graph.stream([LcHuman(content="q2", id="h2")], config, stream_mode="updates"))
        assert [list(chunk) for chunk in updates] == [["a"], ["t"]]
