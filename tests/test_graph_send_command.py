"""Send (map-reduce) and Command (goto + update, lists, END, PARENT).

Expected values come from running the same graphs on LangGraph 1.2.24 (never from actorgraph).
"""

from __future__ import annotations

import operator
import random
from typing import Annotated, Any, Literal, TypedDict

import anyio
import pytest

from actorgraph import END, START, Command, Send, StateGraph
from actorgraph.errors import GraphBubbleUp, InvalidUpdateError, ParentCommand, UnknownDestinationWarning
from _helpers import NS, mk

pytestmark = pytest.mark.anyio


class S(TypedDict):
    items: list[Any]
    out: Annotated[list[Any], operator.add]


# -- Send ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 42])
async def test_map_reduce_order_is_send_order_whatever_the_completion_order(seed: int) -> None:
    rng = random.Random(seed)
    finished: list[int] = []

    async def work(arg: dict[str, int]) -> dict[str, Any]:
        await anyio.sleep(rng.random() * 0.01)
        finished.append(arg["i"])
        return {"out": [arg["i"] * 10]}

    g = StateGraph(S)
    g.add_node("work", work)
    g.add_conditional_edges(START, lambda s: [Send("work", {"i": i}) for i in s["items"]])
    items = [5, 1, 4, 2, 3, 0, 9, 7]
    out = await g.compile().ainvoke({"items": items})
    # LangGraph 1.2.24 (random sleeps, seeded): out == [50, 10, 40, 20, 30, 0, 90, 70] on every run
    assert out == {"items": items, "out": [50, 10, 40, 20, 30, 0, 90, 70]}
    assert sorted(finished) == sorted(items)


async def test_pull_tasks_by_name_then_push_tasks_by_send_index() -> None:
    async def zz(arg: dict[str, str]) -> dict[str, Any]:
        await anyio.sleep(0.01 if arg["tag"] == "send0" else 0)
        return {"out": [arg["tag"]]}

    g = StateGraph(S)
    g.add_node("src", mk("src", "out"))
    for n in ["zeta", "alpha", "mid"]:
        g.add_node(n, mk(n, "out"))
        g.add_edge("src", n)
    g.add_node("zz", zz)
    g.add_edge(START, "src")
    g.add_conditional_edges("src", lambda s: [Send("zz", {"tag": "send0"}), Send("zz", {"tag": "send1"})])
    # LangGraph 1.2.24: {'items': [], 'out': ['src', 'alpha', 'mid', 'zeta', 'send0', 'send1']}
    assert await g.compile().ainvoke({"items": []}) == {
        "items": [], "out": ["src", "alpha", "mid", "zeta", "send0", "send1"]
    }


class Jokes(TypedDict):
    subjects: list[str]
    jokes: Annotated[list[str], operator.add]
    best: str


def _jokes() -> Any:
    g = StateGraph(Jokes)
    g.add_node("gen", lambda s: {"jokes": [f"joke about {s['subject']}"]})
    g.add_node("best", lambda s: {"best": s["jokes"][-1]})
    g.add_conditional_edges(START, lambda s: [Send("gen", {"subject": x}) for x in s["subjects"]], ["gen"])
    g.add_edge("gen", "best")
    return g.compile()


async def test_sends_then_static_edge_fires_downstream_once() -> None:
    graph = _jokes()
    # LangGraph 1.2.24: best runs once after all three gen tasks
    assert await graph.ainvoke({"subjects": ["cats", "dogs", "ants"]}) == {
        "subjects": ["cats", "dogs", "ants"],
        "jokes": ["joke about cats", "joke about dogs", "joke about ants"],
        "best": "joke about ants",
    }
    chunks = [c async for c in graph.astream({"subjects": ["cats", "dogs"]})]
    # LangGraph 1.2.24: [{'gen': cats}, {'gen': dogs}, {'best': {'best': 'joke about dogs'}}]
    assert sorted(chunks[:2], key=str) == [
        {"gen": {"jokes": ["joke about cats"]}}, {"gen": {"jokes": ["joke about dogs"]}}
    ]
    assert chunks[2:] == [{"best": {"best": "joke about dogs"}}]
    # LangGraph 1.2.24: no Sends -> {'subjects': [], 'jokes': []}
    assert await graph.ainvoke({"subjects": []}) == {"subjects": [], "jokes": []}


async def test_send_to_end_raises() -> None:
    g = StateGraph(S)
    g.add_node("a", mk("a", "out"))
    g.add_conditional_edges(START, lambda s: [Send(END, {})])
    # LangGraph 1.2.24: InvalidUpdateError('Cannot send a packet to the END node')
    with pytest.raises(InvalidUpdateError, match="^Cannot send a packet to the END node"):
        await g.compile().ainvoke({"items": []})


async def test_send_arg_is_passed_verbatim() -> None:
    class S5(TypedDict):
        out: Annotated[list[int], operator.add]

    g = StateGraph(S5)
    g.add_node("sq", lambda x: {"out": [x * x]})
    g.add_conditional_edges(START, lambda s: [Send("sq", 3), Send("sq", 4)])
    # LangGraph 1.2.24: {'out': [9, 16]}
    assert await g.compile().ainvoke({"out": []}) == {"out": [9, 16]}


async def test_router_mixing_sends_and_names() -> None:
    g = StateGraph(S)
    g.add_node("a", mk("a", "out"))
    g.add_node("b", mk("b", "out"))
    g.add_node("w", lambda x: {"out": [x]})
    g.add_edge(START, "a")
    g.add_conditional_edges("a", lambda s: [Send("w", "p0"), "b", Send("w", "p1")])
    # LangGraph 1.2.24: {'items': [], 'out': ['a', 'b', 'p0', 'p1']}
    assert await g.compile().ainvoke({"items": []}) == {"items": [], "out": ["a", "b", "p0", "p1"]}


# -- Command ------------------------------------------------------------------------------------


def cmd_a(s: NS) -> Command[Literal["b", "c"]]:
    return Command(update={"n": s["n"] + 1, "log": ["a"]}, goto="b" if s["n"] else "c")


async def test_command_goto_and_update() -> None:
    g = StateGraph(NS)
    g.add_node("a", cmd_a)
    g.add_node("b", mk("b"))
    g.add_node("c", mk("c"))
    g.add_edge(START, "a")
    graph = g.compile()
    # LangGraph 1.2.24: {'n': 2, 'log': ['a', 'b']} / {'n': 1, 'log': ['a', 'c']}
    assert await graph.ainvoke({"n": 1}) == {"n": 2, "log": ["a", "b"]}
    assert await graph.ainvoke({"n": 0}) == {"n": 1, "log": ["a", "c"]}
    # LangGraph 1.2.24: [{'a': {'n': 2, 'log': ['a']}}, {'b': {'log': ['b']}}]
    assert [c async for c in graph.astream({"n": 1})] == [{"a": {"n": 2, "log": ["a"]}}, {"b": {"log": ["b"]}}]


async def test_list_of_commands() -> None:
    def m(s: NS) -> list[Command]:
        return [Command(update={"log": ["m1"]}), Command(update={"log": ["m2"]}, goto="b")]

    g = StateGraph(NS)
    g.add_node("m", m)
    g.add_node("b", mk("b"))
    g.add_edge(START, "m")
    graph = g.compile()
    # LangGraph 1.2.24: {'n': 0, 'log': ['m1', 'm2', 'b']}
    assert await graph.ainvoke({"n": 0}) == {"n": 0, "log": ["m1", "m2", "b"]}
    # LangGraph 1.2.24: [{'m': [{'log': ['m1']}, {'log': ['m2']}]}, {'b': {'log': ['b']}}]
    assert [c async for c in graph.astream({"n": 0})] == [
        {"m": [{"log": ["m1"]}, {"log": ["m2"]}]}, {"b": {"log": ["b"]}}
    ]


async def test_goto_end_still_fires_static_edges() -> None:
    g = StateGraph(NS)
    g.add_node("e", lambda s: Command(update={"log": ["e"]}, goto=END))
    g.add_node("f", mk("f"))
    g.add_edge(START, "e")
    g.add_edge("e", "f")
    # LangGraph 1.2.24: {'n': 0, 'log': ['e', 'f']}
    assert await g.compile().ainvoke({"n": 0}) == {"n": 0, "log": ["e", "f"]}


async def test_goto_list_with_sends() -> None:
    def fan(s: NS) -> Command:
        return Command(goto=[Send("w", 1), "b", Send("w", 2)], update={"log": ["fan"]})

    g = StateGraph(NS)
    g.add_node("fan", fan, destinations=("w", "b"))
    g.add_node("b", mk("b"))
    g.add_node("w", lambda x: {"log": [f"w{x}"]})
    g.add_edge(START, "fan")
    # LangGraph 1.2.24: {'n': 0, 'log': ['fan', 'b', 'w1', 'w2']}
    assert await g.compile().ainvoke({"n": 0}) == {"n": 0, "log": ["fan", "b", "w1", "w2"]}


async def test_command_update_as_pairs() -> None:
    g = StateGraph(NS)
    g.add_node("t", lambda s: Command(update=[("log", ["x"]), ("n", 7)]))
    g.add_edge(START, "t")
    graph = g.compile()
    # LangGraph 1.2.24: {'n': 7, 'log': ['x']}; updates [{'t': {'log': ['x'], 'n': 7}}]
    assert await graph.ainvoke({"n": 0}) == {"n": 7, "log": ["x"]}
    assert [c async for c in graph.astream({"n": 0})] == [{"t": {"log": ["x"], "n": 7}}]


def cmd_loop(s: NS) -> Command[Literal["loop", "__end__"]]:
    return Command(update={"n": s["n"] + 1}, goto="loop" if s["n"] < 3 else END)


async def test_command_loop() -> None:
    g = StateGraph(NS)
    g.add_node("loop", cmd_loop)
    g.add_edge(START, "loop")
    # LangGraph 1.2.24: {'n': 4, 'log': []}
    assert await g.compile().ainvoke({"n": 0}) == {"n": 4, "log": []}


async def test_goto_unknown_node_is_ignored() -> None:
    g = StateGraph(NS)
    g.add_node("u", lambda s: Command(goto="nope", update={"log": ["u"]}))
    g.add_edge(START, "u")
    # LangGraph 1.2.24: warning, then {'n': 0, 'log': ['u']}
    with pytest.warns(UnknownDestinationWarning, match="^Node 'u' at step 1 routed to 'nope'"):
        assert await g.compile().ainvoke({"n": 0}) == {"n": 0, "log": ["u"]}


async def test_command_returned_by_router_is_dropped() -> None:
    g = StateGraph(NS)
    g.add_node("a", mk("a"))
    g.add_node("b", mk("b"))
    g.add_edge(START, "a")
    g.add_conditional_edges("a", lambda s: Command(goto="b"))
    # LangGraph 1.2.24: warning "wrote to unknown channel branch:to:Command(goto='b')"; {'n': 0, 'log': ['a']}
    with pytest.warns(UnknownDestinationWarning, match=r"^Node 'a' at step 1 routed to Command\(goto='b'\)"):
        assert await g.compile().ainvoke({"n": 0}) == {"n": 0, "log": ["a"]}


async def test_command_parent_at_root_escapes_as_parent_command() -> None:
    g = StateGraph(NS)
    g.add_node("r", lambda s: Command(graph=Command.PARENT, goto="x"))
    g.add_edge(START, "r")
    # LangGraph 1.2.24: ParentCommand (a GraphBubbleUp), str "Command(goto='x')"
    with pytest.raises(ParentCommand) as info:
        await g.compile().ainvoke({"n": 0})
    assert isinstance(info.value, GraphBubbleUp)
    assert info.value.command.goto == "x"
