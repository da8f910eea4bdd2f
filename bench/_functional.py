"""``functional_100_tasks``: the functional API (issue 13) — an ``@entrypoint`` calling 100
async no-op ``@task``s one after the other, and one calling 100 at once (all started, then all
awaited); in-memory saver, a fresh thread per run; µs per task call (run time / 100).

Not registered in ``bench/workloads.py`` (the lead registers it)::

    from ._functional import Functional
    WORKLOADS.append(Functional())
"""

from __future__ import annotations

import importlib
import time
import uuid
from typing import Any

from ._frameworks import Framework, Side
from .workloads import Metric, Target, Workload


def _func_module(fw: Framework) -> Any:
    return importlib.import_module("actorgraph.func" if fw.name == "actorgraph" else "langgraph.func")


class Functional(Workload):
    """100 sequential and 100 parallel task calls in one entrypoint each."""

    name = "functional_100_tasks"
    description = ("an @entrypoint calling 100 async no-op @tasks sequentially, and one calling 100 "
                   "in parallel; in-memory saver, a fresh thread per run")
    full_size = 100
    quick_size = 100
    metrics = (
        Metric("seq_us", "functional_100_tasks sequential", "µs/task", target=Target("speedup", 10.0),
               trio_check=True),
        Metric("par_us", "functional_100_tasks parallel", "µs/task", target=Target("speedup", 10.0),
               trio_check=True),
    )

    def setup(self, fw: Framework, size: int) -> Any:
        func = _func_module(fw)

        @func.task
        async def inc(x: int) -> int:
            return x + 1

        saver = fw.memory_saver()

        @func.entrypoint(checkpointer=saver)
        async def sequential(n: int) -> int:
            x = 0
            for _ in range(n):
                x = await inc(x)
            return x

        @func.entrypoint(checkpointer=saver)
        async def parallel(n: int) -> int:
            futures = [inc(i) for i in range(n)]
            total = 0
            for f in futures:
                total += await f
            return total

        return sequential, parallel

    async def sample(self, fw: Framework, state: Any, size: int, side: Side) -> dict[str, float]:
        sequential, parallel = state
        inner = 3
        out: dict[str, float] = {}
        for key, wf, expected in (("seq_us", sequential, size), ("par_us", parallel, size * (size + 1) // 2)):
            configs = [{"configurable": {"thread_id": uuid.uuid4().hex}} for _ in range(inner)]
            t0 = time.perf_counter()
            for config in configs:
                result = await wf.ainvoke(size, config)
            elapsed = time.perf_counter() - t0
            if result != expected:
                raise AssertionError(f"{self.name} {key}: expected {expected}, got {result!r:.200}")
            out[key] = elapsed / inner / size * 1e6
        return out
