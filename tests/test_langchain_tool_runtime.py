"""``ToolRuntime`` (a tool parameter :class:`ToolNode` fills in: state, context, config,
store, stream writers, call id, tools) and ``ToolNode(wrap_tool_call=/awrap_tool_call=)``.

Expected values come from LangGraph 1.2.24 (langgraph-prebuilt 1.x, langchain-core 1.8) running
the same programs: this file with its actorgraph imports swapped for LangGraph's passes there on
asyncio, but for the checks marked actorgraph-only (LangGraph does not run on trio). Calls of one message run
concurrently in both, so events of different calls are compared per call, not interleaved.
On trio the graphs run sync tools: langchain-core's async API is asyncio-only."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated, Any

import pytest

pytest.importorskip("langchain_core")

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel  # noqa: E402
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage  # noqa: E402
from langchain_core.tools import tool  # noqa: E402
from langchain_core.utils.function_calling import convert_to_openai_tool  # noqa: E402

from actorgraph import START, Command, MessagesState, StateGraph  # noqa: E402
from actorgraph.persistence import InMemoryStore  # noqa: E402
from actorgraph.prebuilt import (  # noqa: E402
    InjectedState,
    ToolCallRequest,
    ToolNode,
    ToolRuntime,
    create_react_agent,
)


@dataclass
class Ctx:
    user: str


class Model(FakeMessagesListChatModel):
    """Replies from a script; accepts ``bind_tools``."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self


class State(MessagesState):
    extra: int


SEEN: list[ToolRuntime[Any, Any]] = []


@tool
def plain(x: int, runtime: ToolRuntime) -> str:
    """Record the runtime."""
    SEEN.append(runtime)
    return f"plain {x}"


@tool
def typed(x: int, runtime: ToolRuntime[Ctx, dict[str, Any]]) -> str:
    """Write to the custom stream; answer with the context's user."""
    SEEN.append(runtime)
    runtime.stream_writer({"w": x})
    return f"user={runtime.context.user}"


@tool
def renamed(x: int, other: ToolRuntime, st: Annotated[dict[str, Any], InjectedState]) -> str:
    """A runtime under another name, next to InjectedState."""
    SEEN.append(other)
    return f"{type(other).__name__} {sorted(st)} same={other.state is st}"


@tool
async def asynchronous(x: int, runtime: ToolRuntime) -> str:
    """An async tool."""
    SEEN.append(runtime)
    return f"a{x} {runtime.tool_call_id}"


def ai(*calls: tuple[str, dict[str, Any], str]) -> AIMessage:
    return AIMessage("", id="a", tool_calls=[{"name": n, "args": a, "id": i} for n, a, i in calls])


def test_the_runtime_parameter_is_not_in_the_schema() -> None:
    for t in (plain, typed, renamed, asynchronous):
        assert t.args == {"x": {"title": "X", "type": "integer"}}
        assert convert_to_openai_tool(t)["function"]["parameters"] == {
            "properties": {"x": {"type": "integer"}}, "required": ["x"], "type": "object"}
    assert [f.name for f in dataclasses.fields(ToolRuntime)] == [
        "state", "context", "config", "stream_writer", "tool_call_id", "store", "tools", "execution_info",
        "server_info"]


# (a bare ToolRuntime is ToolRuntime[None, dict], as LangGraph's: pydantic warns when it meets the
# run's context object there, on LangGraph 1.2.24 too)
@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")
@pytest.mark.anyio
async def test_tool_node_fills_in_the_runtime(anyio_backend: str) -> None:
    store = InMemoryStore()
    graph = StateGraph(State, context_schema=Ctx)
    graph.add_node("tools", ToolNode([plain, typed, renamed, asynchronous]))
    app = graph.add_edge(START, "tools").compile(store=store)
    SEEN.clear()
    inp = {"messages": [ai(("plain", {"x": 1}, "c1"), ("typed", {"x": 2}, "c2"), ("renamed", {"x": 3}, "c3"))],
           "extra": 5}
    chunks = [c async for c in app.astream(inp, context=Ctx("bob"), stream_mode=["custom", "updates"])]
    assert chunks[0] == ("custom", {"w": 2})
    assert [(m.content, m.name, m.tool_call_id) for m in chunks[1][1]["tools"]["messages"]] == [
        ("plain 1", "plain", "c1"), ("user=bob", "typed", "c2"),
        ("ToolRuntime ['extra', 'messages'] same=True", "renamed", "c3")]
    assert len(chunks) == 2
    assert sorted(r.tool_call_id for r in SEEN) == ["c1", "c2", "c3"]
    for r in SEEN:
        assert type(r) is ToolRuntime
        assert r.state == inp
        assert r.context == Ctx("bob")
        assert r.store is store
        assert [t.name for t in r.tools] == ["plain", "typed", "renamed", "asynchronous"]
        assert r.server_info is None
        assert r.execution_info is not None and r.execution_info.checkpoint_ns.startswith("tools:")
        assert r.config["metadata"]["langgraph_node"] == "tools"
    if anyio_backend == "asyncio":  # (an async-only tool: under trio the node runs invoke)
        SEEN.clear()
        out = await app.ainvoke({"messages": [ai(("asynchronous", {"x": 1}, "c9"))], "extra": 1})
        assert [(m.content, m.name) for m in out["messages"][1:]] == [("a1 c9", "asynchronous")]
        assert (SEEN[0].context, SEEN[0].store is store, SEEN[0].state["extra"]) == (None, True, 1)


def test_an_async_tool_under_invoke_fails_as_in_langgraph() -> None:
    graph = StateGraph(State).add_node("tools", ToolNode([asynchronous])).add_edge(START, "tools")
    with pytest.raises(NotImplementedError, match=r"^StructuredTool does not support sync invocation\.\n"):
        graph.compile().invoke({"messages": [ai(("asynchronous", {"x": 1}, "c9"))], "extra": 1})


def test_outside_a_graph_the_runtime_has_the_state_only() -> None:
    # actorgraph-only: LangGraph 1.2.24's ToolNode cannot be invoked outside a graph at all
    SEEN.clear()
    inp = {"messages": [ai(("plain", {"x": 1}, "c1"))]}
    assert ToolNode([plain]).invoke(inp)["messages"][0].content == "plain 1"
    (r,) = SEEN
    assert (r.state, r.context, r.store, r.tool_call_id, r.execution_info) == (inp, None, None, "c1", None)
    r.stream_writer("ignored")
    r.emit_output_delta("ignored")


@tool
def look(q: str, runtime: ToolRuntime[Ctx, dict[str, Any]]) -> str:
    """Stream a custom chunk and two output deltas; describe what the runtime holds."""
    runtime.stream_writer(f"custom {q}")
    runtime.emit_output_delta(f"delta {q}")
    runtime.emit_output_delta({"d": 2})
    st = runtime.state
    return (f"{q} keys={sorted(st)} n={len(st['messages'])} rs={st.get('remaining_steps')} ctx={runtime.context} "
            f"store={runtime.store is not None} id={runtime.tool_call_id}")


# v2 sends each call the state its router saw (the model's step), v1's task reads it a step later
RS = {"v1": 10005, "v2": 10006}


@pytest.mark.anyio
@pytest.mark.parametrize("version", ["v1", "v2"])
async def test_agent_tools_see_state_context_store_and_stream(anyio_backend: str, version: str) -> None:
    model = Model(responses=[AIMessage("", id="a1", tool_calls=[{"name": "look", "args": {"q": "x"}, "id": "c1"},
                                                                 {"name": "look", "args": {"q": "y"}, "id": "c2"}]),
                             AIMessage("done", id="a2")])
    agent = create_react_agent(model, [look], context_schema=Ctx, version=version, store=InMemoryStore())
    chunks = [c async for c in agent.astream({"messages": [HumanMessage("q", id="h")]}, context=Ctx("bob"),
                                             stream_mode=["custom", "tools"])]

    def answer(q: str, call: str) -> str:
        return (f"{q} keys=['messages', 'remaining_steps'] n=2 rs={RS[version]} ctx=Ctx(user='bob') store=True "
                f"id={call}")

    for q, call in (("x", "c1"), ("y", "c2")):
        # a call's events, in order, with the custom chunk it wrote where it wrote it
        mine = [c for c in chunks if c == ("custom", f"custom {q}") or (c[0] == "tools" and c[1]["tool_call_id"] == call)]
        finished = mine[-1][1]
        assert mine[:-1] == [
            ("tools", {"event": "tool-started", "tool_call_id": call, "tool_name": "look", "input": {"q": q}}),
            ("custom", f"custom {q}"),
            ("tools", {"event": "tool-output-delta", "tool_call_id": call, "delta": f"delta {q}"}),
            ("tools", {"event": "tool-output-delta", "tool_call_id": call, "delta": {"d": 2}}),
        ]
        assert (finished["event"], finished["tool_call_id"], finished["output"].content) == (
            "tool-finished", call, answer(q, call))
    assert len(chunks) == 10


@pytest.mark.anyio
async def test_async_tool_output_deltas(anyio_backend: str) -> None:
    @tool
    async def alook(q: str, runtime: ToolRuntime) -> str:
        """Async: a delta, then a custom chunk."""
        runtime.emit_output_delta(f"adelta {q}")
        runtime.stream_writer(f"acustom {q}")
        return f"a {q} {runtime.tool_call_id} n={len(runtime.state['messages'])}"

    @tool
    def slook(q: str, runtime: ToolRuntime) -> str:
        """Sync: a delta, then a custom chunk."""
        runtime.emit_output_delta(f"adelta {q}")
        runtime.stream_writer(f"acustom {q}")
        return f"a {q} {runtime.tool_call_id} n={len(runtime.state['messages'])}"

    chosen = alook if anyio_backend == "asyncio" else slook  # (trio: the node runs invoke)
    model = Model(responses=[AIMessage("", id="a1", tool_calls=[{"name": chosen.name, "args": {"q": "x"}, "id": "c1"}]),
                             AIMessage("done", id="a2")])
    agent = create_react_agent(model, [chosen])
    chunks = [c async for c in agent.astream({"messages": [HumanMessage("q", id="h")]}, stream_mode=["custom", "tools"])]
    assert chunks[:3] == [
        ("tools", {"event": "tool-started", "tool_call_id": "c1", "tool_name": chosen.name, "input": {"q": "x"}}),
        ("tools", {"event": "tool-output-delta", "tool_call_id": "c1", "delta": "adelta x"}),
        ("custom", "acustom x"),
    ]
    assert chunks[3][1]["output"].content == "a x c1 n=2" and len(chunks) == 4
    # without the tools mode the deltas go nowhere, and the run is the same
    out = await agent.ainvoke({"messages": [HumanMessage("q", id="h")]})
    assert [m.content for m in out["messages"] if isinstance(m, ToolMessage)] == ["a x c1 n=2"]


# -- ToolNode(wrap_tool_call=..., awrap_tool_call=...) --------------------------------------------

FLAKY = {"n": 0}


@tool
def double(x: int) -> int:
    """Double it."""
    return x * 2


@tool
def flaky(x: int) -> str:
    """Fail twice out of three calls."""
    FLAKY["n"] += 1
    if FLAKY["n"] % 3 != 0:
        raise RuntimeError(f"fail {FLAKY['n']}")
    return f"ok after {FLAKY['n']}"


@tool
async def adouble(x: int) -> int:
    """Double it, async only."""
    return x * 2


def tool_app(tools: list[Any] | None = None, **kwargs: Any) -> Any:
    node = ToolNode(tools or [double, flaky], **kwargs)
    return StateGraph(MessagesState).add_node("tools", node).add_edge(START, "tools").compile()


def answers(out: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(m.content, m.name, m.tool_call_id, m.status) for m in out["messages"][1:]]


def msgs(*calls: tuple[str, dict[str, Any], str]) -> dict[str, Any]:
    return {"messages": [ai(*calls)]}


@pytest.mark.anyio
async def test_wrapper_gets_the_request_and_may_change_it(anyio_backend: str) -> None:
    requests: list[ToolCallRequest] = []

    def passthrough(request: ToolCallRequest, execute: Any) -> Any:
        requests.append(request)
        return execute(request)

    assert answers(await tool_app(wrap_tool_call=passthrough).ainvoke(msgs(("double", {"x": 2}, "c1")))) == [
        ("4", "double", "c1", "success")]
    (r,) = requests
    assert [f.name for f in dataclasses.fields(ToolCallRequest)] == ["tool_call", "tool", "state", "runtime"]
    assert r.tool_call == {"name": "double", "args": {"x": 2}, "id": "c1", "type": "tool_call"}
    assert (r.tool is not None and r.tool.name, r.state == msgs(("double", {"x": 2}, "c1"))) == ("double", True)
    assert (type(r.runtime), r.runtime.tool_call_id, r.runtime.state is r.state) == (ToolRuntime, "c1", True)
    changed = r.override(tool_call={**r.tool_call, "args": {"x": 5}})
    assert (changed is r, changed.tool_call["args"], r.tool_call["args"]) == (False, {"x": 5}, {"x": 2})
    restated = r.override(state={"messages": []})
    assert (restated.state, restated.runtime.state, r.runtime.state is r.state) == (
        {"messages": []}, {"messages": []}, True)
    # actorgraph-only wording (LangGraph's TypeError is dataclasses.replace's)
    with pytest.raises(TypeError, match=r"^ToolCallRequest.override\(\) takes tool_call, tool and state, got \['x'\]$"):
        r.override(x=1)  # type: ignore[call-arg]
    with pytest.warns(DeprecationWarning, match="^Setting attribute 'state' on ToolCallRequest is deprecated"):
        r.state = {}

    def new_args(request: ToolCallRequest, execute: Any) -> Any:
        return execute(request.override(tool_call={**request.tool_call, "args": {"x": 10}}))

    def new_id(request: ToolCallRequest, execute: Any) -> Any:
        return execute(request.override(tool_call={**request.tool_call, "id": "zzz"}))

    def twice(request: ToolCallRequest, execute: Any) -> Any:
        a = execute(request)
        b = execute(request.override(tool_call={**request.tool_call, "args": {"x": 7}}))
        return ToolMessage(f"{a.content}+{b.content}", tool_call_id=request.tool_call["id"])

    def marked(request: ToolCallRequest, execute: Any) -> Any:
        result = execute(request)
        result.content = "wrapped:" + result.content
        return result

    for wrapper, expected in [(new_args, ("20", "double", "c1", "success")), (new_id, ("4", "double", "zzz", "success")),
                              (twice, ("4+14", None, "c1", "success")), (marked, ("wrapped:4", "double", "c1", "success"))]:
        assert answers(await tool_app(wrap_tool_call=wrapper).ainvoke(msgs(("double", {"x": 2}, "c1")))) == [expected]


@pytest.mark.anyio
async def test_wrapper_retries(anyio_backend: str) -> None:
    attempts: list[Any] = []

    def on_exception(request: ToolCallRequest, execute: Any) -> Any:
        for i in range(5):
            try:
                result = execute(request)
                attempts.append(("ok", i))
                return result
            except Exception as exc:
                attempts.append((type(exc).__name__, str(exc)))
        raise RuntimeError("gave up")

    FLAKY["n"] = 0
    events = [(c["event"], c["tool_call_id"]) async for c in
              tool_app(wrap_tool_call=on_exception).astream(msgs(("flaky", {"x": 1}, "c1")), stream_mode="tools")]
    assert attempts == [("RuntimeError", "fail 1"), ("RuntimeError", "fail 2"), ("ok", 2)]
    assert events == [("tool-started", "c1"), ("tool-error", "c1")] * 2 + [("tool-started", "c1"), ("tool-finished", "c1")]

    def on_error_message(request: ToolCallRequest, execute: Any) -> Any:
        for _ in range(5):
            result = execute(request)
            attempts.append((result.status, result.content))
            if result.status != "error":
                break
        return result

    FLAKY["n"] = 0
    attempts.clear()
    out = await tool_app(wrap_tool_call=on_error_message, handle_tool_errors=True).ainvoke(msgs(("flaky", {"x": 1}, "c1")))
    assert answers(out) == [("ok after 3", "flaky", "c1", "success")]
    assert attempts == [("error", "Error: RuntimeError('fail 1')\n Please fix your mistakes."),
                        ("error", "Error: RuntimeError('fail 2')\n Please fix your mistakes."), ("success", "ok after 3")]


@pytest.mark.anyio
async def test_wrapper_short_circuits(anyio_backend: str) -> None:
    def cached(request: ToolCallRequest, execute: Any) -> Any:
        return ToolMessage("cached", tool_call_id=request.tool_call["id"])

    app = tool_app(wrap_tool_call=cached)
    assert answers(await app.ainvoke(msgs(("double", {"x": 2}, "c1"), ("nope", {}, "c2")))) == [
        ("cached", None, "c1", "success"), ("cached", None, "c2", "success")]
    assert [c async for c in app.astream(msgs(("double", {"x": 1}, "c1")), stream_mode="tools")] == []

    def unknown_answered(request: ToolCallRequest, execute: Any) -> Any:
        if request.tool is None:
            return ToolMessage(f"no tool {request.tool_call['name']}", tool_call_id=request.tool_call["id"], name="custom")
        return execute(request)

    out = await tool_app(wrap_tool_call=unknown_answered).ainvoke(msgs(("double", {"x": 2}, "c1"), ("nope", {}, "c2")))
    assert answers(out) == [("4", "double", "c1", "success"), ("no tool nope", "custom", "c2", "success")]

    def passthrough(request: ToolCallRequest, execute: Any) -> Any:
        return execute(request)

    def bad_args(request: ToolCallRequest, execute: Any) -> Any:
        return execute(request.override(tool_call={**request.tool_call, "args": {"x": "notint"}}))

    assert answers(await tool_app(wrap_tool_call=passthrough).ainvoke(msgs(("nope", {}, "c2")))) == [
        ("Error: nope is not a valid tool, try one of [double, flaky].", "nope", "c2", "error")]
    assert answers(await tool_app(wrap_tool_call=bad_args).ainvoke(msgs(("double", {"x": 2}, "c1")))) == [
        ("Error invoking tool 'double' with kwargs {'x': 'notint'} with error:\n x: Input should be a valid integer, "
         "unable to parse string as an integer\n Please fix the error and try again.", "double", "c1", "error")]


@pytest.mark.anyio
async def test_wrapper_results_and_errors(anyio_backend: str) -> None:
    def broken(request: ToolCallRequest, execute: Any) -> Any:
        raise ValueError("wrapper broke")

    for handling, content in [(True, "Error: ValueError('wrapper broke')\n Please fix your mistakes."), ("sorry", "sorry"),
                              (TypeError, "Error: ValueError('wrapper broke')\n Please fix your mistakes."),
                              (lambda e: f"handled {e}", "handled wrapper broke")]:
        out = await tool_app(wrap_tool_call=broken, handle_tool_errors=handling).ainvoke(msgs(("double", {"x": 2}, "c1")))
        assert answers(out) == [(content, "double", "c1", "error")]
    for handling in (None, False):
        with pytest.raises(ValueError, match="^wrapper broke"):
            await tool_app(wrap_tool_call=broken, handle_tool_errors=handling).ainvoke(msgs(("double", {"x": 2}, "c1")))

    def passthrough(request: ToolCallRequest, execute: Any) -> Any:
        return execute(request)

    FLAKY["n"] = 0
    with pytest.raises(RuntimeError, match="^fail 1"):
        await tool_app(wrap_tool_call=passthrough).ainvoke(msgs(("flaky", {"x": 1}, "c1")))

    def command(request: ToolCallRequest, execute: Any) -> Any:
        return Command(update={"messages": [ToolMessage("via command", tool_call_id=request.tool_call["id"])]})

    def empty_command(request: ToolCallRequest, execute: Any) -> Any:
        return Command(update={"messages": []})

    # a wrapper's Command is applied as it is: its message is not renamed, nor required
    assert answers(await tool_app(wrap_tool_call=command).ainvoke(msgs(("double", {"x": 2}, "c1")))) == [
        ("via command", None, "c1", "success")]
    assert answers(await tool_app(wrap_tool_call=empty_command).ainvoke(msgs(("double", {"x": 2}, "c1")))) == []

    def text(request: ToolCallRequest, execute: Any) -> Any:
        return "a string"

    # actorgraph-only: LangGraph fails later, adding the string to the messages as a HumanMessage
    with pytest.raises(TypeError, match=r"^wrap_tool_call must return a ToolMessage or a Command for tool call 'c1' "
                                        r"\('double'\), got str: 'a string'"):
        await tool_app(wrap_tool_call=text).ainvoke(msgs(("double", {"x": 2}, "c1")))


async def awrapped(request: ToolCallRequest, execute: Any) -> Any:
    result = await execute(request)
    result.content = "awrapped:" + str(result.content)
    return result


def swrapped(request: ToolCallRequest, execute: Any) -> Any:
    result = execute(request)
    result.content = "swrapped:" + str(result.content)
    return result


@pytest.mark.anyio
async def test_async_wrapper(anyio_backend: str) -> None:
    tools = [double, adouble]
    if anyio_backend == "asyncio":  # ainvoke: awrap_tool_call, else wrap_tool_call with the sync execute
        for kwargs, name, content in [({"awrap_tool_call": awrapped}, "adouble", "awrapped:4"),
                                      ({"awrap_tool_call": awrapped, "wrap_tool_call": swrapped}, "adouble", "awrapped:4"),
                                      ({"wrap_tool_call": swrapped}, "double", "swrapped:4")]:
            out = await tool_app(tools, **kwargs).ainvoke(msgs((name, {"x": 2}, "c1")))
            assert answers(out) == [(content, name, "c1", "success")]
        with pytest.raises(NotImplementedError, match=r"^StructuredTool does not support sync invocation\."):
            await tool_app(tools, wrap_tool_call=swrapped).ainvoke(msgs(("adouble", {"x": 2}, "c1")))
    else:  # trio: the node runs invoke, which uses wrap_tool_call only
        out = await tool_app(tools, awrap_tool_call=awrapped).ainvoke(msgs(("double", {"x": 2}, "c1")))
        assert answers(out) == [("4", "double", "c1", "success")]
        out = await tool_app(tools, awrap_tool_call=awrapped, wrap_tool_call=swrapped).ainvoke(msgs(("double", {"x": 2}, "c1")))
        assert answers(out) == [("swrapped:4", "double", "c1", "success")]


def test_invoke_uses_the_sync_wrapper_only() -> None:
    assert answers(tool_app(awrap_tool_call=awrapped).invoke(msgs(("double", {"x": 2}, "c1")))) == [
        ("4", "double", "c1", "success")]
    assert answers(tool_app(awrap_tool_call=awrapped, wrap_tool_call=swrapped).invoke(msgs(("double", {"x": 2}, "c1")))) == [
        ("swrapped:4", "double", "c1", "success")]
