"""Node caching: ``add_node(..., cache_policy=CachePolicy(key_func=, ttl=))`` with
``compile(cache=InMemoryCache() | SqliteCache(path=...))``.

Expected behaviour observed from LangGraph 1.2 (scratch runs of the same graphs): a second run
with the same node input does not call the node; its ``updates`` chunk is
``{"a": {...}, "__metadata__": {"cached": True}}`` (the first run's has no metadata), the
``tasks`` stream shows the task's start but no result, ``values`` are as if it had run and the
node's edges fire; ``key_func`` picks what counts as the same input; an entry expires ``ttl``
seconds after it was written; ``clear_cache(nodes)`` drops those nodes' entries (every node's by
default; ``ValueError`` without a cache); a policy without ``compile(cache=...)`` caches nothing.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, Send, StateGraph
from actorgraph.cache import BaseCache, InMemoryCache, SqliteCache
from actorgraph.persistence import InMemorySaver
from actorgraph.types import CachePolicy


class S(TypedDict):
    x: int
    log: Annotated[list[str], operator.add]


class FakeClock:
    """Seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "sqlite"])
def make_cache(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Each test runs with an InMemoryCache and a SqliteCache on a file in ``tmp_path``."""
    made: list[SqliteCache] = []

    def make(clock: FakeClock | None = None) -> BaseCache:
        kw: dict[str, Any] = {} if clock is None else {"clock": clock}
        if request.param == "memory":
            return InMemoryCache(**kw)
        cache = SqliteCache(path=str(tmp_path / "cache.db"), **kw)
        made.append(cache)
        return cache

    yield make
    for cache in made:
        cache.close()


def build(calls: list[int], policy: CachePolicy | None = None) -> StateGraph:
    def a(state: S) -> dict[str, Any]:
        calls.append(state["x"])
        return {"log": [f"a{state['x']}"]}

    def b(state: S) -> dict[str, Any]:
        return {"log": ["b"]}

    return (StateGraph(S).add_node("a", a, cache_policy=policy or CachePolicy()).add_node("b", b)
            .add_edge(START, "a").add_edge("a", "b"))


@pytest.mark.anyio
async def test_a_second_run_takes_the_nodes_writes_from_the_cache(make_cache: Any) -> None:
    calls: list[int] = []
    graph = build(calls).compile(cache=make_cache(), checkpointer=InMemorySaver())
    runs = []
    for thread in ("1", "2"):
        config = {"configurable": {"thread_id": thread}}
        runs.append([c async for c in graph.astream({"x": 1, "log": []}, config, stream_mode=["updates", "values"])])
    assert calls == [1]
    assert runs[0] == [
        ("values", {"x": 1, "log": []}),
        ("updates", {"a": {"log": ["a1"]}}),
        ("values", {"x": 1, "log": ["a1"]}),
        ("updates", {"b": {"log": ["b"]}}),
        ("values", {"x": 1, "log": ["a1", "b"]}),
    ]
    assert runs[1] == [
        ("values", {"x": 1, "log": []}),
        ("updates", {"a": {"log": ["a1"]}, "__metadata__": {"cached": True}}),
        ("values", {"x": 1, "log": ["a1"]}),
        ("updates", {"b": {"log": ["b"]}}),
        ("values", {"x": 1, "log": ["a1", "b"]}),
    ]
    history = [s async for s in graph.aget_state_history({"configurable": {"thread_id": "2"}})]
    assert [(t.name, t.result) for t in history[2].tasks] == [("a", {"log": ["a1"]})]


@pytest.mark.anyio
async def test_the_tasks_stream_shows_no_result_for_a_cached_task(make_cache: Any) -> None:
    calls: list[int] = []
    graph = build(calls).compile(cache=make_cache())
    await graph.ainvoke({"x": 1, "log": []})
    events = [c async for c in graph.astream({"x": 1, "log": []}, stream_mode="tasks")]
    assert [(e["name"], "result" in e) for e in events] == [("a", False), ("b", False), ("b", True)]


def test_key_func_decides_what_is_the_same_input(make_cache: Any) -> None:
    calls: list[int] = []
    graph = build(calls, CachePolicy(key_func=lambda s: str(s["x"]))).compile(cache=make_cache())
    assert graph.invoke({"x": 2, "log": []}) == {"x": 2, "log": ["a2", "b"]}
    assert graph.invoke({"x": 2, "log": ["other"]}) == {"x": 2, "log": ["other", "a2", "b"]}
    assert graph.invoke({"x": 3, "log": []}) == {"x": 3, "log": ["a3", "b"]}
    assert calls == [2, 3]


def test_an_entry_expires_after_its_ttl(make_cache: Any) -> None:
    clock = FakeClock()
    calls: list[int] = []
    graph = build(calls, CachePolicy(ttl=10)).compile(cache=make_cache(clock))
    graph.invoke({"x": 5, "log": []})
    clock.now += 9.5
    graph.invoke({"x": 5, "log": []})
    assert calls == [5]             # within the TTL: a hit
    clock.now += 0.5
    graph.invoke({"x": 5, "log": []})
    assert calls == [5, 5]          # 10 s after it was written: expired, the node runs again
    clock.now += 5
    graph.invoke({"x": 5, "log": []})
    assert calls == [5, 5]          # the new entry lives 10 s from its own write


def test_clear_cache_drops_the_named_nodes_entries(make_cache: Any) -> None:
    calls: list[int] = []
    graph = build(calls).compile(cache=make_cache())
    graph.invoke({"x": 1, "log": []})
    graph.clear_cache(nodes=["b"])
    graph.invoke({"x": 1, "log": []})
    assert calls == [1]
    graph.clear_cache()
    graph.invoke({"x": 1, "log": []})
    assert calls == [1, 1]


@pytest.mark.anyio
async def test_aclear_cache_and_a_graph_without_a_cache() -> None:
    calls: list[int] = []
    graph = build(calls).compile(cache=InMemoryCache())
    await graph.ainvoke({"x": 1, "log": []})
    await graph.aclear_cache()
    await graph.ainvoke({"x": 1, "log": []})
    assert calls == [1, 1]
    uncached = build(calls).compile()
    with pytest.raises(ValueError, match="No cache is set for this graph"):
        uncached.clear_cache()
    await uncached.ainvoke({"x": 1, "log": []})
    await uncached.ainvoke({"x": 1, "log": []})
    assert calls == [1, 1, 1, 1]     # a policy without compile(cache=...) caches nothing


def test_sqlite_entries_outlive_the_cache_object(tmp_path: Path) -> None:
    calls: list[int] = []
    path = str(tmp_path / "cache.db")
    with SqliteCache(path=path) as first:
        build(calls).compile(cache=first).invoke({"x": 7, "log": []})
    with SqliteCache(path=path) as second:
        assert build(calls).compile(cache=second).invoke({"x": 7, "log": []}) == {"x": 7, "log": ["a7", "b"]}
    assert calls == [7]


@pytest.mark.anyio
async def test_cached_sends_and_branches_route_as_the_node_did(make_cache: Any) -> None:
    calls: list[str] = []

    class F(TypedDict):
        log: Annotated[list[str], operator.add]

    def fan(state: F) -> dict[str, Any]:
        calls.append("fan")
        return {"log": ["fan"]}

    def work(arg: dict[str, int]) -> dict[str, Any]:
        calls.append(f"w{arg['i']}")
        return {"log": [f"w{arg['i']}"]}

    graph = (StateGraph(F).add_node("fan", fan, cache_policy=CachePolicy())
             .add_node("work", work, cache_policy=CachePolicy())
             .add_edge(START, "fan")
             .add_conditional_edges("fan", lambda s: [Send("work", {"i": i}) for i in range(3)])
             .compile(cache=make_cache()))
    first = await graph.ainvoke({"log": []})
    second = await graph.ainvoke({"log": []})
    assert first == second == {"log": ["fan", "w0", "w1", "w2"]}
    assert sorted(calls) == ["fan", "w0", "w1", "w2"]  # (sync nodes in threads: any order)


def test_cache_policy_defaults_like_langgraph() -> None:
    policy = CachePolicy()
    assert policy.ttl is None
    # the default key: the input pickled as it is (LangGraph 1.2's keeps the positional
    # arguments' tuple as is): a dict's key order and a list-versus-tuple difference count
    assert policy.key_func({"a": 1, "b": [1, 2]}) == policy.key_func({"a": 1, "b": [1, 2]})
    assert policy.key_func({"a": 1, "b": [1, 2]}) != policy.key_func({"b": [1, 2], "a": 1})
    assert policy.key_func([1, 2]) != policy.key_func((1, 2))
    assert policy.key_func({"a": 1}) != policy.key_func({"a": 2})
    # keyword arguments are frozen: their dicts' order does not count
    assert policy.key_func(v={"a": 1, "b": 2}) == policy.key_func(v={"b": 2, "a": 1})


class Loose(TypedDict, total=False):
    x: Any
    d: Any
    y: Any


# Which second runs hit the first run's entry, observed from LangGraph 1.2 (a cached node
# reading the whole state, default key): the order keys were given in at the top level does
# not count (a node's input has the schema's key order), a nested dict's key order and a
# list-versus-tuple difference do, at any depth.
KEY_CASES = [
    ("same", {"x": 1, "d": {"a": [1, {"z": 1}]}}, {"x": 1, "d": {"a": [1, {"z": 1}]}}, True),
    ("top-level order", {"x": 1, "d": {"a": 1}}, {"d": {"a": 1}, "x": 1}, True),
    ("nested dict order", {"x": 1, "d": {"a": 1, "b": 2}}, {"x": 1, "d": {"b": 2, "a": 1}}, False),
    ("deep dict order", {"d": {"k": {"a": 1, "b": 2}}}, {"d": {"k": {"b": 2, "a": 1}}}, False),
    ("dict order in a list", {"d": [{"a": 1, "b": 2}]}, {"d": [{"b": 2, "a": 1}]}, False),
    ("dict order in a tuple", {"d": ({"a": 1, "b": 2},)}, {"d": ({"b": 2, "a": 1},)}, False),
    ("list vs tuple", {"d": [1, 2]}, {"d": (1, 2)}, False),
    ("nested list vs tuple", {"d": {"k": [1, 2]}}, {"d": {"k": (1, 2)}}, False),
    ("int vs float", {"x": 1}, {"x": 1.0}, False),
    ("int vs bool", {"x": 1}, {"x": True}, False),
    ("set order", {"d": {1, 2, 3}}, {"d": {3, 2, 1}}, True),
    ("missing vs None", {"x": 1}, {"x": 1, "y": None}, False),
]


@pytest.mark.parametrize(("first", "second", "hit"), [c[1:] for c in KEY_CASES], ids=[c[0] for c in KEY_CASES])
def test_which_inputs_hit_the_default_key_as_langgraph(first: Any, second: Any, hit: bool) -> None:
    calls: list[int] = []

    def a(state: Loose) -> dict[str, Any]:
        calls.append(1)
        return {}

    graph = (StateGraph(Loose).add_node("a", a, cache_policy=CachePolicy()).add_edge(START, "a")
             .compile(cache=InMemoryCache()))
    graph.invoke(first)
    graph.invoke(second)
    assert len(calls) == (1 if hit else 2)


# Send payloads are the node's input as sent: observed from LangGraph 1.2, their top-level key
# order counts too.
SEND_CASES = [
    ("same scalar", 5, 5, True),
    ("top-level order", {"x": 1, "y": 2}, {"y": 2, "x": 1}, False),
    ("nested order", {"d": {"a": 1, "b": 2}}, {"d": {"b": 2, "a": 1}}, False),
    ("list vs tuple", {"d": [1]}, {"d": (1,)}, False),
    ("extra key", {"x": 1}, {"x": 1, "zz": 3}, False),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("first", "second", "hit"), [c[1:] for c in SEND_CASES], ids=[c[0] for c in SEND_CASES])
async def test_which_send_payloads_hit_the_default_key_as_langgraph(first: Any, second: Any, hit: bool) -> None:
    calls: list[Any] = []

    async def a(payload: Any) -> dict[str, Any]:
        calls.append(payload)
        return {}

    def fan(state: Loose) -> list[Send]:
        return [Send("a", state["d"][0])]

    graph = (StateGraph(Loose).add_node("a", a, cache_policy=CachePolicy()).add_conditional_edges(START, fan)
             .compile(cache=InMemoryCache()))
    await graph.ainvoke({"d": [first]})
    await graph.ainvoke({"d": [second]})
    assert len(calls) == (1 if hit else 2)


def test_the_cache_package_surface_is_documented() -> None:
    import inspect

    import actorgraph.cache as pkg

    assert pkg.__doc__
    for name in pkg.__all__:
        obj = getattr(pkg, name)
        assert not inspect.isclass(obj) or inspect.getdoc(obj), name


def test_subgraphs_use_their_own_cache_and_a_subgraph_node_can_be_cached() -> None:
    # LangGraph 1.2 (observed): a subgraph compiled without cache= does not use its parent's
    # (its cached node runs every time); a cache_policy on the subgraph node caches the subgraph
    calls: list[int] = []

    def a(state: S) -> dict[str, Any]:
        calls.append(1)
        return {"log": ["a"]}

    sub = StateGraph(S).add_node("a", a, cache_policy=CachePolicy()).add_edge(START, "a").compile()
    parent = StateGraph(S).add_node("sub", sub).add_edge(START, "sub").compile(cache=InMemoryCache())
    assert parent.invoke({"x": 1, "log": []}) == parent.invoke({"x": 1, "log": []}) == {"x": 1, "log": ["a"]}
    assert calls == [1, 1]
    calls.clear()
    cached_sub = (StateGraph(S).add_node("sub", sub, cache_policy=CachePolicy()).add_edge(START, "sub")
                  .compile(cache=InMemoryCache()))
    assert cached_sub.invoke({"x": 1, "log": []}) == cached_sub.invoke({"x": 1, "log": []}) == {"x": 1, "log": ["a"]}
    assert calls == [1]
