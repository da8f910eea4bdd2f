"""LangGraph compatibility of ``Command(resume=..., update=...)`` and ``Command(update=...)``
given to a thread that already has checkpoints (issue 10 item 14): the Command's writes are
kept as pending writes of the NULL task on the checkpoint it was given to, so a run that
pauses again before the next checkpoint (a second ``interrupt()`` in the node), or that has
nothing left to run, does not lose them; ``get_state``, the history and the next run all see
them. On asyncio and trio, memory and SQLite savers.

Expected values were produced by running the same graphs with LangGraph 1.2.24
(langgraph-checkpoint 4.3.2, langgraph-checkpoint-sqlite 3.1.2).
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, Command, StateGraph, interrupt
from actorgraph.persistence import BaseCheckpointSaver

pytestmark = pytest.mark.anyio

NULL_TASK = "00000000-0000-0000-0000-000000000000"
CFG: dict[str, Any] = {"configurable": {"thread_id": "1"}}


class S(TypedDict):
    my_key: Annotated[str, operator.add]


def one_question(saver: BaseCheckpointSaver) -> Any:
    def node(s: S) -> dict[str, Any]:
        return {"my_key": " " + interrupt("?")}

    return StateGraph(S).add_node("node", node).add_edge(START, "node").compile(checkpointer=saver)


def two_questions(saver: BaseCheckpointSaver) -> Any:
    def node(s: S) -> dict[str, Any]:
        a = interrupt(1)
        b = interrupt(2)
        return {"my_key": a + " " + b}

    return StateGraph(S).add_node("node", node).add_edge(START, "node").compile(checkpointer=saver)


async def test_resume_with_update_applies_the_update(saver: BaseCheckpointSaver) -> None:
    app = one_question(saver)
    await app.ainvoke({"my_key": "DE"}, CFG)
    out = await app.ainvoke(Command(resume="answer", update={"my_key": " foofoo"}), CFG)
    assert out == {"my_key": "DE foofoo answer"}
    # the checkpoint the Command was given to shows it (its NULL task's pending writes)
    history = [(s.metadata["step"], s.values, s.next) async for s in app.aget_state_history(CFG)]
    assert history == [
        (1, {"my_key": "DE foofoo answer"}, ()),
        (0, {"my_key": "DE foofoo"}, ("node",)),
        (-1, {"my_key": ""}, ("__start__",)),
    ]


async def test_update_of_a_resume_that_pauses_again_is_kept(saver: BaseCheckpointSaver) -> None:
    app = two_questions(saver)
    await app.ainvoke({"my_key": "DE"}, CFG)
    chunks = [c async for c in app.astream(Command(resume="answer 1", update={"my_key": " foofoo "}), CFG,
                                           stream_mode=["values", "updates"])]
    assert [mode for mode, _ in chunks] == ["values", "updates", "values"]
    assert chunks[0][1] == {"my_key": "DE foofoo "}  # the resume starts from the update
    assert [i.value for i in chunks[1][1]["__interrupt__"]] == [2]
    assert chunks[2][1]["my_key"] == "DE foofoo "
    assert [i.value for i in chunks[2][1]["__interrupt__"]] == [2]

    state = await app.aget_state(CFG)
    assert state.values == {"my_key": "DE foofoo "}
    assert state.next == ("node",)
    assert [i.value for i in state.interrupts] == [2]
    # the history shows the checkpoint with the Command given to it
    history = [(s.metadata["source"], s.metadata["step"], s.values, s.next)
               async for s in app.aget_state_history(CFG)]
    assert history == [
        ("loop", 0, {"my_key": "DE foofoo "}, ("node",)),
        ("input", -1, {"my_key": ""}, ("__start__",)),
    ]
    # kept as the NULL task's pending writes of the paused checkpoint (resume value, then writes)
    saved = await saver.aget_tuple(CFG)
    assert saved is not None and saved.pending_writes is not None
    assert [w for w in saved.pending_writes if w[0] == NULL_TASK] == [
        (NULL_TASK, "__resume__", "answer 1"),
        (NULL_TASK, "my_key", " foofoo "),
    ]

    values = [c async for c in app.astream(Command(resume="answer 2"), CFG, stream_mode="values")]
    assert values == [{"my_key": "DE foofoo "}, {"my_key": "DE foofoo answer 1 answer 2"}]


async def test_updates_of_successive_resumes_accumulate(saver: BaseCheckpointSaver) -> None:
    app = two_questions(saver)
    await app.ainvoke({"my_key": "DE"}, CFG)
    await app.ainvoke(Command(resume="answer 1", update={"my_key": " foofoo "}), CFG)
    values = [c async for c in app.astream(Command(resume="answer 2", update={"my_key": " x"}), CFG,
                                           stream_mode="values")]
    assert values == [{"my_key": "DE foofoo  x"}, {"my_key": "DE foofoo  xanswer 1 answer 2"}]
    history = [(s.metadata["step"], s.values, s.next) async for s in app.aget_state_history(CFG)]
    assert history == [
        (1, {"my_key": "DE foofoo  xanswer 1 answer 2"}, ()),
        (0, {"my_key": "DE foofoo  x"}, ("node",)),
        (-1, {"my_key": ""}, ("__start__",)),
    ]


class Log(TypedDict):
    x: str
    log: Annotated[list[str], operator.add]


def logging_graph(saver: BaseCheckpointSaver) -> Any:
    def node(s: Log) -> dict[str, Any]:
        return {"log": ["n"]}

    return StateGraph(Log).add_node("node", node).add_edge(START, "node").compile(checkpointer=saver)


async def test_update_of_a_finished_thread_is_kept(saver: BaseCheckpointSaver) -> None:
    # nothing runs after the update, so no checkpoint is made: it stays a pending write
    app = logging_graph(saver)
    assert await app.ainvoke({"x": "0"}, CFG) == {"x": "0", "log": ["n"]}
    assert await app.ainvoke(Command(update={"x": "1", "log": ["u"]}), CFG) == {"x": "1", "log": ["n", "u"]}
    assert (await app.aget_state(CFG)).values == {"x": "1", "log": ["n", "u"]}
    assert len([s async for s in app.aget_state_history(CFG)]) == 3
    saved = await saver.aget_tuple(CFG)
    assert saved is not None
    assert saved.pending_writes == [(NULL_TASK, "x", "1"), (NULL_TASK, "log", ["u"])]


async def test_a_later_update_of_a_plain_key_wins(saver: BaseCheckpointSaver) -> None:
    # LangGraph bug, not copied: it applies both Commands' writes as one step, so the second
    # write of 'x' raises InvalidUpdateError ("Can receive only one value per step") there and
    # in every later get_state of the thread. Each Command is one update: the later one wins.
    app = logging_graph(saver)
    await app.ainvoke({"x": "0"}, CFG)
    await app.ainvoke(Command(update={"x": "1", "log": ["u"]}), CFG)
    out = await app.ainvoke(Command(update={"x": "2"}, goto="node"), CFG)
    assert out == {"x": "2", "log": ["n", "u", "n"]}
    assert (await app.aget_state(CFG)).values == {"x": "2", "log": ["n", "u", "n"]}
