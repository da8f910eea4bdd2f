"""``interrupt()``: pause a run inside a node for a human, resume it with ``Command(resume=...)``.

The k-th ``interrupt()`` call of a task is answered by the k-th resume value the task has
received; the first unanswered call raises :class:`GraphInterrupt`, which ends the task (its
siblings finish) and pauses the run after that super-step. On resume the node runs again from
its start: whatever it did before ``interrupt()`` happens again (as in LangGraph).
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..errors import GraphInterrupt, ResumeError
from ..persistence._records import INTERRUPT, RESUME
from ..types import Interrupt
from ._context import current_task

NULL_TASK_ID = "00000000-0000-0000-0000-000000000000"


def interrupt_id(task_ns: str, index: int) -> str:
    """Stable id of the ``index``-th question of the task with namespace ``task_ns``."""
    key = task_ns if index == 0 else f"{task_ns}|{index}"
    return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


def interrupt(value: Any, *, response_schema: Any = None) -> Any:
    """Pause the run and show ``value`` to the human; returns their answer on resume.

    Must be called inside a running node (``RuntimeError`` otherwise). Without a checkpointer
    the run still stops after the super-step and returns the interrupt (``"__interrupt__"`` in
    the output, as in LangGraph), but it cannot be resumed: ``Command(resume=...)`` needs the
    paused run saved by a checkpointer.
    """
    ctx = current_task.get()
    if ctx is None:
        raise RuntimeError("interrupt() must be called inside a running graph node")
    run = ctx.run
    index = ctx.asked
    ctx.asked += 1
    if index < len(ctx.answers):
        return ctx.answers[index]
    task = ctx.task
    ns = "|".join(run.task_ns(task))
    iid = interrupt_id(ns, index)
    root = run.root
    if iid in root.resume_by_id:  # answered by this resume (perhaps from the parent graph)
        ctx.answers.append(root.resume_by_id.pop(iid))
        return ctx.answers[index]
    if index and root.resume_by_id:
        # A resume for an earlier question of this task, which the answers saved with the
        # task answered already (e.g. asked again by a replay): as LangGraph, it answers the
        # task's first unanswered question.
        for k in range(index):
            earlier = interrupt_id(ns, k)
            if earlier in root.resume_by_id:
                ctx.answers.append(root.resume_by_id.pop(earlier))
                return ctx.answers[index]
    if root.spare_answers:  # a resume value given while nothing was pending yet
        ctx.answers.append(root.spare_answers.pop(0))
        return ctx.answers[index]
    raise GraphInterrupt((Interrupt(value=value, id=iid, response_schema=response_schema),),
                         tuple(ctx.answers))


def is_id_map(resume: Any) -> bool:
    """A ``resume`` dict counts as ``{interrupt_id: value}`` when every key looks like an id."""
    return isinstance(resume, dict) and bool(resume) and all(
        isinstance(k, str) and len(k) == 32 and all(c in "0123456789abcdef" for c in k) for k in resume
    )


def resume_answers(pending_writes: list[tuple[str, str, Any]], resume: Any, thread: str,
                   paused: bool) -> tuple[dict[str, list[Any]], dict[str, Any], list[Any]]:
    """What the ``interrupt()`` calls of a resumed run get: task id -> the answers the task
    already had; interrupt id -> the new answer ``resume`` gives it (the interrupt may be in a
    subgraph: ids name the task at any depth); and a resume value no pending interrupt claims
    (for the first ``interrupt()`` that is asked).

    ``resume=None``: only the answers saved before. Raises :class:`ResumeError` when nothing is
    pending and the thread has nothing left to run, when a bare value meets several pending
    interrupts, or when an id names no pending interrupt.
    """
    pending: dict[str, str] = {}  # interrupt id -> task id
    answers: dict[str, list[Any]] = {}
    for task_id, channel, value in pending_writes:
        if channel == INTERRUPT:
            for item in value:  # an empty tuple: the task finished since
                pending[item.id] = task_id
        elif channel == RESUME and task_id != NULL_TASK_ID:
            answers[task_id] = list(value)
    if resume is None:
        return answers, {}, []
    if not pending:
        if paused:  # e.g. the state was edited at an interrupt: the next question gets it
            return answers, {}, [resume]
        raise ResumeError(f"thread {thread!r} is not paused at an interrupt: there is nothing to resume")
    if is_id_map(resume):
        for iid in resume:
            if iid not in pending:
                raise ResumeError(f"no pending interrupt has id {iid!r} (pending: {', '.join(sorted(pending))})")
        return answers, dict(resume), []
    if len(pending) > 1:
        raise ResumeError(
            "When there are multiple pending interrupts, you must specify the interrupt id when "
            f"resuming. Pending interrupt ids: {', '.join(sorted(pending))}"
        )
    # As LangGraph: a bare value goes to the first question asked (in the step it was given
    # at) that its saved answers do not cover, whatever its id (a subgraph's task may have a
    # new id by now, e.g. a checkpointer=True subgraph continued from a newer checkpoint).
    return answers, {}, [resume]
