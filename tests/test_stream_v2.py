"""``version="v2"`` streaming: typed stream parts ``{type, ns, data}`` and ``invoke`` returning a
``GraphOutput``, as LangGraph 1.2. Needs no langchain-core.

Expected values observed by running the same graphs on LangGraph 1.2.24 (scratch script);
interrupt ids differ between implementations (they hash the task), so only their values and
their agreement between parts are compared."""

from __future__ import annotations

import dataclasses
from typing import Any, TypedDict

import pydantic
import pytest

from actorgraph import START, Command, StateGraph, get_stream_writer, interrupt
from actorgraph.persistence import InMemorySaver
from actorgraph.types import GraphOutput, GraphOutputKeyWarning


class S(TypedDict):
    x: int


def inc(s: S) -> dict[str, int]:
    get_stream_writer()("hey")
    return {"x": s["x"] + 1}


def graph() -> Any:
    return StateGraph(S).add_node("n", inc).add_edge(START, "n").compile()


def ask(s: S) -> dict[str, Any]:
    return {"x": interrupt("q?")}


def asking() -> Any:
    return StateGraph(S).add_node("ask", ask).add_edge(START, "ask").compile(checkpointer=InMemorySaver())


class P(pydantic.BaseModel):
    x: int


@dataclasses.dataclass
class D:
    x: int


def test_stream_parts() -> None:
    g = graph()
    assert list(g.stream({"x": 1}, version="v2")) == [{"type": "updates", "ns": (), "data": {"n": {"x": 2}}}]
    assert list(g.stream({"x": 1}, stream_mode="values", version="v2")) == [
        {"type": "values", "ns": (), "data": {"x": 1}, "interrupts": ()},
        {"type": "values", "ns": (), "data": {"x": 2}, "interrupts": ()}]
    assert list(g.stream({"x": 1}, stream_mode=["values", "custom"], version="v2")) == [
        {"type": "values", "ns": (), "data": {"x": 1}, "interrupts": ()},
        {"type": "custom", "ns": (), "data": "hey"},
        {"type": "values", "ns": (), "data": {"x": 2}, "interrupts": ()}]
    assert list(g.stream({"x": 1}, stream_mode=["updates"], subgraphs=True, version="v2")) == [
        {"type": "updates", "ns": (), "data": {"n": {"x": 2}}}]
    assert list(g.stream({"x": 1}, version="v1")) == [{"n": {"x": 2}}]


def test_subgraph_parts_carry_their_namespace() -> None:
    o = StateGraph(S).add_node("sub", graph()).add_edge(START, "sub").compile()
    parts = [(p["type"], tuple(x.split(":")[0] for x in p["ns"]), p["data"])
             for p in o.stream({"x": 1}, subgraphs=True, stream_mode=["updates", "custom"], version="v2")]
    assert parts == [("custom", ("sub",), "hey"), ("updates", ("sub",), {"n": {"x": 2}}),
                     ("updates", (), {"sub": {"x": 2}})]


def test_invoke_v2() -> None:
    g = graph()
    out = g.invoke({"x": 1}, version="v2")
    assert type(out) is GraphOutput
    assert out == GraphOutput(value={"x": 2}, interrupts=())
    assert g.invoke({"x": 1}, stream_mode="updates", version="v2") == [
        {"type": "updates", "ns": (), "data": {"n": {"x": 2}}}]
    assert g.invoke({"x": 1}, version="v1") == {"x": 2}
    with pytest.warns(GraphOutputKeyWarning):
        assert out["x"] == 2
    with pytest.warns(GraphOutputKeyWarning):
        assert "__interrupt__" not in out


def test_interrupts_apart_from_the_values() -> None:
    g = asking()
    parts = list(g.stream({"x": 1}, {"configurable": {"thread_id": "1"}}, stream_mode=["values", "updates"],
                          version="v2"))
    assert [(p["type"], p["data"]) for p in parts[:1]] == [("values", {"x": 1})]
    assert parts[0]["interrupts"] == ()
    (asked,) = parts[1]["data"]["__interrupt__"]
    assert asked.value == "q?"
    assert parts[1]["type"] == "updates" and list(parts[1]["data"]) == ["__interrupt__"]
    assert parts[2] == {"type": "values", "ns": (), "data": {"x": 1}, "interrupts": (asked,)}

    cfg = {"configurable": {"thread_id": "2"}}
    out = g.invoke({"x": 1}, cfg, version="v2")
    assert out.value == {"x": 1}
    assert [i.value for i in out.interrupts] == ["q?"]
    with pytest.warns(GraphOutputKeyWarning):
        assert out["__interrupt__"] == out.interrupts
    assert g.invoke(Command(resume=5), cfg, version="v2") == GraphOutput(value={"x": 5}, interrupts=())


def test_pydantic_and_dataclass_states_are_coerced() -> None:
    gp = StateGraph(P).add_node("n", lambda s: {"x": s.x + 1}).add_edge(START, "n").compile()
    assert list(gp.stream({"x": 1}, stream_mode=["values", "updates"], version="v2")) == [
        {"type": "values", "ns": (), "data": P(x=1), "interrupts": ()},
        {"type": "updates", "ns": (), "data": {"n": {"x": 2}}},
        {"type": "values", "ns": (), "data": P(x=2), "interrupts": ()}]
    assert gp.invoke({"x": 1}, version="v2") == GraphOutput(value=P(x=2))
    assert gp.invoke({"x": 1}) == {"x": 2}

    gd = StateGraph(D).add_node("n", lambda s: {"x": s.x + 1}).add_edge(START, "n").compile(
        checkpointer=InMemorySaver())
    assert gd.invoke({"x": 1}, {"configurable": {"thread_id": "1"}}, version="v2") == GraphOutput(value=D(x=2))
    values = [p["data"]["values"] for p in gd.stream({"x": 1}, {"configurable": {"thread_id": "9"}},
                                                     stream_mode="checkpoints", version="v2")]
    assert values == [{}, D(x=1), D(x=2)]


@pytest.mark.anyio
async def test_astream_and_ainvoke_v2(anyio_backend: str) -> None:
    g = graph()
    assert [p async for p in g.astream({"x": 1}, stream_mode="custom", version="v2")] == [
        {"type": "custom", "ns": (), "data": "hey"}]
    assert await g.ainvoke({"x": 1}, version="v2") == GraphOutput(value={"x": 2}, interrupts=())
    out = await asking().ainvoke({"x": 1}, {"configurable": {"thread_id": "1"}}, version="v2")
    assert out.value == {"x": 1} and [i.value for i in out.interrupts] == ["q?"]
