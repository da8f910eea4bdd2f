"""``get_input_jsonschema()`` / ``get_output_jsonschema()`` / ``get_context_jsonschema()`` and
``StateGraph(state, context_schema)`` / the deprecated ``config_schema``.

The expected schemas were printed by LangGraph 1.2 for the same state classes (pinned here).
"""

from __future__ import annotations

import dataclasses
import operator
import typing
from collections.abc import Sequence
from typing import Annotated, Any, Literal, Optional

import msgspec
import pytest
import typing_extensions
from pydantic import BaseModel, Field

from actorgraph import START, StateGraph
from actorgraph.channels import Topic
from actorgraph.graph import RemainingSteps


def f(s: Any) -> dict[str, Any]:
    return {}


def compiled(schema: Any, *args: Any, **kwargs: Any) -> Any:
    g = StateGraph(schema, *args, **kwargs)
    g.add_node("a", f).add_edge(START, "a")
    return g.compile()


class TD(typing_extensions.TypedDict):
    x: int
    name: str
    log: Annotated[list[str], operator.add]
    opt: Optional[float]  # noqa: UP045 - as the user wrote it
    nr: typing_extensions.NotRequired[bool]
    lit: Literal["a", "b"]
    d: dict[str, int]
    any_: Any


class PlainTD(typing.TypedDict):  # typing's, which pydantic refuses before Python 3.12
    x: int
    name: str
    log: Annotated[list[str], operator.add]
    opt: Optional[float]  # noqa: UP045
    nr: typing_extensions.NotRequired[bool]
    lit: Literal["a", "b"]
    d: dict[str, int]
    any_: Any


@dataclasses.dataclass
class DC:
    x: int
    name: str = "n"
    log: Annotated[list[str], operator.add] = dataclasses.field(default_factory=list)


class PM(BaseModel):
    x: int
    name: str = "n"
    log: Annotated[list[str], operator.add] = Field(default_factory=list, description="the log")


class In(typing_extensions.TypedDict):
    x: int


class Out(typing_extensions.TypedDict):
    name: str


class Ctx(typing_extensions.TypedDict):
    user: str


@dataclasses.dataclass
class CtxD:
    user: str
    n: int = 1


# Observed from LangGraph 1.2.
TD_SCHEMA = {'properties': {'x': {'title': 'X', 'type': 'integer'}, 'name': {'title': 'Name', 'type': 'string'}, 'log': {'items': {'type': 'string'}, 'title': 'Log', 'type': 'array'}, 'opt': {'anyOf': [{'type': 'number'}, {'type': 'null'}], 'title': 'Opt'}, 'nr': {'title': 'Nr', 'type': 'boolean'}, 'lit': {'enum': ['a', 'b'], 'title': 'Lit', 'type': 'string'}, 'd': {'additionalProperties': {'type': 'integer'}, 'title': 'D', 'type': 'object'}, 'any_': {'title': 'Any'}}, 'required': ['x', 'name', 'log', 'opt', 'lit', 'd', 'any_'], 'title': 'TD', 'type': 'object'}  # noqa: E501
DC_INPUT = {'properties': {'x': {'title': 'X', 'type': 'integer'}, 'name': {'default': 'n', 'title': 'Name', 'type': 'string'}, 'log': {'default': [], 'items': {'type': 'string'}, 'title': 'Log', 'type': 'array'}}, 'required': ['x'], 'title': 'LangGraphInput', 'type': 'object'}  # noqa: E501
PM_SCHEMA = {'properties': {'x': {'title': 'X', 'type': 'integer'}, 'name': {'default': 'n', 'title': 'Name', 'type': 'string'}, 'log': {'description': 'the log', 'items': {'type': 'string'}, 'title': 'Log', 'type': 'array'}}, 'required': ['x'], 'title': 'PM', 'type': 'object'}  # noqa: E501
IN_SCHEMA = {'properties': {'x': {'title': 'X', 'type': 'integer'}}, 'required': ['x'], 'title': 'In', 'type': 'object'}
OUT_SCHEMA = {'properties': {'name': {'title': 'Name', 'type': 'string'}}, 'required': ['name'], 'title': 'Out', 'type': 'object'}
CTX_SCHEMA = {'properties': {'user': {'title': 'User', 'type': 'string'}}, 'required': ['user'], 'title': 'Ctx', 'type': 'object'}
CTXD_SCHEMA = {'properties': {'user': {'title': 'User', 'type': 'string'}, 'n': {'default': 1, 'title': 'N', 'type': 'integer'}}, 'required': ['user'], 'title': 'CtxD', 'type': 'object'}  # noqa: E501


def test_typeddict_state() -> None:
    graph = compiled(TD)
    assert graph.get_input_jsonschema() == TD_SCHEMA
    assert graph.get_output_jsonschema() == TD_SCHEMA
    assert graph.get_context_jsonschema() is None


def test_typing_typeddict_state_gives_the_same_schema() -> None:
    # LangGraph 1.2 raises pydantic's "use typing_extensions.TypedDict" before Python 3.12;
    # the schema is the one it gives for typing_extensions' TypedDict of the same fields.
    expected = {**TD_SCHEMA, "title": "PlainTD"}
    assert compiled(PlainTD).get_input_jsonschema() == expected


def test_dataclass_state_is_titled_after_the_graph() -> None:
    graph = compiled(DC)
    assert graph.get_input_jsonschema() == DC_INPUT
    assert graph.get_output_jsonschema() == {**DC_INPUT, "title": "LangGraphOutput"}
    g = StateGraph(DC)
    g.add_node("a", f).add_edge(START, "a")
    # observed from LangGraph 1.2: compile(name="MyGraph") -> "MyGraphInput" / "MyGraphOutput"
    named = g.compile(name="MyGraph")
    assert named.get_input_jsonschema()["title"] == "MyGraphInput"
    assert named.get_output_jsonschema()["title"] == "MyGraphOutput"


def test_dataclass_and_struct_state_leave_managed_keys_out() -> None:
    @dataclasses.dataclass
    class WithManaged:
        x: int
        rs: RemainingSteps = 0

    class Struct(msgspec.Struct):
        x: int

    # observed from LangGraph 1.2 (a dataclass with a RemainingSteps key; a msgspec Struct)
    expected = {'properties': {'x': {'title': 'X', 'type': 'integer'}}, 'required': ['x'],
                'title': 'LangGraphInput', 'type': 'object'}
    assert compiled(WithManaged).get_input_jsonschema() == expected
    assert compiled(Struct).get_input_jsonschema() == expected


def test_pydantic_state() -> None:
    graph = compiled(PM)
    assert graph.get_input_jsonschema() == PM_SCHEMA
    assert graph.get_output_jsonschema() == PM_SCHEMA


def test_input_output_and_context_schemas() -> None:
    graph = compiled(TD, input_schema=In, output_schema=Out, context_schema=Ctx)
    assert graph.get_input_jsonschema() == IN_SCHEMA
    assert graph.get_output_jsonschema() == OUT_SCHEMA
    assert graph.get_context_jsonschema() == CTX_SCHEMA
    assert compiled(TD, context_schema=CtxD).get_context_jsonschema() == CTXD_SCHEMA
    assert compiled(TD, context_schema=PM).get_context_jsonschema() == PM_SCHEMA


def test_context_schema_is_the_second_positional_argument() -> None:
    # LangGraph 1.2: StateGraph(state_schema, context_schema=None, *, input_schema, output_schema)
    graph = compiled(TD, Ctx)
    assert graph.builder.context_schema is Ctx
    assert graph.get_context_jsonschema() == CTX_SCHEMA


def test_config_schema_is_a_deprecated_name_for_context_schema() -> None:
    # LangGraph 1.2 warns with a DeprecationWarning subclass naming context_schema
    with pytest.warns(DeprecationWarning, match="`config_schema` is deprecated.*`context_schema`"):
        builder = StateGraph(TD, config_schema=Ctx)
    assert builder.context_schema is Ctx
    # given both, context_schema wins (as in LangGraph 1.2)
    with pytest.warns(DeprecationWarning):
        both = StateGraph(TD, CtxD, config_schema=Ctx)
    assert both.context_schema is CtxD


def test_input_and_output_are_deprecated_names_for_input_schema_and_output_schema() -> None:
    # LangGraph 1.2 still takes StateGraph(state, input=..., output=...), warning (a
    # DeprecationWarning subclass) that each is deprecated for input_schema/output_schema
    class In(typing_extensions.TypedDict):
        q: str

    class Out(typing_extensions.TypedDict):
        ans: str

    class Overall(In, Out):
        pass

    with pytest.warns(DeprecationWarning) as caught:
        builder = StateGraph(Overall, input=In, output=Out)
    assert [str(w.message) for w in caught] == [  # (LangGraphDeprecatedSinceV05's text, as LangGraph's)
        "`input` is deprecated and will be removed. Please use `input_schema` instead. "
        "Deprecated in LangGraph V0.5 to be removed in V2.0.",
        "`output` is deprecated and will be removed. Please use `output_schema` instead. "
        "Deprecated in LangGraph V0.5 to be removed in V2.0.",
    ]
    assert (builder.input_schema, builder.output_schema) == (In, Out)
    builder.add_node("a", lambda s: {"ans": s["q"] * 2}).add_edge(START, "a")
    assert builder.compile().invoke({"q": "yo"}) == {"ans": "yoyo"}  # LangGraph 1.2's result
    # given both, the new name wins (as in LangGraph 1.2)
    with pytest.warns(DeprecationWarning):
        both = StateGraph(Overall, input=Out, input_schema=In)
    assert both.input_schema is In


# get_input_schema() / get_output_schema(): the pydantic models, observed from LangGraph 1.2 for
# the same state classes. The input model is a pydantic input schema itself, else a RootModel
# named "<name>Input" ("<name>_input" for a lower-case graph name) rooted at the input schema
# (its JSON schema references the input schema's; a RemainingSteps key stays in it). The output
# model is named "<name>Output" / "<name>_output": every output key but managed values, typed
# as its channel's value (a Topic's: a Sequence), defaulting to None.

class TT(typing_extensions.TypedDict):
    x: int
    t: Annotated[str, Topic(str, accumulate=True)]
    rs: RemainingSteps


def _ref(title: str, inner: dict[str, Any]) -> dict[str, Any]:
    return {'$defs': {inner['title']: inner}, '$ref': f"#/$defs/{inner['title']}", 'title': title}


TD_OUT_PROPS = {'x': {'default': None, 'title': 'X', 'type': 'integer'}, 'name': {'default': None, 'title': 'Name', 'type': 'string'}, 'log': {'default': None, 'items': {'type': 'string'}, 'title': 'Log', 'type': 'array'}, 'opt': {'anyOf': [{'type': 'number'}, {'type': 'null'}], 'default': None, 'title': 'Opt'}, 'nr': {'default': None, 'title': 'Nr', 'type': 'boolean'}, 'lit': {'default': None, 'enum': ['a', 'b'], 'title': 'Lit', 'type': 'string'}, 'd': {'additionalProperties': {'type': 'integer'}, 'default': None, 'title': 'D', 'type': 'object'}, 'any_': {'default': None, 'title': 'Any'}}  # noqa: E501
XNL_OUT_PROPS = {'x': {'default': None, 'title': 'X', 'type': 'integer'}, 'name': {'default': None, 'title': 'Name', 'type': 'string'}, 'log': {'default': None, 'items': {'type': 'string'}, 'title': 'Log', 'type': 'array'}}  # noqa: E501
DC_REF = {'properties': {'x': {'title': 'X', 'type': 'integer'}, 'name': {'default': 'n', 'title': 'Name', 'type': 'string'}, 'log': {'items': {'type': 'string'}, 'title': 'Log', 'type': 'array'}}, 'required': ['x'], 'title': 'DC', 'type': 'object'}  # noqa: E501


def test_input_and_output_schema_models_of_a_typeddict_state() -> None:
    from pydantic import RootModel

    graph = compiled(TD)
    model_in, model_out = graph.get_input_schema(), graph.get_output_schema()
    assert issubclass(model_in, RootModel) and model_in.__name__ == "LangGraphInput"
    assert model_in.model_fields["root"].annotation is TD
    assert model_in.model_json_schema() == _ref("LangGraphInput", TD_SCHEMA)
    assert model_out.__name__ == "LangGraphOutput"
    assert model_out.model_json_schema() == {'properties': TD_OUT_PROPS, 'title': 'LangGraphOutput', 'type': 'object'}
    assert {k: (f.annotation, f.default) for k, f in model_out.model_fields.items()} == {
        'x': (int, None), 'name': (str, None), 'log': (list[str], None), 'opt': (Optional[float], None),  # noqa: UP045
        'nr': (bool, None), 'lit': (Literal["a", "b"], None), 'd': (dict[str, int], None), 'any_': (Any, None)}
    with pytest.raises(ValueError, match="name"):  # (pydantic's ValidationError: required keys missing)
        model_in.model_validate({"x": 1})
    assert model_out.model_validate({"x": 2}).model_dump() == {**dict.fromkeys(TD_OUT_PROPS), "x": 2}
    # the same models each time (as LangGraph's), a config or not
    assert graph.get_input_schema({"configurable": {}}) is model_in
    assert graph.get_output_schema() is model_out


def test_schema_models_are_named_after_the_graph_as_langchain_names_them() -> None:
    g = StateGraph(DC)
    g.add_node("a", f).add_edge(START, "a")
    lower, upper = g.compile(name="mygraph"), g.compile(name="MyGraph")
    assert (lower.get_input_schema().__name__, lower.get_output_schema().__name__) == ("mygraph_input", "mygraph_output")
    assert (upper.get_input_schema().__name__, upper.get_output_schema().__name__) == ("MyGraphInput", "MyGraphOutput")
    assert lower.get_input_schema().model_json_schema() == _ref("mygraph_input", DC_REF)
    assert lower.get_output_schema().model_json_schema() == {'properties': XNL_OUT_PROPS, 'title': 'mygraph_output', 'type': 'object'}
    # and so are the generated JSON schemas' titles
    assert (lower.get_input_jsonschema()["title"], lower.get_output_jsonschema()["title"]) == ("mygraph_input", "mygraph_output")


def test_a_pydantic_state_is_its_own_input_model() -> None:
    graph = compiled(PM)
    assert graph.get_input_schema() is PM
    assert graph.get_output_schema().model_json_schema() == {'properties': XNL_OUT_PROPS, 'title': 'LangGraphOutput', 'type': 'object'}


def test_schema_models_of_input_and_output_schemas() -> None:
    graph = compiled(TD, input_schema=In, output_schema=Out)
    assert graph.get_input_schema().model_json_schema() == _ref("LangGraphInput", IN_SCHEMA)
    assert graph.get_output_schema().model_json_schema() == {
        'properties': {'name': {'default': None, 'title': 'Name', 'type': 'string'}}, 'title': 'LangGraphOutput',
        'type': 'object'}


def test_output_model_types_a_topic_as_a_sequence_and_leaves_managed_keys_out() -> None:
    graph = compiled(TT)
    out = graph.get_output_schema()
    assert {k: f.annotation for k, f in out.model_fields.items()} == {'x': int, 't': Sequence[str]}
    assert out.model_json_schema() == {'properties': {'x': {'default': None, 'title': 'X', 'type': 'integer'}, 't': {'default': None, 'items': {'type': 'string'}, 'title': 'T', 'type': 'array'}}, 'title': 'LangGraphOutput', 'type': 'object'}  # noqa: E501
    # the input model keeps the managed key, as LangGraph's
    assert graph.get_input_schema().model_json_schema() == _ref("LangGraphInput", {'properties': {'x': {'title': 'X', 'type': 'integer'}, 't': {'title': 'T', 'type': 'string'}, 'rs': {'title': 'Rs', 'type': 'integer'}}, 'required': ['x', 't', 'rs'], 'title': 'TT', 'type': 'object'})  # noqa: E501


def test_a_typing_typeddict_input_model_works_before_python_3_12_too() -> None:
    # (LangGraph 1.2 fails there with pydantic's "use typing_extensions.TypedDict"; ours stands
    # in the typing_extensions TypedDict of the same fields)
    model = compiled(PlainTD).get_input_schema()
    assert model.model_json_schema() == _ref("LangGraphInput", {**TD_SCHEMA, "title": "PlainTD"})


def test_schema_models_without_pydantic_raise_an_import_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    graph = compiled(DC)
    monkeypatch.setitem(sys.modules, "pydantic", None)  # (import pydantic then raises ImportError)
    for method in (graph.get_input_schema, graph.get_output_schema, graph.get_input_jsonschema):
        with pytest.raises(ImportError, match="pip install pydantic"):
            method()
