"""What a run was asked to do: its options, read once from its config and its caller's
arguments when the run is made (a subgraph run inherits its root's sync flags)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

DEFAULT_RECURSION_LIMIT = 10007
"""Super-steps a run may take unless ``config["recursion_limit"]`` says otherwise (LangGraph's default)."""


class RunOptions(msgspec.Struct, frozen=True):
    """A run's options (``run.options``); they do not change while it runs.

    ``sync_api``: the run is inside ``CompiledGraph.invoke``'s private event loop (see
    ``_task.call_node``). ``sync_caller``: started by ``invoke()``/``stream()``/``batch()`` (a
    subgraph: its root's), where async ``@task`` calls are refused.
    """

    recursion_limit: int = DEFAULT_RECURSION_LIMIT
    max_concurrency: int | None = None  # at most that many tasks of a step run at once
    interrupt_before: frozenset[str] = frozenset()  # static breakpoints ("*": every node)
    interrupt_after: frozenset[str] = frozenset()
    subgraphs: bool = False  # the events of subgraph runs are streamed too
    sync_api: bool = False
    sync_caller: bool = False

    @classmethod
    def read(cls, config: dict[str, Any], *, subgraphs: bool, interrupt_before: Iterable[str],
             interrupt_after: Iterable[str], sync_api: bool, sync_caller: bool) -> RunOptions:
        """The options of a run with ``config`` (``ValueError``/``TypeError`` for a bad
        ``recursion_limit`` or ``max_concurrency``)."""
        return cls(recursion_limit=recursion_limit(config),
                   max_concurrency=max_concurrency(config), interrupt_before=frozenset(interrupt_before),
                   interrupt_after=frozenset(interrupt_after), subgraphs=subgraphs, sync_api=sync_api,
                   sync_caller=sync_caller)


def recursion_limit(config: dict[str, Any]) -> int:
    """``config["recursion_limit"]``: the super-steps a run may take (``ValueError`` below 1)."""
    limit = config.get("recursion_limit", DEFAULT_RECURSION_LIMIT)
    if not isinstance(limit, int) or limit < 1:
        raise ValueError("recursion_limit must be at least 1")
    return limit


def max_concurrency(config: dict[str, Any]) -> int | None:
    """``config["max_concurrency"]``: at most that many tasks of a step run at once (``None`` or
    ``0``: no bound, as LangGraph treats a falsy value)."""
    bound = config.get("max_concurrency")
    if not bound:
        return None
    if not isinstance(bound, int) or isinstance(bound, bool):
        raise TypeError(f"config['max_concurrency'] takes a positive int, got {bound!r}")
    if bound < 0:
        raise ValueError(f"config['max_concurrency'] must be positive, got {bound}")
    return bound
