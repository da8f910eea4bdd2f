"""``stream_message``/``astream_message``: tokens from any source on the ``messages`` stream mode.

actorgraph's own helper (LangGraph has none), so nothing here is compared with LangGraph. It needs
no langchain-core: this file runs in both CI passes. With langchain-core imported, text tokens
are langchain-core ``AIMessageChunk``s (as a LangChain model's are); without it, actorgraph's
``AIMessage`` holding the token."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from typing import Any, TypedDict

import anyio
import pytest

from actorgraph import START, MessagesState, StateGraph
from actorgraph.graph import astream_message, stream_message


def chunk_class() -> str:
    return "AIMessageChunk" if sys.modules.get("langchain_core") is not None else "AIMessage"


def one(fn: Any) -> Any:
    return StateGraph(MessagesState).add_node("n", fn).add_edge(START, "n").compile()


def test_sync_tokens_stream_and_the_whole_message_is_returned() -> None:
    def n(s: dict[str, Any]) -> dict[str, Any]:
        return {"messages": [stream_message(iter(["he", "llo"]), id="t1")]}

    app = one(n)
    events = list(app.stream({"messages": []}, stream_mode="messages"))
    assert [(type(c).__name__, c.content, c.id) for c, _ in events] == [(chunk_class(), "he", "t1"),
                                                                       (chunk_class(), "llo", "t1")]
    assert {k: events[0][1][k] for k in ("langgraph_node", "langgraph_step")} == {"langgraph_node": "n",
                                                                                 "langgraph_step": 1}
    final = app.invoke({"messages": []})["messages"]
    assert [(type(m).__name__, m.content, m.id) for m in final] == [("AIMessage", "hello", "t1")]


@pytest.mark.anyio
async def test_async_tokens_are_live_on_both_backends(anyio_backend: str) -> None:
    first_seen = anyio.Event()

    async def tokens() -> AsyncIterator[str]:
        yield "a"
        await first_seen.wait()  # the consumer got "a" while the node still runs
        yield "b"

    async def n(s: dict[str, Any]) -> dict[str, Any]:
        return {"messages": [await astream_message(tokens())]}

    got: list[str] = []
    with anyio.fail_after(10):  # (a deadlock guard: without live events the node never ends)
        async for chunk, _ in one(n).astream({"messages": []}, stream_mode="messages"):
            got.append(chunk.content)
            first_seen.set()
    assert got[:2] == ["a", "b"]


def test_without_messages_mode_nothing_is_streamed_but_the_message_is_made() -> None:
    def n(s: dict[str, Any]) -> dict[str, Any]:
        return {"messages": [stream_message(["x", "y"], id="t2")]}

    assert list(one(n).stream({"messages": []}, stream_mode="updates"))[0]["n"]["messages"][0].content == "xy"


def test_non_text_chunks_are_added_up() -> None:
    class S(TypedDict):
        total: int

    def n(s: S) -> dict[str, int]:
        return {"total": stream_message([1, 2, 3])}

    app = StateGraph(S).add_node("n", n).add_edge(START, "n").compile()
    assert [c for c, _ in app.stream({"total": 0}, stream_mode="messages")] == [1, 2, 3]
    assert app.invoke({"total": 0}) == {"total": 6}


def test_outside_a_node() -> None:
    with pytest.raises(RuntimeError, match="stream_message outside of a running node"):
        stream_message(["a"])
