"""What a checkpoint records a node saw (``versions_seen``), as LangGraph 1.2 does, and what
``update_state`` without ``as_node`` infers from it.

As LangGraph: a task records the versions of its triggers that have a version (never a 0 for a
trigger never written); an ``update_state`` records nothing for the node it writes as; new
input drops the pending tasks as if they had run (their triggers are consumed: a join among
them starts over). ``update_state(config, values)`` then writes as the node that saw the newest
version, ``__start__`` when no node saw any, and raises "Ambiguous update" when two did.

Every expected value below was observed with LangGraph 1.2 (the same graphs, InMemorySaver).
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, StateGraph
from actorgraph.errors import InvalidUpdateError
from actorgraph.persistence import BaseCheckpointSaver

pytestmark = pytest.mark.anyio


class S(TypedDict):
    value: Annotated[list[str], operator.add]


def _node(name: str) -> Any:
    def run(state: S) -> dict[str, Any]:
        return {"value": [name]}

    return run


def chain(saver: BaseCheckpointSaver) -> Any:
    return (StateGraph(S).add_node("a", _node("a")).add_node("b", _node("b")).add_node("c", _node("c"))
            .add_edge(START, "a").add_edge("a", "b").add_edge("b", "c").compile(checkpointer=saver))


def diamond(saver: BaseCheckpointSaver, **kw: Any) -> Any:
    return (StateGraph(S).add_node("a", _node("a")).add_node("b", _node("b")).add_node("c", _node("c"))
            .add_node("d", _node("d")).add_edge(START, "a").add_edge("a", "b").add_edge("a", "c")
            .add_edge(["b", "c"], "d").compile(checkpointer=saver, **kw))


T = {"configurable": {"thread_id": "t"}}


async def _history(graph: Any) -> list[Any]:
    return [s async for s in graph.aget_state_history(T)]


async def test_update_at_a_new_input_infers_the_node_that_ran_last(saver: BaseCheckpointSaver) -> None:
    # The node that ran last before the input (c) is still the inferred one at the input's
    # checkpoint: nothing runs next.
    graph = chain(saver)
    await graph.ainvoke({"value": ["x"]}, T)
    await graph.ainvoke({"value": ["y"]}, T)
    inp = [s for s in await _history(graph) if s.metadata["source"] == "input"][0]
    config = await graph.aupdate_state(inp.config, {"value": ["u"]})
    state = await graph.aget_state(config)
    assert state.next == ()
    assert state.values == {"value": ["x", "a", "b", "c", "u"]}
    assert state.metadata["step"] == 5


async def test_an_update_records_nothing_seen_for_its_node(saver: BaseCheckpointSaver) -> None:
    # Written as b before a ran: c is next; the next inferred update is still __start__'s
    # (no node has seen a version), so a runs next, then b and c.
    graph = chain(saver)
    await graph.ainvoke({"value": ["x"]}, T)
    before_a = [s for s in await _history(graph) if s.next == ("a",)][0]
    config = await graph.aupdate_state(before_a.config, {"value": ["u1"]}, as_node="b")
    assert (await graph.aget_state(config)).next == ("c",)
    config = await graph.aupdate_state(config, {"value": ["u2"]})
    state = await graph.aget_state(config)
    assert state.next == ("a",)
    assert state.values == {"value": ["x", "u1", "u2"]}
    assert await graph.ainvoke(None, config) == {"value": ["x", "u1", "u2", "a", "b", "c"]}


async def test_updates_on_the_first_checkpoint_never_make_an_ambiguous_tie(saver: BaseCheckpointSaver) -> None:
    # (Recording a version 0 "seen" for each update's node made a and b tie: "Ambiguous
    # update, specify as_node".)
    graph = chain(saver)
    await graph.ainvoke({"value": ["x"]}, T)
    first = (await _history(graph))[-1]
    config = await graph.aupdate_state(first.config, {"value": ["u1"]}, as_node="a")
    config = await graph.aupdate_state(config, {"value": ["u2"]}, as_node="b")
    config = await graph.aupdate_state(config, {"value": ["u3"]})
    state = await graph.aget_state(config)
    assert state.next == ("a",)
    assert state.values == {"value": ["u1", "u2", "u3"]}


async def test_two_nodes_that_ran_together_make_the_update_ambiguous(saver: BaseCheckpointSaver) -> None:
    graph = diamond(saver, interrupt_before=["d"])
    await graph.ainvoke({"value": ["x"]}, T)
    assert (await graph.aget_state(T)).next == ("d",)
    with pytest.raises(InvalidUpdateError, match="Ambiguous update, specify as_node"):
        await graph.aupdate_state(T, {"value": ["u"]})


async def test_new_input_drops_a_pending_join_which_starts_over(saver: BaseCheckpointSaver) -> None:
    graph = diamond(saver, interrupt_before=["d"])
    await graph.ainvoke({"value": ["x"]}, T)
    assert await graph.ainvoke({"value": ["y"]}, T) == {"value": ["x", "a", "b", "c", "y", "a", "b", "c"]}
    assert (await graph.aget_state(T)).next == ("d",)
    assert await graph.ainvoke(None, T) == {"value": ["x", "a", "b", "c", "y", "a", "b", "c", "d"]}


async def test_a_single_node_graph_updates_a_new_thread_as_its_input(saver: BaseCheckpointSaver) -> None:
    graph = StateGraph(S).add_node("a", _node("a")).add_edge(START, "a").compile(checkpointer=saver)
    config = await graph.aupdate_state(T, {"value": ["u"]})
    assert (await graph.aget_state(config)).next == ("a",)
    assert await graph.ainvoke(None, config) == {"value": ["u", "a"]}


async def test_versions_seen_stays_the_size_of_the_state(saver: BaseCheckpointSaver) -> None:
    # A chain of 30 nodes: what each node saw of its (cleared) trigger is dropped once a newer
    # node ran, so a checkpoint never lists every node that ever ran.
    builder = StateGraph(S)
    prev = START
    for i in range(30):
        builder.add_node(f"n{i}", _node(f"n{i}"))
        builder.add_edge(prev, f"n{i}")
        prev = f"n{i}"
    graph = builder.compile(checkpointer=saver)
    await graph.ainvoke({"value": []}, T)
    saved = await saver.aget_tuple(T)
    assert saved is not None
    assert list(saved.checkpoint.versions_seen) == ["n29"]
    # and the inference still names the last node (nothing runs next)
    config = await graph.aupdate_state(T, {"value": ["u"]})
    assert (await graph.aget_state(config)).next == ()


async def test_after_a_replay_of_the_input_no_node_is_inferred(saver: BaseCheckpointSaver) -> None:
    # LangGraph 1.2 records that a run resumed (versions seen under "__interrupt__", no node):
    # on the fork a replay of the input checkpoint writes, no node saw anything but something
    # was seen, so it finds no node to write as.
    graph = chain(saver)
    await graph.ainvoke({"value": ["x"]}, T)
    first = (await _history(graph))[-1]
    assert first.metadata["source"] == "input"
    await graph.ainvoke(None, first.config)
    fork = [s for s in await _history(graph) if s.metadata["source"] == "fork"][0]
    assert (fork.metadata["step"], fork.next) == (0, ("__start__",))
    with pytest.raises(InvalidUpdateError, match="Ambiguous update, specify as_node"):
        await graph.aupdate_state(fork.config, {"value": ["u"]})
    # the input checkpoint itself (before any resume) still infers __start__
    config = await graph.aupdate_state(first.config, {"value": ["u"]})
    assert (await graph.aget_state(config)).next == ("a",)
