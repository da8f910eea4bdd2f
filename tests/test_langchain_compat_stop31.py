"""Differences found by running the same chat-agent programs (langchain-core models, tools and
callbacks) on LangGraph 1.2.24 and on actorgraph. The expected values are what LangGraph 1.2.24
showed for the same program."""

from __future__ import annotations

import dataclasses
import sys
from typing import Annotated, Any

import pydantic
import pytest
from typing_extensions import TypedDict

pytest.importorskip("langchain_core")

from langchain_core.callbacks import BaseCallbackHandler  # noqa: E402
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel  # noqa: E402
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage  # noqa: E402
from langchain_core.tools import InjectedToolCallId, tool  # noqa: E402

from actorgraph.checkpoint.memory import InMemorySaver  # noqa: E402
from actorgraph.func import entrypoint  # noqa: E402
from actorgraph.graph import START, MessagesState, StateGraph  # noqa: E402
from actorgraph.graph.message import add_messages  # noqa: E402
from actorgraph.prebuilt import ToolRuntime, create_react_agent  # noqa: E402
from actorgraph.managed import RemainingSteps  # noqa: E402
from actorgraph.types import Command, Send  # noqa: E402


class FakeTools(FakeMessagesListChatModel):
    def bind_tools(self, tools: Any, **kw: Any) -> Any:
        return self


class Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def on_chain_start(self, serialized: Any, inputs: Any, *, run_id: Any, **kw: Any) -> None:
        self.events.append(("start", kw.get("name")))

    def on_chain_end(self, outputs: Any, *, run_id: Any, **kw: Any) -> None:
        self.events.append(("end", type(outputs).__name__))

    def on_chain_error(self, error: BaseException, *, run_id: Any, **kw: Any) -> None:
        self.events.append(("error", type(error).__name__))

    def on_tool_end(self, output: Any, **kw: Any) -> None:
        self.events.append(("tool_end", type(output).__name__, isinstance(output, Command),
                            getattr(output, "goto", None)))


# -- a handoff from a subgraph agent: Command(graph=Command.PARENT) ---------------------------


def _handoff_graph() -> Any:
    @tool("transfer_to_bob")
    def handoff(tool_call_id: Annotated[str, InjectedToolCallId]) -> Command[Any]:
        """Hand off to bob."""
        msg = ToolMessage("to bob", tool_call_id=tool_call_id, id="tm")
        return Command(goto="bob", update={"messages": [msg]}, graph=Command.PARENT)

    call = {"name": "transfer_to_bob", "args": {}, "id": "h1"}
    alice = create_react_agent(FakeTools(responses=[AIMessage("passing", id="al", tool_calls=[call])]),
                               [handoff], name="alice")

    def bob(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage("bob here", id="bo")]}

    return (StateGraph(MessagesState).add_node("alice", alice, destinations=("bob",)).add_node("bob", bob)
            .add_edge(START, "alice").compile())


@pytest.mark.anyio
async def test_a_subgraph_handing_off_to_its_parent_streams_no_messages_from_its_node(anyio_backend: str) -> None:
    # LangGraph 1.2.24: the parent's `alice` node (a react agent whose tool returned
    # Command(graph=PARENT)) ends with ParentCommand, so the messages of the Command's update are
    # not streamed as that node's output. Ours streamed the ToolMessage 'tm' (and, without
    # subgraphs, the AIMessage 'al') with langgraph_node 'alice'
    g = _handoff_graph()
    inp = {"messages": [HumanMessage("hi", id="u")]}
    flat = [(m.id, md["langgraph_node"]) async for m, md in g.astream(inp, stream_mode="messages")]
    assert flat == [("bo", "bob")]
    nested = [(len(ns), m.id, md["langgraph_node"])
              async for ns, (m, md) in g.astream(inp, stream_mode="messages", subgraphs=True)]
    assert nested == [(1, "al", "agent"), (0, "bo", "bob")]


@pytest.mark.anyio
async def test_a_subgraph_handing_off_to_its_parent_ends_its_node_run_with_parent_command(anyio_backend: str) -> None:
    # LangGraph 1.2.24: the tool's on_tool_end shows the Command it returned (ours: an internal
    # wrapper object); the `tools` node run, the `alice` subgraph run and the parent's `alice`
    # node run end with on_chain_error(ParentCommand) (ours ended the last with on_chain_end of
    # the Command)
    rec = Recorder()
    out = await _handoff_graph().ainvoke({"messages": [HumanMessage("hi", id="u")]}, {"callbacks": [rec]})
    assert [m.id for m in out["messages"]] == ["u", "tm", "bo"]
    assert rec.events == [
        ("start", "LangGraph"), ("start", "alice"), ("start", "alice"), ("start", "agent"),
        ("start", "call_model"), ("start", "RunnableSequence"), ("start", "Prompt"), ("end", "list"),
        ("end", "AIMessage"), ("end", "dict"), ("start", "should_continue"), ("end", "list"),
        ("end", "dict"), ("start", "tools"), ("tool_end", "Command", True, "bob"),
        ("error", "ParentCommand"), ("error", "ParentCommand"), ("error", "ParentCommand"),
        ("start", "bob"), ("end", "dict"), ("end", "dict"),
    ]


# -- a node returning an object: read for the state's keys --------------------------------------


class _Answer(TypedDict):
    messages: Annotated[list[Any], add_messages]
    answer: str


class _Out(pydantic.BaseModel):
    answer: str
    debug: str = "d"


@pytest.mark.anyio
@pytest.mark.parametrize("returned, expected", [
    # observed on LangGraph 1.2.24: only the state's keys are read from an object a node returns
    # (or a Command's update); its other fields are not written. Ours raised InvalidUpdateError
    # ("wrote unknown key 'debug'", "... 'content'" for a chain node returning an AIMessage)
    (_Out(answer="42"), ({"messages": [], "answer": "42"}, [{"n": {"answer": "42"}}])),
    (Command(update=_Out(answer="43")), ({"messages": [], "answer": "43"}, [{"n": {"answer": "43"}}])),
    (AIMessage("hi", id="a"), ({"messages": [], "answer": ""}, [{"n": None}])),
    (Command(update=AIMessage("hi", id="a")), ({"messages": [], "answer": ""}, [{"n": None}])),
])
async def test_a_returned_object_is_read_for_the_state_keys(anyio_backend: str, returned: Any,
                                                            expected: Any) -> None:
    g = StateGraph(_Answer).add_node("n", lambda s: returned).add_edge(START, "n").compile()
    inp = {"messages": [], "answer": ""}
    assert (await g.ainvoke(inp), [c async for c in g.astream(inp, stream_mode="updates")]) == expected


@pytest.mark.anyio
async def test_a_returned_dict_with_an_unknown_key_still_raises(anyio_backend: str) -> None:
    # (deliberate, see README: LangGraph drops the key silently)
    from actorgraph.errors import InvalidUpdateError

    g = StateGraph(_Answer).add_node("n", lambda s: {"zzz": 1}).add_edge(START, "n").compile()
    with pytest.raises(InvalidUpdateError, match="unknown key 'zzz'"):
        await g.ainvoke({"messages": [], "answer": ""})


# -- InputType / OutputType, and so graph.as_tool() -----------------------------------------------


def test_input_and_output_types_are_langgraphs() -> None:
    # observed on LangGraph 1.2.24: InputType is the input schema; OutputType None but for a
    # graph whose state is one value; an entrypoint's are its annotations. Ours: Any for all
    class Only(TypedDict):
        answer: str

    def n(s: Any) -> None:
        return None

    for builder, types in [(StateGraph(_Answer), (_Answer, None)),
                           (StateGraph(_Answer, input_schema=Only), (Only, None)),
                           (StateGraph(MessagesState), (MessagesState, None)),
                           (StateGraph(int), (int, int))]:
        g = builder.add_node("n", n).add_edge(START, "n").compile()
        assert (g.InputType, g.OutputType) == types

    import typing

    class Plain(typing.TypedDict):  # (pydantic refuses it before 3.12: LangGraph's as_tool raises)
        answer: str

    g = StateGraph(Plain).add_node("n", n).add_edge(START, "n").compile()
    assert g.InputType == (Any if sys.version_info < (3, 12) else Plain)

    @entrypoint()
    def ep(x: int) -> str:
        return str(x)

    assert (ep.InputType, ep.OutputType) == (int, str)


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
@pytest.mark.anyio
async def test_a_graph_as_tool_takes_its_input_keys(anyio_backend: str) -> None:
    # observed on LangGraph 1.2.24: the tool's args are the input schema's keys and required (a
    # ValidationError without 'messages'). Ours: no args (get_type_hints(Any)); the call then
    # reached the graph with some keys left out
    g = StateGraph(_Answer).add_node("n", lambda s: {"answer": s["answer"] + "!"}).add_edge(START, "n").compile()
    t = g.as_tool(name="t", description="d")
    assert t.args == {"messages": {"items": {}, "title": "Messages", "type": "array"},
                      "answer": {"title": "Answer", "type": "string"}}
    assert t.invoke({"messages": [], "answer": "x"}) == {"messages": [], "answer": "x!"}
    with pytest.raises(pydantic.ValidationError, match="1 validation error for t"):
        t.invoke({"answer": "x"})


# -- astream_events: the nodes of a graph a sync node runs with invoke() ---------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # (astream_events is langchain-core's: asyncio only)
async def test_a_graph_invoked_in_a_sync_node_streams_no_node_output_events(anyio_backend: str) -> None:
    # observed on LangGraph 1.2.24: the nodes of a graph a sync node runs with invoke() have no
    # on_chain_stream (its sync run invokes them), those of one an async node awaits with
    # ainvoke(), and of a subgraph node, have. Ours had on_chain_stream for 'think' under 'call'
    inner = (StateGraph(MessagesState).add_node("think", lambda s: {"messages": [AIMessage("x", id="x")]})
             .add_edge(START, "think").compile())

    def call(state: MessagesState, config: Any) -> dict[str, Any]:
        return {"messages": inner.invoke(state, config)["messages"][-1:]}

    async def acall(state: MessagesState, config: Any) -> dict[str, Any]:
        return {"messages": (await inner.ainvoke(state, config))["messages"][-1:]}

    g = (StateGraph(MessagesState).add_node("call", call).add_node("acall", acall).add_node("sub", inner)
         .add_edge(START, "call").add_edge("call", "acall").add_edge("acall", "sub").compile())
    events = [(e["event"][9:], e["name"], len(e["parent_ids"]))
              async for e in g.astream_events({"messages": [HumanMessage("hi", id="u")]}, version="v2")
              if e["event"].startswith("on_chain_")]
    inner_events = [("start", "LangGraph", 2), ("start", "think", 3), ("stream", "think", 3),
                    ("end", "think", 3), ("end", "LangGraph", 2)]
    assert events == [
        ("start", "LangGraph", 0),
        ("start", "call", 1), ("start", "LangGraph", 2), ("start", "think", 3), ("end", "think", 3),
        ("end", "LangGraph", 2), ("stream", "call", 1), ("end", "call", 1), ("stream", "LangGraph", 0),
        ("start", "acall", 1), *inner_events, ("stream", "acall", 1), ("end", "acall", 1),
        ("stream", "LangGraph", 0),
        ("start", "sub", 1), *inner_events, ("stream", "sub", 1), ("end", "sub", 1), ("stream", "LangGraph", 0),
        ("end", "LangGraph", 0),
    ]


# -- update_state: the Sends its routers make see RemainingSteps 2 ---------------------------------


class _Steps(TypedDict):
    x: int
    rs: RemainingSteps


@pytest.mark.anyio
@pytest.mark.parametrize("limit", [None, 50])
async def test_update_state_routes_with_two_remaining_steps(anyio_backend: str, limit: int | None) -> None:
    # observed on LangGraph 1.2.24: editing a react agent's tool call with update_state (before
    # the `tools` interrupt) re-routes to ToolNode with a Send whose state has remaining_steps 2,
    # whatever the recursion limit (update_state's step stops at step + 2). Ours: the recursion
    # limit less the steps (10007 by default)
    seen: list[dict[str, Any]] = []

    def b(s: _Steps) -> dict[str, Any]:
        seen.append(dict(s))
        return {}

    g = (StateGraph(_Steps).add_node("a", lambda s: {"x": s["x"] + 1}).add_node("b", b).add_edge(START, "a")
         .add_conditional_edges("a", lambda s: [Send("b", dict(s))], ["b"])
         .compile(checkpointer=InMemorySaver(), interrupt_before=["b"]))
    cfg: dict[str, Any] = {"configurable": {"thread_id": "1"}}
    if limit:
        cfg["recursion_limit"] = limit
    await g.ainvoke({"x": 0}, cfg)
    await g.aupdate_state(cfg, {"x": 10})
    await g.ainvoke(None, cfg)
    assert seen == [{"x": 10, "rs": 2}]


def test_add_messages_without_arguments_is_langgraphs_partial() -> None:
    # observed on LangGraph 1.2.24: add_messages() is functools.partial(<function add_messages>)
    # (no keywords bound when none is given). Ours: partial(<function _add_messages>, format=None)
    reducer = add_messages()
    assert repr(reducer).startswith("functools.partial(<function add_messages at ")
    assert reducer.keywords == {}  # type: ignore[attr-defined]
    assert add_messages(format="langchain-openai").keywords == {"format": "langchain-openai"}  # type: ignore[attr-defined]


# -- get_subgraphs / aget_subgraphs ----------------------------------------------------------------


@pytest.mark.anyio
async def test_get_subgraphs_as_langgraph(anyio_backend: str) -> None:
    # observed on LangGraph 1.2.24 (ours had no get_subgraphs: AttributeError): a subgraph node
    # and a node whose function calls a graph are subgraphs, a checkpointer=False one is not
    leaf = StateGraph(MessagesState).add_node("l", lambda s: {}).add_edge(START, "l").compile()
    nocp = StateGraph(MessagesState).add_node("l", lambda s: {}).add_edge(START, "l").compile(checkpointer=False)
    mid = (StateGraph(MessagesState).add_node("leaf", leaf).add_node("x", lambda s: {})
           .add_edge(START, "leaf").add_edge("leaf", "x").compile())

    def calls(state: MessagesState) -> Any:
        return leaf.invoke(state)

    top = (StateGraph(MessagesState).add_node("mid", mid).add_node("calls", calls).add_node("nocp", nocp)
           .add_node("plain", lambda s: {}).add_edge(START, "mid").add_edge("mid", "calls")
           .add_edge("calls", "nocp").add_edge("nocp", "plain").compile())

    def show(found: Any) -> list[tuple[str, bool, bool]]:
        return [(n, g is leaf, g is mid) for n, g in found]

    assert show(top.get_subgraphs()) == [("mid", False, True), ("calls", True, False)]
    assert show(top.get_subgraphs(recurse=True)) == [("mid", False, True), ("mid|leaf", True, False),
                                                     ("calls", True, False)]
    assert show(top.get_subgraphs(namespace="mid")) == [("mid", False, True)]
    assert show(top.get_subgraphs(namespace="mid|leaf")) == []
    assert show(top.get_subgraphs(namespace="mid|leaf", recurse=True)) == [("mid|leaf", True, False)]
    assert show(top.get_subgraphs(namespace="nope", recurse=True)) == []
    assert [(n, g is leaf) async for n, g in top.aget_subgraphs(recurse=True)] == [
        ("mid", False), ("mid|leaf", True), ("calls", True)]


# -- create_react_agent's AgentState is typed as LangGraph's ----------------------------------------


def test_agent_state_json_schema_as_langgraph() -> None:
    # observed on LangGraph 1.2.24: AgentState's messages are Sequence[BaseMessage] (items
    # BaseMessage in the JSON schema), remaining_steps NotRequired. Ours (a MessagesState
    # subclass): AnyMessage items (AIMessage, HumanMessage... definitions) and remaining_steps
    # required
    from actorgraph.prebuilt.chat_agent_executor import AgentState

    class WithUser(AgentState):
        user: str

    for schema, title, extra, required in [(None, "AgentState", {}, ["messages"]),
                                           (WithUser, "WithUser", {"user": {"title": "User", "type": "string"}},
                                            ["messages", "user"])]:
        g = create_react_agent(FakeTools(responses=[AIMessage("x")]), [],
                               **({"state_schema": schema} if schema else {}))
        given, returned = g.get_input_jsonschema(), g.get_output_jsonschema()
        messages = {"items": {"$ref": "#/$defs/BaseMessage"}, "title": "Messages", "type": "array"}
        assert given["title"] == returned["title"] == title
        assert given["properties"] == {"messages": messages,
                                       "remaining_steps": {"title": "Remaining Steps", "type": "integer"}, **extra}
        assert given["required"] == returned["required"] == required
        assert sorted(given["$defs"]) == sorted(returned["$defs"]) == ["BaseMessage"]
        assert returned["properties"]["messages"] == messages


# -- ToolNode without messages -------------------------------------------------------------------


@pytest.mark.anyio
async def test_tool_node_without_messages_says_so_as_langgraph(anyio_backend: str) -> None:
    # observed on LangGraph 1.2.24: ValueError('No message found in input') for an empty
    # `messages` list (ours: 'No AIMessage found in input') and for a state without the key
    # (ours added " (key 'messages')"); 'No AIMessage found in input' when no AIMessage is there.
    # (LangGraph's ToolNode cannot run outside a graph: "Missing required config key")
    from actorgraph.prebuilt import ToolNode

    @tool
    def ok(x: int) -> str:
        """ok"""
        return "ok"

    g = StateGraph(MessagesState).add_node("n", ToolNode([ok])).add_edge(START, "n").compile()
    with pytest.raises(ValueError) as empty:
        await g.ainvoke({"messages": []})
    assert str(empty.value) == "No message found in input"
    with pytest.raises(ValueError) as human:
        await g.ainvoke({"messages": [HumanMessage("x")]})
    assert str(human.value) == "No AIMessage found in input"


# -- create_react_agent(response_format=Model) with a checkpointer -----------------------------------


class _Weather(pydantic.BaseModel):
    city: str
    temp: int


@pytest.mark.anyio
@pytest.mark.parametrize("fmt", [_Weather, ("Answer as JSON", _Weather)])
async def test_a_structured_response_model_is_checkpointed(anyio_backend: str, fmt: Any) -> None:
    # observed on LangGraph 1.2.24: the run ends with {'generate_structured_response':
    # {'structured_response': Weather(city='Paris', temp=4)}} (get_state then shows it as a dict
    # of its fields, with a warning: docs/langgraph-compat-details.md). Ours: SerializationError
    # ("cannot serialize ...Weather: the class is not registered") at the checkpoint
    from langchain_core.runnables import RunnableLambda

    class Structured(FakeTools):
        def with_structured_output(self, schema: Any, **kw: Any) -> Any:
            return RunnableLambda(lambda msgs: _Weather(city="Paris", temp=len(msgs)))

    @tool
    def get_temp(city: str) -> int:
        """Temp."""
        return 21

    model = Structured(responses=[
        AIMessage("", id="a1", tool_calls=[{"name": "get_temp", "args": {"city": "Paris"}, "id": "t1"}]),
        AIMessage("It's 21", id="a2")])
    g = create_react_agent(model, [get_temp], response_format=fmt, checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "1"}}
    updates = [c async for c in g.astream({"messages": [HumanMessage("weather?", id="h")]}, cfg, stream_mode="updates")]
    expected = _Weather(city="Paris", temp=4 if fmt is _Weather else 5)
    assert updates[-1] == {"generate_structured_response": {"structured_response": expected}}
    assert (await g.aget_state(cfg)).values["structured_response"] == expected


# -- ToolRuntime[Context]: one type argument, as LangGraph's defaults allow ---------------------------


@dataclasses.dataclass
class _Ctx:
    user: str


@pytest.mark.anyio
async def test_tool_runtime_takes_one_type_argument(anyio_backend: str) -> None:
    # observed on LangGraph 1.2.24: `runtime: ToolRuntime[Ctx]` (its TypeVars have defaults:
    # state dict, context None) gives the tool the run's context. Ours: TypeError "Too few
    # arguments for ToolRuntime; actual 1, expected at least 2" when the tool was defined
    @tool
    def whoami(runtime: ToolRuntime[_Ctx]) -> str:
        """Who."""
        return f"{runtime.context.user} / {runtime.tool_call_id} / {len(runtime.state['messages'])}"

    assert whoami.args == {}
    g = create_react_agent(FakeTools(responses=[
        AIMessage("", id="a1", tool_calls=[{"name": "whoami", "args": {}, "id": "w1"}]), AIMessage("fin", id="a2")]),
        [whoami], context_schema=_Ctx)
    out = await g.ainvoke({"messages": [HumanMessage("hi", id="h")]}, context=_Ctx(user="ann"))
    assert out["messages"][2].content == "ann / w1 / 2"


# -- StateGraph[...] / CompiledStateGraph[...] in annotations ----------------------------------------


@pytest.mark.anyio
async def test_graph_classes_take_type_arguments(anyio_backend: str) -> None:
    # observed on LangGraph 1.2.24: StateGraph and CompiledStateGraph are generic in
    # (State, Context, Input, Output) with defaults, so a typed program's runtime annotations
    # (`def build() -> CompiledStateGraph[State]:`) and `StateGraph[State](State)` work. Ours:
    # TypeError "type 'StateGraph' is not subscriptable"
    from actorgraph.graph.state import CompiledStateGraph

    class C(TypedDict):
        u: str

    for params in ((_Answer,), (_Answer, C), (_Answer, C, _Answer, _Answer)):
        assert StateGraph[params].__origin__ is StateGraph  # type: ignore[misc]
        assert CompiledStateGraph[params].__origin__ is CompiledStateGraph  # type: ignore[misc]

    def build() -> CompiledStateGraph[_Answer]:  # type: ignore[type-arg]
        builder = StateGraph[_Answer](_Answer)  # type: ignore[misc]
        return builder.add_node("n", lambda s: {"answer": "x"}).add_edge(START, "n").compile()

    g = build()
    assert isinstance(g, CompiledStateGraph)
    assert await g.ainvoke({"messages": [], "answer": ""}) == {"messages": [], "answer": "x"}


# -- prebuilt.interrupt's request shapes, create_tool_calling_executor --------------------------------


@pytest.mark.anyio
async def test_agent_inbox_interrupt_shapes(anyio_backend: str) -> None:
    # observed on LangGraph 1.2.24: langgraph.prebuilt.interrupt (HumanInterrupt, ActionRequest,
    # HumanInterruptConfig, HumanResponse: TypedDicts) and chat_agent_executor's
    # create_tool_calling_executor (create_react_agent). Ours: ModuleNotFoundError / ImportError
    from actorgraph.prebuilt.chat_agent_executor import create_tool_calling_executor
    from actorgraph.prebuilt.interrupt import ActionRequest, HumanInterrupt, HumanInterruptConfig, HumanResponse
    from actorgraph.types import interrupt

    assert create_tool_calling_executor is create_react_agent
    assert list(HumanInterrupt.__annotations__) == ["action_request", "config", "description"]
    assert list(HumanResponse.__annotations__) == ["type", "args"]

    def ask(state: MessagesState) -> dict[str, Any]:
        request = HumanInterrupt(action_request=ActionRequest(action="send", args={"to": "bob"}),
                                 config=HumanInterruptConfig(allow_ignore=True, allow_respond=True,
                                                             allow_edit=False, allow_accept=True),
                                 description="Send it?")
        answer: HumanResponse = interrupt([request])[0]
        return {"messages": [AIMessage(f"{answer['type']}: {answer['args']}", id="r")]}

    g = StateGraph(MessagesState).add_node("ask", ask).add_edge(START, "ask").compile(checkpointer=InMemorySaver())
    cfg = {"configurable": {"thread_id": "1"}}
    paused = await g.ainvoke({"messages": []}, cfg)
    assert paused["__interrupt__"][0].value == [{
        "action_request": {"action": "send", "args": {"to": "bob"}},
        "config": {"allow_ignore": True, "allow_respond": True, "allow_edit": False, "allow_accept": True},
        "description": "Send it?"}]
    done = await g.ainvoke(Command(resume=[HumanResponse(type="response", args="not now")]), cfg)
    assert done["messages"][-1].content == "response: not now"


# -- actorgraph.warnings: LangGraph's deprecation categories ---------------------------------------


def test_deprecations_use_langgraphs_warning_categories() -> None:
    # observed on LangGraph 1.2.24: StateGraph(input=...) warns LangGraphDeprecatedSinceV05 with
    # str "`input` is deprecated and will be removed. Please use `input_schema` instead.
    # Deprecated in LangGraph V0.5 to be removed in V2.0."; langgraph.warnings holds the
    # categories programs filter by. Ours: no actorgraph.warnings (ModuleNotFoundError), a plain
    # DeprecationWarning
    import warnings

    from actorgraph.warnings import (LangGraphDeprecatedSinceV05, LangGraphDeprecatedSinceV10,
                                     LangGraphDeprecatedSinceV11, LangGraphDeprecationWarning)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        StateGraph(_Answer, input=_Answer)  # type: ignore[call-arg]
    assert [(type(w.message), str(w.message)) for w in caught] == [(
        LangGraphDeprecatedSinceV05,
        "`input` is deprecated and will be removed. Please use `input_schema` instead. "
        "Deprecated in LangGraph V0.5 to be removed in V2.0.")]
    assert issubclass(LangGraphDeprecatedSinceV10, LangGraphDeprecationWarning)
    assert issubclass(LangGraphDeprecationWarning, DeprecationWarning)
    v11 = LangGraphDeprecatedSinceV11("Old thing.")
    assert (v11.since, v11.expected_removal, str(v11)) == (
        (1, 1), (3, 0), "Old thing. Deprecated in LangGraph V1.1 to be removed in V3.0.")
    with warnings.catch_warnings():  # a ported program's filter silences ours too
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=LangGraphDeprecatedSinceV05)
        StateGraph(_Answer, input=_Answer)  # type: ignore[call-arg]
