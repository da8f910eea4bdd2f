"""``get_input_jsonschema()`` / ``get_output_jsonschema()`` (and ``get_input_schema()`` /
``get_output_schema()``) of a graph whose state holds chat
messages (``MessagesState`` and subclasses; issue 14). With langchain-core installed they are
LangGraph 1.2's documents exactly: ``tests/data/messages_jsonschema.json`` holds what LangGraph
gave for the same graphs (made by ``tests/data/make_messages_jsonschema.py``). Without it, the
messages are described by actorgraph's own message classes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, NotRequired

import pytest
from typing_extensions import TypedDict

from actorgraph import START, StateGraph
from actorgraph.graph import AnyMessage, MessagesState, add_messages

DATA = json.loads((Path(__file__).parent / "data" / "messages_jsonschema.json").read_text())


def langgraphs(case: str) -> dict[str, Any]:
    """LangGraph's documents for ``case``, their $defs put back together."""
    out = {}
    for kind, stored in DATA[case].items():
        doc = {k: v for k, v in stored.items() if k not in ("$defs_names", "$defs_own")}
        if stored["$defs_names"]:
            doc["$defs"] = {k: stored["$defs_own"].get(k, DATA["shared_defs"].get(k)) for k in stored["$defs_names"]}
        out[kind] = doc
    return out


class ChatState(MessagesState):
    summary: str
    turns: NotRequired[int]


class Transcript(TypedDict):
    """Messages and a title."""

    title: str
    history: Annotated[list[AnyMessage], add_messages]


def schemas(state: Any, **kw: Any) -> dict[str, Any]:
    graph = StateGraph(state, **kw).add_node("a", lambda s: {}).add_edge(START, "a").compile()
    return {"input": graph.get_input_jsonschema(), "output": graph.get_output_jsonschema(),
            "input_model": graph.get_input_schema().model_json_schema(),
            "output_model": graph.get_output_schema().model_json_schema()}


@pytest.mark.parametrize(("name", "state", "kw"), [
    ("MessagesState", MessagesState, {}),
    ("ChatState", ChatState, {}),
    ("Transcript", Transcript, {}),
    ("ChatState_in_MessagesState_out", ChatState, {"input_schema": ChatState, "output_schema": MessagesState}),
])
def test_langgraphs_schemas_with_langchain_core(name: str, state: Any, kw: dict[str, Any]) -> None:
    pytest.importorskip("langchain_core")  # (CI's second pass runs without it)
    assert schemas(state, **kw) == langgraphs(name)


def test_without_langchain_core_our_message_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    from actorgraph import _langchain

    monkeypatch.setattr(_langchain, "_available", False)
    got = schemas(ChatState)
    assert got["input"] == got["output"]
    assert got["output_model"]["properties"]["messages"]["items"] == got["input"]["properties"]["messages"]["items"]
    doc = got["input"]
    assert (doc["title"], doc["type"], doc["required"]) == ("ChatState", "object", ["messages", "summary"])
    assert list(doc["properties"]) == ["messages", "summary", "turns"]
    items = doc["properties"]["messages"]["items"]
    assert items["discriminator"]["propertyName"] == "type"
    assert sorted(items["discriminator"]["mapping"]) == ["ai", "human", "system", "tool"]
    assert sorted(doc["$defs"]) == ["AIMessage", "HumanMessage", "SystemMessage", "ToolMessage"]
    tool = doc["$defs"]["ToolMessage"]
    assert tool["required"] == ["content", "tool_call_id"]
    assert tool["properties"]["type"] == {"const": "tool", "default": "tool", "title": "Type", "type": "string"}
    assert sorted(tool["properties"]) == ["additional_kwargs", "content", "id", "name", "tool_call_id", "type"]
    assert "langchain" not in json.dumps(doc).lower()
