"""Public value types: what nodes return (``Send``, ``Command``, ``Overwrite``), what runs report
(``Interrupt``, ``StateSnapshot``, ``PregelTask``), ``StateUpdate`` and ``RetryPolicy``. Names and fields follow
LangGraph's."""

from __future__ import annotations

import dataclasses
import random
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, NamedTuple, TypedDict, TypeVar

import msgspec

from .errors import GraphBubbleUp


class Send(msgspec.Struct, frozen=True):
    """Run ``node`` in the next super-step with ``arg`` as its input (instead of the state).

    Returned from a conditional edge's router or put in ``Command(goto=...)``; several Sends to
    one node run as separate, concurrent tasks (map-reduce).

    ``key``: a message to one agent of an agent population (``StateGraph.add_agents``):
    ``Send("traders", order, key=42)`` is delivered to agent 42 of ``traders`` in the next
    super-step (the agent is created on its first message). Only agent populations take a key,
    and they need one.

    ``timeout``: the pushed task's own :class:`TimeoutPolicy` instead of the node's (a number of
    seconds or a ``timedelta`` is a ``run_timeout``), as LangGraph's ``Send(..., timeout=)``; the
    node must be ``async`` (``ValueError`` naming it when its task is planned otherwise).
    """

    node: str
    arg: Any
    key: Any = None
    timeout: Any = None  # (a TimeoutPolicy once made)

    def __post_init__(self) -> None:
        if self.timeout is not None and type(self.timeout) is not TimeoutPolicy:
            msgspec.structs.force_setattr(self, "timeout", TimeoutPolicy.coerce(self.timeout))

    def __repr__(self) -> str:
        extra = "" if self.key is None else f", key={self.key!r}"
        if self.timeout is not None:
            extra += f", timeout={self.timeout!r}"
        return f"Send(node={self.node!r}, arg={self.arg!r}{extra})"


N = TypeVar("N")


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True, init=False)
class Command(Generic[N]):
    """Returned by a node to update state and choose where to go; passed as input to resume.

    ``update``: like a returned dict (a dict, a list of ``(key, value)`` pairs, or an object
    with annotated fields). ``goto``: node name(s) or ``Send``(s) to run next. ``resume``: the
    answer to pending ``interrupt()``s (a value, or ``{interrupt_id: value}``). ``graph``:
    ``None`` for this graph or ``Command.PARENT`` for the graph containing this subgraph.
    ``Command[Literal["a", "b"]]`` as a node's return annotation declares its destinations.

    A frozen, keyword-only dataclass as in LangGraph: ``dataclasses.replace(cmd, goto="b")``
    and ``dataclasses.asdict`` work, equality compares the four fields, and the ``repr`` lists
    only the fields that are set (truthy): ``Command(update={'a': 1}, goto='x')``.
    """

    graph: str | None = None
    update: Any = None
    resume: Any = None
    goto: Any = ()

    PARENT: ClassVar[str] = "__parent__"

    def __init__(self, *, graph: str | None = None, update: Any = None, resume: Any = None,
                 goto: Any = ()) -> None:
        # What the generated __init__ of a frozen dataclass does (object.__setattr__ per field),
        # through the slots' own setters: half the cost, and nodes return Commands per step.
        _set_graph(self, graph)
        _set_update(self, update)
        _set_resume(self, resume)
        _set_goto(self, goto)

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={value!r}"
            for name, value in (("graph", self.graph), ("update", self.update),
                                ("resume", self.resume), ("goto", self.goto))
            if value
        )
        return f"Command({shown})"


# Any: the slot member descriptors of Command (typeshed has no type for them).
_slots: Any = Command.__dict__
_set_graph = _slots["graph"].__set__
_set_update = _slots["update"].__set__
_set_resume = _slots["resume"].__set__
_set_goto = _slots["goto"].__set__


class Overwrite(msgspec.Struct, frozen=True):
    """Write ``value`` to a reducer key as is, bypassing the reducer for this super-step.
    ``type`` tells it from other values once it has lost its class (JSON: ``{"value": v,
    "type": "__overwrite__"}``), as LangGraph's."""

    value: Any
    type: Literal["__overwrite__"] = "__overwrite__"


R = TypeVar("R")


class Interrupt(msgspec.Struct, Generic[R], frozen=True):
    """A pending ``interrupt()``: the ``value`` shown to the human and the ``id`` to resume it by.

    Built as LangGraph's: ``Interrupt(value)``, ``Interrupt(value, id)`` or by keyword; an
    ``Interrupt`` made without an id has LangGraph's placeholder id, ``"placeholder-id"``.
    Generic as LangGraph's, in the type of answer its ``response_schema`` asks for
    (``Interrupt[Decision]``).
    """

    value: Any
    id: str = "placeholder-id"
    response_schema: Any = None

    @classmethod
    def from_ns(cls, value: Any, ns: str, *, response_schema: Any = None) -> Interrupt[Any]:
        """The interrupt a task with checkpoint namespace ``ns`` (``"node:<task id>"``, a
        subgraph's ``"outer:<id>|node:<id>"``) raises first: its id is the one ``interrupt()``
        gives there, as LangGraph's ``Interrupt.from_ns``."""
        from .runtime._interrupt import interrupt_id

        return cls(value=value, id=interrupt_id(ns, 0), response_schema=response_schema)

    @property
    def interrupt_id(self) -> str:
        """Deprecated (LangGraph 1.0's ``interrupt_id``, warning as there): :attr:`id`."""
        from .warnings import LangGraphDeprecatedSinceV10

        warnings.warn("`interrupt_id` is deprecated. Use `id` instead.", LangGraphDeprecatedSinceV10, stacklevel=2)
        return self.id


class PregelTask(NamedTuple):
    """One task of a super-step as shown by ``get_state``.

    ``error`` is None unless the task failed; then it is the text the checkpointer stored for
    the failure, ``repr(exc)`` (e.g. ``"ValueError('bad value')"``), as in LangGraph: the
    exception object itself is not kept.
    """

    id: str
    name: str
    path: tuple[Any, ...]
    error: str | None = None
    interrupts: tuple[Interrupt[Any], ...] = ()
    state: Any = None
    result: Any = None


class StateSnapshot(NamedTuple):
    """The state of a thread at one checkpoint (``get_state`` / ``get_state_history``)."""

    values: Any
    next: tuple[str, ...]
    config: dict[str, Any]
    metadata: dict[str, Any] | None
    created_at: str | None
    parent_config: dict[str, Any] | None
    tasks: tuple[PregelTask, ...]
    interrupts: tuple[Interrupt[Any], ...] = ()


class StateUpdate(NamedTuple):
    """One update of ``bulk_update_state``: ``values`` written as if node ``as_node`` had
    returned them (``None``: the node inferred, for a lone update); ``task_id`` names the
    update's task (default: one made up)."""

    values: Any
    as_node: str | None = None
    task_id: str | None = None


_NEVER_RETRY: tuple[type[BaseException], ...] = (
    ValueError, TypeError, ArithmeticError, ImportError, LookupError, NameError, SyntaxError,
    RuntimeError, ReferenceError, StopIteration, StopAsyncIteration, OSError,
)


def default_retry_on(exc: BaseException) -> bool:
    """LangGraph's default: retry ``ConnectionError``, httpx's ``HTTPStatusError`` and requests'
    ``HTTPError`` with a 5xx status (requests' also when its ``response`` is missing or falsy,
    as LangGraph tests it) and anything else, except programming errors (``ValueError``,
    ``TypeError``, ``LookupError``, …) and other ``OSError``s. (httpx and requests are only
    looked at when the program imported them: their errors cannot exist otherwise.)"""
    if isinstance(exc, ConnectionError):
        return True
    httpx = sys.modules.get("httpx")
    if httpx is not None and isinstance(exc, httpx.HTTPStatusError):
        return 500 <= exc.response.status_code < 600  # type: ignore[no-any-return]
    requests = sys.modules.get("requests")
    if requests is not None and isinstance(exc, requests.HTTPError):
        response = exc.response
        return 500 <= response.status_code < 600 if response else True
    if isinstance(exc, GraphBubbleUp):
        return False
    return not isinstance(exc, _NEVER_RETRY)


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How a node retries a failed attempt, inside the same super-step.

    Attempt k (k >= 1) waits ``min(max_interval, initial_interval * backoff_factor**(k-1))``
    seconds before running again, times a random factor in [1, 2) when ``jitter``. ``retry_on``
    is an exception class, a sequence of them, or a predicate.
    """

    initial_interval: float = 0.5
    backoff_factor: float = 2.0
    max_interval: float = 128.0
    max_attempts: int = 3
    jitter: bool = True
    retry_on: (
        type[BaseException] | Sequence[type[BaseException]] | Callable[[BaseException], bool]
    ) = default_retry_on

    def should_retry(self, exc: BaseException) -> bool:
        retry_on = self.retry_on
        if isinstance(retry_on, type):
            return isinstance(exc, retry_on)
        if isinstance(retry_on, Sequence):
            return isinstance(exc, tuple(retry_on))
        return bool(retry_on(exc))

    def interval(self, attempt: int) -> float:
        delay = min(self.max_interval, self.initial_interval * self.backoff_factor ** (attempt - 1))
        return delay * (1 + random.random()) if self.jitter else delay


def retry_policies(given: RetryPolicy | Sequence[RetryPolicy] | None) -> tuple[RetryPolicy, ...]:
    """A ``retry_policy=`` argument (one policy, several, or None) as a tuple of policies."""
    if given is None:
        return ()
    if isinstance(given, RetryPolicy):
        return (given,)
    return tuple(given)


__all__ = [
    "Command",
    "Interrupt",
    "Overwrite",
    "PregelTask",
    "RetryPolicy",
    "Send",
    "StateSnapshot",
    "StateUpdate",
    "default_retry_on",
]

# -- version="v2" streaming (LangGraph 1.2's typed stream parts) -------------------------------


class ValuesStreamPart(TypedDict):
    """``stream_mode="values"`` with ``version="v2"``: the state after a step (coerced to a
    pydantic / dataclass output schema), the interrupts it stopped at apart."""

    type: Literal["values"]
    ns: tuple[str, ...]
    data: Any
    interrupts: tuple[Interrupt[Any], ...]


class UpdatesStreamPart(TypedDict):
    """``stream_mode="updates"``: ``data`` maps node names to their writes (or
    ``__interrupt__`` to the interrupts)."""

    type: Literal["updates"]
    ns: tuple[str, ...]
    data: dict[str, Any]


class MessagesStreamPart(TypedDict):
    """``stream_mode="messages"``: ``data`` is ``(message, metadata)``."""

    type: Literal["messages"]
    ns: tuple[str, ...]
    data: tuple[Any, dict[str, Any]]


class CustomStreamPart(TypedDict):
    """``stream_mode="custom"``: what a node gave its stream writer."""

    type: Literal["custom"]
    ns: tuple[str, ...]
    data: Any


class CheckpointStreamPart(TypedDict):
    """``stream_mode="checkpoints"``: a checkpoint's payload (its ``values`` coerced to a
    pydantic / dataclass state schema, except the input checkpoint's)."""

    type: Literal["checkpoints"]
    ns: tuple[str, ...]
    data: dict[str, Any]


class TasksStreamPart(TypedDict):
    """``stream_mode="tasks"``: a task's start or result payload."""

    type: Literal["tasks"]
    ns: tuple[str, ...]
    data: dict[str, Any]


class DebugStreamPart(TypedDict):
    """``stream_mode="debug"``: a checkpoint, task or task-result event."""

    type: Literal["debug"]
    ns: tuple[str, ...]
    data: dict[str, Any]


class ToolsStreamPart(TypedDict):
    """``stream_mode="tools"``: a tool call's ``tool-started``/``tool-finished``/``tool-error``
    (or ``tool-output-delta``) event."""

    type: Literal["tools"]
    ns: tuple[str, ...]
    data: dict[str, Any]


StreamPart = (ValuesStreamPart | UpdatesStreamPart | MessagesStreamPart | CustomStreamPart
              | CheckpointStreamPart | TasksStreamPart | DebugStreamPart | ToolsStreamPart)
"""What ``stream``/``astream(..., version="v2")`` yields: a dict of ``type`` (the mode),
``ns`` (the namespace, ``()`` for the root graph) and ``data``; narrow on ``part["type"]``."""


class GraphOutputKeyWarning(DeprecationWarning):
    """Reading a :class:`GraphOutput` as the dict that ``version="v1"`` returns."""


@dataclasses.dataclass(frozen=True)
class GraphOutput(Generic[N]):
    """What ``invoke``/``ainvoke(..., version="v2")`` return (``stream_mode="values"``): the
    output (coerced to a pydantic / dataclass output schema) and the interrupts the run stopped
    at, as LangGraph 1.2's."""

    value: N
    interrupts: tuple[Interrupt[Any], ...] = ()

    def __getitem__(self, key: str) -> Any:
        """Deprecated (as in LangGraph): ``result["__interrupt__"]`` or an output key."""
        warnings.warn("Accessing GraphOutput via `result[key]` is deprecated. Use `result.value` to access "
                      "the output value directly, or `result.interrupts` for interrupts.",
                      GraphOutputKeyWarning, stacklevel=2)
        if key == "__interrupt__":
            return self.interrupts
        if isinstance(self.value, dict):
            return self.value[key]
        try:
            return getattr(self.value, key)
        except AttributeError:
            raise KeyError(key) from None

    def __contains__(self, key: object) -> bool:
        """Deprecated (as in LangGraph): ``"__interrupt__" in result`` or an output key."""
        warnings.warn("Accessing GraphOutput via `key in result` is deprecated. Use `result.value` to access "
                      "the output value directly, or `result.interrupts` for interrupts.",
                      GraphOutputKeyWarning, stacklevel=2)
        if key == "__interrupt__":
            return bool(self.interrupts)
        if isinstance(self.value, dict):
            return key in self.value
        return isinstance(key, str) and hasattr(self.value, key)


__all__ += ["CheckpointStreamPart", "CustomStreamPart", "DebugStreamPart", "GraphOutput", "GraphOutputKeyWarning",
            "MessagesStreamPart", "StreamPart", "TasksStreamPart", "ToolsStreamPart", "UpdatesStreamPart",
            "ValuesStreamPart"]

from ._policies import CachePolicy, TimeoutPolicy, default_cache_key  # noqa: E402  (issue 14: node policies)

# -- payload shapes of the tasks / checkpoints / debug stream modes (LangGraph 1.2's names, for
#    annotating what a stream yields; the chunks are plain dicts) ----------------------------


class TaskPayload(TypedDict):
    """A ``tasks`` chunk when a task starts (``debug``: the ``payload`` of a ``"task"`` event)."""

    id: str
    name: str
    input: Any
    triggers: list[str]


class TaskResultPayload(TypedDict):
    """A ``tasks`` chunk when a task ends: its error (or None), questions and writes."""

    id: str
    name: str
    error: str | None
    interrupts: list[dict[str, Any]]
    result: dict[str, Any]


class CheckpointTask(TypedDict, total=False):
    """A task listed in a :class:`CheckpointPayload` (``id``, ``name`` and ``state`` always;
    ``error``, or ``result`` and ``interrupts``, as the task stands)."""

    id: str
    name: str
    error: str
    result: Any
    interrupts: list[dict[str, Any]]
    state: Any


class CheckpointPayload(TypedDict):
    """A ``checkpoints`` chunk (``debug``: the ``payload`` of a ``"checkpoint"`` event)."""

    config: dict[str, Any] | None
    metadata: dict[str, Any]
    values: Any
    next: list[str]
    parent_config: dict[str, Any] | None
    tasks: list[CheckpointTask]


class _DebugEvent(TypedDict):
    step: int
    timestamp: str
    type: Literal["checkpoint", "task", "task_result"]
    payload: Any


DebugPayload = _DebugEvent
"""A ``debug`` chunk: ``type`` says which payload it carries (``"checkpoint"``: a
:class:`CheckpointPayload`, ``"task"``: a :class:`TaskPayload`, ``"task_result"``: a
:class:`TaskResultPayload`)."""

Checkpointer = Any
"""What ``compile(checkpointer=...)`` takes (LangGraph's alias): ``None`` (a subgraph inherits
its parent's), ``True`` (a subgraph keeps its own state across calls), ``False`` (none) or a
saver."""

__all__ += ["CheckpointPayload", "CheckpointTask", "Checkpointer", "DebugPayload", "TaskPayload",
            "TaskResultPayload"]



@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class TracePolicy:
    """What a node's own run shows to tracers (``add_node(..., trace_policy=...)``), as
    LangGraph 1.2's: ``process_inputs`` / ``process_outputs`` turn the node's input / return
    value into what LangChain *tracers* (LangSmith's, ``BaseTracer`` subclasses that do not feed
    a stream) record for the node's run; other callback handlers, the node itself and the
    graph see the real values. A processor that raises is logged and the real value recorded.
    Not a redaction tool: runs inside the node (a model's) are not affected."""

    process_inputs: Callable[[Any], Any] | None = None
    process_outputs: Callable[[Any], Any] | None = None


def omit_payload(_value: Any) -> dict[str, Any]:
    """A :class:`TracePolicy` processor recording an empty payload (the run and its timing
    stay, the value is left out)."""
    return {}

__all__ += ["CachePolicy", "TimeoutPolicy", "TracePolicy", "default_cache_key", "omit_payload"]


# -- LangGraph's ``langgraph.types`` also holds these (a port by imports finds them here) --------

StreamMode = Literal["values", "updates", "custom", "messages", "debug", "tasks", "checkpoints", "tools"]
"""A ``stream_mode`` of ``stream``/``astream`` (or one of a list of them)."""

All = Literal["*"]
"""``interrupt_before="*"`` / ``interrupt_after="*"``: every node."""

Durability = Literal["sync", "async", "exit"]
"""``durability=`` of a run: when a step's checkpoint is written (see ``runtime._persist``)."""

StreamWriter = Callable[[Any], None]
"""``writer(chunk)``: emit ``chunk`` on the ``custom`` stream mode."""

__all__ += ["All", "Durability", "StreamMode", "StreamWriter", "interrupt"]

if TYPE_CHECKING:
    from .runtime._interrupt import interrupt
else:
    def __getattr__(name: str) -> Any:
        # interrupt() lives with the runtime, which imports this module: found on first use
        if name == "interrupt":
            from .runtime._interrupt import interrupt

            return interrupt
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
