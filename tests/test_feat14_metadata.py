"""Metadata as LangGraph 1.2 fills it (issue 14). Observed from LangGraph 1.2 (scratch runs of
the graphs below):

* a node's ``config["metadata"]`` has, besides ``langgraph_*``, the config's ``metadata`` and the
  ``configurable`` entries ``thread_id``, ``checkpoint_id``, ``checkpoint_ns``, ``task_id``,
  ``run_id``, ``assistant_id``, ``graph_id`` that are set (truthy) and not in the metadata
  already — copied as each graph starts, so a subgraph's nodes (at any depth) have
  ``checkpoint_ns`` the outermost subgraph's namespace; also without a checkpointer;
* a saved checkpoint's metadata has, after ``source``/``step``/``parents``, the config's
  ``metadata`` and ``configurable`` entries of plain types (str/int/float/bool), but
  ``thread_id``/``checkpoint_*`` and ``__``-keys: for a run's checkpoints (its subgraphs' too), an
  update's, an input update's; not a ``__copy__``'s; the ``checkpoints`` stream shows the
  metadata without them.
"""

from __future__ import annotations

from typing import Any, TypedDict

import pytest

from actorgraph import START, StateGraph, get_config
from actorgraph.persistence import BaseCheckpointSaver, InMemorySaver

pytestmark = pytest.mark.anyio

KEYS = ("thread_id", "checkpoint_ns", "checkpoint_id", "graph_id", "assistant_id", "run_id", "task_id", "m")


class S(TypedDict, total=False):
    x: int


def nested(seen: list[dict[str, Any]], saver: Any) -> Any:
    """START -> a -> sub (START -> a -> ss (START -> a)); every a records its metadata."""
    def a(s: S) -> dict[str, Any]:
        seen.append({k: v for k, v in get_config()["metadata"].items() if k in KEYS})
        return {"x": 1}

    subsub = StateGraph(S).add_node("a", a).add_edge(START, "a").compile()
    sub = StateGraph(S).add_node("a", a).add_node("ss", subsub).add_edge(START, "a").add_edge("a", "ss").compile()
    return (StateGraph(S).add_node("a", a).add_node("sub", sub).add_edge(START, "a").add_edge("a", "sub")
            .compile(checkpointer=saver))


async def test_node_metadata_has_the_configurable_keys_langgraph_copies() -> None:
    seen: list[dict[str, Any]] = []
    graph = nested(seen, InMemorySaver())
    chunks = [c async for c in graph.astream(
        {"x": 0}, {"configurable": {"thread_id": "T1", "graph_id": "G", "assistant_id": "", "task_id": "tk",
                                    "user": "u"}, "metadata": {"m": 1}},
        stream_mode="tasks", subgraphs=True)]
    sub_ns = next(ns for ns, _ in chunks if ns)[0]
    base = {"m": 1, "task_id": "tk", "graph_id": "G", "thread_id": "T1"}
    assert seen == [base, {**base, "checkpoint_ns": sub_ns}, {**base, "checkpoint_ns": sub_ns}]

    # a replay names its checkpoint; the config's metadata wins over configurable
    seen.clear()
    history = [s async for s in graph.aget_state_history({"configurable": {"thread_id": "T1"}})]
    replayed = history[-2].config["configurable"]["checkpoint_id"]
    await graph.ainvoke(None, {"configurable": {"thread_id": "T1", "checkpoint_id": replayed},
                               "metadata": {"thread_id": "mine"}})
    assert seen[0] == {"thread_id": "mine", "checkpoint_id": replayed}
    assert [{k: v for k, v in s.items() if k != "checkpoint_ns"} for s in seen[1:]] == [seen[0], seen[0]]
    assert seen[1]["checkpoint_ns"] == seen[2]["checkpoint_ns"] != sub_ns

    seen.clear()
    await graph.ainvoke({"x": 0}, {"configurable": {"thread_id": 7}})
    assert seen[0] == {"thread_id": 7}


async def test_without_a_checkpointer_too() -> None:
    seen: list[dict[str, Any]] = []
    graph = nested(seen, None)
    await graph.ainvoke({"x": 0}, {"configurable": {"thread_id": "T2"}})
    assert seen[0] == {"thread_id": "T2"}
    assert seen[1]["thread_id"] == "T2" and seen[1]["checkpoint_ns"].startswith("sub:")
    seen.clear()
    await graph.ainvoke({"x": 0}, {"configurable": {"user": "u"}})
    assert seen[0] == {} and list(seen[1]) == ["checkpoint_ns"]


async def test_checkpoints_keep_the_configs_metadata(saver: BaseCheckpointSaver) -> None:
    sub = StateGraph(S).add_node("a", lambda s: {"x": 2}).add_edge(START, "a").compile()
    graph = (StateGraph(S).add_node("a", lambda s: {"x": 1}).add_node("sub", sub).add_edge(START, "a")
             .add_edge("a", "sub").compile(checkpointer=saver))
    config = {"configurable": {"thread_id": "T1", "user": "u", "n": 3, "obj": [1], "__x": "h", "api_key": "k",
                               "checkpoint_ns": ""},
              "metadata": {"m": 1, "lst": [1, 2], "thread_id": "meta"}, "tags": ["t"], "run_name": "rn"}
    streamed = [c async for c in graph.astream({"x": 0}, config, stream_mode="checkpoints", subgraphs=True)]
    assert [(ns != (), c["metadata"]["source"], sorted(c["metadata"])) for ns, c in streamed] == [
        (False, "input", ["parents", "source", "step"]), (False, "loop", ["parents", "source", "step"]),
        (False, "loop", ["parents", "source", "step"]),
        (True, "input", ["parents", "source", "step"]), (True, "loop", ["parents", "source", "step"]),
        (True, "loop", ["parents", "source", "step"]),
        (False, "loop", ["parents", "source", "step"])]
    extra = {"m": 1, "user": "u", "n": 3, "api_key": "k"}
    thread = {"configurable": {"thread_id": "T1"}}
    assert [s.metadata async for s in graph.aget_state_history(thread)] == [
        {"source": "loop", "step": 2, "parents": {}, **extra}, {"source": "loop", "step": 1, "parents": {}, **extra},
        {"source": "loop", "step": 0, "parents": {}, **extra}, {"source": "input", "step": -1, "parents": {}, **extra}]
    sub_ns = next(ns for ns, _ in streamed if ns)[0]
    root_step1 = streamed[2][1]["config"]["configurable"]["checkpoint_id"]
    assert [s.metadata async for s in graph.aget_state_history(
        {"configurable": {"thread_id": "T1", "checkpoint_ns": sub_ns}})] == [
        {"source": s, "step": n, "parents": {"": root_step1}, **extra} for s, n in (("loop", 1), ("loop", 0), ("input", -1))]

    await graph.aupdate_state({"configurable": {"thread_id": "T1", "upd": "v"}, "metadata": {"um": 2}}, {"x": 9}, as_node="a")
    assert (await graph.aget_state(thread)).metadata == {"source": "update", "step": 3, "parents": {}, "um": 2, "upd": "v"}
    await graph.ainvoke(None, {"configurable": {"thread_id": "T1"}, "metadata": {"second": True}})
    assert (await graph.aget_state(thread)).metadata == {"source": "loop", "step": 4, "parents": {}, "second": True}


async def test_updates_copies_and_exit_durability(saver: BaseCheckpointSaver) -> None:
    graph = StateGraph(S).add_node("a", lambda s: {"x": 1}).add_edge(START, "a").compile(checkpointer=saver)
    await graph.ainvoke({"x": 0}, {"configurable": {"thread_id": "T"}})
    history = [s async for s in graph.aget_state_history({"configurable": {"thread_id": "T"}})]
    copy = await graph.aupdate_state({**history[1].config, "metadata": {"cm": 1},
                                      "configurable": {**history[1].config["configurable"], "cu": "x"}},
                                     None, as_node="__copy__")
    assert (await graph.aget_state(copy)).metadata == {"source": "fork", "step": 1, "parents": {}}
    given = await graph.aupdate_state({"configurable": {"thread_id": "T", "iu": "y"}, "metadata": {"im": 1}},
                                      {"x": 3}, as_node="__input__")
    assert (await graph.aget_state(given)).metadata == {"source": "input", "step": 2, "parents": {}, "im": 1, "iu": "y"}
    ended = await graph.aupdate_state({"configurable": {"thread_id": "T", "eu": "y"}}, None, as_node="__end__")
    assert (await graph.aget_state(ended)).metadata == {"source": "update", "step": 3, "parents": {}, "eu": "y"}
    await graph.ainvoke({"x": 0}, {"configurable": {"thread_id": "S", "su": 1}}, durability="exit")
    assert [s.metadata async for s in graph.aget_state_history({"configurable": {"thread_id": "S"}})] == [
        {"source": "loop", "step": 1, "parents": {}, "su": 1}]


async def test_a_checkpointer_true_subgraph_has_its_parent_tasks_namespace() -> None:
    seen: list[tuple[Any, str]] = []

    def a(s: S) -> dict[str, Any]:
        config = get_config()
        seen.append((config["metadata"].get("checkpoint_ns"), config["configurable"]["checkpoint_ns"]))
        return {"x": 1}

    sub = StateGraph(S).add_node("a", a).add_edge(START, "a").compile(checkpointer=True)
    graph = StateGraph(S).add_node("sub", sub).add_edge(START, "sub").compile(checkpointer=InMemorySaver())
    chunks = [c async for c in graph.astream({"x": 0}, {"configurable": {"thread_id": "1"}},
                                             stream_mode="tasks", subgraphs=True)]
    sub_id = next(d["id"] for ns, d in chunks if not ns and d["name"] == "sub")
    # (the subgraph keeps its checkpoints under "sub"; its config's namespace names the task)
    [(meta_ns, own_ns)] = seen
    assert meta_ns == f"sub:{sub_id}" and own_ns.startswith("sub|a:")

    seen.clear()

    def call(s: S) -> dict[str, Any]:
        return sub.invoke(s)  # type: ignore[no-any-return]

    caller = StateGraph(S).add_node("call", call).add_edge(START, "call").compile(checkpointer=InMemorySaver())
    chunks = [c async for c in caller.astream({"x": 0}, {"configurable": {"thread_id": "1"}}, stream_mode="tasks")]
    call_id = chunks[0]["id"]
    [(meta_ns, own_ns)] = seen
    assert meta_ns == f"call:{call_id}" and own_ns.startswith("call|a:")


# add_node(metadata=...): LangGraph 1.2.24 merges the node's metadata over the run's and over its
# own langgraph_* keys in the node's config. A tasks/debug start event carries a "metadata" key
# when the task's config metadata, but the keys that repeat the task's fields (langgraph_*,
# thread_id, checkpoint_*), plus the config's tags under "tags", leave something.
async def test_a_nodes_own_metadata_reaches_its_config_and_its_start_event() -> None:
    seen: list[dict[str, Any]] = []

    def n(s: S) -> dict[str, Any]:
        md = get_config()["metadata"]
        seen.append({k: md[k] for k in ("node_md", "langgraph_node", "run_md", "langgraph_step") if k in md})
        return {"x": 1}

    g = StateGraph(S).add_node("n", n, metadata={"node_md": 1, "langgraph_node": "X", "run_md": "node"})
    app = g.add_node("plain", lambda s: {"x": 2}).add_edge(START, "n").add_edge("n", "plain").compile()
    await app.ainvoke({"x": 0}, {"metadata": {"run_md": "run"}})
    assert seen == [{"node_md": 1, "langgraph_node": "X", "run_md": "node", "langgraph_step": 1}]
    starts = [c async for c in app.astream({"x": 0}, stream_mode="tasks") if "input" in c]
    assert [(c["name"], c.get("metadata")) for c in starts] == [("n", {"node_md": 1, "run_md": "node"}), ("plain", None)]
    assert "metadata" not in starts[1]
    debug = [c["payload"] async for c in app.astream({"x": 0}, stream_mode="debug") if c["type"] == "task"]
    assert [p.get("metadata") for p in debug] == [{"node_md": 1, "run_md": "node"}, None]


async def test_start_events_show_the_runs_metadata_and_tags_in_subgraphs_too() -> None:
    sub = StateGraph(S).add_node("s", lambda s: {"x": 5}).add_edge(START, "s").compile()
    g = StateGraph(S).add_node("n", lambda s: {"x": 1}, metadata={"node_md": 1}).add_node("sub", sub)
    app = g.add_edge(START, "n").add_edge("n", "sub").compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t", "user_id": "u1", "run_id": "r"}, "metadata": {"run_md": "run"},
              "tags": ["mytag"]}
    shown = [(len(ns), c["name"], c.get("metadata"))
             async for ns, c in app.astream({"x": 0}, config, stream_mode="tasks", subgraphs=True) if "input" in c]
    common = {"run_md": "run", "run_id": "r", "tags": ["mytag"]}  # (user_id is not copied into metadata)
    assert shown == [(0, "n", {**common, "node_md": 1}), (0, "sub", common), (1, "s", common)]


@pytest.mark.parametrize(("config", "expected"), [
    # a run's own config for its saver names the checkpoint alone: nothing is added
    ({"configurable": {"thread_id": "t", "checkpoint_ns": "", "checkpoint_id": "c"}}, {"source": "a", "step": 1}),
    ({"metadata": {"k": 1}}, {"source": "a", "step": 1, "k": 1}),  # config metadata alone
    ({"configurable": {"thread_id": "t", "user": "u\x00v"}}, {"source": "a", "step": 1, "user": "uv"}),
    ({"configurable": {"thread_id": "t"}, "metadata": {"m": 2, "step": 9}}, {"source": "a", "step": 1, "m": 2}),
    ({"configurable": None}, {"source": "a", "step": 1}),
    (None, {"source": "a", "step": 1}),
])
def test_merge_metadata_adds_eligible_config_entries(config: Any, expected: dict[str, Any]) -> None:
    """What a saver stores: the metadata (NUL characters removed, its keys win), then the
    config's ``metadata`` and ``configurable`` entries that are not ids or LangGraph's own."""
    from actorgraph.persistence._records import merge_metadata

    assert merge_metadata(config, {"source": "a\x00", "step": 1}) == expected
