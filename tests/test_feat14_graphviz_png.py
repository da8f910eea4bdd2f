"""PNG drawing with the real Graphviz ``dot`` (issue 14: until now only tested with stand-in
scripts): ``draw_png()``, ``draw_mermaid_png()`` (no ``mmdc``: rendered by ``dot``) and
``actorgraph draw --format png`` give a PNG, offline; ``dot`` reads our DOT text back with every
node and edge, also for names that need quoting and expanded subgraphs.

Graphviz is a system package (``apt-get install graphviz``), not something the project installs:
without ``dot`` these tests are skipped, saying how to enable them (the stand-in ``dot`` tests of
tests/test_graph_draw.py still cover the offline rendering path there).
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any, Literal, TypedDict

import pytest

from actorgraph import END, START, StateGraph
from actorgraph.cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def dot() -> str:
    found = shutil.which("dot")
    if found is None:
        pytest.skip("Graphviz's `dot` is not on PATH: install Graphviz (e.g. `apt-get install graphviz`)")
    return found


def png_size(png: bytes) -> tuple[int, int]:
    """A PNG's width and height (from its IHDR chunk), after checking its signature."""
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


class S(TypedDict, total=False):
    x: int


def f(s: S) -> dict[str, Any]:
    return {}


def awkward() -> Any:
    """Node names that need quoting in DOT, a labelled conditional edge and a subgraph."""
    inner = StateGraph(S).add_node("p", f).add_node("q", f).add_edge(START, "p").add_edge("p", "q").compile()

    def route(s: S) -> Literal["say \"hi\"", "naïve node"]:
        return "naïve node"

    g = StateGraph(S)
    g.add_node("say \"hi\"", f).add_node("naïve node", f).add_node("back\\slash", f).add_node("sub", inner)
    g.add_edge(START, "back\\slash")
    g.add_conditional_edges("back\\slash", route, {"quote": "say \"hi\"", "plain": "naïve node"})
    g.add_edge("say \"hi\"", "sub").add_edge("naïve node", "sub").add_edge("sub", END)
    return g.compile()


def parsed(dot: str, text: str) -> tuple[set[str], int]:
    """The node ids and the number of edges Graphviz reads from DOT ``text`` (``-Tplain``)."""
    done = subprocess.run([dot, "-Tplain"], input=text.encode(), capture_output=True, check=True)
    nodes: set[str] = set()
    edges = 0
    for line in done.stdout.decode().splitlines():
        kind = line.split(" ", 1)[0]
        if kind == "node":
            nodes.add(line)
        elif kind == "edge":
            edges += 1
    return nodes, edges


@pytest.mark.parametrize("xray", [False, True])
def test_dot_reads_every_node_and_edge(dot: str, xray: bool) -> None:
    drawing = awkward().get_graph(xray=xray)
    nodes, edges = parsed(dot, drawing.to_dot())
    assert len(nodes) == len(drawing.nodes)
    assert edges == len(drawing.edges)
    # every node by its id (-Tplain escapes backslashes and quotes as DOT does)
    for node_id in drawing.nodes:
        escaped = node_id.replace("\\", "\\\\").replace('"', '\\"')
        assert any(line.startswith((f"node {escaped} ", f'node "{escaped}" ')) for line in nodes), node_id


def test_draw_png_renders_with_graphviz(dot: str, tmp_path: Path) -> None:
    drawing = awkward().get_graph(xray=True)
    out = tmp_path / "g.png"
    png = drawing.draw_png(str(out))
    width, height = png_size(png)
    assert width > 100 and height > 100
    assert out.read_bytes() == png
    assert drawing.draw_png(dot=dot) == png  # the executable named
    # no mermaid-cli here: draw_mermaid_png renders the same picture with dot
    assert shutil.which("mmdc") is None
    assert drawing.draw_mermaid_png() == png


def test_cli_draws_a_png(dot: str, tmp_path: Path) -> None:
    target = tmp_path / "g.png"
    assert main(["draw", "tests.test_cli:parent", "--format", "png", "--xray", "-o", str(target)], io.StringIO()) == 0
    width, height = png_size(target.read_bytes())
    assert width > 0 and height > 0
