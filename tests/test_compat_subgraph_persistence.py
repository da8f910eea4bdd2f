"""LangGraph compatibility of subgraphs' checkpoints (issue 10): what the state API shows of a
subgraph's namespace (item 10), breakpoints compiled into a subgraph (item 8), a subgraph's own
``checkpointer=True | False | saver`` (item 7), and time travel from a subgraph checkpoint
(item 9). On asyncio and trio, memory and SQLite savers.

Expected values were produced by running the same graphs with LangGraph 1.2.24
(langgraph-checkpoint 4.3.2, langgraph-checkpoint-sqlite 3.1.2).
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, Command, StateGraph, interrupt
from actorgraph.persistence import BaseCheckpointSaver

pytestmark = pytest.mark.anyio

CFG: dict[str, Any] = {"configurable": {"thread_id": "1"}}


class S(TypedDict):
    value: Annotated[list[str], operator.add]


def pre(s: S) -> dict[str, Any]:
    return {"value": ["pre"]}


def ask(s: S) -> dict[str, Any]:
    return {"value": [f"a:{interrupt('Q?')}"]}


def asking_subgraph() -> Any:
    """pre -> ask (interrupts)"""
    return (StateGraph(S).add_node("pre", pre).add_node("ask", ask)
            .add_edge(START, "pre").add_edge("pre", "ask").compile())


def rows(history: list[Any]) -> list[tuple[Any, ...]]:
    return [(s.metadata["source"], s.metadata["step"], s.next, s.values) for s in history]


async def history_of(app: Any, config: dict[str, Any], **kwargs: Any) -> list[Any]:
    return [s async for s in app.aget_state_history(config, **kwargs)]


# -- item 10: the state API addresses one namespace ---------------------------------------------


async def test_parent_history_lists_only_the_parent_checkpoints(saver: BaseCheckpointSaver) -> None:
    def only_ask(s: S) -> dict[str, Any]:
        return {"value": [f"a:{interrupt('Q?')}"]}

    sub = StateGraph(S).add_node("ask", only_ask).add_edge(START, "ask").compile()
    app = StateGraph(S).add_node("executor", sub).add_edge(START, "executor").compile(checkpointer=saver)
    await app.ainvoke({"value": []}, CFG)
    await app.ainvoke(Command(resume="first"), CFG)
    history = await history_of(app, CFG)
    assert rows(history) == [
        ("loop", 1, (), {"value": ["a:first"]}),
        ("loop", 0, ("executor",), {"value": []}),
        ("input", -1, ("__start__",), {"value": []}),
    ]
    assert {s.config["configurable"]["checkpoint_ns"] for s in history} == {""}
    assert len(await history_of(app, CFG, limit=2)) == 2


async def test_a_subgraph_namespace_is_read_with_the_subgraph(saver: BaseCheckpointSaver) -> None:
    app = StateGraph(S).add_node("executor", asking_subgraph()).add_edge(START, "executor").compile(
        checkpointer=saver)
    await app.ainvoke({"value": []}, CFG)
    parent = await app.aget_state(CFG, subgraphs=True)
    sub_cfg = parent.tasks[0].state.config
    ns = sub_cfg["configurable"]["checkpoint_ns"]
    root_id = parent.config["configurable"]["checkpoint_id"]

    state = await app.aget_state(sub_cfg)
    assert (state.values, state.next) == ({"value": ["pre"]}, ("ask",))
    assert [t.name for t in state.tasks] == ["ask"]
    history = await history_of(app, {"configurable": {"thread_id": "1", "checkpoint_ns": ns}})
    assert rows(history) == [
        ("loop", 1, ("ask",), {"value": ["pre"]}),
        ("loop", 0, ("pre",), {"value": []}),
        ("input", -1, ("__start__",), {"value": []}),
    ]
    # a subgraph checkpoint's config (and its parent's) carry the checkpoint_map
    for snap in history:
        own = snap.config["configurable"]["checkpoint_id"]
        assert snap.config == {"configurable": {"thread_id": "1", "checkpoint_ns": ns, "checkpoint_id": own,
                                                "checkpoint_map": {"": root_id, ns: own}}}
        assert snap.metadata["parents"] == {"": root_id}
    for newer, older in zip(history, history[1:]):
        assert newer.parent_config == older.config
    assert sub_cfg == history[0].config
    assert parent.config == {"configurable": {"thread_id": "1", "checkpoint_ns": "",
                                              "checkpoint_id": root_id}}  # the root's has no map

    await app.ainvoke(Command(resume="first"), CFG)
    history = await history_of(app, {"configurable": {"thread_id": "1", "checkpoint_ns": ns}})
    assert rows(history)[0] == ("loop", 2, (), {"value": ["pre", "a:first"]})
    assert len(history) == 4

    # a namespace no subgraph has is read as the graph's own (and has nothing)
    nowhere = {"configurable": {"thread_id": "1", "checkpoint_ns": "nope:123"}}
    assert await history_of(app, nowhere) == []
    assert (await app.aget_state(nowhere)).values == {}


async def test_a_subgraph_called_by_a_function_node_is_found(saver: BaseCheckpointSaver) -> None:
    sub = asking_subgraph()

    async def caller(s: S) -> dict[str, Any]:
        out = await sub.ainvoke({"value": ["in"]})
        return {"value": out["value"]}

    app = StateGraph(S).add_node("caller", caller).add_edge(START, "caller").compile(checkpointer=saver)
    await app.ainvoke({"value": []}, CFG)
    paused = (await app.aget_state(CFG)).tasks[0].state
    assert list(paused["configurable"]) == ["thread_id", "checkpoint_ns"]
    inner = (await app.aget_state(CFG, subgraphs=True)).tasks[0].state
    assert (inner.values, inner.next) == ({"value": ["in", "pre"]}, ("ask",))
    assert rows(await history_of(app, paused)) == [
        ("loop", 1, ("ask",), {"value": ["in", "pre"]}),
        ("loop", 0, ("pre",), {"value": ["in"]}),
        ("input", -1, ("__start__",), {"value": []}),
    ]


# -- item 8: breakpoints compiled into a subgraph ----------------------------------------------


class K(TypedDict):
    my_key: str


def breakpoint_graph(saver: BaseCheckpointSaver | None, **breakpoint: list[str]) -> Any:
    """child (c1 -> c2, compiled with ``breakpoint``) -> after"""
    child = (StateGraph(K).add_node("c1", lambda s: {"my_key": s["my_key"] + " c1"})
             .add_node("c2", lambda s: {"my_key": s["my_key"] + " c2"})
             .add_edge(START, "c1").add_edge("c1", "c2").compile(**breakpoint))
    return (StateGraph(K).add_node("child", child).add_node("after", lambda s: {"my_key": s["my_key"] + " after"})
            .add_edge(START, "child").add_edge("child", "after").compile(checkpointer=saver))


def named(chunks: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Stream chunks with each namespace segment's task id left out."""
    return [(tuple(part.split(":")[0] for part in ns), *rest) for ns, *rest in chunks]


BREAKPOINTS = [{"interrupt_before": ["c2"]}, {"interrupt_after": ["c1"]}]


@pytest.mark.parametrize("breakpoint", BREAKPOINTS, ids=["before", "after"])
async def test_a_subgraph_breakpoint_pauses_the_run(saver: BaseCheckpointSaver,
                                                    breakpoint: dict[str, list[str]]) -> None:
    app = breakpoint_graph(saver, **breakpoint)
    chunks = [c async for c in app.astream({"my_key": "x"}, CFG, stream_mode=["updates", "values"], subgraphs=True)]
    assert named(chunks) == [
        ((), "values", {"my_key": "x"}),
        (("child",), "values", {"my_key": "x"}),
        (("child",), "updates", {"c1": {"my_key": "x c1"}}),
        (("child",), "values", {"my_key": "x c1"}),
        ((), "updates", {"__interrupt__": ()}),
    ]
    state = await app.aget_state(CFG)
    assert (state.values, state.next, state.interrupts) == ({"my_key": "x"}, ("child",), ())
    (task,) = state.tasks
    assert task.interrupts == ()
    assert task.state == {"configurable": {"thread_id": "1", "checkpoint_ns": f"child:{task.id}"}}
    inner = (await app.aget_state(CFG, subgraphs=True)).tasks[0].state
    assert (inner.values, inner.next, inner.interrupts) == ({"my_key": "x c1"}, ("c2",), ())
    history = await history_of(app, CFG)
    assert rows(history) == [
        ("loop", 0, ("child",), {"my_key": "x"}),
        ("input", -1, ("__start__",), {}),
    ]
    assert history[0].tasks[0].state == task.state  # every subgraph task shows where it keeps state

    chunks = [c async for c in app.astream(None, CFG, stream_mode=["updates", "values"], subgraphs=True)]
    assert named(chunks) == [
        ((), "values", {"my_key": "x"}),
        (("child",), "values", {"my_key": "x c1"}),
        (("child",), "updates", {"c2": {"my_key": "x c1 c2"}}),
        (("child",), "values", {"my_key": "x c1 c2"}),
        ((), "updates", {"child": {"my_key": "x c1 c2"}}),
        ((), "values", {"my_key": "x c1 c2"}),
        ((), "updates", {"after": {"my_key": "x c1 c2 after"}}),
        ((), "values", {"my_key": "x c1 c2 after"}),
    ]


@pytest.mark.parametrize("breakpoint", BREAKPOINTS, ids=["before", "after"])
async def test_a_subgraph_breakpoint_invoke_and_resume(saver: BaseCheckpointSaver,
                                                       breakpoint: dict[str, list[str]]) -> None:
    app = breakpoint_graph(saver, **breakpoint)
    assert await app.ainvoke({"my_key": "x"}, CFG) == {"my_key": "x"}  # no __interrupt__ key
    assert (await app.aget_state(CFG)).next == ("child",)
    assert await app.ainvoke(None, CFG) == {"my_key": "x c1 c2 after"}
    assert (await app.aget_state(CFG)).next == ()


@pytest.mark.parametrize("breakpoint", BREAKPOINTS, ids=["before", "after"])
async def test_a_subgraph_breakpoint_without_a_checkpointer_stops_the_run(breakpoint: dict[str, list[str]]) -> None:
    app = breakpoint_graph(None, **breakpoint)
    assert await app.ainvoke({"my_key": "x"}) == {"my_key": "x"}
