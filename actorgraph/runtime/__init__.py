"""Running compiled graphs: the barrier supervisor, node actors, the stream hub."""

from ._compiled import CompiledGraph
from ..errors import ThreadBusyError
from ._embed import RunCancelledError, RunHandle, Runtime
from ._context import NodeRuntime, StreamWriter, get_config, get_store, get_stream_writer
from ._interrupt import interrupt
from ._loop import DEFAULT_RECURSION_LIMIT
from ._stream import StreamEvent, StreamHub, StreamOverflow, Subscriber

__all__ = [
    "DEFAULT_RECURSION_LIMIT",
    "CompiledGraph",
    "NodeRuntime",
    "RunCancelledError",
    "RunHandle",
    "Runtime",
    "ThreadBusyError",
    "StreamEvent",
    "StreamHub",
    "StreamOverflow",
    "StreamWriter",
    "Subscriber",
    "get_config",
    "get_store",
    "get_stream_writer",
    "interrupt",
]
