"""Running agent populations: the pool actor that hosts a population's keyed agents.

A population (``StateGraph.add_agents``) is a node whose trigger channels are its inbox (the
``Send``s with a key, collected by the step barrier like any write) and its ``branch:to``
channel (clock ticks). When it is triggered, its node task asks the population's
:class:`AgentPool` — one inline actor per population per run (``agents:<name>`` in the run's
actor tree), alive for the run — to run one super-step:

1. group the inbox by key, in inbox order (the barrier applies writes in task order, and each
   task's writes in the order its agents are listed: the order is deterministic whatever order
   the agents finished in);
2. the agents to run: those with messages, plus the awake ones of a clock-driven population,
   sorted by key; each is created on first use (``factory(key)``, then its saved ``state`` when
   the run's checkpoint has one) and kept for the run;
3. run them: ``def step`` agents one after another on the event loop, ``async def`` ones
   concurrently in a task group (the first failure cancels the others);
4. collect, agent by agent in key order, what each returned (state updates, ``Send``s,
   ``Command``s: as a node's return) and, with a checkpointer, the agents whose serialized
   ``state`` (or awake flag) changed: one ``AgentJournal`` entry each.

Nothing in a step touches an agent that does not run in it: the cost of a step is proportional
to the agents that ran (and the messages), not to the population.
"""

from __future__ import annotations

import math
import types
from collections.abc import Coroutine, Generator, Iterator, Mapping, Sequence
from contextvars import Context, copy_context
from typing import TYPE_CHECKING, Any, NamedTuple

import msgspec
from anyio import CancelScope

from ..actors import Actor
from ..actors._group import TaskGroup
from ..channels import AgentJournal
from ..errors import AgentAddressError, AgentError
from ..graph._agents import Agent, AgentSpec, is_async_step, round_channel, state_channel
from ..graph._constants import branch_channel
from ..persistence import MsgpackSerializer
from ..persistence._errors import SerializationError
from ..types import Command, Send
from ._context import current_task
from ._task import Writes, _add_pairs, _collect, _goto_writes, is_cancelled

if TYPE_CHECKING:
    from ._compiled import CompiledGraph
    from ._loop import Run

_serde = MsgpackSerializer()
"""Agent states are serialized with the default serializer (deterministic bytes: an unchanged
state is recognised by them); the saver's own serializer then stores the journal."""


async def run_population(spec: AgentSpec, inbox: list[Send] | None) -> Writes:
    """One super-step of population ``spec`` (the node function of a population)."""
    ctx = current_task.get()
    assert ctx is not None, "an agent population runs as a node task"
    run: Run = ctx.run
    actor_name = "agents:" + spec.name
    ref = run.node_actors.get(actor_name)
    if ref is None:
        assert run.sup is not None, "the run is not hosted"
        ref = run.node_actors[actor_name] = run.sup.spawn_inline(AgentPool(run, spec), name=actor_name)
    writes, failure = await ref.ask(Deliver(inbox), timeout=math.inf)
    if failure is not None:
        raise failure
    return writes  # type: ignore[no-any-return]


class Deliver(msgspec.Struct, frozen=True):
    """Message to an :class:`AgentPool`: run one super-step with ``inbox`` (the ``Send``s to the
    population, in barrier order; None when only a clock tick triggered it). Answered with
    ``(writes, None)`` or ``(None, failure)``."""

    inbox: Any


class AgentPool(Actor):
    """Hosts the agents of one population for one run: one instance per key, created on first
    use, kept until the run ends. ``stepped`` counts agent steps run, ``created`` agents made."""

    def __init__(self, run: Run, spec: AgentSpec) -> None:
        self.run = run
        self.spec = spec
        self.agents: dict[Any, Agent] = {}
        self.awake: set[Any] | None = None  # clock-driven: agents that run next step (loaded lazily)
        self.durable = run.persist.active
        self.stepped = 0
        self.created = 0
        self._is_async: dict[type, bool] = {}

    async def handle(self, message: Any) -> tuple[Writes | None, BaseException | None]:
        try:
            return await self.deliver(message.inbox), None
        except Exception as exc:  # the run's concern: the pool goes on serving the run
            return None, exc

    def _journal(self) -> AgentJournal:
        channel = self.run.state.channels[state_channel(self.spec.name)]
        assert isinstance(channel, AgentJournal)
        return channel

    async def deliver(self, inbox: list[Send] | None) -> Writes:
        spec = self.spec
        name = spec.name
        run = self.run
        index = self._journal().index
        clock = spec.clock
        awake = self.awake
        if awake is None:
            awake = self.awake = {k for k, e in index.items() if e[3]} if clock else set()
        boxes: dict[Any, list[Any]] = {}
        if inbox:
            try:
                for send in inbox:
                    box = boxes.get(send.key)
                    if box is None:
                        boxes[send.key] = [send.arg]
                    else:
                        box.append(send.arg)
            except TypeError as exc:
                raise AgentAddressError(f"agent population '{name}': key {send.key!r} is not hashable") from exc
        active: Any = boxes.keys() | awake if clock else boxes.keys()
        keys = _sorted(active)
        step = run.step
        counter = run.state.channels[round_channel(name)]
        round_ = counter.get() + 1 if counter.is_available() else 1
        agents = [self._agent(key, index) for key in keys]
        empty: list[Any] = []
        messages = [boxes.get(key, empty) for key in keys]
        results: list[Any] = [None] * len(keys)
        concurrent: list[int] = []
        is_async = self._is_async
        for i, agent in enumerate(agents):
            agent.round = round_
            agent.superstep = step
            agent._halted = False
            kind = type(agent)
            asynchronous = is_async.get(kind)
            if asynchronous is None:
                asynchronous = is_async[kind] = is_async_step(agent)
            if asynchronous:
                concurrent.append(i)
            else:
                try:
                    results[i] = agent.step(messages[i])
                except Exception as exc:
                    exc.add_note(_where(name, agent.key, step))
                    raise
        if len(concurrent) == 1:
            i = concurrent[0]
            try:
                results[i] = await agents[i].step(messages[i])
            except Exception as exc:
                exc.add_note(_where(name, agents[i].key, step))
                raise
        elif concurrent:
            await _run_concurrently(name, step, agents, messages, concurrent, results)
        self.stepped += len(agents)
        writes = self._writes(agents, results, index, awake)
        writes.append((round_channel(name), round_))
        return writes

    def _agent(self, key: Any, index: dict[Any, Sequence[Any]]) -> Agent:
        agent = self.agents.get(key)
        if agent is not None:
            return agent
        spec = self.spec
        agent = spec.factory(key)
        if not isinstance(agent, Agent):
            raise AgentError(f"agent population '{spec.name}': the factory returned "
                             f"{type(agent).__name__} for key {key!r}, not an Agent")
        agent.key = key
        entry = index.get(key)
        if entry is not None:
            agent.state = _serde.loads_typed((entry[1], entry[2]))
        self.agents[key] = agent
        self.created += 1
        return agent

    def _writes(self, agents: list[Agent], results: list[Any], index: dict[Any, Sequence[Any]],
                awake: set[Any]) -> Writes:
        """The step's writes, agent by agent in key order; then the journal entries of agents
        whose state changed, and the clock tick when some agent stays awake."""
        run = self.run
        spec = self.spec
        node = run.program.nodes[spec.name]
        clock = spec.clock
        durable = self.durable
        writes = Writes()
        entries: list[tuple[Any, ...]] = []
        inboxes = run.program.inboxes
        keyed = not run.program.root_key  # a root-value graph: a dict is the value itself (_collect)
        for agent, result in zip(agents, results):
            if result is not None:
                try:
                    kind = type(result)
                    if kind is dict and keyed:
                        _add_pairs(run, node, result.items(), writes)
                    elif kind is Send:
                        _send(run, spec.name, inboxes, result, writes)
                    elif kind is list and all(type(r) is Send for r in result):  # ([]: no Sends)
                        for send in result:
                            _send(run, spec.name, inboxes, send, writes)
                    elif kind is Command and result.graph is None and type(result.goto) is list:
                        # what _collect does with a Command, without building a goto list
                        update = result.update
                        if type(update) is dict and keyed:
                            _add_pairs(run, node, update.items(), writes)
                        elif update is not None:
                            _collect(run, node, Command(update=update), writes, [])
                        for send in result.goto:
                            _send(run, spec.name, inboxes, send, writes)
                    else:
                        gotos: list[Any] = []
                        _collect(run, node, result, writes, gotos)
                        if gotos:
                            _goto_writes(run, spec.name, gotos, writes)
                except Exception as exc:
                    exc.add_note(_where(spec.name, agent.key, run.step))
                    raise
            stays = clock and not agent._halted
            if clock:
                if stays:
                    awake.add(agent.key)
                else:
                    awake.discard(agent.key)
            if durable:
                key = agent.key
                try:
                    tag, data = _serde.dumps_typed(agent.state)
                except SerializationError as exc:
                    raise AgentError(f"agent population '{spec.name}', key {key!r}: its state cannot be "
                                     f"stored ({exc})") from exc
                old = index.get(key)
                if old is None or old[2] != data or old[3] != stays or old[1] != tag:
                    entries.append((key, tag, data, stays))  # (immutable: see persistence._rows._mark)
        writes = _coalesce(writes, inboxes)
        if entries:
            writes.append((state_channel(spec.name), entries))
        if clock and awake:
            writes.append((branch_channel(spec.name), None))
        return writes


async def _run_concurrently(name: str, step: int, agents: list[Agent], messages: list[list[Any]],
                            which: list[int], results: list[Any]) -> None:
    """Run the async agents ``which`` concurrently, starting a task only for an agent that
    actually suspends; the first failure cancels the others and is raised (with a note naming
    the agent).

    A *chain* runs the agents from a position on, in the task it is in: it steps each agent's
    coroutine once (``send(None)``, in a copy of the task's context, as a task of its own would
    run it). An agent that returns without suspending needs no task: the chain goes on with the
    next one. The first agent that suspends stays in the chain's task until it returns (its
    yield is passed on to the event loop, and whatever the loop sends or throws back is passed
    to the agent: :func:`_resume`), and the rest of the list goes to a new chain, started as a
    child task first, so that it does not wait. Each agent thus runs start to end in one task,
    so cancel scopes, locks and every anyio primitive an agent holds across an ``await`` stay
    with the task that took them, on asyncio and on trio. A step whose agents never suspend
    runs in the pool's task alone; one whose agents all suspend has one task per agent (the
    first in the pool's task), as before.
    """
    failure: list[BaseException] = []
    count = len(which)
    scope = CancelScope()

    def fail(exc: BaseException, agent: Agent) -> None:
        if not failure:
            exc.add_note(_where(name, agent.key, step))
            failure.append(exc)
            group.cancel()
            scope.cancel()  # the chain in the pool's task too (a nursery's cancel reaches it on trio)

    async def chain(pos: int) -> None:
        while pos < count and not failure:
            i = which[pos]
            agent = agents[i]
            pos += 1
            context = copy_context()
            try:
                coro = agent.step(messages[i])
                yielded = context.run(coro.send, None)
            except StopIteration as stop:
                results[i] = stop.value
                continue
            except BaseException as exc:
                if is_cancelled(exc):
                    raise
                fail(exc, agent)
                return
            if pos < count:
                try:
                    group.start_soon(chain, pos)
                except BaseException:  # the group is shutting down: the agent ends here
                    context.run(coro.close)
                    raise
            try:
                results[i] = await _resume(coro, yielded, context)
            except BaseException as exc:
                if is_cancelled(exc):
                    raise
                fail(exc, agent)
            return

    async with TaskGroup() as group:
        with scope:
            await chain(0)
    if failure:
        raise failure[0]


@types.coroutine
def _resume(coro: Coroutine[Any, Any, Any], yielded: Any, context: Context) -> Generator[Any, Any, Any]:
    """Drive ``coro``, which has suspended with ``yielded``, to its end in the awaiting task:
    pass each yield to the event loop and each value or exception back (in ``context``), as
    ``await`` does for a coroutine it starts itself."""
    run = context.run
    send = coro.send
    throw = coro.throw
    while True:
        try:
            value = yield yielded
        except GeneratorExit:
            run(coro.close)
            raise
        except BaseException as exc:
            try:
                yielded = run(throw, exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                yielded = run(send, value)
            except StopIteration as stop:
                return stop.value


def _coalesce(writes: Writes, inboxes: dict[str, str]) -> Writes:
    """The messages to each population as ONE write (a list, which the inbox channel takes item
    by item, in order): a step stores one pending write per inbox, not one per message."""
    boxes: dict[str, list[Any]] = {}
    out = Writes()
    targets = set(inboxes.values())
    for channel, value in writes:
        if channel in targets:
            box = boxes.get(channel)
            if box is None:
                boxes[channel] = [value]
            else:
                box.append(value)
        else:
            out.append((channel, value))
    for channel, box in boxes.items():
        out.append((channel, box))
    return out


def _send(run: Run, source: str, inboxes: dict[str, str], goto: Any, writes: Writes) -> None:
    """The write of one ``goto`` of an agent: a ``Send`` with a key to a population's inbox
    directly; anything else as a node's goto (``_goto_writes``: its checks and warnings)."""
    if type(goto) is Send and goto.key is not None:
        inbox = inboxes.get(goto.node)
        if inbox is not None:
            writes.append((inbox, goto))
            return
    _goto_writes(run, source, [goto], writes)


def _where(name: str, key: Any, step: int) -> str:
    return f"During step {step} of agent {key!r} of population '{name}'"


def _sorted(keys: Any) -> list[Any]:
    """Keys in a deterministic order: their own, or by type name first when types mix."""
    if len(keys) < 2:
        return list(keys)
    try:
        return sorted(keys)
    except TypeError:
        return sorted(keys, key=lambda k: (type(k).__name__, k))


# -- reading agents back -------------------------------------------------------------------


class AgentPage(NamedTuple):
    """One page of a population's agents at a checkpoint (``CompiledGraph.get_agents``).

    ``states``: key -> private state, for the keys of this page in key order; ``awake``: the
    keys of this page that run in the next step without a message (clock-driven); ``total``: the
    number of agents of the population; ``next_offset``: the offset of the next page, or None.
    """

    states: dict[Any, Any]
    awake: frozenset[Any]
    total: int
    next_offset: int | None


class AgentStates(Mapping[Any, Any]):
    """A population's agents as ``get_state`` shows them (``snapshot.values[name]``): a
    read-only mapping key -> private state, in key order, each state decoded when read (a
    population may hold many agents). :meth:`page` reads them a page at a time."""

    __slots__ = ("_index",)

    def __init__(self, index: Mapping[Any, Sequence[Any]]) -> None:
        self._index = index

    def __getitem__(self, key: Any) -> Any:
        entry = self._index[key]
        return _serde.loads_typed((entry[1], entry[2]))

    def __iter__(self) -> Iterator[Any]:
        return iter(_sorted(self._index.keys()))

    def __len__(self) -> int:
        return len(self._index)

    def __repr__(self) -> str:
        return f"<AgentStates: {len(self._index)} agents>"

    def page(self, offset: int = 0, limit: int = 100, keys: Sequence[Any] | None = None) -> AgentPage:
        """The states of ``keys``, or of ``limit`` agents from ``offset`` in key order."""
        if offset < 0 or limit < 1:
            raise ValueError(f"offset must be >= 0 and limit >= 1 (got offset={offset}, limit={limit})")
        index = self._index
        if keys is not None:
            chosen = [k for k in keys if k in index]
            next_offset = None
        else:
            ordered = _sorted(index.keys())
            chosen = ordered[offset:offset + limit]
            next_offset = offset + limit if offset + limit < len(ordered) else None
        return AgentPage({k: self[k] for k in chosen}, frozenset(k for k in chosen if index[k][3]), len(index),
                         next_offset)


def with_agents(program: Any, channels: Mapping[str, Any], values: Any) -> Any:
    """``values`` (a snapshot's) plus an :class:`AgentStates` per agent population."""
    if not program.inboxes or not isinstance(values, dict):
        return values
    for name in program.inboxes:
        journal = channels.get(state_channel(name))
        if name not in values and isinstance(journal, AgentJournal):
            values[name] = AgentStates(journal.index)
    return values


async def aget_agents(graph: CompiledGraph, config: dict[str, Any], name: str, *,
                      keys: Sequence[Any] | None = None, offset: int = 0, limit: int = 100) -> AgentPage:
    """The private states of population ``name``'s agents at the thread's checkpoint (the
    newest, or the one ``checkpoint_id`` names): those of ``keys``, or a page of ``limit``
    agents from ``offset`` in key order."""
    program = graph._program
    if name not in program.inboxes:
        populations = ", ".join(sorted(program.inboxes)) or "none"
        raise AgentAddressError(f"graph '{program.name}' has no agent population '{name}' (populations: {populations})")
    saver = graph.checkpointer
    if saver is None or isinstance(saver, bool):
        raise ValueError("get_agents needs a graph compiled with a checkpointer")
    configurable = dict(config.get("configurable") or {})
    if configurable.get("thread_id") is None:
        raise ValueError("get_agents needs config['configurable']['thread_id']")
    configurable.setdefault("checkpoint_ns", "")
    saved = await saver.aget_tuple({**config, "configurable": configurable})
    log = saved.checkpoint.channel_values.get(state_channel(name), []) if saved is not None else []
    return AgentStates({entry[0]: entry for entry in log}).page(offset, limit, keys)
