"""The LangChain workloads of BENCH.md (issue 12): a ReAct agent and ``messages``-mode tokens.

Both need langchain-core (LangGraph's side needs nothing more); without it they are ``n/a``.

* ``react_agent_10_turns``: each framework's ``create_react_agent`` with a scripted fake chat
  model (every turn: one reply calling both tools, then a final answer), 2 ``@tool`` tools, an
  in-memory saver; 10 turns on one new thread. ms per turn.
* ``messages_stream_1000_tokens``: an ``async def`` node awaiting a fake chat model that
  streams 1000 tokens (natively async, no executor hop, yielding to the event loop after each
  token as a network model does), the consumer iterating
  ``astream(stream_mode="messages")``. Tokens per second over the whole run, and the p99 lag
  from the model producing a token to the consumer receiving it. asyncio only: langchain-core's
  async model API does not run on trio.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from typing import Any

from ._frameworks import Framework, Side, Unavailable
from .workloads import Metric, Workload, _percentile

TURNS = 10


def _lc() -> Any:
    try:
        import langchain_core.messages as messages
    except ImportError:
        raise Unavailable("langchain-core is not installed") from None
    return messages


def _create_react_agent(fw: Framework) -> Any:
    if fw.name == "actorgraph":
        from actorgraph.prebuilt import create_react_agent
    else:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from langgraph.prebuilt import create_react_agent
    return create_react_agent


def _tools() -> list[Any]:
    from langchain_core.tools import tool

    @tool
    def get_weather(city: str) -> str:
        """Get weather for a given city."""
        return f"It's always sunny in {city}!"

    @tool
    def get_time(city: str) -> str:
        """Get the local time in a city."""
        return f"It is 10:00 in {city}."

    return [get_weather, get_time]


def _scripted_model(turns: int) -> Any:
    from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel

    messages = _lc()

    class Scripted(FakeMessagesListChatModel):
        def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
            return self

    script = []
    for t in range(turns):
        script.append(messages.AIMessage("", id=f"call-{t}", tool_calls=[
            {"name": "get_weather", "args": {"city": f"c{t}"}, "id": f"w{t}"},
            {"name": "get_time", "args": {"city": f"c{t}"}, "id": f"t{t}"}]))
        script.append(messages.AIMessage(f"answer {t}", id=f"answer-{t}"))
    return Scripted(responses=script)


class ReactAgent10Turns(Workload):
    name = "react_agent_10_turns"
    description = ("create_react_agent: fake chat model calling 2 @tools then answering, memory saver, "
                   "10 turns on one thread")
    full_size = TURNS
    quick_size = 3
    metrics = (Metric("ms_per_turn", "react_agent_10_turns", "ms/turn", trio_check=True),)

    def setup(self, fw: Framework, size: int) -> Any:
        _lc()
        return _create_react_agent(fw), _tools()

    async def sample(self, fw: Framework, state: Any, size: int, side: Side) -> dict[str, float]:
        create_react_agent, tools = state
        agent = create_react_agent(_scripted_model(size), tools, checkpointer=fw.memory_saver())
        config = {"configurable": {"thread_id": uuid.uuid4().hex}}
        started = time.perf_counter()
        for turn in range(size):
            out = await agent.ainvoke({"messages": [("user", f"question {turn}")]}, config)
        elapsed = time.perf_counter() - started
        if out["messages"][-1].content != f"answer {size - 1}" or len(out["messages"]) != 5 * size:
            raise AssertionError(f"{self.name}: unexpected transcript end {out['messages'][-1]!r:.200}")
        return {"ms_per_turn": elapsed / size * 1e3}


def _token_model(tokens: int) -> Any:
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

    messages = _lc()

    class Tokens(BaseChatModel):
        """Streams ``tokens`` tokens ``"t<i> "``; ``produced[i]`` is ``perf_counter()`` when
        token ``i`` was made."""

        produced: list[float] = []

        @property
        def _llm_type(self) -> str:
            return "bench-tokens"

        def _generate(self, msgs: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
            text = "".join(f"t{i} " for i in range(tokens))
            return ChatResult(generations=[ChatGeneration(message=messages.AIMessage(text))])

        async def _astream(self, msgs: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
            produced = self.produced
            produced.clear()
            for i in range(tokens):
                produced.append(time.perf_counter())
                chunk = ChatGenerationChunk(message=messages.AIMessageChunk(f"t{i} "))
                if run_manager is not None:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
                await asyncio.sleep(0)  # a network model waits for its next token

    return Tokens()


class MessagesStream1000Tokens(Workload):
    name = "messages_stream_1000_tokens"
    description = ('stream_mode="messages": an async node awaiting a fake model that streams 1000 '
                   "tokens (asyncio: langchain-core's async API is asyncio-only)")
    full_size = 1000
    quick_size = 100
    metrics = (
        Metric("tokens_per_s", "messages_stream_1000_tokens", "tokens/s", better="higher", backends=("asyncio",)),
        Metric("p50_ms", "messages_stream_1000_tokens token lag p50", "ms", backends=("asyncio",)),
        Metric("p99_ms", "messages_stream_1000_tokens token lag p99", "ms", backends=("asyncio",)),
    )

    def setup(self, fw: Framework, size: int) -> Any:
        _lc()
        model = _token_model(size)

        async def talk(state: dict[str, Any]) -> dict[str, Any]:
            return {"messages": [await model.ainvoke(state["messages"])]}

        g = fw.graph
        return g.StateGraph(g.MessagesState).add_node("talk", talk).add_edge(g.START, "talk").compile(), model

    async def sample(self, fw: Framework, state: Any, size: int, side: Side) -> dict[str, float]:
        lags: list[float] = []
        seen: list[int] = []
        graph, model = state
        produced = model.produced
        started = time.perf_counter()
        async for chunk, _ in graph.astream({"messages": [("user", "go")]}, stream_mode="messages"):
            received = time.perf_counter()
            text = chunk.content
            if text.startswith("t") and text.endswith(" ") and type(chunk).__name__ == "AIMessageChunk":
                i = int(text[1:-1])
                lags.append(received - produced[i])
                seen.append(i)
        elapsed = time.perf_counter() - started
        if seen != list(range(size)):
            raise AssertionError(f"{self.name}: expected tokens 0..{size - 1} in order, got {seen!r:.200}")
        lat = sorted(lags)
        return {"tokens_per_s": size / elapsed, "p50_ms": statistics.median(lat) * 1e3,
                "p99_ms": _percentile(lat, 0.99) * 1e3}


WORKLOADS: list[Workload] = [ReactAgent10Turns(), MessagesStream1000Tokens()]
"""For the lead to register (``bench/workloads.py``'s list)."""
