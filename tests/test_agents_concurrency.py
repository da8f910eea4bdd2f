"""How a population runs its ``async def`` agents: in the pool's task while they do not suspend,
each that suspends in one task from start to end, concurrently; failures and cancellation.

Expected values come from plain-Python models of the flows written here (and, for the
root-value graph, from LangGraph 1.2 running the same flow as a ``Send`` fan-out).
"""

from __future__ import annotations

import operator
from contextvars import ContextVar
from typing import Annotated, Any, TypedDict

import anyio
import pytest

from actorgraph import START, Agent, Command, Send, StateGraph
from actorgraph.errors import InvalidUpdateError


class Log(TypedDict):
    log: Annotated[list[Any], operator.add]


def population(cls: type[Agent], keys: list[Any], name: str = "agents") -> Any:
    """A graph whose ``seed`` sends one message to each of ``keys`` of population ``name``."""

    def seed(state: Log) -> Any:
        return [Send(name, 0, key=k) for k in keys]

    return StateGraph(Log).add_node("seed", seed).add_agents(name, cls).add_edge(START, "seed").compile()


def task_id() -> int:
    return anyio.get_current_task().id


# -- agents that never suspend: no task of their own ----------------------------------------


@pytest.mark.anyio
async def test_agents_that_never_suspend_run_in_one_task_in_key_order() -> None:
    seen: list[tuple[int, int]] = []

    class Quiet(Agent):
        async def step(self, messages: list[Any]) -> Any:
            seen.append((self.key, task_id()))
            return {"log": [self.key * 10 + len(messages)]}

    keys = [7, 3, 11, 0, 5, 2, 9, 1]
    result = await population(Quiet, keys).ainvoke({"log": []})
    assert result["log"] == [k * 10 + 1 for k in sorted(keys)]
    assert [k for k, _ in seen] == sorted(keys)
    assert len({t for _, t in seen}) == 1  # one task for the step: none started per agent


@pytest.mark.anyio
async def test_an_await_that_does_not_suspend_needs_no_task() -> None:
    seen: list[int] = []

    async def compute(x: int) -> int:  # a coroutine that never yields to the event loop
        return x * x

    class Calc(Agent):
        async def step(self, messages: list[Any]) -> Any:
            value = await compute(self.key)
            seen.append(task_id())
            return {"log": [value]}

    result = await population(Calc, list(range(6))).ainvoke({"log": []})
    assert result["log"] == [0, 1, 4, 9, 16, 25]
    assert len(set(seen)) == 1


var: ContextVar[str] = ContextVar("var", default="unset")


@pytest.mark.anyio
async def test_each_agent_runs_in_a_context_of_its_own() -> None:
    seen: dict[int, str] = {}

    class Setter(Agent):
        async def step(self, messages: list[Any]) -> Any:
            seen[self.key] = var.get()
            var.set(f"agent {self.key}")
            if self.key % 2:
                await anyio.sleep(0)
                assert var.get() == f"agent {self.key}"  # kept across its own suspension

    await population(Setter, list(range(6))).ainvoke({"log": []})
    assert seen == dict.fromkeys(range(6), "unset")
    assert var.get() == "unset"


# -- agents that suspend: concurrent, each start to end in one task --------------------------


@pytest.mark.anyio
async def test_suspending_agents_run_concurrently_each_in_one_task() -> None:
    """Agent k waits for agent k+1's event: the step completes only if every agent runs while
    the ones before it are suspended."""
    n = 8
    events = [anyio.Event() for _ in range(n)]
    tasks: dict[int, set[int]] = {}

    class Waiter(Agent):
        async def step(self, messages: list[Any]) -> Any:
            mine = tasks.setdefault(self.key, set())
            mine.add(task_id())
            if self.key + 1 < n:
                await events[self.key + 1].wait()
                mine.add(task_id())
            await anyio.sleep(0.001 * (n - self.key))
            mine.add(task_id())
            events[self.key].set()
            return {"log": [self.key]}

    with anyio.fail_after(10):
        result = await population(Waiter, list(range(n))).ainvoke({"log": []})
    assert result["log"] == list(range(n))  # key order, whatever order they finished in
    assert all(len(ids) == 1 for ids in tasks.values())  # never moved between tasks
    assert len(set().union(*tasks.values())) == n  # one task each, as they all suspend


@pytest.mark.anyio
async def test_agents_that_do_not_suspend_go_on_while_an_earlier_one_waits() -> None:
    """Agent 0 waits for an event that agent 5, which never suspends, sets: the quiet agents
    after a suspended one run without waiting for it, in one more task."""
    release = anyio.Event()
    tasks: dict[int, int] = {}

    class Mixed(Agent):
        async def step(self, messages: list[Any]) -> Any:
            tasks[self.key] = task_id()
            if self.key == 0:
                await release.wait()
                assert task_id() == tasks[0]
            if self.key == 5:
                release.set()
            return {"log": [self.key]}

    with anyio.fail_after(10):
        result = await population(Mixed, list(range(8))).ainvoke({"log": []})
    assert result["log"] == list(range(8))
    assert len({tasks[k] for k in range(1, 8)}) == 1
    assert tasks[1] != tasks[0]


@pytest.mark.anyio
async def test_cancel_scopes_timeouts_and_locks_inside_agents() -> None:
    """Scopes entered before an agent's first suspension and left after it, deadlines, and a
    lock held across an await (anyio checks its owner task on release) all work."""
    lock = anyio.Lock()
    inside: list[int] = []

    class Scoped(Agent):
        async def step(self, messages: list[Any]) -> Any:
            kind = self.key % 4
            if kind == 0:
                with anyio.move_on_after(0.02) as scope:
                    await anyio.sleep(30)
                return {"log": [(self.key, "moved on", scope.cancelled_caught)]}
            if kind == 1:
                try:
                    with anyio.fail_after(0.02):
                        await anyio.Event().wait()
                except TimeoutError:
                    return {"log": [(self.key, "timed out", True)]}
                return {"log": [(self.key, "not timed out", False)]}
            if kind == 2:
                async with lock:
                    inside.append(self.key)
                    await anyio.sleep(0.001)
                    assert inside[-1] == self.key  # nobody else inside meanwhile
                return {"log": [(self.key, "locked", True)]}
            with anyio.CancelScope(shield=True):
                await anyio.sleep(0.001)
            return {"log": [(self.key, "shielded", True)]}

    names = {0: "moved on", 1: "timed out", 2: "locked", 3: "shielded"}
    with anyio.fail_after(10):
        result = await population(Scoped, list(range(12))).ainvoke({"log": []})
    assert result["log"] == [(k, names[k % 4], True) for k in range(12)]
    assert sorted(inside) == [2, 6, 10]


@pytest.mark.anyio
async def test_an_expired_deadline_fails_the_step_naming_the_agent() -> None:
    class Slow(Agent):
        async def step(self, messages: list[Any]) -> Any:
            with anyio.fail_after(0.01 if self.key == 2 else 30):
                await anyio.sleep(0.5 if self.key == 2 else 0)
            return {"log": [self.key]}

    with anyio.fail_after(10):
        with pytest.raises(TimeoutError) as info:
            await population(Slow, list(range(4))).ainvoke({"log": []})
    assert "During step 2 of agent 2 of population 'agents'" in info.value.__notes__


# -- failures ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_failure_cancels_the_agent_suspended_in_the_pools_task() -> None:
    """Agent 0 suspends first (so it runs in the pool's task); agent 1 then fails without
    suspending: agent 0 is cancelled, and agents after the failure are not started."""
    started: list[int] = []
    cancelled: list[int] = []

    class Failing(Agent):
        async def step(self, messages: list[Any]) -> Any:
            started.append(self.key)
            if self.key == 1:
                raise ValueError("boom")
            try:
                await anyio.sleep(30)
            except anyio.get_cancelled_exc_class():
                cancelled.append(self.key)
                raise

    with anyio.fail_after(10):
        with pytest.raises(ValueError, match="boom") as info:
            await population(Failing, list(range(5))).ainvoke({"log": []})
    assert started == [0, 1]
    assert cancelled == [0]
    assert "During step 2 of agent 1 of population 'agents'" in info.value.__notes__


@pytest.mark.anyio
async def test_a_failure_after_a_suspension_cancels_every_sibling() -> None:
    cancelled: list[int] = []
    finished: list[int] = []

    class Failing(Agent):
        async def step(self, messages: list[Any]) -> Any:
            try:
                await anyio.sleep(0.01 if self.key == 0 else 30)
            except anyio.get_cancelled_exc_class():
                cancelled.append(self.key)
                raise
            if self.key == 0:
                raise KeyError("lost")
            finished.append(self.key)

    with anyio.fail_after(10):
        with pytest.raises(KeyError, match="lost") as info:
            await population(Failing, list(range(5))).ainvoke({"log": []})
    assert sorted(cancelled) == [1, 2, 3, 4]
    assert finished == []
    assert info.value.__notes__[0] == "During step 2 of agent 0 of population 'agents'"


@pytest.mark.anyio
async def test_a_failure_before_any_suspension_stops_the_step() -> None:
    started: list[int] = []

    class Quiet(Agent):
        async def step(self, messages: list[Any]) -> Any:
            started.append(self.key)
            if self.key == 3:
                raise RuntimeError("bad agent")
            return {"log": [self.key]}

    with pytest.raises(RuntimeError, match="bad agent") as info:
        await population(Quiet, list(range(6))).ainvoke({"log": []})
    assert started == [0, 1, 2, 3]
    assert "During step 2 of agent 3 of population 'agents'" in info.value.__notes__


# -- cancelling the run -----------------------------------------------------------------------


@pytest.mark.anyio
async def test_cancelling_the_run_cancels_every_suspended_agent() -> None:
    n = 6
    waiting: list[int] = []
    cancelled: list[int] = []
    quiet: list[int] = []
    all_waiting = anyio.Event()

    class Sleeper(Agent):
        async def step(self, messages: list[Any]) -> Any:
            if self.key % 2:
                quiet.append(self.key)
                return {"log": [self.key]}
            waiting.append(self.key)
            if len(waiting) == n // 2:
                all_waiting.set()
            try:
                await anyio.sleep_forever()
            except anyio.get_cancelled_exc_class():
                cancelled.append(self.key)
                raise

    graph = population(Sleeper, list(range(n)))
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(graph.ainvoke, {"log": []})
            await all_waiting.wait()
            tg.cancel_scope.cancel()
    assert sorted(waiting) == [0, 2, 4]
    assert sorted(cancelled) == [0, 2, 4]
    assert quiet == [1, 3, 5]


@pytest.mark.anyio
async def test_a_run_goes_on_after_an_agent_times_out_and_later_steps_reuse_the_agents() -> None:
    """Several steps of a mix of quiet and suspending agents, with a per-step time limit that
    one agent hits in step 2: a plain-Python model gives the same log."""
    rounds = 4

    class Walker(Agent):
        def __init__(self, key: int) -> None:
            super().__init__(key)
            self.state = 0

        async def step(self, messages: list[Any]) -> Any:
            self.state += sum(messages)
            timed_out = False
            if self.key % 3 == 0:
                with anyio.move_on_after(0.02) as scope:
                    await anyio.sleep(30 if self.round == 2 and self.key == 3 else 0.001)
                timed_out = scope.cancelled_caught
            sends = [Send("agents", self.round, key=(self.key + 1) % 5)] if self.round < rounds else []
            return Command(update={"log": [(self.round, self.key, self.state, timed_out)]}, goto=sends)

    model: list[tuple[int, int, int, bool]] = []
    inbox = {k: [0] for k in range(5)}
    states = dict.fromkeys(range(5), 0)
    for r in range(1, rounds + 1):
        nxt: dict[int, list[int]] = {}
        for k in sorted(inbox):
            states[k] += sum(inbox[k])
            model.append((r, k, states[k], r == 2 and k == 3))
            if r < rounds:
                nxt.setdefault((k + 1) % 5, []).append(r)
        inbox = nxt

    with anyio.fail_after(10):
        result = await population(Walker, list(range(5))).ainvoke({"log": []})
    assert result["log"] == model


# -- a root-value graph ------------------------------------------------------------------------


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    return {**a, **b}


@pytest.mark.anyio
@pytest.mark.parametrize("asynchronous", [False, True])
async def test_agents_of_a_root_value_graph_return_the_value_itself(asynchronous: bool) -> None:
    """LangGraph 1.2, the same flow as a Send fan-out in ``StateGraph(Annotated[dict, merge])``
    from ``{"x": 0}`` (tasks in key order): ``{'x': 0, 'k0': [0], 'last': 2, 'k1': [1],
    'k2': [2]}``: each dict returned is an update of the root value, not key updates."""

    class Rooted(Agent):
        def step(self, messages: list[Any]) -> Any:
            return {f"k{self.key}": messages, "last": self.key}

    class AsyncRooted(Rooted):
        async def step(self, messages: list[Any]) -> Any:  # type: ignore[override]
            return Rooted.step(self, messages)

    def seed(state: dict[str, Any]) -> Any:
        return Command(goto=[Send("agents", k, key=k) for k in range(3)])

    graph = (StateGraph(Annotated[dict, _merge]).add_node("seed", seed)
             .add_agents("agents", AsyncRooted if asynchronous else Rooted).add_edge(START, "seed").compile())
    assert await graph.ainvoke({"x": 0}) == {"x": 0, "k0": [0], "last": 2, "k1": [1], "k2": [2]}


def _returning(update: Any) -> Any:
    def node(state: dict[str, Any]) -> Any:
        return Command(update=update)

    return StateGraph(Annotated[dict, _merge]).add_node("n", node).add_edge(START, "n").compile()


@pytest.mark.anyio
async def test_a_commands_dict_update_in_a_root_value_graph_is_key_updates() -> None:
    """LangGraph 1.2, ``StateGraph(Annotated[dict, merge])`` from ``{"x": 0}``: a node returning
    ``Command(update={"__root__": {"a": 3}})`` gives ``{'x': 0, 'a': 3}``; one returning
    ``Command(update={"a": 2})`` writes the unknown channel ``a`` (LangGraph drops it with a
    log line; actorgraph raises, as for any unknown key: README, deliberate differences)."""
    assert await _returning({"__root__": {"a": 3}}).ainvoke({"x": 0}) == {"x": 0, "a": 3}
    with pytest.raises(InvalidUpdateError, match=r"Node 'n' at step 1 wrote unknown key 'a' \(state keys: __root__\)"):
        await _returning({"a": 2}).ainvoke({"x": 0})


@pytest.mark.anyio
async def test_an_agents_command_in_a_root_value_graph_updates_keys() -> None:
    """As the node above: ``Command(update={"__root__": value})`` from each agent, in key order."""

    class Rooted(Agent):
        async def step(self, messages: list[Any]) -> Any:
            return Command(update={"__root__": {f"k{self.key}": messages, "last": self.key}})

    def seed(state: dict[str, Any]) -> Any:
        return Command(goto=[Send("agents", k, key=k) for k in range(3)])

    graph = (StateGraph(Annotated[dict, _merge]).add_node("seed", seed).add_agents("agents", Rooted)
             .add_edge(START, "seed").compile())
    assert await graph.ainvoke({"x": 0}) == {"x": 0, "k0": [0], "last": 2, "k1": [1], "k2": [2]}
