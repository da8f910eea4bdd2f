"""LangGraph's ``langgraph.warnings`` path: the categories of the deprecation warnings
actorgraph gives where LangGraph gives them, so that a ported program's filters
(``warnings.filterwarnings("ignore", category=LangGraphDeprecatedSinceV10)``) keep working.
Each is a ``DeprecationWarning``."""

from __future__ import annotations

__all__ = (
    "LangGraphDeprecatedSinceV05",
    "LangGraphDeprecatedSinceV10",
    "LangGraphDeprecatedSinceV11",
    "LangGraphDeprecationWarning",
)


class LangGraphDeprecationWarning(DeprecationWarning):
    """A deprecation with the version it dates from (``since``) and the one expected to drop
    the feature (``expected_removal``: by default the next major version). Shown as
    ``"<message>. Deprecated in LangGraph V<since> to be removed in V<removal>."``."""

    message: str
    since: tuple[int, int]
    expected_removal: tuple[int, int]

    def __init__(self, message: str, *args: object, since: tuple[int, int],
                 expected_removal: tuple[int, int] | None = None) -> None:
        super().__init__(message, *args)
        self.message = message.rstrip(".")
        self.since = since
        self.expected_removal = expected_removal if expected_removal is not None else (since[0] + 1, 0)

    def __str__(self) -> str:
        (major, minor), (gone_major, gone_minor) = self.since, self.expected_removal
        return f"{self.message}. Deprecated in LangGraph V{major}.{minor} to be removed in V{gone_major}.{gone_minor}."


class LangGraphDeprecatedSinceV05(LangGraphDeprecationWarning):
    """Deprecated since LangGraph 0.5 (removal expected in 2.0)."""

    def __init__(self, message: str, *args: object) -> None:
        super().__init__(message, *args, since=(0, 5), expected_removal=(2, 0))


class LangGraphDeprecatedSinceV10(LangGraphDeprecationWarning):
    """Deprecated since LangGraph 1.0 (removal expected in 2.0)."""

    def __init__(self, message: str, *args: object) -> None:
        super().__init__(message, *args, since=(1, 0), expected_removal=(2, 0))


class LangGraphDeprecatedSinceV11(LangGraphDeprecationWarning):
    """Deprecated since LangGraph 1.1 (removal expected in 3.0)."""

    def __init__(self, message: str, *args: object) -> None:
        super().__init__(message, *args, since=(1, 1), expected_removal=(3, 0))
