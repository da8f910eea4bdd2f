"""Worker process of ``idle_runs_memory``: park N runs at ``interrupt()``, report memory as JSON.

``python -m bench._idle --framework actorgraph|langgraph --backend asyncio|trio --runs N``
prints one JSON line: ``peak_rss_mb`` (the process's high-water mark), ``rss_before_mb`` (after
imports, compile and one warm-up run), ``rss_after_mb`` and ``mb_per_run`` (growth per parked
run), or ``{"unavailable": reason}``. Runs one at a time on fresh threads of an in-memory
saver; every run must end parked (output carries ``__interrupt__``).
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time
import uuid
from typing import Any

from ._frameworks import ActorGraph, Framework, LangGraph, Side, Unavailable
from .graphs import asking


def _status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return None


def rss_mb() -> float:
    value = _status_mb("VmRSS")
    if value is None:  # no /proc: the high-water mark is the best we have
        return peak_rss_mb()
    return value


def peak_rss_mb() -> float:
    value = _status_mb("VmHWM")
    if value is not None:
        return value
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


async def park(fw: Framework, runs: int) -> dict[str, float]:
    graph = asking(fw.graph, fw.interrupt()).compile(checkpointer=fw.memory_saver())

    async def one() -> None:
        out = await graph.ainvoke({"x": 0}, {"configurable": {"thread_id": uuid.uuid4().hex}})
        if not (isinstance(out, dict) and out.get("__interrupt__")):
            raise AssertionError(f"the run did not park at interrupt(): {out!r:.200}")

    await one()
    gc.collect()
    before = rss_mb()
    t0 = time.perf_counter()
    for _ in range(runs):
        await one()
    elapsed = time.perf_counter() - t0
    gc.collect()
    after = rss_mb()
    return {"rss_before_mb": before, "rss_after_mb": after, "peak_rss_mb": peak_rss_mb(),
            "mb_per_run": (after - before) / runs, "ms_per_run": elapsed / runs * 1e3}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench._idle")
    parser.add_argument("--framework", choices=["actorgraph", "langgraph"], required=True)
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument("--runs", type=int, default=10_000)
    args = parser.parse_args(argv)
    fw: Framework = ActorGraph() if args.framework == "actorgraph" else LangGraph()
    side = Side(args.framework, args.backend, args.loop)
    result: dict[str, Any]
    try:
        result = side.run(park, fw, args.runs)
    except Unavailable as exc:
        result = {"unavailable": str(exc)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
