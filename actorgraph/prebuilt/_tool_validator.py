"""``ValidationNode``: check the tool calls of the latest ``AIMessage`` against their schemas.

Behaviour follows LangGraph's prebuilt ``ValidationNode`` (LangGraph 1.2.24, observed): the
node does not run any tool; it answers each tool call with a ``ToolMessage`` whose content is
the call's arguments validated by the pydantic model of the schema of that name (serialized as
JSON) or, when validation fails, the formatted error (``additional_kwargs={"is_error": True}``),
so that a model can be asked again. Deprecated in LangGraph 1.0 (``LangGraphDeprecatedSinceV10``
on construction), as there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, cast

from langchain_core.messages import AIMessage, ToolCall, ToolMessage
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import get_executor_for_config
from langchain_core.tools import BaseTool, create_schema_from_function
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel, ValidationError
from pydantic.v1 import BaseModel as BaseModelV1
from pydantic.v1 import ValidationError as ValidationErrorV1
from typing_extensions import deprecated

from ..warnings import LangGraphDeprecatedSinceV10

_DEPRECATION: Final = (
    "ValidationNode is deprecated. Please use `create_agent` from `langchain.agents` with custom "
    "tool error handling."
)
"""LangGraph's deprecation text (its ``LangGraphDeprecatedSinceV10`` adds the versions)."""

ErrorFormatter = Callable[[BaseException, ToolCall, type[BaseModel]], str]
"""``format_error(error, tool_call, schema) -> content`` of an invalid call's ``ToolMessage``
(``schema`` is the model the arguments failed, a pydantic v1 model for a v1 schema)."""


def _format_validation_error(error: BaseException, call: ToolCall, schema: type[BaseModel]) -> str:
    """The default ``format_error``: the error's ``repr`` and a request to fix the arguments."""
    return f"{error!r}\n\nRespond after fixing all validation errors."


@deprecated(_DEPRECATION, category=LangGraphDeprecatedSinceV10)
class ValidationNode(Runnable[Any, Any]):
    """A graph node that validates every tool call of the last message, an ``AIMessage``,
    without running any tool (for extraction: structured output checked against a schema,
    the original messages and tool call ids kept for the next turns).

    ``schemas``: what the calls are checked against, each known by a name the model calls:

    * a pydantic model class (v2, or v1 from ``pydantic.v1``): by its class name;
    * a langchain-core tool (``BaseTool``, e.g. a ``@tool``): its ``args_schema``, by the tool's
      name; ``ValueError`` when it has none or it is not a pydantic model class (a JSON Schema
      dict);
    * a function: the model langchain-core makes of its signature
      (``create_schema_from_function``, named ``"Validation"``), by the function's ``__name__``;

    anything else: ``ValueError``. ``schemas_by_name`` maps each name to its model.

    Input: a list of messages, or a state dict with a non-empty ``"messages"`` list (else
    ``ValueError("No message found in input")``); its last message must be an ``AIMessage``
    (``ValueError("Last message is not an AIMessage")``). Output: one ``ToolMessage`` per tool
    call, in the calls' order, with the call's ``name`` and ``tool_call_id`` — as a list for a
    list input, else as ``{"messages": [...]}``. A valid call's content is the validated model
    as JSON (``model_dump_json()``; ``json()`` for a v1 model); an invalid one's is
    ``format_error(error, call, schema)`` (by default ``repr(error)`` followed by
    ``"\\n\\nRespond after fixing all validation errors."``) with
    ``additional_kwargs={"is_error": True}``. Only pydantic's ``ValidationError`` (v2 or v1) is
    answered so; any other exception propagates, as does ``KeyError`` for a call of a name
    with no schema.

    The calls are validated concurrently in langchain-core's executor (threads,
    ``max_concurrency`` from the config). ``ainvoke`` runs the same sync validation, so the node
    runs on asyncio and on trio alike. ``name`` (default ``"validation"``) names the node when
    it is added to a graph without a name; ``tags`` are kept on the node.

    Deprecated in LangGraph 1.0: constructing one (or subclassing it) warns with
    :class:`~actorgraph.warnings.LangGraphDeprecatedSinceV10`, as LangGraph does.
    """

    def __init__(
        self,
        schemas: Sequence[BaseTool | type[BaseModel] | Callable[..., Any]],
        *,
        format_error: ErrorFormatter | None = None,
        name: str = "validation",
        tags: list[str] | None = None,
    ) -> None:
        self.name = name
        self.tags = tags
        self._format_error: ErrorFormatter = format_error or _format_validation_error
        self.schemas_by_name: dict[str, type[BaseModel]] = {}
        for schema in schemas:
            self.schemas_by_name.update([_named_model(schema)])

    def __repr__(self) -> str:
        return f"ValidationNode(schemas={list(self.schemas_by_name)!r}, name={self.name!r})"

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """Validate the tool calls of the input's last message (see the class)."""
        as_list, message = _last_ai_message(input)
        with get_executor_for_config(config) as executor:
            answers = list(executor.map(self._answer, message.tool_calls))
        return answers if as_list else {"messages": answers}

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """:meth:`invoke` (the validation is sync, as LangGraph's: no event loop API is used)."""
        return self.invoke(input, config, **kwargs)

    def _answer(self, call: ToolCall) -> ToolMessage:
        """The ``ToolMessage`` answering one call: its validated arguments or the error."""
        schema: type[Any] = self.schemas_by_name[call["name"]]
        call_id = cast(str, call["id"])
        try:
            if issubclass(schema, BaseModel):
                content = schema.model_validate(call["args"]).model_dump_json()
            elif issubclass(schema, BaseModelV1):
                content = schema.validate(call["args"]).json()
            else:  # (only a model class gets into schemas_by_name)
                raise ValueError(f"Unsupported schema type: {type(schema)}. Expected BaseModel or BaseModelV1.")
        except (ValidationError, ValidationErrorV1) as error:
            return ToolMessage(content=self._format_error(error, call, schema), name=call["name"],
                               tool_call_id=call_id, additional_kwargs={"is_error": True})
        return ToolMessage(content=content, name=call["name"], tool_call_id=call_id)


def _named_model(schema: Any) -> tuple[str, type[BaseModel]]:
    """(the name the model calls, the pydantic model its arguments are checked against)."""
    if isinstance(schema, BaseTool):
        args_schema = schema.args_schema
        if args_schema is None:
            raise ValueError(f"Tool {schema.name} does not have an args_schema defined.")
        if not (isinstance(args_schema, type) and is_basemodel_subclass(args_schema)):
            raise ValueError(
                "Validation node only works with tools that have a pydantic BaseModel args_schema. "
                f"Got {schema.name} with args_schema: {args_schema}."
            )
        return schema.name, cast(type[BaseModel], args_schema)  # (a v1 model too, as LangGraph types it)
    if isinstance(schema, type) and issubclass(schema, (BaseModel, BaseModelV1)):
        return schema.__name__, cast(type[BaseModel], schema)  # (a v1 model too, as LangGraph types it)
    if callable(schema):
        return str(schema.__name__), cast(type[BaseModel], create_schema_from_function("Validation", schema))
    raise ValueError(
        f"Unsupported input to ValidationNode. Expected BaseModel, tool or function. Got: {type(schema)}."
    )


def _last_ai_message(input: Any) -> tuple[bool, AIMessage]:
    """(whether the input is a list of messages, its last message, an ``AIMessage``)."""
    if isinstance(input, list):
        messages: Any = input
        as_list = True
    else:  # a dict state (anything else fails here, as in LangGraph: AttributeError)
        messages = input.get("messages", [])
        if not messages:
            raise ValueError("No message found in input")
        as_list = False
    message = messages[-1]  # (an empty list: IndexError, as in LangGraph)
    if not isinstance(message, AIMessage):
        raise ValueError("Last message is not an AIMessage")
    return as_list, message
