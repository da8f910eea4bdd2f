"""PostgreSQL workloads: ``concurrent_threads_1000_postgres`` and ``workers_postgres_4_vs_1``.

The server is ``ACTORGRAPH_BENCH_POSTGRES`` (default: the local test server); each sample uses
fresh schemas, dropped afterwards. A missing server or driver makes the workload unavailable.

* ``concurrent_threads_1000_postgres``: :class:`~bench.workloads.ConcurrentThreads` (1000
  concurrent runs of sequential_10) with the saver on PostgreSQL: actorgraph's
  ``PostgresSaver`` against LangGraph's ``AsyncPostgresSaver``, each on a pool of
  :data:`POOL_SIZE` connections (LangGraph's saver on a pool, not on its single
  ``from_conn_string`` connection, which would serialise every run), same server, same run.
* ``workers_postgres_4_vs_1``: ``examples/workers.py`` (one super-step per claim, resume by
  thread id, no kill) with 1 and with 4 worker processes; steps/s of each and their ratio.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from ._frameworks import Framework, Side, Unavailable
from .workloads import ConcurrentThreads, Metric, Target, Workload

URL = os.environ.get("ACTORGRAPH_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
POOL_SIZE = 10


def _check_server() -> None:
    try:
        import psycopg

        with psycopg.connect(URL, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        raise Unavailable(f"PostgreSQL at {URL!r}: {exc}") from None


def _drop(schema: str) -> None:
    import psycopg

    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@asynccontextmanager
async def _actorgraph_saver() -> AsyncIterator[Any]:
    from actorgraph.persistence import PostgresSaver

    schema = f"agbench_{uuid.uuid4().hex[:12]}"
    try:
        async with PostgresSaver.from_conn_string(URL, schema=schema, max_size=POOL_SIZE) as saver:
            yield saver
    finally:
        _drop(schema)


@asynccontextmanager
async def _langgraph_saver() -> AsyncIterator[Any]:
    import psycopg
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    schema = f"lgbench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        # the connection settings LangGraph documents for a pool; its tables in their own schema
        async with AsyncConnectionPool(URL, min_size=2, max_size=POOL_SIZE, open=False, kwargs={
                "autocommit": True, "prepare_threshold": 0, "row_factory": dict_row,
                "options": f"-c search_path={schema}"}) as pool:
            saver = AsyncPostgresSaver(pool)  # type: ignore[arg-type]
            await saver.setup()
            yield saver
    finally:
        _drop(schema)


class _OnPostgres:
    """A framework whose ``sqlite_saver`` is its PostgreSQL saver (everything else delegated):
    the SQLite workload's own code then runs on PostgreSQL."""

    def __init__(self, fw: Framework) -> None:
        self._fw = fw

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fw, name)

    def sqlite_saver(self, path: str, inline: bool = False) -> AbstractAsyncContextManager[Any]:
        return _actorgraph_saver() if self._fw.name == "actorgraph" else _langgraph_saver()


class ConcurrentThreadsPostgres(ConcurrentThreads):
    name = "concurrent_threads_1000_postgres"
    description = ("1000 concurrent runs of sequential_10 on PostgreSQL, durability 'async' "
                   f"(actorgraph: PostgresSaver; LangGraph: AsyncPostgresSaver; each a pool of {POOL_SIZE})")
    metrics = (
        Metric("steps_per_s", "concurrent_threads_1000_postgres", "steps/s", "higher",
               target=Target("speedup", 5.0), trio_check=True),
        Metric("p50_ms", "concurrent_threads_1000_postgres p50 latency", "ms/run"),
        Metric("p99_ms", "concurrent_threads_1000_postgres p99 latency", "ms/run"),
        Metric("errors", "concurrent_threads_1000_postgres errors", "errors", target=Target("equals", 0),
               compare=False),
    )

    def setup(self, fw: Framework, size: int) -> Any:
        _check_server()
        if fw.name == "langgraph":
            try:
                import langgraph.checkpoint.postgres.aio  # noqa: F401
            except ImportError:
                raise Unavailable("langgraph-checkpoint-postgres is not installed") from None
        return super().setup(fw, size)

    async def sample(self, fw: Framework, graph: Any, size: int, side: Side) -> dict[str, float]:
        return await super().sample(_OnPostgres(fw), graph, size, side)  # type: ignore[arg-type]


class WorkersPostgres(Workload):
    name = "workers_postgres"
    description = ("examples/workers.py: threads of 3 super-steps, one step per claim, resumed by "
                   "thread id on any worker process; 4 worker processes vs 1 (no kill)")
    frameworks = ("actorgraph",)
    full_size = 1000
    quick_size = 100
    max_reps = 3
    warmup = False
    metrics = (
        Metric("one_steps_per_s", "workers_postgres 1 worker", "steps/s", "higher", compare=False,
               backends=("asyncio",)),
        Metric("four_steps_per_s", "workers_postgres 4 workers", "steps/s", "higher", compare=False,
               backends=("asyncio",)),
        Metric("scaling", "workers_postgres 4 vs 1", "×", "higher", compare=False, backends=("asyncio",)),
    )

    def setup(self, fw: Framework, size: int) -> Any:
        _check_server()
        return None

    def _rate(self, workers: int, threads: int, backend: str) -> float:
        root = Path(__file__).resolve().parent.parent
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH")) if p)
        cmd = [sys.executable, str(root / "examples" / "workers.py"), "--url", URL, "--workers", str(workers),
               "--threads", str(threads), "--steps", "3", "--kill", "0",
               *(["--trio"] if backend == "trio" else [])]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=root, timeout=900)
        found = re.search(r"lost steps: 0, forks: 0, killed: 0, .*?, ([0-9.]+) s", proc.stdout)
        if proc.returncode != 0 or found is None:
            raise RuntimeError(f"{' '.join(cmd[1:])} failed:\n{proc.stdout[-1000:]}\n{proc.stderr[-2000:]}")
        return threads * 3 / float(found.group(1))

    def measure(self, side: Side, fw: Framework, state: Any, size: int) -> dict[str, float]:
        one = self._rate(1, size, side.backend)
        four = self._rate(4, size, side.backend)
        return {"one_steps_per_s": one, "four_steps_per_s": four, "scaling": four / one}


WORKLOADS = [ConcurrentThreadsPostgres(), WorkersPostgres()]
