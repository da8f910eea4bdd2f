"""``python -m bench`` / ``actorgraph bench``: run the workloads of BENCH.md and report."""

from __future__ import annotations

import argparse
import datetime
import fnmatch
import json
import shlex
import sys
import time
from collections.abc import Sequence
from typing import Any

from ._frameworks import ActorGraph, Framework, LangGraph, Side, langgraph_available, uvloop_available
from ._harness import Progress, WorkloadResult, run_workload
from ._report import current_load, headline, machine_info, plot, table, target_summary
from .workloads import WORKLOADS, Workload

DESCRIPTION = """\
Run the workloads of BENCH.md on actorgraph (asyncio and trio) and, when the optional `bench`
extra is installed, on LangGraph, alternating repetitions in one process (each workload in a
process of its own, forked from this one before it measures anything). Prints a Markdown
table on stdout (progress on stderr); --json and --plot write the results and a chart.
"""


def _select(only: Sequence[str] | None) -> list[Workload]:
    if not only:
        return list(WORKLOADS)
    patterns = [p.strip() for arg in only for p in arg.split(",") if p.strip()]
    names = [w.name for w in WORKLOADS]
    for p in patterns:
        if not fnmatch.filter(names, p):
            raise SystemExit(f"bench: no workload matches {p!r}; workloads: {', '.join(names)}")
    return [w for w in WORKLOADS if any(fnmatch.fnmatchcase(w.name, p) for p in patterns)]


def parser(prog: str = "python -m bench") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="smoke run: sizes scaled down, one repetition (under a minute on 2 cores)")
    p.add_argument("--reps", type=int, default=None, help="repetitions after the warm-up (default 5)")
    p.add_argument("--only", action="append", metavar="NAME",
                   help="workload name or glob; comma-separated or repeated (see --list)")
    p.add_argument("--backend", action="append", choices=["asyncio", "trio"],
                   help="actorgraph backend(s) to run (default both; LangGraph runs on asyncio)")
    p.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio",
                   help="event loop for the asyncio backend (uvloop if installed)")
    p.add_argument("--no-langgraph", action="store_true", help="actorgraph alone, even if LangGraph is installed")
    p.add_argument("--json", metavar="PATH", help="write results and machine info as JSON")
    p.add_argument("--plot", metavar="PATH", help="write a PNG bar chart of the ratios (needs matplotlib)")
    p.add_argument("--list", action="store_true", help="list the workloads and exit")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--graph", metavar="MODULE:ATTR",
                   help="measure your own compiled graph (or builder) instead of the workloads")
    p.add_argument("--input", metavar="JSON", default="{}", help="with --graph: the input, as JSON")
    p.add_argument("--config", metavar="JSON", help="with --graph: the config, as JSON")
    p.add_argument("--runs", type=int, default=20, help="with --graph: measured runs per backend")
    return p


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m bench") -> int:
    args = parser(prog).parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.graph:
        from ._custom import run_custom

        return run_custom(args.graph, args.input, args.config, max(1, args.runs),
                          args.backend or ["asyncio", "trio"])
    if args.list:
        for w in WORKLOADS:
            print(f"{w.name:32} {w.description}")
        return 0
    workloads = _select(args.only)
    if args.loop == "uvloop" and not uvloop_available():
        raise SystemExit("bench: --loop uvloop needs uvloop (pip install uvloop)")
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise SystemExit("bench: --plot needs matplotlib (the `bench` extra: pip install -e '.[bench]')") from None
    reps = args.reps if args.reps is not None else (1 if args.quick else 5)
    if reps < 1:
        raise SystemExit("bench: --reps must be at least 1")
    backends = args.backend or ["asyncio", "trio"]
    langgraph = not args.no_langgraph and langgraph_available()
    lg_state = "yes" if langgraph else "left out" if args.no_langgraph else "not installed"

    frameworks: dict[str, Framework] = {"actorgraph": ActorGraph()}
    if langgraph:
        frameworks["langgraph"] = LangGraph()
    # repetition order: actorgraph asyncio, LangGraph, actorgraph trio (alternating)
    order = [Side("actorgraph", "asyncio", args.loop)] if "asyncio" in backends else []
    if langgraph:
        order.append(Side("langgraph", "asyncio", args.loop))
    if "trio" in backends:
        order.append(Side("actorgraph", "trio"))
    columns = [s for s in order if s.framework == "actorgraph"] + [s for s in order if s.framework == "langgraph"]

    info = machine_info()
    command = " ".join([prog, *map(shlex.quote, sys.argv[1:] if argv is None else argv)])
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.perf_counter()
    progress = Progress(len(workloads), enabled=not args.quiet)
    results: list[WorkloadResult] = []
    for w in workloads:
        results.append(run_workload(w, order, frameworks, reps, args.quick, progress))
    seconds = time.perf_counter() - t0
    info["load_average_end"] = current_load()

    lines = [f"actorgraph bench: `{command}` ({started:%Y-%m-%d %H:%M} UTC, {seconds:.0f} s)",
             *headline(info, reps, args.quick, order, lg_state), ""]
    lines += table(results, columns, langgraph, args.loop)
    met, missed = target_summary(results)
    lines += ["", f"Targets: {len(met)} met, {len(missed)} missed."]
    lines += [f"- MISSED {d}" for d in missed]
    lines += [f"- met {d}" for d in met]
    load = info["load_average_start"], info["load_average_end"]
    if load[0] is not None:
        lines.append(f"Load average (1/5/15 min) at start {load[0]}, at end {load[1]}.")
    print("\n".join(lines), flush=True)

    if args.json:
        doc: dict[str, Any] = {
            "command": command, "started": started.isoformat(), "seconds": seconds,
            "quick": args.quick, "reps": reps, "loop": args.loop, "backends": backends,
            "langgraph": langgraph, "machine": info,
            "workloads": [r.to_json() for r in results],
            "targets": {"met": met, "missed": missed},
        }
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
    if args.plot:
        plot(results, args.plot, f"actorgraph bench ({info['cpu']}, {info['cores']} cores, {info['python']})")
    return 1 if any(r.error for r in results) else 0
