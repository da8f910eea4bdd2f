"""The state API: ``get_state``, ``get_state_history`` and ``update_state`` of a compiled graph."""

from __future__ import annotations

import functools
import uuid
from collections import deque
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import InvalidUpdateError, ThreadBusyError
from ..graph._constants import END, START
from ..graph._program import task_path_str
from ..persistence import CheckpointTuple
from ..persistence._records import ERROR, INTERRUPT
from ..types import PregelTask, StateSnapshot, StateUpdate
from ._algo import RunState, Task, apply_writes, managed_values, pending_tasks, plan, state_values
from ._loop import ROOT_CHECKPOINTER_TRUE, Run, run_name
from ._options import recursion_limit
from ._persist import (NULL_TASK_ID, SPECIAL, Persistence, finished_writes, null_batch, null_task_writes, renamed,
                       restore)
from ._task import writes_for

if TYPE_CHECKING:
    from ..graph._program import Program
    from ._compiled import CompiledGraph


def _saver(graph: CompiledGraph) -> Any:
    """The graph's saver; ``compile(checkpointer=None | False)`` has none (``ValueError``, as
    in LangGraph), ``checkpointer=True`` is for subgraphs (``RuntimeError``)."""
    if graph.checkpointer is None or graph.checkpointer is False:
        raise ValueError("No checkpointer set")
    if graph.checkpointer is True:
        raise RuntimeError(ROOT_CHECKPOINTER_TRUE)
    return graph.checkpointer


def _restored(graph: CompiledGraph, saved: CheckpointTuple) -> tuple[RunState, list[Task]]:
    """The channels and versions of ``saved`` and the tasks a run would run next from there,
    as LangGraph lists them: ``Send`` tasks first, then nodes in the order they were added."""
    program = graph._program
    state = RunState(program)
    restore(state, saved.checkpoint, program.clearing)
    step = int(saved.metadata.get("step", -1)) + 1
    stop = step + recursion_limit(saved.config)
    ns = saved.config["configurable"].get("checkpoint_ns", "")
    tasks = plan(program, state, step, f"{saved.checkpoint.id}|{ns}", managed_values(program, step, stop),
                 added_order=True)
    return state, tasks


async def snapshot(graph: CompiledGraph, saved: CheckpointTuple | None, config: dict[str, Any],
                   live: bool) -> StateSnapshot:
    """The :class:`StateSnapshot` of a saved checkpoint.

    ``live`` (``get_state`` without a ``checkpoint_id``): values include the writes of tasks
    that already finished in the pending step and ``next`` lists only the unfinished tasks.
    """
    if saved is None:
        return StateSnapshot(values={}, next=(), config=config, metadata=None, created_at=None,
                             parent_config=None, tasks=(), interrupts=())
    saved = renamed(saved, graph._program.renamed)
    channels, tasks = _restored(graph, saved)
    done = finished_writes(saved.pending_writes)
    configurable = saved.config["configurable"]
    ptasks = task_reports(graph._program, tasks, saved.pending_writes, configurable["thread_id"],
                          configurable.get("checkpoint_ns", ""), live)
    # The Commands given at this checkpoint (a run that paused again since) are part of its
    # values, in the history too; the next tasks were planned without them, as LangGraph does.
    null = null_task_writes(saved.pending_writes)
    finished = [t for t in tasks if t.id in done] if live else []
    if null or finished:
        for t in finished:
            t.writes = done[t.id]
        async with channels.hosted(run_name(graph._program.name, ())):  # (through the channel actors)
            if null:
                apply_writes(graph._program, channels, (), null_batch(channels.channels, null))
            if finished:
                apply_writes(graph._program, channels, finished)
    next_names = tuple(t.name for t in tasks if not live or t.id not in done)
    values = state_values(graph._program, channels)
    if graph._program.inboxes:  # agent populations: their agents, read page by page
        from ._agents import with_agents

        values = with_agents(graph._program, channels.channels, values)
    return StateSnapshot(
        values=values,
        next=next_names,
        config=with_checkpoint_map(saved.config, saved.metadata) or saved.config,
        metadata=saved.metadata,
        created_at=saved.checkpoint.ts,
        parent_config=with_checkpoint_map(saved.parent_config, saved.metadata),
        tasks=tuple(ptasks),
        interrupts=tuple(i for t in ptasks for i in t.interrupts),
    )


def task_reports(program: Program, tasks: Sequence[Task], pending_writes: Sequence[tuple[str, str, Any]],
                 thread_id: str, ns: str, live: bool) -> list[PregelTask]:
    """The :class:`PregelTask` of each of ``tasks`` (planned from a checkpoint of namespace
    ``ns`` whose pending writes are ``pending_writes``), as LangGraph 1.2 shows them: the
    error, questions and result the writes record, and for a task whose node runs a subgraph,
    the config of the namespace that subgraph keeps its state in.

    ``live`` (``get_state`` of the newest state): only the questions still waiting for an
    answer; else (history, the ``checkpoints`` stream) every question the step's tasks asked.
    """
    done = finished_writes(pending_writes)
    # a task's result is what it wrote, also when it stopped at an error or interrupt() before
    # (resumed since, its writes are there too): as LangGraph 1.2 shows it
    written: dict[str, list[tuple[str, Any]]] = {}
    for task_id, channel, value in pending_writes:
        if channel not in SPECIAL and task_id != NULL_TASK_ID:
            written.setdefault(task_id, []).append((channel, value))
    errors = {task_id: _error_text(value) for task_id, channel, value in pending_writes
              if channel == ERROR and value is not None}
    asked: dict[str, tuple[Any, ...]] = {}
    for task_id, channel, value in pending_writes:
        if channel == INTERRUPT and value and not (live and task_id in done):
            asked[task_id] = asked.get(task_id, ()) + tuple(value)
    writable = program.writable_keys
    reports = []
    for task in tasks:
        writes = done.get(task.id)
        if writes is None:
            writes = written.get(task.id)
        result = None if writes is None else {k: v for k, v in writes if k in writable}
        if result is not None and program.root_key:  # (LangGraph: the value itself)
            result = result.get(program.root_channel)
        state = None
        if node_subgraph(task.node.call) is not None:  # where the subgraph it runs keeps its state
            task_ns = f"{task.name}:{task.id}"
            state = {"configurable": {"thread_id": thread_id,
                                      "checkpoint_ns": f"{ns}|{task_ns}" if ns else task_ns}}
        reports.append(PregelTask(task.id, task.name, task.path, error=errors.get(task.id),
                                  interrupts=asked.get(task.id, ()), state=state, result=result))
    return reports


def _error_text(stored: Any) -> str:
    """A failed task's error as ``PregelTask.error`` shows it: the ``repr`` of the exception,
    which is what savers store for ``__error__`` (an exception object, should a saver keep one,
    is shown the same way)."""
    return repr(stored) if isinstance(stored, BaseException) else str(stored)


async def aget_state(graph: CompiledGraph, config: dict[str, Any], subgraphs: bool = False) -> StateSnapshot:
    """The state of the namespace ``config`` addresses (a subgraph's is read with that
    subgraph). ``subgraphs=True``: a subgraph task's ``state`` is the subgraph's own snapshot
    (else the config addressing it)."""
    saver = _saver(graph)
    _, owner = _addressed(graph, config)
    return await _state(owner, config, subgraphs, saver)


async def _state(graph: CompiledGraph, config: dict[str, Any], subgraphs: bool, saver: Any) -> StateSnapshot:
    config = own_config(graph, config)
    saved = await saver.aget_tuple(config)
    live = not (config.get("configurable") or {}).get("checkpoint_id")
    snap = await snapshot(graph, saved, config, live)
    if not subgraphs or not any(t.state for t in snap.tasks):
        return snap
    tasks = []
    for task in snap.tasks:
        node = graph._program.nodes.get(task.name)
        child = None if node is None else node_subgraph(node.call)
        if task.state and child is not None:
            task = task._replace(state=await _state(child, task.state, True, saver))
        tasks.append(task)
    return snap._replace(tasks=tuple(tasks))


async def aget_state_history(
    graph: CompiledGraph, config: dict[str, Any], *, filter: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None, limit: int | None = None,
) -> AsyncIterator[StateSnapshot]:
    """The checkpoints of the namespace ``config`` addresses (``checkpoint_ns``, the root's
    ``""`` by default; not those of its subgraphs), newest first, each as a snapshot of the
    graph that made it (a subgraph's namespace is read with that subgraph)."""
    saver = _saver(graph)
    ns, owner = _addressed(graph, config)
    listed = own_config(owner, {**config, "configurable": {**(config.get("configurable") or {}), "checkpoint_ns": ns}})
    async for saved in saver.alist(listed, filter=filter, before=before, limit=limit):
        yield await snapshot(owner, saved, saved.config, live=False)


def _addressed(graph: CompiledGraph, config: dict[str, Any]) -> tuple[str, CompiledGraph]:
    """The namespace ``config`` addresses and the graph that reads it: the subgraph that
    checkpoints there, else (as LangGraph reads it) ``graph`` itself."""
    ns = str((config.get("configurable") or {}).get("checkpoint_ns") or "")
    return ns, (subgraph_at(graph, ns) if ns else None) or graph


def own_config(graph: CompiledGraph, config: dict[str, Any]) -> dict[str, Any]:
    """``config`` addressing where ``graph`` keeps its checkpoints: a subgraph compiled with
    ``checkpointer=True`` keeps one history per thread, under its namespace without task ids
    (its tasks' configs name the namespace with them)."""
    configurable = config.get("configurable") or {}
    ns = configurable.get("checkpoint_ns")
    if graph.checkpointer is not True or not ns:
        return config
    stable = "|".join(part.split(":", 1)[0] for part in str(ns).split("|"))
    return {**config, "configurable": {**configurable, "checkpoint_ns": stable}}


def subgraph_at(graph: CompiledGraph, ns: str) -> CompiledGraph | None:
    """The subgraph of ``graph`` that checkpoints under namespace ``ns`` (``node:task_id``
    segments, a call counter being a digits-only segment): a node that is a compiled graph,
    or whose function refers to one (as LangGraph finds them); None if there is none."""
    current = graph
    for part in ns.split("|"):
        if part.isdigit():
            continue
        node = current._program.nodes.get(part.split(":", 1)[0])
        found = None if node is None else node_subgraph(node.call)
        if found is None:
            return None
        current = found
    return current


def node_subgraph(call: Any) -> CompiledGraph | None:
    """The compiled graph a node runs: the node itself, or one its function refers to (a
    closure variable or a global it names). A subgraph compiled with ``checkpointer=False``
    keeps no state and is not one."""
    from ._compiled import CompiledGraph

    candidates: list[Any] = [call.subgraph] if call.subgraph is not None else []
    fn = call.fn
    while isinstance(fn, functools.partial):
        fn = fn.func
    fn = getattr(fn, "__func__", fn)  # a bound method
    code = getattr(fn, "__code__", None)
    if code is not None:
        candidates.extend(cell.cell_contents for cell in getattr(fn, "__closure__", None) or ()
                          if _filled(cell))
        scope = getattr(fn, "__globals__", {})
        candidates.extend(scope[n] for n in _names(code) if n in scope)
    for candidate in candidates:
        if isinstance(candidate, CompiledGraph) and candidate.checkpointer is not False:
            return candidate
    return None


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents
    except ValueError:  # an empty cell
        return False
    return True


def _names(code: Any) -> list[str]:
    """Global names ``code`` (and the functions defined in it) refers to."""
    names = list(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names.extend(_names(const))
    return names


def with_checkpoint_map(config: dict[str, Any] | None, metadata: dict[str, Any] | None) -> dict[str, Any] | None:
    """A subgraph checkpoint's config as LangGraph shows it: with ``checkpoint_map``, each
    enclosing namespace (``metadata["parents"]``) and its own -> checkpoint id. A root
    checkpoint's (no parents) is unchanged."""
    parents = (metadata or {}).get("parents")
    if config is None or not parents:
        return config
    configurable = config["configurable"]
    return {**config, "configurable": {**configurable, "checkpoint_map": {
        **parents, configurable.get("checkpoint_ns", ""): configurable.get("checkpoint_id")}}}


async def aupdate_state(graph: CompiledGraph, config: dict[str, Any], values: Any,
                        as_node: str | None = None, task_id: str | None = None) -> dict[str, Any]:
    """Apply ``values`` as if ``as_node`` had returned them, in one synthetic step saved with
    source ``"update"``; returns the new checkpoint's config. On an older checkpoint this forks
    the thread (the new checkpoint becomes its head). Special nodes: ``END`` (values ``None``)
    marks the pending tasks done; ``"__input__"`` writes ``values`` as new graph input;
    ``"__copy__"`` saves a copy of the checkpoint as its sibling (source ``"fork"``).
    (Under ``END``, the writes of pending tasks that had finished, beside one that paused or
    failed, are applied: only the unfinished tasks are dropped, as in LangGraph 1.2.)

    A config addressing a subgraph's namespace updates that subgraph's checkpoint (with the
    subgraph's nodes; ``ValueError`` naming the namespace when no subgraph is there): the new
    checkpoint is in that namespace, under the same enclosing checkpoints."""
    return await abulk_update_state(graph, config, [[StateUpdate(values, as_node, task_id)]])


async def abulk_update_state(graph: CompiledGraph, config: dict[str, Any],
                             supersteps: Sequence[Sequence[StateUpdate]]) -> dict[str, Any]:
    """Apply each super-step of updates as one checkpoint, in order; returns the last one's
    config. The updates of a super-step run as the tasks of one step (reducers fold them in
    the order given; two writes to a plain key raise ``InvalidUpdateError``), each naming its
    ``as_node``; ``END``, ``"__input__"`` and ``"__copy__"`` updates stand alone in their
    super-step. A super-step that fails validation saves nothing (the ones before it stay
    saved), as in LangGraph."""
    if not supersteps:
        raise ValueError("No supersteps provided")
    steps = [[_as_update(u) for u in step] for step in supersteps]
    if any(not step for step in steps):
        raise ValueError("No updates provided")
    for updates in steps:
        config = await _update_step(graph, config, updates)
    return config


def _as_update(item: Any) -> StateUpdate:
    """A :class:`StateUpdate`, or a ``(values, as_node[, task_id])`` tuple as one."""
    if isinstance(item, StateUpdate):
        return item
    if isinstance(item, (tuple, list)) and 1 <= len(item) <= 3:
        return StateUpdate(*item)
    raise InvalidUpdateError(f"Invalid update item: {item!r}; expected a StateUpdate(values, as_node)")


async def _update_step(graph: CompiledGraph, config: dict[str, Any],
                       updates: list[StateUpdate]) -> dict[str, Any]:
    """One super-step of updates, saved as one checkpoint."""
    saver = _saver(graph)
    ns, owner = _addressed(graph, config)
    if ns:
        if owner is graph:
            raise ValueError(f"Subgraph {_recast(ns)!r} not found: no subgraph of graph {graph.name!r} "
                             f"checkpoints under namespace {ns!r}")
        config = own_config(owner, config)
        ns = config["configurable"]["checkpoint_ns"]
    run = Run(owner, dict(config), ns=tuple(ns.split("|")) if ns else (), detached=True)
    persist = Persistence(saver, "sync", run.config, state=run.state, program=run.program, ns=run.ns_str,
                          resume=run.resume_state, log=run.log if run.logging else None, parents={} if ns else None)
    if ns:
        persist.requested_id = config["configurable"].get("checkpoint_id")
    run.persist = persist
    try:  # (right after a `break` out of an astream of the thread: once that run has stopped)
        persist.claim()
    except ThreadBusyError:
        await persist.claim_after_abandoned()
    try:
        async with run.hosted():
            config = await _update(owner, run, persist, updates)
    finally:
        persist.release()
    first = updates[0]
    if first.as_node == COPY and isinstance(first.values, list) and first.values:
        # a copy updated at once: the listed updates are the copy's next super-step, grouped
        # by node (in the order the nodes first appear), as LangGraph 1.2 applies them
        groups: dict[Any, list[StateUpdate]] = {}
        for item in first.values:
            update = _as_update(item)
            groups.setdefault(update.as_node, []).append(StateUpdate(update.values, update.as_node))
        config = await _update_step(graph, config, [u for group in groups.values() for u in group])
    return config


def _recast(ns: str) -> str:
    """A namespace without task ids and call counters: the path of subgraph nodes."""
    return "|".join(part.split(":", 1)[0] for part in ns.split("|") if not part.isdigit())


async def _update(graph: CompiledGraph, run: Run, persist: Persistence,
                  updates: list[StateUpdate]) -> dict[str, Any]:
    program = graph._program
    saved = await persist.load()
    if saved is not None and persist.ns:  # a subgraph's: under the same enclosing checkpoints
        persist.parents = dict(saved.metadata.get("parents") or {})
    start = -1 if saved is None else int(saved.metadata.get("step", -1)) + 1
    run.step = start
    # as LangGraph 1.2's update_state: the step is the last before a stop (its routers and
    # Sends see RemainingSteps 2), whatever the recursion limit
    run.stop = start + 2
    values, as_node = updates[0].values, updates[0].as_node
    if len(updates) == 1 and as_node is None:
        as_node = _infer_node(graph, run)
    alone = {END: "Cannot apply multiple updates when clearing state",
             INPUT: "Cannot apply multiple updates when updating as input",
             COPY: "Cannot copy checkpoint with multiple updates"}  # (LangGraph's messages)
    if as_node in alone and len(updates) > 1:
        raise InvalidUpdateError(alone[as_node])
    source = "update"
    if as_node == END:
        if values is not None:
            raise InvalidUpdateError("Updates as END must have no values (use None)")
        if persist.null_writes:  # the Commands given at this checkpoint (as LangGraph)
            apply_writes(program, run.state, (), null_batch(run.state.channels, persist.null_writes))
            run.state.updated = None
        # the pending tasks are discarded, but those that finished keep their writes (as
        # LangGraph 1.2: a sibling of an interrupted task is not lost by clearing the pause)
        done, persist.done_writes, persist.failed = persist.done_writes, {}, {}
        key = run.ns_str if saved is None else f"{saved.checkpoint.id}|{persist.ns}"
        tasks = pending_tasks(program, run.state, run.step, run.stop, key)
        for task in tasks:
            task.writes = done.get(task.id) or task.writes
        apply_writes(program, run.state, tasks)
    elif as_node == COPY:
        if saved is None:
            raise InvalidUpdateError("Nothing to copy: the thread has no checkpoint")
        # a sibling of the checkpoint: same values, same parent
        parent = saved.parent_config["configurable"]["checkpoint_id"] if saved.parent_config else None
        persist.saved_id = parent
        source = "fork"
    elif as_node == INPUT:
        # as new graph input (a Command too: the __start__ task applies it when it runs), as
        # LangGraph 1.2: the write is a pending write of the updated checkpoint as well
        if values is None:
            raise InvalidUpdateError(f"Received no input writes for {START}")
        writes = [(START, values)]
        if saved is not None and await _keeps_writes(persist):
            await persist.saver.aput_writes(persist.config_for(saved.checkpoint.id), writes,
                                            str(uuid.uuid5(uuid.UUID(saved.checkpoint.id), INPUT)), "")
        apply_writes(program, run.state, (), writes)  # the __start__ task runs next
        source = "input"
        start = start if saved is not None else -1
    else:
        # as LangGraph 1.2: an update of a node the checkpoint has a pending task for is that
        # task's writes (under its id); else the i-th update's id is derived from the checkpoint
        pending: dict[str, deque[str]] = {}
        if saved is not None:
            for planned in plan(program, run.state, start, f"{saved.checkpoint.id}|{persist.ns}",
                                managed_values(program, run.step, run.stop), added_order=True):
                pending.setdefault(planned.name, deque()).append(planned.id)
        base = saved.checkpoint.id if saved is not None else None
        tasks = []
        for i, update in enumerate(updates):
            name = as_node if len(updates) == 1 else update.as_node
            if name is None:
                raise InvalidUpdateError("as_node is required when applying multiple updates")
            node = program.nodes.get(name)
            if node is None:
                raise InvalidUpdateError(f"Node {name} does not exist")
            ids = pending.get(name)
            tid = update.task_id or (ids.popleft() if ids else update_task_id(base, i))
            # (as LangGraph's, the update's task is triggered by nothing the node reads: it
            # consumes none of the node's triggers and records no version seen; it is a step)
            task = Task(tid, node.name, node, None, ("__pregel_pull", name), (INTERRUPT,), (i, name))
            task.writes = await writes_for(run, task, update.values)
            tasks.append(task)
        if saved is not None and await _keeps_writes(persist):
            # the writes become pending writes of the updated checkpoint, so its history shows
            # them as its tasks' results (not when the thread moved past it: that is a fork)
            at = persist.config_for(saved.checkpoint.id)
            for i, task in enumerate(tasks):
                if task.writes:  # (Sends too, as LangGraph 1.2 keeps them)
                    await persist.saver.aput_writes(at, task.writes, task.id, task_path_str((INTERRUPT, i)))
        apply_writes(program, run.state, tasks)
        if saved is None:
            start = 0  # as LangGraph: an update on a new thread is its step 0
    await persist.save(source, start, (), run.state.updated or ())
    config = persist.config_for(persist.checkpoint_id)
    return with_checkpoint_map(config, persist.metadata(source, start)) or config


COPY = "__copy__"
INPUT = "__input__"


async def _keeps_writes(persist: Persistence) -> bool:
    """An update's writes become pending writes of the checkpoint it updates unless the
    thread has moved past that one (the update forks it), as in LangGraph 1.2."""
    return persist.requested_id is None or await persist.is_head()


def update_task_id(checkpoint_id: str | None, i: int) -> str:
    """The task id of the ``i``-th update of a super-step that has no pending task to reuse,
    as LangGraph 1.2 derives it from the updated checkpoint's id (a new thread has none: a
    random one)."""
    base = uuid.UUID(checkpoint_id) if checkpoint_id is not None else uuid.uuid4()
    return str(uuid.uuid5(base, INTERRUPT if i == 0 else f"{INTERRUPT}:{i}"))


def _infer_node(graph: CompiledGraph, run: Run) -> str:
    """The node an ``update_state`` without ``as_node`` writes as, as LangGraph 1.2 infers it:
    the graph's only node, else the node that saw the newest version (the one that ran last);
    ``START`` when nothing was seen (no node ran, no run resumed on this branch);
    ``InvalidUpdateError`` when the newest version was seen twice (two nodes ran together), or
    when no node saw one but a run resumed (LangGraph counts that, and finds no node). (An
    entrypoint's Pregel has no ``__start__`` node in LangGraph: its own node is the only one.)"""
    program = graph._program
    nodes = [n for n in program.nodes if n != START] if program.root_channel == END else list(program.nodes)
    if len(nodes) == 1:
        return nodes[0]
    versions_seen = run.state.versions_seen
    seen = sorted((v, n) for n, vs in versions_seen.items() if n in nodes for v in vs.values())
    if not any(v for vs in versions_seen.values() for v in vs.values()):
        if START in nodes:
            return START
    elif seen and (len(seen) == 1 or seen[-1][0] != seen[-2][0]):
        return seen[-1][1]
    raise InvalidUpdateError("Ambiguous update, specify as_node")
