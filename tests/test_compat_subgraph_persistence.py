"""LangGraph compatibility of subgraphs' checkpoints (issue 10): what the state API shows of a
subgraph's namespace (item 10), breakpoints compiled into a subgraph (item 8), a subgraph's own
``checkpointer=True | False | saver`` (item 7), and time travel from a subgraph checkpoint
(item 9). On asyncio and trio, memory and SQLite savers.

Expected values were produced by running the same graphs with LangGraph 1.2.24
(langgraph-checkpoint 4.3.2, langgraph-checkpoint-sqlite 3.1.2).
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, Command, StateGraph, interrupt
from actorgraph.persistence import BaseCheckpointSaver

pytestmark = pytest.mark.anyio

CFG: dict[str, Any] = {"configurable": {"thread_id": "1"}}


class S(TypedDict):
    value: Annotated[list[str], operator.add]


def pre(s: S) -> dict[str, Any]:
    return {"value": ["pre"]}


def ask(s: S) -> dict[str, Any]:
    return {"value": [f"a:{interrupt('Q?')}"]}


def asking_subgraph() -> Any:
    """pre -> ask (interrupts)"""
    return (StateGraph(S).add_node("pre", pre).add_node("ask", ask)
            .add_edge(START, "pre").add_edge("pre", "ask").compile())


def rows(history: list[Any]) -> list[tuple[Any, ...]]:
    return [(s.metadata["source"], s.metadata["step"], s.next, s.values) for s in history]


async def history_of(app: Any, config: dict[str, Any], **kwargs: Any) -> list[Any]:
    return [s async for s in app.aget_state_history(config, **kwargs)]


# -- item 10: the state API addresses one namespace ---------------------------------------------


async def test_parent_history_lists_only_the_parent_checkpoints(saver: BaseCheckpointSaver) -> None:
    def only_ask(s: S) -> dict[str, Any]:
        return {"value": [f"a:{interrupt('Q?')}"]}

    sub = StateGraph(S).add_node("ask", only_ask).add_edge(START, "ask").compile()
    app = StateGraph(S).add_node("executor", sub).add_edge(START, "executor").compile(checkpointer=saver)
    await app.ainvoke({"value": []}, CFG)
    await app.ainvoke(Command(resume="first"), CFG)
    history = await history_of(app, CFG)
    assert rows(history) == [
        ("loop", 1, (), {"value": ["a:first"]}),
        ("loop", 0, ("executor",), {"value": []}),
        ("input", -1, ("__start__",), {"value": []}),
    ]
    assert {s.config["configurable"]["checkpoint_ns"] for s in history} == {""}
    assert len(await history_of(app, CFG, limit=2)) == 2


async def test_a_subgraph_namespace_is_read_with_the_subgraph(saver: BaseCheckpointSaver) -> None:
    app = StateGraph(S).add_node("executor", asking_subgraph()).add_edge(START, "executor").compile(
        checkpointer=saver)
    await app.ainvoke({"value": []}, CFG)
    parent = await app.aget_state(CFG, subgraphs=True)
    sub_cfg = parent.tasks[0].state.config
    ns = sub_cfg["configurable"]["checkpoint_ns"]
    root_id = parent.config["configurable"]["checkpoint_id"]

    state = await app.aget_state(sub_cfg)
    assert (state.values, state.next) == ({"value": ["pre"]}, ("ask",))
    assert [t.name for t in state.tasks] == ["ask"]
    history = await history_of(app, {"configurable": {"thread_id": "1", "checkpoint_ns": ns}})
    assert rows(history) == [
        ("loop", 1, ("ask",), {"value": ["pre"]}),
        ("loop", 0, ("pre",), {"value": []}),
        ("input", -1, ("__start__",), {"value": []}),
    ]
    # a subgraph checkpoint's config (and its parent's) carry the checkpoint_map
    for snap in history:
        own = snap.config["configurable"]["checkpoint_id"]
        assert snap.config == {"configurable": {"thread_id": "1", "checkpoint_ns": ns, "checkpoint_id": own,
                                                "checkpoint_map": {"": root_id, ns: own}}}
        assert snap.metadata["parents"] == {"": root_id}
    for newer, older in zip(history, history[1:]):
        assert newer.parent_config == older.config
    assert sub_cfg == history[0].config
    assert parent.config == {"configurable": {"thread_id": "1", "checkpoint_ns": "",
                                              "checkpoint_id": root_id}}  # the root's has no map

    await app.ainvoke(Command(resume="first"), CFG)
    history = await history_of(app, {"configurable": {"thread_id": "1", "checkpoint_ns": ns}})
    assert rows(history)[0] == ("loop", 2, (), {"value": ["pre", "a:first"]})
    assert len(history) == 4

    # a namespace no subgraph has is read as the graph's own (and has nothing)
    nowhere = {"configurable": {"thread_id": "1", "checkpoint_ns": "nope:123"}}
    assert await history_of(app, nowhere) == []
    assert (await app.aget_state(nowhere)).values == {}


async def test_a_subgraph_called_by_a_function_node_is_found(saver: BaseCheckpointSaver) -> None:
    sub = asking_subgraph()

    async def caller(s: S) -> dict[str, Any]:
        out = await sub.ainvoke({"value": ["in"]})
        return {"value": out["value"]}

    app = StateGraph(S).add_node("caller", caller).add_edge(START, "caller").compile(checkpointer=saver)
    await app.ainvoke({"value": []}, CFG)
    paused = (await app.aget_state(CFG)).tasks[0].state
    assert list(paused["configurable"]) == ["thread_id", "checkpoint_ns"]
    inner = (await app.aget_state(CFG, subgraphs=True)).tasks[0].state
    assert (inner.values, inner.next) == ({"value": ["in", "pre"]}, ("ask",))
    assert rows(await history_of(app, paused)) == [
        ("loop", 1, ("ask",), {"value": ["in", "pre"]}),
        ("loop", 0, ("pre",), {"value": ["in"]}),
        ("input", -1, ("__start__",), {"value": []}),
    ]


# -- item 8: breakpoints compiled into a subgraph ----------------------------------------------


class K(TypedDict):
    my_key: str


def breakpoint_graph(saver: BaseCheckpointSaver | None, **breakpoint: list[str]) -> Any:
    """child (c1 -> c2, compiled with ``breakpoint``) -> after"""
    child = (StateGraph(K).add_node("c1", lambda s: {"my_key": s["my_key"] + " c1"})
             .add_node("c2", lambda s: {"my_key": s["my_key"] + " c2"})
             .add_edge(START, "c1").add_edge("c1", "c2").compile(**breakpoint))
    return (StateGraph(K).add_node("child", child).add_node("after", lambda s: {"my_key": s["my_key"] + " after"})
            .add_edge(START, "child").add_edge("child", "after").compile(checkpointer=saver))


def named(chunks: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Stream chunks with each namespace segment's task id left out."""
    return [(tuple(part.split(":")[0] for part in ns), *rest) for ns, *rest in chunks]


BREAKPOINTS = [{"interrupt_before": ["c2"]}, {"interrupt_after": ["c1"]}]


@pytest.mark.parametrize("breakpoint", BREAKPOINTS, ids=["before", "after"])
async def test_a_subgraph_breakpoint_pauses_the_run(saver: BaseCheckpointSaver,
                                                    breakpoint: dict[str, list[str]]) -> None:
    app = breakpoint_graph(saver, **breakpoint)
    chunks = [c async for c in app.astream({"my_key": "x"}, CFG, stream_mode=["updates", "values"], subgraphs=True)]
    assert named(chunks) == [
        ((), "values", {"my_key": "x"}),
        (("child",), "values", {"my_key": "x"}),
        (("child",), "updates", {"c1": {"my_key": "x c1"}}),
        (("child",), "values", {"my_key": "x c1"}),
        ((), "updates", {"__interrupt__": ()}),
    ]
    state = await app.aget_state(CFG)
    assert (state.values, state.next, state.interrupts) == ({"my_key": "x"}, ("child",), ())
    (task,) = state.tasks
    assert task.interrupts == ()
    assert task.state == {"configurable": {"thread_id": "1", "checkpoint_ns": f"child:{task.id}"}}
    inner = (await app.aget_state(CFG, subgraphs=True)).tasks[0].state
    assert (inner.values, inner.next, inner.interrupts) == ({"my_key": "x c1"}, ("c2",), ())
    history = await history_of(app, CFG)
    assert rows(history) == [
        ("loop", 0, ("child",), {"my_key": "x"}),
        ("input", -1, ("__start__",), {}),
    ]
    assert history[0].tasks[0].state == task.state  # every subgraph task shows where it keeps state

    chunks = [c async for c in app.astream(None, CFG, stream_mode=["updates", "values"], subgraphs=True)]
    assert named(chunks) == [
        ((), "values", {"my_key": "x"}),
        (("child",), "values", {"my_key": "x c1"}),
        (("child",), "updates", {"c2": {"my_key": "x c1 c2"}}),
        (("child",), "values", {"my_key": "x c1 c2"}),
        ((), "updates", {"child": {"my_key": "x c1 c2"}}),
        ((), "values", {"my_key": "x c1 c2"}),
        ((), "updates", {"after": {"my_key": "x c1 c2 after"}}),
        ((), "values", {"my_key": "x c1 c2 after"}),
    ]


@pytest.mark.parametrize("breakpoint", BREAKPOINTS, ids=["before", "after"])
async def test_a_subgraph_breakpoint_invoke_and_resume(saver: BaseCheckpointSaver,
                                                       breakpoint: dict[str, list[str]]) -> None:
    app = breakpoint_graph(saver, **breakpoint)
    assert await app.ainvoke({"my_key": "x"}, CFG) == {"my_key": "x"}  # no __interrupt__ key
    assert (await app.aget_state(CFG)).next == ("child",)
    assert await app.ainvoke(None, CFG) == {"my_key": "x c1 c2 after"}
    assert (await app.aget_state(CFG)).next == ()


@pytest.mark.parametrize("breakpoint", BREAKPOINTS, ids=["before", "after"])
async def test_a_subgraph_breakpoint_without_a_checkpointer_stops_the_run(breakpoint: dict[str, list[str]]) -> None:
    app = breakpoint_graph(None, **breakpoint)
    assert await app.ainvoke({"my_key": "x"}) == {"my_key": "x"}


# -- item 7: a subgraph's own checkpointer= inside a parent -------------------------------------


class Parent(TypedDict):
    results: Annotated[list[str], operator.add]


def recording_step(seen: list[list[str]]) -> Any:
    def step(s: S) -> dict[str, Any]:
        seen.append(list(s["value"]))
        return {"value": ["s"]}

    return step


def counting_subgraph(seen: list[list[str]], checkpointer: Any) -> Any:
    return StateGraph(S).add_node("step", recording_step(seen)).add_edge(START, "step").compile(
        checkpointer=checkpointer)


async def namespaces(saver: BaseCheckpointSaver, thread: str = "1") -> dict[str, list[tuple[str, int]]]:
    """namespace -> (source, step) of its checkpoints, newest first"""
    out: dict[str, list[tuple[str, int]]] = {}
    async for t in saver.alist({"configurable": {"thread_id": thread}}):
        out.setdefault(t.config["configurable"]["checkpoint_ns"], []).append(
            (t.metadata["source"], t.metadata["step"]))
    return out


async def test_checkpointer_true_keeps_the_subgraph_state_on_the_thread(saver: BaseCheckpointSaver) -> None:
    seen: list[list[str]] = []
    app = (StateGraph(Parent).add_node("sub", counting_subgraph(seen, True)).add_edge(START, "sub")
           .compile(checkpointer=saver))
    assert await app.ainvoke({"results": []}, CFG) == {"results": []}
    assert await app.ainvoke({"results": []}, CFG) == {"results": []}
    assert seen == [[], ["s"]]  # the second run continued the subgraph's state
    spaces = await namespaces(saver)
    assert sorted(spaces) == ["", "sub"]  # one namespace, without the task id
    assert spaces["sub"] == [("loop", 4), ("loop", 3), ("input", 2), ("loop", 1), ("loop", 0), ("input", -1)]

    sub_history = await history_of(app, {"configurable": {"thread_id": "1", "checkpoint_ns": "sub"}})
    assert rows(sub_history) == [
        ("loop", 4, (), {"value": ["s", "s"]}),
        ("loop", 3, ("step",), {"value": ["s"]}),
        ("input", 2, ("__start__",), {"value": ["s"]}),
        ("loop", 1, (), {"value": ["s"]}),
        ("loop", 0, ("step",), {"value": []}),
        ("input", -1, ("__start__",), {"value": []}),
    ]
    root = {s.metadata["step"]: s.config["configurable"]["checkpoint_id"] for s in await history_of(app, CFG)}
    # each run of the subgraph is parented at the root checkpoint its step started from
    assert [s.metadata["parents"] for s in sub_history] == [{"": root[3]}] * 3 + [{"": root[0]}] * 3
    assert sub_history[0].config["configurable"]["checkpoint_map"] == {
        "": root[3], "sub": sub_history[0].config["configurable"]["checkpoint_id"]}

    # under a parent without a checkpointer, nothing is kept: it starts fresh each run
    seen.clear()
    app = StateGraph(S).add_node("sub", counting_subgraph(seen, True)).add_edge(START, "sub").compile()
    assert await app.ainvoke({"value": []}) == {"value": ["s"]}
    assert await app.ainvoke({"value": []}) == {"value": ["s"]}
    assert seen == [[], []]


async def test_checkpointer_true_interrupt_and_next_run(saver: BaseCheckpointSaver) -> None:
    seen: list[tuple[list[str], str, list[str]]] = []

    def step(s: S, config: dict[str, Any]) -> dict[str, Any]:
        seen.append((list(s["value"]), config["configurable"]["checkpoint_ns"].split(":")[0],
                     sorted(config["configurable"]["checkpoint_map"])))
        return {"value": ["s"]}

    sub = (StateGraph(S).add_node("step", step).add_node("ask", lambda s: {"value": [interrupt("q")]})
           .add_edge(START, "step").add_edge("step", "ask").compile(checkpointer=True))
    app = StateGraph(S).add_node("sub", sub).add_edge(START, "sub").compile(checkpointer=saver)
    chunks = [c async for c in app.astream({"value": []}, CFG, subgraphs=True)]
    assert [(ns, list(chunk)) for ns, chunk in chunks] == [
        (("sub",), ["step"]), (("sub",), ["__interrupt__"]), ((), ["__interrupt__"])]
    assert chunks[0][1] == {"step": {"value": ["s"]}}
    assert chunks[1][1] == chunks[2][1]

    state = await app.aget_state(CFG)
    (task,) = state.tasks
    assert task.state == {"configurable": {"thread_id": "1", "checkpoint_ns": f"sub:{task.id}"}}
    inner = (await app.aget_state(CFG, subgraphs=True)).tasks[0].state
    assert (inner.values, inner.next) == ({"value": ["s"]}, ("ask",))
    assert inner.config["configurable"]["checkpoint_ns"] == "sub"

    assert await app.ainvoke(Command(resume="A"), CFG) == {"value": ["s", "A"]}
    out = await app.ainvoke({"value": ["x"]}, CFG)
    assert (out["value"], [i.value for i in out["__interrupt__"]]) == (["s", "A", "x"], ["q"])
    inner = (await app.aget_state(CFG, subgraphs=True)).tasks[0].state
    assert (inner.values, inner.next) == ({"value": ["s", "A", "s", "A", "x", "s"]}, ("ask",))
    assert await app.ainvoke(Command(resume="B"), CFG) == {
        "value": ["s", "A", "x", "s", "A", "s", "A", "x", "s", "B"]}
    assert seen == [([], "sub|step", ["", "sub"]), (["s", "A", "s", "A", "x"], "sub|step", ["", "sub"])]
    assert (await namespaces(saver))["sub"] == [("loop", 6), ("loop", 5), ("loop", 4), ("input", 3),
                                                ("loop", 2), ("loop", 1), ("loop", 0), ("input", -1)]


async def test_checkpointer_true_namespaces_nested_and_called_twice(saver: BaseCheckpointSaver) -> None:
    seen: list[list[str]] = []
    leaf = counting_subgraph(seen, True)
    outer = StateGraph(S).add_node("leaf", leaf).add_edge(START, "leaf").compile()

    async def twice(s: S) -> dict[str, Any]:
        a = await leaf.ainvoke({"value": ["t"]})
        b = await leaf.ainvoke({"value": ["u"]})
        return {"value": a["value"] + b["value"]}

    app = (StateGraph(S).add_node("outer", outer).add_node("twice", twice)
           .add_edge(START, "outer").add_edge("outer", "twice").compile(checkpointer=saver))
    for leaf_state in (["s"], ["s", "s", "t", "s", "u", "s", "s"]):
        chunks = [c async for c in app.astream({"value": []}, CFG, subgraphs=True)]
        assert chunks[0] == (("outer", "leaf"), {"step": {"value": ["s"]}})  # no task ids
        assert named(chunks[1:2]) == [(("outer",), {"leaf": {"value": leaf_state}})]
        assert [c[0] for c in chunks[3:5]] == [("twice",), ("twice", "1")]
    assert seen == [[], ["t"], ["u"], ["s", "s", "t", "s", "u", "s"], ["t", "s", "t"], ["u", "s", "u"]]
    spaces = sorted(await namespaces(saver))
    assert spaces[0] == "" and spaces[3:] == ["outer|leaf", "twice", "twice|1"]
    assert [s.split(":")[0] for s in spaces[1:3]] == ["outer", "outer"]  # one per run


async def test_checkpointer_false_is_never_checkpointed(saver: BaseCheckpointSaver) -> None:
    seen: list[list[str]] = []
    app = (StateGraph(Parent).add_node("sub", counting_subgraph(seen, False)).add_edge(START, "sub")
           .compile(checkpointer=saver))
    await app.ainvoke({"results": []}, CFG)
    await app.ainvoke({"results": []}, CFG)
    assert seen == [[], []]
    assert list(await namespaces(saver)) == [""]


async def test_checkpointer_false_subgraph_interrupt_starts_over(saver: BaseCheckpointSaver) -> None:
    seen: list[list[str]] = []
    sub = (StateGraph(S).add_node("step", recording_step(seen)).add_node("ask", lambda s: {"value": [interrupt("q")]})
           .add_edge(START, "step").add_edge("step", "ask").compile(checkpointer=False))
    app = StateGraph(S).add_node("sub", sub).add_edge(START, "sub").compile(checkpointer=saver)
    chunks = [c async for c in app.astream({"value": []}, CFG, subgraphs=True)]
    assert [(ns[0].split(":")[0] if ns else None, list(chunk)) for ns, chunk in chunks] == [
        ("sub", ["step"]), ("sub", ["__interrupt__"]), (None, ["__interrupt__"])]
    state = await app.aget_state(CFG, subgraphs=True)
    assert [(t.name, t.state, [i.value for i in t.interrupts]) for t in state.tasks] == [("sub", None, ["q"])]
    assert await app.ainvoke(Command(resume="A"), CFG) == {"value": ["s", "A"]}
    assert seen == [[], []]  # the subgraph ran again from its start
    assert list(await namespaces(saver)) == [""]


async def test_own_saver_is_used_only_with_a_thread_of_its_own(saver: BaseCheckpointSaver) -> None:
    from actorgraph.persistence import InMemorySaver

    own = InMemorySaver()
    seen: list[list[str]] = []
    sub = counting_subgraph(seen, own)

    # as a node (or called with no config of its own): the parent's saver, per task namespace
    app = StateGraph(Parent).add_node("sub", sub).add_edge(START, "sub").compile(checkpointer=saver)
    await app.ainvoke({"results": []}, CFG)
    await app.ainvoke({"results": []}, CFG)
    assert seen == [[], []]
    assert [p.split(":")[0] for p in sorted(await namespaces(saver))] == ["", "sub", "sub"]
    assert [t async for t in own.alist(None)] == []

    # called with a configurable of its own: an independent run, its own saver and history
    seen.clear()

    async def caller(s: S) -> dict[str, Any]:
        out = await sub.ainvoke({"value": ["c"]}, {"configurable": {"thread_id": "other"}})
        return {"value": out["value"]}

    app = StateGraph(S).add_node("caller", caller).add_edge(START, "caller").compile(checkpointer=saver)
    chunks = [c async for c in app.astream({"value": []}, {"configurable": {"thread_id": "2"}}, subgraphs=True)]
    assert chunks == [((), {"caller": {"value": ["c", "s"]}})]  # not streamed as a subgraph
    assert await app.ainvoke({"value": []}, {"configurable": {"thread_id": "2"}}) == {
        "value": ["c", "s", "c", "s", "c", "s"]}
    assert seen == [["c"], ["c", "s", "c"]]
    assert list(await namespaces(saver, "2")) == [""]
    assert await namespaces(own, "other") == {"": [("loop", 4), ("loop", 3), ("input", 2),
                                                   ("loop", 1), ("loop", 0), ("input", -1)]}


# -- item 9: replaying / forking from a subgraph checkpoint --------------------------------------


def replay_graph(saver: BaseCheckpointSaver, calls: list[str]) -> Any:
    """executor (step_a -> ask, which interrupts) -> after"""

    def step_a(s: S) -> dict[str, Any]:
        calls.append("a")
        return {"value": ["a"]}

    def ask_once(s: S) -> dict[str, Any]:
        calls.append("ask")
        return {"value": [f"ask:{interrupt('Q?')}"]}

    def after(s: S) -> dict[str, Any]:
        calls.append("after")
        return {"value": ["after"]}

    sub = (StateGraph(S).add_node("step_a", step_a).add_node("ask", ask_once)
           .add_edge(START, "step_a").add_edge("step_a", "ask").compile())
    return (StateGraph(S).add_node("executor", sub).add_node("after", after)
            .add_edge(START, "executor").add_edge("executor", "after").compile(checkpointer=saver))


async def finished_with_subgraph_config(app: Any) -> dict[str, Any]:
    """Run to the interrupt, keep the subgraph checkpoint's config there, finish the run."""
    await app.ainvoke({"value": []}, CFG)
    sub_cfg: dict[str, Any] = (await app.aget_state(CFG, subgraphs=True)).tasks[0].state.config
    assert await app.ainvoke(Command(resume="yes"), CFG) == {"value": ["a", "ask:yes", "after"]}
    return sub_cfg


async def test_replay_from_a_subgraph_checkpoint(saver: BaseCheckpointSaver) -> None:
    calls: list[str] = []
    app = replay_graph(saver, calls)
    sub_cfg = await finished_with_subgraph_config(app)
    root_ids = {s.metadata["step"]: s.config["configurable"]["checkpoint_id"] for s in await history_of(app, CFG)}
    assert sub_cfg["configurable"]["checkpoint_map"][""] == root_ids[0]
    calls.clear()

    # the parent replays the step from the root checkpoint the subgraph's was made under (a
    # fork of it): the subgraph runs again from its start, and its interrupt fires again
    chunks = [c async for c in app.astream(None, sub_cfg, subgraphs=True)]
    assert [(ns[0].split(":")[0] if ns else None, list(chunk)) for ns, chunk in chunks] == [
        ("executor", ["step_a"]), ("executor", ["__interrupt__"]), (None, ["__interrupt__"])]
    assert chunks[0][0] != (sub_cfg["configurable"]["checkpoint_ns"],)  # a new task
    assert [i.value for i in chunks[2][1]["__interrupt__"]] == ["Q?"]
    assert calls == ["a", "ask"]
    history = await history_of(app, CFG)
    assert rows(history) == [
        ("fork", 1, ("executor",), {"value": []}),
        ("loop", 2, (), {"value": ["a", "ask:yes", "after"]}),
        ("loop", 1, ("after",), {"value": ["a", "ask:yes"]}),
        ("loop", 0, ("executor",), {"value": []}),
        ("input", -1, ("__start__",), {"value": []}),
    ]
    assert history[0].parent_config == history[3].config
    state = await app.aget_state(CFG)
    assert (state.values, state.next, [i.value for i in state.interrupts]) == ({"value": []}, ("executor",), ["Q?"])

    assert await app.ainvoke(Command(resume="again"), CFG) == {"value": ["a", "ask:again", "after"]}
    assert calls == ["a", "ask", "ask", "after"]
    assert rows(await history_of(app, CFG, limit=3)) == [
        ("loop", 3, (), {"value": ["a", "ask:again", "after"]}),
        ("loop", 2, ("after",), {"value": ["a", "ask:again"]}),
        ("fork", 1, ("executor",), {"value": []}),
    ]


async def test_invoke_returns_the_interrupt_when_replaying_a_subgraph_checkpoint(saver: BaseCheckpointSaver) -> None:
    calls: list[str] = []
    app = replay_graph(saver, calls)
    sub_cfg = await finished_with_subgraph_config(app)
    out = await app.ainvoke(None, sub_cfg)
    assert (out["value"], [i.value for i in out["__interrupt__"]]) == ([], ["Q?"])


async def test_replay_from_a_subgraph_checkpoint_while_paused(saver: BaseCheckpointSaver) -> None:
    # the root checkpoint is the thread's head: it forks all the same
    calls: list[str] = []
    app = replay_graph(saver, calls)
    await app.ainvoke({"value": []}, CFG)
    ns = (await app.aget_state(CFG)).tasks[0].state["configurable"]["checkpoint_ns"]
    sub_history = await history_of(app, {"configurable": {"thread_id": "1", "checkpoint_ns": ns}})
    assert [(s.metadata["step"], s.next) for s in sub_history] == [(1, ("ask",)), (0, ("step_a",)),
                                                                    (-1, ("__start__",))]
    calls.clear()
    out = await app.ainvoke(None, sub_history[1].config)
    assert (out["value"], [i.value for i in out["__interrupt__"]]) == ([], ["Q?"])
    assert calls == ["a", "ask"]
    assert rows(await history_of(app, CFG)) == [
        ("fork", 1, ("executor",), {"value": []}),
        ("loop", 0, ("executor",), {"value": []}),
        ("input", -1, ("__start__",), {"value": []}),
    ]


async def test_update_state_of_a_subgraph_checkpoint_then_run_from_it(saver: BaseCheckpointSaver) -> None:
    calls: list[str] = []
    app = replay_graph(saver, calls)
    sub_cfg = await finished_with_subgraph_config(app)
    ns = sub_cfg["configurable"]["checkpoint_ns"]
    root_step0 = sub_cfg["configurable"]["checkpoint_map"][""]

    new = await app.aupdate_state(sub_cfg, {"value": ["edited"]})
    new_id = new["configurable"]["checkpoint_id"]
    # a checkpoint of the subgraph, in its namespace, under the same root checkpoint
    assert new == {"configurable": {"thread_id": "1", "checkpoint_ns": ns, "checkpoint_id": new_id,
                                    "checkpoint_map": {"": root_step0, ns: new_id}}}
    saved = await saver.aget_tuple(new)
    assert saved is not None
    assert saved.metadata == {"source": "update", "step": 2, "parents": {"": root_step0}}
    assert saved.parent_config is not None
    assert saved.parent_config["configurable"]["checkpoint_id"] == sub_cfg["configurable"]["checkpoint_id"]
    edited = await app.aget_state(new)
    assert (edited.values, edited.next) == ({"value": ["a", "edited"]}, ("ask",))
    assert (await app.aget_state(CFG)).values == {"value": ["a", "ask:yes", "after"]}  # the parent: unchanged

    # running from it replays the parent step (the edit is not used), as LangGraph does
    calls.clear()
    out = await app.ainvoke(None, new)
    assert (out["value"], [i.value for i in out["__interrupt__"]]) == ([], ["Q?"])
    assert calls == ["a", "ask"]
    paused = (await app.aget_state(CFG, subgraphs=True)).tasks[0].state
    assert paused.values == {"value": ["a"]}
    assert await app.ainvoke(Command(resume="again"), CFG) == {"value": ["a", "ask:again", "after"]}

    with pytest.raises(ValueError, match="Subgraph 'nope' not found.*'nope:1'"):
        await app.aupdate_state({"configurable": {"thread_id": "1", "checkpoint_ns": "nope:1"}}, {"value": ["x"]})


@pytest.mark.parametrize("own", [None, True])
async def test_exit_durability_keeps_a_finished_subgraphs_pause_checkpoint_as_its_latest(
        saver: BaseCheckpointSaver, own: bool | None) -> None:
    # LangGraph 1.2.24, durability="exit": a subgraph (namespace "child:<task id>") that pauses
    # saves its checkpoint then; when it finishes after the resume its final checkpoint is not
    # written (the parent's task writes carry the result). A checkpointer=True subgraph keeps
    # its own namespace ("child") on the thread, so its final checkpoint is written.
    sub = (StateGraph(S).add_node("pre", pre).add_node("ask", ask)
           .add_edge(START, "pre").add_edge("pre", "ask").compile(checkpointer=own))
    app = (StateGraph(S).add_node("child", sub).add_node("after", lambda s: {"value": ["after"]})
           .add_edge(START, "child").add_edge("child", "after").compile(checkpointer=saver))

    async def spaces() -> dict[str, list[tuple[str, int]]]:
        return {ns.split(":")[0]: steps for ns, steps in (await namespaces(saver)).items()}

    await app.ainvoke({"value": []}, CFG, durability="exit")
    assert await spaces() == {"": [("loop", 0)], "child": [("loop", 1)]}
    out = await app.ainvoke(Command(resume="x"), CFG, durability="exit")
    assert out == {"value": ["pre", "a:x", "after"]}
    assert await spaces() == {"": [("loop", 2), ("loop", 0)],
                              "child": [("loop", 2), ("loop", 1)] if own else [("loop", 1)]}
    assert (await app.aget_state(CFG, subgraphs=True)).next == ()
