"""shielded() and checkpoint_if_cancelled(): anyio's shield and check, made with the running
backend's own classes (a sync-durability commit takes one per super-step), on both backends:
they must behave as ``anyio.CancelScope(shield=True)`` and
``anyio.lowlevel.checkpoint_if_cancelled()`` do."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from actorgraph.actors._slot import checkpoint_if_cancelled, shielded

pytestmark = pytest.mark.anyio


async def test_a_shielded_block_finishes_its_wait_inside_a_cancelled_scope() -> None:
    finished = []
    with anyio.CancelScope() as outer:
        outer.cancel()
        with shielded():
            await anyio.sleep(0.01)  # (not cancelled: shielded)
            finished.append("shielded")
        finished.append("after")  # (the outer cancellation is not raised by a plain statement)
        await anyio.sleep(1)  # cancelled here
        finished.append("never")
    assert outer.cancelled_caught
    assert finished == ["shielded", "after"]


async def test_checkpoint_if_cancelled_raises_only_in_a_cancelled_scope() -> None:
    await checkpoint_if_cancelled()  # (nothing cancelled: returns)
    reached = []
    with anyio.CancelScope() as scope:
        scope.cancel()
        reached.append("before")
        await checkpoint_if_cancelled()
        reached.append("never")
    assert scope.cancelled_caught and reached == ["before"]
    with anyio.CancelScope() as outer:
        outer.cancel()
        with shielded():
            await checkpoint_if_cancelled()  # (shielded: no cancellation to take)
            reached.append("shielded")
    assert reached == ["before", "shielded"]
