"""Every error actorgraph raises, in one place.

::

    Exception
    ├── actors.ActorError                  the actor kernel (see actorgraph.actors)
    │   ├── ActorStopped, MailboxFull, SpawnError
    │   └── AskTimeout (also TimeoutError)
    ├── GraphError                         base of graph errors
    │   ├── InvalidUpdateError             a write a channel cannot take (names the key)
    │   ├── EmptyChannelError              reading a channel that has no value
    │   ├── EmptyInputError                a run started without input
    │   ├── ThreadBusyError                a second concurrent run on one thread
    │   ├── ResumeError (RuntimeError)     a resume that matches no pending interrupt
    │   ├── NodeCancelledError             a node raised CancelledError itself (names it)
    │   ├── AgentAddressError (ValueError) a Send with a key to a node, or none to agents
    │   ├── AgentError                     an agent population's factory or state failed
    │   └── GraphValidationError (also ValueError)   compile-time problems (names node/edge)
    ├── GraphRecursionError (RecursionError)   recursion_limit reached
    └── GraphBubbleUp                      control flow, not errors
        ├── GraphInterrupt                 interrupt() paused the run
        │   └── NodeInterrupt              raised by a node to pause (LangGraph's deprecated form)
        └── ParentCommand                  Command(graph=PARENT) escaping a subgraph

    TaskCancelledError (asyncio.CancelledError and concurrent.futures.CancelledError, an
                       Exception through the latter): a cancelled task call's future

    UserWarning
    └── UnknownDestinationWarning          a goto / Send / router named no node: dropped

Errors LangGraph users catch keep LangGraph's names and base classes. Messages of errors that
LangGraph documents end with the same troubleshooting line.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import warnings
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .actors import ActorError, ActorStopped, AskTimeout, MailboxFull, SpawnError

_TROUBLESHOOTING = "https://docs.langchain.com/oss/python/langgraph/errors/"


def error_message(message: str, code: str) -> str:
    """``message`` plus LangGraph's troubleshooting line for error ``code``."""
    return f"{message}\nFor troubleshooting, visit: {_TROUBLESHOOTING}{code}"


class ErrorCode(Enum):
    """The codes of the errors LangGraph's troubleshooting pages document (the last part of the
    URL :func:`create_error_message` appends)."""

    GRAPH_RECURSION_LIMIT = "GRAPH_RECURSION_LIMIT"
    INVALID_CONCURRENT_GRAPH_UPDATE = "INVALID_CONCURRENT_GRAPH_UPDATE"
    INVALID_GRAPH_NODE_RETURN_VALUE = "INVALID_GRAPH_NODE_RETURN_VALUE"
    MULTIPLE_SUBGRAPHS = "MULTIPLE_SUBGRAPHS"
    INVALID_CHAT_HISTORY = "INVALID_CHAT_HISTORY"


def create_error_message(*, message: str, error_code: ErrorCode) -> str:
    """LangGraph's spelling of :func:`error_message`: ``message`` plus the troubleshooting line
    for ``error_code``."""
    return error_message(message, error_code.value)


class TaskNotFound(Exception):
    """LangGraph's error for an executor that cannot find a task (its distributed mode); kept so
    ported code that imports or catches it works. actorgraph never raises it."""


class GraphError(Exception):
    """Base class of graph errors."""


class InvalidUpdateError(GraphError):
    """A node, input or ``update_state`` wrote something a channel cannot take: two values to a
    last-value key in one step, an unknown key where keys are checked, a value of the wrong type
    for a msgspec/dataclass schema, or a node returning something that is not an update."""


class EmptyChannelError(GraphError):
    """``get()`` on a channel that holds no value yet."""


class EmptyInputError(GraphError):
    """A run was started with no input (``None`` on a fresh thread, or an empty ``Command()``)."""


class GraphValidationError(GraphError, ValueError):
    """``compile()`` (or the builder) found a problem; the message names the node or edge.

    Subclasses ``ValueError`` because LangGraph raises ``ValueError`` for the same problems."""


class ThreadBusyError(GraphError):
    """A run was started on a thread that already has a run in progress (same checkpointer or
    same ``Runtime``): a second concurrent run would fork the thread's checkpoint chain."""


class GraphRecursionError(RecursionError):
    """The run reached ``recursion_limit`` super-steps without finishing."""


class GraphBubbleUp(Exception):
    """Base of control-flow exceptions that travel up through nodes; never a failure."""


class GraphInterrupt(GraphBubbleUp):
    """Raised by ``interrupt()`` inside a node: the run pauses after the current super-step.

    ``answers`` are the resume values the task had already received (kept for its next run).
    ``repeated``: questions a parent graph is told again, after ``interrupts`` (an entrypoint
    used as a subgraph whose question was asked by a task call: LangGraph raises it for the
    call and for the entrypoint)."""

    repeated: tuple[Any, ...] = ()

    def __init__(self, interrupts: tuple[Any, ...] = (), answers: tuple[Any, ...] = ()) -> None:
        super().__init__(interrupts)
        self.interrupts = interrupts
        self.answers = answers


class NodeInterrupt(GraphInterrupt):
    """Raised by a node to pause the run with ``value`` shown to the human, as ``interrupt()``
    does but without a resume value: resumed, the node runs again from its start (LangGraph's
    deprecated form, kept for ported code; constructing one warns with ``DeprecationWarning``).
    ``id`` is the interrupt's id (LangGraph's ``"placeholder-id"`` by default)."""

    def __init__(self, value: Any, id: str = "placeholder-id") -> None:
        from .types import Interrupt  # (types imports this module)
        from .warnings import LangGraphDeprecatedSinceV10

        warnings.warn("NodeInterrupt is deprecated. Please use `langgraph.types.interrupt` instead.", LangGraphDeprecatedSinceV10,
                      stacklevel=2)
        super().__init__((Interrupt(value=value, id=id),))


class NodeCancelledError(GraphError):
    """A node's own code raised a cancellation exception (``asyncio.CancelledError``, e.g. from
    a cancelled call inside the node) while nobody was cancelling the run: a failure of that
    node, not a cancellation. The original exception is its ``__cause__``."""

    def __init__(self, node: str) -> None:
        super().__init__(f"Node '{node}' raised asyncio.CancelledError")
        self.node = node


class TaskCancelledError(asyncio.CancelledError, concurrent.futures.CancelledError):
    """What a functional-API task call's future raises once its ``cancel()`` was called (a
    ``TaskFuture``). It is both an ``asyncio.CancelledError`` (LangGraph's async futures raise
    that) and a ``concurrent.futures.CancelledError`` (its sync futures' error), so ported
    ``except`` clauses catch it, and on trio too; being an ``Exception`` (through the latter),
    one left uncaught fails the entrypoint like any error, never cancels the run."""

    def __init__(self, task: str) -> None:
        super().__init__(f"task '{task}' was cancelled")
        self.task = task


class ResumeError(GraphError, RuntimeError):
    """``Command(resume=...)`` that cannot be matched: the thread is not paused, a bare value
    while several interrupts are pending, or an id that names no pending interrupt."""


_INVALID_RESUME = "_langgraph_invalid_resume"  # (LangGraph's attribute name)


def mark_invalid_resume(error: BaseException) -> None:
    """Mark ``error`` as raised because a resume answer did not match its question's
    ``response_schema`` (see :func:`is_invalid_resume`)."""
    setattr(error, _INVALID_RESUME, True)


def is_invalid_resume(error: BaseException) -> bool:
    """Whether ``error`` (pydantic's ``ValidationError``) was raised by ``interrupt()`` because
    the answer a resume gave did not match the question's ``response_schema``, as LangGraph's
    ``is_invalid_resume``. ``ToolNode`` never turns such an error into a tool message: the run
    fails and the question can be answered again."""
    return getattr(error, _INVALID_RESUME, False) is True


class ParentCommand(GraphBubbleUp):
    """Carries a ``Command(graph=Command.PARENT)`` from a subgraph node to its parent graph."""

    def __init__(self, command: Any) -> None:
        super().__init__(command)
        self.command = command


class UnknownDestinationWarning(UserWarning):
    """A node's ``Command(goto=...)``, a ``Send`` or a conditional edge's router named a
    destination that is not a node of the graph: that destination is dropped and the run goes
    on (LangGraph only logs it). The message names the node that routed there, the
    destination and the step. Make it an error with ``warnings.simplefilter("error",
    UnknownDestinationWarning)``."""


class AgentAddressError(GraphError, ValueError):
    """A ``Send`` that does not address an agent properly: a ``key`` sent to a plain node, no
    ``key`` sent to an agent population, or a key that cannot be an agent's (not hashable)."""


class AgentError(GraphError):
    """An agent of a population failed in a way that is not its own exception: its factory
    returned no ``Agent``, or its private state cannot be stored. Names population and key."""


__all__ = [
    "AgentAddressError",
    "AgentError",
    "ActorError",
    "ActorStopped",
    "AskTimeout",
    "EmptyChannelError",
    "EmptyInputError",
    "ErrorCode",
    "GraphBubbleUp",
    "GraphError",
    "GraphInterrupt",
    "GraphRecursionError",
    "GraphValidationError",
    "InvalidUpdateError",
    "MailboxFull",
    "NodeCancelledError",
    "NodeInterrupt",
    "ParentCommand",
    "ResumeError",
    "SpawnError",
    "TaskNotFound",
    "ThreadBusyError",
    "UnknownDestinationWarning",
    "create_error_message",
    "error_message",
    "is_invalid_resume",
]


# -- node policies and drain (issue 14) ---------------------------------------------------
#   GraphError
#   └── NodeTimeoutError          a node attempt exceeded its TimeoutPolicy (names the node)
#   GraphBubbleUp
#   └── GraphDrained              RunControl.request_drain(): the run stopped at a barrier
#   NodeError                     (not an exception) what a node's error handler is given


class NodeTimeoutError(GraphError):
    """An attempt of a node exceeded its ``timeout`` (see :class:`~actorgraph.types.TimeoutPolicy`)
    and was cancelled. ``node`` names it; ``kind`` is ``"run"`` (the hard cap) or ``"idle"`` (no
    progress for ``idle_timeout``); ``timeout`` is the limit that fired, ``elapsed`` the
    attempt's duration in seconds. Not a ``TimeoutError`` (an ``OSError``), as in LangGraph, so
    the default ``RetryPolicy`` retries it. The other tasks of the step keep their writes."""

    def __init__(self, node: str, elapsed: float, *, kind: str, idle_timeout: float | None = None,
                 run_timeout: float | None = None) -> None:
        if kind == "idle":
            if idle_timeout is None:
                raise ValueError("idle_timeout is required when kind='idle'")
            self.timeout: float = idle_timeout
            message = (f"Node '{node}' exceeded its idle timeout of {idle_timeout:.3f}s without making "
                       f"progress (elapsed: {elapsed:.3f}s).")
        elif kind == "run":
            if run_timeout is None:
                raise ValueError("run_timeout is required when kind='run'")
            self.timeout = run_timeout
            message = f"Node '{node}' exceeded its run timeout of {run_timeout:.3f}s (elapsed: {elapsed:.3f}s)."
        else:
            raise ValueError("kind must be 'idle' or 'run'")
        super().__init__(message)
        self.node = node
        self.elapsed = elapsed
        self.kind = kind
        self.idle_timeout = idle_timeout
        self.run_timeout = run_timeout


class GraphDrained(GraphBubbleUp):
    """The run stopped at a super-step barrier because its :class:`~actorgraph.runtime.RunControl`
    was asked to drain (``request_drain(reason)``): the steps that ran are checkpointed and
    ``invoke(None, config)`` resumes the thread where it stopped. ``reason`` is the drain's."""

    def __init__(self, reason: str = "shutdown") -> None:
        self.reason = reason
        super().__init__(f"Graph drained: {reason}")


@dataclass(frozen=True, slots=True)
class NodeError:
    """What a node's error handler (``add_node(..., error_handler=fn)``) gets as its ``error``
    parameter: the failed ``node``'s name and the ``error`` it raised (after its retries)."""

    node: str
    error: BaseException


__all__ += ["GraphDrained", "NodeError", "NodeTimeoutError", "TaskCancelledError"]


# -- the functional API (issue 13) ---------------------------------------------------------


class AsyncTaskInSyncRunError(GraphError, RuntimeError):
    """An async ``@task`` was called in a run started by the sync API (``invoke()``, ``stream()``,
    ``batch()``),
    which LangGraph refuses too (its message starts the same). ``task`` names the task. Run the
    workflow with ``ainvoke()``/``astream()``, or make the task sync."""

    def __init__(self, task: str) -> None:
        super().__init__(
            f"In an sync context async tasks cannot be called: task '{task}' is async and the run was "
            "started by invoke()/stream()/batch(); use ainvoke()/astream()/abatch(), or make the task sync")
        self.task = task


__all__ += ["AsyncTaskInSyncRunError"]
