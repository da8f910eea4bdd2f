"""The in-process cache."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
import time
from typing import Any

from ..persistence import Serializer
from ._base import BaseCache, FullKey, Namespace


class InMemoryCache(BaseCache):
    """Entries in a dict, serialized (a hit is a copy, never the object a node returned).
    Thread-safe: sync nodes' graphs may share one across threads."""

    def __init__(self, *, serde: Serializer | None = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(serde=serde, clock=clock)
        self._cache: dict[Namespace, dict[str, tuple[str, bytes, float | None]]] = {}
        self._lock = threading.Lock()

    def get(self, keys: Sequence[FullKey]) -> dict[FullKey, Any]:
        if not keys:
            return {}
        now = self.clock()
        out: dict[FullKey, Any] = {}
        with self._lock:
            for ns, key in keys:
                entries = self._cache.get(tuple(ns))
                entry = entries.get(key) if entries is not None else None
                if entry is None:
                    continue
                tag, data, expiry = entry
                if expiry is not None and now >= expiry:
                    del entries[key]  # type: ignore[union-attr]  # (entries is set when entry is)
                    continue
                out[(tuple(ns), key)] = (tag, data)
        return {k: self.serde.loads_typed(v) for k, v in out.items()}

    def set(self, pairs: Mapping[FullKey, tuple[Any, float | None]]) -> None:
        encoded = [(tuple(ns), key, *self.serde.dumps_typed(value), self._expiry(ttl))
                   for (ns, key), (value, ttl) in pairs.items()]
        with self._lock:
            for ns, key, tag, data, expiry in encoded:
                self._cache.setdefault(ns, {})[key] = (tag, data, expiry)

    def clear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        with self._lock:
            if namespaces is None:
                self._cache.clear()
            else:
                for ns in namespaces:
                    self._cache.pop(tuple(ns), None)
