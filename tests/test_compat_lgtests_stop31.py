"""Differences found by running LangGraph's own small test files (libs/langgraph/tests/test_*.py)
on actorgraph; expected values are what LangGraph 1.2.24 gives."""

from __future__ import annotations

import pytest

from actorgraph.errors import ErrorCode, GraphRecursionError, TaskNotFound, create_error_message

# -- from LangGraph's test_errors.py ------------------------------------------------------------


def test_error_codes_and_create_error_message() -> None:
    # LangGraph 1.2.24's errors module exports ErrorCode (5 members), create_error_message and
    # TaskNotFound; we had only error_message(message, code)
    assert [c.value for c in ErrorCode] == [
        "GRAPH_RECURSION_LIMIT", "INVALID_CONCURRENT_GRAPH_UPDATE", "INVALID_GRAPH_NODE_RETURN_VALUE",
        "MULTIPLE_SUBGRAPHS", "INVALID_CHAT_HISTORY"]
    assert create_error_message(message="too deep", error_code=ErrorCode.GRAPH_RECURSION_LIMIT) == (
        "too deep\nFor troubleshooting, visit: "
        "https://docs.langchain.com/oss/python/langgraph/errors/GRAPH_RECURSION_LIMIT")
    with pytest.raises(TypeError):
        create_error_message("positional", ErrorCode.MULTIPLE_SUBGRAPHS)  # type: ignore[misc]
    with pytest.raises(TaskNotFound, match="no such task"):
        raise TaskNotFound("no such task")
    assert not issubclass(TaskNotFound, GraphRecursionError)
