"""A saver written LangGraph's way (its own ``aput``/``aput_writes``) under ``async``
durability: its writes overlap with the next steps, as LangGraph overlaps them (measured on
LangGraph 1.2.24: 20 steps with a 20 ms ``aput`` take 0.49 s there; actorgraph took 0.89 s
committing each inline), and yet land in order, all before the run returns; a failure fails
the run and stores nothing after it; ``sync`` durability still commits before the next step.
The run's writer is an actor of its barrier supervisor (``checkpoint-writer``)."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from actorgraph import START, StateGraph
from actorgraph.persistence import InMemorySaver

from _helpers import Count, count_to

pytestmark = pytest.mark.anyio

STEPS = 6


class SlowSaver(InMemorySaver):
    """``aput`` awaits a gate the test opens (or a short sleep): what the run did meanwhile
    shows whether the write overlapped with the next steps."""

    def __init__(self, log: list[Any], fail_at: int | None = None) -> None:
        super().__init__()
        self.log = log
        self.fail_at = fail_at

    async def aput(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> dict[str, Any]:
        step = metadata["step"]
        self.log.append(("put started", step))
        await anyio.sleep(0.01)
        if step == self.fail_at:
            raise OSError(f"disk full at step {step}")
        out = await super().aput(config, checkpoint, metadata, new_versions)
        self.log.append(("put done", step))
        return out


def counting(log: list[Any]) -> Any:
    async def inc(state: Count) -> dict[str, int]:
        log.append(("node", state["n"] + 1))
        await anyio.sleep(0)
        return {"n": state["n"] + 1}

    return count_to(STEPS, inc)


async def test_writes_overlap_with_the_next_steps_and_land_in_order() -> None:
    log: list[Any] = []
    saver = SlowSaver(log)
    graph = counting(log).compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "t"}}
    assert await graph.ainvoke({"n": 0}, config) == {"n": STEPS}
    puts = [step for kind, step in log if kind == "put done"]
    assert puts == list(range(-1, STEPS + 1))  # every checkpoint, in order, before the run returned
    # overlap: a node ran while an earlier step's put was still under way
    started = {step: i for i, (kind, step) in enumerate(log) if kind == "put started"}
    done = {step: i for i, (kind, step) in enumerate(log) if kind == "put done"}
    nodes = [i for i, (kind, _) in enumerate(log) if kind == "node"]
    assert any(started[s] < i < done[s] for s in started for i in nodes), log
    # what was stored reads back as the run left it
    history = [s async for s in graph.aget_state_history(config)]
    assert [s.metadata["step"] for s in history] == list(range(STEPS, -2, -1))
    assert history[0].values == {"n": STEPS}


async def test_sync_durability_still_commits_before_the_next_step() -> None:
    log: list[Any] = []
    graph = counting(log).compile(checkpointer=SlowSaver(log))
    await graph.ainvoke({"n": 0}, {"configurable": {"thread_id": "t"}}, durability="sync")
    for i, (kind, step) in enumerate(log):
        if kind == "node":
            # every put started before this node has finished before it
            assert all(("put done", s) in log[:i] for k, s in log[:i] if k == "put started"), log


async def test_a_failed_write_fails_the_run_and_nothing_is_stored_after_it() -> None:
    log: list[Any] = []
    saver = SlowSaver(log, fail_at=2)
    graph = counting(log).compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "t"}}
    with pytest.raises(OSError, match="disk full at step 2"):
        await graph.ainvoke({"n": 0}, config)
    assert [step for kind, step in log if kind == "put done"] == [-1, 0, 1]
    assert [step for kind, step in log if kind == "put started"] == [-1, 0, 1, 2]  # none after
    assert (await graph.aget_state(config)).metadata["step"] == 1


async def test_a_cancelled_run_lands_its_writes_before_the_cancellation_returns() -> None:
    log: list[Any] = []
    saver = SlowSaver(log)
    graph = counting(log).compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "t"}}
    with anyio.move_on_after(0.025):
        await graph.ainvoke({"n": 0}, config)
    landed = [step for kind, step in log if kind == "put done"]
    assert [step for kind, step in log if kind == "put started"] == landed  # none cut off
    assert (await graph.aget_state(config)).metadata["step"] == landed[-1]
    assert await graph.ainvoke(None, config) == {"n": STEPS}  # resumes from what landed


async def test_the_writer_is_an_actor_of_the_run() -> None:
    from actorgraph.runtime._loop import Run

    seen: list[str] = []

    async def look(state: Count) -> dict[str, int]:
        from actorgraph.runtime._context import current_task

        ctx = current_task.get()
        assert ctx is not None
        run: Run = ctx.run
        assert run.sup is not None
        seen.append(run.sup.dump())  # the run's actor tree while it runs
        return {"n": 1}

    g = StateGraph(Count)
    g.add_node("look", look)
    g.add_edge(START, "look")
    graph = g.compile(checkpointer=SlowSaver([]))
    await graph.ainvoke({"n": 0}, {"configurable": {"thread_id": "t"}})
    assert seen and "checkpoint-writer" in seen[0], seen
    # a saver with a writer of its own (or committing in memory) needs none
    seen.clear()
    await g.compile(checkpointer=InMemorySaver()).ainvoke({"n": 0}, {"configurable": {"thread_id": "t"}})
    assert seen and "checkpoint-writer" not in seen[0], seen


async def test_a_run_cancelled_while_it_waits_for_a_lagging_write_lets_it_land() -> None:
    # each step takes 0.12 s and each write 0.3 s: past 0.1 s of lag the next step waits for
    # the one write in flight, and the run is cancelled during that wait. The write under way
    # lands before the cancellation returns (nothing of the run lands after it)
    log: list[Any] = []

    class Slower(SlowSaver):
        async def aput(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> dict[str, Any]:
            await anyio.sleep(0.3)
            return await super().aput(config, checkpoint, metadata, new_versions)

    async def slow_inc(state: Count) -> dict[str, int]:
        await anyio.sleep(0.12)
        return {"n": state["n"] + 1}

    g = count_to(STEPS, slow_inc)
    graph = g.compile(checkpointer=Slower(log))
    config = {"configurable": {"thread_id": "t"}}
    with anyio.move_on_after(0.2) as scope:
        await graph.ainvoke({"n": 0}, config)
    assert scope.cancelled_caught
    started = [step for kind, step in log if kind == "put started"]
    landed = [step for kind, step in log if kind == "put done"]
    assert started == landed and landed, log
    assert (await graph.aget_state(config)).metadata["step"] == landed[-1]


async def test_a_failed_write_met_by_a_cancellation_raises_the_saver_error_unwrapped() -> None:
    # the run is cancelled (a deadline) while its writer has failed: the saver's error is what
    # the caller gets, not an exception group holding it and the writer's cancellation (trio)
    class FailAt1(InMemorySaver):
        async def aput(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> dict[str, Any]:
            if metadata["step"] == 1:
                raise OSError("disk full at step 1")
            return await super().aput(config, checkpoint, metadata, new_versions)

    async def inc(state: Count) -> dict[str, int]:
        if state["n"] == 3:
            await anyio.sleep(1)  # the deadline comes here, after the failed write
        return {"n": state["n"] + 1}

    g = count_to(STEPS, inc)
    graph = g.compile(checkpointer=FailAt1())
    with anyio.move_on_after(0.05):
        with pytest.raises(OSError, match="disk full at step 1"):
            await graph.ainvoke({"n": 0}, {"configurable": {"thread_id": "t"}})
