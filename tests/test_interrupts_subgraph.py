"""``interrupt()`` inside a subgraph, resumed from the parent (issue 5). On asyncio and trio,
memory and SQLite. Expected values from running the same graphs with LangGraph 1.2.24.

The subgraph is checkpointed under its own namespace in the parent's thread, so on resume it
continues from its checkpoint: child nodes that finished before the interrupt do not run again.
"""

from __future__ import annotations

from typing import Any

import pytest

from actorgraph import END, START, Command, StateGraph, interrupt
from test_interrupts import Log, cfg

pytestmark = pytest.mark.anyio


def nested(saver: Any, counts: dict[str, int], *, in_function: bool = False) -> Any:
    """p1 -> child (c1 -> c2 (asks) -> c3) -> p2."""

    def node(name: str) -> Any:
        def fn(state: Log) -> dict[str, Any]:
            counts[name] += 1
            return {"log": [name]}

        return fn

    def c2(state: Log) -> dict[str, Any]:
        counts["c2"] += 1
        return {"log": [f"c2:{interrupt('child?')}"]}

    cg = StateGraph(Log)
    cg.add_node("c1", node("c1"))
    cg.add_node("c2", c2)
    cg.add_node("c3", node("c3"))
    cg.add_edge(START, "c1")
    cg.add_edge("c1", "c2")
    cg.add_edge("c2", "c3")
    cg.add_edge("c3", END)
    child = cg.compile()

    async def call_child(state: Log) -> dict[str, Any]:
        out = await child.ainvoke({"log": []})
        return {"log": out["log"]}

    pg = StateGraph(Log)
    pg.add_node("p1", node("p1"))
    pg.add_node("child", call_child if in_function else child)
    pg.add_node("p2", node("p2"))
    pg.add_edge(START, "p1")
    pg.add_edge("p1", "child")
    pg.add_edge("child", "p2")
    pg.add_edge("p2", END)
    return pg.compile(checkpointer=saver)


def zero() -> dict[str, int]:
    return dict.fromkeys(("p1", "c1", "c2", "c3", "p2"), 0)


async def test_subgraph_interrupt_resumed_from_parent(saver: Any) -> None:
    counts = zero()
    app = nested(saver, counts)
    out = await app.ainvoke({"log": []}, cfg())
    # LangGraph 1.2.24: {'log': ['p1'], '__interrupt__': [Interrupt(value='child?', id=...)]}
    # counts p1 1, c1 1, c2 1, c3 0, p2 0
    assert out["log"] == ["p1"] and [i.value for i in out["__interrupt__"]] == ["child?"]
    assert counts == {"p1": 1, "c1": 1, "c2": 1, "c3": 0, "p2": 0}
    state = await app.aget_state(cfg())
    # LangGraph 1.2.24: values {'log': ['p1']}, next ('child',), the interrupt on the parent's task
    assert state.values == {"log": ["p1"]} and state.next == ("child",)
    assert state.interrupts == tuple(out["__interrupt__"])
    assert [(t.name, t.interrupts) for t in state.tasks] == [("child", state.interrupts)]
    # LangGraph 1.2.24: {'log': ['p1', 'p1', 'c1', 'c2:yes', 'c3', 'p2']} (the child's full state is
    # re-reduced into the parent's reducer key)
    assert await app.ainvoke(Command(resume="yes"), cfg()) == {"log": ["p1", "p1", "c1", "c2:yes", "c3", "p2"]}
    # LangGraph 1.2.24: p1 1, c1 1, c2 2, c3 1, p2 1 (the child resumes from its own checkpoint)
    assert counts == {"p1": 1, "c1": 1, "c2": 2, "c3": 1, "p2": 1}
    state = await app.aget_state(cfg())
    assert (state.next, state.interrupts) == ((), ())


async def test_subgraph_interrupt_streamed(saver: Any) -> None:
    counts = zero()
    app = nested(saver, counts)
    chunks = [c async for c in app.astream({"log": []}, cfg(), stream_mode="updates")]
    # LangGraph 1.2.24: [{'p1': {'log': ['p1']}}, {'__interrupt__': (Interrupt(value='child?', ...),)}]
    assert chunks[0] == {"p1": {"log": ["p1"]}} and len(chunks) == 2
    assert [i.value for i in chunks[1]["__interrupt__"]] == ["child?"]
    chunks = [c async for c in app.astream(Command(resume="yes"), cfg(), stream_mode="updates")]
    # LangGraph 1.2.24: [{'child': {'log': ['p1', 'c1', 'c2:yes', 'c3']}}, {'p2': {'log': ['p2']}}]
    assert chunks == [{"child": {"log": ["p1", "c1", "c2:yes", "c3"]}}, {"p2": {"log": ["p2"]}}]


async def test_subgraph_called_inside_a_node_interrupt(saver: Any) -> None:
    counts = zero()
    app = nested(saver, counts, in_function=True)
    out = await app.ainvoke({"log": []}, cfg())
    # LangGraph 1.2.24: {'log': ['p1'], '__interrupt__': [Interrupt(value='child?', ...)]}
    assert out["log"] == ["p1"] and [i.value for i in out["__interrupt__"]] == ["child?"]
    # LangGraph 1.2.24: {'log': ['p1', 'c1', 'c2:ok', 'c3', 'p2']} (only what the node returns)
    assert await app.ainvoke(Command(resume="ok"), cfg()) == {"log": ["p1", "c1", "c2:ok", "c3", "p2"]}
    # LangGraph 1.2.24: c1 1 (the child's checkpoint is restored)
    assert counts == {"p1": 1, "c1": 1, "c2": 2, "c3": 1, "p2": 1}


async def test_paused_subgraph_task_points_at_its_checkpoint_namespace(saver: Any) -> None:
    app = nested(saver, zero())
    await app.ainvoke({"log": []}, cfg())
    (task,) = (await app.aget_state(cfg())).tasks
    # LangGraph 1.2.24: {'configurable': {'thread_id': '1', 'checkpoint_ns': 'child:<task id>'}}
    assert task.state == {"configurable": {"thread_id": "1", "checkpoint_ns": f"child:{task.id}"}}
    # the subgraph's own history lives there, with the parent's checkpoint in `parents`
    child_cfg = {"configurable": {"thread_id": "1", "checkpoint_ns": f"child:{task.id}"}}
    child = [t async for t in saver.alist(child_cfg)]
    assert child and all(t.metadata["parents"].keys() == {""} for t in child)
    root = await saver.aget_tuple(cfg())
    assert child[0].metadata["parents"][""] == root.checkpoint.id


async def test_get_state_with_subgraphs_shows_the_paused_subgraph(saver: Any) -> None:
    app = nested(saver, zero())
    await app.ainvoke({"log": []}, cfg())
    (task,) = (await app.aget_state(cfg(), subgraphs=True)).tasks
    child = task.state
    # LangGraph: with subgraphs=True the task's state is the child's StateSnapshot
    assert child.next == ("c2",)
    assert child.values == {"log": ["p1", "c1"]}
    assert [i.value for i in child.interrupts] == [i.value for i in task.interrupts]
