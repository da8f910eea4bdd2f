"""Agent populations: keyed agents run in the BSP loop (``StateGraph.add_agents``).

An agent population is a node of the graph whose work is done by many small, long-lived,
keyed agents instead of one function. ``Send(name, payload, key=k)`` sends a message to agent
``k``; in the next super-step the population delivers every agent the messages sent to it in
the previous one (in a deterministic order) and runs the agents that got messages — plus, in a
clock-driven population, every agent that has not voted to halt — concurrently. What an agent
returns is what a node returns: state updates for the shared channels (reducers as usual),
``Send``s (to agents or nodes), a ``Command``. Its private ``state`` is checkpointed with the
run (only the agents whose state changed in a step) and restored on resume and time travel.

This module is the graph-layer half: :class:`Agent`, the population's spec and the channels
and node a compiled graph gets for it. Running a population is ``runtime._agents``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Final

from ..errors import GraphValidationError

INBOX_PREFIX: Final = "agents:inbox:"
STATE_PREFIX: Final = "agents:state:"
ROUND_PREFIX: Final = "agents:round:"


def inbox_channel(name: str) -> str:
    """The channel collecting the messages (``Send``s with a key) to population ``name``."""
    return INBOX_PREFIX + name


def state_channel(name: str) -> str:
    """The channel holding population ``name``'s private agent states (an ``AgentJournal``)."""
    return STATE_PREFIX + name


def round_channel(name: str) -> str:
    """The channel counting population ``name``'s rounds (super-steps it ran in)."""
    return ROUND_PREFIX + name


class Agent:
    """Base class of the agents of a population (``StateGraph.add_agents(name, AgentClass)``).

    One instance per key, created (``AgentClass(key)``) the first time a message is sent to that
    key, alive for the rest of the run. Subclasses override :meth:`step` (``def`` or
    ``async def``) and keep what must survive super-steps, crashes and resumes in
    :attr:`state` (any value the default serializer stores: dicts, lists, dataclasses,
    ``msgspec.Struct``s, ...). Other attributes are caches: a resumed run builds the agent again
    with ``AgentClass(key)`` and then sets ``state`` to the saved value.

    Attributes the runtime sets before each :meth:`step`: :attr:`key`; :attr:`round`, the
    population's logical clock (1 in the first super-step the population runs, one more in each
    super-step it runs after that; checkpointed: a resumed or replayed run sees the same rounds);
    :attr:`superstep`, the run's super-step number (a replay from an older checkpoint adds a
    ``fork`` checkpoint, so its super-steps are one later: seed simulations with ``round``).
    """

    __slots__ = ("key", "state", "round", "superstep", "_halted")

    def __init__(self, key: Any) -> None:
        self.key = key
        self.state: Any = None
        self.round = 0
        self.superstep = -1
        self._halted = False

    def step(self, messages: list[Any]) -> Any:
        """Handle ``messages`` (the payloads sent to this agent in the previous super-step, in
        order; empty for an awake agent of a clock-driven population that got none).

        Return what a node returns: ``None``, a dict of state updates, a ``Send`` or a list of
        them, or a ``Command(update=..., goto=...)``. May be ``async def``.
        """
        raise NotImplementedError(f"{type(self).__name__} must define step(self, messages)")

    def halt(self) -> None:
        """Vote to halt (clock-driven populations): do not run in the next super-step unless a
        message arrives. An agent of a message-driven population halts after every step."""
        self._halted = True


class AgentSpec:
    """What ``add_agents`` recorded: the population's name, its agent factory, its mode."""

    __slots__ = ("name", "factory", "clock", "metadata")

    def __init__(self, name: str, factory: Callable[[Any], Agent], clock: bool,
                 metadata: dict[str, Any] | None) -> None:
        self.name = name
        self.factory = factory
        self.clock = clock
        self.metadata = metadata


def check_factory(name: str, factory: Any) -> None:
    """``GraphValidationError`` unless ``factory`` makes agents (an ``Agent`` subclass, or a
    callable ``factory(key)`` returning one)."""
    if isinstance(factory, type):
        if not issubclass(factory, Agent):
            raise GraphValidationError(
                f"add_agents('{name}', {factory.__name__}): the agent class must subclass actorgraph.Agent")
        if factory.step is Agent.step:
            raise GraphValidationError(f"add_agents('{name}', {factory.__name__}): the agent class defines no step()")
        return
    if not callable(factory):
        raise GraphValidationError(
            f"add_agents('{name}', ...): expected an Agent subclass or a factory(key) -> Agent, "
            f"got {type(factory).__name__}")


class PopulationCall:
    """The node function of a population: runs one super-step of its agents (see
    ``runtime._agents.run_population``). Takes the inbox (the step's ``Send``s, or ``None``)."""

    __slots__ = ("spec",)

    def __init__(self, spec: AgentSpec) -> None:
        self.spec = spec

    async def __call__(self, inbox: Any) -> Any:
        from ..runtime._agents import run_population  # the layer above, needed only at run time

        return await run_population(self.spec, inbox)


def is_async_step(agent: Agent) -> bool:
    """Whether ``agent.step`` is a coroutine function."""
    return inspect.iscoroutinefunction(agent.step)
