"""The public surface: every name a package exports is importable and documented, and the
imports API.md promises work."""

from __future__ import annotations

import importlib
import inspect

import pytest

PACKAGES = [
    "actorgraph", "actorgraph.actors", "actorgraph.channels", "actorgraph.graph",
    "actorgraph.runtime", "actorgraph.persistence", "actorgraph.observability",
    "actorgraph.types", "actorgraph.errors", "actorgraph.cache", "actorgraph.func",
    # LangGraph's module paths (see test_langgraphs_module_paths)
    "actorgraph.config", "actorgraph.graph.message", "actorgraph.graph.state", "actorgraph.checkpoint.memory",
    "actorgraph.store.base", "actorgraph.store.memory", "actorgraph.checkpoint.base",
    "actorgraph.checkpoint.sqlite", "actorgraph.checkpoint.sqlite.aio", "actorgraph.checkpoint.postgres",
    "actorgraph.checkpoint.postgres.aio", "actorgraph.checkpoint.serde.base", "actorgraph.checkpoint.serde.jsonplus",
    "actorgraph.checkpoint.serde.encrypted", "actorgraph.store.sqlite", "actorgraph.store.sqlite.aio",
    "actorgraph.store.postgres", "actorgraph.store.postgres.aio", "actorgraph.managed",
    "actorgraph.managed.is_last_step", "actorgraph.constants",
    "actorgraph.cache.memory", "actorgraph.cache.sqlite", "actorgraph.cache.base",
    "actorgraph.typing", "actorgraph.version",
]  # (actorgraph.prebuilt needs the langchain extra: tests/test_langchain_prebuilt.py)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_is_importable_and_documented(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__doc__, f"{package} has no docstring"
    exported = getattr(module, "__all__", None)
    assert exported, f"{package} has no __all__"
    undocumented = []
    for name in exported:
        obj = getattr(module, name)  # AttributeError: exported but missing
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and not inspect.getdoc(obj):
            undocumented.append(name)
    assert not undocumented, f"{package}: no docstring for {undocumented}"


def test_the_imports_api_md_promises() -> None:
    from actorgraph import (  # noqa: F401
        END, START, ActorSystem, Command, MessagesState, RemoveMessage, RetryPolicy, Send, StateGraph,
        StreamWriter, add_messages, get_config, get_store, get_stream_writer, interrupt,
    )
    from actorgraph.runtime import Runtime, get_runtime  # noqa: F401
    from actorgraph.actors import Actor, ActorRef, ActorStopped, MailboxFull, Supervisor  # noqa: F401
    from actorgraph.errors import (  # noqa: F401
        EmptyInputError, GraphInterrupt, GraphRecursionError, GraphValidationError, InvalidUpdateError,
    )
    from actorgraph.persistence import (  # noqa: F401
        EncryptedSerializer, InMemorySaver, InMemoryStore, Item, MemorySaver, MsgpackSerializer,
        SqliteSaver, SqliteStore,
    )
    from actorgraph.types import Interrupt, Overwrite, PregelTask, StateSnapshot  # noqa: F401

    assert MemorySaver is InMemorySaver


# A port that replaces "langgraph" by "actorgraph" in its imports: LangGraph 1.2.24's most used
# module paths and names, each the same object as the one API.md documents (module, name).
LANGGRAPH_PATHS: dict[str, dict[str, tuple[str, str]]] = {
    "actorgraph.types": {n: ("actorgraph", n) for n in ("interrupt", "Command", "Send", "StreamWriter", "RetryPolicy")},
    "actorgraph.config": {n: ("actorgraph", n) for n in ("get_stream_writer", "get_store", "get_config")},
    "actorgraph.graph.message": {**{n: ("actorgraph", n) for n in ("add_messages", "MessagesState")},
                                 "MessageGraph": ("actorgraph.graph", "MessageGraph")},
    "actorgraph.graph.state": {"StateGraph": ("actorgraph", "StateGraph"),
                               "CompiledStateGraph": ("actorgraph", "CompiledGraph")},
    "actorgraph.checkpoint.memory": {"InMemorySaver": ("actorgraph.persistence", "InMemorySaver"),
                                     "MemorySaver": ("actorgraph.persistence", "InMemorySaver")},
    "actorgraph.managed": {n: ("actorgraph.graph", n) for n in ("RemainingSteps", "IsLastStep")},
    "actorgraph.managed.is_last_step": {n: ("actorgraph.graph", n) for n in ("RemainingSteps", "IsLastStep")},
    "actorgraph.store.memory": {"InMemoryStore": ("actorgraph.persistence", "InMemoryStore")},
    "actorgraph.store.base": {n: ("actorgraph.persistence", n) for n in ("BaseStore", "Item", "SearchItem")},
    # one saver / store class serves sync and async code: LangGraph's Async* names are the same class
    # (the sync SQLite and PostgreSQL ones differ only by a sync setup(): test_persistence_postgres.py,
    # test_persistence_sqlite.py)
    "actorgraph.checkpoint.base": {n: ("actorgraph.persistence", n) for n in (
        "BaseCheckpointSaver", "Checkpoint", "CheckpointMetadata", "CheckpointTuple", "PendingWrite",
        "empty_checkpoint", "WRITES_IDX_MAP")},
    "actorgraph.checkpoint.sqlite.aio": {"AsyncSqliteSaver": ("actorgraph.persistence", "SqliteSaver")},
    "actorgraph.checkpoint.postgres.aio": {"AsyncPostgresSaver": ("actorgraph.persistence", "PostgresSaver")},
    "actorgraph.checkpoint.serde.base": {"SerializerProtocol": ("actorgraph.persistence", "Serializer")},
    "actorgraph.checkpoint.serde.jsonplus": {"JsonPlusSerializer": ("actorgraph.persistence", "MsgpackSerializer")},
    "actorgraph.checkpoint.serde.encrypted": {"EncryptedSerializer": ("actorgraph.persistence", "EncryptedSerializer")},
    "actorgraph.store.sqlite.aio": {"AsyncSqliteStore": ("actorgraph.persistence", "SqliteStore")},
    "actorgraph.store.postgres.aio": {"AsyncPostgresStore": ("actorgraph.persistence", "PostgresStore")},
    "actorgraph.constants": {n: ("actorgraph", n) for n in ("START", "END")},
    "actorgraph.cache.memory": {"InMemoryCache": ("actorgraph.cache", "InMemoryCache")},
    "actorgraph.cache.sqlite": {"SqliteCache": ("actorgraph.cache", "SqliteCache")},
    "actorgraph.cache.base": {"BaseCache": ("actorgraph.cache", "BaseCache")},
}


@pytest.mark.parametrize("path", sorted(LANGGRAPH_PATHS))
def test_langgraphs_module_paths(path: str) -> None:
    module = importlib.import_module(path)
    for name, (home, home_name) in LANGGRAPH_PATHS[path].items():
        assert getattr(module, name) is getattr(importlib.import_module(home), home_name), (path, name)


def test_langgraphs_type_names_and_constants() -> None:
    from typing import get_args

    from actorgraph.graph.message import REMOVE_ALL_MESSAGES
    from actorgraph.types import Durability, StreamMode

    assert REMOVE_ALL_MESSAGES == "__remove_all__"  # (LangGraph's value: a RemoveMessage id)
    from actorgraph.constants import TAG_HIDDEN, TAG_NOSTREAM
    from actorgraph.types import All

    assert (TAG_NOSTREAM, TAG_HIDDEN) == ("nostream", "langsmith:hidden")  # (LangGraph's values)
    assert get_args(All) == ("*",)
    assert set(get_args(Durability)) == {"sync", "async", "exit"}
    assert {"values", "updates", "custom", "messages", "debug", "tasks", "checkpoints"} <= set(get_args(StreamMode))


def test_langgraphs_type_variables() -> None:
    # langgraph.typing: the same names, the same defaults (LangGraph 1.2.24: InputT and OutputT
    # default to StateT, ContextT to None)
    from typing import Generic

    from actorgraph.typing import ContextT, InputT, OutputT, StateT

    assert InputT.__default__ is StateT and OutputT.__default__ is StateT  # type: ignore[attr-defined]
    assert ContextT.__default__ is None  # type: ignore[attr-defined]

    class Typed(Generic[StateT, ContextT]):
        pass

    assert Typed[int].__args__ == (int, None)  # type: ignore[attr-defined]  # (LangGraph's too)


def test_langgraphs_version_path() -> None:
    import actorgraph
    from actorgraph.version import __version__

    assert __version__ == actorgraph.__version__


def test_the_node_runtime_and_the_actor_system_have_distinct_names() -> None:
    import actorgraph
    import actorgraph.runtime

    # LangGraph's name: ``actorgraph.runtime.Runtime`` is what a node receives, never the
    # object hosting runs; the old names are gone, not aliased.
    assert {"context", "store", "stream_writer", "previous"} <= set(actorgraph.runtime.Runtime.__struct_fields__)
    assert callable(actorgraph.ActorSystem.start)
    assert actorgraph.runtime.ActorSystem is actorgraph.ActorSystem
    assert {"Runtime", "NodeRuntime"}.isdisjoint(dir(actorgraph))
    assert "NodeRuntime" not in dir(actorgraph.runtime)
    assert "Runtime" not in actorgraph.__all__ and "NodeRuntime" not in actorgraph.runtime.__all__


def test_the_graph_api_features_of_issue_14_are_where_langgraph_users_look() -> None:
    # (LangGraph 1.2: langgraph.types.CachePolicy/TimeoutPolicy/StateUpdate, langgraph.errors.
    # NodeError/NodeTimeoutError/GraphDrained, langgraph.runtime.RunControl/ExecutionInfo,
    # langgraph.cache.{memory,sqlite,base})
    from actorgraph.cache import BaseCache, InMemoryCache, SqliteCache
    from actorgraph.errors import GraphBubbleUp, GraphDrained, NodeError, NodeTimeoutError
    from actorgraph.graph import DrawableGraph  # noqa: F401
    from actorgraph.runtime import ExecutionInfo, RunControl  # noqa: F401
    from actorgraph.types import CachePolicy, RetryPolicy, StateUpdate, TimeoutPolicy  # noqa: F401

    assert issubclass(InMemoryCache, BaseCache) and issubclass(SqliteCache, BaseCache)
    assert issubclass(GraphDrained, GraphBubbleUp)
    assert NodeError.__doc__ and NodeTimeoutError.__doc__
    from actorgraph.runtime._compiled import CompiledGraph

    for method in ("get_input_schema", "get_output_schema", "get_input_jsonschema", "get_output_jsonschema",
                   "get_context_jsonschema", "bulk_update_state", "abulk_update_state", "clear_cache",
                   "aclear_cache", "get_graph", "aget_graph"):
        assert inspect.getdoc(getattr(CompiledGraph, method)), method
