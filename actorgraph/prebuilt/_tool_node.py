"""``ToolNode``: run the tool calls of the latest ``AIMessage``; ``tools_condition`` routes to it.

Behaviour follows LangGraph's prebuilt ``ToolNode`` (langgraph-prebuilt 1.x, observed): one
``ToolMessage`` per tool call, in the calls' order, produced by the tool itself
(``tool.invoke(tool_call)``: langchain-core formats the content and sets ``name`` and
``tool_call_id``); an unknown tool name and arguments that fail the tool's schema become error
``ToolMessage``s (``status="error"``); other exceptions of a tool propagate unless
``handle_tool_errors`` says otherwise. Calls of one message run concurrently.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import inspect
import json
import types
import typing
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, Literal, Union

from langchain_core.messages import AIMessage, RemoveMessage, ToolMessage
from langchain_core.messages.tool import ToolOutputMixin
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import get_executor_for_config
from langchain_core.tools import BaseTool, InjectedToolArg, StructuredTool, Tool, ToolException
from langchain_core.tools import tool as as_tool
from langchain_core.tools.base import TOOL_MESSAGE_BLOCK_TYPES, _DirectlyInjectedToolArg
from pydantic import ValidationError
from typing_extensions import TypeVar

from ..errors import GraphBubbleUp, is_invalid_resume
from ..graph import END
from ..graph.message import REMOVE_ALL_MESSAGES
from ..types import Command, Send

TOOL_CALL_WITH_CONTEXT: typing.Final = "tool_call_with_context"
"""The ``__type`` of the input :func:`create_react_agent` (``version="v2"``) sends to its
``"tools"`` node for one tool call: ``{"__type": "tool_call_with_context", "tool_call": call,
"state": state}`` (LangGraph's ``ToolCallWithContext``)."""

INVALID_TOOL_NAME_ERROR_TEMPLATE: typing.Final = (
    "Error: {requested_tool} is not a valid tool, try one of [{available_tools}]."
)
"""The content of the error ``ToolMessage`` answering a call of an unknown tool (LangGraph's name)."""
TOOL_CALL_ERROR_TEMPLATE: typing.Final = "Error: {error}\n Please fix your mistakes."
"""The content of the error ``ToolMessage`` of a failed call caught by ``handle_tool_errors=True``
(or an exception type/tuple), with ``error=repr(exception)`` (LangGraph's name)."""


# typing_extensions' TypeVar (langchain-core needs it): with LangGraph's defaults, so that
# ToolRuntime[Context] and a bare ToolRuntime work as LangGraph's
ContextT = TypeVar("ContextT", default=None)
StateT = TypeVar("StateT", default=dict[str, Any])


@dataclasses.dataclass
class ToolRuntime(_DirectlyInjectedToolArg, Generic[ContextT, StateT]):
    """What :class:`ToolNode` passes to a tool parameter annotated ``ToolRuntime`` (or
    ``ToolRuntime[Context, State]``; any parameter name, no ``Annotated`` needed). The
    parameter is left out of the tool's schema: the model never sees it.

    * ``state``: the graph state the call runs in (what ``InjectedState`` gets; for a
      ``create_react_agent`` ``version="v2"`` call, the state sent with the call);
    * ``context``: the run's ``context=`` object (``None`` when none was passed);
    * ``config``: the config the :class:`ToolNode` was invoked with;
    * ``stream_writer``: emits a chunk on the ``custom`` stream mode (the node's writer);
    * ``tool_call_id``: the id of the call being run;
    * ``store``: the graph's store (``compile(store=...)``), else ``None``;
    * ``tools``: the :class:`ToolNode`'s tools, in the order given;
    * ``execution_info``: the node attempt's ``ExecutionInfo``; ``server_info``: ``None``.

    Outside a graph (``ToolNode.invoke`` called directly) ``context``, ``store`` and
    ``execution_info`` are ``None`` and the writers do nothing.
    """

    state: StateT
    context: ContextT
    config: RunnableConfig
    stream_writer: Callable[[Any], None]
    tool_call_id: str | None
    store: Any
    tools: list[BaseTool] = dataclasses.field(default_factory=list)
    execution_info: Any = None
    server_info: Any = None

    def emit_output_delta(self, delta: Any) -> None:
        """Emit ``delta`` (any value, as it is) on the ``tools`` stream mode as this call's
        ``{"event": "tool-output-delta", "tool_call_id": ..., "delta": delta}``, between its
        ``tool-started`` and ``tool-finished`` events. Does nothing when nobody streams
        ``tools`` (nor for a runtime made by hand)."""
        writer = self.__dict__.get("_delta_writer")
        if writer is not None:
            writer(delta)


class InjectedState(InjectedToolArg):
    """Marks a tool argument that receives the graph state instead of a value from the model:
    ``state: Annotated[dict, InjectedState]``, or one key of it:
    ``messages: Annotated[list, InjectedState("messages")]``. The model does not see it in the
    tool's schema."""

    def __init__(self, field: str | None = None) -> None:
        self.field = field


class InjectedStore(InjectedToolArg):
    """Marks a tool argument that receives the graph's store (``compile(store=...)``):
    ``store: Annotated[Any, InjectedStore()]``. The model does not see it."""


class ToolInvocationError(ToolException):
    """The model called a tool with arguments its schema rejects. The message lists each
    validation error (``loc: msg``, injected arguments left out) and asks the model to fix
    them; by default :class:`ToolNode` returns it to the model as an error ``ToolMessage``."""

    def __init__(self, tool_name: str, source: ValidationError, tool_kwargs: dict[str, Any],
                 injected: Sequence[str] = ()) -> None:
        errors = [e for e in source.errors() if not (e["loc"] and e["loc"][0] in injected)]
        details = "\n".join(f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in errors)
        super().__init__(
            f"Error invoking tool '{tool_name}' with kwargs {tool_kwargs} with error:\n {details}\n"
            " Please fix the error and try again."
        )
        self.tool_name = tool_name
        self.tool_kwargs = tool_kwargs
        self.source = source
        self.errors = errors


class _RequestOverrides(typing.TypedDict, total=False):
    tool_call: Any
    tool: BaseTool | None
    state: Any


@dataclasses.dataclass
class ToolCallRequest:
    """One tool call as :class:`ToolNode` hands it to ``wrap_tool_call``/``awrap_tool_call``:
    the call (``{"name", "args", "id", "type"}``), the tool it names (``None`` when the node
    has no tool of that name), the state, and the call's :class:`ToolRuntime`.

    Make a changed request with :meth:`override`; assigning an attribute still works but
    warns (``DeprecationWarning``), as in LangGraph."""

    tool_call: Any
    tool: BaseTool | None
    state: Any
    runtime: ToolRuntime[Any, Any]

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.__dict__:
            import warnings

            warnings.warn(
                f"Setting attribute '{name}' on ToolCallRequest is deprecated: make a new request with "
                "override() instead", DeprecationWarning, stacklevel=2,
            )
        object.__setattr__(self, name, value)

    def override(self, **overrides: typing.Unpack[_RequestOverrides]) -> ToolCallRequest:
        """A new request with ``tool_call``, ``tool`` and/or ``state`` replaced (this one is
        left as it is). A new ``state`` replaces the runtime's state too, so the tool sees it
        through ``InjectedState`` and ``ToolRuntime`` alike. ``TypeError`` for another key."""
        unknown = sorted(set(overrides) - {"tool_call", "tool", "state"})
        if unknown:
            raise TypeError(f"ToolCallRequest.override() takes tool_call, tool and state, got {unknown}")
        request = dataclasses.replace(self, **overrides)
        if "state" in overrides:
            object.__setattr__(request, "runtime", dataclasses.replace(request.runtime, state=request.state))
        return request


ToolCallWrapper = Callable[[ToolCallRequest, Callable[[ToolCallRequest], Any]], Any]
"""``wrap_tool_call(request, execute) -> ToolMessage | Command``."""

AsyncToolCallWrapper = Callable[[ToolCallRequest, Callable[[ToolCallRequest], Awaitable[Any]]], Awaitable[Any]]
"""``async awrap_tool_call(request, execute) -> ToolMessage | Command`` (``execute`` is async)."""


ErrorHandling = Union[
    bool, str, Callable[..., str], type[Exception], tuple[type[Exception], ...], None,
]


class ToolNode(Runnable[Any, Any]):
    """A graph node that runs the tool calls of the latest ``AIMessage`` in the state.

    ``tools``: langchain-core tools or plain functions (made tools with ``@tool``'s rules).
    Input: a state with ``messages_key`` (a dict or an object), or a list of messages, or one
    tool call with the state to inject (``{"__type": "tool_call_with_context", "tool_call":
    call, "state": state}``, what :func:`create_react_agent` ``version="v2"`` sends to each
    call's task), or a list of tool calls (``{"name", "args", "id", "type": "tool_call"}``: an
    injected state is the calling node's). Output: ``{messages_key: [ToolMessage, ...]}`` (a
    list of messages for a list of messages); when a tool
    returns a ``Command``, a list with, in call order, that ``Command`` and ``{messages_key:
    [message]}`` for each other call. A ``Command``'s update must hold a ``ToolMessage``
    answering the call (``ValueError`` otherwise); that answer's ``name`` is set to the tool's.

    ``handle_tool_errors`` (what a failing call becomes): by default only
    :class:`ToolInvocationError` (arguments the schema rejects) turns into an error message,
    anything else propagates; ``True`` catches every exception (``"Error: {exc!r}\\n Please fix
    your mistakes."``); a string is the content to answer with; a callable ``handler(exc) ->
    str`` catches the exception types of its first parameter's annotation (all if none); an
    exception type or tuple catches those; ``False`` catches nothing. ``interrupt()`` and
    other control-flow exceptions of the graph always propagate. An unknown tool name always
    answers ``"Error: {name} is not a valid tool, try one of [{names}]."``.

    Arguments annotated :class:`InjectedState` / :class:`InjectedStore` are filled in from the
    state (list input: ``{messages_key: messages}``) and the graph's store; a parameter
    annotated :class:`ToolRuntime` gets the call's runtime (that state, the run's context,
    store and writers, the call's id).

    ``wrap_tool_call(request, execute)``: called for each call with its
    :class:`ToolCallRequest` and ``execute(request)``, which runs the request's tool on the
    request's call (the node's usual handling: an unknown tool's error message, injection from
    the request's runtime, ``handle_tool_errors``) and returns its ``ToolMessage`` or
    ``Command``. What the wrapper returns (a ``ToolMessage`` or ``Command``, else
    ``TypeError``) is the call's answer as it is; it may call ``execute`` several times, with
    changed requests (:meth:`ToolCallRequest.override`), or not at all. An exception out of the
    wrapper propagates under the default ``handle_tool_errors`` (unless a
    ``ToolInvocationError``) and ``False``; any other setting answers it with an error message
    (a type or tuple whatever the exception's type; a callable is called with it).
    ``awrap_tool_call``: the same with an async ``execute``, used by ``ainvoke``; ``ainvoke``
    without it calls ``wrap_tool_call`` with the sync ``execute``, ``invoke`` ignores it.

    Calls of one message run concurrently: ``invoke`` in langchain-core's executor (threads,
    ``max_concurrency`` from the config), ``ainvoke`` with ``asyncio.gather`` (asyncio only:
    in a graph on trio the node runs ``invoke``, so async-only tools do not run there).
    """

    def __init__(
        self,
        tools: Sequence[BaseTool | Callable[..., Any]],
        *,
        name: str = "tools",
        tags: list[str] | None = None,
        handle_tool_errors: ErrorHandling = None,
        messages_key: str = "messages",
        wrap_tool_call: ToolCallWrapper | None = None,
        awrap_tool_call: AsyncToolCallWrapper | None = None,
    ) -> None:
        self.wrap_tool_call = wrap_tool_call
        self.awrap_tool_call = awrap_tool_call
        self.name = name
        self.tags = tags
        self.handle_tool_errors = handle_tool_errors
        self.messages_key = messages_key
        self.tools_by_name: dict[str, BaseTool] = {}
        self._injected: dict[str, dict[str, Any]] = {}
        for given in tools:
            t = given if isinstance(given, BaseTool) else as_tool(given)
            self.tools_by_name[t.name] = t
            self._injected[t.name] = _injected_args(t)
        self._runnable_tools = {n: _passing_commands(t) for n, t in self.tools_by_name.items()}

    def __repr__(self) -> str:
        return f"ToolNode(tools={list(self.tools_by_name)!r}, name={self.name!r})"

    # -- Runnable ---------------------------------------------------------------------------

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        calls, state, as_list = self._parse(input)
        base = self._base_runtime(state, config)
        if len(calls) == 1:
            outputs = [self._run_one(calls[0], base, config)]
        else:
            with get_executor_for_config(config) as executor:
                outputs = list(executor.map(lambda call: self._run_one(call, base, config), calls))
        return self._combine(outputs, as_list)

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        calls, state, as_list = self._parse(input)
        base = self._base_runtime(state, config)
        outputs = await asyncio.gather(*(self._arun_one(call, base, config) for call in calls))
        return self._combine(list(outputs), as_list)

    # -- one call ---------------------------------------------------------------------------

    def _base_runtime(self, state: Any, config: RunnableConfig | None) -> ToolRuntime[Any, Any]:
        """The :class:`ToolRuntime` of this invocation, without a call's id: the node's
        runtime (context, store, writer, execution info) when run in a graph."""
        from ..runtime import Runtime, get_runtime

        try:
            runtime: Runtime[Any] = get_runtime()
        except RuntimeError:  # invoked outside a graph
            return ToolRuntime(state=state, context=None, config=config or {}, stream_writer=_no_write,
                               tool_call_id=None, store=None, tools=list(self.tools_by_name.values()))
        return ToolRuntime(state=state, context=runtime.context, config=config or {},
                           stream_writer=runtime.stream_writer, tool_call_id=None, store=runtime.store,
                           tools=list(self.tools_by_name.values()), execution_info=runtime.execution_info,
                           server_info=runtime.server_info)

    def _request(self, call: dict[str, Any], base: ToolRuntime[Any, Any]) -> ToolCallRequest:
        return ToolCallRequest(tool_call=call, tool=self.tools_by_name.get(call["name"]), state=base.state,
                               runtime=_call_runtime(base, call["id"]))

    def _run_one(self, call: dict[str, Any], base: ToolRuntime[Any, Any], config: RunnableConfig | None) -> Any:
        request = self._request(call, base)
        wrap = self.wrap_tool_call
        if wrap is None:
            return self._execute(request, config)

        def execute(req: ToolCallRequest) -> Any:
            return self._execute(req, config)

        try:
            result = wrap(request, execute)
        except GraphBubbleUp:
            raise
        except Exception as exc:
            if is_invalid_resume(exc):  # (as LangGraph: no model can fix a human's answer)
                raise
            return self._on_wrapper_error(exc, request.tool_call)
        return _wrapper_result(result, request.tool_call, "wrap_tool_call")

    async def _arun_one(self, call: dict[str, Any], base: ToolRuntime[Any, Any],
                        config: RunnableConfig | None) -> Any:
        request = self._request(call, base)
        awrap, wrap = self.awrap_tool_call, self.wrap_tool_call
        if awrap is None and wrap is None:
            return await self._aexecute(request, config)

        async def aexecute(req: ToolCallRequest) -> Any:
            return await self._aexecute(req, config)

        def execute(req: ToolCallRequest) -> Any:
            return self._execute(req, config)

        try:
            if awrap is not None:
                result, which = await awrap(request, aexecute), "awrap_tool_call"
            else:  # (as LangGraph: the sync wrapper, with the sync execution, on the event loop)
                assert wrap is not None
                result, which = wrap(request, execute), "wrap_tool_call"
        except GraphBubbleUp:
            raise
        except Exception as exc:
            if is_invalid_resume(exc):  # (as LangGraph: no model can fix a human's answer)
                raise
            return self._on_wrapper_error(exc, request.tool_call)
        return _wrapper_result(result, request.tool_call, which)

    def _execute(self, request: ToolCallRequest, config: RunnableConfig | None) -> Any:
        """Run the request's tool on its call (``invoke``): a ``ToolMessage`` or ``Command``."""
        call, tool = request.tool_call, request.tool
        if tool is None:
            return self._unregistered(call)
        runnable, injected = self._prepared(tool)
        tool_call = self._with_injected(call, request.runtime, injected)
        try:
            output = runnable.invoke(tool_call, config)
        except GraphBubbleUp:
            raise
        except Exception as exc:
            if is_invalid_resume(exc):  # an interrupt() in the tool got an answer its schema refuses
                raise
            return self._on_error(self._located(exc, call, injected), call)
        return self._checked(output, call, isinstance(request.runtime.state, _ListInputState))

    async def _aexecute(self, request: ToolCallRequest, config: RunnableConfig | None) -> Any:
        """Run the request's tool on its call (``ainvoke``): a ``ToolMessage`` or ``Command``."""
        call, tool = request.tool_call, request.tool
        if tool is None:
            return self._unregistered(call)
        runnable, injected = self._prepared(tool)
        tool_call = self._with_injected(call, request.runtime, injected)
        try:
            output = await runnable.ainvoke(tool_call, config)
        except GraphBubbleUp:
            raise
        except Exception as exc:
            if is_invalid_resume(exc):  # an interrupt() in the tool got an answer its schema refuses
                raise
            return self._on_error(self._located(exc, call, injected), call)
        return self._checked(output, call, isinstance(request.runtime.state, _ListInputState))

    def _prepared(self, tool: BaseTool) -> tuple[BaseTool, dict[str, Any]]:
        """The tool as run (passing a returned ``Command`` through) and its injected arguments:
        prepared once for the node's tools, on each call for another (a wrapper's override)."""
        if self.tools_by_name.get(tool.name) is tool:
            return self._runnable_tools[tool.name], self._injected[tool.name]
        return _passing_commands(tool), _injected_args(tool)

    def _unregistered(self, call: dict[str, Any]) -> ToolMessage:
        if call["name"] in self.tools_by_name:  # a wrapper overrode the tool with None
            raise TypeError(f"Tool {call['name']} is not registered with ToolNode")
        return self._invalid(call)

    def _invalid(self, call: dict[str, Any]) -> ToolMessage:
        content = INVALID_TOOL_NAME_ERROR_TEMPLATE.format(requested_tool=call["name"],
                                                          available_tools=", ".join(self.tools_by_name))
        return ToolMessage(content=content, name=call["name"], tool_call_id=call["id"], status="error")

    def _with_injected(self, call: dict[str, Any], runtime: ToolRuntime[Any, Any],
                       injected: dict[str, Any]) -> dict[str, Any]:
        """The call with its injected arguments filled in (values the model gave for them are
        dropped). A state key the state lacks is left to the parameter's default if it has
        one, else raises ``KeyError`` (``AttributeError`` for an object state); a key other
        than ``messages_key`` for a list-of-messages input raises ``ValueError``. These are
        the graph's mistakes, not the model's: they propagate whatever ``handle_tool_errors``
        says (as LangGraph)."""
        if not injected:
            return {**call, "type": "tool_call"}
        state = runtime.state
        args = {k: v for k, v in call["args"].items() if k not in injected}
        for arg, marker in injected.items():
            if marker is ToolRuntime:
                args[arg] = runtime
            elif isinstance(marker, InjectedStore):
                args[arg] = _store(call["name"])
            elif isinstance(marker, _StateArg):
                field = marker.field
                if field is None:
                    args[arg] = state
                elif isinstance(state, _ListInputState) and field != self.messages_key:
                    raise ValueError(
                        f"Invalid input to ToolNode. Tool {call['name']} requires graph state dict as input. "
                        f"State should contain fields {field}."
                    )
                elif isinstance(state, dict):
                    if field in state:
                        args[arg] = state[field]
                    elif not marker.optional:
                        raise KeyError(field)
                elif hasattr(state, field):
                    args[arg] = getattr(state, field)
                elif not marker.optional:
                    raise AttributeError(field)
        return {**call, "args": args, "type": "tool_call"}

    def _located(self, exc: Exception, call: dict[str, Any], injected: dict[str, Any]) -> Exception:
        if isinstance(exc, ValidationError):
            return ToolInvocationError(call["name"], exc, call["args"], tuple(injected))
        return exc

    def _on_wrapper_error(self, exc: Exception, call: dict[str, Any]) -> ToolMessage:
        """What an exception out of a wrapper becomes (as LangGraph 1.2.24: any truthy
        ``handle_tool_errors`` answers it, whatever exception types it names; the default
        only a :class:`ToolInvocationError`)."""
        handling = self.handle_tool_errors
        if handling is None:
            if not isinstance(exc, ToolInvocationError):
                raise exc
            content = str(exc)
        elif not handling:
            raise exc
        elif isinstance(handling, str):
            content = handling
        elif isinstance(handling, (bool, type, tuple)):
            content = TOOL_CALL_ERROR_TEMPLATE.format(error=repr(exc))
        else:
            content = handling(exc)
        return ToolMessage(content=content, name=call["name"], tool_call_id=call["id"], status="error")

    def _on_error(self, exc: Exception, call: dict[str, Any]) -> ToolMessage:
        handling = self.handle_tool_errors
        if handling is None:  # the default: only arguments the schema rejects
            if not isinstance(exc, ToolInvocationError):
                raise exc
            content = str(exc)
        elif handling is False:
            raise exc
        elif handling is True:
            content = TOOL_CALL_ERROR_TEMPLATE.format(error=repr(exc))
        elif isinstance(handling, str):
            content = handling
        elif isinstance(handling, type) or isinstance(handling, tuple):
            if not isinstance(exc, handling):
                raise exc
            content = TOOL_CALL_ERROR_TEMPLATE.format(error=repr(exc))
        else:
            if not isinstance(exc, _handled_types(handling)):
                raise exc
            content = str(handling(exc))
        return ToolMessage(content=content, name=call["name"], tool_call_id=call["id"], status="error")

    def _checked(self, output: Any, call: dict[str, Any], list_input: bool) -> Any:
        """The call's answer: a ``Command``'s update must be a dict (``{messages_key: [...]}``)
        for a dict input and a list of messages for a list input (``ValueError``), and hold a
        ``ToolMessage`` answering the call unless sent to the parent graph or it only removes
        all messages (``RemoveMessage(REMOVE_ALL_MESSAGES)``)."""
        if isinstance(output, _Carried):
            output = output.command
        if isinstance(output, Command):
            update = output.update
            if isinstance(update, dict) and not list_input:
                messages = update.get(self.messages_key, [])
            elif isinstance(update, list) and list_input:
                messages = update
            elif isinstance(update, (dict, list)):
                given, expected = ("a dict", "a list of messages") if list_input else ("a list", "a dict")
                raise ValueError(
                    f"Tool '{call['name']}' returned a Command whose update is {given} ({update}); "
                    f"for a {'list of messages' if list_input else 'state'} input to ToolNode it must be {expected}"
                )
            else:
                return output
            if not isinstance(messages, list):
                messages = [messages]
            if [(type(m), getattr(m, "id", None)) for m in messages] == [(RemoveMessage, REMOVE_ALL_MESSAGES)]:
                return output
            answers = [m for m in messages if isinstance(m, ToolMessage) and m.tool_call_id == call["id"]]
            if output.graph is None and not answers:
                raise ValueError(
                    f"Expected to have a matching ToolMessage in Command.update for tool "
                    f"'{call['name']}', got: {messages}. Every tool call (LLM requesting to call a "
                    "tool) in the message history MUST have a corresponding ToolMessage. You can fix "
                    "it by modifying the tool to return `Command(update={\"messages\": "
                    "[ToolMessage(\"Success\", tool_call_id=tool_call_id), ...]}, ...)`."
                )
            for answer in answers:  # (named after the tool, as LangGraph: even if named otherwise)
                answer.name = call["name"]
            return output
        if isinstance(output, ToolMessage):
            output.content = _content(output.content)
            return output
        # Any other value: a tool that bypassed langchain-core's output formatting.
        return ToolMessage(content=str(output), name=call["name"], tool_call_id=call["id"])

    # -- input and output -------------------------------------------------------------------

    def _parse(self, input: Any) -> tuple[list[dict[str, Any]], Any, bool]:
        """(tool calls, the state injected into tools, whether the input was a list)."""
        if isinstance(input, dict) and input.get("__type") == TOOL_CALL_WITH_CONTEXT:
            if "tool_call" not in input or "state" not in input:
                raise ValueError(
                    f"A {TOOL_CALL_WITH_CONTEXT!r} input needs the keys 'tool_call' and 'state', "
                    f"got {sorted(input)}"
                )
            return [dict(input["tool_call"])], input["state"], False
        state: Any
        if isinstance(input, list) and input and isinstance(input[-1], dict) and input[-1].get("type") == "tool_call":
            # tool calls themselves (as LangGraph): answered as {messages_key: [...]}; an injected
            # state is the calling node's (None outside a graph)
            return [dict(c) for c in input], _calling_state(), False
        if isinstance(input, list):
            messages, state, as_list = input, _ListInputState({self.messages_key: input}), True
        elif isinstance(input, dict) and input.get(self.messages_key):
            messages, state, as_list = input[self.messages_key], input, False
        elif not isinstance(input, dict) and getattr(input, self.messages_key, None):
            messages, state, as_list = getattr(input, self.messages_key), input, False
        else:  # (no messages_key, or no messages under it: LangGraph's text)
            raise ValueError("No message found in input")
        latest = next((m for m in reversed(messages) if isinstance(m, AIMessage)), None)
        if latest is None:
            raise ValueError("No AIMessage found in input")
        return [dict(c) for c in latest.tool_calls], state, as_list

    def _combine(self, outputs: list[Any], as_list: bool) -> Any:
        """The node's output; ``Command(graph=PARENT)``s whose ``goto`` are all ``Send``s are
        merged into one, last (their ``Send``s in call order), as LangGraph."""
        if not any(isinstance(o, Command) for o in outputs):
            return outputs if as_list else {self.messages_key: outputs}
        combined: list[Any] = []
        sends: list[Send] = []
        for o in outputs:
            if isinstance(o, Command) and o.graph == Command.PARENT and isinstance(o.goto, list) \
                    and all(isinstance(g, Send) for g in o.goto):
                sends.extend(o.goto)
            else:
                combined.append(o if isinstance(o, Command) else ([o] if as_list else {self.messages_key: [o]}))
        if sends:
            combined.append(Command(graph=Command.PARENT, goto=sends))
        return combined


def _calling_state() -> Any:
    """The input of the graph task running now (the state a node got), None outside one."""
    from ..runtime._context import current_task  # (the runtime is loaded by then)

    ctx = current_task.get()
    return None if ctx is None else ctx.task.input


def tools_condition(state: Any, *args: str, messages_key: str = "messages") -> Literal["tools", "__end__"]:
    """``"tools"`` if the last message (of a list, or of the state's ``messages_key``) has tool
    calls, else ``END``: the router from the model node to a :class:`ToolNode` named
    ``"tools"``. ``ValueError`` when there is no message.

    ``messages_key`` may be given positionally, as in LangGraph: ``tools_condition(state,
    "msgs")`` (it is taken through ``*args`` so that the graph, which passes the config to a
    router with two positional parameters, calls this one with the state only); more than one
    extra positional argument, or the key given both ways, raises ``TypeError``."""
    if args:
        if len(args) > 1 or messages_key != "messages":
            raise TypeError(
                f"tools_condition() takes the state and one messages_key, got {len(args)} extra "
                f"positional argument(s) {args!r} and messages_key={messages_key!r}"
            )
        messages_key = args[0]
    if isinstance(state, list):
        messages = state
    elif isinstance(state, dict):
        messages = state.get(messages_key, [])
    else:
        messages = getattr(state, messages_key, [])
    if not messages:
        raise ValueError(f"No messages found in input state to tool_edge: {state}")
    if getattr(messages[-1], "tool_calls", None):
        return "tools"
    return END


def _content(content: Any) -> Any:
    """A tool's answer as ``ToolMessage`` content, as LangGraph formats it: a string, or a list
    of content blocks (dicts whose ``type`` is one of langchain-core's tool message block
    types), as it is; anything else (a list of strings...) as JSON (``ensure_ascii=False``), or
    ``str()`` when not JSON-serialisable."""
    if isinstance(content, str) or (isinstance(content, list) and all(
            isinstance(block, dict) and block.get("type") in TOOL_MESSAGE_BLOCK_TYPES for block in content)):
        return content
    try:
        return json.dumps(content, ensure_ascii=False)
    except Exception:  # not JSON-serialisable
        return str(content)


def _wrapper_result(result: Any, call: dict[str, Any], which: str) -> Any:
    """A wrapper's answer to a call, as it is (not checked against the call, as LangGraph);
    ``TypeError`` unless it is a ``ToolMessage`` or a ``Command``."""
    if isinstance(result, (ToolMessage, Command)):
        return result
    raise TypeError(
        f"{which} must return a ToolMessage or a Command for tool call {call.get('id')!r} "
        f"({call.get('name')!r}), got {type(result).__name__}: {result!r}"
    )


class _Carried(Command[Any], ToolOutputMixin):
    """A ``Command`` a tool returned, as a ``ToolOutputMixin`` so that langchain-core hands it
    back as it is (it passes these through instead of stringifying them into a
    ``ToolMessage``). Still a ``Command``: the tool run's callbacks (``on_tool_end``,
    ``astream_events``) see it as LangGraph's, whose ``Command`` is a ``ToolOutputMixin``."""

    __slots__ = ()

    @property
    def command(self) -> Command[Any]:
        return Command(graph=self.graph, update=self.update, resume=self.resume, goto=self.goto)


_Carried.__name__ = "Command"  # (what callbacks show: LangGraph's tool returned a Command)


def _carry(value: Any) -> Any:
    if isinstance(value, Command):
        return _Carried(graph=value.graph, update=value.update, resume=value.resume, goto=value.goto)
    return value


def _passing_commands(tool: BaseTool) -> BaseTool:
    """A copy of ``tool`` whose functions wrap a returned ``Command`` for
    :meth:`ToolNode._checked` (langchain-core would stringify it into a ``ToolMessage``): a
    function tool's (``@tool``, ``StructuredTool``, ``Tool``) ``func``/``coroutine``, another
    ``BaseTool``'s ``_run``/``_arun`` (set on the copy, keeping their signatures, which
    langchain-core inspects)."""
    update: dict[str, Any] = {}
    if isinstance(tool, (StructuredTool, Tool)):
        func = tool.func
        if func is not None:
            update["func"] = _carrying(func)
        coroutine = tool.coroutine
        if coroutine is not None:
            update["coroutine"] = _acarrying(coroutine)
        return tool.model_copy(update=update)
    copy = tool.model_copy()
    object.__setattr__(copy, "_run", _carrying(copy._run))
    object.__setattr__(copy, "_arun", _acarrying(copy._arun))
    return copy


def _carrying(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        return _carry(func(*args, **kwargs))

    return run


def _acarrying(coroutine: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(coroutine)
    async def arun(*args: Any, **kwargs: Any) -> Any:
        return _carry(await coroutine(*args, **kwargs))

    return arun


class _StateArg(typing.NamedTuple):
    """An ``InjectedState`` argument: the state key (``None``: the whole state) and whether
    the parameter has a default (used when the state lacks the key)."""

    field: str | None
    optional: bool


class _ListInputState(dict[str, Any]):
    """The state injected for a list-of-messages input: ``{messages_key: messages}``."""


def _injected_args(tool: BaseTool) -> dict[str, Any]:
    """The tool's injected arguments: those marked InjectedState (a :class:`_StateArg`) /
    InjectedStore (the marker instance) and those annotated ToolRuntime (the class)."""
    found: dict[str, Any] = dict.fromkeys(_runtime_params(tool), ToolRuntime)
    try:
        schema: Any = tool.get_input_schema()  # Any: a pydantic (v1 or v2) model class
        fields: dict[str, Any] = schema.model_fields
    except Exception:  # a schema given as JSON: nothing else can be injected
        return found
    for arg, info in fields.items():
        for marker in getattr(info, "metadata", ()):
            if marker is InjectedState or marker is InjectedStore:
                marker = marker()
            if isinstance(marker, InjectedState):
                found[arg] = _StateArg(marker.field, marker.field is not None and not info.is_required())
            elif isinstance(marker, InjectedStore):
                found[arg] = marker
    return found


def _runtime_params(tool: BaseTool) -> list[str]:
    """The parameters of the tool's function (``func``/``coroutine`` of a function tool, else
    ``_run``/``_arun``) annotated ``ToolRuntime`` or ``ToolRuntime[...]``: those langchain-core
    leaves out of the schema and passes through from the call's arguments."""
    if isinstance(tool, (StructuredTool, Tool)):
        functions: list[Any] = [tool.func, tool.coroutine]
    else:
        functions = [tool._run, tool._arun]
    for function in functions:
        if function is None:
            continue
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            continue
        try:
            hints: dict[str, Any] = typing.get_type_hints(function, include_extras=True)
        except Exception:  # an unresolvable annotation: resolve none (as a string never matches)
            hints = {}
        names = [name for name, param in params.items() if _is_runtime_type(hints.get(name, param.annotation))]
        if names:
            return names
    return []


def _is_runtime_type(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    kind = typing.get_origin(annotation) or annotation
    return isinstance(kind, type) and issubclass(kind, ToolRuntime)


def _call_runtime(base: ToolRuntime[Any, Any], call_id: str) -> ToolRuntime[Any, Any]:
    """``base`` for one call: its ``tool_call_id``, and a delta writer to the ``tools`` stream
    mode when the call's callbacks stream it."""
    runtime = dataclasses.replace(base, tool_call_id=call_id)
    writer = _delta_writer(base.config, call_id)
    if writer is not None:
        runtime.__dict__["_delta_writer"] = writer
    return runtime


def _delta_writer(config: RunnableConfig, call_id: str) -> Callable[[Any], None] | None:
    """A writer of ``tool-output-delta`` events for the call (None when nobody streams the
    ``tools`` mode of its run): see ``_langchain_trace.tool_output_writer``."""
    from .._langchain_trace import tool_output_writer

    return tool_output_writer(config, call_id)


def _no_write(chunk: Any) -> None:
    return None


def _store(tool_name: str) -> Any:
    from ..runtime import get_store

    store = get_store()
    if store is None:
        raise ValueError(
            f"Tool '{tool_name}' takes an InjectedStore argument, and the graph has no store: "
            "compile it with one (compile(store=...))"
        )
    return store


def _handled_types(handler: Callable[..., Any]) -> tuple[type[BaseException], ...]:
    """The exception types a handler function declares by its first parameter's annotation
    (``Exception`` when it declares none)."""
    try:
        hints = typing.get_type_hints(handler)
        first = next(iter(inspect.signature(handler).parameters))
    except Exception:  # unresolvable hints, no parameters: catch everything
        return (Exception,)
    hint = hints.get(first)
    if isinstance(hint, type) and issubclass(hint, BaseException):
        return (hint,)
    if typing.get_origin(hint) in (Union, types.UnionType):
        members = tuple(a for a in typing.get_args(hint) if isinstance(a, type) and issubclass(a, BaseException))
        if members:
            return members
    return (Exception,)
