"""``create_react_agent``: ``version="v2"`` (one ``"tools"`` task per tool call) against
``"v1"``; ``response_format``, ``pre_model_hook``, ``post_model_hook``, ``context_schema``.

Expected values come from LangGraph 1.2.24 (langgraph-prebuilt 1.x, langchain-core 1.8) running
the same programs: this file with its actorgraph imports swapped for LangGraph's passes there on
asyncio, but for the three checks that say why. On trio the agents use sync models and
tools: langchain-core's async API is asyncio-only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

import pytest

pytest.importorskip("langchain_core")

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel  # noqa: E402
from langchain_core.messages import (  # noqa: E402
    AIMessage,
    AnyMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.runnables import RunnableLambda  # noqa: E402
from langchain_core.tools import BaseTool, InjectedToolCallId, tool  # noqa: E402

from pydantic import BaseModel  # noqa: E402

from actorgraph import START, Command, MessagesState, StateGraph, interrupt  # noqa: E402
from actorgraph.graph import RemainingSteps, add_messages  # noqa: E402
from actorgraph.graph.message import REMOVE_ALL_MESSAGES  # noqa: E402
from actorgraph.runtime import get_runtime  # noqa: E402
from actorgraph.persistence import InMemorySaver  # noqa: E402
from actorgraph.prebuilt import InjectedState, ToolNode, create_react_agent, tools_condition  # noqa: E402


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
    # (called outside a graph, which LangGraph's ToolNode refuses: it needs a graph runtime;
    # the error for a malformed input is actorgraph's)
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


# -- response_format, pre_model_hook, post_model_hook, context_schema --------------------------


class Answer(BaseModel):
    """The final answer."""

    value: int


class Recording(FakeMessagesListChatModel):
    """Replies from a script; records ``bind_tools`` (tool names, keyword names) and the
    messages of every call in ``seen``. Its default ``with_structured_output`` binds the schema
    as a tool and parses the reply's tool call."""

    seen: list[Any] = []

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        self.seen.append(("bind", [getattr(t, "name", getattr(t, "__name__", t)) for t in tools], sorted(kwargs)))
        return self

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
        self.seen.append([(m.type, m.content) for m in messages])
        return super()._generate(messages, stop, run_manager, **kwargs)


def with_answer() -> Recording:
    return Recording(responses=[calls(("add", {"a": 1, "b": 2}, "c1")), AIMessage("done", id="a2"),
                                calls(("Answer", {"value": 3}, "s1"), id="a3")], seen=[])


def edges(agent: Any) -> list[tuple[str, str, bool]]:
    return sorted((e.source, e.target, e.conditional) for e in agent.get_graph().edges)


async def updates(agent: Any, inp: Any = None, **kwargs: Any) -> list[Any]:
    """The ``updates`` chunks, messages shown by :func:`shown`."""
    out = []
    async for chunk in agent.astream(inp or ASK, stream_mode="updates", **kwargs):
        out.append({node: None if update is None else {
            k: [shown(m) for m in v] if k in ("messages", "llm_input_messages") else v for k, v in update.items()}
            for node, update in chunk.items()})
    return out


BIND_ANSWER = ("bind", ["Answer"], ["ls_structured_output_format", "tool_choice"])
LOOP = [{"agent": {"messages": [("ai", "", "a1")]}}, {"tools": {"messages": [("tool", "3", "c1", "add", "success")]}},
        {"agent": {"messages": [("ai", "done", "a2")]}}]


@pytest.mark.anyio
async def test_response_format_adds_a_structured_response_node(anyio_backend: str) -> None:
    model = with_answer()
    agent = create_react_agent(model, [add], response_format=Answer, prompt="sys")
    assert list(agent.get_graph().nodes) == ["__start__", "agent", "tools", "generate_structured_response", "__end__"]
    assert edges(agent) == [("__start__", "agent", False), ("agent", "generate_structured_response", True),
                            ("agent", "tools", True), ("generate_structured_response", "__end__", False),
                            ("tools", "agent", False)]
    assert await updates(agent) == [*LOOP, {"generate_structured_response": {"structured_response": Answer(value=3)}}]
    # the structured call gets the state's messages, without the prompt, from the unbound model
    assert model.seen == [("bind", ["add"], []), [("system", "sys"), ("human", "q")],
                          [("system", "sys"), ("human", "q"), ("ai", ""), ("tool", "3")], BIND_ANSWER,
                          [("human", "q"), ("ai", ""), ("tool", "3"), ("ai", "done")]]
    out = await create_react_agent(with_answer(), [add], response_format=Answer).ainvoke(ASK)
    assert (sorted(out), out["structured_response"]) == (["messages", "structured_response"], Answer(value=3))


@pytest.mark.anyio
async def test_response_format_with_a_system_prompt_or_a_json_schema(anyio_backend: str) -> None:
    model = with_answer()
    out = await create_react_agent(model, [add], response_format=("Be terse", Answer)).ainvoke(ASK)
    assert out["structured_response"] == Answer(value=3)
    assert model.seen[-1] == [("system", "Be terse"), ("human", "q"), ("ai", ""), ("tool", "3"), ("ai", "done")]
    schema = {"title": "Answer", "description": "ans", "type": "object",
              "properties": {"value": {"type": "integer"}}, "required": ["value"]}
    out = await create_react_agent(with_answer(), [add], response_format=schema).ainvoke(ASK)
    assert out["structured_response"] == {"value": 3}


@pytest.mark.anyio
async def test_response_format_without_tools(anyio_backend: str) -> None:
    model = Recording(responses=[AIMessage("hi", id="a2"), calls(("Answer", {"value": 3}, "s1"), id="a3")], seen=[])
    agent = create_react_agent(model, [], response_format=Answer)
    assert edges(agent) == [("__start__", "agent", False), ("agent", "generate_structured_response", False),
                            ("generate_structured_response", "__end__", False)]
    assert await updates(agent) == [{"agent": {"messages": [("ai", "hi", "a2")]}},
                                    {"generate_structured_response": {"structured_response": Answer(value=3)}}]
    assert model.seen == [[("human", "q")], BIND_ANSWER, [("human", "q"), ("ai", "hi")]]


def pre_llm_input(state: Any) -> dict[str, Any]:
    return {"llm_input_messages": [SystemMessage("pre", id="s"), *state["messages"][-1:]]}


@pytest.mark.anyio
async def test_pre_model_hook_llm_input_messages(anyio_backend: str) -> None:
    model = with_answer()
    agent = create_react_agent(model, [add], pre_model_hook=pre_llm_input, prompt="sys")
    assert edges(agent) == [("__start__", "pre_model_hook", False), ("agent", "__end__", True), ("agent", "tools", True),
                            ("pre_model_hook", "agent", False), ("tools", "pre_model_hook", False)]
    chunks = await updates(agent)
    assert chunks[0] == {"pre_model_hook": {"llm_input_messages": [("system", "pre", "s"), ("human", "q", "h")]}}
    assert chunks[3]["pre_model_hook"]["llm_input_messages"][1][:2] == ("tool", "3")
    assert [list(c) for c in chunks] == [["pre_model_hook"], ["agent"], ["tools"], ["pre_model_hook"], ["agent"]]
    # the prompt goes first; the state keeps its messages and has no llm_input_messages
    assert model.seen[1:] == [[("system", "sys"), ("system", "pre"), ("human", "q")],
                              [("system", "sys"), ("system", "pre"), ("tool", "3")]]
    out = await create_react_agent(with_answer(), [add], pre_model_hook=pre_llm_input).ainvoke(ASK)
    assert sorted(out) == ["messages"]
    assert [shown(m)[:2] for m in out["messages"]] == [("human", "q"), ("ai", ""), ("tool", "3"), ("ai", "done")]


@pytest.mark.anyio
async def test_pre_model_hook_rewriting_messages(anyio_backend: str) -> None:
    def keep_two(state: Any) -> dict[str, Any]:
        return {"messages": [RemoveMessage(id=REMOVE_ALL_MESSAGES), *state["messages"][-2:]]}

    model = with_answer()
    agent = create_react_agent(model, [add], pre_model_hook=keep_two)
    out = await agent.ainvoke({"messages": [HumanMessage("old", id="o"), HumanMessage("q", id="h")]})
    assert model.seen[1:] == [[("human", "old"), ("human", "q")], [("ai", ""), ("tool", "3")]]
    assert [shown(m)[:2] for m in out["messages"]] == [("ai", ""), ("tool", "3"), ("ai", "done")]


def post_nothing(state: Any) -> dict[str, Any]:
    return {}


@pytest.mark.anyio
async def test_post_model_hook_routes_pending_calls(anyio_backend: str) -> None:
    agent = create_react_agent(with_answer(), [add], post_model_hook=post_nothing, response_format=Answer)
    assert edges(agent) == [("__start__", "agent", False), ("agent", "post_model_hook", False),
                            ("generate_structured_response", "__end__", False), ("post_model_hook", "agent", True),
                            ("post_model_hook", "generate_structured_response", True),
                            ("post_model_hook", "tools", True), ("tools", "agent", False)]
    assert await updates(agent) == [LOOP[0], {"post_model_hook": None}, *LOOP[1:], {"post_model_hook": None},
                                    {"generate_structured_response": {"structured_response": Answer(value=3)}}]

    def post_reply(state: Any) -> dict[str, Any]:
        return {"messages": [AIMessage("post", id=f"p{len(state['messages'])}")]}

    # its router sends the last AIMessage's unanswered calls: the hook's reply has none
    agent = create_react_agent(with_answer(), [add], post_model_hook=post_reply)
    assert ("post_model_hook", "__end__", True) in edges(agent)
    out = await agent.ainvoke(ASK)
    assert [shown(m) for m in out["messages"]] == [("human", "q", "h"), ("ai", "", "a1"), ("ai", "post", "p2")]


@pytest.mark.anyio
async def test_post_model_hook_under_v1_fails_on_tool_calls(anyio_backend: str) -> None:
    agent = create_react_agent(with_answer(), [add], post_model_hook=post_nothing, version="v1")
    with pytest.raises(KeyError) as info:  # (LangGraph 1.2.24 too: 'tools' is no destination)
        await agent.ainvoke(ASK)
    assert info.value.args == ("tools",)


@pytest.mark.anyio
async def test_all_hooks_together(anyio_backend: str) -> None:
    model = with_answer()
    agent = create_react_agent(model, [add], pre_model_hook=pre_llm_input, post_model_hook=post_nothing,
                               response_format=Answer)
    assert list(agent.get_graph().nodes) == ["__start__", "agent", "tools", "pre_model_hook", "post_model_hook",
                                             "generate_structured_response", "__end__"]
    assert edges(agent) == [
        ("__start__", "pre_model_hook", False), ("agent", "post_model_hook", False),
        ("generate_structured_response", "__end__", False), ("post_model_hook", "generate_structured_response", True),
        ("post_model_hook", "pre_model_hook", True), ("post_model_hook", "tools", True),
        ("pre_model_hook", "agent", False), ("tools", "pre_model_hook", False)]
    assert [list(c) for c in await updates(agent)] == [
        ["pre_model_hook"], ["agent"], ["post_model_hook"], ["tools"], ["pre_model_hook"], ["agent"],
        ["post_model_hook"], ["generate_structured_response"]]
    assert model.seen[1:] == [[("system", "pre"), ("human", "q")], [("system", "pre"), ("tool", "3")], BIND_ANSWER,
                              [("human", "q"), ("ai", ""), ("tool", "3"), ("ai", "done")]]
    no_tools = create_react_agent(Recording(responses=[], seen=[]), [], pre_model_hook=pre_llm_input,
                                  post_model_hook=post_nothing, response_format=Answer)
    assert edges(no_tools) == [("__start__", "pre_model_hook", False), ("agent", "post_model_hook", False),
                               ("generate_structured_response", "__end__", False),
                               ("post_model_hook", "generate_structured_response", False),
                               ("pre_model_hook", "agent", False)]


def test_pre_model_hook_with_a_pydantic_state_and_the_agent_name() -> None:
    class State(BaseModel):
        messages: Annotated[list[AnyMessage], add_messages]
        remaining_steps: RemainingSteps = 25

    model = Recording(responses=[calls(("add", {"a": 1, "b": 2}, "c1")), AIMessage("x", id="a2", name="someone")],
                      seen=[])
    agent = create_react_agent(model, [add], state_schema=State,
                               pre_model_hook=lambda s: {"llm_input_messages": s.messages[-1:]})
    out = agent.invoke(ASK)
    assert model.seen[1:] == [[("human", "q")], [("tool", "3")]]
    assert sorted(out) == ["messages"]
    # the reply's name is the agent's (None here), as LangGraph sets it
    assert [(m.type, m.content, m.name) for m in out["messages"]] == [
        ("human", "q", None), ("ai", "", None), ("tool", "3", "add"), ("ai", "x", None)]


@pytest.mark.anyio
async def test_context_schema_reaches_the_hooks(anyio_backend: str) -> None:
    @dataclass
    class Ctx:
        user: str

    def pre(state: Any) -> dict[str, Any]:
        return {"llm_input_messages": [SystemMessage("user=" + get_runtime().context.user), *state["messages"]]}

    model = with_answer()
    agent = create_react_agent(model, [add], context_schema=Ctx, pre_model_hook=pre)
    assert agent.builder.context_schema is Ctx
    await agent.ainvoke(ASK, context=Ctx("bob"))
    assert model.seen[1:] == [[("system", "user=bob"), ("human", "q")],
                              [("system", "user=bob"), ("human", "q"), ("ai", ""), ("tool", "3")]]


def test_state_schema_needs_the_agent_keys() -> None:
    class State(TypedDict):
        messages: list[Any]

    with pytest.raises(ValueError, match=r"^Missing required key\(s\) \{'remaining_steps'\} in state_schema$"):
        create_react_agent(Model(responses=[]), [add], state_schema=State)
    with pytest.raises(ValueError, match=r"^Missing required key\(s\) \{'remaining_steps', 'structured_response'\} "
                                         r"in state_schema$"):
        create_react_agent(Model(responses=[]), [add], state_schema=State, response_format=Answer)


def test_response_format_needs_a_chat_model() -> None:
    # (LangGraph raises a TypeError too, worded otherwise, naming the Prompt | model sequence)
    not_a_chat_model = RunnableLambda(lambda messages: AIMessage("hi", id="a1"))
    agent = create_react_agent(not_a_chat_model, [], response_format=Answer)
    with pytest.raises(TypeError, match=r"^response_format needs a chat model \(a BaseChatModel, or one with tools "
                                        r"bound\), got <class 'langchain_core.runnables.base.RunnableLambda'>\n"):
        agent.invoke(ASK)


# -- ToolNode: custom BaseTool returning a Command; tools_condition's positional key ------------


class CmdArgs(BaseModel):
    x: int
    tool_call_id: Annotated[str, InjectedToolCallId]


class CmdTool(BaseTool):
    """A BaseTool subclass (not a function tool) answering with a Command."""

    args_schema: type[BaseModel] = CmdArgs
    name: str = "cmdtool"
    description: str = "Answer with a Command."

    def _run(self, x: int, tool_call_id: str) -> Command[Any]:
        return Command(update={"messages": [ToolMessage(f"sync {x}", tool_call_id=tool_call_id)]})


class AsyncCmdTool(CmdTool):
    name: str = "acmdtool"

    async def _arun(self, x: int, tool_call_id: str) -> Command[Any]:
        return Command(update={"messages": [ToolMessage(f"async {x}", tool_call_id=tool_call_id)]})


def tool_calls_state(*cs: tuple[str, dict[str, Any], str]) -> dict[str, Any]:
    return {"messages": [calls(*cs, id="a")]}


@pytest.mark.anyio
async def test_custom_base_tool_command_is_applied(anyio_backend: str) -> None:
    graph = StateGraph(MessagesState).add_node("tools", ToolNode([CmdTool(), AsyncCmdTool()]))
    app = graph.add_edge(START, "tools").compile()
    out = await app.ainvoke(tool_calls_state(("cmdtool", {"x": 1}, "c1"), ("acmdtool", {"x": 2}, "c2")))
    # (ainvoke on asyncio runs the tools' async paths: _arun, or _run in an executor; trio runs _run)
    second = "async 2" if anyio_backend == "asyncio" else "sync 2"
    assert [shown(m) for m in out["messages"][1:]] == [
        ("tool", "sync 1", "c1", "cmdtool", "success"), ("tool", second, "c2", "acmdtool", "success")]


def test_custom_base_tool_command_under_invoke() -> None:
    app = StateGraph(MessagesState).add_node("tools", ToolNode([CmdTool(), AsyncCmdTool()])).add_edge(START, "tools")
    out = app.compile().invoke(tool_calls_state(("cmdtool", {"x": 3}, "c1"), ("acmdtool", {"x": 4}, "c2")))
    assert [shown(m) for m in out["messages"][1:]] == [
        ("tool", "sync 3", "c1", "cmdtool", "success"), ("tool", "sync 4", "c2", "acmdtool", "success")]


def test_tools_condition_takes_the_key_positionally() -> None:
    call = calls(("f", {}, "c"))
    assert tools_condition({"msgs": [call]}, "msgs") == "tools"
    assert tools_condition({"msgs": [AIMessage("x")]}, "msgs") == "__end__"
    assert tools_condition({"msgs": [call]}, messages_key="msgs") == "tools"
    # as a router: the graph gives it the state only
    graph = StateGraph(MessagesState).add_node("agent", lambda s: {}).add_node("tools", lambda s: {})
    graph.add_edge(START, "agent").add_conditional_edges("agent", tools_condition)
    assert [list(u) for u in graph.compile().stream({"messages": [call]})] == [["agent"], ["tools"]]
    # (LangGraph raises a TypeError too, Python's own for too many arguments)
    with pytest.raises(TypeError, match=r"^tools_condition\(\) takes the state and one messages_key, got 2 extra "):
        tools_condition({"msgs": [call]}, "msgs", "more")
