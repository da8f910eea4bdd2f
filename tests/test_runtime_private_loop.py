"""The sync API's private event loop (issue 11, sync nodes fast): a thread keeps its loop between
``invoke`` calls instead of making and closing one per call, and still leaves nothing running
when a call returns (leftover tasks cancelled as ``asyncio.run`` does, the loop replaced)."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import operator
import threading
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, StateGraph
from actorgraph.runtime import _private_loop

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("perf11_var", default="unset")


class S(TypedDict):
    log: Annotated[list[Any], operator.add]


def graph_of(fn: Any) -> Any:
    g = StateGraph(S)
    g.add_node("a", fn)
    g.add_edge(START, "a")
    return g.compile()


async def _loop_of(s: S) -> dict[str, Any]:
    return {"log": [asyncio.get_running_loop()]}


def test_a_thread_reuses_its_loop_and_another_thread_has_its_own() -> None:
    graph = graph_of(_loop_of)
    first = graph.invoke({"log": []})["log"][0]
    second = graph.invoke({"log": []})["log"][0]
    assert first is second and not first.is_closed()
    other: list[Any] = []
    thread = threading.Thread(target=lambda: other.append(graph.invoke({"log": []})["log"][0]))
    thread.start()
    thread.join()
    assert other[0] is not first
    gc.collect()
    assert other[0].is_closed()  # closed when its thread ended


def test_each_call_sees_the_callers_context_and_keeps_its_own_changes() -> None:
    def a(s: S) -> dict[str, Any]:
        seen = VAR.get()
        VAR.set("set by the node")
        return {"log": [seen]}

    graph = graph_of(a)
    token = VAR.set("first")
    try:
        assert graph.invoke({"log": []}) == {"log": ["first"]}
        VAR.set("second")
        assert graph.invoke({"log": []}) == {"log": ["second"]}
        assert VAR.get() == "second"  # the node's change stayed in its call's context
    finally:
        VAR.reset(token)


def test_a_task_left_running_is_cancelled_and_the_loop_replaced() -> None:
    cancelled = threading.Event()

    async def background() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def a(s: S) -> dict[str, Any]:
        asyncio.get_running_loop().create_task(background())  # (nobody waits for it)
        return {"log": [asyncio.get_running_loop()]}

    graph = graph_of(a)
    loop = graph.invoke({"log": []})["log"][0]
    assert cancelled.is_set()  # as asyncio.run: cancelled (and awaited) before invoke returned
    assert loop.is_closed()
    assert graph_of(_loop_of).invoke({"log": []})["log"][0] is not loop


def test_an_interrupted_call_shuts_its_loop_down_and_the_next_works() -> None:
    class Interrupt(BaseException):  # (a KeyboardInterrupt stand-in)
        pass

    loops: list[Any] = []

    async def a(s: S) -> dict[str, Any]:
        loops.append(asyncio.get_running_loop())
        raise Interrupt()

    with pytest.raises(Interrupt):
        graph_of(a).invoke({"log": []})
    assert loops[0].is_closed()
    assert graph_of(_loop_of).invoke({"log": []})["log"][0] is not loops[0]


def test_a_failing_call_keeps_the_loop() -> None:
    loops: list[Any] = []

    async def a(s: S) -> dict[str, Any]:
        loops.append(asyncio.get_running_loop())
        raise ValueError("node failed")

    with pytest.raises(ValueError, match="node failed"):
        graph_of(a).invoke({"log": []})
    assert graph_of(_loop_of).invoke({"log": []})["log"][0] is loops[0]


def test_run_refuses_a_running_loop() -> None:
    async def main() -> None:
        async def inner() -> None:
            pass

        with pytest.raises(RuntimeError, match="running event loop"):
            _private_loop.run(inner)

    asyncio.run(main())
