"""LangGraph compatibility of what a node finds in ``config["configurable"]`` (issue 10 item 15):
``checkpoint_ns`` (its task's namespace: ``node:task_id``, below the enclosing subgraph tasks'),
``checkpoint_id`` (None) and ``checkpoint_map`` (each enclosing graph's namespace, ``""`` for the
root, -> the checkpoint its current step started from), with or without a checkpointer; the
``langgraph_checkpoint_ns`` metadata is the same namespace. On asyncio and trio, memory and
SQLite savers.

Expected values were produced by running the same graphs with LangGraph 1.2.24
(langgraph-checkpoint 4.3.2, langgraph-checkpoint-sqlite 3.1.2).
"""

from __future__ import annotations

import re
from typing import Any, TypedDict

import pytest

from actorgraph import START, Send, StateGraph
from actorgraph.persistence import BaseCheckpointSaver

pytestmark = pytest.mark.anyio

UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class S(TypedDict):
    data: str


def recorder(seen: dict[str, list[dict[str, Any]]], name: str) -> Any:
    def node(s: S, config: dict[str, Any]) -> dict[str, Any]:
        # (LangGraph's node configs also hold private "__pregel_*" keys: not compared)
        public = {k: v for k, v in config["configurable"].items() if not k.startswith("__")}
        seen.setdefault(name, []).append({**public, "metadata_ns": config["metadata"]["langgraph_checkpoint_ns"]})
        return {}

    return node


def nested(seen: dict[str, list[dict[str, Any]]], checkpointer: Any) -> Any:
    """outer -> sub (inner -> inner2 (deep)) -> last"""
    inner2 = StateGraph(S).add_node("deep", recorder(seen, "deep")).add_edge(START, "deep").compile()
    sub = (StateGraph(S).add_node("inner", recorder(seen, "inner")).add_node("inner2", inner2)
           .add_edge(START, "inner").add_edge("inner", "inner2").compile())
    return (StateGraph(S).add_node("outer", recorder(seen, "outer")).add_node("sub", sub)
            .add_node("last", recorder(seen, "last"))
            .add_edge(START, "outer").add_edge("outer", "sub").add_edge("sub", "last")
            .compile(checkpointer=checkpointer))


async def checkpoints(saver: BaseCheckpointSaver, ns: str) -> dict[int, Any]:
    """step -> checkpoint tuple of namespace ``ns`` of thread 1."""
    return {t.metadata["step"]: t async for t in saver.alist({"configurable": {"thread_id": "1", "checkpoint_ns": ns}})}


async def test_node_config_names_its_checkpoint(saver: BaseCheckpointSaver) -> None:
    seen: dict[str, list[dict[str, Any]]] = {}
    app = nested(seen, saver)
    await app.ainvoke({"data": "x"}, {"configurable": {"thread_id": "1", "user": "u"}})
    outer, inner, deep, last = (seen[n][0] for n in ("outer", "inner", "deep", "last"))
    for conf in (outer, inner, deep, last):
        assert sorted(conf) == ["checkpoint_id", "checkpoint_map", "checkpoint_ns", "metadata_ns", "thread_id", "user"]
        assert conf["checkpoint_id"] is None
        assert conf["thread_id"] == "1" and conf["user"] == "u"
        assert conf["metadata_ns"] == conf["checkpoint_ns"]

    root = await checkpoints(saver, "")
    history = {s.metadata["step"]: s async for s in app.aget_state_history({"configurable": {"thread_id": "1"}})
               if s.config["configurable"]["checkpoint_ns"] == ""}
    # at the root: the task's own namespace; the step's starting checkpoint
    assert outer["checkpoint_ns"] == f"outer:{history[0].tasks[0].id}"
    assert outer["checkpoint_map"] == {"": root[0].config["configurable"]["checkpoint_id"]}
    assert last["checkpoint_ns"] == f"last:{history[2].tasks[0].id}"
    assert last["checkpoint_map"] == {"": root[2].config["configurable"]["checkpoint_id"]}

    # inside the subgraph: below the subgraph task's namespace; the map adds the subgraph's
    # checkpoint the inner step started from (its step 0)
    sub_ns = f"sub:{history[1].tasks[0].id}"
    assert re.fullmatch(f"{re.escape(sub_ns)}\\|inner:{UUID}", inner["checkpoint_ns"])
    sub = await checkpoints(saver, sub_ns)
    assert inner["checkpoint_map"] == {"": root[1].config["configurable"]["checkpoint_id"],
                                       sub_ns: sub[0].config["configurable"]["checkpoint_id"]}
    inner_task = inner["checkpoint_ns"].rsplit(":", 1)[1]
    assert inner_task in {w[0] for w in sub[0].pending_writes or ()}  # its writes are kept under that id

    inner2_ns = deep["checkpoint_ns"].rsplit("|", 1)[0]
    assert re.fullmatch(f"{re.escape(sub_ns)}\\|inner2:{UUID}", inner2_ns)
    assert re.fullmatch(f"{re.escape(inner2_ns)}\\|deep:{UUID}", deep["checkpoint_ns"])
    inner2 = await checkpoints(saver, inner2_ns)
    assert deep["checkpoint_map"] == {"": root[1].config["configurable"]["checkpoint_id"],
                                      sub_ns: sub[1].config["configurable"]["checkpoint_id"],
                                      inner2_ns: inner2[0].config["configurable"]["checkpoint_id"]}


async def test_node_config_without_a_checkpointer() -> None:
    # LangGraph makes (and does not save) a checkpoint per step all the same: the map has ids
    seen: dict[str, list[dict[str, Any]]] = {}
    app = nested(seen, None)
    await app.ainvoke({"data": "x"}, {"configurable": {"thread_id": "1"}})
    outer, inner, deep, last = (seen[n][0] for n in ("outer", "inner", "deep", "last"))
    assert re.fullmatch(f"outer:{UUID}", outer["checkpoint_ns"])
    assert outer["checkpoint_id"] is None
    assert list(outer["checkpoint_map"]) == [""]
    assert re.fullmatch(UUID, outer["checkpoint_map"][""])
    # each step starts from another checkpoint
    assert len({outer["checkpoint_map"][""], inner["checkpoint_map"][""], last["checkpoint_map"][""]}) == 3
    sub_ns = inner["checkpoint_ns"].split("|")[0]
    assert re.fullmatch(f"sub:{UUID}", sub_ns)
    assert list(inner["checkpoint_map"]) == ["", sub_ns]
    assert deep["checkpoint_map"][""] == inner["checkpoint_map"][""]
    assert list(deep["checkpoint_map"]) == ["", sub_ns, deep["checkpoint_ns"].rsplit("|", 1)[0]]
    assert deep["checkpoint_map"][sub_ns] != inner["checkpoint_map"][sub_ns]  # the subgraph's next step


async def test_sends_of_one_step_share_the_map_not_the_namespace() -> None:
    seen: dict[str, list[dict[str, Any]]] = {}
    app = (StateGraph(S).add_node("n", recorder(seen, "n")).add_node("m", recorder(seen, "m"))
           .add_edge(START, "n").add_conditional_edges("n", lambda s: [Send("m", s), Send("m", s)]).compile())
    await app.ainvoke({"data": "x"})
    (n,), (m1, m2) = seen["n"], seen["m"]
    assert "thread_id" not in n
    assert m1["checkpoint_map"] == m2["checkpoint_map"] != n["checkpoint_map"]
    assert m1["checkpoint_ns"] != m2["checkpoint_ns"]
    assert all(re.fullmatch(f"m:{UUID}", m["checkpoint_ns"]) for m in (m1, m2))


async def test_a_subgraph_called_twice_in_a_node(saver: BaseCheckpointSaver) -> None:
    seen: dict[str, list[dict[str, Any]]] = {}
    sub = StateGraph(S).add_node("n", recorder(seen, "n")).add_edge(START, "n").compile()

    async def twice(s: S, config: dict[str, Any]) -> dict[str, Any]:
        seen["t"] = [dict(config["configurable"])]
        await sub.ainvoke(s)
        await sub.ainvoke(s)
        return {}

    app = StateGraph(S).add_node("t", twice).add_edge(START, "t").compile(checkpointer=saver)
    await app.ainvoke({"data": "x"}, {"configurable": {"thread_id": "z", "checkpoint_ns": ""}})
    (t,), (first, second) = seen["t"], seen["n"]
    t_ns = t["checkpoint_ns"]
    assert re.fullmatch(f"t:{UUID}", t_ns)
    assert re.fullmatch(f"{re.escape(t_ns)}\\|n:{UUID}", first["checkpoint_ns"])
    assert re.fullmatch(f"{re.escape(t_ns)}\\|1\\|n:{UUID}", second["checkpoint_ns"])
    assert list(first["checkpoint_map"]) == ["", t_ns]
    assert list(second["checkpoint_map"]) == ["", f"{t_ns}|1"]
    assert first["checkpoint_map"][""] == second["checkpoint_map"][""] == t["checkpoint_map"][""]
