"""Actor kernel micro-benchmarks next to raw anyio memory object streams, on asyncio and trio.

Run with ``python -m bench.actors [--quick] [--backend asyncio|trio]``. For each backend, in one
event loop, the workloads alternate repetition by repetition after a warm-up; the table reports
medians. ``ask`` round trips are compared with the best raw round trip of the same backend
(target: within 1.2x).

Workloads:
  raw round trip (nowait first)  client ``send_nowait`` then ``receive_nowait``, falling back to
                                 ``send``/``receive``; the server does the same
  raw round trip (send/receive)  plain ``await send`` / ``await receive`` on both sides
  raw tell throughput            one-way ``send_nowait`` (fallback ``send``) into a 1024 buffer
  actor ask round trip           ``await ref.ask(msg)`` on a task-dispatched actor
  actor ask (inline)             the same on ``dispatcher="inline"`` (no task switch); with the
                                 default timeout the handler runs in a cancel scope
  actor ask (inline, timeout=inf) without a timeout: no cancel scope (what node actors get)
  actor tell throughput          ``await ref.tell(msg)`` into a 1024 mailbox, then one ask
"""

from __future__ import annotations

import argparse
import functools
import math
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream

from actorgraph.actors import Actor, Supervisor, SyncActor

Bench = Callable[[int], Awaitable[float]]


class Echo(Actor):
    async def handle(self, message: Any) -> Any:
        return message


async def _send_fast(stream: ObjectSendStream[Any], item: Any) -> None:
    try:
        stream.send_nowait(item)  # type: ignore[attr-defined]
    except anyio.WouldBlock:
        await stream.send(item)


async def _receive_fast(stream: ObjectReceiveStream[Any]) -> Any:
    try:
        return stream.receive_nowait()  # type: ignore[attr-defined]
    except anyio.WouldBlock:
        return await stream.receive()


async def raw_round_trip(n: int, fast: bool) -> float:
    """Seconds for ``n`` request/reply round trips between two tasks over memory streams."""
    req_send, req_recv = anyio.create_memory_object_stream[Any](1)
    rep_send, rep_recv = anyio.create_memory_object_stream[Any](1)

    async def server() -> None:
        async with req_recv, rep_send:
            if fast:
                while True:
                    try:
                        item = req_recv.receive_nowait()
                    except anyio.WouldBlock:
                        try:
                            item = await req_recv.receive()
                        except anyio.EndOfStream:
                            return
                    except anyio.EndOfStream:
                        return
                    await _send_fast(rep_send, item)
            else:
                async for item in req_recv:
                    await rep_send.send(item)

    async with anyio.create_task_group() as tg:
        tg.start_soon(server)
        async with req_send, rep_recv:
            start = time.perf_counter()
            if fast:
                for i in range(n):
                    await _send_fast(req_send, i)
                    await _receive_fast(rep_recv)
            else:
                for i in range(n):
                    await req_send.send(i)
                    await rep_recv.receive()
            elapsed = time.perf_counter() - start
    return elapsed


async def raw_tell(n: int) -> float:
    """Seconds to push ``n`` items one way into a 1024-buffer stream and see the last consumed."""
    send, recv = anyio.create_memory_object_stream[Any](1024)
    done = anyio.Event()

    async def server() -> None:
        async with recv:
            while True:
                try:
                    item = recv.receive_nowait()
                except anyio.WouldBlock:
                    item = await recv.receive()
                if item is None:
                    done.set()
                    return

    async with anyio.create_task_group() as tg:
        tg.start_soon(server)
        async with send:
            start = time.perf_counter()
            for i in range(n):
                await _send_fast(send, i)
            await _send_fast(send, None)
            await done.wait()
            elapsed = time.perf_counter() - start
    return elapsed


async def actor_ask(n: int, dispatcher: str = "task", timeout: float | None = None) -> float:
    async with Supervisor() as sup:
        ref = await sup.spawn(Echo(), dispatcher=dispatcher)  # type: ignore[arg-type]
        await ref.ask(0)
        ask = ref.ask if timeout is None else functools.partial(ref.ask, timeout=timeout)
        start = time.perf_counter()
        for i in range(n):
            await ask(i)
        elapsed = time.perf_counter() - start
    return elapsed


async def actor_tell(n: int) -> float:
    async with Supervisor() as sup:
        ref = await sup.spawn(Echo(), mailbox_size=1024)
        await ref.ask(0)
        tell = ref.tell
        start = time.perf_counter()
        for i in range(n):
            await tell(i)
        await ref.ask(None)
        elapsed = time.perf_counter() - start
    return elapsed


class SyncEcho(SyncActor):
    def receive(self, message: Any) -> Any:
        return message


async def actor_call(n: int) -> float:
    """``ref.call(msg)`` on an inline SyncActor: the handler runs at once in the caller."""
    async with Supervisor(tasks=False) as sup:
        ref = sup.spawn_inline(SyncEcho(), name="echo")
        call = ref.call
        start = time.perf_counter()
        for i in range(n):
            call(i)
        elapsed = time.perf_counter() - start
    return elapsed


async def actor_lifecycle(n: int) -> float:
    """``spawn_inline`` plus the stop when the supervisor is left, per actor (100 per supervisor,
    the supervisor's own cost spread over them): what a run pays per node and channel actor."""
    names = [f"a{i}" for i in range(100)]
    start = time.perf_counter()
    for _ in range(max(n // 100, 1)):
        async with Supervisor(tasks=False) as sup:
            for name in names:
                sup.spawn_inline(SyncEcho(), name=name)
    return (time.perf_counter() - start) * n / (max(n // 100, 1) * 100)


async def supervisor_block(n: int, tasks: bool = True) -> float:
    """Entering and leaving an empty ``Supervisor`` (``tasks=False``: a run's barrier
    supervisor, whose actors are all inline)."""
    count = max(n // 10, 1)
    start = time.perf_counter()
    for _ in range(count):
        async with Supervisor(tasks=tasks):
            pass
    return (time.perf_counter() - start) * n / count


async def _supervisor_inline_only(n: int) -> float:
    return await supervisor_block(n, tasks=False)


async def _raw_fast(n: int) -> float:
    return await raw_round_trip(n, fast=True)


async def _raw_plain(n: int) -> float:
    return await raw_round_trip(n, fast=False)


async def _inline(n: int) -> float:
    return await actor_ask(n, dispatcher="inline")


async def _inline_no_timeout(n: int) -> float:
    return await actor_ask(n, dispatcher="inline", timeout=math.inf)


# (label, function, kind): kind "rt" reports µs per round trip, "tp" messages per second.
WORKLOADS: list[tuple[str, Bench, str]] = [
    ("raw round trip (nowait first)", _raw_fast, "rt"),
    ("raw round trip (send/receive)", _raw_plain, "rt"),
    ("actor ask round trip", actor_ask, "rt"),
    ("actor ask (inline dispatcher)", _inline, "rt"),
    ("actor ask (inline, timeout=inf)", _inline_no_timeout, "rt"),
    ("actor call (inline SyncActor)", actor_call, "rt"),
    ("spawn_inline + stop, per actor", actor_lifecycle, "rt"),
    ("supervisor enter + leave", supervisor_block, "rt"),
    ("supervisor (tasks=False) enter + leave", _supervisor_inline_only, "rt"),
    ("raw tell throughput", raw_tell, "tp"),
    ("actor tell throughput", actor_tell, "tp"),
]


async def run_backend(n: int, repetitions: int) -> dict[str, float]:
    """Median per workload: µs per round trip ("rt") or messages per second ("tp")."""
    samples: dict[str, list[float]] = {label: [] for label, _, _ in WORKLOADS}
    for label, fn, _ in WORKLOADS:  # warm-up
        await fn(max(n // 10, 100))
    for _ in range(repetitions):
        for label, fn, _ in WORKLOADS:
            samples[label].append(await fn(n))
    result = {}
    for label, _, kind in WORKLOADS:
        median = statistics.median(samples[label])
        result[label] = median / n * 1e6 if kind == "rt" else n / median
    return result


def main(argv: list[str] | None = None) -> None:
    summary = (__doc__ or "").split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m bench.actors", description=summary)
    parser.add_argument("--quick", action="store_true", help="fewer messages and repetitions")
    parser.add_argument("--backend", choices=["asyncio", "trio"], action="append")
    parser.add_argument("-n", type=int, default=None, help="messages per repetition")
    parser.add_argument("--repetitions", type=int, default=None)
    args = parser.parse_args(argv)
    n = args.n or (2_000 if args.quick else 10_000)
    reps = args.repetitions or (3 if args.quick else 9)
    backends = args.backend or ["asyncio", "trio"]

    results = {b: anyio.run(run_backend, n, reps, backend=b) for b in backends}

    print(f"actorgraph actor kernel bench: Python {platform.python_version()}, "
          f"{platform.machine()}, {sys.platform}; {n} messages x {reps} repetitions, medians")
    width = max(len(label) for label, _, _ in WORKLOADS)
    header = f"{'workload':<{width}}  " + "  ".join(f"{b:>14}" for b in backends)
    print(header)
    print("-" * len(header))
    for label, _, kind in WORKLOADS:
        unit = "µs" if kind == "rt" else "msg/s"
        cells = []
        for b in backends:
            value = results[b][label]
            number = f"{value:>8.2f}" if kind == "rt" else f"{value:>8,.0f}"
            cells.append(f"{number} {unit:>5}")
        print(f"{label:<{width}}  " + "  ".join(f"{c:>14}" for c in cells))
    for b in backends:
        r = results[b]
        best_raw = min(r["raw round trip (nowait first)"], r["raw round trip (send/receive)"])
        ratio = r["actor ask round trip"] / best_raw
        verdict = "meets" if ratio <= 1.2 else "MISSES"
        print(f"{b}: actor ask / best raw round trip = {ratio:.2f}x ({verdict} the 1.2x target)")
    if not math.isfinite(sum(v for r in results.values() for v in r.values())):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
