"""``version="v2"`` streaming, as LangGraph 1.2's: every chunk a typed stream part — a dict of
``type`` (the mode), ``ns`` (the namespace) and ``data`` (see :data:`actorgraph.types.StreamPart`)
— whatever the modes and ``subgraphs``; ``invoke``/``ainvoke`` return a
:class:`~actorgraph.types.GraphOutput`.

As in LangGraph, a ``values`` part carries the step's interrupts apart (``interrupts``, no
``__interrupt__`` key in ``data``), and the state is coerced to the graph's schema when that is
a pydantic model or a dataclass: the output schema for ``values`` parts and ``GraphOutput``,
the state schema for the ``values`` of ``checkpoints``/``debug`` checkpoint payloads (but the
input checkpoint's, whose channels are not all set yet). Needs no langchain-core.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from typing import Any

from ..graph._constants import INTERRUPT, START
from ..types import GraphOutput
from ._live import SKIP, RunStream
from ._stream import StreamEvent

Mapper = Callable[[dict[str, Any]], Any]

def check_version(version: str) -> bool:
    """``True`` for ``"v2"``; any other version is the v1 format, as LangGraph 1.2 takes it."""
    return version == "v2"


def _mapper(schema: Any) -> Mapper | None:
    """``schema(**state)`` when ``schema`` is a pydantic model or a dataclass, else ``None``
    (a ``TypedDict`` or ``dict`` state stays a dict)."""
    if not isinstance(schema, type):
        return None
    pydantic = sys.modules.get("pydantic")  # (a pydantic schema has imported it)
    if dataclasses.is_dataclass(schema) or (pydantic is not None and issubclass(schema, pydantic.BaseModel)):
        return lambda state: schema(**state)
    return None


def mappers(builder: Any) -> tuple[Mapper | None, Mapper | None]:
    """The output and state mappers of the graph ``builder`` made (none for the functional API)."""
    return _mapper(getattr(builder, "output_schema", None)), _mapper(getattr(builder, "state_schema", None))


def to_part(ns: tuple[str, ...], mode: str, chunk: Any, output: Mapper | None, state: Mapper | None) -> dict[str, Any]:
    """One event as LangGraph's v2 stream part."""
    if mode == "values":
        chunk, interrupts = _split(chunk, output)
        return {"type": mode, "ns": ns, "data": chunk, "interrupts": interrupts}
    if mode in ("checkpoints", "debug") and state is not None:
        chunk = _checkpoint_values(chunk, state)
    return {"type": mode, "ns": ns, "data": chunk}


def _checkpoint_values(payload: Any, state: Mapper) -> Any:
    """A checkpoint (or debug checkpoint) payload with its ``values`` coerced by ``state``,
    unless it is the input checkpoint (``__start__`` next)."""
    if not isinstance(payload, dict):
        return payload
    inner = payload.get("payload")
    if payload.get("type") == "checkpoint" and isinstance(inner, dict):
        return {**payload, "payload": _checkpoint_values(inner, state)}
    values = payload.get("values")
    if isinstance(values, dict) and START not in payload.get("next", ()):
        return {**payload, "values": state(values)}
    return payload


def graph_output(result: Any, output: Mapper | None) -> GraphOutput[Any]:
    """``ainvoke``'s v1 result (the output, with ``__interrupt__`` when the run stopped at
    interrupts) as the v2 :class:`GraphOutput`."""
    value, interrupts = _split(result, output)
    return GraphOutput(value=value, interrupts=interrupts)


def _split(values: Any, output: Mapper | None) -> tuple[Any, tuple[Any, ...]]:
    """A v1 ``values`` chunk or result without its ``__interrupt__`` entry (coerced by
    ``output``), and the interrupts it had."""
    interrupts: tuple[Any, ...] = ()
    if isinstance(values, dict):
        if INTERRUPT in values:
            values = dict(values)
            interrupts = tuple(values.pop(INTERRUPT))
        if output is not None:
            values = output(values)
    return values, interrupts


class PartsStream(RunStream):
    """A :class:`RunStream` yielding v2 stream parts of the ``shown`` modes; the events of the
    ``printed`` modes are printed as they happen (``print_mode`` / ``debug``)."""

    def __init__(self, start: Any, shown: frozenset[str], printed: frozenset[str],
                 show: Callable[[tuple[str, ...], str, Any], None], mappers: tuple[Mapper | None, Mapper | None]) -> None:
        super().__init__(start, False, True)
        self._shown = shown
        self._printed = printed
        self._show = show
        self._mappers = mappers

    def _chunk(self, event: StreamEvent) -> Any:
        ns, mode, chunk = event.ns, event.mode, event.chunk
        if mode in self._printed:
            self._show(ns, mode, chunk)
        if mode not in self._shown:
            return SKIP
        output, state = self._mappers
        return to_part(ns, mode, chunk, output, state)
