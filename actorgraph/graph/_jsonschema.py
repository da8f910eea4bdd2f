"""JSON Schemas of a graph's input, output and context (``get_input_jsonschema()`` ...) and
the pydantic models of its input and output (``get_input_schema()`` / ``get_output_schema()``).

They are the documents and models LangGraph 1.2 gives, made with pydantic (needed only here,
imported on first use): a pydantic model's own schema; a ``TypedDict``'s schema (titled after
it); for any other state class (dataclass, ``msgspec.Struct``) an object of the graph's keys
titled ``<graph name>Input`` / ``<graph name>Output``, with the schema's defaults.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Sequence
from typing import Any

from ._schema import FieldSpec, schema_fields


def _pydantic() -> Any:
    try:
        import pydantic
    except ImportError:  # pragma: no cover - pydantic is installed wherever the tests run
        raise ImportError("A graph's JSON schemas and schema models are made with pydantic, which "
                          "is not installed: `pip install pydantic`") from None
    return pydantic


def _is_model(schema: Any) -> bool:
    return isinstance(schema, type) and issubclass(schema, _pydantic().BaseModel)


def _is_typeddict(schema: Any) -> bool:
    # (typing's and typing_extensions' TypedDicts alike)
    return isinstance(schema, type) and issubclass(schema, dict) and hasattr(schema, "__required_keys__")


def _typeddict_schema(schema: type) -> dict[str, Any]:
    """pydantic's schema of a ``TypedDict``. (pydantic refuses ``typing.TypedDict`` before
    Python 3.12; then a model of the same fields, title and required keys stands in for it.)
    A ``TypedDict`` holding actorgraph's chat messages is given with their stand-ins (see
    :func:`_message_types`)."""
    pydantic = _pydantic()
    hints = typing.get_type_hints(schema, include_extras=True)
    table = _message_types()
    if any(_swap(hint, table) is not hint for hint in hints.values()):
        return dict(pydantic.TypeAdapter(_swapped_typeddict(schema, table)).json_schema())
    try:
        return dict(pydantic.TypeAdapter(schema).json_schema())
    except pydantic.PydanticUserError:
        pass
    walked = _typeddict_fields(schema)
    fields = {key: (hint, ... if required else None) for key, hint, required in walked}
    optional = {key for key, _, required in walked if not required}
    out = dict(pydantic.create_model(schema.__name__, **fields).model_json_schema())
    for key, prop in out.get("properties", {}).items():
        if key in optional:
            prop.pop("default", None)  # a key that may be missing, not one defaulting to None
    return out


def _any_schema(schema: Any) -> dict[str, Any]:
    pydantic = _pydantic()
    if _is_model(schema):
        return dict(schema.model_json_schema())
    if _is_typeddict(schema):
        return _typeddict_schema(schema)
    return dict(pydantic.TypeAdapter(schema).json_schema())


def _fields_schema(title: str, fields: dict[str, FieldSpec]) -> dict[str, Any]:
    pydantic = _pydantic()
    table = _message_types()
    definitions: dict[str, Any] = {
        key: (_swap(spec.annotation, table),
              spec.default if spec.has_default else None if _is_optional(spec.annotation) else ...)
        for key, spec in fields.items() if spec.managed is None
    }
    return dict(pydantic.create_model(title, **definitions).model_json_schema())


def _is_optional(annotation: Any) -> bool:
    """``annotation`` admits ``None`` (``Optional[X]``, ``X | None``, under ``Annotated`` too): a
    field of a (non-``TypedDict``) state class typed so and without a default is not required
    in its schema, defaulting to ``None``, as in LangGraph."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if annotation is None or annotation is type(None):
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_optional(arg) for arg in typing.get_args(annotation))
    return False


def io_json_schema(schema: Any, title: str) -> dict[str, Any]:
    """The JSON Schema of a graph's input or output ``schema``; ``title`` names it when the
    schema is neither a pydantic model nor a ``TypedDict`` (``"LangGraphInput"``)."""
    if _is_model(schema) or _is_typeddict(schema):
        return _any_schema(schema)
    return _fields_schema(title, schema_fields(schema))


def context_json_schema(schema: Any) -> dict[str, Any] | None:
    """The JSON Schema of a graph's ``context_schema`` (``None`` without one)."""
    return None if schema is None else _any_schema(schema)


def config_model(context: Any, name: str, include: Sequence[str] | None = None) -> Any:
    """The pydantic model of a graph's config, as LangGraph 1.2's deprecated ``config_schema()``
    gives it: a model named ``name`` with a ``configurable`` field of the ``context`` schema
    (when there is one, defaulting to ``None``) and the ``RunnableConfig`` keys ``include``
    names (with langchain-core; each defaulting to ``None``)."""
    pydantic = _pydantic()
    fields: dict[str, Any] = {}
    if context is not None:
        fields["configurable"] = (_pydantic_typeddict(context) if _is_typeddict(context) else context, None)
    wanted = [key for key in include or () if key != "configurable"]
    if wanted and _langchain_available():
        from langchain_core.runnables import RunnableConfig

        hints = typing.get_type_hints(RunnableConfig)
        fields.update({key: (hint, None) for key, hint in hints.items() if key in wanted})
    return pydantic.create_model(name, **fields)


def suffixed_name(name: str, suffix: str) -> str:
    """A graph's name with a suffix, as LangGraph (LangChain's ``Runnable.get_name``) forms
    it: ``"LangGraph"`` -> ``"LangGraphInput"``, ``"mygraph"`` -> ``"mygraph_input"``."""
    if name[:1].isupper():
        return name + suffix.title()
    return f"{name}_{suffix.lower()}"


def input_model(schema: Any, name: str) -> Any:
    """The pydantic model of a graph's input (``get_input_schema()``), as LangGraph 1.2's: a
    pydantic input schema itself, else a ``RootModel`` named ``name`` whose root is the input
    schema (a ``TypedDict``, a dataclass ...). (A ``typing.TypedDict``, which pydantic refuses
    before Python 3.12, is given as the ``typing_extensions`` one of the same fields.)"""
    return _input_model(schema, name, _langchain_available())


def _langchain_available() -> bool:
    from .. import _langchain

    return _langchain.available()


@functools.lru_cache(maxsize=256)  # (the same model for the same graph, as LangGraph's)
def _input_model(schema: Any, name: str, langchain: bool) -> Any:
    pydantic = _pydantic()
    if _is_model(schema):
        return schema
    root = _pydantic_typeddict(schema) if _is_typeddict(schema) else schema
    return pydantic.create_model(name, __base__=pydantic.RootModel, root=(root, ...))


def output_model(schema: Any, name: str, keys: tuple[str, ...]) -> Any:
    """The pydantic model of what a graph returns (``get_output_schema()``), as LangGraph
    1.2's: a model named ``name`` of the output schema's ``keys`` (its channels: managed values
    left out), each typed as its channel's value (a ``Topic``'s: a ``Sequence``) and
    defaulting to ``None``."""
    return _output_model(schema, name, keys, _langchain_available())


@functools.lru_cache(maxsize=256)
def _output_model(schema: Any, name: str, keys: tuple[str, ...], langchain: bool) -> Any:
    pydantic = _pydantic()
    fields = schema_fields(schema)
    if tuple(keys) == ("__root__",):
        return pydantic.create_model(name, __base__=pydantic.RootModel, root=(fields["__root__"].annotation, ...))
    return pydantic.create_model(name, **{key: (_value_type(fields[key]), None) for key in keys})


def _value_type(spec: FieldSpec) -> Any:
    from ..channels import Topic

    channel = spec.channel
    annotation = _swap(spec.annotation, _message_types())
    if channel is Topic or isinstance(channel, Topic):
        return Sequence[annotation]  # type: ignore[valid-type]  # a runtime subscript
    return annotation


def _pydantic_typeddict(schema: type) -> Any:
    """``schema`` if pydantic takes it, else the ``typing_extensions`` ``TypedDict`` of the same
    name, fields and required keys (actorgraph's chat messages swapped for their stand-ins, see
    :func:`_message_types`)."""
    pydantic = _pydantic()
    table = _message_types()
    if any(_swap(hint, table) is not hint for hint in typing.get_type_hints(schema, include_extras=True).values()):
        return _swapped_typeddict(schema, table)
    try:
        pydantic.TypeAdapter(schema)
        return schema
    except pydantic.PydanticUserError:
        pass
    import typing_extensions

    hints = typing.get_type_hints(schema, include_extras=True)
    required = set(getattr(schema, "__required_keys__", hints))
    fields: dict[str, Any] = {}
    for key, hint in hints.items():
        while typing.get_origin(hint) in (typing.Required, typing.NotRequired):
            (required.add if typing.get_origin(hint) is typing.Required else required.discard)(key)
            (hint,) = typing.get_args(hint)
        fields[key] = hint if key in required else typing_extensions.NotRequired[hint]
    return typing_extensions.TypedDict(schema.__name__, fields)  # type: ignore[operator]


# -- chat messages ------------------------------------------------------------------------------


def _message_types() -> dict[Any, Any]:
    """actorgraph's message types -> what stands for them in a JSON Schema. With langchain-core
    installed, its message classes (``AnyMessage``: its union of every message and chunk
    class), so that a graph's schema is LangGraph 1.2's, word for word; else pydantic models of
    actorgraph's own message classes (same fields, a ``type`` tag)."""
    from .. import _langchain

    if _langchain.available():
        return _langchain_message_types()
    return _own_message_types()


@functools.cache
def _langchain_message_types() -> dict[Any, Any]:
    from .. import _langchain
    from . import _messages as ours

    lc = _langchain.messages()
    return {ours.AnyMessage: lc.AnyMessage, ours.BaseMessage: lc.BaseMessage,
            ours.HumanMessage: lc.HumanMessage, ours.AIMessage: lc.AIMessage,
            ours.SystemMessage: lc.SystemMessage, ours.ToolMessage: lc.ToolMessage,
            ours.RemoveMessage: lc.RemoveMessage}


@functools.cache
def _own_message_types() -> dict[Any, Any]:
    import msgspec

    from . import _messages as ours

    pydantic = _pydantic()

    def model(cls: Any) -> Any:
        fields: dict[str, Any] = {}
        for f in msgspec.structs.fields(cls):
            if f.default is not msgspec.NODEFAULT:
                fields[f.name] = (f.type, f.default)
            elif f.default_factory is not msgspec.NODEFAULT:
                fields[f.name] = (f.type, pydantic.Field(default_factory=f.default_factory))
            else:
                fields[f.name] = (f.type, ...)
        tag = cls.type
        fields["type"] = (typing.Literal[tag], tag)
        return pydantic.create_model(cls.__name__, __doc__=cls.__doc__, **fields)

    classes = (ours.HumanMessage, ours.AIMessage, ours.SystemMessage, ours.ToolMessage)
    table: dict[Any, Any] = {cls: model(cls) for cls in (*classes, ours.RemoveMessage)}
    table[ours.AnyMessage] = typing.Annotated[typing.Union[tuple(table[c] for c in classes)],
                                              pydantic.Field(discriminator="type")]
    table[ours.BaseMessage] = table[ours.AnyMessage]
    return table


def _swap(hint: Any, table: dict[Any, Any]) -> Any:
    """``hint`` with every type ``table`` maps replaced, inside ``list[...]``, unions,
    ``Annotated`` and other generics (``hint`` itself when nothing is replaced)."""
    try:
        if hint in table:
            return table[hint]
    except TypeError:  # unhashable
        return hint
    origin = typing.get_origin(hint)
    if origin is None:
        return hint
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        inner = _swap(args[0], table)
        return hint if inner is args[0] else typing.Annotated[(inner, *hint.__metadata__)]
    if origin is typing.Literal:
        return hint
    new = tuple(_swap(a, table) for a in args)
    if all(n is a for n, a in zip(new, args)):
        return hint
    if origin is typing.Union or origin is types.UnionType:
        return typing.Union[new]
    copy_with = getattr(hint, "copy_with", None)  # typing's generic aliases
    return copy_with(new) if copy_with is not None else origin[new]


def _swapped_typeddict(schema: type, table: dict[Any, Any]) -> Any:
    """A ``typing_extensions`` ``TypedDict`` like ``schema`` (name, docstring, fields and
    required keys), its fields' types swapped per ``table``. (actorgraph's ``MessagesState``
    has a docstring LangGraph's lacks: left out, so the schema is LangGraph's.)"""
    import typing_extensions

    from ._messages import MessagesState

    fields: dict[str, Any] = {}
    for key, hint, required in _typeddict_fields(schema):
        hint = _swap(hint, table)
        fields[key] = hint if required else typing_extensions.NotRequired[hint]
    swapped = typing_extensions.TypedDict(schema.__name__, fields)  # type: ignore[misc]
    swapped.__doc__ = None if schema is MessagesState else schema.__doc__
    return swapped


def _typeddict_fields(schema: Any) -> list[tuple[str, Any, bool]]:
    """A ``TypedDict``'s ``(key, type, required)``, ``Required``/``NotRequired`` unwrapped
    (under ``from __future__ import annotations`` typing's ``TypedDict`` misses them)."""
    hints = typing.get_type_hints(schema, include_extras=True)
    required = set(getattr(schema, "__required_keys__", hints))
    out = []
    for key, hint in hints.items():
        while typing.get_origin(hint) in (typing.Required, typing.NotRequired):
            (required.add if typing.get_origin(hint) is typing.Required else required.discard)(key)
            (hint,) = typing.get_args(hint)
        out.append((key, hint, key in required))
    return out
