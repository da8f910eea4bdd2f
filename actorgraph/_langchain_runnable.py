"""A compiled graph as a LangChain ``Runnable`` (the ``langchain`` extra).

``CompiledGraph`` is not a ``Runnable`` subclass (the core does not depend on langchain-core);
:func:`as_runnable` wraps it in one that runs the graph itself: ``invoke``/``ainvoke``/
``stream``/``astream`` go straight to the graph's own methods, so the graph's run is the only
chain run the callbacks see (no extra wrapper run). That is what ``graph | other``,
``other | graph`` and ``astream_events`` use.

Also the Runnable-style helpers that need no LangChain: :func:`merge_configs`, :func:`abatch`.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import anyio

from . import _langchain

if TYPE_CHECKING:
    from .runtime._compiled import CompiledGraph


def merge_configs(base: dict[str, Any] | None, given: dict[str, Any] | None) -> dict[str, Any]:
    """``given`` over ``base`` as LangChain merges configs: ``metadata`` and ``configurable``
    merged key by key, ``tags`` joined (no duplicates), ``callbacks`` lists joined (a callback
    manager in ``given`` wins), anything else from ``given``."""
    out = dict(base or {})
    for key, value in (given or {}).items():
        if value is None:
            continue
        old = out.get(key)
        if key in ("metadata", "configurable") and isinstance(old, dict):
            out[key] = {**old, **value}
        elif key == "tags" and old:
            out[key] = [*old, *(t for t in value if t not in old)]
        elif key == "callbacks" and isinstance(old, list) and isinstance(value, list):
            out[key] = [*old, *value]
        else:
            out[key] = value
    return out


def batch_configs(config: dict[str, Any] | Sequence[dict[str, Any]] | None, count: int) -> list[dict[str, Any] | None]:
    """One config per input: the same one for all, or a list of exactly ``count``
    (``ValueError`` otherwise)."""
    if config is None or isinstance(config, dict):
        return [config] * count
    configs: list[dict[str, Any] | None] = list(config)
    if len(configs) != count:
        raise ValueError(f"batch got {count} inputs and {len(configs)} configs: give one config, or one per input")
    return configs


async def abatch(graph: CompiledGraph, inputs: Sequence[Any], config: Any, return_exceptions: bool,
                 kwargs: dict[str, Any]) -> list[Any]:
    """Run ``graph.ainvoke`` on every input concurrently (at most ``max_concurrency`` of the
    first config at a time); results in input order. A failure is raised once all runs ended
    (the first failing input's), or returned in its place with ``return_exceptions``."""
    configs = batch_configs(config, len(inputs))
    if not inputs:
        return []
    limit = (configs[0] or {}).get("max_concurrency")
    limiter = anyio.CapacityLimiter(limit) if limit else None
    results: list[Any] = [None] * len(inputs)
    failed: list[bool] = [False] * len(inputs)

    async def one(i: int) -> None:
        try:
            if limiter is None:
                results[i] = await graph.ainvoke(inputs[i], configs[i], **kwargs)
            else:
                async with limiter:
                    results[i] = await graph.ainvoke(inputs[i], configs[i], **kwargs)
        except Exception as exc:
            results[i], failed[i] = exc, True

    async with anyio.create_task_group() as group:
        for i in range(len(inputs)):
            group.start_soon(one, i)
    if not return_exceptions and any(failed):
        raise results[failed.index(True)]
    return results


@functools.cache
def _runnable_class() -> type:
    base = importlib.import_module("langchain_core.runnables").Runnable

    class GraphRunnable(base):  # type: ignore[misc, valid-type]
        """A compiled graph as a LangChain ``Runnable``: every call runs the graph."""

        def __init__(self, graph: CompiledGraph) -> None:
            self.graph = graph
            self.name = graph.name

        def __repr__(self) -> str:
            return f"GraphRunnable({self.graph!r})"

        @property
        def InputType(self) -> Any:  # noqa: N802  (LangChain's name)
            return Any

        @property
        def OutputType(self) -> Any:  # noqa: N802
            return Any

        def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
            return self.graph.invoke(input, config, **kwargs)

        async def ainvoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
            return await self.graph.ainvoke(input, config, **kwargs)

        def stream(self, input: Any, config: Any = None, **kwargs: Any) -> Iterator[Any]:
            return self.graph.stream(input, config, **kwargs)

        def astream(self, input: Any, config: Any = None, **kwargs: Any) -> AsyncIterator[Any]:
            return self.graph.astream(input, config, **kwargs)

        def batch(self, inputs: list[Any], config: Any = None, *, return_exceptions: bool = False,
                  **kwargs: Any) -> list[Any]:
            return self.graph.batch(inputs, config, return_exceptions=return_exceptions, **kwargs)

        async def abatch(self, inputs: list[Any], config: Any = None, *, return_exceptions: bool = False,
                         **kwargs: Any) -> list[Any]:
            return await self.graph.abatch(inputs, config, return_exceptions=return_exceptions, **kwargs)

    return GraphRunnable


def as_runnable(graph: CompiledGraph) -> Any:
    """``graph`` as a LangChain ``Runnable`` (``ImportError`` without langchain-core)."""
    _langchain.require("Using a compiled graph as a LangChain Runnable")
    return _runnable_class()(graph)


def coerce(other: Any) -> Any:
    """``other`` as a Runnable, as ``|`` coerces it (a callable, a dict of them, a Runnable)."""
    _langchain.require("Composing a compiled graph with '|'")
    from .runtime._compiled import CompiledGraph

    if isinstance(other, CompiledGraph):
        return as_runnable(other)
    return importlib.import_module("langchain_core.runnables.base").coerce_to_runnable(other)
