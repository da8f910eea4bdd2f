"""Node caches: where nodes with a :class:`~actorgraph.types.CachePolicy` keep their writes.

``StateGraph.compile(cache=...)`` takes one. :class:`InMemoryCache` keeps entries in the
process; :class:`SqliteCache` in a SQLite file that outlives it. Both follow LangGraph's
``BaseCache`` contract: entries are ``(namespace, key) -> value`` with an optional TTL in
seconds, ``get``/``set``/``clear`` and ``a*`` twins; values go through a serializer
(:class:`~actorgraph.persistence.MsgpackSerializer` by default), so a hit is a copy.
A ``clock`` (``time.time`` by default) decides expiry: tests pass a fake one.
"""

from ._base import BaseCache, FullKey, Namespace
from ._memory import InMemoryCache
from ._sqlite import SqliteCache

__all__ = ["BaseCache", "FullKey", "InMemoryCache", "Namespace", "SqliteCache"]
