"""Running workloads: warm-up, then repetitions alternating the sides, pair-by-pair ratios.

Each workload runs in a process of its own, forked from the bench's process before anything
was measured in it (where the platform can fork; else in the bench's process): a workload's
figures then do not depend on which workloads ran before it. (In one process they did: right
after ``concurrent_threads_1000``, ``sequential_100_sync_invoke`` measured its actorgraph side
~20 % slower than alone, its LangGraph side ~3 %; the heap held as many objects either way, so
what the earlier workload left behind is not known exactly.) The sides of one workload still
alternate in one process, each repetition in a fresh event loop.
"""

from __future__ import annotations

import multiprocessing
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, TextIO

from ._frameworks import Framework, Side, Unavailable
from .workloads import TRIO_TARGET, Metric, Target, Workload


@dataclass
class Spread:
    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)

    def to_json(self) -> dict[str, Any]:
        return {"median": self.median, "min": self.min, "max": self.max, "samples": self.samples}


@dataclass
class MetricResult:
    metric: Metric
    sides: dict[str, Spread]  # side key -> samples
    speedup: Spread | None  # LangGraph / actorgraph (per pair; "how many times better")
    speedup_ref: str | None  # the actorgraph side the speedup is against
    trio_ratio: Spread | None  # trio / asyncio (per pair; "how many times worse on trio")

    def checks(self) -> list[tuple[str, bool]]:
        """(description, met) of every target this metric reports."""
        out = [check for target in self.metric.targets for check in self.target_checks(target)]
        if self.trio_ratio is not None:
            out.append((f"{self.metric.label}: trio within {TRIO_TARGET:g}× of asyncio "
                        f"(got {self.trio_ratio.median:.2f}×)", self.trio_ratio.median <= TRIO_TARGET))
        return out

    def target_checks(self, target: Target) -> list[tuple[str, bool]]:
        """(description, met) of one of the metric's targets: one against LangGraph for a
        speedup, one per actorgraph backend for a bound; none when not measured."""
        out = []
        if target.kind == "speedup":
            if self.speedup is not None:
                out.append((f"{self.metric.label}: {target.describe()} (got {_ratio(self.speedup.median)}×)",
                            target.met(self.speedup.median)))
        else:
            for key, spread in self.sides.items():
                if key.startswith("actorgraph"):
                    value = spread.max if target.kind == "equals" else spread.median
                    backend = key.split("_", 1)[1]
                    out.append((f"{self.metric.label} ({backend}): {target.describe()} "
                                f"(got {value:.4g})", target.met(value)))
        return out

    def to_json(self) -> dict[str, Any]:
        m = self.metric
        return {
            "key": m.key, "label": m.label, "unit": m.unit, "better": m.better,
            "sides": {k: v.to_json() for k, v in self.sides.items()},
            "speedup_vs_langgraph": None if self.speedup is None else
            {**self.speedup.to_json(), "against": self.speedup_ref},
            "trio_vs_asyncio": None if self.trio_ratio is None else self.trio_ratio.to_json(),
            "target": "; ".join(t.describe() for t in m.targets) or None,
            "checks": [{"target": d, "met": ok} for d, ok in self.checks()],
        }


@dataclass
class WorkloadResult:
    workload: Workload
    size: int
    reps: int
    seconds: float = 0.0
    samples: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    metrics: list[MetricResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        w = self.workload
        return {
            "name": w.name, "description": w.description, "size": self.size,
            "scaled": self.size != w.full_size, "reps": self.reps, "seconds": self.seconds,
            "unavailable": self.unavailable, "error": self.error,
            "metrics": [m.to_json() for m in self.metrics],
        }


def _ratio(x: float) -> str:
    return f"{x:.1f}" if x >= 0.1 else f"{x:.2g}"  # a tiny ratio keeps two figures


def _ratios(num: list[float], den: list[float]) -> Spread | None:
    pairs = [a / b for a, b in zip(num, den, strict=False) if b > 0]
    return Spread(pairs) if pairs else None


def summarise(result: WorkloadResult) -> None:
    for metric in result.workload.metrics:
        sides = {k: Spread(v[metric.key]) for k, v in result.samples.items() if v.get(metric.key)}
        ref = next((k for k in ("actorgraph_asyncio", "actorgraph_trio") if k in sides), None)
        speedup = None
        if metric.compare and ref is not None and "langgraph_asyncio" in sides:
            lg, ag = sides["langgraph_asyncio"].samples, sides[ref].samples
            speedup = _ratios(lg, ag) if metric.better == "lower" else _ratios(ag, lg)
        trio = None
        if metric.trio_check and "actorgraph_asyncio" in sides and "actorgraph_trio" in sides:
            a, t = sides["actorgraph_asyncio"].samples, sides["actorgraph_trio"].samples
            trio = _ratios(t, a) if metric.better == "lower" else _ratios(a, t)
        result.metrics.append(MetricResult(metric, sides, speedup, ref if speedup else None, trio))


class Progress:
    """One line per workload on stderr; on a terminal, the line updates as repetitions finish."""

    def __init__(self, total: int, stream: TextIO = sys.stderr, enabled: bool = True) -> None:
        self.total = total
        self.stream = stream
        self.enabled = enabled
        self.tty = stream.isatty()
        self.index = 0
        self.started = time.perf_counter()

    def begin(self, name: str) -> None:
        self.index += 1
        self.name = name
        self.step("starting")

    def step(self, what: str) -> None:
        if self.tty:
            self._write(what, final=False)

    def end(self, what: str) -> None:
        self._write(what, final=True)

    def _write(self, what: str, final: bool) -> None:
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.started
        prefix = "\r\x1b[K" if self.tty else ""
        end = "\n" if final else ""
        self.stream.write(f"{prefix}bench [{self.index}/{self.total}] {elapsed:6.1f}s "
                          f"{self.name}: {what}{end}")
        self.stream.flush()


def run_workload(w: Workload, sides: list[Side], frameworks: dict[str, Framework], reps: int,
                 quick: bool, progress: Progress) -> WorkloadResult:
    """Measure ``w`` (in a forked process of its own, see the module docs) and summarise it."""
    progress.begin(w.name)
    context = _fork_context()
    if context is None:
        result = _measure(w, sides, frameworks, reps, quick, progress)
    else:
        result = _measure_forked(context, w, sides, frameworks, reps, quick, progress)
    summarise(result)
    progress.end("error" if result.error else f"done in {result.seconds:.1f}s")
    return result


def isolation() -> str:
    """How :func:`run_workload` runs a workload, for the report."""
    return "each workload in a forked process" if _fork_context() is not None else "all workloads in one process"


def _fork_context() -> Any:
    """multiprocessing's ``fork`` context, or None where the platform has none (Windows)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork")


def _measure_forked(context: Any, w: Workload, sides: list[Side], frameworks: dict[str, Framework],
                    reps: int, quick: bool, progress: Progress) -> WorkloadResult:
    """:func:`_measure` in a child forked now; its figures come back through a pipe. A child
    that dies without sending them makes the workload's ``error``."""
    sys.stdout.flush()  # (else the child would write out a copy of what the buffers hold)
    sys.stderr.flush()
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, w, sides, frameworks, reps, quick, progress),
                            name=f"bench-{w.name}")
    child.start()
    send.close()
    try:
        fields = receive.recv()
    except EOFError:
        fields = None
    finally:
        receive.close()
        child.join()
    if fields is None:
        result = WorkloadResult(w, w.size(quick), reps)
        result.error = f"the workload's process exited with code {child.exitcode} before reporting"
        return result
    return WorkloadResult(w, fields["size"], fields["reps"], fields["seconds"], fields["samples"],
                          fields["unavailable"], fields["error"])


def _child(send: Any, w: Workload, sides: list[Side], frameworks: dict[str, Framework], reps: int,
           quick: bool, progress: Progress) -> None:
    result = _measure(w, sides, frameworks, reps, quick, progress)
    send.send({"size": result.size, "reps": result.reps, "seconds": result.seconds,
               "samples": result.samples, "unavailable": result.unavailable, "error": result.error})
    send.close()


def _measure(w: Workload, sides: list[Side], frameworks: dict[str, Framework], reps: int,
             quick: bool, progress: Progress) -> WorkloadResult:
    """Warm-up and repetitions of ``w``: its samples (not summarised)."""
    size = w.size(quick)
    active = [s for s in sides if w.runs_on(s) and s.framework in frameworks]
    reps = min(reps, w.max_reps) if w.max_reps else reps
    result = WorkloadResult(w, size, reps)
    t0 = time.perf_counter()
    states: dict[str, Any] = {}
    try:
        for name in dict.fromkeys(s.framework for s in active):
            try:
                states[name] = w.setup(frameworks[name], size)
            except Unavailable as exc:  # (e.g. an optional extra the workload needs is missing)
                for side in active:
                    if side.framework == name:
                        result.unavailable[side.key] = str(exc)
        live = [s for s in active if s.framework in states]

        def measure(side: Side, n: int) -> dict[str, float] | None:
            try:
                return w.measure(side, frameworks[side.framework], states[side.framework], n)
            except Unavailable as exc:
                result.unavailable[side.key] = str(exc)
                live.remove(side)
                return None

        if w.warmup:
            for side in list(live):
                progress.step(f"warm-up {side.label}")
                measure(side, w.warm_size(size))
        for rep in range(reps):
            for side in list(live):
                progress.step(f"rep {rep + 1}/{reps} {side.label}")
                values = measure(side, size)
                if values is None:
                    continue
                per_side = result.samples.setdefault(side.key, {})
                for key, value in values.items():
                    per_side.setdefault(key, []).append(value)
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        traceback.print_exc(file=sys.stderr)
    finally:
        for state in states.values():
            w.teardown(state)
    result.seconds = time.perf_counter() - t0
    return result
