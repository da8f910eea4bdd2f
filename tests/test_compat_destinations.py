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

from actorgraph import END, START, Send, StateGraph
from actorgraph.errors import InvalidUpdateError

pytestmark = pytest.mark.anyio


class Log(TypedDict):
    log: Annotated[list[str], operator.add]


def with_b() -> StateGraph:
    return StateGraph(Log).add_node("b", lambda s: {"log": ["b"]})


def routed(router: Callable[[Log], Any]) -> Any:
    """START -> a (writes 'a') -> router; node b exists."""
    g = with_b().add_node("a", lambda s: {"log": ["a"]}).add_edge(START, "a")
    return g.add_conditional_edges("a", router).compile()


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

