"""The cache contract (LangGraph's ``BaseCache``)."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..persistence import MsgpackSerializer, Serializer

Namespace = tuple[str, ...]
"""A group of entries (a node's: ``("__pregel_ns_writes", function, node)``), cleared together."""

FullKey = tuple[Namespace, str]
"""An entry's address: its namespace and its key in it."""


class BaseCache(ABC):
    """``(namespace, key) -> value`` entries with an optional time to live.

    ``get`` returns the live entries among the keys asked for (an expired one is dropped);
    ``set`` takes ``{full_key: (value, ttl_seconds | None)}``; ``clear`` drops the given
    namespaces, or everything. ``serde`` serializes values; ``clock`` gives the time in seconds
    (expiry is ``clock() + ttl``).
    """

    def __init__(self, *, serde: Serializer | None = None, clock: Callable[[], float] = time.time) -> None:
        self.serde: Serializer = serde if serde is not None else MsgpackSerializer()
        self.clock = clock

    @abstractmethod
    def get(self, keys: Sequence[FullKey]) -> dict[FullKey, Any]:
        """The live values of ``keys`` (missing and expired ones left out)."""

    @abstractmethod
    def set(self, pairs: Mapping[FullKey, tuple[Any, float | None]]) -> None:
        """Store each value under its key, expiring ``ttl`` seconds from now (``None``: never)."""

    @abstractmethod
    def clear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        """Drop the entries of ``namespaces`` (``None``: every entry)."""

    async def aget(self, keys: Sequence[FullKey]) -> dict[FullKey, Any]:
        """Async :meth:`get`."""
        return self.get(keys)

    async def aset(self, pairs: Mapping[FullKey, tuple[Any, float | None]]) -> None:
        """Async :meth:`set`."""
        self.set(pairs)

    async def aclear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        """Async :meth:`clear`."""
        self.clear(namespaces)

    def _expiry(self, ttl: float | None) -> float | None:
        return None if ttl is None else self.clock() + ttl
