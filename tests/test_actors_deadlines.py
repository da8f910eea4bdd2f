"""The shared deadline timer behind timed asks (one sleeping task per supervisor)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import anyio
import pytest
from anyio.abc import TaskGroup

from actorgraph.actors import Actor, AskTimeout, Supervisor
from actorgraph.actors._slot import SlotTimeout, current_backend
from actorgraph.actors._timer import Deadlines

pytestmark = pytest.mark.anyio


def starter(tg: TaskGroup) -> Callable[[Callable[[], Coroutine[Any, Any, None]]], None]:
    def start(run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        tg.start_soon(run)

    return start


async def test_slots_expire_in_deadline_order_even_when_added_out_of_order() -> None:
    backend = current_backend()
    results: dict[str, Any] = {}
    order = ["earliest", "early", "late"]
    async with anyio.create_task_group() as tg:
        deadlines = Deadlines(starter(tg))
        now = backend.clock()
        slots = {name: backend.new_slot() for name in ("late", "early", "answered", "earliest")}

        async def waiter(name: str) -> None:
            try:
                results[name] = await slots[name]
            except SlotTimeout:
                results[name] = "expired"

        for name in slots:
            tg.start_soon(waiter, name)
        deadlines.add(now + 0.03, slots["late"])
        deadlines.add(now + 0.02, slots["early"])  # earlier than the armed deadline: re-arms
        deadlines.add(now + 0.01, slots["answered"])
        deadlines.add(now + 0.005, slots["earliest"])
        slots["answered"].set_result("fine")
        while True:
            # Whenever we look, the expired slots are a prefix of the deadline order.
            expired = [name for name in order if slots[name].done()]
            assert expired == order[: len(expired)]
            if len(expired) == len(order):
                break
            await anyio.sleep(0.002)
        tg.cancel_scope.cancel()  # the timer task sleeps forever otherwise
    assert results == {"earliest": "expired", "early": "expired", "late": "expired",
                       "answered": "fine"}
    assert len(deadlines) == 0


async def test_answered_slots_do_not_pile_up_behind_a_pending_one() -> None:
    backend = current_backend()
    async with anyio.create_task_group() as tg:
        deadlines = Deadlines(starter(tg))
        pending = backend.new_slot()
        deadlines.add(backend.clock() + 3600, pending)
        for _ in range(1000):
            slot = backend.new_slot()
            deadlines.add(backend.clock() + 7200, slot)  # behind the pending head
            slot.set_result(None)
        assert len(deadlines) <= 65
        assert not pending.done()
        tg.cancel_scope.cancel()


async def test_many_timed_asks_with_mixed_timeouts() -> None:
    class Sometimes(Actor):
        async def handle(self, message: Any) -> Any:
            if message % 3 == 0:
                await anyio.sleep_forever()  # never answers: only a timeout ends the ask
            return message

    outcomes: dict[int, Any] = {}
    async with Supervisor() as sup:
        refs = [await sup.spawn(Sometimes()) for _ in range(12)]

        async def ask(i: int) -> None:
            try:
                outcomes[i] = await refs[i].ask(i, timeout=0.01 * (12 - i))
            except AskTimeout as exc:
                outcomes[i] = exc

        async with anyio.create_task_group() as tg:
            for i in range(12):
                tg.start_soon(ask, i)
    for i in range(12):
        if i % 3 == 0:
            assert isinstance(outcomes[i], AskTimeout) and outcomes[i].timeout == 0.01 * (12 - i)
        else:
            assert outcomes[i] == i
