"""``create_react_agent``: ``version="v2"`` (one ``"tools"`` task per tool call) against
``"v1"``; ``response_format``, ``pre_model_hook``, ``post_model_hook``, ``context_schema``.

Expected values come from LangGraph 1.2.24 (langgraph-prebuilt 1.x, langchain-core 1.8) running
the same programs (scratch scripts that swap the imports). On trio the agents use sync models and
tools: langchain-core's async API is asyncio-only."""

from __future__ import annotations

from typing import Annotated, Any

import pytest

pytest.importorskip("langchain_core")

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel  # noqa: E402
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage  # noqa: E402
from langchain_core.tools import InjectedToolCallId, tool  # noqa: E402

from actorgraph import Command, interrupt  # noqa: E402
from actorgraph.persistence import InMemorySaver  # noqa: E402
from actorgraph.prebuilt import InjectedState, ToolNode, create_react_agent  # noqa: E402


class Model(FakeMessagesListChatModel):
    """Replies from a script; accepts ``bind_tools``."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self


def calls(*cs: tuple[str, dict[str, Any], str], id: str = "a1") -> AIMessage:
    return AIMessage("", id=id, tool_calls=[{"name": n, "args": a, "id": i} for n, a, i in cs])


def shown(m: Any) -> tuple[Any, ...]:
    """A message without its random id: tool messages show whether they have one."""
    if isinstance(m, ToolMessage):
        return ("tool", m.content, m.tool_call_id, m.name, m.status)
    return (m.type, m.content, m.id)


@tool
def add(a: int, b: int) -> int:
    """Add two ints."""
    return a + b


@tool
def peek(state: Annotated[dict[str, Any], InjectedState]) -> str:
    """Show what the tool sees of the state."""
    return f"rs={state.get('remaining_steps')} n={len(state['messages'])} keys={sorted(state)}"


@tool
def approve(action: str) -> str:
    """Ask a human."""
    return f"{action}: {interrupt({'action': action})}"


ASK = {"messages": [HumanMessage("q", id="h")]}
LIMIT = {"recursion_limit": 20}


def add_and_peek(version: str) -> Any:
    model = Model(responses=[calls(("add", {"a": 1, "b": 2}, "c1"), ("peek", {}, "c2")), AIMessage("done", id="a2")])
    return create_react_agent(model, [add, peek], version=version)


# What the tool sees: v2 sends each call the state its router saw (the model's step), v1's
# single task reads the state one step later.
PEEK = {"v1": "rs=18 n=2 keys=['messages', 'remaining_steps']", "v2": "rs=19 n=2 keys=['messages', 'remaining_steps']"}


@pytest.mark.anyio
@pytest.mark.parametrize("version", ["v1", "v2"])
async def test_updates_show_one_chunk_per_tools_task(anyio_backend: str, version: str) -> None:
    chunks = [c async for c in add_and_peek(version).astream(ASK, LIMIT, stream_mode="updates")]
    seen = [{node: [shown(m) for m in update["messages"]] for node, update in c.items()} for c in chunks]
    answers = [("tool", "3", "c1", "add", "success"), ("tool", PEEK[version], "c2", "peek", "success")]
    agent_chunks = [{"agent": [("ai", "", "a1")]}, {"agent": [("ai", "done", "a2")]}]
    assert [seen[0], seen[-1]] == agent_chunks
    if version == "v1":
        assert seen[1:-1] == [{"tools": answers}]
    else:  # (the calls run concurrently: their chunks come as they finish)
        assert sorted(seen[1:-1], key=str) == sorted([{"tools": [answers[0]]}, {"tools": [answers[1]]}], key=str)


@pytest.mark.anyio
@pytest.mark.parametrize("version", ["v1", "v2"])
async def test_tasks_stream_shows_each_call_with_its_state(anyio_backend: str, version: str) -> None:
    starts = [c async for c in add_and_peek(version).astream(ASK, LIMIT, stream_mode="tasks")
              if c["name"] == "tools" and "input" in c]
    if version == "v1":
        assert [(s["triggers"], sorted(s["input"]), s["input"]["remaining_steps"]) for s in starts] == [
            (("branch:to:tools",), ["messages", "remaining_steps"], 18)]
        return
    assert [(s["triggers"], s["input"]["__type"], s["input"]["tool_call"]) for s in starts] == [
        (("__pregel_push",), "tool_call_with_context", {"name": "add", "args": {"a": 1, "b": 2}, "id": "c1", "type": "tool_call"}),
        (("__pregel_push",), "tool_call_with_context", {"name": "peek", "args": {}, "id": "c2", "type": "tool_call"}),
    ]
    for s in starts:
        state = s["input"]["state"]
        assert (sorted(state), [m.id for m in state["messages"]], state["remaining_steps"]) == (
            ["messages", "remaining_steps"], ["h", "a1"], 19)
    debug = [(c["type"], c["step"]) async for c in add_and_peek(version).astream(ASK, LIMIT, stream_mode="debug")
             if c["type"] in ("task", "task_result") and c["payload"]["name"] == "tools"]
    assert debug == [("task", 2), ("task", 2), ("task_result", 2), ("task_result", 2)]


@pytest.mark.anyio
async def test_v2_two_interrupting_calls_pause_together(anyio_backend: str) -> None:
    model = Model(responses=[calls(("approve", {"action": "A"}, "c1"), ("approve", {"action": "B"}, "c2")),
                             AIMessage("done", id="a2")])
    agent = create_react_agent(model, [approve], checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "1"}}
    out = await agent.ainvoke(ASK, config)
    assert sorted(i.value["action"] for i in out["__interrupt__"]) == ["A", "B"]
    state = await agent.aget_state(config)
    assert state.next == ("tools", "tools")
    assert [(t.name, t.path, [i.value for i in t.interrupts]) for t in state.tasks] == [
        ("tools", ("__pregel_push", 0, False), [{"action": "A"}]),
        ("tools", ("__pregel_push", 1, False), [{"action": "B"}]),
    ]
    answers = {i.id: f"ok-{i.value['action']}" for i in state.interrupts}
    out = await agent.ainvoke(Command(resume=answers), config)
    assert "__interrupt__" not in out
    assert [shown(m) for m in out["messages"]] == [
        ("human", "q", "h"), ("ai", "", "a1"),
        ("tool", "A: ok-A", "c1", "approve", "success"), ("tool", "B: ok-B", "c2", "approve", "success"),
        ("ai", "done", "a2"),
    ]


@pytest.mark.anyio
async def test_v1_two_interrupting_calls_pause_one_at_a_time(anyio_backend: str) -> None:
    model = Model(responses=[calls(("approve", {"action": "A"}, "c1"), ("approve", {"action": "B"}, "c2")),
                             AIMessage("done", id="a2")])
    agent = create_react_agent(model, [approve], checkpointer=InMemorySaver(), version="v1")
    config = {"configurable": {"thread_id": "1"}}
    out = await agent.ainvoke(ASK, config)
    assert [i.value for i in out["__interrupt__"]] == [{"action": "A"}]
    state = await agent.aget_state(config)
    assert [(t.name, t.path) for t in state.tasks] == [("tools", ("__pregel_pull", "tools"))]


@pytest.mark.anyio
@pytest.mark.parametrize(("version", "side_runs", "failed_tasks"), [
    ("v1", 2, [("tools", ("__pregel_pull", "tools"), "ConnectionError('transient')")]),
    ("v2", 1, [("tools", ("__pregel_push", 0, False), None),
               ("tools", ("__pregel_push", 1, False), "ConnectionError('transient')")]),
])
async def test_resume_after_a_failed_call_reruns(anyio_backend: str, version: str, side_runs: int,
                                                 failed_tasks: list[Any]) -> None:
    count = {"side": 0, "flaky": 0}

    @tool
    def side(x: int) -> str:
        """Has a side effect."""
        count["side"] += 1
        return f"sent {x}"

    @tool
    def flaky(x: int) -> str:
        """Fails the first time."""
        count["flaky"] += 1
        if count["flaky"] == 1:
            raise ConnectionError("transient")
        return "ok"

    model = Model(responses=[calls(("side", {"x": 1}, "c1"), ("flaky", {"x": 1}, "c2")), AIMessage("d", id="a2")])
    agent = create_react_agent(model, [side, flaky], version=version, checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "1"}}
    with pytest.raises(ConnectionError, match="^transient"):
        await agent.ainvoke(ASK, config)
    state = await agent.aget_state(config)
    assert state.next == ("tools",)
    assert [(t.name, t.path, t.error) for t in state.tasks] == failed_tasks
    out = await agent.ainvoke(None, config)
    assert [shown(m) for m in out["messages"]] == [
        ("human", "q", "h"), ("ai", "", "a1"), ("tool", "sent 1", "c1", "side", "success"),
        ("tool", "ok", "c2", "flaky", "success"), ("ai", "d", "a2"),
    ]
    assert count == {"side": side_runs, "flaky": 2}


@pytest.mark.anyio
@pytest.mark.parametrize(("version", "nxt", "paths"), [
    ("v1", ("tools",), [("__pregel_pull", "tools")]),
    ("v2", ("tools", "tools"), [("__pregel_push", 0, False), ("__pregel_push", 1, False)]),
])
async def test_interrupt_before_tools(anyio_backend: str, version: str, nxt: tuple[str, ...], paths: list[Any]) -> None:
    model = Model(responses=[calls(("add", {"a": 1, "b": 2}, "c1"), ("add", {"a": 3, "b": 4}, "c2")), AIMessage("d", id="a2")])
    agent = create_react_agent(model, [add], version=version, checkpointer=InMemorySaver(), interrupt_before=["tools"])
    config = {"configurable": {"thread_id": "1"}}
    await agent.ainvoke(ASK, config)
    state = await agent.aget_state(config)
    assert (state.next, [t.path for t in state.tasks]) == (nxt, paths)
    out = await agent.ainvoke(None, config)
    assert [shown(m) for m in out["messages"][2:]] == [
        ("tool", "3", "c1", "add", "success"), ("tool", "7", "c2", "add", "success"), ("ai", "d", "a2")]


def test_tool_node_runs_one_call_with_context() -> None:
    state = {"messages": [HumanMessage("q", id="h")], "remaining_steps": 3}
    out = ToolNode([add, peek]).invoke({"__type": "tool_call_with_context", "state": state,
                                        "tool_call": {"name": "peek", "args": {}, "id": "c9", "type": "tool_call"}})
    assert [shown(m) for m in out["messages"]] == [
        ("tool", "rs=3 n=1 keys=['messages', 'remaining_steps']", "c9", "peek", "success")]
    with pytest.raises(ValueError, match=r"^A 'tool_call_with_context' input needs the keys 'tool_call' and "
                                         r"'state', got \['__type', 'tool_call'\]$"):
        ToolNode([add]).invoke({"__type": "tool_call_with_context", "tool_call": {}})


@pytest.mark.anyio
@pytest.mark.parametrize("version", ["v1", "v2"])
async def test_return_direct_among_parallel_calls_ends_the_run(anyio_backend: str, version: str) -> None:
    @tool(return_direct=True)
    def direct(q: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> Command[Any]:
        """Answer directly, with a Command whose message is named otherwise."""
        return Command(update={"messages": [ToolMessage("dd", tool_call_id=tool_call_id, name="other")]})

    model = Model(responses=[calls(("add", {"a": 1, "b": 2}, "c1"), ("direct", {"q": "x"}, "c2")),
                             AIMessage("never", id="a2")])
    out = await create_react_agent(model, [direct, add], version=version).ainvoke(ASK)
    assert [shown(m) for m in out["messages"]] == [
        ("human", "q", "h"), ("ai", "", "a1"), ("tool", "3", "c1", "add", "success"),
        ("tool", "dd", "c2", "direct", "success"),  # (the tool's name, as in LangGraph)
    ]
