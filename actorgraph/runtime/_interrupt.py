"""``interrupt()``: pause a run inside a node for a human, resume it with ``Command(resume=...)``.

The k-th ``interrupt()`` call of a task is answered by the k-th resume value the task has
received; the first unanswered call raises :class:`GraphInterrupt`, which ends the task (its
siblings finish) and pauses the run after that super-step. On resume the node runs again from
its start: whatever it did before ``interrupt()`` happens again (as in LangGraph).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from ..errors import GraphInterrupt, ResumeError, mark_invalid_resume
from ..persistence._records import ERROR, INTERRUPT, RESUME
from ..types import Interrupt
from ._context import current_task

if TYPE_CHECKING:
    from ._algo import Task

NULL_TASK_ID = "00000000-0000-0000-0000-000000000000"


class ResumeState:
    """A run's side of ``interrupt()``: what a resume brings its questions, and what its tasks
    asked in this super-step (``run.resume_state``).

    ``interrupt()`` reads the root run's: the answers it brings for interrupt ids
    (``by_id``, at any depth of subgraphs) and a bare resume value (``spare``, for the first
    question asked in the step it was given at, unless ``spare_owner``, the task whose
    pending question it answers, is still to ask). A run's own ``answers`` are those its tasks'
    ``interrupt()`` calls had before (saved with the checkpoint).
    """

    __slots__ = ("answers", "by_id", "spare", "spare_owner", "step_interrupts", "interrupts",
                 "skip_breakpoint", "resuming", "replay_bound", "replay_visited")

    def __init__(self) -> None:
        self.answers: dict[str, list[Any]] = {}  # task id -> answers for its interrupt() calls
        self.by_id: dict[str, Any] = {}  # interrupt id -> the answer this resume brings
        self.spare: list[Any] = []  # a resume value no pending interrupt claimed yet
        self.spare_owner: str | None = None  # the task whose pending question it answers
        self.step_interrupts: list[tuple[Task, GraphInterrupt]] = []  # this step's tasks that asked
        self.interrupts: list[Interrupt[Any]] = []  # why the run paused (dynamic interrupts)
        self.skip_breakpoint = False  # resumed at a breakpoint: it does not fire again
        # continuing a thread where it stopped, until the first step is run: a subgraph task run
        # again in that step continues from its checkpoint (otherwise a subgraph that has one,
        # compiled with checkpointer=True, takes the parent's state as new input)
        self.resuming = False
        # (the root run's) replaying from a named checkpoint (time travel): its subgraphs load
        # as of replay_bound, each namespace once (replay_visited; see Run._replayed_subgraph)
        self.replay_bound: str | None = None
        self.replay_visited: set[str] = set()

    def load(self, pending_writes: list[tuple[str, str, Any]], resume: Any, thread: str, paused: bool) -> None:
        """Resuming at a checkpoint with these pending writes: see :func:`resume_answers`."""
        self.answers, self.by_id, self.spare, self.spare_owner = resume_answers(
            pending_writes, resume, thread, paused)

    def answers_for(self, task_id: str) -> list[Any]:
        """The answers ``task_id``'s ``interrupt()`` calls had before (a new list)."""
        answers = self.answers.get(task_id)
        return list(answers) if answers else []

    def has_new(self, task_id: str, answers: list[Any] | tuple[Any, ...]) -> bool:
        """``answers`` (a task's now) include one this run brought (as LangGraph, only new
        answers are saved)."""
        return len(answers) > len(self.answers.get(task_id) or ())


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

    ``response_schema``, as in LangGraph 1.2: a JSON Schema ``dict`` is shown as is
    (``Interrupt.response_schema``) and the answer is not checked; a pydantic model, a
    ``TypedDict``, a dataclass or another type is shown as its JSON Schema and the answer is
    validated against it (pydantic's ``TypeAdapter``), the validated object being what
    ``interrupt()`` returns. An answer that does not match raises pydantic's
    ``ValidationError`` from the node (:func:`~actorgraph.errors.is_invalid_resume` tells it
    apart): the run fails, the answer is not kept and the question can be answered again.
    """
    adapter = _adapter(response_schema)
    answer = _answer(value, response_schema, adapter)
    return answer if adapter is None else _validated(adapter, answer)


def _adapter(response_schema: Any) -> Any:
    """pydantic's ``TypeAdapter`` of a ``response_schema`` that validates answers (None for
    none, or a JSON Schema ``dict``)."""
    if response_schema is None or isinstance(response_schema, dict):
        return None
    try:
        from pydantic import TypeAdapter
    except ImportError:  # (a dependency of langchain-core, not of actorgraph's core)
        raise ImportError(f"interrupt(response_schema={response_schema!r}) validates answers with pydantic: "
                          "pip install pydantic (or pass a JSON Schema dict, which is shown, not checked)") from None
    return TypeAdapter(response_schema)


def _validated(adapter: Any, answer: Any) -> Any:
    from pydantic import ValidationError

    try:
        return adapter.validate_python(answer)
    except ValidationError as exc:
        mark_invalid_resume(exc)
        raise


def _answer(value: Any, response_schema: Any, adapter: Any) -> Any:
    """The answer to the current task's next ``interrupt()`` call, if it has one; else
    raise the :class:`GraphInterrupt` that asks it (the question shows ``response_schema``,
    as JSON Schema when ``adapter`` validates answers)."""
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
    resumed = run.root.resume_state
    by_id = resumed.by_id
    if iid in by_id:  # answered by this resume (perhaps from the parent graph)
        ctx.answers.append(by_id.pop(iid))
        return ctx.answers[index]
    if index and by_id:
        # A resume for an earlier question of this task, which the answers saved with the
        # task answered already (e.g. asked again by a replay): as LangGraph, it answers the
        # task's first unanswered question.
        for k in range(index):
            earlier = interrupt_id(ns, k)
            if earlier in by_id:
                ctx.answers.append(by_id.pop(earlier))
                return ctx.answers[index]
    if run.call_parents and task in run.call_parents:  # a task call: asked before its namespace
        legacy = interrupt_id("|".join((*run.ns, f"{task.name}:{task.id}")), index)  # was below its caller's
        if legacy in by_id:
            ctx.answers.append(by_id.pop(legacy))
            return ctx.answers[index]
    if resumed.spare and _may_take_spare(run, task, resumed.spare_owner):
        # a bare resume value (or one given while nothing was pending yet)
        resumed.spare_owner = None
        ctx.answers.append(resumed.spare.pop(0))
        return ctx.answers[index]
    shown = response_schema if adapter is None else adapter.json_schema()
    raise GraphInterrupt((Interrupt(value=value, id=iid, response_schema=shown),),
                         tuple(ctx.answers))


def _may_take_spare(run: Any, task: Any, owner: str | None) -> bool:
    """Whether ``task`` may take the bare resume value: it goes to the first question asked,
    unless the task that asked the one pending question (``owner``, its id) is a task call of
    this run too, still to ask: then it is that task's (on trio sibling calls start in any
    order; the human answered the question they were shown)."""
    if owner is None or task.id == owner or not run.call_parents:
        return True
    return not any(t.id == owner for t in run.call_parents if t is not task)


def is_id_map(resume: Any) -> bool:
    """A ``resume`` dict counts as ``{interrupt_id: value}`` when every key looks like an id."""
    return isinstance(resume, dict) and bool(resume) and all(
        isinstance(k, str) and len(k) == 32 and all(c in "0123456789abcdef" for c in k) for k in resume
    )


def resume_answers(pending_writes: list[tuple[str, str, Any]], resume: Any, thread: str,
                   paused: bool) -> tuple[dict[str, list[Any]], dict[str, Any], list[Any], str | None]:
    """What the ``interrupt()`` calls of a resumed run get: task id -> the answers the task
    already had; interrupt id -> the new answer ``resume`` gives it (the interrupt may be in a
    subgraph: ids name the task at any depth); and a resume value no pending interrupt claims
    (for the first ``interrupt()`` that is asked) with the id of the task whose question it
    answers, when one was pending.

    ``resume=None``: only the answers saved before. Raises :class:`ResumeError` when nothing is
    pending and the thread has nothing left to run, when a bare value meets several pending
    interrupts, or when an id names no pending interrupt.
    """
    pending: dict[str, str] = {}  # interrupt id -> task id
    answers: dict[str, list[Any]] = {}
    # a task that finished since it asked keeps its question as a record (as LangGraph)
    finished = {task_id for task_id, channel, _ in pending_writes if channel not in (ERROR, INTERRUPT, RESUME)}
    for task_id, channel, value in pending_writes:
        if channel == INTERRUPT and task_id not in finished:
            for item in value:  # (an empty tuple: the task finished since, in older threads)
                pending[item.id] = task_id
        elif channel == RESUME and task_id != NULL_TASK_ID:
            answers[task_id] = list(value)
    if resume is None:
        return answers, {}, [], None
    if not pending:
        if paused:  # e.g. the state was edited at an interrupt: the next question gets it
            return answers, {}, [resume], None
        raise ResumeError(f"thread {thread!r} is not paused at an interrupt: there is nothing to resume")
    if is_id_map(resume):
        for iid in resume:
            if iid not in pending:
                raise ResumeError(f"no pending interrupt has id {iid!r} (pending: {', '.join(sorted(pending))})")
        return answers, dict(resume), [], None
    if len(pending) > 1:
        raise ResumeError(
            "When there are multiple pending interrupts, you must specify the interrupt id when "
            f"resuming. Pending interrupt ids: {', '.join(sorted(pending))}"
        )
    # As LangGraph: a bare value goes to the first question asked (in the step it was given
    # at) that its saved answers do not cover, whatever its id (a subgraph's task may have a
    # new id by now, e.g. a checkpointer=True subgraph continued from a newer checkpoint).
    (owner,) = pending.values()
    return answers, {}, [resume], owner
