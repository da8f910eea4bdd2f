"""The barrier supervisor: one run of a compiled graph, super-step by super-step.

Read :meth:`Run.run` top to bottom. :meth:`Run.hosted` brings up the run's actor tree — a
:class:`~actorgraph.actors.Supervisor` owning the stream hub actor, a node actor per node
(spawned when the node is first triggered) and a channel actor per channel (spawned when the
channel first changes), all inline: their handlers run in this task, no task switch.
:meth:`Run.begin` loads the thread and takes the input, then :meth:`Run.tick` per super-step —
plan → (breakpoint?) → execute (an ``Execute`` message per task to its node actor) → barrier →
(interrupted?) → apply (an ``Apply`` message per written channel, see ``_algo.apply_writes``) →
checkpoint (``_persist``) → stream — until nothing is triggered, the run pauses, or
``recursion_limit`` is hit; :meth:`Run.end` writes what durability held back. Stream events go
to the hub the moment they happen (``Publish``), from node actors and from this supervisor.

The run's collaborators, each in its own module: ``options`` (:class:`~._options.RunOptions`,
read once), ``emitter`` (its stream events, :mod:`._emit`; a no-op one when nobody streams),
``resume_state`` (what ``interrupt()`` is answered with, :mod:`._interrupt`), ``persist`` (its
checkpoints, :mod:`._persist`; a no-op one without a checkpointer) and ``state`` (its channels and
versions, :class:`~._algo.RunState`, which ``_algo.plan`` and ``apply_writes`` work on).
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
import anyio.from_thread
import anyio.lowlevel

from .._log import enabled, get_logger
from ..actors import ActorRef, Supervisor
from ..actors._group import TaskGroup
from ..actors._slot import current_backend
from ..actors._threads import current_loop_checker
from ..errors import (
    EmptyInputError, GraphDrained, GraphInterrupt, GraphRecursionError, InvalidUpdateError, ResumeError,
    ThreadBusyError,
    error_message,
)
from ..graph._constants import INTERRUPT, START
from ..persistence import new_checkpoint_id
from ..persistence._records import EXCLUDED_METADATA_KEYS, RESUME
from ..types import Command
from ._algo import Hosting, RunState, Task, apply_writes, managed_values, pending_tasks, plan, state_values
from ._cache import lookup as cache_lookup, store as cache_store
from ._context import RunControl, coerce_context, own_context
from ._interrupt import ResumeState, is_id_map
from ._persist import NullPersistence, Persistence, SharedNamespace, null_batch
from ._emit import Emitter, KeyedEmitter, NullEmitter
from ._options import RunOptions
from ._stream import StreamHub
from ._task import Barrier, Execute, NodeActor, command_input_writes, failed_before, handler_task_id
from .. import _langchain_trace as _trace
from .._langchain_trace import Tracing

_get_running_loop = asyncio._get_running_loop

if TYPE_CHECKING:
    from ._compiled import CompiledGraph
    from ..persistence import CheckpointTuple

log = get_logger("runtime")

SYNC_API: ContextVar[bool] = ContextVar("actorgraph_sync_api", default=False)
"""True inside ``CompiledGraph.invoke``'s private event loop (see ``_task.call_node``)."""
SYNC_CALLER: ContextVar[bool] = ContextVar("actorgraph_sync_caller", default=False)
"""Set by the sync ``stream()`` and ``batch()`` where they start runs (see ``RunOptions.sync_caller``)."""

ROOT_CHECKPOINTER_TRUE = (
    "checkpointer=True makes a subgraph use its parent graph's checkpointer; a graph run on "
    "its own needs a saver: compile(checkpointer=InMemorySaver()), or None"
)

TASK_ID_KEY = "__pregel_task_id"
"""The ``configurable`` key of a node's config naming its task (LangGraph's name): a graph
called inside the node with that config (or one derived from it) is its subgraph."""

LOOK_EVERY = 4
"""Steps between two looks at the clock (see :meth:`Run.tick`)."""

YIELD_AFTER = 0.002
"""Seconds a run goes on without letting the event loop in, at most: async nodes that never
await would otherwise hold the loop for the whole run (no other task, no deadline, no
cancellation would get a turn until it ended)."""


class Run:
    """The barrier supervisor of one run: its channels (a :class:`RunState`, each channel owned
    by a channel actor), its node actors, its stream hub actor (through its emitter)."""

    def __init__(
        self,
        graph: CompiledGraph,
        config: dict[str, Any],
        *,
        hub: StreamHub | None = None,
        modes: frozenset[str] | None = None,
        ns: tuple[str, ...] = (),
        context: Any = None,
        store: Any = None,
        subgraphs: bool = False,
        parent: Run | None = None,
        durability: str | None = None,
        interrupt_before: Sequence[str] = (),
        interrupt_after: Sequence[str] = (),
        checkpointer: Any = None,
        detached: bool = False,
        control: RunControl | None = None,
        output_keys: str | tuple[str, ...] | None = None,
    ) -> None:
        """``detached``: a run the state API positions at a checkpoint itself (it sets
        ``persist`` when it saves one), not one that takes its graph's checkpointer.
        ``control``: the root run's :class:`RunControl` (one is made when none is given).
        ``output_keys``: LangGraph's argument (checked by the caller), which shapes the
        ``values``/``updates`` chunks of a streamed run (see :class:`~._emit.KeyedEmitter`)."""
        self.graph = graph
        self.program = graph._program
        self.config = config
        self.options: RunOptions = RunOptions.read(
            config, subgraphs=subgraphs, interrupt_before=interrupt_before, interrupt_after=interrupt_after,
            sync_api=parent.options.sync_api if parent is not None else SYNC_API.get(),
            sync_caller=parent.options.sync_caller if parent is not None else SYNC_API.get() or SYNC_CALLER.get())
        self.ns = ns
        self.ns_str: str = "|".join(ns)
        # Task ids hash the checkpoint their step starts from (with a checkpointer); a root run
        # without one adds a random prefix of its own: as in LangGraph, where task ids derive
        # from checkpoint ids every run makes afresh, no two runs share task ids (nor the
        # interrupt ids and ``checkpoint_ns`` built on them). A subgraph run's namespace names
        # its parent's task, so it differs already (and stays the same when a checkpointed
        # parent resumes it: its interrupt ids must). Ids are still hashed only when asked for.
        self.ids_ns = self.ns_str if parent is not None else f"{os.urandom(8).hex()}|{self.ns_str}"
        self.entry_ns: str | None = None  # a subgraph run's: its parent task's namespace (_child_run)
        # a subgraph run shares its parent's, already made
        self.context = context if parent is not None else coerce_context(graph, context)
        self.store = store
        self.parent = parent
        # what the run streams (modes None: follow the hub's subscribers, an ActorSystem run
        # where subscribers come and go); without a hub nobody streams it
        self.state = RunState(self.program)
        root_emitter = parent.emitter.root if parent is not None else None
        if hub is None:
            self.emitter: Emitter = NullEmitter(self.program, ns)
        elif output_keys is None:
            self.emitter = Emitter(self.program, ns, hub, modes, root_emitter)
        else:
            self.emitter = keyed = KeyedEmitter(self.program, ns, hub, modes, root_emitter, output_keys)
            keyed.read = partial(_read_keys, self.state, output_keys)
        self.step = -1
        self.stop = 0
        self.due = -1  # the next step at which tick() looks at the recursion limit and the clock
        self.yield_at = math.inf  # when the run next passes a checkpoint, at the latest (see tick)
        # what output() needs to tell a run that wrote its output keys (or showed where it
        # resumed from) from one that did not: the newest channel version before its input
        self.base_version = 0
        self.shown_start = False
        self._root: Run | None = parent.root if parent is not None else None  # (None: this one)
        self.control: RunControl = control if control is not None else (
            parent.root.control if parent is not None else RunControl())
        self.threaded = False  # a task of this step ran in a worker thread (see tick)
        self.resume_state = ResumeState()  # interrupt(): what a resume brings, what tasks asked
        self.logging = enabled(log)  # (read once per run: the hot path tests this flag)
        # (its logs name the run: the config's run_id, else one made for them)
        self.log = log.bind(run=str(config.get("run_id") or uuid.uuid4()), thread=(config.get("configurable") or {}).get("thread_id"),
                            ns=self.ns_str) if self.logging else log
        self.persist: Persistence = NullPersistence()
        self.tracing: Tracing | None = None  # LangChain callbacks / messages mode (see run())
        if detached:
            pass
        elif parent is None:
            saver = graph.checkpointer if graph.checkpointer is not None else checkpointer
            if saver is True:  # LangGraph: RuntimeError too
                raise RuntimeError(ROOT_CHECKPOINTER_TRUE)
            if saver is not None and saver is not False:  # False: explicitly none
                self.persist = Persistence(saver, durability or "async", config,  # type: ignore[arg-type]  # checked by Persistence
                                           state=self.state, program=self.program, ns=self.ns_str,
                                           resume=self.resume_state, log=self.log if self.logging else None)
        elif parent.persist.active and graph.checkpointer is not False:
            # a subgraph is checkpointed in its parent's thread under its own namespace (its
            # own saver, if compiled with one, is not used: as in LangGraph); compiled with
            # checkpointer=False it never is
            self.persist = parent.persist.child(config, state=self.state, program=self.program, ns=self.ns_str,
                                                resume=self.resume_state, log=self.log if self.logging else None)
        # versions_seen is saved only with checkpoints (a detached run's persist comes later)
        self.state.prune_seen = detached or self.persist.active
        if self.persist.active and self.emitter.wants_checkpoints:
            self.persist.announce = []
        self.sup: Supervisor | None = None  # the run's actor tree, while it runs (hosted())
        self.node_actors: dict[str, ActorRef] = {}
        # called on the thread running the run's event loop now? (not a thread id: see
        # current_loop_checker); a child run is on its parent's loop (see _compiled._child_run)
        self.on_loop: Callable[[], bool] = parent.on_loop if parent is not None else current_loop_checker()
        self.loop: object = None  # the asyncio loop hosting it, while it runs (see _task.call_inline)
        self.finished: list[Task] = []
        self.failed: Task | None = None  # the task whose failure ended the step
        # this step's failed tasks an error handler took over: (the task, now the handler's,
        # the failed node's task id, its error's repr, its node), see _task._handle_error
        self.handled: list[tuple[Task, str, str, str]] = []
        # a checkpointer=True subgraph run: what it shares with sibling runs of its namespace in
        # the parent's step (parallel Sends), see _load_shared; the parent's registry of those
        self.shared: SharedNamespace | None = None
        self.shared_ns: tuple[int, dict[str, SharedNamespace]] | None = None
        self.call_writes: dict[str, list[tuple[str, Any]]] = {}  # task id -> writes (actorgraph.func)
        self.call_parents: dict[Task, Task] = {}  # a running task call -> its caller (actorgraph.func)
        self._step_id: tuple[int, str] = (-3, "")  # (step, id) of a checkpoint_map entry without persist

    @property
    def root(self) -> Run:
        """The outermost run (this one, for a root run). (Not stored on the root run itself:
        a run that referred to itself would be freed only by the garbage collector.)"""
        return self._root or self

    # -- the loop --------------------------------------------------------------------------

    async def run(self, value: Any) -> Any:
        """Run from ``value`` to the end; return the output (output-schema keys). The run has a
        context of its own (see ``_context.own_context``), each task one too."""
        return await own_context(self._run(value))

    async def _run(self, value: Any) -> Any:
        # a run started in a scope already cancelled (a deadline passed, a handle cancelled
        # before its run started) starts nothing: its first suspension may be shielded (a def
        # node's thread, a sync commit) or never come (async nodes that never await)
        await anyio.lowlevel.checkpoint_if_cancelled()
        tracing = self.tracing = self._tracing()
        async with self.hosted():
            if tracing is not None:
                await tracing.start(value)
            try:
                await self.begin(value)
                while await self.tick():
                    pass
                await self.end()
            except BaseException as exc:
                await self.abort(exc)
                if self.tracing is not None:
                    await self.tracing.error(exc)
                raise
            finally:
                self.release()
        output = self.output()
        if self.tracing is not None:  # (an ActorSystem run may have started tracing late)
            # the graph run's output: the state's output keys, without the questions asked
            # (as LangGraph's; they were in the stream already)
            await self.tracing.end({k: v for k, v in output.items() if k != INTERRUPT}
                                   if isinstance(output, dict) and INTERRUPT in output else output)
        return output

    async def _late_tracing(self) -> None:
        """An ``ActorSystem`` run, whose subscribers come and go: trace from this step on once
        somebody streams ``messages`` or ``tools`` (the graph run starts here, without its input)."""
        modes = self.emitter.modes
        if not modes.isdisjoint(_trace.HANDLED_MODES) and _trace.wanted(self.config, modes):
            self.tracing = tracing = _trace.Tracing.for_run(self)
            if tracing is not None:
                await tracing.start(None)

    def _tracing(self) -> Tracing | None:
        """The run's LangChain tracing (callbacks, ``messages`` mode), when it has any: see
        ``actorgraph._langchain_trace``. None, at the cost of a dict lookup, without
        langchain-core imported."""
        parent = self.parent
        if parent is None:
            if not _trace.wanted(self.config, self.emitter.modes):
                return None
        elif parent.tracing is None and not _trace.wanted_below(self):
            return None
        return _trace.Tracing.for_run(self)

    def hosted(self) -> RunHosting:
        """``async with run.hosted() as sup``: the run's actor tree for the block: this barrier
        supervisor, the stream hub actor (the root run's), node and channel actors as they are
        first needed. Leaving the block stops them all."""
        # every actor of a run is inline, but a saver's StepWriter (see Persistence.host)
        return RunHosting(self, self.state.hosted(run_name(self.program.name, self.ns),
                                                  tasks=self.persist.writes_aside))

    def node_actor(self, task: Task) -> ActorRef:
        """The actor of ``task``'s node, spawned when the node is first triggered."""
        ref = self.node_actors.get(task.name)
        if ref is None:
            assert self.sup is not None, "the run is not hosted"
            ref = self.node_actors[task.name] = self.sup.spawn_inline(NodeActor(self, task.node),
                                                                      name=task.node.actor_name)
        return ref

    async def begin(self, value: Any) -> None:
        """Load the thread (with a checkpointer), then take the input.

        New input goes into ``__start__`` at the input step (-1 on a new thread) and is
        checkpointed; ``None`` resumes the thread where it stopped (replaying, and forking,
        when ``checkpoint_id`` names an older checkpoint).
        """
        persist = self.persist
        saved = None
        start = -1
        if persist.active:
            if self.parent is not None and self.graph.checkpointer is True:
                saved = await self._load_shared(persist)
            else:
                try:
                    persist.claim()
                except ThreadBusyError:
                    await persist.claim_after_abandoned()
                self._replayed_subgraph(persist)
                try:
                    saved = await persist.load()
                except BaseException:
                    persist.release()
                    raise
            if saved is not None:
                start = int(saved.metadata.get("step", -1)) + 1
                if self.parent is not None and self.parent.resume_state.resuming and persist.before is None:
                    value = None  # a subgraph stopped in this parent step: continue where it was
        self.stop = start + self.options.recursion_limit + 1
        self.step = start
        self.due = -1  # (the first tick looks)
        self.yield_at = time.perf_counter() + YIELD_AFTER
        self.base_version = self.state.max_version  # (what output() compares against)
        command = value if isinstance(value, Command) and saved is not None else None
        command_writes: list[tuple[str, Any]] = []
        if saved is not None:
            # the Commands given to this checkpoint before (a run that paused again since), and
            # this one: all apply before the first step, saved with the next checkpoint
            if command is not None:
                command_writes = self._command_writes(command)
            batch = null_batch(self.state.channels, persist.null_writes, command_writes)
            if batch:
                apply_writes(self.program, self.state, (), batch)
            self.state.updated = None  # writes without a task: consider every node next
        if (value is None or command is not None) and saved is not None and self.state.versions:
            # As LangGraph: a resumed run records that it went on from these versions (under
            # "__interrupt__", no node), saved from its first checkpoint on. (update_state
            # without as_node then no longer falls back to __start__: see _snapshot._infer_node.)
            self.state.versions_seen[INTERRUPT] = {INTERRUPT: max(self.state.versions.values())}
        forked = False
        # Time travel: None, or a Command without resume, at a named checkpoint (replaying: saved
        # answers are not given, finished tasks re-run; subgraphs load as of the replay bound)
        resumed = self.resume_state
        time_travel = (saved is not None and persist.requested_id is not None
                       and (value is None or (command is not None and command.resume is None)))
        if time_travel:
            assert saved is not None
            # (as LangGraph: from an update/fork, its subgraphs load as of the checkpoint before it)
            parent_id = (saved.parent_config or {}).get("configurable", {}).get("checkpoint_id")
            resumed.replay_bound = (parent_id if parent_id and saved.metadata.get("source") in ("update", "fork")
                                 else saved.checkpoint.id)
            persist.done_writes, persist.failed = {}, {}  # a replay re-runs everything after it
            # As LangGraph 1.2: a replay starts its branch with a fork checkpoint (even at the
            # head; it carries a Command's writes), unless it starts from an update_state/fork
            # checkpoint that is still the head (that one already starts a branch).
            if persist.requested_id is not None and (
                    persist.through_subgraph or saved.metadata.get("source") not in ("update", "fork")
                    or not await persist.is_head()):
                await persist.save("fork", start, (), ())
                self.step = start + 1
                forked = True
        if (value is None or command is not None) and saved is not None:
            resumed.skip_breakpoint = True  # the breakpoint we stopped at does not fire again
            resumed.resuming = True
            resume = command.resume if command is not None else None
            paused = bool(pending_tasks(self.program, self.state, self.step, self.stop, self.ns_str))
            pending_writes = saved.pending_writes
            if time_travel:
                # time travel (as LangGraph): the answers saved there are not given again
                pending_writes = [w for w in pending_writes if w[1] != RESUME]
            resumed.load(pending_writes, resume, persist.thread_id, paused)
            at_head = command is None or forked or persist.requested_id is None or await persist.is_head()
            if command is not None and not forked and at_head:
                # kept on the checkpoint: lost otherwise if the run pauses again before the next
                await persist.save_command(command_writes, None if is_id_map(resume) else resume)
            if not at_head and resume is not None:
                # As LangGraph 1.2: a resume at a checkpoint the thread has moved past runs the
                # tasks that had finished there again (their interrupt() calls get the answers
                # saved there) instead of handing their writes back
                persist.done_writes, persist.failed = {}, {}
            if not forked:
                persist.announce_resumed(saved)
            self.emitter.resumed(self.values)  # a resumed run shows where it starts from
            self.shown_start = True
            if self.emitter.live:
                await self.emitter.flush()  # (taken by the consumer before the next node runs, as LangGraph's)
        else:
            discarded = self._discard_pending() if saved is not None else []
            if self.shared is None:
                self._input(value, discarded)
            else:
                with self.shared.versions(self.state):
                    self._input(value, discarded)
            await persist.save("input", start, (), self.state.updated or ())
            self.step = start + 1
        if self.logging:
            self.log.info("run_started", graph=self.program.name, step=self.step)

    async def end(self) -> None:
        """After the last step: write what ``exit`` durability held back (see
        :meth:`Persistence.finish`)."""
        await self.persist.finish()

    async def abort(self, exc: BaseException) -> None:
        """The run stops without finishing: write what durability promises before the thread
        is released (see :meth:`Persistence.abort`)."""
        await self.persist.abort(exc)

    def release(self) -> None:
        self.persist.release()

    async def tick(self) -> bool:
        """Run one super-step; False when nothing was left to run (the run is over)."""
        program = self.program
        state = self.state
        if self.threaded:
            # the last step ran sync code in a worker thread, shielded: a run made of such steps
            # never suspends unshielded, so take a cancellation here, between steps
            self.threaded = False
            await anyio.lowlevel.checkpoint_if_cancelled()
        if self.step > self.due:
            # Every LOOK_EVERY steps: the recursion limit, and the clock. Nodes that await let
            # the event loop in anyway; nodes that never do would hold it for the whole run (no
            # other task, no deadline, no cancellation gets a turn): after YIELD_AFTER seconds
            # without a checkpoint here the run passes one (a cancellation takes effect there)
            if self.step > self.stop:
                await self.persist.settle()  # the last step's checkpoint is in before we raise
                raise GraphRecursionError(error_message(
                    f"Recursion limit of {self.options.recursion_limit} reached without hitting a stop "
                    "condition. You can increase the limit by setting the `recursion_limit` config key.",
                    "GRAPH_RECURSION_LIMIT",
                ))
            self.due = min(self.stop, self.step + LOOK_EVERY - 1)
            if time.perf_counter() >= self.yield_at:
                await anyio.lowlevel.checkpoint()
                self.yield_at = time.perf_counter() + YIELD_AFTER
        emitter = self.emitter
        if emitter.follows_subscribers and self.tracing is None and self.parent is None:
            await self._late_tracing()
        persist = self.persist
        tasks = self._plan()
        if persist.announce:
            emitter.checkpoints(persist, tasks, self.values)
        if not tasks:
            if self.logging:
                self.log.info("run_finished", graph=program.name, steps=self.step)
            return False
        if self.logging:
            self.log.info("step_planned", step=self.step, tasks=[t.name for t in tasks])
        resumed = self.resume_state
        options = self.options
        if resumed.skip_breakpoint:
            resumed.skip_breakpoint = False  # resumed from this step's breakpoint: not again
        elif options.interrupt_before and self._breakpoint(options.interrupt_before, tasks):
            return await self._pause_at_breakpoint()
        reason = self.control._drain_reason  # (drain_reason, without the property's call)
        if reason is not None:
            # drained: refuse this step; what ran is checkpointed (abort flushes), invoke(None) resumes
            # (a subgraph drains too, at its own barrier: its GraphDrained stops the parent's
            # task, which runs again on resume and continues the subgraph, as LangGraph 1.2)
            if self.logging:
                self.log.info("run_drained", graph=program.name, step=self.step, reason=reason)
            raise GraphDrained(reason)
        if emitter.live:  # (the hot path skips a null emitter: see _emit)
            await emitter.step_started(tasks, self.step, self.shown_metadata)
        todo = tasks
        if self.handled:
            self.handled = []
        if persist.done_writes or persist.failed:
            # resuming a step: tasks that finished before are not run again
            todo = []
            for task in tasks:
                writes = persist.done_writes.pop(task.id, None)
                if writes is None and task.node.error_handler is not None:
                    writes = self._handled_before(task, persist.done_writes, persist.failed)
                if writes is None:
                    todo.append(task)
                else:
                    task.writes = writes
                    if not task.node.hidden:
                        emitter.cached(task)
            # what is left: results of functional-API task calls (actorgraph.func), found again
            # when the entrypoint calls them
            self.call_writes, persist.done_writes = persist.done_writes, {}
            persist.failed = {}
        if self.finished:
            self.finished = []
        cached: list[tuple[Task, Any]] | None = None
        if program.cache is not None and todo:
            todo, hits, cached = await self._cached(program.cache, todo)
            self.finished = hits
        self.failed = None
        if resumed.step_interrupts:
            resumed.step_interrupts = []
        timeout = self.graph.step_timeout
        try:
            if not todo:
                pass
            elif len(todo) == 1:
                # A lone task runs in its node actor's handler, inline in this task (nothing
                # else runs in the step: a task switch would buy nothing)
                task = todo[0]
                started = time.perf_counter() if self.logging else 0.0
                ref = self.node_actors.get(task.name) or self.node_actor(task)
                if timeout is None:
                    failure = await ref.ask(Execute(task, None), math.inf)
                    if failure is None and not started and not emitter.live:
                        self.finished.append(task)  # (_lone_done's common case, without its calls)
                    else:
                        self._lone_done(task, failure, started)
                else:
                    with anyio.fail_after(timeout) as scope:
                        self._lone_done(task, await ref.ask(Execute(task, None), math.inf), started)
                        # Sync code (on this thread, or in a shielded worker thread) cannot be
                        # interrupted: past the deadline the step still times out once it has
                        # returned, its writes kept as a finished task's (as LangGraph's)
                        if anyio.current_time() >= scope.deadline:
                            raise TimeoutError  # (what fail_after raises)
            elif timeout is None:
                await self._execute(todo)
            else:
                with anyio.fail_after(timeout):
                    await self._execute(todo)
        except BaseException as exc:
            # A failed task, a step timeout, or the run cancelled: keep what finished tasks
            # wrote (and the failure); a cancelled task is not a failed one (it runs again).
            failed: list[tuple[Task, BaseException]]
            if isinstance(exc, Exception) and not isinstance(exc, GraphDrained):  # (a drained
                # subgraph's task has not failed: it runs again on resume)
                if self.failed is not None:
                    failed = [(self.failed, exc)]
                else:  # a step timeout: every unfinished task
                    done = set(map(id, self.finished))
                    failed = [(t, exc) for t in todo if id(t) not in done]
            else:
                failed = []  # a cancellation, KeyboardInterrupt...: nobody failed
            interrupted = [(t, gi.interrupts, gi.answers) for t, gi in resumed.step_interrupts
                           if gi.interrupts or gi.answers]
            settled = {id(t) for t in self.finished} | {id(t) for t, _ in failed} | {
                id(t) for t, _ in resumed.step_interrupts}
            cancelled = [] if len(todo) < 2 or isinstance(exc, GraphDrained) else [
                t for t in todo if id(t) not in settled]  # (LangGraph: a lone task's is not saved)
            await persist.save_failure(self.finished, failed, interrupted, cancelled, self.handled)
            raise
        resumed.resuming = False
        if resumed.spare:  # (as LangGraph: a resume value reaches only the step it was given at)
            resumed.spare = []
        if cached:
            await cache_store(program.cache, cached, self.finished)
        if resumed.step_interrupts:
            return await self._pause(tasks)
        if self.shared is None:
            updated = apply_writes(program, state, tasks)
        else:
            with self.shared.versions(state):
                updated = apply_writes(program, state, tasks)
        if persist.active:  # (the hot path skips a null checkpointer's save: see NullPersistence)
            if persist.defers:  # (exit durability: only the checkpoint's id is fixed, nothing awaited)
                persist.defer("loop", self.step, updated)
            else:
                await persist.save("loop", self.step, tasks, updated, self.handled)
        if emitter.live:
            await emitter.stepped(updated, self.values)  # (then waits for blocking subscribers)
        self.step += 1
        if options.interrupt_after and self._breakpoint(options.interrupt_after, tasks):
            if persist.announce:  # (as LangGraph: the checkpoint streamed with the step it stops before)
                emitter.checkpoints(persist, self._plan(), self.values)
            return await self._pause_at_breakpoint()
        return True

    def _plan(self) -> list[Task]:
        """The tasks of the next step; their ids derive from the checkpoint the step starts
        from (see ``Persistence.defer``)."""
        program = self.program
        key = self.persist.ids_key(self.ns_str) if self.persist.active else self.ids_ns
        return plan(program, self.state, self.step, key,
                    managed_values(program, self.step, self.stop) if program.managed else None)

    def _replayed_subgraph(self, persist: Persistence) -> None:
        """A subgraph's first run (per namespace, without its last task id) in a replay (time
        travel) of the root run: as LangGraph's replay state, it loads its namespace's newest
        checkpoint older than the root's replay bound and takes its input anew from there (none:
        from nothing). Newer checkpoints of the namespace stay (this run writes a branch beside
        them). Later runs of the namespace load its newest checkpoint, as usual."""
        replay = self.root.resume_state
        if replay.replay_bound is None or self.parent is None:
            return
        ns = self.ns_str
        stable = ns.rsplit(":", 1)[0] if ":" in ns else ns
        if stable not in replay.replay_visited:
            replay.replay_visited.add(stable)
            persist.before = replay.replay_bound
            persist.forked = True

    async def _load_shared(self, persist: Persistence) -> CheckpointTuple | None:
        """Load a ``checkpointer=True`` subgraph's namespace, as LangGraph does when several
        tasks of one parent step (parallel ``Send``s) run the subgraph: each run starts from
        the checkpoint the namespace's head was when the first of them loaded it (none: from
        nothing) and writes its own chain from there (forks of one namespace); the next parent
        run continues the newest. Channel versions stay distinct across the forks (their
        values are stored by version): the runs hand them out from one counter."""
        parent = self.parent
        assert parent is not None
        registry = parent.shared_ns
        if registry is None or registry[0] != parent.step:
            registry = parent.shared_ns = (parent.step, {})
        shared = registry[1].get(self.ns_str)
        if shared is None:
            shared = self.shared = registry[1][self.ns_str] = SharedNamespace(persist)
            persist.claim()
            self._replayed_subgraph(persist)
            try:
                saved = await persist.load()
                shared.head = None if saved is None else saved.checkpoint.id
                with shared.versions(self.state):
                    pass
            except BaseException:
                persist.release()
                raise
            finally:
                shared.loaded.set()
            return saved
        self.shared = shared
        await shared.join(persist)
        persist.before = shared.first.before  # (a replay: they all take their input anew)
        persist.requested_id = shared.head
        return await persist.load() if shared.head is not None else None

    def _handled_before(self, task: Task, done: dict[str, list[tuple[str, Any]]],
                        failed: dict[str, Any]) -> list[tuple[str, Any]] | None:
        """Resuming a step in which ``task`` failed and its error handler finished: the
        handler's writes (``task`` becomes the handler's task). If the handler had started
        but not finished (it called ``interrupt()``), None, and ``task`` runs only the handler
        again (as LangGraph 1.2); else None (the node runs again)."""
        handler = task.node.error_handler
        assert handler is not None
        hid = handler_task_id(task, handler.name, self.step)
        writes = done.pop(hid, None)
        if writes is not None:
            task._id = hid
            task.name = handler.name
        elif task.id in failed:
            task.node = failed_before(task.node, failed[task.id])
        return writes

    async def _cached(self, cache: Any, todo: list[Task]) -> tuple[list[Task], list[Task], list[tuple[Task, Any]]]:
        """Tasks of cached nodes whose writes the cache has do not run: their updates stream
        with ``"__metadata__": {"cached": True}`` (LangGraph's shape; no task result event)."""
        todo, hits, keyed = await cache_lookup(cache, todo)
        for task in hits:
            self.emitter.cached(task)
        return todo, hits, keyed

    # -- pausing ---------------------------------------------------------------------------

    def _breakpoint(self, names: frozenset[str], tasks: list[Task]) -> bool:
        if not names:
            return False
        return any(not t.node.hidden and ("*" in names or t.name in names) for t in tasks)

    async def _pause_at_breakpoint(self) -> bool:
        """A static breakpoint: stop here; ``invoke(None, config)`` continues (with a checkpointer).

        In a subgraph (its own compiled breakpoints) the whole run pauses, as in LangGraph:
        the parent's task running it stops without writes and runs again on resume, when this
        subgraph continues from its checkpoint past the breakpoint."""
        if self.parent is not None:
            raise GraphInterrupt(())
        # (without a checkpointer the run stops here all the same and returns its state, as
        # LangGraph's does; there is nothing to continue from)
        self.emitter.breakpoint()
        await self.emitter.flush()
        return False

    async def _pause(self, tasks: list[Task]) -> bool:
        """Some tasks called ``interrupt()``: keep what the step did as pending writes, stop."""
        resumed = self.resume_state
        interrupted = resumed.step_interrupts
        # (without a checkpointer the run stops all the same; a task whose subgraph stopped at
        # its breakpoint leaves no writes: it runs again)
        await self.persist.save_pause(self.finished, [(t, gi.interrupts, gi.answers) for t, gi in interrupted
                                                     if gi.interrupts or gi.answers], self.handled)
        resumed.interrupts = [i for _, gi in interrupted for i in gi.interrupts]
        # What the run shows while paused (the questions streamed as their tasks asked them: see
        # task_paused): the state with the finished tasks' writes applied (also those of tasks
        # that had finished before this resume, as LangGraph shows them)
        finished = {id(t) for t in self.finished}
        updated = apply_writes(self.program, self.state, [t for t in tasks if t.writes or id(t) in finished])
        if self.parent is not None:  # a subgraph: the parent's task running it pauses too
            raise GraphInterrupt((*resumed.interrupts, *(i for _, gi in resumed.step_interrupts for i in gi.repeated)))
        # (as LangGraph's root: one last values chunk when those writes changed the state)
        await self.emitter.stepped(updated, self.values)
        return False

    def _input(self, value: Any, discarded: Sequence[Task] = ()) -> None:
        """Step -1: put the input in the ``__start__`` channel (or apply a ``Command``);
        ``discarded``: the tasks the loaded checkpoint would have run, dropped with this step
        (see :meth:`_discard_pending`)."""
        if value is None:
            raise EmptyInputError("Received no input for __start__")
        if isinstance(value, Command):
            if value.update is None and value.goto == () and value.resume is None:
                raise EmptyInputError("Received empty Command input")
            if value.graph == Command.PARENT:
                raise InvalidUpdateError("There is no parent graph")
            if value.resume is not None:
                if self.persist.active:
                    raise ResumeError(f"thread {self.persist.thread_id!r} has no checkpoint: nothing to resume")
                raise ResumeError("Cannot use Command(resume=...) without checkpointer")
            # As LangGraph 1.2 on a thread without checkpoints (or without a checkpointer): the
            # Command's update applies at the input step, and the Command is __start__'s input,
            # whose task applies the update again, routes the goto and takes START's edges
            update = command_input_writes(self, Command(update=value.update)) if value.update is not None else []
            apply_writes(self.program, self.state, discarded, [*update, (START, value)])
            return
        apply_writes(self.program, self.state, discarded, [(START, value)])

    def _command_writes(self, command: Command[Any]) -> list[tuple[str, Any]]:
        """The channel writes of a ``Command`` given as input (``update`` and ``goto``);
        ``EmptyInputError`` for a Command that says nothing, ``InvalidUpdateError`` for one
        addressed to the parent graph (as LangGraph: the root has none; nothing is written)."""
        if command.update is None and command.goto == () and command.resume is None:
            raise EmptyInputError("Received empty Command input")
        if command.graph == Command.PARENT:
            raise InvalidUpdateError("There is no parent graph")
        return command_input_writes(self, command)

    def _discard_pending(self) -> list[Task]:
        """New input on a thread: the tasks its last checkpoint would run are dropped. Returned
        without writes, to be applied with the input (as LangGraph 1.2: their triggers are
        seen and consumed, a join among them starts over)."""
        tasks = pending_tasks(self.program, self.state, self.step, self.stop, self.ns_str)
        self.persist.done_writes, self.persist.failed = {}, {}
        return tasks

    async def _execute(self, tasks: list[Task]) -> None:
        """Run a step's several tasks: an ``Execute`` message per task to its node actor;
        returns when all finished, raises the first failure (after the others stopped).

        Each node actor starts its tasks in the step's task group (several ``Send``s to one
        node run concurrently) and the :class:`Barrier` counts them down; the first failure
        cancels the async others. (A step's lone task: see :meth:`tick`.)
        """
        bound = self.options.max_concurrency
        limit = anyio.Semaphore(bound) if bound is not None and bound < len(tasks) else None
        async with TaskGroup() as group:
            barrier = Barrier(len(tasks), group, current_backend().new_slot(), self._task_done, limit)
            for task in tasks:
                await self.node_actor(task).ask(Execute(task, barrier), timeout=math.inf)
            barrier.dispatching = False
            await barrier.slot
        if barrier.failure is not None:
            self.failed = barrier.failed
            if barrier.failed is not None:
                self._task_failed(barrier.failed, barrier.failure)
            raise barrier.failure
        if barrier.drained is not None:  # (a subgraph drained; its siblings' writes are kept)
            raise barrier.drained

    def _lone_done(self, task: Task, failure: Exception | None, started: float) -> None:
        """A lone task's node actor answered: its ``interrupt()`` is kept for the step, its
        failure raised (after it is logged and streamed), else the task is done."""
        if failure is None:
            self._task_done(task, started)
        elif isinstance(failure, GraphInterrupt):
            self.task_paused(task, failure)
        else:
            self.failed = task
            self._task_failed(task, failure)
            raise failure

    # -- results and streams ---------------------------------------------------------------

    def task_paused(self, task: Task, paused: GraphInterrupt) -> None:
        """``task`` stopped at ``interrupt()`` (or at a breakpoint of its subgraph): kept for
        the step's end (see :meth:`_pause`); its questions stream now, as LangGraph streams
        them, beside its siblings' results (a subgraph shows none for a breakpoint below it)."""
        self.resume_state.step_interrupts.append((task, paused))
        if self.emitter.live and (self.parent is None or paused.interrupts):
            self.emitter.paused(task, paused, self.values, self.step)

    def _task_done(self, task: Task, started: float = 0.0) -> None:
        self.finished.append(task)
        if started and enabled(self.log):
            self.log.info("task_finished", step=self.step, node=task.name, task_id=task.id,
                          duration_ms=round((time.perf_counter() - started) * 1000, 3))
        if self.emitter.live:  # (the hot path skips a null emitter: see _emit)
            self.emitter.task_done(task, self.step)

    def _task_failed(self, task: Task, exc: BaseException) -> None:
        if isinstance(exc, GraphDrained):  # (not a failure)
            return
        if enabled(self.log, logging.WARNING):
            self.log.warning("task_failed", step=self.step, node=task.name, task_id=task.id, error=repr(exc))
        self.emitter.task_failed(task, exc, self.step)

    def values(self) -> Any:
        """The ``values`` stream chunk: every state key (private ones too) that has a value."""
        return state_values(self.program, self.state)

    def output(self) -> Any:
        """What ``invoke`` returns: the output keys (plus ``__interrupt__`` when paused by
        ``interrupt()``). As LangGraph's ``invoke`` (the run's last ``values`` chunk): None when
        the run wrote none of them, did not resume (a resumed run shows where it starts) and
        asked nothing (a question comes with the values held)."""
        program = self.program
        if not self.shown_start and not self.resume_state.interrupts:
            versions = self.state.versions
            base = self.base_version
            keys = (program.root_channel,) if program.root_key else program.output_keys
            if not any(versions.get(k, 0) > base for k in keys):
                return None
        if program.root_key:
            value = self.state.values((program.root_channel,)).get(program.root_channel)
            interrupts = self.resume_state.interrupts
            if interrupts:  # (as LangGraph: a dict value with the questions, else only them)
                return {**(value if isinstance(value, dict) else {}), INTERRUPT: list(interrupts)}
            return value
        out = self.state.values(program.output_keys)
        interrupts = self.resume_state.interrupts
        if interrupts:
            out[INTERRUPT] = list(interrupts)
        return out

    def task_config(self, task: Task) -> dict[str, Any]:
        """The config a node (or a router) of ``task`` gets: the run's, with LangGraph's
        ``configurable`` keys of the task — ``checkpoint_ns`` (the task's namespace,
        ``node:task_id`` below the enclosing ones), ``checkpoint_map`` (see
        :meth:`checkpoint_map`), ``checkpoint_id`` None, the task id under ``TASK_ID_KEY``
        (see ``_compiled.nested``) — and its ``langgraph_*`` metadata, then the node's own
        (``add_node(metadata=...)``, which wins)."""
        config = dict(self.config)
        # the run's own name and id are the graph run's, not the node's: a runnable called in
        # the node with this config would take them (LangGraph's node config has neither)
        config.pop("run_name", None)
        config.pop("run_id", None)
        task_ns = "|".join(self.task_ns(task))
        configurable = dict(config.get("configurable") or {})
        checkpoint_map = self.checkpoint_map()
        if self.call_parents and task in self.call_parents:
            checkpoint_map.update(self.caller_namespaces(task))
        configurable.update(checkpoint_map=checkpoint_map, checkpoint_id=None, checkpoint_ns=task_ns)
        configurable[TASK_ID_KEY] = task.id
        config["configurable"] = configurable
        metadata = dict(config.get("metadata") or {})
        for key, value in self._propagated().items():
            if key not in metadata:
                metadata[key] = value
        metadata.update(
            langgraph_step=self.step,
            langgraph_node=task.name,
            langgraph_triggers=task.triggers,
            langgraph_path=task.path,
            langgraph_checkpoint_ns=task_ns,
        )
        if task.node.metadata:  # add_node(metadata=...): over all of the above, as in LangGraph 1.2
            metadata.update(task.node.metadata)
        config["metadata"] = metadata
        return config

    def shown_metadata(self, task: Task) -> dict[str, Any] | None:
        """What the ``tasks``/``debug`` start event of ``task`` shows of its config, as LangGraph
        1.2: the metadata but the keys that repeat the task's own fields and namespace
        (``EXCLUDED_METADATA_KEYS``: ``langgraph_*``, ``thread_id``, ``checkpoint_*``), and the
        config's tags under ``tags``; None when that leaves nothing."""
        config = self.task_config(task)
        shown = {k: v for k, v in config["metadata"].items() if k not in EXCLUDED_METADATA_KEYS}
        tags = [t for t in config.get("tags") or () if not t.startswith("seq:step")]
        if tags:
            shown["tags"] = tags
        return shown or None

    def task_ns(self, task: Task) -> tuple[str, ...]:
        """The namespace of ``task``: ``node:task_id`` below this run's. An error handler's
        task is below the failed node's task (``node:id|__error_handler__node:id``), as
        LangGraph 1.2 nests it; a task call (``actorgraph.func``) is below its caller's."""
        if self.call_parents:
            caller = self.call_parents.get(task)
            if caller is not None:
                return (*self.task_ns(caller), f"{task.name}:{task.id}")
        if self.handled:
            for t, failed_id, _, failed_node in self.handled:
                if t is task:
                    return (*self.ns, f"{failed_node}:{failed_id}", f"{task.name}:{task.id}")
        return (*self.ns, f"{task.name}:{task.id}")

    def caller_namespaces(self, task: Task) -> dict[str, str]:
        """A task call's callers' namespaces (``wf:<id>``, ``wf:<id>|outer:<id>``) -> the id of
        the checkpoint this run's step started from: what LangGraph 1.2 adds to a call's
        ``checkpoint_map`` (and to the ``parents`` of a graph's checkpoints made in the call)."""
        ns = self.task_ns(task)
        checkpoint_id = self.checkpoint_map()[self.ns_str]
        return {"|".join(ns[:k]): checkpoint_id for k in range(len(self.ns) + 1, len(ns))}

    def _propagated(self) -> dict[str, Any]:
        """The ``configurable`` entries LangGraph 1.2 copies into ``metadata`` as each graph
        starts (:data:`PROPAGATED_TO_METADATA`, when set and not there yet): the root run's;
        below it, ``checkpoint_ns`` is the namespace the outermost subgraph started with."""
        run, outer = self, None
        while run.parent is not None:
            run, outer = run.parent, run
        configurable = run.config.get("configurable") or {}
        out = {k: configurable[k] for k in PROPAGATED_TO_METADATA if configurable.get(k)}
        if outer is not None and "checkpoint_ns" not in out:
            out["checkpoint_ns"] = ((outer.config.get("configurable") or {}).get("checkpoint_ns") or outer.entry_ns
                                    or outer.ns_str)
        return out

    def checkpoint_map(self) -> dict[str, str]:
        """The namespace of this run and of each run enclosing it (``""`` for the root) ->
        the id of the checkpoint that run's current step started from. A run without a
        checkpointer makes an id per step (as LangGraph does), saved nowhere."""
        persist = self.persist
        if persist.active:
            return {**persist.parents, persist.ns: persist.checkpoint_id or ""}
        out = self.parent.checkpoint_map() if self.parent is not None else {}
        if self._step_id[0] != self.step:
            self._step_id = (self.step, new_checkpoint_id(self.step - 1))
        out[self.ns_str] = self._step_id[1]
        return out


PROPAGATED_TO_METADATA = ("thread_id", "checkpoint_id", "checkpoint_ns", "task_id", "run_id", "assistant_id",
                         "graph_id")
"""The ``configurable`` keys a node's config also has in its ``metadata`` (when set and not
already there), as LangGraph 1.2 copies them when a graph (a subgraph too) starts."""


def _read_keys(state: RunState, keys: str | tuple[str, ...]) -> Any:
    """The values of ``output_keys`` (LangGraph's): one key's bare value (None when it has
    none), or a dict of the keys that have one."""
    if isinstance(keys, str):
        return state.values((keys,)).get(keys)
    return state.values(keys)


def run_name(graph: str, ns: tuple[str, ...]) -> str:
    """The name of the supervisor of a run of graph ``graph`` in namespace ``ns``."""
    return f"run:{graph}" + (f"[{'|'.join(ns)}]" if ns else "")


class RunHosting:
    """What :meth:`Run.hosted` returns (a class rather than an ``asynccontextmanager``: every
    run enters one, and a generator-based manager costs ~2 µs more)."""

    __slots__ = ("run", "inner")

    def __init__(self, run: Run, inner: Hosting) -> None:
        self.run = run
        self.inner = inner

    async def __aenter__(self) -> Supervisor:
        run = self.run
        sup = await self.inner.__aenter__()
        try:
            run.sup = sup
            run.loop = _get_running_loop()  # (None on trio)
            run.emitter.host(sup)
            await run.persist.host(sup)
        except BaseException:
            self._forget()
            await self.inner.__aexit__(*sys.exc_info())
            raise
        return sup

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> bool:
        self._forget()
        return await self.inner.__aexit__(exc_type, exc, tb)

    def _forget(self) -> None:
        run = self.run
        run.sup = run.loop = None
        run.emitter.unhost()
        run.persist.unhost()
        run.node_actors = {}
