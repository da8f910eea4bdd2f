"""Stores: LangGraph's BaseStore contract on InMemoryStore and SqliteStore, asyncio and trio."""

from __future__ import annotations

import math
import shutil
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict

import anyio
import pytest

from actorgraph import START, StateGraph
from actorgraph.persistence import (
    BaseStore,
    InMemoryStore,
    InvalidNamespaceError,
    Item,
    SearchItem,
    PersistenceError,
    SqliteSaver,
    SqliteStore,
)
from actorgraph.persistence._sqlite_store import LATEST as STORE_LATEST

pytestmark = pytest.mark.anyio

VOCAB = ["cat", "dog", "fish", "bird", "tree", "car"]


def fake_embed(texts: Sequence[str]) -> list[list[float]]:
    """Deterministic bag-of-words vectors over VOCAB."""
    return [[float(t.lower().count(w)) for w in VOCAB] for t in texts]


async def async_fake_embed(texts: Sequence[str]) -> list[list[float]]:
    await anyio.sleep(0)
    return fake_embed(texts)


def _make(kind: str, tmp_path: Path, index: dict[str, Any] | None) -> BaseStore:
    if kind == "memory":
        return InMemoryStore(index=index)
    return SqliteStore.from_conn_string(str(tmp_path / "store.db"), index=index)


@pytest.fixture(params=["memory", "sqlite"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store(store_kind: str, tmp_path: Path) -> AsyncIterator[BaseStore]:
    """An InMemoryStore and a SqliteStore on a fresh file, without an index."""
    s = _make(store_kind, tmp_path, None)
    if isinstance(s, SqliteStore):
        async with s:
            yield s
    else:
        yield s


@pytest.fixture
def make_indexed(
    store_kind: str, tmp_path: Path
) -> Callable[[dict[str, Any]], Any]:
    """Open a store of the same kind with an index config (async context manager factory)."""

    class _Open:
        def __init__(self, index: dict[str, Any]) -> None:
            self.store = _make(store_kind, tmp_path, index)

        async def __aenter__(self) -> BaseStore:
            if isinstance(self.store, SqliteStore):
                await self.store.__aenter__()
            return self.store

        async def __aexit__(self, *exc: object) -> None:
            if isinstance(self.store, SqliteStore):
                await self.store.__aexit__(None, None, None)

    return _Open


# -- put / get / delete -----------------------------------------------------------------------


async def test_put_get_delete(store: BaseStore) -> None:
    assert await store.aget(("users", "1"), "prefs") is None
    await store.aput(("users", "1"), "prefs", {"theme": "dark", "n": 1, "tags": ["a", "b"]})
    item = await store.aget(("users", "1"), "prefs")
    assert isinstance(item, Item)
    assert item.value == {"theme": "dark", "n": 1, "tags": ["a", "b"]}
    assert item.key == "prefs"
    assert item.namespace == ("users", "1")
    assert isinstance(item.created_at, datetime) and item.created_at.tzinfo is not None
    assert item.updated_at >= item.created_at
    d = item.dict()
    assert d["namespace"] == ["users", "1"]
    assert d["created_at"] == item.created_at.isoformat()
    assert d["updated_at"] == item.updated_at.isoformat()
    assert d["value"] == item.value and d["key"] == "prefs"

    await store.aput(("users", "1"), "prefs", {"theme": "light"})
    again = await store.aget(("users", "1"), "prefs")
    assert again is not None and again.value == {"theme": "light"}
    assert again.updated_at >= item.updated_at

    assert await store.aget(("users",), "prefs") is None  # namespaces are exact for get
    await store.adelete(("users", "1"), "prefs")
    assert await store.aget(("users", "1"), "prefs") is None
    await store.adelete(("users", "1"), "prefs")  # absent: no-op


async def test_inmemory_put_resets_both_timestamps() -> None:
    s = InMemoryStore()
    await s.aput(("a",), "k", {"v": 1})
    first = await s.aget(("a",), "k")
    await anyio.sleep(0.002)
    await s.aput(("a",), "k", {"v": 2})
    second = await s.aget(("a",), "k")
    assert first is not None and second is not None
    assert second.created_at > first.created_at
    assert second.created_at == second.updated_at


async def test_sqlite_update_keeps_created_at(tmp_path: Path) -> None:
    async with SqliteStore.from_conn_string(str(tmp_path / "s.db")) as s:
        await s.aput(("a",), "k", {"v": 1})
        first = await s.aget(("a",), "k")
        await anyio.sleep(0.002)
        await s.aput(("a",), "k", {"v": 2})
        second = await s.aget(("a",), "k")
    assert first is not None and second is not None
    assert second.created_at == first.created_at
    assert second.updated_at > first.updated_at


async def test_bad_values_and_keys(store: BaseStore) -> None:
    with pytest.raises(TypeError):
        await store.aput(("a",), "k", [1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        await store.aput(("a",), 3, {"v": 1})  # type: ignore[arg-type]
    if not store.supports_ttl:  # (InMemoryStore, as LangGraph's; the others: tests/test_store_ttl.py)
        with pytest.raises(NotImplementedError):
            await store.aput(("a",), "k", {"v": 1}, ttl=5)


async def test_put_none_deletes_and_refresh_ttl_is_accepted(store: BaseStore) -> None:
    # LangGraph 1.2.24's InMemoryStore: put(ns, key, None) removes the item; get()/search()
    # take refresh_ttl (ignored without a ttl)
    await store.aput(("n",), "k", {"x": 1})
    got = await store.aget(("n",), "k", refresh_ttl=False)
    assert got is not None and got.value == {"x": 1}
    assert [i.key for i in await store.asearch(("n",), refresh_ttl=True)] == ["k"]
    await store.aput(("n",), "k", None)
    assert await store.aget(("n",), "k") is None
    assert await store.asearch(("n",)) == []
    await store.aput(("n",), "gone", None)  # (nothing there: no-op)


@pytest.mark.parametrize(
    "namespace",
    [(), ("langgraph",), ("langgraph", "x"), ("a", ""), ("a.b",), ("a", "b.c"), ("a", 1)],
)
async def test_namespace_errors(store: BaseStore, namespace: tuple[Any, ...]) -> None:
    with pytest.raises(InvalidNamespaceError):
        await store.aput(namespace, "k", {"v": 1})
    assert await store.asearch(()) == []


async def test_namespace_error_is_value_error() -> None:
    assert issubclass(InvalidNamespaceError, ValueError)
    s = InMemoryStore()
    await s.aput(("x", "langgraph"), "k", {"v": 1})  # only the root label is reserved
    assert (await s.aget(("x", "langgraph"), "k")) is not None


# -- search -----------------------------------------------------------------------------------


def _newest_first(store: BaseStore) -> bool:
    """A PostgresStore or SqliteStore searches (without a query) the items updated last first,
    as LangGraph's (``ORDER BY updated_at DESC``; LangGraph's SqliteStore compares whole
    seconds, this one microseconds); InMemoryStore in the order written, as LangGraph's."""
    from actorgraph.persistence import PostgresStore, SqliteStore

    return isinstance(store, (PostgresStore, SqliteStore))


def _written(store: BaseStore, keys: list[str]) -> list[str]:
    """``keys`` in search order, from the order they were last written in."""
    return keys[::-1] if _newest_first(store) else keys


async def _fill(store: BaseStore) -> None:
    docs = [
        (("docs", "a"), "1", {"kind": "note", "n": 1, "meta": {"lang": "en", "ok": True}, "tags": ["x", "y"]}),
        (("docs", "a"), "2", {"kind": "todo", "n": 5, "meta": {"lang": "fr", "ok": True}, "tags": ["x"]}),
        (("docs", "b"), "3", {"kind": "note", "n": 10, "meta": {"lang": "en", "ok": False}, "tags": []}),
        (("docs",), "4", {"kind": "note", "n": 7}),
        (("other",), "5", {"kind": "note", "n": 3}),
        (("docsx",), "6", {"kind": "note", "n": 2}),
    ]
    for ns, key, value in docs:
        await store.aput(ns, key, value)


async def test_search_prefix_and_order(store: BaseStore) -> None:
    await _fill(store)
    assert [i.key for i in await store.asearch(("docs",))] == _written(store, ["1", "2", "3", "4"])
    assert [i.key for i in await store.asearch(("docs", "a"))] == _written(store, ["1", "2"])
    assert [i.key for i in await store.asearch(())] == _written(store, ["1", "2", "3", "4", "5", "6"])
    assert await store.asearch(("nope",)) == []
    results = await store.asearch(("docs",))
    assert all(isinstance(r, SearchItem) and r.score is None for r in results)
    assert results[0].dict()["score"] is None
    # an update keeps the item's place (Postgres: moves it to the front); delete + put moves it
    # to the end (Postgres: the front)
    await store.aput(("docs", "a"), "1", {"kind": "note", "n": 100})
    assert [i.key for i in await store.asearch(("docs",))] == _written(store, ["2", "3", "4", "1"]
                                                                      if _newest_first(store) else ["1", "2", "3", "4"])
    await store.adelete(("docs", "a"), "2")
    await store.aput(("docs", "a"), "2", {"kind": "todo"})
    assert [i.key for i in await store.asearch(("docs",))] == _written(store, ["3", "4", "1", "2"]
                                                                      if _newest_first(store) else ["1", "3", "4", "2"])


async def test_search_limit_offset(store: BaseStore) -> None:
    await _fill(store)
    everything = _written(store, ["1", "2", "3", "4", "5", "6"])
    assert [i.key for i in await store.asearch((), limit=2)] == everything[:2]
    assert [i.key for i in await store.asearch((), limit=2, offset=2)] == everything[2:4]
    assert [i.key for i in await store.asearch((), limit=10, offset=5)] == everything[5:]
    assert await store.asearch((), offset=10) == []
    assert len(await store.asearch(())) == 6  # default limit 10


async def test_search_filters(store: BaseStore) -> None:
    await _fill(store)

    async def keys(**filter: Any) -> list[str]:  # in the order written
        return _written(store, [i.key for i in await store.asearch((), filter=filter)])

    assert await keys(kind="note") == ["1", "3", "4", "5", "6"]
    assert await keys(kind="note", n=10) == ["3"]
    assert await keys(meta={"lang": "en"}) == ["1", "3"]
    assert await keys(meta={"lang": "en", "ok": True}) == ["1"]
    assert await keys(tags=["x"]) == ["2"]
    assert await keys(tags=["x", "y"]) == ["1"]
    assert await keys(tags=[]) == ["3"]
    assert await keys(missing=None) == ["1", "2", "3", "4", "5", "6"]
    assert await keys(n={"$gt": 5}) == ["3", "4"]
    assert await keys(n={"$gte": 5}) == ["2", "3", "4"]
    assert await keys(n={"$lt": 3}) == ["1", "6"]
    assert await keys(n={"$lte": 3}) == ["1", "5", "6"]
    assert await keys(n={"$gt": 1, "$lt": 7}) == ["2", "5", "6"]
    assert await keys(kind={"$ne": "note"}) == ["2"]
    assert await keys(kind={"$eq": "todo"}) == ["2"]
    assert await keys(missing={"$gt": 1}) == []  # None does not order against a number
    assert await keys(meta={"lang": {"$ne": "en"}}) == ["2"]
    assert [i.key for i in await store.asearch(("docs",), filter={"kind": "note"}, limit=1, offset=1)] == ["3"]
    with pytest.raises(ValueError, match="operator"):
        await keys(n={"$regex": "x"})


# -- list_namespaces --------------------------------------------------------------------------


async def test_list_namespaces(store: BaseStore) -> None:
    for ns in [("a", "b", "c"), ("a", "b", "d"), ("a", "x"), ("b",), ("c", "b", "c"), ("a", "b", "c", "e")]:
        await store.aput(ns, "k", {"v": 1})
    all_ns = [("a", "b", "c"), ("a", "b", "c", "e"), ("a", "b", "d"), ("a", "x"), ("b",), ("c", "b", "c")]
    assert await store.alist_namespaces() == all_ns
    assert await store.alist_namespaces(prefix=("a",)) == all_ns[:4]
    assert await store.alist_namespaces(prefix=("a", "b")) == all_ns[:3]
    assert await store.alist_namespaces(suffix=("c",)) == [("a", "b", "c"), ("c", "b", "c")]
    assert await store.alist_namespaces(prefix=("*", "b")) == [
        ("a", "b", "c"),
        ("a", "b", "c", "e"),
        ("a", "b", "d"),
        ("c", "b", "c"),
    ]
    assert await store.alist_namespaces(suffix=("b", "*")) == [("a", "b", "c"), ("a", "b", "d"), ("c", "b", "c")]
    assert await store.alist_namespaces(prefix=("a",), suffix=("d",)) == [("a", "b", "d")]
    assert await store.alist_namespaces(max_depth=1) == [("a",), ("b",), ("c",)]
    assert await store.alist_namespaces(max_depth=2) == [("a", "b"), ("a", "x"), ("b",), ("c", "b")]
    assert await store.alist_namespaces(prefix=("a",), max_depth=2) == [("a", "b"), ("a", "x")]
    assert await store.alist_namespaces(limit=2) == all_ns[:2]
    assert await store.alist_namespaces(limit=2, offset=4) == all_ns[4:]
    await store.adelete(("b",), "k")
    assert ("b",) not in await store.alist_namespaces()


# -- semantic search --------------------------------------------------------------------------


@pytest.mark.parametrize("embed", [fake_embed, async_fake_embed], ids=["sync", "async"])
async def test_semantic_search(make_indexed: Any, embed: Any) -> None:
    async with make_indexed({"embed": embed, "dims": len(VOCAB), "fields": ["text"]}) as s:
        await s.aput(("m",), "pets", {"text": "cat and dog", "n": 1})
        await s.aput(("m",), "sea", {"text": "fish fish fish", "n": 2})
        await s.aput(("m",), "garden", {"text": "tree bird tree", "n": 3})
        await s.aput(("m",), "plain", {"text": "car cat"}, index=False)  # not embedded
        await s.aput(("m",), "notext", {"other": "cat"})  # the field is absent: no vector

        results = await s.asearch(("m",), query="fish")
        # equal scores keep the search order (see _written)
        assert [r.key for r in results][:3] == ["sea", *_written(s, ["pets", "garden"])]
        assert results[0].score == pytest.approx(1.0)
        assert results[1].score == pytest.approx(0.0)
        assert [(r.key, r.score) for r in results[3:]] == [(k, None) for k in _written(s, ["plain", "notext"])]

        results = await s.asearch(("m",), query="cat dog")
        assert results[0].key == "pets" and results[0].score == pytest.approx(1.0)

        results = await s.asearch(("m",), query="dog", filter={"n": {"$gte": 2}})
        assert [r.key for r in results] == _written(s, ["sea", "garden"])

        results = await s.asearch(("m",), query="tree", limit=1)
        assert [r.key for r in results] == ["garden"]
        assert results[0].score == pytest.approx(2 / math.sqrt(5))
        results = await s.asearch(("m",), query="tree", limit=1, offset=1)
        assert len(results) == 1 and results[0].key != "garden"

        # no query: store order, score None
        assert [r.score for r in await s.asearch(("m",))] == [None] * 5

        # put with an explicit field list
        await s.aput(("m",), "plain", {"text": "car cat", "title": "fish"}, index=["title"])
        assert (await s.asearch(("m",), query="fish", limit=1))[0].key in {"sea", "plain"}
        top = await s.asearch(("m",), query="fish", limit=2)
        assert {r.key for r in top} == {"sea", "plain"}


async def test_semantic_search_whole_value_by_default(make_indexed: Any) -> None:
    async with make_indexed({"embed": fake_embed, "dims": len(VOCAB)}) as s:
        await s.aput(("m",), "a", {"x": "dog"})
        await s.aput(("m",), "b", {"y": {"z": "car"}})
        assert [r.key for r in await s.asearch(("m",), query="car")] == ["b", "a"]


async def test_semantic_search_wrong_dims(make_indexed: Any) -> None:
    async with make_indexed({"embed": fake_embed, "dims": 3, "fields": ["text"]}) as s:
        with pytest.raises(ValueError, match="dims"):
            await s.aput(("m",), "a", {"text": "dog"})


async def test_no_index_query_gives_no_score(store: BaseStore) -> None:
    await store.aput(("m",), "a", {"text": "dog"})
    results = await store.asearch(("m",), query="dog")
    assert [(r.key, r.score) for r in results] == [("a", None)]


# -- sync twins -------------------------------------------------------------------------------


async def test_sync_twins_refuse_in_event_loop(tmp_path: Path) -> None:
    # A store doing IO refuses to block the loop; InMemoryStore's sync twins are allowed there,
    # as in LangGraph (see test_compat_persistence_semantics.py).
    async with SqliteStore.from_conn_string(str(tmp_path / "store.db")) as store:
        with pytest.raises(RuntimeError, match="event loop"):
            store.put(("a",), "k", {"v": 1})
        with pytest.raises(RuntimeError, match="event loop"):
            store.get(("a",), "k")
        with pytest.raises(RuntimeError, match="event loop"):
            store.search(("a",))


async def test_sync_twins_from_a_thread(store: BaseStore) -> None:
    def work() -> Any:
        store.put(("a", "b"), "k", {"v": 1})
        got = store.get(("a", "b"), "k")
        found = store.search(("a",), filter={"v": 1})
        spaces = store.list_namespaces(prefix=("a",))
        store.delete(("a", "b"), "k")
        return got, found, spaces, store.get(("a", "b"), "k")

    got, found, spaces, gone = await anyio.to_thread.run_sync(work)
    assert got.value == {"v": 1}
    assert [i.key for i in found] == ["k"]
    assert spaces == [("a", "b")]
    assert gone is None


def test_sync_twins_without_loop(tmp_path: Path) -> None:
    s = InMemoryStore(index={"embed": fake_embed, "dims": len(VOCAB), "fields": ["t"]})
    s.put(("a",), "k", {"t": "dog"})
    assert s.search(("a",), query="dog")[0].score == pytest.approx(1.0)
    with SqliteStore.from_conn_string(str(tmp_path / "sync.db")) as q:
        q.put(("a",), "k", {"v": 1})
        item = q.get(("a",), "k")
        assert item is not None and item.value == {"v": 1}
        assert q.list_namespaces() == [("a",)]


# -- SQLite specifics -------------------------------------------------------------------------


def test_sqlite_file_written_on_asyncio_reads_on_trio(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    index = {"embed": fake_embed, "dims": len(VOCAB), "fields": ["text"]}

    async def write() -> None:
        async with SqliteStore.from_conn_string(path, index=index) as s:
            await s.aput(("u", "1"), "a", {"text": "cat", "n": 1})
            await s.aput(("u", "2"), "b", {"text": "fish", "n": 2})

    async def read() -> tuple[Any, ...]:
        async with SqliteStore.from_conn_string(path, index=index) as s:
            item = await s.aget(("u", "1"), "a")
            hits = await s.asearch(("u",), query="fish")
            spaces = await s.alist_namespaces()
            return item, hits, spaces

    anyio.run(write, backend="asyncio")
    item, hits, spaces = anyio.run(read, backend="trio")
    assert item.value == {"text": "cat", "n": 1}
    assert [h.key for h in hits] == ["b", "a"] and hits[0].score == pytest.approx(1.0)
    assert spaces == [("u", "1"), ("u", "2")]


async def test_sqlite_concurrent_puts(tmp_path: Path) -> None:
    async with SqliteStore.from_conn_string(str(tmp_path / "c.db")) as s:
        async with anyio.create_task_group() as tg:
            for i in range(20):
                tg.start_soon(s.aput, ("n", str(i % 3)), f"k{i}", {"i": i})
        assert len(await s.asearch(("n",), limit=100)) == 20
        assert await s.alist_namespaces() == [("n", "0"), ("n", "1"), ("n", "2")]


async def test_sqlite_closed_store_refuses(tmp_path: Path) -> None:
    s = SqliteStore.from_conn_string(str(tmp_path / "x.db"))
    with pytest.raises(RuntimeError, match="not open"):
        await s.aget(("a",), "k")
    async with s:
        with pytest.raises(RuntimeError, match="already open"):
            await s.__aenter__()


# -- schema version and migration -----------------------------------------------------------

_V0_INDEX = {"dims": 2, "embed": lambda texts: [[float(t.count("cat")), float(t.count("dog"))] for t in texts],
             "fields": ["text"]}


def _schema_rows(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT component, version FROM schema_version ORDER BY component").fetchall()
    finally:
        conn.close()


def _tables(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    finally:
        conn.close()


async def test_sqlite_store_opens_a_file_written_before_versioning(tmp_path: Path) -> None:
    # tests/data/store_v0.db was written by the code before the store had a schema version (see
    # tests/data/make_store_v0.py); the values below are what that script put.
    path = tmp_path / "store_v0.db"
    shutil.copy(Path(__file__).with_name("data") / "store_v0.db", path)
    assert _tables(path) == ["store_items"]
    async with SqliteStore.from_conn_string(str(path), index=_V0_INDEX) as s:
        prefs = await s.aget(("users", "u1"), "prefs")
        assert prefs is not None and prefs.value == {"text": "cat person", "n": 5}
        assert prefs.created_at.isoformat() == "2026-12-04T18:22:35.580567+00:00"
        assert prefs.updated_at.isoformat() == "2026-12-04T18:22:35.618358+00:00"
        # newest first: the script last wrote prefs (n=5), then readme, notes, u2's prefs before
        assert [(i.namespace, i.key, i.value["n"]) for i in await s.asearch((), limit=10)] == [
            (("users", "u1"), "prefs", 5), (("docs",), "readme", 4),
            (("users", "u1"), "notes", 3), (("users", "u2"), "prefs", 2),
        ]
        hits = await s.asearch(("users",), query="dog")  # the stored vectors are used
        assert [(h.namespace, h.key) for h in hits][:2] == [(("users", "u2"), "prefs"), (("users", "u1"), "notes")]
        assert await s.alist_namespaces() == [("docs",), ("users", "u1"), ("users", "u2")]
        await s.aput(("docs",), "new", {"text": "a dog", "n": 6})
        await s.adelete(("users", "u2"), "prefs")
    assert _schema_rows(path) == [("store", STORE_LATEST)]
    async with SqliteStore.from_conn_string(str(path), index=_V0_INDEX) as s:
        assert [(i.key, i.value["n"]) for i in await s.asearch((), limit=10)] == [
            ("new", 6), ("prefs", 5), ("readme", 4), ("notes", 3),  # newest first
        ]
    assert _schema_rows(path) == [("store", STORE_LATEST)]


async def test_sqlite_store_new_file_is_versioned_and_reopening_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    async with SqliteStore.from_conn_string(str(path)) as s:
        await s.aput(("a",), "k", {"v": 1})
    assert _schema_rows(path) == [("store", STORE_LATEST)]
    assert _tables(path) == ["schema_version", "store_items"]
    for _ in range(2):
        async with SqliteStore.from_conn_string(str(path)) as s:
            item = await s.aget(("a",), "k")
            assert item is not None and item.value == {"v": 1}
        assert _schema_rows(path) == [("store", STORE_LATEST)]
        assert _tables(path) == ["schema_version", "store_items"]


async def test_sqlite_store_shares_a_file_with_the_saver(tmp_path: Path) -> None:
    path = str(tmp_path / "both.db")
    async with SqliteStore.from_conn_string(path) as s:
        await s.aput(("a",), "k", {"v": 1})
    async with SqliteSaver.from_conn_string(path) as saver:
        g = StateGraph(State)
        g.add_node("n", lambda st: {"seen": st.get("seen", 0) + 1})
        g.add_edge(START, "n")
        app = g.compile(checkpointer=saver)
        cfg = {"configurable": {"thread_id": "t"}}
        assert (await app.ainvoke({"seen": 1}, cfg))["seen"] == 2
    async with SqliteStore.from_conn_string(path) as s:
        item = await s.aget(("a",), "k")
        assert item is not None and item.value == {"v": 1}
    assert [row[0] for row in _schema_rows(Path(path))] == ["checkpoints", "store"]
    assert ("store", STORE_LATEST) in _schema_rows(Path(path))


@pytest.mark.parametrize("damage, message", [
    ("INSERT INTO schema_version VALUES ('store', 99)", "newer actorgraph .*version 99"),
    ("INSERT INTO schema_version VALUES ('store', 'one')", "corrupted store schema_version entry 'one'"),
    ("INSERT INTO schema_version VALUES ('store', 0)", "corrupted store schema_version entry 0"),
])
async def test_sqlite_store_refuses_a_bad_version(tmp_path: Path, damage: str, message: str) -> None:
    path = tmp_path / "bad.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
    conn.execute(damage)
    conn.commit()
    conn.close()
    with pytest.raises(PersistenceError, match=message) as info:
        async with SqliteStore.from_conn_string(str(path)):
            pass
    assert str(path) in str(info.value)
    assert _tables(path) == ["schema_version"]  # nothing created


async def test_sqlite_store_refuses_a_foreign_items_table(tmp_path: Path) -> None:
    path = tmp_path / "foreign.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE store_items (id INTEGER PRIMARY KEY, payload TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(PersistenceError, match="store_items.*columns") as info:
        async with SqliteStore.from_conn_string(str(path)):
            pass
    assert str(path) in str(info.value)
    assert _tables(path) == ["store_items"]  # the transaction was rolled back


# -- graphs -----------------------------------------------------------------------------------


class State(TypedDict, total=False):
    user: str
    seen: int
    note: str


async def test_graph_node_uses_store(store: BaseStore) -> None:
    await store.aput(("memories", "ann"), "seed", {"text": "likes tea"})

    async def remember(state: State, *, store: BaseStore) -> State:
        ns = ("memories", state["user"])
        await store.aput(ns, "visit", {"text": "visited"})
        return {"seen": len(await store.asearch(ns))}

    def recall(state: State, *, store: BaseStore) -> State:
        # a sync node runs on a worker thread: the sync twins work there
        item = store.get(("memories", state["user"]), "seed")
        assert item is not None
        store.put(("memories", state["user"]), "recall", {"text": item.value["text"]})
        return {"note": item.value["text"]}

    g = StateGraph(State)
    g.add_node("remember", remember)
    g.add_node("recall", recall)
    g.add_edge(START, "remember")
    g.add_edge("remember", "recall")
    app = g.compile(store=store)
    out = await app.ainvoke({"user": "ann"})
    assert out["seen"] == 2 and out["note"] == "likes tea"
    assert [i.key for i in await store.asearch(("memories",))] == _written(store, ["seed", "visit", "recall"])
    item = await store.aget(("memories", "ann"), "visit")
    assert item is not None and item.value == {"text": "visited"}


async def test_graph_node_get_store(store: BaseStore) -> None:
    from actorgraph import get_store

    async def node(state: State) -> State:
        s = get_store()
        assert s is store
        await s.aput(("g",), state["user"], {"v": 1})
        return {}

    g = StateGraph(State)
    g.add_node("node", node)
    g.add_edge(START, "node")
    await g.compile(store=store).ainvoke({"user": "bob"})
    assert await store.alist_namespaces() == [("g",)]


# -- dotted filter keys (LangGraph's SqliteStore/PostgresStore read them as JSON paths) ---------


async def test_search_filter_dotted_key_is_a_nested_path() -> None:
    """LangGraph's SqliteStore: ``filter={"user.access-level": "nested"}`` matches the nested
    field (expected values from its test_filter_keys_with_hyphens_and_digits); a top-level key
    that contains a dot still matches as written."""
    store = InMemoryStore()
    await store.aput(("docs",), "hyphen", {"access-level": "public", "user": {"access-level": "nested"}})
    await store.aput(("docs",), "digit", {"123abc": "ok", "user": {"123abc": "ok2"}})
    await store.aput(("docs",), "dotted", {"a.b": 1, "n": {"v": 5}})

    async def keys(flt: dict[str, Any]) -> list[str]:
        return [i.key for i in await store.asearch(("docs",), filter=flt)]

    assert await keys({"access-level": "public"}) == ["hyphen"]
    assert await keys({"user.access-level": "nested"}) == ["hyphen"]
    assert await keys({"123abc": "ok"}) == ["digit"]
    assert await keys({"user.123abc": "ok2"}) == ["digit"]
    assert await keys({"a.b": 1}) == ["dotted"]
    assert await keys({"n.v": {"$gt": 4}}) == ["dotted"]
    assert await keys({"user.missing": "x"}) == []


# -- LangGraph's low-level batch API (langgraph.store.base's ops; expected values: LangGraph
#    1.2.24's InMemoryStore running the same batches) ------------------------------------------


async def test_batch_reads_before_its_puts_and_the_last_put_wins(store: BaseStore) -> None:
    from actorgraph.store.base import GetOp, ListNamespacesOp, MatchCondition, PutOp, SearchOp

    # [None, None, None, []]: reads see the store as before the batch; its puts land last
    first = await store.abatch([PutOp(("a",), "k", {"v": 1}), GetOp(("a",), "k"), PutOp(("a",), "k", {"v": 2}),
                                SearchOp(("a",))])
    assert first == [None, None, None, []]
    item = await store.aget(("a",), "k")
    assert item is not None and item.value == {"v": 2}
    got, put, spaces, a_level, remove, again = await store.abatch([
        GetOp(("a",), "k"), PutOp(("a", "b"), "k2", {"v": 3}), ListNamespacesOp(),
        ListNamespacesOp(match_conditions=(MatchCondition("prefix", ("a",)),), max_depth=1),
        PutOp(("a",), "k", None), GetOp(("a",), "k")])
    assert got is not None and got.value == {"v": 2} and put is None and remove is None
    assert spaces == [("a",)] and a_level == [("a",)]  # (("a", "b") is written after these reads)
    assert again is not None and again.value == {"v": 2}
    assert await store.aget(("a",), "k") is None
    assert await store.alist_namespaces() == [("a", "b")]
    # a PutOp may write under the root label "langgraph", which put() refuses (as LangGraph)
    assert await store.abatch([PutOp(("langgraph", "x"), "k", {"v": 1})]) == [None]
    reserved = await store.aget(("langgraph", "x"), "k")
    assert reserved is not None and reserved.value == {"v": 1}
    with pytest.raises(ValueError, match="Unknown operation type: <class 'str'>"):
        await store.abatch(["bogus"])  # type: ignore[list-item]


def test_batch_sync_twin(tmp_path: Path) -> None:
    from actorgraph.store.base import GetOp, PutOp

    store = InMemoryStore()
    assert store.batch([PutOp(("a",), "k", {"v": 1}), GetOp(("a",), "k")]) == [None, None]
    item = store.batch([GetOp(("a",), "k")])[0]
    assert item is not None and item.value == {"v": 1}
