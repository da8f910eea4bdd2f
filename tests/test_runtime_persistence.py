"""Graphs with a checkpointer: threads, history, update_state, replay/fork, pending writes,
durability — on both backends and both savers (expected values from LangGraph's documented
behaviour, SEMANTICS.md §6-§7)."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import anyio
import pytest

from actorgraph import END, START, StateGraph
from actorgraph.errors import EmptyInputError, InvalidUpdateError, ThreadBusyError
from actorgraph.persistence import InMemorySaver, SerializationError

pytestmark = pytest.mark.anyio


def cfg(thread: str = "1", **extra: Any) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread, **extra}}


class TwoNode(TypedDict):
    foo: str
    bar: Annotated[list[str], operator.add]


def two_node(saver: Any, calls: list[str] | None = None) -> Any:
    def node(name: str) -> Any:
        def fn(state: TwoNode) -> dict[str, Any]:
            if calls is not None:
                calls.append(name)
            return {"foo": name[-1], "bar": [name[-1]]}

        return fn

    g = StateGraph(TwoNode)
    g.add_node("node_a", node("node_a"))
    g.add_node("node_b", node("node_b"))
    g.add_edge(START, "node_a")
    g.add_edge("node_a", "node_b")
    g.add_edge("node_b", END)
    return g.compile(checkpointer=saver)


async def history(app: Any, config: dict[str, Any], **kw: Any) -> list[Any]:
    return [s async for s in app.aget_state_history(config, **kw)]


async def test_documented_two_node_example_gives_four_checkpoints(saver: Any) -> None:
    app = two_node(saver)
    assert await app.ainvoke({"foo": ""}, cfg()) == {"foo": "b", "bar": ["a", "b"]}
    snaps = await history(app, cfg())
    # LangGraph docs: newest first, steps 2, 1, 0 (loop) and -1 (input)
    assert [(s.metadata["step"], s.metadata["source"]) for s in snaps] == [
        (2, "loop"), (1, "loop"), (0, "loop"), (-1, "input")]
    assert [s.next for s in snaps] == [(), ("node_b",), ("node_a",), ("__start__",)]
    assert [s.values for s in snaps] == [
        {"foo": "b", "bar": ["a", "b"]}, {"foo": "a", "bar": ["a"]}, {"foo": "", "bar": []}, {"bar": []}]
    assert all(s.metadata["parents"] == {} for s in snaps)
    for newer, older in zip(snaps, snaps[1:]):
        assert newer.parent_config["configurable"]["checkpoint_id"] == older.config["configurable"]["checkpoint_id"]
    assert snaps[1].tasks[0].name == "node_b" and snaps[1].tasks[0].result == {"foo": "b", "bar": ["b"]}
    state = await app.aget_state(cfg())
    assert state.values == snaps[0].values and state.next == () and state.config == snaps[0].config


async def test_documented_update_state_example(saver: Any) -> None:
    class S(TypedDict):
        foo: int
        bar: Annotated[list[str], operator.add]

    g = StateGraph(S)
    g.add_node("node", lambda s: {})
    g.add_edge(START, "node")
    app = g.compile(checkpointer=saver)
    await app.ainvoke({"foo": 1, "bar": ["a"]}, cfg())
    new_config = await app.aupdate_state(cfg(), {"foo": 2, "bar": ["b"]})
    state = await app.aget_state(cfg())
    assert state.values == {"foo": 2, "bar": ["a", "b"]}
    assert state.metadata["source"] == "update"
    assert state.config["configurable"]["checkpoint_id"] == new_config["configurable"]["checkpoint_id"]


class Chain(TypedDict):
    log: Annotated[list[str], operator.add]


def abc(saver: Any, calls: list[str]) -> Any:
    def node(name: str) -> Any:
        def fn(state: Chain) -> dict[str, Any]:
            calls.append(name)
            return {"log": [name]}

        return fn

    g = StateGraph(Chain)
    for n in "abc":
        g.add_node(n, node(n))
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", "c")
    return g.compile(checkpointer=saver)


async def test_as_node_decides_what_runs_next(saver: Any) -> None:
    calls: list[str] = []
    app = abc(saver, calls)
    await app.aupdate_state(cfg("t1"), {"log": ["seed"]}, as_node="a")
    assert (await app.aget_state(cfg("t1"))).next == ("b",)
    await app.aupdate_state(cfg("t2"), {"log": ["seed"]}, as_node="b")
    assert (await app.aget_state(cfg("t2"))).next == ("c",)
    assert await app.ainvoke(None, cfg("t2")) == {"log": ["seed", "c"]}
    assert calls == ["c"]
    with pytest.raises(InvalidUpdateError, match="Node zz does not exist"):
        await app.aupdate_state(cfg("t3"), {"log": []}, as_node="zz")


async def test_replay_from_an_older_checkpoint_forks(saver: Any) -> None:
    calls: list[str] = []
    app = abc(saver, calls)
    await app.ainvoke({"log": []}, cfg())
    after_a = next(s for s in await history(app, cfg()) if s.next == ("b",))
    calls.clear()
    out = await app.ainvoke(None, after_a.config)
    assert out == {"log": ["a", "b", "c"]}
    assert calls == ["b", "c"]  # a is not run again
    snaps = await history(app, cfg())
    fork = next(s for s in snaps if s.metadata["source"] == "fork")
    assert fork.parent_config["configurable"]["checkpoint_id"] == after_a.config["configurable"]["checkpoint_id"]
    assert fork.metadata["step"] == after_a.metadata["step"] + 1
    assert snaps[0].values == {"log": ["a", "b", "c"]} and snaps[0].next == ()


async def test_new_input_with_an_old_checkpoint_starts_a_branch_there(saver: Any) -> None:
    calls: list[str] = []
    app = abc(saver, calls)
    await app.ainvoke({"log": ["x"]}, cfg())
    after_a = next(s for s in await history(app, cfg()) if s.next == ("b",))
    out = await app.ainvoke({"log": ["y"]}, after_a.config)
    assert out == {"log": ["x", "a", "y", "a", "b", "c"]}


async def test_multi_turn_memory_on_one_thread(saver: Any) -> None:
    calls: list[str] = []
    app = abc(saver, calls)
    await app.ainvoke({"log": ["t1"]}, cfg())
    out = await app.ainvoke({"log": ["t2"]}, cfg())
    assert out == {"log": ["t1", "a", "b", "c", "t2", "a", "b", "c"]}
    other = await app.ainvoke({"log": ["solo"]}, cfg("other"))
    assert other == {"log": ["solo", "a", "b", "c"]}


class Join(TypedDict):
    log: Annotated[list[str], operator.add]


class Flaky(Exception):
    pass


async def test_pending_writes_spare_the_successful_sibling(saver: Any) -> None:
    # LangGraph: ok ‖ flaky(raises) -> join; the first invoke raises; checkpoints -1 and 0 only;
    # resuming runs only flaky; calls ok=1, flaky=2.
    calls = {"ok": 0, "flaky": 0, "join": 0}
    fail = [True]

    def ok(state: Join) -> dict[str, Any]:
        calls["ok"] += 1
        return {"log": ["ok"]}

    async def flaky(state: Join) -> dict[str, Any]:
        calls["flaky"] += 1
        await anyio.sleep(0.01)  # ok finishes first
        if fail[0]:
            raise Flaky("boom")
        return {"log": ["flaky"]}

    def join(state: Join) -> dict[str, Any]:
        calls["join"] += 1
        return {"log": ["join"]}

    g = StateGraph(Join)
    g.add_node("ok", ok)
    g.add_node("flaky", flaky)
    g.add_node("join", join)
    g.add_edge(START, "ok")
    g.add_edge(START, "flaky")
    g.add_edge(["ok", "flaky"], "join")
    app = g.compile(checkpointer=saver)
    with pytest.raises(Flaky, match="boom"):
        await app.ainvoke({"log": []}, cfg())
    assert [s.metadata["step"] for s in await history(app, cfg())] == [0, -1]
    live = await app.aget_state(cfg())
    assert live.values == {"log": ["ok"]} and live.next == ("flaky",)
    fail[0] = False
    # apply order is by task path (node name), not completion: flaky < ok
    assert await app.ainvoke(None, cfg()) == {"log": ["flaky", "ok", "join"]}
    assert calls == {"ok": 1, "flaky": 2, "join": 1}


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
async def test_durability_modes_persist_what_they_promise(saver: Any, durability: str) -> None:
    app = two_node(saver)
    out = await app.ainvoke({"foo": ""}, cfg(), durability=durability)
    assert out == {"foo": "b", "bar": ["a", "b"]}
    steps = [s.metadata["step"] for s in await history(app, cfg())]
    # LangGraph: sync and async save every checkpoint; exit only the final one (step 2)
    assert steps == ([2] if durability == "exit" else [2, 1, 0, -1])
    state = await app.aget_state(cfg())
    assert state.values == {"foo": "b", "bar": ["a", "b"]} and state.next == ()


async def test_exit_durability_failure_keeps_the_last_state_and_resumes(saver: Any) -> None:
    calls: list[str] = []
    fail = [True]

    class S(TypedDict):
        log: Annotated[list[str], operator.add]

    def a(state: S) -> dict[str, Any]:
        calls.append("a")
        return {"log": ["a"]}

    def b(state: S) -> dict[str, Any]:
        calls.append("b")
        if fail[0]:
            raise Flaky("b failed")
        return {"log": ["b"]}

    g = StateGraph(S)
    g.add_node("a", a)
    g.add_node("b", b)
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    app = g.compile(checkpointer=saver)
    with pytest.raises(Flaky):
        await app.ainvoke({"log": []}, cfg(), durability="exit")
    snaps = await history(app, cfg())
    assert len(snaps) == 1 and snaps[0].values == {"log": ["a"]} and snaps[0].next == ("b",)
    fail[0] = False
    assert await app.ainvoke(None, cfg(), durability="exit") == {"log": ["a", "b"]}
    assert calls == ["a", "b", "b"]


async def test_checkpointer_needs_a_thread_and_resume_needs_a_checkpoint(saver: Any) -> None:
    app = two_node(saver)
    with pytest.raises(ValueError, match="Checkpointer requires one or more of the following 'configurable' keys"):
        await app.ainvoke({"foo": ""})
    with pytest.raises(EmptyInputError):
        await app.ainvoke(None, cfg("fresh"))
    assert (await app.aget_state(cfg("nobody"))).values == {}


async def test_a_second_concurrent_run_on_a_thread_is_refused(saver: Any) -> None:
    gate = anyio.Event()

    class S(TypedDict):
        x: int

    async def wait(state: S) -> dict[str, Any]:
        await gate.wait()
        return {"x": 1}

    g = StateGraph(S)
    g.add_node("wait", wait)
    g.add_edge(START, "wait")
    app = g.compile(checkpointer=saver)
    results: list[Any] = []
    async with anyio.create_task_group() as tg:
        async def first() -> None:
            results.append(await app.ainvoke({"x": 0}, cfg("busy")))

        tg.start_soon(first)
        await anyio.wait_all_tasks_blocked()
        with pytest.raises(ThreadBusyError, match="busy"):
            await app.ainvoke({"x": 0}, cfg("busy"))
        gate.set()
    assert results == [{"x": 1}]
    # the thread is free again afterwards, and other threads never were blocked
    assert await app.ainvoke({"x": 0}, cfg("busy")) == {"x": 1}
    assert await app.ainvoke({"x": 0}, cfg("other")) == {"x": 1}


class Unencodable:
    """Not registered with the serializer."""


async def test_unencodable_value_fails_the_step_and_keeps_the_previous_checkpoint(saver: Any) -> None:
    class S(TypedDict):
        x: Any

    g = StateGraph(S)
    g.add_node("ok", lambda s: {"x": 1})
    g.add_node("bad", lambda s: {"x": Unencodable()})
    g.add_edge(START, "ok")
    g.add_edge("ok", "bad")
    app = g.compile(checkpointer=saver)
    with pytest.raises(SerializationError) as info:
        await app.ainvoke({"x": 0}, cfg())
    assert "Unencodable" in str(info.value) and "x" in str(info.value)
    state = await app.aget_state(cfg())
    assert state.values == {"x": 1} and state.next == ("bad",)


async def test_checkpoints_do_not_grow_with_the_number_of_nodes() -> None:
    # versions of cleared trigger channels are dropped: the last checkpoint of a 200-node chain
    # holds as many versions as one of a 5-node chain
    sizes = []
    for n in (5, 200):
        g = StateGraph(Chain)
        prev = START
        for i in range(n):
            g.add_node(f"n{i}", lambda s: {})
            g.add_edge(prev, f"n{i}")
            prev = f"n{i}"
        saver = InMemorySaver()
        app = g.compile(checkpointer=saver)
        await app.ainvoke({"log": []}, {**cfg(), "recursion_limit": 500})
        last = await saver.aget_tuple(cfg())
        assert last is not None
        sizes.append((len(last.checkpoint.channel_versions), sum(map(len, last.checkpoint.versions_seen.values()))))
    assert sizes[0] == sizes[1]


@pytest.mark.parametrize("durability", ["sync", "async"])
async def test_a_step_that_cannot_be_saved_ends_the_chain_there(saver: Any, durability: str) -> None:
    # async durability queues later steps behind the failing one: none of them may be stored
    # on top of a checkpoint that is missing
    class S(TypedDict):
        x: Any
        n: Annotated[int, operator.add]

    g = StateGraph(S)
    g.add_node("a", lambda s: {"n": 1})
    g.add_node("bad", lambda s: {"x": Unencodable(), "n": 1})
    g.add_node("c", lambda s: {"x": 3, "n": 1})
    g.add_node("d", lambda s: {"x": 4, "n": 1})
    g.add_edge(START, "a")
    g.add_edge("a", "bad")
    g.add_edge("bad", "c")
    g.add_edge("c", "d")
    app = g.compile(checkpointer=saver)
    with pytest.raises(SerializationError, match="Unencodable"):
        await app.ainvoke({"x": 0, "n": 0}, cfg(), durability=durability)
    snaps = await history(app, cfg())
    assert snaps[0].values == {"x": 0, "n": 1} and snaps[0].next == ("bad",)
    assert [s.metadata["step"] for s in snaps] == [1, 0, -1]


async def test_update_state_special_nodes(saver: Any) -> None:
    # LangGraph 1.2.24 (checked in a scratch venv): on a new thread, as_node None/"__start__"
    # applies the values as the start node's output (source update, step 0, next ('a',));
    # "__input__" stores them as graph input (source input, step -1, next ('__start__',));
    # "__copy__" saves a sibling of a checkpoint (same parent, step + 1, source fork).
    calls: list[str] = []
    app = abc(saver, calls)
    for as_node, expected in ((None, ({"log": ["x"]}, ("a",), "update", 0)),
                              ("__start__", ({"log": ["x"]}, ("a",), "update", 0)),
                              ("__input__", ({"log": []}, ("__start__",), "input", -1))):
        config = cfg(f"t-{as_node}")
        await app.aupdate_state(config, {"log": ["x"]}, as_node=as_node)
        st = await app.aget_state(config)
        assert (st.values, st.next, st.metadata["source"], st.metadata["step"]) == expected
        assert await app.ainvoke(None, config) == {"log": ["x", "a", "b", "c"]}
    await app.ainvoke({"log": []}, cfg("copy"))
    base = (await history(app, cfg("copy")))[2]  # after a
    copied = await app.aupdate_state(base.config, None, as_node="__copy__")
    st = await app.aget_state(copied)
    assert (st.values, st.next, st.metadata["source"], st.metadata["step"]) == (
        {"log": ["a"]}, ("b",), "fork", base.metadata["step"] + 1)
    assert st.parent_config["configurable"]["checkpoint_id"] == base.parent_config["configurable"]["checkpoint_id"]


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
async def test_two_writers_on_one_file_never_fork_a_thread(tmp_path: Any, durability: str) -> None:
    """Two savers on one SQLite file (as two processes would have) each run the same thread:
    run A loads the thread and waits inside its node while run B does a whole turn. Whichever
    of them commits second onto a checkpoint the other already continued fails with
    CheckpointConflictError: exactly one conflict, the chain stays linear, the thread goes on.
    (Within one saver a second run is refused up front: ThreadBusyError.)"""
    from actorgraph.persistence import CheckpointConflictError, SqliteSaver

    class S(TypedDict):
        log: Annotated[list[str], operator.add]

    entered, release = anyio.Event(), anyio.Event()

    async def work(state: S, config: Any) -> dict[str, Any]:
        who = config["configurable"]["who"]
        if who == "A":
            entered.set()
            await release.wait()
        return {"log": [who]}

    g = StateGraph(S)
    g.add_node("work", work)
    g.add_edge(START, "work")
    g.add_edge("work", END)
    path = str(tmp_path / "shared.db")
    thread = {"thread_id": "t"}
    async with SqliteSaver.from_conn_string(path) as one, SqliteSaver.from_conn_string(path) as two:
        a, b = g.compile(checkpointer=one), g.compile(checkpointer=two)
        await b.ainvoke({"log": ["start"]}, {"configurable": {**thread, "who": "B"}})
        conflicts: list[str] = []

        async def turn(graph: Any, who: str, value: str) -> None:
            try:
                await graph.ainvoke({"log": [value]}, {"configurable": {**thread, "who": who}},
                                    durability=durability)
            except CheckpointConflictError:
                conflicts.append(who)

        async with anyio.create_task_group() as tg:
            tg.start_soon(turn, a, "A", "a")
            await entered.wait()
            await turn(b, "B", "b")
            release.set()
        assert len(conflicts) == 1, conflicts
        history = [s async for s in b.aget_state_history({"configurable": thread})]
        parents = [s.parent_config["configurable"]["checkpoint_id"] for s in history if s.parent_config]
        assert len(parents) == len(set(parents)), "a checkpoint has two children: the chain forked"
        out = await a.ainvoke({"log": ["c"]}, {"configurable": {**thread, "who": "C"}})
        assert out["log"][:2] == ["start", "B"] and out["log"][-2:] == ["c", "C"]
