"""The two pure halves of a super-step: planning tasks and applying their writes.

Both work on a :class:`RunState` (the run's channels and versions) owned by the barrier
supervisor; neither awaits. Planning is incremental: only nodes triggered by a channel updated in
the previous step are considered, so a step costs the same in a 10-node and a 1000-node graph.
"""

from __future__ import annotations

import copy
import hashlib
import warnings
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any

import msgspec

from ..actors import ActorRef, Supervisor
from ..channels import MISSING, Apply, BaseChannel, ChannelActor, Clear, Consume, Finish
from ..errors import UnknownDestinationWarning
from ..graph._constants import INTERRUPT, TASKS

Keyed = Any
"""What task ids are hashed under: a ``str``, or an object formatted as one when an id is first
asked for (``Persistence.ids_key``: under ``exit`` durability the checkpoint id it names is
made only then)."""

PUSH = "__pregel_push"
"""The trigger shown for push (``Send``) tasks."""
from ..graph._program import NodeProgram, Program
from ..graph._schema import IsLastStep, RemainingSteps, as_is
from ..types import Send


class RunState:
    """Channels and versions of one run (or one subgraph run), as the barrier supervisor sees them.

    Each channel is owned by a :class:`ChannelActor` spawned (inline, under the run's
    supervisor ``sup``) the first time the channel is to change: :func:`apply_writes` changes
    channels only by messages to those actors and keeps their replies (versions) here.
    ``channels`` is the supervisor's read view: planning and task inputs read the channels
    between messages, never change them.
    """

    __slots__ = ("channels", "versions", "versions_seen", "max_version", "live_clearing", "updated",
                 "last_ran", "sup", "actors", "_blank", "_names", "prune_seen")

    def __init__(self, program: Program) -> None:
        # The program's own empty channels stand in for the run's until the first message: a
        # channel is copied when its actor is spawned (nobody else changes one), so a run pays
        # for the channels it uses, not for every channel of its graph.
        self._blank = program.channels
        self._names = program.actor_names
        self.channels: dict[str, BaseChannel[Any, Any, Any]] = dict(program.channels)
        self.sup: Supervisor | None = None  # the run's barrier supervisor, once it runs
        self.actors: dict[str, ActorRef] = {}  # channel key -> its actor, once spawned
        self.versions: dict[str, int] = {}
        self.versions_seen: dict[str, dict[str, int]] = {}
        self.max_version = 0  # the newest version handed out (each apply hands out one)
        self.live_clearing: set[str] = set()
        self.updated: set[str] | None = None  # None: consider every node (first plan of a run)
        self.last_ran: set[str] = set()  # nodes that ran in the last step with tasks
        # keep versions_seen the size of the state (see _prune_seen): what checkpoints hold; a
        # run that saves none turns it off (planning does not need it)
        self.prune_seen = True

    def actor(self, key: str) -> ActorRef:
        """The actor of channel ``key``, spawned on first use (with the run's own copy of the
        channel, unless the run has one already: restored from a checkpoint)."""
        ref = self.actors.get(key)
        if ref is None:
            sup = self.sup
            if sup is None:
                raise RuntimeError(f"channel {key!r} changed outside a running run (no supervisor)")
            channel = self.channels[key]
            if channel is self._blank.get(key):
                channel = self.channels[key] = channel.copy()
            ref = self.actors[key] = sup.spawn_inline(ChannelActor(channel, self.versions.get(key)),
                                                      name=self._names.get(key) or f"channel:{key}")
        return ref

    def hosted(self, name: str, tasks: bool = False) -> Hosting:
        """``async with state.hosted(name) as sup``: a supervisor (``name``) for the block,
        under which the channel actors are spawned as channels first change; leaving the block
        stops them. ``tasks``: it also hosts task-dispatched actors (a task group; every channel
        and node actor is inline)."""
        return Hosting(self, Supervisor(name=name, tasks=tasks))

    def values(self, keys: Iterable[str]) -> dict[str, Any]:
        """Available values of ``keys`` (keys that are not channels, such as managed ones, are
        skipped): a new dict, in ``keys`` order."""
        channels = self.channels
        out: dict[str, Any] = {}
        for k in keys:
            channel = channels.get(k)
            if channel is not None:
                v = channel.peek()
                if v is not MISSING:
                    out[k] = v
        return out


class Hosting:
    """What :meth:`RunState.hosted` returns: the supervisor entered and made the state's, then
    forgotten and left. (A class rather than an ``asynccontextmanager``: every run enters one,
    and a generator-based manager costs ~2 µs more.)"""

    __slots__ = ("state", "sup")

    def __init__(self, state: RunState, sup: Supervisor) -> None:
        self.state = state
        self.sup = sup

    async def __aenter__(self) -> Supervisor:
        sup = await self.sup.__aenter__()
        self.state.sup = sup
        return sup

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> bool:
        state = self.state
        state.sup = None
        state.actors = {}
        return await self.sup.__aexit__(exc_type, exc, tb)


class Task(msgspec.Struct, eq=False):
    """One unit of work of a super-step: a node run on an input.

    ``Task(id, name, node, input, path, triggers, order, key)``: ``name`` is the node's (an
    error handler's task takes the handler's later); ``key``: :func:`task_id`'s arguments, when
    the id is made on first use (``id`` None). A Struct: made in C, once per task of every step
    (compared and hashed by identity)."""

    _id: str | None
    name: str
    node: NodeProgram
    input: Any
    path: tuple[Any, ...]
    triggers: tuple[str, ...]
    order: tuple[int, Any]
    _key: tuple[Keyed, int, str, str, Any] | None = None
    writes: list[tuple[str, Any]] = []

    @property
    def id(self) -> str:
        """The deterministic task id (hashed on first use: most steps of a run without a
        checkpointer, or with ``exit`` durability, never need it)."""
        tid = self._id
        if tid is None:
            key = self._key
            assert key is not None
            node = self.node
            if key[3] == "pull" and key[4] is node.triggers and key[2] == node.name:
                # (task_id's text, the part fixed per node made once: see NodeProgram.pull_id_tail)
                tid = self._id = _uuid_of(f"{key[0]}\x00{key[1]}{node.pull_id_tail}")
            else:
                tid = self._id = task_id(*key)
        return tid


_blake2b_16 = hashlib.blake2b(digest_size=16)  # (copied: cheaper than a call with keywords)


def task_id(ns: Keyed, step: int, name: str, kind: str, key: Any) -> str:
    """Deterministic task id (UUID-formatted): same run position, same id."""
    return _uuid_of(f"{ns}\x00{step}\x00{name}\x00{kind}\x00{key}")


def _uuid_of(text: str) -> str:
    h = _blake2b_16.copy()
    h.update(text.encode())
    digest = h.hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"


def state_values(program: Program, state: RunState) -> Any:
    """The ``values`` of ``state``: every state key (private ones too) that has a value; a
    root-value graph's value itself."""
    if program.root_key:
        return state.values((program.root_channel,)).get(program.root_channel)
    return state.values(program.value_keys)


def managed_values(program: Program, step: int, stop: int) -> dict[str, Any] | None:
    """Values of managed keys (``RemainingSteps``, ``IsLastStep``) at ``step`` of a run that
    stops before ``stop``; None when the program has none."""
    managed = program.managed
    if not managed:
        return None
    out: dict[str, Any] = {}
    for key, kind in managed.items():
        if kind is RemainingSteps:
            out[key] = stop - step
        elif kind is IsLastStep:
            out[key] = step == stop - 1
    return out


def pending_tasks(program: Program, state: RunState, step: int, stop: int, ns: str) -> list[Task]:
    """The tasks ``state`` would run at ``step`` (task ids hashed under ``ns``): what new input
    on a thread, or an update as ``END``, discards. Returned without writes, to be applied
    (as LangGraph 1.2: their triggers are seen and consumed, a join among them starts over)."""
    return plan(program, state, step, ns, managed_values(program, step, stop))


def plan(program: Program, state: RunState, step: int, ns: Keyed,
         managed: dict[str, Any] | None = None, added_order: bool = False) -> list[Task]:
    """The tasks of ``step``: push tasks (pending ``Send``s) first, then triggered nodes by name.

    ``added_order``: when every node is considered (``state.updated`` is None, as for a
    restored checkpoint), in the order the nodes were added instead: the order LangGraph 1.2's
    ``get_state`` lists a step's tasks in (it plans without the updated channels)."""
    channels = state.channels
    nodes = program.nodes
    tasks: list[Task] = []
    sends = channels[TASKS]
    if sends.is_available():
        for idx, packet in enumerate(sends.get()):
            assert isinstance(packet, Send)
            node = nodes.get(packet.node)
            if node is None or node.hidden:  # e.g. saved by a version of the graph that had it
                warnings.warn(f"A pending Send to '{packet.node}' at step {step} names no node of graph "
                              f"'{program.name}': ignoring it", UnknownDestinationWarning, stacklevel=2)
                continue
            if packet.timeout is not None:  # the Send's own timeout, instead of the node's
                node = _timed_node(node, packet.timeout)
            tasks.append(Task(None, node.name, node, packet.arg, ("__pregel_push", idx, False), (PUSH,), (1, idx),
                              (ns, step, node.name, "push", idx)))
    candidates: Iterable[str]
    if state.updated is None:
        candidates = nodes if added_order else sorted(nodes)
    else:
        index = program.trigger_to_nodes
        found: set[str] = set()
        for ch in state.updated:
            names = index.get(ch)
            if names is not None:
                found.update(names)
        candidates = sorted(found) if len(found) > 1 else found
    versions = state.versions
    versions_seen = state.versions_seen
    # nodes triggered together often read the same keys: read them once (not worth it for one)
    read_cache: dict[tuple[str, ...], dict[str, Any]] | None = {} if len(candidates) > 1 else None
    for name in candidates:
        node = nodes[name]
        seen = versions_seen.get(name)
        for t in node.triggers:
            if channels[t].is_available() and (seen is None or versions.get(t, 0) > seen.get(t, 0)):
                break
        else:
            continue
        reads = node.reads
        if read_cache is None:
            values = state.values(reads)
        else:
            cached = read_cache.get(reads)
            if cached is None:
                cached = read_cache[reads] = state.values(reads)
            values = dict(cached)  # the reader may keep it: every task gets its own dict
        if managed:
            for k in reads:
                if k in managed:
                    values[k] = managed[k]
        reader = node.reader
        try:
            value = values if reader is as_is else reader(values)
        except Exception as exc:  # a state schema refusing the state (pydantic...), as LangGraph notes it
            exc.add_note(f"Before task with name '{name}' and path '{node.pull_path[:3]}'")
            raise
        tasks.append(Task(None, name, node, value, node.pull_path, node.triggers, node.pull_order,
                          (ns, step, name, "pull", node.triggers)))
    return tasks


def _timed_node(node: NodeProgram, timeout: Any) -> NodeProgram:
    """``node`` with a ``Send``'s own timeout policy (LangGraph's ``Send(..., timeout=)``)."""
    if not node.call.is_async:
        raise ValueError("Node timeouts are only supported for async nodes because sync Python execution cannot "
                         f"be safely cancelled in-process. Node '{node.name}' is sync.")
    timed = copy.copy(node)
    timed.timeout = timeout
    return timed


def apply_writes(program: Program, state: RunState, tasks: Sequence[Task],
                 extra: Sequence[tuple[str, Any]] = ()) -> set[str]:
    """Apply every write of a finished step in task-path order; return the channels updated.

    ``extra`` writes (input / ``Command`` writes) go first. Every channel changed in the step
    gets the same new version; channels a step did not write that hold per-step values
    (ephemeral triggers, topics) are cleared.
    """
    channels = state.channels
    versions = state.versions
    if len(tasks) > 1:
        tasks = sorted(tasks, key=_order)
    new_version = state.max_version + 1
    bumped = False  # some channel got new_version (or lost its version)
    # What each node saw of its triggers: recorded for every task before any consume() below
    # bumps a trigger another task of the step shares. As LangGraph, only the triggers that
    # have a version (a trigger without one was never written: there is nothing to have seen).
    versions_seen = state.versions_seen
    ran: set[str] = set()  # the nodes of the tasks that ran on triggers
    recorded = 0  # the newest version recorded here
    for task in tasks:
        if task.triggers:
            name = task.name
            ran.add(name)
            seen = versions_seen.get(name)
            for t in task.triggers:
                v = versions.get(t)
                if v is not None:
                    if seen is None:
                        seen = versions_seen[name] = {t: v}
                    else:
                        seen[t] = v
                    if v > recorded:
                        recorded = v
    actor = state.actor
    consuming = program.consuming  # (other channels' consume() does nothing: no message)
    if consuming:
        for task in tasks:
            for t in task.triggers:
                if t in consuming and actor(t).call(Consume(new_version)).changed:
                    versions[t] = new_version
                    bumped = True
    pending: dict[str, list[Any]] = {}
    for ch, value in extra:
        pending.setdefault(ch, []).append(value)
    for task in tasks:
        for ch, value in task.writes:
            values = pending.get(ch)
            if values is None:
                pending[ch] = [value]
            else:
                values.append(value)
    updated: set[str] = set()
    clearing = program.clearing
    live = state.live_clearing
    actors = state.actors
    for ch, values in pending.items():
        if (actors.get(ch) or actor(ch)).call(Apply(values, new_version)).changed:
            versions[ch] = new_version
            bumped = True
            if channels[ch].is_available():
                updated.add(ch)
                if ch in clearing:
                    live.add(ch)
    if ran and live:
        for ch in tuple(live):
            if ch in pending:
                continue
            if (actors.get(ch) or actor(ch)).call(_CLEAR).changed:
                # An empty per-step channel needs no version: when written again it gets a
                # newer one than anything seen. Dropping it keeps versions (and checkpoints)
                # the size of the state, not of the graph.
                versions.pop(ch, None)
                bumped = True
            live.discard(ch)
    # nothing left to trigger a node: the run would end, unless a channel changes on finish().
    # As LangGraph's, pending Sends (TASKS) do not count: a deferred node may run beside them.
    if program.finishing and program.trigger_to_nodes.keys().isdisjoint(updated):
        for ch in program.finishing:
            if actor(ch).call(Finish(new_version)).changed:
                versions[ch] = new_version
                bumped = True
                if channels[ch].is_available():
                    updated.add(ch)
    if ran and state.prune_seen:
        if ran.issuperset(state.last_ran):  # (_prune_seen's common case, without its call)
            state.last_ran = ran
        else:
            _prune_seen(state, ran, recorded)
    if bumped:
        state.max_version = new_version
    state.updated = updated
    return updated


def _prune_seen(state: RunState, ran: set[str], recorded: int) -> None:
    """What a node saw of a channel that no longer has a version cannot matter to planning
    (written again, the channel gets a newer version than any seen), only to update_state,
    which infers "the node that ran last" from the newest versions seen (as LangGraph): such
    an entry is dropped once it is older than the newest, keeping versions_seen the size of
    the state, not of the graph. ``state.last_ran``: the nodes that may hold such entries;
    ``recorded``: the newest version this step's tasks saw (the newest of all is at least that:
    only an entry as new needs the full search)."""
    last_ran = state.last_ran
    if ran.issuperset(last_ran):
        state.last_ran = ran
        return
    versions = state.versions
    versions_seen = state.versions_seen
    top: int | None = None
    kept = ran  # (a set of this step's own: extended in place)
    for node in last_ran:
        if node in ran:
            continue
        node_seen = versions_seen.get(node)
        if not node_seen:
            continue
        for ch, v in tuple(node_seen.items()):
            if ch not in versions:
                if v >= recorded and top is None:
                    top = max((v for n, seen in versions_seen.items() if n != INTERRUPT for v in seen.values()),
                              default=0)
                if v < recorded or (top is not None and v < top):
                    del node_seen[ch]
                else:
                    kept.add(node)  # still the newest: kept until it is not
        if not node_seen:
            del versions_seen[node]
    state.last_ran = kept


_CLEAR = Clear()


def _order(task: Task) -> tuple[int, Any]:
    return task.order
