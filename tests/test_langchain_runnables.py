"""LangChain Runnables as nodes and as conditional-edge callables (with langchain-core).

Expected values are LangGraph 1.2.24 running the same graphs (langchain-core 1.8, scratch
scripts). On trio, langchain-core's async API does not run, so a Runnable node there is called
through ``invoke`` in a worker thread: where that shows (which of a ``RunnableLambda``'s two
functions runs), the test says so."""

from __future__ import annotations

from typing import Any, TypedDict

import pytest

pytest.importorskip("langchain_core")

from langchain_core.callbacks import BaseCallbackHandler  # noqa: E402
from langchain_core.language_models.fake_chat_models import FakeListChatModel  # noqa: E402
from langchain_core.messages import AIMessage, HumanMessage  # noqa: E402
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder  # noqa: E402
from langchain_core.runnables import RunnableLambda, RunnablePick  # noqa: E402
from langchain_core.tools import tool  # noqa: E402

from actorgraph import END, START, MessagesState, StateGraph  # noqa: E402


class S(TypedDict):
    x: int


class W(TypedDict):
    x: int
    who: str


def double(s: S) -> dict[str, int]:
    return {"x": s["x"] * 2}


def route(s: S) -> str:
    return END if s["x"] > 10 else "double"


@tool
def increment(x: int) -> dict[str, int]:
    """Add one to x."""
    return {"x": x + 1}


@pytest.mark.anyio
async def test_runnable_lambda_as_a_node(anyio_backend: str) -> None:
    app = StateGraph(S).add_node("n", RunnableLambda(lambda s: {"x": s["x"] * 2})).add_edge(START, "n").compile()
    assert await app.ainvoke({"x": 21}) == {"x": 42}


def test_runnable_node_under_the_sync_api() -> None:
    app = StateGraph(S).add_node("n", RunnableLambda(lambda s: {"x": s["x"] * 2})).add_edge(START, "n").compile()
    assert app.invoke({"x": 21}) == {"x": 42}


def test_nodes_added_without_a_name_are_named_by_get_name() -> None:
    g = (StateGraph(S).add_node(RunnableLambda(lambda s: s))
         .add_node(RunnableLambda(double) | RunnableLambda(double)).add_node(increment)
         .add_node(RunnableLambda(double)))
    assert list(g.nodes) == ["RunnableLambda", "RunnableSequence", "increment", "double"]


@pytest.mark.anyio
async def test_a_dict_of_callables_and_runnables_is_a_runnable_parallel_node(anyio_backend: str) -> None:
    # LangGraph 1.2.24 (add_node coerces a dict to a RunnableParallel): each value gets the
    # state, the node writes {key: its output}
    g = StateGraph(W).add_node("b", {"x": lambda s: s["x"] + 1, "who": lambda s: "me"}).add_edge(START, "b")
    app = g.compile()
    assert await app.ainvoke({"x": 1}) == {"x": 2, "who": "me"}
    assert [c async for c in app.astream({"x": 1})] == [{"b": {"x": 2, "who": "me"}}]

    model = FakeListChatModel(responses=["hi"])
    app = (StateGraph(MessagesState).add_node("agent", {"messages": RunnablePick("messages") | model})
           .add_edge(START, "agent").compile())
    out = await app.ainvoke({"messages": [HumanMessage("hello", id="h")]})
    assert [(type(m).__name__, m.content) for m in out["messages"]] == [("HumanMessage", "hello"), ("AIMessage", "hi")]


def test_a_dict_node_under_the_sync_api() -> None:
    app = StateGraph(S).add_node("b", {"x": lambda s: s["x"] + 1}).add_edge(START, "b").compile()
    assert app.invoke({"x": 1}) == {"x": 2}


@pytest.mark.anyio
async def test_a_tool_as_a_node(anyio_backend: str) -> None:
    app = StateGraph(S).add_node("t", increment).add_edge(START, "t").compile()
    assert await app.ainvoke({"x": 1}) == {"x": 2}


@pytest.mark.anyio
async def test_runnable_as_a_conditional_edge(anyio_backend: str) -> None:
    g = StateGraph(S).add_node(RunnableLambda(double)).add_edge(START, "double")
    g.add_conditional_edges("double", RunnableLambda(route))
    assert list(g.branches["double"]) == ["route"]
    assert await g.compile().ainvoke({"x": 3}) == {"x": 12}


def test_runnable_conditional_edge_under_the_sync_api() -> None:
    g = StateGraph(S).add_node(RunnableLambda(double)).add_edge(START, "double")
    g.add_conditional_edges("double", RunnableLambda(route))
    assert g.compile().invoke({"x": 3}) == {"x": 12}


def two_faced() -> Any:
    def sync(s: W) -> dict[str, str]:
        return {"who": "sync"}

    async def async_(s: W) -> dict[str, str]:
        return {"who": "async"}

    return StateGraph(W).add_node("n", RunnableLambda(sync, afunc=async_)).add_edge(START, "n").compile()


@pytest.mark.anyio
async def test_async_api_uses_ainvoke_on_asyncio(anyio_backend: str) -> None:
    # LangGraph: 'async' under ainvoke; on trio we call invoke (langchain's async API is asyncio-only)
    expected = "async" if anyio_backend == "asyncio" else "sync"
    assert await two_faced().ainvoke({"x": 1}) == {"x": 1, "who": expected}


def test_sync_api_uses_invoke() -> None:
    assert two_faced().invoke({"x": 1}) == {"x": 1, "who": "sync"}


class PersonaState(MessagesState):
    persona: str


@pytest.mark.anyio
async def test_prompt_pipe_model_as_a_node(anyio_backend: str) -> None:
    seen: list[list[tuple[str, Any]]] = []

    class Spy(FakeListChatModel):
        def _call(self, messages: Any, *args: Any, **kwargs: Any) -> str:
            seen.append([(m.type, m.content) for m in messages])
            return super()._call(messages, *args, **kwargs)

    prompt = ChatPromptTemplate.from_messages([("system", "You are {persona}."), MessagesPlaceholder("messages")])
    chain = prompt | Spy(responses=["hello there"]) | RunnableLambda(lambda m: {"messages": [m]})
    app = StateGraph(PersonaState).add_node("chat", chain).add_edge(START, "chat").compile()
    out = await app.ainvoke({"messages": [("user", "hi")], "persona": "a pirate"})
    assert [(type(m), m.content) for m in out["messages"]] == [(HumanMessage, "hi"), (AIMessage, "hello there")]
    assert seen == [[("system", "You are a pirate."), ("human", "hi")]]


@pytest.mark.anyio
async def test_the_runnable_gets_the_nodes_config(anyio_backend: str) -> None:
    got: dict[str, Any] = {}
    starts: list[tuple[str, dict[str, Any]]] = []

    class Handler(BaseCallbackHandler):
        def on_chain_start(self, serialized: Any, inputs: Any, **kwargs: Any) -> None:
            starts.append((kwargs["name"], kwargs["metadata"]))

    def capture(s: S, config: Any) -> dict[str, int]:
        got.update(config)
        return {"x": 1}

    app = StateGraph(S).add_node("n", RunnableLambda(capture)).add_edge(START, "n").compile()
    await app.ainvoke({"x": 0}, {"tags": ["t1"], "metadata": {"m": 1}, "callbacks": [Handler()]})
    assert {"callbacks", "configurable", "metadata", "recursion_limit", "tags"} <= set(got)
    assert "t1" in got["tags"]
    metadata = got["metadata"]
    assert (metadata["m"], metadata["langgraph_step"], metadata["langgraph_node"]) == (1, 1, "n")
    assert metadata["langgraph_triggers"] == ("branch:to:n",)
    assert metadata["langgraph_path"] == ("__pregel_pull", "n")
    assert metadata["langgraph_checkpoint_ns"].startswith("n:")
    # the run's callback handler sees the Runnable's own run, with the node's metadata
    (capture_start,) = [meta for name, meta in starts if name == "capture"]
    assert capture_start["langgraph_node"] == "n"


_BORROW_SCRIPT = """
import sys
from typing import TypedDict
{block}
from actorgraph import END, START, StateGraph
class S(TypedDict):
    x: int
app = StateGraph(S).add_node("a", lambda s: {{"x": s["x"] + 1}}).add_edge(START, "a").add_edge("a", END).compile()
assert sys.modules.get("langchain_core") is None
try:
    print(sorted(app.batch_as_completed([{{"x": 1}}, {{"x": 2}}]), key=lambda t: t[0]))
except AttributeError as exc:
    print("AttributeError:", exc)
"""


@pytest.mark.parametrize("installed", [True, False])
def test_a_borrowed_runnable_method_imports_langchain_core_when_first_asked(installed: bool) -> None:
    # langchain-core installed but not imported yet: LangGraph's graph (a Runnable) has
    # batch_as_completed; ours raised AttributeError asking for langchain-core to be imported
    import subprocess
    import sys

    block = "" if installed else "sys.modules['langchain_core'] = None  # (not installed)"
    done = subprocess.run([sys.executable, "-c", _BORROW_SCRIPT.format(block=block)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    if installed:  # LangGraph 1.2.24: [(0, {'x': 2}), (1, {'x': 3})]
        assert done.stdout.strip() == "[(0, {'x': 2}), (1, {'x': 3})]"
    else:
        assert done.stdout.strip() == (
            "AttributeError: CompiledGraph.batch_as_completed is LangChain's Runnable.batch_as_completed: "
            "it needs langchain-core (pip install 'actorgraph[langchain]')")
