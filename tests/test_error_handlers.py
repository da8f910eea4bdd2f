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
from actorgraph.errors import GraphValidationError, NodeError
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


# Retries and timeouts of the handler itself, observed from LangGraph 1.2 (scratch runs of the
# same graphs): the handler is a node of its own with no retry policy or timeout, which takes the
# graph's defaults (set_node_defaults) but never its failed node's. Under a default
# RetryPolicy(max_attempts=5) a handler failing twice runs 3 times (node_attempt 1, 2, 3) and its
# Command is taken; under max_attempts=2 the run fails with the handler's second error; under the
# node's own retry policy only, a failing handler runs once. A default timeout makes a sync
# handler fail to compile, naming it, but the handler runs with no deadline (LangGraph does not
# give its task the timeout): a handler slower than the timeout completes.

def _flaky_handler(fails: int, attempts: list[int]) -> Any:
    def h(state: S, error: NodeError) -> Command[Any]:
        from actorgraph.runtime import get_runtime
        attempts.append(get_runtime().execution_info.node_attempt)
        if len(attempts) <= fails:
            raise KeyError(f"handler {len(attempts)}")
        return Command(update={"log": [f"handled {error.node}"]}, goto="recover")
    return h


@pytest.mark.anyio
async def test_the_graphs_default_retry_policy_retries_a_failing_handler() -> None:
    attempts: list[int] = []
    graph = (StateGraph(S).add_node("bad", bad, error_handler=_flaky_handler(2, attempts))
             .add_node("recover", recover).add_edge(START, "bad")
             .set_node_defaults(retry_policy=RetryPolicy(max_attempts=5, initial_interval=0.001,
                                                         retry_on=(KeyError, ValueError)))
             .compile())
    assert await graph.ainvoke({"log": []}) == {"log": ["handled bad", "recover"]}
    assert attempts == [1, 2, 3]


@pytest.mark.anyio
async def test_the_default_error_handler_takes_the_default_retry_policy_too() -> None:
    attempts: list[int] = []
    graph = (StateGraph(S).add_node("bad", bad).add_node("recover", recover).add_edge(START, "bad")
             .set_node_defaults(error_handler=_flaky_handler(1, attempts),
                                retry_policy=RetryPolicy(max_attempts=3, initial_interval=0.001,
                                                         retry_on=(KeyError, ValueError)))
             .compile())
    assert await graph.ainvoke({"log": []}) == {"log": ["handled bad", "recover"]}
    assert attempts == [1, 2]


def test_a_handler_out_of_default_retries_fails_the_run_with_its_last_error() -> None:
    attempts: list[int] = []
    graph = (StateGraph(S).add_node("bad", bad, error_handler=_flaky_handler(5, attempts))
             .add_node("recover", recover).add_edge(START, "bad")
             .set_node_defaults(retry_policy=RetryPolicy(max_attempts=2, initial_interval=0.001,
                                                         retry_on=KeyError))
             .compile())
    with pytest.raises(KeyError, match="handler 2") as caught:
        graph.invoke({"log": []})
    assert attempts == [1, 2]
    notes = caught.value.__notes__
    assert len(notes) == 1 and notes[0].startswith("During task with name '__error_handler__bad' and id '")


def test_the_failed_nodes_own_retry_policy_does_not_retry_its_handler() -> None:
    attempts: list[int] = []
    policy = RetryPolicy(max_attempts=5, initial_interval=0.001, retry_on=(KeyError, ValueError))
    graph = (StateGraph(S).add_node("bad", bad, error_handler=_flaky_handler(1, attempts), retry_policy=policy)
             .add_node("recover", recover).add_edge(START, "bad").compile())
    with pytest.raises(KeyError, match="handler 1"):
        graph.invoke({"log": []})
    assert attempts == [1]


def test_a_default_timeout_makes_a_sync_handler_fail_to_compile_naming_it() -> None:
    async def abad(state: S) -> dict[str, Any]:
        raise ValueError("boom")

    def sync_handler(state: S, error: NodeError) -> dict[str, Any]:
        return {"log": ["h"]}

    builder = (StateGraph(S).add_node("bad", abad, error_handler=sync_handler).add_edge(START, "bad")
               .set_node_defaults(timeout=1.0))
    with pytest.raises(GraphValidationError, match="'__error_handler__bad'.*sync"):
        builder.compile()
    default = (StateGraph(S).add_node("bad", abad).add_edge(START, "bad")
               .set_node_defaults(timeout=1.0, error_handler=sync_handler))
    with pytest.raises(GraphValidationError, match="'__default_error_handler__'.*sync"):
        default.compile()
    # the node's own timeout is not its handler's: a sync handler compiles
    assert (StateGraph(S).add_node("bad", abad, error_handler=sync_handler, timeout=1.0)
            .add_edge(START, "bad").compile().invoke({"log": []})) == {"log": ["h"]}


@pytest.mark.anyio
async def test_a_handler_runs_with_no_deadline_under_a_default_timeout() -> None:
    async def abad(state: S) -> dict[str, Any]:
        raise ValueError("boom")

    async def arecover(state: S) -> dict[str, Any]:
        return {"log": ["recover"]}

    async def slow_handler(state: S, error: NodeError) -> Command[Any]:
        await anyio.sleep(0.1)  # past the default timeout: still completes, as in LangGraph 1.2
        return Command(update={"log": ["slow"]}, goto="recover")

    graph = (StateGraph(S).add_node("bad", abad, error_handler=slow_handler).add_node("recover", arecover)
             .add_edge(START, "bad").set_node_defaults(timeout=0.01).compile())
    assert await graph.ainvoke({"log": []}) == {"log": ["slow", "recover"]}
