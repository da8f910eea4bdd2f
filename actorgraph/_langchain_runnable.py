"""A compiled graph as a LangChain ``Runnable`` (the ``langchain`` extra).

``CompiledGraph`` is not a ``Runnable`` subclass (the core does not depend on langchain-core);
:func:`as_runnable` wraps it in one that runs the graph itself: ``invoke``/``ainvoke``/
``stream``/``astream`` go straight to the graph's own methods, so the graph's run is the only
chain run the callbacks see (no extra wrapper run). That is what ``graph | other``,
``other | graph`` and ``astream_events`` use.

Also the Runnable-style helpers that need no LangChain: :func:`merge_configs`, :func:`abatch`.

A compiled graph is also a LangChain ``Runnable`` itself, as LangGraph's is, once langchain-core
is imported: :func:`register_runnable` makes ``CompiledGraph`` a virtual subclass of
``Runnable`` (``isinstance(graph, Runnable)``), so that LangChain's own composition takes it
as it is: ``prompt | graph``, ``runnable | graph | parser``, ``RunnableParallel(a=graph)``.
When langchain-core is imported after actorgraph, an import hook registers it the moment
``langchain_core.runnables.base`` has been executed (actorgraph never imports langchain-core
itself for this). :class:`RunnableMethods` gives the graph the rest of what LangChain calls on
a step (``transform``, ``get_name``, ``config_specs``...) and LangChain's own combinators
(``with_retry``, ``pick``, ``assign``...), borrowed from ``Runnable``.
"""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
import types
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

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


def sequence(first: Any, last: Any) -> Any:
    """``first | last`` as LangChain's ``RunnableSequence`` (either may be a compiled graph,
    a ``Runnable`` by then), flattened as LangChain flattens sequences."""
    runnables = importlib.import_module(_BASE)
    return runnables.RunnableSequence(first, last)


def coerce(other: Any) -> Any:
    """``other`` as a Runnable, as ``|`` coerces it (a callable, a dict of them, a Runnable)."""
    _langchain.require("Composing a compiled graph with '|'")
    from .runtime._compiled import CompiledGraph

    if isinstance(other, CompiledGraph):
        return other
    return importlib.import_module("langchain_core.runnables.base").coerce_to_runnable(other)


# -- a compiled graph as a Runnable itself ---------------------------------------------------

_BASE = "langchain_core.runnables.base"
_registered: list[type] = []
_lock = threading.Lock()


def register_runnable(cls: type) -> None:
    """Make ``cls`` a virtual subclass of LangChain's ``Runnable``: now when langchain-core's
    runnables are imported, else as soon as they are (an import hook on
    ``langchain_core.runnables.base``). Never imports langchain-core."""
    with _lock:
        _registered.append(cls)
        module = sys.modules.get(_BASE)
        if module is not None and hasattr(module, "Runnable"):
            module.Runnable.register(cls)
        elif not any(isinstance(f, _RegisterOnImport) for f in sys.meta_path):
            sys.meta_path.insert(0, _RegisterOnImport())


def _register_all(module: types.ModuleType) -> None:
    with _lock:
        for cls in _registered:
            module.Runnable.register(cls)
        sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _RegisterOnImport)]


class _RegisterOnImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the loader of ``langchain_core.runnables.base`` (found by
    the finders after it) so that the registered classes become ``Runnable`` subclasses as
    soon as the module has run."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != _BASE:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec: importlib.machinery.ModuleSpec | None = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _RegisteringLoader(spec.loader)
                return spec
        return None


class _RegisteringLoader(importlib.abc.Loader):
    """The module's own loader, registering the classes once the module has executed."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        module: types.ModuleType | None = self.loader.create_module(spec)
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__loader__ = self.loader
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        _register_all(module)

    def __getattr__(self, name: str) -> Any:  # get_source, get_filename... of the real loader
        return getattr(self.loader, name)


#: ``Runnable`` methods a compiled graph borrows as they are (they only call the graph's own
#: ``invoke``/``stream``/...): LangChain's combinators and its buffered ``transform``.
BORROWED = frozenset({
    "transform", "atransform", "pipe", "pick", "assign", "bind", "with_retry", "with_fallbacks",
    "with_listeners", "with_alisteners", "with_types", "map", "batch_as_completed",
    "abatch_as_completed", "astream_log", "get_prompts", "as_tool", "input_schema",
    "output_schema", "get_input_jsonschema", "get_output_jsonschema",
})


class RunnableMethods:
    """What LangChain calls on a ``Runnable`` step besides ``invoke``/``stream``/``batch``,
    for a compiled graph (a virtual ``Runnable`` subclass: it inherits none of ``Runnable``'s
    code). The names in :data:`BORROWED` are ``Runnable``'s own methods, bound to the graph
    (``AttributeError`` without langchain-core)."""

    name: str
    _ACTORGRAPH_GRAPH: ClassVar[bool] = True  # (not a Runnable to wrap as a node: a subgraph)

    def get_name(self, suffix: str | None = None, *, name: str | None = None) -> str:
        """The graph's name (``"LangGraph"`` unless compiled with ``name=``), as LangChain
        names a Runnable: ``suffix`` appended (``LangGraphInput``)."""
        name_ = name or self.name
        if suffix:
            return name_ + suffix.title() if name_[0].isupper() else f"{name_}_{suffix.lower()}"
        return name_

    @property
    def InputType(self) -> Any:  # noqa: N802  (LangChain's name)
        """The input type LangChain reports (any)."""
        return Any

    @property
    def OutputType(self) -> Any:  # noqa: N802
        """The output type LangChain reports (any)."""
        return Any

    @property
    def config_specs(self) -> list[Any]:
        """No configurable fields (LangGraph's graphs report none either)."""
        return []

    def __getattr__(self, name: str) -> Any:
        if name not in BORROWED:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        module = sys.modules.get(_BASE)
        if module is None:  # (installed but not imported yet: the program asks for it now)
            try:
                module = importlib.import_module(_BASE)
            except ImportError:
                raise AttributeError(
                    f"{type(self).__name__}.{name} is LangChain's Runnable.{name}: it needs langchain-core "
                    "(pip install 'actorgraph[langchain]')") from None
        attr = getattr(module.Runnable, name)
        if isinstance(attr, property):
            return attr.__get__(self)
        return types.MethodType(attr, self)
