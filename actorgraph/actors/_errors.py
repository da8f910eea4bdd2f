"""Errors of the actor kernel.

::

    ActorError                      base of every kernel error
    ├── ActorStopped                the actor is stopped (or stops before answering)
    ├── MailboxFull                 tell_nowait() on a full mailbox
    ├── SpawnError                  spawn() arguments are inconsistent
    └── AskTimeout (TimeoutError)   ask() got no reply in time

A handler's own exception is never wrapped: ``ask`` re-raises it unchanged in the asker.
"""

from __future__ import annotations


class ActorError(Exception):
    """Base class of the actor kernel's errors."""


class ActorStopped(ActorError):
    """Raised by ``tell``/``ask`` on an actor that has stopped, and by a pending ``ask`` whose
    actor stopped before it answered."""

    def __init__(self, actor: str, detail: str = "is stopped") -> None:
        super().__init__(f"actor {actor!r} {detail}")
        self.actor = actor


class MailboxFull(ActorError):
    """Raised by ``tell_nowait`` when the actor's bounded mailbox has no room."""

    def __init__(self, actor: str, capacity: int) -> None:
        super().__init__(f"mailbox of actor {actor!r} is full ({capacity} messages)")
        self.actor = actor
        self.capacity = capacity


class SpawnError(ActorError):
    """Raised by ``Supervisor.spawn`` for inconsistent arguments (e.g. ``restart`` without a
    factory, a duplicate name, a supervisor that is not running)."""


class AskTimeout(ActorError, TimeoutError):
    """Raised by ``ask`` when no reply arrived within ``timeout`` seconds.

    It is a :class:`TimeoutError`, so ``except TimeoutError`` catches it too. The message stays
    delivered: the actor still handles it and its late reply is discarded.
    """

    def __init__(self, actor: str, timeout: float) -> None:
        super().__init__(f"actor {actor!r} did not answer within {timeout:g} s")
        self.actor = actor
        self.timeout = timeout
