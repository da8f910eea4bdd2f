"""A saver opened with ``async with`` serves calls from event loops on other threads.

LangGraph 1.2 (``AsyncSqliteSaver``): a sync node that runs a subgraph with ``sub.invoke()``
works; the subgraph's checkpoints land in the same file (observed: the parent returns
``{'value': ['sub:2']}``, the subgraph's thread holds ``['in', 's1']``). Such a call runs the
subgraph on an event loop of the node's worker thread; the saver's async methods called there
run in the saver's own loop (its connection, writer and caches stay in one place).
"""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Annotated, Any, TypedDict

import anyio
import pytest

from actorgraph import START, StateGraph
from actorgraph.persistence import SqliteSaver

pytestmark = pytest.mark.anyio


class S(TypedDict):
    value: Annotated[list[str], operator.add]


def _sub(saver: SqliteSaver) -> Any:
    return (StateGraph(S).add_node("s1", lambda s: {"value": ["s1"]}).add_node("s2", lambda s: {"value": ["s2"]})
            .add_edge(START, "s1").add_edge("s1", "s2").compile(checkpointer=saver))


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
async def test_a_sync_node_invokes_a_subgraph_on_the_async_saver(tmp_path: Path, durability: str) -> None:
    async with SqliteSaver.from_conn_string(str(tmp_path / "x.db")) as saver:
        sub = _sub(saver)
        sub_thread = {"configurable": {"thread_id": "sub"}}

        def outer(state: S) -> dict[str, Any]:
            out = sub.invoke({"value": ["in"]}, sub_thread, durability=durability)
            again = sub.invoke({"value": ["again"]}, sub_thread, durability=durability)  # continues it
            return {"value": [f"sub:{len(out['value'])}/{len(again['value'])}"]}

        graph = StateGraph(S).add_node("outer", outer).add_edge(START, "outer").compile(checkpointer=saver)
        assert await graph.ainvoke({"value": []}, {"configurable": {"thread_id": "t"}}) == {"value": ["sub:3/6"]}
        assert (await sub.aget_state(sub_thread)).values == {"value": ["in", "s1", "s2", "again", "s1", "s2"]}
        history = [s.metadata["source"] async for s in sub.aget_state_history(sub_thread)]
        # (LangGraph 1.2's, AsyncSqliteSaver; exit: the last checkpoint of each run)
        run = ["loop", "loop", "loop", "input"] if durability != "exit" else ["loop"]
        assert history == run + run


async def test_the_async_methods_from_an_event_loop_on_another_thread(tmp_path: Path) -> None:
    async with SqliteSaver.from_conn_string(str(tmp_path / "x.db")) as saver:
        sub = _sub(saver)
        config = {"configurable": {"thread_id": "sub"}}
        await sub.ainvoke({"value": ["in"]}, config)
        mine = [t.checkpoint.id async for t in saver.alist(config)]

        async def elsewhere() -> tuple[list[str], int, Any]:
            listed = [t.checkpoint.id async for t in saver.alist(config)]
            top = await saver.amax_version({"configurable": {"thread_id": "sub", "checkpoint_ns": ""}})
            return listed, top, await saver.aget_tuple(config)

        for backend in ("asyncio", "trio"):
            listed, top, head = await anyio.to_thread.run_sync(lambda: anyio.run(elsewhere, backend=backend))
            assert listed == mine
            assert top == await saver.amax_version({"configurable": {"thread_id": "sub", "checkpoint_ns": ""}})
            assert head == await saver.aget_tuple(config)
