"""A step of several tasks in which one fails: a sibling that finishes without waiting keeps
its writes (it does not run again when the thread resumes), as LangGraph 1.2 (interop finding
``pending_writes_lost``); a sibling stopped unfinished shows ``CancelledError()`` as its error
(also when the run itself is cancelled; not for a lone task), a sibling that had called
``interrupt()`` keeps its question. On asyncio and trio, with the in-memory and the SQLite saver.

Expected values were produced by running the same graph with LangGraph 1.2.24
(langgraph-checkpoint 4.3.2, langgraph-checkpoint-sqlite 3.1.2 ``AsyncSqliteSaver``):
LangGraph's runner acts on a failure once its waiter wakes up, so a sibling that only yields
(``sleep(0)``) finishes; one waiting on a timer is cancelled and runs again on resume.
"""

from __future__ import annotations

import operator
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any, TypedDict

import anyio
import pytest

from actorgraph import START, StateGraph
from actorgraph.persistence import BaseCheckpointSaver, InMemorySaver, SqliteSaver

pytestmark = pytest.mark.anyio


class S(TypedDict):
    log: Annotated[list[str], operator.add]


@pytest.fixture(params=["memory", "sqlite"])
async def local_saver(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BaseCheckpointSaver]:
    if request.param == "memory":
        yield InMemorySaver()
    else:
        async with SqliteSaver.from_conn_string(str(tmp_path / "t.db")) as saver:
            yield saver


def graph(saver: BaseCheckpointSaver, ok_wait: float, calls: dict[str, int]) -> Any:
    async def ok(state: S) -> dict[str, Any]:
        calls["ok"] += 1
        await anyio.sleep(ok_wait)
        return {"log": ["ok"]}

    async def bad(state: S) -> dict[str, Any]:
        calls["bad"] += 1
        await anyio.sleep(0)
        if calls["bad"] == 1:
            raise RuntimeError("boom")
        return {"log": ["bad"]}

    return (StateGraph(S).add_node("ok", ok).add_node("bad", bad).add_edge(START, "ok").add_edge(START, "bad")
            .compile(checkpointer=saver))


async def test_sibling_that_only_yields_keeps_its_writes(local_saver: BaseCheckpointSaver) -> None:
    calls = {"ok": 0, "bad": 0}
    g = graph(local_saver, 0, calls)
    cfg = {"configurable": {"thread_id": "1"}}
    with pytest.raises(RuntimeError, match="boom"):
        await g.ainvoke({"log": []}, cfg)
    snapshot = await g.aget_state(cfg)
    # LangGraph: [('ok', None, {'log': ['ok']}), ('bad', "RuntimeError('boom')", None)], next ('bad',)
    assert [(t.name, t.error, t.result) for t in snapshot.tasks] == [
        ("ok", None, {"log": ["ok"]}), ("bad", "RuntimeError('boom')", None)]
    assert snapshot.next == ("bad",)
    assert await g.ainvoke(None, cfg) == {"log": ["bad", "ok"]}
    assert calls == {"ok": 1, "bad": 2}


async def test_sibling_that_yields_a_few_times_keeps_its_writes() -> None:
    calls = {"ok": 0, "bad": 0}

    async def ok(state: S) -> dict[str, Any]:
        calls["ok"] += 1
        for _ in range(3):  # (LangGraph: up to 5 zero-time yields still finish)
            await anyio.sleep(0)
        return {"log": ["ok"]}

    async def bad(state: S) -> dict[str, Any]:
        calls["bad"] += 1
        if calls["bad"] == 1:
            raise RuntimeError("boom")
        return {"log": ["bad"]}

    g = (StateGraph(S).add_node("ok", ok).add_node("bad", bad).add_edge(START, "ok").add_edge(START, "bad")
         .compile(checkpointer=InMemorySaver()))
    cfg = {"configurable": {"thread_id": "1"}}
    with pytest.raises(RuntimeError, match="boom"):
        await g.ainvoke({"log": []}, cfg)
    assert (await g.aget_state(cfg)).next == ("bad",)
    assert await g.ainvoke(None, cfg) == {"log": ["bad", "ok"]}
    assert calls == {"ok": 1, "bad": 2}


async def test_sibling_waiting_on_a_timer_is_cancelled_and_runs_again(local_saver: BaseCheckpointSaver) -> None:
    calls = {"ok": 0, "bad": 0}
    g = graph(local_saver, 0.05, calls)
    cfg = {"configurable": {"thread_id": "1"}}
    with pytest.raises(RuntimeError, match="boom"):
        await g.ainvoke({"log": []}, cfg)
    snapshot = await g.aget_state(cfg)
    assert snapshot.next == ("ok", "bad")
    # LangGraph: [('ok', 'CancelledError()'), ('bad', "RuntimeError('boom')")]
    assert [(t.name, t.error) for t in snapshot.tasks] == [("ok", "CancelledError()"), ("bad", "RuntimeError('boom')")]
    assert await g.ainvoke(None, cfg) == {"log": ["bad", "ok"]}
    assert calls == {"ok": 2, "bad": 2}


async def slow(state: S) -> dict[str, Any]:
    await anyio.sleep(1)
    return {"log": ["slow"]}


async def test_run_cancelled_marks_unfinished_tasks_of_a_concurrent_step(local_saver: BaseCheckpointSaver) -> None:
    async def quick(state: S) -> dict[str, Any]:
        await anyio.sleep(0.01)
        return {"log": ["quick"]}

    g = (StateGraph(S).add_node("quick", quick).add_node("slow", slow).add_edge(START, "quick").add_edge(START, "slow")
         .compile(checkpointer=local_saver))
    cfg = {"configurable": {"thread_id": "1"}}
    with anyio.move_on_after(0.3):
        await g.ainvoke({"log": []}, cfg)
    snapshot = await g.aget_state(cfg)
    # LangGraph (asyncio.wait_for timeout): [('quick', None, {'log': ['quick']}), ('slow', 'CancelledError()', None)]
    assert [(t.name, t.error, t.result) for t in snapshot.tasks] == [
        ("quick", None, {"log": ["quick"]}), ("slow", "CancelledError()", None)]
    assert snapshot.next == ("slow",)


async def test_run_cancelled_lone_task_has_no_error(local_saver: BaseCheckpointSaver) -> None:
    g = StateGraph(S).add_node("slow", slow).add_edge(START, "slow").compile(checkpointer=local_saver)
    cfg = {"configurable": {"thread_id": "1"}}
    with anyio.move_on_after(0.1):
        await g.ainvoke({"log": []}, cfg)
    snapshot = await g.aget_state(cfg)
    assert [(t.name, t.error) for t in snapshot.tasks] == [("slow", None)]  # LangGraph: the same


async def test_interrupted_and_cancelled_siblings_of_a_failure(local_saver: BaseCheckpointSaver) -> None:
    from actorgraph import Command, interrupt

    calls = {"bad": 0, "ask": 0, "slow": 0}

    async def ask(state: S) -> dict[str, Any]:
        calls["ask"] += 1
        return {"log": [interrupt("q")]}

    async def bad(state: S) -> dict[str, Any]:
        calls["bad"] += 1
        await anyio.sleep(0.01)
        if calls["bad"] == 1:
            raise RuntimeError("boom")
        return {"log": ["bad"]}

    async def slowish(state: S) -> dict[str, Any]:
        calls["slow"] += 1
        await anyio.sleep(0.05)
        return {"log": ["slow"]}

    g = (StateGraph(S).add_node("ask", ask).add_node("bad", bad).add_node("slow", slowish)
         .add_edge(START, "ask").add_edge(START, "bad").add_edge(START, "slow").compile(checkpointer=local_saver))
    cfg = {"configurable": {"thread_id": "1"}}
    with pytest.raises(RuntimeError, match="boom"):
        await g.ainvoke({"log": []}, cfg)
    snapshot = await g.aget_state(cfg)
    # LangGraph: interrupts ['q']; tasks ask (its question), bad (its error), slow (CancelledError())
    assert [i.value for i in snapshot.interrupts] == ["q"]
    assert [(t.name, t.error, [i.value for i in t.interrupts]) for t in snapshot.tasks] == [
        ("ask", None, ["q"]), ("bad", "RuntimeError('boom')", []), ("slow", "CancelledError()", [])]
    # LangGraph: {'log': ['yes', 'bad', 'slow']}, every node ran twice
    assert await g.ainvoke(Command(resume="yes"), cfg) == {"log": ["yes", "bad", "slow"]}
    assert calls == {"bad": 2, "ask": 2, "slow": 2}


async def test_cancelled_sibling_with_an_error_handler_runs_its_node_again() -> None:
    calls = {"bad": 0, "h": 0, "handler": 0}

    async def h(state: S) -> dict[str, Any]:
        calls["h"] += 1
        await anyio.sleep(0.05)
        return {"log": ["h"]}

    def handler(state: S) -> dict[str, Any]:
        calls["handler"] += 1
        return {"log": ["handled"]}

    async def bad(state: S) -> dict[str, Any]:
        calls["bad"] += 1
        await anyio.sleep(0.01)
        if calls["bad"] == 1:
            raise RuntimeError("boom")
        return {"log": ["bad"]}

    g = (StateGraph(S).add_node("h", h, error_handler=handler).add_node("bad", bad)
         .add_edge(START, "h").add_edge(START, "bad").compile(checkpointer=InMemorySaver()))
    cfg = {"configurable": {"thread_id": "1"}}
    with pytest.raises(RuntimeError, match="boom"):
        await g.ainvoke({"log": []}, cfg)
    assert [(t.name, t.error) for t in (await g.aget_state(cfg)).tasks] == [
        ("h", "CancelledError()"), ("bad", "RuntimeError('boom')")]
    # LangGraph: {'log': ['bad', 'h']}, the handler never ran
    assert await g.ainvoke(None, cfg) == {"log": ["bad", "h"]}
    assert calls == {"bad": 2, "h": 2, "handler": 0}
