"""actorgraph: LangGraph-style stateful graphs as BSP super-steps on an anyio actor kernel.

Port a LangGraph program by changing its imports::

    from actorgraph import StateGraph, START, END, Send, Command
    from actorgraph.runtime import Runtime    # a node's runtime, Runtime[Ctx]

:class:`ActorSystem` hosts many background runs, each streamed to any number of subscribers.
"""

from .graph import (
    END,
    START,
    AIMessage,
    Agent,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    MessagesState,
    RemoveMessage,
    StateGraph,
    SystemMessage,
    ToolMessage,
    add_messages,
)
from .runtime import (
    ActorSystem,
    CompiledGraph,
    StreamWriter,
    get_config,
    get_store,
    get_stream_writer,
    interrupt,
)
from .types import Command, Interrupt, Overwrite, RetryPolicy, Send

__version__ = "0.1.0"

__all__ = [
    "END",
    "START",
    "AIMessage",
    "ActorSystem",
    "Agent",
    "AnyMessage",
    "BaseMessage",
    "Command",
    "CompiledGraph",
    "HumanMessage",
    "Interrupt",
    "MessagesState",
    "Overwrite",
    "RemoveMessage",
    "RetryPolicy",
    "Send",
    "StateGraph",
    "StreamWriter",
    "SystemMessage",
    "ToolMessage",
    "__version__",
    "add_messages",
    "get_config",
    "get_store",
    "get_stream_writer",
    "interrupt",
]
