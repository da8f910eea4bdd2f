"""Smoke run of the benchmark suite (``python -m bench --quick``): every workload completes and
produces numbers. No speed is asserted here: figures on a CI machine mean nothing."""

from __future__ import annotations

import importlib.util
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import actorgraph.cli as cli

ROOT = Path(__file__).resolve().parent.parent


def _numbers(spread: dict[str, Any]) -> list[float]:
    return [spread["median"], spread["min"], spread["max"], *spread["samples"]]


@pytest.mark.timeout(300)
def test_quick_bench_runs_every_workload(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    try:
        from bench.workloads import WORKLOADS
    finally:
        sys.path.remove(str(ROOT))
    out_json = tmp_path / "bench.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", "--json", str(out_json)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=290)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    doc = json.loads(out_json.read_text())
    langgraph = doc["langgraph"]  # whether the bench could import LangGraph (the `bench` extra)
    if importlib.util.find_spec("langgraph") is None:
        assert not langgraph
    assert doc["machine"]["cores"] and doc["machine"]["python"] and doc["machine"]["packages"]["actorgraph"]
    by_name = {w["name"]: w for w in doc["workloads"]}
    assert list(by_name) == [w.name for w in WORKLOADS]
    # the LangChain workloads need the `langchain` extra (CI's second pass runs without it)
    langchain_missing = importlib.util.find_spec("langchain_core") is None
    for w in WORKLOADS:
        result = by_name[w.name]
        assert result["error"] is None, (w.name, result["error"])
        if langchain_missing and w.name in ("react_agent_10_turns", "messages_stream_1000_tokens"):
            assert result["unavailable"] and all(
                "langchain-core is not installed" in why for why in result["unavailable"].values())
            continue
        assert result["unavailable"] == {}, (w.name, result["unavailable"])
        backends = {m.key: m.backends for m in w.metrics}  # e.g. sync invoke: asyncio alone
        for metric in result["metrics"]:
            expected = {f"actorgraph_{b}" for b in backends[metric["key"]]}
            if langgraph and "langgraph" in w.frameworks:
                expected.add("langgraph_asyncio")
            assert set(metric["sides"]) == expected, (w.name, metric["key"], set(metric["sides"]))
            for side in metric["sides"].values():
                values = _numbers(side)
                assert all(isinstance(v, (int, float)) and math.isfinite(v) and v >= 0 for v in values)
            if langgraph and "langgraph" in w.frameworks and metric["key"] != "errors":
                assert metric["speedup_vs_langgraph"]["median"] > 0
        assert w.name in proc.stdout  # a row of the table
    errors = [m for m in by_name["concurrent_threads_1000"]["metrics"] if m["key"] == "errors"]
    assert all(side["max"] == 0 for side in errors[0]["sides"].values())


def test_actorgraph_bench_subcommand_finds_the_checkout() -> None:
    out = io.StringIO()
    assert cli.main(["bench", "--list"], out) == 0
    assert "sequential_1000_sqlite_sync" in out.getvalue()


def test_actorgraph_bench_outside_a_checkout_says_how_to_run_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delitem(sys.modules, "bench", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "__file__", str(tmp_path / "site-packages" / "actorgraph" / "cli.py"))
    assert cli.main(["bench", "--quick"], io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "source checkout" in err and "python -m bench" in err


def test_bench_measures_a_users_own_graph() -> None:
    # `--graph module:attr --input JSON`: super-steps/s and per-step latency percentiles
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--graph", "examples.quickstart:graph",
         "--input", json.dumps({"topic": "t", "rounds": 0}), "--runs", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    rows = [line.split("|") for line in done.stdout.splitlines() if line.startswith(("| asyncio", "| trio"))]
    assert [r[1].strip() for r in rows] == ["asyncio", "trio"]
    for r in rows:
        assert float(r[2]) == 4.0  # plan, write, plan, write
        assert all(math.isfinite(float(x.replace(",", ""))) for x in r[3:8])


@pytest.mark.parametrize("extra", [[], ["--sync"], ["--saver", "memory"], ["--backend", "trio"]])
def test_bench_step_times_a_chain(extra: list[str]) -> None:
    # `python -m bench.step`: µs per super-step of a chain, actorgraph alone (before/after a change)
    done = subprocess.run([sys.executable, "-m", "bench.step", "--nodes", "10", "--batches", "2",
                           "--steps", "40", *extra], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    best, _, rest = done.stdout.partition(" µs/step best of 2 (")
    batches = [float(x) for x in rest.split("batches: ")[1].split()]
    assert len(batches) == 2 and float(best) == min(batches) > 0
    assert "chain of 10 " in rest and ("InMemorySaver" in rest) == ("--saver" in extra)
