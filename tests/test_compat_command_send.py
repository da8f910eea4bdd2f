"""LangGraph compatibility of what nodes return and what graphs are built from (issue 10 item
17): ``Command`` is a frozen dataclass (``dataclasses.replace``, equality, ``repr``), ``Send``'s
equality and ``repr``, a ``unittest.mock.Mock`` as a node, and ``compile(checkpointer=...)``
refusing what is not a saver. On asyncio and trio.

Expected values were produced by running the same code with LangGraph 1.2.24.
"""

from __future__ import annotations

import dataclasses
import operator
from typing import Annotated, Any, TypedDict
from unittest.mock import AsyncMock, MagicMock, Mock, call

import pytest

from actorgraph import END, START, Command, Send, StateGraph
from actorgraph.persistence import InMemorySaver, InMemoryStore, MsgpackSerializer

pytestmark = pytest.mark.anyio


# -- Command is a frozen, keyword-only dataclass (r21) -------------------------------------------


def test_dataclasses_replace_on_a_command() -> None:
    # LangGraph: Command(update={'a': 1}, goto='x')
    replaced: Command[str] = dataclasses.replace(Command(goto="x"), update={"a": 1})
    assert replaced == Command(update={"a": 1}, goto="x")
    assert repr(replaced) == "Command(update={'a': 1}, goto='x')"
    with pytest.raises(TypeError, match="nope"):
        dataclasses.replace(Command(goto="x"), nope=1)  # type: ignore[call-arg]  # the point


def test_command_is_a_frozen_keyword_only_dataclass() -> None:
    assert dataclasses.is_dataclass(Command)
    assert [f.name for f in dataclasses.fields(Command)] == ["graph", "update", "resume", "goto"]
    assert dataclasses.asdict(Command(update={"a": 1}, goto=["b"])) == {
        "graph": None, "update": {"a": 1}, "resume": None, "goto": ["b"],
    }
    cmd: Command[str] = Command(goto="x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cmd.goto = "y"  # type: ignore[misc]  # the point: it is frozen
    with pytest.raises(TypeError):
        Command("x")  # type: ignore[call-arg]  # the point: keyword-only
    assert (cmd.graph, cmd.update, cmd.resume, cmd.goto) == (None, None, None, "x")
    assert Command.PARENT == "__parent__"


def test_command_equality_and_hash() -> None:
    # LangGraph: equal by fields; hashable when the fields are; a list goto differs from a str.
    assert Command(update={"a": 1}) == Command(update={"a": 1})
    assert Command(update={"a": 1}) != Command(update={"a": 2})
    assert Command() == Command()
    assert Command(goto="x") != Command(goto=["x"])
    assert Command(goto="x") != ("x",)  # type: ignore[comparison-overlap]  # the point
    assert hash(Command(goto="x")) == hash(Command(goto="x"))
    with pytest.raises(TypeError, match="unhashable type: 'dict'"):
        hash(Command(update={"a": 1}))


def test_command_round_trips_through_the_serializer() -> None:
    serde = MsgpackSerializer()
    command: Command[Any] = Command(update={"a": [1]}, goto=[Send("b", {"x": (1, 2)})], graph=Command.PARENT)
    back = serde.loads_typed(serde.dumps_typed(command))
    assert (type(back), back) == (Command, command)


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (Command(), "Command()"),
        (Command(update={}, goto=[], resume=0, graph=""), "Command()"),  # falsy fields are left out
        (Command(resume=False), "Command()"),
        (Command(update=[("a", 1)]), "Command(update=[('a', 1)])"),
        (Command(goto=Send("a", 1)), "Command(goto=Send(node='a', arg=1))"),
        (Command(graph=Command.PARENT, goto="b"), "Command(graph='__parent__', goto='b')"),
        (
            Command(graph=Command.PARENT, update={"a": 1}, resume=1, goto=["a", Send("b", 1)]),
            "Command(graph='__parent__', update={'a': 1}, resume=1, goto=['a', Send(node='b', arg=1)])",
        ),
        (
            Command(resume={"id": 1}, goto=[Send("a", {"x": 1}), "b"]),
            "Command(resume={'id': 1}, goto=[Send(node='a', arg={'x': 1}), 'b'])",
        ),
    ],
)
def test_command_repr_shows_the_fields_that_are_set(command: Command[Any], shown: str) -> None:
    assert repr(command) == shown
    assert str(command) == shown


def test_send_repr_and_equality() -> None:
    # LangGraph: Send is not a dataclass (replace() refuses it); equal by node and arg.
    assert repr(Send("a", {"x": 1})) == "Send(node='a', arg={'x': 1})"
    assert repr(Send(node="a", arg=2)) == "Send(node='a', arg=2)"
    assert Send("a", {"x": 1}) == Send("a", {"x": 1})
    assert Send("a", 1) != Send("a", 2)
    assert Send("a", 1) != ("a", 1)  # type: ignore[comparison-overlap]  # the point
    with pytest.raises(TypeError, match="unhashable type: 'dict'"):
        hash(Send("a", {"x": 1}))
    with pytest.raises(TypeError, match="dataclass"):
        dataclasses.replace(Send("a", 1), node="b")  # as in LangGraph: not a dataclass


class Parent(TypedDict):
    log: Annotated[list[str], operator.add]


async def test_command_parent_from_a_subgraph_node_still_routes_the_parent() -> None:
    # The parent applies the escaped Command as the subgraph node's result (graph=None).
    def inner(state: Parent) -> Command[Any]:
        return Command(graph=Command.PARENT, update={"log": ["inner"]}, goto="after")

    sub = StateGraph(Parent).add_node("inner", inner).add_edge(START, "inner").compile()
    g = StateGraph(Parent).add_node("sub", sub).add_node("after", lambda s: {"log": ["after"]})
    app = g.add_edge(START, "sub").add_edge("after", END).compile()
    assert await app.ainvoke({"log": []}) == {"log": ["inner", "after"]}
    assert [c async for c in app.astream({"log": []})] == [
        {"sub": {"log": ["inner"]}},
        {"after": {"log": ["after"]}},
    ]


async def test_command_parent_from_a_subgraph_node_has_no_result_event_of_its_own() -> None:
    # LangGraph 1.2.24 (tasks and debug modes, subgraphs=True): the subgraph's task that sent the
    # Command up shows its start only; the parent's node shows the Command's update as its result.
    def inner(state: Parent) -> Command[Any]:
        return Command(graph=Command.PARENT, update={"log": ["inner"]}, goto="after")

    sub = StateGraph(Parent).add_node("inner", inner).add_edge(START, "inner").compile()
    g = StateGraph(Parent).add_node("sub", sub).add_node("after", lambda s: {"log": ["after"]})
    app = g.add_edge(START, "sub").compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "1"}}
    shown = []
    async for ns, mode, chunk in app.astream({"log": []}, cfg, stream_mode=["tasks", "debug"], subgraphs=True):
        where = tuple(part.split(":")[0] for part in ns)
        if mode == "tasks":
            shown.append((where, mode, chunk["name"], "result" in chunk, chunk.get("error"), chunk.get("result")))
        elif chunk["type"] == "task_result":
            payload = chunk["payload"]
            shown.append((where, mode, payload["name"], True, payload["error"], payload["result"]))
    assert shown == [
        ((), "tasks", "sub", False, None, None),
        (("sub",), "tasks", "inner", False, None, None),
        ((), "tasks", "sub", True, None, {"log": ["inner"]}),
        ((), "debug", "sub", True, None, {"log": ["inner"]}),
        ((), "tasks", "after", False, None, None),
        ((), "tasks", "after", True, None, {"log": ["after"]}),
        ((), "debug", "after", True, None, {"log": ["after"]}),
    ]


# -- a Mock as a node (r20) -------------------------------------------------------------------------


class X(TypedDict):
    x: int


async def test_mock_with_side_effect_is_a_callable_node() -> None:
    # LangGraph: 2, called once with call(1)
    add_one = Mock(side_effect=lambda _: 1)
    app = StateGraph(Annotated[int, operator.add]).add_node("add_one", add_one).add_edge(START, "add_one").compile()
    assert await app.ainvoke(1) == 2
    assert add_one.call_args_list == [call(1)]


@pytest.mark.parametrize("mock_class", [Mock, MagicMock])
async def test_mock_returning_an_update_is_a_node(mock_class: type[Mock]) -> None:
    # LangGraph: {'x': 5}, call({'x': 1})
    node = mock_class(return_value={"x": 5})
    app = StateGraph(X).add_node("m", node).add_edge(START, "m").compile()
    assert await app.ainvoke({"x": 1}) == {"x": 5}
    assert node.call_args_list == [call({"x": 1})]


async def test_async_mock_is_an_async_node() -> None:
    # LangGraph (ainvoke): {'x': 7}, awaited once with call({'x': 1})
    node = AsyncMock(return_value={"x": 7})
    app = StateGraph(X).add_node("m", node).add_edge(START, "m").compile()
    assert await app.ainvoke({"x": 1}) == {"x": 7}
    assert node.await_args_list == [call({"x": 1})]


# -- compile(checkpointer=...) takes savers only (TypeError otherwise) -----------------------------


def one_node() -> StateGraph:
    return StateGraph(X).add_node("a", lambda s: {"x": 1}).add_edge(START, "a")


@pytest.mark.parametrize(
    ("checkpointer", "named"),
    [
        ("x", "got str"),
        (3, "got int"),
        (object(), "got object"),
        (InMemoryStore(), "got InMemoryStore"),  # a store is not a saver
        (Mock(), "got Mock"),
        (InMemorySaver, r"got the class InMemorySaver \(pass an instance: InMemorySaver\(\.\.\.\)\)"),
    ],
)
def test_compile_rejects_what_is_not_a_checkpointer(checkpointer: Any, named: str) -> None:
    # LangGraph: TypeError naming the type (for each of these)
    with pytest.raises(TypeError, match=rf"compile\(checkpointer=\.\.\.\) takes a checkpoint saver .*; {named}$"):
        one_node().compile(checkpointer=checkpointer)


@pytest.mark.parametrize("checkpointer", [None, False, True])
def test_compile_accepts_none_and_the_subgraph_flags(checkpointer: Any) -> None:
    # LangGraph accepts None, False and True (True/False matter for subgraphs).
    assert one_node().compile(checkpointer=checkpointer).checkpointer is checkpointer


async def test_a_root_graph_compiled_with_checkpointer_false_runs_without_one() -> None:
    # LangGraph: {'x': 1} (with or without a thread_id); get_state: ValueError('No checkpointer set')
    app = one_node().compile(checkpointer=False)
    assert await app.ainvoke({"x": 0}) == {"x": 1}
    assert await app.ainvoke({"x": 0}, {"configurable": {"thread_id": "1"}}) == {"x": 1}
    assert [c async for c in app.astream({"x": 0})] == [{"a": {"x": 1}}]
    with pytest.raises(ValueError, match="^No checkpointer set$"):
        await app.aget_state({"configurable": {"thread_id": "1"}})


async def test_a_root_graph_compiled_with_checkpointer_true_cannot_run() -> None:
    # LangGraph: RuntimeError for invoke, stream and get_state ("checkpointer=True cannot be
    # used for root graphs.")
    app = one_node().compile(checkpointer=True)
    match = r"^checkpointer=True makes a subgraph use its parent graph's checkpointer"
    with pytest.raises(RuntimeError, match=match):
        await app.ainvoke({"x": 0}, {"configurable": {"thread_id": "1"}})
    with pytest.raises(RuntimeError, match=match):
        [c async for c in app.astream({"x": 0})]
    with pytest.raises(RuntimeError, match=match):
        await app.aget_state({"configurable": {"thread_id": "1"}})


async def test_compile_accepts_a_saver() -> None:
    saver = InMemorySaver()
    app = one_node().compile(checkpointer=saver)
    assert app.checkpointer is saver
    assert await app.ainvoke({"x": 0}, {"configurable": {"thread_id": "1"}}) == {"x": 1}
