"""The functional API (issue 13): ``@entrypoint`` and ``@task`` from ``actorgraph.func``.

The workflows are LangGraph's functional-API docs examples, ported by imports; expected values
were observed by running the same code with LangGraph 1.2 (``langgraph.func``), except where a
comment says what is checked instead (concurrency, side-effect counts).
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import operator
from typing import Annotated, Any, TypedDict

import anyio
import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict as XTypedDict

from actorgraph import START, Command, RetryPolicy, StateGraph, get_stream_writer, interrupt
from actorgraph.errors import ResumeError
from actorgraph.func import entrypoint, task
from actorgraph.persistence import BaseCheckpointSaver, InMemorySaver


def cfg(thread: str = "t") -> dict[str, Any]:
    return {"configurable": {"thread_id": thread}}


def test_the_package_exports_documented_names() -> None:
    module = importlib.import_module("actorgraph.func")
    assert module.__doc__
    for name in module.__all__:
        obj = getattr(module, name)
        assert inspect.getdoc(obj), name


# -- parallel tasks -----------------------------------------------------------------------


@task
def add_one(x: int) -> int:
    return x + 1


@task
def double(x: int) -> int:
    return x * 2


def test_sync_parallel_tasks_stream_updates_per_task_then_the_entrypoint() -> None:
    @entrypoint(checkpointer=InMemorySaver())
    def wf(inputs: dict[str, Any], *, previous: Any = None) -> dict[str, Any]:
        futures = [add_one(i) for i in inputs["xs"]]
        total = sum(f.result() for f in futures)
        d = double(total).result()
        get_stream_writer()({"custom": d})
        return {"sum": d, "prev": previous}

    # LangGraph 1.2: the same four chunks; the two add_one calls run at once in worker threads
    # and stream as each finishes (either may be first), then double, then the entrypoint
    chunks = list(wf.stream({"xs": [1, 2]}, cfg("u"), stream_mode="updates"))
    assert sorted(c["add_one"] for c in chunks[:2]) == [2, 3]
    assert chunks[2:] == [{"double": 10}, {"wf": {"sum": 10, "prev": None}}]
    assert list(wf.stream({"xs": [1, 2]}, cfg("v"), stream_mode="values")) == [{"sum": 10, "prev": None}]
    assert list(wf.stream({"xs": [1, 2]}, cfg("c"), stream_mode="custom")) == [{"custom": 10}]
    assert wf.invoke({"xs": [3]}, cfg("c")) == {"sum": 8, "prev": {"sum": 10, "prev": None}}


@pytest.mark.anyio
async def test_async_task_calls_run_concurrently() -> None:
    started = anyio.Event()

    @task
    async def first() -> str:
        with anyio.fail_after(5):  # (a deadlock guard, not a timing assertion)
            await started.wait()  # set by `second`: only returns if both run at once
        return "first"

    @task
    async def second() -> str:
        started.set()
        return "second"

    @entrypoint()
    async def wf(_: Any) -> list[str]:
        a, b = first(), second()
        return [await a, await b]

    assert await wf.ainvoke(1) == ["first", "second"]


@pytest.mark.anyio
async def test_sync_entrypoint_and_sync_tasks_under_the_async_api() -> None:
    @entrypoint(checkpointer=InMemorySaver())
    def wf(xs: list[int]) -> list[int]:
        futures = [add_one(x) for x in xs]
        return [double(f.result()).result() for f in futures]

    assert await wf.ainvoke([1, 2, 3], cfg()) == [4, 6, 8]
    chunks = [c async for c in wf.astream([5], cfg("s"), stream_mode="updates")]
    assert chunks == [{"add_one": 6}, {"double": 12}, {"wf": [12]}]


@pytest.mark.anyio
async def test_async_workflow_streams_tasks_and_debug_shapes() -> None:
    @task
    async def inc(x: int) -> int:
        return x + 1

    @entrypoint(checkpointer=InMemorySaver())
    async def wf(x: int) -> int:
        return await inc(x)

    events = [e async for e in wf.astream(1, cfg(), stream_mode="tasks")]
    # LangGraph 1.2 (ids aside): the entrypoint's task, the call's start and result (its
    # input as (args, kwargs), its result under __return__), the entrypoint's result
    assert [{k: v for k, v in e.items() if k != "id"} for e in events[:3]] == [
        {"name": "wf", "input": 1, "triggers": ("__start__",)},
        {"name": "inc", "input": ((1,), {}), "triggers": ("__pregel_push",)},
        {"name": "inc", "error": None, "result": {"__return__": 2}, "interrupts": []},
    ]
    assert events[1]["id"] == events[2]["id"] != events[0]["id"] == events[3]["id"]
    assert {k: v for k, v in events[3].items() if k != "id"} == {
        "name": "wf", "error": None, "result": {"__end__": 2}, "interrupts": []}
    debug = [e async for e in wf.astream(1, cfg("d"), stream_mode="debug")]
    assert [(e["step"], e["type"], e["payload"].get("name")) for e in debug] == [
        (-1, "checkpoint", None), (0, "task", "wf"), (0, "task", "inc"), (0, "task_result", "inc"),
        (0, "task_result", "wf"), (0, "checkpoint", None),
    ]
    assert debug[4]["payload"]["result"] == {"__end__": 2}
    # the channels of the checkpoint: LangGraph's names
    saved = wf.checkpointer.get_tuple(cfg("d"))
    assert saved.checkpoint.channel_values == {"__end__": 2, "__previous__": 2}


def test_task_ids_are_distinct_per_call_and_per_run() -> None:
    # Observed from LangGraph 1.2: without a checkpointer, every call of a run has its own id
    # and a second run gets other ids (they derive from checkpoint ids each run makes afresh;
    # with a checkpointer, a resume from one checkpoint finds the same ids again).
    seen: list[str] = []

    @task
    def who() -> str:
        from actorgraph import get_config

        seen.append(get_config()["configurable"]["__pregel_task_id"])
        return "x"

    @entrypoint()
    def wf(_: Any) -> int:
        for f in [who(), who(), who()]:
            f.result()
        return 0

    wf.invoke(1)
    first = list(seen)
    seen.clear()
    wf.invoke(1)
    assert len(set(first)) == 3 and len(set(seen)) == 3 and not set(seen) & set(first)


# -- human in the loop --------------------------------------------------------------------


def essay_workflow(saver: BaseCheckpointSaver, calls: list[Any]) -> Any:
    @task
    def write_essay(topic: str) -> str:
        calls.append(("essay", topic))
        return f"essay about {topic}"

    @task
    def review(essay: str) -> Any:
        calls.append(("review",))
        answer = interrupt({"question": "ok?", "essay": essay})
        calls.append(("review-after", answer))
        return answer

    @entrypoint(checkpointer=saver)
    def wf(topic: str) -> dict[str, Any]:
        essay = write_essay(topic).result()
        return {"essay": essay, "review": review(essay).result()}

    return wf


@pytest.mark.anyio
async def test_interrupt_in_a_task_resumes_without_rerunning_finished_tasks(saver: BaseCheckpointSaver) -> None:
    calls: list[Any] = []
    wf = essay_workflow(saver, calls)
    chunks = [c async for c in wf.astream("cats", cfg(), stream_mode="updates")]
    assert chunks[0] == {"write_essay": "essay about cats"}
    (asked,) = chunks[1]["__interrupt__"]
    assert asked.value == {"question": "ok?", "essay": "essay about cats"}
    state = await wf.aget_state(cfg())
    # LangGraph 1.2: nothing returned yet, the entrypoint next, its task showing the question
    assert state.values is None and state.next == ("wf",)
    assert state.tasks[0].interrupts == (asked,) and state.interrupts == (asked,)
    resumed = [c async for c in wf.astream(Command(resume="good"), cfg(), stream_mode="updates")]
    assert resumed == [{"review": "good"}, {"wf": {"essay": "essay about cats", "review": "good"}}]
    # LangGraph 1.2: the essay is written once; the review runs again up to its answer
    assert calls == [("essay", "cats"), ("review",), ("review",), ("review-after", "good")]


def test_interrupt_in_the_entrypoint_invoke_returns_the_question_then_the_value() -> None:
    calls: list[Any] = []

    @task
    def write(topic: str) -> str:
        calls.append(topic)
        return f"essay about {topic}"

    @entrypoint(checkpointer=InMemorySaver())
    def wf(x: str) -> list[str]:
        a = write(x).result()
        b = write(interrupt("q1")).result()
        return [a, b]

    out = wf.invoke("x", cfg())
    assert [i.value for i in out["__interrupt__"]] == ["q1"] and list(out) == ["__interrupt__"]
    assert wf.invoke(Command(resume="y"), cfg()) == ["essay about x", "essay about y"]
    assert calls == ["x", "y"]  # LangGraph 1.2: 'x' written once


@pytest.mark.anyio
async def test_parallel_interrupts_surface_one_at_a_time_as_awaited() -> None:
    @task
    async def asks(x: int) -> str:
        return str(interrupt(f"q{x}"))

    @entrypoint(checkpointer=InMemorySaver())
    async def wf(n: int) -> list[str]:
        futures = [asks(i) for i in range(n)]
        return [await f for f in futures]

    out = await wf.ainvoke(2, cfg())
    # LangGraph 1.2: the question the entrypoint awaited first, then the next one
    assert [i.value for i in out["__interrupt__"]] == ["q0"]
    out = await wf.ainvoke(Command(resume="a0"), cfg())
    assert [i.value for i in out["__interrupt__"]] == ["q1"]
    assert await wf.ainvoke(Command(resume="a1"), cfg()) == ["a0", "a1"]
    with pytest.raises(ResumeError):
        await wf.ainvoke(Command(resume="again"), cfg())


def test_interrupt_without_a_checkpointer_returns_the_question() -> None:
    @entrypoint()
    def wf(x: str) -> Any:
        return interrupt("q")

    out = wf.invoke("a")
    assert [i.value for i in out["__interrupt__"]] == ["q"]


def test_a_paused_entrypoint_returns_the_question_not_the_last_value() -> None:
    @entrypoint(checkpointer=InMemorySaver())
    def wf(x: str) -> Any:
        if x == "ask":
            return interrupt("q")
        return x

    assert wf.invoke("a", cfg()) == "a"
    assert [i.value for i in wf.invoke("ask", cfg())["__interrupt__"]] == ["q"]
    assert wf.get_state(cfg()).values == "a"  # LangGraph 1.2: the last value until it returns
    assert list(wf.stream(Command(resume="r"), cfg(), stream_mode="values")) == ["a", "r"]


# -- short-term memory: previous and final -------------------------------------------------


@pytest.mark.anyio
async def test_previous_is_the_last_return_value_on_the_thread() -> None:
    @entrypoint(checkpointer=InMemorySaver())
    async def counter(n: int, *, previous: Any = None) -> int:
        return (previous or 0) + n

    assert [await counter.ainvoke(n, cfg()) for n in (1, 2, 3)] == [1, 3, 6]
    assert await counter.ainvoke(10, cfg("other")) == 10  # another thread: no previous


def test_final_returns_one_value_and_saves_another() -> None:
    @entrypoint(checkpointer=InMemorySaver())
    def acc(n: int, *, previous: Any = None) -> Any:
        previous = previous or 0
        return entrypoint.final(value=previous, save=previous + n)

    # LangGraph 1.2: 0 1 3, state 3; then updates {'acc': 6} and values 6
    assert [acc.invoke(n, cfg()) for n in (1, 2, 3)] == [0, 1, 3]
    assert acc.get_state(cfg()).values == 3
    assert list(acc.stream(4, cfg(), stream_mode=["updates", "values"])) == [("updates", {"acc": 6}), ("values", 6)]


def test_injected_config_writer_store_and_runtime() -> None:
    from actorgraph.persistence import InMemoryStore

    store = InMemoryStore()
    store.put(("ns",), "k", {"v": 1})

    @entrypoint(checkpointer=InMemorySaver(), store=store)
    def wf(x: int, *, previous: Any = None, config: Any = None, writer: Any = None, store: Any = None,
           runtime: Any = None) -> dict[str, Any]:
        writer({"x": x})
        return {
            "thread": config["configurable"]["thread_id"],
            "stored": store.get(("ns",), "k").value,
            "runtime_previous": runtime.previous,
            "runtime_context": runtime.context,
        }

    assert list(wf.stream(1, cfg(), stream_mode="custom")) == [{"x": 1}]
    out = wf.invoke(2, cfg(), context={"user": "u"})
    assert out["thread"] == "t" and out["stored"] == {"v": 1} and out["runtime_context"] == {"user": "u"}
    assert out["runtime_previous"]["thread"] == "t"


# -- errors and retries ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_task_is_retried_per_policy_then_its_error_surfaces_with_notes() -> None:
    attempts: list[int] = []

    @task(retry_policy=RetryPolicy(max_attempts=3, initial_interval=0.001, jitter=False, retry_on=ValueError))
    async def flaky(x: int) -> int:
        attempts.append(x)
        if len(attempts) < 3:
            raise ValueError("boom")
        return x

    @entrypoint()
    async def ok(x: int) -> int:
        return await flaky(x)

    assert await ok.ainvoke(5) == 5 and attempts == [5, 5, 5]

    @task
    async def bad(x: int) -> int:
        raise KeyError(x)

    @entrypoint()
    async def wf(x: int) -> int:
        return await bad(x)

    with pytest.raises(KeyError) as info:
        await wf.ainvoke(5)
    # LangGraph 1.2: the task's note, then the entrypoint's
    notes = info.value.__notes__
    assert len(notes) == 2
    assert notes[0].startswith("During task with name 'bad' and id '")
    assert notes[1].startswith("During task with name 'wf' and id '")


def test_a_failed_call_nobody_waits_for_does_not_fail_the_run() -> None:
    @task
    def bad(x: int) -> int:
        raise KeyError(x)

    @entrypoint(checkpointer=InMemorySaver())
    def wf(x: int) -> int:
        bad(x)
        return 1

    assert wf.invoke(5, cfg()) == 1  # LangGraph 1.2: 1


@pytest.mark.anyio
async def test_after_a_failure_the_resumed_run_does_not_rerun_finished_tasks(saver: BaseCheckpointSaver) -> None:
    calls: list[str] = []
    fail = [True]

    @task
    async def one() -> str:
        calls.append("one")
        return "1"

    @task
    async def two() -> str:
        calls.append("two")
        if fail[0]:
            raise RuntimeError("flaky")
        return "2"

    @entrypoint(checkpointer=saver)
    async def wf(_: Any) -> str:
        return await one() + await two()

    with pytest.raises(RuntimeError, match="flaky"):
        await wf.ainvoke(0, cfg())
    fail[0] = False
    assert await wf.ainvoke(None, cfg()) == "12"
    assert calls == ["one", "two", "two"]


def test_tasks_outside_an_entrypoint_and_result_on_the_loop_thread_are_refused() -> None:
    with pytest.raises(RuntimeError, match="outside of an entrypoint"):
        add_one(1)

    @task
    async def slow() -> int:
        await anyio.sleep(0.01)
        return 1

    @entrypoint()
    async def wf(_: Any) -> int:
        return slow().result()

    with pytest.raises(RuntimeError, match="use 'await future'"):
        anyio.run(wf.ainvoke, 0)


@task
async def async_plus(x: int) -> int:
    return x + 1


@task
def sync_calls_async(x: int) -> int:
    return async_plus(x).result()


def test_an_async_task_called_in_a_run_of_the_sync_api_is_refused() -> None:
    from actorgraph.errors import AsyncTaskInSyncRunError, GraphError

    @entrypoint(checkpointer=InMemorySaver())
    def awaited(x: int) -> int:
        return async_plus(x).result()

    @entrypoint(checkpointer=InMemorySaver())
    def not_awaited(x: int) -> int:
        async_plus(x)
        return 5

    @entrypoint(checkpointer=InMemorySaver())
    def nested(x: int) -> int:
        return sync_calls_async(x).result()

    def node(state: S) -> dict[str, Any]:
        return {"x": async_plus(state["x"]).result()}

    g = StateGraph(S)
    g.add_node("n", node)
    g.add_edge(START, "n")
    graph = g.compile()
    # LangGraph 1.2: RuntimeError("In an sync context async tasks cannot be called") at the
    # call (awaited or not), with the notes of the tasks it went through; under invoke(),
    # stream() and batch(), of an entrypoint or of a graph whose node calls the task
    runs: list[tuple[Any, list[str]]] = [
        (lambda: awaited.invoke(1, cfg("a")), ["awaited"]),
        (lambda: not_awaited.invoke(1, cfg("b")), ["not_awaited"]),
        (lambda: nested.invoke(1, cfg("c")), ["sync_calls_async", "nested"]),
        (lambda: list(awaited.stream(1, cfg("d"))), ["awaited"]),
        (lambda: awaited.batch([1, 2], [cfg("e1"), cfg("e2")]), ["awaited"]),
        (lambda: graph.invoke({"x": 1, "log": []}), ["n"]),
        (lambda: list(graph.stream({"x": 1, "log": []})), ["n"]),
    ]
    for run, tasks in runs:
        with pytest.raises(AsyncTaskInSyncRunError, match=r"^In an sync context async tasks cannot be called") as info:
            run()
        assert isinstance(info.value, GraphError) and isinstance(info.value, RuntimeError)
        assert info.value.task == "async_plus"
        assert [n.split("'")[1] for n in info.value.__notes__] == tasks


@pytest.mark.anyio
async def test_an_async_task_called_from_sync_code_in_a_run_of_the_async_api_runs() -> None:
    @entrypoint(checkpointer=InMemorySaver())
    def wf(x: int) -> int:
        return sync_calls_async(x).result() + async_plus(x).result()

    def node(state: S) -> dict[str, Any]:
        return {"x": async_plus(state["x"]).result()}

    g = StateGraph(S)
    g.add_node("n", node)
    g.add_edge(START, "n")
    # LangGraph 1.2: ainvoke()/astream() allow them (the sync code runs in a worker thread)
    assert await wf.ainvoke(1, cfg()) == 4
    assert [c async for c in wf.astream(1, cfg("s"))][-1] == {"wf": 4}
    assert await g.compile().ainvoke({"x": 1, "log": []}) == {"x": 2, "log": []}


def test_cached_task_calls_and_a_cached_entrypoint() -> None:
    from actorgraph.cache import InMemoryCache
    from actorgraph.types import CachePolicy

    calls: list[int] = []

    @task(cache_policy=CachePolicy())
    def slow(x: int, k: int = 1) -> int:
        calls.append(x)
        return x * k

    @entrypoint(cache=InMemoryCache())
    def wf(xs: list[int]) -> list[int]:
        return [slow(x).result() for x in xs]

    # LangGraph 1.2: the same chunks; a hit streams with __metadata__ cached and does not run
    assert list(wf.stream([1, 2], stream_mode="updates")) == [{"slow": 1}, {"slow": 2}, {"wf": [1, 2]}]
    assert list(wf.stream([1, 3], stream_mode="updates")) == [
        {"slow": 1, "__metadata__": {"cached": True}}, {"slow": 3}, {"wf": [1, 3]},
    ]
    assert calls == [1, 2, 3]
    runs: list[int] = []

    @entrypoint(cache=InMemoryCache(), cache_policy=CachePolicy())
    def whole(x: int) -> int:
        runs.append(x)
        return x + 1

    assert list(whole.stream(1, stream_mode="updates")) == [{"whole": 2}]
    assert list(whole.stream(1, stream_mode="updates")) == [{"whole": 2, "__metadata__": {"cached": True}}]
    assert runs == [1]


@pytest.mark.anyio
async def test_a_task_clears_its_cached_results() -> None:
    # LangGraph 1.2: task.clear_cache(cache) / await task.aclear_cache(cache) drop the task's
    # entries (its next call with the same arguments runs again); other tasks' stay
    from actorgraph.cache import InMemoryCache
    from actorgraph.types import CachePolicy

    calls: list[str] = []

    @task(cache_policy=CachePolicy())
    def double(x: int) -> int:
        calls.append("double")
        return 2 * x

    @task(cache_policy=CachePolicy())
    def triple(x: int) -> int:
        calls.append("triple")
        return 3 * x

    cache = InMemoryCache()

    @entrypoint(cache=cache)
    def wf(x: int) -> list[int]:
        return [double(x).result(), triple(x).result()]

    assert await wf.ainvoke(1) == [2, 3]
    assert await wf.ainvoke(1) == [2, 3]
    assert calls == ["double", "triple"]
    await double.aclear_cache(cache)
    assert await wf.ainvoke(1) == [2, 3]
    assert calls == ["double", "triple", "double"]
    triple.clear_cache(cache)
    assert await wf.ainvoke(1) == [2, 3]
    assert calls == ["double", "triple", "double", "triple"]

    @task
    def plain(x: int) -> int:
        return x

    plain.clear_cache(cache)  # (no cache_policy: nothing to drop, no error, as LangGraph)


@pytest.mark.anyio
async def test_a_partial_task_is_named_after_its_function() -> None:
    # LangGraph 1.2: task(functools.partial(baz, "baz")) streams as {"baz": ...}
    import functools

    async def baz(update: str, value: str) -> str:
        return value + f"|{update}"

    unnamed = task(functools.partial(baz, "baz"))
    named = task(functools.partial(baz, "custom"), name="custom_baz")
    assert unnamed.name == "baz"

    @entrypoint()
    async def wf(value: str) -> str:
        return await named(await unnamed(value))

    assert [c async for c in wf.astream("x", stream_mode="updates")] == [
        {"baz": "x|baz"}, {"custom_baz": "x|baz|custom"}, {"wf": "x|baz|custom"},
    ]


def test_a_generator_entrypoint_is_refused() -> None:
    # LangGraph 1.2: NotImplementedError when decorating a generator function, sync or async
    with pytest.raises(NotImplementedError, match="gen"):
        @entrypoint()
        def gen(x: int) -> Any:
            yield x

    with pytest.raises(NotImplementedError, match="agen"):
        @entrypoint()
        async def agen(x: int) -> Any:
            yield x


# -- durability -----------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
async def test_every_durability_keeps_finished_calls_across_an_interrupt(durability: str) -> None:
    calls: list[int] = []

    @task
    async def step(i: int) -> int:
        calls.append(i)
        return i

    @entrypoint(checkpointer=InMemorySaver())
    async def wf(n: int) -> list[Any]:
        done = [await step(i) for i in range(n)]
        return [*done, interrupt("more?")]

    out = await wf.ainvoke(3, cfg(), durability=durability)
    assert "__interrupt__" in out
    assert await wf.ainvoke(Command(resume="yes"), cfg(), durability=durability) == [0, 1, 2, "yes"]
    assert calls == [0, 1, 2]


# -- state API --------------------------------------------------------------------------------


def test_history_and_update_state() -> None:
    @entrypoint(checkpointer=InMemorySaver())
    def wf(x: int, *, previous: Any = None) -> Any:
        return [x, previous]

    wf.invoke(1, cfg())
    wf.invoke(2, cfg())
    history = list(wf.get_state_history(cfg()))
    # LangGraph 1.2: newest first; input checkpoints have the entrypoint next, its result on
    # the task
    assert [(h.values, h.next, h.metadata["source"], h.metadata["step"]) for h in history] == [
        ([2, [1, None]], (), "loop", 2),
        ([1, None], ("wf",), "input", 1),
        ([1, None], (), "loop", 0),
        (None, ("wf",), "input", -1),
    ]
    assert history[1].tasks[0].result == [2, [1, None]]
    wf.update_state(cfg(), "upd")
    state = wf.get_state(cfg())
    assert state.values == "upd" and state.metadata["source"] == "update" and state.next == ()


# -- subgraphs ------------------------------------------------------------------------------


class S(TypedDict):
    x: int
    log: Annotated[list[str], operator.add]


def test_an_entrypoint_as_a_node_of_a_state_graph() -> None:
    @task
    def inc(x: int) -> int:
        return x + 1

    @entrypoint()
    def sub(state: S) -> dict[str, Any]:
        return {"x": inc(state["x"]).result(), "log": ["sub"]}

    g = StateGraph(S)
    g.add_node("sub", sub)
    g.add_edge(START, "sub")
    app = g.compile(checkpointer=InMemorySaver())
    assert app.invoke({"x": 1, "log": []}, cfg()) == {"x": 2, "log": ["sub"]}
    chunks = list(app.stream({"x": 1, "log": []}, cfg("s"), stream_mode="updates", subgraphs=True))
    # LangGraph 1.2: the call and the entrypoint under the node's namespace, then the node
    assert [(len(ns), ns[0].split(":")[0] if ns else None, c) for ns, c in chunks] == [
        (1, "sub", {"inc": 2}), (1, "sub", {"sub": {"x": 2, "log": ["sub"]}}), (0, None, {"sub": {"x": 2, "log": ["sub"]}}),
    ]


@pytest.mark.anyio
async def test_a_compiled_graph_called_inside_a_task() -> None:
    g = StateGraph(S)
    g.add_node("a", lambda s: {"x": s["x"] * 10, "log": ["a"]})
    g.add_edge(START, "a")
    inner = g.compile()

    @task
    async def call_graph(x: int) -> Any:
        return await inner.ainvoke({"x": x, "log": []})

    @entrypoint(checkpointer=InMemorySaver())
    async def wf(x: int) -> Any:
        return await call_graph(x)

    assert await wf.ainvoke(3, cfg()) == {"x": 30, "log": ["a"]}
    chunks = [c async for c in wf.astream(3, cfg("s"), stream_mode=["updates", "tasks"], subgraphs=True)]
    ids = {c["name"]: c["id"] for ns, mode, c in chunks if mode == "tasks" and not ns}
    # LangGraph 1.2: the inner graph's update under the call's namespace, below the
    # entrypoint's task (``wf:<id>|call_graph:<id>``), then the call, then the entrypoint
    assert [(ns, c) for ns, mode, c in chunks if mode == "updates"] == [
        ((f"wf:{ids['wf']}", f"call_graph:{ids['call_graph']}"), {"a": {"x": 30, "log": ["a"]}}),
        ((), {"call_graph": {"x": 30, "log": ["a"]}}),
        ((), {"wf": {"x": 30, "log": ["a"]}}),
    ]


def test_a_graph_called_in_a_nested_task_call_or_a_node_task_streams_below_its_callers() -> None:
    from actorgraph import get_config

    g = StateGraph(S)
    g.add_node("a", lambda s: {"x": s["x"] + 1})
    g.add_edge(START, "a")
    inner = g.compile()
    seen: list[list[str]] = []

    @task
    def call_graph(x: int) -> int:
        seen.append([p.split(":")[0] for p in get_config()["configurable"]["checkpoint_ns"].split("|")])
        return int(inner.invoke({"x": x, "log": []})["x"])

    @task
    def outer(x: int) -> int:
        return call_graph(x).result()

    @entrypoint(checkpointer=InMemorySaver())
    def wf(x: int) -> int:
        return outer(x).result()

    def names(ns: tuple[str, ...]) -> list[str]:
        return [p.split(":")[0] for p in ns]

    # LangGraph 1.2: each call's namespace is below its caller's, the entrypoint's first
    chunks = list(wf.stream(1, cfg(), stream_mode="updates", subgraphs=True))
    assert [(names(ns), c) for ns, c in chunks] == [
        (["wf", "outer", "call_graph"], {"a": {"x": 2}}), ([], {"call_graph": 2}), ([], {"outer": 2}), ([], {"wf": 2})]
    assert seen == [["wf", "outer", "call_graph"]]

    def node(state: S) -> dict[str, Any]:
        return {"x": call_graph(state["x"]).result()}

    p = StateGraph(S)
    p.add_node("n", node)
    p.add_edge(START, "n")
    app = p.compile(checkpointer=InMemorySaver())
    chunks = list(app.stream({"x": 1, "log": []}, cfg(), stream_mode="updates", subgraphs=True))
    # LangGraph 1.2: a graph node's call is below the node's task; its own update is the run's
    assert [(names(ns), c) for ns, c in chunks] == [
        (["n", "call_graph"], {"a": {"x": 2}}), ([], {"call_graph": 2}), ([], {"n": {"x": 2}})]


def test_a_graph_paused_inside_a_task_call_resumes_there() -> None:
    runs: list[int] = []

    def ask(s: S) -> dict[str, Any]:
        runs.append(s["x"])
        return {"x": s["x"] + interrupt("more?")}

    g = StateGraph(S)
    g.add_node("ask", ask)
    g.add_edge(START, "ask")
    inner = g.compile()

    @task
    def call_graph(x: int) -> int:
        return int(inner.invoke({"x": x, "log": []})["x"])

    @entrypoint(checkpointer=InMemorySaver())
    def wf(x: int) -> int:
        return call_graph(x).result() * 2

    def names(ns: tuple[str, ...]) -> list[str]:
        return [p.split(":")[0] for p in ns]

    # LangGraph 1.2: the question under wf|call_graph and at the root; get_state lists it on
    # the entrypoint's task; the resume re-runs the asking node only, under the same namespace
    chunks = list(wf.stream(1, cfg(), stream_mode="updates", subgraphs=True))
    assert [(names(ns), [i.value for i in c["__interrupt__"]]) for ns, c in chunks] == [
        (["wf", "call_graph"], ["more?"]), ([], ["more?"])]
    state = wf.get_state(cfg())
    assert state.next == ("wf",) and [(t.name, [i.value for i in t.interrupts]) for t in state.tasks] == [
        ("wf", ["more?"])]
    chunks = list(wf.stream(Command(resume=5), cfg(), stream_mode="updates", subgraphs=True))
    assert [(names(ns), c) for ns, c in chunks] == [
        (["wf", "call_graph"], {"ask": {"x": 6}}), ([], {"call_graph": 6}), ([], {"wf": 12})]
    assert runs == [1, 1]


# -- the actor tree and cancellation -----------------------------------------------------------


@pytest.mark.anyio
async def test_task_calls_are_served_by_one_actor_per_task_name() -> None:
    from actorgraph import ActorSystem

    handles: list[Any] = []
    trees: list[Any] = []

    @task
    async def look() -> int:
        trees.append(handles[0].tree())
        return 1

    @task
    async def other() -> int:
        return 2

    @entrypoint()
    async def wf(_: Any) -> int:
        await other()
        return sum([await look(), await look()])

    async with ActorSystem(name="sys") as system:
        run = await system.start(wf, 0)
        handles.append(run)
        assert await run.result() == 2
    names = [a.name for a in trees[-1].actors]
    assert trees[-1].name == "run:wf"
    # the entrypoint's node actor, and one actor per task name (not per call)
    assert {n for n in names if n.startswith(("node:", "task:"))} == {"node:wf", "task:other", "task:look"}


@pytest.mark.anyio
async def test_cancelling_a_run_cancels_its_task_calls_and_joins_the_threads() -> None:
    finished: list[str] = []
    started = anyio.Event()

    @task
    async def forever() -> None:
        try:
            await anyio.sleep_forever()
        finally:
            finished.append("forever")

    @task
    def blocking() -> int:
        import time

        anyio.from_thread.run_sync(started.set)
        time.sleep(0.05)
        finished.append("blocking")
        return 1

    @entrypoint()
    async def async_wf(_: Any) -> Any:
        started.set()
        return await forever()

    @entrypoint()
    def sync_wf(_: Any) -> Any:
        pending = forever()
        blocking().result()
        return pending.result()  # raises once the run is cancelled: the thread ends

    for wf in (async_wf, sync_wf):
        started = anyio.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(wf.ainvoke, 0)
            with anyio.fail_after(5):  # (a deadlock guard)
                await started.wait()
            tg.cancel_scope.cancel()
    # every call ended before the run did (the worker thread's too)
    assert finished == ["forever", "forever", "blocking"]


def test_a_task_calling_tasks_resumes_without_rerunning_its_finished_calls() -> None:
    calls: list[Any] = []

    @task
    def leaf(x: int, *, k: int = 0) -> int:
        calls.append(("leaf", x))
        return x + k

    @task
    def mid(x: int) -> int:
        calls.append(("mid", x))
        return leaf(x, k=1).result() + interrupt("mid?")

    @entrypoint(checkpointer=InMemorySaver())
    def wf(x: int) -> list[int]:
        return [mid(x).result()]

    # LangGraph 1.2: the same chunks and calls
    chunks = list(wf.stream(1, cfg(), stream_mode="updates"))
    assert chunks[0] == {"leaf": 2} and [i.value for i in chunks[1]["__interrupt__"]] == ["mid?"]
    assert list(wf.stream(Command(resume=100), cfg(), stream_mode="updates")) == [{"mid": 102}, {"wf": [102]}]
    assert calls == [("mid", 1), ("leaf", 1), ("mid", 1)]


def test_an_error_in_the_entrypoint_itself_has_its_note() -> None:
    @entrypoint()
    def boom(x: int) -> int:
        raise ValueError("entry")

    with pytest.raises(ValueError, match="entry") as info:
        boom.invoke(1)
    (note,) = info.value.__notes__  # LangGraph 1.2: one note naming the entrypoint's task
    assert note.startswith("During task with name 'boom' and id '")


def test_get_graph_draws_start_entrypoint_end() -> None:
    @entrypoint()
    def wf(x: int) -> int:
        return x

    graph = wf.get_graph()
    # LangGraph 1.2: these nodes, in this order, and edges (the second one conditional)
    assert list(graph.nodes) == ["wf", "__start__", "__end__"]
    assert [(e.source, e.target, e.conditional) for e in graph.edges] == [
        ("__start__", "wf", False), ("wf", "__end__", True),
    ]
    text = graph.draw_mermaid()
    assert "__start__ --> wf;" in text and "wf -.-> __end__;" in text
    assert repr(wf) == "<entrypoint 'wf'>" and wf.name == "wf"


@pytest.mark.anyio
async def test_values_and_updates_streams_of_a_paused_then_resumed_workflow() -> None:
    @task
    async def ask(x: int) -> Any:
        return interrupt("q")

    @entrypoint(checkpointer=InMemorySaver())
    async def wf(x: int) -> Any:
        return await ask(x)

    modes = ["values", "updates"]
    first = [c async for c in wf.astream(1, cfg(), stream_mode=modes)]
    # LangGraph 1.2: the question in both modes (values: no value to show with it)
    assert [(m, list(c)) for m, c in first] == [("updates", ["__interrupt__"]), ("values", ["__interrupt__"])]
    assert first[0][1]["__interrupt__"][0].value == "q" and first[1][1] == first[0][1]
    second = [c async for c in wf.astream(Command(resume=2), cfg(), stream_mode=modes)]
    assert second == [("values", None), ("updates", {"ask": 2}), ("updates", {"wf": 2}), ("values", 2)]


def test_a_loop_of_interrupts_and_a_paused_dict_value() -> None:
    counter: list[int] = []

    @task
    def double(x: int) -> int:
        counter.append(x)
        return 2 * x

    @entrypoint(checkpointer=InMemorySaver())
    def graph(state: int, *, previous: Any = None) -> dict[str, Any]:
        for _ in range(3):
            doubled = double(state).result()
            state = doubled + int(interrupt(f"q{doubled}"))
        return {"state": state, "prev": previous}

    outs = [graph.invoke(1, cfg())] + [graph.invoke(Command(resume=str(i)), cfg()) for i in range(3)]
    # LangGraph 1.2: q2, q4, q10, then the value; `double` called 3 times in all
    assert [[i.value for i in o["__interrupt__"]] for o in outs[:3]] == [["q2"], ["q4"], ["q10"]]
    assert outs[3] == {"state": 12, "prev": None} and len(counter) == 3
    # a new run pausing while the thread holds a dict value: LangGraph merges the question in
    out = graph.invoke(5, cfg())
    assert [i.value for i in out.pop("__interrupt__")] == ["q10"] and out == {"state": 12, "prev": None}
    chunks = list(graph.stream(7, cfg("v"), stream_mode="values"))
    assert [list(c) for c in chunks] == [["__interrupt__"]]
    assert [(s.metadata["step"], s.metadata["source"], s.next) for s in graph.get_state_history(cfg())] == [
        (1, "input", ("graph",)), (0, "loop", ()), (-1, "input", ("graph",)),
    ]


def test_an_entrypoint_node_pauses_its_parent_graph_and_resumes_without_rerunning_calls() -> None:
    calls: list[str] = []

    @task
    def inc(x: int) -> int:
        calls.append("inc")
        return x + 1

    @task
    def ask(x: int) -> Any:
        calls.append("ask")
        return interrupt(f"q{x}")

    @entrypoint()
    def sub(state: S) -> dict[str, Any]:
        y = inc(state["x"]).result()
        return {"x": ask(y).result(), "log": ["sub"]}

    g = StateGraph(S)
    g.add_node("pre", lambda s: {"log": ["pre"]})
    g.add_node("sub", sub)
    g.add_edge(START, "pre")
    g.add_edge("pre", "sub")
    app = g.compile(checkpointer=InMemorySaver())
    out = app.invoke({"x": 1, "log": []}, cfg())
    # LangGraph 1.2: the same state and question, listed twice (once from the call, once from
    # the entrypoint), in the parent's output, state and task; once in the entrypoint's state
    assert {k: v for k, v in out.items() if k != "__interrupt__"} == {"x": 1, "log": ["pre"]}
    assert [i.value for i in out["__interrupt__"]] == ["q2", "q2"]
    state = app.get_state(cfg(), subgraphs=True)
    assert state.next == ("sub",) and [i.value for i in state.interrupts] == ["q2", "q2"]
    [node] = state.tasks
    assert [i.value for i in node.interrupts] == ["q2", "q2"]
    assert [i.value for i in node.state.interrupts] == ["q2"]
    assert [(t.name, [i.value for i in t.interrupts]) for t in node.state.tasks] == [("sub", ["q2"])]
    assert app.invoke(Command(resume=42), cfg()) == {"x": 42, "log": ["pre", "sub"]}
    assert calls == ["inc", "ask", "ask"]


def test_an_entrypoint_node_asking_itself_lists_its_question_once() -> None:
    @entrypoint()
    def sub(state: S) -> dict[str, Any]:
        return {"x": state["x"] + interrupt("ep q?"), "log": ["sub"]}

    g = StateGraph(S)
    g.add_node("sub", sub)
    g.add_edge(START, "sub")
    app = g.compile(checkpointer=InMemorySaver())
    # LangGraph 1.2: once (the question is the entrypoint's own), in the stream too
    chunks = list(app.stream({"x": 1, "log": []}, cfg(), stream_mode="updates", subgraphs=True))
    assert [(len(ns), [i.value for i in c["__interrupt__"]]) for ns, c in chunks] == [(1, ["ep q?"]), (0, ["ep q?"])]
    assert [i.value for i in app.get_state(cfg()).interrupts] == ["ep q?"]
    assert app.invoke(Command(resume=10), cfg()) == {"x": 11, "log": ["sub"]}


@pytest.mark.anyio
async def test_an_async_entrypoint_node_lists_each_question_of_a_call_twice_and_resumes_by_id() -> None:
    @task
    async def ask(x: int) -> int:
        return x + interrupt("q1?") + interrupt("q2?")

    @entrypoint()
    async def sub(state: S) -> dict[str, Any]:
        return {"x": await ask(state["x"])}

    g = StateGraph(S)
    g.add_node("sub", sub)
    g.add_edge(START, "sub")
    app = g.compile(checkpointer=InMemorySaver())
    # LangGraph 1.2: each question twice, under the parent's stream with the same id; one
    # answer by that id (or a bare value) answers it
    chunks = [c async for c in app.astream({"x": 1, "log": []}, cfg(), stream_mode="updates", subgraphs=True)]
    assert [(len(ns), [i.value for i in c["__interrupt__"]]) for ns, c in chunks] == [
        (1, ["q1?"]), (0, ["q1?", "q1?"])]
    first = chunks[-1][1]["__interrupt__"]
    assert first[0].id == first[1].id
    out = await app.ainvoke(Command(resume={first[0].id: 10}), cfg())
    assert [i.value for i in out["__interrupt__"]] == ["q2?", "q2?"]
    assert [i.value for i in (await app.aget_state(cfg())).interrupts] == ["q2?", "q2?"]
    assert await app.ainvoke(Command(resume=100), cfg()) == {"x": 111, "log": []}


# -- input and output schemas ----------------------------------------------------------------


class In(XTypedDict):
    a: int
    b: str


class Out(TypedDict):  # (typing's: pydantic refuses it before 3.12, LangGraph raises then)
    total: int


class M(BaseModel):
    q: int = 3


def test_input_and_output_json_schemas_are_langgraphs() -> None:
    @entrypoint()
    def typed(x: In) -> Out:
        return {"total": 1}

    @entrypoint()
    def untyped(x):  # type: ignore[no-untyped-def]
        return x

    @entrypoint()
    def final(x: list[int], *, previous: int | None = None) -> entrypoint.final[str, int]:
        return entrypoint.final(value="s", save=1)

    @entrypoint(context_schema=In)
    async def model(x: M) -> dict[str, int]:
        return {}

    # LangGraph 1.2 (Out as a typing_extensions TypedDict there)
    assert typed.get_input_jsonschema() == {
        "$defs": {"In": {"properties": {"a": {"title": "A", "type": "integer"}, "b": {"title": "B", "type": "string"}},
                         "required": ["a", "b"], "title": "In", "type": "object"}},
        "$ref": "#/$defs/In", "title": "LangGraphInput"}
    assert typed.get_output_jsonschema() == {
        "$defs": {"Out": {"properties": {"total": {"title": "Total", "type": "integer"}}, "required": ["total"],
                          "title": "Out", "type": "object"}},
        "$ref": "#/$defs/Out", "title": "LangGraphOutput"}
    assert untyped.get_input_jsonschema() == {"title": "LangGraphInput"}
    assert untyped.get_output_jsonschema() == {"title": "LangGraphOutput"}
    assert untyped.get_context_jsonschema() is None
    assert final.get_input_jsonschema() == {"items": {"type": "integer"}, "title": "LangGraphInput", "type": "array"}
    assert final.get_output_jsonschema() == {"title": "LangGraphOutput", "type": "string"}
    assert model.get_input_schema() is M
    assert model.get_input_jsonschema() == {"properties": {"q": {"default": 3, "title": "Q", "type": "integer"}},
                                            "title": "M", "type": "object"}
    assert model.get_output_jsonschema() == {"additionalProperties": {"type": "integer"}, "title": "LangGraphOutput",
                                             "type": "object"}
    assert model.get_output_schema().__name__ == "LangGraphOutput"
    assert model.get_context_jsonschema() == {
        "properties": {"a": {"title": "A", "type": "integer"}, "b": {"title": "B", "type": "string"}},
        "required": ["a", "b"], "title": "In", "type": "object"}


# -- update_state ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_update_state_sets_the_value_and_the_next_previous() -> None:
    from actorgraph.types import StateUpdate

    saver = InMemorySaver()

    @entrypoint(checkpointer=saver)
    async def wf(x: int, *, previous: Any = None) -> dict[str, Any]:
        return {"x": x, "prev": previous}

    @entrypoint(checkpointer=saver)
    async def asking(x: int, *, previous: Any = None) -> dict[str, Any]:
        return {"x": x, "a": interrupt("q"), "prev": previous}

    async def channels(thread: str) -> Any:
        saved = await saver.aget_tuple(cfg(thread))
        assert saved is not None
        return saved.checkpoint.channel_values

    # LangGraph 1.2: the update is the entrypoint's return: its value and the saved value
    await wf.aupdate_state(cfg("new"), {"v": 1})
    state = await wf.aget_state(cfg("new"))
    assert (state.values, state.next, state.metadata["source"], state.metadata["step"]) == ({"v": 1}, (), "update", 0)
    assert await channels("new") == {"__end__": {"v": 1}, "__previous__": {"v": 1}}
    assert await wf.ainvoke(9, cfg("new")) == {"x": 9, "prev": {"v": 1}}

    await wf.ainvoke(1, cfg("ran"))
    await wf.aupdate_state(cfg("ran"), {"v": 2}, as_node="wf")
    assert (await wf.aget_state(cfg("ran"))).metadata["step"] == 1
    assert await wf.ainvoke(9, cfg("ran")) == {"x": 9, "prev": {"v": 2}}

    await wf.ainvoke(1, cfg("final"))
    await wf.aupdate_state(cfg("final"), entrypoint.final(value="V", save="S"))
    assert await channels("final") == {"__end__": "V", "__previous__": "S"}
    assert await wf.ainvoke(2, cfg("final")) == {"x": 2, "prev": "S"}

    await wf.ainvoke(1, cfg("bulk"))
    await wf.abulk_update_state(cfg("bulk"), [[StateUpdate("one", "wf")], [StateUpdate("two")]])
    state = await wf.aget_state(cfg("bulk"))
    assert (state.values, state.metadata["step"]) == ("two", 2)
    assert await wf.ainvoke(2, cfg("bulk")) == {"x": 2, "prev": "two"}

    await wf.ainvoke(1, cfg("input"))
    await wf.aupdate_state(cfg("input"), 5, as_node="__input__")  # (new input: the entrypoint runs next)
    state = await wf.aget_state(cfg("input"))
    assert (state.values, state.next, state.metadata["source"]) == ({"x": 1, "prev": None}, ("wf",), "input")
    assert await wf.ainvoke(None, cfg("input")) == {"x": 5, "prev": {"x": 1, "prev": None}}

    # a paused thread: the update ends the pause
    await asking.ainvoke(1, cfg("paused"))
    await asking.aupdate_state(cfg("paused"), {"v": 4})
    state = await asking.aget_state(cfg("paused"))
    assert (state.values, state.next, state.interrupts, state.metadata["step"]) == ({"v": 4}, (), (), 0)
    assert await channels("paused") == {"__end__": {"v": 4}, "__previous__": {"v": 4}}


# -- tasks / debug events of failures and questions ----------------------------------------------


@task
def boom(x: int) -> int:
    raise ValueError(f"bad {x}")


@task
def ask_for(x: int) -> Any:
    return interrupt(f"q{x}")


def _results(events: list[Any]) -> list[tuple[str, Any, Any]]:
    return [(e["name"], e["error"], e["interrupts"]) for e in events if "result" in e]


@pytest.mark.anyio
async def test_failures_and_questions_in_the_tasks_stream_are_langgraphs() -> None:
    @entrypoint(checkpointer=InMemorySaver())
    async def caught(x: int) -> int:
        try:
            await boom(x)
        except ValueError:
            pass
        return x

    @entrypoint(checkpointer=InMemorySaver())
    async def failing(x: int) -> int:
        return await boom(x)

    @entrypoint(checkpointer=InMemorySaver())
    async def asking(x: int) -> Any:
        return await ask_for(x)

    @entrypoint(checkpointer=InMemorySaver())
    async def own(x: int) -> Any:
        return interrupt("own q")

    # LangGraph 1.2: a failed call's (and a failed entrypoint's) result event holds the
    # exception itself; a call that asks has no result event, the entrypoint's holds the
    # question as a dict
    events = [e async for e in caught.astream(1, cfg(), stream_mode="tasks")]
    [(name, error, asked), *rest] = _results(events)
    assert (name, type(error), str(error), asked) == ("boom", ValueError, "bad 1", [])
    assert rest == [("caught", None, [])]

    events = []
    with pytest.raises(ValueError, match="bad 1") as info:
        async for e in failing.astream(1, cfg(), stream_mode="tasks"):
            events.append(e)
    [(n1, e1, _), (n2, e2, _)] = _results(events)
    assert (n1, n2) == ("boom", "failing") and e1 is e2 is info.value

    events = [e async for e in asking.astream(1, cfg(), stream_mode="tasks")]
    assert [e["name"] for e in events] == ["asking", "ask_for", "asking"]
    [(name, error, asked)] = _results(events)
    [question] = (await asking.aget_state(cfg())).interrupts
    assert (name, error, asked) == ("asking", None, [{"value": "q1", "id": question.id, "response_schema": None}])
    events = [e async for e in asking.astream(Command(resume="A"), cfg(), stream_mode="tasks")]
    assert _results(events) == [("ask_for", None, []), ("asking", None, [])]

    events = [e async for e in own.astream(1, cfg(), stream_mode="debug")]
    [result] = [e for e in events if e["type"] == "task_result"]
    assert result["step"] == 0 and result["payload"]["name"] == "own"
    assert [i["value"] for i in result["payload"]["interrupts"]] == ["own q"]


@pytest.mark.anyio
async def test_a_failed_or_asking_graph_node_has_a_result_event() -> None:
    def fail(s: S) -> Any:
        raise ValueError("bad")

    def ask(s: S) -> Any:
        return {"x": interrupt("q")}

    # LangGraph 1.2: the node's result event holds the exception itself, or the question
    for node, expected in [(fail, ("n", ValueError, [])), (ask, ("n", type(None), ["q"]))]:
        g = StateGraph(S)
        g.add_node("n", node)
        g.add_edge(START, "n")
        app = g.compile(checkpointer=InMemorySaver())
        events: list[Any] = []
        with pytest.raises(ValueError) if node is fail else contextlib.nullcontext():
            async for e in app.astream({"x": 1, "log": []}, cfg(), stream_mode="tasks"):
                events.append(e)
        [(name, error, asked)] = _results(events)
        assert (name, type(error), [i["value"] for i in asked]) == expected


@pytest.mark.anyio
async def test_a_resumed_entrypoint_shows_the_start_of_its_finished_calls_and_pauses_in_langgraphs_order() -> None:
    @task
    async def one(x: int) -> int:
        return x + 1

    @entrypoint(checkpointer=InMemorySaver())
    async def wf(x: int) -> Any:
        a = await one(x)
        return [a, await ask_for(a)]

    def shape(chunk: tuple[str, Any]) -> tuple[str, Any]:
        mode, data = chunk
        if mode == "debug":
            return mode, (data["type"], data["payload"].get("name"), "result" in data["payload"])
        return mode, list(data) if isinstance(data, dict) else data

    modes = ["debug", "updates", "values"]
    # LangGraph 1.2: the question's updates and values events come before the entrypoint's
    # result event; on resume, the finished call's start is shown again (not its result)
    first = [shape(c) async for c in wf.astream(1, cfg(), stream_mode=modes)]
    assert first == [
        ("debug", ("checkpoint", None, False)), ("debug", ("task", "wf", False)), ("debug", ("task", "one", False)),
        ("updates", ["one"]), ("debug", ("task_result", "one", True)), ("debug", ("task", "ask_for", False)),
        ("updates", ["__interrupt__"]), ("values", ["__interrupt__"]), ("debug", ("task_result", "wf", True)),
    ]
    second = [shape(c) async for c in wf.astream(Command(resume="A"), cfg(), stream_mode=modes)]
    # (the checkpoint resumed from comes second, as LangGraph 1.2 streams it)
    assert second == [
        ("values", None), ("debug", ("checkpoint", None, False)), ("debug", ("task", "wf", False)), ("debug", ("task", "one", False)),
        ("debug", ("task", "ask_for", False)), ("updates", ["ask_for"]), ("debug", ("task_result", "ask_for", True)),
        ("updates", ["wf"]), ("debug", ("task_result", "wf", True)), ("values", [2, "A"]),
        ("debug", ("checkpoint", None, False)),
    ]


def test_a_calls_checkpoint_map_and_its_graphs_checkpoint_parents_name_its_callers() -> None:
    from actorgraph import get_config

    g = StateGraph(S)
    g.add_node("a", lambda s: {"x": s["x"] + 1})
    g.add_edge(START, "a")
    inner = g.compile()
    maps: dict[str, dict[str, str]] = {}

    def names(ns: str) -> str:
        return "|".join(p.split(":")[0] for p in ns.split("|")) if ns else ns

    def seen(where: str) -> None:
        maps[where] = {names(k): v for k, v in get_config()["configurable"]["checkpoint_map"].items()}

    @task
    def call_graph(x: int) -> int:
        seen("call_graph")
        return int(inner.invoke({"x": x, "log": []})["x"])

    @task
    def outer(x: int) -> int:
        seen("outer")
        return call_graph(x).result()

    @entrypoint(checkpointer=InMemorySaver())
    def wf(x: int) -> int:
        seen("wf")
        return outer(x).result()

    chunks = list(wf.stream(1, cfg(), stream_mode="checkpoints", subgraphs=True))
    root = [c for ns, c in chunks if not ns][0]["config"]["configurable"]["checkpoint_id"]
    # LangGraph 1.2: each call's map names its callers' namespaces with the root's checkpoint
    assert maps == {"wf": {"": root}, "outer": {"": root, "wf": root},
                    "call_graph": {"": root, "wf": root, "wf|outer": root}}
    # ... and so do the parents of the checkpoints of a graph the call runs
    parents = [{names(k): v for k, v in c["metadata"]["parents"].items()} for ns, c in chunks if ns]
    assert parents == [{"": root, "wf": root, "wf|outer": root}] * 3
