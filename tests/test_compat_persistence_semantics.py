"""LangGraph compatibility of what a thread shows and keeps (issue 10): a failed task's error in
``get_state``/``get_state_history``, sync calls on an in-memory store from inside a running
node, and what ``compile()`` accepts as a checkpointer. On asyncio and trio; where a saver
matters, memory and SQLite.

Expected values were produced by running the same graphs with LangGraph 1.2.24
(langgraph-checkpoint 4.3.2, langgraph-checkpoint-sqlite 3.1.2).
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, StateGraph
from actorgraph.persistence import BaseCheckpointSaver, BaseStore, InMemoryStore, SqliteStore

pytestmark = pytest.mark.anyio


def cfg(thread: str = "1") -> dict[str, Any]:
    return {"configurable": {"thread_id": thread}}


# -- a failed task's error in the snapshot (r10) ------------------------------------------------


class X(TypedDict):
    x: int


class WrongTemperature(Exception):
    """An exception type of the user's own: its name must survive in the snapshot."""


def failing_graph(saver: BaseCheckpointSaver, error: Exception) -> Any:
    def boom(state: X) -> dict[str, Any]:
        raise error

    return StateGraph(X).add_node("boom", boom).add_edge(START, "boom").compile(checkpointer=saver)


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (RuntimeError("Simulated failure"), "RuntimeError('Simulated failure')"),
        (ValueError("bad value", 3), "ValueError('bad value', 3)"),
        (WrongTemperature("custom"), "WrongTemperature('custom')"),
    ],
)
async def test_failed_task_error_is_the_stored_repr_string(
    saver: BaseCheckpointSaver, error: Exception, shown: str
) -> None:
    # LangGraph (InMemorySaver and SqliteSaver alike): tasks[0].error is the str the saver
    # stored, repr(exc) — not an exception object — in get_state and in the history.
    app = failing_graph(saver, error)
    with pytest.raises(type(error)):
        await app.ainvoke({"x": 1}, cfg())
    (task,) = (await app.aget_state(cfg())).tasks
    assert (task.name, task.error, type(task.error)) == ("boom", shown, str)
    history = [s async for s in app.aget_state_history(cfg())]
    assert [(s.metadata["step"], [t.error for t in s.tasks]) for s in history] == [
        (0, [shown]),
        (-1, [None]),
    ]


# -- sync store calls inside an async node (item 18) --------------------------------------------


async def store_node(state: X, *, store: BaseStore) -> dict[str, Any]:
    """Uses only the store's sync methods, from inside the event loop."""
    store.put(("u", "1"), "k", {"v": state["x"]})
    item = store.get(("u", "1"), "k")
    assert item is not None
    found = store.search(("u",))
    namespaces = store.list_namespaces()
    store.delete(("u", "1"), "k")
    gone = store.get(("u", "1"), "k") is None
    return {"x": item.value["v"] + len(found) + len(namespaces) + gone}


async def test_in_memory_store_sync_methods_work_inside_an_async_node() -> None:
    # LangGraph: {'x': 4} — an in-memory store never blocks, so its sync twins are allowed
    # on the event loop's thread.
    store = InMemoryStore()
    app = StateGraph(X).add_node("n", store_node).add_edge(START, "n").compile(store=store)
    assert await app.ainvoke({"x": 1}) == {"x": 4}
    store.put(("u",), "after", {"v": 1})  # this test's own coroutine runs in the loop as well
    assert [i.key for i in await store.asearch(("u",))] == ["after"]


async def test_in_memory_store_sync_put_with_a_suspending_async_embed_names_the_async_method() -> None:
    # The one way an in-memory store call can wait: an async embedding function that really
    # suspends. Inside an event loop that cannot be driven synchronously: a clear error.
    import anyio

    async def embed(texts: list[str]) -> list[list[float]]:
        await anyio.sleep(0)
        return [[1.0, 0.0] for _ in texts]

    store = InMemoryStore(index={"embed": embed, "dims": 2, "fields": ["text"]})
    with pytest.raises(RuntimeError, match=r"InMemoryStore\.put\(\) has to wait .* `await store\.aput\(\.\.\.\)`"):
        store.put(("docs",), "a", {"text": "hello"})
    assert await store.asearch(("docs",)) == []
    await store.aput(("docs",), "a", {"text": "hello"})
    assert [(i.key, i.score) for i in await store.asearch(("docs",), query="hi")] == [("a", 1.0)]


async def test_sqlite_store_sync_methods_still_refuse_inside_the_event_loop(tmp_path: Any) -> None:
    # A SQLite store does IO: blocking the event loop's thread on it stays an error.
    async with SqliteStore.from_conn_string(str(tmp_path / "store.db")) as store:
        app = StateGraph(X).add_node("n", store_node).add_edge(START, "n").compile(store=store)
        with pytest.raises(RuntimeError, match=r"SqliteStore\.put\(\) blocks"):
            await app.ainvoke({"x": 1})
