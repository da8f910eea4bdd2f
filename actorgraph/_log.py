"""Shared structlog plumbing for every layer (imports nothing else from the package).

Loggers are structlog loggers over the standard-library logger ``actorgraph.<area>``. Nothing is
emitted until :func:`actorgraph.observability.configure_logging` (or the application's own
``logging`` setup) enables a level: ``filter_by_level`` runs first and drops the event before any
formatting. Hot paths additionally guard with :func:`enabled` so a disabled event costs one
``isEnabledFor`` call.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog

ROOT = "actorgraph"
logging.getLogger(ROOT).addHandler(logging.NullHandler())

_PROCESSORS: list[Any] = [
    structlog.stdlib.filter_by_level,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.format_exc_info,
    structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
]


def get_logger(area: str, **initial: Any) -> Any:
    """A structlog ``BoundLogger`` for ``actorgraph.<area>`` with ``initial`` fields bound.

    Typed ``Any``: structlog's bound-logger types are not precise enough for ``--strict``.
    """
    stdlib = logging.getLogger(f"{ROOT}.{area}")
    return structlog.wrap_logger(
        stdlib,
        processors=_PROCESSORS,
        wrapper_class=structlog.stdlib.BoundLogger,
        **initial,
    )


def enabled(logger: Any, level: int = logging.INFO) -> bool:
    """Whether ``logger`` (from :func:`get_logger`) would emit at ``level``; cheap."""
    return bool(logger._logger.isEnabledFor(level))
