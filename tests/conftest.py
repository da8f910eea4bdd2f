from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from actorgraph.persistence import BaseCheckpointSaver, InMemorySaver, SqliteSaver


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every ``@pytest.mark.anyio`` test runs on asyncio and on trio."""
    return str(request.param)


@pytest.fixture(params=["memory", "sqlite"])
async def saver(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BaseCheckpointSaver]:
    """A test that takes ``saver`` runs with an :class:`InMemorySaver` and with a
    :class:`SqliteSaver` on a fresh file in ``tmp_path``."""
    if request.param == "memory":
        yield InMemorySaver()
    else:
        async with SqliteSaver.from_conn_string(str(tmp_path / "checkpoints.db")) as sqlite:
            yield sqlite
