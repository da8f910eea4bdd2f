"""A run's stream events: what the barrier supervisor, node actors and task calls tell the
stream hub, in LangGraph's shapes.

Every :class:`~._loop.Run` has one emitter (``run.emitter``). A run somebody streams (it was
given a :class:`~._stream.StreamHub`) has an :class:`Emitter`; a run nobody streams has a
:class:`NullEmitter`, whose methods do nothing, so callers do not ask whether anyone listens.
(Only the step driver's hot path, a task's start and end and a step's end, tests ``live``
first: three calls to no-op methods cost ~2 % of a one-task step, measured.) The emitter
decides which modes to build chunks for (chunks of modes nobody listens to are never built)
and where an event goes: to the root run's hub actor (the emitter that hosts it), and to the
consumer of an ``astream()`` opened inside a node above (:class:`Tee`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec

from ..actors import ActorRef, Supervisor
from ..actors._threads import current_loop_checker, current_loop_poster
from ..errors import GraphDrained, GraphInterrupt, ParentCommand
from ..graph._constants import INTERRUPT
from ._stream import Publish, StreamEvent, StreamHub, publish_from_thread

if TYPE_CHECKING:
    from ..graph._program import Program
    from ..types import PregelTask
    from ._algo import Task
    from ._persist import Persistence

Values = Callable[[], Any]
"""The run's ``values`` chunk, built only when somebody streams it (``Run.values``)."""



def _task_payload(task: PregelTask) -> dict[str, Any]:
    """A next task in a ``checkpoints`` event, as LangGraph 1.2 lists it: its error if it
    failed, else its result (if it has one) and its questions (as dicts)."""
    if task.error:
        return {"id": task.id, "name": task.name, "error": task.error, "state": task.state}
    asked = tuple(msgspec.structs.asdict(i) for i in task.interrupts)
    if task.result:
        return {"id": task.id, "name": task.name, "result": task.result, "interrupts": asked, "state": task.state}
    return {"id": task.id, "name": task.name, "interrupts": asked, "state": task.state}


def _shown_config(persist: Persistence, checkpoint_id: str | None) -> dict[str, Any]:
    """A checkpoint's config in the ``checkpoints``/``debug`` events, as LangGraph 1.2 shows it:
    ``checkpoint_ns`` first, then the run's own ``configurable`` keys (a caller's ``user_id``
    too; no private ``__`` ones), then ``checkpoint_id``."""
    configurable: dict[str, Any] = {"checkpoint_ns": persist.ns}
    given = (persist.config or {}).get("configurable") or {}
    for key, value in given.items():
        if not key.startswith("__") and key not in _CHECKPOINT_KEYS:
            configurable[key] = value
    configurable.setdefault("thread_id", persist.thread_id)
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


_CHECKPOINT_KEYS = frozenset({"checkpoint_ns", "checkpoint_id", "checkpoint_map"})


class Emitter:
    """The stream events of a run somebody streams.

    ``modes``: the modes the run's events are built for (``None``: whatever the hub's
    subscribers ask for now, for an ``ActorSystem`` run whose subscribers come and go).
    ``root``: the root run's emitter (None for the root's own), which hosts the hub actor
    every run of the tree sends to; ``tee``/``to_root``: see :class:`Tee`.
    """

    __slots__ = ("program", "ns", "hub", "_modes", "_root", "on_loop", "hub_ref", "post", "tee", "to_root",
                 "writer", "at_breakpoint")

    live = True
    """Somebody streams this run (False for a :class:`NullEmitter`)."""

    def __init__(self, program: Program, ns: tuple[str, ...], hub: StreamHub | None,
                 modes: frozenset[str] | None, root: Emitter | None) -> None:
        self.program = program
        self.ns = ns
        self.hub = hub
        self._modes = modes
        self._root = root  # (None: this one; not stored on itself, nor is its writer after the
        # run: an emitter that referred to itself would be freed only by the garbage collector)
        self.on_loop: Callable[[], bool] = _no  # called on the loop's thread? (the hub lives there), while hosting
        self.hub_ref: ActorRef | None = None  # while hosted (the root's, or a Tee owner's)
        self.post: Callable[..., Any] = _ignore  # the loop's thread-safe call_soon, while hosting
        # a graph's astream() consumed inside a node of this run's tree (see Tee); to_root:
        # this run's events also reach the root run's hub (a run under such a stream does so
        # only when the root streams subgraphs)
        self.tee: Tee | None = None
        self.to_root = True
        # the custom stream writer of the run's nodes (get_stream_writer(): the same one each time)
        self.writer: Callable[[Any], None] = self._write_custom

    @property
    def root(self) -> Emitter:
        """The root run's emitter (this one, for the root run's)."""
        return self._root or self

    @property
    def modes(self) -> frozenset[str]:
        """The stream modes somebody listens to (chunks of other modes are never built)."""
        if self._modes is not None:
            return self._modes
        assert self.hub is not None
        return self.hub.modes

    @property
    def follows_subscribers(self) -> bool:
        """The modes are whatever the hub's subscribers ask for now (an ``ActorSystem`` run)."""
        return self._modes is None

    @property
    def wants_checkpoints(self) -> bool:
        """Somebody may stream ``checkpoints`` or ``debug`` (the run's checkpoints are announced)."""
        modes = self._modes
        return modes is None or "checkpoints" in modes or "debug" in modes

    @property
    def own_modes(self) -> frozenset[str]:
        """The modes of the consumer of an ``astream()`` opened inside a node, whose run this
        is (its :class:`Tee`); none for any other run."""
        tee = self.tee
        return tee.modes if tee is not None and tee.owner is self else frozenset()

    @property
    def owns_hub(self) -> bool:
        """This run hosts the hub actor: the root run, or the run of an ``astream()`` inside a node."""
        return self.root is self or (self.tee is not None and self.tee.owner is self)

    # -- hosting -----------------------------------------------------------------------------

    def host(self, sup: Supervisor) -> None:
        """Spawn the hub actor under the run's supervisor, if this run hosts it."""
        if self.hub is not None and self.owns_hub:
            self.hub_ref = sup.spawn_inline(self.hub, name="hub")
            self.post = current_loop_poster()  # (sync nodes' threads hand events over with it)
            self.on_loop = current_loop_checker()

    def unhost(self) -> None:
        self.hub_ref = None
        self.writer = _drop  # (the run is over: get_stream_writer() is not asked any more)

    def hold_posts(self) -> HeldPosts | None:
        """While the loop's thread runs sync code (a sync node on it, see ``_task.call_inline``):
        hold what other threads post to the loop — the events of a thread the node started, of
        a graph it called with the sync API — and deliver it, in order, at :meth:`release_posts`,
        on the loop's thread as the sync code returns. Posted to the loop, it would
        wait until the run next yields: after the node's own events, or after the run ended
        and its hub stopped (lost). None when nobody streams the run (nothing is posted)."""
        if self.hub_ref is None:
            return None
        held = HeldPosts(self.post)
        self.post = held.post
        return held

    def release_posts(self, held: HeldPosts | None) -> None:
        """End :meth:`hold_posts` (on the loop's thread): deliver what was held."""
        if held is not None:
            self.post = held.loop_post
            held.release()

    async def flush(self) -> None:
        """At the barrier: wait for slow subscribers that block (backpressure)."""
        hub = self.hub
        if hub is None or not self.owns_hub:
            return
        await hub.backpressure()

    # -- events ------------------------------------------------------------------------------

    def emit(self, mode: str, chunk: Any) -> None:
        """Send an event to the root run's hub actor now (from a worker thread, posted to the
        event loop's thread without waiting: subscribers are woken only there); and to the
        consumer of a stream opened inside a node above, if any (:class:`Tee`)."""
        self.emit_at(self.ns, mode, chunk)

    def emit_at(self, ns: tuple[str, ...], mode: str, chunk: Any) -> None:
        """:meth:`emit` under namespace ``ns`` (the ``messages`` mode's handler knows it from
        the metadata of the model call)."""
        tee = self.tee
        if tee is not None:
            tee.emit(ns, mode, chunk)
            if not self.to_root or mode not in tee.root_modes:
                return
        root = self.root
        ref = root.hub_ref
        if ref is None:
            return  # nobody streams (or the run is over)
        if root.on_loop():
            ref.call(Publish((StreamEvent(ns, mode, chunk),)))
        else:  # (a sync node's thread: posted to the loop, no wait)
            publish_from_thread(root.post, ref, (StreamEvent(ns, mode, chunk),))

    def reaches(self, mode: str) -> tuple[Emitter, ...]:
        """The emitters whose hubs an event of ``mode`` made in this run reaches, as
        :meth:`emit_at` sends it: the owner of a stream opened inside a node (its :class:`Tee`)
        and the root run's; none when this run does not stream ``mode``."""
        if mode not in self.modes:
            return ()
        tee = self.tee
        if tee is None:
            return (self.root,)
        own = (tee.owner,) if mode in tee.modes else ()
        return (*own, self.root) if self.to_root and mode in tee.root_modes else own

    def _write_custom(self, chunk: Any) -> None:
        if "custom" in self.modes:
            self.emit("custom", chunk)

    def writer_at(self, ns: tuple[str, ...]) -> Callable[[Any], None]:
        """A custom stream writer whose events carry namespace ``ns``."""
        return partial(self._write_at, ns)

    def _write_at(self, ns: tuple[str, ...], chunk: Any) -> None:
        if "custom" in self.modes:
            self.emit_at(ns, "custom", chunk)

    def resumed(self, values: Values) -> None:
        """A resumed run shows where it starts from."""
        if "values" in self.modes:
            self.emit("values", values())

    async def step_started(self, tasks: Sequence[Task], step: int,
                           shown: Callable[[Task], dict[str, Any] | None]) -> None:
        """The step's tasks are about to run: their ``tasks``/``debug`` start events, which the
        consumer takes before they run, with the checkpoint the step starts from (as LangGraph
        1.2's streams: a task that never yields would otherwise finish first, on this thread,
        before a sync ``stream()`` or an ``astream`` consumer sees it start)."""
        modes = self.modes
        starts = "tasks" in modes or "debug" in modes
        if starts:
            self.task_starts(tasks, step, shown)
        if starts or "checkpoints" in modes:
            await self.flush()

    def task_starts(self, tasks: Sequence[Task], step: int, shown: Callable[[Task], dict[str, Any] | None]) -> None:
        """The ``tasks``/``debug`` start event of each task; ``shown(task)``: the ``metadata``
        it carries (LangGraph 1.2: the key only when there is some, see ``Run.shown_metadata``)."""
        modes = self.modes
        if "tasks" not in modes and "debug" not in modes:
            return
        for task in tasks:
            if not task.node.hidden:
                payload = {"id": task.id, "name": task.name, "input": task.input, "triggers": task.triggers}
                metadata = shown(task)
                if metadata:
                    payload["metadata"] = metadata
                self.task_event("task", payload, step)

    def task_done(self, task: Task, step: int) -> None:
        """A task finished: its ``updates`` and its ``tasks``/``debug`` result."""
        if task.node.hidden:
            return
        modes = self.modes
        if "updates" in modes:
            self.emit("updates", {task.name: self.task_update(task)})
        if "tasks" in modes or "debug" in modes:
            payload = {"id": task.id, "name": task.name, "error": None,
                       "result": self.task_result(task), "interrupts": []}
            self.task_event("task_result", payload, step)

    def task_failed(self, task: Task, exc: BaseException, step: int) -> None:
        """A task failed (a drained subgraph's task has not; nor has one whose
        ``Command(graph=PARENT)`` goes up to the parent graph, which shows the parent's node's
        result instead: LangGraph 1.2 emits no result for it either)."""
        if isinstance(exc, (GraphDrained, ParentCommand)) or task.node.hidden:
            return
        self.task_error(task, exc, step)

    def task_error(self, task: Task, exc: BaseException, step: int) -> None:
        """The ``tasks``/``debug`` result of a task that raised ``exc`` (LangGraph 1.2's shape:
        the exception itself)."""
        modes = self.modes
        if "tasks" in modes or "debug" in modes:
            self.task_event("task_result", {"id": task.id, "name": task.name, "error": exc,
                                            "result": {}, "interrupts": []}, step)

    def cached(self, task: Task) -> None:
        """A task whose writes came from before (the cache, or a resumed step)."""
        if "updates" in self.modes:
            self.emit("updates", {task.name: self.task_update(task), "__metadata__": {"cached": True}})

    async def stepped(self, updated: set[str] | frozenset[str], values: Values) -> None:
        """After the step's writes were applied: the ``values`` chunk, if a value key changed;
        then wait for subscribers that block (:meth:`flush`)."""
        if "values" in self.modes and not updated.isdisjoint(self.program.value_keys):
            self.emit("values", values())
        await self.flush()

    def breakpoint(self) -> None:
        """The run stopped at a static breakpoint (``at_breakpoint``: unset before, read with
        a default by the lifecycle callbacks, see ``_langchain_trace``)."""
        self.at_breakpoint = True
        if "updates" in self.modes:
            self.emit("updates", {INTERRUPT: ()})

    def paused(self, task: Task, paused: GraphInterrupt, values: Values, step: int) -> None:
        """``task`` called ``interrupt()``: its questions as LangGraph 1.2 streams them when a
        task asks (``updates``, then ``values``, then the task result), ``values`` being the
        state the step started from (the root's state with the finished tasks' writes follows
        at the step's end, see :meth:`stepped`)."""
        modes = self.modes
        if "updates" in modes:
            self.emit("updates", {INTERRUPT: tuple(paused.interrupts)})
        if not paused.interrupts:  # (a subgraph's breakpoint: no question to show)
            return
        if "values" in modes:
            self.emit("values", self.paused_values(values, tuple(paused.interrupts)))
        if "tasks" in modes or "debug" in modes:  # (LangGraph 1.2's shape: each question as a dict)
            self.task_event("task_result", {
                "id": task.id, "name": task.name, "error": None, "result": {},
                "interrupts": [msgspec.structs.asdict(i) for i in paused.interrupts]}, step)

    def paused_values(self, values: Values, interrupts: tuple[Any, ...]) -> Any:
        """The ``values`` chunk streamed when a task asks: the state with its questions."""
        shown = values()
        if not isinstance(shown, dict):  # a root value that is no dict: LangGraph drops it
            shown = {}
        return {**shown, INTERRUPT: interrupts}

    def checkpoints(self, persist: Persistence, tasks: list[Task], values: Values) -> None:
        """The ``checkpoints`` (and ``debug``) events of the checkpoints made since the last
        step (or resumed from), once the next step is planned: LangGraph's shape, with the next
        tasks (what the pending writes say of them, a subgraph's namespace as ``state``) and, in
        a subgraph, ``checkpoint_map`` in the configs."""
        made, persist.announce = persist.announce or [], []
        modes = self.modes
        if "checkpoints" not in modes and "debug" not in modes:
            return
        from ._snapshot import task_reports, with_checkpoint_map  # (_snapshot imports the run loop)

        shown = values()
        # (with ``exit`` durability LangGraph 1.2 shows no parent in these events, though the
        # checkpoint it saves at the end has one)
        no_parent = persist.durability == "exit"
        for i, (parent, cid, metadata, writes) in enumerate(made):
            if no_parent:
                parent = None
            last = i == len(made) - 1
            reports = task_reports(self.program, tasks, writes, persist.thread_id, persist.ns, False) if last else []
            config = _shown_config(persist, cid)
            payload = {
                "config": with_checkpoint_map(config, metadata) or config,
                "parent_config": None if parent is None else with_checkpoint_map(_shown_config(persist, parent), metadata),
                "values": shown,
                "metadata": metadata,
                "next": [t.name for t in tasks] if last else [],
                "tasks": [_task_payload(t) for t in reports],
            }
            if "checkpoints" in modes:
                self.emit("checkpoints", payload)
            if "debug" in modes:
                self.debug(metadata["step"], "checkpoint", payload)

    def task_event(self, kind: str, payload: dict[str, Any], step: int) -> None:
        """A ``tasks`` event, and its ``debug`` twin."""
        modes = self.modes
        if "tasks" in modes:
            self.emit("tasks", payload)
        if "debug" in modes:
            self.debug(step, kind, payload)

    def debug(self, step: int, kind: str, payload: dict[str, Any]) -> None:
        self.emit("debug", {"step": step, "timestamp": datetime.now(timezone.utc).isoformat(),
                            "type": kind, "payload": payload})

    # -- chunks ------------------------------------------------------------------------------

    def task_update(self, task: Task) -> Any:
        """A task's ``updates`` chunk: its writes to state keys."""
        writable = self.program.writable_keys
        pairs = [(k, v) for k, v in task.writes if k in writable]
        if not pairs:
            return None
        if self.program.root_key:  # (LangGraph: the value itself, not {"__root__": value})
            return pairs[-1][1]
        keys = [k for k, _ in pairs]
        if len(set(keys)) < len(keys):
            return [dict([p]) for p in pairs]
        return dict(pairs)

    def task_result(self, task: Task) -> Any:
        """A task's ``tasks`` result: its writes to state keys, grouped by key."""
        writable = self.program.writable_keys
        grouped: dict[str, list[Any]] = {}
        for k, v in task.writes:
            if k in writable:
                grouped.setdefault(k, []).append(v)
        return {k: vs[0] if len(vs) == 1 else {"$writes": vs} for k, vs in grouped.items()}


class KeyedEmitter(Emitter):
    """The emitter of a root run given ``output_keys`` (LangGraph's ``invoke``/``stream``
    argument): its ``values`` and ``updates`` chunks show only those state keys, as LangGraph
    1.2 does. A list of keys: a ``values`` chunk is a dict of those keys, made only at a step
    that wrote one of them; a task's ``updates`` chunk its writes to them (``None`` when it
    wrote none). One key (a ``str``): the bare value (``values``) and the bare value written
    (``updates``; a list of them when the task wrote it more than once). Other modes (and
    subgraphs' events) are unchanged. Only runs given ``output_keys`` have one: the default
    path pays nothing."""

    __slots__ = ("keys", "one", "read")

    def __init__(self, program: Program, ns: tuple[str, ...], hub: StreamHub | None,
                 modes: frozenset[str] | None, root: Emitter | None, keys: str | tuple[str, ...]) -> None:
        super().__init__(program, ns, hub, modes, root)
        self.one = isinstance(keys, str)
        self.keys: frozenset[str] = frozenset((keys,) if isinstance(keys, str) else keys)
        self.read: Callable[[], Any] = _none  # the output keys' values (set by the run)

    def resumed(self, values: Values) -> None:
        if "values" in self.modes:
            self.emit("values", self.read())

    async def stepped(self, updated: set[str] | frozenset[str], values: Values) -> None:
        if "values" in self.modes and not updated.isdisjoint(self.keys):
            self.emit("values", self.read())
        await self.flush()

    def paused_values(self, values: Values, interrupts: tuple[Any, ...]) -> Any:
        # LangGraph 1.2: the keys' values with the questions; with one key, the questions alone
        shown = {} if self.one else self.read()
        return {**shown, INTERRUPT: interrupts}

    def task_update(self, task: Task) -> Any:
        keys = self.keys
        pairs = [(k, v) for k, v in task.writes if k in keys]
        if not pairs:
            return None
        if self.one:
            return pairs[0][1] if len(pairs) == 1 else [v for _, v in pairs]
        names = [k for k, _ in pairs]
        if len(set(names)) < len(names):
            return [dict([p]) for p in pairs]
        return dict(pairs)


def _none() -> None:
    return None


def _drop(_chunk: Any) -> None:
    """The custom writer when nobody streams."""


class NullEmitter(Emitter):
    """The emitter of a run nobody streams: every event is dropped before it is built."""

    __slots__ = ()

    live = False
    hub = None
    hub_ref = None
    tee = None
    to_root = True
    writer = staticmethod(_drop)
    modes = frozenset()
    follows_subscribers = False
    wants_checkpoints = False
    own_modes = frozenset()

    def __init__(self, program: Program, ns: tuple[str, ...]) -> None:
        self._root = None  # (the root of its own tree; its hub_ref is None: the runs below it that stream have a Tee)

    def host(self, sup: Supervisor) -> None:
        pass

    def unhost(self) -> None:
        pass

    async def flush(self) -> None:
        pass

    def emit(self, mode: str, chunk: Any) -> None:
        pass

    def emit_at(self, ns: tuple[str, ...], mode: str, chunk: Any) -> None:
        pass

    def writer_at(self, ns: tuple[str, ...]) -> Callable[[Any], None]:
        return _drop

    def resumed(self, values: Values) -> None:
        pass

    async def step_started(self, tasks: Sequence[Task], step: int,
                           shown: Callable[[Task], dict[str, Any] | None]) -> None:
        pass

    def task_starts(self, tasks: Sequence[Task], step: int, shown: Callable[[Task], dict[str, Any] | None]) -> None:
        pass

    def task_done(self, task: Task, step: int) -> None:
        pass

    def task_failed(self, task: Task, exc: BaseException, step: int) -> None:
        pass

    def task_error(self, task: Task, exc: BaseException, step: int) -> None:
        pass

    def cached(self, task: Task) -> None:
        pass

    async def stepped(self, updated: set[str] | frozenset[str], values: Values) -> None:
        pass

    def breakpoint(self) -> None:
        self.at_breakpoint = True

    def paused(self, task: Task, paused: GraphInterrupt, values: Values, step: int) -> None:
        pass

    def paused_values(self, values: Values, interrupts: tuple[Any, ...]) -> Any:
        """The ``values`` chunk streamed when a task asks: the state with its questions."""
        shown = values()
        if not isinstance(shown, dict):  # a root value that is no dict: LangGraph drops it
            shown = {}
        return {**shown, INTERRUPT: interrupts}

    def checkpoints(self, persist: Persistence, tasks: list[Task], values: Values) -> None:
        pass

    def task_event(self, kind: str, payload: dict[str, Any], step: int) -> None:
        pass


class Tee:
    """A graph's ``astream()`` consumed inside a running node: the run it makes (``owner``, its
    emitter) is that node's subgraph (its namespace, its checkpoints, its events in the
    parent's stream with ``subgraphs=True``), and it also streams to its own consumer, through
    its own hub. As in LangGraph 1.2, namespaces are the full ones, and the events of runs
    below the owner go to that consumer if it streams subgraphs (``subgraphs``; then to it
    alone), else on up as any subgraph's."""

    __slots__ = ("owner", "modes", "subgraphs", "root_modes")

    def __init__(self, owner: Emitter, modes: frozenset[str], subgraphs: bool, root_modes: frozenset[str]) -> None:
        self.owner = owner
        self.modes = modes
        self.subgraphs = subgraphs
        self.root_modes = root_modes  # the modes the root run's stream takes from the owner

    def emit(self, ns: tuple[str, ...], mode: str, chunk: Any) -> None:
        owner = self.owner
        ref = owner.hub_ref
        if ref is None or mode not in self.modes:
            return
        events = (StreamEvent(ns, mode, chunk),)
        if owner.on_loop():
            ref.call(Publish(events))
        else:
            publish_from_thread(owner.post, ref, events)


class HeldPosts:
    """Calls other threads posted to a loop whose thread is busy (see :meth:`Emitter.hold_posts`);
    once released, a late post goes to the loop as usual."""

    __slots__ = ("loop_post", "calls", "lock")

    def __init__(self, loop_post: Callable[..., Any]) -> None:
        self.loop_post = loop_post
        self.calls: list[tuple[Callable[..., Any], tuple[Any, ...]]] | None = []
        self.lock = threading.Lock()

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        with self.lock:
            calls = self.calls
            if calls is not None:
                calls.append((fn, args))
                return
        self.loop_post(fn, *args)  # (a thread that outlived the sync code: as before)

    def release(self) -> None:
        with self.lock:
            calls, self.calls = self.calls, None
        for fn, args in calls or ():
            fn(*args)


def _ignore(*_args: Any) -> None:
    """``Emitter.post`` of a run that hosts no hub."""


def _no() -> bool:
    """``Emitter.on_loop`` of a run that hosts no hub."""
    return False
