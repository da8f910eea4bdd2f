"""What a node may return (issue 10 item 17, repro r19): a list of ``Command``s, ``Command``s
mixed with plain updates, and ``Command.update`` in a graph whose state is a single root value.
On asyncio and trio.

Expected outputs, ``updates`` chunks and error types were produced by running the same graphs
with LangGraph 1.2.24.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, Command, Send, StateGraph
from actorgraph.errors import InvalidUpdateError

pytestmark = pytest.mark.anyio


class S(TypedDict):
    log: Annotated[list[str], operator.add]
    x: int


def returning(result: Any) -> Any:
    """START -> a, which returns ``result``; node b writes 'b'."""
    g = StateGraph(S).add_node("b", lambda s: {"log": ["b"]})
    return g.add_node("a", lambda s: result).add_edge(START, "a").compile()


async def run(app: Any, value: Any) -> tuple[Any, list[Any]]:
    """The output of ``app`` on ``value``, and its ``updates`` stream."""
    return await app.ainvoke(value), [c async for c in app.astream(value, stream_mode="updates")]


@pytest.mark.parametrize(
    ("result", "out", "updates"),
    [
        (
            [Command(update={"log": ["a1"]}), Command(update={"log": ["a2"]}, goto="b")],
            {"log": ["a1", "a2", "b"]},
            [{"a": [{"log": ["a1"]}, {"log": ["a2"]}]}, {"b": {"log": ["b"]}}],
        ),
        (
            [{"log": ["a1"]}, Command(update={"x": 2}, goto="b")],
            {"log": ["a1", "b"], "x": 2},
            [{"a": {"log": ["a1"], "x": 2}}, {"b": {"log": ["b"]}}],
        ),
        (
            (Command(update={"x": 1}), Command(goto="b")),
            {"log": ["b"], "x": 1},
            [{"a": {"x": 1}}, {"b": {"log": ["b"]}}],
        ),
        ([Command(update={"x": 1}), None], {"log": [], "x": 1}, [{"a": {"x": 1}}]),
        (
            Command(update=[("log", ["p"]), ("log", ["q"])]),
            {"log": ["p", "q"]},
            [{"a": [{"log": ["p"]}, {"log": ["q"]}]}],
        ),
    ],
)
async def test_lists_of_commands_and_updates(result: Any, out: Any, updates: list[Any]) -> None:
    assert await run(returning(result), {"log": []}) == (out, updates)


async def test_a_send_among_commands_runs() -> None:
    # Deliberate deviation: LangGraph 1.2.24 silently drops a Send in a list with Commands
    # ({'log': [], 'x': 1}); a Send a node returns runs here, as when returned alone.
    assert await returning([Command(update={"x": 1}), Send("b", {"log": []})]).ainvoke({"log": []}) == {
        "log": ["b"], "x": 1,
    }


async def test_a_lone_send_is_routed() -> None:
    # LangGraph 1.2.24 routes a Send a node returns (no update: its updates chunk is None) and
    # the node's edges run beside it
    app = StateGraph(S).add_node("a", lambda s: Send("w", {"log": [], "x": 1}))
    app.add_node("w", lambda s: {"log": ["w", str(s["x"])]}).add_node("b", lambda s: {"log": ["b"]})
    app = app.add_edge(START, "a").add_edge("a", "b").compile()
    out, updates = await run(app, {"log": [], "x": 0})
    assert out == {"log": ["b", "w", "1"], "x": 0}
    assert updates[0] == {"a": None}  # (then w and b, which run in one step, as they finish)
    assert sorted(updates[1:], key=str) == [{"b": {"log": ["b"]}}, {"w": {"log": ["w", "1"]}}]
    # in a root-value graph too (LangGraph: 'sent!')
    rooted = StateGraph(str).add_node("a", lambda s: Send("w", "sent")).add_node("w", lambda s: s + "!")
    assert await rooted.add_edge(START, "a").compile().ainvoke("x") == "sent!"


@pytest.mark.parametrize(
    ("result", "shown"),
    [
        ([{"log": ["a1"]}, {"x": 3}], "[{'log': ['a1']}, {'x': 3}]"),  # no Command: not a list of updates
        ([{"x": 1}, {"x": 3}], "[{'x': 1}, {'x': 3}]"),
        ([], "[]"),
        ([Command(update={"x": 1}), ("log", ["p"])], "('log', ['p'])"),  # a pair is no update here
    ],
)
async def test_lists_that_are_no_update(result: Any, shown: str) -> None:
    # LangGraph: InvalidUpdateError("Expected dict, got <the list or the offending item>")
    with pytest.raises(InvalidUpdateError, match=rf"^Expected dict, got {__import__('re').escape(shown)}\n"):
        await returning(result).ainvoke({"log": []})


# -- a root-value graph (StateGraph(Annotated[str, operator.add])) -------------------------------------


def root(reducer_type: Any, result: Any) -> Any:
    g = StateGraph(reducer_type).add_node("b", lambda s: "b" if isinstance(s, str) else ["b"])
    return g.add_node("a", lambda s: result).add_edge(START, "a").compile()


StrAdd = Annotated[str, operator.add]
ListAdd = Annotated[list[Any], operator.add]


@pytest.mark.parametrize(
    ("schema", "result", "start", "out"),
    [
        (StrAdd, [Command(update="a1"), Command(update="a2")], "", "a1a2"),  # r19
        (StrAdd, Command(update="a1"), "", "a1"),
        (StrAdd, [Command(update="a1"), "zz"], "", "a1zz"),
        (StrAdd, [Command(update="a1", goto="b"), Command(update="a2")], "", "a1a2b"),
        (StrAdd, [Command(update=None), Command(update="a2")], "", "a2"),
        (ListAdd, [Command(update=["a1"]), ["zz"]], [], ["a1", "zz"]),
        (ListAdd, ["x", "y"], [], ["x", "y"]),  # no Command: the list is the value
        (ListAdd, [{"x": 1}, None], [], [{"x": 1}, None]),
    ],
)
async def test_root_value_graph_commands(schema: Any, result: Any, start: Any, out: Any) -> None:
    assert await root(schema, result).ainvoke(start) == out


async def test_root_value_graph_two_commands_to_a_last_value() -> None:
    # LangGraph: InvalidUpdateError("At key '__root__': Can receive only one value per step. ...")
    app = StateGraph(str).add_node("a", lambda s: [Command(update="a1"), Command(update="a2")])
    with pytest.raises(InvalidUpdateError, match=r"^At key '__root__': Can receive only one value per step"):
        await app.add_edge(START, "a").compile().ainvoke("")


class RootKey(TypedDict):
    __root__: Annotated[list[Any], operator.add]


async def test_a_typeddict_whose_only_key_is_root_is_a_root_value_graph(saver: Any) -> None:
    # LangGraph 1.2.24 (its test_root_graph): nodes get the value itself, not {'__root__': ...};
    # actorgraph handed them the dict (a chat model node then refused its input)
    seen: list[Any] = []

    def a(s: Any) -> list[str]:
        seen.append(s)
        return [f"a{len(s)}"]

    app = StateGraph(RootKey).add_node("a", a).add_edge(START, "a").compile(checkpointer=saver)
    cfg = {"configurable": {"thread_id": "1"}}
    assert await app.ainvoke(["x"], cfg) == ["x", "a1"]
    assert seen == [["x"]]
    # LangGraph 1.2.24: [('values', ['x', 'a1', 'y']), ('updates', {'a': ['a3']}),
    #                    ('values', ['x', 'a1', 'y', 'a3'])]
    assert [c async for c in app.astream(["y"], cfg, stream_mode=["updates", "values"])] == [
        ("values", ["x", "a1", "y"]), ("updates", {"a": ["a3"]}), ("values", ["x", "a1", "y", "a3"]),
    ]
    assert (await app.aget_state(cfg)).values == ["x", "a1", "y", "a3"]
