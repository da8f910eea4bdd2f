"""Structured logging setup (structlog) for actorgraph's events."""

from ._logging import configure_logging, disable_logging

__all__ = ["configure_logging", "disable_logging"]
