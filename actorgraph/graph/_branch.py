"""Conditional edges: a router function plus an optional ``path_map``."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Literal, get_args, get_origin

from ..types import Send
from ._constants import END


class Branch:
    """``add_conditional_edges(source, path, path_map)`` compiled.

    ``path(state)`` (or ``path(state, config)``; sync or async) returns a destination, ``END``,
    a ``Send``, or a list of them. With ``path_map`` (a dict, or a list meaning identity) each
    returned key is looked up there (a missing key raises ``KeyError``). Without one, a
    ``Literal[...]`` return annotation on ``path`` acts as the map.
    """

    __slots__ = ("name", "path", "path_map", "accepts_config", "is_async")

    def __init__(
        self,
        path: Callable[..., Any],
        path_map: dict[Hashable, str] | Sequence[str] | None = None,
        name: str | None = None,
    ) -> None:
        self.path = path
        self.name = name or _callable_name(path)
        if path_map is None:
            path_map = _literal_targets(path)
        if path_map is not None and not isinstance(path_map, dict):
            path_map = {p: p for p in path_map}
        self.path_map: dict[Hashable, str] | None = path_map
        self.accepts_config = _accepts_config(path)
        self.is_async = inspect.iscoroutinefunction(path) or inspect.iscoroutinefunction(
            getattr(path, "__call__", None)
        )

    @property
    def ends(self) -> list[str] | None:
        """Declared destinations (for validation and drawing), when known."""
        return None if self.path_map is None else list(self.path_map.values())

    async def route(self, state: Any, config: dict[str, Any]) -> list[str | Send]:
        """Run the router and return its destinations (``END`` removed)."""
        result = self.path(state, config) if self.accepts_config else self.path(state)
        if inspect.isawaitable(result):
            result = await result
        items = result if isinstance(result, (list, tuple)) else [result]
        out: list[str | Send] = []
        for item in items:
            if item is None:
                raise ValueError("Branch did not return a valid destination")
            if isinstance(item, Send):
                out.append(item)
                continue
            if self.path_map is not None:
                item = self.path_map[item]
            if item != END:
                out.append(item)
        return out


def _callable_name(fn: Callable[..., Any]) -> str:
    name = getattr(fn, "__name__", None) or type(fn).__name__
    return "condition" if name == "<lambda>" else str(name)


def _accepts_config(fn: Callable[..., Any]) -> bool:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.name == "config" for p in params)


def _literal_targets(fn: Callable[..., Any]) -> dict[Hashable, str] | None:
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # unresolvable annotations: no map, as if there were no hint
        return None
    ret = hints.get("return")
    if ret is None or get_origin(ret) is not Literal:
        return None
    return {v: v for v in get_args(ret)}
