"""Running one task: calling the node, retries, and turning its result into writes.

Also the node actor: one actor per node per run, spawned (inline) the first time the node is
triggered, which receives an ``Execute`` message for every task of its node. A step's lone task
runs in the actor's handler, in the barrier supervisor's task (the inline dispatcher: no task
switch); in a step of several tasks the actor starts each in the step's task group (so several
``Send``s to one node run concurrently) and the :class:`Barrier` counts them down.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import functools
import logging
import math
import sys
import warnings
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from contextvars import copy_context
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import msgspec

from .._log import enabled, get_logger
from ..actors import Actor
from ..actors._group import TaskGroup
from ..actors._slot import Slot
from ..actors._slot import running_on_trio
from ..errors import (
    AgentAddressError, GraphBubbleUp, GraphDrained, GraphInterrupt, InvalidUpdateError, NodeCancelledError,
    NodeError, NodeTimeoutError, ParentCommand, UnknownDestinationWarning,
)
from ..graph._constants import END, START, TASKS, branch_channel
from ..graph._program import NodeCall, NodeProgram
from ..graph._schema import update_pairs
from ..types import Command, Send
from ._algo import Task, managed_values, task_id
from ._context import TaskContext, _Idle, current_task, inherit_config, restore_context

_set_running_loop = asyncio._set_running_loop
_get_running_loop = asyncio._get_running_loop

T = TypeVar("T")

if TYPE_CHECKING:
    from .._policies import TimeoutPolicy
    from ._loop import Run

log = get_logger("runtime")


def call_node(node: NodeProgram, value: Any, ctx: TaskContext, run: Run, lone: bool = False) -> Awaitable[Any]:
    """Call the node's function with the injected parameters it declares; await the result.

    An async function's own coroutine is returned, not wrapped in another one: the caller
    awaits it directly. A sync function runs in a worker thread; under the sync API
    (``invoke``), the ``lone`` task of a step runs on the event loop's own thread instead: the
    loop has nothing else to do meanwhile, and a thread hop costs more than most nodes.

    A LangChain ``Runnable`` node (a :class:`RunnableNode`, a sync ``(state, config)`` callable
    running ``invoke``) is awaited through its ``ainvoke`` instead under the async API on
    asyncio, as LangGraph calls it there (langchain-core's async API does not run on trio).
    """
    call = node.call
    if call.subgraph is not None:
        return _call_subgraph(call.subgraph, value, ctx, run)
    if lone and runs_inline(node, run):
        return _inline(call, value, ctx)
    args = (value, ctx.config) if call.config_positional else (value,)
    if call.inject:
        kwargs = {name: ctx.injected(name) for name in call.inject}
        fn: Callable[..., Any] = functools.partial(call.fn, **kwargs)
    else:
        fn = call.fn
    if call.is_async:
        return fn(*args)  # type: ignore[no-any-return]  # a coroutine
    if node.hidden:
        return _done(fn(*args))
    if not run.options.sync_api and type(fn).__module__ == "actorgraph._langchain":
        runnable: Any = fn  # Any: a RunnableNode, known by its module to spare an import here
        native = runnable.ainvoke(value, ctx.config)  # (None on trio)
        if native is not None:
            return native  # type: ignore[no-any-return]  # an awaitable
    run.threaded = True  # (its only suspension is shielded: the run checks for a cancellation next step)
    return in_thread(run, functools.partial(fn, *args))


def runs_inline(node: NodeProgram, run: Run) -> bool:
    """Whether a lone task of ``node`` runs on the event loop's thread (:func:`call_inline`):
    a sync node under the sync API (a subgraph run's ``sync_api`` is its root run's)."""
    return node.sync_inline and run.options.sync_api


def call_inline(call: NodeCall, value: Any, ctx: TaskContext) -> Any:
    """A sync node's function called here, on the event loop's thread (see :func:`call_node`;
    :func:`run_task` calls it without a coroutine)."""
    run = ctx.run
    config = ctx.config if call.config_positional else None
    ctx.inline = True  # (a sync graph API called from the node runs on a helper thread)
    emitter = run.emitter.root
    # (what the node's other threads stream is delivered as it returns; nobody streams: no hold)
    held = emitter.hold_posts() if emitter.hub_ref is not None else None
    # The loop is hidden from the node: as on LangGraph's thread, no loop runs there for it
    # (asyncio.run() works in it); the loop checker still knows the thread as the loop's
    loop = run.loop
    _set_running_loop(None)
    try:
        if call.inject:
            args = (value,) if config is None else (value, config)
            return call.fn(*args, **{name: ctx.injected(name) for name in call.inject})
        return call.fn(value) if config is None else call.fn(value, config)
    finally:
        _set_running_loop(loop)
        ctx.inline = False
        if held is not None:
            emitter.release_posts(held)


async def _inline(call: NodeCall, value: Any, ctx: TaskContext) -> Any:
    return call_inline(call, value, ctx)


async def in_thread(run: Run, fn: Callable[[], Any]) -> Any:
    """Run sync code of a task in a worker thread of the outermost run on this event loop (its
    barrier supervisor's, joined when that run ends; see ``Supervisor.run_sync``): a subgraph
    reuses its parent's threads, unless it runs on another loop (a sync graph API called from a
    sync node). A cancellation waits until the thread has returned, on both backends: a thread
    is never abandoned."""
    owner = run
    parent = run.parent
    while parent is not None and parent.on_loop():
        owner, parent = parent, parent.parent
    sup = owner.sup
    assert sup is not None, "the run is not hosted"
    return await sup.run_sync(fn)


async def _call_subgraph(subgraph: Any, value: Any, ctx: TaskContext, run: Run) -> Any:
    # a subgraph node's Command(graph=PARENT) leaves as ParentCommand (see addressed_here)
    return await subgraph._run_as_node(value, ctx, run)


async def _done(value: Any) -> Any:
    return value


async def run_task(run: Run, task: Task, lone: bool = False) -> Exception | None:
    """Execute ``task`` (retrying per the node's policy) and store its writes on it.

    The node's own exception propagates unchanged, with a note naming the task; for a
    ``lone`` task (the only one of its step, see :func:`call_node`) an ``Exception`` (a
    failure or ``interrupt()``) is returned instead: the node actor's answer.
    """
    node = task.node
    ctx = TaskContext(run, task)
    # A lone task runs in the run's own task and context (see _context.own_context): what it
    # sets there is undone when it ends (two copies and a comparison, cheaper than running it
    # in a copy; only when the comparison shows a change does the run go on in ``outer``)
    outer = copy_context() if lone else None
    token = current_task.set(ctx)
    inner = copy_context() if lone else None
    attempt = 0
    try:
        while True:
            attempt += 1
            try:
                tracing = run.tracing
                if tracing is not None and (not node.hidden or node.branches):
                    # LangChain callbacks or messages mode: the task (routers included) is a chain
                    # run; __start__'s only when it routes (a hidden one, as LangGraph's)
                    task.writes = await tracing.call(task, ctx, functools.partial(_attempt, node, ctx, run, lone),
                                                     functools.partial(_writes, run, task, ctx))
                    if ctx.answers:
                        _keep_answers(run, task, ctx.answers)
                    return None
                try:
                    if node.timeout is None:
                        if node.call.direct:  # (call_node's common case, without its call)
                            result = await node.call.fn(task.input)
                        elif lone and node.sync_inline and run.options.sync_api:  # (runs_inline)
                            result = call_inline(node.call, task.input, ctx)  # (no coroutine)
                        else:  # (lone or not, call_node would not run it inline: not asked again)
                            result = await call_node(node, task.input, ctx, run)
                    else:
                        result = await _timed(node, ctx, run, lone)
                except ParentCommand as escaped:
                    result = addressed_here(escaped)
                # writes_for(), without a coroutine per task when there are no branches
                writes = node_writes(run, node, result)
                if ctx.pushed:
                    _push_writes(run, ctx, writes)
                if node.branches:
                    await route_branches(run, task, writes, None, result)
                task.writes = writes
                if ctx.answers:
                    _keep_answers(run, task, ctx.answers)
                return None
            except GraphBubbleUp:
                raise
            except BaseException as exc:
                if not isinstance(exc, Exception):
                    if is_cancelled(exc) and not cancelling():
                        raise NodeCancelledError(task.name) from exc
                    raise
                policy = next((p for p in node.retry_policy if p.should_retry(exc)), None)
                if policy is None or attempt >= policy.max_attempts:
                    if node.error_handler is not None:
                        await _handle_error(run, task, ctx, exc)
                        return None
                    exc.add_note(f"During task with name '{task.name}' and id '{task.id}'")
                    raise
                ctx.next_attempt()
                delay = policy.interval(attempt)
                if enabled(log, logging.WARNING):
                    log.warning("task_retry", node=task.name, step=run.step, attempt=attempt,
                                delay=delay, error=repr(exc))
                await anyio.sleep(delay)
    except Exception as exc:
        if lone:
            return exc
        raise
    finally:
        if outer is not None and copy_context() != inner and not isinstance(sys.exc_info()[1], GeneratorExit):
            await restore_context(outer)  # (current_task's value too)
        else:  # (a coroutine being closed cannot await: its context goes with it)
            current_task.reset(token)


def _keep_answers(run: Run, task: Task, answers: list[Any]) -> None:
    """A finished task that took a new ``interrupt()`` answer in this run: its answers are
    saved with its writes (see ``Persistence.answered_writes``)."""
    run.persist.took_answers(task.id, answers)


async def _attempt(node: NodeProgram, ctx: TaskContext, run: Run, lone: bool) -> Any:
    """One attempt of the node: :func:`call_node`, under the node's timeout if it has one. A
    ``ParentCommand`` leaving the node's body goes on to the tracing, which ends the node's
    run with it as an error, as LangGraph's (then makes it the result, see ``addressed_here``)."""
    if node.timeout is None:
        return await call_node(node, ctx.task.input, ctx, run, lone)
    return await _timed(node, ctx, run, lone)


def addressed_here(escaped: ParentCommand) -> Command[Any]:
    """A ``Command(graph=Command.PARENT)`` that escaped a node's body: a graph the node called
    (``child.invoke()`` / ``astream()`` inside it) addressed its parent, this node's graph. As
    LangGraph, the Command is then the node's result here; so is a subgraph node's (its run
    ended with ``ParentCommand``, as LangGraph's node run does). Anything else goes on up."""
    command = escaped.command
    if isinstance(command, Command) and command.graph == Command.PARENT:
        return dataclasses.replace(command, graph=None)
    raise escaped


async def _timed(node: NodeProgram, ctx: TaskContext, run: Run, lone: bool) -> Any:
    """One attempt of a node with a timeout: the node actor runs it under a deadline (a cancel
    scope); past it the attempt is cancelled and fails with :class:`NodeTimeoutError`."""
    policy = node.timeout
    assert policy is not None
    return await timed_call(node.name, policy, ctx, functools.partial(call_node, node, ctx.task.input, ctx, run, lone))


async def timed_call(name: str, policy: TimeoutPolicy, ctx: TaskContext, call: Callable[[], Awaitable[Any]]) -> Any:
    """``call()`` (an attempt of node or task ``name``) under ``policy``: past its run deadline,
    or idle past its idle timeout, the attempt is cancelled and fails with
    :class:`NodeTimeoutError`."""
    started = anyio.current_time()
    run_timeout, idle_timeout = policy.limits()
    run_deadline = math.inf if run_timeout is None else started + run_timeout
    with anyio.CancelScope(deadline=run_deadline) as scope:
        inherited = None
        if idle_timeout is not None:
            ctx.idle = _Idle(scope, idle_timeout, run_deadline, policy.refresh_on == "auto")
            ctx.idle.refresh()
            if ctx.idle.auto and sys.modules.get("langchain_core") is not None:
                inherited = inherit_config(ctx)  # (LangChain callbacks are progress)
        try:
            result = await call()
        finally:
            ctx.idle = None
            if inherited is not None:
                inherited()
    if scope.cancelled_caught:
        now = anyio.current_time()
        kind = "run" if now >= run_deadline else "idle"
        raise NodeTimeoutError(name, now - started, kind=kind, run_timeout=run_timeout,
                               idle_timeout=idle_timeout)
    return result


async def _handle_error(run: Run, task: Task, ctx: TaskContext, exc: Exception) -> None:
    """The node failed for good: its error handler (the node ``__error_handler__<name>``) runs
    with a :class:`NodeError` and its return value (an update, a ``Command``) gives the task's
    writes instead — the failed node's own edges are not taken. The handler is retried per its
    own retry policies (the graph's defaults, ``set_node_defaults(retry_policy=...)``; not the
    failed node's) and has no deadline (as LangGraph 1.2). A handler failing for good fails the
    task, with a note naming the handler."""
    handler = task.node.error_handler
    assert handler is not None
    stored = isinstance(exc, _StoredFailure)
    if stored:  # a resumed step: the node failed before, its handler runs again (not the node)
        error: Any = exc.args[0]
    else:
        error = exc
        run.emitter.task_error(task, exc, run.step)
    ctx.error = NodeError(task.name, error)
    # As in LangGraph, the handler is a task of its own: the failed node's task keeps its error
    # (a pending write of the step's checkpoint, so history lists the node with its error and
    # no result), the handler's writes are stored under the handler's id.
    run.handled.append((task, task.id, error if stored else repr(exc), task.name))
    ctx.reports_as = (task.id, (*run.ns, f"{task.name}:{task.id}"))  # (as LangGraph: the failed task's)
    task._id = handler_task_id(task, handler.name, run.step)
    task.name = handler.name  # (its config's langgraph_node, its update's key)
    ctx._runtime = ctx._config = None
    ctx.attempt, ctx.first_attempt = 1, 0.0  # (its execution_info counts its own attempts)
    attempt = 0
    while True:  # retried per the graph's default retry policies (as LangGraph 1.2), no deadline
        attempt += 1
        try:
            result = await call_node(handler, task.input, ctx, run)
            task.writes = node_writes(run, handler, result)
            return
        except GraphBubbleUp:
            raise
        except Exception as failure:
            policy = next((p for p in handler.retry_policy if p.should_retry(failure)), None)
            if policy is None or attempt >= policy.max_attempts:
                failure.add_note(f"During task with name '{handler.name}' and id '{task.id}'")
                raise
            ctx.next_attempt()
            delay = policy.interval(attempt)
            if enabled(log, logging.WARNING):
                log.warning("task_retry", node=handler.name, step=run.step, attempt=attempt,
                            delay=delay, error=repr(failure))
            await anyio.sleep(delay)


class _StoredFailure(Exception):
    """The failure a node had before its step was interrupted (as its task's pending
    ``__error__`` write keeps it: the error's ``repr``), raised in its place on resume."""


def failed_before(node: NodeProgram, error: Any) -> NodeProgram:
    """``node`` as a step resumed after it failed and its error handler started runs it: at
    once failing with the stored ``error``, no retries nor deadline, so only the handler runs
    again. (As LangGraph 1.2, the handler then gets the stored error, a string, as
    ``NodeError.error``.)"""

    async def fail(state: Any) -> Any:
        raise _StoredFailure(error)

    again = copy.copy(node)
    again.call = NodeCall(fail)
    again.sync_inline = False
    again.retry_policy = ()
    again.timeout = None
    again.cache_policy = None
    return again


def handler_task_id(task: Task, handler: str, step: int) -> str:
    """The id of the error handler ``handler``'s task for the failed ``task`` (derived, like
    every task id, from the checkpoint the step started from, and from the failed task's id)."""
    key = task._key
    return task_id(key[0] if key is not None else "", step, handler, "node_error_handler", task.id)


def is_cancelled(exc: BaseException) -> bool:
    """``exc`` is the running backend's cancellation exception."""
    if isinstance(exc, asyncio.CancelledError):
        return True
    trio = sys.modules.get("trio")
    return trio is not None and isinstance(exc, trio.Cancelled)


def cancelling() -> bool:
    """The current task is being cancelled (by a cancel scope or ``Task.cancel``), as opposed
    to code that merely raised a cancellation exception of its own."""
    if running_on_trio():
        return bool(sys.modules["trio"].current_effective_deadline() == -math.inf)
    current = asyncio.current_task()
    return current is not None and current.cancelling() > 0


async def writes_for(run: Run, task: Task, result: Any) -> list[tuple[str, Any]]:
    """The channel writes of a finished task: its state updates, edges, gotos and branches."""
    writes = node_writes(run, task.node, result)
    if task.node.branches:
        await route_branches(run, task, writes, None, result)
    return writes


def node_writes(run: Run, node: NodeProgram, result: Any) -> list[tuple[str, Any]]:
    """The writes of a node's ``result`` but those of its conditional branches (which may be
    async: :func:`route_branches`): state updates first, then gotos, edges and joins."""
    program = run.program
    writes: list[tuple[str, Any]] = []
    if node.hidden:  # __start__: the graph input
        if isinstance(result, Command):  # (stored by update_state(..., as_node="__input__"))
            writes = command_input_writes(run, result)  # its update and goto, then START's edges
        elif program.root_key:
            writes = [(program.root_channel, result)]
        else:
            allowed = program.input_keys
            writes = [(k, v) for k, v in update_pairs(result, node=START, allow_pairs=False) or () if k in allowed]
    elif isinstance(result, dict) and not program.root_key:  # the common case, as _collect has it
        if program.validators:
            _add_pairs(run, node, result.items(), writes, drop_unknown=node.call.subgraph is not None)
        else:  # (_add_pairs without validators, inline: most tasks of most graphs come here)
            writable = program.writable_keys
            for key, value in result.items():
                if key in writable:
                    writes.append((key, value))
                elif node.call.subgraph is None:
                    raise _unknown_key(run, node, key)
    elif type(result) is Writes:  # an agent population's step: channel writes already
        writes = result
    else:
        gotos: list[Any] = []
        _collect(run, node, result, writes, gotos)
        if gotos:  # (before the edges, as LangGraph 1.2 writes them)
            _goto_writes(run, node.name, gotos, writes)
    if node.edge_writes:
        writes.extend(node.edge_writes)
    for join in node.joins:
        writes.append((join, node.name))
    return writes


def _push_writes(run: Run, ctx: TaskContext, writes: list[tuple[str, Any]]) -> None:
    """``push_message()``'s writes go first, as they were written while the node ran."""
    pushed: list[tuple[str, Any]] = []
    _add_pairs(run, ctx.task.node, ctx.pushed or (), pushed)
    writes[:0] = pushed
    ctx.pushed = None


async def _writes(run: Run, task: Task, ctx: TaskContext, result: Any,
                  router: Callable[..., Awaitable[list[Any]]] | None = None) -> list[tuple[str, Any]]:
    """A traced task's writes (see :class:`~actorgraph._langchain_trace.Tracing`): its
    ``result``'s, ``push_message()``'s, its branches' (each routed by ``router``)."""
    writes = node_writes(run, task.node, result)
    if ctx.pushed:
        _push_writes(run, ctx, writes)
    if task.node.branches:
        await route_branches(run, task, writes, router, result)
    return writes


async def route_branches(run: Run, task: Task, writes: list[tuple[str, Any]],
                         router: Callable[..., Awaitable[list[Any]]] | None = None,
                         result: Any = None) -> None:
    """Add the writes of ``task``'s conditional branches, routed on the state as the task
    sees it (the step's start plus its own ``writes``); ``router(branch, index, state,
    config)`` routes instead of ``branch.route(state, config)`` when given (a traced run).

    As in LangGraph, a router whose first parameter is annotated with a schema sees that
    schema's keys only; any other gets the state, and when both it and the node's ``result``
    are dicts, ``{**result, **state}``: the keys the node returned first, and the keys it
    returned that are no state keys (the raw graph input's, for START's routers; a subgraph's
    private output) too."""
    values = _local_values(run, writes)
    state: Any = None
    for i, branch in enumerate(task.node.branches):
        if branch.reader is not None:
            seen = branch.reader(values)
        else:
            if state is None:
                state = run.program.state_reader(values)
                if result and type(result) is dict and type(state) is dict:
                    state = {**result, **state}
            seen = state
        config = run.task_config(task)
        dests = await (branch.route(seen, config, call_hiding_loop) if router is None
                       else router(branch, i, seen, config))
        _goto_writes(run, task.node.name, dests, writes)


def call_hiding_loop(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, a sync router, called on the event loop's thread as :func:`call_inline`
    calls a sync node: the loop hidden from it (no loop runs for it in LangGraph:
    ``asyncio.run()`` works), a sync graph API called from it run on a helper thread."""
    loop = _get_running_loop()
    if loop is None:
        return fn(*args)
    ctx = current_task.get()
    was = False
    if ctx is not None:
        was, ctx.inline = ctx.inline, True
    _set_running_loop(None)
    try:
        return fn(*args)
    finally:
        _set_running_loop(loop)
        if ctx is not None:
            ctx.inline = was


class ChannelWrites(tuple):  # type: ignore[type-arg]
    """A node result that is its ``(channel, value)`` writes as such, unchecked: what an
    ``actorgraph.func`` entrypoint's node returns (its return value and the value saved for
    ``previous``)."""

    __slots__ = ()


def _collect(run: Run, node: NodeProgram, result: Any, pairs: list[tuple[str, Any]], gotos: list[Any]) -> None:
    """What a node returned, by LangGraph's rules: ``None`` writes nothing; a ``Command`` its
    ``update`` and ``goto``; a ``Send`` a goto (no update: LangGraph routes a lone ``Send``, in a
    root-value graph too); a list or tuple holding a ``Command`` each item in turn (Commands as
    such, ``None`` skipped, ``Send``s as gotos, anything else one update); a list of ``Send``s
    only, gotos; anything else one update (in a root-value graph: the value itself)."""
    if result is None:
        return
    if isinstance(result, Command):
        _collect_command(run, node, result, pairs, gotos)
        return
    if isinstance(result, Send):
        gotos.append(result)
        return
    if type(result) is ChannelWrites:  # the functional API's entrypoint (actorgraph.func)
        pairs.extend(result)
        return
    if isinstance(result, (list, tuple)) and result:
        if any(isinstance(r, Command) for r in result):
            for item in result:
                if isinstance(item, Command):
                    _collect_command(run, node, item, pairs, gotos)
                elif isinstance(item, Send):
                    gotos.append(item)
                elif item is not None:
                    _collect_update(run, node, item, pairs)
            return
        if all(isinstance(r, Send) for r in result):
            gotos.extend(result)
            return
    _collect_update(run, node, result, pairs)


def _collect_command(run: Run, node: NodeProgram, command: Command[Any], pairs: list[tuple[str, Any]],
                     gotos: list[Any]) -> None:
    if command.graph == Command.PARENT:
        raise ParentCommand(command)
    if command.update is not None:
        _command_update(run, node, command.update, pairs)
    goto = command.goto
    if isinstance(goto, (list, tuple)):
        gotos.extend(goto)
    elif isinstance(goto, (str, Send)):
        gotos.append(goto)
    else:  # LangGraph: TypeError too (it iterates over goto)
        raise TypeError(f"Node '{node.name}' returned Command(goto={goto!r}): goto takes a node name, "
                        f"a Send, or a list of them, not {type(goto).__name__}")


def _command_update(run: Run, node: NodeProgram, update: Any, pairs: list[tuple[str, Any]]) -> None:
    """``Command.update``: in a root-value graph the value itself, but a dict, which gives key
    updates there too (as in LangGraph: ``{"__root__": value}`` sets the value); else its
    ``(key, value)`` pairs (a list of pairs is allowed here)."""
    if run.program.root_key and not isinstance(update, dict):
        pairs.append((run.program.root_channel, update))
    else:  # (an object's fields that are no state keys are not written, as in LangGraph)
        _add_pairs(run, node, update_pairs(update, node=node.name) or [], pairs,
                   drop_unknown=not isinstance(update, (dict, list, tuple)))


def _collect_update(run: Run, node: NodeProgram, value: Any, pairs: list[tuple[str, Any]]) -> None:
    """One update returned by a node (not a ``Command``)."""
    if run.program.root_key:
        pairs.append((run.program.root_channel, value))
        return
    # An object (a model, a dataclass, a message...) is read for the state's keys, as
    # LangGraph's: its other fields are not written (a dict's unknown key raises, see README)
    _add_pairs(run, node, update_pairs(value, node=node.name, allow_pairs=False) or [], pairs,
               drop_unknown=node.call.subgraph is not None or not isinstance(value, dict))


def _add_pairs(run: Run, node: NodeProgram, new: Iterable[tuple[str, Any]], pairs: list[tuple[str, Any]],
               drop_unknown: bool = False) -> None:
    program = run.program
    writable = program.writable_keys
    validators = program.validators
    for key, value in new:
        if key not in writable:
            if drop_unknown:
                continue
            raise _unknown_key(run, node, key)
        if validators:
            validator = validators.get(key)
            if validator is not None:
                value = validator(key, value)
        pairs.append((key, value))


def _unknown_key(run: Run, node: NodeProgram, key: str) -> InvalidUpdateError:
    return InvalidUpdateError(f"Node '{node.name}' at step {run.step} wrote unknown key '{key}' "
                              f"(state keys: {', '.join(run.program.state_keys)})")


def _goto_writes(run: Run, source: str, gotos: list[Any], writes: list[tuple[str, Any]]) -> None:
    """The trigger writes of ``source``'s gotos (node names, ``END``, ``Send``s). A destination
    that is no node of the graph (``START`` included) is dropped with an
    :class:`UnknownDestinationWarning`, as LangGraph drops it with a log line."""
    program = run.program
    nodes = program.nodes
    for goto in gotos:
        if isinstance(goto, Send):
            if program.inboxes or goto.key is not None:
                inbox = agent_inbox(program, goto, source)
                if inbox is not None:
                    writes.append((inbox, goto))
                    continue
            if goto.node in nodes and goto.node != START:
                writes.append((TASKS, goto))
            else:
                _unknown_destination(run, source, f"Send({goto.node!r}, ...)")
        elif goto == END:
            continue
        elif isinstance(goto, str) and goto in nodes and goto != START:
            writes.append((branch_channel(goto), None))
        else:
            _unknown_destination(run, source, repr(goto))


class Writes(list[tuple[str, Any]]):
    """A node result that is channel writes already (an agent population's step): taken as is."""


def agent_inbox(program: Any, send: Send, source: str) -> str | None:
    """The inbox channel of the agent population ``send`` goes to (None: not a population);
    :class:`AgentAddressError` for a key to a plain node, or no key to a population."""
    inbox: str | None = program.inboxes.get(send.node)
    if inbox is None:
        if send.key is not None and send.node in program.nodes:
            raise AgentAddressError(
                f"Node '{source}' sent Send({send.node!r}, ..., key={send.key!r}): '{send.node}' is a "
                "node, not an agent population (add_agents); a Send to a node takes no key")
        return None
    if send.key is None:
        raise AgentAddressError(
            f"Node '{source}' sent Send({send.node!r}, ...) without a key: '{send.node}' is an agent "
            f"population; address one agent with Send({send.node!r}, payload, key=...)")
    return inbox


def _unknown_destination(run: Run, source: str, destination: str) -> None:
    if enabled(log, logging.WARNING):
        log.warning("unknown_destination", node=source, destination=destination, step=run.step)
    where = f" in {'|'.join(run.ns)}" if run.ns else ""
    warnings.warn(
        f"Node '{source}' at step {run.step}{where} routed to {destination}, which is not a node "
        f"of graph '{run.program.name}': ignoring it",
        UnknownDestinationWarning,
        stacklevel=2,
    )


def _local_values(run: Run, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """The state values as a router sees them: the step's start plus this task's own writes
    (writes to channels that are not state keys are ignored)."""
    program = run.program
    channels = run.state.channels
    values = run.state.values(program.state_keys)
    if pairs:
        grouped: dict[str, list[Any]] = {}
        for k, v in pairs:
            grouped.setdefault(k, []).append(v)
        for k, vs in grouped.items():
            if k in values or k in program.state_keys:
                copy = channels[k].copy()
                copy.update(vs)
                if copy.is_available():
                    values[k] = copy.get()
    managed = managed_values(program, run.step, run.stop)
    if managed:
        values.update(managed)
    return values


# -- concurrent steps ---------------------------------------------------------------------


#: Scheduler passes a failing task of a concurrent step yields before cancelling its siblings
#: (LangGraph's runner lets a sibling that yields up to 5 times without waiting finish).
FAILURE_GRACE_PASSES = 5


class Barrier:
    """Counts a step's tasks down; the first failure cancels the rest of the step.

    Tasks of async nodes are cancelled; a task running a sync node in a worker thread is not
    (a thread cannot be stopped): the step waits for it, and if it finishes it counts as
    finished (its writes are kept as pending writes). :attr:`failed` is the task that failed.
    """

    __slots__ = ("pending", "group", "failure", "failed", "slot", "on_done", "limit", "drained", "dispatching")

    def __init__(self, count: int, group: TaskGroup, slot: Slot, on_done: Callable[[Task, float], None],
                 limit: anyio.Semaphore | None = None) -> None:
        self.pending = count
        self.limit = limit  # config["max_concurrency"]: tasks of the step running at once
        self.group = group
        self.failure: BaseException | None = None  # the first failure (any BaseException)
        self.failed: Task | None = None
        self.slot = slot
        self.on_done = on_done
        # a subgraph task stopped by a drain: not a failure, its siblings go on (as LangGraph's)
        self.drained: GraphDrained | None = None
        self.dispatching = True  # the step's tasks are still being handed out (see start)

    def start(self, run: Run, task: Task) -> None:
        call = task.node.call
        in_thread = not call.is_async and call.subgraph is None
        # a sync task is started even once a sibling has failed while the step's tasks were
        # still being handed out: every task of the step was due to start together, and its
        # thread is waited for anyway (whatever order the backend runs the first tasks in)
        if self.failure is None or (self.dispatching and in_thread):
            self.group.start_soon(self._guarded if self.limit is None else self._limited, run, task,
                                  shielded=in_thread)

    async def _limited(self, run: Run, task: Task) -> None:
        """:meth:`_guarded` once the ``max_concurrency`` semaphore lets the task in."""
        assert self.limit is not None
        ran = False
        try:
            async with self.limit:
                if self.failure is None:  # (a sibling failed while this one waited: not started)
                    ran = True
                    await self._guarded(run, task)
        finally:
            if not ran:
                self._count_down()

    async def _guarded(self, run: Run, task: Task) -> None:
        started = time.perf_counter() if run.logging else 0.0
        try:
            try:
                await run_task(run, task)
            except GraphInterrupt as paused:
                run.task_paused(task, paused)  # siblings go on; the step still ends
                return
            except GraphDrained as drained:
                self.drained = drained  # siblings go on; the step ends drained
                return
            self.on_done(task, started)
            persist = run.persist
            if persist.saves_tasks:
                await persist.save_task(task, run.handled)  # durable now, not only when the step commits
        except BaseException as exc:
            if is_cancelled(exc):  # (a node's own CancelledError is a NodeCancelledError by now)
                raise
            if self.failure is None:
                self.failure = exc
                self.failed = task
                # As LangGraph, whose runner acts on a failure only once its waiter wakes up:
                # siblings already able to run on finish what needs no waiting (zero-time
                # yields) and keep their writes; the rest is cancelled.
                for _ in range(FAILURE_GRACE_PASSES):
                    await anyio.lowlevel.cancel_shielded_checkpoint()
                self.group.cancel()
                if not self.slot.done():
                    self.slot.set_result(None)  # (leaving the group waits for the others)
        finally:
            self._count_down()

    def _count_down(self) -> None:
        self.pending -= 1
        if self.pending == 0 and not self.slot.done():
            self.slot.set_result(None)


class Execute(msgspec.Struct, frozen=True, gc=False):  # (gc=False: never in a cycle)
    """Message to a node actor: run ``task`` of the current step. With a ``barrier`` (a step of
    several tasks) the actor starts it in the step's task group and answers at once; without
    one it runs it and answers when it is done."""

    task: Any
    barrier: Any = None


class NodeActor(Actor):
    """The actor of one graph node for a whole run: spawned the first time the node is
    triggered, it runs every task of the node (``Execute``), each with the node's retry policy.

    Its answer to an ``Execute`` without a barrier is the task's failure (or ``interrupt()``),
    or None once the task's writes are on the task: a failing task is the run's concern, not
    the actor's, which goes on serving the next steps. ``executed`` counts the tasks it ran.
    """

    __slots__ = ("run", "node", "executed")

    def __init__(self, run: Run, node: NodeProgram) -> None:
        self.run = run
        self.node = node
        self.executed = 0

    def handle(self, message: Any) -> Coroutine[Any, Any, Exception | None]:
        # (a plain function returning the coroutine to await: one frame fewer per task)
        task = message.task
        self.executed += 1
        run = self.run
        if run.logging:
            run.log.info("task_started", step=run.step, node=task.name, task_id=task.id)
        barrier = message.barrier
        if barrier is not None:
            barrier.start(run, task)  # a child task of this actor, in the step's group
            return _done(None)
        return run_task(run, task, True)


def command_input_writes(run: Run, command: Command[Any]) -> list[tuple[str, Any]]:
    """The writes of a ``Command`` given as graph input (``update`` and ``goto``)."""
    node = run.program.nodes[START]
    pairs: list[tuple[str, Any]] = []
    if command.update is not None:
        _command_update(run, node, command.update, pairs)
    goto = command.goto
    if goto:
        _goto_writes(run, START, list(goto) if isinstance(goto, (list, tuple)) else [goto], pairs)
    return pairs
