"""Differences found by differential programs on graph semantics and streaming (LangGraph 1.2.24
vs actorgraph); each expected value is LangGraph's observed behaviour."""

from __future__ import annotations

import dataclasses
from typing import Any

import pydantic
import pytest

from actorgraph import START, StateGraph
from actorgraph.checkpoint.memory import InMemorySaver


class _P(pydantic.BaseModel):
    name: str
    count: int = 0


def _pn(s: _P) -> dict[str, Any]:
    return {"count": s.count + 1}


@dataclasses.dataclass
class _D:
    a: int
    b: str = "dflt"


def _dn(s: _D) -> dict[str, Any]:
    return {"a": s.a + 1}


def test_a_state_the_schema_refuses_is_noted_with_the_task_it_was_read_for() -> None:
    # LangGraph 1.2.24: invoke({"count": 1}) on a pydantic state whose `name` is required raises
    # pydantic's ValidationError with the note "Before task with name 'pn' and path
    # '('__pregel_pull', 'pn')'"; a dataclass state missing a field raises TypeError, same note.
    g = StateGraph(_P).add_node("pn", _pn).add_edge(START, "pn").compile(checkpointer=InMemorySaver())
    with pytest.raises(pydantic.ValidationError) as info:
        g.invoke({"count": 1}, {"configurable": {"thread_id": "1"}})
    assert info.value.__notes__ == ["Before task with name 'pn' and path '('__pregel_pull', 'pn')'"]
    gd = StateGraph(_D).add_node("dn", _dn).add_edge(START, "dn").compile()
    with pytest.raises(TypeError) as tinfo:
        gd.invoke({"b": "x"})
    assert tinfo.value.__notes__ == ["Before task with name 'dn' and path '('__pregel_pull', 'dn')'"]
    assert gd.invoke({"a": 1}) == {"a": 2}  # LangGraph 1.2.24: the channels written, as a dict


@pytest.mark.anyio
async def test_a_state_the_schema_refuses_is_noted_under_ainvoke(anyio_backend: str) -> None:
    # LangGraph 1.2.24: the same note under ainvoke / astream.
    g = StateGraph(_P).add_node("pn", _pn).add_edge(START, "pn").compile()
    with pytest.raises(pydantic.ValidationError) as info:
        async for _ in g.astream({"count": 1}, stream_mode="updates"):
            pass
    assert info.value.__notes__ == ["Before task with name 'pn' and path '('__pregel_pull', 'pn')'"]
