from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from actorgraph.persistence import BaseCheckpointSaver, InMemorySaver, SqliteSaver

POSTGRES_URL = os.environ.get("ACTORGRAPH_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
"""The PostgreSQL server the Postgres tests use (env ``ACTORGRAPH_TEST_POSTGRES``)."""

_postgres_problem: list[str | None] = []  # checked once per session


def postgres_url() -> str:
    """:data:`POSTGRES_URL` if that server answers. Otherwise the test fails when ``CI=true``
    (CI must run the Postgres tests) and is skipped elsewhere, saying how to enable it."""
    if not _postgres_problem:
        try:
            import psycopg

            with psycopg.connect(POSTGRES_URL, connect_timeout=5) as conn:
                conn.execute("SELECT 1")
            _postgres_problem.append(None)
        except Exception as exc:  # ImportError, no server, bad credentials
            _postgres_problem.append(f"{type(exc).__name__}: {exc}".strip())
    problem = _postgres_problem[0]
    if problem is not None:
        message = (f"PostgreSQL at {POSTGRES_URL!r} is not usable ({problem}); install the 'postgres' "
                   "extra and start a server, or point ACTORGRAPH_TEST_POSTGRES at one "
                   "(a libpq URL of a database the user may create schemas in)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return POSTGRES_URL


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema name for one test (dropped afterwards); skips or fails as
    :func:`postgres_url` says when there is no server."""
    postgres_url()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    try:
        yield schema
    finally:
        drop_schema(schema)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every ``@pytest.mark.anyio`` test runs on asyncio and on trio."""
    return str(request.param)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def saver(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BaseCheckpointSaver]:
    """A test that takes ``saver`` runs with an :class:`InMemorySaver`, with a
    :class:`SqliteSaver` on a fresh file in ``tmp_path`` and with a ``PostgresSaver`` in a fresh
    schema of the test server (see :func:`postgres_url`), dropped afterwards."""
    if request.param == "memory":
        yield InMemorySaver()
    elif request.param == "sqlite":
        async with SqliteSaver.from_conn_string(str(tmp_path / "checkpoints.db")) as sqlite:
            yield sqlite
    else:
        from actorgraph.persistence import PostgresSaver

        url = postgres_url()
        schema = f"test_{uuid.uuid4().hex[:16]}"
        try:
            async with PostgresSaver.from_conn_string(url, schema=schema, max_size=4) as postgres:
                yield postgres
        finally:
            drop_schema(schema)
