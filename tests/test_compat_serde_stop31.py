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
