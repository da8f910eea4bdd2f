"""The workloads of BENCH.md.

Each workload is written once against :class:`~bench._frameworks.Framework` and measured on
every side (actorgraph on asyncio, actorgraph on trio, LangGraph on asyncio). One call of
:meth:`Workload.measure` is one repetition on one side, in a fresh event loop; it returns one
number per metric. Setup that is not part of what a workload measures (building and compiling a
graph, opening a saver, building a long thread) happens outside the timed region. A metric of
the sync API (``invoke()``, ``stream()``) is taken outside any event loop, on the asyncio side
only (actorgraph runs the sync API in a private asyncio loop): :attr:`Metric.backends` names
the actorgraph backends a metric is measured on.
"""

from __future__ import annotations

import gc
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import anyio

from . import graphs
from ._frameworks import Framework, Side, Unavailable


@dataclass(frozen=True)
class Target:
    """A goal reported next to a metric (never asserted)."""

    kind: Literal["speedup", "at_most", "equals"]
    value: float
    unit: str = "×"  # of an "at_most" bound, as the table shows it (e.g. " ms")

    def describe(self) -> str:
        if self.kind == "speedup":
            return f"≥{self.value:g}× LangGraph"
        if self.kind == "at_most":
            return f"≤{self.value:g}{self.unit}"
        return f"= {self.value:g}"

    def met(self, x: float) -> bool:
        if self.kind == "speedup":
            return x >= self.value
        if self.kind == "at_most":
            return x <= self.value
        return x == self.value


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    better: Literal["lower", "higher"] = "lower"
    target: Target | tuple[Target, ...] | None = None
    compare: bool = True  # compare with LangGraph pair by pair
    trio_check: bool = False  # report trio against asyncio (target: within 1.5x)
    backends: tuple[str, ...] = ("asyncio", "trio")  # the actorgraph backends measuring it

    @property
    def targets(self) -> tuple[Target, ...]:
        if self.target is None:
            return ()
        return self.target if isinstance(self.target, tuple) else (self.target,)


TRIO_TARGET = 1.5


class Workload:
    name: str
    description: str
    metrics: tuple[Metric, ...]
    frameworks: tuple[str, ...] = ("actorgraph", "langgraph")
    full_size: int
    quick_size: int
    max_reps: int | None = None
    warmup: bool = True

    def size(self, quick: bool) -> int:
        return self.quick_size if quick else self.full_size

    def warm_size(self, size: int) -> int:
        return size

    def runs_on(self, side: Side) -> bool:
        """Whether ``side`` measures this workload (on actorgraph: a metric is measured on its
        backend; LangGraph always runs on asyncio)."""
        if side.framework not in self.frameworks:
            return False
        return side.framework != "actorgraph" or any(side.backend in m.backends for m in self.metrics)

    def setup(self, fw: Framework, size: int) -> Any:
        """Untimed preparation, once per framework (e.g. compile the graph)."""
        return None

    def teardown(self, state: Any) -> None:
        """Undo :meth:`setup` (e.g. remove a temp file) once the workload is done."""

    async def sample(self, fw: Framework, state: Any, size: int, side: Side) -> dict[str, float]:
        raise NotImplementedError

    def measure(self, side: Side, fw: Framework, state: Any, size: int) -> dict[str, float]:
        return side.run(self.sample, fw, state, size, side)


def _config(recursion_limit: int, thread: bool) -> dict[str, Any]:
    config: dict[str, Any] = {"recursion_limit": recursion_limit}
    if thread:
        config["configurable"] = {"thread_id": uuid.uuid4().hex}
    return config


def _check_x(out: Any, expected: int, where: str) -> None:
    if not isinstance(out, dict) or out.get("x") != expected:
        raise AssertionError(f"{where}: expected x == {expected}, got {out!r:.200}")


SAMPLE_STEPS: Final = 2000
"""Steps a sample of the chains without a saver runs at least (a sample of the saver rows, 200).

Each sample starts after a full ``gc.collect()`` (and, for ``ainvoke``, in a fresh event loop),
which leaves the CPU's caches cold: the first run after it costs more, the same few hundred µs
on either framework (here, a 100-step run of ``def`` nodes: actorgraph +25 % a step, LangGraph
+5 %). A sample of 200 steps (two runs of the 100-node chain) measured that more than the step;
one of 2000 steps measures the step."""


class Sequential(Workload):
    """A chain of N async no-op nodes; µs per super-step (run time / N)."""

    def __init__(self, n: int, saver: Literal["memory", "sqlite"] | None = None,
                 durability: str | None = None, quick_n: int | None = None,
                 speedup: float | None = 10.0, inline: bool = False) -> None:
        self.n = n
        self.saver = saver
        self.durability = durability
        self.inline = inline
        self.full_size = n
        self.quick_size = quick_n if quick_n is not None else n
        suffix = {None: "", "memory": "_memory", "sqlite": f"_sqlite_{durability}"}[saver]
        self.name = f"sequential_{n}{suffix}" + ("_inline" if inline else "")
        what = {None: "no checkpointer", "memory": "in-memory saver",
                "sqlite": "SQLite saver on a temp file"}[saver]
        self.description = f"chain of {n} async no-op nodes, {what}" + (
            f", durability {durability!r}" if durability else "") + (
            " (actorgraph: inline=True, SQL on the event loop's thread; LangGraph: its usual saver)"
            if inline else "")
        target = Target("speedup", speedup) if speedup is not None else None
        self.metrics = (Metric("step_us", self.name, "µs/step", target=target, trio_check=True),)

    def setup(self, fw: Framework, size: int) -> Any:
        return graphs.sequential(fw.graph, size).compile()

    async def sample(self, fw: Framework, graph: Any, size: int, side: Side) -> dict[str, float]:
        inner = max(1, (200 if self.saver else SAMPLE_STEPS) // size)  # (see SAMPLE_STEPS)
        kwargs = {"durability": self.durability} if self.durability else {}
        async with AsyncExitStack() as stack:
            if self.saver == "memory":
                graph = fw.with_saver(graph, fw.memory_saver())
            elif self.saver == "sqlite":
                tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="agbench-"))
                saver = await stack.enter_async_context(
                    fw.sqlite_saver(os.path.join(tmp, "bench.db"), inline=self.inline))
                graph = fw.with_saver(graph, saver)
            configs = [_config(size + 10, self.saver is not None) for _ in range(inner)]
            t0 = time.perf_counter()
            for config in configs:
                out = await graph.ainvoke({"x": 0}, config, **kwargs)
            elapsed = time.perf_counter() - t0
        _check_x(out, size, self.name)
        return {"step_us": elapsed / inner / size * 1e6}


class SequentialSync(Workload):
    """The chain of N plain ``def`` nodes; µs per super-step (run time / N).

    ``invoke``: the sync ``graph.invoke()``, called outside any event loop (actorgraph runs it
    in a private asyncio loop: its asyncio column; trio does not apply). ``stream``: the sync
    ``graph.stream()`` (``stream_mode="updates"``, a chunk per step, all taken), likewise.
    ``ainvoke``: ``await graph.ainvoke()``, where both frameworks run each node in a worker thread.
    """

    def __init__(self, n: int, call: Literal["invoke", "stream", "ainvoke"], speedup: float | None) -> None:
        self.n = n
        self.call = call
        self.full_size = self.quick_size = n
        self.name = f"sequential_{n}_sync_{call}"
        if call == "invoke":
            self.description = (f"chain of {n} plain def nodes, sync graph.invoke(), no checkpointer "
                                "(actorgraph: its private asyncio loop)")
        elif call == "stream":
            self.description = (f"chain of {n} plain def nodes, sync graph.stream(stream_mode='updates'), "
                                "every chunk taken, no checkpointer (actorgraph: the calling thread's private asyncio loop)")
        else:
            self.description = f"chain of {n} plain def nodes under await graph.ainvoke(), no checkpointer"
        if n < 10:  # (a run's own cost counts: starting and ending it, its threads)
            self.description = f"short runs: {self.description}"
        self.metrics = (Metric("step_us", self.name, "µs/step",
                               target=Target("speedup", speedup) if speedup is not None else None,
                               trio_check=call == "ainvoke",
                               backends=("asyncio", "trio") if call == "ainvoke" else ("asyncio",)),)

    def setup(self, fw: Framework, size: int) -> Any:
        return graphs.sequential(fw.graph, size, sync=True).compile()

    def measure(self, side: Side, fw: Framework, graph: Any, size: int) -> dict[str, float]:
        if self.call == "ainvoke":
            return side.run(self.sample, fw, graph, size, side)
        inner = max(1, SAMPLE_STEPS // size)
        configs = [_config(size + 10, False) for _ in range(inner)]
        gc.collect()  # as Side.run does before an async sample
        t0 = time.perf_counter()
        if self.call == "invoke":
            for config in configs:
                out = graph.invoke({"x": 0}, config)
        else:
            for config in configs:
                chunks = list(graph.stream({"x": 0}, config, stream_mode="updates"))
        elapsed = time.perf_counter() - t0
        if self.call == "stream":  # a chunk per step; the last node's update has x == size
            out = next(iter(chunks[-1].values())) if len(chunks) == size else chunks
        _check_x(out, size, self.name)
        return {"step_us": elapsed / inner / size * 1e6}

    async def sample(self, fw: Framework, graph: Any, size: int, side: Side) -> dict[str, float]:
        inner = max(1, SAMPLE_STEPS // size)
        configs = [_config(size + 10, False) for _ in range(inner)]
        t0 = time.perf_counter()
        for config in configs:
            out = await graph.ainvoke({"x": 0}, config)
        elapsed = time.perf_counter() - t0
        _check_x(out, size, self.name)
        return {"step_us": elapsed / inner / size * 1e6}


class FanoutToSubgraph(Workload):
    name = "fanout_to_subgraph_100"
    description = "100 Sends into a 3-node subgraph looping 10 times; without and with the memory saver"
    full_size = 100
    quick_size = 20
    metrics = (
        Metric("run_ms", "fanout_to_subgraph_100", "ms/run", target=Target("speedup", 5.0),
               trio_check=True),
        Metric("run_ms_memory", "fanout_to_subgraph_100 + memory saver", "ms/run",
               target=Target("speedup", 5.0), trio_check=True),
    )

    def setup(self, fw: Framework, size: int) -> Any:
        return graphs.fanout_to_subgraph(fw.graph, fw.types).compile()

    async def sample(self, fw: Framework, graph: Any, size: int, side: Side) -> dict[str, float]:
        inp = {"subjects": [f"s{i}" for i in range(size)]}
        t0 = time.perf_counter()
        out = await graph.ainvoke(inp, _config(100, False))
        plain = time.perf_counter() - t0
        saved_graph = fw.with_saver(graph, fw.memory_saver())
        config = _config(100, True)
        t0 = time.perf_counter()
        out_saved = await saved_graph.ainvoke(inp, config, durability="async")
        saved = time.perf_counter() - t0
        for o in (out, out_saved):
            if len(o["jokes"]) != size * 10:
                raise AssertionError(f"{self.name}: expected {size * 10} jokes, got {len(o['jokes'])}")
        return {"run_ms": plain * 1e3, "run_ms_memory": saved * 1e3}


class WideState(Workload):
    name = "wide_state_300"
    description = "300 nodes (10 lanes x 30 joined layers) over a 17-key dataclass with mixed reducers"
    full_size = 300
    quick_size = 300
    metrics = (Metric("run_ms", "wide_state_300", "ms/run", target=Target("speedup", 5.0),
                      trio_check=True),)

    def setup(self, fw: Framework, size: int) -> Any:
        return graphs.wide_state(fw.graph, lanes=10, depth=size // 10).compile()

    async def sample(self, fw: Framework, graph: Any, size: int, side: Side) -> dict[str, float]:
        inner = 3
        t0 = time.perf_counter()
        for _ in range(inner):
            out = await graph.ainvoke({"k0": []}, _config(1000, False))
        elapsed = time.perf_counter() - t0
        if out["k10"] != size // 10:
            raise AssertionError(f"{self.name}: expected k10 == {size // 10}, got {out['k10']!r}")
        return {"run_ms": elapsed / inner * 1e3}


class ConcurrentThreads(Workload):
    name = "concurrent_threads_1000"
    description = ("1000 concurrent runs of sequential_10 on one SQLite file, durability 'async' "
                   "(actorgraph: ActorSystem.start + RunHandle.result; LangGraph: asyncio.gather)")
    full_size = 1000
    quick_size = 50
    max_reps = 3
    steps = 10
    metrics = (
        Metric("steps_per_s", "concurrent_threads_1000", "steps/s", "higher",
               target=Target("speedup", 10.0), trio_check=True),
        Metric("p50_ms", "concurrent_threads_1000 p50 latency", "ms/run"),
        Metric("p99_ms", "concurrent_threads_1000 p99 latency", "ms/run"),
        Metric("errors", "concurrent_threads_1000 errors", "errors", target=Target("equals", 0),
               compare=False),
    )

    def warm_size(self, size: int) -> int:
        return min(size, 100)

    def setup(self, fw: Framework, size: int) -> Any:
        return graphs.sequential(fw.graph, self.steps).compile()

    async def sample(self, fw: Framework, graph: Any, size: int, side: Side) -> dict[str, float]:
        latencies: list[float] = []
        errors: list[BaseException] = []

        def finished(t0: float, out: Any) -> None:
            latencies.append(time.perf_counter() - t0)
            try:
                _check_x(out, self.steps, self.name)
            except AssertionError as exc:
                errors.append(exc)

        with tempfile.TemporaryDirectory(prefix="agbench-") as tmp:
            async with fw.sqlite_saver(os.path.join(tmp, "bench.db")) as saver:
                g = fw.with_saver(graph, saver)
                configs = [_config(100, True) for _ in range(size)]
                if fw.name == "actorgraph":
                    from actorgraph import ActorSystem

                    async def wait(handle: Any, t0: float) -> None:
                        try:
                            out = await handle.result()
                        except Exception as exc:
                            latencies.append(time.perf_counter() - t0)
                            errors.append(exc)
                        else:
                            finished(t0, out)

                    start = time.perf_counter()
                    async with ActorSystem() as system, anyio.create_task_group() as tg:
                        for config in configs:
                            t0 = time.perf_counter()
                            handle = await system.start(g, {"x": 0}, config)
                            tg.start_soon(wait, handle, t0)
                    wall = time.perf_counter() - start
                else:
                    import asyncio

                    async def one(config: dict[str, Any]) -> None:
                        t0 = time.perf_counter()
                        try:
                            out = await g.ainvoke({"x": 0}, config, durability="async")
                        except Exception as exc:
                            latencies.append(time.perf_counter() - t0)
                            errors.append(exc)
                        else:
                            finished(t0, out)

                    start = time.perf_counter()
                    await asyncio.gather(*(one(c) for c in configs))
                    wall = time.perf_counter() - start
        if errors:
            print(f"\n{self.name} ({side.label}): {len(errors)} errors, first: {errors[0]!r}",
                  file=sys.stderr)
        lat = sorted(latencies)
        return {
            "steps_per_s": size * self.steps / wall,
            "p50_ms": statistics.median(lat) * 1e3,
            "p99_ms": _percentile(lat, 0.99) * 1e3,
            "errors": float(len(errors)),
        }


def _percentile(sorted_xs: list[float], q: float) -> float:
    if len(sorted_xs) == 1:
        return sorted_xs[0]
    pos = q * (len(sorted_xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


class StreamFanout(Workload):
    name = "stream_fanout_10"
    description = ("sequential_1000 started with ActorSystem, 10 subscribers on 'updates' vs 1 "
                   "(each consuming in its own task); overhead = time with 10 / time with 1")
    frameworks = ("actorgraph",)
    full_size = 1000
    quick_size = 200
    subscribers = 10
    metrics = (
        Metric("overhead", "stream_fanout_10 overhead (10 subs / 1)", "×",
               target=Target("at_most", 1.5), compare=False),
        Metric("step_us_10", "stream_fanout_10 with 10 subscribers", "µs/step", compare=False,
               trio_check=True),
    )

    def __init__(self) -> None:
        self._flip = False

    def setup(self, fw: Framework, size: int) -> Any:
        return graphs.sequential(fw.graph, size).compile()

    async def _once(self, graph: Any, size: int, subscribers: int) -> float:
        from actorgraph import ActorSystem

        counts = [0] * subscribers

        async def consume(i: int, events: Any) -> None:
            async for _mode, _chunk in events:
                counts[i] += 1

        async with ActorSystem() as system:
            t0 = time.perf_counter()
            handle = await system.start(graph, {"x": 0}, {"recursion_limit": size + 10})
            async with AsyncExitStack() as stack, anyio.create_task_group() as tg:
                for i in range(subscribers):  # all subscribed before the run's first step
                    events = await stack.enter_async_context(handle.subscribe("updates"))
                    tg.start_soon(consume, i, events)
            out = await handle.result()
            elapsed = time.perf_counter() - t0
        _check_x(out, size, self.name)
        if counts != [size] * subscribers:
            raise AssertionError(f"{self.name}: each subscriber should see {size} events, saw {counts}")
        return elapsed

    async def sample(self, fw: Framework, graph: Any, size: int, side: Side) -> dict[str, float]:
        ones: list[float] = []
        manys: list[float] = []
        for _ in range(5):  # runs are short: medians of interleaved pairs keep a GC pause out
            self._flip = not self._flip  # alternate which goes first
            if self._flip:
                ones.append(await self._once(graph, size, 1))
                manys.append(await self._once(graph, size, self.subscribers))
            else:
                manys.append(await self._once(graph, size, self.subscribers))
                ones.append(await self._once(graph, size, 1))
        one, many = statistics.median(ones), statistics.median(manys)
        return {"overhead": many / one, "step_us_10": many / size * 1e6}


class FirstEventLatency(Workload):
    name = "first_event_latency"
    description = "compile sequential_10, then astream(stream_mode='updates') until the first event"
    full_size = 10
    quick_size = 10
    metrics = (
        Metric("total_ms", "first_event_latency", "ms", trio_check=True),
        Metric("compile_ms", "first_event_latency: compile", "ms"),
        Metric("first_ms", "first_event_latency: first event", "ms"),
    )

    def setup(self, fw: Framework, size: int) -> Any:
        return graphs.sequential(fw.graph, size)  # the builder: compile() is measured

    async def sample(self, fw: Framework, builder: Any, size: int, side: Side) -> dict[str, float]:
        inner = 10
        compile_s = first_s = 0.0
        for _ in range(inner):
            t0 = time.perf_counter()
            graph = builder.compile()
            t1 = time.perf_counter()
            stream = graph.astream({"x": 0}, {"recursion_limit": size + 10}, stream_mode="updates")
            await stream.__anext__()
            t2 = time.perf_counter()
            await stream.aclose()
            compile_s += t1 - t0
            first_s += t2 - t1
        return {"total_ms": (compile_s + first_s) / inner * 1e3,
                "compile_ms": compile_s / inner * 1e3, "first_ms": first_s / inner * 1e3}


STREAM_TARGETS = (Target("at_most", 2.0, " ms"), Target("speedup", 1.0))


class StreamLatency(Workload):
    """Lag of ``custom`` stream chunks: a node calls the stream writer every 10 ms, each chunk
    carrying ``time.perf_counter()`` at the call; the consumer takes the difference on receipt.

    Three variants per side: an ``async def`` node under ``astream``; a ``def`` node (a worker
    thread) under ``astream``; the same ``def`` node under the sync ``stream()`` (called outside
    any event loop: actorgraph's asyncio column; LangGraph's sync ``stream`` runs no async node).
    """

    name = "stream_latency"
    description = ("a node calling the custom stream writer every 10 ms (1 s); lag from the call to "
                   "the consumer receiving the chunk: async def node under astream, def node under "
                   "astream, def node under the sync stream()")
    full_size = 100  # chunks, one per STREAM_INTERVAL
    quick_size = 20
    max_reps = 3
    metrics = (
        Metric("p50_ms", "stream_latency p50", "ms"),
        Metric("p99_ms", "stream_latency p99", "ms", target=STREAM_TARGETS),
        Metric("def_p50_ms", "stream_latency, def node: p50", "ms"),
        Metric("def_p99_ms", "stream_latency, def node: p99", "ms", target=STREAM_TARGETS),
        Metric("sync_p50_ms", "stream_latency, def node, sync stream(): p50", "ms",
               backends=("asyncio",)),
        Metric("sync_p99_ms", "stream_latency, def node, sync stream(): p99", "ms",
               target=STREAM_TARGETS, backends=("asyncio",)),
    )

    def warm_size(self, size: int) -> int:
        return min(size, 10)

    def setup(self, fw: Framework, size: int) -> Any:
        writer = fw.stream_writer()
        return (graphs.talking(fw.graph, writer).compile(),
                graphs.talking(fw.graph, writer, sync=True).compile())

    def measure(self, side: Side, fw: Framework, state: Any, size: int) -> dict[str, float]:
        values = side.run(self.sample, fw, state, size, side)
        if side.backend == "asyncio":
            gc.collect()
            lags: list[float] = []
            seen: list[int] = []
            for chunk in state[1].stream({"x": 0, "chunks": size}, stream_mode="custom"):
                lags.append(time.perf_counter() - chunk["t"])
                seen.append(chunk["i"])
            values.update(self._lags("sync_", lags, seen, size))
        return values

    async def sample(self, fw: Framework, state: Any, size: int, side: Side) -> dict[str, float]:
        values: dict[str, float] = {}
        for prefix, graph in (("", state[0]), ("def_", state[1])):
            lags: list[float] = []
            seen: list[int] = []
            async for chunk in graph.astream({"x": 0, "chunks": size}, stream_mode="custom"):
                lags.append(time.perf_counter() - chunk["t"])
                seen.append(chunk["i"])
            values.update(self._lags(prefix, lags, seen, size))
        return values

    def _lags(self, prefix: str, lags: list[float], seen: list[int], size: int) -> dict[str, float]:
        if seen != list(range(size)):
            raise AssertionError(f"{self.name}: expected chunks 0..{size - 1} in order, got {seen!r:.200}")
        lat = sorted(lags)
        return {f"{prefix}p50_ms": statistics.median(lat) * 1e3,
                f"{prefix}p99_ms": _percentile(lat, 0.99) * 1e3}


@dataclass
class _Thread:
    """A built thread on a temp SQLite file, and the checkpoint to fork."""

    graph: Any
    tmp: tempfile.TemporaryDirectory[str]
    path: str
    fork: dict[str, Any]  # the config of the checkpoint of step size // 2
    fork_x: int


class ForkAndReplay(Workload):
    """Time travel on SQLite: fork a long thread half way and run a few steps from the fork.

    The thread (one node looping on a counter, default settings) is built once per framework,
    untimed; each sample forks the same checkpoint again (a new branch each time).
    """

    name = "fork_and_replay"
    description = ("a 1000-step thread on SQLite (built untimed), forked at step 500: update_state on "
                   "that checkpoint, then 10 steps from the fork")
    full_size = 1000  # steps in the thread; the fork is at size // 2
    quick_size = 100
    replay = 10
    metrics = (Metric("fork_ms", "fork_and_replay", "ms", trio_check=True),)

    def setup(self, fw: Framework, size: int) -> Any:
        graph = graphs.counting_loop(fw.graph).compile()
        tmp = tempfile.TemporaryDirectory(prefix="agbench-")
        path = os.path.join(tmp.name, "bench.db")
        try:
            fork, fork_x = anyio.run(self._build, fw, graph, path, size)
        except BaseException:
            tmp.cleanup()
            raise
        return _Thread(graph, tmp, path, fork, fork_x)

    def teardown(self, state: Any) -> None:
        state.tmp.cleanup()

    async def _build(self, fw: Framework, graph: Any, path: str, size: int) -> tuple[dict[str, Any], int]:
        async with fw.sqlite_saver(path) as saver:
            g = fw.with_saver(graph, saver)
            config = _config(size + 10, True)
            _check_x(await g.ainvoke({"x": 0, "stop": size}, config), size, self.name)
            thread = {"configurable": config["configurable"]}
            async for snap in g.aget_state_history(thread):
                if snap.metadata["step"] == size // 2:
                    return dict(snap.config), int(snap.values["x"])
        raise AssertionError(f"{self.name}: no checkpoint of step {size // 2}")

    async def sample(self, fw: Framework, state: Any, size: int, side: Side) -> dict[str, float]:
        async with fw.sqlite_saver(state.path) as saver:
            g = fw.with_saver(state.graph, saver)
            await g.aget_state({"configurable": {"thread_id": "warm-up"}})  # open, create tables
            t0 = time.perf_counter()
            config = await g.aupdate_state(state.fork, {"stop": state.fork_x + self.replay}, as_node="inc")
            out = await g.ainvoke(None, config)
            elapsed = time.perf_counter() - t0
        _check_x(out, state.fork_x + self.replay, self.name)
        return {"fork_ms": elapsed * 1e3}


class IdleRunsMemory(Workload):
    name = "idle_runs_memory"
    description = ("10,000 runs parked at interrupt() (in-memory saver), in a fresh process per "
                   "side: peak RSS and RSS growth per parked run")
    full_size = 10_000
    quick_size = 300
    max_reps = 1
    warmup = False
    metrics = (
        Metric("peak_rss_mb", "idle_runs_memory peak RSS", "MB"),
        Metric("mb_per_run", "idle_runs_memory per parked run", "MB/run"),
    )

    def measure(self, side: Side, fw: Framework, state: Any, size: int) -> dict[str, float]:
        root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        cmd = [sys.executable, "-m", "bench._idle", "--framework", side.framework,
               "--backend", side.backend, "--loop", side.loop, "--runs", str(size)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=root, timeout=900)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[1:])} failed:\n{proc.stderr[-2000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        if "unavailable" in result:
            raise Unavailable(result["unavailable"])
        return {"peak_rss_mb": result["peak_rss_mb"], "mb_per_run": result["mb_per_run"]}


WORKLOADS: list[Workload] = [
    Sequential(10),
    # (issue 6 asked ≥10× of every chain; issue 11 ≥20× of these two, async nodes without a saver)
    Sequential(100, speedup=20.0),
    Sequential(1000, quick_n=200, speedup=20.0),
    Sequential(1000, "memory", "async", quick_n=200),
    Sequential(1000, "sqlite", "sync", quick_n=50, speedup=20.0),
    Sequential(1000, "sqlite", "async", quick_n=50, speedup=20.0),
    Sequential(1000, "sqlite", "exit", quick_n=50, speedup=20.0),
    Sequential(1000, "sqlite", "sync", quick_n=50, speedup=None, inline=True),
    FanoutToSubgraph(),
    WideState(),
    ConcurrentThreads(),
    StreamFanout(),
    FirstEventLatency(),
    IdleRunsMemory(),
    SequentialSync(100, "invoke", speedup=10.0),
    SequentialSync(100, "stream", speedup=None),  # (no issue sets one: reported)
    SequentialSync(100, "ainvoke", speedup=5.0),
    SequentialSync(3, "ainvoke", speedup=None),  # (a chat agent's run is a few steps: reported)
    StreamLatency(),
    ForkAndReplay(),
]

# Workloads of later issues, each in its own module: the functional API (issue 13), LangChain
# agents and token streaming (issue 12), PostgreSQL (issue 15), agent populations (issue 16).
from . import _agents, _functional, _langchain, _postgres  # noqa: E402  (they build on the classes above)

WORKLOADS += [_functional.Functional(), *_langchain.WORKLOADS, *_postgres.WORKLOADS,
              _agents.Agents(), _agents.Agents(sync=True)]
