"""Channels behave like LangGraph's (SEMANTICS.md §1), snapshot cleanly, and ChannelActor wraps them."""

from __future__ import annotations

import collections.abc
import copy
import inspect
import operator
import pickle
import re
import typing
from collections.abc import Callable, Sequence
from typing import Annotated, Any, NotRequired, Optional, Required

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import actorgraph.channels as channels
from actorgraph.actors import Supervisor
from actorgraph.channels import (
    MISSING,
    AnyValue,
    Applied,
    Apply,
    BaseChannel,
    BinaryOperatorAggregate,
    ChannelActor,
    Consume,
    EphemeralValue,
    Finish,
    LastValue,
    LastValueAfterFinish,
    NamedBarrierValue,
    NamedBarrierValueAfterFinish,
    Read,
    Snapshot,
    Topic,
    UntrackedValue,
)
from actorgraph.errors import EmptyChannelError, InvalidUpdateError
from actorgraph.types import Overwrite

HELP = "\nFor troubleshooting, visit: https://docs.langchain.com/oss/python/langgraph/errors/"


def raises_exactly(exc: type[Exception], message: str) -> Any:
    """``pytest.raises`` whose message must equal ``message`` exactly (not just match)."""
    return pytest.raises(exc, match=f"^{re.escape(message)}\\Z")


# -- public surface -----------------------------------------------------------------------------


def test_public_names_are_importable_and_documented() -> None:
    assert sorted(channels.__all__) == sorted(set(channels.__all__))
    for name in channels.__all__:
        obj = getattr(channels, name)
        if inspect.isclass(obj):
            assert obj.__doc__ and obj.__module__.startswith("actorgraph.channels"), name
    assert channels.__doc__ and "ChannelActor" in channels.__doc__


def test_missing_is_a_singleton_that_survives_pickling() -> None:
    assert repr(MISSING) == "MISSING"
    assert pickle.loads(pickle.dumps(MISSING)) is MISSING
    assert copy.deepcopy(MISSING) is MISSING


def test_key_must_be_a_string() -> None:
    # LangGraph's EphemeralValue(typ, guard) / Topic(typ, accumulate) take the option second;
    # here the second positional is the key, so a bool there is a mistake worth reporting.
    with pytest.raises(TypeError, match="guard= or accumulate= by keyword"):
        EphemeralValue(int, False)  # type: ignore[arg-type]


# -- LastValue ----------------------------------------------------------------------------------


def test_last_value_stores_one_write_and_ignores_empty_updates() -> None:
    ch: LastValue[int] = LastValue(int, "x")
    assert not ch.is_available()
    with pytest.raises(EmptyChannelError, match="At key 'x'"):
        ch.get()
    assert ch.update([]) is False
    assert ch.update([1]) is True
    assert ch.get() == 1
    assert ch.update([]) is False  # never cleared
    assert ch.get() == 1
    assert ch.update([2]) is True
    assert ch.get() == 2


def test_last_value_rejects_two_writes_in_one_step() -> None:
    ch: LastValue[int] = LastValue(int, "x")
    ch.update([1])
    message = (
        "At key 'x': Can receive only one value per step. Use an Annotated key to handle "
        "multiple values." + HELP + "INVALID_CONCURRENT_GRAPH_UPDATE"
    )
    with raises_exactly(InvalidUpdateError, message):
        ch.update([2, 3])
    assert ch.get() == 1


def test_last_value_after_finish_is_available_only_between_finish_and_consume() -> None:
    ch: LastValueAfterFinish[str] = LastValueAfterFinish(str, "branch:to:d")
    assert ch.finish() is False  # nothing to release
    assert ch.update([]) is False
    assert ch.update(["a", "b"]) is True  # several writes: the last wins
    assert not ch.is_available()
    with pytest.raises(EmptyChannelError):
        ch.get()
    assert ch.consume() is False  # not finished yet: nothing consumed
    assert ch.finish() is True
    assert ch.is_available() and ch.get() == "b"
    assert ch.finish() is False  # already finished
    assert ch.consume() is True
    assert not ch.is_available()
    assert ch.checkpoint() is MISSING
    assert ch.finish() is False  # consumed: nothing left to release


def test_last_value_after_finish_new_write_hides_the_value_again() -> None:
    ch: LastValueAfterFinish[int] = LastValueAfterFinish(int)
    ch.update([1])
    ch.finish()
    assert ch.update([2]) is True
    assert not ch.is_available()
    assert ch.checkpoint() == (2, False)
    assert ch.finish() is True
    assert ch.get() == 2


# -- AnyValue, UntrackedValue, EphemeralValue ---------------------------------------------------


def test_any_value_last_write_wins_and_an_empty_update_clears() -> None:
    ch: AnyValue[int] = AnyValue(int, "a")
    assert ch.update([]) is False
    assert ch.update([1, 2, 3]) is True
    assert ch.get() == 3
    assert ch.update([]) is True
    assert not ch.is_available()
    assert ch.checkpoint() is MISSING
    assert ch.update([]) is False


def test_untracked_value_is_never_checkpointed() -> None:
    ch: UntrackedValue[int] = UntrackedValue(int, "u")
    assert ch.update([]) is False
    assert ch.update([5]) is True
    assert ch.get() == 5
    assert ch.update([]) is False and ch.get() == 5
    assert ch.checkpoint() is MISSING
    restored = ch.from_checkpoint(5)
    assert not restored.is_available()
    assert restored.key == "u" and restored.guard is True
    assert ch.copy().get() == 5


def test_untracked_value_guard() -> None:
    ch: UntrackedValue[int] = UntrackedValue(int, "u")
    message = (
        "At key 'u': UntrackedValue(guard=True) can receive only one value per step. "
        "Use guard=False if you want to store any one of multiple values."
    )
    with raises_exactly(InvalidUpdateError, message):
        ch.update([1, 2])
    assert not ch.is_available()
    loose: UntrackedValue[int] = UntrackedValue(int, "u", guard=False)
    assert loose.update([1, 2]) is True and loose.get() == 2


def test_ephemeral_value_lasts_one_step() -> None:
    ch: EphemeralValue[Any] = EphemeralValue(Any, "__start__")
    assert ch.update([]) is False
    assert ch.update([{"x": 1}]) is True
    assert ch.get() == {"x": 1}
    assert ch.update([]) is True  # the next step without a write clears it
    assert not ch.is_available()
    assert ch.update([]) is False


def test_ephemeral_value_guard() -> None:
    ch: EphemeralValue[int] = EphemeralValue(int, "e")
    ch.update([1])
    message = (
        "At key 'e': EphemeralValue(guard=True) can receive only one value per step. "
        "Use guard=False if you want to store any one of multiple values."
    )
    with raises_exactly(InvalidUpdateError, message):
        ch.update([2, 3])
    assert ch.get() == 1
    loose: EphemeralValue[str] = EphemeralValue(str, "branch:to:b", guard=False)
    assert loose.update(["x", "y"]) is True
    assert loose.get() == "y"


# -- BinaryOperatorAggregate --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typ", "initial"),
    [
        (list, []),
        (list[int], []),
        (Annotated[list[int], operator.add], []),
        (Required[Annotated[list[str], "meta"]], []),
        (NotRequired[dict[str, int]], {}),
        (int, 0),
        (str, ""),
        (Sequence[int], []),
        (collections.abc.MutableSequence, []),
        (typing.List[int], []),
        (typing.Dict[str, int], {}),
        (typing.Set[int], set()),
        (collections.abc.Set, set()),
        (collections.abc.Mapping, {}),
        (tuple[int, ...], ()),
    ],
)
def test_reducer_starts_from_the_type_default(typ: Any, initial: Any) -> None:
    ch: BinaryOperatorAggregate[Any] = BinaryOperatorAggregate(typ, operator.add)
    assert ch.is_available()
    assert ch.get() == initial and type(ch.get()) is type(initial)
    assert ch.checkpoint() == initial


@pytest.mark.parametrize("typ", [Optional[int], int | None, Any])
def test_reducer_without_default_stores_the_first_write_as_is(typ: Any) -> None:
    calls: list[tuple[Any, Any]] = []

    def add(a: int, b: int) -> int:
        calls.append((a, b))
        return a + b

    ch: BinaryOperatorAggregate[int] = BinaryOperatorAggregate(typ, add, "n")
    assert not ch.is_available()
    assert ch.checkpoint() is MISSING
    with pytest.raises(EmptyChannelError):
        ch.get()
    assert ch.update([]) is False
    assert ch.update([5]) is True
    assert ch.get() == 5 and calls == []  # no reducer call for the first write
    assert ch.update([1, 2]) is True
    assert ch.get() == 8 and calls == [(5, 1), (6, 2)]


def test_reducer_folds_writes_in_apply_order() -> None:
    ch: BinaryOperatorAggregate[str] = BinaryOperatorAggregate(str, lambda a, b: f"({a}{b})")
    assert ch.update(["a", "b"]) is True
    assert ch.update(["c"]) is True
    assert ch.get() == "(((a)b)c)"
    assert ch.update([]) is False
    assert ch.get() == "(((a)b)c)"


@pytest.mark.parametrize(
    "wrap",
    [Overwrite, lambda v: {"__overwrite__": v}, lambda v: {"type": "__overwrite__", "value": v}],
    ids=["Overwrite", "dict", "json-dict"],
)
def test_overwrite_replaces_and_discards_later_writes(wrap: Callable[[Any], Any]) -> None:
    ch: BinaryOperatorAggregate[list[int]] = BinaryOperatorAggregate(list, operator.add, "xs")
    ch.update([[1, 2]])
    assert ch.update([[3], wrap([9]), [4], [5]]) is True
    assert ch.get() == [9]  # [3] is lost under the replace; [4], [5] are discarded
    assert ch.update([[6]]) is True  # the next step reduces again
    assert ch.get() == [9, 6]


def test_overwrite_forms_are_recognised_strictly() -> None:
    ch: BinaryOperatorAggregate[dict[str, int]] = BinaryOperatorAggregate(dict, operator.or_)
    ch.update([{"__overwrite__": 1, "y": 2}])  # not the single-key form: a plain write
    assert ch.get() == {"__overwrite__": 1, "y": 2}
    ch.update([{"type": "__overwrite__", "value": {"z": 3}, "extra": 0}])  # JSON form, extra keys ok
    assert ch.get() == {"z": 3}
    ch.update([{"type": "other", "value": 4}])
    assert ch.get() == {"z": 3, "type": "other", "value": 4}


def test_overwrite_into_an_empty_reducer_stores_the_unwrapped_value() -> None:
    # LangGraph 1.2.24 stores the Overwrite object itself here (a bug); we store its value.
    ch: BinaryOperatorAggregate[int] = BinaryOperatorAggregate(Optional[int], operator.add)
    ch.update([Overwrite(5), 7])
    assert ch.get() == 5


def test_two_overwrites_in_one_step_are_rejected() -> None:
    ch: BinaryOperatorAggregate[list[int]] = BinaryOperatorAggregate(list, operator.add, "xs")
    ch.update([[1]])
    message = (
        "Can receive only one Overwrite value per super-step." + HELP
        + "INVALID_CONCURRENT_GRAPH_UPDATE"
    )
    with raises_exactly(InvalidUpdateError, message):
        ch.update([[2], Overwrite([3]), {"__overwrite__": [4]}])
    assert ch.get() == [1]  # a rejected update changes nothing


def test_reducer_exception_propagates_unchanged_and_changes_nothing() -> None:
    boom = ZeroDivisionError("boom")

    def reducer(a: int, b: int) -> int:
        if b == 0:
            raise boom
        return a + b

    ch: BinaryOperatorAggregate[int] = BinaryOperatorAggregate(int, reducer)
    ch.update([1])
    with pytest.raises(ZeroDivisionError) as info:
        ch.update([2, 0, 3])
    assert info.value is boom
    assert ch.get() == 1


def test_reducer_checkpoint_is_a_snapshot_with_a_pure_reducer() -> None:
    ch: BinaryOperatorAggregate[list[int]] = BinaryOperatorAggregate(list, operator.add)
    ch.update([[1]])
    snap = ch.checkpoint()
    ch.update([[2]])
    assert snap == [1]
    assert ch.get() == [1, 2]


# -- Topic ----------------------------------------------------------------------------------------


def test_topic_flattens_lists_one_level_and_clears_each_step() -> None:
    ch: Topic[Any] = Topic(Any, "t")
    assert not ch.is_available()
    assert ch.update([]) is False
    assert ch.update([1, [2, 3], (4, 5), [[6]]]) is True
    assert ch.get() == [1, 2, 3, (4, 5), [6]]
    assert ch.update([7]) is True
    assert ch.get() == [7]  # the previous step's items are gone
    assert ch.update([]) is True  # an empty update empties it
    assert not ch.is_available()
    with pytest.raises(EmptyChannelError):
        ch.get()
    assert ch.checkpoint() is MISSING
    assert ch.update([[]]) is False  # an empty list adds nothing


def test_topic_accumulate_keeps_growing() -> None:
    ch: Topic[int] = Topic(int, "t", accumulate=True)
    assert ch.update([]) is False
    assert ch.update([1, [2]]) is True
    assert ch.update([]) is False
    assert ch.update([3]) is True
    assert ch.get() == [1, 2, 3]


def test_topic_get_returns_a_fresh_list() -> None:
    ch: Topic[int] = Topic(int, accumulate=True)
    ch.update([1])
    ch.get().append(99)
    assert ch.get() == [1]


def test_topic_restores_from_any_sequence() -> None:
    ch: Topic[int] = Topic(int, "t", accumulate=True)
    restored = ch.from_checkpoint((1, 2))  # e.g. a serializer that decodes arrays as tuples
    assert restored.update([3]) is True
    assert restored.get() == [1, 2, 3]


def test_topic_checkpoint_is_not_mutated_by_later_updates() -> None:
    ch: Topic[int] = Topic(int, accumulate=True)
    ch.update([1, 2])
    snap = ch.checkpoint()
    ch.update([3])
    assert snap == [1, 2]
    assert ch.checkpoint() == [1, 2, 3]


# -- NamedBarrierValue ------------------------------------------------------------------------------


def test_named_barrier_fires_once_every_name_is_seen() -> None:
    ch = NamedBarrierValue(str, {"a", "b"}, "join:a+b:c")
    assert ch.update(["a"]) is True
    assert not ch.is_available()
    with pytest.raises(EmptyChannelError):
        ch.get()
    assert ch.consume() is False  # not complete: nothing to consume
    assert ch.update(["a"]) is False  # already seen
    assert ch.checkpoint() == {"a"}
    assert ch.update(["b", "a"]) is True  # in a later step: the join spans steps
    assert ch.is_available()
    assert ch.get() is None  # type: ignore[func-returns-value]
    assert ch.finish() is False
    assert ch.consume() is True
    assert not ch.is_available()
    assert ch.checkpoint() is MISSING
    assert ch.consume() is False


def test_named_barrier_rejects_unknown_names() -> None:
    ch = NamedBarrierValue(str, {"b", "a"}, "join:a+b:c")
    ch.update(["a"])
    with raises_exactly(InvalidUpdateError, "At key 'join:a+b:c': Value z not in {'a', 'b'}"):
        ch.update(["b", "z"])
    assert ch.checkpoint() == {"a"}  # "b" was not recorded either


def test_named_barrier_after_finish_waits_for_finish() -> None:
    ch = NamedBarrierValueAfterFinish(str, {"a", "b"}, "join:a+b:d")
    ch.update(["a"])
    assert ch.finish() is False  # incomplete: finish does not release it
    assert ch.update(["b"]) is True
    assert not ch.is_available()
    assert ch.consume() is False
    assert ch.checkpoint() == ({"a", "b"}, False)
    assert ch.finish() is True
    assert ch.is_available() and ch.get() is None  # type: ignore[func-returns-value]
    assert ch.finish() is False
    assert ch.checkpoint() == ({"a", "b"}, True)
    assert ch.consume() is True
    assert not ch.is_available()
    assert ch.checkpoint() is MISSING
    with raises_exactly(InvalidUpdateError, "At key 'join:a+b:d': Value c not in {'a', 'b'}"):
        ch.update(["c"])


# -- checkpoints ------------------------------------------------------------------------------------

# For every channel type: a factory, a few steps of writes that leave it non-empty, and one more
# change (writes, or consume() for a completed join) for the independence checks.
Channel = BaseChannel[Any, Any, Any]


def _writes(*values: Any) -> Callable[[Channel], bool]:
    return lambda ch: ch.update(values)


CASES: dict[str, tuple[Callable[[], Channel], list[list[Any]], Callable[[Channel], bool]]] = {
    "LastValue": (lambda: LastValue(int, "k"), [[1], [2]], _writes(3)),
    "LastValueAfterFinish": (lambda: LastValueAfterFinish(int, "k"), [[1]], _writes(2)),
    "AnyValue": (lambda: AnyValue(int, "k"), [[1, 2]], _writes(3)),
    "EphemeralValue": (lambda: EphemeralValue(int, "k", guard=False), [[1, 2]], _writes(3)),
    "BinaryOperatorAggregate": (
        lambda: BinaryOperatorAggregate(list, operator.add, "k"), [[[1], [2]], [[3]]], _writes([4]),
    ),
    "BinaryOperatorAggregate-optional": (
        lambda: BinaryOperatorAggregate(Optional[int], operator.add, "k"), [[1, 2]], _writes(3),
    ),
    "Topic": (lambda: Topic(int, "k"), [[1, [2, 3]]], _writes(4)),
    "Topic-accumulate": (lambda: Topic(int, "k", accumulate=True), [[1], [[2, 3]]], _writes(4)),
    "NamedBarrierValue": (
        lambda: NamedBarrierValue(str, {"a", "b", "c"}, "k"), [["a"]], _writes("b"),
    ),
    "NamedBarrierValueAfterFinish": (
        lambda: NamedBarrierValueAfterFinish(str, {"a", "b"}, "k"), [["a"], ["b"]],
        lambda ch: ch.consume(),
    ),
}


def _state(ch: Channel) -> tuple[Any, Any]:
    return ch.checkpoint(), (ch.get() if ch.is_available() else MISSING)


def _config(ch: Channel) -> dict[str, Any]:
    slots = {s for cls in type(ch).__mro__ for s in getattr(cls, "__slots__", ())}
    state = {"value", "values", "seen", "finished"}
    return {s: getattr(ch, s) for s in sorted(slots - state)}


def _fill(case: str) -> Channel:
    factory, steps, _ = CASES[case]
    ch = factory()
    for writes in steps:
        ch.update(writes)
    if case == "NamedBarrierValueAfterFinish":
        assert ch.finish()
    return ch


@pytest.mark.parametrize("case", sorted(CASES))
def test_checkpoint_round_trip(case: str) -> None:
    original = _fill(case)
    snap = original.checkpoint()
    assert snap is not MISSING
    frozen = copy.deepcopy(snap)
    restored = original.from_checkpoint(snap)
    assert type(restored) is type(original) and restored is not original
    assert _config(restored) == _config(original)
    assert _state(restored) == _state(original)
    assert restored.is_available() == original.is_available()

    # Updating the restored channel leaves the original (and the snapshot) alone...
    change = CASES[case][2]
    assert change(restored) is True
    assert restored.checkpoint() != snap
    assert original.checkpoint() == frozen
    # ...and updating the original leaves the snapshot alone.
    assert change(original) is True
    assert snap == frozen


@pytest.mark.parametrize("case", sorted(CASES))
def test_copy_is_independent(case: str) -> None:
    original = _fill(case)
    before = copy.deepcopy(_state(original))
    clone = original.copy()
    assert _config(clone) == _config(original)
    assert _state(clone) == before
    assert CASES[case][2](clone) is True
    assert _state(original) == before


@pytest.mark.parametrize("case", sorted(CASES))
def test_checkpoint_survives_msgpack(case: str) -> None:
    # Sets and tuples come back as lists; from_checkpoint must accept that.
    original = _fill(case)
    encoded = msgspec.msgpack.decode(msgspec.msgpack.encode(original.checkpoint()))
    restored = original.from_checkpoint(encoded)
    assert _state(restored) == _state(original)
    change = CASES[case][2]
    assert change(original) is True and change(restored) is True
    assert _state(restored) == _state(original)


@pytest.mark.parametrize("case", sorted(CASES))
def test_from_missing_gives_an_empty_channel_with_the_same_config(case: str) -> None:
    original = _fill(case)
    before = copy.deepcopy(_state(original))
    empty = original.from_checkpoint(MISSING)
    assert _config(empty) == _config(original)
    assert _state(empty) == _state(CASES[case][0]())
    assert _state(original) == before


def test_untracked_round_trip_drops_the_value() -> None:
    ch: UntrackedValue[int] = UntrackedValue(int, "k", guard=False)
    ch.update([1, 2])
    restored = ch.from_checkpoint(ch.checkpoint())
    assert not restored.is_available() and restored.guard is False
    restored.update([3])
    assert ch.get() == 2


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(st.lists(st.lists(st.integers(-1000, 1000), max_size=3), max_size=4), max_size=6),
    restore_after=st.sets(st.integers(min_value=0, max_value=5)),
    through_msgpack=st.booleans(),
)
def test_reducer_result_is_the_concatenation_whatever_the_restores(
    steps: list[list[list[int]]], restore_after: set[int], through_msgpack: bool
) -> None:
    ch: BinaryOperatorAggregate[list[int]] = BinaryOperatorAggregate(list, operator.add, "xs")
    for i, writes in enumerate(steps):
        assert ch.update(writes) is bool(writes)
        if i in restore_after:
            snap = ch.checkpoint()
            if through_msgpack:
                snap = msgspec.msgpack.decode(msgspec.msgpack.encode(snap))
            ch = ch.from_checkpoint(snap)
    assert ch.get() == [x for writes in steps for w in writes for x in w]


# -- ChannelActor ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_channel_actor_applies_writes_and_tracks_versions() -> None:
    async with Supervisor() as sup:
        ref = await sup.spawn(
            ChannelActor(BinaryOperatorAggregate(list, operator.add, "xs"), version=1),
            name="xs", dispatcher="inline",
        )
        assert await ref.ask(Snapshot()) == Applied(False, 1, [])
        assert await ref.ask(Apply(([1], [2]), 2)) == Applied(True, 2, [1, 2])
        assert await ref.ask(Apply((), 3)) == Applied(False, 2, [1, 2])  # unchanged: no bump
        assert await ref.ask(Read()) == [1, 2]
        assert await ref.ask(Apply((Overwrite([7]),), 4)) == Applied(True, 4, [7])
        assert await ref.ask(Snapshot()) == Applied(False, 4, [7])


@pytest.mark.anyio
async def test_channel_actor_rejected_update_changes_nothing() -> None:
    async with Supervisor() as sup:
        ref = await sup.spawn(ChannelActor(LastValue(int, "x")), name="x", dispatcher="inline")
        assert await ref.ask(Snapshot()) == Applied(False, None, MISSING)
        with pytest.raises(EmptyChannelError):
            await ref.ask(Read())
        assert await ref.ask(Apply((1,), 1)) == Applied(True, 1, 1)
        with pytest.raises(InvalidUpdateError, match="At key 'x': Can receive only one value"):
            await ref.ask(Apply((2, 3), 2))
        assert await ref.ask(Snapshot()) == Applied(False, 1, 1)
        with pytest.raises(TypeError, match="cannot handle str"):
            await ref.ask("hello")
        assert not ref.stopped  # the errors were the sender's, not the actor's end


@pytest.mark.anyio
async def test_channel_actor_consume_and_finish() -> None:
    async with Supervisor() as sup:
        ref = await sup.spawn(
            ChannelActor(NamedBarrierValueAfterFinish(str, {"a", "b"}, "join"), version=0),
            name="join", dispatcher="inline",
        )
        await ref.tell(Apply(("a", "b"), 1))
        assert await ref.ask(Snapshot()) == Applied(False, 1, ({"a", "b"}, False))
        assert await ref.ask(Consume(2)) == Applied(False, 1, ({"a", "b"}, False))
        assert await ref.ask(Finish(3)) == Applied(True, 3, ({"a", "b"}, True))
        assert await ref.ask(Read()) is None
        assert await ref.ask(Finish(4)) == Applied(False, 3, ({"a", "b"}, True))
        assert await ref.ask(Consume()) == Applied(True, 3, MISSING)  # no version given: kept
        assert await ref.ask(Consume(5)) == Applied(False, 3, MISSING)


@pytest.mark.anyio
async def test_channel_actor_snapshot_is_not_changed_by_later_applies() -> None:
    async with Supervisor() as sup:
        ref = await sup.spawn(
            ChannelActor(Topic(int, "t", accumulate=True), version=0),
            name="t", dispatcher="inline",
        )
        first = await ref.ask(Apply((1, [2]), 1))
        second = await ref.ask(Apply((3,), 2))
        assert first == Applied(True, 1, [1, 2])
        assert second == Applied(True, 2, [1, 2, 3])


def test_messages_are_frozen_structs() -> None:
    message = Apply((1,), 1)
    with pytest.raises(AttributeError):
        message.version = 2  # type: ignore[misc]
    assert msgspec.structs.asdict(Applied(True, 1, [1])) == {
        "changed": True, "version": 1, "value": [1],
    }


def test_binop_initial_value_for_annotations_hashable_or_not() -> None:
    # (the constructor of an annotation's initial value is found once per annotation; one
    # that cannot be hashed, such as Annotated with dict metadata, is worked out each time)
    for typ, initial in [(list, []), (list[int], []), (Annotated[list, {"unhashable": 1}], []),
                         (Annotated[set, {"x": []}], set()), (int, 0)]:
        for _ in range(2):
            channel = BinaryOperatorAggregate(typ, operator.add, "k")
            assert channel.get() == initial and type(channel.get()) is type(initial)
            copied = channel.copy()
            assert copied.get() == initial
    # no initial value: the first write is stored as it is
    empty = BinaryOperatorAggregate(Optional[int], operator.add, "k")
    assert not empty.is_available()
    assert empty.update([3]) and empty.get() == 3
