"""Store time to live (TTL) on SqliteStore and PostgresStore, as LangGraph 1.2.24's SqliteStore
and PostgresStore have it; InMemoryStore has none, as LangGraph's.

Expected values are what LangGraph's stores were observed to do (scratch programs run on
langgraph.store.sqlite / langgraph.store.postgres):

- ``supports_ttl`` is True on both, False on ``InMemoryStore`` whose ``put(..., ttl=1)`` raises
  ``NotImplementedError("TTL is not supported by InMemoryStore. Use a store implementation that
  supports TTL or set ttl=None.")`` and whose ``batch`` stores a ``PutOp`` with a ``ttl``, ignoring it.
- ``ttl`` is in minutes; an item returned carries no expiry field (``Item.dict()`` has the same
  five keys, ``SearchItem`` adds ``score``).
- Expired items stay visible to get/search/list_namespaces until ``sweep_ttl()`` deletes them
  (which returns how many), unless ``ttl_config["omit_expired"]`` (Postgres): then they are
  hidden and a refreshing get does not bring them back.
- A read with refresh restarts the clock of the items it returns; ``refresh_ttl=False`` leaves it.
- ``put`` without ``ttl`` takes ``default_ttl``; ``put(..., ttl=None)`` never expires and clears
  the expiry of the item it replaces; a ``PutOp`` without ``ttl`` never expires, even under a
  ``default_ttl`` (the default is ``put``'s); a ``GetOp`` in the batch of the put does not see it.

actorgraph's differences, tested here as actorgraph's contract: a ``ttl`` that is no number > 0
raises (LangGraph accepts 0, negatives and True; a string fails deep inside); SQLite honours
``omit_expired`` and refreshes on read by default (LangGraph's SQLite store ignores the first and
refreshes only with ``refresh_on_read`` set explicitly).

The clock is a fake one: the stores' ``now`` is patched, so nothing sleeps for an expiry.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import pytest

from actorgraph.persistence import InMemoryStore, SqliteStore
from actorgraph.persistence._store import BaseStore, GetOp, Item, PutOp, SearchOp, TTLSweeper
from conftest import postgres_url

pytestmark = pytest.mark.anyio

DATA = Path(__file__).with_name("data")


class Clock:
    """The stores' ``now``: starts at the real time, moves only when told."""

    def __init__(self) -> None:
        self.at = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, minutes: float) -> None:
        self.at += timedelta(minutes=minutes)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    for module in ("_store", "_sqlite_store", "_postgres_store"):
        monkeypatch.setattr(f"actorgraph.persistence.{module}.now", fake)
    return fake


@pytest.fixture(params=["sqlite", "postgres"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


Make = Callable[..., Any]


@pytest.fixture
def make(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Make:
    """``make(ttl=...)``: an unopened store of ``kind`` (one file / one schema per test)."""
    if kind == "sqlite":
        return lambda ttl=None: SqliteStore.from_conn_string(str(tmp_path / "ttl.db"), ttl=ttl)
    from actorgraph.persistence import PostgresStore

    schema = request.getfixturevalue("pg_schema")
    return lambda ttl=None: PostgresStore.from_conn_string(postgres_url(), schema=schema, ttl=ttl, max_size=2)


@asynccontextmanager
async def opened(make: Make, ttl: dict[str, Any] | None = None) -> AsyncIterator[BaseStore]:
    async with make(ttl=ttl) as store:
        yield store


def keys(items: list[Any]) -> list[str]:
    return sorted(i.key for i in items)


def sweeper_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("ttl-sweeper")]


# -- which stores have TTL ----------------------------------------------------------------------


async def test_supports_ttl(make: Make) -> None:
    async with opened(make) as store:
        assert store.supports_ttl is True
        assert store.ttl_config is None
    assert InMemoryStore.supports_ttl is False


async def test_inmemory_store_has_no_ttl() -> None:
    store = InMemoryStore()
    with pytest.raises(NotImplementedError, match=r"^TTL is not supported by InMemoryStore\. Use a store "
                                                  r"implementation that supports TTL or set ttl=None\.$"):
        await store.aput(("a",), "k", {"x": 1}, ttl=1)
    await store.aput(("a",), "k", {"x": 1}, ttl=None)
    assert await store.asweep_ttl() == 0
    with pytest.raises(TypeError):  # (no ttl argument, as LangGraph's)
        InMemoryStore(ttl={"default_ttl": 1})  # type: ignore[call-arg]
    # its batch ignores a PutOp's ttl (LangGraph's InMemoryStore: stored, no error, even ttl=-1)
    ops = [PutOp(("a",), "j", {"v": 1}, ttl=1), PutOp(("a",), "m", {"v": 1}, ttl=-1)]
    assert await store.abatch(ops) == [None, None]
    assert keys(await store.asearch(("a",))) == ["j", "k", "m"]


# -- expiry, sweep, omit_expired ----------------------------------------------------------------


async def test_expired_items_stay_visible_until_swept(make: Make, clock: Clock) -> None:
    async with opened(make) as store:
        await store.aput(("a",), "k", {"x": 1}, ttl=1)
        await store.aput(("a",), "d", {"x": 2})
        await store.aput(("a",), "n", {"x": 3}, ttl=None)
        await store.aput(("b",), "k", {"x": 1}, ttl=1)
        item = await store.aget(("a",), "k")
        assert item is not None and set(item.dict()) == {"namespace", "key", "value", "created_at", "updated_at"}
        clock.advance(2)
        assert await store.aget(("a",), "k", refresh_ttl=False) == item
        assert keys(await store.asearch(("a",), refresh_ttl=False)) == ["d", "k", "n"]
        assert await store.alist_namespaces() == [("a",), ("b",)]
        assert await store.asweep_ttl() == 2
        assert await store.aget(("a",), "k") is None
        assert keys(await store.asearch(("a",))) == ["d", "n"]
        assert await store.alist_namespaces() == [("a",)]
        assert await store.asweep_ttl() == 0


async def test_omit_expired_hides_them(make: Make, clock: Clock) -> None:
    async with opened(make, {"omit_expired": True}) as store:
        await store.aput(("a",), "k", {"x": 1}, ttl=1)
        await store.aput(("a",), "d", {"x": 2})
        await store.aput(("b",), "k", {"x": 1}, ttl=1)
        clock.advance(0.5)
        assert keys(await store.asearch(("a",), refresh_ttl=False)) == ["d", "k"]
        clock.advance(1)
        assert await store.aget(("a",), "k", refresh_ttl=False) is None
        assert await store.aget(("a",), "k") is None  # (a refreshing get does not bring it back)
        assert keys(await store.asearch(("a",))) == ["d"]
        assert await store.alist_namespaces() == [("a",)]
        assert await store.asweep_ttl() == 2


async def test_put_replaces_the_ttl(make: Make, clock: Clock) -> None:
    async with opened(make) as store:
        await store.aput(("a",), "k", {"x": 1}, ttl=1)
        await store.aput(("a",), "k", {"x": 2})  # (no default_ttl: never expires now)
        await store.aput(("a",), "j", {"x": 1})
        await store.aput(("a",), "j", {"x": 2}, ttl=1)
        clock.advance(2)
        assert await store.asweep_ttl() == 1
        assert keys(await store.asearch(("a",))) == ["k"]


# -- refresh on read -----------------------------------------------------------------------------


async def test_get_refreshes_by_default(make: Make, clock: Clock) -> None:
    async with opened(make) as store:
        await store.aput(("a",), "k", {"x": 1}, ttl=1)
        await store.aput(("a",), "j", {"x": 1}, ttl=1)
        clock.advance(0.75)
        assert await store.aget(("a",), "k") is not None  # k now expires at 1.75
        assert await store.aget(("a",), "j", refresh_ttl=False) is not None  # j still at 1
        clock.advance(0.5)
        assert await store.asweep_ttl() == 1
        assert await store.aget(("a",), "j", refresh_ttl=False) is None
        clock.advance(0.75)
        assert await store.asweep_ttl() == 1
        assert await store.aget(("a",), "k") is None


async def test_search_refreshes_what_it_returns(make: Make, clock: Clock) -> None:
    async with opened(make) as store:
        for key in ("a1", "a2", "a3"):
            await store.aput(("a",), key, {"n": int(key[1])}, ttl=1)
        await store.aput(("b",), "b1", {"n": 1}, ttl=1)
        clock.advance(0.75)
        assert keys(await store.asearch(("a",), filter={"n": {"$gte": 2}})) == ["a2", "a3"]
        assert keys(await store.asearch(("b",), refresh_ttl=False)) == ["b1"]
        clock.advance(0.5)
        assert await store.asweep_ttl() == 2  # a1 (not returned) and b1 (not refreshed)
        assert keys(await store.asearch(())) == ["a2", "a3"]


async def test_refresh_on_read_false(make: Make, clock: Clock) -> None:
    async with opened(make, {"refresh_on_read": False}) as store:
        await store.aput(("a",), "k", {"x": 1}, ttl=1)
        await store.aput(("a",), "j", {"x": 1}, ttl=1)
        clock.advance(0.75)
        await store.aget(("a",), "k")
        await store.asearch(("a",))
        await store.aget(("a",), "j", refresh_ttl=True)  # the argument wins
        clock.advance(0.5)
        assert await store.asweep_ttl() == 1
        assert keys(await store.asearch(("a",))) == ["j"]


# -- default_ttl -----------------------------------------------------------------------------------


async def test_default_ttl(make: Make, clock: Clock) -> None:
    async with opened(make, {"default_ttl": 1, "refresh_on_read": True}) as store:
        assert store.ttl_config == {"default_ttl": 1, "refresh_on_read": True}
        await store.aput(("a",), "default", {"x": 1})
        await store.aput(("a",), "never", {"x": 1}, ttl=None)
        await store.aput(("a",), "longer", {"x": 1}, ttl=5)
        await store.aput(("a",), "cleared", {"x": 1})
        await store.aput(("a",), "cleared", {"x": 2}, ttl=None)
        clock.advance(2)
        assert await store.asweep_ttl() == 1
        clock.advance(4)
        assert await store.asweep_ttl() == 1
        assert keys(await store.asearch(("a",))) == ["cleared", "never"]


# -- the low-level batch API -----------------------------------------------------------------------


async def test_batch_ops(make: Make, clock: Clock) -> None:
    async with opened(make, {"default_ttl": 5}) as store:
        results = await store.abatch([
            PutOp(("a",), "p", {"v": 1}),  # no ttl: never expires (default_ttl is put()'s)
            PutOp(("a",), "q", {"v": 1}, ttl=2),
            GetOp(("a",), "p"),  # (reads see the store before the batch's puts)
        ])
        assert results == [None, None, None]
        clock.advance(1.5)
        got, found = await store.abatch([GetOp(("a",), "q", refresh_ttl=True),
                                         SearchOp(("a",), refresh_ttl=False)])
        assert isinstance(got, Item) and got.value == {"v": 1}
        assert keys(found) == ["p", "q"]
        clock.advance(1)  # q was refreshed at 1.5: expires at 3.5
        assert await store.asweep_ttl() == 0
        await store.abatch([SearchOp(("a",), refresh_ttl=False)])
        clock.advance(1)
        assert await store.asweep_ttl() == 1
        assert keys(await store.asearch(("a",))) == ["p"]


async def test_batch_checks_every_ttl_before_writing(make: Make) -> None:
    async with opened(make) as store:
        with pytest.raises(ValueError, match="ttl"):
            await store.abatch([PutOp(("a",), "ok", {"v": 1}, ttl=1), PutOp(("a",), "bad", {"v": 1}, ttl=-1)])
        assert await store.asearch(("a",)) == []


# -- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad, error", [
    ("x", TypeError), (True, TypeError), ([1], TypeError),
    (0, ValueError), (-1, ValueError), (float("nan"), ValueError), (float("inf"), ValueError),
])
async def test_bad_ttl(make: Make, bad: Any, error: type[Exception]) -> None:
    async with opened(make) as store:
        with pytest.raises(error, match=r"Store: ttl must be a"):
            await store.aput(("a",), "k", {"x": 1}, ttl=bad)
        assert await store.aget(("a",), "k") is None


@pytest.mark.parametrize("config, error, match", [
    ({"default_ttl": 0}, ValueError, r"ttl\['default_ttl'\] must be a finite number of minutes > 0"),
    ({"default_ttl": "1"}, TypeError, r"ttl\['default_ttl'\] must be a number of minutes"),
    ({"sweep_interval_minutes": -5}, ValueError, r"ttl\['sweep_interval_minutes'\]"),
    ({"refresh_on_read": 1}, TypeError, r"ttl\['refresh_on_read'\] must be a bool"),
    ({"default": 1}, ValueError, r"unknown ttl config keys \['default'\]"),
    ("1", TypeError, r"ttl must be a TTLConfig dict"),
])
def test_bad_ttl_config(make: Make, config: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        make(ttl=config)


async def test_bad_sweep_interval(make: Make) -> None:
    async with opened(make, {"default_ttl": 1}) as store:
        with pytest.raises(ValueError, match="sweep_interval_minutes"):
            store.start_ttl_sweeper(0)
        assert sweeper_threads() == []


# -- the sweeper thread ----------------------------------------------------------------------------


async def _wait_until_gone(store: BaseStore, key: str) -> None:
    with anyio.fail_after(10):
        while await store.aget(("a",), key, refresh_ttl=False) is not None:
            await anyio.sleep(0.02)


async def test_sweeper_thread(make: Make, clock: Clock) -> None:
    async with opened(make, {"sweep_interval_minutes": 0.001}) as store:
        future = store.start_ttl_sweeper()
        assert store.start_ttl_sweeper() is future  # (one at a time)
        assert len(sweeper_threads()) == 1
        await store.aput(("a",), "k", {"x": 1}, ttl=1)
        await store.aput(("a",), "j", {"x": 1})
        clock.advance(2)
        await _wait_until_gone(store, "k")
        assert await store.aget(("a",), "j") is not None
        with pytest.raises(RuntimeError, match="astop_ttl_sweeper"):
            store.stop_ttl_sweeper()  # (would join a thread on the event loop)
        assert await store.astop_ttl_sweeper() is True
        assert future.done() and sweeper_threads() == []
        assert await store.astop_ttl_sweeper() is True  # (none running)


async def test_closing_the_store_stops_and_joins_the_sweeper(make: Make, clock: Clock) -> None:
    async with opened(make, {"sweep_interval_minutes": 0.001}) as store:
        future = store.start_ttl_sweeper()
        await store.aput(("a",), "k", {"x": 1}, ttl=1)
        clock.advance(2)
        await _wait_until_gone(store, "k")
    assert future.done() and sweeper_threads() == []


async def test_cancelling_the_future_stops_the_sweeper(make: Make) -> None:
    async with opened(make, {"sweep_interval_minutes": 10}) as store:
        future = store.start_ttl_sweeper()
        assert future.cancel()
        assert await store.astop_ttl_sweeper(timeout=10) is True
        assert sweeper_threads() == []


async def test_no_sweeper_without_a_ttl_config(make: Make) -> None:
    async with opened(make) as store:
        future = store.start_ttl_sweeper()
        assert future.done() and future.result() is None
        assert sweeper_threads() == []


def test_ttl_sweeper_logs_a_failed_sweep_and_goes_on() -> None:
    calls: list[int] = []

    def sweep() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("busy")
        return 0

    sweeper = TTLSweeper("test", sweep, 0.01)
    sweeper.start()
    deadline = time.monotonic() + 10
    while len(calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sweeper.stop() is True
    assert len(calls) >= 2 and sweeper.future.done()


# -- the sync API ------------------------------------------------------------------------------------


@pytest.fixture
def sync_make(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Make:
    if kind == "sqlite":
        return lambda ttl=None: SqliteStore.from_conn_string(str(tmp_path / "sync.db"), ttl=ttl)
    from actorgraph.persistence import PostgresStore

    schema = request.getfixturevalue("pg_schema")
    return lambda ttl=None: PostgresStore.from_conn_string(postgres_url(), schema=schema, ttl=ttl, max_size=2)


def test_sync_api(sync_make: Make, clock: Clock) -> None:
    with sync_make(ttl={"default_ttl": 1, "sweep_interval_minutes": 0.001}) as store:
        store.put(("a",), "k", {"x": 1})
        store.put(("a",), "n", {"x": 1}, ttl=None)
        store.put(("a",), "r", {"x": 1})
        clock.advance(0.75)
        assert store.get(("a",), "r") is not None  # refreshed
        assert keys(store.search(("a",), refresh_ttl=False)) == ["k", "n", "r"]
        clock.advance(0.5)
        assert store.sweep_ttl() == 1
        assert store.batch([GetOp(("a",), "k"), GetOp(("a",), "r", refresh_ttl=False)])[0] is None
        store.start_ttl_sweeper()
        clock.advance(1)
        deadline = time.monotonic() + 10
        while store.get(("a",), "r", refresh_ttl=False) is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert keys(store.search(("a",))) == ["n"]
        with pytest.raises(ValueError, match="ttl"):
            store.put(("a",), "k", {"x": 1}, ttl=-1)
    assert sweeper_threads() == []  # (closing joined it)


# -- stores written before TTL -----------------------------------------------------------------------


def _schema_version(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT component, version FROM schema_version").fetchall()
    finally:
        conn.close()


async def test_sqlite_file_of_schema_version_1_reads_back_identically(tmp_path: Path, clock: Clock) -> None:
    # tests/data/store_v1.db was written by actorgraph at 28b5310 (see tests/data/make_store_v1.py)
    path = tmp_path / "store_v1.db"
    shutil.copy(DATA / "store_v1.db", path)
    assert _schema_version(path) == [("store", 1)]
    async with SqliteStore.from_conn_string(str(path)) as store:
        prefs = await store.aget(("users", "u1"), "prefs")
        assert prefs is not None and prefs.value == {"text": "cat person", "n": 5}
        assert prefs.created_at.isoformat() == "2026-12-06T22:29:55.589388+00:00"
        assert prefs.updated_at.isoformat() == "2026-12-06T22:29:55.599935+00:00"
        # newest first: the script last wrote prefs (n=5), then readme, notes, u2's prefs before
        assert [(i.namespace, i.key, i.value["n"]) for i in await store.asearch((), limit=10)] == [
            (("users", "u1"), "prefs", 5), (("docs",), "readme", 4),
            (("users", "u1"), "notes", 3), (("users", "u2"), "prefs", 2),
        ]
        assert await store.alist_namespaces() == [("docs",), ("users", "u1"), ("users", "u2")]
        clock.advance(60 * 24 * 365 * 10)
        assert await store.asweep_ttl() == 0  # (its items never expire)
        await store.aput(("docs",), "new", {"n": 6}, ttl=1)
        clock.advance(2)
        assert await store.asweep_ttl() == 1
    assert _schema_version(path) == [("store", 2)]
    conn = sqlite3.connect(path)
    try:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(store_items)")]
    finally:
        conn.close()
    assert columns[-2:] == ["expires_at", "ttl_minutes"]


_PG_V1_TABLE = """CREATE TABLE {table} (
    seq bigserial PRIMARY KEY,
    prefix text COLLATE "C" NOT NULL,
    key text COLLATE "C" NOT NULL,
    value text NOT NULL,
    vectors text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (prefix, key))"""


@pytest.fixture
def pg_v1_schema(pg_schema: str) -> Iterator[str]:
    """A schema holding a store of version 1 (the DDL of actorgraph 28b5310) with one item."""
    import psycopg

    with psycopg.connect(postgres_url(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{pg_schema}"')
        conn.execute(f'CREATE TABLE "{pg_schema}".schema_version '
                     "(component text PRIMARY KEY, version integer NOT NULL)")
        conn.execute(f"INSERT INTO \"{pg_schema}\".schema_version VALUES ('store', 1)")
        conn.execute(_PG_V1_TABLE.format(table=f'"{pg_schema}".store_items'))
        conn.execute(f'INSERT INTO "{pg_schema}".store_items (prefix, key, value, created_at, updated_at) VALUES '
                     "('users.u1', 'prefs', '{\"n\": 5}', '2026-12-06T22:29:55.589388+00:00', "
                     "'2026-12-06T22:29:55.599935+00:00')")
    yield pg_schema


async def test_postgres_store_of_schema_version_1_reads_back_identically(pg_v1_schema: str, clock: Clock) -> None:
    from actorgraph.persistence import PostgresStore

    async with PostgresStore.from_conn_string(postgres_url(), schema=pg_v1_schema, max_size=2) as store:
        prefs = await store.aget(("users", "u1"), "prefs")
        assert prefs is not None and prefs.value == {"n": 5}
        assert prefs.created_at == datetime(2026, 12, 6, 22, 29, 55, 589388, tzinfo=timezone.utc)
        assert prefs.updated_at == datetime(2026, 12, 6, 22, 29, 55, 599935, tzinfo=timezone.utc)
        clock.advance(60 * 24 * 365 * 10)
        assert await store.asweep_ttl() == 0
        await store.aput(("users", "u1"), "tmp", {"n": 6}, ttl=1)
        clock.advance(2)
        assert await store.asweep_ttl() == 1
    import psycopg

    with psycopg.connect(postgres_url()) as conn:
        rows = conn.execute(f"SELECT version FROM \"{pg_v1_schema}\".schema_version WHERE component = 'store'")
        assert rows.fetchall() == [(2,)]
