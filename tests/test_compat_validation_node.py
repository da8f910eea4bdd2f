"""``actorgraph.prebuilt.ValidationNode``: LangGraph's prebuilt tool-call validator.

Every expected value was observed on LangGraph 1.2.24 (langchain-core 1.x, pydantic 2.14)
running the same programs with ``langgraph`` imports (a scratch script importing either
library; tool call ids and AI message ids fixed in the inputs so the outputs are
deterministic). pydantic's error reprs carry a link to its docs for its minor version: the
literals put in the installed one (``DOCS``), the rest is as observed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("pydantic")

import pydantic  # noqa: E402
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel  # noqa: E402
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage  # noqa: E402
from langchain_core.runnables import Runnable  # noqa: E402
from langchain_core.tools import StructuredTool, Tool, tool  # noqa: E402
from pydantic import BaseModel, field_validator  # noqa: E402
from pydantic import v1 as pydantic_v1  # noqa: E402

from actorgraph.graph import END, START, MessagesState, StateGraph  # noqa: E402
from actorgraph.graph.message import add_messages  # noqa: E402
from actorgraph.prebuilt import ValidationNode  # noqa: E402
from actorgraph.prebuilt import tool_validator  # noqa: E402
from actorgraph.warnings import LangGraphDeprecatedSinceV10  # noqa: E402

# Constructing a ValidationNode warns (it is deprecated in LangGraph 1.0): pinned by
# test_construction_warns_as_langgraph, silenced elsewhere.
pytestmark = pytest.mark.filterwarnings("ignore::actorgraph.warnings.LangGraphDeprecatedSinceV10")

DOCS = f"https://errors.pydantic.dev/{pydantic.version.version_short()}/v"  # 2.14 when observed
FIX = "\n\nRespond after fixing all validation errors."


class SelectNumber(BaseModel):
    a: int

    @field_validator("a")
    @classmethod
    def a_must_be_meaningful(cls, v: int) -> int:
        if v != 37:
            raise ValueError("Only 37 is allowed")
        return v


class V1Model(pydantic_v1.BaseModel):
    x: int
    y: str = "d"


def my_func(q: str, n: int = 3) -> str:
    """Search."""
    return q


@tool
def lookup(city: str, days: int = 1) -> str:
    """Look up."""
    return city


def call(name: str, args: dict[str, Any], id: str) -> dict[str, Any]:
    return {"name": name, "args": args, "id": id, "type": "tool_call"}


CALLS = [
    call("SelectNumber", {"a": 37}, "c1"),
    call("SelectNumber", {"a": 3}, "c2"),
    call("SelectNumber", {"a": "x"}, "c3"),
    call("V1Model", {"x": "5"}, "c4"),
    call("V1Model", {"x": "bad"}, "c5"),
    call("my_func", {"q": "hi"}, "c6"),
    call("my_func", {"n": "z"}, "c7"),
    call("lookup", {"city": "Paris"}, "c8"),
    call("lookup", {}, "c9"),
]

ERROR = {"is_error": True}
# (content, name, tool_call_id, additional_kwargs) of each call's answer, in CALLS' order
ANSWERS: list[tuple[str, str, str, dict[str, Any]]] = [
    ('{"a":37}', "SelectNumber", "c1", {}),
    ("1 validation error for SelectNumber\na\n  Value error, Only 37 is allowed [type=value_error, "
     f"input_value=3, input_type=int]\n    For further information visit {DOCS}/value_error" + FIX,
     "SelectNumber", "c2", ERROR),
    ("1 validation error for SelectNumber\na\n  Input should be a valid integer, unable to parse string as "
     f"an integer [type=int_parsing, input_value='x', input_type=str]\n    For further information visit "
     f"{DOCS}/int_parsing" + FIX, "SelectNumber", "c3", ERROR),
    ('{"x": 5, "y": "d"}', "V1Model", "c4", {}),
    ("ValidationError(model='V1Model', errors=[{'loc': ('x',), 'msg': 'value is not a valid integer', "
     "'type': 'type_error.integer'}])" + FIX, "V1Model", "c5", ERROR),
    ('{"q":"hi","n":3}', "my_func", "c6", {}),
    ("2 validation errors for Validation\nq\n  Field required [type=missing, input_value={'n': 'z'}, "
     f"input_type=dict]\n    For further information visit {DOCS}/missing\nn\n  Input should be a valid "
     "integer, unable to parse string as an integer [type=int_parsing, input_value='z', input_type=str]\n"
     f"    For further information visit {DOCS}/int_parsing" + FIX, "my_func", "c7", ERROR),
    ('{"city":"Paris","days":1}', "lookup", "c8", {}),
    ("1 validation error for lookup\ncity\n  Field required [type=missing, input_value={}, input_type=dict]\n"
     f"    For further information visit {DOCS}/missing" + FIX, "lookup", "c9", ERROR),
]


def answers(messages: list[Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Each ``ToolMessage``'s (content, name, tool_call_id, additional_kwargs); its id is None
    and its status "success" (as in LangGraph: only ``is_error`` marks an error)."""
    assert all(isinstance(m, ToolMessage) and m.id is None and m.status == "success" for m in messages)
    return [(m.content, m.name, m.tool_call_id, m.additional_kwargs) for m in messages]


def node() -> ValidationNode:
    return ValidationNode([SelectNumber, V1Model, my_func, lookup])


DEPRECATION = ("ValidationNode is deprecated. Please use `create_agent` from `langchain.agents` with custom tool "
               "error handling. Deprecated in LangGraph V1.0 to be removed in V2.0.")


def test_construction_warns_as_langgraph() -> None:
    with pytest.warns(LangGraphDeprecatedSinceV10) as record:
        ValidationNode([SelectNumber])
    assert [str(w.message) for w in record] == [DEPRECATION]
    assert record[0].filename == __file__  # (the warning points at the caller)
    assert ValidationNode.__deprecated__ == DEPRECATION.split(" Deprecated in")[0]  # type: ignore[attr-defined]
    # subclassing warns once; constructing a subclass does not warn again (typing's @deprecated)
    with pytest.warns(LangGraphDeprecatedSinceV10) as record:
        class Sub(ValidationNode):
            pass

        Sub([SelectNumber])
    assert [str(w.message) for w in record] == [DEPRECATION]


def test_public_paths_and_attributes() -> None:
    assert tool_validator.ValidationNode is ValidationNode
    n = node()
    assert isinstance(n, Runnable)
    assert (n.name, n.tags, n.get_name()) == ("validation", None, "validation")
    # the model each name's calls are checked against: a function's is langchain-core's "Validation"
    assert {k: v.__name__ for k, v in n.schemas_by_name.items()} == {
        "SelectNumber": "SelectNumber", "V1Model": "V1Model", "my_func": "Validation", "lookup": "lookup",
    }
    assert n.schemas_by_name["SelectNumber"] is SelectNumber
    assert n.schemas_by_name["lookup"] is lookup.args_schema
    named = ValidationNode([SelectNumber], name="check", tags=["t1"])
    assert (named.name, named.tags, named.get_name()) == ("check", ["t1"], "check")
    assert sorted(ValidationNode([lambda z: z]).schemas_by_name) == ["<lambda>"]


@pytest.mark.parametrize("i", range(len(CALLS)))
def test_each_call_answered_as_langgraph(i: int) -> None:
    state = {"messages": [HumanMessage("q"), AIMessage("", tool_calls=[CALLS[i]])]}
    out = node().invoke(state)
    assert list(out) == ["messages"]
    assert answers(out["messages"]) == [ANSWERS[i]]


def test_list_input_answers_a_list_in_call_order() -> None:
    out = node().invoke([AIMessage("", tool_calls=CALLS, id="ai1")])
    assert isinstance(out, list)
    assert answers(out) == ANSWERS


def test_no_tool_calls() -> None:
    assert node().invoke({"messages": [AIMessage("hi")]}) == {"messages": []}
    assert node().invoke([AIMessage("hi")]) == []


def test_custom_format_error() -> None:
    def fmt(error: BaseException, call: Any, schema: type[BaseModel]) -> str:
        assert isinstance(error, (pydantic.ValidationError, pydantic_v1.ValidationError))
        return f"{type(error).__name__}|{call['id']}|{call['name']}|{schema.__name__}|{len(error.errors())}"

    out = ValidationNode([SelectNumber, V1Model, my_func, lookup], format_error=fmt).invoke(
        [AIMessage("", tool_calls=CALLS)])
    assert answers(out) == [
        ('{"a":37}', "SelectNumber", "c1", {}),
        ("ValidationError|c2|SelectNumber|SelectNumber|1", "SelectNumber", "c2", ERROR),
        ("ValidationError|c3|SelectNumber|SelectNumber|1", "SelectNumber", "c3", ERROR),
        ('{"x": 5, "y": "d"}', "V1Model", "c4", {}),
        ("ValidationError|c5|V1Model|V1Model|1", "V1Model", "c5", ERROR),
        ('{"q":"hi","n":3}', "my_func", "c6", {}),
        ("ValidationError|c7|my_func|Validation|2", "my_func", "c7", ERROR),
        ('{"city":"Paris","days":1}', "lookup", "c8", {}),
        ("ValidationError|c9|lookup|lookup|1", "lookup", "c9", ERROR),
    ]


def test_tool_with_a_pydantic_v1_args_schema() -> None:
    class V1Tool(pydantic_v1.BaseModel):
        k: int

    t = StructuredTool(name="v1t", description="d", args_schema=V1Tool, func=lambda k: k)
    out = ValidationNode([t]).invoke([AIMessage("", tool_calls=[call("v1t", {"k": "4"}, "a"),
                                                                 call("v1t", {"k": "q"}, "b")])])
    assert answers(out) == [
        ('{"k": 4}', "v1t", "a", {}),
        ("ValidationError(model='V1Tool', errors=[{'loc': ('k',), 'msg': 'value is not a valid integer', "
         "'type': 'type_error.integer'}])" + FIX, "v1t", "b", ERROR),
    ]


@pytest.mark.parametrize(("given", "error", "text"), [
    ({}, ValueError, "No message found in input"),
    ({"messages": []}, ValueError, "No message found in input"),
    ({"msgs": [AIMessage("x")]}, ValueError, "No message found in input"),
    ([], IndexError, "list index out of range"),
    ({"messages": [HumanMessage("x")]}, ValueError, "Last message is not an AIMessage"),
    ([ToolMessage("x", tool_call_id="1")], ValueError, "Last message is not an AIMessage"),
    ((AIMessage("x"),), AttributeError, "'tuple' object has no attribute 'get'"),
    ([AIMessage("", tool_calls=[call("nope", {}, "z")])], KeyError, "'nope'"),
])
def test_bad_inputs_raise_as_langgraph(given: Any, error: type[Exception], text: str) -> None:
    with pytest.raises(error) as raised:
        node().invoke(given)
    assert str(raised.value) == text


def test_a_call_without_an_id_fails_in_tool_message() -> None:
    with pytest.raises(pydantic.ValidationError, match="1 validation error for ToolMessage\ntool_call_id\n"):
        node().invoke([AIMessage("", tool_calls=[{"name": "SelectNumber", "args": {"a": 37}, "id": None}])])


@pytest.mark.parametrize(("schema", "text"), [
    (Tool(name="single", func=lambda x: x, description="d"), "Tool single does not have an args_schema defined."),
    (StructuredTool(name="js", description="d", func=lambda a: a,
                    args_schema={"type": "object", "properties": {"a": {"type": "integer"}}}),
     "Validation node only works with tools that have a pydantic BaseModel args_schema. Got js with "
     "args_schema: {'type': 'object', 'properties': {'a': {'type': 'integer'}}}."),
    (3, "Unsupported input to ValidationNode. Expected BaseModel, tool or function. Got: <class 'int'>."),
    ("abc", "Unsupported input to ValidationNode. Expected BaseModel, tool or function. Got: <class 'str'>."),
])
def test_unusable_schemas_rejected_as_langgraph(schema: Any, text: str) -> None:
    with pytest.raises(ValueError) as raised:
        ValidationNode([schema])
    assert str(raised.value) == text


# -- in a graph -----------------------------------------------------------------------------


class ScriptedModel(FakeMessagesListChatModel):
    """A fake chat model replying from a script; ``bind_tools`` returns it as it is."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self


def replies() -> list[Any]:
    return [AIMessage("", id="ai-1", tool_calls=[call("SelectNumber", {"a": 3}, "call-1")]),
            AIMessage("", id="ai-2", tool_calls=[call("SelectNumber", {"a": 37}, "call-2")]),
            AIMessage("done", id="ai-3")]


def transcript(messages: list[Any]) -> list[tuple[Any, ...]]:
    """Type and content, and: an AI message's id and calls; a tool message's name, call id,
    additional kwargs and status (tool and human message ids are random uuids: left out)."""
    out: list[tuple[Any, ...]] = []
    for m in messages:
        row: tuple[Any, ...] = (m.type, m.content)
        if isinstance(m, AIMessage):
            row += (m.id, [(c["name"], c["args"], c["id"]) for c in m.tool_calls])
        if isinstance(m, ToolMessage):
            row += (m.name, m.tool_call_id, m.additional_kwargs, m.status)
        out.append(row)
    return out


RETRIED = [
    ("ai", "", "ai-1", [("SelectNumber", {"a": 3}, "call-1")]),
    ("tool", "1 validation error for SelectNumber\na\n  Value error, Only 37 is allowed [type=value_error, "
     f"input_value=3, input_type=int]\n    For further information visit {DOCS}/value_error" + FIX,
     "SelectNumber", "call-1", ERROR, "success"),
    ("ai", "", "ai-2", [("SelectNumber", {"a": 37}, "call-2")]),
    ("tool", '{"a":37}', "SelectNumber", "call-2", {}, "success"),
]


def docstring_graph() -> Any:
    """LangGraph's docstring program (its Anthropic model replaced by a scripted one)."""
    builder = StateGraph(Annotated[list, add_messages])
    llm = ScriptedModel(responses=replies()).bind_tools([SelectNumber])
    builder.add_node("model", llm)
    builder.add_node("validation", ValidationNode([SelectNumber]))
    builder.add_edge(START, "model")

    def should_validate(state: list[Any]) -> Literal["validation", "__end__"]:
        if state[-1].tool_calls:
            return "validation"
        return END

    builder.add_conditional_edges("model", should_validate)

    def should_reprompt(state: list[Any]) -> Literal["model", "__end__"]:
        for msg in state[::-1]:
            # None of the tool calls were errors
            if msg.type == "ai":
                return END
            if msg.additional_kwargs.get("is_error"):
                return "model"
        return END

    builder.add_conditional_edges("validation", should_reprompt)
    return builder.compile()


def messages_graph(name: str | None = None) -> Any:
    """The same loop on ``MessagesState``; the node added by its own name unless ``name``."""
    builder = StateGraph(MessagesState)
    llm = ScriptedModel(responses=replies())
    builder.add_node("model", lambda s: {"messages": [llm.invoke(s["messages"])]})
    validation = name or "validation"
    if name is None:
        builder.add_node(ValidationNode([SelectNumber]))
    else:
        builder.add_node(name, ValidationNode([SelectNumber]))
    builder.add_edge(START, "model")
    builder.add_conditional_edges("model", lambda s: validation if s["messages"][-1].tool_calls else END,
                                  [validation, END])
    builder.add_conditional_edges(
        validation, lambda s: "model" if s["messages"][-1].additional_kwargs.get("is_error") else END, ["model", END])
    return builder.compile()


def test_docstring_program_invoke() -> None:
    res = docstring_graph().invoke(("user", "Select a number, any number"))
    assert transcript(res) == [("human", "Select a number, any number"), *RETRIED]


def test_messages_state_graph_invoke_and_stream() -> None:
    graph = messages_graph()
    assert sorted(graph.get_graph().nodes) == ["__end__", "__start__", "model", "validation"]
    assert transcript(graph.invoke({"messages": [("user", "pick")]})["messages"]) == [("human", "pick"), *RETRIED]
    updates = [{k: transcript(v["messages"]) for k, v in chunk.items()}
               for chunk in messages_graph().stream({"messages": [("user", "pick")]}, stream_mode="updates")]
    assert updates == [{"model": [RETRIED[0]]}, {"validation": [RETRIED[1]]},
                       {"model": [RETRIED[2]]}, {"validation": [RETRIED[3]]}]


def test_graph_node_error_propagates() -> None:
    builder = StateGraph(MessagesState)
    builder.add_node("v", ValidationNode([SelectNumber]))
    builder.add_edge(START, "v")
    with pytest.raises(ValueError) as raised:
        builder.compile().invoke({"messages": [("user", "x")]})
    assert str(raised.value) == "Last message is not an AIMessage"
    [note] = raised.value.__notes__  # (the task id is a hash of the run: only its form is pinned)
    assert note.startswith("During task with name 'v' and id '")


@pytest.mark.anyio
async def test_graphs_ainvoke(anyio_backend: str) -> None:
    # the scripted model is sync; on trio langchain-core's sync API runs in worker threads
    res = await docstring_graph().ainvoke(("user", "Select a number, any number"))
    assert transcript(res) == [("human", "Select a number, any number"), *RETRIED]
    out = await messages_graph("check").ainvoke({"messages": [("user", "pick")]})
    assert transcript(out["messages"]) == [("human", "pick"), *RETRIED]


@pytest.mark.anyio
async def test_node_ainvoke(anyio_backend: str) -> None:
    out = await node().ainvoke({"messages": [AIMessage("", tool_calls=CALLS)]})
    assert answers(out["messages"]) == ANSWERS

