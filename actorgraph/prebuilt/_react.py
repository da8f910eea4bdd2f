"""``create_react_agent``: a chat model calling tools in a loop, as a compiled graph."""

from __future__ import annotations

import inspect
import sys
import types
import typing
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Annotated, Any, Literal, NotRequired

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.runnables import Runnable, RunnableBinding, RunnableConfig, RunnableLambda
from langchain_core.tools import BaseTool
from pydantic import BaseModel, create_model

from ..graph import END, START, RemainingSteps, StateGraph, add_messages
from ..persistence._serde import register_schema_types
from ..runtime import get_config, get_runtime, get_store, get_stream_writer
from ..types import Send
from ._tool_node import TOOL_CALL_WITH_CONTEXT, ToolNode, tools_condition

NEED_MORE_STEPS = "Sorry, need more steps to process this request."


if sys.version_info >= (3, 12):
    from typing import TypedDict
else:  # (pydantic refuses typing's before 3.12; LangGraph's is typing_extensions')
    from typing_extensions import TypedDict


class AgentState(TypedDict):
    """The default state of :func:`create_react_agent`: ``messages`` (merged by
    ``add_messages``) and the managed ``remaining_steps``, typed as LangGraph's (so its JSON
    schema is LangGraph's: ``BaseMessage`` items, ``remaining_steps`` not required)."""

    messages: Annotated[Sequence[BaseMessage], add_messages]
    remaining_steps: NotRequired[RemainingSteps]


class AgentStateWithStructuredResponse(AgentState):
    """The default state of :func:`create_react_agent` with a ``response_format``:
    :class:`AgentState` and ``structured_response`` (the schema's instance, or a dict for a
    JSON schema)."""

    structured_response: Any


class AgentStatePydantic(BaseModel):
    """:class:`AgentState` as a pydantic model (LangGraph's ``AgentStatePydantic``), for
    ``state_schema=`` subclasses that want pydantic validation: ``messages`` (merged by
    ``add_messages``) and the managed ``remaining_steps`` (``25`` when read outside a run)."""

    messages: Annotated[Sequence[BaseMessage], add_messages]
    remaining_steps: RemainingSteps = 25


class AgentStateWithStructuredResponsePydantic(AgentStatePydantic):
    """:class:`AgentStatePydantic` and ``structured_response`` (see
    :class:`AgentStateWithStructuredResponse`)."""

    structured_response: Any = None


StateSchemaType = type[AgentState] | type[AgentStatePydantic]
"""What ``state_schema=`` takes: a subclass of :class:`AgentState` or of
:class:`AgentStatePydantic` (LangGraph's type alias of the same name)."""


Prompt = str | SystemMessage | Callable[[Any], Any] | Runnable[Any, Any]
ResponseFormat = dict[str, Any] | type[Any] | tuple[str, dict[str, Any] | type[Any]]

AGENT = "agent"
TOOLS = "tools"
PRE_MODEL_HOOK = "pre_model_hook"
POST_MODEL_HOOK = "post_model_hook"
STRUCTURED = "generate_structured_response"


class _NodeCallable(RunnableLambda[Any, Any]):
    """A function of the agent (a node's, or the prompt's) as LangGraph's own node callables
    run: one chain run with its input and output, also under ``astream_events`` (which streams
    nodes): invoked once, no stream events of its own.

    ``func``/``afunc`` take the state, and ``config`` when ``takes_config``. They are called
    through functions of known signature: ``RunnableLambda`` inspects the signature of its
    function and of its own method at every call (four ``inspect.signature`` calls, ~70 µs a
    call on this project's guests, two calls of the model's node and two of the prompt a
    ReAct turn) to find which of ``config`` and ``run_manager`` they take; these are known here.
    """

    def __init__(self, func: Callable[..., Any], afunc: Callable[..., Any], *, name: str,
                 takes_config: bool = True) -> None:
        super().__init__(func, afunc=afunc, name=name)
        # (called by langchain-core's Runnable._call_with_config with config= and run_manager=;
        # config is already the child config of the run, as RunnableLambda hands it on)
        if takes_config:
            def call(value: Any, run_manager: Any, config: RunnableConfig) -> Any:
                return func(value, config)

            async def acall(value: Any, run_manager: Any, config: RunnableConfig) -> Any:
                return await afunc(value, config)
        else:
            def call(value: Any, run_manager: Any, config: RunnableConfig) -> Any:
                return func(value)

            async def acall(value: Any, run_manager: Any, config: RunnableConfig) -> Any:
                return await afunc(value)
        self._call = _signature_known(call)
        self._acall = _signature_known(acall)

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        return self._call_with_config(self._call, input, config, **kwargs)

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        return await self._acall_with_config(self._acall, input, config, **kwargs)

    async def astream(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> AsyncIterator[Any]:
        yield await self.ainvoke(input, config, **kwargs)


def _signature_known(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with its signature worked out once: ``inspect.signature`` returns a function's
    ``__signature__`` as it is."""
    fn.__signature__ = inspect.signature(fn)  # type: ignore[attr-defined]
    return fn


def create_react_agent(
    model: Any,
    tools: Sequence[BaseTool | Callable[..., Any] | dict[str, Any]] | ToolNode,
    *,
    prompt: Prompt | None = None,
    response_format: ResponseFormat | None = None,
    pre_model_hook: Any = None,
    post_model_hook: Any = None,
    state_schema: Any = None,
    context_schema: Any = None,
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
    bound. ``tools`` may include provider built-in tools as dicts (``{"type": "web_search"}``...):
    they are bound to the model only (the provider runs them), not given to the tools node. Or
    a *dynamic model*: a function ``model(state, runtime)`` (sync or ``async``)
    returning the chat model to call, called on every model call with the state and the run's
    :class:`~actorgraph.runtime.Runtime` (``runtime.context``...); its model is used as it
    is (bind the tools yourself) for the reply and for ``response_format``. An ``async`` one
    under the sync API raises ``RuntimeError`` (as LangGraph). ``tools``: tools or plain
    functions (or provider tool dicts, bound to the model only), or a :class:`ToolNode`.
    ``prompt``: a string or ``SystemMessage`` put before the messages, a function of the state
    returning the model's input (it may declare ``config``, ``store``, ``runtime`` and
    ``writer`` parameters, given by name as a node's), or a Runnable invoked with the state;
    the prompt is not stored in the state.

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
    one ``"tools"`` task (concurrently, see :class:`ToolNode`).

    ``pre_model_hook``: a node (function or Runnable of the state) run before every model call,
    as node ``"pre_model_hook"`` (``START`` and ``"tools"`` lead to it, it leads to
    ``"agent"``). Its update is applied to the state; if it returns ``llm_input_messages``, the
    model is called with those instead of ``messages`` (the prompt still goes first), and they
    are not kept in the state's output; returning ``messages`` changes the state's messages
    (e.g. ``RemoveMessage(REMOVE_ALL_MESSAGES)`` then the ones to keep).

    ``post_model_hook``: a node run after every model call, as node ``"post_model_hook"``
    (``"agent" -> "post_model_hook"``); its router then sends the last ``AIMessage``'s tool
    calls that have no ``ToolMessage`` yet to ``"tools"`` (one task each, in both versions),
    else goes back to the first node if the last message is a ``ToolMessage``, else to
    ``"generate_structured_response"`` or ``END``. With ``version="v1"`` and tool calls the
    ``"agent"`` router's ``"tools"`` is not one of its destinations: the run raises
    ``KeyError('tools')`` (as LangGraph 1.2.24 does).

    ``response_format``: a pydantic model class, a JSON schema dict (or anything the model's
    ``with_structured_output`` takes), or ``(system_prompt, schema)``. Adds node
    ``"generate_structured_response"``, run once the model answers without tool calls (after
    ``post_model_hook`` if any), which calls the model (unwrapped from its bound tools; it must
    be a ``BaseChatModel``, else ``TypeError``) with ``with_structured_output(schema)`` on the
    state's messages (the ``prompt`` is not used; ``system_prompt`` goes first) and stores the
    result under ``structured_response``; the default state then is
    :class:`AgentStateWithStructuredResponse`.

    ``state_schema`` must have the keys ``messages`` and ``remaining_steps`` (and
    ``structured_response`` with a ``response_format``): ``ValueError`` naming the missing
    ones. ``context_schema``: the graph's context schema (``invoke(..., context=...)``, read
    with ``get_runtime().context``).

    On trio, use sync models and tools (langchain-core's async API is asyncio-only).
    """
    if isinstance(model, str):
        raise TypeError("create_react_agent() takes a chat model instance, not a model name")
    if version not in ("v1", "v2"):
        raise ValueError(f"Invalid version {version!r}, expected 'v1' or 'v2'")
    if state_schema is not None:
        required = {"messages", "remaining_steps"} | ({"structured_response"} if response_format is not None else set())
        missing = required - set(typing.get_type_hints(state_schema, include_extras=True))
        if missing:
            shown = "{" + ", ".join(repr(k) for k in sorted(missing)) + "}"
            raise ValueError(f"Missing required key(s) {shown} in state_schema")
    else:
        state_schema = AgentStateWithStructuredResponse if response_format is not None else AgentState
    builtin = [] if isinstance(tools, ToolNode) else [t for t in tools if isinstance(t, dict)]
    tool_node = tools if isinstance(tools, ToolNode) else ToolNode([t for t in tools if not isinstance(t, dict)])
    tool_list = list(tool_node.tools_by_name.values())
    dynamic = not isinstance(model, Runnable) and callable(model)
    async_dynamic = dynamic and inspect.iscoroutinefunction(model)
    bound = model if dynamic or not (tool_list or builtin) else _bind(model, [*tool_list, *builtin])
    direct = {t.name for t in tool_list if t.return_direct}
    make_input = _prompt_runnable(prompt)
    hooked = pre_model_hook is not None

    def reply(state: Any, response: Any) -> dict[str, list[Any]]:
        if _needs_more_steps(state, response, direct):
            return {"messages": [AIMessage(id=response.id, content=NEED_MORE_STEPS)]}
        if isinstance(response, BaseMessage):
            response.name = name
        return {"messages": [response]}

    static_model = make_input | bound  # traced as LangGraph's: a RunnableSequence of Prompt, model

    def chosen(state: Any) -> Any:
        """The chat model of this call: ``model`` itself, or what the dynamic model returns."""
        if not dynamic:
            return bound
        if async_dynamic:
            raise RuntimeError(
                "create_react_agent() was given an async model callable and invoked synchronously: use "
                "ainvoke()/astream(), or a sync model callable"
            )
        return model(state, get_runtime())

    async def achosen(state: Any) -> Any:
        if async_dynamic:
            return await model(state, get_runtime())
        return chosen(state)

    # the model runs with the node's config, not call_model's: its runs are call_model's
    # siblings under the node's run, as in LangGraph
    def call_model(state: Any, config: RunnableConfig) -> dict[str, list[Any]]:
        runnable = make_input | chosen(state) if dynamic else static_model
        return reply(state, runnable.invoke(_model_input(state, hooked), get_config()))

    async def acall_model(state: Any, config: RunnableConfig) -> dict[str, list[Any]]:
        runnable = make_input | await achosen(state) if dynamic else static_model
        return reply(state, await runnable.ainvoke(_model_input(state, hooked), get_config()))

    def structured_call(state: Any, chat_model: Any) -> tuple[Runnable[Any, Any], list[Any]]:
        assert response_format is not None
        messages, schema = _messages(state), response_format
        if isinstance(response_format, tuple):
            system, schema = response_format
            messages = [SystemMessage(content=system), *messages]
        return _chat_model(chat_model).with_structured_output(schema), messages

    def generate_structured_response(state: Any, config: RunnableConfig) -> dict[str, Any]:
        runnable, messages = structured_call(state, chosen(state))
        return {"structured_response": runnable.invoke(messages, typing.cast(RunnableConfig, get_config()))}

    async def agenerate_structured_response(state: Any, config: RunnableConfig) -> dict[str, Any]:
        runnable, messages = structured_call(state, await achosen(state))
        return {"structured_response": await runnable.ainvoke(messages, typing.cast(RunnableConfig, get_config()))}

    graph = StateGraph(state_schema, context_schema=context_schema)
    graph.add_node(AGENT, _NodeCallable(call_model, afunc=acall_model, name="call_model"),
                   input_schema=_with_llm_input(state_schema) if hooked else None)
    if tool_list:
        graph.add_node(TOOLS, tool_node)
    entry = AGENT
    if hooked:
        graph.add_node(PRE_MODEL_HOOK, pre_model_hook)
        graph.add_edge(PRE_MODEL_HOOK, AGENT)
        entry = PRE_MODEL_HOOK
    graph.add_edge(START, entry)
    if post_model_hook is not None:
        graph.add_node(POST_MODEL_HOOK, post_model_hook)
        graph.add_edge(AGENT, POST_MODEL_HOOK)
    if response_format is not None:
        # its class (a pydantic model...) is the state's structured_response: checkpointed as
        # itself, as the classes a state schema names are (LangGraph stores any class)
        register_schema_types(response_format[1] if isinstance(response_format, tuple) else response_format)
        graph.add_node(STRUCTURED, _NodeCallable(generate_structured_response, afunc=agenerate_structured_response,
                                                  name=STRUCTURED))
    # where the run goes once the model answers without tool calls
    done = STRUCTURED if response_format is not None else END

    if not tool_list:
        last = POST_MODEL_HOOK if post_model_hook is not None else AGENT
        graph.add_edge(last, done)
        return _compiled(graph, checkpointer, store, interrupt_before, interrupt_after, debug, name)

    def should_continue(state: Any) -> str | list[Send]:  # (LangGraph's router's name, seen by tracing)
        last_message = _messages(state)[-1]
        if not isinstance(last_message, AIMessage) or not last_message.tool_calls:
            return POST_MODEL_HOOK if post_model_hook is not None else done
        if version == "v1":
            return TOOLS
        if post_model_hook is not None:
            return POST_MODEL_HOOK
        return _sends(state, last_message.tool_calls)

    if post_model_hook is not None:
        def post_model_hook_router(state: Any) -> str | list[Send]:
            messages = _messages(state)
            answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
            last_ai = next(m for m in reversed(messages) if isinstance(m, AIMessage))
            pending = [c for c in last_ai.tool_calls if c["id"] not in answered]
            if pending:
                return _sends(state, pending)
            if isinstance(messages[-1], ToolMessage):
                return entry
            return done

        graph.add_conditional_edges(POST_MODEL_HOOK, post_model_hook_router, [entry, TOOLS, done])
        graph.add_conditional_edges(AGENT, should_continue, [POST_MODEL_HOOK])
    else:
        graph.add_conditional_edges(AGENT, should_continue, [TOOLS, done])
    if direct:
        def route_tool_responses(state: Any) -> str:
            for message in reversed(_messages(state)):
                if not isinstance(message, ToolMessage):
                    # the reply whose calls these answer: a return_direct call among them
                    # ends the run even when its answer is not named after the tool
                    if any(c["name"] in direct for c in getattr(message, "tool_calls", None) or ()):
                        return END
                    break
                if message.name in direct:
                    return END
            return entry

        graph.add_conditional_edges(TOOLS, route_tool_responses, [entry, END])
    else:
        graph.add_edge(TOOLS, entry)
    return _compiled(graph, checkpointer, store, interrupt_before, interrupt_after, debug, name)


def _compiled(graph: StateGraph, checkpointer: Any, store: Any, interrupt_before: list[str] | None,
              interrupt_after: list[str] | None, debug: bool, name: str | None) -> Any:
    return graph.compile(checkpointer=checkpointer, store=store, interrupt_before=interrupt_before,
                         interrupt_after=interrupt_after, debug=debug, name=name)


def _with_llm_input(state_schema: Any) -> Any:
    """The ``"agent"`` node's input schema with a ``pre_model_hook``: the state's keys and
    ``llm_input_messages`` (so the hook's ``llm_input_messages`` reach the model, but not the
    graph's output)."""
    if isinstance(state_schema, type) and issubclass(state_schema, BaseModel):
        return create_model("CallModelInputSchema", llm_input_messages=(list[AnyMessage], []), __base__=state_schema)
    annotations = {"llm_input_messages": list[AnyMessage]}
    return types.new_class("CallModelInputSchema", (state_schema,), {},
                           lambda ns: ns.update({"__annotations__": annotations, "__module__": __name__}))


def _model_input(state: Any, hooked: bool) -> Any:
    """The state the prompt gets: with a ``pre_model_hook``, ``messages`` are its
    ``llm_input_messages`` when it gave some."""
    if not hooked:
        return state
    llm_input = _field(state, "llm_input_messages")
    if not llm_input:
        return state
    if isinstance(state, dict):
        return {**state, "messages": llm_input}
    if isinstance(state, BaseModel):
        return state.model_copy(update={"messages": llm_input})
    setattr(state, "messages", llm_input)
    return state


def _chat_model(model: Any) -> Any:
    """The chat model under its bound tools, for ``with_structured_output``."""
    if isinstance(model, RunnableBinding):
        model = model.bound
    if not isinstance(model, BaseChatModel):
        raise TypeError(
            "response_format needs a chat model (a BaseChatModel, or one with tools bound), "
            f"got {type(model)}"
        )
    return model


def _sends(state: Any, calls: Sequence[Any]) -> list[Send]:
    """``version="v2"``: one ``"tools"`` task per tool call, with the state for injection."""
    return [Send("tools", {"__type": TOOL_CALL_WITH_CONTEXT, "tool_call": call, "state": state})
            for call in calls]


def _bind(model: Any, tools: list[BaseTool | dict[str, Any]]) -> Any:
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

    return _NodeCallable(fn, afn, name="Prompt", takes_config=False)


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
        return RunnableLambda(_with_injected(prompt), name="Prompt")
    raise ValueError(f"Got unexpected type for prompt: {type(prompt)}")


_INJECTED: dict[str, Callable[[], Any]] = {
    "store": get_store, "runtime": get_runtime, "writer": get_stream_writer}
"""What a prompt function gets by parameter name besides ``config``, as in LangGraph."""


def _with_injected(prompt: Callable[..., Any]) -> Callable[..., Any]:
    """A prompt function that declares ``store``, ``runtime`` or ``writer`` gets the node's
    (LangGraph passes them as its node functions get them); ``config`` is ``RunnableLambda``'s
    own. Any other prompt function as it is."""
    try:
        params = inspect.signature(prompt).parameters
    except (TypeError, ValueError):  # (a builtin or C callable: it declares none)
        return prompt
    wanted = [name for name in _INJECTED if name in params]
    if not wanted:
        return prompt
    takes_config = "config" in params

    def kwargs(config: RunnableConfig) -> dict[str, Any]:
        given = {name: _INJECTED[name]() for name in wanted}
        if takes_config:
            given["config"] = config
        return given

    if inspect.iscoroutinefunction(prompt):
        async def ainjected(state: Any, config: RunnableConfig) -> Any:
            return await prompt(state, **kwargs(config))

        return ainjected

    def injected(state: Any, config: RunnableConfig) -> Any:
        return prompt(state, **kwargs(config))

    return injected


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
