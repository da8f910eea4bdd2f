"""A task that stopped (``interrupt()``, an error) and ran again on resume shows its result in
the history, next to its interrupt or error (leftover of issue 10 item 11).

Observed from LangGraph 1.2 (scratch runs, InMemorySaver): START -> ask (``interrupt("q")``),
resumed with ``Command(resume="A")``: the step-0 checkpoint of ``get_state_history`` lists ask
with ``result={'log': ['A']}`` and its interrupt ``q`` (the snapshot's ``interrupts`` too);
while paused, ``get_state`` lists it with ``result=None``. A node failing once (a step of two
tasks, ``durability="sync"``) and succeeding on ``invoke(None)``: the step's checkpoint lists it
with ``error="RuntimeError('flaky')"`` and ``result={'log': ['flaky ok']}``.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, Command, StateGraph, interrupt
from actorgraph.persistence import BaseCheckpointSaver

pytestmark = pytest.mark.anyio

CFG = {"configurable": {"thread_id": "t"}}


class S(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


async def test_a_resumed_interrupted_task_shows_its_result_and_its_interrupt(saver: BaseCheckpointSaver) -> None:
    graph = (StateGraph(S).add_node("ask", lambda s: {"log": [interrupt("q")]}).add_edge(START, "ask")
             .compile(checkpointer=saver))
    await graph.ainvoke({"log": []}, CFG)
    [paused] = (await graph.aget_state(CFG)).tasks
    assert (paused.name, paused.result, [i.value for i in paused.interrupts]) == ("ask", None, ["q"])
    assert await graph.ainvoke(Command(resume="A"), CFG) == {"log": ["A"]}
    history = [s async for s in graph.aget_state_history(CFG)]
    assert [(s.metadata["step"], s.next) for s in history] == [(1, ()), (0, ("ask",)), (-1, ("__start__",))]
    [ask] = history[1].tasks
    assert (ask.name, ask.error, ask.result) == ("ask", None, {"log": ["A"]})
    assert [i.value for i in ask.interrupts] == ["q"]
    assert [i.value for i in history[1].interrupts] == ["q"]


async def test_a_task_that_failed_then_ran_shows_its_error_and_its_result(saver: BaseCheckpointSaver) -> None:
    attempts: list[int] = []

    def flaky(state: S) -> dict[str, Any]:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("flaky")
        return {"log": ["flaky ok"]}

    graph = (StateGraph(S).add_node("flaky", flaky).add_node("other", lambda s: {"log": ["other"]})
             .add_edge(START, "flaky").add_edge(START, "other").compile(checkpointer=saver))
    with pytest.raises(RuntimeError, match="flaky"):
        await graph.ainvoke({"log": []}, CFG, durability="sync")
    assert await graph.ainvoke(None, CFG, durability="sync") == {"log": ["flaky ok", "other"]}
    history = [s async for s in graph.aget_state_history(CFG)]
    step0 = next(s for s in history if s.metadata["step"] == 0)
    tasks = {t.name: (t.error, t.result) for t in step0.tasks}
    assert tasks == {"flaky": ("RuntimeError('flaky')", {"log": ["flaky ok"]}), "other": (None, {"log": ["other"]})}
