"""A sync node's stream writer under an :class:`ActorSystem` run with a live subscriber (interop
finding ``runtime_subscribe_sync_node_trio``, written against the old name ``Runtime``, now
``ActorSystem``): the run succeeds (no "must be called from async context" on trio), the
subscriber gets the node's custom event and its iteration ends when the run ends. On asyncio and
trio. (The graph's values are LangGraph's for the same graph: ``{'x': 1}``.)"""

from __future__ import annotations

import threading
from typing import Any, TypedDict

import anyio
import pytest

from actorgraph import START, ActorSystem, StateGraph, get_stream_writer

pytestmark = pytest.mark.anyio


class S(TypedDict):
    x: int


def graph(subscribed: threading.Event | None = None) -> Any:
    def n(state: S) -> dict[str, Any]:  # a def node: runs in a worker thread
        if subscribed is not None:  # (the run starts at once: its node may run before the
            subscribed.wait(5)      # subscriber, in another task, is in)
        get_stream_writer()("hello")
        return {"x": 1}

    return StateGraph(S).add_node("n", n).add_edge(START, "n").compile()


async def test_sync_node_writer_with_a_concurrent_subscriber() -> None:
    got: list[Any] = []
    ended = anyio.Event()
    subscribed = threading.Event()
    async with ActorSystem() as system:
        run = await system.start(graph(subscribed), {"x": 0})

        async def consume(*, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
            async with run.subscribe(["custom"]) as events:
                subscribed.set()
                task_status.started()
                async for _, chunk in events:
                    got.append(chunk)
            ended.set()

        async with anyio.create_task_group() as tg:
            await tg.start(consume)
            with anyio.fail_after(5):
                assert await run.result() == {"x": 1}
            with anyio.fail_after(1):  # the subscription ends with the run
                await ended.wait()
    assert got == ["hello"]


async def test_sync_node_writer_subscribed_from_another_task_after_start() -> None:
    """The interop's shape: the consumer task subscribes while ``result()`` is awaited."""
    got: list[Any] = []
    ended: list[bool] = []
    async with ActorSystem() as system:
        run = await system.start(graph(), {"x": 0})

        async def consume() -> None:
            async with run.subscribe(["custom"]) as events:
                async for _, chunk in events:
                    got.append(chunk)
            ended.append(True)

        async with anyio.create_task_group() as tg:
            tg.start_soon(consume)
            with anyio.fail_after(5):
                assert await run.result() == {"x": 1}
            with anyio.fail_after(1):
                while not ended:
                    await anyio.sleep(0.01)
    assert ended == [True]
    assert got in (["hello"], [])  # (whether the event precedes the subscription is a race)
