"""Compatibility cases found by comparing with real LangGraph 1.2.24 (expected values from it):
Command.PARENT, values chunks with private keys, tasks-mode results, subgraph custom events,
invoke with a stream mode, failures while streaming, nested graph calls, push-task metadata,
sequences of retry policies."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import anyio
import pytest

from actorgraph import START, Command, RetryPolicy, Send, StateGraph
from _helpers import (
    L, NS, S, Full, In, MyErr, Out, Outer, ab_graph, child_graph, collect, inner_graph, mk, no_id,
    parallel_failure, private_graph, push_and_pull, strip_ns,
)

pytestmark = pytest.mark.anyio


# -- scenario 5: Command(graph=Command.PARENT) --------------------------------------------------
# (fixed) actorgraph used to: the ParentCommand raised by child_b escapes the subgraph node and the parent run
# (ParentCommand: Command(graph='__parent__', update=..., goto='other') propagates out of ainvoke /
# astream) instead of being applied as the subgraph node's own update + goto.

def _parent_graph() -> Any:
    def child_b(s: NS) -> Command:
        return Command(graph=Command.PARENT, update={"log": ["from_child"], "n": 42}, goto="other")

    cg = StateGraph(NS)
    cg.add_node("child_a", mk("child_a"))
    cg.add_node("child_b", child_b)
    cg.add_node("child_c", mk("child_c"))
    cg.add_edge(START, "child_a")
    cg.add_edge("child_a", "child_b")
    cg.add_edge("child_b", "child_c")
    g = StateGraph(NS)
    g.add_node("pre", mk("pre"))
    g.add_node("child", cg.compile())
    g.add_node("other", mk("other"))
    g.add_node("after", mk("after"))
    g.add_edge(START, "pre")
    g.add_edge("pre", "child")
    g.add_edge("child", "after")
    return g.compile()


async def test_command_parent_from_subgraph_node() -> None:
    graph = _parent_graph()
    # LangGraph 1.2.24: {'n': 42, 'log': ['pre', 'from_child', 'after', 'other']}
    # (child_a's write is discarded with the aborted subgraph run; both 'other' and 'after' run)
    assert await graph.ainvoke({"n": 0, "log": []}) == {"n": 42, "log": ["pre", "from_child", "after", "other"]}


async def test_command_parent_updates_stream() -> None:
    graph = _parent_graph()
    chunks = [c async for c in graph.astream({"n": 0, "log": []})]
    # LangGraph 1.2.24: [{'pre': ..}, {'child': {'log': ['from_child'], 'n': 42}}, {'after': ..}, {'other': ..}]
    assert chunks[:2] == [{"pre": {"log": ["pre"]}}, {"child": {"log": ["from_child"], "n": 42}}]
    assert sorted(chunks[2:], key=str) == [{"after": {"log": ["after"]}}, {"other": {"log": ["other"]}}]




# == scenario 7: stream shapes =================================================================


# (fixed) actorgraph used to: emits values only after steps that changed an output-schema key, so only the last
# chunk: [{'question': 'hi', 'answer': 'hi!?', 'scratch': 'hi!'}]. LangGraph emits after every step
# that changed any channel (its stream channels are all non-managed channels).
async def test_values_mode_with_output_schema_emits_every_state_change() -> None:
    g = StateGraph(Full, input_schema=In, output_schema=Out)
    g.add_node("n1", lambda s: {"scratch": s["question"] + "!"})
    g.add_node("n2", lambda s: {"answer": s["scratch"] + "?"})
    g.add_edge(START, "n1")
    g.add_edge("n1", "n2")
    # LangGraph 1.2.24: a values chunk after every step (all state keys, not output-filtered)
    assert await collect(g.compile(), {"question": "hi"}, stream_mode="values") == [
        {"question": "hi"},
        {"question": "hi", "scratch": "hi!"},
        {"question": "hi", "answer": "hi!?", "scratch": "hi!"},
    ]


# (fixed) actorgraph used to: values chunks hold only state-schema keys and are emitted only when one changed:
# [{'out': ''}, {'out': 's1x'}]. LangGraph's values chunks include private channels (node input
# schema keys) too.
async def test_values_mode_shows_private_channels() -> None:
    graph = private_graph()
    # LangGraph 1.2.24: [{'out': ''}, {'out': '', 'secret': 's1'}, {'out': 's1x', 'secret': 's1'}]
    assert await collect(graph, {"out": ""}, stream_mode="values") == [
        {"out": ""}, {"out": "", "secret": "s1"}, {"out": "s1x", "secret": "s1"}
    ]


# (fixed) actorgraph used to: result {'$writes': [{'log': ['m1']}, {'log': ['m2']}]} (the shape SEMANTICS §9 states);
# LangGraph 1.2.24 nests it under the key: {'log': {'$writes': [['m1'], ['m2']]}}.
async def test_tasks_mode_result_of_a_key_written_twice() -> None:
    g = StateGraph(S)
    g.add_node("m", lambda s: [Command(update={"log": ["m1"]}), Command(update={"log": ["m2"]})])
    g.add_edge(START, "m")
    chunks = await collect(g.compile(), {"x": 1}, stream_mode="tasks")
    # LangGraph 1.2.24: result {'log': {'$writes': [['m1'], ['m2']]}}
    assert [no_id(c) for c in chunks if "result" in c] == [
        {"name": "m", "error": None, "result": {"log": {"$writes": [["m1"], ["m2"]]}}, "interrupts": []}
    ]


# (fixed) actorgraph used to: [{'custom_a': 1}, 'from c1'] (a subgraph node's custom chunks reach the root stream
# even without subgraphs=True); LangGraph drops them unless subgraphs=True.
async def test_subgraph_custom_chunks_hidden_without_subgraphs() -> None:
    # LangGraph 1.2.24: without subgraphs=True the child's writer goes nowhere: [{'custom_a': 1}]
    assert await collect(child_graph(), {"x": 1}, stream_mode="custom") == [{"custom_a": 1}]


# (fixed) actorgraph used to: ainvoke ignores stream_mode and returns the final state {'x': 2, 'log': ['a', 'b']};
# LangGraph's invoke/ainvoke with stream_mode != 'values' return the list of chunks of that mode.
async def test_ainvoke_with_stream_mode_updates_returns_the_chunks() -> None:
    # LangGraph 1.2.24: invoke(..., stream_mode="updates") -> [{'a': ...}, {'b': ...}]
    assert await ab_graph().ainvoke({"x": 1}, stream_mode="updates") == [
        {"a": {"x": 2, "log": ["a"]}}, {"b": {"log": ["b"]}}
    ]


# == scenario 12: a failing task among parallel ones, while streaming ==========================


# (fixed) actorgraph used to: yields nothing before raising MyErr: a step's events are published at the barrier,
# so the update of 'quick' (finished before 'fails' raised) is lost with the failed step.
# LangGraph streams each task's update as the task finishes.
async def test_parallel_failure_while_streaming_yields_finished_siblings_first() -> None:
    events: list[str] = []
    chunks: list[Any] = []
    with anyio.fail_after(3):
        with pytest.raises(MyErr):
            async for c in parallel_failure(events).astream({"log": []}):
                chunks.append(c)
    # LangGraph 1.2.24: [{'quick': {'log': ['quick']}}], then MyErr('parallel failure')
    assert chunks == [{"quick": {"log": ["quick"]}}]


# == scenario 6/7: a graph invoked inside a function node, streamed with subgraphs=True ========


# (fixed) actorgraph used to: only [((), {'call': {'result': ['a', 'b', 'A', 'B']}})]: a graph ainvoke'd inside a
# node runs as an independent run, so its events never reach the parent's stream. LangGraph picks
# up the parent run from the task's config (contextvar) and streams it under ('call:<id>',).
async def test_graph_called_inside_a_node_streams_as_a_subgraph() -> None:
    inner = inner_graph()

    async def call(s: Outer) -> dict[str, Any]:
        out = await inner.ainvoke({"text": s["sentence"]})
        return {"result": out["words"]}

    g = StateGraph(Outer)
    g.add_node("call", call)
    g.add_edge(START, "call")
    chunks = await collect(g.compile(), {"sentence": "a b"}, subgraphs=True)
    # LangGraph 1.2.24: the inner graph's updates appear under ('call:<id>',)
    assert [(strip_ns(ns), c) for ns, c in chunks] == [
        (("call",), {"split": {"words": ["a", "b"]}}),
        (("call",), {"upper": {"words": ["A", "B"]}}),
        ((), {"call": {"result": ["a", "b", "A", "B"]}}),
    ]


# == scenario 11: a sequence of retry policies =================================================

FAST = {"initial_interval": 0.001, "jitter": False}


# (fixed) actorgraph used to: add_node keeps only retry_policy[0] (retry_on=KeyError), so neither ValueError nor
# ConnectionError is retried: 1 call. LangGraph applies the first policy whose retry_on matches
# the exception: 4 calls.
@pytest.mark.parametrize("exc", [ValueError("bad"), ConnectionError("down")])
async def test_sequence_of_retry_policies_first_matching_applies(exc: Exception) -> None:
    calls: list[int] = []

    def fail(s: L) -> dict[str, Any]:
        calls.append(1)
        raise exc

    policies = [
        RetryPolicy(retry_on=KeyError, max_attempts=2, **FAST),
        RetryPolicy(retry_on=(ValueError, ConnectionError), max_attempts=4, **FAST),
    ]
    g = StateGraph(L)
    g.add_node("f", fail, retry_policy=policies)
    g.add_edge(START, "f")
    with pytest.raises(type(exc)):
        await g.compile().ainvoke({"log": []})
    # LangGraph 1.2.24: the second policy (the first whose retry_on matches) applies: 4 calls
    assert len(calls) == 4


# == scenario 7: tasks mode for a Send (push) task ==============================================


# (fixed) actorgraph used to: a push task's triggers are ('__pregel_tasks',) (the hidden Send channel's name);
# LangGraph reports ('__pregel_push',).
async def test_tasks_mode_push_and_pull_tasks() -> None:
    chunks = [no_id(c) for c in await collect(push_and_pull(), {"log": []}, stream_mode="tasks")]
    # LangGraph 1.2.24: starts of a step in plan order (push tasks first), results as tasks finish
    assert chunks[:2] == [
        {"name": "w", "input": "p0", "triggers": ("__pregel_push",)},
        {"name": "j", "input": {"log": []}, "triggers": ("branch:to:j",)},
    ]
    assert sorted(chunks[2:4], key=str) == sorted([
        {"name": "w", "error": None, "result": {"log": ["p0"]}, "interrupts": []},
        {"name": "j", "error": None, "result": {}, "interrupts": []},
    ], key=str)
    assert chunks[4:] == [
        {"name": "w", "input": {"log": ["p0"]}, "triggers": ("branch:to:w",)},
        {"name": "w", "error": None, "result": {"log": [{"log": ["p0"]}]}, "interrupts": []},
    ]


# == scenario 4: config metadata of a Send (push) task ===========================================
# (fixed) actorgraph used to: langgraph_triggers ('__pregel_tasks',) and langgraph_path ('__pregel_push', idx);
# LangGraph: ('__pregel_push',) and ('__pregel_push', idx, False).
async def test_push_task_config_metadata() -> None:
    class L(TypedDict):
        log: Annotated[list[Any], operator.add]

    def w(x: str, config: dict[str, Any]) -> dict[str, Any]:
        md = config["metadata"]
        return {"log": [(x, md["langgraph_step"], md["langgraph_triggers"], md["langgraph_path"],
                         md["langgraph_node"])]}

    g = StateGraph(L)
    g.add_node("w", w)
    g.add_conditional_edges(START, lambda s: [Send("w", "p0"), Send("w", "p1")])
    # LangGraph 1.2.24
    assert await g.compile().ainvoke({"log": []}) == {"log": [
        ("p0", 1, ("__pregel_push",), ("__pregel_push", 0, False), "w"),
        ("p1", 1, ("__pregel_push",), ("__pregel_push", 1, False), "w"),
    ]}
