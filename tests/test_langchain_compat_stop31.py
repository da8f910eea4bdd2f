"""Differences found by running the same chat-agent programs (langchain-core models, tools and
callbacks) on LangGraph 1.2.24 and on actorgraph. The expected values are what LangGraph 1.2.24
showed for the same program."""

from __future__ import annotations

from typing import Annotated, Any

import pytest

pytest.importorskip("langchain_core")

from langchain_core.callbacks import BaseCallbackHandler  # noqa: E402
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel  # noqa: E402
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage  # noqa: E402
from langchain_core.tools import InjectedToolCallId, tool  # noqa: E402

from actorgraph.graph import START, MessagesState, StateGraph  # noqa: E402
from actorgraph.prebuilt import create_react_agent  # noqa: E402
from actorgraph.types import Command  # noqa: E402


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
