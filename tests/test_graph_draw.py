"""Drawing graphs: ``get_graph(xray=...)``, Mermaid, JSON, ASCII, DOT and local PNG rendering.

Every expected Mermaid string and JSON document below was printed by LangGraph 1.2 for the same
graph (built with ``langgraph.graph.StateGraph``), and pinned here.
"""

from __future__ import annotations

import operator
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict

import pytest

from actorgraph import END, START, Command, Send, StateGraph
from actorgraph.graph import (
    CurveStyle,
    DrawError,
    DuplicateSubgraphError,
    NodeStyles,
    RendererNotFoundError,
)


class S(TypedDict):
    x: int
    log: Annotated[list[Any], operator.add]


def f(s: S) -> dict[str, Any]:
    return {"x": 1}


def _linear() -> Any:
    g = StateGraph(S)
    g.add_node("a", f).add_node("b", f).add_edge(START, "a").add_edge("a", "b").add_edge("b", END)
    return g.compile()


def _pathmap() -> Any:
    g = StateGraph(S)
    g.add_node("a", f).add_node("b", f).add_node("c", f).add_edge(START, "a")
    g.add_conditional_edges("a", lambda s: "go", {
        "go": "b", "stop": END, "c": "c",
        "this is a very long label with many words in it to wrap": "b"})
    g.add_edge("b", END).add_edge("c", END)
    return g.compile()


def _pathlist() -> Any:
    g = StateGraph(S)
    g.add_node("a", f).add_node("b", f).add_edge(START, "a")
    g.add_conditional_edges("a", lambda s: "b", ["b", END])
    g.add_edge("b", "a")
    return g.compile()


def _join() -> Any:
    g = StateGraph(S)
    for n in "abcd":
        g.add_node(n, f)
    g.add_edge(START, "a").add_edge(START, "b").add_edge(["a", "b"], "c").add_edge("c", "d")
    return g.compile()


def _command() -> Any:
    def a(s: S) -> Command[Literal["b", "c", "__end__"]]:
        return Command(goto="b")

    g = StateGraph(S)
    g.add_node("a", a).add_node("b", f).add_node("c", f).add_edge(START, "a")
    return g.compile()


def _dests() -> Any:
    def a(s: S) -> Command[Any]:
        return Command(goto="b")

    g = StateGraph(S)
    g.add_node("a", a, destinations={"b": "to b", "c": "c"}).add_node("b", f).add_node("c", f)
    g.add_node("d", f, destinations=("b", END))
    g.add_edge(START, "a").add_edge("c", "d")
    return g.compile()


def _defer() -> Any:
    g = StateGraph(S)
    g.add_node("a", f).add_node("b", f).add_node("c", f).add_node("z", f, defer=True)
    g.add_edge(START, "a").add_edge("a", "b").add_edge("a", "c").add_edge("b", "z").add_edge("c", "z")
    g.add_edge("z", END)
    return g.compile()


def _interrupts() -> Any:
    g = StateGraph(S)
    g.add_node("a", f, metadata={"k": "v", "n": 3, "l": [1, 2], "d": {"x": 1}})
    g.add_node("b", f).add_node("c", f).add_edge(START, "a").add_edge("a", "b").add_edge("b", "c")
    return g.compile(interrupt_before=["a", "b"], interrupt_after=["b"])


def _special() -> Any:
    g = StateGraph(S)
    names = ["my node", "a-b", "ü(x)", "_x_", "*bold*"]
    for n in names:
        g.add_node(n, f)
    g.add_edge(START, names[0])
    for s, t in zip(names, names[1:]):
        g.add_edge(s, t)
    return g.compile()


def _loop() -> Any:
    def r(s: S) -> Literal["a", "__end__"]:
        return END

    g = StateGraph(S)
    g.add_node("a", f).add_node("b", f).add_edge(START, "a").add_edge("a", "b")
    g.add_conditional_edges("b", r)
    return g.compile()


def _condentry() -> Any:
    def r(s: S) -> Literal["a", "b"]:
        return "a"

    g = StateGraph(S)
    g.add_node("a", f).add_node("b", f).set_conditional_entry_point(r)
    g.add_edge("a", END)
    return g.compile()


def _sends() -> Any:
    def r(s: S) -> list[Send]:
        return [Send("b", 1)]

    g = StateGraph(S)
    g.add_node("a", f).add_node("b", f).add_edge(START, "a")
    g.add_conditional_edges("a", r, ["b"])
    g.add_edge("b", END)
    return g.compile()


def _dangling() -> Any:
    g = StateGraph(S)
    g.add_node("a", f).add_node("b", f).add_node("c", f)
    g.add_edge(START, "a").add_edge("a", "b").add_edge("a", "c")
    return g.compile()


def _unreachable() -> Any:
    g = StateGraph(S)
    g.add_node("a", f).add_node("b", f).add_node("c", f)
    g.add_edge(START, "a").add_edge("b", "c").add_edge("a", END)
    return g.compile()


def _nohint() -> Any:
    g = StateGraph(S)
    g.add_node("a", f).add_node("b", f).add_node("c", f).add_edge(START, "a")
    g.add_conditional_edges("a", lambda s: "b")
    g.add_edge("b", END)
    return g.compile()


def _multistart() -> Any:
    g = StateGraph(S)
    g.add_node("a", f).add_node("b", f).add_edge(START, "a").add_edge(START, "b")
    return g.compile()


def _selfloop() -> Any:
    def r(s: S) -> Literal["a", "__end__"]:
        return END

    g = StateGraph(S)
    g.add_node("a", f).add_edge(START, "a").add_conditional_edges("a", r)
    return g.compile()


def _twobranch() -> Any:
    def r1(s: S) -> Literal["b"]:
        return "b"

    def r2(s: S) -> Literal["c", "__end__"]:
        return "c"

    g = StateGraph(S)
    g.add_node("a", f).add_node("b", f).add_node("c", f).add_edge(START, "a")
    g.add_conditional_edges("a", r1).add_conditional_edges("a", r2)
    g.add_edge("b", END).add_edge("c", END)
    return g.compile()


def _edgeandbranch() -> Any:
    def r(s: S) -> Literal["b", "__end__"]:
        return "b"

    g = StateGraph(S)
    g.add_node("a", f).add_node("b", f).add_node("c", f).add_edge(START, "a").add_edge("a", "c")
    g.add_conditional_edges("a", r).add_edge("b", "c")
    return g.compile()


def _subgraph(names: str = "pq") -> Any:
    sg = StateGraph(S)
    for n in names:
        sg.add_node(n, f)
    sg.add_edge(START, names[0])
    for s, t in zip(names, names[1:]):
        sg.add_edge(s, t)
    return sg.compile()


def _sub1() -> Any:
    g = StateGraph(S)
    g.add_node("a", f).add_node("sub", _subgraph()).add_node("b", f)
    g.add_edge(START, "a").add_edge("a", "sub").add_edge("sub", "b")
    return g.compile()


def _sub2() -> Any:
    inner = StateGraph(S)
    inner.add_node("i1", f).add_node("i2", f).add_edge(START, "i1").add_edge("i1", "i2")

    def r(s: S) -> Literal["inner", "q"]:
        return "q"

    sg = StateGraph(S)
    sg.add_node("p", f).add_node("inner", inner.compile()).add_node("q", f)
    sg.add_edge(START, "p").add_conditional_edges("p", r).add_edge("inner", "q")
    g = StateGraph(S)
    g.add_node("a", f).add_node("sub", sg.compile())
    g.add_edge(START, "a").add_edge("a", "sub").add_edge("sub", END)
    return g.compile()


def _subbranch() -> Any:
    sg = StateGraph(S)
    sg.add_node("p", f).add_node("q", f).add_node("r", f)
    sg.add_edge(START, "p").add_edge("p", "q").add_edge("p", "r")

    def rr(s: S) -> Literal["sub", "__end__"]:
        return END

    g = StateGraph(S)
    g.add_node("sub", sg.compile()).add_edge(START, "sub").add_conditional_edges("sub", rr)
    return g.compile()


def _subsingle() -> Any:
    g = StateGraph(S)
    g.add_node("sub", _subgraph("p")).add_node("z", f).add_edge(START, "sub").add_edge("sub", "z")
    return g.compile()


def _subinfn() -> Any:
    sub = _subgraph()

    def call(s: S) -> Any:
        return sub.invoke(s)

    g = StateGraph(S)
    g.add_node("call", call).add_edge(START, "call")
    return g.compile()


BUILDERS: dict[str, Callable[[], Any]] = {
    "pathmap": _pathmap, "pathlist": _pathlist, "join": _join, "command": _command,
    "dests": _dests, "defer": _defer, "interrupts": _interrupts, "special": _special,
    "loop": _loop, "condentry": _condentry, "sends": _sends, "dangling": _dangling,
    "unreachable": _unreachable, "nohint": _nohint, "multistart": _multistart,
    "selfloop": _selfloop, "twobranch": _twobranch, "edgeandbranch": _edgeandbranch,
    "sub1": _sub1, "sub2": _sub2, "subbranch": _subbranch, "subsingle": _subsingle,
    "subinfn": _subinfn,
}

# Observed from LangGraph 1.2: `draw_mermaid(with_styles=False)` of the graphs above, or
# `draw_mermaid()` where node shapes, first/last classes or metadata are what is shown.
MERMAID = {
    'pathmap': 'graph TD;\n\t__start__ --> a;\n\ta -. &nbsp;stop&nbsp; .-> __end__;\n\ta -. &nbsp;go&nbsp; .-> b;\n\ta -.-> c;\n\tb --> __end__;\n\tc --> __end__;\n',
    'pathlist': 'graph TD;\n\t__start__ --> a;\n\ta -.-> __end__;\n\ta -.-> b;\n\tb --> a;\n',
    'join': 'graph TD;\n\t__start__ --> a;\n\t__start__ --> b;\n\ta --> c;\n\tb --> c;\n\tc --> d;\n\td --> __end__;\n',
    'command': 'graph TD;\n\t__start__ --> a;\n\ta -.-> __end__;\n\ta -.-> b;\n\ta -.-> c;\n\tb --> __end__;\n\tc --> __end__;\n',
    'dests': 'graph TD;\n\t__start__ --> a;\n\ta -. &nbsp;to b&nbsp; .-> b;\n\ta -.-> c;\n\tc --> d;\n\td -.-> __end__;\n\td -.-> b;\n\tb --> __end__;\n',
    'defer': '---\nconfig:\n  flowchart:\n    curve: linear\n---\ngraph TD;\n\t__start__([<p>__start__</p>]):::first\n\ta(a)\n\tb(b)\n\tc(c)\n\tz(z<hr/><small><em>defer = True</em></small>)\n\t__end__([<p>__end__</p>]):::last\n\t__start__ --> a;\n\ta --> b;\n\ta --> c;\n\tb --> z;\n\tc --> z;\n\tz --> __end__;\n\tclassDef default fill:#f2f0ff,line-height:1.2\n\tclassDef first fill-opacity:0\n\tclassDef last fill:#bfb6fc\n',
    'interrupts': '---\nconfig:\n  flowchart:\n    curve: linear\n---\ngraph TD;\n\t__start__([<p>__start__</p>]):::first\n\ta(a<hr/><small><em>k = v\nn = 3\nl = 1, 2\n__interrupt = before</em></small>)\n\tb(b<hr/><small><em>__interrupt = before,after</em></small>)\n\tc(c)\n\t__end__([<p>__end__</p>]):::last\n\t__start__ --> a;\n\ta --> b;\n\tb --> c;\n\tc --> __end__;\n\tclassDef default fill:#f2f0ff,line-height:1.2\n\tclassDef first fill-opacity:0\n\tclassDef last fill:#bfb6fc\n',
    'special': '---\nconfig:\n  flowchart:\n    curve: linear\n---\ngraph TD;\n\t__start__([<p>__start__</p>]):::first\n\tmy\\20node(my node)\n\ta-b(a-b)\n\t\\fc\\28x\\29(ü(x))\n\t_x_(<p>_x_</p>)\n\t\\2abold\\2a(<p>*bold*</p>)\n\t__end__([<p>__end__</p>]):::last\n\t__start__ --> my\\20node;\n\t_x_ --> \\2abold\\2a;\n\ta-b --> \\fc\\28x\\29;\n\tmy\\20node --> a-b;\n\t\\fc\\28x\\29 --> _x_;\n\t\\2abold\\2a --> __end__;\n\tclassDef default fill:#f2f0ff,line-height:1.2\n\tclassDef first fill-opacity:0\n\tclassDef last fill:#bfb6fc\n',
    'loop': 'graph TD;\n\t__start__ --> a;\n\ta --> b;\n\tb -.-> __end__;\n\tb -.-> a;\n',
    'condentry': 'graph TD;\n\t__start__ -.-> a;\n\t__start__ -.-> b;\n\ta --> __end__;\n\tb --> __end__;\n',
    'sends': 'graph TD;\n\t__start__ --> a;\n\ta -.-> b;\n\tb --> __end__;\n',
    'dangling': 'graph TD;\n\t__start__ --> a;\n\ta --> b;\n\ta --> c;\n\tb --> __end__;\n\tc --> __end__;\n',
    'unreachable': '---\nconfig:\n  flowchart:\n    curve: linear\n---\ngraph TD;\n\t__start__(<p>__start__</p>)\n\ta(a)\n\tb(b)\n\tc(c)\n\t__end__(<p>__end__</p>)\n\t__start__ --> a;\n\ta --> __end__;\n\tclassDef default fill:#f2f0ff,line-height:1.2\n\tclassDef first fill-opacity:0\n\tclassDef last fill:#bfb6fc\n',
    'nohint': '---\nconfig:\n  flowchart:\n    curve: linear\n---\ngraph TD;\n\t__start__(<p>__start__</p>)\n\ta(a)\n\tb(b)\n\tc(c)\n\t__end__(<p>__end__</p>)\n\t__start__ --> a;\n\ta --> __end__;\n\tclassDef default fill:#f2f0ff,line-height:1.2\n\tclassDef first fill-opacity:0\n\tclassDef last fill:#bfb6fc\n',
    'multistart': 'graph TD;\n\t__start__ --> a;\n\t__start__ --> b;\n\ta --> __end__;\n\tb --> __end__;\n',
    'selfloop': 'graph TD;\n\t__start__ --> a;\n\ta -.-> __end__;\n\ta -.-> a;\n',
    'twobranch': 'graph TD;\n\t__start__ --> a;\n\ta -.-> __end__;\n\ta -.-> b;\n\ta -.-> c;\n\tb --> __end__;\n\tc --> __end__;\n',
    'edgeandbranch': 'graph TD;\n\t__start__ --> a;\n\ta -.-> __end__;\n\ta -.-> b;\n\ta --> c;\n\tb --> c;\n\tc --> __end__;\n',
}

# Observed from LangGraph 1.2: get_graph(xray=True) (sub2_xray1: xray=1).
XRAY = {
    'sub1': '---\nconfig:\n  flowchart:\n    curve: linear\n---\ngraph TD;\n\t__start__([<p>__start__</p>]):::first\n\ta(a)\n\tb(b)\n\t__end__([<p>__end__</p>]):::last\n\t__start__ --> a;\n\ta --> sub\\3ap;\n\tsub\\3aq --> b;\n\tb --> __end__;\n\tsubgraph sub\n\tsub\\3ap(p)\n\tsub\\3aq(q)\n\tsub\\3ap --> sub\\3aq;\n\tend\n\tclassDef default fill:#f2f0ff,line-height:1.2\n\tclassDef first fill-opacity:0\n\tclassDef last fill:#bfb6fc\n',
    'sub2': 'graph TD;\n\t__start__ --> a;\n\ta --> sub\\3ap;\n\tsub\\3aq --> __end__;\n\tsubgraph sub\n\tsub\\3ainner\\3ai2 --> sub\\3aq;\n\tsub\\3ap -.-> sub\\3ainner\\3ai1;\n\tsub\\3ap -.-> sub\\3aq;\n\tsubgraph inner\n\tsub\\3ainner\\3ai1 --> sub\\3ainner\\3ai2;\n\tend\n\tend\n',
    'subbranch': 'graph TD;\n\t__start__ --> sub\\3ap;\n\tsub\\3a__end__ -.-> __end__;\n\tsubgraph sub\n\tsub\\3a__end__ -.-> sub\\3ap;\n\tsub\\3ap --> sub\\3aq;\n\tsub\\3ap --> sub\\3ar;\n\tsub\\3aq --> sub\\3a__end__;\n\tsub\\3ar --> sub\\3a__end__;\n\tend\n',
    'subsingle': '---\nconfig:\n  flowchart:\n    curve: linear\n---\ngraph TD;\n\t__start__([<p>__start__</p>]):::first\n\tz(z)\n\t__end__([<p>__end__</p>]):::last\n\t__start__ --> sub\\3ap;\n\tsub\\3ap --> z;\n\tz --> __end__;\n\tsubgraph sub\n\tsub\\3ap(p)\n\tend\n\tclassDef default fill:#f2f0ff,line-height:1.2\n\tclassDef first fill-opacity:0\n\tclassDef last fill:#bfb6fc\n',
    'subinfn': 'graph TD;\n\t__start__ --> call\\3ap;\n\tcall\\3aq --> __end__;\n\tsubgraph call\n\tcall\\3ap --> call\\3aq;\n\tend\n',
    'sub2_xray1': 'graph TD;\n\t__start__ --> a;\n\ta --> sub\\3ap;\n\tsub\\3aq --> __end__;\n\tsubgraph sub\n\tsub\\3ainner --> sub\\3aq;\n\tsub\\3ap -.-> sub\\3ainner;\n\tsub\\3ap -.-> sub\\3aq;\n\tend\n',
}

# Observed from LangGraph 1.2.
LINEAR_STYLED = '---\nconfig:\n  flowchart:\n    curve: linear\n---\ngraph TD;\n\t__start__([<p>__start__</p>]):::first\n\ta(a)\n\tb(b)\n\t__end__([<p>__end__</p>]):::last\n\t__start__ --> a;\n\ta --> b;\n\tb --> __end__;\n\tclassDef default fill:#f2f0ff,line-height:1.2\n\tclassDef first fill-opacity:0\n\tclassDef last fill:#bfb6fc\n'
OPTIONS = "---\nconfig:\n  flowchart:\n    curve: stepAfter\n  look: handDrawn\n  theme: neutral\n  themeVariables:\n    primaryColor: '#e2e2e2'\ntitle: 'My graph: x'\n---\ngraph TD;\n\t__start__([<p>__start__</p>]):::first\n\tx2(x2)\n\t__end__([<p>__end__</p>]):::last\n\t__start__ --> x1\\3ay1;\n\tx1\\3adeep --> x2;\n\tx2 --> __end__;\n\tsubgraph x1\n\tx1\\3ay1(y1)\n\tx1\\3adeep(deep)\n\tx1\\3ay1 --> x1\\3adeep;\n\tend\n\tclassDef default fill:red\n\tclassDef first fill-opacity:0\n\tclassDef last fill:#bfb6fc\n"
PATHMAP_JSON = {'nodes': [{'id': '__start__', 'type': 'runnable', 'data': {'id': ['langgraph', '_internal', '_runnable', 'RunnableCallable'], 'name': '__start__'}}, {'id': 'a', 'type': 'runnable', 'data': {'id': ['langgraph', '_internal', '_runnable', 'RunnableCallable'], 'name': 'a'}}, {'id': 'b', 'type': 'runnable', 'data': {'id': ['langgraph', '_internal', '_runnable', 'RunnableCallable'], 'name': 'b'}}, {'id': 'c', 'type': 'runnable', 'data': {'id': ['langgraph', '_internal', '_runnable', 'RunnableCallable'], 'name': 'c'}}, {'id': '__end__'}], 'edges': [{'source': '__start__', 'target': 'a'}, {'source': 'a', 'target': '__end__', 'data': 'stop', 'conditional': True}, {'source': 'a', 'target': 'b', 'data': 'go', 'conditional': True}, {'source': 'a', 'target': 'c', 'conditional': True}, {'source': 'b', 'target': '__end__'}, {'source': 'c', 'target': '__end__'}]}
SUB1_XRAY_JSON = {'nodes': [{'id': '__start__', 'type': 'runnable', 'data': {'id': ['langgraph', '_internal', '_runnable', 'RunnableCallable'], 'name': '__start__'}}, {'id': 'a', 'type': 'runnable', 'data': {'id': ['langgraph', '_internal', '_runnable', 'RunnableCallable'], 'name': 'a'}}, {'id': 'b', 'type': 'runnable', 'data': {'id': ['langgraph', '_internal', '_runnable', 'RunnableCallable'], 'name': 'b'}}, {'id': '__end__'}, {'id': 'sub:p', 'type': 'runnable', 'data': {'id': ['langgraph', '_internal', '_runnable', 'RunnableCallable'], 'name': 'sub:p'}}, {'id': 'sub:q', 'type': 'runnable', 'data': {'id': ['langgraph', '_internal', '_runnable', 'RunnableCallable'], 'name': 'sub:q'}}], 'edges': [{'source': '__start__', 'target': 'a'}, {'source': 'a', 'target': 'sub:p'}, {'source': 'sub:q', 'target': 'b'}, {'source': 'b', 'target': '__end__'}, {'source': 'sub:p', 'target': 'sub:q'}]}
INTERRUPTS_JSON = {'nodes': [{'id': '__start__', 'type': 'runnable', 'data': {'id': ['langgraph', '_internal', '_runnable', 'RunnableCallable'], 'name': '__start__'}}, {'id': 'a', 'type': 'runnable', 'data': {'id': ['langgraph', '_internal', '_runnable', 'RunnableCallable'], 'name': 'a'}, 'metadata': {'k': 'v', 'n': 3, 'l': [1, 2], 'd': {'x': 1}, '__interrupt': 'before'}}, {'id': 'b', 'type': 'runnable', 'data': {'id': ['langgraph', '_internal', '_runnable', 'RunnableCallable'], 'name': 'b'}, 'metadata': {'__interrupt': 'before,after'}}, {'id': 'c', 'type': 'runnable', 'data': {'id': ['langgraph', '_internal', '_runnable', 'RunnableCallable'], 'name': 'c'}}, {'id': '__end__'}], 'edges': [{'source': '__start__', 'target': 'a'}, {'source': 'a', 'target': 'b'}, {'source': 'b', 'target': 'c'}, {'source': 'c', 'target': '__end__'}]}
SUB1_JSON_SUBNODE = {'id': 'sub', 'type': 'runnable', 'data': {'id': ['langgraph', 'graph', 'state', 'CompiledStateGraph'], 'name': 'sub'}}

STYLED = {"defer", "interrupts", "special", "nohint", "unreachable"}


@pytest.mark.parametrize("name", sorted(MERMAID))
def test_mermaid_matches_langgraph(name: str) -> None:
    drawing = BUILDERS[name]().get_graph()
    text = drawing.draw_mermaid() if name in STYLED else drawing.draw_mermaid(with_styles=False)
    assert text == MERMAID[name]


def test_mermaid_with_styles_has_front_matter_shapes_and_classes() -> None:
    assert _linear().get_graph().draw_mermaid() == LINEAR_STYLED


@pytest.mark.parametrize("name", ["sub1", "sub2", "subbranch", "subsingle", "subinfn"])
def test_xray_expands_subgraphs_as_langgraph(name: str) -> None:
    drawing = BUILDERS[name]().get_graph(xray=True)
    styled = name in ("sub1", "subsingle")
    assert (drawing.draw_mermaid() if styled else drawing.draw_mermaid(with_styles=False)) == XRAY[name]


def test_xray_levels() -> None:
    graph = _sub2()
    assert graph.get_graph(xray=1).draw_mermaid(with_styles=False) == XRAY["sub2_xray1"]
    assert graph.get_graph(xray=2).draw_mermaid(with_styles=False) == XRAY["sub2"]
    # without xray the subgraph is one node
    assert list(graph.get_graph().nodes) == ["__start__", "a", "sub", "__end__"]


def test_xray_leaves_a_stateless_subgraph_whole() -> None:
    # LangGraph 1.2 does not expand a subgraph compiled with checkpointer=False.
    sg = StateGraph(S)
    sg.add_node("p", f).add_node("q", f).add_edge(START, "p").add_edge("p", "q")
    g = StateGraph(S)
    g.add_node("sub", sg.compile(checkpointer=False)).add_edge(START, "sub")
    assert list(g.compile().get_graph(xray=True).nodes) == ["__start__", "sub", "__end__"]


def _three_levels() -> Any:
    l3 = StateGraph(S)
    l3.add_node("z1", f).add_node("z2", f).add_edge(START, "z1").add_edge("z1", "z2")
    l2 = StateGraph(S)
    l2.add_node("y1", f).add_node("deep", l3.compile(checkpointer=False))
    l2.add_edge(START, "y1").add_edge("y1", "deep")
    l1 = StateGraph(S)
    l1.add_node("x1", l2.compile()).add_node("x2", f).add_edge(START, "x1").add_edge("x1", "x2")
    # interrupt_before="*" adds no "__interrupt" metadata (as LangGraph 1.2 draws it)
    return l1.compile(interrupt_before="*")


def test_mermaid_options() -> None:
    drawing = _three_levels().get_graph(xray=2)
    text = drawing.draw_mermaid(
        curve_style=CurveStyle.STEP_AFTER, node_colors=NodeStyles(default="fill:red"),
        wrap_label_n_words=2,
        frontmatter_config={"config": {"theme": "neutral", "themeVariables": {"primaryColor": "#e2e2e2"},
                                       "look": "handDrawn"}, "title": "My graph: x"})
    assert text == OPTIONS
    assert drawing.draw_mermaid(curve_style="stepAfter", node_colors=NodeStyles(default="fill:red"),
                                frontmatter_config={"config": {"theme": "neutral",
                                                               "themeVariables": {"primaryColor": "#e2e2e2"},
                                                               "look": "handDrawn"},
                                                    "title": "My graph: x"}) == OPTIONS


def test_long_edge_labels_wrap() -> None:
    # a label of more than wrap_label_n_words words is cut into lines of that many words
    g = StateGraph(S)
    g.add_node("a", f).add_node("b", f).add_edge(START, "a")
    g.add_conditional_edges("a", lambda s: "x", {"one two three four five": "b", "end": END})
    text = g.compile().get_graph().draw_mermaid(with_styles=False, wrap_label_n_words=2)
    assert "\ta -. &nbsp;one two&nbsp<br>&nbspthree four&nbsp<br>&nbspfive&nbsp; .-> b;\n" in text


def test_to_json_matches_langgraph() -> None:
    assert _pathmap().get_graph().to_json() == PATHMAP_JSON
    assert _interrupts().get_graph().to_json() == INTERRUPTS_JSON
    assert _sub1().get_graph(xray=True).to_json() == SUB1_XRAY_JSON
    assert _sub1().get_graph().to_json()["nodes"][2] == SUB1_JSON_SUBNODE


def test_graph_model() -> None:
    drawing = _pathmap().get_graph()
    assert list(drawing.nodes) == ["__start__", "a", "b", "c", "__end__"]
    assert drawing.nodes["a"].name == "a"
    edge = drawing.edges[1]
    assert (edge.source, edge.target, edge.data, edge.conditional) == ("a", "__end__", "stop", True)
    assert drawing.first_node() is not None and drawing.first_node().id == "__start__"  # type: ignore[union-attr]
    assert drawing.last_node() is not None and drawing.last_node().id == "__end__"  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_aget_graph() -> None:
    assert (await _sub1().aget_graph(xray=True)).to_json() == SUB1_XRAY_JSON


def test_draw_ascii_of_a_linear_graph() -> None:
    expected = (
        "+-----------+\n"
        "| __start__ |\n"
        "+-----------+\n"
        "      *\n"
        "      *\n"
        "      *\n"
        "    +---+\n"
        "    | a |\n"
        "    +---+\n"
        "      *\n"
        "      *\n"
        "      *\n"
        "    +---+\n"
        "    | b |\n"
        "    +---+\n"
        "      *\n"
        "      *\n"
        "      *\n"
        " +---------+\n"
        " | __end__ |\n"
        " +---------+\n"
    )
    assert _linear().get_graph().draw_ascii() == expected


def test_draw_ascii_branches_and_loops() -> None:
    text = _loop().get_graph().draw_ascii()
    # b's conditional edge to END is dotted; the loop back to a is listed under the picture
    assert "      .\n      .\n      .\n" in text
    assert text.endswith("\nb -.-> a\n")
    text = _pathmap().get_graph().draw_ascii()
    assert "+---+   +---+\n| b |   | c |\n+---+   +---+" in text
    assert text.endswith("\na -.-> __end__\n")


def test_to_dot() -> None:
    dot = _pathmap().get_graph().to_dot()
    assert dot.startswith('digraph "LangGraph" {\n')
    assert '\t"a" -> "__end__" [style=dashed, label="stop"];\n' in dot
    assert '\t"a" -> "c" [style=dashed];\n' in dot
    assert '\t"b" -> "__end__";\n' in dot
    assert dot.endswith("}\n")
    xray = _sub1().get_graph(xray=True).to_dot()
    assert '\tsubgraph cluster_0 {\n\t\tlabel="sub";\n\t\t"sub:p" [label="p"];' in xray


def _fake_tool(directory: Path, name: str, script: str) -> None:
    path = directory / name
    path.write_text(f"#!{sys.executable}\n{script}")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH holding only the fake renderers a test puts there."""
    directory = tmp_path / "bin"
    directory.mkdir()
    monkeypatch.setenv("PATH", str(directory))
    return directory


needs_posix = pytest.mark.skipif(os.name != "posix", reason="fake renderers are shebang scripts")


@needs_posix
def test_png_without_a_renderer_names_what_to_install(bin_dir: Path) -> None:
    drawing = _linear().get_graph()
    with pytest.raises(RendererNotFoundError, match="Graphviz") as info:
        drawing.draw_png()
    assert isinstance(info.value, ImportError)
    with pytest.raises(RendererNotFoundError, match="mermaid-cli"):
        drawing.draw_mermaid_png()


@needs_posix
def test_draw_png_pipes_dot_text_to_graphviz(bin_dir: Path, tmp_path: Path) -> None:
    # a stand-in `dot` that checks its arguments and answers with the DOT text it was given
    _fake_tool(bin_dir, "dot", "import sys\nassert sys.argv[1:] == ['-Tpng'], sys.argv\n"
                               "sys.stdout.buffer.write(b'PNG:' + sys.stdin.buffer.read())\n")
    drawing = _linear().get_graph()
    out = tmp_path / "g.png"
    png = drawing.draw_png(str(out))
    assert png == b"PNG:" + drawing.to_dot().encode()
    assert out.read_bytes() == png
    # draw_mermaid_png renders locally with dot when there is no mmdc
    assert drawing.draw_mermaid_png() == png


@needs_posix
def test_draw_png_reports_a_failing_renderer(bin_dir: Path) -> None:
    _fake_tool(bin_dir, "dot", "import sys\nsys.stderr.write('syntax error in line 1')\nsys.exit(1)\n")
    with pytest.raises(DrawError, match="dot failed: syntax error in line 1"):
        _linear().get_graph().draw_png()


@needs_posix
def test_draw_mermaid_png_prefers_mermaid_cli(bin_dir: Path, tmp_path: Path) -> None:
    # a stand-in `mmdc` that copies the Mermaid source it is given to the output file
    _fake_tool(bin_dir, "mmdc", "import sys, shutil\nargs = sys.argv[1:]\n"
                                "shutil.copy(args[args.index('-i') + 1], args[args.index('-o') + 1])\n")
    drawing = _linear().get_graph()
    assert drawing.draw_mermaid_png(output_file_path=str(tmp_path / "m.png")) == drawing.draw_mermaid().encode()
    assert (tmp_path / "m.png").read_bytes() == drawing.draw_mermaid().encode()


def test_duplicate_subgraph_names_are_refused() -> None:
    # two expanded subgraphs both called "inner" (in different parents) cannot be told apart
    def parent() -> Any:
        inner = StateGraph(S)
        inner.add_node("i1", f).add_node("i2", f).add_edge(START, "i1").add_edge("i1", "i2")
        p = StateGraph(S)
        p.add_node("x", f).add_node("inner", inner.compile()).add_edge(START, "x").add_edge("x", "inner")
        return p.compile()

    g = StateGraph(S)
    g.add_node("p1", parent()).add_node("p2", parent()).add_edge(START, "p1").add_edge("p1", "p2")
    with pytest.raises(ValueError, match="duplicate subgraph 'inner'") as info:
        g.compile().get_graph(xray=True).draw_mermaid()
    assert isinstance(info.value, DuplicateSubgraphError)


def test_react_agent_drawing_names_its_tools() -> None:
    pytest.importorskip("langchain_core")
    from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
    from langchain_core.tools import tool

    from actorgraph.prebuilt import create_react_agent

    class Model(FakeMessagesListChatModel):
        def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
            return self

    @tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return "sunny"

    drawing = create_react_agent(Model(responses=[]), [get_weather]).get_graph()
    # observed from LangGraph 1.2's create_react_agent with the same tool
    assert drawing.draw_mermaid() == (
        "---\nconfig:\n  flowchart:\n    curve: linear\n---\ngraph TD;\n"
        "\t__start__([<p>__start__</p>]):::first\n\tagent(agent)\n"
        "\ttools(tools<hr/><small><em>__tools = get_weather</em></small>)\n"
        "\t__end__([<p>__end__</p>]):::last\n\t__start__ --> agent;\n\tagent -.-> __end__;\n"
        "\tagent -.-> tools;\n\ttools --> agent;\n\tclassDef default fill:#f2f0ff,line-height:1.2\n"
        "\tclassDef first fill-opacity:0\n\tclassDef last fill:#bfb6fc\n")
    assert drawing.to_json()["nodes"][2] == {
        "id": "tools", "type": "runnable",
        "data": {"id": ["langgraph", "prebuilt", "tool_node", "ToolNode"], "name": "tools"},
        "metadata": {"__tools": ["get_weather"]}}


def test_json_type_tags_of_runnable_and_callable_nodes() -> None:
    pytest.importorskip("langchain_core")
    from langchain_core.runnables import RunnableLambda

    class Callable_:
        def __call__(self, s: S) -> dict[str, Any]:
            return {"x": 3}

    g = StateGraph(S)
    g.add_node("lam", RunnableLambda(lambda s: {"x": 1}))
    g.add_node("seq", RunnableLambda(lambda s: s) | RunnableLambda(lambda s: {"x": 2}))
    g.add_node("callable", Callable_())
    g.add_edge(START, "lam").add_edge("lam", "seq").add_edge("seq", "callable")
    # observed from LangGraph 1.2 for the same nodes
    assert g.compile().get_graph().to_json()["nodes"][1:4] == [
        {"id": "lam", "type": "runnable",
         "data": {"id": ["langchain_core", "runnables", "base", "RunnableLambda"], "name": "lam"}},
        {"id": "seq", "type": "runnable",
         "data": {"id": ["langchain", "schema", "runnable", "RunnableSequence"], "name": "seq"}},
        {"id": "callable", "type": "runnable",
         "data": {"id": ["langgraph", "_internal", "_runnable", "RunnableCallable"], "name": "callable"}},
    ]


def test_an_error_handler_is_drawn_as_an_unlinked_node() -> None:
    from actorgraph.errors import NodeError

    def handler(s: S, error: NodeError) -> dict[str, Any]:
        return {"x": -1}

    g = StateGraph(S)
    g.add_node("a", f, error_handler=handler).add_node("b", f).add_edge(START, "a").add_edge("a", "b")
    # observed from LangGraph 1.2: the handler's node comes before its node, with no edges, so
    # the drawing has no single first/last node (START and END lose their shapes)
    assert g.compile().get_graph().draw_mermaid() == (
        "---\nconfig:\n  flowchart:\n    curve: linear\n---\ngraph TD;\n\t__start__(<p>__start__</p>)\n"
        "\t__error_handler__a(__error_handler__a)\n\ta(a)\n\tb(b)\n\t__end__(<p>__end__</p>)\n"
        "\t__start__ --> a;\n\ta --> b;\n\tb --> __end__;\n\tclassDef default fill:#f2f0ff,line-height:1.2\n"
        "\tclassDef first fill-opacity:0\n\tclassDef last fill:#bfb6fc\n")


def test_edges_and_joins_into_the_same_node() -> None:
    def build(edges: Callable[[Any], None], names: str) -> str:
        g = StateGraph(S)
        for n in names:
            g.add_node(n, f)
        edges(g)
        return str(g.compile().get_graph().draw_mermaid(with_styles=False))

    # observed from LangGraph 1.2: a plain edge a -> c reaches c though the join [a, b] -> c
    # never completes (b is unreachable); b keeps no edges
    assert build(lambda g: g.add_edge(START, "a").add_edge("a", "c").add_edge(["a", "b"], "c")
                 .add_edge("c", "d"), "abcd") == (
        "graph TD;\n\t__start__ --> a;\n\ta --> c;\n\tc --> d;\n\td --> __end__;\n")
    # observed from LangGraph 1.2: a join in a loop that never ends; the node its last
    # simulated step ran gets a conditional edge to END
    assert build(lambda g: g.add_edge(START, "a").add_edge(START, "b").add_edge(["a", "b"], "c")
                 .add_edge("c", "a"), "abc") == (
        "graph TD;\n\t__start__ --> a;\n\t__start__ --> b;\n\ta --> c;\n\tb --> c;\n\tc --> a;\n"
        "\ta -.-> __end__;\n")
