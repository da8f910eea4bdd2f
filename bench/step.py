"""The cost of one super-step of a chain, actorgraph alone: for comparing two checkouts.

Run with ``python -m bench.step [--nodes N] [--sync] [--saver memory] [--backend trio]
[--batches K] [--steps S] [--profile]``. A chain of ``N`` no-op nodes (``bench.graphs.sequential``:
``async def`` nodes under ``ainvoke``, or with ``--sync`` plain ``def`` nodes under the sync
``invoke``) runs until about ``S`` steps were taken, ``K`` times after a warm-up; it prints the
best batch in µs per step (the least disturbed by the machine), then every batch.

Where ``python -m bench`` measures ratios against LangGraph, this is for a change's before and
after on the same machine: run it from each checkout, alternating a few times, and compare the
best figures (run to run they move by a few per cent). ``--profile`` prints cProfile's top
functions by own time instead (its figures are inflated; use them for where, not how much).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import anyio

from . import graphs
from .workloads import _check_x, _config


def _graph(nodes: int, sync: bool, saver: str | None) -> Any:
    import actorgraph
    from actorgraph.persistence import InMemorySaver

    return graphs.sequential(actorgraph, nodes, sync=sync).compile(
        checkpointer=InMemorySaver() if saver == "memory" else None)


def measure(nodes: int, sync: bool, saver: str | None, backend: str, batches: int, steps: int) -> list[float]:
    """µs per step of each of ``batches`` batches of about ``steps`` steps (after a warm-up)."""
    graph = _graph(nodes, sync, saver)
    runs = max(1, steps // nodes)

    limit, thread = nodes + 10, saver is not None  # (with a saver, a new thread per run)

    if sync:
        def batch() -> float:
            t0 = time.perf_counter()
            for _ in range(runs):
                _check_x(graph.invoke({"x": 0}, _config(limit, thread)), nodes, "bench.step")
            return (time.perf_counter() - t0) / (runs * nodes) * 1e6

        batch()
        return [batch() for _ in range(batches)]

    async def main() -> list[float]:
        async def batch() -> float:
            t0 = time.perf_counter()
            for _ in range(runs):
                _check_x(await graph.ainvoke({"x": 0}, _config(limit, thread)), nodes, "bench.step")
            return (time.perf_counter() - t0) / (runs * nodes) * 1e6

        await batch()
        return [await batch() for _ in range(batches)]

    return anyio.run(main, backend=backend)


def _profile(fn: Callable[[], object], top: int) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(fn)
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(top)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.step", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--nodes", type=int, default=1000, help="nodes in the chain (default 1000)")
    p.add_argument("--sync", action="store_true", help="plain def nodes under the sync invoke()")
    p.add_argument("--saver", choices=["memory"], help="compile with an InMemorySaver")
    p.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio",
                   help="event loop (ignored with --sync: invoke() runs its own asyncio loop)")
    p.add_argument("--batches", type=int, default=5, help="measured batches (default 5)")
    p.add_argument("--steps", type=int, default=40_000, help="steps per batch, about (default 40000)")
    p.add_argument("--profile", action="store_true", help="cProfile's top functions instead of timings")
    args = p.parse_args(argv)
    if args.nodes < 1 or args.batches < 1 or args.steps < 1:
        p.error("--nodes, --batches and --steps must be at least 1")
    what = (f"chain of {args.nodes} {'def nodes, invoke()' if args.sync else 'async nodes, ainvoke()'}"
            + (", InMemorySaver" if args.saver else "")
            + ("" if args.sync else f", {args.backend}"))
    if args.profile:
        _profile(lambda: measure(args.nodes, args.sync, args.saver, args.backend, args.batches, args.steps), 30)
        return 0
    figures = measure(args.nodes, args.sync, args.saver, args.backend, args.batches, args.steps)
    print(f"{min(figures):.2f} µs/step best of {len(figures)} ({what}); batches: "
          + " ".join(f"{f:.2f}" for f in figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
