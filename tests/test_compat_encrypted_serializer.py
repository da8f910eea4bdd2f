"""``EncryptedSerializer.from_pycryptodome_aes``: LangGraph's constructor name and key
conventions (interop finding ``encrypted_serializer_name``), backed by ``cryptography``.

Expected values were produced by LangGraph 1.2.24 (langgraph-checkpoint 4.3.2, with pycryptodome
installed): the class name, the ``msgpack+aes`` type tag, the key from ``key=`` or from the text
of ``LANGGRAPH_AES_KEY`` (16/24/32 bytes, its error messages), ``key=`` winning over the
variable, a wrong key raising ``ValueError``, unencrypted data read as is.
"""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest

from actorgraph import START, StateGraph
from actorgraph.persistence import EncryptedSerializer, MsgpackSerializer, SqliteSaver

ENV = "LANGGRAPH_AES_KEY"


@pytest.mark.parametrize("key", ["0123456789abcdef", "0123456789abcdef01234567", "0123456789abcdef0123456789abcdef"])
def test_key_from_langgraph_env_var(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    monkeypatch.setenv(ENV, key)
    serde = EncryptedSerializer.from_pycryptodome_aes()
    assert type(serde).__name__ == "EncryptedSerializer"
    tag, blob = serde.dumps_typed({"a": "hunter2-secret"})
    assert tag == "msgpack+aes"
    assert b"hunter2" not in blob
    assert serde.loads_typed((tag, blob)) == {"a": "hunter2-secret"}
    # the variable's text is the key itself (not hex): the same bytes given as key= decrypt it
    assert EncryptedSerializer.from_pycryptodome_aes(key=key.encode()).loads_typed((tag, blob)) == {
        "a": "hunter2-secret"}


def test_env_var_missing_or_wrong_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(ValueError, match=r"^LANGGRAPH_AES_KEY environment variable is not set\.$"):
        EncryptedSerializer.from_pycryptodome_aes()
    for text in ("short", "0123456789abcdef" * 4):  # 64 hex digits are 64 bytes of text here
        monkeypatch.setenv(ENV, text)
        with pytest.raises(ValueError, match=r"^LANGGRAPH_AES_KEY must be 16, 24, or 32 bytes long\.$"):
            EncryptedSerializer.from_pycryptodome_aes()


@pytest.mark.parametrize("size", [16, 24, 32])
def test_key_argument_wins_over_env(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    monkeypatch.setenv(ENV, "0123456789abcdef0123456789abcdef")
    serde = EncryptedSerializer.from_pycryptodome_aes(key=b"k" * size)
    tag, blob = serde.dumps_typed([1, "two"])
    assert serde.loads_typed((tag, blob)) == [1, "two"]
    with pytest.raises(ValueError):  # (LangGraph: ValueError('MAC check failed'))
        EncryptedSerializer.from_pycryptodome_aes().loads_typed((tag, blob))


def test_bad_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "0123456789abcdef")
    with pytest.raises(ValueError, match="Incorrect AES key length"):
        EncryptedSerializer.from_pycryptodome_aes(key=b"k" * 5)
    with pytest.raises(TypeError):
        EncryptedSerializer.from_pycryptodome_aes(key="0123456789abcdef")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bogus"):
        EncryptedSerializer.from_pycryptodome_aes(bogus=1)
    with pytest.raises(TypeError, match="mode"):
        EncryptedSerializer.from_pycryptodome_aes(mode=9)
    assert EncryptedSerializer.from_pycryptodome_aes(mode=None).loads_typed(
        EncryptedSerializer.from_pycryptodome_aes().dumps_typed("x")) == "x"


def test_reads_unencrypted_data_as_langgraph(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "0123456789abcdef")
    plain = MsgpackSerializer().dumps_typed({"a": 1})
    assert EncryptedSerializer.from_pycryptodome_aes().loads_typed(plain) == {"a": 1}
    with pytest.raises(ValueError, match="not encrypted"):
        EncryptedSerializer.from_pycryptodome_aes(allow_plaintext=False).loads_typed(plain)


class S(TypedDict):
    log: Annotated[list[str], operator.add]


@pytest.mark.anyio
async def test_checkpoints_encrypted_on_disk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV, "0123456789abcdef0123456789abcdef")
    path = tmp_path / "t.db"
    builder = StateGraph(S).add_node("a", lambda s: {"log": ["secret-value-xyz"]}).add_edge(START, "a")
    cfg: dict[str, Any] = {"configurable": {"thread_id": "1"}}
    async with SqliteSaver.from_conn_string(str(path), serde=EncryptedSerializer.from_pycryptodome_aes()) as saver:
        assert await builder.compile(checkpointer=saver).ainvoke({"log": []}, cfg) == {"log": ["secret-value-xyz"]}
    assert b"secret-value-xyz" not in path.read_bytes()
    async with SqliteSaver.from_conn_string(str(path), serde=EncryptedSerializer.from_pycryptodome_aes()) as saver:
        state = await builder.compile(checkpointer=saver).aget_state(cfg)
        assert state.values == {"log": ["secret-value-xyz"]}
