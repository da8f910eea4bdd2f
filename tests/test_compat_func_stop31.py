"""Differences found by running the same functional-API programs on LangGraph 1.2.24 and on
actorgraph (the expected literals are what LangGraph 1.2.24 gives)."""

from __future__ import annotations

from typing import Any, TypedDict

import pytest

from actorgraph import START, StateGraph
from actorgraph.checkpoint.memory import InMemorySaver
from actorgraph.func import entrypoint, task


def _strip(chunk: Any) -> Any:
    mode, payload = chunk
    if mode == "tasks":
        payload = {k: v for k, v in payload.items() if k != "id"}
    return mode, payload


@pytest.mark.anyio
async def test_calls_made_at_once_show_their_starts_before_any_result(anyio_backend: str) -> None:
    # LangGraph 1.2.24: a call's start is in the `tasks` stream as it is made, so both calls'
    # starts come before either's result; we showed a call's start when it began to run (the
    # first call's result came before the second call's start)
    @task
    async def add(x: int) -> int:
        return x + 10

    @entrypoint(checkpointer=InMemorySaver())
    async def wf(n: int) -> int:
        futures = [add(i) for i in range(n)]
        return sum([await f for f in futures])

    chunks = [_strip(c) async for c in wf.astream(2, {"configurable": {"thread_id": "1"}},
                                                    stream_mode=["tasks", "updates"])]
    # (on trio the two calls may finish in either order)
    if chunks[3] == ("updates", {"add": 11}):
        chunks[3:7] = chunks[5:7] + chunks[3:5]
    assert chunks == [
        ("tasks", {"name": "wf", "input": 2, "triggers": ("__start__",)}),
        ("tasks", {"name": "add", "input": ((0,), {}), "triggers": ("__pregel_push",)}),
        ("tasks", {"name": "add", "input": ((1,), {}), "triggers": ("__pregel_push",)}),
        ("updates", {"add": 10}),
        ("tasks", {"name": "add", "error": None, "result": {"__return__": 10}, "interrupts": []}),
        ("updates", {"add": 11}),
        ("tasks", {"name": "add", "error": None, "result": {"__return__": 11}, "interrupts": []}),
        ("updates", {"wf": 21}),
        ("tasks", {"name": "wf", "error": None, "result": {"__end__": 21}, "interrupts": []}),
    ]


class S(TypedDict):
    x: int


@pytest.mark.anyio
async def test_checkpoint_events_show_the_callers_configurable_keys(anyio_backend: str) -> None:
    # LangGraph 1.2.24: the `checkpoints`/`debug` events' configs are checkpoint_ns, then the
    # run's configurable keys (a caller's own too), then checkpoint_id; ours had only
    # thread_id, checkpoint_ns and checkpoint_id
    @entrypoint(checkpointer=InMemorySaver())
    def wf(x: int) -> int:
        return x

    cfg = {"configurable": {"user": "u", "thread_id": "1"}}
    events = [c async for c in wf.astream(1, cfg, stream_mode="checkpoints")]
    shown = [list(e["config"]["configurable"].items())[:-1] for e in events]
    assert shown == [[("checkpoint_ns", ""), ("user", "u"), ("thread_id", "1")]] * 2
    assert events[1]["parent_config"] == events[0]["config"]
    debug = [c async for c in wf.astream(1, cfg, stream_mode="debug") if c["type"] == "checkpoint"]
    assert [list(d["payload"]["config"]["configurable"])[:3] for d in debug] == [["checkpoint_ns", "user", "thread_id"]] * 2


@pytest.mark.anyio
async def test_exit_durability_checkpoint_events_have_no_parent(anyio_backend: str) -> None:
    # LangGraph 1.2.24: with durability="exit" every `checkpoints` event has parent_config
    # None (the checkpoint saved at the end has its parent all the same); ours showed parents
    @entrypoint(checkpointer=InMemorySaver())
    def wf(x: int) -> int:
        return x

    def a(s: S) -> dict[str, Any]:
        return {"x": s["x"] + 1}

    g = StateGraph(S).add_node("a", a).add_node("b", a).add_edge(START, "a").add_edge("a", "b").compile(
        checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "1"}}
    for _ in range(2):
        events = [c async for c in wf.astream(1, cfg, stream_mode="checkpoints", durability="exit")]
        assert [(e["metadata"]["step"], e["parent_config"]) for e in events][-1][1] is None
        assert all(e["parent_config"] is None for e in events)
    history = [h async for h in wf.aget_state_history(cfg)]
    assert [h.metadata["step"] for h in history] == [2, 0]  # type: ignore[index]
    assert history[0].parent_config == history[1].config
    events = [c async for c in g.astream({"x": 1}, cfg, stream_mode="checkpoints", durability="exit")]
    assert [(e["metadata"]["step"], e["parent_config"]) for e in events] == [(-1, None), (0, None), (1, None), (2, None)]


@pytest.mark.anyio
async def test_a_tasks_cache_key_func_gets_the_calls_arguments(anyio_backend: str) -> None:
    # LangGraph 1.2.24: a task's CachePolicy.key_func is called as key_func(*args, **kwargs);
    # ours got one (args, kwargs) tuple (so `lambda x: str(x % 2)` failed) and the run hung
    import anyio

    from actorgraph.cache.memory import InMemoryCache
    from actorgraph.types import CachePolicy

    @task(cache_policy=CachePolicy(key_func=lambda x, y=0: str((x + y) % 2)))
    def c(x: int, y: int = 0) -> int:
        return x

    @entrypoint(cache=InMemoryCache())
    def wf(x: int) -> list[int]:
        return [c(x).result(), c(x + 2).result(), c(x, y=2).result()]

    with anyio.fail_after(10):
        chunks = [ch async for ch in wf.astream(1, stream_mode="updates")]
    assert chunks == [{"c": 1}, {"c": 1, "__metadata__": {"cached": True}},
                      {"c": 1, "__metadata__": {"cached": True}}, {"wf": [1, 1, 1]}]


@pytest.mark.anyio
async def test_a_failing_cache_key_func_fails_the_caller(anyio_backend: str) -> None:
    # LangGraph 1.2.24: the key_func's error is raised in the entrypoint (ZeroDivisionError,
    # with the note "During task with name 'wf' ..."); ours hung (the call's future never
    # finished). Ours also carries a note naming the task whose key it is
    import anyio

    from actorgraph.cache.memory import InMemoryCache
    from actorgraph.types import CachePolicy

    @task(cache_policy=CachePolicy(key_func=lambda x: str(1 / 0)))
    def c(x: int) -> int:
        return x

    @entrypoint(cache=InMemoryCache())
    def wf(x: int) -> int:
        return c(x).result()

    with anyio.fail_after(10), pytest.raises(ZeroDivisionError, match="division by zero") as info:
        await wf.ainvoke(1)
    assert any(n.startswith("During task with name 'wf'") for n in info.value.__notes__)
