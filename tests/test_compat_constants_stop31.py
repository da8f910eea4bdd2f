"""``langgraph.constants``' moved names (observed on LangGraph 1.2.24: importable, with a
``LangGraphDeprecatedSinceV10`` warning naming the new place)."""

from __future__ import annotations

import pytest

from actorgraph.warnings import LangGraphDeprecatedSinceV10


def test_send_and_interrupt_import_from_constants_with_a_warning() -> None:
    import actorgraph.types as types

    with pytest.warns(LangGraphDeprecatedSinceV10, match="Importing Send from langgraph.constants is deprecated. "
                      r"Please use 'from langgraph.types import Send' instead. Deprecated in LangGraph V1.0 to be "
                      r"removed in V2.0."):
        from actorgraph.constants import Send
    assert Send is types.Send
    with pytest.warns(LangGraphDeprecatedSinceV10, match="Importing Interrupt from langgraph.constants"):
        from actorgraph.constants import Interrupt
    assert Interrupt is types.Interrupt


def test_previous_imports_from_constants_with_a_warning() -> None:
    with pytest.warns(LangGraphDeprecatedSinceV10, match="Importing PREVIOUS from langgraph.constants is deprecated"):
        from actorgraph.constants import PREVIOUS
    assert PREVIOUS == "__previous__"


def test_an_unknown_name_is_still_an_import_error() -> None:
    with pytest.raises(ImportError):
        from actorgraph.constants import NOPE  # type: ignore[attr-defined]  # noqa: F401
