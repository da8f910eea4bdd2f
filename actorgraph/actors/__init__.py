"""The actor kernel: actors with bounded mailboxes under supervisors, on asyncio or trio.

Knows nothing about graphs. See :class:`Supervisor` for lifetimes and failure policies,
:class:`ActorRef` for messaging, :class:`Actor` for what to subclass.
"""

from ._actor import DEFAULT_ASK_TIMEOUT, Actor, ActorRef, SyncActor
from ._errors import ActorError, ActorStopped, AskTimeout, MailboxFull, SpawnError
from ._mailbox import MailboxStatistics
from ._policy import Policy, Restart, Strategy
from ._supervisor import DEFAULT_MAILBOX_SIZE, ActorInfo, Dispatcher, Supervisor, SupervisorInfo

__all__ = [
    "DEFAULT_ASK_TIMEOUT",
    "DEFAULT_MAILBOX_SIZE",
    "Actor",
    "ActorError",
    "ActorInfo",
    "ActorRef",
    "ActorStopped",
    "AskTimeout",
    "Dispatcher",
    "MailboxFull",
    "MailboxStatistics",
    "Policy",
    "Restart",
    "SpawnError",
    "Strategy",
    "Supervisor",
    "SupervisorInfo",
    "SyncActor",
]
