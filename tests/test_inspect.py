"""Reading a SQLite checkpoint database without the graph (actorgraph threads/history/state)."""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Annotated, Any, TypedDict

import anyio
import pytest

from actorgraph import START, StateGraph
from actorgraph.observability import _inspect as inspect_db
from actorgraph.persistence import SqliteSaver




class S(TypedDict):
    log: Annotated[list[str], operator.add]


async def fill(path: str) -> None:
    g = StateGraph(S)
    g.add_node("a", lambda s: {"log": ["a"]})
    g.add_node("b", lambda s: {"log": ["b"]})
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    async with SqliteSaver.from_conn_string(path) as saver:
        app = g.compile(checkpointer=saver)
        await app.ainvoke({"log": ["one"]}, {"configurable": {"thread_id": "t1"}})
        await app.ainvoke({"log": ["two"]}, {"configurable": {"thread_id": "t2"}})
        await app.ainvoke({"log": ["again"]}, {"configurable": {"thread_id": "t2"}})


@pytest.mark.anyio
async def test_threads_history_and_state(tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    await fill(path)
    threads = {t.thread_id: t for t in await inspect_db.threads(path)}
    assert set(threads) == {"t1", "t2"}
    assert threads["t1"].checkpoints == 4 and threads["t1"].latest_step == 2
    assert threads["t2"].checkpoints == 8 and threads["t2"].latest_step == 6
    hist = await inspect_db.history(path, "t1")
    assert [(h.step, h.source) for h in hist] == [(2, "loop"), (1, "loop"), (0, "loop"), (-1, "input")]
    assert hist[0].parent_checkpoint_id == hist[1].checkpoint_id
    state = await inspect_db.state(path, "t2")
    assert state is not None and state["values"] == {"log": ["two", "a", "b", "again", "a", "b"]}
    older = await inspect_db.state(path, "t1", hist[2].checkpoint_id)
    assert older is not None and older["values"] == {"log": ["one"]} and older["metadata"]["step"] == 0
    assert await inspect_db.state(path, "nobody") is None


def test_cli_threads_history_state(tmp_path: Path) -> None:
    import io
    import json

    from actorgraph.cli import main

    path = str(tmp_path / "state.db")
    anyio.run(fill, path)
    out = io.StringIO()
    main(["threads", path], out)
    assert sorted(line.split("\t")[0] for line in out.getvalue().splitlines()) == ["t1", "t2"]
    out = io.StringIO()
    main(["history", path, "t1", "--limit", "2"], out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and "step 2\tloop" in lines[0]
    out = io.StringIO()
    main(["state", path, "t1"], out)
    assert json.loads(out.getvalue())["values"] == {"log": ["one", "a", "b"]}
    with pytest.raises(SystemExit, match="has no checkpoint"):
        main(["state", path, "nobody"], io.StringIO())
    with pytest.raises(SystemExit, match="no such database file"):
        main(["threads", str(tmp_path / "missing.db")], io.StringIO())
