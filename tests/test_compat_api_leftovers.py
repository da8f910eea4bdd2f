"""LangGraph API details a ported program touches: ``output_keys``, a tuple ``stream_mode``,
a compiled graph's Pregel attributes, a task future's ``cancel()``.

Every expected value is what LangGraph 1.2.24 gives for the same program (observed by running
it with LangGraph's imports), noted at each test.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, StateGraph
from actorgraph.persistence import InMemorySaver
from actorgraph.types import Command, interrupt


class S(TypedDict):
    a: int
    b: int
    c: Annotated[list[int], operator.add]


def _n1(s: S) -> dict[str, Any]:
    return {"a": s["a"] + 1, "c": [1]}


def _n2(s: S) -> dict[str, Any]:
    return {"b": 5}


def _n3(s: S) -> None:
    return None


def _graph() -> Any:
    return (StateGraph(S).add_node("n1", _n1).add_node("n2", _n2).add_node("n3", _n3)
            .add_edge(START, "n1").add_edge("n1", "n2").add_edge("n2", "n3").compile())


INPUT = {"a": 0, "b": 0, "c": []}


# -- output_keys -----------------------------------------------------------------------------

@pytest.mark.parametrize(("keys", "values", "updates", "result"), [
    # LangGraph 1.2.24: one key (a str) gives bare values, a values chunk only after a step that
    # wrote the key, and each task's bare write (None when it wrote none)
    ("a", [0, 1], [{"n1": 1}, {"n2": None}, {"n3": None}], 1),
    ("c", [[], [1]], [{"n1": [1]}, {"n2": None}, {"n3": None}], [1]),
    # LangGraph 1.2.24: a list gives dicts of those keys
    (["a"], [{"a": 0}, {"a": 1}], [{"n1": {"a": 1}}, {"n2": None}, {"n3": None}], {"a": 1}),
    (["a", "b"], [{"a": 0, "b": 0}, {"a": 1, "b": 0}, {"a": 1, "b": 5}],
     [{"n1": {"a": 1}}, {"n2": {"b": 5}}, {"n3": None}], {"a": 1, "b": 5}),
    (["a", "c"], [{"a": 0, "c": []}, {"a": 1, "c": [1]}],
     [{"n1": {"a": 1, "c": [1]}}, {"n2": None}, {"n3": None}], {"a": 1, "c": [1]}),
    # LangGraph 1.2.24: no key at all: no values chunk, invoke returns None
    ([], [], [{"n1": None}, {"n2": None}, {"n3": None}], None),
])
def test_output_keys_shape_values_updates_and_the_result(keys: Any, values: list[Any], updates: list[Any],
                                                          result: Any) -> None:
    g = _graph()
    assert list(g.stream(INPUT, output_keys=keys, stream_mode="values")) == values
    assert list(g.stream(INPUT, output_keys=keys, stream_mode="updates")) == updates
    assert g.invoke(INPUT, output_keys=keys) == result
    assert g.invoke(INPUT, output_keys=keys, stream_mode="updates") == updates
    # LangGraph 1.2.24: a list of modes interleaves them, each as (mode, chunk)
    both = list(g.stream(INPUT, output_keys=keys, stream_mode=["values", "updates"]))
    assert [c for m, c in both if m == "values"] == values
    assert [c for m, c in both if m == "updates"] == updates


def test_output_keys_override_the_output_schema_and_see_private_keys() -> None:
    class Out(TypedDict):
        a: int

    g = (StateGraph(S, output_schema=Out).add_node("n1", _n1).add_node("n2", _n2)
         .add_edge(START, "n1").add_edge("n1", "n2").compile())
    assert g.invoke(INPUT) == {"a": 1}
    # LangGraph 1.2.24: output_keys replace the output schema's keys
    assert g.invoke(INPUT, output_keys=["b", "c"]) == {"b": 5, "c": [1]}
    assert g.invoke(INPUT, output_keys="b") == 5


def test_output_keys_a_key_that_was_never_written() -> None:
    class T(TypedDict):
        a: int

    def nothing(s: T) -> None:
        return None

    g = StateGraph(T).add_node("m", nothing).add_edge(START, "m").compile()
    # LangGraph 1.2.24: no values chunk, so invoke returns None (str or list alike)
    assert list(g.stream({}, output_keys="a", stream_mode="values")) == []
    assert list(g.stream({}, output_keys=["a"], stream_mode="values")) == []
    assert g.invoke({}, output_keys="a") is None
    assert g.invoke({}, output_keys=["a"]) is None
    # LangGraph 1.2.24: an input that does not write the keys makes no values chunk either
    assert list(_graph().stream({"a": 0}, output_keys="b", stream_mode="values")) == [5]
    assert _graph().invoke({"a": 0}, output_keys=["b", "c"]) == {"b": 5, "c": [1]}


@pytest.mark.parametrize("keys", ["zz", ["a", "zz"]])
def test_output_keys_that_are_no_channel_are_refused(keys: Any) -> None:
    g = _graph()
    # LangGraph 1.2.24: ValueError('Key zz not in channels'), for invoke and at stream's first chunk
    with pytest.raises(ValueError, match="Key zz not in channels"):
        g.invoke(INPUT, output_keys=keys)
    stream = g.stream(INPUT, output_keys=keys, stream_mode="values")
    with pytest.raises(ValueError, match="Key zz not in channels"):
        next(stream)


class Q(TypedDict):
    a: int
    b: int


def _inc(s: Q) -> dict[str, Any]:
    return {"a": s["a"] + 1}


def _ask(s: Q) -> dict[str, Any]:
    return {"b": interrupt("q?")}


def _asking() -> Any:
    return (StateGraph(Q).add_node("n1", _inc).add_node("ask", _ask).add_edge(START, "n1")
            .add_edge("n1", "ask").compile(checkpointer=InMemorySaver()))


def _questions(x: Any) -> Any:
    if isinstance(x, dict) and "__interrupt__" in x:
        return {**x, "__interrupt__": [i.value for i in x["__interrupt__"]]}
    return x


@pytest.mark.parametrize(("keys", "paused", "resumed", "streamed", "streamed_resume"), [
    # LangGraph 1.2.24 (observed for each key choice): invoke's result at the interrupt and after
    # the resume; the stream's (mode, chunk) pairs of both runs
    ("a", {"__interrupt__": ["q?"]}, 1,
     [("values", 0), ("updates", {"n1": 1}), ("values", 1), ("updates", {"__interrupt__": ["q?"]}),
      ("values", {"__interrupt__": ["q?"]})],
     [("values", 1), ("updates", {"ask": None})]),
    (["a"], {"a": 1, "__interrupt__": ["q?"]}, {"a": 1},
     [("values", {"a": 0}), ("updates", {"n1": {"a": 1}}), ("values", {"a": 1}),
      ("updates", {"__interrupt__": ["q?"]}), ("values", {"a": 1, "__interrupt__": ["q?"]})],
     [("values", {"a": 1}), ("updates", {"ask": None})]),
    ("b", {"__interrupt__": ["q?"]}, 7,
     [("values", 0), ("updates", {"n1": None}), ("updates", {"__interrupt__": ["q?"]}),
      ("values", {"__interrupt__": ["q?"]})],
     [("values", 0), ("updates", {"ask": 7}), ("values", 7)]),
])
def test_output_keys_with_an_interrupt(keys: Any, paused: Any, resumed: Any, streamed: list[Any],
                                       streamed_resume: list[Any]) -> None:
    g = _asking()
    config = {"configurable": {"thread_id": "1"}}
    assert _questions(g.invoke({"a": 0, "b": 0}, config, output_keys=keys)) == paused
    assert _questions(g.invoke(Command(resume=7), config, output_keys=keys)) == resumed
    config = {"configurable": {"thread_id": "2"}}
    modes = ["values", "updates"]
    assert [(m, _questions(c)) for m, c in g.stream({"a": 0, "b": 0}, config, output_keys=keys,
                                                    stream_mode=modes)] == streamed
    assert [(m, _questions(c)) for m, c in g.stream(Command(resume=7), config, output_keys=keys,
                                                    stream_mode=modes)] == streamed_resume


class T1(TypedDict):
    a: int


def _inner() -> Any:
    return StateGraph(T1).add_node("i", lambda s: {"a": s["a"] + 10}).add_edge(START, "i").compile()


def test_output_keys_leave_subgraph_chunks_alone() -> None:
    outer = (StateGraph(Q).add_node("sub", _inner()).add_node("n2", lambda s: {"b": 1})
             .add_edge(START, "sub").add_edge("sub", "n2").compile())
    got = [(len(ns), mode, chunk) for ns, mode, chunk in outer.stream(
        {"a": 0, "b": 0}, output_keys="b", stream_mode=["values", "updates"], subgraphs=True)]
    # LangGraph 1.2.24: the root's chunks show the key; the subgraph's are its own full ones
    assert got == [(0, "values", 0), (1, "values", {"a": 0}), (1, "updates", {"i": {"a": 10}}),
                   (1, "values", {"a": 10}), (0, "updates", {"sub": None}), (0, "updates", {"n2": 1}),
                   (0, "values", 1)]
    assert outer.invoke({"a": 0, "b": 0}, output_keys="b", subgraphs=True) == 1  # LangGraph 1.2.24


def test_output_keys_of_a_graph_called_inside_a_node() -> None:
    inner = _inner()

    def node(s: Q) -> dict[str, Any]:
        return {"a": inner.invoke({"a": s["a"]}, output_keys="a")}

    g = StateGraph(Q).add_node("n", node).add_edge(START, "n").compile()
    assert g.invoke({"a": 1, "b": 0}) == {"a": 11, "b": 0}  # LangGraph 1.2.24

    def counting(s: Q) -> dict[str, Any]:
        return {"a": len(list(inner.stream({"a": s["a"]}, output_keys="a", stream_mode="values")))}

    g2 = StateGraph(Q).add_node("n", counting).add_edge(START, "n").compile()
    got = [(len(ns), chunk) for ns, _, chunk in g2.stream({"a": 1, "b": 0}, subgraphs=True, stream_mode=["values"])]
    # LangGraph 1.2.24: the inner stream's chunks are bare values, also as the node's subgraph's
    assert got == [(0, {"a": 1, "b": 0}), (1, 1), (1, 11), (0, {"a": 2, "b": 0})]


@pytest.mark.anyio
async def test_output_keys_async(anyio_backend: str) -> None:
    g = _graph()
    # LangGraph 1.2.24 (ainvoke/astream as invoke/stream)
    assert await g.ainvoke(INPUT, output_keys="a") == 1
    assert await g.ainvoke(INPUT, output_keys=["a", "b"]) == {"a": 1, "b": 5}
    assert [c async for c in g.astream(INPUT, output_keys=["a"], stream_mode="values")] == [{"a": 0}, {"a": 1}]
    assert [c async for c in g.astream(INPUT, output_keys="b", stream_mode="updates")] == [
        {"n1": None}, {"n2": 5}, {"n3": None}]
    with pytest.raises(ValueError, match="Key zz not in channels"):
        await g.ainvoke(INPUT, output_keys="zz")


def test_output_keys_with_version_v2() -> None:
    inner = _inner()

    def node(s: Q) -> dict[str, Any]:
        return {"a": inner.invoke({"a": s["a"]}, output_keys="a")}

    g = StateGraph(Q).add_node("n", node).add_edge(START, "n").compile()
    out = g.invoke({"a": 1, "b": 0}, output_keys="a", version="v2")
    assert (out.value, out.interrupts) == (11, ())  # LangGraph 1.2.24: GraphOutput(value=11, interrupts=())
    # LangGraph 1.2.24
    assert list(g.stream({"a": 1, "b": 0}, output_keys="a", stream_mode=["values", "updates"], version="v2")) == [
        {"type": "values", "ns": (), "data": 1, "interrupts": ()},
        {"type": "updates", "ns": (), "data": {"n": 11}},
        {"type": "values", "ns": (), "data": 11, "interrupts": ()}]


# -- a tuple of stream modes ---------------------------------------------------------------

def test_a_tuple_of_modes_yields_bare_chunks() -> None:
    g = _graph()
    full = [{"a": 0, "b": 0, "c": []}, {"a": 1, "b": 0, "c": [1]}, {"a": 1, "b": 5, "c": [1]}]
    updates = [{"n1": {"a": 1, "c": [1]}}, {"n2": {"b": 5}}, {"n3": None}]
    # LangGraph 1.2.24: only a list names the mode; a tuple (of one mode or more) yields bare chunks
    assert list(g.stream(INPUT, stream_mode=("values",))) == full
    assert list(g.stream(INPUT, stream_mode=["values"])) == [("values", c) for c in full]
    assert list(g.stream(INPUT, stream_mode=("values", "updates"))) == [
        full[0], updates[0], full[1], updates[1], full[2], updates[2]]
    assert list(g.stream(INPUT, stream_mode=("updates",), subgraphs=True)) == [((), u) for u in updates]
    assert list(g.stream(INPUT, stream_mode=["updates"], subgraphs=True)) == [((), "updates", u) for u in updates]
    assert g.invoke(INPUT, stream_mode=("updates",)) == updates
    assert g.invoke(INPUT, stream_mode=["updates"]) == [("updates", u) for u in updates]


@pytest.mark.anyio
async def test_a_tuple_of_modes_yields_bare_chunks_async(anyio_backend: str) -> None:
    g = _graph()
    # LangGraph 1.2.24 (astream as stream)
    assert [c async for c in g.astream(INPUT, stream_mode=("updates",))] == [
        {"n1": {"a": 1, "c": [1]}}, {"n2": {"b": 5}}, {"n3": None}]


# -- a compiled graph's Pregel attributes -----------------------------------------------------

class Priv(TypedDict):
    p: int


def _reads_private(s: Priv) -> dict[str, Any]:
    return {"c": [1]}


def _builder() -> Any:
    class SC(TypedDict):
        a: int
        c: Annotated[list[int], operator.add]

    return (StateGraph(SC).add_node("n1", lambda s: {"a": 1}).add_node("n2", _reads_private)
            .add_edge(START, "n1").add_conditional_edges("n1", lambda s: "n2", ["n2"]))


def test_compiled_nodes_channels_and_stream_mode() -> None:
    builder = _builder()
    g = builder.compile()
    # LangGraph 1.2.24: nodes maps names to node objects, __start__ first, then in the order added
    assert list(g.nodes.keys()) == ["__start__", "n1", "n2"]
    assert len(g.nodes) == 3 and "__start__" in g.nodes and "n1" in g.nodes and "x" not in g.nodes
    # LangGraph 1.2.24: the compiled StateGraph streams "updates" by default
    assert g.stream_mode == "updates"
    assert g.with_config(recursion_limit=3).stream_mode == "updates"
    # LangGraph 1.2.24: the builder's channels are the state's (private keys too), by type
    assert {k: type(v).__name__ for k, v in builder.channels.items()} == {
        "a": "LastValue", "c": "BinaryOperatorAggregate", "p": "LastValue"}
    # LangGraph 1.2.24: the compiled graph's add the start, tasks and branch channels
    assert {k: type(v).__name__ for k, v in g.channels.items()} == {
        "a": "LastValue", "c": "BinaryOperatorAggregate", "p": "LastValue", "__start__": "EphemeralValue",
        "__pregel_tasks": "Topic", "branch:to:n1": "EphemeralValue", "branch:to:n2": "EphemeralValue"}
    with pytest.raises(TypeError):  # (read-only views: LangGraph's are plain dicts)
        g.nodes["x"] = 1  # type: ignore[index]


def test_compiled_nodes_list_error_handlers() -> None:
    class T(TypedDict):
        a: int

    def boom(s: T) -> dict[str, Any]:
        raise ValueError("x")

    def handler(s: T) -> dict[str, Any]:
        return {"a": 5}

    g = (StateGraph(T).add_node("n1", boom, error_handler=handler).add_node("n2", lambda s: {"a": 2})
         .add_edge(START, "n1").add_edge("n1", "n2").compile())
    # LangGraph 1.2.24: a node's error handler is a node, listed just before it
    assert list(g.nodes) == ["__start__", "__error_handler__n1", "n1", "n2"]


def test_copy_with_a_checkpointer() -> None:
    g = _builder().compile()
    saver = InMemorySaver()
    g2 = g.copy(update={"checkpointer": saver})
    # LangGraph 1.2.24: a new graph of the same class with the saver; the original keeps none
    assert g2 is not g and type(g2) is type(g)
    assert g2.checkpointer is saver and g.checkpointer is None
    config = {"configurable": {"thread_id": "1"}}
    assert g2.invoke({"a": 0, "c": []}, config) == {"a": 1, "c": [1]}
    assert g2.get_state(config).values == {"a": 1, "c": [1]}
    assert g.copy() is not g
    # LangGraph 1.2.24: the name and the breakpoints are replaced as given
    assert g.copy(update={"name": "other"}).name == "other"
    stopped = g.copy(update={"checkpointer": InMemorySaver(), "interrupt_before_nodes": ["n2"]})
    assert stopped.invoke({"a": 0, "c": []}, config) == {"a": 1, "c": []}
    assert stopped.get_state(config).next == ("n2",)


def test_copy_refuses_what_it_cannot_replace() -> None:
    g = _builder().compile()
    # (LangGraph 1.2.24 ignores an unknown key silently and rebuilds a Pregel from 'nodes' and
    # the like; actorgraph refuses both: a typo must not pass unnoticed)
    with pytest.raises(TypeError, match="bogus"):
        g.copy(update={"bogus": 1})
    with pytest.raises(TypeError, match="nodes"):
        g.copy(update={"nodes": {}})


# -- a task call's future: cancel() -----------------------------------------------------------

def _cancel_probe() -> tuple[Any, list[str]]:
    import anyio
    import sniffio

    from actorgraph.func import entrypoint, task

    ran: list[str] = []

    @task
    async def slow(x: int) -> int:
        ran.append("started")
        try:
            await anyio.sleep(5 if sniffio.current_async_library() == "asyncio" else 0.3)
        except anyio.get_cancelled_exc_class():
            ran.append("cancelled")
            raise
        ran.append("finished")
        return x

    @task
    async def quick(x: int) -> int:
        return x * 2

    @entrypoint(checkpointer=InMemorySaver())
    async def main(x: int) -> dict[str, Any]:
        import asyncio

        out: dict[str, Any] = {}
        pending = slow(x)
        running = slow(x)
        doubled = quick(x)
        out["unstarted"] = (pending.cancel(), pending.cancelled(), pending.done())
        await anyio.sleep(0.05)
        out["before"] = running.done()
        out["running"] = (running.cancel(), running.cancelled(), running.done(), running.cancel())
        try:
            await running
        except asyncio.CancelledError:
            out["awaited"] = "CancelledError"
        try:
            running.result()
        except asyncio.CancelledError:
            out["result"] = "CancelledError"
        out["value"] = await doubled
        out["finished"] = (doubled.cancel(), doubled.cancelled())
        await anyio.sleep(0.05)
        out["ran"] = list(ran)
        return out

    return main, ran


@pytest.mark.anyio
async def test_task_future_cancel(anyio_backend: str) -> None:
    main, ran = _cancel_probe()
    out = await main.ainvoke(1, {"configurable": {"thread_id": "1"}})
    # LangGraph 1.2.24 (asyncio): cancel() of a pending call is True, the future cancelled and done;
    # a running async call too, cancelled where it awaits (a second cancel() is False); awaiting
    # it or result() raises CancelledError; a finished call's cancel() is False; the entrypoint
    # goes on; the call that had not started never runs
    expected = {"unstarted": (True, True, True), "before": False, "running": (True, True, True, False),
                "awaited": "CancelledError", "result": "CancelledError", "value": 2,
                "finished": (False, False), "ran": ["started", "cancelled"]}
    if anyio_backend == "trio":
        # (ours: no cancel scope per call on trio; the running call goes on to its end, its
        # result dropped, and the run waits for it)
        expected["ran"] = ["started"]
        assert out == expected
        assert ran == ["started", "finished"]
        return
    assert out == expected
    assert ran == ["started", "cancelled"]


def test_task_future_cancel_of_a_running_sync_call() -> None:
    import concurrent.futures
    import time

    from actorgraph.func import entrypoint, task

    ran: list[str] = []

    @task
    def slow(x: int) -> int:
        ran.append("started")
        time.sleep(0.3)
        ran.append("finished")
        return x

    @entrypoint()
    def main(x: int) -> Any:
        f = slow(x)
        time.sleep(0.1)
        got: list[Any] = [f.cancel(), f.cancelled(), f.done()]
        try:
            f.result()
        except concurrent.futures.CancelledError:
            got.append("CancelledError")
        return got

    # LangGraph 1.2.24 (a sync entrypoint's future): cancel() of a running call is True, result()
    # raises concurrent.futures.CancelledError; the thread runs to its end
    assert main.invoke(1) == [True, True, True, "CancelledError"]
    assert ran[0] == "started"


@pytest.mark.anyio
async def test_a_cancelled_call_runs_again_on_resume(anyio_backend: str) -> None:
    import anyio

    from actorgraph.func import entrypoint, task

    ran: list[str] = []
    calls = [0]

    @task
    async def slow(x: int) -> int:
        ran.append("started")
        await anyio.sleep(0.2)
        ran.append("finished")
        return x

    @entrypoint(checkpointer=InMemorySaver())
    async def main(x: int) -> list[Any]:
        calls[0] += 1
        f = slow(x)
        await anyio.sleep(0.05)
        if calls[0] == 1:
            f.cancel()
        answer = interrupt("q")
        return [answer, await f]

    config = {"configurable": {"thread_id": "1"}}
    first = await main.ainvoke(1, config)
    assert list(first) == ["__interrupt__"]
    # LangGraph 1.2.24: the cancelled call is recorded as failed, so the resumed entrypoint calls it again
    assert await main.ainvoke(Command(resume="A"), config) == ["A", 1]
    if anyio_backend == "trio":  # (ours: the running call goes on to its end there, its result dropped)
        assert ran == ["started", "finished", "started", "finished"]
        return
    assert ran == ["started", "started", "finished"]
