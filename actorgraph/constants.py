"""LangGraph's ``langgraph.constants`` path: the reserved node names and the LangChain tags a
graph honours. ``Send``, ``Interrupt`` and ``PREVIOUS`` are still importable from here with a
:class:`~actorgraph.warnings.LangGraphDeprecatedSinceV10` warning, as from LangGraph 1.x's."""

from __future__ import annotations

import warnings
from typing import Any

from .graph._constants import END, START, TAG_HIDDEN, TAG_NOSTREAM

__all__ = ["END", "START", "TAG_HIDDEN", "TAG_NOSTREAM"]

_MOVED = {"Send": "types", "Interrupt": "types"}


def __getattr__(name: str) -> Any:
    """The names LangGraph 1.0 moved out of this module, with its deprecation warning."""
    from .warnings import LangGraphDeprecatedSinceV10

    if name in _MOVED:
        warnings.warn(f"Importing {name} from langgraph.constants is deprecated. Please use "
                      f"'from langgraph.types import {name}' instead.", LangGraphDeprecatedSinceV10, stacklevel=2)
        from . import types

        return getattr(types, name)
    if name == "PREVIOUS":
        warnings.warn("Importing PREVIOUS from langgraph.constants is deprecated. This constant is now private "
                      "and should not be used directly. Please let the LangGraph team know if you need this "
                      "value.", LangGraphDeprecatedSinceV10, stacklevel=2)
        from .func._entrypoint import PREVIOUS

        return PREVIOUS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
