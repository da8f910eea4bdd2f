"""The bench harness runs each workload in a process of its own (forked from the bench's), so
that no workload's figures depend on the workloads measured before it in the same process."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
try:
    from bench._frameworks import ActorGraph, Framework, Side
    from bench._harness import Progress, isolation, run_workload
    from bench._report import headline, machine_info
    from bench.workloads import Metric, Workload
finally:
    sys.path.remove(str(ROOT))

_TOUCHED: list[int] = []  # grows in whichever process measures


class _Probe(Workload):
    """Reports the measuring process's pid, and how many samples that process took before."""

    name = "probe"
    description = "the process that measures"
    metrics = (Metric("pid", "probe pid", "pid", compare=False), Metric("before", "probe before", "n", compare=False))
    frameworks = ("actorgraph",)
    full_size = quick_size = 1
    warmup = False

    def measure(self, side: Side, fw: Framework, state: Any, size: int) -> dict[str, float]:
        _TOUCHED.append(1)
        return {"pid": float(os.getpid()), "before": float(len(_TOUCHED) - 1)}


class _Dies(_Probe):
    name = "dies"

    def measure(self, side: Side, fw: Framework, state: Any, size: int) -> dict[str, float]:
        os._exit(3)


def _run(w: Workload, reps: int = 2) -> Any:
    return run_workload(w, [Side("actorgraph", "asyncio")], {"actorgraph": ActorGraph()}, reps, False,
                        Progress(1, enabled=False))


def test_each_workload_is_measured_in_a_fresh_forked_process() -> None:
    first, second = _run(_Probe()), _run(_Probe())
    pids = {*first.samples["actorgraph_asyncio"]["pid"], *second.samples["actorgraph_asyncio"]["pid"]}
    assert os.getpid() not in pids and len(pids) == 2  # one child per workload, not this process
    # each child starts from this process's state: what an earlier workload did is not there
    assert first.samples["actorgraph_asyncio"]["before"] == [0.0, 1.0]
    assert second.samples["actorgraph_asyncio"]["before"] == [0.0, 1.0]
    assert _TOUCHED == []
    assert first.error is None and [m.metric.key for m in first.metrics] == ["pid", "before"]
    assert isolation() == "each workload in a forked process"


def test_a_workload_whose_process_dies_is_reported_as_an_error() -> None:
    result = _run(_Dies())
    assert result.error == "the workload's process exited with code 3 before reporting"
    assert result.samples == {}


def test_the_machine_line_says_when_the_bench_ran_on_fewer_cpus_than_the_host_has() -> None:
    # (a thread hand-off on one CPU wakes no idle CPU: such figures must not pass for the host's)
    info = machine_info()
    side = [Side("actorgraph", "asyncio")]
    full = headline({**info, "cores": 2, "usable_cores": 2}, 1, False, side, "left out")[0]
    pinned = headline({**info, "cores": 2, "usable_cores": 1}, 1, False, side, "left out")[0]
    assert full.startswith("Machine: ") and "CPU affinity" not in full
    assert "2 cores (the bench ran on 1 of them: CPU affinity)" in pinned
    if hasattr(os, "sched_getaffinity"):
        assert info["usable_cores"] == len(os.sched_getaffinity(0))
