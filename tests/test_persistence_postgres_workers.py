"""examples/workers.py at a small size: 4 worker processes share one PostgreSQL schema, 100
threads of 3 super-steps each, one worker SIGKILLed mid-way. Checked here independently of the
example's own report: every thread finished with each step recorded once, in order, and no
checkpoint has two children (no fork)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import postgres_url

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("backend", [[], ["--trio"]], ids=["asyncio", "trio"])
def test_workers_share_threads_and_survive_a_sigkill(pg_schema: str, backend: list[str]) -> None:
    import psycopg

    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "workers.py"), "--url", postgres_url(), "--schema", pg_schema,
         "--workers", "4", "--threads", "100", "--steps", "3", "--kill", "1", "--keep", "--deadline", "90",
         *backend],
        capture_output=True, text=True, timeout=110, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "finished: 100/100 threads, lost steps: 0, forks: 0, killed: 1" in done.stdout, done.stdout
    assert "SIGKILLed worker w0" in done.stdout

    with psycopg.connect(postgres_url()) as conn:
        forked = conn.execute(
            f'SELECT thread_id, parent_checkpoint_id FROM "{pg_schema}".checkpoints '
            "WHERE parent_checkpoint_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1").fetchall()
        assert forked == []
        rows = conn.execute(f'SELECT thread_id, done, steps_done FROM "{pg_schema}".jobs').fetchall()
        assert len(rows) == 100 and all(r[1] and r[2] == 3 for r in rows)
    from actorgraph.persistence import PostgresSaver

    with PostgresSaver.from_conn_string(postgres_url(), schema=pg_schema) as saver:
        for thread_id, _, _ in rows:
            head = saver.get_tuple({"configurable": {"thread_id": thread_id}})
            assert head is not None
            values = head.checkpoint.channel_values
            assert values["n"] == 3
            assert [entry.split("@")[0] for entry in values["log"]] == ["0", "1", "2"], values["log"]
