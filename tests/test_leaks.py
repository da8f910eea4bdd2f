"""Memory leaks: what a run, a stream, a subscription, a saver or a system leaves alive once it
is finished. Each test reproduces one leak that was found (and fixed at its cause) by counting
the objects that stayed behind after ``gc.collect()``, with slack for bounded one-time growth."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict

import pytest

from actorgraph import START, StateGraph
from actorgraph.persistence import SqliteSaver

pytestmark = pytest.mark.anyio


class S(TypedDict):
    x: int


def _graph(node: Callable[[S], dict[str, Any]], **compile: Any) -> Any:
    g = StateGraph(S)
    g.add_node("n", node)
    g.add_edge(START, "n")
    return g.compile(**compile)


def _live_thread_local_entries() -> int:
    """Per-thread entries of ``threading.local`` objects still alive (each is one thread's
    ``_thread._localdummy``, watched by a weakref of its local)."""
    gc.collect()
    return sum(1 for o in gc.get_objects()
               if type(o) is weakref.ReferenceType and type(o()).__name__ == "_localdummy")


def _in_threads(fn: Callable[[], None], n: int) -> None:
    for _ in range(n):
        thread = threading.Thread(target=fn)
        thread.start()
        thread.join()


async def test_a_thread_that_used_the_sync_api_leaves_nothing_behind() -> None:
    """A thread that called ``invoke()`` keeps a private event loop, closed by a finalizer as
    the thread ends. That finalizer ran the loop (asking which loop runs here, trio's and
    sniffio's thread-locals, asyncio's running-loop holder) while the thread state was being
    torn down: each thread-local it touched was made anew in a thread-state dict never cleared
    again. Every such thread leaked them (~3 objects, ~220 bytes): each sync call made where a
    loop runs (a sync node calling ``subgraph.invoke()``, here on a helper thread of its own),
    each thread of a server's pool calling ``graph.invoke()``."""
    sub = _graph(lambda s: {"x": s["x"] + 1})
    outer = _graph(lambda s: sub.invoke({"x": s["x"]}))  # a sync node: invoke on a helper thread
    assert await outer.ainvoke({"x": 0}) == {"x": 1}

    def in_a_thread() -> None:
        assert sub.invoke({"x": 1}) == {"x": 2}

    _in_threads(in_a_thread, 3)
    before = _live_thread_local_entries()
    for _ in range(30):
        assert await outer.ainvoke({"x": 0}) == {"x": 1}
    _in_threads(in_a_thread, 30)
    assert _live_thread_local_entries() - before < 10  # (was one per thread, 60 here)


async def test_a_sqlite_saver_remembers_a_bounded_number_of_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``SqliteSaver`` caches each thread's key (``thread_id`` -> its row in
    ``checkpoint_threads``). That cache had no bound, unlike the head cache beside it: a
    long-lived saver (a server, a new ``thread_id`` per conversation) kept every thread id it
    ever wrote or listed in memory (~130 bytes per thread, in a dict of strings and ints that
    the garbage collector does not even track), though its file holds them all."""
    from actorgraph.persistence import _schema

    monkeypatch.setattr(_schema, "_TKEYS_KEPT", 8, raising=False)  # (4096: too many for a test)
    async with SqliteSaver.from_conn_string(str(tmp_path / "cp.db")) as saver:
        graph = _graph(lambda s: {"x": s["x"] + 1}, checkpointer=saver)
        for i in range(30):
            config = {"configurable": {"thread_id": f"t{i}"}}
            assert await graph.ainvoke({"x": i}, config) == {"x": i + 1}
        tkeys = saver._store._tkeys
        assert 0 < len(tkeys) <= 8  # (was 30: one per thread written)
        listed = {t.config["configurable"]["thread_id"] async for t in saver.alist(None)}
        assert listed == {f"t{i}" for i in range(30)}
        assert 0 < len(tkeys) <= 8  # (listing every thread filled it again)
        for i in (0, 29):  # (a thread whose key was let go of is read again)
            state = await graph.aget_state({"configurable": {"thread_id": f"t{i}"}})
            assert state.values == {"x": i + 1}
