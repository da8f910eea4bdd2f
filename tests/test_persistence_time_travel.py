"""Time travel never rewrites history: a checkpoint, once written, reads back the same forever.

Property (hypothesis): random sequences of runs, replays and forks from random earlier
checkpoints, ``update_state`` (with and without ``as_node``) on random checkpoints and prunes, on
one thread, with the memory and the SQLite saver, on asyncio and trio. Each checkpoint is read
back by id right after it appears and again at the end: both reads must be equal. History must
stay a tree: every checkpoint's parent is a listed checkpoint or one a prune removed, and is older.

Before versions were made unique per thread, a fork reused the version numbers of the branch it
left and overwrote that branch's stored values (LangGraph's behaviour, which these tests pin:
the old branch keeps reading back its own values).
"""

from __future__ import annotations

import itertools
import operator
import tempfile
from pathlib import Path
from typing import Annotated, Any, TypedDict

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actorgraph import START, StateGraph
from actorgraph.errors import InvalidUpdateError
from actorgraph.persistence import BaseCheckpointSaver, CheckpointConflictError, InMemorySaver, SqliteSaver
from actorgraph.persistence._records import Checkpoint


class State(TypedDict):
    value: Annotated[list[str], operator.add]
    n: int


def build(saver: BaseCheckpointSaver) -> Any:
    counter = itertools.count(1)

    def a(s: State) -> dict[str, Any]:
        return {"value": ["a"], "n": s.get("n", 0) + 1}

    async def b(s: State) -> dict[str, Any]:
        return {"value": [f"b{next(counter)}"]}

    def c(s: State) -> dict[str, Any]:
        return {"value": ["c"], "n": s.get("n", 0) * 10}

    return (StateGraph(State).add_node("a", a).add_node("b", b).add_node("c", c)
            .add_edge(START, "a").add_edge("a", "b").add_edge("b", "c")
            .compile(checkpointer=saver))


THREAD = {"configurable": {"thread_id": "t"}}

ops = st.lists(
    st.one_of(
        st.tuples(st.just("run"), st.sampled_from(["sync", "async", "exit"]), st.integers(0, 3)),
        st.tuples(st.just("replay"), st.sampled_from(["sync", "async", "exit"]), st.integers(0, 10_000)),
        st.tuples(st.just("update"), st.sampled_from([None, "a", "b", "c"]), st.integers(0, 10_000)),
        st.tuples(st.just("prune"), st.integers(1, 6), st.just(0)),
    ),
    min_size=1,
    max_size=8,
)


def _snapshot(state: Any) -> tuple[Any, ...]:
    parent = (state.parent_config or {}).get("configurable", {}).get("checkpoint_id")
    return (state.values, state.next, state.metadata, parent, state.created_at)


async def _check_history(graph: Any, seen: dict[str, tuple[Any, ...]], pruned: set[str]) -> None:
    history = [s async for s in graph.aget_state_history(THREAD)]
    ids = [s.config["configurable"]["checkpoint_id"] for s in history]
    assert len(set(ids)) == len(ids)
    assert set(ids) | pruned >= set(seen)
    for state, cid in zip(history, ids):
        snap = _snapshot(state)
        if cid not in seen:
            seen[cid] = snap
        # read back by id: the same as when it first appeared
        again = await graph.aget_state({"configurable": {"thread_id": "t", "checkpoint_id": cid}})
        assert _snapshot(again) == seen[cid], cid
        parent = snap[3]
        if parent is not None:
            assert parent in ids or parent in pruned, (cid, parent)
            assert parent < cid


async def _scenario(saver: BaseCheckpointSaver, steps: list[tuple[Any, Any, int]]) -> None:
    graph = build(saver)
    seen: dict[str, tuple[Any, ...]] = {}
    pruned: set[str] = set()
    await graph.ainvoke({"value": ["start"], "n": 0}, THREAD)
    await _check_history(graph, seen, pruned)
    for kind, arg, pick in steps:
        history = [s async for s in graph.aget_state_history(THREAD)]
        target = history[pick % len(history)].config
        if kind == "run":
            await graph.ainvoke({"value": [f"in{arg}"]} if pick else None, THREAD, durability=arg)
        elif kind == "replay":
            await graph.ainvoke(None, target, durability=arg)
        elif kind == "update":
            try:
                config = await graph.aupdate_state(target, {"value": [f"u{pick}"]}, as_node=arg)
            except InvalidUpdateError as exc:
                # As LangGraph 1.2 (a chain never runs two nodes together): only without as_node,
                # on a branch a run resumed on before any node ran (e.g. the fork a replay of the
                # input checkpoint wrote)
                assert arg is None and "Ambiguous update" in str(exc)
                assert "a" not in (await graph.aget_state(target)).values.get("value", []), target
            else:
                if pick % 2:
                    await graph.ainvoke(None, config)
        else:
            before = {s.config["configurable"]["checkpoint_id"] for s in history}
            await saver.aprune("t", keep_last=arg)
            after = {s.config["configurable"]["checkpoint_id"] async for s in graph.aget_state_history(THREAD)}
            pruned |= before - after
        await _check_history(graph, seen, pruned)


@settings(max_examples=20, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(steps=ops)
@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_every_checkpoint_reads_back_the_same_whatever_happens_to_the_thread(
        kind: str, backend: str, steps: list[tuple[Any, Any, int]]) -> None:
    async def main() -> None:
        if kind == "memory":
            await _scenario(InMemorySaver(), steps)
            return
        with tempfile.TemporaryDirectory() as tmp:
            async with SqliteSaver.from_conn_string(str(Path(tmp) / "t.db")) as saver:
                await _scenario(saver, steps)

    anyio.run(main, backend=backend)


# -- the reproductions, pinned against LangGraph's observed behaviour -----------------------------


@pytest.mark.anyio
async def test_replay_from_before_a_node_keeps_the_old_branch(saver: BaseCheckpointSaver) -> None:
    """LangGraph 1.2 (InMemorySaver and SqliteSaver) lists, newest first: the new branch
    (``b2``), the fork, then the old branch still holding ``b1``."""
    graph = build(saver)
    await graph.ainvoke({"value": [], "n": 0}, THREAD)
    old_final = (await graph.aget_state(THREAD)).config
    before_b = [s async for s in graph.aget_state_history(THREAD) if s.next == ("b",)][0]
    await graph.ainvoke(None, before_b.config)
    assert (await graph.aget_state(old_final)).values == {"value": ["a", "b1", "c"], "n": 10}
    assert (await graph.aget_state(THREAD)).values == {"value": ["a", "b2", "c"], "n": 10}
    rows = [(s.metadata["source"], s.next, s.values["value"]) async for s in graph.aget_state_history(THREAD)]
    assert rows == [
        ("loop", (), ["a", "b2", "c"]),
        ("loop", ("c",), ["a", "b2"]),
        ("fork", ("b",), ["a"]),
        ("loop", (), ["a", "b1", "c"]),
        ("loop", ("c",), ["a", "b1"]),
        ("loop", ("b",), ["a"]),
        ("loop", ("a",), []),
        ("input", ("__start__",), []),
    ]


@pytest.mark.anyio
async def test_update_state_on_an_old_checkpoint_then_run_keeps_the_old_branch(saver: BaseCheckpointSaver) -> None:
    graph = build(saver)
    await graph.ainvoke({"value": [], "n": 0}, THREAD)
    history = [s async for s in graph.aget_state_history(THREAD)]
    expected = {s.config["configurable"]["checkpoint_id"]: s.values for s in history}
    before_c = next(s for s in history if s.next == ("c",))
    config = await graph.aupdate_state(before_c.config, {"value": ["edited"], "n": 5}, as_node="b")
    await graph.ainvoke(None, config)
    assert (await graph.aget_state(THREAD)).values == {"value": ["a", "b1", "edited", "c"], "n": 50}
    for cid, values in expected.items():
        got = await graph.aget_state({"configurable": {"thread_id": "t", "checkpoint_id": cid}})
        assert got.values == values


@pytest.mark.anyio
async def test_a_saver_refuses_to_store_another_value_under_a_stored_version(saver: BaseCheckpointSaver) -> None:
    """The last line of defence: whatever a caller does, a stored (channel, version) keeps its value."""
    config = {"configurable": {"thread_id": "x", "checkpoint_ns": ""}}
    first = Checkpoint(id="1ef00000-0000-6000-8000-000000000001", ts="2026-01-01T00:00:00+00:00",
                       channel_values={"k": "one"}, channel_versions={"k": 1}, versions_seen={})
    parent = await saver.aput(config, first, {"source": "loop", "step": 0, "parents": {}}, {"k": 1})
    second = Checkpoint(id="1ef00000-0000-6000-8000-000000000002", ts="2026-01-01T00:00:01+00:00",
                        channel_values={"k": "two"}, channel_versions={"k": 1}, versions_seen={})
    with pytest.raises(CheckpointConflictError, match="'k'"):
        await saver.aput(parent, second, {"source": "loop", "step": 1, "parents": {}}, {"k": 1})
    # the same value again is not a conflict (a repeated write of the same row)
    again = Checkpoint(id="1ef00000-0000-6000-8000-000000000003", ts="2026-01-01T00:00:02+00:00",
                       channel_values={"k": "one"}, channel_versions={"k": 1}, versions_seen={})
    await saver.aput(parent, again, {"source": "loop", "step": 1, "parents": {}}, {"k": 1})
    got = await saver.aget_tuple({"configurable": {"thread_id": "x", "checkpoint_id": first.id}})
    assert got is not None and got.checkpoint.channel_values == {"k": "one"}
    assert await saver.amax_version(config) == 1
    assert await saver.amax_version({"configurable": {"thread_id": "nobody"}}) == 0


@pytest.mark.anyio
async def test_replay_at_the_head_writes_a_fork_checkpoint(saver: BaseCheckpointSaver) -> None:
    # Observed from LangGraph 1.2 (a -> b -> c chain, invoke(None, head's config)): nothing is
    # left to run, yet the run writes a checkpoint with source "fork", step head+1, parent the
    # head, the head's values and nothing next; the head itself is unchanged.
    graph = build(saver)
    out = await graph.ainvoke({"value": []}, THREAD)
    head = await graph.aget_state(THREAD)
    assert head.next == ()
    assert await graph.ainvoke(None, head.config) == out
    history = [s async for s in graph.aget_state_history(THREAD)]
    fork = history[0]
    assert fork.metadata["source"] == "fork"
    assert fork.metadata["step"] == head.metadata["step"] + 1
    assert fork.parent_config["configurable"]["checkpoint_id"] == head.config["configurable"]["checkpoint_id"]
    assert fork.values == head.values and fork.next == ()
    assert _snapshot(history[1]) == _snapshot(head)
