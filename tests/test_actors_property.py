"""Property: whatever the interleaving, each sender's messages arrive in the order it sent them."""

from __future__ import annotations

import random
from typing import Any, Literal

import anyio
import anyio.lowlevel
from hypothesis import given, settings
from hypothesis import strategies as st

from actorgraph.actors import Actor, Supervisor

Pause = Literal["none", "checkpoint", "sleep0", "sleep"]
Step = tuple[Literal["tell", "ask"], Pause]

BACKENDS = ("asyncio", "trio")


class Log(Actor):
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.log: list[tuple[int, int]] = []

    async def handle(self, message: Any) -> Any:
        if message == "log":
            return self.log
        for _ in range(self.rng.randrange(3)):  # a seeded, variable amount of suspension
            await anyio.lowlevel.checkpoint()
        self.log.append(message)
        return None


async def pause(kind: Pause) -> None:
    if kind == "checkpoint":
        await anyio.lowlevel.checkpoint()
    elif kind == "sleep0":
        await anyio.sleep(0)
    elif kind == "sleep":
        await anyio.sleep(0.0002)  # a real timer: wakes up in a different loop iteration


async def scenario(
    plans: list[list[Step]], mailbox_size: int, dispatcher: str, seed: int
) -> list[tuple[int, int]]:
    async with Supervisor() as sup:
        ref = await sup.spawn(
            Log(random.Random(seed)),
            mailbox_size=mailbox_size,
            dispatcher=dispatcher,  # type: ignore[arg-type]
        )

        async def sender(s: int, plan: list[Step]) -> None:
            for i, (verb, kind) in enumerate(plan):
                if verb == "tell":
                    await ref.tell((s, i))
                else:
                    await ref.ask((s, i))
                await pause(kind)

        async with anyio.create_task_group() as tg:
            for s, plan in enumerate(plans):
                tg.start_soon(sender, s, plan)
        result: list[tuple[int, int]] = await ref.ask("log")
    return result


steps = st.tuples(
    st.sampled_from(["tell", "ask"]), st.sampled_from(["none", "checkpoint", "sleep0", "sleep"])
)


@settings(max_examples=30, deadline=None, database=None)
@given(
    plans=st.lists(st.lists(steps, max_size=15), min_size=1, max_size=5),
    mailbox_size=st.integers(1, 4),
    dispatcher=st.sampled_from(["task", "inline"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_per_sender_order_is_preserved(
    plans: list[list[Step]], mailbox_size: int, dispatcher: str, seed: int
) -> None:
    for backend in BACKENDS:
        log = anyio.run(scenario, plans, mailbox_size, dispatcher, seed, backend=backend)
        sent = [(s, i) for s, plan in enumerate(plans) for i in range(len(plan))]
        assert sorted(log) == sent
        for s, plan in enumerate(plans):
            assert [i for ss, i in log if ss == s] == list(range(len(plan))), (backend, s)
