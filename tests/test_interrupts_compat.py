"""Human-in-the-loop cases found by comparing with real LangGraph 1.2.24 (expected values from
it): output and state while a sibling finished, resuming one of two interrupts, errors that
leave the thread usable, values/updates stream shapes around a pause, breakpoints after every
step, editing at a dynamic interrupt, Command(resume=, update=), response_schema."""

from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict

import pytest

from actorgraph import END, START, Command, StateGraph, interrupt
from actorgraph.types import Interrupt
from test_interrupts import Log, a_then_ask, cfg, parallel_graph, sibling_graph, stream, values_of
from test_interrupts_breakpoints import abc, review_graph, steps

pytestmark = pytest.mark.anyio


# Scenario 7. actorgraph: the output has {'log': []} — the writes of siblings that finished in
# the interrupted step are kept as pending writes (get_state shows them) but not in the output.
async def test_invoke_output_includes_finished_siblings_writes(saver: Any) -> None:
    app = sibling_graph(saver, {"ask": 0, "sib": 0, "join": 0})
    out = await app.ainvoke({"log": []}, cfg())
    # LangGraph 1.2.24: {'log': ['sib'], '__interrupt__': [Interrupt(value='ok?', ...)]}
    assert out["log"] == ["sib"]


# Scenario 3 (resume only one of two). actorgraph: the output is {'log': [], ...}; get_state shows
# values {'log': []}, next ('a', 'b') and BOTH interrupts (a's answered interrupt stays pending:
# its old __interrupt__ pending write is never superseded, so a counts as unfinished); a bare
# Command(resume='B') then raises ResumeError (two pending); resuming b by id re-runs a, which
# asks q-a again (its answer 'A' is lost) and the thread can never finish.
async def test_resume_one_of_two_then_the_other(saver: Any) -> None:
    app = parallel_graph(saver)
    first = await app.ainvoke({"log": []}, cfg())
    ids = {i.value: i.id for i in first["__interrupt__"]}
    out = await app.ainvoke(Command(resume={ids["q-a"]: "A"}), cfg())
    # LangGraph 1.2.24: {'log': ['a:A'], '__interrupt__': [Interrupt(value='q-b', id=<same as before>)]}
    assert out == {"log": ["a:A"], "__interrupt__": [Interrupt(value="q-b", id=ids["q-b"])]}
    state = await app.aget_state(cfg())
    # LangGraph 1.2.24: values {'log': ['a:A']}, next ('b',), interrupts (q-b,);
    # tasks: a (no interrupts, result {'log': ['a:A']}), b (q-b, no result)
    assert state.values == {"log": ["a:A"]} and state.next == ("b",)
    assert state.interrupts == (Interrupt(value="q-b", id=ids["q-b"]),)
    assert [(t.name, t.interrupts, t.result) for t in state.tasks] == [
        ("a", (), {"log": ["a:A"]}), ("b", (Interrupt(value="q-b", id=ids["q-b"]),), None)]
    # LangGraph 1.2.24: a bare value now answers the one pending interrupt
    assert await app.ainvoke(Command(resume="B"), cfg()) == {"log": ["a:A", "b:B", "after"]}


# Scenarios 3 and 9. actorgraph: a ResumeError raised while starting the run (Run.begin) leaves
# the thread claimed, so every later run on it (same saver, same process) raises ThreadBusyError.
async def test_thread_usable_after_a_resume_error(saver: Any) -> None:
    app = parallel_graph(saver)
    out = await app.ainvoke({"log": []}, cfg())
    with pytest.raises(RuntimeError, match="multiple pending interrupts"):
        await app.ainvoke(Command(resume="x"), cfg())
    ids = {i.value: i.id for i in out["__interrupt__"]}
    # LangGraph 1.2.24: {'log': ['a:A', 'b:B', 'after']}
    assert await app.ainvoke(Command(resume={ids["q-a"]: "A", ids["q-b"]: "B"}), cfg()) == {
        "log": ["a:A", "b:B", "after"]}


# Scenario 3, values stream. actorgraph: one values chunk with both interrupts
# ({'log': [], '__interrupt__': (q-a, q-b)}).
async def test_values_stream_one_chunk_per_interrupted_task(saver: Any) -> None:
    chunks = await stream(parallel_graph(saver), {"log": []}, cfg(), "values")
    # LangGraph 1.2.24: [{'log': []}, {'log': [], '__interrupt__': (q-a,)}, {'log': [], '__interrupt__': (q-b,)}]
    # (the two interrupt chunks in completion order)
    assert chunks[0] == {"log": []} and len(chunks) == 3
    assert sorted(values_of(c["__interrupt__"]) for c in chunks[1:]) == [["q-a"], ["q-b"]]
    assert all(c["log"] == [] for c in chunks[1:])


# Scenario 7, updates stream. actorgraph: [{'ask': {'log': ['ask:yes']}}, {'join': {'log': ['join']}}]
# — the finished sibling's saved update is not streamed again.
async def test_resume_stream_replays_finished_sibling_update(saver: Any) -> None:
    app = sibling_graph(saver, {"ask": 0, "sib": 0, "join": 0})
    await app.ainvoke({"log": []}, cfg())
    # LangGraph 1.2.24
    assert await stream(app, Command(resume="yes"), cfg()) == [
        {"sib": {"log": ["sib"]}, "__metadata__": {"cached": True}},
        {"ask": {"log": ["ask:yes"]}}, {"join": {"log": ["join"]}}]


# Scenario 6. actorgraph: after invoke(None) from the stop after 'a', the run goes to the end
# ({'log': ['a', 'b', 'c']}, next ()): the "don't stop at the breakpoint we resumed from" flag is
# consumed by the interrupt_after check of the next step, so the breakpoint after 'b' is skipped.
async def test_interrupt_after_star_stops_after_every_step(saver: Any) -> None:
    app = abc(saver, interrupt_after="*")
    seen = [(await app.ainvoke({"log": []}, cfg()), (await app.aget_state(cfg())).next)]
    for _ in range(3):
        seen.append((await app.ainvoke(None, cfg()), (await app.aget_state(cfg())).next))
    # LangGraph 1.2.24
    assert seen == [({"log": ["a"]}, ("b",)), ({"log": ["a", "b"]}, ("c",)),
                    ({"log": ["a", "b", "c"]}, ()), ({"log": ["a", "b", "c"]}, ())]


# Scenario 6 with a dynamic interrupt. actorgraph: Command(resume='y') runs to the end
# ({'log': ['a', 'ask:y', 'c']}, next ()) — the interrupt_after=['ask'] breakpoint is skipped.
async def test_interrupt_after_a_node_that_interrupted(saver: Any) -> None:
    def ask(state: Log) -> dict[str, Any]:
        return {"log": [f"ask:{interrupt('q')}"]}

    g = StateGraph(Log)
    g.add_node("a", lambda s: {"log": ["a"]})
    g.add_node("ask", ask)
    g.add_node("c", lambda s: {"log": ["c"]})
    g.add_edge(START, "a")
    g.add_edge("a", "ask")
    g.add_edge("ask", "c")
    g.add_edge("c", END)
    app = g.compile(checkpointer=saver, interrupt_after=["a", "ask"])
    # LangGraph 1.2.24: {'log': ['a']} next ('ask',); then invoke(None): the dynamic interrupt
    assert await app.ainvoke({"log": []}, cfg()) == {"log": ["a"]}
    out = await app.ainvoke(None, cfg())
    assert out["log"] == ["a"] and values_of(out["__interrupt__"]) == ["q"]
    # LangGraph 1.2.24: {'log': ['a', 'ask:y']}, next ('c',) — stopped after ask
    assert await app.ainvoke(Command(resume="y"), cfg()) == {"log": ["a", "ask:y"]}
    assert (await app.aget_state(cfg())).next == ("c",)
    assert await app.ainvoke(None, cfg()) == {"log": ["a", "ask:y", "c"]}


# Scenario 2 (dynamic). actorgraph: after aupdate_state the new 'update' checkpoint has no
# pending interrupt, so Command(resume='yes') is ignored: review re-runs and asks again
# ({'text': 'edited', 'log': ['draft'], '__interrupt__': [Interrupt({'question': 'ok?',
# 'text': 'edited'})]}); the same with as_node='draft'.
async def test_edit_at_dynamic_interrupt_then_command_resume(saver: Any) -> None:
    calls: list[str] = []
    app = review_graph(saver, calls)
    await app.ainvoke({"text": "", "log": []}, cfg())
    await app.aupdate_state(cfg(), {"text": "edited"})
    # LangGraph 1.2.24: the resume value answers the re-run review (which sees the edit)
    assert await app.ainvoke(Command(resume="yes"), cfg()) == {"text": "edited", "log": ["draft", "review:edited:yes"]}
    assert calls == ["draft", "edited"]
    assert await steps(app, cfg()) == [
        (3, "loop", ()), (2, "update", ("review",)), (1, "loop", ("review",)), (0, "loop", ("draft",)),
        (-1, "input", ("__start__",))]


# Command(resume=..., update=...). actorgraph: returns {'log': ['a'], 'note': 'n'} without running
# 'ask' (applying the update clears ask's trigger) and saves nothing: get_state still shows
# {'log': ['a']}, next ('ask',).
async def test_command_resume_with_update(saver: Any) -> None:
    app = a_then_ask(saver)
    await app.ainvoke({"log": []}, cfg())
    # LangGraph 1.2.24: {'log': ['a', 'ask:r:n'], 'note': 'n'}; then next (), step-2 checkpoint
    assert await app.ainvoke(Command(resume="r", update={"note": "n"}), cfg()) == {
        "log": ["a", "ask:r:n"], "note": "n"}
    state = await app.aget_state(cfg())
    assert state.values == {"log": ["a", "ask:r:n"], "note": "n"} and state.next == ()
    assert [(s.metadata["step"], s.next) async for s in app.aget_state_history(cfg())] == [
        (2, ()), (1, ("ask",)), (0, ("a",)), (-1, ("__start__",))]


# Command(update=...) without resume at a dynamic interrupt. actorgraph: {'log': ['a'], 'note': 'n'}
# with no '__interrupt__' ('ask' does not run at all).
async def test_command_update_without_resume_at_interrupt(saver: Any) -> None:
    app = a_then_ask(saver)
    await app.ainvoke({"log": []}, cfg())
    out = await app.ainvoke(Command(update={"note": "n"}), cfg())
    # LangGraph 1.2.24: {'log': ['a'], 'note': 'n', '__interrupt__': [Interrupt('q')]}
    assert {k: v for k, v in out.items() if k != "__interrupt__"} == {"log": ["a"], "note": "n"}
    assert values_of(out.get("__interrupt__", [])) == ["q"]


# interrupt(value, *, response_schema=None). actorgraph: interrupt() takes no response_schema
# (TypeError) and Interrupt has no response_schema field.
async def test_interrupt_response_schema(saver: Any) -> None:
    def ask(state: Log) -> dict[str, Any]:
        return {"log": [str(interrupt("q", response_schema={"type": "string"}))]}

    g = StateGraph(Log)
    g.add_node("ask", ask)
    g.add_edge(START, "ask")
    g.add_edge("ask", END)
    out = await g.compile(checkpointer=saver).ainvoke({"log": []}, cfg())
    # LangGraph 1.2.24: [Interrupt(value='q', id=..., response_schema={'type': 'string'})]
    (i,) = out["__interrupt__"]
    assert (i.value, i.response_schema) == ("q", {"type": "string"})



# LangGraph's deprecated NodeInterrupt (actorgraph.errors had none: a port by imports failed).
# Expected values: LangGraph 1.2.24 running the same program.
def _node_interrupt_graph(saver: Any) -> Any:
    from typing import TypedDict

    from actorgraph.errors import NodeInterrupt

    class S(TypedDict):
        x: int

    def a(s: S) -> dict[str, int]:
        if s["x"] < 5:
            raise NodeInterrupt({"need": "more"})
        return {"x": s["x"] * 10}

    return StateGraph(S).add_node("a", a).add_edge(START, "a").add_edge("a", END).compile(checkpointer=saver)


async def test_node_interrupt_pauses_and_the_node_runs_again(saver: Any) -> None:
    app = _node_interrupt_graph(saver)
    asked = Interrupt(value={"need": "more"}, id="placeholder-id")
    with pytest.warns(DeprecationWarning, match="NodeInterrupt is deprecated"):
        out = await app.ainvoke({"x": 1}, cfg())
    # LangGraph 1.2.24: {'x': 1, '__interrupt__': [Interrupt(value={'need': 'more'}, id='placeholder-id')]}
    assert out == {"x": 1, "__interrupt__": [asked]}
    state = await app.aget_state(cfg())
    assert state.next == ("a",) and state.interrupts == (asked,)
    assert [(t.name, t.interrupts) for t in state.tasks] == [("a", (asked,))]
    # resumed unchanged, the node raises again: [{'__interrupt__': (Interrupt(...),)}]
    with pytest.warns(DeprecationWarning):
        assert await stream(app, None, cfg()) == [{"__interrupt__": (asked,)}]
    await app.aupdate_state(cfg(), {"x": 7})
    assert await app.ainvoke(None, cfg()) == {"x": 70}


async def test_node_interrupt_without_a_checkpointer() -> None:
    app = _node_interrupt_graph(None)
    with pytest.warns(DeprecationWarning):
        out = await app.ainvoke({"x": 1})
    assert out == {"x": 1, "__interrupt__": [Interrupt(value={"need": "more"}, id="placeholder-id")]}


# Interrupt(value, id="placeholder-id", *, response_schema=None). actorgraph: every field was
# keyword-only and the id required (Interrupt("q") raised TypeError).
def test_interrupt_is_built_as_langgraphs() -> None:
    # LangGraph 1.2.24: Interrupt(value='x', id='placeholder-id', response_schema=None)
    assert repr(Interrupt("x")) == "Interrupt(value='x', id='placeholder-id', response_schema=None)"
    assert Interrupt(1, "abc") == Interrupt(value=1, id="abc")
    assert Interrupt(value="v").id == "placeholder-id"
    assert Interrupt("q", "i", response_schema={"type": "string"}).response_schema == {"type": "string"}
    # LangGraph 1.2.24: Interrupt is generic in the answer's type (Interrupt[int] works)
    assert Interrupt[int]("x") == Interrupt("x")


def sibling_and_asker(saver: Any) -> Any:
    """START -> x (finishes) and z (asks twice), in one step."""
    def x(state: Log) -> dict[str, Any]:
        return {"log": ["x"]}

    def z(state: Log) -> dict[str, Any]:
        return {"log": [f"z:{interrupt('zq')}:{interrupt('zq2')}"]}

    return (StateGraph(Log).add_node("x", x).add_node("z", z).add_edge(START, "x").add_edge(START, "z")
            .compile(checkpointer=saver))


def shown(chunks: list[Any]) -> list[Any]:
    """(mode, chunk) pairs with each interrupt as its value."""
    return [(mode, {k: values_of(v) if k == "__interrupt__" else v for k, v in chunk.items()})
            for mode, chunk in chunks]


# A pause beside a sibling that finished. actorgraph: one values chunk, the question with the
# sibling's writes applied ({'log': ['x'], '__interrupt__': ...}).
async def test_values_at_a_pause_show_the_step_start_then_the_finished_writes(saver: Any) -> None:
    app = sibling_and_asker(saver)
    # LangGraph 1.2.24: the question (as z asks it, so before or after x's update: the two run
    # at once) with the state the step started from, then (the root) one last values chunk
    # with the finished sibling's writes
    def in_order(chunks: list[Any], x_update: Any, question: str) -> bool:
        asked = [("updates", {"__interrupt__": [question]}), ("values", {"log": [], "__interrupt__": [question]})]
        middle = chunks[1:-1]
        return (chunks[0] == ("values", {"log": []}) and chunks[-1] == ("values", {"log": ["x"]})
                and middle in ([x_update, *asked], [*asked, x_update]))

    assert in_order(shown(await stream(app, {"log": []}, cfg(), ["values", "updates"])),
                    ("updates", {"x": {"log": ["x"]}}), "zq")
    assert in_order(shown(await stream(app, Command(resume="A"), cfg(), ["values", "updates"])),
                    ("updates", {"x": {"log": ["x"]}, "__metadata__": {"cached": True}}), "zq2")
    assert await app.ainvoke(Command(resume="B"), cfg()) == {"log": ["x", "z:A:B"]}


# In a subgraph: its question with its step's starting state and no last chunk of its own; the
# root's own finished sibling then shows. actorgraph: both with the finished writes applied.
async def test_values_at_a_subgraph_pause(saver: Any) -> None:
    def x(state: Log) -> dict[str, Any]:
        return {"log": ["x"]}

    def y(state: Log) -> dict[str, Any]:
        return {"log": [f"y:{interrupt('yq')}"]}

    sub = StateGraph(Log).add_node("x", x).add_node("y", y).add_edge(START, "x").add_edge(START, "y").compile()
    app = (StateGraph(Log).add_node("sub", sub).add_node("p", x).add_edge(START, "sub").add_edge(START, "p")
           .compile(checkpointer=saver))
    values = [(ns[0].split(":")[0] if ns else "", shown([(mode, chunk)])[0][1])
              async for ns, mode, chunk in app.astream({"log": []}, cfg(), stream_mode=["values", "updates"],
                                                       subgraphs=True)
              if mode == "values"]
    # LangGraph 1.2.24
    assert values == [
        ("", {"log": []}),
        ("sub", {"log": []}),
        ("sub", {"log": [], "__interrupt__": ["yq"]}),
        ("", {"log": [], "__interrupt__": ["yq"]}),
        ("", {"log": ["x"]})]


class Decision(TypedDict):
    approve: bool


@pytest.mark.parametrize("schema, good, bad, shown, got", [
    (int, "5", "five", {"type": "integer"}, 5),
    (Decision, {"approve": "yes"}, {"approve": "nope"},
     {"properties": {"approve": {"title": "Approve", "type": "boolean"}}, "required": ["approve"],
      "title": "Decision", "type": "object"}, {"approve": True}),
])
async def test_interrupt_response_schema_validates_the_answer(saver: Any, schema: Any, good: Any, bad: Any,
                                                              shown: Any, got: Any) -> None:
    from pydantic import ValidationError

    from actorgraph.errors import is_invalid_resume

    seen: list[Any] = []

    def ask(state: Log) -> dict[str, Any]:
        seen.append(interrupt("q", response_schema=schema))
        return {"log": ["answered"]}

    app = StateGraph(Log).add_node("ask", ask).add_edge(START, "ask").compile(checkpointer=saver)
    out = await app.ainvoke({"log": []}, cfg())
    # LangGraph 1.2.24: the question shows the schema as JSON Schema (a class is not stored)
    (question,) = out["__interrupt__"]
    assert question.response_schema == shown
    # LangGraph 1.2.24: an answer the schema refuses raises pydantic's ValidationError; nothing
    # is saved (no new checkpoint), the question is still pending, the task shows the error
    with pytest.raises(ValidationError) as caught:
        await app.ainvoke(Command(resume=bad), cfg())
    assert is_invalid_resume(caught.value)
    state = await app.aget_state(cfg())
    assert (state.next, state.interrupts) == (("ask",), (question,))
    assert "validation error" in (state.tasks[0].error or "")
    assert len([s async for s in app.aget_state_history(cfg())]) == 2
    # LangGraph 1.2.24: a valid answer, validated, is what interrupt() returns
    assert await app.ainvoke(Command(resume=good), cfg()) == {"log": ["answered"]}
    assert seen == [got]


# NodeInterrupt (deprecated in LangGraph 1.x, still there). actorgraph: no such name (ImportError).
async def test_node_interrupt_pauses_the_run(saver: Any) -> None:
    from actorgraph.errors import NodeInterrupt

    runs = [0]

    def a(state: Log) -> dict[str, Any]:
        runs[0] += 1
        if runs[0] == 1:
            raise NodeInterrupt("stop here")
        return {"log": ["a"]}

    app = StateGraph(Log).add_node("a", a).add_edge(START, "a").compile(checkpointer=saver)
    with pytest.warns(DeprecationWarning, match="NodeInterrupt is deprecated"):
        out = await app.ainvoke({"log": []}, cfg())
    # LangGraph 1.2.24: {'log': [], '__interrupt__': [Interrupt(value='stop here', id='placeholder-id')]}
    assert out == {"log": [], "__interrupt__": [Interrupt(value="stop here", id="placeholder-id")]}
    state = await app.aget_state(cfg())
    assert (state.next, state.interrupts) == (("a",), (Interrupt("stop here"),))
    assert await app.ainvoke(None, cfg()) == {"log": ["a"]}
    with pytest.warns(DeprecationWarning):
        assert NodeInterrupt("v", id="my-id").interrupts == (Interrupt("v", "my-id"),)


# The question streams as its task asks it. actorgraph: at the step's end, after every sibling's
# update (the slow sibling's came first).
async def test_a_question_streams_when_asked_before_a_slow_siblings_update(saver: Any) -> None:
    import anyio

    async def slow(state: Log) -> dict[str, Any]:
        await anyio.sleep(0.2)  # (ask asks long before)
        return {"log": ["slow"]}

    async def ask(state: Log) -> dict[str, Any]:
        return {"log": [interrupt("q")]}

    app = (StateGraph(Log).add_node("slow", slow).add_node("ask", ask).add_edge(START, "slow").add_edge(START, "ask")
           .compile(checkpointer=saver))
    chunks = await stream(app, {"log": []}, cfg(), ["updates", "values", "tasks"])
    (question,) = chunks[3][1]["__interrupt__"]
    ids = {c["name"]: c["id"] for m, c in chunks if m == "tasks" and "input" in c}
    # LangGraph 1.2.24
    assert chunks == [
        ("values", {"log": []}),
        ("tasks", {"id": ids["ask"], "name": "ask", "input": {"log": []}, "triggers": ("branch:to:ask",)}),
        ("tasks", {"id": ids["slow"], "name": "slow", "input": {"log": []}, "triggers": ("branch:to:slow",)}),
        ("updates", {"__interrupt__": (question,)}),
        ("values", {"log": [], "__interrupt__": (question,)}),
        ("tasks", {"id": ids["ask"], "name": "ask", "error": None, "result": {},
                   "interrupts": [{"value": "q", "id": question.id, "response_schema": None}]}),
        ("updates", {"slow": {"log": ["slow"]}}),
        ("tasks", {"id": ids["slow"], "name": "slow", "error": None, "result": {"log": ["slow"]}, "interrupts": []}),
        ("values", {"log": ["slow"]}),
    ]


# A node retried (RetryPolicy) after it took answers. actorgraph: the retry's interrupt() calls
# went on counting from the first attempt's, so it asked again under a new id (the answers it
# had were never reused) and the thread paused instead of finishing.
async def test_a_retried_node_reuses_its_answers(saver: Any) -> None:
    from actorgraph import RetryPolicy

    seen: list[tuple[Any, Any]] = []

    def ask(state: Log) -> dict[str, Any]:
        a, b = interrupt("q1"), interrupt("q2")
        seen.append((a, b))
        if len(seen) == 1:
            raise ValueError("flaky")
        return {"log": [f"{a}{b}"]}

    policy = RetryPolicy(max_attempts=2, initial_interval=0.01, retry_on=ValueError)
    app = StateGraph(Log).add_node("ask", ask, retry_policy=policy).add_edge(START, "ask").compile(checkpointer=saver)
    assert values_of((await app.ainvoke({"log": []}, cfg()))["__interrupt__"]) == ["q1"]
    assert values_of((await app.ainvoke(Command(resume="A"), cfg()))["__interrupt__"]) == ["q2"]
    # LangGraph 1.2.24: {'log': ['AB']} [('A', 'B'), ('A', 'B')]
    assert await app.ainvoke(Command(resume="B"), cfg()) == {"log": ["AB"]}
    assert seen == [("A", "B"), ("A", "B")]


# update_state(None, as_node=END) at a pause clears the interrupted task but keeps what a
# sibling of the same step finished: actorgraph dropped the sibling's writes with the task.
async def test_clearing_a_pause_as_end_keeps_finished_siblings_writes(saver: Any) -> None:
    calls = {"ask": 0, "sib": 0, "join": 0}
    app = sibling_graph(saver, calls)
    await app.ainvoke({"log": []}, cfg())
    await app.aupdate_state(cfg(), None, as_node=END)
    state = await app.aget_state(cfg())
    # LangGraph 1.2.24: values {'log': ['sib']}, next (), tasks (), source 'update', step 1
    assert (state.values, state.next, state.tasks) == ({"log": ["sib"]}, (), ())
    assert (state.metadata["source"], state.metadata["step"]) == ("update", 1)
    assert await app.ainvoke(None, cfg()) == {"log": ["sib"]}
    assert calls == {"ask": 1, "sib": 1, "join": 0}


def test_a_response_schema_type_without_pydantic_names_what_to_install() -> None:
    # (pydantic comes with langchain-core, not with actorgraph's core): a clear ImportError
    import subprocess
    import sys

    code = """
import sys
sys.modules["pydantic"] = None
from typing import TypedDict
from actorgraph import END, START, StateGraph, interrupt
class S(TypedDict):
    x: int
def ask(s):
    return {"x": interrupt("how many?", response_schema=int)}
app = StateGraph(S).add_node("ask", ask).add_edge(START, "ask").add_edge("ask", END).compile()
try:
    app.invoke({"x": 0})
except ImportError as exc:
    print(exc)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("interrupt(response_schema=<class 'int'>) validates answers with pydantic: "
                                   "pip install pydantic (or pass a JSON Schema dict, which is shown, not checked)")
