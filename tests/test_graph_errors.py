"""Recursion limit, invalid updates, compile-time validation, retries, node failures, cancellation.

Expected values come from running the same graphs on LangGraph 1.2.24 (never from actorgraph),
except where a test says it pins one of actorgraph's deliberate deviations.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypedDict

import anyio
import msgspec
import pytest

from actorgraph import END, START, Command, RetryPolicy, Send, StateGraph
from actorgraph.errors import GraphRecursionError, GraphValidationError, InvalidUpdateError
from _helpers import L, S, MyErr, parallel_failure

pytestmark = pytest.mark.anyio

TROUBLESHOOTING = "\nFor troubleshooting, visit: https://docs.langchain.com/oss/python/langgraph/errors/"


def mk(name: str, calls: list[str] | None = None) -> Callable[[Any], dict[str, Any]]:
    def f(s: Any) -> dict[str, Any]:
        if calls is not None:
            calls.append(name)
        return {"log": [name]}

    return f


# -- scenario 8: recursion limit ---------------------------------------------------------------


def _chain(k: int, calls: list[str]) -> Any:
    g = StateGraph(L)
    prev = START
    for i in range(k):
        g.add_node(f"n{i}", mk(f"n{i}", calls))
        g.add_edge(prev, f"n{i}")
        prev = f"n{i}"
    return g.compile()


def _recursion_message(limit: int) -> str:
    return (
        f"Recursion limit of {limit} reached without hitting a stop condition. You can increase the "
        "limit by setting the `recursion_limit` config key." + TROUBLESHOOTING + "GRAPH_RECURSION_LIMIT"
    )


@pytest.mark.parametrize("k", [1, 2, 3])
async def test_k_node_chain_needs_limit_k_plus_one(k: int) -> None:
    calls: list[str] = []
    names = [f"n{i}" for i in range(k)]
    # LangGraph 1.2.24: recursion_limit=k+1 finishes with every node run once
    assert await _chain(k, calls).ainvoke({"log": []}, {"recursion_limit": k + 1}) == {"log": names}
    calls.clear()
    # LangGraph 1.2.24: recursion_limit=k runs all k nodes, then raises GraphRecursionError
    with pytest.raises(GraphRecursionError) as info:
        await _chain(k, calls).ainvoke({"log": []}, {"recursion_limit": k})
    assert isinstance(info.value, RecursionError)
    assert str(info.value) == _recursion_message(k)
    assert calls == names


def _self_loop(calls: list[int]) -> Any:
    def loop(s: S) -> dict[str, Any]:
        calls.append(1)
        return {"x": s["x"] + 1}

    g = StateGraph(S)
    g.add_node("loop", loop)
    g.add_edge(START, "loop")
    g.add_edge("loop", "loop")
    return g.compile()


@pytest.mark.parametrize("limit", [1, 3, 5])
async def test_self_loop_runs_limit_times(limit: int) -> None:
    calls: list[int] = []
    with pytest.raises(GraphRecursionError) as info:
        await _self_loop(calls).ainvoke({"x": 0}, {"recursion_limit": limit})
    # LangGraph 1.2.24: the node ran `limit` times
    assert len(calls) == limit
    assert str(info.value) == _recursion_message(limit)


async def test_recursion_error_while_streaming_after_the_chunks() -> None:
    calls: list[int] = []
    chunks: list[Any] = []
    with pytest.raises(GraphRecursionError):
        async for c in _self_loop(calls).astream({"x": 0}, {"recursion_limit": 3}):
            chunks.append(c)
    # LangGraph 1.2.24: [{'loop': {'x': 1}}, {'loop': {'x': 2}}, {'loop': {'x': 3}}] then the error
    assert chunks == [{"loop": {"x": 1}}, {"loop": {"x": 2}}, {"loop": {"x": 3}}]


async def test_parallel_tasks_count_as_one_step() -> None:
    g = StateGraph(L)
    for n in "abc":
        g.add_node(n, mk(n))
        g.add_edge(START, n)
    # LangGraph 1.2.24: {'log': ['a', 'b', 'c']} with recursion_limit=2
    assert await g.compile().ainvoke({"log": []}, {"recursion_limit": 2}) == {"log": ["a", "b", "c"]}


@pytest.mark.parametrize("limit", [0, -1])
async def test_recursion_limit_below_one(limit: int) -> None:
    # LangGraph 1.2.24: ValueError('recursion_limit must be at least 1')
    with pytest.raises(ValueError, match="^recursion_limit must be at least 1$"):
        await _chain(1, []).ainvoke({"log": []}, {"recursion_limit": limit})


def test_sync_invoke_recursion_limit() -> None:
    calls: list[int] = []
    with pytest.raises(GraphRecursionError):
        _self_loop(calls).invoke({"x": 0}, {"recursion_limit": 3})
    # LangGraph 1.2.24: 3 calls
    assert len(calls) == 3


# -- scenario 9: invalid updates ---------------------------------------------------------------

CONCURRENT = (
    "At key 'x': Can receive only one value per step. Use an Annotated key to handle multiple values."
    + TROUBLESHOOTING + "INVALID_CONCURRENT_GRAPH_UPDATE"
)


async def test_two_parallel_writes_to_a_last_value_key() -> None:
    g = StateGraph(S)
    g.add_node("a", lambda s: {"x": 1})
    g.add_node("b", lambda s: {"x": 2})
    g.add_edge(START, "a")
    g.add_edge(START, "b")
    # LangGraph 1.2.24: InvalidUpdateError with exactly this message
    with pytest.raises(InvalidUpdateError) as info:
        await g.compile().ainvoke({"x": 0})
    assert str(info.value) == CONCURRENT


async def test_one_node_writing_a_last_value_key_twice() -> None:
    g = StateGraph(S)
    g.add_node("a", lambda s: [Command(update={"x": 1}), Command(update={"x": 2})])
    g.add_edge(START, "a")
    # LangGraph 1.2.24: same InvalidUpdateError
    with pytest.raises(InvalidUpdateError) as info:
        await g.compile().ainvoke({"x": 0})
    assert str(info.value) == CONCURRENT


async def test_two_sends_writing_a_last_value_key() -> None:
    g = StateGraph(S)
    g.add_node("w", lambda a: {"x": a})
    g.add_conditional_edges(START, lambda s: [Send("w", 1), Send("w", 2)])
    # LangGraph 1.2.24: same InvalidUpdateError
    with pytest.raises(InvalidUpdateError) as info:
        await g.compile().ainvoke({"x": 0})
    assert str(info.value) == CONCURRENT


async def test_parallel_writes_to_a_reducer_key_are_fine() -> None:
    g = StateGraph(S)
    g.add_node("a", lambda s: {"log": [1]})
    g.add_node("b", lambda s: {"log": [2]})
    g.add_edge(START, "a")
    g.add_edge(START, "b")
    # LangGraph 1.2.24: {'x': 0, 'log': [1, 2]}
    assert await g.compile().ainvoke({"x": 0}) == {"x": 0, "log": [1, 2]}


class MS(msgspec.Struct):
    count: int
    name: str = ""


async def test_wrong_type_for_a_msgspec_schema_names_the_key() -> None:
    # actorgraph's deliberate deviation: LangGraph 1.2.24 accepts it ({'count': 'not an int'})
    g = StateGraph(MS)
    g.add_node("bad", lambda s: {"count": "not an int"})
    g.add_edge(START, "bad")
    with pytest.raises(InvalidUpdateError, match="count"):
        await g.compile().ainvoke({"count": 1})


async def test_unknown_key_written_by_a_node_is_an_error() -> None:
    # actorgraph's deliberate deviation: LangGraph 1.2.24 drops 'zzz' silently ({'x': 1, 'log': []})
    g = StateGraph(S)
    g.add_node("writer_node", lambda s: {"x": 1, "zzz": 2})
    g.add_edge(START, "writer_node")
    with pytest.raises(InvalidUpdateError) as info:
        await g.compile().ainvoke({"x": 0})
    assert "writer_node" in str(info.value)
    assert "zzz" in str(info.value)


async def test_unknown_key_in_a_command_update_is_an_error() -> None:
    # actorgraph's deliberate deviation: LangGraph 1.2.24 drops 'zzz' silently ({'x': 0, 'log': []})
    g = StateGraph(S)
    g.add_node("cmd_node", lambda s: Command(update={"zzz": 2}))
    g.add_edge(START, "cmd_node")
    with pytest.raises(InvalidUpdateError) as info:
        await g.compile().ainvoke({"x": 0})
    assert "cmd_node" in str(info.value)
    assert "zzz" in str(info.value)


async def test_unknown_input_keys_are_dropped_silently() -> None:
    g = StateGraph(S)
    g.add_node("a", lambda s: {"x": 1})
    g.add_edge(START, "a")
    # LangGraph 1.2.24: {'x': 1, 'log': []}
    assert await g.compile().ainvoke({"x": 0, "zzz": 3}) == {"x": 1, "log": []}


async def test_subgraph_extra_keys_are_dropped_silently() -> None:
    class Child(TypedDict):
        x: int
        only_child: str

    cg = StateGraph(Child)
    cg.add_node("c", lambda s: {"x": 7, "only_child": "dropped"})
    cg.add_edge(START, "c")
    g = StateGraph(S)
    g.add_node("child", cg.compile())
    g.add_edge(START, "child")
    # LangGraph 1.2.24: {'x': 7, 'log': []}
    assert await g.compile().ainvoke({"x": 0}) == {"x": 7, "log": []}


# -- scenario 10: compile-time validation ------------------------------------------------------


def f(s: Any) -> dict[str, Any]:
    return {"x": 1}


def r2(s: Any) -> Literal["a", "zz"]:
    return "a"


def router_named(s: Any) -> Literal["a", "zz"]:
    return "a"


def cmd_dest(s: Any) -> Command[Literal["zz"]]:
    return Command(goto="zz")


def _g(*nodes: str) -> StateGraph:
    g = StateGraph(S)
    for n in nodes:
        g.add_node(n, f)
    return g


def _unknown_end() -> StateGraph:
    g = _g("a")
    g.add_edge(START, "a")
    g.add_edge("a", "zzz")
    return g


def _unknown_start() -> StateGraph:
    g = _g("a")
    g.add_edge(START, "a")
    g.add_edge("zzz", "a")
    return g


def _branch_map() -> StateGraph:
    g = _g("a")
    g.add_edge(START, "a")
    g.add_conditional_edges("a", lambda s: "x", {"x": "nowhere"})
    return g


def _branch_list() -> StateGraph:
    g = _g("a")
    g.add_edge(START, "a")
    g.add_conditional_edges("a", lambda s: "x", ["a", "nowhere"])
    return g


def _branch_literal_start() -> StateGraph:
    g = _g("a")
    g.add_conditional_edges(START, r2)
    return g


def _branch_literal_node() -> StateGraph:
    g = _g("a")
    g.add_edge(START, "a")
    g.add_conditional_edges("a", router_named)
    return g


def _command_literal() -> StateGraph:
    g = StateGraph(S)
    g.add_node("a", cmd_dest)
    g.add_edge(START, "a")
    return g


def _destinations() -> StateGraph:
    g = StateGraph(S)
    g.add_node("a", f, destinations=("zz",))
    g.add_edge(START, "a")
    return g


# LangGraph 1.2.24: these build fine and fail in compile() with ValueError(message)
COMPILE_ERRORS = [
    (_unknown_end, "Found edge ending at unknown node `zzz`"),
    (_unknown_start, "Found edge starting at unknown node 'zzz'"),
    (lambda: _g("a"), "Graph must have an entrypoint: add at least one edge from START to another node"),
    (_branch_map, "At 'a' node, 'condition' branch found unknown target 'nowhere'"),
    (_branch_list, "At 'a' node, 'condition' branch found unknown target 'nowhere'"),
    (_branch_literal_start, "At '__start__' node, 'r2' branch found unknown target 'zz'"),
    (_branch_literal_node, "At 'a' node, 'router_named' branch found unknown target 'zz'"),
    (_command_literal, "Found edge ending at unknown node `zz`"),
    (_destinations, "Found edge ending at unknown node `zz`"),
]


@pytest.mark.parametrize(("build", "message"), COMPILE_ERRORS)
def test_compile_errors(build: Callable[[], StateGraph], message: str) -> None:
    g = build()
    with pytest.raises(GraphValidationError) as info:
        g.compile()
    assert isinstance(info.value, ValueError)
    assert str(info.value) == message


def test_validate_returns_the_builder() -> None:
    g = _g("a").add_edge(START, "a")
    assert g.validate() is g  # LangGraph 1.2.24: validate() returns the StateGraph
    with pytest.raises(GraphValidationError, match="^Interrupt node `zz` not found$"):
        g.validate(interrupt=["zz"])


def test_compile_unknown_interrupt_node() -> None:
    g = _g("a")
    g.add_edge(START, "a")
    # LangGraph 1.2.24: ValueError('Interrupt node `zz` not found')
    with pytest.raises(ValueError, match="^Interrupt node `zz` not found$"):
        g.compile(interrupt_before=["zz"])


def _dup() -> None:
    _g("a", "a")


def _end_start() -> None:
    _g("a").add_edge(END, "a")


def _start_end() -> None:
    _g("a").add_edge("a", START)


def _join_unknown_start() -> None:
    _g("a", "c").add_edge(["a", "zz"], "c")


def _join_unknown_end() -> None:
    _g("a", "b").add_edge(["a", "b"], "zz")


def _join_end_start() -> None:
    _g("a").add_edge(["a", END], "a")


def _join_start_end() -> None:
    _g("a").add_edge(["a"], START)


def _join_from_start() -> None:
    _g("a").add_edge([START, "a"], "a")  # a join waits for nodes: START is none


def _sequence_of_two_lambdas() -> None:
    StateGraph(S).add_sequence([lambda s: {}, lambda s: {}])


def _sequence_name_taken() -> None:
    _g("p").add_sequence([("p", f)])


_SEQUENCE_NAMES = (
    "Node names must be unique: node with the name '{}' already exists. If you need to use two different "
    "runnables/callables with the same name (for example, using `lambda`), please provide them as tuples "
    "(name, runnable/callable)."
)

# LangGraph 1.2.24: these fail while building (add_node / add_edge) with ValueError(message)
BUILD_ERRORS = [
    (_dup, "Node `a` already present."),
    (lambda: _g(END), "Node `__end__` is reserved."),
    (lambda: _g(START), "Node `__start__` is reserved."),
    (lambda: _g("a|b"), "'|' is a reserved character and is not allowed in the node names."),
    (lambda: _g("a:b"), "':' is a reserved character and is not allowed in the node names."),
    (_end_start, "END cannot be a start node"),
    (_start_end, "START cannot be an end node"),
    (_join_unknown_start, "Need to add_node `zz` first"),
    (_join_unknown_end, "Need to add_node `zz` first"),
    (_join_end_start, "END cannot be a start node"),
    (_join_start_end, "START cannot be an end node"),
    (_join_from_start, "Need to add_node `__start__` first"),
    (_sequence_of_two_lambdas, _SEQUENCE_NAMES.format("<lambda>")),
    (_sequence_name_taken, _SEQUENCE_NAMES.format("p")),
]


@pytest.mark.parametrize(("build", "message"), BUILD_ERRORS)
def test_build_errors(build: Callable[[], None], message: str) -> None:
    with pytest.raises(ValueError) as info:
        build()
    assert str(info.value) == message


@pytest.mark.parametrize("action", [5, "f"])
def test_a_node_that_is_not_callable_fails_in_add_node(action: Any) -> None:
    # LangGraph 1.2.24: TypeError from add_node naming the type ("Expected a Runnable, callable
    # or dict.Instead got an unsupported type: <class 'int'>"); a dict of callables is a
    # RunnableParallel there and here (tests/test_langchain_runnables.py)
    with pytest.raises(TypeError, match=f"^Node `b`: .*unsupported type: {type(action)}$"):
        StateGraph(S).add_node("b", action)


def test_unreachable_nodes_and_self_loops_compile() -> None:
    g = _g("a", "b")
    g.add_edge(START, "a")
    g.compile()  # LangGraph 1.2.24: OK
    g = _g("a")
    g.add_edge(START, "a")
    g.add_edge("a", "a")
    g.compile()  # LangGraph 1.2.24: OK


# -- scenario 11: retries ----------------------------------------------------------------------

FAST = {"initial_interval": 0.001, "jitter": False}


def _flaky(fn: Callable[..., Any], policy: RetryPolicy | None) -> Any:
    g = StateGraph(L)
    g.add_node("flaky", fn, retry_policy=policy)
    g.add_edge(START, "flaky")
    return g.compile()


@pytest.mark.parametrize(("policy", "expected_calls"), [
    (RetryPolicy(**FAST), 3),                    # LangGraph 1.2.24: 3 attempts (default max_attempts)
    (RetryPolicy(max_attempts=5, **FAST), 5),    # LangGraph 1.2.24: 5
    (None, 1),                                   # LangGraph 1.2.24: no policy, one attempt
])
async def test_connection_error_retried_up_to_max_attempts(policy: RetryPolicy | None, expected_calls: int) -> None:
    calls: list[int] = []

    def conn(s: L) -> dict[str, Any]:
        calls.append(1)
        raise ConnectionError("down")

    with pytest.raises(ConnectionError) as info:
        await _flaky(conn, policy).ainvoke({"log": []})
    assert len(calls) == expected_calls
    # LangGraph 1.2.24: str 'down', one note "During task with name 'flaky' and id '<uuid>'"
    assert str(info.value) == "down"
    assert len(info.value.__notes__) == 1
    assert info.value.__notes__[0].startswith("During task with name 'flaky' and id '")


async def test_add_node_retry_and_input_are_deprecated_names() -> None:
    # LangGraph 1.2.24: add_node(retry=...) warns "`retry` is deprecated and will be removed.
    # Please use `retry_policy` instead." and retries (3 calls); input= likewise for input_schema
    calls: list[int] = []

    def conn(s: L) -> dict[str, Any]:
        calls.append(1)
        raise ConnectionError("down")

    class Reads(TypedDict):
        log: list[str]

    g = StateGraph(L)
    with pytest.warns(DeprecationWarning, match="`retry` is deprecated.*`retry_policy`"):
        g.add_node("flaky", conn, retry=RetryPolicy(**FAST))
    with pytest.warns(DeprecationWarning, match="`input` is deprecated.*`input_schema`"):
        g.add_node("reader", lambda s: {"log": ["read"]}, input=Reads)
    assert g.nodes["reader"].input_schema is Reads
    g.add_edge(START, "flaky")
    with pytest.raises(ConnectionError):
        await g.compile().ainvoke({"log": []})
    assert len(calls) == 3


async def test_async_node_retried() -> None:
    calls: list[int] = []

    async def aconn(s: L) -> dict[str, Any]:
        calls.append(1)
        raise ConnectionError("adown")

    with pytest.raises(ConnectionError):
        await _flaky(aconn, RetryPolicy(**FAST)).ainvoke({"log": []})
    # LangGraph 1.2.24: 3 calls
    assert len(calls) == 3


@pytest.mark.parametrize(("exc", "expected_calls"), [
    (ValueError("bad"), 1),      # LangGraph 1.2.24: never retried by default
    (RuntimeError("r"), 1),
    (KeyError("k"), 1),
    (OSError("o"), 1),
    (TimeoutError("t"), 1),
    (Exception("plain"), 3),     # LangGraph 1.2.24: other exceptions are retried
])
async def test_default_retry_on(exc: Exception, expected_calls: int) -> None:
    calls: list[int] = []

    def fail(s: L) -> dict[str, Any]:
        calls.append(1)
        raise exc

    with pytest.raises(type(exc)):
        await _flaky(fail, RetryPolicy(**FAST)).ainvoke({"log": []})
    assert len(calls) == expected_calls


async def test_success_after_retries() -> None:
    n = {"c": 0}

    def eventually(s: L) -> dict[str, Any]:
        n["c"] += 1
        if n["c"] < 3:
            raise ConnectionError("x")
        return {"log": [n["c"]]}

    graph = _flaky(eventually, RetryPolicy(**FAST))
    # LangGraph 1.2.24: {'log': [3]} after 3 calls; a single updates chunk [{'flaky': {'log': [3]}}]
    assert await graph.ainvoke({"log": []}) == {"log": [3]}
    assert n["c"] == 3
    n["c"] = 0
    assert [c async for c in graph.astream({"log": []})] == [{"flaky": {"log": [3]}}]


@pytest.mark.parametrize(("retry_on", "max_attempts", "exc", "expected_calls"), [
    (ValueError, 4, ValueError("bad"), 4),                        # LangGraph 1.2.24: 4
    ((KeyError, ValueError), 2, ValueError("bad"), 2),            # LangGraph 1.2.24: 2
    (lambda e: "bad" in str(e), 3, ValueError("bad"), 3),         # LangGraph 1.2.24: 3
    (ValueError, 3, ConnectionError("down"), 1),                  # LangGraph 1.2.24: 1
])
async def test_custom_retry_on(retry_on: Any, max_attempts: int, exc: Exception, expected_calls: int) -> None:
    calls: list[int] = []

    def fail(s: L) -> dict[str, Any]:
        calls.append(1)
        raise exc

    policy = RetryPolicy(retry_on=retry_on, max_attempts=max_attempts, **FAST)
    with pytest.raises(type(exc)):
        await _flaky(fail, policy).ainvoke({"log": []})
    assert len(calls) == expected_calls


# -- scenario 12: node failures ----------------------------------------------------------------


async def test_node_exception_surfaces_unchanged_with_a_task_note() -> None:
    def boom(s: L) -> dict[str, Any]:
        raise MyErr("kaboom 42")

    g = StateGraph(L)
    g.add_node("boom", boom)
    g.add_edge(START, "boom")
    with pytest.raises(MyErr) as info:
        await g.compile().ainvoke({"log": []})
    # LangGraph 1.2.24: MyErr('kaboom 42') with note "During task with name 'boom' and id '<uuid>'"
    assert type(info.value) is MyErr
    assert info.value.args == ("kaboom 42",)
    assert len(info.value.__notes__) == 1
    note = info.value.__notes__[0]
    assert note.startswith("During task with name 'boom' and id '") and note.endswith("'")
    assert len(note) == len("During task with name 'boom' and id ''") + 36


async def test_parallel_failure_cancels_siblings() -> None:
    events: list[str] = []
    with anyio.fail_after(3):
        with pytest.raises(MyErr) as info:
            await parallel_failure(events).ainvoke({"log": []})
    # LangGraph 1.2.24: MyErr('parallel failure'), note naming 'fails'; quick ran, slow cancelled,
    # after never ran; took ~0.0 s
    assert str(info.value) == "parallel failure"
    assert len(info.value.__notes__) == 1
    assert info.value.__notes__[0].startswith("During task with name 'fails' and id '")
    assert sorted(events) == ["quick", "slow cancelled", "slow started"]


async def test_router_exception_has_the_task_note() -> None:
    def router(s: L) -> str:
        raise MyErr("router fail")

    g = StateGraph(L)
    g.add_node("a", mk("a"))
    g.add_edge(START, "a")
    g.add_conditional_edges("a", router)
    with pytest.raises(MyErr) as info:
        await g.compile().ainvoke({"log": []})
    # LangGraph 1.2.24: note "During task with name 'a' and id '...'"
    assert str(info.value) == "router fail"
    assert info.value.__notes__[0].startswith("During task with name 'a' and id '")


async def test_send_task_exception() -> None:
    def w(x: int) -> dict[str, Any]:
        if x == 2:
            raise MyErr(f"send {x}")
        return {"log": [x]}

    g = StateGraph(L)
    g.add_node("w", w)
    g.add_conditional_edges(START, lambda s: [Send("w", i) for i in range(3)])
    with pytest.raises(MyErr) as info:
        await g.compile().ainvoke({"log": []})
    # LangGraph 1.2.24: MyErr('send 2') with note "During task with name 'w' and id '...'"
    assert str(info.value) == "send 2"
    assert info.value.__notes__[0].startswith("During task with name 'w' and id '")


def bad_reducer(a: Any, b: Any) -> Any:
    raise MyErr("reducer fail")


class R(TypedDict):
    v: Annotated[list[Any], bad_reducer]


async def test_reducer_exception_propagates_unchanged() -> None:
    g = StateGraph(R)
    g.add_node("a", lambda s: {"v": [1]})
    g.add_edge(START, "a")
    # LangGraph 1.2.24: MyErr('reducer fail'), no notes
    with pytest.raises(MyErr) as info:
        await g.compile().ainvoke({})
    assert str(info.value) == "reducer fail"
    assert getattr(info.value, "__notes__", None) is None


def test_sync_invoke_node_exception() -> None:
    def boom(s: L) -> dict[str, Any]:
        raise MyErr("kaboom")

    g = StateGraph(L)
    g.add_node("boom", boom)
    g.add_edge(START, "boom")
    # LangGraph 1.2.24: MyErr('kaboom') with the task note
    with pytest.raises(MyErr) as info:
        g.compile().invoke({"log": []})
    assert str(info.value) == "kaboom"
    assert info.value.__notes__[0].startswith("During task with name 'boom' and id '")


# -- scenario 13: cancelling a run from outside ------------------------------------------------


def _sleeper(started: list[str]) -> Any:
    async def sleepy(s: L) -> dict[str, Any]:
        started.append("sleepy")
        await anyio.sleep(30)
        return {"log": ["sleepy"]}

    def other(s: L) -> dict[str, Any]:
        return {"log": ["other"]}

    g = StateGraph(L)
    g.add_node("sleepy", sleepy)
    g.add_node("other", other)
    g.add_node("sleepy2", sleepy)
    g.add_edge(START, "sleepy")
    g.add_edge(START, "other")
    g.add_edge(START, "sleepy2")
    return g.compile()


def _snapshot(backend: str) -> Any:
    if backend == "asyncio":
        return set(asyncio.all_tasks())
    import trio

    return list(trio.lowlevel.current_task().child_nurseries)


@pytest.mark.parametrize("parallel", [False, True])
async def test_cancelling_ainvoke_leaves_no_task_behind(anyio_backend: str, parallel: bool) -> None:
    started: list[str] = []
    if parallel:
        graph = _sleeper(started)
    else:
        g = StateGraph(L)

        async def sleepy(s: L) -> dict[str, Any]:
            started.append("sleepy")
            await anyio.sleep(30)
            return {}

        g.add_node("sleepy", sleepy)
        g.add_edge(START, "sleepy")
        graph = g.compile()
    before = _snapshot(anyio_backend)
    with anyio.move_on_after(0.05) as scope:
        await graph.ainvoke({"log": []})
    assert scope.cancelled_caught
    assert started
    await anyio.sleep(0)
    assert _snapshot(anyio_backend) == before
    if anyio_backend == "trio":
        assert before == []


async def test_cancelling_astream_leaves_no_task_behind(anyio_backend: str) -> None:
    started: list[str] = []
    graph = _sleeper(started)
    before = _snapshot(anyio_backend)
    chunks: list[Any] = []
    with anyio.move_on_after(0.05) as scope:
        async for c in graph.astream({"log": []}):
            chunks.append(c)
    assert scope.cancelled_caught
    assert sorted(started) == ["sleepy", "sleepy"]
    await anyio.sleep(0)
    assert _snapshot(anyio_backend) == before



class N(TypedDict):
    n: int


@pytest.mark.parametrize("limit", [3, 5])
async def test_recursion_limit_applies_inside_a_subgraph(limit: int) -> None:
    calls: list[int] = []

    def inc(s: N) -> dict[str, Any]:
        calls.append(1)
        return {"n": s["n"] + 1}

    cg = StateGraph(N)
    cg.add_node("inc", inc)
    cg.add_edge(START, "inc")
    cg.add_edge("inc", "inc")
    g = StateGraph(N)
    g.add_node("child", cg.compile())
    g.add_edge(START, "child")
    with pytest.raises(GraphRecursionError) as info:
        await g.compile().ainvoke({"n": 0}, {"recursion_limit": limit})
    # LangGraph 1.2.24: the child's self-loop ran `limit` times; note names the parent task 'child'
    assert len(calls) == limit
    assert str(info.value) == _recursion_message(limit)
    assert info.value.__notes__[0].startswith("During task with name 'child' and id '")


async def test_subgraph_chain_counts_its_own_steps() -> None:
    calls: list[int] = []

    def inc(s: N) -> dict[str, Any]:
        calls.append(1)
        return {"n": s["n"] + 1}

    cg = StateGraph(N)
    for i in range(3):
        cg.add_node(f"c{i}", inc)
    cg.add_edge(START, "c0")
    cg.add_edge("c0", "c1")
    cg.add_edge("c1", "c2")
    g = StateGraph(N)
    g.add_node("child", cg.compile())
    g.add_edge(START, "child")
    graph = g.compile()
    # LangGraph 1.2.24: L=4 -> {'n': 3}; L=3 raises after 3 calls; L=2 after 2
    assert await graph.ainvoke({"n": 0}, {"recursion_limit": 4}) == {"n": 3}
    for limit in (2, 3):
        calls.clear()
        with pytest.raises(GraphRecursionError):
            await graph.ainvoke({"n": 0}, {"recursion_limit": limit})
        assert len(calls) == limit


async def test_exception_in_a_nested_subgraph_carries_one_note_per_level() -> None:
    def boom(s: N) -> dict[str, Any]:
        raise MyErr("deep")

    cg = StateGraph(N)
    cg.add_node("boom", boom)
    cg.add_edge(START, "boom")
    mid = StateGraph(N)
    mid.add_node("child", cg.compile())
    mid.add_edge(START, "child")
    g = StateGraph(N)
    g.add_node("mid", mid.compile())
    g.add_edge(START, "mid")
    with pytest.raises(MyErr) as info:
        await g.compile().ainvoke({"n": 0})
    # LangGraph 1.2.24: notes for 'boom', then 'child', then 'mid'
    assert str(info.value) == "deep"
    assert [n.split(" and id")[0] for n in info.value.__notes__] == [
        "During task with name 'boom'", "During task with name 'child'", "During task with name 'mid'"
    ]
