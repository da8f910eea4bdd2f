"""``update_state(config, values, as_node="__input__")`` as LangGraph 1.2 does it (issue 14):
``values`` (a ``Command`` too) becomes the ``__start__`` channel's value, so the ``__start__``
task runs next beside the checkpoint's pending tasks (a ``Command`` is applied only when it
runs: its update, its goto, then START's edges); the write is also kept as a pending write of
the updated checkpoint, under ``uuid5(UUID(checkpoint_id), "__input__")`` (not on a new thread,
nor on a checkpoint the thread moved past). Every expected value observed from LangGraph 1.2
running the same graph with its InMemorySaver (scratch script)."""

from __future__ import annotations

import operator
import uuid
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, Command, StateGraph
from actorgraph.errors import InvalidUpdateError
from actorgraph.persistence import BaseCheckpointSaver

pytestmark = pytest.mark.anyio


class S(TypedDict, total=False):
    log: Annotated[list[str], operator.add]
    x: int


def build(saver: BaseCheckpointSaver) -> Any:
    """START -> a -> b, paused before b."""
    def node(name: str) -> Any:
        def run(s: S) -> dict[str, Any]:
            return {"log": [name]}

        return run

    g = StateGraph(S).add_node("a", node("a")).add_node("b", node("b")).add_edge(START, "a").add_edge("a", "b")
    return g.compile(checkpointer=saver, interrupt_before=["b"])


async def pending(saver: BaseCheckpointSaver, config: dict[str, Any]) -> list[tuple[str, str, Any]]:
    saved = await saver.aget_tuple(config)
    assert saved is not None
    return [tuple(w) for w in saved.pending_writes]  # type: ignore[misc]


def input_id(config: dict[str, Any]) -> str:
    return str(uuid.uuid5(uuid.UUID(config["configurable"]["checkpoint_id"]), "__input__"))


async def test_a_command_as_input_is_applied_by_the_start_task(saver: BaseCheckpointSaver) -> None:
    graph = build(saver)
    config = {"configurable": {"thread_id": "1"}}
    await graph.ainvoke({"log": []}, config)
    paused = await graph.aget_state(config)
    command = Command(update={"log": ["U"], "x": 1})
    await graph.aupdate_state(config, command, as_node="__input__")
    state = await graph.aget_state(config)
    assert (state.values, state.next, state.metadata) == (
        {"log": ["a"]}, ("__start__", "b"), {"source": "input", "step": 2, "parents": {}})
    assert [(t.name, t.result) for t in state.tasks] == [("__start__", None), ("b", None)]
    [(tid, channel, value)] = await pending(saver, paused.config)
    assert (tid, channel, value.update) == (input_id(paused.config), "__start__", command.update)
    assert isinstance(value, Command)
    assert await pending(saver, state.config) == []
    assert [(s.metadata["source"], s.metadata["step"], s.next) async for s in graph.aget_state_history(config)] == [
        ("input", 2, ("__start__", "b")), ("loop", 1, ("b",)), ("loop", 0, ("a",)), ("input", -1, ("__start__",))]
    # the __start__ task applies the update, then START's edge runs a again
    assert await graph.ainvoke(None, config) == {"log": ["a", "U", "b", "a"], "x": 1}


async def test_a_commands_goto_and_starts_edges(saver: BaseCheckpointSaver) -> None:
    graph = build(saver)
    for thread, command, updates, after in [
        ("g1", Command(update={"log": ["U"], "x": 1}), [{"b": {"log": ["b"]}}, {"a": {"log": ["a"]}}], ("b",)),
        ("g2", Command(goto="b", update={"x": 5}), [{"b": {"log": ["b"]}}], ("a", "b")),
        ("g3", Command(goto="a"), [{"b": {"log": ["b"]}}, {"a": {"log": ["a"]}}], ("b",)),
    ]:
        config = {"configurable": {"thread_id": thread}}
        await graph.ainvoke({"log": []}, config)
        await graph.aupdate_state(config, command, as_node="__input__")
        chunks = [c async for c in graph.astream(None, config, stream_mode="updates")]
        assert chunks == [*updates, {"__interrupt__": ()}], thread
        assert (await graph.aget_state(config)).next == after, thread


async def test_on_a_new_thread_and_plain_input(saver: BaseCheckpointSaver) -> None:
    graph = build(saver)
    config = {"configurable": {"thread_id": "2"}}
    first = await graph.aupdate_state(config, Command(update={"log": ["U"], "x": 1}), as_node="__input__")
    state = await graph.aget_state(config)
    assert (state.values, state.next, state.metadata) == (
        {"log": []}, ("__start__",), {"source": "input", "step": -1, "parents": {}})
    assert await pending(saver, first) == []
    assert await graph.ainvoke(None, config) == {"log": ["U", "a"], "x": 1}

    config = {"configurable": {"thread_id": "3"}}
    await graph.ainvoke({"log": []}, config)
    paused = await graph.aget_state(config)
    await graph.aupdate_state(config, {"log": ["U"]}, as_node="__input__")
    assert await pending(saver, paused.config) == [(input_id(paused.config), "__start__", {"log": ["U"]})]
    state = await graph.aget_state(config)
    assert (state.values, state.next) == ({"log": ["a"]}, ("__start__", "b"))

    with pytest.raises(InvalidUpdateError, match="^Received no input writes for __start__$"):
        await graph.aupdate_state(config, None, as_node="__input__")


async def test_no_write_kept_on_a_checkpoint_the_thread_moved_past(saver: BaseCheckpointSaver) -> None:
    graph = build(saver)
    config = {"configurable": {"thread_id": "4"}}
    await graph.ainvoke({"log": []}, config)
    await graph.ainvoke(None, config)
    old = [s async for s in graph.aget_state_history(config) if s.next == ("b",)][0]
    before = await pending(saver, old.config)
    await graph.aupdate_state(old.config, {"log": ["F"]}, as_node="__input__")
    assert await pending(saver, old.config) == before


# -- a Command as the input of a thread without checkpoints -------------------------------------------
# LangGraph 1.2.24 (scratch script, InMemorySaver and no checkpointer): the Command's update applies
# at the input step, and the Command is __start__'s input; its task applies the update again,
# routes the goto and takes START's edges, so both 'a' (START's edge) and 'b' (the goto) run.


def start_a_end(saver: BaseCheckpointSaver | None) -> Any:
    g = StateGraph(S).add_node("a", lambda s: {"log": ["a"]}).add_node("b", lambda s: {"log": ["b"]})
    return g.add_edge(START, "a").compile(checkpointer=saver)


async def test_command_input_on_a_new_thread_also_takes_starts_edges(saver: BaseCheckpointSaver) -> None:
    app = start_a_end(saver)
    cfg = {"configurable": {"thread_id": "fresh"}}
    chunks = [c async for c in app.astream(Command(update={"log": ["u"]}, goto="b"), cfg, stream_mode="updates")]
    assert sorted(chunks, key=str) == [{"a": {"log": ["a"]}}, {"b": {"log": ["b"]}}]  # (one step: either order)
    assert (await app.aget_state(cfg)).values == {"log": ["u", "u", "a", "b"]}
    history = [(s.metadata["source"], s.metadata["step"], s.next, s.values) async for s in app.aget_state_history(cfg)]
    assert history == [
        ("loop", 1, (), {"log": ["u", "u", "a", "b"]}),
        ("loop", 0, ("a", "b"), {"log": ["u", "u"]}),
        ("input", -1, ("__start__",), {"log": ["u"]}),
    ]
    # on a thread that has checkpoints the Command applies once and START's edges do not run
    assert [c async for c in app.astream(Command(update={"log": ["v"]}, goto="b"), cfg, stream_mode="updates")] == [
        {"b": {"log": ["b"]}}]
    assert (await app.aget_state(cfg)).values == {"log": ["u", "u", "a", "b", "v", "b"]}


async def test_command_input_without_a_checkpointer_takes_starts_edges() -> None:
    app = start_a_end(None)
    assert await app.ainvoke(Command(update={"x": 1}, goto="b")) == {"x": 1, "log": ["a", "b"]}
    assert [c async for c in app.astream(Command(update={"x": 5}), stream_mode="values")] == [
        {"x": 5, "log": []}, {"x": 5, "log": ["a"]}]


async def test_a_parent_command_as_input_is_refused_before_anything_is_written(saver: BaseCheckpointSaver) -> None:
    # LangGraph 1.2: InvalidUpdateError('There is no parent graph') on a new thread and on one
    # with checkpoints alike, and the thread's history is unchanged
    app = start_a_end(saver)
    cfg = {"configurable": {"thread_id": "1"}}
    with pytest.raises(InvalidUpdateError, match="^There is no parent graph$"):
        await app.ainvoke(Command(graph=Command.PARENT, update={"log": ["x"]}), cfg)
    assert [s async for s in app.aget_state_history(cfg)] == []
    assert await app.ainvoke({"log": []}, cfg) == {"log": ["a"]}
    for command in (Command(graph=Command.PARENT, goto="a"), Command(graph=Command.PARENT, update={"log": ["x"]})):
        with pytest.raises(InvalidUpdateError, match="^There is no parent graph$"):
            await app.ainvoke(command, cfg)
    assert len([s async for s in app.aget_state_history(cfg)]) == 3
    assert (await app.aget_state(cfg)).values == {"log": ["a"]}
