"""A node's ``Runtime``: annotated ``Runtime[Ctx]``, injected as ``runtime``, returned by
``get_runtime()``; the same object either way, in sync and async nodes, on both backends."""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

import anyio
import msgspec
import pytest

from actorgraph import END, START, ActorSystem, StateGraph
from actorgraph.persistence import InMemorySaver, InMemoryStore
from actorgraph.runtime import Runtime, get_runtime, get_store, get_stream_writer


@dataclass
class Ctx:
    user: str


class S(TypedDict):
    x: str


def seen(runtime: Runtime[Ctx]) -> dict[str, Any]:
    """What a node reports about the runtime it was given, checked against ``get_runtime()``."""
    assert get_runtime() is runtime            # one object per task, injected or asked for
    assert get_runtime(Ctx) is runtime
    assert type(runtime) is Runtime
    assert runtime.stream_writer is get_stream_writer()
    assert runtime.store is get_store()
    assert runtime.previous is None
    runtime.stream_writer({"to": "custom"})
    context = runtime.context
    return {"x": "none" if context is None else context.user}


def sync_node(state: S, runtime: Runtime[Ctx]) -> dict[str, Any]:
    return seen(runtime)


async def async_node(state: S, runtime: Runtime[Ctx]) -> dict[str, Any]:
    return seen(runtime)


def sync_asking_node(state: S) -> dict[str, Any]:
    return seen(get_runtime(Ctx))


async def async_asking_node(state: S) -> dict[str, Any]:
    return seen(get_runtime(Ctx))


NODES: dict[str, Callable[..., Any]] = {
    "sync-injected": sync_node, "async-injected": async_node,
    "sync-get_runtime": sync_asking_node, "async-get_runtime": async_asking_node,
}


@pytest.fixture(params=sorted(NODES))
def node(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """Each test runs with a sync and an async node, taking ``runtime`` or calling get_runtime()."""
    return NODES[request.param]


def graph_of(node: Callable[..., Any], **compile_kw: Any) -> Any:
    return StateGraph(S, context_schema=Ctx).add_node("n", node).add_edge(START, "n").compile(**compile_kw)


@pytest.mark.anyio
async def test_the_runtime_carries_the_context(node: Callable[..., Any]) -> None:
    graph = graph_of(node)
    assert await graph.ainvoke({"x": ""}, context=Ctx(user="ann")) == {"x": "ann"}
    assert await graph.ainvoke({"x": ""}) == {"x": "none"}   # no context given: None


@pytest.mark.anyio
async def test_the_runtime_carries_the_store_and_the_custom_writer(node: Callable[..., Any]) -> None:
    store = InMemoryStore()

    def store_node(state: S, runtime: Runtime[Ctx]) -> None:
        assert runtime.store is store

    graph = (StateGraph(S, context_schema=Ctx).add_node("n", node).add_node("check", store_node)
             .add_edge(START, "n").add_edge("n", "check").compile(store=store))
    chunks = [c async for c in graph.astream({"x": ""}, stream_mode=["custom", "updates"],
                                              context=Ctx(user="bob"))]
    assert chunks == [("custom", {"to": "custom"}), ("updates", {"n": {"x": "bob"}}),
                      ("updates", {"check": None})]


@pytest.mark.anyio
async def test_an_actor_system_run_passes_its_context(node: Callable[..., Any]) -> None:
    async with ActorSystem() as system:
        run = await system.start(graph_of(node), {"x": ""}, context=Ctx(user="cy"))
        with anyio.fail_after(5):
            assert await run.result() == {"x": "cy"}


@pytest.mark.anyio
async def test_get_runtime_outside_a_node_raises_naming_it() -> None:
    with pytest.raises(RuntimeError, match="get_runtime.*outside of a running node"):
        get_runtime()


def test_the_langgraph_repro_runs_unchanged_but_for_imports() -> None:
    # /work/shared/compat/repros/r18_runtime_generic.py, through the sync API
    def n(state: S, runtime: Runtime[Ctx]) -> dict[str, Any]:
        return {"x": runtime.context.user}

    g = StateGraph(S, context_schema=Ctx).add_node("n", n).add_edge(START, "n").compile()
    assert g.invoke({"x": ""}, context=Ctx(user="ann")) == {"x": "ann"}


def test_runtime_is_generic_and_its_annotation_resolves() -> None:
    assert typing.get_type_hints(sync_node)["runtime"] == Runtime[Ctx]
    assert typing.get_origin(Runtime[Ctx]) is Runtime
    assert Runtime[Ctx](context=Ctx(user="d")).context == Ctx(user="d")


def test_runtime_is_immutable_and_override_returns_a_copy() -> None:
    base: Runtime[Ctx] = Runtime(context=Ctx(user="a"))
    with pytest.raises(AttributeError):
        base.context = Ctx(user="b")  # type: ignore[misc]
    changed = base.override(context=Ctx(user="b"), previous=1)
    assert (changed.context, changed.previous) == (Ctx(user="b"), 1)
    assert (base.context, base.previous) == (Ctx(user="a"), None)
    assert changed.stream_writer is base.stream_writer
    with pytest.raises(TypeError, match="nope"):
        base.override(nope=1)


def test_merge_takes_what_the_other_runtime_sets() -> None:
    def writer(_chunk: Any) -> None:
        pass

    store = InMemoryStore()
    base: Runtime[Ctx] = Runtime(context=Ctx(user="a"), store=store, previous="p")
    merged = base.merge(Runtime(context=Ctx(user="b"), stream_writer=writer))
    assert merged.context == Ctx(user="b")       # set by the other
    assert merged.stream_writer is writer         # set by the other
    assert merged.store is store                  # unset there (None): kept
    assert merged.previous == "p"                 # unset there (None): kept
    assert base.merge(Runtime()) == base
    assert msgspec.structs.asdict(Runtime[Ctx]().merge(base)) == msgspec.structs.asdict(base)


# -- LangGraph 1.2's further fields: execution_info, heartbeat, server_info, control (issue 14) --


def test_execution_info_names_the_task_its_checkpoint_and_thread() -> None:
    from actorgraph.persistence import InMemorySaver
    from actorgraph.runtime import ExecutionInfo

    infos: list[tuple[Any, dict[str, Any]]] = []

    def n(state: S, runtime: Runtime[Ctx], config: dict[str, Any]) -> dict[str, Any]:
        infos.append((runtime.execution_info, config["configurable"]))
        return {"x": "n"}

    graph = StateGraph(S).add_node("n", n).add_edge(START, "n").compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}, "run_id": "r-1"}
    graph.invoke({"x": ""}, config)
    ((info, configurable),) = infos
    assert isinstance(info, ExecutionInfo)
    # as LangGraph 1.2 fills it (observed): the checkpoint the step started from (the
    # checkpoint_map's entry for this graph), the task's namespace and id, the thread, the
    # config's run_id, attempt 1 and a Unix timestamp
    assert info.checkpoint_id == configurable["checkpoint_map"][""]
    assert info.checkpoint_ns == configurable["checkpoint_ns"] == f"n:{info.task_id}"
    assert (info.thread_id, info.run_id, info.node_attempt) == ("t", "r-1", 1)
    assert isinstance(info.node_first_attempt_time, float) and info.node_first_attempt_time > 1e9
    history = [s.config["configurable"]["checkpoint_id"] for s in graph.get_state_history({"configurable": {"thread_id": "t"}})]
    assert info.checkpoint_id == history[1]  # the step's input checkpoint, not the one it made


def test_execution_info_without_a_checkpointer_has_the_configs_thread_id() -> None:
    # (LangGraph 1.2.24 takes thread_id from the config, checkpointer or not)
    infos: list[Any] = []

    def n(state: S, runtime: Runtime[Ctx]) -> dict[str, Any]:
        infos.append(runtime.execution_info)
        runtime.heartbeat()  # no idle timeout: a no-op
        return {"x": "n"}

    StateGraph(S).add_node("n", n).add_edge(START, "n").compile().invoke({"x": ""}, {"configurable": {"thread_id": "t"}})
    assert (infos[0].thread_id, infos[0].run_id, infos[0].node_attempt) == ("t", None, 1)
    assert infos[0].checkpoint_id
    # (as given: an int thread id stays an int, checkpointer or not)
    for saver in (None, InMemorySaver()):
        StateGraph(S).add_node("n", n).add_edge(START, "n").compile(checkpointer=saver).invoke(
            {"x": ""}, {"configurable": {"thread_id": 7}})
    assert [i.thread_id for i in infos[1:]] == [7, 7]


def test_a_fresh_runtime_has_langgraphs_defaults() -> None:
    rt: Runtime[Ctx] = Runtime()
    assert (rt.execution_info, rt.server_info, rt.control, rt.drain_requested, rt.drain_reason) == (
        None, None, None, False, None)
    assert rt.heartbeat() is None
    with pytest.raises(RuntimeError, match="Cannot patch execution_info before it has been set"):
        rt.patch_execution_info(node_attempt=2)


def test_patch_execution_info_and_merge_of_the_new_fields() -> None:
    from actorgraph.runtime import ExecutionInfo, RunControl

    info = ExecutionInfo(checkpoint_id="c", checkpoint_ns="n:1", task_id="1")
    rt: Runtime[Ctx] = Runtime(execution_info=info)
    patched = rt.patch_execution_info(node_attempt=3)
    assert patched.execution_info == ExecutionInfo(checkpoint_id="c", checkpoint_ns="n:1", task_id="1", node_attempt=3)
    assert rt.execution_info is info
    ctl = RunControl()
    merged = rt.merge(Runtime(control=ctl))
    assert (merged.execution_info, merged.control) == (info, ctl)
    # LangGraph 1.2 merges context by truthiness: a falsy context of the other keeps this one's
    assert Runtime(context="mine").merge(Runtime(context="")).context == "mine"


class TypedCtx(TypedDict):
    user: str


def context_seen(state: S, runtime: Runtime[Any]) -> dict[str, Any]:
    return {"x": repr(runtime.context)}


@pytest.mark.anyio
async def test_a_dict_context_becomes_the_schemas_dataclass_or_model() -> None:
    # LangGraph 1.2.24: a dict given as context is made an instance of a dataclass or pydantic
    # context_schema (its error if it does not fit); a TypedDict schema, or a context already
    # an object, is passed as given; a subgraph and an entrypoint get it the same way
    import pydantic

    from actorgraph.func import entrypoint

    class ModelCtx(pydantic.BaseModel):
        user: str

    def app(schema: Any) -> Any:
        return StateGraph(S, context_schema=schema).add_node("n", context_seen).add_edge(START, "n").compile()

    assert await app(Ctx).ainvoke({"x": ""}, context={"user": "al"}) == {"x": "Ctx(user='al')"}
    assert await app(ModelCtx).ainvoke({"x": ""}, context={"user": "al"}) == {"x": "ModelCtx(user='al')"}
    assert await app(TypedCtx).ainvoke({"x": ""}, context={"user": "al"}) == {"x": "{'user': 'al'}"}
    assert await app(ModelCtx).ainvoke({"x": ""}, context=Ctx("bo")) == {"x": "Ctx(user='bo')"}
    with pytest.raises(TypeError):
        await app(Ctx).ainvoke({"x": ""}, context={"nope": 1})
    with pytest.raises(pydantic.ValidationError):
        await app(ModelCtx).ainvoke({"x": ""}, context={"nope": 1})
    sub = StateGraph(S).add_node("n", context_seen).add_edge(START, "n").compile()
    outer = StateGraph(S, context_schema=Ctx).add_node("sub", sub).add_edge(START, "sub").compile()
    assert await outer.ainvoke({"x": ""}, context={"user": "di"}) == {"x": "Ctx(user='di')"}

    @entrypoint(context_schema=Ctx)
    def wf(x: int, runtime: Runtime[Ctx]) -> str:
        return repr(runtime.context)

    assert await wf.ainvoke(1, context={"user": "cy"}) == "Ctx(user='cy')"


def runtime_router(state: S, runtime: Runtime[Ctx]) -> str:
    runtime.stream_writer({"router": runtime.context.user})
    return "bob_node" if runtime.context.user == "bob" else END


async def keyword_router(state: S, *, store: Any, writer: Any, config: dict[str, Any]) -> str:
    writer({"store": store is not None, "thread": config["configurable"].get("thread_id")})
    return END


@pytest.mark.anyio
async def test_a_router_gets_the_runtime_store_writer_and_config_by_name() -> None:
    # LangGraph 1.2.24 injects a conditional edge's `runtime` (also as its second positional
    # parameter), `store`, `writer` and `config` by name, as a node's; the same chunks there
    expected = {
        ("runtime", "bob"): [("custom", {"router": "bob"}), ("updates", {"n": {"x": "n"}}),
                             ("updates", {"bob_node": {"x": "bob"}})],
        ("runtime", "amy"): [("custom", {"router": "amy"}), ("updates", {"n": {"x": "n"}})],
        ("keyword", "bob"): [("custom", {"store": True, "thread": "t"}), ("updates", {"n": {"x": "n"}})],
        ("keyword", "amy"): [("custom", {"store": True, "thread": "t"}), ("updates", {"n": {"x": "n"}})],
    }
    for kind, router in (("runtime", runtime_router), ("keyword", keyword_router)):
        graph = (StateGraph(S, context_schema=Ctx).add_node("n", lambda s: {"x": "n"})
                 .add_node("bob_node", lambda s: {"x": "bob"}).add_edge(START, "n")
                 .add_conditional_edges("n", router, ["bob_node", END]).compile(store=InMemoryStore()))
        for user in ("bob", "amy"):
            chunks = [c async for c in graph.astream({"x": ""}, {"configurable": {"thread_id": "t"}},
                                                     stream_mode=["custom", "updates"], context=Ctx(user=user))]
            assert chunks == expected[kind, user]
