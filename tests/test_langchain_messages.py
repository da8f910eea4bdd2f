"""``add_messages`` / ``MessagesState`` with langchain-core installed (the ``langchain`` extra).

Expected values are LangGraph 1.2.24's ``add_messages`` on the same inputs (langchain-core 1.8,
checked in a scratch script), unless a test says it pins a decision of ours."""

import uuid
from typing import Any

import pytest

pytest.importorskip("langchain_core")

from langchain_core.language_models.fake_chat_models import FakeListChatModel  # noqa: E402
from langchain_core.messages import (  # noqa: E402
    AIMessage,
    AIMessageChunk,
    HumanMessage,
    HumanMessageChunk,
    RemoveMessage,
    SystemMessage,
    SystemMessageChunk,
    ToolMessage,
    ToolMessageChunk,
)

from actorgraph import START, MessagesState, StateGraph, add_messages  # noqa: E402
from actorgraph.graph import _messages as native  # noqa: E402
from actorgraph.graph._messages import REMOVE_ALL_MESSAGES  # noqa: E402


def is_uuid4(value: Any) -> bool:
    return isinstance(value, str) and uuid.UUID(value).version == 4


def test_data_becomes_langchain_messages() -> None:
    out = add_messages([], [
        {"role": "user", "content": "hi"},
        ("ai", "yo"),
        "bare",
        {"role": "developer", "content": "d"},
        {"role": "tool", "content": "r", "tool_call_id": "c"},
        {"role": "user", "content": None},
        {"role": "user", "content": "x", "extra": 5, "name": "bob"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "c2", "type": "function", "function": {"name": "g", "arguments": '{"a": 2}'}}
        ]},
    ])
    assert [(type(m), m.content) for m in out] == [
        (HumanMessage, "hi"), (AIMessage, "yo"), (HumanMessage, "bare"), (SystemMessage, "d"),
        (ToolMessage, "r"), (HumanMessage, ""), (HumanMessage, "x"), (AIMessage, ""),
    ]
    assert all(is_uuid4(m.id) for m in out)
    assert out[3].additional_kwargs == {"__openai_role__": "developer"}
    assert out[4].tool_call_id == "c"
    assert (out[6].name, out[6].additional_kwargs) == ("bob", {"extra": 5})
    assert out[7].tool_calls == [{"name": "g", "args": {"a": 2}, "id": "c2", "type": "tool_call"}]


def test_chunks_become_messages() -> None:
    chunk = AIMessageChunk(content="", id="run-1", tool_call_chunks=[
        {"name": "f", "args": '{"a": 1}', "id": "c1", "index": 0}
    ])
    (out,) = add_messages([], chunk)
    assert type(out) is AIMessage
    assert (out.id, out.content) == ("run-1", "")
    assert out.tool_calls == [{"name": "f", "args": {"a": 1}, "id": "c1", "type": "tool_call"}]
    others = add_messages([], [
        HumanMessageChunk(content="h", id="h"), SystemMessageChunk(content="s", id="s"),
        ToolMessageChunk(content="t", tool_call_id="c", id="t"),
    ])
    assert others == [HumanMessage("h", id="h"), SystemMessage("s", id="s"),
                      ToolMessage("t", tool_call_id="c", id="t")]
    left = [HumanMessage("a", id="1")]
    merged = add_messages(left, [AIMessageChunk(content="x")])
    assert type(merged[1]) is AIMessage and is_uuid4(merged[1].id)


def test_ids_are_set_on_the_langchain_objects_themselves() -> None:
    old, new = HumanMessage("q"), AIMessage("z")
    out = add_messages([old], [new])
    assert out[0] is old and out[1] is new
    assert is_uuid4(old.id) and is_uuid4(new.id) and old.id != new.id


def test_replace_and_remove_by_id() -> None:
    left = [HumanMessage("a", id="1"), AIMessage("b", id="2")]
    assert add_messages(left, [AIMessage("B", id="1")]) == [AIMessage("B", id="1"), AIMessage("b", id="2")]
    assert add_messages(left, [RemoveMessage(id="1")]) == [AIMessage("b", id="2")]
    assert add_messages(left, RemoveMessage(id=REMOVE_ALL_MESSAGES)) == []
    assert add_messages(left, [RemoveMessage(id=REMOVE_ALL_MESSAGES), "n"])[0].content == "n"
    with pytest.raises(ValueError, match=r"delete a message with an ID that doesn't exist \('nope'\)"):
        add_messages(left, [RemoveMessage(id="nope")])


def test_remove_all_marker_is_langgraphs() -> None:
    assert REMOVE_ALL_MESSAGES == "__remove_all__"


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        ({"role": "tool", "content": "x"}, KeyError, "tool_call_id"),
        ({"role": "wizard", "content": "x"}, ValueError,
         r"^Unexpected message type: 'wizard'\. Use one of 'human', 'user', 'ai', 'assistant', "
         r"'function', 'tool', 'system', or 'developer'\."),
        ({"content": "x"}, ValueError,
         r"^Message dict must contain 'role' and 'content' keys, got \{'content': 'x'\}"),
        (("a", "b", "c"), NotImplementedError, r"^Message as a sequence must be \(role string, template\)"),
    ],
)
def test_data_errors_are_langchains(bad: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        add_messages([], [bad])


# -- decisions of ours: the classes a mixed list ends up with ----------------------------------


def test_our_messages_alone_stay_ours_with_langchain_installed() -> None:
    left = [native.HumanMessage("a", id="1")]
    out = add_messages(left, [native.AIMessage("b", id="2"), native.RemoveMessage(id="1")])
    assert out == [native.AIMessage("b", id="2")]


def test_a_mixed_list_becomes_all_langchain() -> None:
    left: list[Any] = [
        native.HumanMessage("a", id="1", name="bob", additional_kwargs={"k": 1}),
        native.AIMessage("b", id="2", tool_calls=[{"name": "f", "args": {"x": 1}, "id": "c1"}]),
        native.SystemMessage("s", id="3"),
        native.ToolMessage("r", id="4", tool_call_id="c1", name="f"),
    ]
    out = add_messages(left, [AIMessage("c", id="5"), native.RemoveMessage(id="3")])
    assert out == [
        HumanMessage("a", id="1", name="bob", additional_kwargs={"k": 1}),
        AIMessage("b", id="2", tool_calls=[{"name": "f", "args": {"x": 1}, "id": "c1", "type": "tool_call"}]),
        ToolMessage("r", id="4", tool_call_id="c1", name="f"),
        AIMessage("c", id="5"),
    ]
    # data in the update is enough: it becomes langchain-core's, and so does the rest
    assert [type(m) for m in add_messages(left[:1], "hi")] == [HumanMessage, HumanMessage]
    assert add_messages(left[:1], {"type": "remove", "id": "1"}) == []


def test_user_objects_with_an_id_are_kept() -> None:
    class Note:
        def __init__(self, id: str) -> None:
            self.id = id

    note = Note("n")
    out = add_messages([HumanMessage("a", id="1")], [note])
    assert out[1] is note


# -- in a graph ----------------------------------------------------------------------------


def chat_graph() -> Any:
    model = FakeListChatModel(responses=["pong"])
    return (StateGraph(MessagesState)
            .add_node("n", lambda s: {"messages": [model.invoke(s["messages"])]})
            .add_edge(START, "n").compile())


@pytest.mark.anyio
@pytest.mark.parametrize("given", [[{"role": "user", "content": "ping"}], "ping", [("user", "ping")]])
async def test_data_input_reaches_a_langchain_model(anyio_backend: str, given: Any) -> None:
    out = await chat_graph().ainvoke({"messages": given})
    assert [(type(m), m.content) for m in out["messages"]] == [(HumanMessage, "ping"), (AIMessage, "pong")]



# -- add_messages(format=...) (observed from LangGraph 1.2.24 with langchain-core 1.8.3) -----


def test_add_messages_format_langchain_openai_as_langgraph() -> None:
    reducer = add_messages(format="langchain-openai")
    merged = reducer(
        [HumanMessage("a", id="1")],
        [AIMessage([{"type": "text", "text": "x"}, {"type": "image", "source_type": "url", "url": "http://i"}],
                     id="2", name="bob"),
         {"role": "user", "content": "hi", "id": "3"},
         ToolMessage([{"type": "text", "text": "t"}], tool_call_id="c", id="4")],
    )
    # the OpenAI round trip drops ids, as in LangGraph
    assert [(type(m).__name__, m.content, m.id) for m in merged] == [
        ("HumanMessage", "a", None),
        ("AIMessage", [{"type": "text", "text": "x"}, {"type": "image_url", "image_url": {"url": "http://i"}}], None),
        ("HumanMessage", "hi", None),
        ("ToolMessage", "t", None),
    ]
    assert merged[1].name == "bob" and merged[3].tool_call_id == "c"
    assert reducer([HumanMessage("a", id="1")], [RemoveMessage(id="1")]) == []


def test_add_messages_format_errors_as_langgraph() -> None:
    with pytest.raises(ValueError, match=r"Unrecognized format='x'\. Expected one of 'langchain-openai', None\."):
        add_messages([], [], format="x")
    with pytest.raises(ValueError, match=r"Only received: 'left'\."):
        add_messages([HumanMessage("a")], None)
    with pytest.raises(ValueError, match=r"Only received: 'right'\."):
        add_messages(None, [HumanMessage("a")])


def test_add_messages_format_as_a_state_reducer() -> None:
    from typing import Annotated, TypedDict

    from actorgraph import START, StateGraph

    class S(TypedDict):
        messages: Annotated[list[Any], add_messages(format="langchain-openai")]

    app = StateGraph(S).add_node("n", lambda s: {"messages": [AIMessage([{"type": "text", "text": "yo"}])]}) \
        .add_edge(START, "n").compile()
    out = app.invoke({"messages": [{"role": "user", "content": "hi"}]})
    assert [(type(m).__name__, m.content) for m in out["messages"]] == [
        ("HumanMessage", "hi"), ("AIMessage", "yo")]  # one text block becomes a string
