"""How ``func_ns.db`` was made: an entrypoint thread paused at an ``interrupt()`` inside a task
call, written while a call's namespace was ``call:<id>`` below the run's (before issue 13 put
it below its caller's, ``wf:<id>|call:<id>``; its interrupt id hashes that namespace), by the
code of commit 23d34df:

    git archive 23d34df actorgraph | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old python tests/data/make_func_ns.py func_ns.db

Thread ``call``: ``add_one(1)`` finished, then ``ask(2)`` asked ``"ok 2?"``.
``tests/test_func_root.py`` builds the same entrypoint and resumes the thread with today's code.
"""
import sys

import anyio

from actorgraph import interrupt
from actorgraph.func import entrypoint, task
from actorgraph.persistence import SqliteSaver


@task
def add_one(x: int) -> int:
    return x + 1


@task
def ask(x: int) -> str:
    return interrupt(f"ok {x}?")


def build(saver):
    @entrypoint(checkpointer=saver)
    def asking_call(x: int):
        n = add_one(x).result()
        return {"n": n, "answer": ask(n).result()}

    return asking_call


async def main(path):
    async with SqliteSaver.from_conn_string(path) as saver:
        asking_call = build(saver)
        print(await asking_call.ainvoke(1, {"configurable": {"thread_id": "call"}}))


anyio.run(main, sys.argv[1])
