"""Persistence: checkpoint records, serializers and checkpoint savers.

Savers implement LangGraph's checkpointer contract (``aput``, ``aput_writes``, ``aget_tuple``,
``alist``, ``adelete_thread`` and sync twins) plus :meth:`~BaseCheckpointSaver.aput_step` (a
step's pending writes and its checkpoint in one atomic commit) and
:meth:`~BaseCheckpointSaver.aprune`. :class:`InMemorySaver` keeps them in memory;
:class:`SqliteSaver` in a SQLite file (served by one database thread of the saver's own, on asyncio and trio), with one
writer actor batching concurrent runs' writes into single transactions.

Values are serialized by :class:`MsgpackSerializer` (msgpack via msgspec, a registry of allowed
classes, no pickle unless asked for), optionally wrapped in :class:`EncryptedSerializer`
(AES-256-GCM, needs the ``cryptography`` package: extra ``crypto``).

Stores (LangGraph's ``BaseStore`` contract) keep long-term memory across threads: dict values
under ``(namespace, key)`` with ``get``/``put``/``delete``/``search``/``list_namespaces`` (async
``a*`` twins), filters and optional semantic search. :class:`InMemoryStore` keeps them in memory,
:class:`SqliteStore` in a SQLite file; a bad namespace raises :class:`InvalidNamespaceError`.

:class:`PostgresSaver` and :class:`PostgresStore` keep them in PostgreSQL (extra ``postgres``:
psycopg 3 and psycopg_pool), shared by worker processes; they are imported on first use.
"""

from typing import Any


from ._base import BaseCheckpointSaver, SaverStatistics, StepWrites, TaskWrites
from ._crypto import EncryptedSerializer
from ._errors import (
    CheckpointConflictError,
    DatabaseLockedError,
    CheckpointStoreError,
    DecryptionError,
    PersistenceError,
    SerializationError,
)
from ._memory import InMemorySaver, MemorySaver
from ._records import (
    WRITES_IDX_MAP,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    PendingWrite,
    Version,
    empty_checkpoint,
    new_checkpoint_id,
)
from ._serde import MsgpackSerializer, Serializer, register_type
from ._sqlite import SqliteSaver
from ._sqlite_store import SqliteStore
from ._store import (
    BaseStore,
    GetOp,
    InMemoryStore,
    InvalidNamespaceError,
    Item,
    ListNamespacesOp,
    MatchCondition,
    PutOp,
    SearchItem,
    SearchOp,
    TTLConfig,
)

__all__ = [
    "WRITES_IDX_MAP",
    "BaseCheckpointSaver",
    "BaseStore",
    "GetOp",
    "ListNamespacesOp",
    "MatchCondition",
    "PutOp",
    "SearchOp",
    "TTLConfig",
    "Checkpoint",
    "CheckpointMetadata",
    "CheckpointConflictError",
    "DatabaseLockedError",
    "CheckpointStoreError",
    "CheckpointTuple",
    "DecryptionError",
    "EncryptedSerializer",
    "InMemorySaver",
    "InMemoryStore",
    "InvalidNamespaceError",
    "Item",
    "MemorySaver",
    "MsgpackSerializer",
    "PendingWrite",
    "PersistenceError",
    "PostgresSaver",
    "PostgresStore",
    "SaverStatistics",
    "SearchItem",
    "SerializationError",
    "Serializer",
    "SqliteSaver",
    "SqliteStore",
    "StepWrites",
    "TaskWrites",
    "Version",
    "empty_checkpoint",
    "new_checkpoint_id",
    "register_type",
]


def __getattr__(name: str) -> Any:
    """``PostgresSaver`` and ``PostgresStore`` import psycopg: only when first asked for."""
    if name == "PostgresSaver":
        from ._postgres import PostgresSaver

        return PostgresSaver
    if name == "PostgresStore":
        from ._postgres_store import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
