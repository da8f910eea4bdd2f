"""``--graph module:attr --input JSON``: super-step throughput and latency of any compiled graph.

Each run is driven through ``astream(stream_mode="debug")``: a step's events reach the caller
at its barrier, so the time between the first events of consecutive steps is that step's
latency. Runs use a fresh thread id each when the graph has a checkpointer.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from typing import Any

import anyio

from actorgraph.cli import load_graph


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


async def _measure(graph: Any, value: Any, config: dict[str, Any], runs: int) -> dict[str, Any]:
    step_latencies: list[float] = []
    run_latencies: list[float] = []
    steps_total = 0
    started = time.perf_counter()
    for _ in range(runs + 1):  # the first run warms up and is not counted
        cfg = json.loads(json.dumps(config))
        if getattr(graph, "checkpointer", None) is not None:
            cfg.setdefault("configurable", {})["thread_id"] = str(uuid.uuid4())
        t0 = last = time.perf_counter()
        seen: set[int] = set()
        lat: list[float] = []
        async for chunk in graph.astream(value, cfg, stream_mode="debug"):
            step = chunk.get("step")
            if isinstance(step, int) and step not in seen:
                seen.add(step)
                now = time.perf_counter()
                lat.append(now - last)
                last = now
        if _ == 0:
            started = time.perf_counter()
            continue
        run_latencies.append(time.perf_counter() - t0)
        step_latencies.extend(lat)
        steps_total += len(seen)
    elapsed = time.perf_counter() - started
    return {
        "runs": runs, "steps_per_run": steps_total / runs,
        "steps_per_s": steps_total / elapsed if elapsed else 0.0,
        "step_p50_us": _pct(step_latencies, 0.5) * 1e6 if step_latencies else None,
        "step_p90_us": _pct(step_latencies, 0.9) * 1e6 if step_latencies else None,
        "step_p99_us": _pct(step_latencies, 0.99) * 1e6 if step_latencies else None,
        "run_p50_ms": statistics.median(run_latencies) * 1e3,
    }


def run_custom(target: str, input_json: str, config_json: str | None, runs: int,
               backends: list[str]) -> int:
    graph = load_graph(target)
    try:
        value = json.loads(input_json)
        config = json.loads(config_json) if config_json else {}
    except json.JSONDecodeError as exc:
        raise SystemExit(f"bench: --input/--config must be JSON: {exc}") from None
    print(f"actorgraph bench --graph {target}: {runs} runs per backend after one warm-up run")
    print("| backend | steps/run | super-steps/s | step p50 µs | step p90 µs | step p99 µs | run p50 ms |")
    print("|---|---|---|---|---|---|---|")
    for backend in backends:
        r = anyio.run(_measure, graph, value, config, runs, backend=backend)

        def f(x: float | None) -> str:
            return "n/a" if x is None else f"{x:,.1f}"

        print(f"| {backend} | {r['steps_per_run']:.1f} | {r['steps_per_s']:,.0f} | {f(r['step_p50_us'])} | "
              f"{f(r['step_p90_us'])} | {f(r['step_p99_us'])} | {r['run_p50_ms']:.3f} |", flush=True)
    return 0
