"""Differences found by running LangGraph's own small test files (libs/langgraph/tests/test_*.py)
on actorgraph; expected values are what LangGraph 1.2.24 gives."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Annotated, Any, Optional, TypedDict

import anyio
import pytest
from typing_extensions import NotRequired, Required

from actorgraph.func import entrypoint, task
from actorgraph.graph import START, StateGraph
from actorgraph.graph.ui import AnyUIMessage, delete_ui_message, push_ui_message, ui_message_reducer
from actorgraph.managed import IsLastStep, RemainingSteps
from actorgraph.types import RetryPolicy, TimeoutPolicy
from actorgraph.errors import ErrorCode, GraphRecursionError, NodeTimeoutError, TaskNotFound, create_error_message

# -- from LangGraph's test_errors.py ------------------------------------------------------------


def test_error_codes_and_create_error_message() -> None:
    # LangGraph 1.2.24's errors module exports ErrorCode (5 members), create_error_message and
    # TaskNotFound; we had only error_message(message, code)
    assert [c.value for c in ErrorCode] == [
        "GRAPH_RECURSION_LIMIT", "INVALID_CONCURRENT_GRAPH_UPDATE", "INVALID_GRAPH_NODE_RETURN_VALUE",
        "MULTIPLE_SUBGRAPHS", "INVALID_CHAT_HISTORY"]
    assert create_error_message(message="too deep", error_code=ErrorCode.GRAPH_RECURSION_LIMIT) == (
        "too deep\nFor troubleshooting, visit: "
        "https://docs.langchain.com/oss/python/langgraph/errors/GRAPH_RECURSION_LIMIT")
    with pytest.raises(TypeError):
        create_error_message("positional", ErrorCode.MULTIPLE_SUBGRAPHS)  # type: ignore[misc]
    with pytest.raises(TaskNotFound, match="no such task"):
        raise TaskNotFound("no such task")
    assert not issubclass(TaskNotFound, GraphRecursionError)


# -- from LangGraph's test_state.py (test_state_schema_default_values) --------------------------


def test_dataclass_state_optional_field_without_default_is_not_required_in_jsonschema() -> None:
    # LangGraph 1.2.24: a dataclass state's field typed Optional[X] / X | None (also under
    # Annotated) with no default is not required in get_input/output_jsonschema and shows
    # "default": None; we listed it as required. (A TypedDict's stays required, as there.)
    @dataclasses.dataclass
    class D:
        a: str
        b: Optional[int]  # noqa: UP045  (the spelling under test)
        c: Annotated[float | None, "note"]
        e: str | None = "e"
        f: int = dataclasses.field(default=...)  # type: ignore[assignment]

    class T(TypedDict):
        a: str
        b: Optional[int]  # noqa: UP045

    g = StateGraph(D).add_node("n", lambda s: {}).add_edge(START, "n").compile()
    expected_props = {
        "a": {"title": "A", "type": "string"},
        "b": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None, "title": "B"},
        "c": {"anyOf": [{"type": "number"}, {"type": "null"}], "default": None, "title": "C"},
        "e": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": "e", "title": "E"},
        "f": {"title": "F", "type": "integer"},
    }
    for schema, title in ((g.get_input_jsonschema(), "LangGraphInput"), (g.get_output_jsonschema(), "LangGraphOutput")):
        assert schema == {"properties": expected_props, "required": ["a", "f"], "title": title, "type": "object"}
    t = StateGraph(T).add_node("n", lambda s: {}).add_edge(START, "n").compile()
    assert t.get_input_jsonschema()["required"] == ["a", "b"]


# -- from LangGraph's test_retry.py (test_entrypoint_timeout_allows_pre_timeout_child_task_to_run)


def test_task_and_entrypoint_refuse_a_timeout_on_a_sync_function() -> None:
    # LangGraph 1.2.24: @task(timeout=...) and @entrypoint(timeout=...) exist; a sync function
    # with one is refused with ValueError when decorated; we had no timeout= there (TypeError)
    with pytest.raises(ValueError, match="sync"):
        task(timeout=1)(lambda x: x)
    with pytest.raises(ValueError, match="sync"):
        entrypoint(timeout=1)(lambda x: x)
    assert task(timeout=0.05)(_slow_double).timeout == TimeoutPolicy(run_timeout=0.05)
    # a timeout that is no number > 0 is refused at once (before decorating), as there
    for bad, message in ((0, "run_timeout must be greater than 0"), (-1, "run_timeout must be greater than 0"),
                         (TimeoutPolicy(idle_timeout=0), "idle_timeout must be greater than 0")):
        with pytest.raises(ValueError, match=message):
            task(timeout=bad)
        with pytest.raises(ValueError, match=message):
            entrypoint(timeout=bad)


async def _slow_double(x: int) -> int:
    await anyio.sleep(0.3)
    return x * 2


@pytest.mark.anyio
async def test_task_and_entrypoint_timeouts(anyio_backend: str) -> None:
    calls: list[int] = []

    @task(timeout=0.05, retry_policy=RetryPolicy(max_attempts=2, initial_interval=0.0, jitter=False,
                                                 retry_on=NodeTimeoutError))
    async def slow_once(x: int) -> int:
        calls.append(x)
        if len(calls) < 2:
            await anyio.sleep(0.3)
        return x * 10

    @task(timeout=TimeoutPolicy(idle_timeout=0.05))
    async def idle(x: int) -> None:
        await anyio.sleep(0.3)

    @entrypoint()
    async def wf(x: int) -> Any:
        first = await slow_once(x)
        try:
            await idle(x)
        except NodeTimeoutError as exc:
            return (first, list(calls), exc.node, exc.kind, exc.idle_timeout, exc.run_timeout)
        return None

    # LangGraph 1.2.24: the first attempt of slow_once timed out and was retried; idle's call
    # failed with NodeTimeoutError(node='idle', kind='idle')
    assert await wf.ainvoke(1) == (10, [1, 1], "idle", "idle", 0.05, None)

    @entrypoint(timeout=0.05)
    async def too_slow(x: int) -> int:
        await anyio.sleep(0.3)
        return x

    with pytest.raises(NodeTimeoutError) as caught:
        await too_slow.ainvoke(1)
    assert (caught.value.node, caught.value.kind, caught.value.run_timeout) == ("too_slow", "run", 0.05)


# -- from LangGraph's test_managed_values.py ----------------------------------------------------


def test_state_graph_managed_lists_managed_keys() -> None:
    # LangGraph 1.2.24: StateGraph(...).managed maps each managed key (also under Required /
    # NotRequired) to its manager class; we had no such attribute
    class Plain(TypedDict):
        x: int
        remaining_steps: RemainingSteps
        last: IsLastStep

    class Wrapped(TypedDict):
        a: NotRequired[RemainingSteps]
        b: Required[RemainingSteps]

    def names(managed: dict[str, type]) -> dict[str, str]:
        return {key: manager.__name__ for key, manager in managed.items()}

    assert names(StateGraph(Plain).managed) == {"remaining_steps": "RemainingStepsManager", "last": "IsLastStepManager"}
    assert names(StateGraph(Wrapped).managed) == {"a": "RemainingStepsManager", "b": "RemainingStepsManager"}
    assert "remaining_steps" not in StateGraph(Plain).channels


# -- from LangGraph's test_deprecation.py -------------------------------------------------------


class _Ctx(TypedDict):
    user: str


def test_config_schema_is_deprecated_and_types_configurable_by_the_context() -> None:
    # LangGraph 1.2.24: graph.config_schema() / get_config_jsonschema() warn
    # (LangGraphDeprecatedSinceV10) and describe `configurable` as the context schema; ours were
    # LangChain's Runnable methods (no warning, an empty model)
    from actorgraph.warnings import LangGraphDeprecatedSinceV10

    ctx_schema = {"properties": {"user": {"title": "User", "type": "string"}}, "required": ["user"],
                  "title": "_Ctx", "type": "object"}
    expected = {"$defs": {"_Ctx": ctx_schema}, "properties": {"configurable": {"$ref": "#/$defs/_Ctx", "default": None}},
                "title": "LangGraphConfig", "type": "object"}
    g = StateGraph(_Ctx, context_schema=_Ctx).add_node("n", lambda s: {}).add_edge(START, "n").compile()
    with pytest.warns(LangGraphDeprecatedSinceV10, match="`config_schema` is deprecated. Use `get_context_jsonschema`"):
        model = g.config_schema()
    assert model.__name__ == "LangGraphConfig"
    assert model.model_json_schema() == expected
    with pytest.warns(LangGraphDeprecatedSinceV10, match="`get_config_jsonschema` is deprecated. Use `get_context_jsonschema`"):
        assert g.get_config_jsonschema() == expected
    plain = StateGraph(_Ctx).add_node("n", lambda s: {}).add_edge(START, "n").compile()
    with pytest.warns(LangGraphDeprecatedSinceV10):
        assert plain.get_config_jsonschema() == {"properties": {}, "title": "LangGraphConfig", "type": "object"}

    @entrypoint(context_schema=_Ctx)
    def wf(x: int) -> int:
        return x

    with pytest.warns(LangGraphDeprecatedSinceV10):
        assert wf.get_config_jsonschema() == expected


def test_deprecated_retry_and_config_schema_keywords_of_task_and_entrypoint() -> None:
    # LangGraph 1.2.24: @task(retry=...), @entrypoint(retry=...) and @entrypoint(config_schema=...)
    # work, warning; we raised TypeError
    from actorgraph.warnings import LangGraphDeprecatedSinceV05, LangGraphDeprecatedSinceV10

    seven = RetryPolicy(max_attempts=7)
    with pytest.warns(LangGraphDeprecatedSinceV05, match="`retry` is deprecated and will be removed. Please use `retry_policy` instead."):
        @task(retry=seven)
        def t(x: int) -> int:
            return x
    assert t.retry_policy == (seven,)
    with pytest.warns(LangGraphDeprecatedSinceV05, match="`retry` is deprecated"):
        @task(retry=seven, retry_policy=RetryPolicy())
        def t2(x: int) -> int:
            return x
    assert t2.retry_policy == (RetryPolicy(),)  # (retry_policy wins)
    with pytest.warns(LangGraphDeprecatedSinceV05, match="`retry` is deprecated"):
        @entrypoint(retry=seven)
        def e(x: int) -> int:
            return x
    assert e.invoke(3) == 3
    with pytest.warns(LangGraphDeprecatedSinceV10,
                      match="`config_schema` is deprecated and will be removed. Please use `context_schema` instead."):
        @entrypoint(config_schema=_Ctx)
        def e2(x: int) -> int:
            return x
    assert e2.context_schema is _Ctx


def test_interrupt_id_and_deprecation_texts() -> None:
    # LangGraph 1.2.24: Interrupt.interrupt_id is `id`, warning; and its texts for NodeInterrupt
    # and checkpoint_during (we had none, and other texts)
    from actorgraph.errors import NodeInterrupt
    from actorgraph.types import Interrupt
    from actorgraph.warnings import LangGraphDeprecatedSinceV10

    with pytest.warns(LangGraphDeprecatedSinceV10, match="`interrupt_id` is deprecated. Use `id` instead."):
        assert Interrupt(value="q", id="abc").interrupt_id == "abc"
    with pytest.warns(LangGraphDeprecatedSinceV10,
                      match="NodeInterrupt is deprecated. Please use `langgraph.types.interrupt` instead."):
        NodeInterrupt("stop")
    g = StateGraph(_Ctx).add_node("n", lambda s: {}).add_edge(START, "n").compile()
    with pytest.warns(LangGraphDeprecatedSinceV10,
                      match="`checkpoint_during` is deprecated and will be removed. Please use `durability` instead."):
        g.invoke({"user": "u"}, checkpoint_during=True)


# -- from LangGraph's test_interrupt_migration.py (Interrupt.from_ns) ---------------------------


def test_interrupt_from_ns_is_the_id_interrupt_gives() -> None:
    # LangGraph 1.2.24: Interrupt.from_ns(value, ns) is the interrupt a task of checkpoint
    # namespace ns raises first (same id), also for a subgraph's task; we had no from_ns
    from actorgraph.checkpoint.memory import InMemorySaver
    from actorgraph.types import Command, Interrupt, interrupt

    class S(TypedDict):
        a: int

    def ask(s: S) -> dict[str, Any]:
        interrupt("q")
        return {}

    sub = StateGraph(S).add_node("ask", ask).add_edge(START, "ask").compile()
    g = (StateGraph(S).add_node("ask", ask).add_node("sub", sub).add_edge(START, "ask").add_edge("ask", "sub")
         .compile(checkpointer=InMemorySaver()))
    cfg = {"configurable": {"thread_id": "1"}}
    out = g.invoke({"a": 1}, cfg)
    task_id = g.get_state(cfg).tasks[0].id
    assert out["__interrupt__"][0].id == Interrupt.from_ns("q", f"ask:{task_id}").id
    g.invoke(Command(resume=1), cfg)
    outer = g.get_state(cfg, subgraphs=True).tasks[0]
    inner = outer.state.tasks[0]
    assert outer.interrupts[0].id == Interrupt.from_ns("q", f"sub:{outer.id}|ask:{inner.id}").id
    made = Interrupt.from_ns("v", "x:1", response_schema={"type": "string"})
    assert (made.value, made.response_schema) == ("v", {"type": "string"})


# -- langgraph.graph.ui (found while checking which LangGraph 1.2.24 modules exist here) ---------


def _ui_graph(is_async: bool) -> Any:
    class UIState(TypedDict):
        ui: Annotated[Sequence[AnyUIMessage], ui_message_reducer]
        n: int

    def first(s: UIState) -> dict[str, Any]:
        push_ui_message("card", {"x": 1}, id="c1", metadata={"k": "v"})
        push_ui_message("card", {"y": 2}, id="c1", merge=True)
        push_ui_message("other", {"z": 3}, id="o1", state_key=None)
        return {"n": 1}

    async def afirst(s: UIState) -> dict[str, Any]:
        return first(s)

    def second(s: UIState) -> dict[str, Any]:
        delete_ui_message("c1")
        push_ui_message("late", {}, id="l1")
        return {"n": 2}

    return (StateGraph(UIState).add_node("a", afirst if is_async else first).add_node("b", second)
            .add_edge(START, "a").add_edge("a", "b").compile())


def _ui(id_: str, name: str, props: dict[str, Any], merge: bool = False, **extra: Any) -> dict[str, Any]:
    return {"type": "ui", "id": id_, "name": name, "props": props,
            "metadata": {"merge": merge, "run_id": None, "tags": ["t1"], "name": None, **extra}}


# what LangGraph 1.2.24 streams for _ui_graph (custom, updates and values); we had no graph.ui
_UI_CHUNKS = [
    ("values", {"ui": [], "n": 0}),
    ("custom", _ui("c1", "card", {"x": 1}, k="v")),
    ("custom", _ui("c1", "card", {"y": 2}, merge=True)),
    ("custom", _ui("o1", "other", {"z": 3})),
    ("updates", {"a": [{"ui": _ui("c1", "card", {"x": 1}, k="v")}, {"ui": _ui("c1", "card", {"y": 2}, merge=True)},
                       {"n": 1}]}),
    ("values", {"ui": [_ui("c1", "card", {"x": 1, "y": 2}, merge=True)], "n": 1}),
    ("custom", {"type": "remove-ui", "id": "c1"}),
    ("custom", _ui("l1", "late", {})),
    ("updates", {"b": [{"ui": {"type": "remove-ui", "id": "c1"}}, {"ui": _ui("l1", "late", {})}, {"n": 2}]}),
    ("values", {"ui": [_ui("l1", "late", {})], "n": 2}),
]


def test_graph_ui_messages_sync() -> None:
    chunks = list(_ui_graph(False).stream({"n": 0}, {"run_name": "RN", "tags": ["t1"]},
                                          stream_mode=["custom", "updates", "values"]))
    assert chunks == _UI_CHUNKS
    with pytest.raises(ValueError, match="Attempting to delete an UI message with an ID that doesn't exist"):
        ui_message_reducer([], {"type": "remove-ui", "id": "9"})
    with pytest.raises(RuntimeError):
        push_ui_message("x", {})


@pytest.mark.anyio
async def test_graph_ui_messages_async(anyio_backend: str) -> None:
    chunks = [c async for c in _ui_graph(True).astream({"n": 0}, {"run_name": "RN", "tags": ["t1"]},
                                                       stream_mode=["custom", "updates", "values"])]
    assert chunks == _UI_CHUNKS


def test_langgraph_channel_module_paths() -> None:
    # LangGraph 1.2.24 has a module per channel (langgraph.channels.last_value...), which ported
    # code imports from; we had only actorgraph.channels
    import importlib

    import actorgraph.channels as channels

    paths = {"any_value": ["AnyValue"], "base": ["BaseChannel"], "binop": ["BinaryOperatorAggregate"],
             "ephemeral_value": ["EphemeralValue"], "last_value": ["LastValue", "LastValueAfterFinish"],
             "named_barrier_value": ["NamedBarrierValue", "NamedBarrierValueAfterFinish"], "topic": ["Topic"],
             "untracked_value": ["UntrackedValue"]}
    for module, names in paths.items():
        mod = importlib.import_module(f"actorgraph.channels.{module}")
        assert list(mod.__all__) == names
        for name in names:
            assert getattr(mod, name) is getattr(channels, name)


# -- from LangGraph's test_retry.py (test_should_retry_default_retry_on) ------------------------


def test_default_retry_on_http_errors() -> None:
    # LangGraph 1.2.24's default retry_on: httpx HTTPStatusError / requests HTTPError retried
    # for 5xx only, a requests HTTPError without response retried; any other exception that
    # happens to carry a .response.status_code is judged by its class alone (we retried only
    # 5xx for those, and never a requests HTTPError without response)
    from unittest.mock import Mock

    from actorgraph.types import default_retry_on

    def response(code: int) -> Any:
        r = Mock()
        r.status_code = code
        return r

    class ApiError(Exception):
        def __init__(self, code: int) -> None:
            super().__init__(code)
            self.response = response(code)

    assert default_retry_on(ApiError(404)) is True
    assert default_retry_on(ApiError(503)) is True
    httpx = pytest.importorskip("httpx")
    requests = pytest.importorskip("requests")
    assert default_retry_on(httpx.HTTPStatusError("e", request=Mock(), response=response(503))) is True
    assert default_retry_on(httpx.HTTPStatusError("e", request=Mock(), response=response(404))) is False
    assert default_retry_on(httpx.HTTPStatusError("e", request=Mock(), response=response(600))) is False
    with_5xx, with_4xx, without = requests.HTTPError("e"), requests.HTTPError("e"), requests.HTTPError("e")
    with_5xx.response, with_4xx.response, without.response = response(502), response(400), None
    assert [default_retry_on(e) for e in (with_5xx, with_4xx, without)] == [True, False, True]
    assert default_retry_on(ConnectionError()) is True
    assert default_retry_on(OSError()) is False


def test_stream_payload_type_names() -> None:
    # LangGraph 1.2.24's langgraph.types has TaskPayload, TaskResultPayload, CheckpointTask,
    # CheckpointPayload, DebugPayload and Checkpointer (for annotations); we had none of them.
    # The chunks of the tasks / checkpoints modes have those TypedDicts' keys.
    from actorgraph.checkpoint.memory import InMemorySaver
    from actorgraph.types import CheckpointPayload, Checkpointer, DebugPayload, TaskPayload, TaskResultPayload

    class S1(TypedDict):
        x: int

    g = StateGraph(S1).add_node("n", lambda s: {"x": 2}).add_edge(START, "n").compile(checkpointer=InMemorySaver())
    chunks = list(g.stream({"x": 1}, {"configurable": {"thread_id": "1"}}, stream_mode=["tasks", "checkpoints"]))
    starts = [c for m, c in chunks if m == "tasks" and "input" in c]
    ends = [c for m, c in chunks if m == "tasks" and "result" in c]
    checkpoints = [c for m, c in chunks if m == "checkpoints"]
    assert set(starts[0]) >= set(TaskPayload.__annotations__)
    assert set(ends[0]) >= set(TaskResultPayload.__annotations__)
    assert set(checkpoints[0]) >= set(CheckpointPayload.__annotations__)
    assert {"step", "timestamp", "type", "payload"} <= set(DebugPayload.__annotations__)
    assert Checkpointer is not None
