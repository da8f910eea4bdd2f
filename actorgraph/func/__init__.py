"""The functional API: workflows as plain Python functions, checkpointed and resumable.

``@entrypoint`` turns a function of one input into a compiled graph (``invoke``, ``stream``,
``get_state``...); ``@task`` functions called inside it return futures and run concurrently,
each call's result checkpointed as it finishes, so that a workflow resumed after
``interrupt()`` or a crash does not call a finished task again. As LangGraph's
``langgraph.func``; see docs/functional.md.
"""

from ._entrypoint import CompiledEntrypoint, entrypoint
from ._task import TaskActor, TaskFunction, TaskFuture, task

__all__ = ["CompiledEntrypoint", "TaskActor", "TaskFunction", "TaskFuture", "entrypoint", "task"]
