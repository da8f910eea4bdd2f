"""Destinations that are not nodes (issue 10 item 19): a conditional edge's router, a node's
``Command(goto=...)`` and a ``Send`` naming something that is not a node of the graph. LangGraph
1.2.24 drops such a destination with a log line and goes on, and raises for a few invalid ones;
actorgraph raises the same error types and, where LangGraph only logs, issues an
:class:`UnknownDestinationWarning` naming the node, the destination and the step (the run then
gives LangGraph's result). On asyncio and trio.

Expected outputs and error types were produced by running the same graphs with LangGraph 1.2.24.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import END, START, Command, Send, StateGraph
from actorgraph.errors import InvalidUpdateError, UnknownDestinationWarning

pytestmark = pytest.mark.anyio


class Log(TypedDict):
    log: Annotated[list[str], operator.add]


def with_b() -> StateGraph:
    return StateGraph(Log).add_node("b", lambda s: {"log": ["b"]})


def routed(router: Callable[[Log], Any]) -> Any:
    """START -> a (writes 'a') -> router; node b exists."""
    g = with_b().add_node("a", lambda s: {"log": ["a"]}).add_edge(START, "a")
    return g.add_conditional_edges("a", router).compile()


def returning(result: Any) -> Any:
    """START -> a, which returns ``result``; node b exists."""
    return with_b().add_node("a", lambda s: result).add_edge(START, "a").compile()


# -- a conditional edge's router --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "destination", "out"),
    [
        ("nope", "'nope'", {"log": ["a"]}),
        (["b", "nope"], "'nope'", {"log": ["a", "b"]}),  # the known destination still runs
        ([Send("nope", {"log": []})], "Send('nope', ...)", {"log": ["a"]}),
        (3, "3", {"log": ["a"]}),
    ],
)
async def test_router_to_an_unknown_destination_warns_and_drops_it(route: Any, destination: str, out: Any) -> None:
    # LangGraph: a log warning ("... wrote to unknown channel branch:to:nope, ignoring it." /
    # "Ignoring unknown node name nope in pending sends"), then this output.
    app = routed(lambda s: route)
    with pytest.warns(UnknownDestinationWarning) as caught:
        assert await app.ainvoke({"log": []}) == out
    assert [str(w.message) for w in caught] == [
        f"Node 'a' at step 1 routed to {destination}, which is not a node of graph 'LangGraph': ignoring it"
    ]


async def test_router_of_start_to_an_unknown_send_warns() -> None:
    # LangGraph: warns, {'log': []}
    g = with_b().add_node("a", lambda s: {"log": ["a"]})
    app = g.add_conditional_edges(START, lambda s: [Send("nope", {})]).compile()
    with pytest.warns(UnknownDestinationWarning, match=r"^Node '__start__' at step 0 routed to Send\('nope', \.\.\.\)"):
        assert await app.ainvoke({"log": []}) == {"log": []}


# -- a node's Command(goto=...) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "destination", "out"),
    [
        (Command(goto="nope", update={"log": ["a"]}), "'nope'", {"log": ["a"]}),
        (Command(goto=["b", "nope"]), "'nope'", {"log": ["b"]}),
        (Command(goto=Send("nope", {}), update={"log": ["a"]}), "Send('nope', ...)", {"log": ["a"]}),
        (Command(goto=Send(END, {})), "Send('__end__', ...)", {"log": []}),  # a warning, not an error
        (Command(goto=START), "'__start__'", {"log": []}),
        (Command(goto=Send(START, {})), "Send('__start__', ...)", {"log": []}),  # LangGraph: loops forever
    ],
)
async def test_goto_an_unknown_destination_warns_and_drops_it(command: Command[Any], destination: str, out: Any) -> None:
    with pytest.warns(UnknownDestinationWarning) as caught:
        assert await returning(command).ainvoke({"log": []}) == out
    assert [str(w.message) for w in caught] == [
        f"Node 'a' at step 1 routed to {destination}, which is not a node of graph 'LangGraph': ignoring it"
    ]


@pytest.mark.parametrize("goto", [3, None])
async def test_goto_that_is_no_destination_at_all_is_a_type_error(goto: Any) -> None:
    # LangGraph: TypeError ("'int' object is not iterable" / "'NoneType' object is not iterable")
    with pytest.raises(TypeError, match=rf"^Node 'a' returned Command\(goto={goto}\): goto takes a node name"):
        await returning(Command(goto=goto)).ainvoke({"log": []})


@pytest.mark.parametrize(("goto", "destination"), [("nope", "'nope'"), (Send("nope", {}), "Send('nope', ...)")])
async def test_command_input_goto_an_unknown_destination_warns(goto: Any, destination: str) -> None:
    # LangGraph 1.2.24 logs it ("wrote to unknown channel" / "Ignoring unknown node name"). On a
    # fresh thread the Command is __start__'s input: its task routes the goto at step 0, and
    # START's edges still run (b).
    app = with_b().add_edge(START, "b").compile()
    with pytest.warns(UnknownDestinationWarning) as caught:
        assert await app.ainvoke(Command(goto=goto)) == {"log": ["b"]}
    assert [str(w.message) for w in caught] == [
        f"Node '__start__' at step 0 routed to {destination}, which is not a node of graph 'LangGraph': ignoring it"
    ]


async def test_unknown_destination_in_a_subgraph_names_its_namespace() -> None:
    sub = with_b().add_node("a", lambda s: Command(goto="nope")).add_edge(START, "a").compile()
    app = StateGraph(Log).add_node("sub", sub).add_edge(START, "sub").compile()
    with pytest.warns(UnknownDestinationWarning, match=r"^Node 'a' at step 1 in sub:[0-9a-f-]+ routed to 'nope'"):
        assert await app.ainvoke({"log": []}) == {"log": []}


async def test_unknown_destination_warning_can_be_made_an_error() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", UnknownDestinationWarning)
        with pytest.raises(UnknownDestinationWarning, match="routed to 'nope'"):
            await returning(Command(goto="nope")).ainvoke({"log": []})


# -- what raises (as in LangGraph) --------------------------------------------------------------------


@pytest.mark.parametrize("route", [None, START, ["b", START]])
async def test_router_returning_none_or_start_is_a_value_error(route: Any) -> None:
    # LangGraph: ValueError('Branch did not return a valid destination')
    with pytest.raises(ValueError, match="^Branch did not return a valid destination") as caught:
        await routed(lambda s: route).ainvoke({"log": []})
    assert "Returned by the router of the conditional edge at 'a' node, 'condition' branch" in caught.value.__notes__


async def test_router_sending_to_end_is_an_invalid_update() -> None:
    # LangGraph: InvalidUpdateError('Cannot send a packet to the END node')
    with pytest.raises(InvalidUpdateError, match="^Cannot send a packet to the END node"):
        await routed(lambda s: [Send(END, {"log": []})]).ainvoke({"log": []})


async def test_router_key_missing_from_path_map_is_a_key_error() -> None:
    # LangGraph: KeyError('zz')
    g = with_b().add_node("a", lambda s: {"log": ["a"]}).add_edge(START, "a")
    app = g.add_conditional_edges("a", lambda s: "zz", {"x": "b"}).compile()
    with pytest.raises(KeyError, match="^'zz'"):
        await app.ainvoke({"log": []})


async def test_router_through_path_map_to_a_node() -> None:
    g = with_b().add_node("a", lambda s: {"log": ["a"]}).add_edge(START, "a")
    app = g.add_conditional_edges("a", lambda s: "k", {"k": "b"}).compile()
    assert await app.ainvoke({"log": []}) == {"log": ["a", "b"]}


async def test_a_saved_send_to_a_node_the_graph_no_longer_has_warns() -> None:
    # LangGraph: "Ignoring unknown node name b in pending sends" (a log line), then goes on.
    from actorgraph.persistence import InMemorySaver

    saver = InMemorySaver()
    config = {"configurable": {"thread_id": "1"}}
    g = with_b().add_node("a", lambda s: {"log": ["a"]}).add_edge(START, "a")
    v1 = g.add_conditional_edges("a", lambda s: [Send("b", {"log": []})]).compile(
        checkpointer=saver, interrupt_before=["b"])
    assert await v1.ainvoke({"log": []}, config) == {"log": ["a"]}
    assert (await v1.aget_state(config)).next == ("b",)
    v2 = StateGraph(Log).add_node("a", lambda s: {"log": ["a"]}).add_edge(START, "a").compile(checkpointer=saver)
    with pytest.warns(UnknownDestinationWarning) as caught:
        assert await v2.ainvoke(None, config) == {"log": ["a"]}
    assert {str(w.message) for w in caught} == {
        "A pending Send to 'b' at step 2 names no node of graph 'LangGraph': ignoring it"
    }
