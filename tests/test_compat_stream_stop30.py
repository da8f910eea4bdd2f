"""Differences found by differential programs on graph semantics and streaming (LangGraph 1.2.24
vs actorgraph); each expected value is LangGraph's observed behaviour."""

from __future__ import annotations

import dataclasses
import operator
from typing import Annotated, Any, TypedDict

import anyio
import pydantic
import pytest

from actorgraph import END, START, StateGraph
from actorgraph.checkpoint.memory import InMemorySaver
from actorgraph.func import entrypoint, task
from actorgraph.persistence import SerializationError
from actorgraph.types import Command, Send, interrupt


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


class _PS(pydantic.BaseModel):
    x: int = 0
    log: Annotated[list[str], operator.add] = pydantic.Field(default_factory=list)


def _ps_a(s: _PS) -> dict[str, Any]:
    return {"x": s.x + 1, "log": ["a"]}


def _ps_ask(s: _PS) -> dict[str, Any]:
    return {"log": [interrupt("q")]}


class _W(pydantic.BaseModel):
    t: str


class _Outs(TypedDict):
    out: Annotated[list[str], operator.add]


def _fan_w(s: _Outs) -> list[Send]:
    return [Send("w", _W(t="a")), Send("w", _W(t="b"))]


def _w(s: _W) -> dict[str, Any]:
    return {"out": [s.t]}


def test_instances_of_the_graphs_own_schemas_are_checkpointed() -> None:
    # LangGraph 1.2.24: with a checkpointer, invoke(State(...)) on a pydantic state, a pydantic
    # subgraph (its input is the parent's state object) and Send("w", NodeInput(...)) all run
    # (its serializer stores the objects); actorgraph refused the unregistered classes.
    g = StateGraph(_PS).add_node("a", _ps_a).add_edge(START, "a").compile(checkpointer=InMemorySaver())
    assert g.invoke(_PS(x=1), {"configurable": {"thread_id": "1"}}) == {"x": 2, "log": ["a"]}
    inner = StateGraph(_PS).add_node("a", _ps_a).add_edge(START, "a").compile()
    parent = (StateGraph(_PS).add_node("inner", inner).add_node("ask", _ps_ask).add_edge(START, "inner")
              .add_edge("inner", "ask").compile(checkpointer=InMemorySaver()))
    c = {"configurable": {"thread_id": "2"}}
    out = parent.invoke({"x": 1}, c)
    assert [i.value for i in out["__interrupt__"]] == ["q"]
    assert parent.invoke(Command(resume="ans"), c) == {"x": 2, "log": ["a", "ans"]}
    gs = StateGraph(_Outs).add_node("w", _w).add_conditional_edges(START, _fan_w, ["w"]).compile(checkpointer=InMemorySaver())
    assert gs.invoke({"out": []}, {"configurable": {"thread_id": "3"}}) == {"out": ["a", "b"]}


@pytest.mark.anyio
async def test_a_pydantic_subgraphs_input_is_checkpointed_under_astream(anyio_backend: str) -> None:
    # LangGraph 1.2.24: the subgraph's values stream as the state object, then the pause.
    inner = StateGraph(_PS).add_node("a", _ps_a).add_edge(START, "a").compile()
    parent = (StateGraph(_PS).add_node("inner", inner).add_node("ask", _ps_ask).add_edge(START, "inner")
              .add_edge("inner", "ask").compile(checkpointer=InMemorySaver()))
    c = {"configurable": {"thread_id": "1"}}
    seen = [(ns[0].split(":")[0] if ns else "", chunk) async for ns, chunk
            in parent.astream({"x": 1}, c, stream_mode="updates", subgraphs=True)]
    assert seen[:2] == [("inner", {"a": {"x": 2, "log": ["a"]}}), ("", {"inner": {"x": 2, "log": ["a"]}})]
    assert list(seen[2][1]) == ["__interrupt__"]


@dataclasses.dataclass
class _Unregistered:
    a: str


@task
def _unstorable(q: str) -> Any:  # (an annotation naming the class would register it)
    return _Unregistered(a=q)


@task
async def _aunstorable(q: str) -> Any:
    return _Unregistered(a=q)


def test_a_task_result_the_saver_refuses_fails_the_entrypoint_instead_of_hanging() -> None:
    # LangGraph 1.2.24 stores any dataclass (warning when it loads one it was not told about);
    # actorgraph stores only registered classes (README), and the task's caller must get the
    # SerializationError: the entrypoint waited forever on the call's future.
    @entrypoint(checkpointer=InMemorySaver())
    def wf(q: str) -> Any:
        return {"r": _unstorable(q).result()}

    with pytest.raises(SerializationError) as info:
        wf.invoke("hi", {"configurable": {"thread_id": "1"}})
    assert any(n.startswith("During task with name '_unstorable'") for n in info.value.__notes__)


@pytest.mark.anyio
async def test_a_task_result_the_saver_refuses_fails_an_async_entrypoint(anyio_backend: str) -> None:
    @entrypoint(checkpointer=InMemorySaver())
    async def wf(q: str) -> Any:
        return {"r": await _aunstorable(q)}

    with pytest.raises(SerializationError):
        with anyio.fail_after(10):
            await wf.ainvoke("hi", {"configurable": {"thread_id": "1"}})


class _Inp(pydantic.BaseModel):
    q: str


def test_an_entrypoints_pydantic_input_is_checkpointed() -> None:
    # LangGraph 1.2.24: wf.invoke(Inp(q="hi"), config) pauses at interrupt(), and resuming
    # returns {"q": "hi", "ok": True}.
    @entrypoint(checkpointer=InMemorySaver())
    def wf(inp: _Inp) -> Any:
        return {"q": inp.q, "ok": interrupt("ok?")}

    c = {"configurable": {"thread_id": "1"}}
    assert [i.value for i in wf.invoke(_Inp(q="hi"), c)["__interrupt__"]] == ["ok?"]
    assert wf.invoke(Command(resume=True), c) == {"q": "hi", "ok": True}


@dataclasses.dataclass
class _Res:
    a: str


@task
def _work(q: str) -> _Res:
    return _Res(a=q.upper())


class _Item(pydantic.BaseModel):
    k: str


class _Nested(pydantic.BaseModel):
    sub: _Item | None = None
    subs: Annotated[list[_Item], operator.add] = pydantic.Field(default_factory=list)


@dataclasses.dataclass
class _DItem:
    n: int


class _TD(TypedDict):
    item: _DItem


def test_classes_the_schemas_and_task_annotations_name_are_checkpointed() -> None:
    # LangGraph 1.2.24 checkpoints them all: a pydantic state's fields typed with a model
    # ({'sub': Sub(k='x'), 'subs': [Sub(k='y')]}), a TypedDict field typed with a dataclass
    # ({'item': Item(n=3)}), a task's dataclass result ({'r': Res(a='HI'), 'ok': True}).
    g = StateGraph(_Nested).add_node("a", _nested_a).add_edge(START, "a").compile(checkpointer=InMemorySaver())
    assert g.invoke({}, {"configurable": {"thread_id": "1"}}) == {"sub": _Item(k="x"), "subs": [_Item(k="y")]}
    gd = StateGraph(_TD).add_node("n", _td_n).add_edge(START, "n").compile(checkpointer=InMemorySaver())
    assert gd.invoke({"item": _DItem(1)}, {"configurable": {"thread_id": "1"}}) == {"item": _DItem(3)}

    @entrypoint(checkpointer=InMemorySaver())
    def wf(q: str) -> Any:
        r = _work(q).result()
        return {"r": r, "ok": interrupt("ok?")}

    c = {"configurable": {"thread_id": "1"}}
    wf.invoke("hi", c)
    assert wf.invoke(Command(resume=True), c) == {"r": _Res(a="HI"), "ok": True}


def _nested_a(s: _Nested) -> dict[str, Any]:
    return {"sub": _Item(k="x"), "subs": [_Item(k="y")]}


def _td_n(s: _TD) -> dict[str, Any]:
    return {"item": _DItem(3)}
