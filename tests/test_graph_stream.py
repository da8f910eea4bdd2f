"""Stream chunk shapes of every mode, several modes at once, subgraph namespaces; sync APIs.

Expected values come from running the same graphs on LangGraph 1.2.24 (never from actorgraph).
Task ids and timestamps differ by design: they are compared by shape, namespaces by the part
before ':'.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypedDict

import pytest

from actorgraph import START, StateGraph, StreamWriter
from _helpers import S, ab_graph, child_graph, collect, no_id, private_graph, push_and_pull, strip_ns

pytestmark = pytest.mark.anyio


async def test_values_mode() -> None:
    # LangGraph 1.2.24: [{'x': 1, 'log': []}, {'x': 2, 'log': ['a']}, {'x': 2, 'log': ['a', 'b']}]
    assert await collect(ab_graph(), {"x": 1}, stream_mode="values") == [
        {"x": 1, "log": []}, {"x": 2, "log": ["a"]}, {"x": 2, "log": ["a", "b"]}
    ]


async def test_values_mode_emits_after_a_step_that_rewrote_a_value_unchanged() -> None:
    g = StateGraph(S)
    g.add_node("a", lambda s: {"x": 1})
    g.add_node("b", lambda s: None)
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    # LangGraph 1.2.24: [{'x': 1, 'log': []}, {'x': 1, 'log': []}] (nothing after b, which wrote nothing)
    assert await collect(g.compile(), {"x": 1}, stream_mode="values") == [{"x": 1, "log": []}, {"x": 1, "log": []}]


async def test_updates_mode_is_the_default() -> None:
    expected = [{"a": {"x": 2, "log": ["a"]}}, {"b": {"log": ["b"]}}]
    # LangGraph 1.2.24: [{'a': {'x': 2, 'log': ['a']}}, {'b': {'log': ['b']}}]
    assert await collect(ab_graph(), {"x": 1}, stream_mode="updates") == expected
    assert await collect(ab_graph(), {"x": 1}) == expected


async def test_custom_mode_via_get_stream_writer_and_writer_kwarg() -> None:
    # LangGraph 1.2.24: [{'custom_a': 1}, 'b-progress', {'n': 2}]
    assert await collect(ab_graph(), {"x": 1}, stream_mode="custom") == [{"custom_a": 1}, "b-progress", {"n": 2}]


async def test_tasks_mode() -> None:
    chunks = await collect(ab_graph(), {"x": 1}, stream_mode="tasks")
    # LangGraph 1.2.24 (ids aside): start and result of a, then of b; triggers is a tuple
    assert [no_id(c) for c in chunks] == [
        {"name": "a", "input": {"x": 1, "log": []}, "triggers": ("branch:to:a",)},
        {"name": "a", "error": None, "result": {"x": 2, "log": ["a"]}, "interrupts": []},
        {"name": "b", "input": {"x": 2, "log": ["a"]}, "triggers": ("branch:to:b",)},
        {"name": "b", "error": None, "result": {"log": ["b"]}, "interrupts": []},
    ]
    assert chunks[0]["id"] == chunks[1]["id"] != chunks[2]["id"] == chunks[3]["id"]
    assert all(isinstance(c["id"], str) and len(c["id"]) == 36 for c in chunks)


async def test_tasks_mode_result_of_a_node_returning_none() -> None:
    g = StateGraph(S)
    g.add_node("a", lambda s: None)
    g.add_edge(START, "a")
    chunks = await collect(g.compile(), {"x": 1}, stream_mode="tasks")
    # LangGraph 1.2.24: result {} for a node returning None
    assert [no_id(c) for c in chunks] == [
        {"name": "a", "input": {"x": 1, "log": []}, "triggers": ("branch:to:a",)},
        {"name": "a", "error": None, "result": {}, "interrupts": []},
    ]


async def test_debug_mode_structure() -> None:
    chunks = await collect(ab_graph(), {"x": 1}, stream_mode="debug")
    # LangGraph 1.2.24 (no checkpointer; timestamps and ids aside):
    # step 1 task a, step 1 task_result a, step 2 task b, step 2 task_result b
    assert [(c["step"], c["type"], no_id(c["payload"])) for c in chunks] == [
        (1, "task", {"name": "a", "input": {"x": 1, "log": []}, "triggers": ("branch:to:a",)}),
        (1, "task_result", {"name": "a", "error": None, "result": {"x": 2, "log": ["a"]}, "interrupts": []}),
        (2, "task", {"name": "b", "input": {"x": 2, "log": ["a"]}, "triggers": ("branch:to:b",)}),
        (2, "task_result", {"name": "b", "error": None, "result": {"log": ["b"]}, "interrupts": []}),
    ]
    assert all(set(c) == {"step", "timestamp", "type", "payload"} for c in chunks)
    assert all(isinstance(c["timestamp"], str) for c in chunks)


async def test_several_modes_yield_mode_chunk_tuples() -> None:
    chunks = await collect(ab_graph(), {"x": 1}, stream_mode=["values", "updates", "custom"])
    # LangGraph 1.2.24: exactly this order
    assert chunks == [
        ("values", {"x": 1, "log": []}),
        ("custom", {"custom_a": 1}),
        ("updates", {"a": {"x": 2, "log": ["a"]}}),
        ("values", {"x": 2, "log": ["a"]}),
        ("custom", "b-progress"),
        ("custom", {"n": 2}),
        ("updates", {"b": {"log": ["b"]}}),
        ("values", {"x": 2, "log": ["a", "b"]}),
    ]


async def test_debug_and_updates_order() -> None:
    g = StateGraph(S)
    g.add_node("a", lambda s: {"x": 5})
    g.add_edge(START, "a")
    chunks = await collect(g.compile(), {"x": 1}, stream_mode=["debug", "updates"])
    # LangGraph 1.2.24: [('debug', task), ('updates', {'a': {'x': 5}}), ('debug', task_result)]
    assert [(m, c["type"] if m == "debug" else c) for m, c in chunks] == [
        ("debug", "task"), ("updates", {"a": {"x": 5}}), ("debug", "task_result")
    ]


async def test_subgraphs_true_single_mode_namespaces() -> None:
    chunks = await collect(child_graph(), {"x": 1}, subgraphs=True)
    # LangGraph 1.2.24: [((), a), (('child:<id>',), c1), ((), child)]
    assert [(strip_ns(ns), c) for ns, c in chunks] == [
        ((), {"a": {"x": 2, "log": ["a"]}}),
        (("child",), {"c1": {"log": ["c1"]}}),
        ((), {"child": {"x": 2, "log": ["a", "c1"]}}),
    ]
    ns = chunks[1][0]
    assert isinstance(ns, tuple) and len(ns) == 1 and ns[0].startswith("child:") and len(ns[0]) == len("child:") + 36


async def test_subgraphs_true_several_modes() -> None:
    chunks = await collect(child_graph(), {"x": 1}, stream_mode=["updates", "values", "custom"], subgraphs=True)
    # LangGraph 1.2.24: exactly this order (namespaces stripped of task ids)
    assert [(strip_ns(ns), m, c) for ns, m, c in chunks] == [
        ((), "values", {"x": 1, "log": []}),
        ((), "custom", {"custom_a": 1}),
        ((), "updates", {"a": {"x": 2, "log": ["a"]}}),
        ((), "values", {"x": 2, "log": ["a"]}),
        (("child",), "values", {"x": 2, "log": ["a"]}),
        (("child",), "custom", "from c1"),
        (("child",), "updates", {"c1": {"log": ["c1"]}}),
        (("child",), "values", {"x": 2, "log": ["a", "c1"]}),
        ((), "updates", {"child": {"x": 2, "log": ["a", "c1"]}}),
        ((), "values", {"x": 2, "log": ["a", "a", "c1"]}),
    ]


async def test_subgraphs_true_values_mode() -> None:
    chunks = await collect(child_graph(), {"x": 1}, stream_mode="values", subgraphs=True)
    # LangGraph 1.2.24
    assert [(strip_ns(ns), c) for ns, c in chunks] == [
        ((), {"x": 1, "log": []}),
        ((), {"x": 2, "log": ["a"]}),
        (("child",), {"x": 2, "log": ["a"]}),
        (("child",), {"x": 2, "log": ["a", "c1"]}),
        ((), {"x": 2, "log": ["a", "a", "c1"]}),
    ]


async def test_without_subgraphs_values_show_only_the_root() -> None:
    # LangGraph 1.2.24: [{'x': 1, 'log': []}, {'x': 2, 'log': ['a']}, {'x': 2, 'log': ['a', 'a', 'c1']}]
    assert await collect(child_graph(), {"x": 1}, stream_mode="values") == [
        {"x": 1, "log": []}, {"x": 2, "log": ["a"]}, {"x": 2, "log": ["a", "a", "c1"]}
    ]


async def test_subgraphs_true_custom_mode() -> None:
    chunks = await collect(child_graph(), {"x": 1}, stream_mode="custom", subgraphs=True)
    # LangGraph 1.2.24: [((), {'custom_a': 1}), (('child:<id>',), 'from c1')]
    assert [(strip_ns(ns), c) for ns, c in chunks] == [((), {"custom_a": 1}), (("child",), "from c1")]


async def test_subgraphs_true_tasks_mode() -> None:
    class C(TypedDict):
        x: int

    async def c1(s: Any, writer: StreamWriter) -> dict[str, Any]:
        writer("c1 says")
        return {"x": 5}

    cg = StateGraph(C)
    cg.add_node("c1", c1)
    cg.add_edge(START, "c1")
    g = StateGraph(S)
    g.add_node("child", cg.compile())
    g.add_edge(START, "child")
    chunks = await collect(g.compile(), {"x": 1}, stream_mode="tasks", subgraphs=True)
    # LangGraph 1.2.24
    assert [(strip_ns(ns), no_id(c)) for ns, c in chunks] == [
        ((), {"name": "child", "input": {"x": 1, "log": []}, "triggers": ("branch:to:child",)}),
        (("child",), {"name": "c1", "input": {"x": 1}, "triggers": ("branch:to:c1",)}),
        (("child",), {"name": "c1", "error": None, "result": {"x": 5}, "interrupts": []}),
        ((), {"name": "child", "error": None, "result": {"x": 5}, "interrupts": []}),
    ]


# -- sync API ----------------------------------------------------------------------------------


def test_sync_stream_and_invoke() -> None:
    graph = ab_graph()
    # LangGraph 1.2.24: same chunks as astream
    assert list(graph.stream({"x": 1})) == [{"a": {"x": 2, "log": ["a"]}}, {"b": {"log": ["b"]}}]
    assert list(graph.stream({"x": 1}, stream_mode="custom")) == [{"custom_a": 1}, "b-progress", {"n": 2}]
    assert list(graph.stream({"x": 1}, stream_mode=["updates", "custom"])) == [
        ("custom", {"custom_a": 1}),
        ("updates", {"a": {"x": 2, "log": ["a"]}}),
        ("custom", "b-progress"),
        ("custom", {"n": 2}),
        ("updates", {"b": {"log": ["b"]}}),
    ]
    # LangGraph 1.2.24: {'x': 2, 'log': ['a', 'b']}
    assert graph.invoke({"x": 1}) == {"x": 2, "log": ["a", "b"]}


def test_sync_stream_subgraphs() -> None:
    chunks = list(child_graph().stream({"x": 1}, subgraphs=True))
    # LangGraph 1.2.24
    assert [(strip_ns(ns), c) for ns, c in chunks] == [
        ((), {"a": {"x": 2, "log": ["a"]}}),
        (("child",), {"c1": {"log": ["c1"]}}),
        ((), {"child": {"x": 2, "log": ["a", "c1"]}}),
    ]


def test_sync_invoke_inside_running_loop_runs() -> None:
    # LangGraph 1.2.24: the sync API runs inside a running loop (blocking it), as in a
    # notebook's cell (see also tests/test_compat_diff_stop30.py)
    graph = ab_graph()

    async def inside() -> None:
        assert graph.invoke({"x": 1}) == {"x": 2, "log": ["a", "b"]}
        assert list(graph.stream({"x": 1})) == [{"a": {"x": 2, "log": ["a"]}}, {"b": {"log": ["b"]}}]

    asyncio.run(inside())


# -- extra stream shape checks ----------------------------------------------------------------


async def test_updates_mode_shows_private_channel_writes() -> None:
    # LangGraph 1.2.24: [{'p1': {'secret': 's1'}}, {'p2': {'out': 's1x'}}]
    assert await collect(private_graph(), {"out": ""}) == [{"p1": {"secret": "s1"}}, {"p2": {"out": "s1x"}}]


async def test_subgraphs_true_debug_mode() -> None:
    class C(TypedDict):
        x: int

    cg = StateGraph(C)
    cg.add_node("c1", lambda s: {"x": 5})
    cg.add_edge(START, "c1")
    g = StateGraph(S)
    g.add_node("child", cg.compile())
    g.add_edge(START, "child")
    chunks = await collect(g.compile(), {"x": 1}, stream_mode="debug", subgraphs=True)
    # LangGraph 1.2.24 (no checkpointer): the child's step numbers are its own (c1 runs at its step 1)
    assert [(strip_ns(ns), c["step"], c["type"], no_id(c["payload"])) for ns, c in chunks] == [
        ((), 1, "task", {"name": "child", "input": {"x": 1, "log": []}, "triggers": ("branch:to:child",)}),
        (("child",), 1, "task", {"name": "c1", "input": {"x": 1}, "triggers": ("branch:to:c1",)}),
        (("child",), 1, "task_result", {"name": "c1", "error": None, "result": {"x": 5}, "interrupts": []}),
        ((), 1, "task_result", {"name": "child", "error": None, "result": {"x": 5}, "interrupts": []}),
    ]



async def test_updates_and_values_with_push_tasks_and_goto_only_command() -> None:
    graph = push_and_pull()
    chunks = await collect(graph, {"log": []})
    # LangGraph 1.2.24: [{'w': {'log': ['p0']}}, {'j': None}, {'w': {'log': [{'log': ['p0']}]}}]
    assert sorted(chunks[:2], key=str) == sorted([{"w": {"log": ["p0"]}}, {"j": None}], key=str)
    assert chunks[2:] == [{"w": {"log": [{"log": ["p0"]}]}}]
    # LangGraph 1.2.24: [{'log': []}, {'log': ['p0']}, {'log': ['p0', {'log': ['p0']}]}]
    assert await collect(graph, {"log": []}, stream_mode="values") == [
        {"log": []}, {"log": ["p0"]}, {"log": ["p0", {"log": ["p0"]}]}
    ]


async def test_values_mode_skips_the_input_step_when_the_input_wrote_nothing() -> None:
    g = StateGraph(S)
    g.add_node("a", lambda s: {"x": 1})
    g.add_node("b", lambda s: {"log": ["b"]})
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    graph = g.compile()
    # LangGraph 1.2.24: {} and {'zzz': 1} -> no chunk for step 0
    for inp in ({}, {"zzz": 1}):
        assert await collect(graph, inp, stream_mode="values") == [{"x": 1, "log": []}, {"x": 1, "log": ["b"]}]
    # LangGraph 1.2.24: {'log': []} is a write (even though it changes nothing) -> a step-0 chunk
    assert await collect(graph, {"log": []}, stream_mode="values") == [
        {"log": []}, {"x": 1, "log": []}, {"x": 1, "log": ["b"]}
    ]
    # LangGraph 1.2.24
    assert await collect(graph, {}, stream_mode=["values", "updates"]) == [
        ("updates", {"a": {"x": 1}}),
        ("values", {"x": 1, "log": []}),
        ("updates", {"b": {"log": ["b"]}}),
        ("values", {"x": 1, "log": ["b"]}),
    ]


# A task's start event reaches the consumer before the task runs, with the checkpoint the step
# starts from (LangGraph 1.2.24, the same graphs, sync stream() and astream(); nodes that never
# yield, which a run executes on its own thread): "start n", "n runs", "result n", ...
def _order_graph(run_log: list[str], is_async: bool, saver: Any = None) -> Any:
    def n(s: Any) -> dict[str, Any]:
        run_log.append("runs n")
        return {"x": 1}

    async def m(s: Any) -> dict[str, Any]:  # (no await)
        run_log.append("runs m")
        return {"x": 2}

    def m_sync(s: Any) -> dict[str, Any]:
        run_log.append("runs m")
        return {"x": 2}

    g = StateGraph(S).add_node("n", n).add_node("m", m if is_async else m_sync)
    return g.add_edge(START, "n").add_edge("n", "m").compile(checkpointer=saver)


def _shown(chunk: Any) -> str:
    mode, c = chunk
    if mode == "checkpoints":
        return f"checkpoint {c['next']}"
    if mode == "debug":
        return f"{c['type']} {c['payload'].get('name', '')}".strip()
    return f"{'result' if 'result' in c else 'start'} {c['name']}"


EXPECTED_ORDER = {
    ("tasks",): ["start n", "runs n", "result n", "start m", "runs m", "result m"],
    ("debug",): ["checkpoint", "checkpoint", "task n", "runs n", "task_result n", "checkpoint", "task m", "runs m",
                 "task_result m", "checkpoint"],
    ("checkpoints",): ["checkpoint ['__start__']", "checkpoint ['n']", "runs n", "checkpoint ['m']", "runs m",
                       "checkpoint []"],
}


@pytest.mark.parametrize("modes", sorted(EXPECTED_ORDER))
async def test_a_tasks_start_reaches_astream_before_it_runs(modes: tuple[str, ...]) -> None:
    from actorgraph.persistence import InMemorySaver

    log: list[str] = []
    app = _order_graph(log, is_async=True, saver=InMemorySaver())
    async for chunk in app.astream({"x": 0}, {"configurable": {"thread_id": "1"}}, stream_mode=list(modes)):
        log.append(_shown(chunk))
    assert log == EXPECTED_ORDER[modes]


@pytest.mark.parametrize("modes", sorted(EXPECTED_ORDER))
def test_a_tasks_start_reaches_sync_stream_before_it_runs(modes: tuple[str, ...]) -> None:
    from actorgraph.persistence import InMemorySaver

    log: list[str] = []
    app = _order_graph(log, is_async=False, saver=InMemorySaver())
    for chunk in app.stream({"x": 0}, {"configurable": {"thread_id": "1"}}, stream_mode=list(modes)):
        log.append(_shown(chunk))
    assert log == EXPECTED_ORDER[modes]
