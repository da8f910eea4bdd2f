"""What a run leaves behind when it does not finish: failures, cancellations, crashes.

- A failing task cancels its async siblings, waits for a sibling running a sync node in a worker
  thread (never abandoned) and keeps that sibling's writes: a resume does not run it again.
- A node raising ``CancelledError`` itself fails the run with ``NodeCancelledError`` naming it
  (LangGraph 1.2: ``NodeCancelledError: Node 'boom' raised asyncio.CancelledError``).
- ``durability="exit"``: a cancelled run, or one ended by a ``BaseException``, still writes its
  last checkpoint and the writes of the tasks that finished.
- ``durability="sync"``: a task of a fan-out step is durable as soon as it finishes: a process
  killed before the step commits does not run the finished tasks again.
- ``durability="async"``: a cancelled run's queued writes land before the cancellation returns
  (an immediate resume never meets ``CheckpointConflictError``), and the commit lag is bounded
  even when the nodes never yield to the event loop.
"""

from __future__ import annotations

import asyncio
import json
import operator
import random
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Annotated, Any, TypedDict

import anyio
import pytest

from actorgraph import START, StateGraph
from actorgraph.errors import NodeCancelledError
from actorgraph.persistence import BaseCheckpointSaver, SqliteSaver
from actorgraph.runtime._persist import MAX_INFLIGHT

pytestmark = pytest.mark.anyio


class S(TypedDict):
    log: Annotated[list[str], operator.add]


CFG = {"configurable": {"thread_id": "t"}}


# -- cancellation raised by a node ----------------------------------------------------------------


async def test_a_node_raising_cancelled_error_fails_the_run_naming_the_node(anyio_backend: str) -> None:
    async def ok(s: S) -> dict[str, Any]:
        return {"log": ["ok"]}

    async def boom(s: S) -> dict[str, Any]:
        raise asyncio.CancelledError("user-raised in node body")

    g = (StateGraph(S).add_node("ok", ok).add_node("boom", boom).add_edge(START, "ok").add_edge(START, "boom")
         .compile())
    with anyio.fail_after(5):
        with pytest.raises(NodeCancelledError, match="Node 'boom' raised asyncio.CancelledError") as info:
            await g.ainvoke({"log": []})
    assert info.value.node == "boom"
    assert isinstance(info.value.__cause__, asyncio.CancelledError)

    # alone in its step too
    lone = StateGraph(S).add_node("boom", boom).add_edge(START, "boom").compile()
    with anyio.fail_after(5):
        with pytest.raises(NodeCancelledError):
            await lone.ainvoke({"log": []})


async def test_cancelling_the_run_is_still_a_cancellation(anyio_backend: str) -> None:
    started = anyio.Event()

    async def slow(s: S) -> dict[str, Any]:
        started.set()
        await anyio.sleep(10)
        return {}

    g = StateGraph(S).add_node("slow", slow).add_edge(START, "slow").compile()
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(g.ainvoke, {"log": []})
            await started.wait()
            tg.cancel_scope.cancel()  # no NodeCancelledError: the group absorbs the cancellation


# -- a failing sibling and a sync node in a worker thread -----------------------------------------


async def test_a_sync_sibling_in_a_thread_is_waited_for_and_not_run_again(
        anyio_backend: str, saver: BaseCheckpointSaver) -> None:
    runs: list[str] = []
    finished = threading.Event()
    release = threading.Event()

    def slow_sync(s: S) -> dict[str, Any]:
        runs.append("slow")
        release.wait(5)
        time.sleep(0.05)
        finished.set()
        return {"log": ["slow"]}

    attempts: list[int] = []

    async def failing(s: S) -> dict[str, Any]:
        attempts.append(1)
        if len(attempts) == 1:  # the first run fails while slow_sync is in its thread
            while not runs:
                await anyio.sleep(0.005)
            release.set()
            raise ValueError("boom")
        return {"log": ["failing"]}

    g = (StateGraph(S).add_node("slow", slow_sync).add_node("failing", failing)
         .add_edge(START, "slow").add_edge(START, "failing").compile(checkpointer=saver))
    with pytest.raises(ValueError, match="boom"):
        await g.ainvoke({"log": []}, CFG)
    assert finished.is_set()  # invoke did not return while the thread still ran
    state = await g.aget_state(CFG)
    assert state.next == ("failing",)  # LangGraph 1.2 too: the finished task is not next
    [slow_task] = [t for t in state.tasks if t.name == "slow"]
    assert slow_task.result == {"log": ["slow"]}  # its writes were kept
    out = await g.ainvoke(None, CFG)
    assert sorted(out["log"]) == ["failing", "slow"]
    assert runs == ["slow"]  # not run again on resume


# -- exit durability: what a cancelled run writes -------------------------------------------------


class Stop(BaseException):
    pass


@pytest.mark.parametrize("how", ["cancel", "base_exception"])
async def test_exit_durability_writes_the_last_checkpoint_when_the_run_is_cancelled(
        anyio_backend: str, saver: BaseCheckpointSaver, how: str) -> None:
    started = anyio.Event()

    def a(s: S) -> dict[str, Any]:
        return {"log": ["a"]}

    def b(s: S) -> dict[str, Any]:
        return {"log": ["b"]}

    async def c(s: S) -> dict[str, Any]:
        started.set()
        if how == "base_exception":
            raise Stop()
        await anyio.sleep(10)
        return {"log": ["c"]}

    g = (StateGraph(S).add_node("a", a).add_node("b", b).add_node("c", c)
         .add_edge(START, "a").add_edge("a", "b").add_edge("a", "c").compile(checkpointer=saver))
    with anyio.fail_after(5):
        if how == "cancel":
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: g.ainvoke({"log": []}, CFG, durability="exit"))
                await started.wait()
                await anyio.sleep(0.05)  # b (a worker thread) is done by now
                tg.cancel_scope.cancel()
        else:
            with pytest.raises(Stop):
                await g.ainvoke({"log": []}, CFG, durability="exit")
    state = await g.aget_state(CFG)
    # LangGraph 1.2, cancelled: the same. On a BaseException it does not wait for b's thread
    # and keeps only the checkpoint; actorgraph waits for it and keeps its writes as well.
    assert state.values == {"log": ["a", "b"]}
    assert state.next == ("c",)
    done = {t.name: t.result for t in state.tasks}
    assert done["b"] == {"log": ["b"]}  # finished before the end: kept, not run again
    assert done["c"] is None
    ran: list[str] = []

    async def c2(s: S) -> dict[str, Any]:
        ran.append("c")
        return {"log": ["c"]}

    g2 = (StateGraph(S).add_node("a", a).add_node("b", lambda s: ran.append("b") or {"log": ["b!"]})
          .add_node("c", c2).add_edge(START, "a").add_edge("a", "b").add_edge("a", "c")
          .compile(checkpointer=saver))
    out = await g2.ainvoke(None, CFG)
    assert out == {"log": ["a", "b", "c"]}
    assert ran == ["c"]


# -- async durability -------------------------------------------------------------------------------


def _chain(n: int, saver: BaseCheckpointSaver, node: Any) -> Any:
    g = StateGraph(S)
    prev = START
    for i in range(n):
        g.add_node(f"n{i}", node(i))
        g.add_edge(prev, f"n{i}")
        prev = f"n{i}"
    return g.compile(checkpointer=saver)


async def test_a_cancelled_run_commits_nothing_after_the_cancellation_returned(
        anyio_backend: str, tmp_path: Path) -> None:
    rng = random.Random(7)

    def node(i: int) -> Any:
        async def fn(s: S) -> dict[str, Any]:
            await anyio.sleep(0)
            return {"log": [f"n{i}"]}
        return fn

    async with SqliteSaver.from_conn_string(str(tmp_path / "t.db")) as saver:
        g = _chain(40, saver, node)
        for trial in range(20):
            cfg = {"configurable": {"thread_id": f"t{trial}"}}
            with anyio.move_on_after(rng.uniform(0.0, 0.01)):
                await g.ainvoke({"log": []}, cfg, durability="async")
            head = await saver.aget_tuple(cfg)
            await anyio.sleep(0.02)  # nothing of the cancelled run may land now...
            assert await saver.aget_tuple(cfg) == head
            out = await g.ainvoke(None if head else {"log": []}, cfg)  # ...nor conflict with this
            assert out["log"][-1] == "n39"


async def test_async_durability_lags_a_bounded_number_of_steps_with_nodes_that_never_yield(
        anyio_backend: str, tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    seen: list[tuple[int, int]] = []

    def node(i: int) -> Any:
        async def fn(s: S) -> dict[str, Any]:  # never awaits: never yields to the event loop
            if i % 25 == 24:
                with sqlite3.connect(db) as conn:  # what another process would find now
                    seen.append((i, conn.execute("SELECT count(*) FROM checkpoints").fetchone()[0]))
            return {"log": [str(i)]}
        return fn

    async with SqliteSaver.from_conn_string(db) as saver:
        g = _chain(100, saver, node)
        await g.ainvoke({"log": []}, CFG, durability="async")
    assert len(seen) == 4
    for step, stored in seen:
        # checkpoints up to this step: the input and one per earlier step
        assert stored >= step + 1 - MAX_INFLIGHT - 1, (step, stored)


# -- sync durability: a crash inside a fan-out step ----------------------------------------------------

CRASH = textwrap.dedent('''
    import json, operator, os, sys, time
    from typing import Annotated, TypedDict
    import anyio
    from actorgraph import START, StateGraph
    from actorgraph.persistence import SqliteSaver

    db, log_path, crash, backend = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]

    class S(TypedDict):
        log: Annotated[list[str], operator.add]

    def record(name):
        with open(log_path, "a") as f:
            f.write(json.dumps(name) + "\\n")

    def quick(name):
        def fn(state):
            record(name)
            return {"log": [name]}
        return fn

    def last(state):
        record("last")
        if crash:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:   # wait until both siblings' writes are stored
                done = open(log_path).read().split()
                if done.count('"q1"') and done.count('"q2"'):
                    time.sleep(0.3)
                    break
                time.sleep(0.01)
            os._exit(17)                         # killed before the step commits
        return {"log": ["last"]}

    g = StateGraph(S)
    for name in ("q1", "q2"):
        g.add_node(name, quick(name))
        g.add_edge(START, name)
    g.add_node("last", last)
    g.add_edge(START, "last")

    async def main():
        async with SqliteSaver.from_conn_string(db) as saver:
            app = g.compile(checkpointer=saver)
            cfg = {"configurable": {"thread_id": "t"}}
            state = await app.aget_state(cfg)
            out = await app.ainvoke(None if state.next else {"log": []}, cfg, durability="sync")
            print(json.dumps(sorted(out["log"])))

    anyio.run(main, backend=backend)
''')


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_sync_durability_keeps_finished_tasks_of_a_step_killed_before_its_commit(
        tmp_path: Path, backend: str) -> None:
    script = tmp_path / "crash.py"
    script.write_text(CRASH)
    db, log = str(tmp_path / "state.db"), tmp_path / "executions.log"
    first = subprocess.run([sys.executable, str(script), db, str(log), "1", backend],
                           capture_output=True, text=True, timeout=60)
    assert first.returncode == 17, first.stderr
    assert sorted(json.loads(x) for x in log.read_text().split()) == ["last", "q1", "q2"]
    second = subprocess.run([sys.executable, str(script), db, str(log), "0", backend],
                            capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout) == ["last", "q1", "q2"]
    # q1 and q2 finished before the kill and are not run again; "last" (killed) runs again
    assert sorted(json.loads(x) for x in log.read_text().split()) == ["last", "last", "q1", "q2"]
