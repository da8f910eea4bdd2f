"""Helpers for testing code built on actorgraph (ours and our users')."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._log import ROOT

__all__ = ["capture_logs", "capture_stream"]


class _Capture(logging.Handler):
    def __init__(self, into: list[dict[str, Any]]) -> None:
        super().__init__(logging.NOTSET)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, dict):
            # An actorgraph structlog event, as ``ProcessorFormatter.wrap_for_formatter`` left it.
            self.into.append(dict(record.msg))
        else:
            self.into.append({"event": record.getMessage(), "level": record.levelname.lower()})


@contextmanager
def capture_logs(level: int | str = logging.DEBUG) -> Iterator[list[dict[str, Any]]]:
    """Collect the events actorgraph logs inside the ``with`` block.

    Yields a list that fills with one ``dict`` per event, in emission order: the structlog
    event dict after actorgraph's processors, i.e. ``"event"`` (the name, such as
    ``"actor_spawned"``), ``"level"``, ``"timestamp"``, the bound and call-site fields (such as
    ``"actor"`` and ``"supervisor"``) and ``"exception"`` (formatted traceback) when one was
    logged. A plain standard-library record logged under ``actorgraph`` becomes ``{"event":
    message, "level": level}``.

    While active, the ``actorgraph`` logger is set to ``level`` (so events at that level and
    above are produced even if logging is not configured) and does not propagate to the root
    logger; handlers installed by :func:`actorgraph.observability.configure_logging` keep
    receiving events. On exit the logger's level, propagation and handlers are restored. Not
    thread-safe; nest freely.

    >>> with capture_logs() as events:
    ...     ...
    >>> [e["event"] for e in events]
    []
    """
    logger = logging.getLogger(ROOT)
    events: list[dict[str, Any]] = []
    handler = _Capture(events)
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(level.upper() if isinstance(level, str) else level)
    logger.propagate = False
    try:
        yield events
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate


async def capture_stream(
    graph: Any,
    input: Any,
    config: dict[str, Any] | None = None,
    *,
    stream_mode: str | list[str] | tuple[str, ...] = ("updates", "custom"),
    **kwargs: Any,
) -> list[tuple[str, Any]]:
    """Run ``graph`` to the end and return its stream as ``(mode, chunk)`` pairs, in order.

    A convenience for tests of your own graphs (asyncio or trio): ``stream_mode`` is one mode or
    a list; further keyword arguments go to ``astream`` (``durability``, ``subgraphs``, ...).
    Exceptions of the run propagate after the events that preceded them were collected.
    """
    modes = [stream_mode] if isinstance(stream_mode, str) else list(stream_mode)
    events: list[tuple[str, Any]] = []
    async for item in graph.astream(input, config, stream_mode=modes, **kwargs):
        mode, chunk = item[-2], item[-1]
        events.append((mode, chunk))
    return events
