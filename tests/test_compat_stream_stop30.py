"""Differences found by differential programs on graph semantics and streaming (LangGraph 1.2.24
vs actorgraph); each expected value is LangGraph's observed behaviour."""

from __future__ import annotations

import dataclasses
from typing import Any, TypedDict

import pydantic
import pytest

from actorgraph import END, START, StateGraph
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


class _DS(TypedDict):
    x: int


def _noop(s: _DS) -> dict[str, Any]:
    return {}


def _route_c(s: _DS) -> str:
    return "c"


def _mermaid(builder: StateGraph) -> str:
    return str(builder.compile().get_graph().draw_mermaid(with_styles=False))


def test_the_drawing_of_a_deferred_node_has_langgraphs_implicit_edges() -> None:
    # LangGraph 1.2.24 draws by simulating a run: a deferred node runs once a step leads nowhere
    # else, and gets a conditional edge from each node of the step before when none led to it
    # (so that node has no edge to END).
    inner = StateGraph(_DS).add_node("i1", _noop).add_edge(START, "i1").compile()
    g1 = (StateGraph(_DS).add_node("a", _noop).add_node("c", _noop, defer=True).add_node("inner", inner)
          .add_edge(START, "a").add_edge("a", "inner").add_edge("inner", END).add_edge("a", "c").add_edge("c", END))
    assert _mermaid(g1) == ("graph TD;\n\t__start__ --> a;\n\ta --> c;\n\ta --> inner;\n\tinner -.-> c;\n"
                            "\tc --> __end__;\n")
    g2 = (StateGraph(_DS).add_node("a", _noop).add_node("c", _noop, defer=True).add_node("d", _noop).add_node("e", _noop)
          .add_edge(START, "a").add_edge("a", "d").add_edge("d", "e").add_edge("a", "c").add_edge("c", END))
    assert _mermaid(g2) == ("graph TD;\n\t__start__ --> a;\n\ta --> c;\n\ta --> d;\n\td --> e;\n\te -.-> c;\n"
                            "\tc --> __end__;\n")
    g3 = (StateGraph(_DS).add_node("a", _noop).add_node("c", _noop, defer=True).add_node("d", _noop)
          .add_edge(START, "a").add_conditional_edges("a", _route_c, ["c", "d"]).add_edge("d", END).add_edge("c", "d"))
    assert _mermaid(g3) == ("graph TD;\n\t__start__ --> a;\n\ta -.-> c;\n\ta -.-> d;\n\tc --> d;\n\td -.-> c;\n"
                            "\td -.-> __end__;\n")
    # a deferred node every path leads to, and one reached alone, are drawn plainly
    g4 = (StateGraph(_DS).add_node("a", _noop).add_node("a2", _noop).add_node("bb", _noop).add_node("agg", _noop, defer=True)
          .add_edge(START, "a").add_edge(START, "bb").add_edge("a", "a2").add_edge("a2", "agg").add_edge("bb", "agg")
          .add_edge("agg", END))
    assert _mermaid(g4) == ("graph TD;\n\t__start__ --> a;\n\t__start__ --> bb;\n\ta --> a2;\n\ta2 --> agg;\n"
                            "\tbb --> agg;\n\tagg --> __end__;\n")
    g5 = StateGraph(_DS).add_node("a", _noop).add_node("c", _noop, defer=True).add_edge(START, "a").add_edge("a", "c").add_edge("c", END)
    assert _mermaid(g5) == "graph TD;\n\t__start__ --> a;\n\ta --> c;\n\tc --> __end__;\n"
