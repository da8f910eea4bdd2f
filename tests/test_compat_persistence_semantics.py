"""LangGraph compatibility of what a thread shows and keeps (issue 10): a failed task's error in
``get_state``/``get_state_history``, ``interrupt()`` in a graph without a checkpointer, sync
calls on an in-memory store from inside a running node, and what ``compile()`` accepts as a
checkpointer. On asyncio and trio; where a saver matters, memory and SQLite.

Expected values were produced by running the same graphs with LangGraph 1.2.24
(langgraph-checkpoint 4.3.2, langgraph-checkpoint-sqlite 3.1.2).
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, StateGraph
from actorgraph.persistence import BaseCheckpointSaver

pytestmark = pytest.mark.anyio


def cfg(thread: str = "1") -> dict[str, Any]:
    return {"configurable": {"thread_id": thread}}


# -- a failed task's error in the snapshot (r10) ------------------------------------------------


class X(TypedDict):
    x: int


class WrongTemperature(Exception):
    """An exception type of the user's own: its name must survive in the snapshot."""


def failing_graph(saver: BaseCheckpointSaver, error: Exception) -> Any:
    def boom(state: X) -> dict[str, Any]:
        raise error

    return StateGraph(X).add_node("boom", boom).add_edge(START, "boom").compile(checkpointer=saver)


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (RuntimeError("Simulated failure"), "RuntimeError('Simulated failure')"),
        (ValueError("bad value", 3), "ValueError('bad value', 3)"),
        (WrongTemperature("custom"), "WrongTemperature('custom')"),
    ],
)
async def test_failed_task_error_is_the_stored_repr_string(
    saver: BaseCheckpointSaver, error: Exception, shown: str
) -> None:
    # LangGraph (InMemorySaver and SqliteSaver alike): tasks[0].error is the str the saver
    # stored, repr(exc) — not an exception object — in get_state and in the history.
    app = failing_graph(saver, error)
    with pytest.raises(type(error)):
        await app.ainvoke({"x": 1}, cfg())
    (task,) = (await app.aget_state(cfg())).tasks
    assert (task.name, task.error, type(task.error)) == ("boom", shown, str)
    history = [s async for s in app.aget_state_history(cfg())]
    assert [(s.metadata["step"], [t.error for t in s.tasks]) for s in history] == [
        (0, [shown]),
        (-1, [None]),
    ]
