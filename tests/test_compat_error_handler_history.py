"""Error handlers in the thread's history: the failed node keeps its error, the handler is a
task of its own (issue 14, leftover).

Observed from LangGraph 1.2 (scratch runs of the graphs below, InMemorySaver):

* START -> a -> boom (fails; its handler returns ``Command(update=..., goto="recover")``):
  ``tasks`` streams boom's start and its failed result (``error`` the exception, ``result``
  ``{}``) under boom's id, then the handler's result under ``__error_handler__boom`` and an id
  of its own; the handler's config has ``checkpoint_ns`` (and metadata
  ``langgraph_checkpoint_ns``) ``boom:<boom's id>|__error_handler__boom:<its id>``. In ``get_state_history`` the checkpoint whose next is ``('boom',)`` lists boom
  with ``error="ValueError('bad input')"`` and ``result=None``; the next one has the handler's
  update in its values and ``next == ('recover',)``. The handler's writes are pending writes
  under the handler's id, boom's error under boom's.
* boom (handled) beside ``ask`` (``interrupt()``) in one step: while paused, ``get_state``
  shows values ``{'log': []}``, next both nodes, boom with its error, ask with its question;
  after ``Command(resume="A")`` the run ends with ``['A', 'handled', 'recovered']`` and the
  step's checkpoint still lists boom with its error and no result, ask with result
  ``{'log': ['A']}``. (LangGraph orders the two
  tasks by insertion, actorgraph by name: compared as sets.)
* boom (handled) beside ``flaky`` (fails once, unhandled), ``durability="sync"``: the run
  raises flaky's error; ``get_state`` lists boom and flaky, each with its error, values
  ``{'log': []}``; ``invoke(None)`` runs flaky again but not boom, and ends with
  ``['handled', 'flaky ok', 'recovered']``. Deliberate difference: LangGraph 1.2 also runs the
  handler again; here its writes were already durable, so, like any finished task, it is not.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import anyio
import pytest

from actorgraph import START, Command, StateGraph, interrupt
from actorgraph.errors import NodeError
from actorgraph.persistence import BaseCheckpointSaver

pytestmark = pytest.mark.anyio

CFG = {"configurable": {"thread_id": "t"}}


class S(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


def boom(state: S) -> dict[str, Any]:
    raise ValueError("bad input")


def handler(state: S, error: NodeError) -> Command[Any]:
    return Command(update={"log": [f"handled {type(error.error).__name__}"]}, goto="recover")


def recover(state: S) -> dict[str, Any]:
    return {"log": ["recovered"]}


async def test_history_lists_the_failed_node_with_its_error_and_the_handler_has_its_own_id(
        saver: BaseCheckpointSaver) -> None:
    handler_configs: list[dict[str, Any]] = []

    def recording_handler(state: S, error: NodeError, config: dict[str, Any]) -> Command[Any]:
        handler_configs.append(config)
        return handler(state, error)

    graph = (StateGraph(S).add_node("a", lambda s: {"log": ["a"]})
             .add_node("boom", boom, error_handler=recording_handler).add_node("recover", recover)
             .add_edge(START, "a").add_edge("a", "boom").compile(checkpointer=saver))
    events = [e async for e in graph.astream({"log": []}, CFG, stream_mode="tasks")]
    boom_start, boom_result, handled = events[2], events[3], events[4]
    assert boom_start["name"] == boom_result["name"] == "boom"
    assert boom_start["id"] == boom_result["id"]
    assert repr(boom_result["error"]) == "ValueError('bad input')" and boom_result["result"] == {}
    assert handled["name"] == "__error_handler__boom" and handled["error"] is None
    assert handled["result"] == {"log": ["handled ValueError"]}
    assert handled["id"] != boom_start["id"]
    [config] = handler_configs
    # the handler's namespace is below the failed node's task (as LangGraph 1.2 nests it)
    handler_ns = f"boom:{boom_start['id']}|__error_handler__boom:{handled['id']}"
    assert config["configurable"]["checkpoint_ns"] == handler_ns
    assert config["metadata"]["langgraph_checkpoint_ns"] == handler_ns
    assert config["metadata"]["langgraph_node"] == "__error_handler__boom"

    history = [s async for s in graph.aget_state_history(CFG)]
    assert [(s.metadata["step"], s.next, s.values) for s in history] == [
        (3, (), {"log": ["a", "handled ValueError", "recovered"]}),
        (2, ("recover",), {"log": ["a", "handled ValueError"]}),
        (1, ("boom",), {"log": ["a"]}),
        (0, ("a",), {"log": []}),
        (-1, ("__start__",), {"log": []}),
    ]
    [failed] = history[2].tasks
    assert (failed.id, failed.name, failed.error, failed.result) == (
        boom_start["id"], "boom", "ValueError('bad input')", None)
    assert [(t.name, t.error, t.result) for t in history[1].tasks] == [("recover", None, {"log": ["recovered"]})]
    stored = await saver.aget_tuple(history[2].config)
    assert stored is not None
    by_task: dict[str, list[str]] = {}
    for task_id, channel, _ in stored.pending_writes:
        by_task.setdefault(task_id, []).append(channel)
    assert by_task[boom_start["id"]] == ["__error__"]
    assert "log" in by_task[handled["id"]] and "__error__" not in by_task[handled["id"]]


async def test_a_handled_failure_beside_an_interrupt(saver: BaseCheckpointSaver) -> None:
    graph = (StateGraph(S).add_node("boom", boom, error_handler=handler)
             .add_node("ask", lambda s: {"log": [interrupt("q")]}).add_node("recover", recover)
             .add_edge(START, "boom").add_edge(START, "ask").compile(checkpointer=saver))
    out = await graph.ainvoke({"log": []}, CFG)
    assert out["log"] == ["handled ValueError"] and [i.value for i in out["__interrupt__"]] == ["q"]
    state = await graph.aget_state(CFG)
    assert state.values == {"log": []}
    assert sorted(state.next) == ["ask", "boom"]
    assert sorted((t.name, t.error, t.result, tuple(i.value for i in t.interrupts)) for t in state.tasks) == [
        ("ask", None, None, ("q",)), ("boom", "ValueError('bad input')", None, ())]
    assert await graph.ainvoke(Command(resume="A"), CFG) == {"log": ["A", "handled ValueError", "recovered"]}
    history = [s async for s in graph.aget_state_history(CFG)]
    step0 = next(s for s in history if s.metadata["step"] == 0)
    assert {t.name: (t.error, t.result) for t in step0.tasks} == {
        "boom": ("ValueError('bad input')", None), "ask": (None, {"log": ["A"]})}


async def test_a_handler_that_finished_is_not_run_again_when_the_step_resumes(
        saver: BaseCheckpointSaver) -> None:
    calls: list[str] = []
    attempts: list[int] = []
    handled = anyio.Event()

    async def counted_boom(state: S) -> dict[str, Any]:
        calls.append("boom")
        raise ValueError("bad input")

    async def counted_handler(state: S, error: NodeError) -> Command[Any]:
        calls.append("handler")
        handled.set()
        return Command(update={"log": ["handled"]}, goto="recover")

    async def flaky(state: S) -> dict[str, Any]:
        calls.append("flaky")
        attempts.append(1)
        if len(attempts) == 1:
            await handled.wait()  # fails once the handler has finished
            raise RuntimeError("flaky")
        return {"log": ["flaky ok"]}

    graph = (StateGraph(S).add_node("boom", counted_boom, error_handler=counted_handler)
             .add_node("flaky", flaky).add_node("recover", recover)
             .add_edge(START, "boom").add_edge(START, "flaky").compile(checkpointer=saver))
    with pytest.raises(RuntimeError, match="flaky"):
        await graph.ainvoke({"log": []}, CFG, durability="sync")
    state = await graph.aget_state(CFG)
    assert state.values == {"log": []} and sorted(state.next) == ["boom", "flaky"]
    assert sorted((t.name, t.error) for t in state.tasks) == [
        ("boom", "ValueError('bad input')"), ("flaky", "RuntimeError('flaky')")]
    assert sorted(calls) == ["boom", "flaky", "handler"]
    calls.clear()
    assert await graph.ainvoke(None, CFG, durability="sync") == {"log": ["handled", "flaky ok", "recovered"]}
    assert calls == ["flaky"]


async def test_a_handler_that_asks_is_resumed_without_running_the_node_again(saver: BaseCheckpointSaver) -> None:
    # Observed from LangGraph 1.2: the handler calls interrupt("fix?"); the run pauses with
    # values {'log': []}, get_state lists boom with its error (no interrupts on the task, none on
    # the snapshot); Command(resume="ok") runs the handler again but not boom, and the handler
    # then gets the stored error, the string "ValueError('bad')", as NodeError.error.
    calls: list[Any] = []

    def failing(state: S) -> dict[str, Any]:
        calls.append("boom")
        raise ValueError("bad")

    def asking(state: S, error: NodeError) -> Command[Any]:
        calls.append(("handler", error.node, error.error))
        return Command(update={"log": [f"handled {interrupt('fix?')}"]}, goto="recover")

    graph = (StateGraph(S).add_node("boom", failing, error_handler=asking).add_node("recover", recover)
             .add_edge(START, "boom").compile(checkpointer=saver))
    out = await graph.ainvoke({"log": []}, CFG)
    assert out["log"] == [] and [i.value for i in out["__interrupt__"]] == ["fix?"]
    state = await graph.aget_state(CFG)
    assert state.next == ("boom",) and state.interrupts == ()
    assert [(t.name, t.error, t.result, t.interrupts) for t in state.tasks] == [
        ("boom", "ValueError('bad')", None, ())]
    assert await graph.ainvoke(Command(resume="ok"), CFG) == {"log": ["handled ok", "recovered"]}
    assert len(calls) == 3 and calls[0] == "boom"
    assert calls[1][:2] == ("handler", "boom") and repr(calls[1][2]) == "ValueError('bad')"
    assert calls[2] == ("handler", "boom", "ValueError('bad')")
