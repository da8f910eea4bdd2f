"""The checkpoint hook: what the loop hands to persistence after every super-step.

The loop already produces everything a checkpointer needs, as a delta: the channels whose
version changed in the step (their ``checkpoint()`` snapshots, taken at the barrier, so a later
step can never alter them), their new versions, and the versions each node that ran has now
seen. A saver folds these deltas into full checkpoints; unchanged channels are never re-sent.
"""

from __future__ import annotations

from typing import Any, Protocol

import msgspec


class CheckpointData(msgspec.Struct, frozen=True, kw_only=True):
    """One super-step's change, at the step's barrier.

    ``step`` is -1 for the input checkpoint (``source="input"``), then 0, 1, … (``"loop"``).
    ``values`` maps each channel whose version changed to its snapshot (``channels.MISSING``
    when it became empty); ``versions`` their new versions; ``versions_seen`` node -> channel ->
    version for the nodes that ran in the step.
    """

    ns: str
    step: int
    source: str
    values: dict[str, Any]
    versions: dict[str, int]
    versions_seen: dict[str, dict[str, int]]


class CheckpointHook(Protocol):
    """Anything passed as ``compile(checkpointer=...)`` with this method gets every step's delta."""

    async def on_checkpoint(self, data: CheckpointData) -> None: ...
