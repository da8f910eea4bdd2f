"""Differences found by running LangGraph's own small test files (libs/langgraph/tests/test_*.py)
on actorgraph; expected values are what LangGraph 1.2.24 gives."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Optional, TypedDict

import pytest

from actorgraph.graph import START, StateGraph
from actorgraph.errors import ErrorCode, GraphRecursionError, TaskNotFound, create_error_message

# -- from LangGraph's test_errors.py ------------------------------------------------------------


def test_error_codes_and_create_error_message() -> None:
    # LangGraph 1.2.24's errors module exports ErrorCode (5 members), create_error_message and
    # TaskNotFound; we had only error_message(message, code)
    assert [c.value for c in ErrorCode] == [
        "GRAPH_RECURSION_LIMIT", "INVALID_CONCURRENT_GRAPH_UPDATE", "INVALID_GRAPH_NODE_RETURN_VALUE",
        "MULTIPLE_SUBGRAPHS", "INVALID_CHAT_HISTORY"]
    assert create_error_message(message="too deep", error_code=ErrorCode.GRAPH_RECURSION_LIMIT) == (
        "too deep\nFor troubleshooting, visit: "
        "https://docs.langchain.com/oss/python/langgraph/errors/GRAPH_RECURSION_LIMIT")
    with pytest.raises(TypeError):
        create_error_message("positional", ErrorCode.MULTIPLE_SUBGRAPHS)  # type: ignore[misc]
    with pytest.raises(TaskNotFound, match="no such task"):
        raise TaskNotFound("no such task")
    assert not issubclass(TaskNotFound, GraphRecursionError)


# -- from LangGraph's test_state.py (test_state_schema_default_values) --------------------------


def test_dataclass_state_optional_field_without_default_is_not_required_in_jsonschema() -> None:
    # LangGraph 1.2.24: a dataclass state's field typed Optional[X] / X | None (also under
    # Annotated) with no default is not required in get_input/output_jsonschema and shows
    # "default": None; we listed it as required. (A TypedDict's stays required, as there.)
    @dataclasses.dataclass
    class D:
        a: str
        b: Optional[int]  # noqa: UP045  (the spelling under test)
        c: Annotated[float | None, "note"]
        e: str | None = "e"
        f: int = dataclasses.field(default=...)  # type: ignore[assignment]

    class T(TypedDict):
        a: str
        b: Optional[int]  # noqa: UP045

    g = StateGraph(D).add_node("n", lambda s: {}).add_edge(START, "n").compile()
    expected_props = {
        "a": {"title": "A", "type": "string"},
        "b": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None, "title": "B"},
        "c": {"anyOf": [{"type": "number"}, {"type": "null"}], "default": None, "title": "C"},
        "e": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": "e", "title": "E"},
        "f": {"title": "F", "type": "integer"},
    }
    for schema, title in ((g.get_input_jsonschema(), "LangGraphInput"), (g.get_output_jsonschema(), "LangGraphOutput")):
        assert schema == {"properties": expected_props, "required": ["a", "f"], "title": title, "type": "object"}
    t = StateGraph(T).add_node("n", lambda s: {}).add_edge(START, "n").compile()
    assert t.get_input_jsonschema()["required"] == ["a", "b"]
