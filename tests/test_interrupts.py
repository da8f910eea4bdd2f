"""Human-in-the-loop with ``interrupt()`` (issue 5): approve/reject, several pending interrupts
resumed by id, sequential interrupts in one node, siblings' pending writes, snapshots while
paused, and the errors of resumes that cannot work. On asyncio and trio, memory and SQLite.

Expected values were produced by running the same graphs with LangGraph 1.2.24 (InMemorySaver).
Interrupt ids differ by design (ours: blake2b, LangGraph's: xxh3), so tests compare values and
structure and resume with the ids actorgraph reports.
"""

from __future__ import annotations

import contextlib
import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import END, START, Command, StateGraph, interrupt
from actorgraph.errors import ResumeError
from actorgraph.persistence import InMemorySaver
from actorgraph.types import Interrupt

pytestmark = pytest.mark.anyio


def cfg(thread: str = "1") -> dict[str, Any]:
    return {"configurable": {"thread_id": thread}}


def is_id(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def values_of(interrupts: Any) -> list[Any]:
    assert all(isinstance(i, Interrupt) and is_id(i.id) for i in interrupts)
    return [i.value for i in interrupts]


async def stream(app: Any, value: Any, config: dict[str, Any], mode: Any = "updates", **kw: Any) -> list[Any]:
    return [chunk async for chunk in app.astream(value, config, stream_mode=mode, **kw)]


# -- 1. approve / reject -------------------------------------------------------------------


class Approval(TypedDict):
    log: Annotated[list[str], operator.add]
    decision: str


def approval_graph(saver: Any) -> Any:
    def ask(state: Approval) -> dict[str, Any]:
        answer = interrupt({"question": "approve?"})
        return {"decision": answer, "log": [f"ask:{answer}"]}

    def route(state: Approval) -> str:
        return "approved" if state["decision"] == "yes" else "rejected"

    g = StateGraph(Approval)
    g.add_node("ask", ask)
    g.add_node("approved", lambda s: {"log": ["approved"]})
    g.add_node("rejected", lambda s: {"log": ["rejected"]})
    g.add_edge(START, "ask")
    g.add_conditional_edges("ask", route, ["approved", "rejected"])
    g.add_edge("approved", END)
    g.add_edge("rejected", END)
    return g.compile(checkpointer=saver)


async def test_approve_flow(saver: Any) -> None:
    app = approval_graph(saver)
    out = await app.ainvoke({"log": []}, cfg())
    # LangGraph 1.2.24: {'log': [], '__interrupt__': [Interrupt(value={'question': 'approve?'}, id=...)]}
    assert set(out) == {"log", "__interrupt__"} and out["log"] == []
    assert isinstance(out["__interrupt__"], list)
    assert values_of(out["__interrupt__"]) == [{"question": "approve?"}]
    state = await app.aget_state(cfg())
    # LangGraph 1.2.24: values {'log': []}, next ('ask',), interrupts = the same Interrupt, on task 'ask'
    assert state.values == {"log": []} and state.next == ("ask",)
    assert state.interrupts == tuple(out["__interrupt__"])
    assert [(t.name, t.interrupts) for t in state.tasks] == [("ask", tuple(out["__interrupt__"]))]
    # LangGraph 1.2.24: {'log': ['ask:yes', 'approved'], 'decision': 'yes'}
    assert await app.ainvoke(Command(resume="yes"), cfg()) == {"log": ["ask:yes", "approved"], "decision": "yes"}
    state = await app.aget_state(cfg())
    # LangGraph 1.2.24: next (), interrupts (), tasks ()
    assert (state.next, state.interrupts, state.tasks) == ((), (), ())


async def test_reject_flow_streamed(saver: Any) -> None:
    app = approval_graph(saver)
    chunks = await stream(app, {"log": []}, cfg())
    # LangGraph 1.2.24: [{'__interrupt__': (Interrupt(value={'question': 'approve?'}, id=...),)}]
    assert len(chunks) == 1 and list(chunks[0]) == ["__interrupt__"]
    assert isinstance(chunks[0]["__interrupt__"], tuple)
    assert values_of(chunks[0]["__interrupt__"]) == [{"question": "approve?"}]
    # LangGraph 1.2.24: [{'ask': {'decision': 'no', 'log': ['ask:no']}}, {'rejected': {'log': ['rejected']}}]
    assert await stream(app, Command(resume="no"), cfg()) == [
        {"ask": {"decision": "no", "log": ["ask:no"]}}, {"rejected": {"log": ["rejected"]}}]
    assert (await app.aget_state(cfg())).values == {"log": ["ask:no", "rejected"], "decision": "no"}


async def test_values_stream_at_interrupt_and_on_resume(saver: Any) -> None:
    app = approval_graph(saver)
    chunks = await stream(app, {"log": []}, cfg(), "values")
    # LangGraph 1.2.24: [{'log': []}, {'log': [], '__interrupt__': (Interrupt(...),)}]
    assert chunks[0] == {"log": []} and len(chunks) == 2
    assert set(chunks[1]) == {"log", "__interrupt__"} and chunks[1]["log"] == []
    assert isinstance(chunks[1]["__interrupt__"], tuple)
    assert values_of(chunks[1]["__interrupt__"]) == [{"question": "approve?"}]
    # LangGraph 1.2.24: the resumed run shows its starting state first
    assert await stream(app, Command(resume="yes"), cfg(), "values") == [
        {"log": []}, {"log": ["ask:yes"], "decision": "yes"}, {"log": ["ask:yes", "approved"], "decision": "yes"}]


# -- 3. two parallel interrupts ---------------------------------------------------------------


class Log(TypedDict):
    log: Annotated[list[str], operator.add]


def parallel_graph(saver: Any) -> Any:
    def asker(name: str) -> Any:
        def fn(state: Log) -> dict[str, Any]:
            return {"log": [f"{name}:{interrupt(f'q-{name}')}"]}

        return fn

    g = StateGraph(Log)
    g.add_node("a", asker("a"))
    g.add_node("b", asker("b"))
    g.add_node("after", lambda s: {"log": ["after"]})
    g.add_edge(START, "a")
    g.add_edge(START, "b")
    g.add_edge(["a", "b"], "after")
    g.add_edge("after", END)
    return g.compile(checkpointer=saver)


async def test_two_parallel_interrupts_resumed_together_by_id(saver: Any) -> None:
    app = parallel_graph(saver)
    out = await app.ainvoke({"log": []}, cfg())
    # LangGraph 1.2.24: {'log': [], '__interrupt__': [Interrupt('q-a'), Interrupt('q-b')]} (the list
    # follows completion order there too: with a slower 'a' it is [q-b, q-a]; sorted here)
    assert out["log"] == [] and sorted(values_of(out["__interrupt__"])) == ["q-a", "q-b"]
    ids = {i.value: i.id for i in out["__interrupt__"]}
    assert ids["q-a"] != ids["q-b"]
    state = await app.aget_state(cfg())
    # LangGraph 1.2.24: next ('a', 'b'); each task carries its own interrupt
    assert state.next == ("a", "b")
    assert values_of(state.interrupts) == ["q-a", "q-b"]
    assert [(t.name, values_of(t.interrupts)) for t in state.tasks] == [("a", ["q-a"]), ("b", ["q-b"])]
    # LangGraph 1.2.24: {'log': ['a:A', 'b:B', 'after']}
    assert await app.ainvoke(Command(resume={ids["q-a"]: "A", ids["q-b"]: "B"}), cfg()) == {
        "log": ["a:A", "b:B", "after"]}
    assert (await app.aget_state(cfg())).interrupts == ()


async def test_bare_resume_with_two_pending_is_an_error(saver: Any) -> None:
    app = parallel_graph(saver)
    await app.ainvoke({"log": []}, cfg())
    # LangGraph 1.2.24: RuntimeError('When there are multiple pending interrupts, you must specify
    # the interrupt id when resuming. Docs: ...'); ours is ResumeError, a RuntimeError
    with pytest.raises(ResumeError) as info:
        await app.ainvoke(Command(resume="x"), cfg())
    assert isinstance(info.value, RuntimeError)
    assert str(info.value).startswith(
        "When there are multiple pending interrupts, you must specify the interrupt id when resuming.")
    # nothing changed: both are still pending
    state = await app.aget_state(cfg())
    assert state.next == ("a", "b") and values_of(state.interrupts) == ["q-a", "q-b"]


async def test_resume_one_of_two_keeps_the_other_pending(saver: Any) -> None:
    app = parallel_graph(saver)
    chunks = await stream(app, {"log": []}, cfg())
    # LangGraph 1.2.24: one {'__interrupt__': (Interrupt,)} chunk per interrupted task
    assert [list(c) for c in chunks] == [["__interrupt__"], ["__interrupt__"]]
    assert sorted(v for c in chunks for v in values_of(c["__interrupt__"])) == ["q-a", "q-b"]
    ids = {i.value: i.id for i in (await app.aget_state(cfg())).interrupts}
    out = await app.ainvoke(Command(resume={ids["q-a"]: "A"}), cfg())
    # LangGraph 1.2.24: {'log': ['a:A'], '__interrupt__': [Interrupt(value='q-b', id=<same id as before>)]}
    # (actorgraph's output leaves out a's writes, and what follows differs too: see
    # test_resume_one_of_two_then_the_other in pending_interrupt_failures.py)
    assert out["__interrupt__"] == [Interrupt(value="q-b", id=ids["q-b"])]


async def test_partial_resume_streams_the_remaining_interrupt(saver: Any) -> None:
    app = parallel_graph(saver)
    await app.ainvoke({"log": []}, cfg())
    ids = {i.value: i.id for i in (await app.aget_state(cfg())).interrupts}
    chunks = await stream(app, Command(resume={ids["q-b"]: "B"}), cfg())
    # LangGraph 1.2.24: [{'__interrupt__': (Interrupt(value='q-a', ...),)}, {'b': {'log': ['b:B']}}]
    # (compared as a set: the order of a step's chunks follows task completion)
    assert {"b": {"log": ["b:B"]}} in chunks and len(chunks) == 2
    (pending,) = [c for c in chunks if "__interrupt__" in c]
    assert pending == {"__interrupt__": (Interrupt(value="q-a", id=ids["q-a"]),)}


# -- 4. two sequential interrupts in one node ------------------------------------------------


async def test_sequential_interrupts_rerun_the_node(saver: Any) -> None:
    runs = []

    def ask(state: Log) -> dict[str, Any]:
        runs.append("ask")
        first = interrupt("q1")
        second = interrupt("q2")
        return {"log": [f"{first}+{second}"]}

    g = StateGraph(Log)
    g.add_node("ask", ask)
    g.add_edge(START, "ask")
    g.add_edge("ask", END)
    app = g.compile(checkpointer=saver)
    out1 = await app.ainvoke({"log": []}, cfg())
    # LangGraph 1.2.24: {'log': [], '__interrupt__': [Interrupt(value='q1', ...)]}, ask ran 1x
    assert out1["log"] == [] and values_of(out1["__interrupt__"]) == ["q1"] and len(runs) == 1
    state = await app.aget_state(cfg())
    assert state.next == ("ask",) and state.interrupts == tuple(out1["__interrupt__"])
    out2 = await app.ainvoke(Command(resume="A"), cfg())
    # LangGraph 1.2.24: {'log': [], '__interrupt__': [Interrupt(value='q2', <another id>)]}, ask ran 2x
    assert out2["log"] == [] and values_of(out2["__interrupt__"]) == ["q2"] and len(runs) == 2
    assert out2["__interrupt__"][0].id != out1["__interrupt__"][0].id
    state = await app.aget_state(cfg())
    assert state.next == ("ask",) and state.interrupts == tuple(out2["__interrupt__"])
    # LangGraph 1.2.24: {'log': ['A+B']}, ask ran 3x; then nothing pending
    assert await app.ainvoke(Command(resume="B"), cfg()) == {"log": ["A+B"]}
    assert len(runs) == 3
    state = await app.aget_state(cfg())
    assert (state.next, state.interrupts, state.tasks) == ((), (), ())


# -- 7. finished siblings are not re-executed --------------------------------------------------


def sibling_graph(saver: Any, calls: dict[str, int]) -> Any:
    def ask(state: Log) -> dict[str, Any]:
        calls["ask"] += 1
        return {"log": [f"ask:{interrupt('ok?')}"]}

    def sib(state: Log) -> dict[str, Any]:
        calls["sib"] += 1
        return {"log": ["sib"]}

    def join(state: Log) -> dict[str, Any]:
        calls["join"] += 1
        return {"log": ["join"]}

    g = StateGraph(Log)
    g.add_node("ask", ask)
    g.add_node("sib", sib)
    g.add_node("join", join)
    g.add_edge(START, "ask")
    g.add_edge(START, "sib")
    g.add_edge(["ask", "sib"], "join")
    g.add_edge("join", END)
    return g.compile(checkpointer=saver)


async def test_finished_sibling_is_not_rerun_on_resume(saver: Any) -> None:
    calls = {"ask": 0, "sib": 0, "join": 0}
    app = sibling_graph(saver, calls)
    out = await app.ainvoke({"log": []}, cfg())
    # LangGraph 1.2.24: {'log': ['sib'], '__interrupt__': [Interrupt('ok?')]}; ask 1, sib 1, join 0
    # (actorgraph's output leaves out sib's writes: see pending_interrupt_failures.py)
    assert values_of(out["__interrupt__"]) == ["ok?"]
    assert calls == {"ask": 1, "sib": 1, "join": 0}
    state = await app.aget_state(cfg())
    # LangGraph 1.2.24: live view: values include sib's writes, next only the unfinished ask
    assert state.values == {"log": ["sib"]} and state.next == ("ask",)
    assert [(t.name, values_of(t.interrupts), t.result) for t in state.tasks] == [
        ("ask", ["ok?"], None), ("sib", [], {"log": ["sib"]})]
    # LangGraph 1.2.24: the interrupted step made no checkpoint: history is steps 0 and -1
    assert [(s.metadata["step"], s.next) async for s in app.aget_state_history(cfg())] == [
        (0, ("ask", "sib")), (-1, ("__start__",))]
    # LangGraph 1.2.24: {'log': ['ask:yes', 'sib', 'join']}; ask 2, sib 1, join 1
    assert await app.ainvoke(Command(resume="yes"), cfg()) == {"log": ["ask:yes", "sib", "join"]}
    assert calls == {"ask": 2, "sib": 1, "join": 1}


async def test_finished_sibling_not_rerun_streamed(saver: Any) -> None:
    calls = {"ask": 0, "sib": 0, "join": 0}
    app = sibling_graph(saver, calls)
    chunks = await stream(app, {"log": []}, cfg())
    # LangGraph 1.2.24: [{'__interrupt__': (Interrupt('ok?'),)}, {'sib': {'log': ['sib']}}] (set-compared)
    assert {"sib": {"log": ["sib"]}} in chunks and len(chunks) == 2
    (pending,) = [c for c in chunks if "__interrupt__" in c]
    assert values_of(pending["__interrupt__"]) == ["ok?"]
    chunks = await stream(app, Command(resume="yes"), cfg())
    assert {"ask": {"log": ["ask:yes"]}} in chunks and chunks[-1] == {"join": {"log": ["join"]}}
    assert calls == {"ask": 2, "sib": 1, "join": 1}


# -- 8. snapshots while paused ----------------------------------------------------------------


async def test_snapshot_interrupts_while_paused_and_after(saver: Any) -> None:
    calls = {"ask": 0, "sib": 0, "join": 0}
    app = sibling_graph(saver, calls)
    await app.ainvoke({"log": []}, cfg())
    state = await app.aget_state(cfg())
    # LangGraph 1.2.24: interrupts (Interrupt('ok?'),); tasks ask (that interrupt) and sib (result)
    assert values_of(state.interrupts) == ["ok?"]
    ask, sib = state.tasks
    assert (ask.name, ask.path, ask.error, ask.result) == ("ask", ("__pregel_pull", "ask"), None, None)
    assert ask.interrupts == state.interrupts
    assert (sib.name, sib.interrupts, sib.result) == ("sib", (), {"log": ["sib"]})
    # LangGraph 1.2.24: the step-0 checkpoint in history shows the same tasks and interrupt
    newest = [s async for s in app.aget_state_history(cfg())][0]
    assert newest.metadata["step"] == 0 and newest.interrupts == state.interrupts
    assert [(t.name, t.interrupts) for t in newest.tasks] == [("ask", state.interrupts), ("sib", ())]
    await app.ainvoke(Command(resume="yes"), cfg())
    state = await app.aget_state(cfg())
    # LangGraph 1.2.24: after: next (), interrupts (), tasks ()
    assert (state.next, state.interrupts, state.tasks) == ((), (), ())
    # LangGraph 1.2.24: history: step 2 (), step 1 ('join',), step 0 keeps its (answered) interrupt
    hist = [s async for s in app.aget_state_history(cfg())]
    assert [(s.metadata["step"], s.next, [t.name for t in s.tasks], values_of(s.interrupts)) for s in hist] == [
        (2, (), [], []), (1, ("join",), ["join"], []), (0, ("ask", "sib"), ["ask", "sib"], ["ok?"]),
        (-1, ("__start__",), ["__start__"], [])]


# -- 9. errors ---------------------------------------------------------------------------------


def single_ask(saver: Any = None) -> Any:
    def ask(state: Log) -> dict[str, Any]:
        return {"log": [f"ask:{interrupt('ok?')}"]}

    g = StateGraph(Log)
    g.add_node("ask", ask)
    g.add_edge(START, "ask")
    g.add_edge("ask", END)
    return g.compile(checkpointer=saver)


async def test_interrupt_without_checkpointer_returns_it() -> None:
    # LangGraph 1.2.24: {'log': [], '__interrupt__': [Interrupt('ok?')]}; it cannot be resumed
    # (more in test_compat_interrupt_without_checkpointer.py).
    out = await single_ask().ainvoke({"log": []})
    assert out == {"log": [], "__interrupt__": [Interrupt(value="ok?", id=out["__interrupt__"][0].id)]}


async def test_resume_without_checkpointer() -> None:
    # LangGraph 1.2.24: RuntimeError('Cannot use Command(resume=...) without checkpointer')
    with pytest.raises(RuntimeError, match=r"^Cannot use Command\(resume=\.\.\.\) without checkpointer$"):
        await single_ask().ainvoke(Command(resume="x"))


async def test_interrupt_outside_a_node() -> None:
    # LangGraph 1.2.24: RuntimeError('Called get_config outside of a runnable context')
    with pytest.raises(RuntimeError):
        interrupt("x")


async def test_resume_a_finished_thread_is_an_error(saver: Any) -> None:
    app = single_ask(saver)
    await app.ainvoke({"log": []}, cfg())
    assert await app.ainvoke(Command(resume="a"), cfg()) == {"log": ["ask:a"]}
    # Deliberate deviation: LangGraph 1.2.24 ignores the value and returns the state {'log': ['ask:a']}
    with pytest.raises(ResumeError, match="not paused"):
        await app.ainvoke(Command(resume="x"), cfg())
    assert (await app.aget_state(cfg())).values == {"log": ["ask:a"]}


async def test_resume_a_new_thread_is_an_error(saver: Any) -> None:
    # Deliberate deviation: LangGraph 1.2.24 runs the graph from START without input and stops at
    # the interrupt ({'log': [], '__interrupt__': [...]}); actorgraph refuses the resume.
    with pytest.raises(ResumeError):
        await single_ask(saver).ainvoke(Command(resume="x"), cfg("fresh"))


async def test_resume_with_unknown_interrupt_id_is_an_error(saver: Any) -> None:
    app = single_ask(saver)
    out = await app.ainvoke({"log": []}, cfg())
    # Deliberate deviation: LangGraph 1.2.24 ignores the unknown id and interrupts again
    # ({'log': [], '__interrupt__': [Interrupt('ok?')]}, next ('ask',)); actorgraph raises.
    with pytest.raises(ResumeError, match="0" * 32):
        await app.ainvoke(Command(resume={"0" * 32: "x"}), cfg())
    state = await app.aget_state(cfg())
    assert state.next == ("ask",) and state.interrupts == tuple(out["__interrupt__"])
    # (resuming right after the ResumeError hits ThreadBusyError: see pending_interrupt_failures.py)


# -- more: Send fan-out, durability, continuing without an answer, new input -------------------


class Fan(TypedDict):
    items: list[str]
    log: Annotated[list[str], operator.add]


async def test_interrupts_in_send_tasks_resumed_by_id(saver: Any) -> None:
    from actorgraph import Send

    def ask(state: dict[str, Any]) -> dict[str, Any]:
        return {"log": [f"{state['item']}:{interrupt('q-' + state['item'])}"]}

    g = StateGraph(Fan)
    g.add_node("ask", ask)
    g.add_conditional_edges(START, lambda s: [Send("ask", {"item": i}) for i in s["items"]], ["ask"])
    g.add_edge("ask", END)
    app = g.compile(checkpointer=saver)
    out = await app.ainvoke({"items": ["x", "y"], "log": []}, cfg())
    # LangGraph 1.2.24: {'items': ['x', 'y'], 'log': [], '__interrupt__': [q-x, q-y]}
    assert out["log"] == [] and sorted(values_of(out["__interrupt__"])) == ["q-x", "q-y"]
    state = await app.aget_state(cfg())
    # LangGraph 1.2.24: next ('ask', 'ask'), two PUSH tasks
    assert state.next == ("ask", "ask") and [t.path[0] for t in state.tasks] == ["__pregel_push"] * 2
    ids = {i.value: i.id for i in state.interrupts}
    # LangGraph 1.2.24: {'items': ['x', 'y'], 'log': ['x:X', 'y:Y']}
    assert await app.ainvoke(Command(resume={ids["q-x"]: "X", ids["q-y"]: "Y"}), cfg()) == {
        "items": ["x", "y"], "log": ["x:X", "y:Y"]}


class Note(TypedDict):
    log: Annotated[list[str], operator.add]
    note: str


def a_then_ask(saver: Any) -> Any:
    def ask(state: Note) -> dict[str, Any]:
        return {"log": [f"ask:{interrupt('q')}:{state.get('note')}"]}

    g = StateGraph(Note)
    g.add_node("a", lambda s: {"log": ["a"]})
    g.add_node("ask", ask)
    g.add_edge(START, "a")
    g.add_edge("a", "ask")
    g.add_edge("ask", END)
    return g.compile(checkpointer=saver)


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
async def test_interrupt_and_resume_under_each_durability(saver: Any, durability: str) -> None:
    app = a_then_ask(saver)
    out = await app.ainvoke({"log": []}, cfg(), durability=durability)
    # LangGraph 1.2.24: {'log': ['a'], '__interrupt__': [Interrupt('q')]}
    assert out["log"] == ["a"] and values_of(out["__interrupt__"]) == ["q"]
    # LangGraph 1.2.24: exit keeps only the step-1 checkpoint; sync (and async) all of them
    full = [(1, ("ask",)), (0, ("a",)), (-1, ("__start__",))]
    hist = [(s.metadata["step"], s.next) async for s in app.aget_state_history(cfg())]
    assert hist == ([(1, ("ask",))] if durability == "exit" else full)
    # LangGraph 1.2.24: {'log': ['a', 'ask:r:None']}, then a step-2 checkpoint with next ()
    assert await app.ainvoke(Command(resume="r"), cfg(), durability=durability) == {"log": ["a", "ask:r:None"]}
    hist = [(s.metadata["step"], s.next) async for s in app.aget_state_history(cfg())]
    assert hist == [(2, ())] + ([(1, ("ask",))] if durability == "exit" else full)


async def test_invoke_none_at_a_dynamic_interrupt_asks_again(saver: Any) -> None:
    app = a_then_ask(saver)
    first = await app.ainvoke({"log": []}, cfg())
    # LangGraph 1.2.24: invoke(None) without an answer: the node runs again and asks the same
    # question with the same id: {'log': ['a'], '__interrupt__': [Interrupt('q')]}
    again = await app.ainvoke(None, cfg())
    assert again == first
    assert await app.ainvoke(Command(resume="r"), cfg()) == {"log": ["a", "ask:r:None"]}


async def test_new_input_at_a_dynamic_interrupt_restarts(saver: Any) -> None:
    app = a_then_ask(saver)
    await app.ainvoke({"log": []}, cfg())
    out = await app.ainvoke({"log": ["new"]}, cfg())
    # LangGraph 1.2.24: {'log': ['a', 'new', 'a'], '__interrupt__': [Interrupt('q')]}
    assert out["log"] == ["a", "new", "a"] and values_of(out["__interrupt__"]) == ["q"]
    state = await app.aget_state(cfg())
    assert state.values == {"log": ["a", "new", "a"]} and state.next == ("ask",)
    assert values_of(state.interrupts) == ["q"]
    # LangGraph 1.2.24: {'log': ['a', 'new', 'a', 'ask:R:None']}
    assert await app.ainvoke(Command(resume="R"), cfg()) == {"log": ["a", "new", "a", "ask:R:None"]}


# LangGraph 1.2.24, a -> b compiled without a checkpointer: a breakpoint stops the run all the
# same and returns (or streams) the state it stopped at; there is nothing to resume from
NO_SAVER_BREAKPOINTS = [
    ({"interrupt_before": ["b"]}, {"log": ["a"]},
     [("values", {"log": []}), ("updates", {"a": {"log": ["a"]}}), ("values", {"log": ["a"]}),
      ("updates", {"__interrupt__": ()})]),
    ({"interrupt_after": ["a"]}, {"log": ["a"]},
     [("values", {"log": []}), ("updates", {"a": {"log": ["a"]}}), ("values", {"log": ["a"]}),
      ("updates", {"__interrupt__": ()})]),
    ({"interrupt_before": ["a"]}, {"log": []}, [("values", {"log": []}), ("updates", {"__interrupt__": ()})]),
]


def ab_no_saver(**compiled: Any) -> Any:
    return (StateGraph(Log).add_node("a", lambda s: {"log": ["a"]}).add_node("b", lambda s: {"log": ["b"]})
            .add_edge(START, "a").add_edge("a", "b").compile(**compiled))


@pytest.mark.parametrize(("kw", "result", "chunks"), NO_SAVER_BREAKPOINTS)
async def test_a_breakpoint_without_a_checkpointer_stops_the_run(kw: dict[str, Any], result: Any,
                                                                  chunks: list[Any]) -> None:
    app = ab_no_saver()
    assert await app.ainvoke({"log": []}, **kw) == result
    assert [c async for c in app.astream({"log": []}, stream_mode=["values", "updates"], **kw)] == chunks
    assert await ab_no_saver(**kw).ainvoke({"log": []}) == result  # (compiled in)
    assert await app.ainvoke({"log": []}) == {"log": ["a", "b"]}


@pytest.mark.parametrize(("kw", "result", "chunks"), NO_SAVER_BREAKPOINTS)
def test_a_breakpoint_without_a_checkpointer_stops_a_sync_run(kw: dict[str, Any], result: Any,
                                                              chunks: list[Any]) -> None:
    app = ab_no_saver()
    assert app.invoke({"log": []}, **kw) == result
    assert list(app.stream({"log": []}, stream_mode=["values", "updates"], **kw)) == chunks


class Par(TypedDict):
    x: Annotated[list[str], operator.add]


def parallel_questions(saver: Any) -> Any:
    def ask(name: str) -> Any:
        def node(s: Par) -> dict[str, Any]:
            return {"x": [f"{name}:{interrupt(name + '?')}"]}
        return node

    return (StateGraph(Par).add_node("a", lambda s: {"x": ["a"]}).add_node("h1", ask("h1"))
            .add_node("h2", ask("h2")).add_edge(START, "a").add_edge("a", "h1").add_edge("a", "h2")
            .compile(checkpointer=saver))


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_a_question_answered_by_a_finished_task_stays_in_the_history(kind: str, tmp_path: Any) -> None:
    # LangGraph 1.2.24: h1 and h2 ask in parallel; h1 is answered and finishes while h2 waits.
    # The live state shows only h2's question (h1 finished); a bare resume goes to h2; the
    # history keeps both questions in the step's record, with h1's result beside its question.
    from actorgraph.persistence import SqliteSaver

    async with contextlib.AsyncExitStack() as stack:
        saver = InMemorySaver() if kind == "memory" else await stack.enter_async_context(
            SqliteSaver.from_conn_string(str(tmp_path / "c.db")))
        app = parallel_questions(saver)
        config = cfg()
        await app.ainvoke({"x": ["in"]}, config)
        ids = {i.value: i.id for i in (await app.aget_state(config)).interrupts}
        out = await app.ainvoke(Command(resume={ids["h1?"]: "R1"}), config)
        assert out["x"] == ["in", "a", "h1:R1"] and values_of(out["__interrupt__"]) == ["h2?"]
        live = await app.aget_state(config)
        assert values_of(live.interrupts) == ["h2?"] and live.next == ("h2",)
        assert [(t.name, values_of(t.interrupts), t.result) for t in live.tasks] == [
            ("h1", [], {"x": ["h1:R1"]}), ("h2", ["h2?"], None)]
        assert (await app.ainvoke(Command(resume="R2"), config))["x"] == ["in", "a", "h1:R1", "h2:R2"]
        step1 = [s async for s in app.aget_state_history(config)][1]
        assert step1.metadata["step"] == 1 and step1.next == ("h1", "h2")
        assert values_of(step1.interrupts) == ["h1?", "h2?"]
        assert [(t.name, values_of(t.interrupts), t.result) for t in step1.tasks] == [
            ("h1", ["h1?"], {"x": ["h1:R1"]}), ("h2", ["h2?"], {"x": ["h2:R2"]})]
        assert step1.interrupts[0].id == ids["h1?"]
