"""The ``actorgraph`` command: drawing graphs and reading JSON-lines logs."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, TypedDict

import anyio
import pytest

from actorgraph import START, StateGraph
from actorgraph.cli import main
from actorgraph.observability import configure_logging, disable_logging


class S(TypedDict):
    x: int


def build() -> Any:
    g = StateGraph(S)
    g.add_node("a", lambda s: {"x": s["x"] + 1})
    g.add_node("b", lambda s: {"x": s["x"] * 2})
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    return g


graph = build().compile()


def test_draw_prints_mermaid_for_a_module_attribute() -> None:
    out = io.StringIO()
    assert main(["draw", "tests.test_cli:graph"], out) == 0
    text = out.getvalue()
    assert text.startswith("graph TD;")
    assert "__start__ --> a;" in text and "a --> b;" in text


@pytest.fixture
def log_file(tmp_path: Path) -> Any:
    path = tmp_path / "run.jsonl"
    configure_logging(json=True, level="INFO", file=str(path))
    yield path
    disable_logging()


def test_logs_filter_and_summary(log_file: Path) -> None:
    for x in (1, 2):
        anyio.run(lambda x=x: graph.ainvoke({"x": x}))
    records = [json.loads(line) for line in log_file.read_text().splitlines()]
    runs = sorted({r["run"] for r in records if r["event"] == "run_started"})
    assert len(runs) == 2

    out = io.StringIO()
    main(["logs", str(log_file), "--run", runs[0], "--node", "b"], out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["event"] for r in lines] == ["task_started", "task_finished"]
    assert all(r["run"] == runs[0] and r["node"] == "b" and r["step"] == 2 for r in lines)

    out = io.StringIO()
    main(["logs", str(log_file), "--summary"], out)
    summary = out.getvalue()
    assert "run_started: 2" in summary and "run_finished: 2" in summary
    assert "task_finished: 6" in summary  # __start__, a, b per run
    assert "task_started: 6" in summary and "step_planned: 6" in summary
    assert "  a  2  " in summary and "  b  2  " in summary


def test_logs_rejects_a_file_that_is_not_json_lines(tmp_path: Path) -> None:
    bad = tmp_path / "bad.log"
    bad.write_text("not json\n")
    with pytest.raises(SystemExit, match="not a JSON log line"):
        main(["logs", str(bad)], io.StringIO())


def test_capture_stream_helper() -> None:
    from actorgraph.testing import capture_stream

    for backend in ("asyncio", "trio"):
        events = anyio.run(lambda: capture_stream(graph, {"x": 1}), backend=backend)
        assert events == [("updates", {"a": {"x": 2}}), ("updates", {"b": {"x": 4}})]
