"""Node timeouts: ``add_node(..., timeout=seconds | timedelta | TimeoutPolicy)``.

Expected behaviour observed from LangGraph 1.2 (scratch runs): an attempt past its
``run_timeout`` fails with ``NodeTimeoutError`` (not a ``TimeoutError``) naming the node —
"Node 'slow' exceeded its run timeout of 0.200s (elapsed: ...)" — the step's other tasks keep
their writes (the thread's state shows them, the timed-out task is next with its error); a
``RetryPolicy`` retries it; ``idle_timeout`` fires without progress, ``runtime.heartbeat()`` (and,
with ``refresh_on="auto"``, custom stream chunks) count as progress; a sync node with a
timeout is refused with a ValueError; a timeout <= 0 is a ValueError.
"""

from __future__ import annotations

import operator
from datetime import timedelta
from typing import Annotated, Any, TypedDict

import anyio
import pytest

from actorgraph import START, RetryPolicy, StateGraph
from actorgraph.errors import NodeTimeoutError
from actorgraph.persistence import BaseCheckpointSaver
from actorgraph.runtime import Runtime
from actorgraph.types import TimeoutPolicy


class S(TypedDict):
    log: Annotated[list[str], operator.add]


async def hangs(state: S) -> dict[str, Any]:
    await anyio.sleep_forever()
    raise AssertionError("unreachable")


async def fast(state: S) -> dict[str, Any]:
    return {"log": ["fast"]}


@pytest.mark.anyio
async def test_a_timed_out_node_raises_naming_it_and_the_others_writes_are_kept(
        saver: BaseCheckpointSaver) -> None:
    graph = (StateGraph(S).add_node("slow", hangs, timeout=0.05).add_node("fast", fast)
             .add_edge(START, "slow").add_edge(START, "fast").compile(checkpointer=saver))
    config = {"configurable": {"thread_id": "t"}}
    chunks = []
    with pytest.raises(NodeTimeoutError) as caught:
        async for chunk in graph.astream({"log": []}, config):
            chunks.append(chunk)
    err = caught.value
    assert (err.node, err.kind, err.timeout, err.run_timeout, err.idle_timeout) == ("slow", "run", 0.05, 0.05, None)
    assert err.elapsed >= 0.05
    assert str(err).startswith("Node 'slow' exceeded its run timeout of 0.050s (elapsed: ")
    assert not isinstance(err, TimeoutError)
    assert chunks == [{"fast": {"log": ["fast"]}}]
    state = await graph.aget_state(config)
    assert state.values == {"log": ["fast"]}
    assert state.next == ("slow",)
    errors = {t.name: t.error for t in state.tasks}
    assert errors["fast"] is None
    assert errors["slow"] is not None and errors["slow"].startswith("NodeTimeoutError(\"Node 'slow' exceeded")


@pytest.mark.anyio
async def test_a_lone_node_times_out_too() -> None:
    graph = StateGraph(S).add_node("slow", hangs, timeout=timedelta(milliseconds=20)).add_edge(START, "slow").compile()
    with pytest.raises(NodeTimeoutError, match="Node 'slow' exceeded its run timeout of 0.020s"):
        await graph.ainvoke({"log": []})


@pytest.mark.anyio
async def test_a_node_within_its_timeout_is_not_disturbed() -> None:
    graph = StateGraph(S).add_node("fast", fast, timeout=30).add_edge(START, "fast").compile()
    assert await graph.ainvoke({"log": []}) == {"log": ["fast"]}


@pytest.mark.anyio
async def test_a_retry_policy_retries_a_timed_out_attempt() -> None:
    attempts: list[int] = []

    async def flaky(state: S, runtime: Runtime[None]) -> dict[str, Any]:
        assert runtime.execution_info is not None
        attempts.append(runtime.execution_info.node_attempt)
        if len(attempts) == 1:
            await anyio.sleep_forever()
        return {"log": ["ok"]}

    graph = (StateGraph(S).add_node("flaky", flaky, timeout=0.05, retry_policy=RetryPolicy(initial_interval=0.001))
             .add_edge(START, "flaky").compile())
    assert await graph.ainvoke({"log": []}) == {"log": ["ok"]}
    assert attempts == [1, 2]


@pytest.mark.anyio
async def test_an_idle_timeout_fires_without_progress() -> None:
    graph = (StateGraph(S).add_node("quiet", hangs, timeout=TimeoutPolicy(idle_timeout=0.05, run_timeout=60))
             .add_edge(START, "quiet").compile())
    with pytest.raises(NodeTimeoutError, match="Node 'quiet' exceeded its idle timeout of 0.050s without making progress") as caught:
        await graph.ainvoke({"log": []})
    assert (caught.value.kind, caught.value.timeout, caught.value.run_timeout) == ("idle", 0.05, 60.0)


async def beating(state: S, runtime: Runtime[None]) -> dict[str, Any]:
    for _ in range(30):
        await anyio.sleep(0.02)
        runtime.heartbeat()
    return {"log": ["beat"]}


async def streaming(state: S, runtime: Runtime[None]) -> dict[str, Any]:
    for _ in range(30):
        await anyio.sleep(0.02)
        runtime.stream_writer("progress")
    return {"log": ["streamed"]}


@pytest.mark.anyio
async def test_heartbeats_keep_an_idle_node_alive() -> None:
    # 30 beats 0.02 s apart: 0.6 s in all, longer than the idle timeout, never idle for 0.4 s
    policy = TimeoutPolicy(idle_timeout=0.4, refresh_on="heartbeat")
    graph = StateGraph(S).add_node("beat", beating, timeout=policy).add_edge(START, "beat").compile()
    assert await graph.ainvoke({"log": []}) == {"log": ["beat"]}


@pytest.mark.anyio
async def test_custom_stream_chunks_are_progress_under_auto_but_not_heartbeat_only() -> None:
    auto = StateGraph(S).add_node("s", streaming, timeout=TimeoutPolicy(idle_timeout=0.4)).add_edge(START, "s").compile()
    assert await auto.ainvoke({"log": []}) == {"log": ["streamed"]}
    strict = (StateGraph(S).add_node("s", streaming, timeout=TimeoutPolicy(idle_timeout=0.1, refresh_on="heartbeat"))
              .add_edge(START, "s").compile())
    with pytest.raises(NodeTimeoutError, match="idle timeout"):
        await strict.ainvoke({"log": []})


@pytest.mark.anyio
async def test_the_run_timeout_caps_even_a_beating_node() -> None:
    policy = TimeoutPolicy(idle_timeout=5, run_timeout=0.1)
    graph = StateGraph(S).add_node("beat", beating, timeout=policy).add_edge(START, "beat").compile()
    with pytest.raises(NodeTimeoutError) as caught:
        await graph.ainvoke({"log": []})
    assert caught.value.kind == "run"


def test_a_sync_node_with_a_timeout_is_refused_naming_it() -> None:
    def sync(state: S) -> dict[str, Any]:
        return {"log": ["s"]}

    builder = StateGraph(S).add_node("sync_node", sync, timeout=1).add_edge(START, "sync_node")
    with pytest.raises(ValueError, match="Node 'sync_node' has a timeout but is sync"):
        builder.compile()


@pytest.mark.parametrize("bad", [0, -1, timedelta(0), TimeoutPolicy(run_timeout=0)])
def test_a_timeout_that_is_not_positive_is_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="run_timeout must be greater than 0"):
        StateGraph(S).add_node("n", fast, timeout=bad)


def test_timeout_policy_coerces_like_langgraph() -> None:
    assert TimeoutPolicy.coerce(None) is None
    assert TimeoutPolicy.coerce(TimeoutPolicy()) is None
    assert TimeoutPolicy.coerce(timedelta(seconds=2)) == TimeoutPolicy(run_timeout=2.0)
    assert TimeoutPolicy.coerce(TimeoutPolicy(idle_timeout=1)) == TimeoutPolicy(idle_timeout=1.0)
    with pytest.raises(ValueError, match="refresh_on"):
        TimeoutPolicy.coerce(TimeoutPolicy(run_timeout=1, refresh_on="never"))  # type: ignore[arg-type]


# Under refresh_on="auto" LangGraph 1.2 also counts as progress what happens inside the node:
# a subgraph's steps (a compiled graph as the node, or one the node calls), task calls
# (@task) and LangChain callback events of Runnables it calls (with its config or none, which
# inherit it). Observed from LangGraph 1.2 with the same graphs: each keeps a node whose work
# takes longer than its idle timeout alive; under refresh_on="heartbeat" none of them counts.

class Count(TypedDict):
    n: int


async def tick(state: Count) -> dict[str, Any]:
    await anyio.sleep(0.02)
    return {"n": state["n"] + 1}


def _looping_subgraph() -> Any:  # 30 steps of 0.02 s: 0.6 s in all
    return (StateGraph(Count).add_node("tick", tick).add_edge(START, "tick")
            .add_conditional_edges("tick", lambda s: "tick" if s["n"] < 30 else "__end__").compile())


def _timed(node: Any, policy: TimeoutPolicy) -> Any:
    return StateGraph(Count).add_node("outer", node, timeout=policy).add_edge(START, "outer").compile()


AUTO = TimeoutPolicy(idle_timeout=0.4)
HEARTBEAT_ONLY = TimeoutPolicy(idle_timeout=0.1, refresh_on="heartbeat")


@pytest.mark.anyio
async def test_a_subgraph_nodes_steps_are_progress_under_auto() -> None:
    assert await _timed(_looping_subgraph(), AUTO).ainvoke({"n": 0}) == {"n": 30}
    with pytest.raises(NodeTimeoutError, match="Node 'outer' exceeded its idle timeout"):
        await _timed(_looping_subgraph(), HEARTBEAT_ONLY).ainvoke({"n": 0})


@pytest.mark.anyio
async def test_a_subgraph_called_by_the_node_is_progress_under_auto() -> None:
    sub = _looping_subgraph()

    async def calls(state: Count) -> dict[str, Any]:
        out = await sub.ainvoke(state)
        await anyio.sleep(0.3)  # (within the idle timeout of the subgraph's end)
        return {"n": out["n"] + 1}

    assert await _timed(calls, AUTO).ainvoke({"n": 0}) == {"n": 31}
    assert [c async for c in _timed(calls, AUTO).astream({"n": 0}, stream_mode="updates", subgraphs=True)][-1] == (
        (), {"outer": {"n": 31}})
    with pytest.raises(NodeTimeoutError, match="idle timeout"):
        await _timed(calls, HEARTBEAT_ONLY).ainvoke({"n": 0})


@pytest.mark.anyio
async def test_task_calls_are_progress_under_auto() -> None:
    from actorgraph.func import task

    @task
    async def step(i: int) -> int:
        await anyio.sleep(0.02)
        return i

    async def calls(state: Count) -> dict[str, Any]:
        total = 0
        for i in range(30):
            total += await step(i)
        return {"n": total}

    assert await _timed(calls, AUTO).ainvoke({"n": 0}) == {"n": sum(range(30))}
    with pytest.raises(NodeTimeoutError, match="idle timeout"):
        await _timed(calls, HEARTBEAT_ONLY).ainvoke({"n": 0})


@pytest.mark.anyio
@pytest.mark.parametrize("with_config", [True, False], ids=["with-config", "inherited-config"])
@pytest.mark.parametrize("traced", [False, True], ids=["untraced", "run-with-callbacks"])
async def test_langchain_callback_events_are_progress_under_auto(with_config: bool, traced: bool) -> None:
    import time

    # (the core without the langchain extra has no callbacks to count)
    RunnableLambda = pytest.importorskip("langchain_core.runnables").RunnableLambda  # noqa: N806
    from langchain_core.callbacks import BaseCallbackHandler

    class Counting(BaseCallbackHandler):
        def __init__(self) -> None:
            self.starts = 0

        def on_chain_start(self, *args: Any, **kwargs: Any) -> None:
            self.starts += 1

    counting = Counting()
    run_config: dict[str, Any] = {"callbacks": [counting]} if traced else {}

    def slow(x: int) -> int:
        time.sleep(0.02)  # (a sync Runnable: its callbacks fire on the loop's thread)
        return x

    runnable = RunnableLambda(slow)

    async def calls(state: Count, config: dict[str, Any]) -> dict[str, Any]:
        total = 0
        for i in range(30):
            total += runnable.invoke(i, config) if with_config else runnable.invoke(i)
            await anyio.sleep(0)
        return {"n": total}

    assert await _timed(calls, AUTO).ainvoke({"n": 0}, run_config) == {"n": sum(range(30))}
    # (run with callbacks, they see the graph, the node and its 30 Runnable calls, as LangGraph's)
    assert counting.starts == (32 if traced else 0)
    with pytest.raises(NodeTimeoutError, match="idle timeout"):
        await _timed(calls, HEARTBEAT_ONLY).ainvoke({"n": 0}, run_config)


@pytest.mark.anyio
async def test_push_message_writes_are_progress_under_auto() -> None:
    # observed from LangGraph 1.2: push_message's write into "messages" refreshes the idle timeout
    messages = pytest.importorskip("langchain_core.messages")
    from actorgraph.graph import MessagesState, push_message

    async def pushes(state: Any) -> dict[str, Any]:
        for i in range(30):
            await anyio.sleep(0.02)
            push_message(messages.AIMessage(content=str(i), id=f"m{i}"))
        return {}

    def graph(policy: TimeoutPolicy) -> Any:
        return StateGraph(MessagesState).add_node("n", pushes, timeout=policy).add_edge(START, "n").compile()

    assert len((await graph(AUTO).ainvoke({"messages": []}))["messages"]) == 30
    with pytest.raises(NodeTimeoutError, match="idle timeout"):
        await graph(HEARTBEAT_ONLY).ainvoke({"messages": []})
