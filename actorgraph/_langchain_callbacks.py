"""Graph lifecycle callbacks (LangGraph 1.2's ``langgraph.callbacks``; needs langchain-core).

A :class:`GraphCallbackHandler` in ``config["callbacks"]`` (alone, in a list, or in a LangChain
callback manager) hears, besides LangChain's chain and model events:

* ``on_interrupt(event)``: the run paused (:class:`GraphInterruptEvent`): at ``interrupt()``
  (``status="pending"``, the questions in ``interrupts``) or at a static breakpoint
  (``status="interrupt_before"`` / ``"interrupt_after"``, no questions). Told by the root run
  only (``checkpoint_ns=()``), a subgraph's questions included, as in LangGraph.
* ``on_resume(event)``: a run went on from a saved checkpoint (:class:`GraphResumeEvent`):
  ``invoke(None, config)``, ``Command(resume=...)``, a replay; the root run and each subgraph
  run that continues from its own checkpoint (``checkpoint_ns`` naming it).

``run_id`` is the graph run's (``config["run_id"]`` when given); ``checkpoint_id`` the
checkpoint paused at, or resumed from. A handler's exception is logged (LangChain's
``handle_event``), or raised when the handler sets ``raise_error = True``. An ``async``
handler method is awaited under the async API.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

from .types import Interrupt

__all__ = (
    "GraphCallbackHandler",
    "GraphInterruptEvent",
    "GraphLifecycleEvent",
    "GraphLifecycleStatus",
    "GraphResumeEvent",
)

GraphLifecycleStatus: TypeAlias = Literal["input", "pending", "done", "interrupt_before", "interrupt_after",
                                          "out_of_steps"]
"""The statuses a lifecycle event reports (LangGraph's; actorgraph reports ``"pending"``,
``"interrupt_before"`` and ``"interrupt_after"``)."""


@dataclass(frozen=True)
class GraphInterruptEvent:
    """The run paused: at ``interrupt()`` (``interrupts``) or at a static breakpoint."""

    run_id: UUID | None
    status: GraphLifecycleStatus
    checkpoint_id: str
    checkpoint_ns: tuple[str, ...]
    interrupts: tuple[Interrupt[Any], ...]


@dataclass(frozen=True)
class GraphResumeEvent:
    """A run (the root's, or a subgraph's) went on from a saved checkpoint."""

    run_id: UUID | None
    status: GraphLifecycleStatus
    checkpoint_id: str
    checkpoint_ns: tuple[str, ...]


GraphLifecycleEvent: TypeAlias = GraphInterruptEvent | GraphResumeEvent
"""Either lifecycle event."""


class GraphCallbackHandler(BaseCallbackHandler):
    """Base class of handlers of graph lifecycle events: override :meth:`on_interrupt` and
    :meth:`on_resume` (sync or ``async``) and pass the handler in ``config["callbacks"]``."""

    def on_interrupt(self, event: GraphInterruptEvent) -> Any:
        """The run paused at ``interrupt()`` or at a breakpoint."""

    def on_resume(self, event: GraphResumeEvent) -> Any:
        """A run went on from a saved checkpoint."""


def graph_handlers(handlers: Sequence[Any]) -> list[GraphCallbackHandler]:
    """The lifecycle handlers among a callback manager's ``handlers``."""
    return [h for h in handlers if isinstance(h, GraphCallbackHandler)]


def tell(handlers: list[GraphCallbackHandler], event_name: str, event: GraphLifecycleEvent) -> None:
    """Call ``event_name`` of each handler (sync API), as LangChain calls a handler: an error
    logged, or raised with ``raise_error``."""
    from langchain_core.callbacks.manager import handle_event

    handle_event(handlers, event_name, None, event)  # type: ignore[arg-type]


async def atell(handlers: list[GraphCallbackHandler], event_name: str, event: GraphLifecycleEvent) -> None:
    """:func:`tell` for the async API (an ``async`` handler method awaited)."""
    from langchain_core.callbacks.manager import ahandle_event

    await ahandle_event(handlers, event_name, None, event)  # type: ignore[arg-type]
