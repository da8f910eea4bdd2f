"""``sub.astream()`` consumed inside a node runs as that node's subgraph (issue 10, leftover).

Observed from LangGraph 1.2 (scratch runs of the graphs below): a node iterating
``sub.astream(...)`` gets its chunks as usual, and the run is that node's subgraph: it is
checkpointed under the node's namespace (``call:<task id>``, and ``call:<id>|leaf:<id>`` for a
subgraph inside it), and its events stream under ``('call:<task id>',)`` when the parent
streams with ``subgraphs=True`` (none when it does not). The inner consumer sees full
namespaces (``('call:<id>',)``, ``('call:<id>', 'leaf:<id>')``) when it streams subgraphs
itself; events of runs below the inner stream then go to it alone, otherwise on up to the
parent's stream.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import anyio
import pytest

from actorgraph import START, StateGraph
from actorgraph.persistence import BaseCheckpointSaver

pytestmark = pytest.mark.anyio


class S(TypedDict, total=False):
    items: Annotated[list[str], operator.add]


def names(ns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part.split(":")[0] for part in ns)


def build(saver: BaseCheckpointSaver | None, got: list[Any], inner_subgraphs: bool) -> Any:
    leaf = StateGraph(S).add_node("l", lambda s: {"items": ["l"]}).add_edge(START, "l").compile()
    sub = (StateGraph(S).add_node("s1", lambda s: {"items": ["s1"]}).add_node("leaf", leaf)
           .add_edge(START, "s1").add_edge("s1", "leaf").compile())

    async def call(state: S) -> dict[str, Any]:
        async for chunk in sub.astream({"items": ["in"]}, stream_mode=["values", "updates"],
                                       subgraphs=inner_subgraphs):
            got.append((names(chunk[0]), chunk[1], chunk[2]) if inner_subgraphs else chunk)
        return {"items": ["call"]}

    return StateGraph(S).add_node("call", call).add_edge(START, "call").compile(checkpointer=saver)


INNER_WITH_SUBGRAPHS = [
    (("call",), "values", {"items": ["in"]}),
    (("call",), "updates", {"s1": {"items": ["s1"]}}),
    (("call",), "values", {"items": ["in", "s1"]}),
    (("call", "leaf"), "values", {"items": ["in", "s1"]}),
    (("call", "leaf"), "updates", {"l": {"items": ["l"]}}),
    (("call", "leaf"), "values", {"items": ["in", "s1", "l"]}),
    (("call",), "updates", {"leaf": {"items": ["in", "s1", "l"]}}),
    (("call",), "values", {"items": ["in", "s1", "in", "s1", "l"]}),
]

INNER_WITHOUT_SUBGRAPHS = [
    ("values", {"items": ["in"]}),
    ("updates", {"s1": {"items": ["s1"]}}),
    ("values", {"items": ["in", "s1"]}),
    ("updates", {"leaf": {"items": ["in", "s1", "l"]}}),
    ("values", {"items": ["in", "s1", "in", "s1", "l"]}),
]


@pytest.mark.parametrize("inner_subgraphs", [True, False])
async def test_the_parent_streams_the_inner_run_as_its_subgraph(saver: BaseCheckpointSaver,
                                                               inner_subgraphs: bool) -> None:
    got: list[Any] = []
    graph = build(saver, got, inner_subgraphs)
    cfg = {"configurable": {"thread_id": "t"}}
    events = [(names(ns), chunk) async for ns, chunk in graph.astream({"items": []}, cfg, subgraphs=True)]
    if inner_subgraphs:  # the leaf's events went to the inner stream alone
        assert events == [
            (("call",), {"s1": {"items": ["s1"]}}),
            (("call",), {"leaf": {"items": ["in", "s1", "l"]}}),
            ((), {"call": {"items": ["call"]}}),
        ]
        assert got == INNER_WITH_SUBGRAPHS
    else:
        assert events == [
            (("call",), {"s1": {"items": ["s1"]}}),
            (("call", "leaf"), {"l": {"items": ["l"]}}),
            (("call",), {"leaf": {"items": ["in", "s1", "l"]}}),
            ((), {"call": {"items": ["call"]}}),
        ]
        assert got == INNER_WITHOUT_SUBGRAPHS
    spaces = set()
    async for t in saver.alist({"configurable": {"thread_id": "t"}}):
        spaces.add(t.config["configurable"]["checkpoint_ns"])
    assert sorted(names(tuple(ns.split("|"))) for ns in spaces) == [("",), ("call",), ("call", "leaf")]
    [call_ns] = [ns for ns in spaces if ns.count(":") == 1]
    state = await graph.aget_state(cfg)
    assert state.values == {"items": ["call"]}
    inner = [t async for t in saver.alist({"configurable": {"thread_id": "t", "checkpoint_ns": call_ns}})]
    assert inner[0].checkpoint.channel_values["items"] == ["in", "s1", "in", "s1", "l"]


@pytest.mark.parametrize("inner_subgraphs", [True, False])
async def test_a_parent_not_streaming_subgraphs_shows_none_of_it(inner_subgraphs: bool) -> None:
    got: list[Any] = []
    graph = build(None, got, inner_subgraphs)
    assert [c async for c in graph.astream({"items": []})] == [{"call": {"items": ["call"]}}]
    assert got == (INNER_WITH_SUBGRAPHS if inner_subgraphs else INNER_WITHOUT_SUBGRAPHS)
    got.clear()
    assert await graph.ainvoke({"items": []}) == {"items": ["call"]}  # nobody streams the parent
    assert got == (INNER_WITH_SUBGRAPHS if inner_subgraphs else INNER_WITHOUT_SUBGRAPHS)


async def test_leaving_the_inner_stream_early_stops_the_inner_run() -> None:
    # (LangGraph 1.2, with sync nodes s1 -> s2: breaking after s1's chunk, s2 never ran. Here s2
    # waits for an event nobody sets: only the inner run's cancellation can end it.)
    ran: list[str] = []

    async def s2(state: S) -> dict[str, Any]:
        ran.append("s2 started")
        await anyio.Event().wait()
        ran.append("s2 done")
        return {"items": ["s2"]}

    sub = (StateGraph(S).add_node("s1", lambda s: ran.append("s1") or {"items": ["s1"]})
           .add_node("s2", s2).add_edge(START, "s1").add_edge("s1", "s2").compile())

    async def call(state: S) -> dict[str, Any]:
        async for chunk in sub.astream({"items": []}):
            assert chunk == {"s1": {"items": ["s1"]}}
            break
        return {"items": ["call"]}

    graph = StateGraph(S).add_node("call", call).add_edge(START, "call").compile()
    with anyio.fail_after(60):  # (a guard against hanging, not a timing assertion)
        assert await graph.ainvoke({"items": []}) == {"items": ["call"]}
    assert ran[0] == "s1" and "s2 done" not in ran
