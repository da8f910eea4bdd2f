"""current_loop_checker: "is this the thread running the loop now?", on both backends.

The stream hub and the emitter ask it for every event (act directly, or post to the loop); on
asyncio it reads the loop's thread id (asking for the running loop is a getpid() system call
on Python 3.11), which must give the same answers: True on the loop's thread, also while a sync
node runs there with the loop hidden from it, False on any other thread, False once the loop
has stopped."""

from __future__ import annotations

import asyncio
import threading

import anyio
import anyio.to_thread
import pytest

from actorgraph.actors._threads import current_loop_checker

pytestmark = pytest.mark.anyio


async def test_true_on_the_loop_thread_false_elsewhere() -> None:
    on_loop = current_loop_checker()
    assert on_loop()
    seen: list[bool] = []
    thread = threading.Thread(target=lambda: seen.append(on_loop()))
    thread.start()
    thread.join()
    assert seen == [False]
    assert await anyio.to_thread.run_sync(on_loop) is False


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_asyncio_loop_hidden_from_a_sync_node_is_still_this_thread() -> None:
    on_loop = current_loop_checker()
    loop = asyncio.get_running_loop()
    asyncio._set_running_loop(None)  # what runtime._task.call_inline does around a sync node
    try:
        assert asyncio._get_running_loop() is None
        assert on_loop()
    finally:
        asyncio._set_running_loop(loop)


def test_asyncio_stopped_loop_is_no_thread() -> None:
    async def make() -> object:
        return current_loop_checker()

    loop = asyncio.new_event_loop()
    try:
        on_loop = loop.run_until_complete(make())
        assert callable(on_loop)
        assert not on_loop()  # the loop is not running (on this thread or any)
        assert loop.run_until_complete(_call(on_loop))
    finally:
        loop.close()


async def _call(fn: object) -> bool:
    assert callable(fn)
    return bool(fn())
