"""A compiled graph is a LangChain ``Runnable`` (with langchain-core): LangChain's own
composition takes it as it takes LangGraph's graphs — ``runnable | graph``, ``prompt | graph |
parser``, ``RunnableParallel(a=graph)``, ``{...} | graph`` — and a graph in a sequence that a
node calls runs as that node's subgraph.

Expected values observed by running the same programs on LangGraph 1.2.24 with langchain-core
1.8.3 (scratch scripts). langchain-core's async API is asyncio-only: the async tests run on
asyncio."""

from __future__ import annotations

import subprocess
import sys
from typing import Any, TypedDict

import pytest

pytest.importorskip("langchain_core")

from langchain_core.callbacks import BaseCallbackHandler  # noqa: E402
from langchain_core.messages import AIMessage  # noqa: E402
from langchain_core.output_parsers import StrOutputParser  # noqa: E402
from langchain_core.prompts import ChatPromptTemplate  # noqa: E402
from langchain_core.runnables import Runnable, RunnableLambda, RunnableParallel, RunnableSequence  # noqa: E402

from actorgraph import END, START, MessagesState, StateGraph  # noqa: E402


class S(TypedDict):
    x: int


def inc(s: S) -> dict[str, int]:
    return {"x": s["x"] + 1}


def graph() -> Any:
    return StateGraph(S).add_node("n", inc).add_edge(START, "n").compile()


def test_graph_is_a_runnable_even_when_langchain_is_imported_after_actorgraph() -> None:
    code = (
        "import sys, actorgraph\n"
        "assert 'langchain_core' not in sys.modules, 'actorgraph imported langchain-core'\n"
        "from langchain_core.runnables import Runnable\n"
        "from actorgraph import START, StateGraph\n"
        "g = StateGraph(dict).add_node('n', lambda s: {}).add_edge(START, 'n').compile()\n"
        "print(isinstance(g, Runnable))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_graph_is_a_runnable() -> None:
    g = graph()
    assert isinstance(g, Runnable)
    assert g.get_name() == "LangGraph"
    assert g.get_name("Output") == "LangGraphOutput"


def test_runnable_then_graph() -> None:
    seq = RunnableLambda(lambda v: {"x": v}) | graph()
    assert type(seq) is RunnableSequence
    assert seq.invoke(1) == {"x": 2}
    assert list(seq.stream(1)) == [{"n": {"x": 2}}]
    assert seq.batch([1, 2]) == [{"x": 2}, {"x": 3}]
    assert seq.get_name() == "RunnableSequence"
    assert seq.last.get_name() == "LangGraph"
    assert seq.get_output_jsonschema() == {
        "properties": {"x": {"default": None, "title": "X", "type": "integer"}},
        "title": "LangGraphOutput", "type": "object"}
    assert seq.config_specs == []


def test_runnable_then_graph_then_parser() -> None:
    seq = RunnableLambda(lambda v: {"x": v}) | graph() | RunnableLambda(lambda s: str(s))
    assert seq.invoke(1) == "{'x': 2}"
    assert list(seq.stream(1)) == ["{'n': {'x': 2}}"]
    assert ({"x": lambda v: v} | graph()).invoke(3) == {"x": 4}


def test_prompt_graph_parser() -> None:
    prompt = ChatPromptTemplate.from_messages([("user", "{q}")])
    seen: list[list[str]] = []

    def answer(s: dict[str, Any]) -> dict[str, Any]:
        seen.append([m.content for m in s["messages"]])
        return {"messages": [AIMessage("pong", id="a")]}

    g = StateGraph(MessagesState).add_node("n", answer).add_edge(START, "n").compile()
    chain = prompt | g | RunnableLambda(lambda s: s["messages"][-1]) | StrOutputParser()
    assert chain.invoke({"q": "ping"}) == "pong"
    assert seen == [["ping"]]


def test_parallel() -> None:
    p = RunnableParallel(a=graph(), b=lambda s: s["x"])
    assert p.invoke({"x": 1}) == {"a": {"x": 2}, "b": 1}
    chunks = list(p.stream({"x": 1}))  # (the two branches stream from threads: either first)
    assert sorted(chunks, key=str) == [{"a": {"n": {"x": 2}}}, {"b": 1}]


def test_callbacks_see_the_sequence_then_the_graph() -> None:
    starts: list[tuple[str, list[str]]] = []

    class H(BaseCallbackHandler):
        def on_chain_start(self, serialized: Any, inputs: Any, **kw: Any) -> None:
            starts.append((kw["name"], kw["tags"]))

    (RunnableLambda(lambda v: {"x": v}) | graph()).invoke(1, {"callbacks": [H()]})
    assert starts == [("RunnableSequence", []), ("RunnableLambda", ["seq:step:1"]),
                      ("LangGraph", ["seq:step:2"]), ("n", ["graph:step:1"])]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_async_sequence(anyio_backend: str) -> None:
    seq = RunnableLambda(lambda v: {"x": v}) | graph()
    assert await seq.ainvoke(5) == {"x": 6}
    assert [c async for c in seq.astream(1)] == [{"n": {"x": 2}}]
    events = [(e["event"], e["name"]) async for e in seq.astream_events(1, version="v2")]
    assert events == [
        ("on_chain_start", "RunnableSequence"), ("on_chain_start", "RunnableLambda"),
        ("on_chain_stream", "RunnableLambda"), ("on_chain_end", "RunnableLambda"),
        ("on_chain_start", "LangGraph"), ("on_chain_start", "n"), ("on_chain_stream", "n"),
        ("on_chain_end", "n"), ("on_chain_stream", "RunnableSequence"), ("on_chain_end", "LangGraph"),
        ("on_chain_end", "RunnableSequence")]


@pytest.mark.parametrize("with_config", [True, False])
def test_sequence_called_in_a_node_runs_the_graph_as_its_subgraph(with_config: bool) -> None:
    inner = StateGraph(S).add_node("inner", inc).add_edge(START, "inner").compile()
    chain = RunnableLambda(lambda s: {"x": s["x"] * 10}) | inner

    def outer(s: S, config: Any) -> Any:
        return chain.invoke(s, config) if with_config else chain.invoke(s)

    o = StateGraph(S).add_node("outer", outer).add_edge(START, "outer").compile()
    got = [(tuple(p.split(":")[0] for p in ns), c) for ns, c in o.stream({"x": 1}, subgraphs=True)]
    assert got == [(("outer",), {"inner": {"x": 11}}), ((), {"outer": {"x": 11}})]


def test_compiled_graph_node_stays_a_subgraph() -> None:
    o = StateGraph(S).add_node("sub", graph()).add_edge(START, "sub").compile()
    got = [(tuple(p.split(":")[0] for p in ns), c) for ns, c in o.stream({"x": 1}, subgraphs=True)]
    assert got == [(("sub",), {"n": {"x": 2}}), ((), {"sub": {"x": 2}})]


def test_borrowed_runnable_combinators() -> None:
    g = graph()
    assert g.pick("x").invoke({"x": 1}) == 2
    assert g.with_retry(stop_after_attempt=2).invoke({"x": 1}) == {"x": 2}
    assert list(g.transform(iter([{"x": 1}]))) == [{"n": {"x": 2}}]


STYLES = ("\tclassDef default fill:#f2f0ff,line-height:1.2\n\tclassDef first fill-opacity:0\n"
          "\tclassDef last fill:#bfb6fc\n")
HEADER = "---\nconfig:\n  flowchart:\n    curve: linear\n---\ngraph TD;\n"
FN_TAG = ["langgraph", "_internal", "_runnable", "RunnableCallable"]
LAMBDA_TAG = ["langchain_core", "runnables", "base", "RunnableLambda"]


def two_nodes(conditional: bool = False) -> Any:
    b = StateGraph(S).add_node("n", inc).add_node("m", inc).add_edge(START, "n")
    if conditional:
        def route(s: S) -> str:
            return "m" if s["x"] else END

        return b.add_conditional_edges("n", route, ["m", END]).compile()
    return b.add_edge("n", "m").compile()


def f(v: int) -> dict[str, int]:
    return {"x": v}


def test_sequence_draws_the_graph_among_its_steps() -> None:
    drawing = (RunnableLambda(f) | two_nodes()).get_graph()
    assert drawing.draw_mermaid() == HEADER + (
        "\tf_input([f_input]):::first\n\tf(f)\n\tn(n)\n\tm(m)\n\t__end__([<p>__end__</p>]):::last\n"
        "\tf_input --> f;\n\tn --> m;\n\tm --> __end__;\n\tf --> n;\n") + STYLES
    assert drawing.to_json() == {
        "nodes": [{"id": 0, "type": "schema", "data": "f_input"},
                  {"id": 1, "type": "runnable", "data": {"id": LAMBDA_TAG, "name": "f"}},
                  {"id": "n", "type": "runnable", "data": {"id": FN_TAG, "name": "n"}},
                  {"id": "m", "type": "runnable", "data": {"id": FN_TAG, "name": "m"}},
                  {"id": "__end__"}],
        "edges": [{"source": 0, "target": 1}, {"source": "n", "target": "m"},
                  {"source": "m", "target": "__end__"}, {"source": 1, "target": "n"}]}

    first = (two_nodes() | RunnableLambda(str)).get_graph()
    assert first.draw_mermaid() == HEADER + (
        "\t__start__([<p>__start__</p>]):::first\n\tn(n)\n\tm(m)\n\tstr(str)\n"
        "\tstr_output([str_output]):::last\n"
        "\t__start__ --> n;\n\tn --> m;\n\tstr --> str_output;\n\tm --> str;\n") + STYLES

    cond = (RunnableLambda(f) | two_nodes(conditional=True)).get_graph()
    assert cond.draw_mermaid() == HEADER + (
        "\tf_input([f_input]):::first\n\tf(f)\n\tn(n)\n\tm(m)\n\t__end__([<p>__end__</p>]):::last\n"
        "\tf_input --> f;\n\tn -.-> __end__;\n\tn -.-> m;\n\tm --> __end__;\n\tf --> n;\n") + STYLES
    assert cond.to_json()["edges"][1:3] == [{"source": "n", "target": "__end__", "conditional": True},
                                            {"source": "n", "target": "m", "conditional": True}]


def test_parallel_draws_the_graph() -> None:
    drawing = RunnableParallel(a=two_nodes(), b=RunnableLambda(str)).get_graph()
    assert drawing.draw_mermaid() == HEADER + (
        "\tParallel\\3ca\\2cb\\3eInput([Parallel<a,b>Input]):::first\n"
        "\tParallel\\3ca\\2cb\\3eOutput([Parallel<a,b>Output]):::last\n\tn(n)\n\tm(m)\n\tstr(str)\n"
        "\tn --> m;\n\tParallel\\3ca\\2cb\\3eInput --> n;\n\tm --> Parallel\\3ca\\2cb\\3eOutput;\n"
        "\tParallel\\3ca\\2cb\\3eInput --> str;\n\tstr --> Parallel\\3ca\\2cb\\3eOutput;\n") + STYLES


def bad(s: S) -> dict[str, int]:
    if s["x"] > 5:
        raise ValueError("big")
    return {"x": s["x"]}


def failing() -> Any:
    return StateGraph(S).add_node("b", bad).add_edge(START, "b").compile()


def test_more_compositions() -> None:
    gg = graph() | graph()
    assert len(gg.steps) == 2 and gg.invoke({"x": 1}) == {"x": 3}
    assert (RunnableLambda(f) | graph().with_config(tags=["t"])).invoke(1) == {"x": 2}
    results = (RunnableLambda(f) | failing()).batch([1, 9], return_exceptions=True)
    assert results[0] == {"x": 1} and repr(results[1]) == "ValueError('big')"
    assert failing().with_fallbacks([graph()]).invoke({"x": 9}) == {"x": 10}
    assert (RunnableLambda(f) | graph()).assign(y=lambda s: s["x"] * 2).invoke(1) == {"x": 2, "y": 4}
    assert RunnableLambda(lambda v: graph()).invoke({"x": 3}) == {"x": 4}  # (a Runnable returned is run)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_async_parallel_and_batch(anyio_backend: str) -> None:
    assert await RunnableParallel(a=graph(), b=graph()).ainvoke({"x": 1}) == {"a": {"x": 2}, "b": {"x": 2}}
    results = await (RunnableLambda(f) | failing()).abatch([1, 9], return_exceptions=True)
    assert results[0] == {"x": 1} and repr(results[1]) == "ValueError('big')"
