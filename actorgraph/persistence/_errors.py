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
                                          database, written by a newer schema, a corrupted
                                          row, a closed saver
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


class DecryptionError(SerializationError):
    """Encrypted data could not be authenticated: wrong key, tampered or truncated bytes.

    Never returns garbage: AES-GCM authenticates every blob before anything is decoded.
    """


class CheckpointStoreError(PersistenceError):
    """The checkpoint store cannot be used as asked.

    Raised for a SQLite file that is not an actorgraph checkpoint database (other tables, no
    ``schema_version``), one written by a newer actorgraph (higher schema version), a file that
    is not SQLite at all, a stored row that cannot be decoded (names thread, checkpoint and
    channel), and for calls on a closed saver or from the wrong event loop.
    """
