"""Machine info, the Markdown table, the JSON file and the PNG chart of the ratios."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import queue
import statistics
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from ._frameworks import Side
from ._harness import MetricResult, Spread, WorkloadResult, isolation

PACKAGES = ("actorgraph", "anyio", "trio", "msgspec", "aiosqlite", "langgraph", "langgraph-checkpoint",
            "langgraph-checkpoint-sqlite", "uvloop", "matplotlib")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if platform.system() == "Darwin":
        try:
            return subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True,
                                  text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            pass
    return platform.processor() or platform.machine()


def _git_commit() -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    if out.returncode != 0 or not commit:
        return None
    dirty = subprocess.run(["git", "-C", str(root), "diff", "--quiet", "HEAD", "--", "actorgraph"],
                           capture_output=True, timeout=5).returncode != 0
    return commit + ("+uncommitted changes" if dirty else "")


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine_info() -> dict[str, Any]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    usable: int | None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "machine": platform.machine(),
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": versions,
        "git_commit": _git_commit(),
        "load_average_start": _load(),
        **host_floors(),
    }


def host_floors() -> dict[str, float]:
    """Two costs of the host that set floors under the ratios, measured here (~0.1 s):
    ``syscall_us``, a trivial system call (``os.getpid()``: CPython 3.11's
    ``asyncio.get_running_loop()`` makes one per call; virtual machines differ by 10× here), and
    ``thread_round_trip_us``, the median of a hand-off to another thread and back (two
    ``SimpleQueue``s: what a ``def`` node under ``ainvoke()`` and a SQLite commit pay per step,
    bounded below by how fast an idle core wakes up)."""
    n = 20000
    t0 = time.perf_counter()
    for _ in range(n):
        os.getpid()
    syscall = (time.perf_counter() - t0) / n * 1e6
    there: queue.SimpleQueue[int | None] = queue.SimpleQueue()
    back: queue.SimpleQueue[int] = queue.SimpleQueue()

    def echo() -> None:
        while (item := there.get()) is not None:
            back.put(item)

    helper = threading.Thread(target=echo, name="bench.host_floors")
    helper.start()
    trips: list[float] = []
    try:
        for i in range(400):
            t0 = time.perf_counter()
            there.put(i)
            back.get()
            trips.append((time.perf_counter() - t0) * 1e6)
            time.sleep(0.0001)  # (a core idle for a while, as between two steps' hand-offs)
    finally:
        there.put(None)
        helper.join()
    return {"syscall_us": round(syscall, 3), "thread_round_trip_us": round(statistics.median(trips), 1)}


def current_load() -> list[float] | None:
    return _load()


# -- the table ---------------------------------------------------------------------------------


def num(x: float) -> str:
    ax = abs(x)
    if x == 0:
        return "0"
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    if ax >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def cell(spread: Spread | None, suffix: str = "") -> str:
    if spread is None:
        return "—"
    if len(spread.samples) > 1 and spread.min != spread.max:
        return f"{num(spread.median)}{suffix} ({num(spread.min)}–{num(spread.max)})"
    return f"{num(spread.median)}{suffix}"


def _target_cell(m: MetricResult) -> str:
    cells = []
    for target in m.metric.targets:
        relevant = [ok for _, ok in m.target_checks(target)]
        if not relevant:
            cells.append(target.describe())
        else:
            cells.append(f"{target.describe()}: {'met' if all(relevant) else 'MISSED'}")
    return "; ".join(cells)


def table(results: list[WorkloadResult], sides: list[Side], langgraph: bool, loop: str = "asyncio") -> list[str]:
    columns = list(sides)
    show_speedup = langgraph
    header = ["workload", "unit", *[s.label.replace("langgraph", "LangGraph") for s in columns],
              *(["speedup vs LangGraph"] if show_speedup else []), f"trio ÷ {loop}", "target"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in results:
        w = r.workload
        name_suffix = f" [n={r.size}]" if r.size != w.full_size else ""
        if r.error is not None and not any(m.sides for m in r.metrics):
            lines.append(f"| {w.name}{name_suffix} | | error: {r.error} |" + " |" * (len(header) - 3))
            continue
        for m in r.metrics:
            row = [m.metric.label + name_suffix, m.metric.unit]
            for s in columns:
                if s.framework not in w.frameworks:
                    row.append("—")
                elif s.key in r.unavailable:
                    row.append(f"n/a ({r.unavailable[s.key]})")
                else:
                    row.append(cell(m.sides.get(s.key)))
            if show_speedup:
                row.append(cell(m.speedup, "×"))
            row.append(cell(m.trio_ratio, "×"))
            row.append(_target_cell(m))
            lines.append("| " + " | ".join(row) + " |")
        if r.error is not None:
            lines.append(f"| {w.name} | | error: {r.error} |" + " |" * (len(header) - 3))
    return lines


def _pinned(info: dict[str, Any]) -> str:
    """What the Machine line adds when the bench ran on fewer CPUs than the host has (``taskset``):
    a thread hand-off then costs no wake-up of an idle CPU, and the rows that cross threads
    move (see README "Performance")."""
    usable, cores = info.get("usable_cores"), info.get("cores")
    if usable is None or cores is None or usable >= cores:
        return ""
    return f" (the bench ran on {usable} of them: CPU affinity)"


def headline(info: dict[str, Any], reps: int, quick: bool, order: list[Side], langgraph: str) -> list[str]:
    """``langgraph``: "yes", "not installed" or "left out" (--no-langgraph)."""
    pk = info["packages"]
    versions = ", ".join(f"{k} {v}" for k, v in pk.items() if v and k != "matplotlib")
    sides = ", ".join(s.label.replace("langgraph", "LangGraph") for s in order)
    lines = [
        f"Machine: {info['cpu']}, {info['cores']} cores{_pinned(info)}, {info['os']}; {info['python']}",
        f"Host floors: a system call {info['syscall_us']} µs, a thread round trip {info['thread_round_trip_us']} µs "
        "(median; see bench._report.host_floors: they bound the ratios of sync nodes under ainvoke() and "
        "of SQLite commits, and differ widely between machines)",
        f"Packages: {versions}" + (f"; actorgraph commit {info['git_commit']}" if info["git_commit"] else ""),
        f"Method: {isolation()}; warm-up, then {reps} repetition{'s' if reps != 1 else ''} alternating "
        f"{sides}, each in a fresh event loop; median (min–max); ratios pair by pair (speedup = "
        f"LangGraph time ÷ actorgraph time, or throughput the other way)."
        + (" QUICK mode: sizes scaled down ([n=...]); figures are a smoke test only." if quick else ""),
    ]
    if langgraph == "not installed":
        lines.append("LangGraph is not installed (the optional `bench` extra: pip install -e '.[bench]'): "
                     "actorgraph alone.")
    elif langgraph == "left out":
        lines.append("LangGraph left out (--no-langgraph): actorgraph alone.")
    return lines


def target_summary(results: list[WorkloadResult]) -> tuple[list[str], list[str]]:
    met: list[str] = []
    missed: list[str] = []
    for r in results:
        for m in r.metrics:
            for description, ok in m.checks():
                (met if ok else missed).append(description)
    return met, missed


# -- the chart ---------------------------------------------------------------------------------


def plot(results: list[WorkloadResult], path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    speed = [(m.metric.label, m.speedup, next((t for t in m.metric.targets if t.kind == "speedup"), None))
             for r in results for m in r.metrics if m.speedup is not None]
    trio = [(m.metric.label, m.trio_ratio) for r in results for m in r.metrics if m.trio_ratio is not None]
    panels = [name for name, rows in (("speed", speed), ("trio", trio)) if rows]
    fig, axes = plt.subplots(max(len(panels), 1), 1, figsize=(11, 4.2 * max(len(panels), 1)), squeeze=False)
    if not panels:
        axes[0, 0].text(0.5, 0.5, "no ratios to plot", ha="center", va="center")
        axes[0, 0].set_axis_off()
    for ax, panel in zip(axes[:, 0], panels, strict=False):
        if panel == "speed":
            labels = [label for label, _, _ in speed]
            spreads = [spread for _, spread, _ in speed]
            targets = [target for _, _, target in speed]
        else:
            labels = [label for label, _ in trio]
            spreads = [spread for _, spread in trio]
            targets = []
        xs = list(range(len(labels)))
        med = [sp.median for sp in spreads]
        err = [[sp.median - sp.min for sp in spreads], [sp.max - sp.median for sp in spreads]]
        if panel == "speed":
            ax.bar(xs, med, yerr=err, capsize=3, color="#4c72b0")
            for x, target in zip(xs, targets, strict=True):
                if target is not None and target.kind == "speedup":
                    ax.plot([x - 0.4, x + 0.4], [target.value] * 2, color="#c44e52", lw=2)
            ax.axhline(1.0, color="grey", lw=0.8)
            ax.set_yscale("log")
            ax.set_ylabel("LangGraph time ÷ actorgraph time (×)")
            ax.set_title(f"{title}\nspeedup vs LangGraph (red: target)")
            for x, m in zip(xs, med, strict=True):
                ax.annotate(f"{m:.1f}×", (x, m), ha="center", va="bottom", fontsize=8)
        else:
            ax.bar(xs, med, yerr=err, capsize=3, color="#55a868")
            ax.axhline(1.5, color="#c44e52", lw=2, label="target ≤1.5×")
            ax.axhline(1.0, color="grey", lw=0.8)
            ax.set_ylabel("trio time ÷ asyncio time (×)")
            ax.set_title("actorgraph on trio vs asyncio")
            ax.legend(loc="upper right")
        ax.set_xticks(xs)
        ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
