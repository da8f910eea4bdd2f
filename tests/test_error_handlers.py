"""Node error handlers: ``add_node(..., error_handler=fn)`` with ``fn(state, error: NodeError)``.

Observed from LangGraph 1.2 (scratch runs of the same graphs): the node's retries run first
(3 attempts under ``RetryPolicy(max_attempts=3)``), then the handler; its ``Command`` decides
where the run goes — the failed node's own edges are not taken; its update streams under the
name ``__error_handler__<node>``; a sibling task's writes are kept; a handler returning a
plain update writes it and the run ends there; a failing handler raises its error with the
note "During task with name '__error_handler__<node>' ..."; a ``NodeTimeoutError`` is handled
like any failure.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import anyio
import pytest

from actorgraph import START, Command, RetryPolicy, StateGraph
from actorgraph.errors import NodeError
from actorgraph.persistence import BaseCheckpointSaver


class S(TypedDict):
    log: Annotated[list[str], operator.add]


def bad(state: S) -> dict[str, Any]:
    raise ValueError("boom")


def other(state: S) -> dict[str, Any]:
    return {"log": ["other"]}


def recover(state: S) -> dict[str, Any]:
    return {"log": ["recover"]}


def after(state: S) -> dict[str, Any]:
    return {"log": ["after"]}


def to_recovery(state: S, error: NodeError) -> Command[Any]:
    return Command(update={"log": [f"handled {error.node}: {error.error!r}"]}, goto="recover")


def graph_with(handler: Any, **node_kw: Any) -> StateGraph:
    return (StateGraph(S).add_node("bad", node_kw.pop("fn", bad), error_handler=handler, **node_kw)
            .add_node("other", other).add_node("recover", recover).add_node("after", after)
            .add_edge(START, "bad").add_edge(START, "other").add_edge("bad", "after"))


@pytest.mark.anyio
async def test_the_handlers_command_routes_to_a_recovery_node_after_retries_are_exhausted(
        saver: BaseCheckpointSaver) -> None:
    attempts: list[int] = []

    def failing(state: S) -> dict[str, Any]:
        attempts.append(1)
        raise ValueError("boom")

    policy = RetryPolicy(max_attempts=3, initial_interval=0.001, retry_on=ValueError)
    graph = graph_with(to_recovery, fn=failing, retry_policy=policy).compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "t"}}
    updates = [c async for c in graph.astream({"log": []}, config, stream_mode="updates")]
    assert len(attempts) == 3
    assert sorted(updates[:2], key=str) == sorted([
        {"other": {"log": ["other"]}},
        {"__error_handler__bad": {"log": ["handled bad: ValueError('boom')"]}},
    ], key=str)
    assert updates[2:] == [{"recover": {"log": ["recover"]}}]   # "after" (bad's edge) never runs
    state = await graph.aget_state(config)
    assert state.values == {"log": ["handled bad: ValueError('boom')", "other", "recover"]}
    assert state.next == ()


@pytest.mark.anyio
async def test_a_lone_failing_node_is_handled_without_retries() -> None:
    graph = (StateGraph(S).add_node("bad", bad, error_handler=to_recovery).add_node("recover", recover)
             .add_node("after", after).add_edge(START, "bad").add_edge("bad", "after").compile())
    assert await graph.ainvoke({"log": []}) == {"log": ["handled bad: ValueError('boom')", "recover"]}


def test_a_handler_returning_an_update_writes_it_and_takes_no_edge() -> None:
    def h(state: S, error: NodeError) -> dict[str, Any]:
        return {"log": ["h"]}

    graph = (StateGraph(S).add_node("bad", bad, error_handler=h).add_node("after", after)
             .add_edge(START, "bad").add_edge("bad", "after").compile())
    assert graph.invoke({"log": []}) == {"log": ["h"]}


def test_a_handler_without_an_error_parameter_runs_too() -> None:
    def h(state: S) -> dict[str, Any]:
        return {"log": ["h4"]}

    graph = StateGraph(S).add_node("bad", bad, error_handler=h).add_edge(START, "bad").compile()
    assert graph.invoke({"log": []}) == {"log": ["h4"]}


@pytest.mark.anyio
async def test_an_async_handler_gets_the_state_the_error_and_the_config() -> None:
    seen: dict[str, Any] = {}

    async def h(state: S, error: NodeError, config: dict[str, Any]) -> Command[Any]:
        seen.update(state=state, error=error.error, node=error.node,
                    step=config["metadata"]["langgraph_step"], name=config["metadata"]["langgraph_node"])
        return Command(goto="recover")

    graph = (StateGraph(S).add_node("bad", bad, error_handler=h).add_node("recover", recover)
             .add_edge(START, "bad").compile())
    assert await graph.ainvoke({"log": ["in"]}) == {"log": ["in", "recover"]}
    assert seen["state"] == {"log": ["in"]}
    assert seen["node"] == "bad" and isinstance(seen["error"], ValueError)
    assert (seen["step"], seen["name"]) == (1, "__error_handler__bad")  # as LangGraph 1.2 has them


def test_a_failing_handler_fails_the_run_naming_itself() -> None:
    def h(state: S, error: NodeError) -> dict[str, Any]:
        raise KeyError("h3")

    graph = StateGraph(S).add_node("bad", bad, error_handler=h).add_edge(START, "bad").compile()
    with pytest.raises(KeyError, match="h3") as caught:
        graph.invoke({"log": []})
    assert caught.value.__notes__[0].startswith("During task with name '__error_handler__bad' and id '")


@pytest.mark.anyio
async def test_a_timed_out_node_is_handled_like_any_failure() -> None:
    async def hangs(state: S) -> dict[str, Any]:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    def h(state: S, error: NodeError) -> Command[Any]:
        return Command(update={"log": [type(error.error).__name__]}, goto="recover")

    graph = (StateGraph(S).add_node("slow", hangs, timeout=0.02, error_handler=h).add_node("recover", recover)
             .add_edge(START, "slow").compile())
    assert await graph.ainvoke({"log": []}) == {"log": ["NodeTimeoutError", "recover"]}


@pytest.mark.anyio
async def test_the_tasks_stream_shows_the_failure_then_the_handlers_result() -> None:
    graph = (StateGraph(S).add_node("bad", bad, error_handler=to_recovery).add_node("recover", recover)
             .add_edge(START, "bad").compile())
    events = [c async for c in graph.astream({"log": []}, stream_mode="tasks")]
    results = [(e["name"], repr(e["error"]), e["result"]) for e in events if "result" in e]
    assert results == [
        ("bad", "ValueError('boom')", {}),
        ("__error_handler__bad", "None", {"log": ["handled bad: ValueError('boom')"]}),
        ("recover", "None", {"log": ["recover"]}),
    ]
