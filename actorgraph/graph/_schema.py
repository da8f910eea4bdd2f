"""Reading state schemas: which keys a schema declares and how each key behaves.

Pure functions the ``StateGraph`` builder calls once per schema, at build time:

- :func:`schema_fields` lists the keys of a TypedDict, dataclass, ``msgspec.Struct``, pydantic
  model (when pydantic is installed) or any other annotated class, each as a :class:`FieldSpec`
  (reducer, channel or managed value, default). A schema without annotations (``int``, ``dict``,
  ``Annotated[list, operator.add]``) is one ``"__root__"`` key, as in LangGraph.
- :func:`make_reader` builds the function that turns available channel values into a node's
  input, :func:`make_validator` the per-write type check of msgspec/pydantic schemas, and
  :func:`update_pairs` turns what a node returned into ``(key, value)`` writes.
- :func:`input_schema_of` infers a node's input schema from its first parameter's type hint.

LangGraph spells managed values as annotated types (``remaining_steps: RemainingSteps``), and so
do we: :data:`RemainingSteps` is ``Annotated[int, RemainingStepsManager]`` and
:data:`IsLastStep` is ``Annotated[bool, IsLastStepManager]``.
"""

from __future__ import annotations

import weakref

import dataclasses
import inspect
import re
import reprlib
import sys
import types
from collections.abc import Callable, Container
from typing import (
    Annotated,
    Any,
    ClassVar,
    Final,
    NotRequired,
    Required,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

import msgspec

from ..errors import GraphValidationError, InvalidUpdateError, error_message

ROOT: Final = "__root__"
"""The single key of a schema that declares no keys (``StateGraph(int)``)."""


class RemainingStepsManager:
    """Marker: the key holds how many super-steps the run may still take before
    ``recursion_limit`` stops it. Computed for each task, never stored."""


class IsLastStepManager:
    """Marker: the key is ``True`` in the last super-step ``recursion_limit`` allows.
    Computed for each task, never stored."""


RemainingSteps = Annotated[int, RemainingStepsManager]
"""Managed state key type: ``remaining_steps: RemainingSteps`` in a state schema."""

IsLastStep = Annotated[bool, IsLastStepManager]
"""Managed state key type: ``is_last_step: IsLastStep`` in a state schema."""

# Maps a marker found in Annotated metadata to the public alias FieldSpec.managed holds, so the
# builder can write ``spec.managed is RemainingSteps``.
_MANAGED: Final[dict[type, Any]] = {  # Any: the values are Annotated aliases, not classes
    RemainingStepsManager: RemainingSteps,
    IsLastStepManager: IsLastStep,
}

_CHANNEL_VERBS: Final = ("update", "get", "checkpoint", "from_checkpoint")
_QUALIFIER_NAMES: Final = frozenset({"Required", "NotRequired", "ReadOnly"})


class FieldSpec(msgspec.Struct, frozen=True):
    """One key of a state schema.

    ``annotation`` is the key's type with ``Annotated``/``Required``/``NotRequired`` peeled off.
    At most one of ``reducer``, ``channel`` and ``managed`` is set: ``reducer`` is the ``(a, b)
    -> c`` function of ``Annotated[T, reducer]``; ``channel`` the channel class or instance of
    ``Annotated[T, Topic]``; ``managed`` is :data:`RemainingSteps` or :data:`IsLastStep` (compare
    with ``is``). With none of them the key is a last-value key. ``has_default``/``default`` come
    from the schema (a ``default_factory`` is called once, here).
    """

    name: str
    annotation: Any  # Any: an arbitrary type expression
    reducer: Callable[[Any, Any], Any] | None = None
    channel: Any = None  # Any: a channel class or instance, duck-typed
    managed: Any = None  # Any: RemainingSteps / IsLastStep, which are Annotated aliases
    has_default: bool = False
    default: Any = None


# -- schema kinds -------------------------------------------------------------------------------


def _pydantic_model_class() -> type | None:
    # Only look for pydantic if something already imported it: a pydantic schema implies that,
    # and plain graphs do not pay for importing it.
    pydantic = sys.modules.get("pydantic")
    base = getattr(pydantic, "BaseModel", None)
    return base if isinstance(base, type) else None


def _is_pydantic(schema: Any) -> bool:
    base = _pydantic_model_class()
    return base is not None and _is_class(schema) and issubclass(schema, base)


def _is_class(schema: Any) -> bool:
    # list[int] passes isinstance(..., type) on 3.11; it is not a schema class.
    return isinstance(schema, type) and not isinstance(schema, types.GenericAlias)


def _is_struct(schema: Any) -> bool:
    return _is_class(schema) and issubclass(schema, msgspec.Struct)


def _is_dataclass(schema: Any) -> bool:
    return _is_class(schema) and dataclasses.is_dataclass(schema)


def _is_root(schema: Any) -> bool:
    # LangGraph's rule: a schema whose class has no ``__annotations__`` (builtins such as int
    # and dict, typing constructs) is a single __root__ key.
    return not (_is_class(schema) and hasattr(schema, "__annotations__"))


def _is_object_schema(schema: Any) -> bool:
    """Schemas whose node input is an instance rather than a dict."""
    return _is_dataclass(schema) or _is_struct(schema) or _is_pydantic(schema)


# -- annotations ---------------------------------------------------------------------------------


def _peel(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    """``annotation`` without Annotated/Required/NotRequired/ReadOnly, and the Annotated
    metadata, innermost first (the order Python uses when it flattens nested Annotated)."""
    metadata: tuple[Any, ...] = ()
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            metadata = tuple(annotation.__metadata__) + metadata
            annotation = annotation.__origin__
        elif origin in (Required, NotRequired) or (
            origin is not None and getattr(origin, "_name", None) in _QUALIFIER_NAMES
        ):
            annotation = get_args(annotation)[0]
        else:
            return annotation, metadata


def _is_channel(item: Any) -> bool:
    return all(callable(getattr(item, verb, None)) for verb in _CHANNEL_VERBS)


def _reducer_arity_ok(fn: Callable[..., Any]) -> tuple[bool, str]:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        # A callable without an introspectable signature (some C builtins): trust it.
        return True, ""
    positional = sum(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in sig.parameters.values()
    )
    return positional == 2, str(sig)


def _field(
    name: str, annotation: Any, *, has_default: bool = False, default: Any = None,
    allow_managed: bool = True,
) -> FieldSpec:
    base, metadata = _peel(annotation)
    managed = next((_MANAGED[m] for m in metadata if isinstance(m, type) and m in _MANAGED), None)
    if managed is not None:
        if not allow_managed:
            raise GraphValidationError(f"This {annotation} not allowed in this position")
        return FieldSpec(name, base, managed=managed, has_default=has_default, default=default)
    channel = next((m for m in metadata if _is_channel(m)), None)
    if channel is not None:
        return FieldSpec(name, base, channel=channel, has_default=has_default, default=default)
    reducer = None
    # LangGraph's rule: only the last metadata item can be the reducer.
    if metadata and callable(metadata[-1]):
        reducer = metadata[-1]
        ok, sig = _reducer_arity_ok(reducer)
        if not ok:
            err = GraphValidationError(
                f"Invalid reducer signature. Expected (a, b) -> c. Got {sig}"
            )
            err.add_note(f"At key {name!r}")
            raise err
    return FieldSpec(name, base, reducer=reducer, has_default=has_default, default=default)


def _type_hints(schema: Any) -> dict[str, Any]:
    try:
        # Resolves string annotations (``from __future__ import annotations``) in the globals
        # of the module defining each class of the MRO.
        return get_type_hints(schema, include_extras=True)
    except (NameError, TypeError) as exc:
        name = getattr(schema, "__qualname__", repr(schema))
        raise GraphValidationError(
            f"Cannot resolve the annotations of schema {name}: {exc}"
        ) from exc


def _defaults(schema: Any, names: list[str]) -> dict[str, Any]:
    """The defaults a schema declares, by key (keys without one are absent)."""
    out: dict[str, Any] = {}
    if _is_struct(schema):
        for f in msgspec.structs.fields(schema):
            if f.default is not msgspec.NODEFAULT:
                out[f.name] = f.default
            elif f.default_factory is not msgspec.NODEFAULT:
                out[f.name] = f.default_factory()
    elif _is_dataclass(schema):
        for df in dataclasses.fields(schema):
            if df.default is not dataclasses.MISSING:
                out[df.name] = df.default
            elif df.default_factory is not dataclasses.MISSING:
                out[df.name] = df.default_factory()
    elif _is_pydantic(schema):
        for key, info in schema.model_fields.items():
            if not info.is_required():
                out[key] = info.get_default(call_default_factory=True)
    elif not is_typeddict(schema):
        # A plain annotated class: a class attribute is the default.
        for key in names:
            if key in getattr(schema, "__dict__", {}):
                out[key] = schema.__dict__[key]
    return out


def _field_names(schema: Any, hints: dict[str, Any]) -> list[str]:
    if _is_struct(schema):
        return list(schema.__struct_fields__)
    if _is_dataclass(schema):
        return [f.name for f in dataclasses.fields(schema)]
    if _is_pydantic(schema):
        return list(schema.model_fields)
    return [
        key for key, hint in hints.items()
        if key != "__slots__" and get_origin(hint) is not ClassVar
    ]


_FIELDS_CACHE: weakref.WeakKeyDictionary[Any, dict[str, FieldSpec]] = weakref.WeakKeyDictionary()


def schema_fields(schema: Any) -> dict[str, FieldSpec]:
    """The keys a state/input/output schema declares, in declaration order.

    Raises ``GraphValidationError`` for a reducer that does not take exactly two positional
    parameters, a managed value used as a root schema, or annotations that cannot be resolved.
    Results are cached per schema class (reading type hints and reducer signatures is slow).
    """
    try:
        cached = _FIELDS_CACHE.get(schema)
    except TypeError:  # not weak-referenceable (e.g. a typing alias): no cache
        return _schema_fields(schema)
    if cached is None:
        cached = _schema_fields(schema)
        try:
            _FIELDS_CACHE[schema] = cached
        except TypeError:
            pass
    return dict(cached)


def _schema_fields(schema: Any) -> dict[str, FieldSpec]:
    if _is_root(schema):
        return {ROOT: _field(ROOT, schema, allow_managed=False)}
    hints = _type_hints(schema)
    names = _field_names(schema, hints)
    defaults = _defaults(schema, names)
    return {
        name: _field(
            name, hints.get(name, Any), has_default=name in defaults, default=defaults.get(name)
        )
        for name in names
    }


# -- node input ------------------------------------------------------------------------------


def make_reader(schema: Any) -> Callable[[dict[str, Any]], Any]:
    """The function building a node's input from the available channel values.

    A root schema, or one whose only key is ``__root__``, gives the ``__root__`` value (``None``
    when empty); TypedDicts and other dict-like schemas a new dict of the schema's keys that
    have values; dataclass,
    ``msgspec.Struct`` and pydantic schemas an instance built from those keys, so missing keys
    take the class defaults and a missing required key raises the constructor's own error
    (``TypeError``, or pydantic's ``ValidationError``), as LangGraph does.
    """
    keys = (ROOT,) if _is_root(schema) else tuple(schema_fields(schema))
    if keys == (ROOT,):  # (also a TypedDict whose one key is __root__, as in LangGraph)
        def read_root(values: dict[str, Any]) -> Any:
            return values.get(ROOT)

        return read_root

    if _is_dataclass(schema):
        # init=False fields cannot be passed to the constructor.
        keys = tuple(f.name for f in dataclasses.fields(schema) if f.init)

    if _is_object_schema(schema):
        def read_object(values: dict[str, Any]) -> Any:
            return schema(**{k: values[k] for k in keys if k in values})

        return read_object

    def read_dict(values: dict[str, Any]) -> dict[str, Any]:
        return {k: values[k] for k in keys if k in values}

    read_dict.keys = keys  # type: ignore[attr-defined]  # (see reader_for)
    return read_dict


def reader_for(schema: Any, reads: tuple[str, ...], managed: Container[str]) -> Callable[[dict[str, Any]], Any]:
    """:func:`make_reader` for a node reading ``reads``: when the schema is dict-like with
    exactly those keys and none is ``managed`` (their values are added last), the values the
    runtime gathers (a new dict per task, in ``reads`` order, the available ones only) are the
    input as they are."""
    reader = make_reader(schema)
    if getattr(reader, "keys", None) == reads and not any(k in managed for k in reads):
        return as_is
    return reader


def as_is(values: dict[str, Any]) -> dict[str, Any]:
    """The reader of a node whose input is the state dict itself (planning skips calling it)."""
    return values


# -- write validation ------------------------------------------------------------------------


_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60
_TRIVIAL_MSGSPEC = re.compile(r"Expected `[^`]*`, got `[^`]*`")


def _type_name(annotation: Any) -> str:
    if _is_class(annotation):
        return str(annotation.__qualname__)
    return repr(annotation).replace("typing.", "")


def _type_error(key: str, annotation: Any, value: Any, detail: str) -> InvalidUpdateError:
    message = (
        f"At key {key!r}: expected {_type_name(annotation)}, "
        f"got {type(value).__name__} ({_repr.repr(value)})"
    )
    if detail:
        message = f"{message}: {detail}"
    return InvalidUpdateError(message)


def _last_value_fields(schema: Any) -> dict[str, FieldSpec]:
    # Reducer and channel keys receive updates, not values of the key's type; managed keys are
    # never written.
    return {
        name: spec for name, spec in schema_fields(schema).items()
        if spec.reducer is None and spec.channel is None and spec.managed is None
    }


def _msgspec_validator(schema: Any) -> Callable[[str, Any], Any]:
    types_by_key = {name: spec.annotation for name, spec in _last_value_fields(schema).items()}

    def validate(key: str, value: Any) -> Any:
        annotation = types_by_key.get(key, Any)
        if annotation is Any:
            return value
        try:
            return msgspec.convert(value, annotation, from_attributes=True)
        except msgspec.ValidationError as exc:
            detail = str(exc)
            if _TRIVIAL_MSGSPEC.fullmatch(detail):
                detail = ""
            raise _type_error(key, annotation, value, detail) from exc
        except TypeError:
            # A type msgspec cannot check (e.g. a Callable): take the value as it is.
            return value

    return validate


def _pydantic_validator(schema: Any) -> Callable[[str, Any], Any]:
    import pydantic

    adapters: dict[str, tuple[Any, Any]] = {}  # Any: pydantic.TypeAdapter of an arbitrary type
    fields = _last_value_fields(schema)
    for name, info in schema.model_fields.items():
        if name not in fields:
            continue
        annotation = info.rebuild_annotation()  # keeps constraints such as Field(gt=0)
        try:
            adapter = pydantic.TypeAdapter(
                annotation, config=pydantic.ConfigDict(arbitrary_types_allowed=True)
            )
        except pydantic.PydanticUserError:
            # Types with their own config (models, pydantic dataclasses) refuse one.
            adapter = pydantic.TypeAdapter(annotation)
        adapters[name] = (fields[name].annotation, adapter)

    def validate(key: str, value: Any) -> Any:
        entry = adapters.get(key)
        if entry is None:
            return value
        annotation, adapter = entry
        try:
            return adapter.validate_python(value)
        except pydantic.ValidationError as exc:
            detail = "; ".join(
                (f"{'.'.join(map(str, e['loc']))}: " if e["loc"] else "") + e["msg"]
                for e in exc.errors()
            )
            raise _type_error(key, annotation, value, detail) from exc

    return validate


def make_validator(schema: Any) -> Callable[[str, Any], Any] | None:
    """For ``msgspec.Struct`` and pydantic schemas, the function that checks (and converts, as
    ``msgspec.convert``/pydantic would) one value written to key ``k``; it raises
    ``InvalidUpdateError`` naming the key, the expected type and what it got. Reducer, channel
    and unknown keys pass unchanged. ``None`` for other schemas: LangGraph does not check writes
    to TypedDict or dataclass states."""
    if _is_struct(schema):
        return _msgspec_validator(schema)
    if _is_pydantic(schema):
        return _pydantic_validator(schema)
    return None


# -- node output ---------------------------------------------------------------------------------


def _is_pairs(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(
        isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in value
    )


def _annotated_keys(cls: type) -> list[str]:
    keys: list[str] = []
    for base in reversed(cls.__mro__):
        annotations = base.__dict__.get("__annotations__")
        if isinstance(annotations, dict):
            keys.extend(k for k in annotations if not k.startswith("__") and k not in keys)
    return keys


def _object_pairs(value: Any) -> list[tuple[str, Any]] | None:
    cls = type(value)
    if _is_pydantic(cls):
        # LangGraph's rule: a field left None is written only if it was set explicitly or its
        # default is not None, so a partial model does not wipe optional keys.
        fields_set = value.model_fields_set
        pairs = []
        for key, info in cls.model_fields.items():
            item = getattr(value, key)
            if item is not None or key in fields_set or info.default is not None:
                pairs.append((key, item))
        return pairs
    if _is_struct(cls):
        return [(key, getattr(value, key)) for key in cls.__struct_fields__]
    if _is_dataclass(cls):
        return [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]
    keys = _annotated_keys(cls)
    if not keys:
        return None
    missing = object()
    return [(k, v) for k in keys if (v := getattr(value, k, missing)) is not missing]


def update_pairs(
    value: Any, *, node: str, allow_pairs: bool = True
) -> list[tuple[str, Any]] | None:
    """The ``(key, value)`` writes of a node's return value (or of ``Command.update``).

    ``None`` means no writes; a dict gives its items; a list/tuple of ``(str, value)`` pairs is
    taken as is (``Command.update`` accepts that; pass ``allow_pairs=False`` for a plain node
    return, where LangGraph rejects it); a dataclass, ``msgspec.Struct``, pydantic model or other
    annotated object gives its fields. Anything else raises ``InvalidUpdateError`` with
    LangGraph's message, and a note naming ``node``.
    """
    if value is None:
        return None
    if isinstance(value, dict):
        return list(value.items())
    if allow_pairs and _is_pairs(value):
        return list(value)
    pairs = _object_pairs(value)
    if pairs is not None:
        return pairs
    err = InvalidUpdateError(
        error_message(f"Expected dict, got {value}", "INVALID_GRAPH_NODE_RETURN_VALUE")
    )
    err.add_note(f"Returned by node {node!r}")
    raise err


# -- node input schema inference -----------------------------------------------------------------


def input_schema_of(fn: Callable[..., Any]) -> Any | None:
    """The type hint of ``fn``'s first parameter when it is a schema: a class declaring
    annotated keys (TypedDict, dataclass, ``msgspec.Struct``, pydantic model, ...). ``None``
    otherwise, including when the hints cannot be resolved (LangGraph ignores those too)."""
    if inspect.isfunction(fn) or inspect.ismethod(fn):
        target: Any = fn  # Any: a function, method or bound __call__
    elif inspect.ismethod(getattr(fn, "__call__", None)):
        target = getattr(fn, "__call__")
    else:
        return None
    try:
        first = next(iter(inspect.signature(fn).parameters.values()))
        hint = get_type_hints(target).get(first.name)
    except (NameError, TypeError, ValueError, StopIteration):
        return None
    if hint is None or not _is_class(hint) or _is_root(hint):
        return None
    try:
        if not get_type_hints(hint):
            return None
    except (NameError, TypeError):
        return None
    return hint


__all__ = [
    "ROOT",
    "FieldSpec",
    "IsLastStep",
    "IsLastStepManager",
    "RemainingSteps",
    "RemainingStepsManager",
    "input_schema_of",
    "make_reader",
    "make_validator",
    "schema_fields",
    "update_pairs",
]
