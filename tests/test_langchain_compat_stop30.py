"""Differences found by running the same programs on LangGraph 1.2.24 and on actorgraph: the
ones that need langchain-core (see tests/test_compat_diff_stop30.py for the others)."""

from __future__ import annotations

from typing import Annotated, Any

import pytest

pytest.importorskip("langchain_core")

import pydantic  # noqa: E402
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel  # noqa: E402
from langchain_core.messages import AIMessage, AIMessageChunk, ChatMessage, ToolMessage  # noqa: E402
from langchain_core.messages import HumanMessage as LcHuman  # noqa: E402
from langchain_core.tools import InjectedToolCallId, tool  # noqa: E402

from actorgraph import START, StateGraph  # noqa: E402
from actorgraph.graph import AnyMessage, HumanMessage, MessagesState  # noqa: E402
from actorgraph.prebuilt import InjectedState, create_react_agent  # noqa: E402
from actorgraph.types import Command  # noqa: E402


# -- a handoff tool reading the state as MessagesState ----------------------------------------


@pytest.mark.anyio
async def test_a_handoff_tool_injected_with_messages_state(anyio_backend: str) -> None:
    # The multi-agent handoff tool of LangGraph's docs: `state: Annotated[MessagesState,
    # InjectedState]`. LangGraph 1.2.24 (Python 3.11): the supervisor hands over to the flight
    # agent, final messages [human, ai (supervisor), tool 'Transferred to flight_agent', ai
    # (flight_agent), tool 'flight to BOS booked', ai 'flight done']. Ours: @tool raised
    # PydanticUserError (typing.TypedDict before 3.12), then the tool refused the state's
    # langchain-core messages (not instances of our message classes)
    class FakeTools(FakeMessagesListChatModel):
        def bind_tools(self, tools: Any, **kw: Any) -> Any:
            return self

    def call(name: str, args: dict[str, Any], id: str) -> dict[str, Any]:
        return {"name": name, "args": args, "id": id, "type": "tool_call"}

    @tool("transfer_to_flight_agent")
    def handoff(state: Annotated[MessagesState, InjectedState],
                tool_call_id: Annotated[str, InjectedToolCallId]) -> Command[Any]:
        """Transfer to the flight agent."""
        msg = ToolMessage("Transferred to flight_agent", name="transfer_to_flight_agent", tool_call_id=tool_call_id)
        return Command(goto="flight_agent", update={"messages": state["messages"] + [msg]}, graph=Command.PARENT)

    @tool
    def flight(dest: str) -> str:
        """Book a flight."""
        return f"flight to {dest} booked"

    flight_agent = create_react_agent(
        FakeTools(responses=[AIMessage("", tool_calls=[call("flight", {"dest": "BOS"}, "f1")]),
                             AIMessage("flight done")]), [flight], name="flight_agent")
    supervisor = create_react_agent(
        FakeTools(responses=[AIMessage("", tool_calls=[call("transfer_to_flight_agent", {}, "t1")])]),
        [handoff], name="supervisor")
    g = (StateGraph(MessagesState).add_node("supervisor", supervisor, destinations=("flight_agent",))
         .add_node("flight_agent", flight_agent).add_edge(START, "supervisor").compile())
    out = await g.ainvoke({"messages": [("user", "book BOS")]})
    assert [(m.type, m.content, m.name) for m in out["messages"]] == [
        ("human", "book BOS", None), ("ai", "", "supervisor"),
        ("tool", "Transferred to flight_agent", "transfer_to_flight_agent"), ("ai", "", "flight_agent"),
        ("tool", "flight to BOS booked", "flight"), ("ai", "flight done", "flight_agent")]


def test_our_messages_validate_with_pydantic_as_langchain_ones() -> None:
    # (what the handoff tool's validation needs) LangGraph 1.2.24: pydantic validates a
    # MessagesState with langchain-core messages, or messages given as dicts, keeping instances
    ours, theirs = HumanMessage("x"), LcHuman("z")
    out = pydantic.TypeAdapter(MessagesState).validate_python(
        {"messages": [ours, {"type": "ai", "content": "y"}, theirs]})
    assert out["messages"][0] is ours and out["messages"][2] is theirs
    assert (out["messages"][1].type, out["messages"][1].content) == ("ai", "y")
    with pytest.raises(pydantic.ValidationError):
        pydantic.TypeAdapter(list[AnyMessage]).validate_python([3])
    # LangGraph 1.2.24: ChatMessage, AIMessageChunk, ToolMessage kept as they are
    others = [ChatMessage("c", role="x"), AIMessageChunk("a"), ToolMessage("t", tool_call_id="1")]
    out = pydantic.TypeAdapter(MessagesState).validate_python({"messages": others})
    assert all(a is b for a, b in zip(out["messages"], others, strict=True))
