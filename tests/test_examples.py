"""The examples run as documented (subprocesses, as a user would run them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], stdin: str = "", cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], input=stdin, capture_output=True, text=True,
                          timeout=60, cwd=cwd)


@pytest.mark.parametrize("flag", [[], ["--trio"]])
def test_quickstart_runs(flag: list[str]) -> None:
    done = run([str(ROOT / "examples" / "quickstart.py"), *flag])
    assert done.returncode == 0, done.stderr
    assert "final:" in done.stdout and "graph TD;" in done.stdout
    assert done.stdout.count("custom   {'writing'") == 6


def test_approval_pauses_and_resumes_in_a_later_process(tmp_path: Path) -> None:
    script = str(ROOT / "examples" / "approval.py")
    db = str(tmp_path / "approval.db")
    first = run([script, "--db", db], stdin="later\n", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "paused" in first.stdout
    second = run([script, "--db", db, "--trio"], stdin="n\n", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "waiting for you" in second.stdout
    assert "done: ['planned: deploy version 2 to production', 'reviewed: rejected', 'nothing done']" in second.stdout
    third = run([script, "--db", db], cwd=tmp_path)
    assert "is finished" in third.stdout
