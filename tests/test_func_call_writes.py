"""Where a finished ``@task`` call's result is saved (asyncio and trio).

Each call's result is a pending write (``__return__``) of the step's checkpoint, saved as the
call finishes. A saver of ours takes it as its own writes op (the checkpoint's key made once a
step); a saver that overrides ``aput_writes`` (or, LangGraph's way, only the sync
``put_writes``) gets every call through it, with the call's task id and LangGraph's rendering
of its task path.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actorgraph.func import entrypoint, task
from actorgraph.func._task import Scope, _path_str
from actorgraph.graph._program import task_path_str
from actorgraph.persistence import InMemorySaver, SerializationError, SqliteSaver

pytestmark = pytest.mark.anyio


def cfg(thread: str = "t") -> dict[str, Any]:
    return {"configurable": {"thread_id": thread}}


class Recording(InMemorySaver):
    """Records what reaches ``aput_writes`` and stores it as usual."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, list[tuple[str, Any]], str, str]] = []

    async def aput_writes(self, config: Any, writes: Any, task_id: str, task_path: str = "") -> None:
        self.seen.append((config["configurable"]["checkpoint_id"], list(writes), task_id, task_path))
        await super().aput_writes(config, writes, task_id, task_path)


class SyncRecording(InMemorySaver):
    """A saver written LangGraph's way: only the sync ``put_writes`` is overridden."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, list[tuple[str, Any]]]] = []

    def put_writes(self, config: Any, writes: Any, task_id: str, task_path: str = "") -> None:
        self.seen.append((task_id, list(writes)))
        super().put_writes(config, writes, task_id, task_path)


def workflow(saver: Any, calls: list[int]) -> Any:
    @task
    async def double(x: int) -> int:
        calls.append(x)
        return 2 * x

    @entrypoint(checkpointer=saver)
    async def main(n: int) -> list[int]:
        first = [await double(i) for i in range(n)]
        together = [double(10 + i) for i in range(n)]
        return first + [await f for f in together]

    return main


async def test_an_overridden_aput_writes_sees_every_call_with_its_path() -> None:
    saver = Recording()
    calls: list[int] = []
    main = workflow(saver, calls)
    assert await main.ainvoke(2, cfg()) == [0, 2, 20, 22]
    returns = [(w, p) for _, w, _, p in saver.seen if w[0][0] == "__return__"]
    assert sorted(w[0][1] for w, _ in returns) == [0, 2, 20, 22]
    # (LangGraph 1.2 renders a call's path as "~__pregel_push, <caller's path>, <index>, <True>")
    assert all(p.startswith("~__pregel_push, ('__pregel_pull', 'main'), 00000000") and p.endswith(", 0000000001")
               for _, p in returns)
    assert len({p for _, p in returns}) == 4
    assert len({cid for cid, *_ in saver.seen}) == 1  # (all against the step's checkpoint)


async def test_a_saver_overriding_only_put_writes_gets_every_call() -> None:
    saver = SyncRecording()
    calls: list[int] = []
    main = workflow(saver, calls)
    assert await main.ainvoke(2, cfg()) == [0, 2, 20, 22]
    assert sorted(w[0][1] for _, w in saver.seen if w[0][0] == "__return__") == [0, 2, 20, 22]


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_saved_results_are_not_run_again_when_the_entrypoint_resumes(kind: str, tmp_path: Any) -> None:
    """The writes a saver of ours took as its own op are the pending writes a resume finds."""
    calls: list[int] = []
    fail = [True]

    @task
    async def double(x: int) -> int:
        calls.append(x)
        return 2 * x

    def workflow(saver: Any) -> Any:
        @entrypoint(checkpointer=saver)
        async def main(n: int) -> list[int]:
            done = [await double(i) for i in range(n)]
            if fail[0]:
                raise RuntimeError("once")
            return done

        return main

    async def fail_then_resume(first: Any, second: Any) -> None:
        with pytest.raises(RuntimeError, match="once"):
            await workflow(first).ainvoke(3, cfg("r"))
        fail[0] = False
        assert await workflow(second).ainvoke(None, cfg("r")) == [0, 2, 4]
        assert (await workflow(second).aget_state(cfg("r"))).values == [0, 2, 4]

    if kind == "memory":
        saver = InMemorySaver()
        await fail_then_resume(saver, saver)
    else:  # (async durability, the default; the resume reads the writes through another
        # connection)
        path = str(tmp_path / "calls.db")
        async with SqliteSaver.from_conn_string(path) as first:
            async with SqliteSaver.from_conn_string(path) as second:
                await fail_then_resume(first, second)
    assert calls == [0, 1, 2]


@dataclasses.dataclass
class _Unregistered:
    a: str


@pytest.mark.parametrize("durability", ["sync", "async"])
async def test_a_result_sqlite_refuses_fails_the_run_and_leaves_the_thread_resumable(
        durability: str, tmp_path: Any) -> None:
    """The call's caller gets the refusal (its result is committed before it returns, under
    ``async`` durability too); the entrypoint fails and the thread stays where it was."""
    @task
    async def bad(q: str) -> Any:
        return _Unregistered(q)

    async with SqliteSaver.from_conn_string(str(tmp_path / "bad.db")) as saver:
        @entrypoint(checkpointer=saver)
        async def wf(q: str) -> dict[str, Any]:
            await bad(q)
            return {"r": 1}

        with anyio.fail_after(10):
            with pytest.raises(SerializationError, match="_Unregistered"):
                await wf.ainvoke("hi", cfg("u"), durability=durability)
        state = await wf.aget_state(cfg("u"))
        assert state.next == ("wf",)
        assert state.values is None


_parts = st.one_of(st.integers(min_value=0, max_value=10**9), st.text(max_size=8),
                   st.booleans())
_paths = st.recursive(st.tuples(st.just("__pregel_pull"), st.text(max_size=8)),
                      lambda inner: st.tuples(st.just("__pregel_push"), inner, st.integers(0, 10**6), st.booleans()),
                      max_leaves=4)


@given(caller=_paths, index=st.integers(0, 10**9), last=st.booleans(),
       other=st.tuples(_parts, _parts))
def test_a_calls_path_renders_as_task_path_str(caller: tuple[Any, ...], index: int, last: bool,
                                                other: tuple[Any, ...]) -> None:
    scope = Scope.__new__(Scope)
    scope.prefixes = None
    for path in (("__pregel_push", caller, index, last), ("__pregel_push", caller, index + 1, not last), other):
        assert _path_str(scope, path) == task_path_str(path)
