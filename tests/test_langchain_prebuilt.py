"""``actorgraph.prebuilt``: ``ToolNode``, ``tools_condition``, ``create_react_agent``.

Expected values are LangGraph 1.2.24 + langgraph-prebuilt 1.1.3 running the same programs with
langchain-core 1.8's fake chat models (scratch scripts; tool message ids are random uuids in
both, so they are not compared). On trio the agents use sync models and tools: langchain-core's
async API is asyncio-only."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Annotated, Any

import pytest
from typing_extensions import NotRequired

pytest.importorskip("langchain_core")

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel  # noqa: E402
from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage, ToolMessage  # noqa: E402
from langchain_core.tools import InjectedToolCallId, tool  # noqa: E402

from actorgraph import START, Command, MessagesState, Send, StateGraph, interrupt  # noqa: E402
from actorgraph.graph.message import REMOVE_ALL_MESSAGES  # noqa: E402
from actorgraph.persistence import BaseCheckpointSaver, InMemorySaver, InMemoryStore, SqliteSaver  # noqa: E402
from actorgraph.prebuilt import (  # noqa: E402
    InjectedState,
    InjectedStore,
    ToolInvocationError,
    ToolNode,
    create_react_agent,
    tools_condition,
)


def transcript(messages: list[Any]) -> list[tuple[Any, ...]]:
    """What LangGraph's transcript pins: type, content, and per type the ids, tool calls,
    tool call ids, names and statuses (not the random ids of tool messages)."""
    out: list[tuple[Any, ...]] = []
    for m in messages:
        if isinstance(m, AIMessage):
            out.append(("ai", m.content, m.id, [(c["name"], c["args"], c["id"]) for c in m.tool_calls], m.name))
        elif isinstance(m, ToolMessage):
            out.append(("tool", m.content, m.tool_call_id, m.name, m.status))
        else:
            out.append((m.type, m.content))
    return out


class ScriptedModel(FakeMessagesListChatModel):
    """A fake chat model that replies from a script and accepts ``bind_tools`` (recording the
    tool names); ``seen`` records the messages of every call."""

    bound: list[list[str]] = []
    seen: list[list[tuple[str, Any]]] = []

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        self.bound.append([t.name for t in tools])
        return self

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
        self.seen.append([(m.type, m.content) for m in messages])
        return super()._generate(messages, stop, run_manager, **kwargs)


@tool
def get_weather(city: str) -> str:
    """Get weather for a given city."""
    return f"It's always sunny in {city}!"


@tool
def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"It is 10:00 in {city}."


def script() -> list[AIMessage]:
    return [
        AIMessage("", id="ai-1", tool_calls=[{"name": "get_weather", "args": {"city": "sf"}, "id": "call_w1"},
                                             {"name": "get_time", "args": {"city": "sf"}, "id": "call_t1"}]),
        AIMessage("It's sunny in SF and it is 10:00 there.", id="ai-2"),
        AIMessage("", id="ai-3", tool_calls=[{"name": "get_weather", "args": {"town": "nyc"}, "id": "call_w2"}]),
        AIMessage("", id="ai-4", tool_calls=[{"name": "get_weather", "args": {"city": "nyc"}, "id": "call_w3"}]),
        AIMessage("NYC is sunny too.", id="ai-5"),
    ]


ARGS_ERROR = ("Error invoking tool 'get_weather' with kwargs {'town': 'nyc'} with error:\n"
              " city: Field required\n Please fix the error and try again.")
TURN_1 = [
    ("human", "what is the weather in sf"),
    ("ai", "", "ai-1", [("get_weather", {"city": "sf"}, "call_w1"), ("get_time", {"city": "sf"}, "call_t1")], None),
    ("tool", "It's always sunny in sf!", "call_w1", "get_weather", "success"),
    ("tool", "It is 10:00 in sf.", "call_t1", "get_time", "success"),
    ("ai", "It's sunny in SF and it is 10:00 there.", "ai-2", [], None),
]
TRANSCRIPT = [
    *TURN_1,
    ("human", "and in nyc?"),
    ("ai", "", "ai-3", [("get_weather", {"town": "nyc"}, "call_w2")], None),
    ("tool", ARGS_ERROR, "call_w2", "get_weather", "error"),
    ("ai", "", "ai-4", [("get_weather", {"city": "nyc"}, "call_w3")], None),
    ("tool", "It's always sunny in nyc!", "call_w3", "get_weather", "success"),
    ("ai", "NYC is sunny too.", "ai-5", [], None),
]
SYSTEM = ("system", "You are a helpful assistant")
# The model's input on each call: the prompt, then the thread's messages so far.
MODEL_SAW = [[SYSTEM, *[(t[0], t[1]) for t in TRANSCRIPT[:n]]] for n in (1, 4, 6, 8, 10)]


@pytest.mark.anyio
async def test_react_agent_from_the_docs(anyio_backend: str, saver: BaseCheckpointSaver) -> None:
    model = ScriptedModel(responses=script(), bound=[], seen=[])
    agent = create_react_agent(model, tools=[get_weather, get_time], prompt="You are a helpful assistant",
                               checkpointer=saver)
    config = {"configurable": {"thread_id": "1"}}
    first = await agent.ainvoke({"messages": [{"role": "user", "content": "what is the weather in sf"}]}, config)
    assert transcript(first["messages"]) == TURN_1
    out = await agent.ainvoke({"messages": [{"role": "user", "content": "and in nyc?"}]}, config)
    assert transcript(out["messages"]) == TRANSCRIPT
    assert model.seen == MODEL_SAW
    assert model.bound == [["get_weather", "get_time"]]
    history = [s async for s in agent.aget_state_history(config)]
    assert len(history) == 12
    state = await agent.aget_state(config)
    assert (state.next, state.metadata["step"]) == ((), 10)
    assert transcript(state.values["messages"]) == TRANSCRIPT


@pytest.mark.anyio
async def test_the_agent_runs_its_model_node_and_prompt_without_inspecting_signatures(
        anyio_backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # RunnableLambda asks inspect.signature about its function and its own _ainvoke at every
    # call (~70 µs a call): the agent's node and prompt have theirs worked out once
    import inspect

    from langchain_core.runnables import RunnableLambda

    agent = create_react_agent(ScriptedModel(responses=script(), bound=[], seen=[]),
                               tools=[get_weather, get_time], prompt="You are a helpful assistant")
    real = inspect.signature
    worked_out: list[str] = []

    def signature(obj: Any, *args: Any, **kwargs: Any) -> inspect.Signature:
        fn = getattr(obj, "__func__", obj)
        if "__signature__" not in getattr(fn, "__dict__", {}) and (
                getattr(fn, "__module__", "") == "actorgraph.prebuilt._react" or fn is RunnableLambda._ainvoke
                or fn is RunnableLambda._invoke):
            worked_out.append(getattr(fn, "__qualname__", repr(fn)))
        return real(obj, *args, **kwargs)

    monkeypatch.setattr(inspect, "signature", signature)
    if anyio_backend == "asyncio":
        out = await agent.ainvoke({"messages": [("user", "what is the weather in sf")]})
    else:  # (langchain-core's async API is asyncio-only: the sync one, as a trio program would)
        import anyio.to_thread

        out = await anyio.to_thread.run_sync(agent.invoke, {"messages": [("user", "what is the weather in sf")]})
    assert transcript(out["messages"]) == TURN_1
    assert worked_out == []

def test_react_agent_under_the_sync_api() -> None:
    model = ScriptedModel(responses=script(), bound=[], seen=[])
    agent = create_react_agent(model, [get_weather, get_time], prompt="You are a helpful assistant",
                               checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "1"}}
    agent.invoke({"messages": [("user", "what is the weather in sf")]}, config)
    out = agent.invoke({"messages": [("user", "and in nyc?")]}, config)
    assert transcript(out["messages"]) == TRANSCRIPT
    assert list(agent.get_graph().nodes) == ["__start__", "agent", "tools", "__end__"]


SECOND_PROCESS = textwrap.dedent('''
    import sys
    import anyio
    from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
    from langchain_core.messages import AIMessage
    from langchain_core.tools import tool
    from actorgraph.persistence import SqliteSaver
    from actorgraph.prebuilt import create_react_agent

    class ScriptedModel(FakeMessagesListChatModel):
        def bind_tools(self, tools, **kwargs):
            return self

    @tool
    def get_weather(city: str) -> str:
        """Get weather for a given city."""
        return f"It's always sunny in {city}!"

    @tool
    def get_time(city: str) -> str:
        """Get the local time in a city."""
        return f"It is 10:00 in {city}."

    model = ScriptedModel(responses=[
        AIMessage("", id="ai-3", tool_calls=[{"name": "get_weather", "args": {"town": "nyc"}, "id": "call_w2"}]),
        AIMessage("", id="ai-4", tool_calls=[{"name": "get_weather", "args": {"city": "nyc"}, "id": "call_w3"}]),
        AIMessage("NYC is sunny too.", id="ai-5"),
    ])

    async def main(db):
        async with SqliteSaver.from_conn_string(db) as saver:
            agent = create_react_agent(model, [get_weather, get_time], prompt="You are a helpful assistant",
                                       checkpointer=saver)
            out = await agent.ainvoke({"messages": [("user", "and in nyc?")]},
                                      {"configurable": {"thread_id": "1"}})
            for m in out["messages"]:
                print(repr((type(m).__name__, m.content, getattr(m, "tool_call_id", None))))

    anyio.run(main, sys.argv[1], backend=sys.argv[2])
''')


@pytest.mark.anyio
async def test_react_agent_resumed_in_a_second_process(anyio_backend: str, tmp_path: Path) -> None:
    db = str(tmp_path / "agent.db")
    async with SqliteSaver.from_conn_string(db) as saver:
        agent = create_react_agent(ScriptedModel(responses=script()[:2], bound=[], seen=[]),
                                   [get_weather, get_time], prompt="You are a helpful assistant", checkpointer=saver)
        await agent.ainvoke({"messages": [("user", "what is the weather in sf")]}, {"configurable": {"thread_id": "1"}})
    done = subprocess.run([sys.executable, "-c", SECOND_PROCESS, db, anyio_backend],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines == [repr((name, t[1], t[2] if t[0] == "tool" else None)) for t, name in zip(TRANSCRIPT, [
        "HumanMessage", "AIMessage", "ToolMessage", "ToolMessage", "AIMessage",
        "HumanMessage", "AIMessage", "ToolMessage", "AIMessage", "ToolMessage", "AIMessage"], strict=True)]


@tool
def ret_int(x: int) -> int:
    """Return x."""
    return x


def test_out_of_steps_reply_and_agent_name() -> None:
    responses = [AIMessage("", id=f"ai-{i}", tool_calls=[{"name": "ret_int", "args": {"x": i}, "id": f"c{i}"}])
                 for i in range(10)]
    agent = create_react_agent(ScriptedModel(responses=responses, bound=[], seen=[]), [ret_int], name="bot")
    assert agent.name == "bot"
    out = agent.invoke({"messages": [HumanMessage("q", id="h")]}, {"recursion_limit": 6})
    assert transcript(out["messages"]) == [
        ("human", "q"),
        ("ai", "", "ai-0", [("ret_int", {"x": 0}, "c0")], "bot"),
        ("tool", "0", "c0", "ret_int", "success"),
        ("ai", "", "ai-1", [("ret_int", {"x": 1}, "c1")], "bot"),
        ("tool", "1", "c1", "ret_int", "success"),
        ("ai", "Sorry, need more steps to process this request.", "ai-2", [], None),
    ]


def test_return_direct_tool_ends_the_run() -> None:
    @tool(return_direct=True)
    def direct(q: str) -> str:
        """Answer directly."""
        return "direct " + q

    model = ScriptedModel(responses=[
        AIMessage("", id="ai-1", tool_calls=[{"name": "direct", "args": {"q": "x"}, "id": "d1"}]),
        AIMessage("never", id="ai-2"),
    ], bound=[], seen=[])
    out = create_react_agent(model, [direct, ret_int]).invoke({"messages": [HumanMessage("q", id="h")]})
    assert transcript(out["messages"]) == [
        ("human", "q"),
        ("ai", "", "ai-1", [("direct", {"q": "x"}, "d1")], None),
        ("tool", "direct x", "d1", "direct", "success"),
    ]


def test_agent_without_tools_answers_once() -> None:
    model = ScriptedModel(responses=[AIMessage("hi", id="ai-1")], bound=[], seen=[])
    agent = create_react_agent(model, [])
    assert transcript(agent.invoke({"messages": [("user", "q")]})["messages"]) == [
        ("human", "q"), ("ai", "hi", "ai-1", [], None)
    ]
    assert model.bound == []
    assert list(agent.get_graph().nodes) == ["__start__", "agent", "__end__"]


def test_builtin_provider_tools_are_bound_not_run() -> None:
    # LangGraph: dict tools in create_react_agent's list are bound to the model with the others
    # but are not given to the tools node
    class Recording(ScriptedModel):
        def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
            self.bound.append([t["type"] if isinstance(t, dict) else t.name for t in tools])
            return self

    model = Recording(responses=[AIMessage("", id="a1", tool_calls=[{"name": "ret_int", "args": {"x": 2}, "id": "c"}]),
                                 AIMessage("done", id="a2")], bound=[], seen=[])
    agent = create_react_agent(model, [ret_int, {"type": "web_search"}])
    out = agent.invoke({"messages": [HumanMessage("q", id="h")]})
    assert model.bound == [["ret_int", "web_search"]]
    assert [(m.type, m.content) for m in out["messages"]] == [("human", "q"), ("ai", ""), ("tool", "2"), ("ai", "done")]


def test_pydantic_agent_state() -> None:
    # LangGraph exports AgentStatePydantic for pydantic state_schemas: the prompt sees the
    # model with its extra field and the managed remaining_steps (LangGraph 1.2.24's values)
    from actorgraph.prebuilt.chat_agent_executor import AgentStatePydantic

    class State(AgentStatePydantic):
        user_name: str | None = None

    seen: list[tuple[str, Any, int]] = []

    def prompt(state: State) -> list[Any]:
        seen.append((type(state).__name__, state.user_name, state.remaining_steps))
        return list(state.messages)

    model = ScriptedModel(responses=[
        AIMessage("", id="a1", tool_calls=[{"name": "ret_int", "args": {"x": 1}, "id": "c1"}]),
        AIMessage("done", id="a2"),
    ], bound=[], seen=[])
    out = create_react_agent(model, [ret_int], state_schema=State, prompt=prompt).invoke(
        {"messages": [HumanMessage("hi", id="h")], "user_name": "ann"})
    assert sorted(out) == ["messages", "user_name"] and out["user_name"] == "ann"
    assert [(m.type, m.content) for m in out["messages"]] == [("human", "hi"), ("ai", ""), ("tool", "1"),
                                                              ("ai", "done")]
    assert seen == [("State", "ann", 10006), ("State", "ann", 10004)]
    assert list(AgentStatePydantic.model_fields) == ["messages", "remaining_steps"]
    assert AgentStatePydantic(messages=[]).remaining_steps == 25


class StructuredModel(ScriptedModel):
    def with_structured_output(self, schema: Any, **kwargs: Any) -> Any:
        from langchain_core.runnables import RunnableLambda

        return RunnableLambda(lambda messages: schema(answer=f"{len(messages)} msgs"))


@pytest.mark.anyio
async def test_dynamic_model_picks_the_model_per_call(anyio_backend: str) -> None:
    # model=(state, runtime) -> chat model, called on every model call and for the structured
    # response (LangGraph 1.2.24's transcripts, calls and structured responses)
    import dataclasses

    from pydantic import BaseModel

    @dataclasses.dataclass
    class Ctx:
        tier: str

    class Out(BaseModel):
        answer: str

    calls: list[tuple[str, int]] = []

    def pick(state: Any, runtime: Any) -> Any:
        calls.append((runtime.context.tier, len(state["messages"])))
        if runtime.context.tier == "pro":
            return StructuredModel(responses=[AIMessage("pro", id="p")], bound=[], seen=[])
        first = len(state["messages"]) == 1
        reply = AIMessage("", id="b1", tool_calls=[{"name": "ret_int", "args": {"x": 7}, "id": "c"}]) if first \
            else AIMessage("basic", id="b2")
        return StructuredModel(responses=[reply], bound=[], seen=[])

    agent = create_react_agent(pick, [ret_int], context_schema=Ctx, prompt="sys", response_format=Out)
    pro = await agent.ainvoke({"messages": [HumanMessage("hi", id="h")]}, context=Ctx("pro"))
    basic = await agent.ainvoke({"messages": [HumanMessage("hi", id="h")]}, context=Ctx("basic"))
    assert [(m.type, m.content) for m in pro["messages"]] == [("human", "hi"), ("ai", "pro")]
    assert pro["structured_response"] == Out(answer="2 msgs")
    assert [(m.type, m.content) for m in basic["messages"]] == [("human", "hi"), ("ai", ""), ("tool", "7"),
                                                                ("ai", "basic")]
    assert basic["structured_response"] == Out(answer="4 msgs")
    assert calls == [("pro", 1), ("pro", 2), ("basic", 1), ("basic", 3), ("basic", 4)]


def test_async_dynamic_model() -> None:
    # an async model callable works under ainvoke; under invoke LangGraph raises RuntimeError
    async def pick(state: Any, runtime: Any) -> Any:
        return ScriptedModel(responses=[AIMessage("async " + runtime.context, id="x")], bound=[], seen=[])

    agent = create_react_agent(pick, [], context_schema=str)
    out = asyncio.run(agent.ainvoke({"messages": [HumanMessage("hi", id="h")]}, context="pro"))
    assert [(m.type, m.content) for m in out["messages"]] == [("human", "hi"), ("ai", "async pro")]
    with pytest.raises(RuntimeError, match="async model callable"):
        agent.invoke({"messages": [HumanMessage("hi", id="h")]}, context="pro")


# -- ToolNode ----------------------------------------------------------------------------------


def tools_graph(node: ToolNode, **compile_kw: Any) -> Any:
    return StateGraph(MessagesState).add_node("tools", node).add_edge(START, "tools").compile(**compile_kw)


def calling(*calls: tuple[str, dict[str, Any], str]) -> dict[str, Any]:
    return {"messages": [HumanMessage("h", id="h"), AIMessage("", id="a", tool_calls=[
        {"name": n, "args": a, "id": i} for n, a, i in calls])]}


@tool
def ret_dict(x: int) -> dict[str, Any]:
    """Return a dict."""
    return {"a": x, "b": [1, 2]}


@tool
def ret_blocks(x: int) -> list[dict[str, str]]:
    """Return content blocks."""
    return [{"type": "text", "text": "hi"}]


@tool
def ret_nested(x: list[int], y: dict[str, Any]) -> str:
    """Take nested arguments."""
    return "n"


@tool
def sees_state(q: str, state: Annotated[dict[str, Any], InjectedState]) -> str:
    """See the state."""
    return f"{q}: {len(state['messages'])} messages"


@tool
def sees_key(q: str, msgs: Annotated[list[Any], InjectedState("messages")]) -> str:
    """See one key."""
    return f"{q}: {len(msgs)}"


@tool
def sees_store(q: str, store: Annotated[Any, InjectedStore()]) -> str:
    """See the store."""
    return f"{q}: store {type(store).__name__}"


@tool
def boom(x: str) -> str:
    """Always fail."""
    raise ValueError("kaboom")


@tool
def cmd(q: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> Command[Any]:
    """Answer with a Command."""
    return Command(update={"messages": [ToolMessage("cmd done", tool_call_id=tool_call_id)]})


@tool
def bad_cmd(q: str) -> Command[Any]:
    """Answer with a Command that does not answer the call."""
    return Command(update={"messages": []})


@pytest.mark.anyio
async def test_tool_node_outputs_and_injection(anyio_backend: str) -> None:
    node = ToolNode([ret_dict, ret_blocks, ret_int, ret_nested, sees_state, sees_key, sees_store])
    out = await tools_graph(node, store=InMemoryStore()).ainvoke(calling(
        ("ret_dict", {"x": 1}, "c1"), ("ret_blocks", {"x": 1}, "c2"), ("ret_int", {"x": 1}, "c3"),
        ("ret_nested", {"x": ["a"], "y": 3}, "c5"), ("sees_state", {"q": "Q"}, "c6"),
        ("sees_key", {"q": "Q"}, "c7"), ("sees_store", {"q": "Q"}, "c8"), ("sees_state", {}, "c9"),
        ("nope", {}, "c10"),
    ))
    assert node.name == "tools"
    assert transcript(out["messages"][2:]) == [
        ("tool", '{"a": 1, "b": [1, 2]}', "c1", "ret_dict", "success"),
        ("tool", [{"type": "text", "text": "hi"}], "c2", "ret_blocks", "success"),
        ("tool", "1", "c3", "ret_int", "success"),
        ("tool", "Error invoking tool 'ret_nested' with kwargs {'x': ['a'], 'y': 3} with error:\n"
                 " x.0: Input should be a valid integer, unable to parse string as an integer\n"
                 "y: Input should be a valid dictionary\n Please fix the error and try again.",
         "c5", "ret_nested", "error"),
        ("tool", "Q: 2 messages", "c6", "sees_state", "success"),
        ("tool", "Q: 2", "c7", "sees_key", "success"),
        ("tool", "Q: store InMemoryStore", "c8", "sees_store", "success"),
        ("tool", "Error invoking tool 'sees_state' with kwargs {} with error:\n q: Field required\n"
                 " Please fix the error and try again.", "c9", "sees_state", "error"),
        ("tool", "Error: nope is not a valid tool, try one of [ret_dict, ret_blocks, ret_int, ret_nested, "
                 "sees_state, sees_key, sees_store].", "c10", "nope", "error"),
    ]


@tool
def city_or_default(city: Annotated[str | None, InjectedState("city")] = None) -> str:
    """Report the state's city."""
    return f"city={city}"


@tool
def city_required(city: Annotated[str, InjectedState("city")]) -> str:
    """Report the state's city."""
    return f"city={city}"


@tool
def day_list(days: list[str]) -> list[str]:
    """Choose days."""
    return days


@pytest.mark.anyio
async def test_tool_answers_formatted_as_langgraph(anyio_backend: str) -> None:
    # LangGraph's ToolNode: a list that is not content blocks becomes JSON (ensure_ascii=False);
    # content blocks stay; its error templates are importable from the tool_node module
    from actorgraph.prebuilt.tool_node import INVALID_TOOL_NAME_ERROR_TEMPLATE, TOOL_CALL_ERROR_TEMPLATE

    data = ["星期一", "水曜日", "목요일", "Friday"]
    out = await tools_graph(ToolNode([day_list, ret_blocks])).ainvoke(
        calling(("day_list", {"days": data}, "d"), ("ret_blocks", {"x": 1}, "b")))
    assert out["messages"][-2].content == '["星期一", "水曜日", "목요일", "Friday"]'
    assert out["messages"][-1].content == ret_blocks.invoke({"x": 1})
    assert TOOL_CALL_ERROR_TEMPLATE.format(error=repr(ValueError("x"))) == "Error: ValueError('x')\n Please fix your mistakes."
    assert INVALID_TOOL_NAME_ERROR_TEMPLATE.format(requested_tool="a", available_tools="b, c") == (
        "Error: a is not a valid tool, try one of [b, c].")


@tool
def forget() -> Command[Any]:
    """Forget the conversation."""
    return Command(update={"messages": [RemoveMessage(id=REMOVE_ALL_MESSAGES)]})


@tool
def to_bob_list(tool_call_id: Annotated[str, InjectedToolCallId]) -> Command[Any]:
    """Hand over to Bob (list update)."""
    return Command(update=[ToolMessage("to bob", tool_call_id=tool_call_id)], goto="bob", graph=Command.PARENT)


@tool
def send_to(who: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> Command[Any]:
    """Send to someone in the parent graph."""
    return Command(graph=Command.PARENT, goto=[Send(who, {"messages": [
        ToolMessage(f"to {who}", name="send_to", tool_call_id=tool_call_id)]})])


@pytest.mark.anyio
async def test_tool_commands_validated_and_combined_as_langgraph(anyio_backend: str) -> None:
    # LangGraph 1.2.24 (its test_tool_node_command_list_input / _parent_command_with_send /
    # _command_remove_all_messages): a Command only clearing the messages needs no answer; a
    # list input takes list updates (the answer named after the tool), not dict ones and vice
    # versa; parent Commands sending are merged into one
    out = await tools_graph(ToolNode([forget])).ainvoke(calling(("forget", {}, "c")))
    assert out == {"messages": []}
    node = ToolNode([to_bob_list, ret_int, send_to])
    assert node.invoke([AIMessage("", tool_calls=[{"name": "ret_int", "args": {"x": 3}, "id": "1"},
                                                  {"name": "to_bob_list", "args": {}, "id": "2"}])]) == [
        [ToolMessage("3", name="ret_int", tool_call_id="1")],
        Command(update=[ToolMessage("to bob", name="to_bob_list", tool_call_id="2")], goto="bob",
                graph=Command.PARENT),
    ]
    with pytest.raises(ValueError):
        node.invoke(calling(("to_bob_list", {}, "2")))
    with pytest.raises(ValueError):
        ToolNode([cmd]).invoke([AIMessage("", tool_calls=[{"name": "cmd", "args": {"q": "x"}, "id": "1"}])])
    sends = node.invoke([AIMessage("", tool_calls=[{"name": "send_to", "args": {"who": w}, "id": i}
                                                   for w, i in (("alice", "1"), ("bob", "2"))])])
    assert sends == [Command(graph=Command.PARENT, goto=[
        Send("alice", {"messages": [ToolMessage("to alice", name="send_to", tool_call_id="1")]}),
        Send("bob", {"messages": [ToolMessage("to bob", name="send_to", tool_call_id="2")]}),
    ])]


class CityState(MessagesState):
    city: NotRequired[str]


@pytest.mark.anyio
async def test_injected_state_key_missing_from_the_state(anyio_backend: str) -> None:
    # LangGraph 1.2.24: a missing NotRequired key leaves the parameter's default, else KeyError
    # out of the run whatever handle_tool_errors says; a value the model gives is dropped; a
    # list input has no state key but the messages (ValueError)
    node = ToolNode([city_or_default, city_required], handle_tool_errors=True)
    graph = StateGraph(CityState).add_node("tools", node).add_edge(START, "tools").compile()

    async def run(name: str, args: dict[str, Any], **state: Any) -> Any:
        out = await graph.ainvoke({**calling((name, args, "c")), **state})
        return out["messages"][-1].content

    assert await run("city_or_default", {}) == "city=None"
    assert await run("city_or_default", {}, city="sf") == "city=sf"
    assert await run("city_or_default", {"city": "forged"}) == "city=None"
    assert await run("city_required", {"city": "forged"}, city="sf") == "city=sf"
    with pytest.raises(KeyError, match="city"):
        await run("city_required", {})
    with pytest.raises(ValueError, match="requires graph state dict as input"):
        node.invoke([AIMessage("", tool_calls=[{"name": "city_required", "args": {}, "id": "c"}])])


@pytest.mark.anyio
async def test_tool_commands_pass_through_in_call_order(anyio_backend: str) -> None:
    graph = tools_graph(ToolNode([ret_int, cmd, bad_cmd]))
    out = await graph.ainvoke(calling(("ret_int", {"x": 1}, "c1"), ("cmd", {"q": "x"}, "k1"), ("ret_int", {"x": 2}, "c2")))
    assert transcript(out["messages"][2:]) == [
        ("tool", "1", "c1", "ret_int", "success"),
        ("tool", "cmd done", "k1", "cmd", "success"),
        ("tool", "2", "c2", "ret_int", "success"),
    ]
    updates = [u async for u in graph.astream(calling(("ret_int", {"x": 1}, "c1"), ("cmd", {"q": "x"}, "k1")))]
    assert [[transcript(item["messages"]) for item in u["tools"]] for u in updates] == [[
        [("tool", "1", "c1", "ret_int", "success")], [("tool", "cmd done", "k1", "cmd", "success")]
    ]]
    with pytest.raises(ValueError, match=r"^Expected to have a matching ToolMessage in Command.update for tool "
                                         r"'bad_cmd', got: \[\]\. Every tool call"):
        await graph.ainvoke(calling(("bad_cmd", {"q": "x"}, "b1")))


def handle_key_errors(e: KeyError) -> str:
    return "handled " + repr(e)


@pytest.mark.anyio
@pytest.mark.parametrize(("handling", "expected"), [
    (True, "Error: ValueError('kaboom')\n Please fix your mistakes."),
    ("custom error", "custom error"),
    (lambda e: f"handled {e}", "handled kaboom"),
    ((ValueError,), "Error: ValueError('kaboom')\n Please fix your mistakes."),
])
async def test_tool_errors_handled(anyio_backend: str, handling: Any, expected: str) -> None:
    out = await tools_graph(ToolNode([boom], handle_tool_errors=handling)).ainvoke(calling(("boom", {"x": "1"}, "b1")))
    assert transcript(out["messages"][2:]) == [("tool", expected, "b1", "boom", "error")]


@pytest.mark.anyio
@pytest.mark.parametrize("handling", [None, False, (KeyError,), handle_key_errors])
async def test_tool_errors_not_handled_propagate(anyio_backend: str, handling: Any) -> None:
    node = ToolNode([boom]) if handling is None else ToolNode([boom], handle_tool_errors=handling)
    with pytest.raises(ValueError, match="^kaboom\n"):  # (+ a note naming the task)
        await tools_graph(node).ainvoke(calling(("boom", {"x": "1"}, "b1")))


@pytest.mark.anyio
async def test_invalid_arguments_by_handling(anyio_backend: str) -> None:
    message = ("Error invoking tool 'boom' with kwargs {} with error:\n x: Field required\n"
               " Please fix the error and try again.")
    with pytest.raises(ToolInvocationError) as info:
        await tools_graph(ToolNode([boom], handle_tool_errors=False)).ainvoke(calling(("boom", {}, "b1")))
    assert str(info.value) == message
    out = await tools_graph(ToolNode([boom], handle_tool_errors=True)).ainvoke(calling(("boom", {}, "b1")))
    assert out["messages"][-1].content == f"Error: ToolInvocationError({message!r})\n Please fix your mistakes."


@pytest.mark.anyio
async def test_the_latest_ai_message_is_used(anyio_backend: str) -> None:
    state = {"messages": [AIMessage("", id="a", tool_calls=[{"name": "ret_int", "args": {"x": 1}, "id": "c1"}]),
                          HumanMessage("h", id="h")]}
    out = await tools_graph(ToolNode([ret_int])).ainvoke(state)
    assert transcript(out["messages"]) == [
        ("ai", "", "a", [("ret_int", {"x": 1}, "c1")], None), ("human", "h"),
        ("tool", "1", "c1", "ret_int", "success"),
    ]


@pytest.mark.anyio
async def test_interrupt_in_a_tool_pauses_the_run(anyio_backend: str) -> None:
    @tool
    def ask(q: str) -> str:
        """Ask a human."""
        return "answer: " + str(interrupt(q))

    graph = tools_graph(ToolNode([ask], handle_tool_errors=True), checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "1"}}
    out = await graph.ainvoke({"messages": [AIMessage("", id="a", tool_calls=[
        {"name": "ask", "args": {"q": "ok?"}, "id": "c1"}])]}, config)
    assert ([i.value for i in out["__interrupt__"]], len(out["messages"])) == (["ok?"], 1)
    out = await graph.ainvoke(Command(resume="yes"), config)
    assert transcript(out["messages"])[1:] == [("tool", "answer: yes", "c1", "ask", "success")]


@pytest.mark.anyio
@pytest.mark.parametrize("handling", [True, "sorry"])
async def test_an_answer_a_tools_question_refuses_fails_the_run_whatever_handle_tool_errors(
        anyio_backend: str, handling: Any) -> None:
    from pydantic import ValidationError

    from actorgraph.errors import is_invalid_resume

    @tool
    def qty(item: str) -> str:
        """How many."""
        return f"{item} x{interrupt({'item': item}, response_schema=int)}"

    graph = tools_graph(ToolNode([qty], handle_tool_errors=handling), checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "1"}}
    out = await graph.ainvoke({"messages": [AIMessage("", id="a", tool_calls=[
        {"name": "qty", "args": {"item": "apples"}, "id": "c1"}])]}, config)
    assert out["__interrupt__"][0].response_schema == {"type": "integer"}
    # LangGraph 1.2.24: ValidationError out of the run (no error ToolMessage), then a valid
    # answer gives 'apples x4'. actorgraph: the error became the tool's error message.
    with pytest.raises(ValidationError) as caught:
        await graph.ainvoke(Command(resume="many"), config)
    assert is_invalid_resume(caught.value)
    out = await graph.ainvoke(Command(resume="4"), config)
    assert transcript(out["messages"])[1:] == [("tool", "apples x4", "c1", "qty", "success")]


@pytest.mark.anyio
async def test_sync_tool_calls_run_concurrently(anyio_backend: str) -> None:
    barrier = threading.Barrier(2, timeout=10)  # each call waits for the other: sequential calls fail

    @tool
    def meet(name: str) -> str:
        """Wait for the other call."""
        barrier.wait()
        return name

    out = await tools_graph(ToolNode([meet])).ainvoke(calling(("meet", {"name": "a"}, "1"), ("meet", {"name": "b"}, "2")))
    assert [m.content for m in out["messages"][2:]] == ["a", "b"]


def test_async_tool_calls_run_concurrently_on_asyncio() -> None:
    arrived: list[str] = []

    @tool
    async def meet(name: str) -> str:
        """Wait for the other call (async)."""
        arrived.append(name)
        while len(arrived) < 2:
            await asyncio.sleep(0.001)
        return name

    graph = tools_graph(ToolNode([meet]))
    run = graph.ainvoke(calling(("meet", {"name": "a"}, "1"), ("meet", {"name": "b"}, "2")))
    out = asyncio.run(asyncio.wait_for(run, 10))
    assert [m.content for m in out["messages"][2:]] == ["a", "b"]


def test_tools_condition() -> None:
    call = AIMessage("", tool_calls=[{"name": "f", "args": {}, "id": "c"}])
    assert tools_condition({"messages": [call]}) == "tools"
    assert tools_condition([AIMessage("x")]) == "__end__"
    assert tools_condition({"messages": [HumanMessage("x")]}) == "__end__"
    assert tools_condition({"msgs": [call]}, messages_key="msgs") == "tools"
    for empty in ({"messages": []}, {"foo": 1}):
        with pytest.raises(ValueError, match=r"^No messages found in input state to tool_edge: "):
            tools_condition(empty)


def test_prebuilt_without_langchain_core_names_the_extra() -> None:
    code = "import sys; sys.modules['langchain_core'] = None\nimport actorgraph.prebuilt"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "ImportError: actorgraph.prebuilt needs langchain-core: pip install 'actorgraph[langchain]'"
    )


def test_langgraphs_prebuilt_module_paths() -> None:
    # a port that replaces "langgraph" by "actorgraph" in its imports finds the same objects
    import actorgraph.prebuilt as prebuilt
    from actorgraph.prebuilt import chat_agent_executor, tool_node

    for name in ("AgentState", "AgentStatePydantic", "AgentStateWithStructuredResponse",
                 "AgentStateWithStructuredResponsePydantic", "create_react_agent"):
        assert getattr(chat_agent_executor, name) is getattr(prebuilt, name)
    for name in ("InjectedState", "InjectedStore", "ToolCallRequest", "ToolInvocationError", "ToolNode",
                 "ToolRuntime", "tools_condition"):
        assert getattr(tool_node, name) is getattr(prebuilt, name)


@pytest.mark.anyio
async def test_a_prompt_function_gets_store_config_runtime_writer_by_name(anyio_backend: str) -> None:
    # LangGraph passes a prompt function the node's store, config, runtime and writer when it
    # declares them (ours called it with the state only: TypeError). Expected: LangGraph 1.2.24's
    # system messages for the same prompts ('style=terse', 'user=ann', 'ann/terse', 'rt=Runtime')
    from langchain_core.messages import SystemMessage

    from actorgraph.persistence import InMemoryStore

    store = InMemoryStore()
    store.put(("prefs",), "u1", {"style": "terse"})

    def by_store(state: Any, store: Any) -> list[Any]:
        return [SystemMessage(f"style={store.get(('prefs',), 'u1').value['style']}"), *state["messages"]]

    def by_config(state: Any, config: Any) -> list[Any]:
        return [SystemMessage(f"user={config['configurable'].get('user')}"), *state["messages"]]

    def by_both(state: Any, config: Any, *, store: Any) -> list[Any]:
        style = store.get(("prefs",), "u1").value["style"]
        return [SystemMessage(f"{config['configurable'].get('user')}/{style}"), *state["messages"]]

    def by_runtime(state: Any, runtime: Any) -> list[Any]:
        return [SystemMessage(f"rt={type(runtime).__name__}"), *state["messages"]]

    def by_writer(state: Any, writer: Any) -> list[Any]:
        writer({"prompt": "built"})
        return list(state["messages"])

    config = {"configurable": {"user": "ann"}}
    for prompt, system in ((by_store, "style=terse"), (by_config, "user=ann"), (by_both, "ann/terse"),
                           (by_runtime, "rt=Runtime")):
        model = ScriptedModel(responses=[AIMessage("ok", id="a")], bound=[], seen=[])
        agent = create_react_agent(model, [], prompt=prompt, store=store)
        out = await agent.ainvoke({"messages": [HumanMessage("hi", id="h")]}, config)
        assert out["messages"][-1].content == "ok"
        assert model.seen[0] == [("system", system), ("human", "hi")]
    agent = create_react_agent(ScriptedModel(responses=[AIMessage("ok", id="a")], bound=[], seen=[]), [],
                               prompt=by_writer)
    chunks = [c async for c in agent.astream({"messages": [HumanMessage("hi", id="h")]}, stream_mode="custom")]
    assert chunks == [{"prompt": "built"}]  # LangGraph 1.2.24: [{'prompt': 'built'}]


@pytest.mark.anyio
async def test_tool_node_takes_a_list_of_tool_calls(anyio_backend: str) -> None:
    # LangGraph's ToolNode takes tool calls themselves (ours raised "No AIMessage found in
    # input"): answered as {'messages': [...]}, an injected state being the calling node's.
    # LangGraph 1.2.24: {'messages': [('ToolMessage', '3', 'c1', 'add'), ('ToolMessage', "5:['out']", 'c2', 'peek')]}
    from typing import TypedDict

    @tool
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    @tool
    def peek(x: int, state: Annotated[dict[str, Any], InjectedState]) -> str:
        """Peek."""
        return f"{x}:{sorted(state)}"

    node = ToolNode([add, peek])
    calls = [{"name": "add", "args": {"a": 1, "b": 2}, "id": "c1", "type": "tool_call"},
             {"name": "peek", "args": {"x": 5}, "id": "c2", "type": "tool_call"}]

    class S(TypedDict):
        out: Any

    def call_tools(state: S, config: Any) -> dict[str, Any]:
        answer = node.invoke(calls, config)
        return {"out": {k: [(type(m).__name__, m.content, m.tool_call_id, m.name) for m in v]
                        for k, v in answer.items()}}

    app = StateGraph(S).add_node("n", call_tools).add_edge(START, "n").compile()
    out = await app.ainvoke({"out": None})
    assert out["out"] == {"messages": [("ToolMessage", "3", "c1", "add"), ("ToolMessage", "5:['out']", "c2", "peek")]}
