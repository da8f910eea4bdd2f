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
    # LangGraph 1.2's draw_mermaid() starts with the front matter naming the curve style
    assert text.startswith("---\nconfig:\n  flowchart:\n    curve: linear\n---\ngraph TD;\n")
    assert "\t__start__ --> a;\n\ta --> b;\n" in text


def _subgraph_parent() -> Any:
    sub = StateGraph(S)
    sub.add_node("p", lambda s: {"x": 1}).add_node("q", lambda s: {"x": 2})
    sub.add_edge(START, "p").add_edge("p", "q")
    g = StateGraph(S)
    g.add_node("sub", sub.compile()).add_edge(START, "sub")
    return g.compile()


parent = _subgraph_parent()


def test_draw_formats() -> None:
    def draw(*args: str) -> str:
        out = io.StringIO()
        assert main(["draw", "tests.test_cli:parent", *args], out) == 0
        return out.getvalue()

    assert draw("--format", "mermaid") == draw()
    data = json.loads(draw("--format", "json"))
    assert [n["id"] for n in data["nodes"]] == ["__start__", "sub", "__end__"]
    xray = json.loads(draw("--format", "json", "--xray"))
    assert [n["id"] for n in xray["nodes"]] == ["__start__", "__end__", "sub:p", "sub:q"]
    assert json.loads(draw("--format", "json", "--xray", "1")) == xray
    assert json.loads(draw("--format", "json", "--xray", "0")) == data
    assert draw("--format", "dot").startswith('digraph "LangGraph" {')
    assert "| sub:p |" in draw("--format", "ascii", "--xray")
    assert "\tsubgraph sub\n" in draw("--xray")


def test_draw_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "g.json"
    out = io.StringIO()
    assert main(["draw", "tests.test_cli:parent", "--format", "json", "-o", str(target)], out) == 0
    assert out.getvalue() == ""
    assert json.loads(target.read_text())["edges"][0] == {"source": "__start__", "target": "sub"}


def test_draw_png_without_graphviz_says_what_to_install(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` there
    with pytest.raises(SystemExit, match="actorgraph draw: .*install Graphviz"):
        main(["draw", "tests.test_cli:parent", "--format", "png", "-o", str(tmp_path / "g.png")],
             io.StringIO())


def test_draw_rejects_a_bad_xray(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["draw", "tests.test_cli:parent", "--xray", "deep"], io.StringIO())
    assert "--xray takes a number of levels" in capsys.readouterr().err


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
