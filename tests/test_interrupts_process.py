"""Resume in a fresh process (issue 5): one process runs a graph until ``interrupt()`` and exits;
a second process opens the same SQLite file and resumes it with ``Command(resume=...)``. On
asyncio and trio. Expected values from the same two-process run with LangGraph 1.2.24's
SqliteSaver.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent('''
    import operator
    import sys
    from typing import Annotated, TypedDict

    import anyio

    from actorgraph import END, START, Command, StateGraph, interrupt
    from actorgraph.persistence import SqliteSaver


    class S(TypedDict):
        log: Annotated[list[str], operator.add]
        decision: str


    def ask(state):
        answer = interrupt({"question": "approve?"})
        return {"decision": answer, "log": ["ask:" + str(answer)]}


    g = StateGraph(S)
    g.add_node("prep", lambda s: {"log": ["prep"]})
    g.add_node("ask", ask)
    g.add_node("approved", lambda s: {"log": ["approved"]})
    g.add_node("rejected", lambda s: {"log": ["rejected"]})
    g.add_edge(START, "prep")
    g.add_edge("prep", "ask")
    g.add_conditional_edges("ask", lambda s: "approved" if s["decision"] == "yes" else "rejected",
                            ["approved", "rejected"])
    g.add_edge("approved", END)
    g.add_edge("rejected", END)


    async def main(db, action):
        async with SqliteSaver.from_conn_string(db) as saver:
            app = g.compile(checkpointer=saver)
            config = {"configurable": {"thread_id": "t"}}
            if action == "start":
                out = await app.ainvoke({"log": []}, config)
                print(repr(({k: v for k, v in out.items() if k != "__interrupt__"},
                            [i.value for i in out["__interrupt__"]])))
            else:
                print(repr((await app.aget_state(config)).next))
                print(repr(await app.ainvoke(Command(resume=action), config)))


    anyio.run(main, sys.argv[1], sys.argv[2], backend=sys.argv[3])
''')


def run(script: Path, *args: str) -> list[object]:
    proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 0, proc.stderr
    return [ast.literal_eval(line) for line in proc.stdout.splitlines()]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_resume_in_a_fresh_process(tmp_path: Path, backend: str) -> None:
    script = tmp_path / "hitl.py"
    script.write_text(SCRIPT)
    db = str(tmp_path / "state.db")
    # LangGraph 1.2.24 (SqliteSaver, process 1): ({'log': ['prep']}, [{'question': 'approve?'}])
    assert run(script, db, "start", backend) == [({"log": ["prep"]}, [{"question": "approve?"}])]
    # LangGraph 1.2.24 (process 2): next ('ask',); {'log': ['prep', 'ask:yes', 'approved'], 'decision': 'yes'}
    assert run(script, db, "yes", backend) == [
        ("ask",), {"log": ["prep", "ask:yes", "approved"], "decision": "yes"}]
