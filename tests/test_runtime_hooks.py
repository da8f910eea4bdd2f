"""The checkpoint hook, managed values and the per-step timeout of the super-step loop."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import anyio
import pytest

from actorgraph import END, START, StateGraph
from actorgraph.channels import MISSING
from actorgraph.graph import IsLastStep, RemainingSteps
from actorgraph.runtime._checkpoint import CheckpointData

pytestmark = pytest.mark.anyio


class Recorder:
    def __init__(self) -> None:
        self.data: list[CheckpointData] = []

    async def on_checkpoint(self, data: CheckpointData) -> None:
        self.data.append(data)

    def folded(self) -> list[tuple[int, str, dict[str, Any]]]:
        """Fold the deltas into the full channel values after each checkpoint."""
        values: dict[str, Any] = {}
        out = []
        for d in self.data:
            for k, v in d.values.items():
                if v is MISSING:
                    values.pop(k, None)
                else:
                    values[k] = v
            out.append((d.step, d.source, {k: v for k, v in values.items() if k in ("foo", "bar")}))
        return out


class TwoNode(TypedDict):
    foo: str
    bar: Annotated[list[str], operator.add]


def two_node(checkpointer: Any) -> Any:
    g = StateGraph(TwoNode)
    g.add_node("node_a", lambda s: {"foo": "a", "bar": ["a"]})
    g.add_node("node_b", lambda s: {"foo": "b", "bar": ["b"]})
    g.add_edge(START, "node_a")
    g.add_edge("node_a", "node_b")
    g.add_edge("node_b", END)
    return g.compile(checkpointer=checkpointer)


async def test_two_node_example_produces_four_checkpoint_deltas() -> None:
    # LangGraph's documented example: checkpoints at steps -1 (input), 0, 1, 2 (loop); values
    # after each are {} (bar has its default but no write yet), foo='' , foo='a'/bar=['a'],
    # foo='b'/bar=['a','b'].
    rec = Recorder()
    out = await two_node(rec).ainvoke({"foo": ""})
    assert out == {"foo": "b", "bar": ["a", "b"]}
    assert rec.folded() == [
        (-1, "input", {}),
        (0, "loop", {"foo": ""}),
        (1, "loop", {"foo": "a", "bar": ["a"]}),
        (2, "loop", {"foo": "b", "bar": ["a", "b"]}),
    ]
    # deltas only: step 2 does not resend channels that did not change
    assert "__start__" not in rec.data[3].values
    assert set(rec.data[2].versions_seen) == {"node_a"}


async def test_snapshots_are_taken_at_the_barrier() -> None:
    rec = Recorder()
    await two_node(rec).ainvoke({"foo": ""})
    # the list recorded at step 1 is not the list the reducer produced later
    assert rec.data[2].values["bar"] == ["a"]


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
