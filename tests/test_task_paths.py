"""Pending writes are saved with their task's path rendered as LangGraph 1.2 renders it
(``langgraph.pregel._algo.task_path_str``: ``"~"`` + the parts joined by ``", "``, ints, bools
included, zero-padded to ten digits; expected values below printed by that function): a pull
task's path is rendered once per node, when the graph is compiled."""

from __future__ import annotations

import operator
import sqlite3
from pathlib import Path
from typing import Annotated, TypedDict

import pytest

from actorgraph import END, START, Send, StateGraph
from actorgraph.persistence import SqliteSaver

pytestmark = pytest.mark.anyio


class State(TypedDict):
    items: Annotated[list[str], operator.add]


def _fan_out(state: State) -> list[Send]:
    return [Send("worker", {"items": [f"w{i}"]}) for i in range(2)]


async def test_saved_writes_carry_langgraphs_task_paths(anyio_backend: str, tmp_path: Path) -> None:
    builder = StateGraph(State)
    builder.add_node("a", lambda state: {"items": ["a"]})
    builder.add_node("worker", lambda state: {"items": state["items"]})
    builder.add_edge(START, "a")
    builder.add_conditional_edges("a", _fan_out)
    builder.add_edge("worker", END)
    path = tmp_path / "paths.db"
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        graph = builder.compile(checkpointer=saver)
        out = await graph.ainvoke({"items": []}, {"configurable": {"thread_id": "t"}}, durability="sync")
    assert out == {"items": ["a", "w0", "w1"]}
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT DISTINCT task_path FROM checkpoint_writes").fetchall()
    assert {r[0] for r in rows} == {
        "~__pregel_pull, __start__",
        "~__pregel_pull, a",
        "~__pregel_push, 0000000000, 0000000000",
        "~__pregel_push, 0000000001, 0000000000",
    }
