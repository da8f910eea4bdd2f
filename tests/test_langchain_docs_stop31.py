"""Differences found by running LangGraph's documented examples with langchain-core installed,
on LangGraph 1.2.24 and on actorgraph. Expected values are what LangGraph 1.2.24 gave."""

from __future__ import annotations

import dataclasses
from typing import Any, TypedDict

import pytest

pytest.importorskip("langchain_core")

from actorgraph import START, StateGraph  # noqa: E402


class S(TypedDict):
    x: int


@dataclasses.dataclass
class Ctx:
    llm: str = "a"


def _n(s: S) -> dict[str, Any]:
    return {"x": s["x"] + 1}


def test_the_deprecated_config_schema_includes_runnable_config_keys() -> None:
    # LangGraph 1.2.24: config_schema(include=[...]) adds those RunnableConfig keys, each
    # defaulting to None ("configurable" in include is the context schema's, given anyway)
    g = StateGraph(S, context_schema=Ctx).add_node("n", _n).add_edge(START, "n").compile()
    with pytest.warns(DeprecationWarning):
        model = g.config_schema(include=["tags", "recursion_limit", "configurable"])
    assert list(model.model_fields) == ["configurable", "tags", "recursion_limit"]
    with pytest.warns(DeprecationWarning):
        schema = g.get_config_jsonschema(include=["recursion_limit"])
    assert schema["properties"]["recursion_limit"] == {"default": None, "title": "Recursion Limit",
                                                       "type": "integer"}
