"""The default serializer stores langchain-core's messages and documents without registration
(a built-in allowlist, as LangGraph's serializer has), in every process; nothing else named by
stored bytes is loaded. LangGraph 1.2.24 round-trips these values unchanged through
InMemorySaver and SqliteSaver with no registration: that is the expected behaviour here."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import msgspec
import pytest

pytest.importorskip("langchain_core")

from langchain_core.documents import Document  # noqa: E402
from langchain_core.messages import (  # noqa: E402
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)

from actorgraph import START, MessagesState, StateGraph  # noqa: E402
from actorgraph.persistence import (  # noqa: E402
    BaseCheckpointSaver,
    MsgpackSerializer,
    SerializationError,
    SqliteSaver,
)
from actorgraph.persistence import _serde  # noqa: E402

VALUES: list[Any] = [
    HumanMessage("hi", id="1", name="bob"),
    AIMessage(
        "", id="2", tool_calls=[{"name": "f", "args": {"a": 1}, "id": "c1"}],
        usage_metadata={"input_tokens": 1, "output_tokens": 2, "total_tokens": 3},
        response_metadata={"model_name": "fake"},
    ),
    ToolMessage("r", tool_call_id="c1", name="f", status="error", artifact={"x": [1, 2]}),
    SystemMessage("be brief"),
    AIMessageChunk(content="a", id="3"),
    RemoveMessage(id="1"),
    ChatMessage(content="c", role="bot"),
    FunctionMessage(content="f", name="fn"),
    Document(page_content="doc", metadata={"source": "s"}, id="d1"),
    HumanMessage([{"type": "text", "text": "blocks"}], additional_kwargs={"k": (1, 2)}),
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_allowlisted_values_round_trip_without_registration(value: Any) -> None:
    serde = MsgpackSerializer()
    back = serde.loads_typed(serde.dumps_typed(value))
    assert type(back) is type(value)
    assert back == value
    assert back.model_fields_set == value.model_fields_set


def test_defaults_are_left_out_of_the_payload() -> None:
    _, data = MsgpackSerializer().dumps_typed(HumanMessage("hi", id="1"))
    name, (values, fields_set) = msgspec.msgpack.decode(
        msgspec.msgpack.decode(data).data  # the Ext payload
    )
    assert name == "langchain_core.messages.human:HumanMessage"
    assert values == {"content": "hi", "id": "1"}
    assert fields_set == ["content", "id"]


def forged(name: str) -> bytes:
    """A payload naming ``name`` as a stored object's class (as tampered bytes would)."""
    inner = msgspec.msgpack.encode([name, [{"content": "x"}, ["content"]]])
    return msgspec.msgpack.encode(msgspec.msgpack.Ext(10, inner))


def test_names_outside_the_allowlist_are_refused_and_never_imported() -> None:
    serde = MsgpackSerializer()
    for name in ("langchain_core.agents:AgentAction", "langchain_core.not_a_module:Evil", "os:system"):
        with pytest.raises(SerializationError, match="is not registered"):
            serde.loads_typed(("msgpack", forged(name)))
    assert "langchain_core.not_a_module" not in sys.modules
    # a class moved to another langchain-core module is still found by its allowlisted name
    moved = serde.loads_typed(("msgpack", forged("langchain_core.messages.elsewhere:HumanMessage")))
    assert moved == HumanMessage("x")


def test_other_pydantic_classes_still_need_registration() -> None:
    import pydantic

    class Mine(pydantic.BaseModel):
        x: int

    with pytest.raises(SerializationError, match="the class is not registered"):
        MsgpackSerializer().dumps_typed(Mine(x=1))
    back = MsgpackSerializer(allowed=[Mine]).loads_typed(MsgpackSerializer(allowed=[Mine]).dumps_typed(Mine(x=1)))
    assert back == Mine(x=1)


def test_without_langchain_core_reading_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("actorgraph._langchain._available", False)
    monkeypatch.setattr(_serde, "_ALLOWLIST", _serde._Allowlist())
    with pytest.raises(SerializationError, match=r"reading it needs langchain-core: pip install 'actorgraph\[langchain\]'"):
        MsgpackSerializer().loads_typed(("msgpack", forged("langchain_core.messages.human:HumanMessage")))


# -- through savers ------------------------------------------------------------------------


def chat_graph() -> StateGraph:
    def reply(state: Any) -> Any:
        n = len(state["messages"])
        return {"messages": [AIMessage(f"reply {n}", id=f"ai-{n}",
                                       tool_calls=[{"name": "f", "args": {"n": n}, "id": f"c{n}"}]),
                             ToolMessage(f"tool {n}", tool_call_id=f"c{n}", id=f"t-{n}")]}

    return StateGraph(MessagesState).add_node("reply", reply).add_edge(START, "reply")


EXPECTED = [
    HumanMessage("hello", id="h1"),
    AIMessage("reply 1", id="ai-1", tool_calls=[{"name": "f", "args": {"n": 1}, "id": "c1"}]),
    ToolMessage("tool 1", tool_call_id="c1", id="t-1"),
    HumanMessage("again", id="h2"),
    AIMessage("reply 4", id="ai-4", tool_calls=[{"name": "f", "args": {"n": 4}, "id": "c4"}]),
    ToolMessage("tool 4", tool_call_id="c4", id="t-4"),
]


@pytest.mark.anyio
async def test_a_thread_of_langchain_messages_round_trips(anyio_backend: str, saver: BaseCheckpointSaver) -> None:
    app = chat_graph().compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "t"}}
    await app.ainvoke({"messages": [HumanMessage("hello", id="h1")]}, config)
    out = await app.ainvoke({"messages": [HumanMessage("again", id="h2")]}, config)
    assert out["messages"] == EXPECTED
    state = await app.aget_state(config)
    assert state.values["messages"] == EXPECTED
    assert all(type(a) is type(b) for a, b in zip(state.values["messages"], EXPECTED, strict=True))
    history = [s async for s in app.aget_state_history(config)]
    assert [len(s.values.get("messages", [])) for s in history] == [6, 4, 3, 3, 1, 0]


READER = textwrap.dedent('''
    import sys
    import anyio
    from actorgraph.persistence import SqliteSaver

    async def main(db):
        async with SqliteSaver.from_conn_string(db) as saver:
            found = await saver.aget_tuple({"configurable": {"thread_id": "t"}})
            for m in found.checkpoint["channel_values"]["messages"]:
                print(type(m).__module__, type(m).__name__, repr(m.content), m.id)

    anyio.run(main, sys.argv[1])
''')


@pytest.mark.anyio
async def test_a_process_that_registered_nothing_reads_the_thread(anyio_backend: str, tmp_path: Path) -> None:
    db = str(tmp_path / "chat.db")
    async with SqliteSaver.from_conn_string(db) as saver:
        app = chat_graph().compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "t"}}
        await app.ainvoke({"messages": [HumanMessage("hello", id="h1")]}, config)
        await app.ainvoke({"messages": [HumanMessage("again", id="h2")]}, config)
    done = subprocess.run([sys.executable, "-c", READER, db], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"{type(m).__module__} {type(m).__name__} {m.content!r} {m.id}" for m in EXPECTED
    ]


def test_fields_stored_as_defaults_come_back_as_fresh_defaults() -> None:
    # the load fills them in itself (pydantic's model_construct would inspect each default
    # factory's signature per field: ~0.4 ms a message)
    ser = MsgpackSerializer()
    message = AIMessage("hi", id="a")
    first, second = (ser.loads(ser.dumps(message)) for _ in range(2))
    assert first == message and type(first) is AIMessage
    assert first.model_fields_set == message.model_fields_set
    assert first.additional_kwargs == {} and first.tool_calls == [] and first.usage_metadata is None
    assert first.additional_kwargs is not second.additional_kwargs and first.tool_calls is not second.tool_calls
    first.additional_kwargs["k"] = 1
    assert second.additional_kwargs == {} and AIMessage("x").additional_kwargs == {}


@pytest.mark.parametrize("value", [v for v in VALUES if hasattr(v, "additional_kwargs")],
                         ids=lambda v: type(v).__name__)
def test_a_message_read_back_has_the_mark_of_the_one_stored(value: Any) -> None:
    """A growing messages list is checked against what each message was stored as by its state
    (field values, fields set, extras: see ``_rows._mark``). A message decoded from a checkpoint
    has the original's mark, so the thread's next checkpoint is still a delta; a change in place,
    even to an equal value of another type, or to which fields are set, changes the mark."""
    from actorgraph.persistence._rows import _Digest, _mark

    serde = MsgpackSerializer()
    mark = _mark(serde, value)
    assert type(mark) is _Digest
    back = serde.loads_typed(serde.dumps_typed(value))
    assert back is not value and _mark(serde, back) == mark
    back.additional_kwargs["n"] = 1
    changed = _mark(serde, back)
    assert changed != mark
    back.additional_kwargs["n"] = 1.0  # (== 1, stored otherwise)
    assert _mark(serde, back) not in (mark, changed)
    del back.additional_kwargs["n"]
    assert _mark(serde, back) == mark
    back.name = back.name  # (now explicitly set: stored with the fields set)
    assert ("name" in value.model_fields_set) == (_mark(serde, back) == mark)
