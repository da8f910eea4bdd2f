"""``configure_logging``: turn actorgraph's structlog events into console or JSON lines."""

from __future__ import annotations

import logging
import os
import sys
from typing import IO, Any

import structlog

from .._log import ROOT

_HANDLER_MARK = "_actorgraph_handler"


def configure_logging(
    json: bool = False,
    level: int | str = "INFO",
    file: str | os.PathLike[str] | IO[str] | None = None,
) -> logging.Handler:
    """Emit actorgraph's events at ``level`` and above; returns the handler it installed.

    ``json=True`` writes one JSON object per line (for machines and ``actorgraph logs``),
    otherwise a readable console format. ``file`` is a path (appended to), an open text stream,
    or ``None`` for standard error. Calling it again replaces the previous configuration. Only
    the ``actorgraph`` logger is touched: the application's own logging setup is left alone and
    events do not propagate to the root logger.
    """
    logger = logging.getLogger(ROOT)
    for old in [h for h in logger.handlers if getattr(h, _HANDLER_MARK, False)]:
        logger.removeHandler(old)
        old.close()
    handler: logging.Handler
    if file is None:
        handler = logging.StreamHandler(sys.stderr)
    elif isinstance(file, (str, os.PathLike)):
        handler = logging.FileHandler(file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(file)
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                renderer,
            ],
        )
    )
    setattr(handler, _HANDLER_MARK, True)
    logger.addHandler(handler)
    logger.setLevel(level.upper() if isinstance(level, str) else level)
    logger.propagate = False
    return handler


def disable_logging() -> None:
    """Undo :func:`configure_logging`: actorgraph emits nothing again."""
    logger = logging.getLogger(ROOT)
    for old in [h for h in logger.handlers if getattr(h, _HANDLER_MARK, False)]:
        logger.removeHandler(old)
        old.close()
    logger.setLevel(logging.NOTSET)
    logger.propagate = True
