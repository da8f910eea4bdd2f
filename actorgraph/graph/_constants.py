"""Reserved names shared by the builder and the runtime."""

from __future__ import annotations

from typing import Final

START: Final = "__start__"
"""The virtual first node: ``add_edge(START, "a")`` makes ``a`` run first."""

END: Final = "__end__"
"""The virtual last node: routing to it ends that path."""

TASKS: Final = "__pregel_tasks"
"""Hidden channel collecting the ``Send`` packets of a step (push tasks of the next step)."""

INTERRUPT: Final = "__interrupt__"
RESUME: Final = "__resume__"
ERROR: Final = "__error__"
NO_WRITES: Final = "__no_writes__"

RESERVED_CHARS: Final = ("|", ":")

TAG_NOSTREAM: Final = "nostream"
"""A chat model tagged so (``model.with_config(tags=["nostream"])``) is left out of the
``messages`` stream mode, as in LangGraph."""

TAG_HIDDEN: Final = "langsmith:hidden"
"""The tag of runs LangChain tracers should not show (a graph's hidden routing steps)."""


def branch_channel(node: str) -> str:
    """The ephemeral trigger channel written to make ``node`` run in the next step."""
    return f"branch:to:{node}"


def join_channel(sources: tuple[str, ...], target: str) -> str:
    """The barrier channel of ``add_edge([a, b], target)``."""
    return f"join:{'+'.join(sources)}:{target}"
