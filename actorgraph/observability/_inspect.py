"""Reading a SQLite checkpoint database without the graph that wrote it (for ``actorgraph threads |
history | state``)."""

from __future__ import annotations

from typing import Any

import msgspec

from ..persistence import SqliteSaver

HIDDEN_PREFIXES = ("__", "branch:", "join:")
"""Channel names the runtime uses for its own bookkeeping (not state keys)."""


class ThreadSummary(msgspec.Struct, frozen=True):
    thread_id: str
    checkpoints: int
    latest_checkpoint_id: str
    latest_step: int
    latest_ts: str


class CheckpointSummary(msgspec.Struct, frozen=True):
    checkpoint_id: str
    checkpoint_ns: str
    step: int
    source: str
    ts: str
    parent_checkpoint_id: str | None
    pending_writes: int


def _state_values(channel_values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in channel_values.items() if not k.startswith(HIDDEN_PREFIXES)}


async def threads(path: str) -> list[ThreadSummary]:
    """Every thread in the database (root namespace), newest checkpoint first within each."""
    found: dict[str, list[Any]] = {}
    async with SqliteSaver.from_conn_string(path) as saver:
        async for t in saver.alist(None):
            if t.config["configurable"].get("checkpoint_ns", ""):
                continue
            found.setdefault(t.config["configurable"]["thread_id"], []).append(t)
    out = []
    for thread_id, tuples in found.items():
        head = tuples[0]
        out.append(ThreadSummary(thread_id, len(tuples), head.checkpoint.id,
                                 int(head.metadata.get("step", -1)), head.checkpoint.ts))
    return sorted(out, key=lambda s: s.latest_ts, reverse=True)


async def history(path: str, thread_id: str, limit: int | None = None) -> list[CheckpointSummary]:
    """The thread's checkpoints (root namespace), newest first."""
    config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    out = []
    async with SqliteSaver.from_conn_string(path) as saver:
        async for t in saver.alist(config, limit=limit):
            parent = t.parent_config["configurable"]["checkpoint_id"] if t.parent_config else None
            out.append(CheckpointSummary(t.checkpoint.id, t.config["configurable"].get("checkpoint_ns", ""),
                                         int(t.metadata.get("step", -1)), str(t.metadata.get("source")),
                                         t.checkpoint.ts, parent, len(t.pending_writes)))
    return out


async def state(path: str, thread_id: str, checkpoint_id: str | None = None) -> dict[str, Any] | None:
    """The state values, metadata and pending writes of the thread's latest (or a given)
    checkpoint, as plain data; ``None`` if there is none."""
    configurable: dict[str, Any] = {"thread_id": thread_id, "checkpoint_ns": ""}
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    async with SqliteSaver.from_conn_string(path) as saver:
        t = await saver.aget_tuple({"configurable": configurable})
    if t is None:
        return None
    return {
        "checkpoint_id": t.checkpoint.id,
        "ts": t.checkpoint.ts,
        "metadata": t.metadata,
        "values": _state_values(t.checkpoint.channel_values),
        "pending_writes": [
            {"task_id": task_id, "channel": channel, "value": value}
            for task_id, channel, value in t.pending_writes
        ],
    }
