"""Several worker processes share one PostgreSQL database; any worker runs any step of any thread.

    python examples/workers.py                                  # 4 workers, 1000 threads, 1 SIGKILL
    python examples/workers.py --workers 8 --threads 200 --steps 5 --kill 2
    python examples/workers.py --url postgresql://me@db/app --trio

The driver submits ``--threads`` threads to a job table and starts ``--workers`` worker
processes. A worker claims any unfinished thread (``FOR UPDATE SKIP LOCKED``: the claim lasts
while it works on it), runs **one** super-step of the graph on it — the graph pauses after each
step (``interrupt_after``), so the next step is a resume by ``thread_id``, usually on another
worker — and puts the thread back. Mid-way the driver SIGKILLs ``--kill`` workers: their claims
vanish with their connections, the steps they had committed are in the checkpointer, the ones
they had not are run again by the others. At the end the driver reads every thread back and
counts lost steps (a thread short of ``--steps``), forks (a checkpoint with two children) and
unfinished threads; all three must be 0 (exit status 1 otherwise).

Each run uses a fresh PostgreSQL schema (``--schema``, dropped at the end unless ``--keep``).
"""

from __future__ import annotations

import argparse
import operator
import os
import signal
import subprocess
import sys
import time
import uuid
from typing import Annotated, Any, TypedDict

import anyio
import anyio.to_thread
import psycopg

from actorgraph import END, START, StateGraph
from actorgraph.persistence import CheckpointConflictError, PostgresSaver

DEFAULT_URL = os.environ.get("ACTORGRAPH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


class State(TypedDict):
    n: int
    log: Annotated[list[str], operator.add]


def build(steps: int, checkpointer: PostgresSaver) -> Any:
    def step(state: State, config: Any) -> dict[str, Any]:
        worker = config["configurable"]["worker"]
        return {"n": state["n"] + 1, "log": [f"{state['n']}@{worker}"]}

    g = StateGraph(State)
    g.add_node("step", step)
    g.add_edge(START, "step")
    g.add_conditional_edges("step", lambda s: "step" if s["n"] < steps else END, ["step", END])
    return g.compile(checkpointer=checkpointer, interrupt_after=["step"])


# -- the job table ---------------------------------------------------------------------------------


def jobs_table(schema: str) -> str:
    return f'"{schema}".jobs'


def submit(url: str, schema: str, threads: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        conn.execute(f"CREATE TABLE {jobs_table(schema)} (thread_id text PRIMARY KEY, "
                     "steps_done integer NOT NULL DEFAULT 0, done boolean NOT NULL DEFAULT false)")
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO {jobs_table(schema)} (thread_id) VALUES (%s)",
                            [(f"thread-{i:05}",) for i in range(threads)])


class Claims:
    """One worker's connection to the job table (sync psycopg, called on worker threads)."""

    def __init__(self, url: str, schema: str) -> None:
        self.conn = psycopg.connect(url)
        self.table = jobs_table(schema)

    def claim(self) -> tuple[str, int] | None | bool:
        """A thread to work on (its row stays locked until :meth:`release`), None if all are
        claimed right now, False if every thread is done."""
        row = self.conn.execute(
            f"SELECT thread_id, steps_done FROM {self.table} WHERE NOT done "
            "ORDER BY steps_done, random() LIMIT 1 FOR UPDATE SKIP LOCKED").fetchone()
        if row is not None:
            return row[0], row[1]
        left = self.conn.execute(f"SELECT count(*) FROM {self.table} WHERE NOT done").fetchone()
        self.conn.rollback()
        return False if left is None or left[0] == 0 else None

    def release(self, thread_id: str, steps_done: int | None, done: bool) -> None:
        if steps_done is not None:
            self.conn.execute(f"UPDATE {self.table} SET steps_done = %s, done = %s WHERE thread_id = %s",
                              (steps_done, done, thread_id))
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


# -- a worker --------------------------------------------------------------------------------------


async def work(url: str, schema: str, steps: int, name: str) -> None:
    claims = Claims(url, schema)
    ran = conflicts = 0
    try:
        async with PostgresSaver.from_conn_string(url, schema=schema, max_size=2) as saver:
            graph = build(steps, saver)
            while True:
                got = await anyio.to_thread.run_sync(claims.claim)
                if got is False:
                    break
                if got is None or got is True:
                    await anyio.sleep(0.02)
                    continue
                thread_id, _ = got
                config = {"configurable": {"thread_id": thread_id, "worker": name}}
                try:
                    before = await graph.aget_state(config)
                    start = None if before.values else {"n": 0, "log": []}
                    await graph.ainvoke(start, config)  # one step, then it pauses (interrupt_after)
                    ran += 1
                    after = await graph.aget_state(config)
                    n = after.values["n"]
                    await anyio.to_thread.run_sync(claims.release, thread_id, n, n >= steps and not after.next)
                except CheckpointConflictError:  # another worker continued it: never with claims
                    conflicts += 1
                    await anyio.to_thread.run_sync(claims.release, thread_id, None, False)
    finally:
        claims.close()
    print(f"worker {name}: ran {ran} steps, {conflicts} conflicts", flush=True)


# -- the driver ------------------------------------------------------------------------------------


def progress(url: str, schema: str) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT coalesce(sum(steps_done), 0), count(*) FILTER (WHERE NOT done) "
                           f"FROM {jobs_table(schema)}").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


async def verify(url: str, schema: str, threads: int, steps: int) -> dict[str, int]:
    """Read every thread back: lost steps, forks, unfinished threads, and how often a step ran
    on another worker than the step before it."""
    lost = forks = unfinished = moved = 0
    async with PostgresSaver.from_conn_string(url, schema=schema) as saver:
        graph = build(steps, saver)
        for i in range(threads):
            config = {"configurable": {"thread_id": f"thread-{i:05}"}}
            history = [t async for t in saver.alist(config)]
            parents = [t.parent_config["configurable"]["checkpoint_id"] for t in history if t.parent_config]
            forks += len(parents) - len(set(parents))
            state = await graph.aget_state(config)
            log = state.values.get("log", [])
            if state.values.get("n") != steps or state.next:
                unfinished += 1
            lost += max(0, steps - len(log))
            if [entry.split("@")[0] for entry in log] != [str(k) for k in range(len(log))]:
                forks += 1  # a step recorded twice or out of order: the chain forked somewhere
            workers = [entry.split("@")[1] for entry in log]
            moved += sum(a != b for a, b in zip(workers, workers[1:]))
    return {"lost": lost, "forks": forks, "unfinished": unfinished, "moved": moved}


def drive(args: argparse.Namespace) -> int:
    schema = args.schema or f"workers_{uuid.uuid4().hex[:12]}"
    submit(args.url, schema, args.threads)
    total = args.threads * args.steps
    print(f"schema {schema}: {args.threads} threads x {args.steps} steps, {args.workers} workers", flush=True)
    command = [sys.executable, os.path.abspath(__file__), "--url", args.url, "--schema", schema,
               "--steps", str(args.steps), *(["--trio"] if args.trio else [])]
    procs = [subprocess.Popen([*command, "--worker", f"w{i}"]) for i in range(args.workers)]
    killed = 0
    started = time.monotonic()
    try:
        while True:
            done_steps, left = progress(args.url, schema)
            if killed < args.kill and done_steps >= total * 0.3 * (killed + 1) / max(args.kill, 1):
                victim = procs[killed]
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                killed += 1
                print(f"SIGKILLed worker w{killed - 1} at {done_steps}/{total} steps", flush=True)
            if left == 0:
                break
            if all(p.poll() is not None for p in procs):
                print("every worker exited with threads left", flush=True)
                break
            if time.monotonic() - started > args.deadline:
                print(f"deadline of {args.deadline:g} s passed", flush=True)
                break
            time.sleep(0.05)
        for p in procs:
            p.wait(timeout=60)
        elapsed = time.monotonic() - started
        result = anyio.run(verify, args.url, schema, args.threads, args.steps,
                           backend="trio" if args.trio else "asyncio")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if not args.keep:
            with psycopg.connect(args.url, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finished = args.threads - result["unfinished"]
    print(f"finished: {finished}/{args.threads} threads, lost steps: {result['lost']}, forks: {result['forks']}, "
          f"killed: {killed}, steps that moved to another worker: {result['moved']}, {elapsed:.1f} s", flush=True)
    return 0 if result["lost"] == result["forks"] == result["unfinished"] == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=DEFAULT_URL, help="libpq URL (env ACTORGRAPH_POSTGRES)")
    parser.add_argument("--schema", help="PostgreSQL schema to use (default: a fresh one)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=3, help="super-steps per thread")
    parser.add_argument("--kill", type=int, default=1, help="workers to SIGKILL mid-way")
    parser.add_argument("--deadline", type=float, default=600.0, help="seconds before giving up")
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    parser.add_argument("--trio", action="store_true", help="run on trio instead of asyncio")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: run as worker NAME
    args = parser.parse_args()
    if args.kill >= args.workers:
        parser.error("--kill must leave at least one worker alive")
    if args.worker is not None:
        anyio.run(work, args.url, args.schema, args.steps, args.worker, backend="trio" if args.trio else "asyncio")
        return 0
    return drive(args)


if __name__ == "__main__":
    sys.exit(main())
