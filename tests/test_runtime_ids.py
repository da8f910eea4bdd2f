"""Checkpoint and task ids: format and ordering (the runtime formats them by hand)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from actorgraph.persistence import _records, new_checkpoint_id
from actorgraph.persistence._records import checkpoint_time
from actorgraph.runtime._algo import task_id


def test_checkpoint_id_is_a_canonical_v6_uuid() -> None:
    for step in (None, -1, 0, 1, 5, 2**14 + 3):
        cid = new_checkpoint_id(step)
        u = uuid.UUID(cid)
        assert str(u) == cid
        assert u.version == 6
        assert u.variant == uuid.RFC_4122
        if step is not None:
            assert (u.int >> 48) & 0x3FFF == step & 0x3FFF
        assert checkpoint_time(cid) is not None


def test_checkpoint_ids_sort_in_creation_order() -> None:
    ids = [new_checkpoint_id(i % 3) for i in range(2000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_step_minus_one_shows_as_bfff() -> None:
    assert new_checkpoint_id(-1).split("-")[3] == "bfff"


def test_task_id_is_deterministic_and_uuid_formatted() -> None:
    a = task_id("cp|", 3, "node", "pull", ("branch:to:node",))
    assert a == task_id("cp|", 3, "node", "pull", ("branch:to:node",))
    assert str(uuid.UUID(a)) == a
    assert a != task_id("cp|", 4, "node", "pull", ("branch:to:node",))
    assert a != task_id("cp|", 3, "node", "push", 0)


def test_task_ids_are_stable_across_versions() -> None:
    # pending writes saved by an older version are matched to tasks by these ids on resume
    assert task_id("1ef-x|", 3, "node", "pull", ("branch:to:node",)) == "978e49a6-e06a-1543-ff3a-2165a7e4d3c1"
    assert task_id("", 0, "n", "push", 2) == "70f2efa3-7144-335c-4271-5391a3d815db"


def test_checkpoint_id_encodes_the_current_time() -> None:
    import time

    for _ in range(3):
        seconds = checkpoint_time(new_checkpoint_id())
        assert seconds is not None and abs(seconds - time.time()) < 60
        time.sleep(0.001)  # the next id's time_low text is formatted afresh


@settings(max_examples=2000, deadline=None)
@given(st.one_of(
    st.floats(min_value=0, max_value=4e9, allow_nan=False),
    # exact half microseconds (rounded half-even) and fractions just under a whole second
    st.integers(min_value=0, max_value=4 * 10**9).map(lambda s: s + 0.5e-6),
    st.integers(min_value=0, max_value=4 * 10**9).map(lambda s: s + 0.9999996),
    st.integers(min_value=0, max_value=4 * 10**9).map(float),
))
def test_a_checkpoints_ts_is_what_datetime_renders(stamp: float) -> None:
    """``now_iso`` formats the time by hand (the text up to the seconds made once per second):
    exactly what ``datetime.fromtimestamp(stamp, timezone.utc).isoformat()`` gives, also where
    the microseconds round up to the next second or are zero (no fraction shown)."""
    saved = _records._time
    _records._time = lambda: stamp
    try:
        assert _records.now_iso() == datetime.fromtimestamp(stamp, timezone.utc).isoformat()
        assert _records.made_from(_records.now_iso()) == stamp
    finally:
        _records._time = saved


def test_a_planned_pull_task_has_task_ids_id() -> None:
    # Task.id hashes the part of task_id's text fixed per node once (NodeProgram.pull_id_tail):
    # the same id as task_id's, for pull tasks and for push tasks (Send)
    from actorgraph import END, START, Send, StateGraph
    from actorgraph.runtime._algo import Task

    def fan(state: dict) -> list[Send]:
        return [Send("b", state)]

    builder: StateGraph = StateGraph(dict)
    builder.add_node("a long node name, with 'quotes'", lambda s: {})
    builder.add_node("b", lambda s: {})
    builder.add_edge(START, "a long node name, with 'quotes'")
    builder.add_conditional_edges("a long node name, with 'quotes'", fan, ["b"])
    builder.add_edge("b", END)
    program = builder.compile()._program
    for name, node in program.nodes.items():
        if name.startswith("__"):
            continue
        task = Task(None, name, node, {}, node.pull_path, node.triggers, node.pull_order,
                    ("cp-1|", 7, name, "pull", node.triggers))
        assert task.id == task_id("cp-1|", 7, name, "pull", node.triggers)
    push = Task(None, "b", program.nodes["b"], {}, ("__pregel_push", 0, False), ("__pregel_push",), (1, 0),
                ("cp-1|", 7, "b", "push", 0))
    assert push.id == task_id("cp-1|", 7, "b", "push", 0)
