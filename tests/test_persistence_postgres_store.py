"""PostgresStore: the BaseStore contract tests of test_store.py, run on PostgreSQL (each test in
a schema of its own, dropped afterwards), plus what only Postgres has: a store shared by two
pools, setup by several processes at once, the sync API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pytest

from actorgraph.persistence import BaseStore, PersistenceError
from conftest import postgres_url
from test_store import (  # noqa: F401  (collected here, with this module's fixtures)
    VOCAB,
    fake_embed,
    test_bad_values_and_keys,
    test_graph_node_get_store,
    test_graph_node_uses_store,
    test_list_namespaces,
    test_namespace_errors,
    test_no_index_query_gives_no_score,
    test_put_get_delete,
    test_put_none_deletes_and_refresh_ttl_is_accepted,
    test_search_filters,
    test_search_limit_offset,
    test_search_prefix_and_order,
    test_semantic_search,
    test_semantic_search_whole_value_by_default,
    test_semantic_search_wrong_dims,
    test_sync_twins_from_a_thread,
)

pytestmark = pytest.mark.anyio


def _store(schema: str, index: dict[str, Any] | None = None) -> Any:
    from actorgraph.persistence import PostgresStore

    return PostgresStore.from_conn_string(postgres_url(), schema=schema, index=index, max_size=2)


@pytest.fixture
def store_kind() -> str:
    return "postgres"


@pytest.fixture
async def store(pg_schema: str) -> AsyncIterator[BaseStore]:
    async with _store(pg_schema) as s:
        yield s


@pytest.fixture
def make_indexed(pg_schema: str) -> Callable[[dict[str, Any]], Any]:
    return lambda index: _store(pg_schema, index)


async def test_update_keeps_created_at_and_place(store: BaseStore) -> None:
    await store.aput(("a",), "k", {"v": 1})
    await store.aput(("a",), "j", {"v": 0})
    first = await store.aget(("a",), "k")
    await anyio.sleep(0.002)
    await store.aput(("a",), "k", {"v": 2})
    second = await store.aget(("a",), "k")
    assert first is not None and second is not None
    assert second.created_at == first.created_at
    assert second.updated_at > first.updated_at
    assert [i.key for i in await store.asearch(("a",))] == ["k", "j"]  # replacing keeps the place


async def test_two_stores_share_one_schema(pg_schema: str) -> None:
    async with _store(pg_schema) as one, _store(pg_schema) as two:
        await one.aput(("team", "x"), "k", {"n": 1})
        got = await two.aget(("team", "x"), "k")
        assert got is not None and got.value == {"n": 1}
        assert await two.alist_namespaces(prefix=("team",)) == [("team", "x")]


async def test_prefix_is_label_wise_not_textual(store: BaseStore) -> None:
    await store.aput(("ab",), "k", {"v": 1})
    await store.aput(("a", "b"), "k", {"v": 2})
    assert [i.value for i in await store.asearch(("a",))] == [{"v": 2}]


async def test_closed_store_refuses(pg_schema: str) -> None:
    s = _store(pg_schema)
    with pytest.raises(RuntimeError, match="not open"):
        await s.aget(("a",), "k")


def test_sync_api_without_a_loop(pg_schema: str) -> None:
    with _store(pg_schema, {"embed": fake_embed, "dims": len(VOCAB), "fields": ["t"]}) as s:
        s.put(("a",), "k", {"t": "dog"})
        s.put(("a",), "j", {"t": "cat"})
        assert [(i.key, i.score) for i in s.search(("a",), query="dog", limit=1)] == [("k", pytest.approx(1.0))]
        assert s.list_namespaces() == [("a",)]


async def test_sync_twins_refuse_in_event_loop(store: BaseStore) -> None:
    with pytest.raises(RuntimeError, match="event loop"):
        store.get(("a",), "k")


def test_newer_store_schema_refused(pg_schema: str) -> None:
    import psycopg

    with _store(pg_schema):
        pass
    with psycopg.connect(postgres_url(), autocommit=True) as conn:
        conn.execute(f'UPDATE "{pg_schema}".schema_version SET version = 99 WHERE component = %s', ("store",))
    with pytest.raises(PersistenceError, match="newer actorgraph"):
        with _store(pg_schema):
            pass

