"""An error handler reports as the node that failed (issue 14). Observed from LangGraph 1.2
(scratch runs of the graphs below): in the handler, ``get_runtime().execution_info`` has the
failed node's ``checkpoint_ns`` (``boom:<boom's task id>``, below enclosing subgraphs) and
``task_id`` (boom's), its own ``node_attempt`` (1, then 2 on a retry); its custom chunks
(``runtime.stream_writer`` and ``get_stream_writer()`` alike) stream under the namespace
``(..., "boom:<boom's task id>")`` with ``subgraphs=True``, and without it too; its config
still names its own task (``boom:<id>|__error_handler__boom:<handler id>``)."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, Command, RetryPolicy, StateGraph, get_config, get_stream_writer
from actorgraph.errors import NodeError
from actorgraph.persistence import InMemorySaver
from actorgraph.runtime import ExecutionInfo, get_runtime

pytestmark = pytest.mark.anyio


class S(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


def boom(state: S) -> dict[str, Any]:
    get_stream_writer()({"from": "boom"})
    raise ValueError("bad")


def recover(state: S) -> dict[str, Any]:
    return {"log": ["rec"]}


def recording(seen: list[tuple[ExecutionInfo, str]]) -> Any:
    def handler(state: S, error: NodeError) -> Command[Any]:
        runtime = get_runtime()
        assert runtime.execution_info is not None
        seen.append((runtime.execution_info, get_config()["configurable"]["checkpoint_ns"]))
        runtime.stream_writer({"from": "handler"})
        get_stream_writer()({"from": "handler2"})
        return Command(update={"log": ["handled"]}, goto="recover")

    return handler


def with_handler(seen: list[tuple[ExecutionInfo, str]]) -> StateGraph:
    return (StateGraph(S).add_node("boom", boom, error_handler=recording(seen)).add_node("recover", recover)
            .add_edge(START, "boom"))


async def test_the_handler_reports_as_the_failed_task() -> None:
    seen: list[tuple[ExecutionInfo, str]] = []
    graph = with_handler(seen).compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "1"}}
    chunks = [c async for c in graph.astream({"log": []}, config, stream_mode=["custom", "tasks"], subgraphs=True)]
    starts = {d["name"]: d["id"] for _, mode, d in chunks if mode == "tasks" and "input" in d}
    results = {d["name"]: d["id"] for _, mode, d in chunks if mode == "tasks" and "result" in d}
    boom_id, handler_id = starts["boom"], results["__error_handler__boom"]
    assert [(ns, d) for ns, mode, d in chunks if mode == "custom"] == [
        ((), {"from": "boom"}),
        ((f"boom:{boom_id}",), {"from": "handler"}),
        ((f"boom:{boom_id}",), {"from": "handler2"}),
    ]
    [(info, handler_ns)] = seen
    assert (info.checkpoint_ns, info.task_id, info.thread_id, info.node_attempt) == (
        f"boom:{boom_id}", boom_id, "1", 1)
    assert handler_ns == f"boom:{boom_id}|__error_handler__boom:{handler_id}"
    step = [s async for s in graph.aget_state_history(config) if s.next == ("boom",)]
    assert info.checkpoint_id == step[0].config["configurable"]["checkpoint_id"]  # (the step's)

    # without subgraphs=True the handler's chunks stream too
    plain = [c async for c in graph.astream({"log": []}, {"configurable": {"thread_id": "2"}}, stream_mode="custom")]
    assert plain == [{"from": "boom"}, {"from": "handler"}, {"from": "handler2"}]


async def test_in_a_subgraph_below_the_subgraphs_namespace() -> None:
    seen: list[tuple[ExecutionInfo, str]] = []
    parent = (StateGraph(S).add_node("child", with_handler(seen).compile()).add_edge(START, "child")
              .compile(checkpointer=InMemorySaver()))
    chunks = [c async for c in parent.astream({"log": []}, {"configurable": {"thread_id": "1"}},
                                              stream_mode=["custom", "tasks"], subgraphs=True)]
    child_ns = next(ns for ns, mode, _ in chunks if ns)
    boom_id = next(d["id"] for ns, mode, d in chunks if mode == "tasks" and d["name"] == "boom")
    assert [(ns, d) for ns, mode, d in chunks if mode == "custom"] == [
        (child_ns, {"from": "boom"}),
        ((*child_ns, f"boom:{boom_id}"), {"from": "handler"}),
        ((*child_ns, f"boom:{boom_id}"), {"from": "handler2"}),
    ]
    [(info, _)] = seen
    assert (info.checkpoint_ns, info.task_id) == ("|".join((*child_ns, f"boom:{boom_id}")), boom_id)


async def test_a_retried_handler_counts_its_own_attempts() -> None:
    attempts: list[tuple[int, str]] = []

    def flaky_handler(state: S, error: NodeError) -> dict[str, Any]:
        info = get_runtime().execution_info
        assert info is not None
        attempts.append((info.node_attempt, info.checkpoint_ns))
        if len(attempts) == 1:
            raise KeyError("x")
        return {"log": ["ok"]}

    g = StateGraph(S).add_node("boom", boom, error_handler=flaky_handler).add_edge(START, "boom")
    g.set_node_defaults(retry_policy=RetryPolicy(max_attempts=2, initial_interval=0.01,
                                                 retry_on=lambda e: isinstance(e, KeyError)))
    chunks = [c async for c in g.compile().astream({"log": []}, stream_mode=["tasks", "values"])]
    boom_id = next(d["id"] for mode, d in chunks if mode == "tasks" and d["name"] == "boom")
    assert chunks[-1] == ("values", {"log": ["ok"]})
    assert attempts == [(1, f"boom:{boom_id}"), (2, f"boom:{boom_id}")]
