"""``interrupt()`` in a graph compiled without a checkpointer (issue 10 item 16, repro r17):
as in LangGraph the run stops after the super-step and returns the interrupt instead of raising;
it cannot be resumed. On asyncio and trio.

Expected values were produced by running the same graphs with LangGraph 1.2.24. Interrupt ids
differ by design (ours: blake2b, LangGraph's: xxh3; LangGraph's even change from run to run
without a checkpointer), so tests compare values and structure.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, Command, StateGraph, interrupt
from actorgraph.types import Interrupt

pytestmark = pytest.mark.anyio


class Ask(TypedDict):
    x: str
    log: Annotated[list[str], operator.add]


def ask(state: Ask) -> dict[str, Any]:
    return {"x": interrupt("Just because..."), "log": ["ask"]}


def ask2(state: Ask) -> dict[str, Any]:
    return {"log": [interrupt("q2")]}


def other(state: Ask) -> dict[str, Any]:
    return {"log": ["other"]}


def parallel() -> Any:
    """START -> ask ‖ other, no checkpointer."""
    g = StateGraph(Ask).add_node("ask", ask).add_node("other", other)
    return g.add_edge(START, "ask").add_edge(START, "other").compile()


def sequence() -> Any:
    """START -> other -> ask, no checkpointer."""
    g = StateGraph(Ask).add_node("other", other).add_node("ask", ask)
    return g.add_edge(START, "other").add_edge("other", "ask").compile()


def asked(*values: str) -> Any:
    """Matches a list or tuple of Interrupts with these values (ids are ours: any 32-hex id)."""

    class Matcher:
        def __eq__(self, other: object) -> bool:
            return (
                isinstance(other, (list, tuple))
                and all(isinstance(i, Interrupt) and len(i.id) == 32 and i.response_schema is None for i in other)
                and tuple(i.value for i in other) == values
            )

        def __repr__(self) -> str:
            return f"asked{values}"

    return Matcher()


async def test_interrupt_without_checkpointer_returns_it_in_the_output() -> None:
    # LangGraph: {'x': 'v', 'log': ['other'], '__interrupt__': [Interrupt(value='Just because...',
    # id=...)]} — the run stops after the step (siblings' writes applied) instead of raising.
    out = await parallel().ainvoke({"x": "v"})
    assert out == {"x": "v", "log": ["other"], "__interrupt__": asked("Just because...")}
    assert isinstance(out["__interrupt__"], list)
    assert await sequence().ainvoke({"x": "v", "log": []}) == {
        "x": "v", "log": ["other"], "__interrupt__": asked("Just because..."),
    }


def test_interrupt_without_checkpointer_sync_invoke() -> None:
    g = StateGraph(Ask).add_node("ask", ask).add_edge(START, "ask").compile()
    assert g.invoke({"x": "v"}) == {"x": "v", "log": [], "__interrupt__": asked("Just because...")}


async def test_two_interrupts_without_checkpointer() -> None:
    # LangGraph: both interrupts of the step (in completion order), state without their writes.
    g = StateGraph(Ask).add_node("ask", ask).add_node("ask2", ask2)
    app = g.add_edge(START, "ask").add_edge(START, "ask2").compile()
    out = await app.ainvoke({"x": "v"})
    out["__interrupt__"].sort(key=lambda i: i.value)
    assert out == {"x": "v", "log": [], "__interrupt__": asked("Just because...", "q2")}


async def test_interrupt_without_checkpointer_streams() -> None:
    # LangGraph, values: the input, the step before, then the state with the interrupt (a tuple).
    chunks = [c async for c in sequence().astream({"x": "v", "log": []}, stream_mode="values")]
    assert chunks == [
        {"x": "v", "log": []},
        {"x": "v", "log": ["other"]},
        {"x": "v", "log": ["other"], "__interrupt__": asked("Just because...")},
    ]
    assert isinstance(chunks[-1]["__interrupt__"], tuple)
    # updates: the sibling's update and the interrupt (completion order: compare as a set)
    chunks = [c async for c in parallel().astream({"x": "v"}, stream_mode="updates")]
    assert sorted(chunks, key=repr) == [
        {"__interrupt__": asked("Just because...")},
        {"other": {"log": ["other"]}},
    ]


async def test_interrupt_in_subgraph_without_checkpointer() -> None:
    # LangGraph: the parent stops too and returns the subgraph's interrupt.
    sub = StateGraph(Ask).add_node("ask", ask).add_edge(START, "ask").compile()
    g = StateGraph(Ask).add_node("sub", sub).add_node("other", other)
    app = g.add_edge(START, "sub").add_edge(START, "other").compile()
    assert await app.ainvoke({"x": "v"}) == {"x": "v", "log": ["other"], "__interrupt__": asked("Just because...")}
    chunks = [c async for c in app.astream({"x": "v"}, subgraphs=True)]
    assert sorted((c for c in chunks if c[0] == ()), key=repr) == [
        ((), {"__interrupt__": asked("Just because...")}),
        ((), {"other": {"log": ["other"]}}),
    ]


async def test_resume_without_checkpointer_raises() -> None:
    # LangGraph: RuntimeError("Cannot use Command(resume=...) without checkpointer")
    app = parallel()
    await app.ainvoke({"x": "v"})
    with pytest.raises(RuntimeError, match=r"^Cannot use Command\(resume=\.\.\.\) without checkpointer$"):
        await app.ainvoke(Command(resume="r"))
