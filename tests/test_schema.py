"""Schema reading for the StateGraph builder: keys, reducers, channels, managed values, node input
and output conversion. Expected values follow LangGraph 1.2.24 (checked in a scratch venv)."""

import dataclasses
import operator
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated, Any, ClassVar, NamedTuple, NotRequired, Optional, Required, TypedDict

import msgspec
import pytest

from actorgraph.errors import GraphValidationError, InvalidUpdateError
from actorgraph.graph._schema import (
    ROOT,
    FieldSpec,
    IsLastStep,
    IsLastStepManager,
    RemainingSteps,
    RemainingStepsManager,
    input_schema_of,
    make_reader,
    make_validator,
    schema_fields,
    update_pairs,
)

TROUBLESHOOTING = (
    "\nFor troubleshooting, visit: https://docs.langchain.com/oss/python/langgraph/errors/"
)


class FakeChannel:
    """Anything with the four channel verbs counts as a channel."""

    def __init__(self, typ: Any = None) -> None:
        self.typ = typ

    def update(self, values: Sequence[Any]) -> bool:
        return False

    def get(self) -> Any:
        return None

    def checkpoint(self) -> Any:
        return None

    def from_checkpoint(self, checkpoint: Any) -> "FakeChannel":
        return self


def concat(a: list[Any], b: list[Any]) -> list[Any]:
    return a + b


# -- schema_fields: TypedDict ---------------------------------------------------------------------


class Base(TypedDict):
    a: int
    items: Annotated[list[int], operator.add]


class Child(Base, total=False):
    b: str
    log: Required[Annotated[list[str], concat]]
    extra: NotRequired[Annotated[dict[str, int], operator.or_]]


def test_typeddict_keys_reducers_and_stripped_annotations() -> None:
    fields = schema_fields(Child)
    assert list(fields) == ["a", "items", "b", "log", "extra"]
    assert fields["a"] == FieldSpec("a", int)
    assert fields["items"] == FieldSpec("items", list[int], reducer=operator.add)
    assert fields["b"] == FieldSpec("b", str)
    assert fields["log"] == FieldSpec("log", list[str], reducer=concat)
    assert fields["extra"] == FieldSpec("extra", dict[str, int], reducer=operator.or_)
    assert not any(f.has_default for f in fields.values())


def test_annotated_outside_required_is_peeled_too() -> None:
    class S(TypedDict):
        x: Annotated[NotRequired[list[int]], operator.add]

    assert schema_fields(S)["x"] == FieldSpec("x", list[int], reducer=operator.add)


def test_only_the_last_metadata_item_can_be_the_reducer() -> None:
    # LangGraph: Annotated[list, add, "doc"] is a plain last-value key.
    class S(TypedDict):
        a: Annotated[list[int], operator.add, "doc"]
        b: Annotated[list[int], "doc", operator.add]
        c: Annotated[int, "just documentation"]

    fields = schema_fields(S)
    assert fields["a"].reducer is None and fields["a"].annotation == list[int]
    assert fields["b"].reducer is operator.add
    assert fields["c"] == FieldSpec("c", int)


def test_empty_typeddict_has_no_keys() -> None:
    class Empty(TypedDict):
        pass

    assert schema_fields(Empty) == {}


FUTURE_SOURCE = '''
from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Annotated, TypedDict

import msgspec

class Item(TypedDict):
    name: str

class FutureState(TypedDict):
    items: Annotated[list[Item], operator.add]
    count: int

class FutureChild(FutureState, total=False):
    note: str

@dataclass
class FutureData:
    item: Item
    tags: list[str] = field(default_factory=list)

class FutureStruct(msgspec.Struct):
    item: Item
    n: int = 0

def node(state: FutureState) -> dict:
    return {}
'''


@pytest.fixture
def future_module() -> Iterator[types.ModuleType]:
    # Annotations are strings here, resolved against this module's globals.
    module = types.ModuleType("actorgraph_test_future_schemas")
    sys.modules[module.__name__] = module
    exec(compile(FUTURE_SOURCE, "<future schemas>", "exec"), module.__dict__)
    yield module
    del sys.modules[module.__name__]


def test_string_annotations_resolve_in_the_schema_module(future_module: Any) -> None:
    item = future_module.Item
    fields = schema_fields(future_module.FutureChild)
    assert list(fields) == ["items", "count", "note"]
    assert fields["items"] == FieldSpec("items", list[item], reducer=operator.add)  # type: ignore[valid-type]
    assert fields["count"].annotation is int

    data = schema_fields(future_module.FutureData)
    assert data["item"].annotation is item
    assert data["tags"] == FieldSpec("tags", list[str], has_default=True, default=[])
    struct = schema_fields(future_module.FutureStruct)
    assert struct["item"].annotation is item
    assert struct["n"] == FieldSpec("n", int, has_default=True, default=0)
    assert input_schema_of(future_module.node) is future_module.FutureState


def test_unresolvable_annotation_names_the_schema() -> None:
    class Broken(TypedDict):
        x: "NoSuchType"  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(GraphValidationError, match="Broken.*NoSuchType"):
        schema_fields(Broken)


# -- reducers --------------------------------------------------------------------------------


def _one(a: Any) -> Any:
    return a


def _three(a: Any, b: Any, c: Any) -> Any:
    return a


def _three_default(a: Any, b: Any, c: int = 1) -> Any:
    return a


def _star(*a: Any) -> Any:
    return a


def _kwonly(a: Any, *, b: Any) -> Any:
    return a


def _two_with_default(a: Any, b: Any = None) -> Any:
    return a


def _two_kwargs(a: Any, b: Any, **kw: Any) -> Any:
    return a


@pytest.mark.parametrize(
    ("reducer", "shown"),
    [
        (_one, "(a: Any) -> Any"),
        (_three, "(a: Any, b: Any, c: Any) -> Any"),
        (_three_default, "(a: Any, b: Any, c: int = 1) -> Any"),
        (_star, "(*a: Any) -> Any"),
        (_kwonly, "(a: Any, *, b: Any) -> Any"),
    ],
)
def test_reducer_must_take_two_positional_parameters(reducer: Any, shown: str) -> None:
    annotation = Annotated[list[Any], reducer]

    class S(TypedDict):
        x: annotation

    with pytest.raises(GraphValidationError) as info:
        schema_fields(S)
    assert str(info.value) == f"Invalid reducer signature. Expected (a, b) -> c. Got {shown}"
    assert isinstance(info.value, ValueError)  # LangGraph raises ValueError
    assert info.value.__notes__ == ["At key 'x'"]


def test_reducer_message_matches_langgraph_for_lambdas() -> None:
    class S(TypedDict):
        x: Annotated[list[Any], lambda a: a]

    with pytest.raises(ValueError) as info:
        schema_fields(S)
    assert str(info.value) == "Invalid reducer signature. Expected (a, b) -> c. Got (a)"


@pytest.mark.parametrize(
    "reducer", [_two_with_default, _two_kwargs, lambda a, /, b: a, operator.add]
)
def test_two_positional_parameters_make_a_reducer(reducer: Any) -> None:
    annotation = Annotated[list[Any], reducer]

    class S(TypedDict):
        x: annotation

    assert schema_fields(S)["x"].reducer is reducer


# -- channels and managed values -----------------------------------------------------------------


def test_channel_class_or_instance_in_metadata() -> None:
    instance = FakeChannel(int)

    class S(TypedDict):
        by_class: Annotated[list[int], FakeChannel]
        by_instance: Annotated[list[int], instance, "doc"]
        # A channel wins over a callable reducer-looking item.
        both: Annotated[list[int], FakeChannel, operator.add]

    fields = schema_fields(S)
    assert fields["by_class"] == FieldSpec("by_class", list[int], channel=FakeChannel)
    assert fields["by_instance"].channel is instance
    assert fields["both"].channel is FakeChannel and fields["both"].reducer is None


def test_managed_values_are_spelled_as_langgraph_does() -> None:
    class S(TypedDict, total=False):
        remaining_steps: RemainingSteps
        is_last_step: IsLastStep
        wrapped: NotRequired[RemainingSteps]
        explicit: Annotated[int, RemainingStepsManager]

    fields = schema_fields(S)
    assert fields["remaining_steps"] == FieldSpec("remaining_steps", int, managed=RemainingSteps)
    assert fields["remaining_steps"].managed is RemainingSteps
    assert fields["is_last_step"] == FieldSpec("is_last_step", bool, managed=IsLastStep)
    assert fields["is_last_step"].managed is IsLastStep
    assert fields["wrapped"].managed is RemainingSteps
    assert fields["explicit"].managed is RemainingSteps
    assert IsLastStep == Annotated[bool, IsLastStepManager]  # type: ignore[comparison-overlap]


def test_managed_value_cannot_be_a_root_schema() -> None:
    with pytest.raises(GraphValidationError, match="not allowed in this position"):
        schema_fields(RemainingSteps)


# -- dataclass, Struct, plain class, root ------------------------------------------------------


@dataclasses.dataclass
class DataState:
    x: int
    items: Annotated[list[int], operator.add] = dataclasses.field(default_factory=list)
    y: int = 0
    label: Optional[str] = None
    computed: int = dataclasses.field(default=7, init=False)
    kind: ClassVar[str] = "data"


def test_dataclass_fields_and_defaults() -> None:
    fields = schema_fields(DataState)
    assert list(fields) == ["x", "items", "y", "label", "computed"]  # no ClassVar
    assert fields["x"] == FieldSpec("x", int)
    assert fields["items"] == FieldSpec(
        "items", list[int], reducer=operator.add, has_default=True, default=[]
    )
    assert fields["y"] == FieldSpec("y", int, has_default=True, default=0)
    assert fields["label"] == FieldSpec("label", Optional[str], has_default=True, default=None)
    assert fields["computed"].default == 7


class StructState(msgspec.Struct):
    x: int
    ratio: float = 1.0
    items: Annotated[list[int], operator.add] = []
    tags: list[str] = msgspec.field(default_factory=lambda: ["t"])
    kind: ClassVar[str] = "struct"


def test_struct_fields_and_defaults() -> None:
    fields = schema_fields(StructState)
    assert list(fields) == ["x", "ratio", "items", "tags"]
    assert fields["x"] == FieldSpec("x", int)
    assert fields["ratio"] == FieldSpec("ratio", float, has_default=True, default=1.0)
    assert fields["items"] == FieldSpec(
        "items", list[int], reducer=operator.add, has_default=True, default=[]
    )
    assert fields["tags"] == FieldSpec("tags", list[str], has_default=True, default=["t"])


def test_plain_annotated_class_is_a_dict_schema() -> None:
    class Plain:
        a: int
        b: str = "x"
        c: ClassVar[int] = 1

    fields = schema_fields(Plain)
    assert list(fields) == ["a", "b"]
    assert fields["b"] == FieldSpec("b", str, has_default=True, default="x")
    assert make_reader(Plain)({"a": 1, "z": 2}) == {"a": 1}


@pytest.mark.parametrize("schema", [int, str, dict, list[int], Optional[int]])
def test_schema_without_annotations_is_one_root_key(schema: Any) -> None:
    assert schema_fields(schema) == {ROOT: FieldSpec(ROOT, schema)}


def test_root_schema_with_reducer() -> None:
    assert schema_fields(Annotated[list[int], operator.add]) == {
        ROOT: FieldSpec(ROOT, list[int], reducer=operator.add)
    }


# -- pydantic ------------------------------------------------------------------------------------


def _pydantic_state() -> Any:
    pydantic = pytest.importorskip("pydantic")

    class Model(pydantic.BaseModel):  # type: ignore[name-defined,misc]
        x: int
        items: Annotated[list[int], operator.add] = []
        label: Optional[str] = None
        z: str = "d"
        made: list[int] = pydantic.Field(default_factory=lambda: [1])
        positive: int = pydantic.Field(default=1, gt=0)
        kind: ClassVar[str] = "model"

    return Model


def test_pydantic_fields_and_defaults() -> None:
    model = _pydantic_state()
    fields = schema_fields(model)
    assert list(fields) == ["x", "items", "label", "z", "made", "positive"]
    assert fields["x"] == FieldSpec("x", int)
    assert fields["items"] == FieldSpec(
        "items", list[int], reducer=operator.add, has_default=True, default=[]
    )
    assert fields["label"] == FieldSpec("label", Optional[str], has_default=True, default=None)
    assert fields["made"].default == [1]


def test_pydantic_reader_builds_the_model() -> None:
    model = _pydantic_state()
    read = make_reader(model)
    assert read({"x": 1, "other": 5}) == model(x=1)
    pydantic = sys.modules["pydantic"]
    with pytest.raises(pydantic.ValidationError):  # as LangGraph: the model's own error
        read({"z": "q"})


def test_pydantic_validator() -> None:
    model = _pydantic_state()
    validate = make_validator(model)
    assert validate is not None
    assert validate("x", "12") == 12  # pydantic's lax mode, as a model field would do
    assert validate("items", "not checked: reducer key") == "not checked: reducer key"
    assert validate("unknown", object) is object
    with pytest.raises(InvalidUpdateError) as info:
        validate("x", "abc")
    assert str(info.value).startswith("At key 'x': expected int, got str ('abc'): Input should be")
    positive = r"At key 'positive': expected int, got int \(0\): .*greater than 0"
    with pytest.raises(InvalidUpdateError, match=positive):
        validate("positive", 0)


def test_pydantic_update_pairs_skip_unset_none_fields() -> None:
    # LangGraph: a None field is written only if set explicitly or its default is not None.
    model = _pydantic_state()
    pairs = dict(update_pairs(model(x=5), node="n") or [])
    assert pairs == {"x": 5, "items": [], "z": "d", "made": [1], "positive": 1}
    explicit = dict(update_pairs(model(x=5, label=None), node="n") or [])
    assert "label" in explicit and explicit["label"] is None


def test_pydantic_model_as_node_input_schema() -> None:
    model = _pydantic_state()

    def node(state: model) -> None:  # type: ignore[valid-type]
        return None

    assert input_schema_of(node) is model


# -- make_reader ---------------------------------------------------------------------------------


def test_typeddict_reader_gives_a_new_dict_of_schema_keys() -> None:
    read = make_reader(Child)
    values = {"a": 1, "b": "x", "private": 9}
    out = read(values)
    assert out == {"a": 1, "b": "x"}
    out["a"] = 2
    assert values["a"] == 1
    assert read({}) == {}


def test_dataclass_reader_uses_defaults() -> None:
    read = make_reader(DataState)
    assert read({"x": 1, "y": 5, "other": 0}) == DataState(x=1, y=5)
    assert read({"x": 1}) == DataState(x=1)


def test_dataclass_reader_with_a_missing_required_key_raises_like_langgraph() -> None:
    # LangGraph builds the dataclass from the available keys: the constructor's TypeError.
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'x'"):
        make_reader(DataState)({"y": 2})


def test_struct_reader() -> None:
    read = make_reader(StructState)
    assert read({"x": 1, "items": [2]}) == StructState(x=1, items=[2])
    with pytest.raises(TypeError, match="Missing required argument 'x'"):
        read({})


def test_root_reader() -> None:
    assert make_reader(int)({ROOT: 3, "other": 1}) == 3
    assert make_reader(dict)({}) is None


# -- make_validator ------------------------------------------------------------------------------


class Inner(msgspec.Struct):
    n: int


class Checked(msgspec.Struct):
    x: int = 0
    ratio: float = 0.0
    inner: Optional[Inner] = None
    nums: list[int] = []
    items: Annotated[list[int], operator.add] = []
    anything: Any = None
    fn: Optional[Callable[[int], int]] = None


def test_validator_is_none_for_unchecked_schemas() -> None:
    assert make_validator(Child) is None
    assert make_validator(DataState) is None
    assert make_validator(int) is None


def test_struct_validator_converts() -> None:
    validate = make_validator(Checked)
    assert validate is not None
    assert validate("x", 3) == 3
    ratio = validate("ratio", 2)
    assert ratio == 2.0 and isinstance(ratio, float)
    assert validate("inner", {"n": 1}) == Inner(n=1)
    assert validate("inner", None) is None
    assert validate("anything", object) is object
    assert validate("items", "a reducer update is not the field type") == (
        "a reducer update is not the field type"
    )
    assert validate("not_in_schema", "x") == "x"
    assert validate("fn", len) is len


def test_struct_validator_error_names_key_type_and_value() -> None:
    validate = make_validator(Checked)
    assert validate is not None
    with pytest.raises(InvalidUpdateError) as info:
        validate("x", "abc")
    assert str(info.value) == "At key 'x': expected int, got str ('abc')"
    with pytest.raises(InvalidUpdateError) as info:
        validate("nums", [1, "b"])
    assert str(info.value) == (
        "At key 'nums': expected list[int], got list ([1, 'b']): "
        "Expected `int`, got `str` - at `$[1]`"
    )
    with pytest.raises(InvalidUpdateError, match=r"At key 'inner': expected .*Inner.*, got dict"):
        validate("inner", {"n": "x"})


# -- update_pairs --------------------------------------------------------------------------------


def test_update_pairs_of_dicts_none_and_pairs() -> None:
    assert update_pairs({"a": 1, "b": 2}, node="n") == [("a", 1), ("b", 2)]
    assert update_pairs({}, node="n") == []
    assert update_pairs(None, node="n") is None
    assert update_pairs([("a", 1), ("a", 2)], node="n") == [("a", 1), ("a", 2)]
    assert update_pairs((("a", 1),), node="n") == [("a", 1)]
    assert update_pairs([], node="n") == []


def test_update_pairs_of_objects() -> None:
    assert update_pairs(DataState(x=1), node="n") == [
        ("x", 1), ("items", []), ("y", 0), ("label", None), ("computed", 7)
    ]
    assert update_pairs(StructState(x=2), node="n") == [
        ("x", 2), ("ratio", 1.0), ("items", []), ("tags", ["t"])
    ]

    class Plain:
        a: int
        b: int

        def __init__(self) -> None:
            self.a = 1  # b never set: not written

    assert update_pairs(Plain(), node="n") == [("a", 1)]

    class Point(NamedTuple):
        x: int
        y: int

    assert update_pairs(Point(1, 2), node="n") == [("x", 1), ("y", 2)]


@pytest.mark.parametrize(
    ("value", "shown"),
    [(5, "5"), ("hello", "hello"), ([1, 2], "[1, 2]"), (object, "<class 'object'>")],
)
def test_update_pairs_rejects_other_values_with_langgraphs_message(value: Any, shown: str) -> None:
    with pytest.raises(InvalidUpdateError) as info:
        update_pairs(value, node="worker")
    assert str(info.value) == (
        f"Expected dict, got {shown}{TROUBLESHOOTING}INVALID_GRAPH_NODE_RETURN_VALUE"
    )
    assert info.value.__notes__ == ["Returned by node 'worker'"]


def test_plain_node_return_of_pairs_can_be_refused() -> None:
    # LangGraph accepts pairs in Command.update but not as a node's return value.
    with pytest.raises(InvalidUpdateError, match=r"Expected dict, got \[\('a', 1\)\]"):
        update_pairs([("a", 1)], node="n", allow_pairs=False)


# -- input_schema_of -----------------------------------------------------------------------------


def test_input_schema_from_first_parameter() -> None:
    def td(state: Child, config: dict[str, Any]) -> None: ...
    async def dc(state: DataState) -> None: ...
    def st(state: StructState) -> None: ...

    assert input_schema_of(td) is Child
    assert input_schema_of(dc) is DataState
    assert input_schema_of(st) is StructState


def test_input_schema_of_methods_and_callable_objects() -> None:
    class Nodes:
        def method(self, state: Child) -> None: ...

        def __call__(self, state: StructState) -> None: ...

    assert input_schema_of(Nodes().method) is Child
    assert input_schema_of(Nodes()) is StructState


def test_no_input_schema_when_the_hint_is_not_a_schema() -> None:
    class Empty(TypedDict):
        pass

    def none(state): ...  # type: ignore[no-untyped-def]
    def builtin(state: dict[str, Any]) -> None: ...
    def plain_dict(state: dict) -> None: ...  # type: ignore[type-arg]
    def number(state: int) -> None: ...
    def empty(state: Empty) -> None: ...
    def no_params() -> None: ...
    def unresolved(state: "Missing") -> None: ...  # type: ignore[name-defined]  # noqa: F821

    for fn in (none, builtin, plain_dict, number, empty, no_params, unresolved, len):
        assert input_schema_of(fn) is None, fn
