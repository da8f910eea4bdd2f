"""Differences found by running LangGraph's own small test files (libs/langgraph/tests/test_*.py)
on actorgraph, where langchain-core (and LangSmith) are involved; expected values are what
LangGraph 1.2.24 gives."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

import pytest
from typing_extensions import TypedDict

pytest.importorskip("langchain_core")
langsmith = pytest.importorskip("langsmith")

from actorgraph.graph.state import END, START, StateGraph  # noqa: E402  (LangGraph's path has them)


class S(TypedDict):
    x: int
    seen: list[Any]


def _run_tree_chain() -> list[tuple[str, str, list[str]]]:
    tree = langsmith.get_current_run_tree()
    chain = []
    while tree is not None:
        chain.append((tree.name, tree.run_type, sorted(tree.tags or [])))
        tree = tree.parent_run
    return chain


def _graph(is_async: bool, routed: list[Any]) -> Any:
    def node(s: S) -> dict[str, Any]:
        return {"seen": _run_tree_chain()}

    async def anode(s: S) -> dict[str, Any]:
        return {"seen": _run_tree_chain()}

    def route(s: S) -> str:
        tree = langsmith.get_current_run_tree()
        routed.append(tree.name if tree is not None else None)
        return "b"

    return (StateGraph(S).add_node("a", anode if is_async else node).add_node("b", lambda s: {"x": 2})
            .add_edge(START, "a").add_conditional_edges("a", route, ["b"]).add_edge("b", END).compile())


@contextlib.contextmanager
def _langsmith_tracing() -> Iterator[None]:
    # LangSmith tracing switched on, with a mock client: nothing leaves the process
    with patch("langsmith.client.Client", spec=langsmith.Client) as client, \
            patch("langchain_core.tracers.langchain.get_client") as get_client:
        get_client.return_value = client
        with langsmith.tracing_context(enabled=True):
            yield


# -- from LangGraph's test_utils.py (test_runnable_callable_tracing_nested) --------------------


def test_langsmith_run_tree_inside_a_node_sync() -> None:
    # LangGraph 1.2.24: with LangSmith tracing on (langsmith.tracing_context(enabled=True), or
    # LANGSMITH_TRACING=true) a graph run is traced without any config["callbacks"], and inside a
    # node langsmith.get_current_run_tree() is the node's run (a router sees its own run); we
    # did not trace at all there (None)
    routed: list[Any] = []
    with _langsmith_tracing():
        out = _graph(False, routed).invoke({"x": 1, "seen": []})
    assert out["seen"] == [("a", "chain", ["graph:step:1"])]
    assert routed == ["route"]
    assert langsmith.get_current_run_tree() is None
    # tracing off: no run tree
    routed.clear()
    assert _graph(False, routed).invoke({"x": 1, "seen": []})["seen"] == []
    assert routed == [None]


@pytest.mark.anyio
async def test_langsmith_run_tree_inside_a_node_async(anyio_backend: str) -> None:
    routed: list[Any] = []
    with _langsmith_tracing():
        out = await _graph(True, routed).ainvoke({"x": 1, "seen": []})
        out_sync_node = await _graph(False, routed).ainvoke({"x": 1, "seen": []})
    assert out["seen"] == out_sync_node["seen"] == [("a", "chain", ["graph:step:1"])]
    assert routed == ["route", "route"]
    assert langsmith.get_current_run_tree() is None


# -- from LangGraph's test_graph_callbacks.py (langgraph.callbacks, 1.2.24's event API) ----------


def _lifecycle_graph(sub: bool, **compile_kw: Any) -> Any:
    from actorgraph.checkpoint.memory import InMemorySaver
    from actorgraph.types import interrupt

    class A(TypedDict):
        answer: str | None

    def ask(s: A) -> dict[str, Any]:
        return {"answer": interrupt("Provide value")}

    inner = StateGraph(A).add_node("ask", ask).add_edge(START, "ask").compile()
    first = "sub" if sub else "ask"
    builder = StateGraph(A).add_node(first, inner if sub else ask).add_edge(START, first)
    builder.add_node("after", lambda s: {}).add_edge(first, "after")
    return builder.compile(checkpointer=InMemorySaver(), **compile_kw)


def _recorder(is_async: bool = False) -> Any:
    from actorgraph.callbacks import GraphCallbackHandler, GraphInterruptEvent, GraphResumeEvent

    class Sync(GraphCallbackHandler):
        def __init__(self) -> None:
            self.events: list[tuple[Any, ...]] = []

        def on_interrupt(self, event: GraphInterruptEvent) -> None:
            self.events.append(("interrupt", event.status, [p.split(":")[0] for p in event.checkpoint_ns],
                                [i.value for i in event.interrupts], event.run_id is not None, bool(event.checkpoint_id)))

        def on_resume(self, event: GraphResumeEvent) -> None:
            self.events.append(("resume", event.status, [p.split(":")[0] for p in event.checkpoint_ns],
                                event.run_id is not None, bool(event.checkpoint_id)))

    class Async(Sync):
        async def on_interrupt(self, event: GraphInterruptEvent) -> None:  # type: ignore[override]
            Sync.on_interrupt(self, event)

        async def on_resume(self, event: GraphResumeEvent) -> None:  # type: ignore[override]
            Sync.on_resume(self, event)

    return Async() if is_async else Sync()


# LangGraph 1.2.24's events for: a pause at interrupt() then its resume; the same in a subgraph
# (the root tells the pause; the root and the subgraph tell their resume); a breakpoint after
# a resume (status interrupt_before / interrupt_after, no questions); we had no such callbacks
_PAUSE = ("interrupt", "pending", [], ["Provide value"], True, True)
_RESUME = ("resume", "pending", [], True, True)


def test_graph_lifecycle_callbacks_sync() -> None:
    from actorgraph.types import Command

    for sub, expected in ((False, [_PAUSE, _RESUME]),
                          (True, [_PAUSE, _RESUME, ("resume", "pending", ["sub"], True, True)])):
        handler = _recorder()
        cfg = {"configurable": {"thread_id": "1"}, "callbacks": [handler]}
        g = _lifecycle_graph(sub)
        assert "__interrupt__" in g.invoke({"answer": None}, cfg)
        assert g.invoke(Command(resume="done"), cfg) == {"answer": "done"}
        assert handler.events == expected
    for kw, status in (({"interrupt_before": ["after"]}, "interrupt_before"),
                       ({"interrupt_after": ["after"]}, "interrupt_after")):
        handler = _recorder()
        cfg = {"configurable": {"thread_id": "1"}, "callbacks": [handler]}
        g = _lifecycle_graph(False, **kw)
        g.invoke({"answer": None}, cfg)
        g.invoke(Command(resume="x"), cfg)
        g.invoke(None, cfg)
        assert handler.events == [_PAUSE, _RESUME, ("interrupt", status, [], [], True, True), _RESUME]
    # new input on a thread is no resume; invoke(None) on a finished thread is
    handler = _recorder()
    cfg = {"configurable": {"thread_id": "1"}, "callbacks": [handler]}
    g = _lifecycle_graph(False, interrupt_before=[])
    plain = StateGraph(S).add_node("n", lambda s: {}).add_edge(START, "n").compile(checkpointer=g.checkpointer)
    plain.invoke({"x": 1, "seen": []}, cfg)
    plain.invoke({"x": 2, "seen": []}, cfg)
    plain.invoke(None, cfg)
    assert handler.events == [_RESUME]


def test_graph_lifecycle_callback_errors_and_run_id() -> None:
    import uuid

    from actorgraph.callbacks import GraphCallbackHandler, GraphInterruptEvent

    seen: list[Any] = []

    class Boom(GraphCallbackHandler):
        def on_interrupt(self, event: GraphInterruptEvent) -> None:
            raise ValueError("boom")

    class Loud(Boom):
        raise_error = True

    class RunId(GraphCallbackHandler):
        def on_interrupt(self, event: GraphInterruptEvent) -> None:
            seen.append(event.run_id)

    # LangGraph 1.2.24: a handler's error is logged and the others still run; with raise_error
    # it propagates; run_id is config["run_id"] when given
    recorder = _recorder()
    out = _lifecycle_graph(False).invoke({"answer": None}, {"configurable": {"thread_id": "1"},
                                                            "callbacks": [Boom(), recorder]})
    assert "__interrupt__" in out and recorder.events == [_PAUSE]
    with pytest.raises(ValueError, match="boom"):
        _lifecycle_graph(False).invoke({"answer": None}, {"configurable": {"thread_id": "1"}, "callbacks": [Loud()]})
    run_id = uuid.uuid4()
    _lifecycle_graph(False).invoke({"answer": None}, {"configurable": {"thread_id": "1"}, "callbacks": [RunId()],
                                                      "run_id": run_id})
    assert seen == [run_id]


@pytest.mark.anyio
async def test_graph_lifecycle_callbacks_async(anyio_backend: str) -> None:
    from actorgraph.types import Command

    handler = _recorder(is_async=True)
    cfg = {"configurable": {"thread_id": "1"}, "callbacks": [handler]}
    g = _lifecycle_graph(True)
    await g.ainvoke({"answer": None}, cfg)
    assert await g.ainvoke(Command(resume="done"), cfg) == {"answer": "done"}
    [c async for c in g.astream({"answer": None}, {"configurable": {"thread_id": "2"}, "callbacks": [handler]})]
    assert handler.events == [_PAUSE, _RESUME, ("resume", "pending", ["sub"], True, True), _PAUSE]


# -- TracePolicy (LangGraph 1.2.24's add_node(trace_policy=...), seen while comparing types) ------


def _trace_policy_graph() -> Any:
    from actorgraph.types import TracePolicy, omit_payload

    class TS(TypedDict):
        x: int
        big: str

    def bad(value: Any) -> Any:
        raise ValueError("processor failed")

    return (StateGraph(TS)
            .add_node("a", lambda s: {"x": s["x"] + 1, "big": "B" * 5},
                      trace_policy=TracePolicy(process_inputs=lambda s: {"x": s["x"]}, process_outputs=omit_payload))
            .add_node("b", lambda s: {"x": 9}, trace_policy=TracePolicy(process_inputs=bad))
            .add_edge(START, "a").add_edge("a", "b").compile())


def _recording_handlers() -> tuple[Any, Any]:
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.tracers.base import BaseTracer

    class Tracer(BaseTracer):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[Any] = []

        def _persist_run(self, run: Any) -> None:
            pass

        def on_chain_start(self, serialized: Any, inputs: Any, *, run_id: Any, name: Any = None, **kw: Any) -> Any:
            self.seen.append(("start", name, inputs))
            return super().on_chain_start(serialized, inputs, run_id=run_id, name=name, **kw)

        def on_chain_end(self, outputs: Any, *, run_id: Any, **kw: Any) -> Any:
            self.seen.append(("end", outputs))
            return super().on_chain_end(outputs, run_id=run_id, **kw)

    class Handler(BaseCallbackHandler):
        def __init__(self) -> None:
            self.seen: list[Any] = []

        def on_chain_start(self, serialized: Any, inputs: Any, *, run_id: Any, **kw: Any) -> None:
            self.seen.append(("start", kw.get("name"), inputs))

        def on_chain_end(self, outputs: Any, *, run_id: Any, **kw: Any) -> None:
            self.seen.append(("end", outputs))

    return Tracer(), Handler()


def _node_events(seen: list[Any]) -> list[Any]:
    return [r for r in seen if r[0] == "end" or r[1] in ("a", "b")]


# LangGraph 1.2.24: tracers record the node's processed input/output, other handlers the real
# ones; a processor that raises leaves the real value (logged); we had no trace_policy= (TypeError)
_TRACER_SAW = [("start", "a", {"x": 1}), ("end", {}), ("start", "b", {"x": 2, "big": "BBBBB"}), ("end", {"x": 9}),
               ("end", {"x": 9, "big": "BBBBB"})]
_HANDLER_SAW = [("start", "a", {"x": 1, "big": "AAAA"}), ("end", {"x": 2, "big": "BBBBB"}),
                ("start", "b", {"x": 2, "big": "BBBBB"}), ("end", {"x": 9}), ("end", {"x": 9, "big": "BBBBB"})]


def test_trace_policy_sync() -> None:
    tracer, handler = _recording_handlers()
    assert _trace_policy_graph().invoke({"x": 1, "big": "AAAA"}, {"callbacks": [tracer, handler]}) == {
        "x": 9, "big": "BBBBB"}
    assert _node_events(tracer.seen) == _TRACER_SAW
    assert _node_events(handler.seen) == _HANDLER_SAW


@pytest.mark.anyio
async def test_trace_policy_async(anyio_backend: str) -> None:
    tracer, handler = _recording_handlers()
    assert await _trace_policy_graph().ainvoke({"x": 1, "big": "AAAA"}, {"callbacks": [tracer, handler]}) == {
        "x": 9, "big": "BBBBB"}
    assert _node_events(tracer.seen) == _TRACER_SAW
    assert _node_events(handler.seen) == _HANDLER_SAW
