"""Conditional edges: a router function plus an optional ``path_map``."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Literal, get_args, get_origin

from ..errors import InvalidUpdateError
from ..types import Send
from ._constants import END, START
from ._schema import input_schema_of, make_reader


class Branch:
    """``add_conditional_edges(source, path, path_map)`` compiled.

    ``path(state)`` (or ``path(state, config)``; sync or async) returns a destination, ``END``,
    a ``Send``, or a list of them. As a node function, it may declare keyword parameters
    ``config``, ``writer``, ``store``, ``runtime`` (LangGraph injects them into routers too):
    they get the routing task's. With ``path_map`` (a dict, or a list meaning identity) each
    returned key is looked up there (a missing key raises ``KeyError``). Without one (or with a
    string, which LangGraph ignores), a ``Literal[...]`` return annotation on ``path`` acts as
    the map.

    As in LangGraph, ``None`` or ``START`` as a destination raises ``ValueError`` and a
    ``Send`` to ``END`` raises ``InvalidUpdateError``; a name that is not a node is not this
    class's business (the runtime warns and drops it).

    ``route(state, config, sync_call)``: a sync ``path`` is called through ``sync_call(fn, *args)``
    when given (the runtime's: no event loop seen there, as in LangGraph).
    """

    __slots__ = ("name", "source", "path", "path_map", "accepts_config", "inject", "is_async", "input_schema",
                 "reader")

    def __init__(
        self,
        path: Callable[..., Any],
        path_map: dict[Hashable, str] | Sequence[str] | None = None,
        name: str | None = None,
        source: str | None = None,
    ) -> None:
        self.path = path
        self.name = name or _callable_name(path)
        self.source = source  # the node it follows (for error messages)
        if path_map is None or isinstance(path_map, str):
            # (LangGraph 1.2 takes a dict or a list; anything else, a node's name given as the
            # map, say, is ignored there: the Literal return annotation, if any, is the map)
            path_map = _literal_targets(path)
        if path_map is not None and not isinstance(path_map, dict):
            path_map = {p: p for p in path_map}
        self.path_map: dict[Hashable, str] | None = path_map
        self.accepts_config, self.inject = _call_shape(path)
        self.is_async = inspect.iscoroutinefunction(path) or inspect.iscoroutinefunction(
            getattr(path, "__call__", None)
        )
        # As LangGraph's: a schema annotating the router's first parameter is what it reads
        # (``reader``, from the state values; None: it reads the graph's state)
        self.input_schema: Any = input_schema_of(path)
        self.reader: Callable[[dict[str, Any]], Any] | None = (
            None if self.input_schema is None else make_reader(self.input_schema))

    @property
    def ends(self) -> list[str] | None:
        """Declared destinations (for validation and drawing), when known."""
        return None if self.path_map is None else list(self.path_map.values())

    async def route(self, state: Any, config: dict[str, Any],
                    sync_call: Callable[..., Any] | None = None) -> list[str | Send]:
        """Run the router and return its destinations (``END`` removed)."""
        if sync_call is not None and not self.is_async:
            result = sync_call(self._call, state, config)
        else:
            result = self._call(state, config)
        if inspect.isawaitable(result):
            result = await result
        items = result if isinstance(result, (list, tuple)) else [result]
        out: list[str | Send] = []
        for item in items:
            if isinstance(item, Send):
                if item.node == END:
                    raise self._located(InvalidUpdateError("Cannot send a packet to the END node"))
                out.append(item)
                continue
            if item is not None and self.path_map is not None:
                item = self.path_map[item]
            if item is None or item == START:
                raise self._located(ValueError("Branch did not return a valid destination"))
            if item != END:
                out.append(item)
        return out

    def _call(self, state: Any, config: dict[str, Any]) -> Any:
        if self.inject:
            kwargs = _injected(self.inject, config)
            return self.path(state, config, **kwargs) if self.accepts_config else self.path(state, **kwargs)
        return self.path(state, config) if self.accepts_config else self.path(state)

    def _located(self, error: Exception) -> Exception:
        where = f"at '{self.source}' node, " if self.source is not None else ""
        error.add_note(f"Returned by the router of the conditional edge {where}'{self.name}' branch")
        return error


def _callable_name(fn: Callable[..., Any]) -> str:
    """A router's branch name, as LangGraph 1.2 gives it: its function's name; ``condition``
    for a lambda, a ``functools.partial`` or a callable object (no ``__name__`` of their own)."""
    name = getattr(fn, "__name__", None)
    return "condition" if not isinstance(name, str) or name == "<lambda>" else name


_INJECTABLE: tuple[str, ...] = ("config", "writer", "store", "runtime")


def takes_config(second: inspect.Parameter, injectable: tuple[str, ...]) -> bool:
    """Whether a function's second positional parameter ``second`` gets the config: one named
    ``config``, or any other one without a default that is not a context parameter (LangGraph
    passes ``config`` by name only, and fails on the others: a parameter with a default keeps its
    default there, as in ``lambda state, name=name: ...``)."""
    if second.name == "config":
        return True
    return second.default is second.empty and second.name not in injectable


def _call_shape(fn: Callable[..., Any]) -> tuple[bool, tuple[str, ...]]:
    """Whether ``fn`` takes the config as its second positional parameter, and the names of
    the context parameters it takes by name (a second positional parameter named ``writer``,
    ``store`` or ``runtime`` is one of those, as for a node)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False, ()
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    config_positional = len(positional) >= 2 and takes_config(positional[1], _INJECTABLE)
    skip = positional[:2] if config_positional else positional[:1]
    inject = tuple(p.name for p in params
                   if p.name in _INJECTABLE and p.kind != p.VAR_KEYWORD and p not in skip)
    return config_positional, inject


def _injected(names: tuple[str, ...], config: dict[str, Any]) -> dict[str, Any]:
    """The routing task's ``names`` context values (the config given for ``config``)."""
    from ..runtime._context import current_task  # (the runtime imports this module)

    ctx = current_task.get()
    return {name: config if name == "config" else None if ctx is None else ctx.injected(name)
            for name in names}


def _literal_targets(fn: Callable[..., Any]) -> dict[Hashable, str] | None:
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # unresolvable annotations: no map, as if there were no hint
        return None
    ret = hints.get("return")
    if ret is None or get_origin(ret) is not Literal:
        return None
    return {v: v for v in get_args(ret)}
