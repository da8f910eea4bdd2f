"""Supervision policies (what happens to a failed child) and restart strategies (who else restarts)."""

from __future__ import annotations

from typing import Literal, TypeAlias

import msgspec

Strategy: TypeAlias = Literal["one_for_one", "one_for_all", "rest_for_one"]
"""OTP restart strategies: restart the failed child only, every child, or the failed child and
every child spawned after it."""


class Restart(msgspec.Struct, frozen=True):
    """Restart a failed child with a fresh instance, at most ``max_restarts`` times in any window
    of ``within`` seconds; one more failure escalates the original exception.

    Before the k-th consecutive restart the child waits ``min(max_backoff, backoff * 2**(k-1))``
    seconds (messages keep queueing meanwhile).
    """

    max_restarts: int = 3
    within: float = 5.0
    backoff: float = 0.01
    max_backoff: float = 1.0

    def __post_init__(self) -> None:
        if self.max_restarts < 0 or self.within <= 0 or self.backoff < 0 or self.max_backoff < 0:
            raise ValueError(f"invalid restart policy {self!r}")

    def delay(self, attempt: int) -> float:
        return min(self.max_backoff, self.backoff * 2.0 ** max(attempt - 1, 0))


Policy: TypeAlias = Literal["escalate", "restart", "stop"] | Restart
"""``escalate`` (default): the error leaves ``async with Supervisor()`` and siblings are cancelled.
``restart``: :class:`Restart` with its defaults. ``stop``: the child stops, siblings keep running."""


def normalize_policy(policy: Policy) -> Literal["escalate", "stop"] | Restart:
    if isinstance(policy, Restart):
        return policy
    if policy == "restart":
        return Restart()
    if policy in ("escalate", "stop"):
        return policy
    raise ValueError(f"unknown supervision policy {policy!r}: use 'escalate', 'restart', 'stop' or Restart(...)")
