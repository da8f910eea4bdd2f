"""Durable execution of the functional API (issue 13): a workflow process is SIGKILLed in the
middle of its entrypoint; a second process resumes the thread from the same SQLite file
(``invoke(None, config)``) and the tasks that had finished are not called again (side effects
are counted in a file). On asyncio and trio. LangGraph 1.2 behaves the same: its task results
are pending writes of the checkpoint, found again when the entrypoint runs again.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent('''
    import os
    import signal
    import sys

    import anyio

    from actorgraph.func import entrypoint, task
    from actorgraph.persistence import SqliteSaver

    db, log, marker, backend, durability = sys.argv[1:6]


    def record(line):
        with open(log, "a") as f:
            f.write(line + "\\n")


    @task
    async def fetch(i):
        record(f"fetch {i}")
        return i * 10


    @task
    def crunch(total):
        record(f"crunch {total}")
        if not os.path.exists(marker):  # the first process dies here, mid-workflow
            open(marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        return total + 1


    async def main():
        async with SqliteSaver.from_conn_string(db) as saver:
            @entrypoint(checkpointer=saver)
            async def workflow(n):
                values = [await f for f in [fetch(i) for i in range(n)]]
                total = await crunch(sum(values))
                return {"values": values, "total": total}

            config = {"configurable": {"thread_id": "t"}}
            state = await workflow.aget_state(config)
            if state.next:  # an unfinished run on the thread: resume it
                out = await workflow.ainvoke(None, config, durability=durability)
            else:
                out = await workflow.ainvoke(3, config, durability=durability)
            print(repr(out))


    anyio.run(main, backend=backend)
''')


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.parametrize("durability", ["sync", "async"])
def test_a_killed_workflow_resumes_without_rerunning_finished_tasks(tmp_path: Path, backend: str,
                                                                    durability: str) -> None:
    script = tmp_path / "wf.py"
    script.write_text(SCRIPT)
    db, log, marker = tmp_path / "cp.db", tmp_path / "calls.log", tmp_path / "died"
    args = [sys.executable, str(script), str(db), str(log), str(marker), backend, durability]
    root = Path(__file__).resolve().parents[1]
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
    first = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)
    assert first.returncode == -9, first.stderr  # SIGKILLed inside `crunch`
    lines = log.read_text().splitlines()  # (trio starts concurrent calls in any order)
    assert sorted(lines[:3]) == ["fetch 0", "fetch 1", "fetch 2"] and lines[3:] == ["crunch 30"]
    second = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "{'values': [0, 10, 20], 'total': 31}"
    # the three fetches finished before the kill: not called again; crunch runs again
    assert log.read_text().splitlines() == [*lines, "crunch 30"]
