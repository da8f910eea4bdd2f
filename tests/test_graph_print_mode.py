"""``invoke/ainvoke/stream/astream(..., debug=, print_mode=, subgraphs=)`` as in LangGraph 1.2.

The printed lines and returned values were observed from LangGraph 1.2 running the same graph
(a node ``a`` then a subgraph node ``sub`` whose node ``p`` adds one).
"""

from __future__ import annotations

import re
from typing import Any, TypedDict

import pytest

from actorgraph import START, StateGraph


class S(TypedDict):
    x: int


def add_one(s: S) -> dict[str, Any]:
    return {"x": s["x"] + 1}


def build(debug: bool = False) -> Any:
    sg = StateGraph(S)
    sg.add_node("p", add_one).add_edge(START, "p")
    g = StateGraph(S)
    g.add_node("a", add_one).add_node("sub", sg.compile()).add_edge(START, "a").add_edge("a", "sub")
    return g.compile(debug=debug)


BOLD = "\x1b[1m[{}]\x1b[0m"
SUB = "\x1b[1;30;33m[graph=('sub:ID',)]\x1b[0m"
ROOT_DEBUG = [
    f"{BOLD.format('values')} {{'x': 1}}",
    f"{BOLD.format('updates')} {{'a': {{'x': 2}}}}",
    f"{BOLD.format('values')} {{'x': 2}}",
    f"{BOLD.format('updates')} {{'sub': {{'x': 3}}}}",
    f"{BOLD.format('values')} {{'x': 3}}",
]
WITH_SUBGRAPHS = [
    *ROOT_DEBUG[:3],
    f"{BOLD.format('values')} {SUB} {{'x': 2}}",
    f"{BOLD.format('updates')} {SUB} {{'p': {{'x': 3}}}}",
    f"{BOLD.format('values')} {SUB} {{'x': 3}}",
    *ROOT_DEBUG[3:],
]


def printed(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [re.sub(r"sub:[0-9a-f-]+", "sub:ID", line) for line in capsys.readouterr().out.splitlines()]


def strip_ids(value: Any) -> Any:
    return eval(re.sub(r"sub:[0-9a-f-]+", "sub:ID", repr(value)))  # noqa: S307 - our own repr


def test_invoke_debug_prints_updates_and_values(capsys: pytest.CaptureFixture[str]) -> None:
    assert build().invoke({"x": 1}, debug=True) == {"x": 3}
    assert printed(capsys) == ROOT_DEBUG


def test_compile_debug_prints_even_when_invoke_says_no(capsys: pytest.CaptureFixture[str]) -> None:
    assert build(debug=True).invoke({"x": 1}, debug=False) == {"x": 3}
    assert printed(capsys) == ROOT_DEBUG


def test_no_printing_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert build().invoke({"x": 1}) == {"x": 3}
    assert build().invoke({"x": 1}, print_mode=["custom"], debug=False) == {"x": 3}  # no custom events
    assert printed(capsys) == []


def test_stream_debug_prints_and_yields_the_stream_mode(capsys: pytest.CaptureFixture[str]) -> None:
    assert list(build().stream({"x": 1}, debug=True)) == [{"a": {"x": 2}}, {"sub": {"x": 3}}]
    assert printed(capsys) == ROOT_DEBUG


def test_stream_debug_with_subgraphs(capsys: pytest.CaptureFixture[str]) -> None:
    chunks = list(build().stream({"x": 1}, debug=True, subgraphs=True, stream_mode=["updates"]))
    assert strip_ids(chunks) == [((), "updates", {"a": {"x": 2}}), (("sub:ID",), "updates", {"p": {"x": 3}}),
                                 ((), "updates", {"sub": {"x": 3}})]
    assert printed(capsys) == WITH_SUBGRAPHS


def test_invoke_print_mode(capsys: pytest.CaptureFixture[str]) -> None:
    assert build().invoke({"x": 1}, print_mode="updates") == {"x": 3}
    assert printed(capsys) == [ROOT_DEBUG[1], ROOT_DEBUG[3]]


def test_invoke_subgraphs() -> None:
    graph = build()
    assert graph.invoke({"x": 1}, subgraphs=True) == {"x": 3}
    assert strip_ids(graph.invoke({"x": 1}, subgraphs=True, stream_mode="updates")) == [
        ((), {"a": {"x": 2}}), (("sub:ID",), {"p": {"x": 3}}), ((), {"sub": {"x": 3}})]


@pytest.mark.anyio
async def test_ainvoke_debug_subgraphs(capsys: pytest.CaptureFixture[str]) -> None:
    assert await build().ainvoke({"x": 1}, debug=True, subgraphs=True) == {"x": 3}
    assert printed(capsys) == WITH_SUBGRAPHS


@pytest.mark.anyio
async def test_astream_print_mode_not_streamed(capsys: pytest.CaptureFixture[str]) -> None:
    chunks = [c async for c in build().astream({"x": 1}, print_mode="values", stream_mode="updates")]
    assert chunks == [{"a": {"x": 2}}, {"sub": {"x": 3}}]
    assert printed(capsys) == [ROOT_DEBUG[0], ROOT_DEBUG[2], ROOT_DEBUG[4]]


@pytest.mark.anyio
async def test_ainvoke_debug_reraises_the_run_error(capsys: pytest.CaptureFixture[str]) -> None:
    def boom(s: S) -> dict[str, Any]:
        raise KeyError("boom")

    g = StateGraph(S)
    g.add_node("a", add_one).add_node("b", boom).add_edge(START, "a").add_edge("a", "b")
    with pytest.raises(KeyError, match="boom"):
        await g.compile().ainvoke({"x": 1}, debug=True)
    # the events before the failure were printed
    assert printed(capsys) == ROOT_DEBUG[:3]


def test_bad_print_mode_is_refused() -> None:
    # (stricter than LangGraph 1.2, which ignores an unknown print mode)
    with pytest.raises(ValueError, match="Unknown stream mode 'loud'"):
        build().invoke({"x": 1}, print_mode="loud")
