"""The public surface: every name a package exports is importable and documented, and the
imports API.md promises work."""

from __future__ import annotations

import importlib
import inspect

import pytest

PACKAGES = [
    "actorgraph", "actorgraph.actors", "actorgraph.channels", "actorgraph.graph",
    "actorgraph.runtime", "actorgraph.persistence", "actorgraph.observability",
    "actorgraph.types", "actorgraph.errors",
]


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
