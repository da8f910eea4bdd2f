"""LangGraph's ``langgraph.checkpoint.base`` path: the saver base class and checkpoint records
(see :mod:`actorgraph.persistence`)."""

from ..persistence import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    PendingWrite,
    empty_checkpoint,
)

__all__ = [
    "WRITES_IDX_MAP",
    "BaseCheckpointSaver",
    "Checkpoint",
    "CheckpointMetadata",
    "CheckpointTuple",
    "PendingWrite",
    "empty_checkpoint",
]
