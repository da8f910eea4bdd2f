"""Differences found by running LangGraph's documented examples (its how-to guides and concept
pages) on LangGraph 1.2.24 and on actorgraph. Expected values are what LangGraph 1.2.24 gave."""

from __future__ import annotations

import dataclasses
import functools
import operator
from typing import Annotated, Any, Literal, TypedDict

import pytest

from actorgraph import START, StateGraph
from actorgraph.checkpoint.memory import InMemorySaver
from actorgraph.func import entrypoint


class S(TypedDict):
    input: str


def _s1(s: S) -> dict[str, Any]:
    return {"input": s["input"] + "1"}


def _s2(s: S) -> dict[str, Any]:
    return {"input": s["input"] + "2"}


# -- import paths the guides use ---------------------------------------------------------------


def test_the_guides_import_start_and_end_from_graph_state() -> None:
    # The subgraph guide: `from langgraph.graph.state import StateGraph, START`. LangGraph 1.2.24's
    # langgraph.graph.state has START, END, Command, Send, RetryPolicy and CachePolicy; ours had
    # StateGraph and CompiledStateGraph only (ImportError)
    from actorgraph.graph.state import END, START, CachePolicy, Command, RetryPolicy, Send, StateGraph

    assert (START, END) == ("__start__", "__end__")
    assert Command(goto="x").goto == "x" and Send("x", 1).node == "x"
    assert RetryPolicy().max_attempts == 3 and CachePolicy().ttl is None
    g = StateGraph(S).add_node("s1", _s1).add_edge(START, "s1").add_edge("s1", END).compile()
    assert g.invoke({"input": "x"}) == {"input": "x1"}


# -- a node's second parameter with a default ------------------------------------------------


class L(TypedDict):
    log: Annotated[list[str], operator.add]


@pytest.mark.anyio
async def test_a_second_parameter_with_a_default_keeps_it(anyio_backend: str) -> None:
    # Nodes made in a loop bind the loop variable as a default (`lambda state, name=name: ...`).
    # LangGraph 1.2.24 passes the config by name only (a parameter named `config`), so `name`
    # keeps its default: {'log': ['a', 'b']}. We passed the config dict to any second positional
    # parameter (the node wrote "{'configurable': ...}"); routers likewise
    builder = StateGraph(L)
    for name in ("a", "b"):
        builder.add_node(name, lambda state, name=name: {"log": [name]})

    async def route(state: L, target: str = "b") -> str:
        return target

    builder.add_edge(START, "a").add_conditional_edges("a", route, ["b"])
    assert await builder.compile().ainvoke({"log": []}) == {"log": ["a", "b"]}

    async def with_config(state: L, config=None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        return {"log": [config["metadata"]["langgraph_node"]]}

    async def by_position(state: L, cfg: Any) -> dict[str, Any]:  # (LangGraph: TypeError; we pass it)
        return {"log": [cfg["metadata"]["langgraph_node"]]}

    g = (StateGraph(L).add_node("c", with_config).add_node("p", by_position)
         .add_edge(START, "c").add_edge("c", "p").compile())
    assert await g.ainvoke({"log": []}) == {"log": ["c", "p"]}


# -- the first chunk of a resumed stream -------------------------------------------------------


@pytest.mark.anyio
async def test_a_resumed_stream_shows_its_start_before_the_next_node_runs(anyio_backend: str) -> None:
    # The breakpoints guide streams `graph.stream(None, thread, stream_mode="values")` after
    # interrupt_before: LangGraph 1.2.24 yields the state it resumes from before the next node
    # runs (so its print comes first); ours came after that node had run
    log: list[Any] = []

    async def s2(s: S) -> dict[str, Any]:
        log.append("run s2")
        return {"input": s["input"] + "2"}

    g = (StateGraph(S).add_node("s1", _s1).add_node("s2", s2).add_edge(START, "s1").add_edge("s1", "s2")
         .compile(checkpointer=InMemorySaver(), interrupt_before=["s2"]))
    cfg = {"configurable": {"thread_id": "1"}}
    async for chunk in g.astream({"input": "x"}, cfg, stream_mode="values"):
        log.append(chunk)
    log.append("--")
    async for chunk in g.astream(None, cfg, stream_mode="values"):
        log.append(chunk)
    assert log == [{"input": "x"}, {"input": "x1"}, "--", {"input": "x1"}, "run s2", {"input": "x12"}]


# -- the deprecated config schema ----------------------------------------------------------------


@dataclasses.dataclass
class _Ctx:
    llm: str = "a"


def test_the_deprecated_config_schema_has_the_context_schema_as_configurable() -> None:
    # The configuration guide's `StateGraph(State, config_schema=ConfigSchema)` (now
    # context_schema): LangGraph 1.2.24's get_config_jsonschema() gives it as `configurable`
    # (a DeprecationWarning-class warning); ours gave {'properties': {}, ...}
    pytest.importorskip("pydantic")
    g = StateGraph(S, context_schema=_Ctx).add_node("s1", _s1).add_edge(START, "s1").compile()
    ctx = {"properties": {"llm": {"default": "a", "title": "Llm", "type": "string"}}, "title": "_Ctx",
           "type": "object"}
    with pytest.warns(DeprecationWarning):
        assert g.get_config_jsonschema() == {
            "$defs": {"_Ctx": ctx}, "properties": {"configurable": {"$ref": "#/$defs/_Ctx", "default": None}},
            "title": "LangGraphConfig", "type": "object"}
    with pytest.warns(DeprecationWarning):
        model = StateGraph(S).add_node("s1", _s1).add_edge(START, "s1").compile(name="mygraph").config_schema()
    assert model.__name__ == "mygraph_config" and model.model_json_schema() == {
        "properties": {}, "title": "mygraph_config", "type": "object"}

    @entrypoint(context_schema=_Ctx)
    def wf(x: int) -> int:
        return x

    with pytest.warns(DeprecationWarning):
        assert wf.get_config_jsonschema()["title"] == "LangGraphConfig"
    with pytest.warns(DeprecationWarning):
        assert list(wf.config_schema().model_fields) == ["configurable"]


# -- add_conditional_edges with a node's name as the path map -----------------------------------


@pytest.mark.anyio
async def test_a_string_path_map_is_ignored_as_in_langgraph(anyio_backend: str) -> None:
    # The graph API guide's fractal example: `add_conditional_edges(node_name, route, node_name)`
    # with `route(...) -> Literal["entry_node", "__end__"]`. LangGraph 1.2.24 takes a dict or a
    # list as the map and ignores a string (the Literal is the map); we read the string as a
    # list of one-letter targets (GraphValidationError: unknown target 'n')
    def route(state: L) -> Literal["entry", "__end__"]:
        return "__end__" if len(state["log"]) > 2 else "entry"

    builder = StateGraph(L)
    builder.add_node("entry", lambda s: {"log": ["entry"]})
    builder.add_node("node_a", lambda s: {"log": ["a"]})
    builder.add_edge(START, "entry").add_edge("entry", "node_a")
    builder.add_conditional_edges("node_a", route, "node_a")  # type: ignore[arg-type]
    g = builder.compile()
    assert await g.ainvoke({"log": []}) == {"log": ["entry", "a", "entry", "a"]}
    edges = {(e.source, e.target, e.conditional) for e in g.get_graph().edges}
    assert edges == {("__start__", "entry", False), ("entry", "node_a", False),
                     ("node_a", "entry", True), ("node_a", "__end__", True)}


def test_a_router_without_a_name_of_its_own_is_the_condition_branch() -> None:
    # LangGraph 1.2.24 names a branch after its router's function, "condition" for a lambda, a
    # functools.partial or a callable object (we named these two 'partial' and 'Router')
    class Router:
        def __call__(self, state: L) -> str:
            return "__end__"

    def route(state: L, k: int = 1) -> str:
        return "__end__"

    for router, name in ((Router(), "condition"), (functools.partial(route, k=2), "condition"),
                         (lambda s: "__end__", "condition"), (route, "route")):
        builder = StateGraph(L).add_node("a", lambda s: {"log": ["a"]}).add_edge(START, "a")
        builder.add_conditional_edges("a", router)
        assert list(builder.branches["a"]) == [name]
        assert builder.compile().invoke({"log": []}) == {"log": ["a"]}


def test_invoke_returns_none_when_the_run_wrote_no_output_key() -> None:
    # LangGraph 1.2.24's invoke returns the run's last `values` chunk of the output keys: None
    # when the run wrote none of them (a node returning {}, an output schema whose keys no node
    # writes, an input that leaves them as the thread had them); ours returned the values held
    class Out(TypedDict):
        input: str

    g = StateGraph(S).add_node("n", lambda s: {}).add_edge(START, "n").compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "1"}}
    assert g.invoke({}, cfg) is None
    assert g.invoke({"input": "x"}, cfg) == {"input": "x"}
    assert g.invoke({}, cfg) is None  # (the thread holds input='x')
    assert g.invoke(None, cfg) == {"input": "x"}  # (a resumed run shows its start)
    h = StateGraph(S, output_schema=Out).add_node("n", lambda s: {}).add_edge(START, "n").compile()
    assert h.invoke({}) is None
