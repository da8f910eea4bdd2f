"""A graph input that is not a dict (nor an object with fields) is refused with LangGraph's
``InvalidUpdateError("Expected dict, got ...")`` — lists included: an empty list and a list of
``(key, value)`` pairs too (a node's ``Command.update`` may be pairs; the input may not).

Expected messages observed on LangGraph 1.2.24 (scratch script)."""

from __future__ import annotations

from typing import Any, TypedDict

import pytest

from actorgraph import START, StateGraph
from actorgraph.errors import InvalidUpdateError

TROUBLESHOOTING = ("\nFor troubleshooting, visit: https://docs.langchain.com/oss/python/langgraph/errors/"
                   "INVALID_GRAPH_NODE_RETURN_VALUE")


class S(TypedDict):
    x: int


def graph() -> Any:
    return StateGraph(S).add_node("n", lambda s: {"x": 1}).add_edge(START, "n").compile()


CASES = [([1, 2], "[1, 2]"), ([], "[]"), ((1, 2), "(1, 2)"), ("hi", "hi"), (5, "5"),
         ([("x", 1)], "[('x', 1)]"), ([{"x": 1}], "[{'x': 1}]")]


@pytest.mark.parametrize(("value", "shown"), CASES)
def test_invoke_refuses(value: Any, shown: str) -> None:
    with pytest.raises(InvalidUpdateError) as info:
        graph().invoke(value)
    assert str(info.value) == f"Expected dict, got {shown}{TROUBLESHOOTING}"


@pytest.mark.anyio
async def test_ainvoke_and_astream_refuse(anyio_backend: str) -> None:
    for value, shown in CASES:
        with pytest.raises(InvalidUpdateError) as info:
            await graph().ainvoke(value)
        assert str(info.value) == f"Expected dict, got {shown}{TROUBLESHOOTING}"
        with pytest.raises(InvalidUpdateError):
            async for _ in graph().astream(value):
                pass
