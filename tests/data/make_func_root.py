"""How ``func_root.db`` was made: entrypoint threads written while an entrypoint's result
channel was ``__root__`` (before issue 13 renamed it ``__end__``, LangGraph's name), at the
commit that added this script:

    python tests/data/make_func_root.py func_root.db

Thread ``done``: two finished runs (the second saw the first's return value as ``previous``);
thread ``final``: a run returning ``entrypoint.final(value="shown", save="kept")``; thread
``paused``: a run whose task call finished, then stopped at ``interrupt()``.
``tests/test_func_root.py`` builds the same entrypoints and reads the file with today's code.
"""
import sys

import anyio

from actorgraph import interrupt
from actorgraph.func import entrypoint, task
from actorgraph.persistence import SqliteSaver


@task
def add_one(x: int) -> int:
    return x + 1


def build(saver):
    @entrypoint(checkpointer=saver)
    def counter(x: int, *, previous=None):
        return {"n": add_one(x).result(), "prev": previous}

    @entrypoint(checkpointer=saver)
    def saving(x: str, *, previous=None):
        return entrypoint.final(value="shown", save="kept")

    @entrypoint(checkpointer=saver)
    def asking(x: int):
        n = add_one(x).result()
        answer = interrupt(f"ok {n}?")
        return {"n": n, "answer": answer}

    return counter, saving, asking


async def main(path):
    async with SqliteSaver.from_conn_string(path) as saver:
        counter, saving, asking = build(saver)
        print(await counter.ainvoke(1, {"configurable": {"thread_id": "done"}}))
        print(await counter.ainvoke(5, {"configurable": {"thread_id": "done"}}))
        print(await saving.ainvoke("x", {"configurable": {"thread_id": "final"}}))
        print(await asking.ainvoke(1, {"configurable": {"thread_id": "paused"}}))


anyio.run(main, sys.argv[1])
