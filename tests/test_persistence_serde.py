"""Serializers: round trips, the type registry's safety, encryption, checkpoint ids."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import os
import pickle
import sys
import uuid
from collections import OrderedDict
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.msgpack import Ext

import actorgraph.persistence as persistence
from actorgraph.persistence import (
    DecryptionError,
    MsgpackSerializer,
    SerializationError,
    new_checkpoint_id,
    register_type,
)
from actorgraph.persistence._serde import INTERN_MIN
from actorgraph.types import Interrupt, Send


@register_type
@dataclasses.dataclass
class Point:
    x: int
    y: Any = None


@register_type
@dataclasses.dataclass(frozen=True, slots=True)
class FrozenPoint:
    x: int
    label: str = "p"


@register_type
class Note(msgspec.Struct, frozen=True):
    text: str
    tags: tuple[str, ...] = ()


@register_type
class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@register_type
class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@register_type
class Pair(NamedTuple):
    left: Any
    right: Any


@dataclasses.dataclass
class Unregistered:
    x: int


class UnregisteredStruct(msgspec.Struct):
    x: int


class UnregisteredEnum(enum.Enum):
    A = 1


class Opaque:
    def __init__(self, n: int) -> None:
        self.n = n

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Opaque) and other.n == self.n

    def __hash__(self) -> int:
        return self.n


SERDE = MsgpackSerializer()


def roundtrip(value: Any, serde: Any = SERDE) -> Any:
    return serde.loads_typed(serde.dumps_typed(value))


def assert_same(a: Any, b: Any) -> None:
    """Equal, and of the same type all the way down."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name))
    elif isinstance(a, msgspec.Struct):
        for f in a.__struct_fields__:
            assert_same(getattr(a, f), getattr(b, f))
    elif isinstance(a, dt.datetime):
        assert a == b and a.utcoffset() == b.utcoffset() and a.tzinfo == b.tzinfo
    else:
        assert a == b


# -- round trips ----------------------------------------------------------------------------------

zones = st.sampled_from([None, dt.timezone.utc, dt.timezone(dt.timedelta(hours=-5)), ZoneInfo("Europe/Paris")])
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.datetimes(timezones=zones),
    st.dates(),
    st.times(),
    st.timedeltas(),
    st.uuids(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.sampled_from(list(Color) + list(Level)),
)
hashables = st.one_of(st.integers(), st.text(max_size=8), st.tuples(st.integers(), st.text(max_size=4)),
                      st.sampled_from(list(Color)))


def containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=6), children, max_size=4),
        st.dictionaries(hashables, children, max_size=3),
        st.sets(hashables, max_size=4),
        st.frozensets(hashables, max_size=4),
        st.builds(Point, st.integers(), children),
        st.builds(FrozenPoint, st.integers(), st.text(max_size=5)),
        st.builds(Note, st.text(max_size=8), st.lists(st.text(max_size=3), max_size=3).map(tuple)),
        st.builds(Pair, children, children),
    )


values = st.recursive(scalars, containers, max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(values)
def test_values_roundtrip_to_their_own_types(value: Any) -> None:
    assert_same(roundtrip(value), value)


long_scalars = st.one_of(scalars, st.text(min_size=INTERN_MIN, max_size=INTERN_MIN + 40),
                         st.binary(min_size=INTERN_MIN, max_size=INTERN_MIN + 40),
                         st.sampled_from(["z" * INTERN_MIN, "é" * INTERN_MIN]))
interned_values = st.recursive(long_scalars, containers, max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(interned_values)
def test_interned_values_roundtrip_to_their_own_types(value: Any) -> None:
    serde = MsgpackSerializer()
    chunks: dict[bytes, bytes] = {}
    data = serde.dumps_interned(value, chunks)
    assert_same(serde.loads_interned(data, chunks), value)
    assert all(len(c) >= INTERN_MIN for c in chunks.values())


def test_builtin_runtime_types_are_registered() -> None:
    value = [Send("node", {"x": (1, 2)}), Interrupt(value={"q": "?"}, id="abc")]
    assert_same(roundtrip(value), value)


def test_pydantic_models_roundtrip() -> None:
    pydantic = pytest.importorskip("pydantic")

    class Inner(pydantic.BaseModel):
        when: dt.date
        tags: set[str]

    class Outer(pydantic.BaseModel):
        name: str
        inner: Inner
        extra: int = 3

    serde = MsgpackSerializer(allowed=[Inner, Outer])
    value = Outer(name="n", inner=Inner(when=dt.date(2024, 1, 2), tags={"a"}))
    back = roundtrip(value, serde)
    assert type(back) is Outer and type(back.inner) is Inner
    assert back == value
    assert back.model_fields_set == value.model_fields_set
    with pytest.raises(SerializationError, match="register_type"):
        SERDE.dumps_typed(value)


def test_exceptions_are_stored_as_their_repr() -> None:
    assert roundtrip(("__error__", ValueError("bad", 1))) == ("__error__", "ValueError('bad', 1)")


def test_subclasses_of_builtins_come_back_as_the_base_type() -> None:
    value = OrderedDict(a=1)
    back = roundtrip(value)
    assert type(back) is dict and back == {"a": 1}


# -- the registry ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [Unregistered(1), UnregisteredStruct(1), UnregisteredEnum.A])
def test_unregistered_classes_are_refused_with_a_hint(value: Any) -> None:
    with pytest.raises(SerializationError, match="register_type") as info:
        SERDE.dumps_typed({"items": [0, value]})
    err = info.value
    assert err.type_name == type(value).__qualname__
    assert type(value).__qualname__ in str(err)
    assert "$['items'][1]" in str(err)


def test_allowed_registers_for_one_serializer_only() -> None:
    local = MsgpackSerializer(allowed=[Unregistered])
    assert_same(roundtrip(Unregistered(4), local), Unregistered(4))
    with pytest.raises(SerializationError):
        SERDE.dumps_typed(Unregistered(4))
    # bytes written by `local` do not load where the class is not allowed
    with pytest.raises(SerializationError, match="not registered"):
        SERDE.loads_typed(local.dumps_typed(Unregistered(4)))


def test_unsupported_types_name_the_type() -> None:
    with pytest.raises(SerializationError, match="Opaque") as info:
        SERDE.dumps_typed([Opaque(1)])
    assert info.value.type_name == "Opaque"


def test_registering_anything_else_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        register_type(Opaque)


def _crafted(name: str, state: Any) -> tuple[str, bytes]:
    enc = msgspec.msgpack.encode
    return "msgpack", enc({"v": Ext(10, enc([name, state]))})


@pytest.mark.parametrize("name", ["os:system", "posix:system", "subprocess:Popen", "builtins:eval", "this:Quoter"])
def test_crafted_type_names_are_never_imported_or_called(name: str) -> None:
    module = name.split(":")[0]
    imported_before = module in sys.modules
    with pytest.raises(SerializationError, match="not registered"):
        SERDE.loads_typed(_crafted(name, ["echo pwned"]))
    assert (module in sys.modules) == imported_before


class _Evil:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (Path(self.path), "pwned"))


def test_pickled_payloads_are_refused_without_opt_in(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    payload = pickle.dumps(_Evil(str(target)))
    with pytest.raises(SerializationError, match="pickle_fallback"):
        SERDE.loads_typed(("pickle", payload))
    enc = msgspec.msgpack.encode
    with pytest.raises(SerializationError, match="pickle_fallback"):
        SERDE.loads_typed(("msgpack", enc([Ext(11, payload)])))
    assert not target.exists()


def test_pickle_fallback_is_an_explicit_opt_in() -> None:
    serde = MsgpackSerializer(pickle_fallback=True)
    value = {"o": Opaque(3), "u": Unregistered(2), "n": [1, (2,)]}
    back = roundtrip(value, serde)
    assert back == value and type(back["n"][1]) is tuple


@pytest.mark.parametrize("data", [("msgpack", b"\xc1"), ("msgpack", b"\x92\x01"), ("nope", b""),
                                  ("msgpack", msgspec.msgpack.encode(Ext(99, b"\x00")))])
def test_garbage_is_a_serialization_error(data: tuple[str, bytes]) -> None:
    with pytest.raises(SerializationError):
        SERDE.loads_typed(data)


def test_serialization_error_can_name_a_channel() -> None:
    err = SerializationError("cannot serialize X", type_name="X").with_channel("messages")
    assert err.channel == "messages" and err.type_name == "X" and "'messages'" in str(err)
    assert isinstance(err, TypeError)


# -- encryption ----------------------------------------------------------------------------------


def test_encryption_roundtrip_and_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("cryptography")
    from actorgraph.persistence import EncryptedSerializer

    key = os.urandom(32)
    serde = EncryptedSerializer.from_aes_key(key)
    secret = {"password": "hunter2-very-secret", "when": dt.date(2024, 5, 6)}
    tag, blob = serde.dumps_typed(secret)
    assert tag == "msgpack+aes"
    assert b"hunter2" not in blob
    assert serde.loads_typed((tag, blob)) == secret
    assert serde.dumps_typed(secret)[1] != blob  # a fresh nonce every time

    with pytest.raises(DecryptionError, match="wrong key"):
        EncryptedSerializer.from_aes_key(os.urandom(32)).loads_typed((tag, blob))
    for i in (0, 5, len(blob) - 1):
        tampered = bytearray(blob)
        tampered[i] ^= 1
        with pytest.raises(DecryptionError):
            serde.loads_typed((tag, bytes(tampered)))
    with pytest.raises(DecryptionError, match="truncated"):
        serde.loads_typed((tag, blob[:10]))
    with pytest.raises(DecryptionError):  # the type tag is authenticated too
        serde.loads_typed(("pickle+aes", blob))
    with pytest.raises(DecryptionError, match="not encrypted"):
        serde.loads_typed(SERDE.dumps_typed(secret))
    lenient = EncryptedSerializer.from_aes_key(key, allow_plaintext=True)
    assert lenient.loads_typed(SERDE.dumps_typed(secret)) == secret

    for text in (key.hex(), base64.b64encode(key).decode(), base64.urlsafe_b64encode(key).decode().rstrip("=")):
        monkeypatch.setenv("ACTORGRAPH_AES_KEY", text)
        assert EncryptedSerializer.from_env().loads_typed((tag, blob)) == secret
    monkeypatch.setenv("ACTORGRAPH_AES_KEY", "too-short")
    with pytest.raises(ValueError, match="32-byte"):
        EncryptedSerializer.from_env()
    monkeypatch.delenv("ACTORGRAPH_AES_KEY")
    with pytest.raises(ValueError, match="ACTORGRAPH_AES_KEY"):
        EncryptedSerializer.from_env()
    with pytest.raises(ValueError, match="32-byte"):
        EncryptedSerializer.from_aes_key(b"short")


# -- ids and the public surface ------------------------------------------------------------------


def test_checkpoint_ids_sort_in_creation_order() -> None:
    ids = [new_checkpoint_id(step=i % 5 - 1) for i in range(2000)]
    assert sorted(ids) == ids and len(set(ids)) == len(ids)
    assert all(uuid.UUID(i).version == 6 for i in ids)
    assert new_checkpoint_id(step=-1).split("-")[3] == "bfff"


def test_empty_checkpoint() -> None:
    cp = persistence.empty_checkpoint()
    assert cp.v == 4 and cp.channel_values == {} and cp["channel_versions"] == {}
    assert dt.datetime.fromisoformat(cp.ts).tzinfo is not None
    assert persistence.empty_checkpoint().id > cp.id


def test_public_surface_is_importable_and_documented() -> None:
    for name in persistence.__all__:
        obj = getattr(persistence, name)
        if callable(obj) and not isinstance(obj, type(dict[str, Any])):
            assert obj.__doc__, name
    assert persistence.MemorySaver is persistence.InMemorySaver
    assert persistence.CheckpointMetadata(source="loop", step=1) == {"source": "loop", "step": 1}


@register_type
class WithDefaults(msgspec.Struct):
    name: str
    count: int = 0
    tags: list[str] = []
    extra: dict[str, Any] = {}
    flag: bool = False
    ratio: float = 0.5


def test_struct_fields_at_their_default_are_left_out_and_come_back() -> None:
    serde = MsgpackSerializer()
    plain = WithDefaults("a")
    full = WithDefaults("b", count=3, tags=["t"], extra={"k": 1}, flag=True, ratio=0.0)
    assert len(serde.dumps(plain)) < len(serde.dumps(full))
    assert b"tags" not in serde.dumps(plain) and b"tags" in serde.dumps(full)
    for value in (plain, full, WithDefaults("c", count=False)):  # False == 0 but is not the default int
        back = serde.loads(serde.dumps(value))
        assert_same(back, value)
    one, two = serde.loads(serde.dumps(plain)), serde.loads(serde.dumps(plain))
    one.tags.append("x")
    assert two.tags == []  # defaults are fresh per object, not shared


_LEAVES = st.one_of(
    st.none(), st.booleans(), st.floats(allow_nan=False),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=3), st.sampled_from(["x" * (INTERN_MIN - 1), "x" * INTERN_MIN]),
    st.binary(max_size=3), st.sampled_from([b"y" * (INTERN_MIN - 1), b"y" * INTERN_MIN]),
    st.tuples(st.integers()), st.frozensets(st.integers(), max_size=2), st.just(dt.date(2024, 1, 2)),
)


def _reference_plain(obj: Any, depth: int) -> bool:
    """The contract of ``_plain``, written plainly: what msgpack holds as it stands."""
    if type(obj) is dict:
        return depth <= 8 and all(type(k) is str and _reference_plain(v, depth + 1) for k, v in obj.items())
    if type(obj) is list:
        return depth <= 8 and all(_reference_plain(v, depth + 1) for v in obj)
    if type(obj) in (str, bytes):
        return len(obj) < INTERN_MIN
    if type(obj) is int:
        return -(2**63) <= obj <= 2**64 - 1
    return obj is None or type(obj) in (float, bool)


@settings(max_examples=500, deadline=None)
@given(st.recursive(_LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.one_of(st.text(max_size=2), st.integers(0, 3)), inner, max_size=3),
), max_leaves=12))
def test_the_plain_check_is_exact_and_values_round_trip(value: Any) -> None:
    """The saver's fast check (a value encoded as it stands, without conversion) says "plain"
    exactly for msgpack-native values, and every value reads back equal either way."""
    from actorgraph.persistence._serde import _plain

    assert _plain(value, 0) == _reference_plain(value, 0)
    serde = MsgpackSerializer()
    assert serde.loads_typed(serde.dumps_typed(value)) == value


def test_the_plain_check_stops_below_eight_levels() -> None:
    from actorgraph.persistence._serde import _plain

    def nest(levels: int) -> Any:
        value: Any = 1
        for i in range(levels):
            value = [value] if i % 2 else {"k": value}
        return value

    assert [_plain(nest(n), 0) for n in (8, 9, 10)] == [_reference_plain(nest(n), 0) for n in (8, 9, 10)] == [True, True, False]
    assert SERDE.loads(SERDE.dumps(nest(12))) == nest(12)
