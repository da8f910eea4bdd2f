"""Message types, ``add_messages`` and ``MessagesState``.

Expected values are LangGraph 1.2.24's ``add_messages`` on LangChain messages (checked in a
scratch venv), restated with our message Structs."""

import dataclasses
import operator
import uuid
from collections import OrderedDict
from typing import Annotated, Any, TypedDict

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actorgraph.graph._messages import (
    REMOVE_ALL_MESSAGES,
    AIMessage,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    MessagesState,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
    add_messages,
)
from actorgraph.graph._schema import FieldSpec, schema_fields


@pytest.fixture
def without_langchain(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if langchain-core were not installed: with it, messages given as data become
    langchain-core's classes (tests/test_langchain_messages.py)."""
    monkeypatch.setattr("actorgraph._langchain._available", False)


def shape(messages: list[Any]) -> list[tuple[str, Any, Any]]:
    return [(m.type, m.content, m.id) for m in messages]


def is_uuid4(value: Any) -> bool:
    return isinstance(value, str) and uuid.UUID(value).version == 4


# -- message types -------------------------------------------------------------------------------


def test_message_types_and_defaults() -> None:
    human = HumanMessage("hi")
    assert (human.type, human.content, human.id, human.name, human.additional_kwargs) == (
        "human", "hi", None, None, {}
    )
    assert HumanMessage(content="hi") == human
    assert AIMessage("a").type == "ai" and AIMessage("a").tool_calls == []
    assert SystemMessage("s").type == "system"
    tool = ToolMessage("result", tool_call_id="c1")
    assert (tool.type, tool.tool_call_id) == ("tool", "c1")
    assert RemoveMessage(id="x").type == "remove"
    for cls in (HumanMessage, AIMessage, SystemMessage, ToolMessage):
        assert issubclass(cls, BaseMessage)
    # Mutable defaults are per instance.
    a, b = AIMessage("a"), AIMessage("b")
    a.tool_calls.append({"name": "f"})
    assert b.tool_calls == []


def test_messages_round_trip_through_builtins_by_type_tag() -> None:
    messages: list[Any] = [
        HumanMessage("hi", id="1", name="bob"),
        AIMessage("yo", id="2", tool_calls=[{"name": "f", "args": {}, "id": "c"}]),
        SystemMessage("sys", additional_kwargs={"k": 1}),
        ToolMessage("r", id="3", tool_call_id="c"),
    ]
    data = msgspec.to_builtins(messages)
    assert data[0] == {
        "type": "human", "content": "hi", "id": "1", "name": "bob", "additional_kwargs": {}
    }
    assert msgspec.convert(data, list[AnyMessage]) == messages
    assert msgspec.json.decode(msgspec.json.encode(messages), type=list[AnyMessage]) == messages
    remove = msgspec.to_builtins(RemoveMessage("z"))
    assert remove == {"type": "remove", "id": "z"}
    assert msgspec.convert(remove, RemoveMessage) == RemoveMessage("z")


# -- merging by id ------------------------------------------------------------------------------


def test_single_messages_are_wrapped() -> None:
    assert shape(add_messages(HumanMessage("a", id="1"), AIMessage("b", id="2"))) == [
        ("human", "a", "1"), ("ai", "b", "2")
    ]


def test_new_ids_append_and_known_ids_replace_in_place() -> None:
    left = [HumanMessage("a", id="1"), AIMessage("b", id="2")]
    out = add_messages(left, [HumanMessage("A", id="1"), AIMessage("c", id="3")])
    assert shape(out) == [("human", "A", "1"), ("ai", "b", "2"), ("ai", "c", "3")]
    assert shape(left) == [("human", "a", "1"), ("ai", "b", "2")]  # left is not mutated
    assert out is not left


def test_duplicate_ids_in_one_update_last_wins() -> None:
    update = [AIMessage("x", id="9"), AIMessage("y", id="9")]
    assert shape(add_messages([HumanMessage("a", id="1")], update)) == [
        ("human", "a", "1"), ("ai", "y", "9")
    ]
    left = [HumanMessage("a", id="1"), HumanMessage("b", id="2")]
    assert shape(add_messages(left, [AIMessage("x", id="1"), AIMessage("y", id="1")])) == [
        ("ai", "y", "1"), ("human", "b", "2")
    ]


def test_remove_message() -> None:
    left = [HumanMessage("a", id="1"), HumanMessage("b", id="2")]
    assert shape(add_messages(left, [RemoveMessage(id="1")])) == [("human", "b", "2")]
    assert shape(add_messages(left, RemoveMessage(id="2"))) == [("human", "a", "1")]


def test_removal_applies_after_the_update() -> None:
    # Removed then re-sent: the new message takes the old one's place.
    left = [HumanMessage("a", id="1"), HumanMessage("b", id="2")]
    assert shape(add_messages(left, [RemoveMessage(id="1"), AIMessage("z", id="1")])) == [
        ("ai", "z", "1"), ("human", "b", "2")
    ]
    # Added then removed within one update: gone.
    update: list[Any] = [AIMessage("z", id="5"), RemoveMessage(id="5")]
    assert shape(add_messages([HumanMessage("a", id="1")], update)) == [("human", "a", "1")]


def test_removing_an_unknown_id_raises() -> None:
    with pytest.raises(ValueError) as info:
        add_messages([HumanMessage("a", id="1")], [RemoveMessage(id="nope")])
    assert str(info.value) == (
        "Attempting to delete a message with an ID that doesn't exist ('nope')"
    )


def test_remove_all_keeps_what_follows_the_last_one() -> None:
    left = [HumanMessage("a", id="1")]
    update: list[Any] = [
        AIMessage("q", id="7"), RemoveMessage(id=REMOVE_ALL_MESSAGES), HumanMessage("n", id="8")
    ]
    assert shape(add_messages(left, update)) == [("human", "n", "8")]
    twice: list[Any] = [
        RemoveMessage(id=REMOVE_ALL_MESSAGES), HumanMessage("n", id="8"),
        RemoveMessage(id=REMOVE_ALL_MESSAGES), HumanMessage("k", id="9"),
    ]
    assert shape(add_messages(left, twice)) == [("human", "k", "9")]
    assert add_messages(left, RemoveMessage(id=REMOVE_ALL_MESSAGES)) == []


def test_remove_all_merges_what_follows_by_id() -> None:
    # Deliberate difference: LangGraph returns the rest of the update verbatim, which would put
    # two messages with id "8" in the state; we merge it like any update.
    update: list[Any] = [
        RemoveMessage(id=REMOVE_ALL_MESSAGES), HumanMessage("n", id="8"), HumanMessage("m", id="8")
    ]
    assert shape(add_messages([HumanMessage("a", id="1")], update)) == [("human", "m", "8")]


def test_langchain_style_remove_message_is_recognised_by_type() -> None:
    @dataclasses.dataclass
    class ForeignRemove:
        id: str
        type: str = "remove"

    left = [HumanMessage("a", id="1"), HumanMessage("b", id="2")]
    assert shape(add_messages(left, [ForeignRemove("1")])) == [("human", "b", "2")]


# -- ids -------------------------------------------------------------------------------------


def test_missing_ids_are_assigned_on_the_message_objects() -> None:
    # LangGraph sets the id on the message object itself, on both sides.
    old = HumanMessage("old")
    new = AIMessage("new")
    out = add_messages([old], new)
    assert out == [old, new]
    assert out[0] is old and out[1] is new
    assert is_uuid4(old.id) and is_uuid4(new.id) and old.id != new.id


def test_frozen_messages_get_an_id_on_a_copy() -> None:
    @dataclasses.dataclass(frozen=True)
    class FrozenData:
        content: str
        id: str | None = None

    class FrozenStruct(msgspec.Struct, frozen=True):
        content: str
        id: str | None = None

    data, struct = FrozenData("d"), FrozenStruct("s")
    out = add_messages([], [data, struct])
    assert [(type(m), m.content) for m in out] == [(FrozenData, "d"), (FrozenStruct, "s")]
    assert all(is_uuid4(m.id) for m in out)
    assert data.id is None and struct.id is None


def test_frozen_pydantic_message_gets_an_id_on_a_copy() -> None:
    pydantic = pytest.importorskip("pydantic")

    class Msg(pydantic.BaseModel):  # type: ignore[name-defined,misc]
        model_config = pydantic.ConfigDict(frozen=True)
        content: str
        id: str | None = None

    msg = Msg(content="p")
    (out,) = add_messages([], msg)
    assert isinstance(out, Msg) and out.content == "p" and is_uuid4(out.id) and msg.id is None


def test_other_objects_with_an_id_are_kept_as_they_are() -> None:
    @dataclasses.dataclass
    class Custom:
        text: str
        id: str | None = None

    kept = Custom("x", id="c1")
    out = add_messages([HumanMessage("a", id="1")], [kept, Custom("y", id="1")])
    assert out[1] is kept
    assert out[0] == Custom("y", id="1")


# -- coercion ------------------------------------------------------------------------------------


def test_dicts_tuples_and_strings_become_messages(without_langchain: None) -> None:
    out = add_messages([], [
        {"role": "user", "content": "hi"},
        {
            "role": "assistant", "content": "yo", "id": "a",
            "tool_calls": [{"name": "f", "args": {"x": 1}, "id": "c1"}],
        },
        ("system", "sys"),
        "bare",
        {"type": "tool", "content": "res", "tool_call_id": "c1", "id": "t"},
        {"role": "developer", "content": "dev"},
        {"role": "user", "content": "x", "extra": 5, "name": "bob"},
        {"role": "user", "content": None},
        ("human", "h"),
        {"type": "ai", "content": "typed"},
    ])
    assert [(type(m), m.content) for m in out] == [
        (HumanMessage, "hi"), (AIMessage, "yo"), (SystemMessage, "sys"), (HumanMessage, "bare"),
        (ToolMessage, "res"), (SystemMessage, "dev"), (HumanMessage, "x"), (HumanMessage, ""),
        (HumanMessage, "h"), (AIMessage, "typed"),
    ]
    assert all(is_uuid4(m.id) for i, m in enumerate(out) if i not in (1, 4))
    assert (out[1].id, out[4].id) == ("a", "t")
    assert out[1].tool_calls == [{"name": "f", "args": {"x": 1}, "id": "c1", "type": "tool_call"}]
    assert out[4].tool_call_id == "c1" and out[4].additional_kwargs == {}
    assert out[5].additional_kwargs == {"__openai_role__": "developer"}
    assert (out[6].name, out[6].additional_kwargs) == ("bob", {"extra": 5})


def test_openai_tool_calls_are_converted() -> None:
    call = {"id": "c2", "type": "function", "function": {"name": "g", "arguments": '{"a": 2}'}}
    (out,) = add_messages([], {"role": "assistant", "content": "", "tool_calls": [call]})
    assert out.tool_calls == [{"name": "g", "args": {"a": 2}, "id": "c2", "type": "tool_call"}]


def test_builtins_of_our_messages_coerce_back(without_langchain: None) -> None:
    original = [HumanMessage("hi", id="1"), ToolMessage("r", id="2", tool_call_id="c", name="t")]
    assert add_messages([], msgspec.to_builtins(original)) == original
    assert add_messages([HumanMessage("a", id="1")], {"type": "remove", "id": "1"}) == []


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        ({"role": "wizard", "content": "x"}, ValueError, "Unexpected message type: 'wizard'"),
        ({"content": "x"}, ValueError, "Message dict must contain 'role' and 'content' keys"),
        ({"role": "user"}, ValueError, "Message dict must contain 'role' and 'content' keys"),
        ({"role": "tool", "content": "x"}, ValueError, "tool_call_id"),
        (5, NotImplementedError, "Unsupported message type: <class 'int'>"),
        (("a", "b", "c"), NotImplementedError, r"as a sequence must be \(role string, template\)"),
    ],
)
def test_uncoercible_messages_raise(
    bad: Any, error: type[Exception], message: str, without_langchain: None
) -> None:
    with pytest.raises(error, match=message):
        add_messages([], [bad])


@pytest.mark.parametrize("langchain", [True, False])
def test_an_unsupported_message_type_ends_with_langchains_troubleshooting_line(
    langchain: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # LangGraph 1.2.24 (langchain-core 1.8.3): add_messages([], [5]) raises this, line and
    # trailing space included; ours says the same with or without langchain-core
    monkeypatch.setattr("actorgraph._langchain._available", langchain)
    with pytest.raises(NotImplementedError) as info:
        add_messages([], [5])
    assert str(info.value) == (
        "Unsupported message type: <class 'int'>\nFor troubleshooting, visit: "
        "https://docs.langchain.com/oss/python/langchain/errors/MESSAGE_COERCION_FAILURE "
    )


# -- MessagesState -------------------------------------------------------------------------------


def test_messages_state_schema() -> None:
    assert schema_fields(MessagesState) == {
        "messages": FieldSpec("messages", list[AnyMessage], reducer=add_messages)
    }

    class State(MessagesState):
        total: Annotated[int, operator.add]

    fields = schema_fields(State)
    assert list(fields) == ["messages", "total"]
    assert fields["messages"].reducer is add_messages

    class Plain(TypedDict):
        messages: Annotated[list[AnyMessage], add_messages]

    assert schema_fields(Plain) == schema_fields(MessagesState)


# -- property: folding updates matches a reference model -----------------------------------------

ID = st.sampled_from(["a", "b", "c", "d", None])
MSG = st.tuples(st.just("msg"), ID)
RM = st.tuples(st.just("rm"), st.sampled_from(["a", "b", "c", "d"]))
RM_ALL = st.tuples(st.just("rm"), st.just(REMOVE_ALL_MESSAGES))
OP = st.one_of(MSG, MSG, MSG, RM, RM, RM_ALL)  # one_of picks branches uniformly
BATCH = st.lists(OP, max_size=6)


def reference(
    state: "OrderedDict[str, int]", batch: list[tuple[str, Any, int]]
) -> "OrderedDict[str, int]":
    """add_messages in terms of an ordered dict: ids replace in place, removals happen after the
    whole update (so a later message with the id revives it), unknown removals fail; the last
    remove-all starts from an empty list with the rest of the update."""
    state = OrderedDict(state)
    cut = [i for i, (kind, key, _) in enumerate(batch) if key == REMOVE_ALL_MESSAGES]
    if cut:
        state, batch = OrderedDict(), batch[cut[-1] + 1 :]
    removed: set[str] = set()
    for kind, key, content in batch:
        if kind == "rm":
            if key not in state:
                raise ValueError(key)
            removed.add(key)
        else:
            removed.discard(key)
            state[key] = content  # keeps the position of an existing key
    for key in removed:
        del state[key]
    return state


@given(st.lists(ID, max_size=5), BATCH, BATCH)
def test_folding_updates_matches_the_reference_model(
    initial: list[Any], first: list[tuple[str, Any]], second: list[tuple[str, Any]]
) -> None:
    counter = iter(range(10_000))
    # Give every message a distinct content and every id-less message a fresh key of its own,
    # which is what add_messages does with a new uuid.
    def number(ops: list[tuple[str, Any]]) -> list[tuple[str, Any, int]]:
        out = []
        for kind, key in ops:
            n = next(counter)
            out.append((kind, key if key is not None else f"new-{n}", n))
        return out

    start_ops = number([("msg", key) for key in initial])
    b_ops, c_ops = number(first), number(second)
    fresh = {key for _, key, _ in start_ops + b_ops + c_ops if key.startswith("new-")}

    def actual(ops: list[tuple[str, Any, int]]) -> list[Any]:
        return [
            RemoveMessage(id=k) if kind == "rm" else HumanMessage(n, id=None if k in fresh else k)
            for kind, k, n in ops
        ]

    try:
        expected = reference(reference(reference(OrderedDict(), start_ops), b_ops), c_ops)
    except ValueError:
        expected = None

    a = add_messages([], actual(start_ops))
    a_before = list(a)
    if expected is None:
        with pytest.raises(ValueError, match="delete a message with an ID that doesn't exist"):
            add_messages(add_messages(a, actual(b_ops)), actual(c_ops))
        return
    result = add_messages(add_messages(a, actual(b_ops)), actual(c_ops))
    assert a == a_before
    assert [m.content for m in result] == list(expected.values())
    by_content = {n: k for k, n in expected.items()}
    for m in result:
        key = by_content[m.content]
        assert is_uuid4(m.id) if key in fresh else m.id == key
    assert len({m.id for m in result}) == len(result)
