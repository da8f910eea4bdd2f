"""What each checkpoint stores: the values of the channels changed since the last one written,
under every durability (``exit`` holds many steps back and writes one checkpoint)."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import END, START, StateGraph
from actorgraph.persistence import InMemorySaver

pytestmark = pytest.mark.anyio


class S(TypedDict):
    x: int
    y: str
    log: Annotated[list[str], operator.add]


class Spy(InMemorySaver):
    """Records the ``new_versions`` keys of every step written."""

    def __init__(self) -> None:
        super().__init__()
        self.stored: list[set[str]] = []

    async def aput_step(self, config: Any, writes: Any, checkpoint: Any, metadata: Any,
                        new_versions: Any, **kw: Any) -> dict[str, Any]:
        self.stored.append(set(new_versions))
        return await super().aput_step(config, writes, checkpoint, metadata, new_versions, **kw)

    async def asubmit_step(self, config: Any, writes: Any, checkpoint: Any, metadata: Any,
                           new_versions: Any, **kw: Any) -> Any:
        self.stored.append(set(new_versions))
        return await super().asubmit_step(config, writes, checkpoint, metadata, new_versions, **kw)


def chain(saver: Any, n: int) -> Any:
    g = StateGraph(S)
    prev = START
    for i in range(n):
        def node(state: S) -> dict[str, Any]:
            return {"x": state["x"] + 1}

        g.add_node(f"n{i}", node)
        g.add_edge(prev, f"n{i}")
        prev = f"n{i}"
    g.add_edge(prev, END)
    return g.compile(checkpointer=saver)


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
async def test_each_checkpoint_stores_what_changed_since_the_last_one(durability: str) -> None:
    saver = Spy()
    app = chain(saver, 5)
    config = {"configurable": {"thread_id": "t"}}
    assert await app.ainvoke({"x": 0, "y": "a"}, config, durability=durability) == {
        "x": 5, "y": "a", "log": []}
    steps = [{f"branch:to:n{i}", "x"} for i in range(1, 5)] + [{"x"}]  # a live trigger has a value
    if durability == "exit":
        assert saver.stored == [{"x", "y"}]  # one checkpoint: what the run left changed
    else:
        assert saver.stored == [{"__start__"}, {"branch:to:n0", "x", "y"}, *steps]
    saver.stored.clear()
    # a second run on the thread: only what it changes is stored again
    assert await app.ainvoke({"log": ["b"]}, config, durability=durability) == {
        "x": 10, "y": "a", "log": ["b"]}
    if durability == "exit":
        assert saver.stored == [{"x", "log"}]
    else:
        assert saver.stored == [{"__start__"}, {"branch:to:n0", "log"}, *steps]
    state = await app.aget_state(config)
    assert state.values == {"x": 10, "y": "a", "log": ["b"]}


def test_restored_versions_grow_past_what_any_node_has_seen() -> None:
    """A cleared channel's version leaves ``channel_versions`` but can stay in a node's
    versions-seen; a restored run must hand out newer versions than that, or the channel's
    next write would not trigger the node."""
    from actorgraph.persistence import Checkpoint
    from actorgraph.runtime._algo import RunState
    from actorgraph.runtime._persist import restore

    class S(TypedDict):
        x: int

    g = StateGraph(S)
    g.add_node("d", lambda s: None)
    g.add_edge(START, "d")
    program = g.compile()._program
    state = RunState(program)
    checkpoint = Checkpoint(id="c", ts="", channel_values={"x": 1}, channel_versions={"x": 2},
                            versions_seen={"d": {"branch:to:d": 5}}, updated_channels=None)
    restore(state, checkpoint, program.clearing)
    assert state.max_version == 5
