"""A run's link to its checkpointer: restoring a thread, saving each super-step, pending writes.

Durability (``durability=`` on invoke/stream, default ``"async"``):

* ``"sync"``: each step's checkpoint, together with the pending writes of the tasks that
  produced it, is committed in ONE transaction (``aput_step``) before the next step starts.
  A crash never loses a completed step and never re-runs a task whose writes were committed.
* ``"async"``: the same records in the same order, queued to the saver's writer while the run
  goes on (a bounded number in flight; the SQLite writer batches them into few transactions).
  The run does not return before they are committed; a step that fails to commit makes every
  later one of the run fail too (no chain with a missing link) and its error is raised.
* ``"exit"``: nothing is written until the run ends (normally, by failure or interrupt); then
  the final checkpoint (+ pending writes of a failed step) is written once.

What a checkpoint stores is a delta: only channels whose version changed since the previous
saved checkpoint get their value written (savers reference the others by version); cleared
per-step trigger channels are dropped from the version map, so its size follows the state, not
the number of nodes in the graph.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

import anyio
import anyio.lowlevel
import anyio.to_thread
import msgspec

from ..actors import Actor, ActorRef, Supervisor
from ..actors._slot import checkpoint_if_cancelled, current_backend, shielded, wait_finished
from ..channels import MISSING, AnyValue, BaseChannel, EphemeralValue, LastValue, LastValueAfterFinish, UntrackedValue
from ..errors import ThreadBusyError
from ..graph import AIMessage, HumanMessage, RemoveMessage, SystemMessage, ToolMessage
from ..persistence import BaseCheckpointSaver, Checkpoint, CheckpointTuple, TaskWrites, new_checkpoint_id
from ..persistence import register_type as _register
from ..persistence._base import committed
from ..persistence._records import (
    ERROR,
    INTERRUPT,
    RESUME,
    SCHEDULED,
    MissingThreadIdError,
    PendingWrite,
    ThreadKey,
    merge_metadata,
    now_iso,
    thread_key,
)
from ..persistence._rows import Op, PutOp, WritesOp
from ..graph._program import task_path_str
from ..types import Durability
from ._algo import RunState, Task

if TYPE_CHECKING:
    from ..graph._program import Program
    from ._interrupt import ResumeState

Handled = Sequence[tuple[Task, str, str, str]]
"""A step's failed tasks an error handler took over (``Run.handled``): (the task, now the
handler's, the failed node's task id, its error's repr, its node)."""

NO_WRITES = "__no_writes__"
MAX_INFLIGHT = 16
"""Submitted-but-uncommitted steps a run may have under ``async`` durability..."""
MAX_LAG = 0.1
"""...and seconds the oldest of them may wait: past either bound the run waits for it (which
also lets the saver's writer run when the nodes never yield to the event loop)."""
NULL_TASK_ID = "00000000-0000-0000-0000-000000000000"
SPECIAL = frozenset({ERROR, INTERRUPT, RESUME, SCHEDULED, NO_WRITES})
#: The error saved for a task a failure or cancellation stopped in a step of several tasks
#: (LangGraph 1.2's ``repr`` of the ``asyncio.CancelledError`` it saves, on either backend).
CANCELLED = "CancelledError()"

_register(HumanMessage, AIMessage, SystemMessage, ToolMessage, RemoveMessage)

class _Written:
    """A step handed to a :class:`StepWriter`: its outcome once stored, and the slot its waiter
    parks on."""

    __slots__ = ("finished", "error", "slot")

    def __init__(self) -> None:
        self.finished = False
        self.error: BaseException | None = None
        self.slot: Any = current_backend().new_slot()

    def done(self, error: BaseException | None) -> None:
        self.finished, self.error = True, error
        if not self.slot.done():
            self.slot.set_result(None)

    async def wait(self) -> None:
        """Return once the step is stored (raise its error): a cancelled waiter waits for the
        outcome (shielded), then the cancellation propagates — a write under way lands first."""
        await wait_finished(self)
        if self.error is not None:
            raise self.error


class _WriteStep(msgspec.Struct, frozen=True):
    """One step for :class:`StepWriter`: ``aput_step``'s arguments, and its :class:`_Written`."""

    config: dict[str, Any]
    writes: list[TaskWrites]
    checkpoint: Checkpoint
    metadata: dict[str, Any]
    new_versions: dict[str, Any]
    written: _Written


class StepWriter(Actor):
    """The checkpoint writer of a run whose saver :attr:`~BaseCheckpointSaver.commits_by_parts`
    (its own ``aput``/``aput_writes``, written LangGraph's way), under ``async`` durability:
    a task-dispatched child of the run's barrier supervisor that stores the steps it is sent
    one after the other (shielded: a step under way lands), while the run goes on — as
    LangGraph overlaps such a saver's write with the next step. After a failed step it stores
    nothing more: every later step fails with the same error (no chain with a missing link).
    Savers with a writer of their own (SQLite, Postgres) or that commit in memory need none."""

    def __init__(self, saver: BaseCheckpointSaver) -> None:
        self.saver = saver
        self.failure: BaseException | None = None

    async def handle(self, message: Any) -> None:
        step: _WriteStep = message
        error = self.failure
        if error is None:
            try:
                with anyio.CancelScope(shield=True):
                    await self.saver.aput_step(step.config, step.writes, step.checkpoint, step.metadata,
                                               step.new_versions)
            except BaseException as exc:
                error = self.failure = exc
                if not isinstance(exc, Exception):  # (its waiter learns it; the actor fails too)
                    step.written.done(exc)
                    raise
        step.written.done(error)


#: saver -> (thread id, namespace) -> the checkpointing of the run that holds it (see claim)
_active: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], Persistence]] = weakref.WeakKeyDictionary()


def _path_str(task: Task) -> str:
    """:func:`task_path_str` of ``task``'s path (a pull task's is rendered once, at compile)."""
    node = task.node
    return node.pull_path_str if task.path is node.pull_path else task_path_str(task.path)


class SharedNamespace:
    """The runs of one ``checkpointer=True`` subgraph namespace in one parent step (parallel
    ``Send``s to the node that runs it): the checkpoint the first found (``head``, set when
    ``loaded``), and the newest channel version any of them handed out. The runs may be on
    different threads (a sync node's ``invoke`` runs on an event loop of its own), hence
    thread primitives: a run hands versions out while it holds the lock (:meth:`versions`)."""

    __slots__ = ("first", "head", "loaded", "max_version", "lock")

    def __init__(self, first: Persistence) -> None:
        self.first = first
        self.head: str | None = None
        self.loaded = threading.Event()
        self.max_version = 0
        self.lock = threading.Lock()

    async def join(self, persist: Persistence) -> None:
        """A second run joins once the first has loaded: every run of the namespace now writes
        a fork of its chain, so none of them may expect to continue its newest checkpoint."""
        if not self.loaded.is_set():
            await anyio.to_thread.run_sync(self.loaded.wait)
        self.first.forked = True
        persist.forked = True

    @contextmanager
    def versions(self, state: RunState) -> Iterator[None]:
        """Around code that hands out versions (synchronous): above every one the other runs
        handed out, and theirs will be above these."""
        with self.lock:
            if self.max_version > state.max_version:
                state.max_version = self.max_version
            try:
                yield
            finally:
                if state.max_version > self.max_version:
                    self.max_version = state.max_version


class PendingId:
    """Under ``exit`` durability, the id of the checkpoint a step led to, made (once) when
    first asked for: most such checkpoints are never written, and most steps never ask for
    their id (a task id, a node's config, a subgraph's namespace do). Ids are made in the
    order the steps ask for them, which is the steps' order: a step only asks for the id of
    the checkpoint it starts from."""

    __slots__ = ("step", "id")

    def __init__(self, step: int) -> None:
        self.step = step
        self.id: str | None = None

    def value(self) -> str:
        cid = self.id
        if cid is None:
            cid = self.id = new_checkpoint_id(self.step)
        return cid


class LazyKey:
    """``f"{checkpoint_id}|{ns}"`` for a :class:`PendingId` (a step's task-id key, see
    :meth:`Persistence.ids_key`): the text is made when the key is first formatted (every
    task of the step hashes its id under it)."""

    __slots__ = ("pending", "ns", "text")

    def __init__(self, pending: PendingId, ns: str) -> None:
        self.pending = pending
        self.ns = ns
        self.text: str | None = None

    def __str__(self) -> str:
        text = self.text
        if text is None:
            text = self.text = f"{self.pending.value()}|{self.ns}"
        return text

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


class Persistence:
    """Checkpointing for one run of a graph on one thread.

    It is given what it works on, not the run: ``state`` (the run's channels and versions,
    restored by :meth:`load`, saved by :meth:`save`), ``program`` (channel renames and
    clearing), ``config`` (the thread, the checkpoint asked for, the metadata stored with
    each checkpoint), ``ns`` (the run's namespace, used below the root), ``resume`` (which
    ``interrupt()`` answers are new) and ``log`` (the run's bound logger, None when not
    logging). A failed step's ``handled`` tasks (error handlers) come with each save.
    """

    active = True
    """A checkpointer is configured (False for a :class:`NullPersistence`)."""
    writes_aside = False
    """Steps go to the run's :class:`StepWriter` (see :meth:`host`)."""
    writer: ActorRef | None = None

    def __init__(self, saver: BaseCheckpointSaver, durability: Durability, config: dict[str, Any], *,
                 state: RunState, program: Program, ns: str, resume: ResumeState, log: Any = None,
                 parents: dict[str, str] | None = None) -> None:
        configurable = config.get("configurable") or {}
        thread_id = configurable.get("thread_id")
        if thread_id is None:
            raise MissingThreadIdError(
                "Checkpointer requires one or more of the following 'configurable' keys: "
                "thread_id, checkpoint_ns, checkpoint_id"
            )
        if durability not in ("sync", "async", "exit"):
            raise ValueError(f"durability must be 'sync', 'async' or 'exit', got {durability!r}")
        self.state = state
        self.program = program
        self.config = config
        self.resume = resume
        self.log = log
        self.saver = saver
        self.durability = durability
        self.saves_tasks = durability == "sync"  # (see save_task)
        self.defers = durability == "exit"  # save() writes nothing: the step driver calls defer()
        self.thread_id = str(thread_id)
        self.parents = parents if parents is not None else {}
        self.ns = ns if parents is not None else ""
        self.requested_id: str | None = None if parents is not None else configurable.get("checkpoint_id")
        # A root run given a subgraph checkpoint's config (its checkpoint_ns set) runs from the
        # root checkpoint that one was made under (checkpoint_map[""], else the newest): as
        # LangGraph, it replays the parent step from there, the subgraph from its start.
        self.through_subgraph = parents is None and bool(configurable.get("checkpoint_ns"))
        if self.through_subgraph:
            self.requested_id = (configurable.get("checkpoint_map") or {}).get("")
        # the checkpoint the current step starts from (see the checkpoint_id property)
        self._checkpoint_id: str | None = None
        self._pending: PendingId | None = None
        self.before: str | None = None  # load the newest checkpoint older than this one (a replay)
        self.saved_id: str | None = None  # the newest checkpoint actually written
        self.saved: CheckpointTuple | None = None
        self.own_id: str | None = None  # the newest checkpoint this run wrote
        self.done_writes: dict[str, list[tuple[str, Any]]] = {}  # task id -> writes (resume)
        # task id -> every interrupt() answer of a task that took a new one (a resume) and
        # finished: saved with its writes, as LangGraph stores them (see answered_writes)
        self.answered: dict[str, list[Any]] = {}
        self.failed: dict[str, Any] = {}  # task id -> the error it failed with (resume)
        # writes of the Commands given to the loaded checkpoint (its NULL task's pending writes)
        self.null_writes: list[tuple[str, Any]] = []
        # pending writes of functional-API task calls (actorgraph.func) still to save when a
        # step pauses or fails: (the checkpoint they belong to, task, writes)
        self.call_writes: list[tuple[str | None, Task, list[tuple[str, Any]]]] = []
        # where put_call_writes saves them: (checkpoint id, its config, its key when the saver
        # takes its own writes op: see put_call_writes)
        self._calls_at: tuple[str | None, dict[str, Any], ThreadKey | None] = (None, {}, None)
        # The run's max_version when the last checkpoint was written (or loaded): a channel
        # with a newer version changed since, so the next checkpoint stores its value.
        self.saved_version = 0
        self.deferred: tuple[str, int, Iterable[str], PendingId] | None = None  # exit durability
        self.inflight: deque[Callable[[], Awaitable[None]]] = deque()  # async durability
        # a saver that commits by parts, under async durability: the run's StepWriter (see host)
        self.writes_aside = durability == "async" and saver.commits_by_parts
        # a saver of ours that stores a step as the base class does (aput_step / asubmit_step
        # not overridden): the run hands it the step's ops directly (see _step_ops)
        kind = type(saver)
        self.own_ops = (isinstance(saver, BaseCheckpointSaver) and not saver.commits_by_parts
                        and kind.aput_step is BaseCheckpointSaver.aput_step
                        and kind.asubmit_step is BaseCheckpointSaver.asubmit_step)
        self.oldest = 0.0  # when the oldest of them was submitted (about)
        self._claimed = False
        # its run was cancelled because its stream was abandoned (see claim_after_abandoned)
        self.abandoned = False
        self.forked = False  # a fork of its namespace's chain: see SharedNamespace
        # (parent id, id, metadata, pending writes) of checkpoints made (or resumed from, see
        # announce_resumed) since the run last looked, when it streams "checkpoints" or "debug"
        # (else None)
        self.announce: list[tuple[str | None, str, dict[str, Any], Sequence[PendingWrite]]] | None = None
        self._config_metadata: dict[str, Any] | None = None  # (see _with_config_metadata)

    @property
    def checkpoint_id(self) -> str | None:
        """The id of the checkpoint the current step starts from (None before the first)."""
        pending = self._pending
        if pending is not None:  # (exit durability: made now, when first asked for)
            self._checkpoint_id = pending.value()
            self._pending = None
        return self._checkpoint_id

    @checkpoint_id.setter
    def checkpoint_id(self, value: str | None) -> None:
        self._checkpoint_id = value
        self._pending = None

    def ids_key(self, ns: str) -> str | LazyKey:
        """What the task ids of the current step are hashed under: ``"<checkpoint_id>|<ns>"``
        (see ``Run._plan``); under ``exit`` durability a :class:`LazyKey` that makes the id
        only if a task id is asked for."""
        pending = self._pending
        if pending is None:
            return f"{self._checkpoint_id}|{ns}"
        return LazyKey(pending, ns)

    async def host(self, sup: Supervisor) -> None:
        """The run's barrier supervisor is up: spawn its :class:`StepWriter` when the saver
        commits by parts under ``async`` durability (``writes_aside``; the supervisor then has
        a task group)."""
        if self.writes_aside:
            self.writer = await sup.spawn(StepWriter(self.saver), name="checkpoint-writer",
                                          mailbox_size=MAX_INFLIGHT + 1)

    def unhost(self) -> None:
        self.writer = None

    def child(self, config: dict[str, Any], *, state: RunState, program: Program, ns: str,
              resume: ResumeState, log: Any = None) -> Persistence:
        """Checkpointing for a subgraph run of this one: same thread and saver, the subgraph's
        own namespace ``ns`` (``node:task_id``), ``parents`` naming every enclosing checkpoint."""
        return Persistence(self.saver, self.durability, config, state=state, program=program, ns=ns,
                           resume=resume, log=log, parents={**self.parents, self.ns: self.checkpoint_id or ""})

    # -- lifecycle --------------------------------------------------------------------------

    def claim(self) -> None:
        """Refuse a second concurrent run on this thread (same checkpointer)."""
        active = _active.setdefault(self.saver, {})
        key = (self.thread_id, self.ns)
        if key in active:
            raise ThreadBusyError(
                f"thread {self.thread_id!r} already has a run in progress; a second concurrent "
                "run would fork its checkpoint chain (wait for it, or use another thread_id)"
            )
        active[key] = self
        self._claimed = True

    async def claim_after_abandoned(self) -> None:
        """:meth:`claim` once the run that holds the thread has stopped, if that run is one
        whose stream was abandoned (``break`` out of ``async for chunk in graph.astream(...)``:
        the stream, collected, cancels its run, which nobody waits for); ThreadBusyError
        otherwise. A thread is continued that way right after such a loop, as in LangGraph."""
        key = (self.thread_id, self.ns)
        while True:
            holder = _active.get(self.saver, {}).get(key)
            if holder is None or not holder.abandoned:
                return self.claim()
            await anyio.sleep(0.001)  # (a cancelled run stops soon: a def node once it returns)

    def release(self) -> None:
        if self._claimed:
            active = _active.get(self.saver)
            if active is not None and active.get((self.thread_id, self.ns)) is self:
                del active[(self.thread_id, self.ns)]
            self._claimed = False

    def announce_resumed(self, saved: CheckpointTuple) -> None:
        """A run that goes on from ``saved`` (resuming, not forking) streams it before its first
        step, as LangGraph 1.2 does: the checkpoint as stored (its metadata, its tasks with what
        they asked, wrote or raised so far, from ``saved.pending_writes``)."""
        if self.announce is not None:
            parent = (saved.parent_config or {}).get("configurable", {}).get("checkpoint_id")
            self.announce.append((parent, saved.checkpoint.id, saved.metadata, saved.pending_writes))

    def metadata(self, source: str, step: int) -> dict[str, Any]:
        """A checkpoint's metadata (as LangGraph's: ``source``, ``step``, ``parents``)."""
        return {"source": source, "step": step, "parents": dict(self.parents)}

    def _with_config_metadata(self, metadata: dict[str, Any]) -> dict[str, Any]:
        """The metadata a checkpoint is stored with: ``metadata`` (made by :meth:`metadata`),
        then the run config's ``metadata`` and ``configurable`` entries savers add (see
        :func:`merge_metadata`; not those :meth:`metadata` sets), as LangGraph 1.2 stores them
        (the ``checkpoints`` stream shows ``metadata`` alone; a ``__copy__`` checkpoint has none
        of them)."""
        extra = self._config_metadata
        if extra is None:
            # (filtered once: metadata() makes the same keys for every checkpoint)
            extra = self._config_metadata = {k: v for k, v in merge_metadata(self.config, {}).items()
                                             if k not in metadata}
        if not extra:
            return metadata
        return {**metadata, **extra}

    def _step_ops(self, writes: list[TaskWrites], checkpoint: Checkpoint, metadata: dict[str, Any],
                  new_versions: dict[str, Any], expect_head: bool) -> list[Op]:
        """What ``aput_step`` would make of its arguments for a saver of ours (``own_ops``),
        made directly: the key from the run's own fields (no config to parse); ``metadata`` as
        it is (``_with_config_metadata`` merged the config's entries: nothing more to add);
        nothing copied (a saver encodes the ops as they are handed to it, and the run makes
        these afresh each step)."""
        key = ThreadKey(self.thread_id, self.ns, self.saved_id)
        if writes and key.checkpoint_id is None:  # (as aput_step: writes need a checkpoint)
            raise ValueError(f"thread {self.thread_id!r}: pending writes need the step's starting checkpoint")
        ops: list[Op] = [WritesOp(key, w.task_id, w.task_path, w.writes) for w in writes]
        ops.append(PutOp(key, checkpoint, metadata, new_versions, expect_head))
        return ops

    async def put_call_writes(self, task: Task, writes: list[tuple[str, Any]], task_path: str) -> None:
        """Save a finished task call's ``writes`` as pending writes of the current checkpoint
        (``aput_writes``; for a saver of ours that keeps the base ``aput_writes``, its writes
        op directly, with the checkpoint's key made once per checkpoint, not per call)."""
        cid = self.checkpoint_id
        at, config, key = self._calls_at
        if at != cid or at is None:
            config = self.config_for(cid)
            saver = self.saver
            key = (thread_key(config, need_checkpoint=True)
                   if type(saver).aput_writes is BaseCheckpointSaver.aput_writes else None)
            self._calls_at = (cid, config, key)
        if key is not None:
            await self.saver._acommit([WritesOp(key, task.id, task_path, list(writes))])
        else:
            await self.saver.aput_writes(config, writes, task.id, task_path)

    def config_for(self, checkpoint_id: str | None) -> dict[str, Any]:
        configurable: dict[str, Any] = {"thread_id": self.thread_id, "checkpoint_ns": self.ns}
        if checkpoint_id is not None:
            configurable["checkpoint_id"] = checkpoint_id
        return {"configurable": configurable}

    async def load(self) -> CheckpointTuple | None:
        """Load the requested (or newest) checkpoint of the thread into the run's state."""
        if self.before is not None and self.requested_id is None:
            saved = None
            async for found in self.saver.alist(self.config_for(None), limit=1,
                                                before={"configurable": {"checkpoint_id": self.before}}):
                saved = found
        else:
            saved = await self.saver.aget_tuple(self.config_for(self.requested_id))
        if saved is None:
            if self.requested_id is not None:
                raise ValueError(f"thread {self.thread_id!r} has no checkpoint {self.requested_id!r}")
            if self.before is not None:  # starting afresh beside newer checkpoints: versions above theirs
                state = self.state
                state.max_version = max(state.max_version, await self.saver.amax_version(self.config_for(None)))
                self.saved_version = state.max_version
            return None
        saved = renamed(saved, self.program.renamed)
        state = self.state
        restore(state, saved.checkpoint, self.program.clearing)
        # New versions go above every version stored in the namespace, not only above this
        # checkpoint's: another branch of the thread may have used the next ones (a replay or
        # fork from an older checkpoint must never overwrite what that branch reads back).
        state.max_version = max(state.max_version, await self.saver.amax_version(self.config_for(None)))
        self.saved_version = state.max_version
        self.saved = saved
        self.checkpoint_id = self.saved_id = saved.checkpoint.id
        self.done_writes = finished_writes(saved.pending_writes)
        self.failed = {task_id: value for task_id, channel, value in saved.pending_writes
                       if channel == ERROR and value and value != CANCELLED}
        self.null_writes = null_task_writes(saved.pending_writes)
        return saved

    async def is_head(self) -> bool:
        latest = await self.saver.aget_tuple(self.config_for(None))
        return latest is None or latest.checkpoint.id == self.checkpoint_id

    async def save_command(self, writes: Sequence[tuple[str, Any]], resume: Any) -> None:
        """A ``Command`` given to the thread at its loaded checkpoint: its writes (``update``,
        ``goto``) and ``resume`` value become pending writes of the NULL task on that
        checkpoint, after those of the Commands it got before, as LangGraph keeps them. A run
        that pauses again before the next checkpoint (or has nothing left to run) thus keeps
        them: whoever loads the checkpoint applies them (see :func:`null_batch`)."""
        if self.checkpoint_id is None or (not writes and resume is None):
            return
        batch = [*self.null_writes, *writes]
        if resume is not None:
            batch.append((RESUME, resume))
        await self.saver.aput_writes(self.config_for(self.checkpoint_id), batch, NULL_TASK_ID, "")
        self.null_writes = [*self.null_writes, *writes]

    # -- saving -----------------------------------------------------------------------------

    async def save(self, source: str, step: int, tasks: Sequence[Task], updated: Iterable[str],
                   handled: Handled = ()) -> None:
        """Record the checkpoint that ``step`` (whose ``tasks`` just ran) led to: write it
        (``sync``), queue it (``async``), or, under ``exit`` durability, only note it (see
        :meth:`defer`, which the step driver calls itself; nothing is awaited then)."""
        if self.defers:
            self.defer(source, step, updated)
            return
        await self._write(source, step, tasks, sorted(updated), new_checkpoint_id(step), handled)

    def defer(self, source: str, step: int, updated: Iterable[str]) -> None:
        """``save`` under ``exit`` durability: the checkpoint is written at the end, by flush().

        Its id is made when first asked for (:class:`PendingId`): the task ids of the next
        step are hashed from it (see :meth:`ids_key`), and a failure or interrupt writes this
        checkpoint with pending writes keyed by those ids, but most steps never ask. When the
        run streams checkpoints it is made at once. The step's tasks are not kept: their
        writes belong to a checkpoint never written.
        """
        pending = PendingId(step)
        if self.announce is not None:  # (streamed at once: the ids are made now)
            parent = self.checkpoint_id
            self.checkpoint_id = new_id = pending.value()
            self.announce.append((parent, new_id, self.metadata(source, step), ()))
        else:
            self._pending = pending
        self.deferred = (source, step, updated, pending)

    async def _write(self, source: str, step: int, tasks: Sequence[Task], updated: list[str],
                     new_id: str, handled: Handled = (), announced: bool = False) -> None:
        state = self.state
        channels = state.channels
        versions = state.versions
        since = self.saved_version
        changed = [k for k, v in versions.items() if v > since]  # (cleared channels have none)
        values: dict[str, Any] = {}
        for key in changed:
            snapshot = channels[key].checkpoint()
            if snapshot is not MISSING:
                values[key] = snapshot
        checkpoint = Checkpoint(
            id=new_id,
            ts=now_iso(),
            channel_values=values,
            channel_versions=dict(versions),
            versions_seen={n: dict(seen) for n, seen in state.versions_seen.items()},
            updated_channels=updated,
        )
        metadata = self.metadata(source, step)
        stored = metadata if source == "fork" else self._with_config_metadata(metadata)  # (a copy: as LangGraph)
        new_versions = {k: versions[k] for k in changed}
        writes = [TaskWrites(t.id, t.writes or [(NO_WRITES, None)], _path_str(t)) for t in tasks]
        if self.answered:
            writes = [TaskWrites(w.task_id, self.answered_writes(w.task_id, w.writes), w.task_path) for w in writes]
        if handled:
            writes[:0] = self._handled_errors(tasks, handled)
        # A run continues the newest checkpoint it loaded, or its own: the saver refuses the
        # write if another writer (another process) continued it first. A deliberate fork
        # (replay from, or update of, a named older checkpoint; a copy) is not checked.
        expect_head = source != "fork" and not self.forked and (self.requested_id is None
                                                               or self.saved_id == self.own_id)
        cancel_after = False
        if self.durability == "async":
            # queued to the saver's writer, which commits in order (batching several steps into
            # one transaction when it falls behind) while the run goes on
            inflight = self.inflight
            if inflight and (len(inflight) >= MAX_INFLIGHT or time.monotonic() - self.oldest > MAX_LAG):
                await inflight.popleft()()  # the writer commits everything queued meanwhile
                while inflight and len(inflight) >= MAX_INFLIGHT:
                    await inflight.popleft()()
                self.oldest = time.monotonic()
            elif not inflight:
                self.oldest = time.monotonic()
            writer = self.writer
            if writer is None:
                if self.own_ops:
                    wait = await self.saver._asubmit(self._step_ops(writes, checkpoint, stored, new_versions,
                                                                    expect_head))
                else:
                    wait = await self.saver.asubmit_step(self.config_for(self.saved_id), writes, checkpoint,
                                                         stored, new_versions, expect_head=expect_head)
                if wait is not committed:  # (a saver without a writer thread has committed it)
                    inflight.append(wait)
            else:  # (a saver that commits by parts: the run's own writer, see StepWriter)
                written = _Written()
                await writer.tell(_WriteStep(self.config_for(self.saved_id), writes, checkpoint, stored, new_versions,
                                             written))
                inflight.append(written.wait)
        else:
            with shielded():  # a commit under way lands before a cancel returns
                if self.own_ops:
                    await self.saver._acommit(self._step_ops(writes, checkpoint, stored, new_versions, expect_head))
                else:
                    await self.saver.aput_step(self.config_for(self.saved_id), writes, checkpoint, stored,
                                               new_versions, expect_head=expect_head)
            # a cancellation that came during the commit lands once it is recorded below: a
            # run whose nodes never suspend unshielded would otherwise go on to its end
            cancel_after = True
        self.saved_version = state.max_version
        if self.announce is not None and not announced:
            self.announce.append((self.saved_id, new_id, metadata, ()))
        if self.log is not None:
            self.log.info("checkpoint_saved", checkpoint_id=new_id, step=step, source=source,
                              durability=self.durability, channels=len(values))
        self.checkpoint_id = self.saved_id = self.own_id = new_id
        if cancel_after:
            await checkpoint_if_cancelled()

    async def settle(self) -> None:
        """Wait for the writes still in flight (``async`` durability); raise the first error."""
        inflight = self.inflight
        while inflight:
            await inflight.popleft()()

    async def flush(self) -> None:
        """Write what ``exit`` durability held back and wait for what ``async`` has in flight."""
        await self.settle()
        if self.deferred is not None:
            source, step, updated, pending = self.deferred
            self.deferred = None
            await self._write(source, step, (), sorted(updated), pending.value(), announced=True)
            await self.settle()

    async def finish(self) -> None:
        """The run finished: :meth:`flush`. Under ``exit`` durability a subgraph run with a
        per-task namespace (``node:task_id`` somewhere in ``ns``) leaves its final checkpoint
        out, as LangGraph does: its parent's task writes carry its result, and the checkpoint
        saved when it paused stays its latest (a ``checkpointer=True`` subgraph's own namespace
        keeps its thread, so its final checkpoint is written)."""
        if self.deferred is not None and ":" in self.ns:
            self.deferred = None
        await self.flush()

    @staticmethod
    def _handled_errors(tasks: Iterable[Task], handled: Handled) -> list[TaskWrites]:
        """The errors of the failed tasks among ``tasks`` that an error handler took over, as
        writes of the failed node's task (the handler's writes are the task's own)."""
        by_task = {id(t): (failed_id, error) for t, failed_id, error, _ in handled}
        return [TaskWrites(by_task[id(t)][0], [(ERROR, by_task[id(t)][1])], task_path_str(t.path))
                for t in tasks if id(t) in by_task]

    async def _put_handled_errors(self, config: dict[str, Any], tasks: Iterable[Task], handled: Handled) -> None:
        if handled:
            for tw in self._handled_errors(tasks, handled):
                await self.saver.aput_writes(config, tw.writes, tw.task_id, tw.task_path)

    async def save_task(self, task: Task, handled: Handled = ()) -> None:
        """``sync`` durability, a step of several tasks: ``task`` just finished; its writes
        become pending writes of the step's checkpoint now, so a crash before the step commits
        does not run it again. (The step's commit stores them once more: a no-op.)"""
        await self._put_handled_errors(self.config_for(self.checkpoint_id), (task,), handled)
        writes = task.writes or [(NO_WRITES, None)]
        await self.saver.aput_writes(self.config_for(self.checkpoint_id), self.answered_writes(task.id, writes),
                                     task.id, task_path_str(task.path))

    def took_answers(self, task_id: str, answers: list[Any] | tuple[Any, ...]) -> None:
        """A finished task took ``interrupt()`` answers in this run: if any is new, all are
        saved with its writes (see :meth:`answered_writes`)."""
        if self.resume.has_new(task_id, answers):
            self.answered[task_id] = list(answers)

    def keep_call(self, task: Task, writes: list[tuple[str, Any]]) -> None:
        """Pending writes of a functional-API task call (``actorgraph.func``) to save if the
        step pauses or fails (see :meth:`save_pause`), with the checkpoint they belong to."""
        self.call_writes.append((self.checkpoint_id, task, writes))

    def answered_writes(self, task_id: str, writes: Sequence[tuple[str, Any]]) -> Sequence[tuple[str, Any]]:
        """``writes`` of a finished task, with ``(RESUME, answers)`` when it took a new
        ``interrupt()`` answer (as LangGraph: the answers stay with the checkpoint the task ran
        from, and a resume there later, e.g. from an older checkpoint, gives them again)."""
        answers = self.answered.get(task_id)
        return writes if answers is None else [*writes, (RESUME, answers)]

    async def abort(self, exc: BaseException) -> None:
        """The run ends without finishing (failure, cancellation, any ``BaseException``):
        write what durability promises — ``exit``: the checkpoint it held back; ``async``:
        the steps in flight — shielded from cancellation, so that nothing of this run lands
        after it returns and releases the thread. A failure here is added to ``exc`` as a
        note (``exc`` propagates)."""
        with anyio.CancelScope(shield=True):
            try:
                await self.flush()
            except Exception as err:
                if err is not exc:
                    exc.add_note(f"while saving what the run did before it stopped: {err!r}")

    async def save_pause(self, finished: Sequence[Task],
                         interrupted: Sequence[tuple[Task, tuple[Any, ...], tuple[Any, ...]]],
                         handled: Handled = ()) -> None:
        """A step stopped by ``interrupt()``: finished tasks' writes, and each interrupted
        task's questions (and its answers, when it took a new one) become pending writes (no
        checkpoint)."""
        await self.flush()
        if self.checkpoint_id is None:
            return
        config = self.config_for(self.checkpoint_id)
        await self._put_handled_errors(config, [*finished, *(t for t, _, _ in interrupted)], handled)
        for task in finished:
            await self.saver.aput_writes(config, self.answered_writes(task.id, finished_marked(task)), task.id,
                                         task_path_str(task.path))
        await self._put_interrupts(config, interrupted)
        await self._save_calls(config)

    async def _put_interrupts(self, config: dict[str, Any],
                              interrupted: Sequence[tuple[Task, tuple[Any, ...], tuple[Any, ...]]]) -> None:
        resumed = self.resume
        for task, interrupts, answers in interrupted:
            writes: list[tuple[str, Any]] = [(INTERRUPT, tuple(interrupts))]
            if resumed.has_new(task.id, answers):  # (as LangGraph: only new answers)
                writes.append((RESUME, list(answers)))
            await self.saver.aput_writes(config, writes, task.id, task_path_str(task.path))

    async def _save_calls(self, config: dict[str, Any]) -> None:
        calls, self.call_writes = self.call_writes, []
        for checkpoint_id, task, writes in calls:
            if checkpoint_id == self.checkpoint_id:  # (not those of a step that completed since)
                await self.saver.aput_writes(config, writes, task.id, task_path_str(task.path))

    async def save_failure(self, finished: Sequence[Task], failed: Sequence[tuple[Task, BaseException]],
                           interrupted: Sequence[tuple[Task, tuple[Any, ...], tuple[Any, ...]]] = (),
                           cancelled: Sequence[Task] = (), handled: Handled = ()) -> None:
        """A step did not complete (a task failed, or the run was cancelled): keep the writes
        of its finished tasks (and the errors of the failed ones) as pending writes, after
        what durability held back. Shielded from cancellation.

        As LangGraph 1.2 for a step of several tasks: a sibling that had called
        ``interrupt()`` keeps its questions (and new answers), and each ``cancelled`` task
        (stopped unfinished) gets the error :data:`CANCELLED` (shown as its ``error``; it is
        not a failure: it runs again on resume, its node not its error handler)."""
        with anyio.CancelScope(shield=True):
            await self.flush()
            config = self.config_for(self.checkpoint_id)
            if self.checkpoint_id is None:
                return
            await self._put_handled_errors(config, [*finished, *(t for t, _ in failed)], handled)
            for task in finished:
                await self.saver.aput_writes(config, self.answered_writes(task.id, finished_marked(task)), task.id,
                                         task_path_str(task.path))
            for task, exc in failed:
                await self.saver.aput_writes(config, [(ERROR, repr(exc))], task.id, task_path_str(task.path))
            await self._put_interrupts(config, interrupted)
            for task in cancelled:
                await self.saver.aput_writes(config, [(ERROR, CANCELLED)], task.id, task_path_str(task.path))
            await self._save_calls(config)


class NullPersistence(Persistence):
    """The checkpointing of a run without a checkpointer: nothing is loaded or saved, so the
    step driver does not ask whether the run has one. Its ``checkpoint_id`` stays None, it
    has no done or failed tasks to resume and announces no checkpoints. Where a checkpointer
    changes what a run does (task ids, ``checkpoint_map``, refusing a resume or a
    breakpoint), callers test ``active``; the step driver's hot path also does before
    ``save`` (an awaited no-op per step, measurable on a one-task step)."""

    active = False

    def __init__(self) -> None:  # (none of Persistence's: nothing to checkpoint)
        self.saves_tasks = False
        self.defers = False
        self.checkpoint_id = None
        self.announce = None
        self.done_writes = {}
        self.failed = {}

    def claim(self) -> None:
        pass

    async def claim_after_abandoned(self) -> None:
        pass

    def release(self) -> None:
        pass

    async def load(self) -> CheckpointTuple | None:
        return None

    async def save_command(self, writes: Sequence[tuple[str, Any]], resume: Any) -> None:
        pass

    async def save(self, source: str, step: int, tasks: Sequence[Task], updated: Iterable[str],
                   handled: Handled = ()) -> None:
        pass

    async def settle(self) -> None:
        pass

    async def flush(self) -> None:
        pass

    async def finish(self) -> None:
        pass

    async def abort(self, exc: BaseException) -> None:
        pass

    async def save_task(self, task: Task, handled: Handled = ()) -> None:
        pass

    def took_answers(self, task_id: str, answers: list[Any] | tuple[Any, ...]) -> None:
        pass

    def keep_call(self, task: Task, writes: list[tuple[str, Any]]) -> None:
        pass

    async def save_pause(self, finished: Sequence[Task],
                         interrupted: Sequence[tuple[Task, tuple[Any, ...], tuple[Any, ...]]],
                         handled: Handled = ()) -> None:
        pass

    async def save_failure(self, finished: Sequence[Task], failed: Sequence[tuple[Task, BaseException]],
                           interrupted: Sequence[tuple[Task, tuple[Any, ...], tuple[Any, ...]]] = (),
                           cancelled: Sequence[Task] = (), handled: Handled = ()) -> None:
        pass


def renamed(saved: CheckpointTuple, names: dict[str, str]) -> CheckpointTuple:
    """``saved`` with its channels renamed per ``names`` (old name -> name now): a checkpoint
    written before a program renamed a channel (an entrypoint's ``__root__``, now ``__end__``)."""
    if not names:
        return saved
    checkpoint = saved.checkpoint
    if not any(k in names for k in checkpoint.channel_versions) and not any(
            w[1] in names for w in saved.pending_writes):
        return saved

    def keys(d: dict[str, Any]) -> dict[str, Any]:
        return {names.get(k, k): v for k, v in d.items()}

    checkpoint = msgspec.structs.replace(
        checkpoint, channel_values=keys(checkpoint.channel_values),
        channel_versions=keys(checkpoint.channel_versions),
        versions_seen={n: keys(seen) for n, seen in checkpoint.versions_seen.items()},
        updated_channels=None if checkpoint.updated_channels is None else sorted(
            names.get(k, k) for k in checkpoint.updated_channels))
    writes = [(t, names.get(c, c), v) for t, c, v in saved.pending_writes]
    return msgspec.structs.replace(saved, checkpoint=checkpoint, pending_writes=writes)


def restore(state: RunState, checkpoint: Checkpoint, clearing: frozenset[str]) -> None:
    """Put a saved checkpoint's channels, versions and versions-seen into ``state``."""
    channels = state.channels
    for key, value in checkpoint.channel_values.items():
        channel = channels.get(key)
        if channel is not None:
            channels[key] = channel.from_checkpoint(value)
    versions: dict[str, int] = {}
    for key, version in checkpoint.channel_versions.items():
        versions[key] = int(str(version).split(".")[0]) if not isinstance(version, int) else version
    state.versions = versions
    state.versions_seen = {n: {k: int(v) if not isinstance(v, int) else v for k, v in seen.items()}
                           for n, seen in checkpoint.versions_seen.items()}
    # Next versions must exceed what any node saw too: a cleared channel's version is gone
    # from ``versions`` but may still be in a node's versions-seen.
    state.max_version = max([*versions.values(), *(v for seen in state.versions_seen.values() for v in seen.values())],
                            default=0)
    state.live_clearing = {k for k in versions if k in clearing and channels[k].is_available()}
    state.last_ran = {n for n, seen in state.versions_seen.items()
                      if n != INTERRUPT and any(c not in versions for c in seen)}
    state.updated = None


def null_task_writes(pending: Iterable[tuple[str, str, Any]]) -> list[tuple[str, Any]]:
    """The writes the ``Command``s given to a checkpoint left as its NULL task's pending
    writes (``update``/``goto`` writes; the ``resume`` values are not state), in order."""
    return [(channel, value) for task_id, channel, value in pending
            if task_id == NULL_TASK_ID and channel not in SPECIAL]


_SINGLE_VALUE = (LastValue, LastValueAfterFinish, EphemeralValue, UntrackedValue, AnyValue)


def null_batch(channels: dict[str, BaseChannel[Any, Any, Any]], saved: Sequence[tuple[str, Any]],
               new: Sequence[tuple[str, Any]] = ()) -> list[tuple[str, Any]]:
    """The writes to apply, as one batch, when a checkpoint is loaded: those the Commands
    given to it before left (``saved``), then those of the ``Command`` given now (``new``).

    Each Command was one update: of a key holding a single value (no reducer) written by
    several of them, the latest write wins. (LangGraph applies all of them as one step, so a
    second Command writing such a key makes every later load of the thread raise
    ``InvalidUpdateError``; reducer keys fold every write in order, as there.)
    """
    if not saved:
        return list(new)
    later = {k for k, _ in new}
    kept: list[tuple[str, Any]] = []
    for key, value in reversed(saved):
        if key in later and isinstance(channels.get(key), _SINGLE_VALUE):
            continue
        later.add(key)
        kept.append((key, value))
    kept.reverse()
    return [*kept, *new]


def finished_marked(task: Task) -> list[tuple[str, Any]]:
    """A finished task's pending writes (never none: a task that wrote nothing has finished
    too). An error or a question it left before stays, as LangGraph keeps them: the record of
    the step (see :func:`finished_writes`)."""
    return task.writes or [(NO_WRITES, None)]


CONTROL = frozenset({ERROR, INTERRUPT, RESUME})
"""Pending writes that say what happened to a task, not what it produced (LangGraph's)."""


def finished_writes(pending: Iterable[tuple[str, str, Any]]) -> dict[str, list[tuple[str, Any]]]:
    """Task id -> writes of the tasks that finished in a pending step: those with a write
    that is not :data:`CONTROL` (as LangGraph tells them; an error or question a task left
    before it finished stays beside its writes). Threads written before this rule held mark
    a settled error or question with ``(ERROR, None)`` / ``(INTERRUPT, ())``: the same."""
    by_task: dict[str, list[tuple[str, Any]]] = {}
    for task_id, channel, value in pending:
        if task_id == NULL_TASK_ID or channel in CONTROL:
            continue
        writes = by_task.setdefault(task_id, [])
        if channel not in SPECIAL:
            writes.append((channel, value))
    return by_task
