"""Entrypoint threads saved while the result channel was ``__root__`` (issue 13 renamed it
``__end__``, LangGraph's name) still load: ``tests/data/func_root.db`` was written by the code
before the rename (see ``tests/data/make_func_root.py``). Expected values: the same calls made
with LangGraph 1.2 on threads it wrote itself (a scratch script), as the comments say."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from actorgraph import Command, interrupt
from actorgraph.func import entrypoint, task
from actorgraph.persistence import SqliteSaver

pytestmark = pytest.mark.anyio


def cfg(thread: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread}}


def build(saver: Any, calls: list[int]) -> tuple[Any, Any, Any]:
    """The entrypoints of make_func_root.py (``calls`` counts add_one's runs)."""

    @task
    def add_one(x: int) -> int:
        calls.append(x)
        return x + 1

    @entrypoint(checkpointer=saver)
    def counter(x: int, *, previous: Any = None) -> dict[str, Any]:
        return {"n": add_one(x).result(), "prev": previous}

    @entrypoint(checkpointer=saver)
    def saving(x: str, *, previous: Any = None) -> Any:
        return previous  # (the file's run returned entrypoint.final(value="shown", save="kept"))

    @entrypoint(checkpointer=saver)
    def asking(x: int) -> dict[str, Any]:
        n = add_one(x).result()
        answer = interrupt(f"ok {n}?")
        return {"n": n, "answer": answer}

    return counter, saving, asking


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "func_root.db"
    shutil.copy(Path(__file__).with_name("data") / "func_root.db", path)
    return str(path)


async def test_a_finished_thread_shows_its_value_and_history_and_passes_previous_on(db: str) -> None:
    calls: list[int] = []
    async with SqliteSaver.from_conn_string(db) as saver:
        counter, _, _ = build(saver, calls)
        state = await counter.aget_state(cfg("done"))
        assert state.values == {"n": 6, "prev": {"n": 2, "prev": None}} and state.next == ()
        # LangGraph 1.2, same two runs: (values, next, step) newest first
        history = [(s.values, s.next, s.metadata["step"]) async for s in counter.aget_state_history(cfg("done"))]
        assert history == [({"n": 6, "prev": {"n": 2, "prev": None}}, (), 2),
                           ({"n": 2, "prev": None}, ("counter",), 1),
                           ({"n": 2, "prev": None}, (), 0),
                           (None, ("counter",), -1)]
        assert await counter.ainvoke(10, cfg("done")) == {"n": 11, "prev": {"n": 6, "prev": {"n": 2, "prev": None}}}
        saved = await saver.aget_tuple(cfg("done"))
        assert saved is not None and "__root__" not in saved.checkpoint.channel_values
        assert saved.checkpoint.channel_values["__end__"]["n"] == 11


async def test_a_final_value_shows_and_its_saved_value_is_the_next_previous(db: str) -> None:
    async with SqliteSaver.from_conn_string(db) as saver:
        _, saving, _ = build(saver, [])
        state = await saving.aget_state(cfg("final"))
        assert (state.values, state.next) == ("shown", ())
        assert await saving.ainvoke("y", cfg("final")) == "kept"


async def test_a_paused_thread_resumes_without_running_its_finished_task_again(db: str) -> None:
    calls: list[int] = []
    async with SqliteSaver.from_conn_string(db) as saver:
        _, _, asking = build(saver, calls)
        state = await asking.aget_state(cfg("paused"))
        assert (state.values, state.next) == (None, ("asking",))
        assert [i.value for i in state.interrupts] == ["ok 2?"]
        assert [(t.name, [i.value for i in t.interrupts], t.result) for t in state.tasks] == [
            ("asking", ["ok 2?"], None)]
        assert await asking.ainvoke(Command(resume="yes"), cfg("paused")) == {"n": 2, "answer": "yes"}
        assert calls == []
        assert (await asking.aget_state(cfg("paused"))).values == {"n": 2, "answer": "yes"}


def build_asking_call(saver: Any, calls: list[str]) -> Any:
    """The entrypoint of make_func_ns.py (``calls`` counts the tasks' runs)."""

    @task
    def add_one(x: int) -> int:
        calls.append("add_one")
        return x + 1

    @task
    def ask(x: int) -> str:
        calls.append("ask")
        return interrupt(f"ok {x}?")

    @entrypoint(checkpointer=saver)
    def asking_call(x: int) -> dict[str, Any]:
        n = add_one(x).result()
        return {"n": n, "answer": ask(n).result()}

    return asking_call


@pytest.mark.parametrize("by_id", [False, True])
async def test_a_thread_paused_in_a_task_call_before_calls_were_namespaced_below_their_caller_resumes(
        tmp_path: Path, by_id: bool) -> None:
    """``tests/data/func_ns.db`` (see make_func_ns.py): paused in a call whose interrupt id
    hashed the call's old namespace. Resumed (by a bare value, or by that id), the call's
    ``interrupt()`` gets the answer; the finished call is not run again."""
    path = tmp_path / "func_ns.db"
    shutil.copy(Path(__file__).with_name("data") / "func_ns.db", path)
    calls: list[str] = []
    async with SqliteSaver.from_conn_string(str(path)) as saver:
        asking_call = build_asking_call(saver, calls)
        state = await asking_call.aget_state(cfg("call"))
        [question] = state.interrupts
        assert question.value == "ok 2?" and state.next == ("asking_call",)
        resume = {question.id: "yes"} if by_id else "yes"
        assert await asking_call.ainvoke(Command(resume=resume), cfg("call")) == {"n": 2, "answer": "yes"}
        assert calls == ["ask"]
    # (a thread paused today asks with another id: the file's is the old namespace's)
    async with SqliteSaver.from_conn_string(str(tmp_path / "new.db")) as saver:
        out = await build_asking_call(saver, []).ainvoke(1, cfg("call"))
        assert [i.value for i in out["__interrupt__"]] == ["ok 2?"] and out["__interrupt__"][0].id != question.id
