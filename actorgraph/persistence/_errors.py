"""Errors raised by :mod:`actorgraph.persistence`.

::

    Exception
    └── PersistenceError                  base of everything below
        ├── SerializationError            a value could not be encoded, or stored bytes could not
        │   │                             be decoded safely (names the type, and the channel
        │   │                             when known); also a TypeError
        │   └── DecryptionError           encrypted bytes failed authentication: wrong key,
        │                                 tampered or truncated data
        └── CheckpointStoreError          the store itself is unusable: not an actorgraph
            │                             database, written by a newer schema, a corrupted
            │                             row, a closed saver
            ├── CheckpointConflictError   a run's next checkpoint would fork its thread: another
            │                             run (another process, another saver on the same
            │                             file) wrote to the thread since this one read it
            └── DatabaseLockedError       another connection held the SQLite file's lock for
                                          longer than the busy timeout (names the file)
"""

from __future__ import annotations


class PersistenceError(Exception):
    """Base class of persistence errors."""


class SerializationError(PersistenceError, TypeError):
    """A value could not be turned into bytes, or bytes could not be turned back safely.

    Raised by serializers (``dumps_typed`` / ``loads_typed``) and by savers, which add the
    channel the value belongs to. ``type_name`` is the offending Python type (or the type name
    found in stored bytes), ``channel`` the channel or write it belongs to, when known.
    """

    def __init__(self, message: str, *, type_name: str | None = None, channel: str | None = None) -> None:
        self.message = message
        self.type_name = type_name
        self.channel = channel
        super().__init__(self._render())

    def _render(self) -> str:
        if self.channel is None:
            return self.message
        return f"channel {self.channel!r}: {self.message}"

    def with_channel(self, channel: str, context: str | None = None) -> SerializationError:
        """A copy of this error that names ``channel`` (same class, same type name).

        ``context`` (e.g. "pending write of task 'x'") is appended to the message.
        """
        err = type(self).__new__(type(self))
        message = self.message if context is None else f"{self.message} ({context})"
        SerializationError.__init__(err, message, type_name=self.type_name, channel=channel)
        return err


class DecryptionError(SerializationError, ValueError):
    """Encrypted data could not be authenticated: wrong key, tampered or truncated bytes.

    Also a ``ValueError``, what LangGraph's ``EncryptedSerializer`` raises then.

    Never returns garbage: AES-GCM authenticates every blob before anything is decoded.
    """


class CheckpointStoreError(PersistenceError):
    """The checkpoint store cannot be used as asked.

    Raised for a SQLite file that is not an actorgraph checkpoint database (other tables, no
    ``schema_version``), one written by a newer actorgraph (higher schema version), a file that
    is not SQLite at all, a stored row that cannot be decoded (a column of the wrong SQL type,
    garbage or truncated bytes, a missing chunk or blob: names the file, thread, checkpoint and
    channel, metadata or pending write), and for calls on a closed saver or from the wrong event
    loop.
    """


class CheckpointConflictError(CheckpointStoreError):
    """A checkpoint written to continue its thread's newest checkpoint found that checkpoint no
    longer the newest: another writer (another process, or another saver on the same file)
    continued the thread meanwhile. Nothing of the step is stored; the thread's chain does not
    fork. ``thread_id``, ``checkpoint_ns``, ``expected`` (the parent) and ``found`` (the newest
    checkpoint, or None) say where."""

    def __init__(self, thread_id: str, checkpoint_ns: str, expected: str | None, found: str | None) -> None:
        self.thread_id = thread_id
        self.checkpoint_ns = checkpoint_ns
        self.expected = expected
        self.found = found
        where = f"thread {thread_id!r}" + (f" (namespace {checkpoint_ns!r})" if checkpoint_ns else "")
        super().__init__(
            f"{where}: another run wrote checkpoint {found!r} after {expected!r}, the one this run "
            "continues; not storing this step (it would fork the thread). Run one thing at a time "
            "per thread, or resume from the newest checkpoint"
        )

    @classmethod
    def reused(cls, thread_id: str, checkpoint_ns: str, channel: str, version: object) -> CheckpointConflictError:
        """A write would store another value under a (channel, version) that an existing
        checkpoint already refers to: refused, so that checkpoint keeps reading back the same."""
        err = cls.__new__(cls)
        err.thread_id, err.checkpoint_ns, err.expected, err.found = thread_id, checkpoint_ns, None, None
        where = f"thread {thread_id!r}" + (f" (namespace {checkpoint_ns!r})" if checkpoint_ns else "")
        CheckpointStoreError.__init__(
            err,
            f"{where}: channel {channel!r} already has a different value stored under version "
            f"{version!r}; not storing this step (it would change what an existing checkpoint "
            "reads back). Two runs forked the thread at once?"
        )
        return err


class DatabaseLockedError(CheckpointStoreError):
    """Another connection (usually another process) held a lock on the SQLite file for longer
    than the busy timeout, so the open, read or write could not proceed. The file is fine:
    retry later, or open with a longer ``busy_timeout``. Raised by :class:`SqliteSaver` and
    :class:`SqliteStore`; ``where`` names the file, ``timeout`` is the busy timeout in seconds.
    """

    def __init__(self, where: str, timeout: float, detail: str) -> None:
        self.where = where
        self.timeout = timeout
        super().__init__(
            f"{where} is locked: another connection held its lock for longer than the busy "
            f"timeout ({timeout:g} s; {detail}). A long write transaction in another process? "
            "Retry, or open it with a longer busy_timeout"
        )
