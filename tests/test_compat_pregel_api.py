"""LangGraph's low-level Pregel API (``actorgraph.pregel``: ``Pregel``, ``NodeBuilder``): the
examples of LangGraph's Pregel docs run with the import changed, with LangGraph's outputs.

Every expected value below was observed by running the same program on LangGraph 1.2.24
(``langgraph.pregel`` imports). Async tests run on asyncio and trio.
"""

from __future__ import annotations

from typing import Any

import pytest

from actorgraph.channels import BinaryOperatorAggregate, EphemeralValue, LastValue, Topic
from actorgraph.checkpoint.memory import InMemorySaver
from actorgraph.errors import EmptyInputError, GraphRecursionError, GraphValidationError
from actorgraph.pregel import NodeBuilder, Pregel
from actorgraph.pregel import main as pregel_main
from actorgraph.pregel._write import ChannelWriteEntry
from actorgraph.types import RetryPolicy


def single() -> Pregel:
    node1 = NodeBuilder().subscribe_only("a").do(lambda x: x + x).write_to("b")
    return Pregel(nodes={"node1": node1}, channels={"a": EphemeralValue(str), "b": EphemeralValue(str)},
                  input_channels=["a"], output_channels=["b"])


def multi() -> Pregel:
    node1 = NodeBuilder().subscribe_only("a").do(lambda x: x + x).write_to("b")
    node2 = NodeBuilder().subscribe_to("b").do(lambda x: x["b"] + x["b"]).write_to("c")
    return Pregel(nodes={"node1": node1, "node2": node2},
                  channels={"a": EphemeralValue(str), "b": LastValue(str), "c": EphemeralValue(str)},
                  input_channels=["a"], output_channels=["b", "c"])


def fan(c: Any) -> Pregel:
    node1 = NodeBuilder().subscribe_only("a").do(lambda x: x + x).write_to("b", "c")
    node2 = NodeBuilder().subscribe_only("b").do(lambda x: x + x).write_to("c")
    return Pregel(nodes={"node1": node1, "node2": node2}, channels={"a": EphemeralValue(str), "b": EphemeralValue(str), "c": c},
                  input_channels=["a"], output_channels=["c"])


def reducer(current: str, update: str) -> str:
    return current + " | " + update if current else update


def cycle() -> Pregel:
    example_node = (NodeBuilder().subscribe_only("value")
                    .do(lambda x: x + x if len(x) < 10 else None)
                    .write_to(ChannelWriteEntry(channel="value", skip_none=True)))
    return Pregel(nodes={"example_node": example_node}, channels={"value": EphemeralValue(str)},
                  input_channels=["value"], output_channels=["value"])


def raw() -> Pregel:
    n = NodeBuilder().subscribe_only("a").do(lambda x: x * 2).write_to("b")
    return Pregel(nodes={"n": n}, channels={"a": LastValue(int), "b": LastValue(int)},
                  input_channels="a", output_channels="b")


# -- the docs examples (sync API) ------------------------------------------------------------


def test_module_paths() -> None:
    assert pregel_main.Pregel is Pregel and pregel_main.NodeBuilder is NodeBuilder


def test_single_node() -> None:
    app = single()
    assert app.invoke({"a": "foo"}) == {"b": "foofoo"}
    assert app.stream_mode == "values"
    assert list(app.stream({"a": "foo"})) == [{"b": "foofoo"}]
    assert list(app.stream({"a": "foo"}, stream_mode="updates")) == [{"node1": {"b": "foofoo"}}]
    assert list(app.stream({"a": "foo"}, stream_mode=["values", "updates"])) == [
        ("updates", {"node1": {"b": "foofoo"}}), ("values", {"b": "foofoo"})]


def test_multiple_nodes() -> None:
    app = multi()
    assert app.invoke({"a": "foo"}) == {"b": "foofoo", "c": "foofoofoofoo"}
    assert list(app.stream({"a": "foo"})) == [{"b": "foofoo"}, {"b": "foofoo", "c": "foofoofoofoo"}]
    assert list(app.stream({"a": "foo"}, stream_mode="updates")) == [
        {"node1": {"b": "foofoo"}}, {"node2": {"c": "foofoofoofoo"}}]


def test_topic_channel() -> None:
    app = fan(Topic(str, accumulate=True))
    assert app.invoke({"a": "foo"}) == {"c": ["foofoo", "foofoofoofoo"]}
    assert list(app.stream({"a": "foo"})) == [{"b": "foofoo", "c": ["foofoo"]}, {"c": ["foofoo", "foofoofoofoo"]}]
    assert list(app.stream({"a": "foo"}, stream_mode="updates")) == [
        {"node1": {"b": "foofoo", "c": "foofoo"}}, {"node2": {"c": "foofoofoofoo"}}]


def test_binary_operator_aggregate_channel() -> None:
    assert fan(BinaryOperatorAggregate(str, operator=reducer)).invoke({"a": "foo"}) == {"c": "foofoo | foofoofoofoo"}


def test_cycle_stops_on_skipped_none() -> None:
    app = cycle()
    assert app.invoke({"value": "a"}) == {"value": "aaaaaaaaaaaaaaaa"}
    assert list(app.stream({"value": "a"})) == [
        {"value": "aa"}, {"value": "aaaa"}, {"value": "aaaaaaaa"}, {"value": "aaaaaaaaaaaaaaaa"}]
    assert list(app.stream({"value": "a"}, stream_mode="updates")) == [
        {"example_node": {"value": "aa"}}, {"example_node": {"value": "aaaa"}},
        {"example_node": {"value": "aaaaaaaa"}}, {"example_node": {"value": "aaaaaaaaaaaaaaaa"}},
        {"example_node": None}]
    # no input step: the 5 steps run at 0..4, as LangGraph's (a limit of 4 is too few)
    with pytest.raises(GraphRecursionError, match="Recursion limit of 4 reached"):
        app.invoke({"value": "a"}, {"recursion_limit": 4})
    assert app.invoke({"value": "a"}, {"recursion_limit": 5}) == {"value": "aaaaaaaaaaaaaaaa"}


def test_single_channel_input_and_output() -> None:
    app = raw()
    assert app.invoke(21) == 42
    assert list(app.stream(21)) == [{"a": 21, "b": 42}]  # (stream_channels: every channel)
    assert list(app.stream(21, stream_mode="updates")) == [{"n": {"b": 42}}]


# -- write_to, reads, steps -------------------------------------------------------------------


def test_write_mappers_constants_and_none() -> None:
    n = NodeBuilder().subscribe_only("a").do(lambda x: x + 1).write_to("b", c=lambda v: v * 10, d="const", e=None)
    app = Pregel(nodes={"n": n}, channels={k: LastValue(object) for k in "abcde"},
                 input_channels=["a"], output_channels=["b", "c", "d", "e"])
    assert app.invoke({"a": 1}) == {"b": 2, "c": 20, "d": "const", "e": None}
    assert list(app.stream({"a": 1}, stream_mode="updates")) == [{"n": {"b": 2, "c": 20, "d": "const", "e": None}}]
    # None is written unless skip_none
    n = NodeBuilder().subscribe_only("a").do(lambda x: None).write_to("b")
    app = Pregel(nodes={"n": n}, channels={"a": EphemeralValue(str), "b": LastValue(str)},
                 input_channels=["a"], output_channels=["b"])
    assert app.invoke({"a": "x"}) == {"b": None}


def test_read_from_chained_do_and_no_writes() -> None:
    n = NodeBuilder().subscribe_to("t", read=False).read_from("x").do(lambda d: d).write_to("out")
    app = Pregel(nodes={"n": n}, channels={"t": EphemeralValue(object), "x": LastValue(object), "out": LastValue(object)},
                 input_channels=["t", "x"], output_channels="out")
    assert app.invoke({"t": 1, "x": 2}) == {"x": 2}
    assert app.invoke({"t": 1}) == {}
    n = NodeBuilder().subscribe_only("a").do(lambda x: x + 1).do(lambda x: x * 3).write_to("b")
    app = Pregel(nodes={"n": n}, channels={"a": LastValue(int), "b": LastValue(int)}, input_channels="a", output_channels="b")
    assert app.invoke(1) == 6
    n = NodeBuilder().subscribe_only("a").do(lambda x: x + 1)
    app = Pregel(nodes={"n": n}, channels={"a": LastValue(int), "b": LastValue(int)}, input_channels="a", output_channels="b")
    assert app.invoke(1) is None
    assert list(app.stream(1, stream_mode="updates")) == [{"n": None}]


def test_stream_channels_and_node_config() -> None:
    seen: list[Any] = []

    def spy(x: int, config: dict[str, Any]) -> int:
        md = config["metadata"]
        seen.append((md["langgraph_step"], md["langgraph_node"], tuple(md["langgraph_triggers"])))
        return x + 1

    n = NodeBuilder().subscribe_only("a").do(spy).write_to("b")
    channels = {"a": LastValue(int), "b": LastValue(int)}
    app = Pregel(nodes={"n": n}, channels=channels, input_channels="a", output_channels="b", stream_channels=["a", "b"])
    assert list(app.stream(1)) == [{"a": 1, "b": 2}]
    assert app.invoke(1) == 2
    assert seen[-1] == (0, "n", ("a",))  # the first node runs at step 0 (no __start__ step)
    app = Pregel(nodes={"n": n}, channels=channels, input_channels="a", output_channels="b", stream_channels="b")
    assert list(app.stream(1)) == [2]
    assert list(app.nodes) == ["n"]
    n = NodeBuilder().subscribe_only("a").do(lambda x: x).write_to("b").meta("t1", k="v")
    app = Pregel(nodes={"n": n}, channels=channels, input_channels="a", output_channels="b")
    assert (app.nodes["n"].metadata, app.nodes["n"].tags) == ({"k": "v"}, ["t1"])


def test_retry_policy_and_conflicting_writes() -> None:
    calls: list[int] = []

    def flaky(x: int) -> int:
        calls.append(x)
        if len(calls) < 2:
            raise ValueError("boom")
        return x

    n = (NodeBuilder().subscribe_only("a").do(flaky).write_to("b")
         .add_retry_policies(RetryPolicy(initial_interval=0.001, jitter=False, retry_on=ValueError)))
    app = Pregel(nodes={"n": n}, channels={"a": LastValue(int), "b": LastValue(int)}, input_channels="a", output_channels="b")
    assert app.invoke(7) == 7 and len(calls) == 2
    n1 = NodeBuilder().subscribe_only("a").do(lambda x: 1).write_to("b")
    n2 = NodeBuilder().subscribe_only("a").do(lambda x: 2).write_to("b")
    app = Pregel(nodes={"n1": n1, "n2": n2}, channels={"a": LastValue(int), "b": LastValue(int)},
                 input_channels="a", output_channels="b")
    with pytest.raises(Exception, match="Can receive only one value per step"):
        app.invoke(1)


# -- checkpointer -------------------------------------------------------------------------------


def test_checkpointer_state_and_update_as_node() -> None:
    n = NodeBuilder().subscribe_only("a").do(lambda x: x + x).write_to("b")
    app = Pregel(nodes={"n": n}, channels={"a": LastValue(str), "b": LastValue(str)}, input_channels=["a"],
                 output_channels=["b"], checkpointer=InMemorySaver())
    cfg: Any = {"configurable": {"thread_id": "1"}}
    assert app.invoke({"a": "x"}, cfg) == {"b": "xx"}
    state = app.get_state(cfg)
    assert (state.values, state.next, state.metadata["step"]) == ({"a": "x", "b": "xx"}, (), 0)
    assert [(s.metadata["source"], s.metadata["step"]) for s in app.get_state_history(cfg)] == [("loop", 0), ("input", -1)]
    # as LangGraph: an update as a node goes through that node's writes
    app.update_state(cfg, {"a": "y"}, as_node="n")
    state = app.get_state(cfg)
    assert (state.values, state.next) == ({"a": "x", "b": {"a": "y"}}, ())


# -- errors ---------------------------------------------------------------------------------------


def test_invalid_programs_name_node_and_channel() -> None:
    ch = {"a": LastValue(int)}

    def make(node: NodeBuilder, inp: str = "a", out: str = "a") -> Pregel:
        return Pregel(nodes={"n": node}, channels=ch, input_channels=inp, output_channels=out)

    with pytest.raises(GraphValidationError, match="Node n reads channel 'zz' not in known channels"):
        make(NodeBuilder().subscribe_only("zz").do(lambda x: x).write_to("a"))
    with pytest.raises(GraphValidationError, match="Node n reads channel 'zz'"):
        make(NodeBuilder().subscribe_to("a").read_from("zz").do(lambda x: x).write_to("a"))
    with pytest.raises(GraphValidationError, match="Node n writes to channel 'zz'"):
        make(NodeBuilder().subscribe_only("a").do(lambda x: x).write_to("zz"))
    with pytest.raises(GraphValidationError, match="Input channel 'zz' not in known channels"):
        make(NodeBuilder().subscribe_only("a").write_to("a"), inp="zz")
    with pytest.raises(GraphValidationError, match="Output channel 'zz' not in known channels"):
        make(NodeBuilder().subscribe_only("a").write_to("a"), out="zz")
    with pytest.raises(GraphValidationError, match="Input channel a is not subscribed to by any node"):
        make(NodeBuilder().do(lambda x: x).write_to("a"))
    with pytest.raises(TypeError, match="node 'n'"):
        Pregel(nodes={"n": lambda x: x}, channels=ch, input_channels="a", output_channels="a")  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="Cannot subscribe to single channels"):
        NodeBuilder().subscribe_only("a").subscribe_only("b")
    with pytest.raises(ValueError, match="Cannot subscribe to channels when subscribed to a single channel"):
        NodeBuilder().subscribe_only("a").subscribe_to("b")


def test_bad_input() -> None:
    app = single()
    with pytest.raises(TypeError, match="Expected chunk to be a dict, got str"):
        app.invoke("foo")
    with pytest.raises(EmptyInputError, match=r"Received no input for \['a'\]"):
        app.invoke({"zz": 1})
    assert app.invoke({"a": "x", "zz": 1}) == {"b": "xx"}


# -- async API, asyncio and trio -------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_examples() -> None:
    assert await single().ainvoke({"a": "foo"}) == {"b": "foofoo"}
    assert await multi().ainvoke({"a": "foo"}) == {"b": "foofoo", "c": "foofoofoofoo"}
    assert await fan(Topic(str, accumulate=True)).ainvoke({"a": "foo"}) == {"c": ["foofoo", "foofoofoofoo"]}
    assert await cycle().ainvoke({"value": "a"}) == {"value": "aaaaaaaaaaaaaaaa"}
    assert await raw().ainvoke(5) == 10
    assert [c async for c in cycle().astream({"value": "a"})] == [
        {"value": "aa"}, {"value": "aaaa"}, {"value": "aaaaaaaa"}, {"value": "aaaaaaaaaaaaaaaa"}]
    assert [c async for c in raw().astream(21, stream_mode="updates")] == [{"n": {"b": 42}}]


@pytest.mark.anyio
async def test_async_steps() -> None:
    async def triple(x: int) -> int:
        return x * 3

    n = NodeBuilder().subscribe_only("a").do(lambda x: x + 1).do(triple).write_to("b")
    app = Pregel(nodes={"n": n}, channels={"a": LastValue(int), "b": LastValue(int)}, input_channels="a", output_channels="b")
    assert await app.ainvoke(1) == 6
    assert app.invoke(1) == 6


@pytest.mark.anyio
async def test_async_checkpointer() -> None:
    app = Pregel(nodes={"n": NodeBuilder().subscribe_only("a").do(lambda x: x + "!").write_to("b")},
                 channels={"a": LastValue(str), "b": LastValue(str)}, input_channels="a", output_channels="b",
                 checkpointer=InMemorySaver())
    cfg: Any = {"configurable": {"thread_id": "t"}}
    assert await app.ainvoke("hi", cfg) == "hi!"
    assert (await app.aget_state(cfg)).values == {"a": "hi", "b": "hi!"}
    assert await app.ainvoke("yo", cfg) == "yo!"


def test_runnable_step() -> None:
    runnables = pytest.importorskip("langchain_core.runnables")
    n = NodeBuilder().subscribe_only("a").do(runnables.RunnableLambda(lambda x: x + 1)).write_to("b")
    app = Pregel(nodes={"n": n}, channels={"a": LastValue(int), "b": LastValue(int)}, input_channels="a", output_channels="b")
    assert app.invoke(1) == 2


@pytest.mark.anyio
async def test_started_by_an_actor_system_the_first_node_runs_at_step_0(anyio_backend: str) -> None:
    from actorgraph import ActorSystem

    seen: list[Any] = []

    def spy(x: int, config: dict[str, Any]) -> int:
        seen.append(config["metadata"]["langgraph_step"])
        return x + 1

    n = NodeBuilder().subscribe_only("a").do(spy).write_to("b")
    app = Pregel(nodes={"n": n}, channels={"a": LastValue(int), "b": LastValue(int)},
                 input_channels="a", output_channels="b")
    async with ActorSystem() as system:
        handle = await system.start(app, 1)
        async with handle.subscribe("updates") as events:
            updates = [chunk async for _mode, chunk in events]
        assert await handle.result() == 2
    # as invoke() and stream() (LangGraph 1.2.24: invoke(1) -> 2, stream(1, "updates") ->
    # [{'n': {'b': 2}}]): the input goes into the channels, no __start__ step
    assert seen == [0]
    assert updates == [{"n": {"b": 2}}]
