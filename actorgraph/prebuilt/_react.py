"""``create_react_agent``: a chat model calling tools in a loop, as a compiled graph."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.runnables import Runnable, RunnableBinding, RunnableConfig, RunnableLambda
from langchain_core.tools import BaseTool

from ..graph import END, START, MessagesState, RemainingSteps, StateGraph
from ..runtime import get_config
from ..types import Send
from ._tool_node import TOOL_CALL_WITH_CONTEXT, ToolNode, tools_condition

NEED_MORE_STEPS = "Sorry, need more steps to process this request."


class AgentState(MessagesState):
    """The default state of :func:`create_react_agent`: ``messages`` (merged by
    ``add_messages``) and the managed ``remaining_steps``."""

    remaining_steps: RemainingSteps


Prompt = str | SystemMessage | Callable[[Any], Any] | Runnable[Any, Any]


def create_react_agent(
    model: Any,
    tools: Sequence[BaseTool | Callable[..., Any]] | ToolNode,
    *,
    prompt: Prompt | None = None,
    state_schema: Any = None,
    checkpointer: Any = None,
    store: Any = None,
    interrupt_before: list[str] | None = None,
    interrupt_after: list[str] | None = None,
    debug: bool = False,
    version: Literal["v1", "v2"] = "v2",
    name: str | None = None,
) -> Any:
    """A compiled graph that calls ``model`` on the messages, runs the tools it asks for, and
    calls it again with their results, until it answers without tool calls (LangGraph's
    ``create_react_agent``, for its documented arguments above).

    ``model``: a langchain-core chat model (Any: any ``Runnable`` taking messages and returning
    an ``AIMessage``); it is given the tools with ``bind_tools`` unless it already has tools
    bound. ``tools``: tools or plain functions, or a :class:`ToolNode`. ``prompt``: a string or
    ``SystemMessage`` put before the messages, a function of the state returning the model's
    input, or a Runnable invoked with the state; the prompt is not stored in the state.

    Nodes ``"agent"`` and ``"tools"`` (only ``"agent"`` without tools): ``START -> agent``;
    ``agent -> tools`` when its reply has tool calls, else ``END``; ``tools -> agent``, or
    ``END`` after a ``return_direct`` tool. When the recursion limit would stop the run before
    the tools' results reach the model (``remaining_steps < 2`` with tool calls), the reply is
    replaced by ``AIMessage("Sorry, need more steps to process this request.")`` with the same
    id. ``name`` names the compiled graph and is set as the ``name`` of the model's replies.

    ``version="v2"`` (the default): each tool call of a reply runs as its own ``"tools"`` task,
    sent by the router as ``Send("tools", {"__type": "tool_call_with_context", "tool_call":
    call, "state": state})`` (the state the router saw, so ``InjectedState`` sees the model
    step's ``remaining_steps``). So calls that each ``interrupt()`` pause together (``next ==
    ("tools", "tools")``, resumed with a map of answers); after a failed call, resuming the
    thread re-runs only the failed calls; ``updates``/``tasks``/``debug`` streams and
    ``get_state().tasks`` show one task per call. ``version="v1"``: all calls of a reply run in
    one ``"tools"`` task (concurrently, see :class:`ToolNode`). On trio, use sync models and
    tools (langchain-core's async API is asyncio-only).
    """
    if isinstance(model, str):
        raise TypeError("create_react_agent() takes a chat model instance, not a model name")
    if version not in ("v1", "v2"):
        raise ValueError(f"Invalid version {version!r}, expected 'v1' or 'v2'")
    tool_node = tools if isinstance(tools, ToolNode) else ToolNode(tools)
    tool_list = list(tool_node.tools_by_name.values())
    bound = _bind(model, tool_list) if tool_list else model
    direct = {t.name for t in tool_list if t.return_direct}
    make_input = _prompt_runnable(prompt)

    def reply(state: Any, response: Any) -> dict[str, list[Any]]:
        if _needs_more_steps(state, response, direct):
            return {"messages": [AIMessage(id=response.id, content=NEED_MORE_STEPS)]}
        if name is not None and isinstance(response, BaseMessage):
            response.name = name
        return {"messages": [response]}

    static_model = make_input | bound  # traced as LangGraph's: a RunnableSequence of Prompt, model

    # the model runs with the node's config, not call_model's: its runs are call_model's
    # siblings under the node's run, as in LangGraph
    def call_model(state: Any, config: RunnableConfig) -> dict[str, list[Any]]:
        return reply(state, static_model.invoke(state, get_config()))

    async def acall_model(state: Any, config: RunnableConfig) -> dict[str, list[Any]]:
        return reply(state, await static_model.ainvoke(state, get_config()))

    graph = StateGraph(state_schema if state_schema is not None else AgentState)
    graph.add_node("agent", RunnableLambda(call_model, afunc=acall_model, name="call_model"))
    graph.add_edge(START, "agent")
    if not tool_list:
        graph.add_edge("agent", END)
    else:
        graph.add_node("tools", tool_node)
        def should_continue(state: Any) -> str | list[Send]:  # (LangGraph's router's name, seen by tracing)
            route = tools_condition(state)
            if route == END or version == "v1":
                return route
            return _sends(state, _messages(state)[-1].tool_calls)

        graph.add_conditional_edges("agent", should_continue, ["tools", END])
        if direct:
            def after_tools(state: Any) -> str:
                for message in reversed(_messages(state)):
                    if not isinstance(message, ToolMessage):
                        # the reply whose calls these answer: a return_direct call among them
                        # ends the run even when its answer is not named after the tool
                        if any(c["name"] in direct for c in getattr(message, "tool_calls", None) or ()):
                            return END
                        break
                    if message.name in direct:
                        return END
                return "agent"

            graph.add_conditional_edges("tools", after_tools, ["agent", END])
        else:
            graph.add_edge("tools", "agent")
    return graph.compile(
        checkpointer=checkpointer,
        store=store,
        interrupt_before=interrupt_before,
        interrupt_after=interrupt_after,
        debug=debug,
        name=name,
    )


def _sends(state: Any, calls: Sequence[Any]) -> list[Send]:
    """``version="v2"``: one ``"tools"`` task per tool call, with the state for injection."""
    return [Send("tools", {"__type": TOOL_CALL_WITH_CONTEXT, "tool_call": call, "state": state})
            for call in calls]


def _bind(model: Any, tools: list[BaseTool]) -> Any:
    """``model`` with ``tools`` bound, unless it has tools bound already."""
    if isinstance(model, RunnableBinding) and "tools" in model.kwargs:
        return model
    if isinstance(model, BaseChatModel) or hasattr(model, "bind_tools"):
        return model.bind_tools(tools)
    return model


def _messages(state: Any) -> list[Any]:
    value: Any = state.get("messages") if isinstance(state, dict) else getattr(state, "messages")
    return list(value)


def _field(state: Any, key: str) -> Any:
    return state.get(key) if isinstance(state, dict) else getattr(state, key, None)


def _inline_lambda(fn: Callable[[Any], Any]) -> Runnable[Any, Any]:
    """``fn`` as the ``Prompt`` Runnable; under ``ainvoke`` it runs in the event loop's thread
    (a plain ``RunnableLambda`` would hand this list building to an executor thread)."""

    async def afn(state: Any) -> Any:
        return fn(state)

    return RunnableLambda(fn, afunc=afn, name="Prompt")


def _prompt_runnable(prompt: Prompt | None) -> Runnable[Any, Any]:
    """The model's input as a Runnable of the state."""
    if prompt is None:
        return _inline_lambda(_messages)
    if isinstance(prompt, str):
        system = SystemMessage(content=prompt)
        return _inline_lambda(lambda state: [system, *_messages(state)])
    if isinstance(prompt, SystemMessage):
        message = prompt
        return _inline_lambda(lambda state: [message, *_messages(state)])
    if isinstance(prompt, Runnable):
        return prompt
    if callable(prompt):
        return RunnableLambda(prompt, name="Prompt")
    raise ValueError(f"Got unexpected type for prompt: {type(prompt)}")


def _needs_more_steps(state: Any, response: Any, direct: set[str]) -> bool:
    calls = getattr(response, "tool_calls", None) or []
    if not calls:
        return False
    remaining = _field(state, "remaining_steps")
    if remaining is None:
        return bool(_field(state, "is_last_step"))
    if remaining < 1 and all(c["name"] in direct for c in calls):
        return True
    return bool(remaining < 2)
