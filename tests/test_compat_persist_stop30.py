"""Persistence as LangGraph users use it, checked against LangGraph 1.2.24 by running the same
programs with LangGraph's imports and with actorgraph's (savers, stores, history, forks).
Expected values are LangGraph's observed behaviour."""

import dataclasses
import enum
import operator
import sqlite3
from pathlib import Path
from typing import Annotated, Optional, TypedDict

import pytest
from pydantic import BaseModel

from tests.conftest import postgres_url


class S(TypedDict):
    log: Annotated[list[object], operator.add]


def test_postgres_store_search_lists_the_items_updated_last_first(pg_schema: str) -> None:
    """LangGraph 1.2.24: PostgresStore.search without a query orders by updated_at DESC:
    puts m0, m1, m2, then m0 again, then ("u", "x")/deep ->
    ['deep', 'm0', 'm2', 'm1'], limit=2 -> ['deep', 'm0'], limit=2 offset=1 -> ['m0', 'm2']."""
    from actorgraph.store.postgres import PostgresStore

    with PostgresStore.from_conn_string(postgres_url(), schema=pg_schema) as st:
        st.setup()
        for k in ("m0", "m1", "m2"):
            st.put(("u",), k, {"v": k})
        st.put(("u",), "m0", {"v": "again"})
        st.put(("u", "x"), "deep", {"v": 1})
        assert [i.key for i in st.search(("u",))] == ["deep", "m0", "m2", "m1"]
        assert [i.key for i in st.search(("u",), limit=2)] == ["deep", "m0"]
        assert [i.key for i in st.search(("u",), limit=2, offset=1)] == ["m0", "m2"]
        assert [i.key for i in st.search(())] == ["deep", "m0", "m2", "m1"]
        assert [i.key for i in st.search(("u",), filter={"v": "again"})] == ["m0"]


@pytest.mark.anyio
async def test_async_postgres_store_search_order_from_a_node(anyio_backend: str, pg_schema: str) -> None:
    """LangGraph 1.2.24: a node that reads memories back with store.search(ns, filter=...)
    gets the newest first from PostgresStore (m0, m2, m4 written in that order -> m4, m2, m0)."""
    from actorgraph import START, StateGraph
    from actorgraph.checkpoint.memory import InMemorySaver
    from actorgraph.store.base import BaseStore
    from actorgraph.store.postgres.aio import AsyncPostgresStore

    async def remember(s: S, *, store: BaseStore) -> dict[str, object]:
        n = len(await store.asearch(("mem", "u1")))
        await store.aput(("mem", "u1"), f"m{n}", {"kind": "a" if n % 2 else "b", "n": n})
        return {"log": [f"put m{n}"]}

    async def recall(s: S, *, store: BaseStore) -> dict[str, object]:
        items = await store.asearch(("mem", "u1"), filter={"kind": "b"}, limit=10)
        return {"log": [[i.key for i in items]]}

    async with AsyncPostgresStore.from_conn_string(postgres_url(), schema=pg_schema) as st:
        await st.setup()
        g = (StateGraph(S).add_node("remember", remember).add_node("recall", recall)
             .add_edge(START, "remember").add_edge("remember", "recall")
             .compile(checkpointer=InMemorySaver(), store=st))
        outs = [await g.ainvoke({"log": []}, {"configurable": {"thread_id": str(k)}}) for k in range(5)]
    assert [o["log"] for o in outs] == [
        ["put m0", ["m0"]],
        ["put m1", ["m0"]],
        ["put m2", ["m2", "m0"]],
        ["put m3", ["m2", "m0"]],
        ["put m4", ["m4", "m2", "m0"]],
    ]



@pytest.mark.parametrize(("namespace", "message"), [
    # LangGraph 1.2.24: the InvalidNamespaceError texts of BaseStore.put, word for word
    ((), "Namespace cannot be empty."),
    (("a.b",), "Invalid namespace label 'a.b' found in ('a.b',). Namespace labels cannot contain periods ('.')."),
    (("langgraph",), "Root label for namespace cannot be \"langgraph\". Got: ('langgraph',)"),
    (("a", 1), "Invalid namespace label '1' found in ('a', 1). Namespace labels must be strings, but got int."),
    (("a", ""), "Namespace labels cannot be empty strings. Got  in ('a', '')"),
    (("a\x00",), "Invalid namespace label 'a\x00' found in ('a\\x00',). Namespace labels cannot contain NUL "
                 "bytes ('\\x00')."),
])
def test_store_namespace_errors_say_what_langgraphs_say(namespace: tuple[object, ...], message: str) -> None:
    from actorgraph.store.base import InvalidNamespaceError
    from actorgraph.store.memory import InMemoryStore

    with pytest.raises(InvalidNamespaceError) as caught:
        InMemoryStore().put(namespace, "k", {"v": 1})  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_store_ttl_refusal_says_what_langgraphs_says() -> None:
    """LangGraph 1.2.24: InMemoryStore().put(ns, k, v, ttl=5) raises NotImplementedError('TTL is not
    supported by InMemoryStore. Use a store implementation that supports TTL or set ttl=None.')."""
    from actorgraph.store.memory import InMemoryStore

    with pytest.raises(NotImplementedError) as caught:
        InMemoryStore().put(("a",), "k", {"v": 1}, ttl=5)
    assert str(caught.value) == ("TTL is not supported by InMemoryStore. Use a store implementation that "
                                 "supports TTL or set ttl=None.")


def _build_a() -> object:
    from actorgraph import START, StateGraph

    def a(s: S) -> dict[str, object]:
        return {"log": ["a"]}

    return StateGraph(S).add_node("a", a).add_edge(START, "a")


def test_postgres_saver_prune_takes_langgraphs_arguments(pg_schema: str) -> None:
    """LangGraph 1.2.24: PostgresSaver.prune(["x"], strategy="keep_latest") leaves thread x one
    checkpoint (history 6 -> 1) whose values are intact and which a run continues from;
    prune(["y"], strategy="delete") leaves y none."""
    from actorgraph.checkpoint.postgres import PostgresSaver

    with PostgresSaver.from_conn_string(postgres_url(), schema=pg_schema) as cp:
        cp.setup()
        g = _build_a().compile(checkpointer=cp)  # type: ignore[attr-defined]
        for t in ("x", "y"):
            for _ in range(2):
                g.invoke({"log": [t]}, {"configurable": {"thread_id": t}})
        x = {"configurable": {"thread_id": "x"}}
        y = {"configurable": {"thread_id": "y"}}
        assert len(list(g.get_state_history(x))) == 6
        cp.prune(["x"], strategy="keep_latest")
        assert len(list(g.get_state_history(x))) == 1
        assert g.get_state(x).values == {"log": ["x", "a", "x", "a"]}
        assert g.invoke({"log": ["x"]}, x) == {"log": ["x", "a", "x", "a", "x", "a"]}
        cp.prune(["y"], strategy="delete")
        assert list(g.get_state_history(y)) == []
        assert g.get_state(y).values == {}


@pytest.mark.anyio
async def test_async_postgres_saver_aprune_takes_langgraphs_arguments(anyio_backend: str, pg_schema: str) -> None:
    """LangGraph 1.2.24 (AsyncPostgresSaver.aprune): as the sync prune above; the default
    strategy is "keep_latest"."""
    from actorgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    async with AsyncPostgresSaver.from_conn_string(postgres_url(), schema=pg_schema) as cp:
        await cp.setup()
        g = _build_a().compile(checkpointer=cp)  # type: ignore[attr-defined]
        for t in ("x", "y"):
            for _ in range(2):
                await g.ainvoke({"log": [t]}, {"configurable": {"thread_id": t}})
        await cp.aprune(["x", "y"])
        for t in ("x", "y"):
            c = {"configurable": {"thread_id": t}}
            assert [s.values async for s in g.aget_state_history(c)] == [{"log": [t, "a", t, "a"]}]
        await cp.aprune(["x"], strategy="delete")
        assert [s async for s in g.aget_state_history({"configurable": {"thread_id": "x"}})] == []


@pytest.mark.parametrize("config", [{}, {"configurable": {}}])
def test_state_calls_without_thread_id_raise_a_key_error_as_langgraph(config: dict[str, object]) -> None:
    """LangGraph 1.2.24: get_state/get_state_history/update_state on a graph with a checkpointer
    and a config without thread_id raise KeyError ('configurable' or 'thread_id'); invoke raises
    ValueError. actorgraph's error is both, so either except clause catches it."""
    from actorgraph.checkpoint.memory import InMemorySaver

    g = _build_a().compile(checkpointer=InMemorySaver())  # type: ignore[attr-defined]
    for call in (lambda: g.get_state(config), lambda: list(g.get_state_history(config)),
                 lambda: g.update_state(config, {"log": []})):
        with pytest.raises(KeyError):
            call()
        with pytest.raises(ValueError):
            call()
    with pytest.raises(ValueError, match="Checkpointer requires one or more of the following 'configurable' keys"):
        g.invoke({"log": []}, config)


@pytest.mark.parametrize("isolation_level", [None, ""])
def test_sqlite_store_on_a_connection_handed_in(tmp_path: Path, isolation_level: str | None) -> None:
    """LangGraph 1.2.24: SqliteStore(sqlite3.connect(path, check_same_thread=False,
    isolation_level=None)) then setup(), put, get works (its docs' form; LangGraph's fails with
    the default isolation_level, actorgraph's commits what it wrote). The connection stays the
    caller's: the items are in the file for another connection, and it is not closed."""
    from actorgraph.store.sqlite import SqliteStore

    path = tmp_path / "s.sqlite"
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=isolation_level)
    st = SqliteStore(conn)
    st.setup()
    st.put(("a",), "k", {"v": 1})
    item = st.get(("a",), "k")
    assert item is not None and item.value == {"v": 1}
    assert [i.key for i in st.search(("a",))] == ["k"]
    with SqliteStore.from_conn_string(str(path)) as other:
        seen = other.get(("a",), "k")
        assert seen is not None and seen.value == {"v": 1}
    with st:  # 'with' on it neither reopens nor closes the caller's connection
        st.put(("a",), "j", {"v": 2})
    assert conn.execute("SELECT count(*) FROM store_items").fetchone() == (2,)
    conn.close()


def test_sqlite_store_on_a_connection_sets_its_table_up_on_first_use() -> None:
    from actorgraph.store.sqlite import SqliteStore

    st = SqliteStore(sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None))
    st.put(("a",), "k", {"v": 1})  # no setup() call
    assert [(i.namespace, i.key) for i in st.search(())] == [(("a",), "k")]


def test_async_sqlite_store_on_an_aiosqlite_connection(tmp_path: Path) -> None:
    """LangGraph 1.2.24: AsyncSqliteStore(aiosqlite connection); await setup(), aput, aget ->
    {'v': 3}. aiosqlite runs on asyncio only, so this test does too; a graph's node reads it."""
    import asyncio

    import aiosqlite

    from actorgraph import START, StateGraph
    from actorgraph.store.base import BaseStore
    from actorgraph.store.sqlite.aio import AsyncSqliteStore

    async def node(s: S, *, store: BaseStore) -> dict[str, object]:
        item = await store.aget(("b",), "k")
        return {"log": [item.value if item else None]}

    async def main() -> None:
        async with aiosqlite.connect(tmp_path / "a.sqlite", isolation_level=None) as conn:
            st = AsyncSqliteStore(conn)
            await st.setup()
            await st.aput(("b",), "k", {"v": 3})
            got = await st.aget(("b",), "k")
            assert got is not None and got.value == {"v": 3}
            g = StateGraph(S).add_node("n", node).add_edge(START, "n").compile(store=st)
            assert await g.ainvoke({"log": []}) == {"log": [{"v": 3}]}
        async with AsyncSqliteStore.from_conn_string(str(tmp_path / "a.sqlite")) as other:
            assert [i.key for i in await other.asearch(("b",))] == ["k"]

    asyncio.run(main())


# -- classes a state schema declares are checkpointed without register_type ---------------------


class Color(enum.Enum):
    RED = 1


class Part(BaseModel):
    name: str


@dataclasses.dataclass
class Box:
    size: int


class Order(BaseModel):
    items: list[Part] = []
    color: Optional[Color] = None  # noqa: UP045  (as LangGraph programs write it)


class Typed(TypedDict):
    c: Color
    p: Part
    ps: list[Part]
    box: Box


class Model(BaseModel):
    order: Order = Order()
    note: str = ""


def test_classes_a_state_schema_names_are_checkpointed(tmp_path: Path) -> None:
    """LangGraph 1.2.24: a TypedDict state with an Enum, pydantic and dataclass field, and a
    pydantic state whose field is a model holding other classes, run with a SqliteSaver:
    invoke and get_state give the values back as those classes (LangGraph logs that they are
    unregistered; its strict mode allows the classes of the graph's schemas)."""
    from actorgraph import START, StateGraph
    from actorgraph.checkpoint.sqlite import SqliteSaver

    path = str(tmp_path / "c.sqlite")

    def typed_node(s: Typed) -> dict[str, object]:
        return {"p": Part(name="x"), "box": Box(s["box"].size + 1)}

    def model_node(s: Model) -> dict[str, object]:
        return {"order": Order(items=[Part(name="q")], color=Color.RED)}

    with SqliteSaver.from_conn_string(path) as cp:
        g = StateGraph(Typed).add_node("n", typed_node).add_edge(START, "n").compile(checkpointer=cp)
        c = {"configurable": {"thread_id": "1"}}
        want = {"c": Color.RED, "p": Part(name="x"), "ps": [Part(name="b")], "box": Box(2)}
        assert g.invoke({"c": Color.RED, "p": Part(name="a"), "ps": [Part(name="b")], "box": Box(1)}, c) == want
        assert g.get_state(c).values == want
        g2 = StateGraph(Model).add_node("n", model_node).add_edge(START, "n").compile(checkpointer=cp)
        c2 = {"configurable": {"thread_id": "2"}}
        out = g2.invoke({"note": "n"}, c2)
        assert out == {"order": Order(items=[Part(name="q")], color=Color.RED), "note": "n"}
        assert g2.get_state(c2).values == out
    with SqliteSaver.from_conn_string(path) as cp:  # read back from the file
        assert cp.get_tuple(c2).checkpoint["channel_values"]["order"] == Order(items=[Part(name="q")],  # type: ignore[union-attr]
                                                                                color=Color.RED)
