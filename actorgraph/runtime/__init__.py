"""Running compiled graphs: the barrier supervisor, node actors, the stream hub; a node's
:class:`Runtime` (LangGraph's ``Runtime[Ctx]``) and :class:`ActorSystem`, which hosts many
background runs with many subscribers each."""

from ._compiled import CompiledGraph
from ._agents import AgentPage, AgentStates
from ..errors import ThreadBusyError
from ._embed import ActorSystem, RunCancelledError, RunHandle
from ._context import (
    ExecutionInfo, RunControl, Runtime, get_config, get_runtime, get_store, get_stream_writer,
)
from ..types import StreamWriter
from ._interrupt import interrupt
from ._options import DEFAULT_RECURSION_LIMIT
from ._stream import StreamEvent, StreamHub, StreamOverflow, Subscriber, Subscription

__all__ = [
    "DEFAULT_RECURSION_LIMIT",
    "ActorSystem",
    "AgentPage",
    "AgentStates",
    "CompiledGraph",
    "ExecutionInfo",
    "RunControl",
    "RunCancelledError",
    "RunHandle",
    "Runtime",
    "ThreadBusyError",
    "StreamEvent",
    "StreamHub",
    "StreamOverflow",
    "StreamWriter",
    "Subscriber",
    "Subscription",
    "get_config",
    "get_runtime",
    "get_store",
    "get_stream_writer",
    "interrupt",
]
