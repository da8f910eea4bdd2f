"""What checkpoints keep, checked against LangGraph 1.2.24 by running the same programs with
LangGraph's imports and with actorgraph's, reading the values back from a new saver on the same
file or database. Expected values are LangGraph's observed behaviour."""

import collections
import datetime as dt
import ipaddress
import pathlib
import re
from pathlib import Path
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

import pytest

from actorgraph.types import Command
from tests.conftest import postgres_url


class S(TypedDict, total=False):
    case: str
    v: Any


# LangGraph 1.2.24 (JsonPlusSerializer) reads each of these back as an equal value of the same type
STDLIB_VALUES: dict[str, Any] = {
    "path": pathlib.Path("/tmp/x"),
    "relative_path": pathlib.Path("a/b"),
    "pattern": re.compile(r"a+b", re.I),
    "bytes_pattern": re.compile(b"x", re.M),
    "ipv4": ipaddress.IPv4Address("10.0.0.1"),
    "ipv6": ipaddress.IPv6Address("::1"),
    "ipv4_network": ipaddress.IPv4Network("10.0.0.0/8"),
    "ipv6_network": ipaddress.ip_network("::/64"),
    "ipv4_interface": ipaddress.IPv4Interface("10.0.0.1/8"),
    "ipv6_interface": ipaddress.IPv6Interface("::1/64"),
    "timezone": dt.timezone.utc,
    "zoneinfo": ZoneInfo("Europe/Paris"),
    "time_in_zone": dt.time(1, 2, tzinfo=ZoneInfo("Europe/Paris")),
    "deque": collections.deque([1, 2]),
    "nested": {"paths": [pathlib.Path("/a")], "ips": {"x": ipaddress.ip_address("1.2.3.4")}},
}


def _graph(checkpointer: Any) -> Any:
    from actorgraph import END, START, StateGraph
    from actorgraph.types import interrupt

    def write(s: S) -> dict[str, Any]:
        return {"v": STDLIB_VALUES[s["case"]]}

    def pause(s: S) -> dict[str, Any]:
        interrupt("q")
        return {"case": f"{type(s['v']).__name__}:{s['v']!r}"}

    return (StateGraph(S).add_node("write", write).add_node("pause", pause)
            .add_edge(START, "write").add_edge("write", "pause").add_edge("pause", END)
            .compile(checkpointer=checkpointer))


def _check(snapshot_values: dict[str, Any], history: list[Any], resumed: dict[str, Any], name: str) -> None:
    value = STDLIB_VALUES[name]
    got = snapshot_values["v"]
    assert type(got) is type(value) and got == value, name
    assert [type(h) for h in history] == [type(value), type(None), type(None)]
    assert resumed["case"] == f"{type(value).__name__}:{value!r}"


def test_stdlib_values_read_back_from_a_new_sqlite_saver(tmp_path: Path) -> None:
    """LangGraph 1.2.24: a Path, compiled pattern, ipaddress value, timezone, ZoneInfo, deque or
    a time in a ZoneInfo zone written by a node reads back as itself from a new SqliteSaver
    (get_state, get_state_history, and the node resumed after interrupt())."""
    from actorgraph.checkpoint.sqlite import SqliteSaver

    db = str(tmp_path / "cp.db")
    with SqliteSaver.from_conn_string(db) as cp:
        g = _graph(cp)
        for name in STDLIB_VALUES:
            g.invoke({"case": name}, {"configurable": {"thread_id": name}})
    with SqliteSaver.from_conn_string(db) as cp:
        g = _graph(cp)
        for name in STDLIB_VALUES:
            cfg = {"configurable": {"thread_id": name}}
            values = g.get_state(cfg).values
            history = [h.values.get("v") for h in g.get_state_history(cfg)]
            _check(values, history, g.invoke(Command(resume=1), cfg), name)


def test_stdlib_values_in_memory_saver() -> None:
    """LangGraph 1.2.24: the same values read back as themselves from InMemorySaver."""
    from actorgraph.checkpoint.memory import InMemorySaver

    g = _graph(InMemorySaver())
    for name in STDLIB_VALUES:
        cfg = {"configurable": {"thread_id": name}}
        g.invoke({"case": name}, cfg)
        history = [h.values.get("v") for h in g.get_state_history(cfg)]
        _check(g.get_state(cfg).values, history, g.invoke(Command(resume=1), cfg), name)


@pytest.mark.anyio
async def test_stdlib_values_read_back_from_a_new_async_sqlite_saver(anyio_backend: str, tmp_path: Path) -> None:
    """LangGraph 1.2.24 (AsyncSqliteSaver): as with the sync saver."""
    from actorgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    db = str(tmp_path / "cp.db")
    async with AsyncSqliteSaver.from_conn_string(db) as cp:
        g = _graph(cp)
        for name in STDLIB_VALUES:
            await g.ainvoke({"case": name}, {"configurable": {"thread_id": name}})
    async with AsyncSqliteSaver.from_conn_string(db) as cp:
        g = _graph(cp)
        for name in STDLIB_VALUES:
            cfg = {"configurable": {"thread_id": name}}
            values = (await g.aget_state(cfg)).values
            history = [h.values.get("v") async for h in g.aget_state_history(cfg)]
            _check(values, history, await g.ainvoke(Command(resume=1), cfg), name)


@pytest.mark.anyio
async def test_stdlib_values_read_back_from_a_new_async_postgres_saver(anyio_backend: str, pg_schema: str) -> None:
    """LangGraph 1.2.24 (AsyncPostgresSaver): as with SQLite."""
    from actorgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    async with AsyncPostgresSaver.from_conn_string(postgres_url(), schema=pg_schema) as cp:
        await cp.setup()
        g = _graph(cp)
        for name in STDLIB_VALUES:
            await g.ainvoke({"case": name}, {"configurable": {"thread_id": name}})
    async with AsyncPostgresSaver.from_conn_string(postgres_url(), schema=pg_schema) as cp:
        g = _graph(cp)
        for name in STDLIB_VALUES:
            cfg = {"configurable": {"thread_id": name}}
            values = (await g.aget_state(cfg)).values
            history = [h.values.get("v") async for h in g.aget_state_history(cfg)]
            _check(values, history, await g.ainvoke(Command(resume=1), cfg), name)


def _put_three(cp: Any) -> list[str]:
    """Three checkpoints of thread "t" with metadata holding nested values, put directly."""
    from actorgraph.checkpoint.base import empty_checkpoint

    metas = [{"source": "loop", "step": 1, "a": {"b": 1, "c": 2}, "l": [1, 2, 3], "n": None},
             {"source": "input", "step": 2, "t": True},
             {"step": 3}]
    cfg: Any = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
    ids = []
    for meta in metas:
        cfg = cp.put(cfg, empty_checkpoint(), meta, {})
        ids.append(cfg["configurable"]["checkpoint_id"])
    return ids


# LangGraph 1.2.24, PostgresSaver.list(None, filter=...): metadata @> filter (JSONB containment)
# -> the indexes (into _put_three's checkpoints) listed, newest first
PG_FILTERS: list[tuple[dict[str, Any], list[int]]] = [
    ({"a": {"b": 1}}, [0]),           # a nested object matches on the keys it gives
    ({"a": {"b": 1, "c": 2}}, [0]),
    ({"l": [1]}, [0]),                # a list matches when its elements are in the stored one
    ({"l": [3, 1]}, [0]),
    ({"l": [4]}, []),
    ({"n": None}, [0]),               # None matches a stored null only, never a missing key
    ({"zz": None}, []),
    ({"t": 1}, []),                   # a bool is no number, nor a number a bool
    ({"step": True}, []),
    ({"t": True}, [1]),
    ({"step": 1.0}, [0]),
    ({"source": "loop", "step": 1}, [0]),
    ({}, [2, 1, 0]),
]


def test_postgres_saver_list_filter_is_jsonb_containment(pg_schema: str) -> None:
    from actorgraph.checkpoint.postgres import PostgresSaver

    with PostgresSaver.from_conn_string(postgres_url(), schema=pg_schema) as cp:
        cp.setup()
        ids = _put_three(cp)
        for filter, expected in PG_FILTERS:
            got = [ids.index(t.config["configurable"]["checkpoint_id"]) for t in cp.list(None, filter=filter)]
            assert got == expected, filter


def test_sqlite_and_memory_list_filters_stay_equality(tmp_path: Path) -> None:
    """LangGraph 1.2.24's InMemorySaver and SqliteSaver compare each filter value for equality,
    a missing key reading as None: {"zz": None} lists all three, {"a": {"b": 1}} none."""
    from actorgraph.checkpoint.memory import InMemorySaver
    from actorgraph.checkpoint.sqlite import SqliteSaver

    with SqliteSaver.from_conn_string(str(tmp_path / "cp.db")) as sq:
        for cp in (InMemorySaver(), sq):
            ids = _put_three(cp)
            got = {str(f): [ids.index(t.config["configurable"]["checkpoint_id"]) for t in cp.list(None, filter=f)]
                   for f in ({"zz": None}, {"a": {"b": 1}}, {"a": {"b": 1, "c": 2}}, {"l": [1]})}
            assert got == {"{'zz': None}": [2, 1, 0], "{'a': {'b': 1}}": [], "{'a': {'b': 1, 'c': 2}}": [0],
                           "{'l': [1]}": []}


@pytest.mark.anyio
async def test_async_postgres_saver_filters_and_history_as_jsonb_containment(anyio_backend: str, pg_schema: str) -> None:
    """LangGraph 1.2.24 (AsyncPostgresSaver): alist and aget_state_history(filter=) as above; a
    run's config metadata {"user": "u1", "flag": True} lands in every checkpoint's metadata, and
    {"flag": 1} or {"missing": None} select none of them."""
    from actorgraph import END, START, StateGraph
    from actorgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    def node(s: S) -> dict[str, Any]:
        return {"v": 1}

    async with AsyncPostgresSaver.from_conn_string(postgres_url(), schema=pg_schema) as cp:
        await cp.setup()
        g = StateGraph(S).add_node("n", node).add_edge(START, "n").add_edge("n", END).compile(checkpointer=cp)
        cfg: Any = {"configurable": {"thread_id": "g"}, "metadata": {"user": "u1", "flag": True}}
        await g.ainvoke({"case": "x"}, cfg)
        cfg = {"configurable": {"thread_id": "g"}}

        async def steps(filter: dict[str, Any]) -> list[int]:
            return [s.metadata["step"] async for s in g.aget_state_history(cfg, filter=filter)]

        assert await steps({"user": "u1"}) == [1, 0, -1]
        assert await steps({"flag": True}) == [1, 0, -1]
        assert await steps({"flag": 1}) == []
        assert await steps({"missing": None}) == []
        assert await steps({"source": "loop", "step": 0}) == [0]
        got = [t.metadata["step"] async for t in cp.alist(cfg, filter={"user": "u1"}, limit=2)]
        assert got == [1, 0]


def test_time_payload_of_earlier_versions_reads_back_unchanged() -> None:
    """A time stored before zones were kept ([isoformat, fold]) reads back as before."""
    import msgspec

    from actorgraph.persistence import MsgpackSerializer
    from actorgraph.persistence._serde import _TIME

    s = MsgpackSerializer()
    old = msgspec.msgpack.encode(msgspec.msgpack.Ext(_TIME, msgspec.msgpack.encode(["01:02:03+02:00", 0])))
    assert s.loads(old) == dt.time(1, 2, 3, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert s.loads(s.dumps(dt.time(1, 2, fold=1))) == dt.time(1, 2, fold=1)


def test_zoneinfo_without_a_key_is_refused() -> None:
    from actorgraph.persistence import MsgpackSerializer, SerializationError

    zone = ZoneInfo.from_file(__import__("io").BytesIO(b"TZif2" + bytes(39) + b"TZif2" + bytes(39) + b"\nUTC0\n"))
    with pytest.raises(SerializationError, match="without a key"):
        MsgpackSerializer().dumps({"z": zone})
