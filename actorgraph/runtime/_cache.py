"""Node caching at the barrier: before a step runs, the tasks of nodes with a ``CachePolicy``
whose input was seen before take their writes from the graph's cache instead of running; after
the step, the writes of those that ran are stored (with the policy's TTL).

An entry's namespace is LangGraph's: ``("__pregel_ns_writes", "<module>.<function>", node)``
(so ``clear_cache(nodes)`` drops a node's entries); its key the hex digest of the policy's
``key_func(input)``. The value is the task's channel writes: its updates, edges and branches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..graph._program import NodeProgram
from ._algo import Task

if TYPE_CHECKING:
    from ..cache import BaseCache, FullKey, Namespace

CACHE_NS_WRITES = "__pregel_ns_writes"


def namespace(node: NodeProgram) -> Namespace:
    """The cache namespace of ``node``'s entries."""
    fn: Any = node.call.fn  # Any: a user's callable, named by its module and qualified name
    module = getattr(fn, "__module__", None)
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    ident = f"{module}.{name}" if module and name else "__dynamic__"
    return (CACHE_NS_WRITES, ident, node.name)


def cache_key(task: Task) -> FullKey:
    """Where ``task``'s writes are cached (``key_func`` errors get a note naming the node)."""
    node = task.node
    policy = node.cache_policy
    assert policy is not None
    try:
        raw = policy.key_func(task.input)
    except Exception as exc:
        exc.add_note(f"While computing the cache key of node '{node.name}'")
        raise
    data = raw.encode() if isinstance(raw, str) else raw
    return namespace(node), hashlib.blake2b(data, digest_size=16).hexdigest()


async def lookup(cache: BaseCache, tasks: Sequence[Task]) -> tuple[list[Task], list[Task], list[tuple[Task, FullKey]]]:
    """Split ``tasks`` into those to run and the cache hits (their writes set from the cache);
    also the keys of the cacheable tasks to run, for :func:`store`."""
    keyed = [(task, cache_key(task)) for task in tasks if task.node.cache_policy is not None]
    if not keyed:
        return list(tasks), [], []
    found = await cache.aget([key for _, key in keyed])
    hits: list[Task] = []
    misses: list[tuple[Task, FullKey]] = []
    for task, key in keyed:
        writes = found.get(key)
        if writes is None:
            misses.append((task, key))
        else:
            task.writes = [tuple(w) for w in writes]  # (channel, value) pairs
            hits.append(task)
    hit_ids = set(map(id, hits))
    return [t for t in tasks if id(t) not in hit_ids], hits, misses


async def store(cache: BaseCache, keyed: Sequence[tuple[Task, FullKey]], finished: Sequence[Task]) -> None:
    """Cache the writes of the keyed tasks that finished (a task whose node failed and was
    handled by its error handler is not cached: its writes are the handler's)."""
    done = set(map(id, finished))
    pairs = {key: (list(task.writes), task.node.cache_policy.ttl)  # type: ignore[union-attr]  # keyed: has one
             for task, key in keyed if id(task) in done and task.name == task.node.name}
    if pairs:
        await cache.aset(pairs)
