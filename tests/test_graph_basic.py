"""Linear graphs, reducers vs last-value keys, input/output schemas.

Expected values come from running the same graphs on LangGraph 1.2.24 (never from actorgraph).
"""

from __future__ import annotations

import dataclasses
import operator
from typing import Annotated, Any, TypedDict

import pydantic
import pytest

from actorgraph import END, START, StateGraph
from actorgraph.errors import InvalidUpdateError
from _helpers import S, Full, In, Out, Priv, Pub

pytestmark = pytest.mark.anyio

TROUBLESHOOTING = "\nFor troubleshooting, visit: https://docs.langchain.com/oss/python/langgraph/errors/"


def _linear() -> Any:
    def a(s: S) -> dict[str, Any]:
        return {"x": s["x"] + 1, "log": ["a"]}

    async def b(s: S) -> dict[str, Any]:
        return {"x": s["x"] * 10, "log": ["b"]}

    def c(s: S) -> dict[str, Any]:
        return {"log": ["c"]}

    g = StateGraph(S)
    g.add_node("a", a)
    g.add_node("b", b)
    g.add_node("c", c)
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", "c")
    g.add_edge("c", END)
    return g.compile()


async def test_linear_chain_sync_and_async_nodes() -> None:
    graph = _linear()
    # LangGraph 1.2.24: {'x': 20, 'log': ['a', 'b', 'c']}
    assert await graph.ainvoke({"x": 1}) == {"x": 20, "log": ["a", "b", "c"]}
    # LangGraph 1.2.24: the input is reduced too: {'x': 20, 'log': ['in', 'a', 'b', 'c']}
    assert await graph.ainvoke({"x": 1, "log": ["in"]}) == {"x": 20, "log": ["in", "a", "b", "c"]}


async def test_reducer_defaults_appear_unwritten_last_value_keys_do_not() -> None:
    class S2(TypedDict):
        x: int
        n: Annotated[int, operator.add]
        log: Annotated[list[Any], operator.add]
        never: str

    g = StateGraph(S2)
    g.add_node("a", lambda s: {"x": 5})
    g.add_edge(START, "a")
    graph = g.compile()
    # LangGraph 1.2.24: {'x': 5, 'n': 0, 'log': []} for both inputs ('never' is absent)
    assert await graph.ainvoke({"x": 1}) == {"x": 5, "n": 0, "log": []}
    assert await graph.ainvoke({}) == {"x": 5, "n": 0, "log": []}


def _io_graph(seen: list[Any]) -> Any:
    def n1(s: Full) -> dict[str, Any]:
        seen.append(("n1", dict(s)))
        return {"scratch": s["question"] + "!"}

    def n2(s: Full) -> dict[str, Any]:
        seen.append(("n2", dict(s)))
        return {"answer": s["scratch"] + "?"}

    g = StateGraph(Full, input_schema=In, output_schema=Out)
    g.add_node("n1", n1)
    g.add_node("n2", n2)
    g.add_edge(START, "n1")
    g.add_edge("n1", "n2")
    return g.compile()


async def test_input_and_output_schema_filtering() -> None:
    seen: list[Any] = []
    graph = _io_graph(seen)
    out = await graph.ainvoke({"question": "hi", "scratch": "ignored", "answer": "pre"})
    # LangGraph 1.2.24: {'answer': 'hi!?'}; input keys outside In are dropped silently
    assert out == {"answer": "hi!?"}
    # LangGraph 1.2.24: n1 sees {'question': 'hi'}, n2 sees {'question': 'hi', 'scratch': 'hi!'}
    assert seen == [("n1", {"question": "hi"}), ("n2", {"question": "hi", "scratch": "hi!"})]


async def test_private_channel_via_node_input_schema() -> None:
    seen: list[Any] = []

    def p1(s: Pub) -> Priv:
        return {"secret": "s1"}

    def p2(s: Priv) -> dict[str, Any]:
        seen.append(dict(s))
        return {"out": s["secret"] + "x"}

    g = StateGraph(Pub)
    g.add_node("p1", p1)
    g.add_node("p2", p2)
    g.add_edge(START, "p1")
    g.add_edge("p1", "p2")
    # LangGraph 1.2.24: {'out': 's1x'}; p2 sees {'secret': 's1'}
    assert await g.compile().ainvoke({"out": ""}) == {"out": "s1x"}
    assert seen == [{"secret": "s1"}]


async def test_node_returning_none_writes_nothing_but_edges_fire() -> None:
    g = StateGraph(S)
    g.add_node("a", lambda s: None)
    g.add_node("b", lambda s: {"log": ["b"]})
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    graph = g.compile()
    # LangGraph 1.2.24: {'x': 3, 'log': ['b']}
    assert await graph.ainvoke({"x": 3}) == {"x": 3, "log": ["b"]}
    # LangGraph 1.2.24: [{'a': None}, {'b': {'log': ['b']}}]
    assert [c async for c in graph.astream({"x": 3})] == [{"a": None}, {"b": {"log": ["b"]}}]


async def test_add_sequence() -> None:
    def s_one(s: S) -> dict[str, Any]:
        return {"log": ["one"]}

    def s_two(s: S) -> dict[str, Any]:
        return {"log": ["two"]}

    g = StateGraph(S)
    g.add_sequence([s_one, s_two])
    g.add_edge(START, "s_one")
    # LangGraph 1.2.24: {'x': 0, 'log': ['one', 'two']}
    assert await g.compile().ainvoke({"x": 0}) == {"x": 0, "log": ["one", "two"]}


async def test_node_returning_non_dict() -> None:
    g = StateGraph(S)
    g.add_node("a", lambda s: 5)
    g.add_edge(START, "a")
    with pytest.raises(InvalidUpdateError) as info:
        await g.compile().ainvoke({"x": 1})
    # LangGraph 1.2.24: InvalidUpdateError 'Expected dict, got 5' + INVALID_GRAPH_NODE_RETURN_VALUE line
    assert str(info.value) == "Expected dict, got 5" + TROUBLESHOOTING + "INVALID_GRAPH_NODE_RETURN_VALUE"


def test_sync_invoke_linear() -> None:
    def a(s: S) -> dict[str, Any]:
        return {"x": s["x"] + 1, "log": ["a"]}

    def b(s: S) -> dict[str, Any]:
        return {"x": s["x"] * 10, "log": ["b"]}

    g = StateGraph(S)
    g.add_node("a", a)
    g.add_node("b", b)
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    # LangGraph 1.2.24: {'x': 20, 'log': ['a', 'b']}
    assert g.compile().invoke({"x": 1}) == {"x": 20, "log": ["a", "b"]}


def test_sync_invoke_io_schemas() -> None:
    seen: list[Any] = []
    # LangGraph 1.2.24: {'answer': 'hi!?'}
    assert _io_graph(seen).invoke({"question": "hi"}) == {"answer": "hi!?"}


async def test_no_input_and_empty_input() -> None:
    from actorgraph.errors import EmptyInputError

    g = StateGraph(S)
    g.add_node("a", lambda s: {"x": 1})
    g.add_edge(START, "a")
    graph = g.compile()
    # LangGraph 1.2.24: EmptyInputError('Received no input for __start__'); {} is valid input
    with pytest.raises(EmptyInputError, match="^Received no input for __start__$"):
        await graph.ainvoke(None)
    assert await graph.ainvoke({}) == {"x": 1, "log": []}


async def test_node_config_parameter_metadata() -> None:
    seen: dict[str, Any] = {}

    def withcfg(s: S, config: dict[str, Any]) -> dict[str, Any]:
        md = config["metadata"]
        seen.update({k: md[k] for k in md if k.startswith("langgraph_")})
        return {"x": 2}

    def kwcfg(s: S, *, config: dict[str, Any]) -> dict[str, Any]:
        return {"x": config["metadata"]["langgraph_step"]}

    g = StateGraph(S)
    g.add_node("a", lambda s: {"x": 1})
    g.add_node("c", withcfg)
    g.add_node("k", kwcfg)
    g.add_edge(START, "a")
    g.add_edge("a", "c")
    g.add_edge("c", "k")
    # LangGraph 1.2.24: kw-only config gets the step too: k runs at step 3
    assert await g.compile().ainvoke({"x": 0}) == {"x": 3, "log": []}
    ns = seen.pop("langgraph_checkpoint_ns")
    # LangGraph 1.2.24: step 2, node 'c', triggers ('branch:to:c',), path ('__pregel_pull', 'c'), ns 'c:<id>'
    assert seen == {
        "langgraph_step": 2,
        "langgraph_node": "c",
        "langgraph_triggers": ("branch:to:c",),
        "langgraph_path": ("__pregel_pull", "c"),
    }
    assert ns.split(":")[0] == "c"


@dataclasses.dataclass
class D:
    x: int
    log: Annotated[list[Any], operator.add] = dataclasses.field(default_factory=list)


async def test_dataclass_state() -> None:
    def dn(s: D) -> dict[str, Any]:
        return {"x": s.x + 1, "log": [type(s).__name__]}

    g = StateGraph(D)
    g.add_node("dn", dn)
    g.add_edge(START, "dn")
    graph = g.compile()
    # LangGraph 1.2.24: the node gets a D instance; output is a dict: {'x': 2, 'log': ['D']}
    assert await graph.ainvoke({"x": 1}) == {"x": 2, "log": ["D"]}
    # LangGraph 1.2.24: an instance is valid input: {'x': 6, 'log': ['D']}
    assert await graph.ainvoke(D(x=5)) == {"x": 6, "log": ["D"]}


class P(pydantic.BaseModel):
    x: int
    log: Annotated[list[Any], operator.add] = []


async def test_pydantic_state_coerces_node_input() -> None:
    def pn(s: P) -> dict[str, Any]:
        return {"x": s.x + 1, "log": [type(s).__name__]}

    g = StateGraph(P)
    g.add_node("pn", pn)
    g.add_edge(START, "pn")
    graph = g.compile()
    # LangGraph 1.2.24: {'x': 2, 'log': ['P']}; '3' is coerced to 3 on the way in: {'x': 4, 'log': ['P']}
    assert await graph.ainvoke({"x": 1}) == {"x": 2, "log": ["P"]}
    assert await graph.ainvoke({"x": "3"}) == {"x": 4, "log": ["P"]}


async def test_entry_and_finish_point_and_function_named_node() -> None:
    class L(TypedDict):
        log: Annotated[list[Any], operator.add]

    g = StateGraph(L)
    g.add_node("a", lambda s: {"log": ["a"]})
    g.set_entry_point("a")
    g.set_finish_point("a")
    # LangGraph 1.2.24: {'log': ['a']}
    assert await g.compile().ainvoke({"log": []}) == {"log": ["a"]}

    def named_fn(s: Any) -> dict[str, Any]:
        return {"log": ["named"]}

    g = StateGraph(L)
    g.add_node(named_fn)
    g.add_edge(START, "named_fn")
    # LangGraph 1.2.24: [{'named_fn': {'log': ['named']}}]
    assert [c async for c in g.compile().astream({"log": []})] == [{"named_fn": {"log": ["named"]}}]
