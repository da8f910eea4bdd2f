"""Managed values and the per-step timeout of the super-step loop."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import anyio
import pytest

from actorgraph import END, START, StateGraph
from actorgraph.graph import IsLastStep, RemainingSteps

pytestmark = pytest.mark.anyio


class Managed(TypedDict):
    seen: Annotated[list[tuple[int, bool]], operator.add]
    remaining_steps: RemainingSteps
    is_last_step: IsLastStep


async def test_managed_values_count_down_to_the_recursion_limit() -> None:
    # LangGraph: RemainingSteps = stop - step (3, 2, 1 for recursion_limit=4); IsLastStep on the last.
    g = StateGraph(Managed)

    def loop(state: Managed) -> dict[str, Any]:
        return {"seen": [(state["remaining_steps"], state["is_last_step"])]}

    g.add_node("loop", loop)
    g.add_edge(START, "loop")
    g.add_conditional_edges("loop", lambda s: END if s["is_last_step"] else "loop")
    out = await g.compile().ainvoke({"seen": []}, {"recursion_limit": 4})
    assert out["seen"] == [(3, False), (2, False), (1, True)]


async def test_step_timeout_cancels_the_step() -> None:
    class S(TypedDict):
        x: int

    async def slow(state: S) -> dict[str, Any]:
        await anyio.sleep(10)
        return {"x": 1}

    g = StateGraph(S)
    g.add_node("slow", slow)
    g.add_edge(START, "slow")
    app = g.compile()
    app.step_timeout = 0.05
    with pytest.raises(TimeoutError):
        await app.ainvoke({"x": 0})
