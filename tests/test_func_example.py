"""examples/functional.py runs as documented, on asyncio and trio (a subprocess, as a user
would run it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("flag", [[], ["--trio"]])
def test_the_functional_example_runs(flag: list[str]) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "functional.py"), *flag],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    # three research calls streamed once each: the resume did not run them again
    assert out.count("updates  {'research'") == 3 and out.count("custom   {'researching'") == 3
    assert "paused at: ('essay',) asking: approve? (yes/no)" in out
    assert "updates  {'review': 'yes'}" in out
    assert "final: {'draft': 'why of trio; how of trio; what of trio', 'verdict': 'yes', 'written': 2}" in out
