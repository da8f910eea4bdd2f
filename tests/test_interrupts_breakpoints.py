"""Static breakpoints (``interrupt_before`` / ``interrupt_after``, at compile and per call) and
editing a paused thread with ``aupdate_state`` before resuming (issue 5). On asyncio and trio,
memory and SQLite. Expected values from running the same graphs with LangGraph 1.2.24.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import END, START, Command, StateGraph, interrupt
from actorgraph.persistence import InMemorySaver
from actorgraph.types import Interrupt
from test_interrupts import Log, cfg, stream

pytestmark = pytest.mark.anyio


async def steps(app: Any, config: dict[str, Any]) -> list[tuple[int, str, tuple[str, ...]]]:
    return [(s.metadata["step"], s.metadata["source"], s.next) async for s in app.aget_state_history(config)]


def abc(saver: Any, **compile_kw: Any) -> Any:
    """a -> b -> c, each appending its name."""
    g = StateGraph(Log)
    for name in "abc":
        g.add_node(name, (lambda n: lambda s: {"log": [n]})(name))
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", "c")
    g.add_edge("c", END)
    return g.compile(checkpointer=saver, **compile_kw)


# -- 6. interrupt_before / interrupt_after ------------------------------------------------------


async def test_interrupt_before_at_compile(saver: Any) -> None:
    app = abc(saver, interrupt_before=["b"])
    # LangGraph 1.2.24: {'log': ['a']} (no '__interrupt__' key for a static breakpoint)
    assert await app.ainvoke({"log": []}, cfg()) == {"log": ["a"]}
    state = await app.aget_state(cfg())
    # LangGraph 1.2.24: next ('b',), interrupts (), one task b without interrupts
    assert state.next == ("b",) and state.interrupts == ()
    assert [(t.name, t.interrupts, t.result) for t in state.tasks] == [("b", (), None)]
    # LangGraph 1.2.24: invoke(None, cfg) continues: {'log': ['a', 'b', 'c']}, next ()
    assert await app.ainvoke(None, cfg()) == {"log": ["a", "b", "c"]}
    assert (await app.aget_state(cfg())).next == ()


async def test_interrupt_after_at_compile(saver: Any) -> None:
    app = abc(saver, interrupt_after=["a"])
    # LangGraph 1.2.24: {'log': ['a']}, next ('b',)
    assert await app.ainvoke({"log": []}, cfg()) == {"log": ["a"]}
    assert (await app.aget_state(cfg())).next == ("b",)
    # LangGraph 1.2.24: [{'b': {'log': ['b']}}, {'c': {'log': ['c']}}]
    assert await stream(app, None, cfg()) == [{"b": {"log": ["b"]}}, {"c": {"log": ["c"]}}]


async def test_per_call_breakpoints_replace_the_compiled_ones(saver: Any) -> None:
    app = abc(saver, interrupt_before=["b"])
    # LangGraph 1.2.24: per-call interrupt_before=['c'] replaces ['b']: {'log': ['a', 'b']}, next ('c',)
    assert await app.ainvoke({"log": []}, cfg("r1"), interrupt_before=["c"]) == {"log": ["a", "b"]}
    assert (await app.aget_state(cfg("r1"))).next == ("c",)
    # LangGraph 1.2.24: continuing with the same per-call list: {'log': ['a', 'b', 'c']}
    assert await app.ainvoke(None, cfg("r1"), interrupt_before=["c"]) == {"log": ["a", "b", "c"]}
    assert (await app.aget_state(cfg("r1"))).next == ()
    # LangGraph 1.2.24: a per-call interrupt_after leaves the compiled interrupt_before in force:
    # {'log': ['a']}, next ('b',)
    assert await app.ainvoke({"log": []}, cfg("r2"), interrupt_after=["c"]) == {"log": ["a"]}
    assert (await app.aget_state(cfg("r2"))).next == ("b",)


async def test_star_interrupt_before(saver: Any) -> None:
    app = abc(saver, interrupt_before="*")
    seen = [(await app.ainvoke({"log": []}, cfg()), (await app.aget_state(cfg())).next)]
    for _ in range(4):
        seen.append((await app.ainvoke(None, cfg()), (await app.aget_state(cfg())).next))
    # LangGraph 1.2.24: stops before every node; once finished, invoke(None) returns the state
    assert seen == [({"log": []}, ("a",)), ({"log": ["a"]}, ("b",)), ({"log": ["a", "b"]}, ("c",)),
                    ({"log": ["a", "b", "c"]}, ()), ({"log": ["a", "b", "c"]}, ())]


async def test_star_interrupt_after_first_stop(saver: Any) -> None:
    app = abc(saver, interrupt_after="*")
    # LangGraph 1.2.24: {'log': ['a']}, next ('b',). (Continuing should stop after b too; actorgraph
    # runs to the end instead: see test_interrupt_after_star_stops_after_every_step in
    # pending_interrupt_failures.py)
    assert await app.ainvoke({"log": []}, cfg()) == {"log": ["a"]}
    assert (await app.aget_state(cfg())).next == ("b",)


async def test_star_breakpoint_per_call(saver: Any) -> None:
    app = abc(saver)
    # same as compiling with interrupt_before="*" (LangGraph 1.2.24 shape as above)
    assert await app.ainvoke({"log": []}, cfg(), interrupt_before="*") == {"log": []}
    assert (await app.aget_state(cfg())).next == ("a",)
    assert await app.ainvoke(None, cfg(), interrupt_before="*") == {"log": ["a"]}
    assert (await app.aget_state(cfg())).next == ("b",)
    assert await app.ainvoke(None, cfg()) == {"log": ["a", "b", "c"]}


async def test_new_input_discards_the_stopped_tasks(saver: Any) -> None:
    app = abc(saver, interrupt_before=["b"])
    assert await app.ainvoke({"log": []}, cfg()) == {"log": ["a"]}
    # LangGraph 1.2.24: new input drops the pending b: {'log': ['a', 'x', 'a']}, paused before b again
    assert await app.ainvoke({"log": ["x"]}, cfg()) == {"log": ["a", "x", "a"]}
    assert (await app.aget_state(cfg())).next == ("b",)
    # LangGraph 1.2.24 history (newest first)
    assert await steps(app, cfg()) == [
        (4, "loop", ("b",)), (3, "loop", ("a",)), (2, "input", ("__start__",)),
        (1, "loop", ("b",)), (0, "loop", ("a",)), (-1, "input", ("__start__",))]
    values = [s.values async for s in app.aget_state_history(cfg())]
    assert values == [{"log": ["a", "x", "a"]}, {"log": ["a", "x"]}, {"log": ["a"]}, {"log": ["a"]},
                      {"log": []}, {"log": []}]


async def test_static_breakpoint_streams(saver: Any) -> None:
    app = abc(saver, interrupt_before=["b"])
    # LangGraph 1.2.24: [{'a': {'log': ['a']}}, {'__interrupt__': ()}]
    assert await stream(app, {"log": []}, cfg("u")) == [{"a": {"log": ["a"]}}, {"__interrupt__": ()}]
    # LangGraph 1.2.24: values: [{'log': []}, {'log': ['a']}] (nothing marks the breakpoint)
    assert await stream(app, {"log": []}, cfg("v"), "values") == [{"log": []}, {"log": ["a"]}]
    # LangGraph 1.2.24: the resumed run starts with the current state
    assert await stream(app, None, cfg("v"), "values") == [
        {"log": ["a"]}, {"log": ["a", "b"]}, {"log": ["a", "b", "c"]}]
    after = abc(saver, interrupt_after=["a"])
    # LangGraph 1.2.24: [{'a': {'log': ['a']}}, {'__interrupt__': ()}]
    assert await stream(after, {"log": []}, cfg("w")) == [{"a": {"log": ["a"]}}, {"__interrupt__": ()}]


async def test_dynamic_interrupt_stream_has_the_interrupt(saver: Any) -> None:
    def b(state: Log) -> dict[str, Any]:
        return {"log": [f"b:{interrupt('go?')}"]}

    g = StateGraph(Log)
    g.add_node("a", lambda s: {"log": ["a"]})
    g.add_node("b", b)
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", END)
    app = g.compile(checkpointer=saver)
    chunks = await stream(app, {"log": []}, cfg())
    # LangGraph 1.2.24: [{'a': {'log': ['a']}}, {'__interrupt__': (Interrupt(value='go?', id=...),)}]
    assert chunks[0] == {"a": {"log": ["a"]}} and len(chunks) == 2
    (i,) = chunks[1]["__interrupt__"]
    assert isinstance(i, Interrupt) and i.value == "go?" and len(i.id) == 32
    # LangGraph 1.2.24: invoke output carries '__interrupt__' as a list
    out = await app.ainvoke({"log": []}, cfg("2"))
    assert out["log"] == ["a"] and isinstance(out["__interrupt__"], list)
    assert [x.value for x in out["__interrupt__"]] == ["go?"]
    assert await app.ainvoke(Command(resume="y"), cfg("2")) == {"log": ["a", "b:y"]}


async def test_static_breakpoint_continues_with_command_resume(saver: Any) -> None:
    app = abc(saver, interrupt_before=["b"])
    await app.ainvoke({"log": []}, cfg())
    # LangGraph 1.2.24: Command(resume=...) also continues past a static breakpoint
    assert await app.ainvoke(Command(resume="whatever"), cfg()) == {"log": ["a", "b", "c"]}


async def test_unknown_breakpoint_node() -> None:
    # LangGraph 1.2.24: ValueError('Interrupt node `zz` not found') at compile
    with pytest.raises(ValueError, match="^Interrupt node `zz` not found$"):
        abc(InMemorySaver(), interrupt_before=["zz"])
    # ... but per call, names that are no node are ignored: the run goes through
    # (actorgraph raised that ValueError here too)
    for kw in ({"interrupt_after": ["zz"]}, {"interrupt_before": "zz"}):
        assert await abc(InMemorySaver()).ainvoke({"log": []}, cfg(), **kw) == {"log": ["a", "b", "c"]}


# -- 2. edit while paused, then resume ----------------------------------------------------------


class Doc(TypedDict):
    text: str
    log: Annotated[list[str], operator.add]


def draft(state: Doc) -> dict[str, Any]:
    return {"text": "draft", "log": ["draft"]}


async def test_edit_at_static_breakpoint_then_continue(saver: Any) -> None:
    g = StateGraph(Doc)
    g.add_node("draft", draft)
    g.add_node("publish", lambda s: {"log": [f"publish:{s['text']}"]})
    g.add_edge(START, "draft")
    g.add_edge("draft", "publish")
    g.add_edge("publish", END)
    app = g.compile(checkpointer=saver, interrupt_before=["publish"])
    # LangGraph 1.2.24: {'text': 'draft', 'log': ['draft']}; paused at step 1 (loop) before publish
    assert await app.ainvoke({"text": "", "log": []}, cfg()) == {"text": "draft", "log": ["draft"]}
    state = await app.aget_state(cfg())
    assert (state.next, state.interrupts, state.metadata["step"], state.metadata["source"]) == (
        ("publish",), (), 1, "loop")
    new = await app.aupdate_state(cfg(), {"text": "edited"})
    assert sorted(new["configurable"]) == ["checkpoint_id", "checkpoint_ns", "thread_id"]
    state = await app.aget_state(cfg())
    # LangGraph 1.2.24: values {'text': 'edited', 'log': ['draft']}, next ('publish',), update at step 2
    assert state.values == {"text": "edited", "log": ["draft"]}
    assert (state.next, state.metadata["source"], state.metadata["step"]) == (("publish",), "update", 2)
    # LangGraph 1.2.24: {'text': 'edited', 'log': ['draft', 'publish:edited']}
    assert await app.ainvoke(None, cfg()) == {"text": "edited", "log": ["draft", "publish:edited"]}
    assert await steps(app, cfg()) == [
        (3, "loop", ()), (2, "update", ("publish",)), (1, "loop", ("publish",)), (0, "loop", ("draft",)),
        (-1, "input", ("__start__",))]


def review_graph(saver: Any, calls: list[str]) -> Any:
    def review(state: Doc) -> dict[str, Any]:
        calls.append(state["text"])
        answer = interrupt({"question": "ok?", "text": state["text"]})
        return {"log": [f"review:{state['text']}:{answer}"]}

    g = StateGraph(Doc)
    g.add_node("draft", draft)
    g.add_node("review", review)
    g.add_edge(START, "draft")
    g.add_edge("draft", "review")
    g.add_edge("review", END)
    return g.compile(checkpointer=saver)


async def test_edit_at_dynamic_interrupt_before_resume(saver: Any) -> None:
    calls: list[str] = []
    app = review_graph(saver, calls)
    out = await app.ainvoke({"text": "", "log": []}, cfg())
    # LangGraph 1.2.24: {'text': 'draft', 'log': ['draft'], '__interrupt__': [Interrupt({'question': 'ok?',
    # 'text': 'draft'})]}
    assert {k: v for k, v in out.items() if k != "__interrupt__"} == {"text": "draft", "log": ["draft"]}
    assert [i.value for i in out["__interrupt__"]] == [{"question": "ok?", "text": "draft"}]
    await app.aupdate_state(cfg(), {"text": "edited"})
    state = await app.aget_state(cfg())
    # LangGraph 1.2.24: values {'text': 'edited', 'log': ['draft']}, next ('review',), source 'update'
    assert state.values == {"text": "edited", "log": ["draft"]}
    assert (state.next, state.metadata["source"]) == (("review",), "update")
    # (what follows, Command(resume=...) answering the re-run review, fails in actorgraph:
    # see test_edit_at_dynamic_interrupt_then_command_resume in pending_interrupt_failures.py)
