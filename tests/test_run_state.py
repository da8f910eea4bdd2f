"""What a run does with its graph's channels and with itself: the shortcuts the super-step
takes (channels copied when their actor is spawned, ``BaseChannel.peek``, a root run freed
without the garbage collector) keep the compiled graph untouched and every run separate."""

from __future__ import annotations

import gc
import operator
import weakref
from typing import Annotated, Any, TypedDict

import anyio
import pytest

from actorgraph import END, START, StateGraph
from actorgraph.channels import (
    MISSING, AnyValue, BinaryOperatorAggregate, EphemeralValue, LastValue, LastValueAfterFinish,
    NamedBarrierValue, Topic, UntrackedValue,
)
from actorgraph.persistence import InMemorySaver
from actorgraph.errors import EmptyChannelError
from actorgraph.runtime import _loop

pytestmark = pytest.mark.anyio


class S(TypedDict):
    x: int
    log: Annotated[list[str], operator.add]


def _node(name: str) -> Any:
    async def node(state: S) -> dict[str, Any]:
        await anyio.sleep(0)  # (concurrent runs interleave here)
        return {"x": state["x"] + 1, "log": [name]}

    return node


def _chain(n: int) -> Any:
    g = StateGraph(S)
    prev = START
    for i in range(n):
        g.add_node(f"n{i}", _node(f"n{i}"))
        g.add_edge(prev, f"n{i}")
        prev = f"n{i}"
    g.add_edge(prev, END)
    return g


async def test_runs_leave_the_compiled_graphs_channels_empty(anyio_backend: str) -> None:
    graph = _chain(5).compile()
    results: list[Any] = []

    async def one(x: int) -> None:
        results.append(await graph.ainvoke({"x": x, "log": []}))

    async with anyio.create_task_group() as tg:
        for x in (0, 100, 200):
            tg.start_soon(one, x)
    assert sorted(r["x"] for r in results) == [5, 105, 205]
    assert all(r["log"] == [f"n{i}" for i in range(5)] for r in results)
    for key, channel in graph._program.channels.items():
        assert channel.checkpoint() is MISSING or key == "log" and channel.checkpoint() == [], key
    # and a later run starts from nothing again
    assert (await graph.ainvoke({"x": 1, "log": []}))["log"] == [f"n{i}" for i in range(5)]


async def test_a_restored_thread_is_not_written_into_the_graph(anyio_backend: str) -> None:
    graph = _chain(3).compile(checkpointer=InMemorySaver())
    one = {"configurable": {"thread_id": "one"}}
    await graph.ainvoke({"x": 0, "log": []}, one)
    out = await graph.ainvoke({"x": 10, "log": ["again"]}, one)  # loads the thread's channels
    assert out["log"] == ["n0", "n1", "n2", "again", "n0", "n1", "n2"]
    assert (await graph.ainvoke({"x": 0, "log": []}, {"configurable": {"thread_id": "two"}}))["log"] == [
        "n0", "n1", "n2"]
    for key, channel in graph._program.channels.items():
        assert channel.checkpoint() is MISSING or key == "log" and channel.checkpoint() == [], key


async def test_a_root_run_is_freed_without_the_garbage_collector(anyio_backend: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[weakref.ref[Any]] = []
    init = _loop.Run.__init__

    def tracked(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        runs.append(weakref.ref(self))

    monkeypatch.setattr(_loop.Run, "__init__", tracked)
    graph = _chain(3).compile()
    gc.collect()
    gc.disable()
    try:
        assert (await graph.ainvoke({"x": 0, "log": []}))["x"] == 3
        assert len(runs) == 1
        assert runs[0]() is None  # freed by reference counting as the run ended
    finally:
        gc.enable()


def _filled() -> list[tuple[Any, list[Any]]]:
    """Each built-in channel kind with the updates that fill it."""
    return [
        (LastValue(int, "a"), [1]),
        (AnyValue(int, "b"), [2, 2]),
        (EphemeralValue(int, "c"), [3]),
        (UntrackedValue(int, "d"), [4]),
        (BinaryOperatorAggregate(int, operator.add, "e"), [5, 6]),
        (Topic(int, "f", accumulate=True), [7, 8]),
        (LastValueAfterFinish(int, "g"), [9]),
        (NamedBarrierValue(str, {"p", "q"}, "h"), ["p", "q"]),
    ]


@pytest.mark.parametrize("case", range(len(_filled())))
def test_peek_agrees_with_get_and_is_available(case: int) -> None:
    channel, writes = _filled()[case]

    def agrees() -> None:
        peeked = channel.peek()
        if channel.is_available():
            assert peeked == channel.get()
        else:
            assert peeked is MISSING
            with pytest.raises(EmptyChannelError):
                channel.get()

    agrees()  # empty
    channel.update(writes)
    agrees()
    channel.finish()
    agrees()
    channel.consume()
    agrees()
