"""Crash consistency: a process killed mid-run (os._exit) resumes from a fresh process without
losing a completed step or re-running a committed task; a SQLite thread written on asyncio is
continued on trio and back."""

from __future__ import annotations

import json
import operator
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Annotated, Any, TypedDict

import anyio
import pytest

from actorgraph import START, StateGraph
from actorgraph.persistence import SqliteSaver

SCRIPT = textwrap.dedent('''
    import json, operator, os, sys
    from typing import Annotated, TypedDict
    import anyio
    from actorgraph import START, StateGraph
    from actorgraph.persistence import SqliteSaver

    db, log_path, kill_at, backend = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]

    class S(TypedDict):
        log: Annotated[list[str], operator.add]

    def node(i):
        def fn(state):
            with open(log_path, "a") as f:
                f.write(json.dumps(i) + "\\n")   # a side effect per execution
            if i == kill_at:
                os._exit(17)                   # killed in the middle of step i
            return {"log": [f"n{i}"]}
        return fn

    g = StateGraph(S)
    prev = START
    for i in range(5):
        g.add_node(f"n{i}", node(i))
        g.add_edge(prev, f"n{i}")
        prev = f"n{i}"

    async def main():
        async with SqliteSaver.from_conn_string(db) as saver:
            app = g.compile(checkpointer=saver)
            cfg = {"configurable": {"thread_id": "t"}}
            state = await app.aget_state(cfg)
            inp = None if state.values else {"log": []}
            out = await app.ainvoke(inp, cfg, durability="sync")
            print(json.dumps(out))

    anyio.run(main, backend=backend)
''')


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_killed_process_resumes_without_losing_a_completed_step(tmp_path: Path, backend: str) -> None:
    script = tmp_path / "crash.py"
    script.write_text(SCRIPT)
    db, log = str(tmp_path / "state.db"), tmp_path / "executions.log"
    first = subprocess.run([sys.executable, str(script), db, str(log), "2", backend],
                           capture_output=True, text=True, timeout=60)
    assert first.returncode == 17, first.stderr
    assert [json.loads(x) for x in log.read_text().split()] == [0, 1, 2]
    second = subprocess.run([sys.executable, str(script), db, str(log), "-1", backend],
                            capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout) == {"log": ["n0", "n1", "n2", "n3", "n4"]}
    # n0 and n1 committed before the kill and never ran again; n2 (killed) ran again
    assert [json.loads(x) for x in log.read_text().split()] == [0, 1, 2, 2, 3, 4]


class S(TypedDict):
    log: Annotated[list[str], operator.add]


def _graph(saver: Any) -> Any:
    g = StateGraph(S)
    g.add_node("a", lambda s: {"log": ["a"]})
    g.add_edge(START, "a")
    return g.compile(checkpointer=saver)


def test_a_thread_moves_between_asyncio_and_trio(tmp_path: Path) -> None:
    db = str(tmp_path / "state.db")
    cfg = {"configurable": {"thread_id": "t"}}

    async def turn(word: str) -> Any:
        async with SqliteSaver.from_conn_string(db) as saver:
            return await _graph(saver).ainvoke({"log": [word]}, cfg)

    assert anyio.run(turn, "asyncio-1", backend="asyncio") == {"log": ["asyncio-1", "a"]}
    assert anyio.run(turn, "trio", backend="trio") == {"log": ["asyncio-1", "a", "trio", "a"]}
    assert anyio.run(turn, "asyncio-2", backend="asyncio") == {
        "log": ["asyncio-1", "a", "trio", "a", "asyncio-2", "a"]}


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_inline_sqlite_saver_writes_the_same_file_format(tmp_path: Path, backend: str) -> None:
    # inline=True runs SQL on the event loop thread; the file is read back by a default saver
    db = str(tmp_path / "inline.db")
    cfg = {"configurable": {"thread_id": "t"}}

    async def inline_turn() -> Any:
        async with SqliteSaver.from_conn_string(db, inline=True) as saver:
            out = await _graph(saver).ainvoke({"log": ["x"]}, cfg, durability="sync")
            out = await _graph(saver).ainvoke({"log": ["y"]}, cfg, durability="async")
            return out

    async def read() -> Any:
        async with SqliteSaver.from_conn_string(db) as saver:
            return (await _graph(saver).aget_state(cfg)).values

    assert anyio.run(inline_turn, backend=backend) == {"log": ["x", "a", "y", "a"]}
    assert anyio.run(read, backend=backend) == {"log": ["x", "a", "y", "a"]}
