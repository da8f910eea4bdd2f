"""Structured logging of the actor kernel: configure_logging, the default, capture_logs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from actorgraph import observability
from actorgraph.actors import Actor, Restart, Supervisor
from actorgraph.testing import capture_logs

LIFECYCLE = ["actor_spawned", "actor_failed", "actor_restarted", "actor_stopped"]


@pytest.fixture(autouse=True)
def no_logging_config() -> Iterator[None]:
    observability.disable_logging()
    yield
    observability.disable_logging()


class Flaky(Actor):
    async def handle(self, message: Any) -> Any:
        if message == "fail":
            raise ValueError("flaky")
        return message


async def lifecycle(*, fail: bool = True) -> None:
    """Spawn "worker" under "sup", optionally fail it once (it restarts), then shut down."""
    async with Supervisor("sup") as sup:
        ref = await sup.spawn(Flaky, name="worker", policy=Restart(backoff=0.0))
        if fail:
            await ref.tell("fail")
        assert await ref.ask("ok") == "ok"


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.anyio
async def test_configure_logging_json_lines() -> None:
    out = io.StringIO()
    observability.configure_logging(json=True, file=out)
    await lifecycle()
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    names = [e["event"] for e in events]
    assert names == LIFECYCLE
    for e in events:
        assert e["actor"] == "worker" and e["supervisor"] == "sup"
        assert {"level", "timestamp"} <= e.keys()
    failed = events[names.index("actor_failed")]
    assert failed["level"] == "error" and "ValueError: flaky" in failed["exception"]
    restarted = events[names.index("actor_restarted")]
    assert restarted["restarts"] == 1 and restarted["cause"] == "failed"
    assert events[0]["dispatcher"] == "task" and events[0]["policy"] == "restart"


@pytest.mark.anyio
async def test_configure_logging_console_and_level() -> None:
    out = io.StringIO()
    observability.configure_logging(file=out, level="ERROR")
    await lifecycle()
    lines = out.getvalue().splitlines()
    assert len(lines) >= 1 and "actor_failed" in lines[0] and "worker" in lines[0]
    assert not any("actor_spawned" in line for line in lines)


@pytest.mark.anyio
async def test_configure_logging_to_a_path(tmp_path: Any) -> None:
    path = tmp_path / "events.jsonl"
    observability.configure_logging(json=True, file=path)
    await lifecycle(fail=False)
    observability.disable_logging()  # closes the file
    names = [json.loads(line)["event"] for line in path.read_text().splitlines()]
    assert names == ["actor_spawned", "actor_stopped"]


@pytest.mark.anyio
async def test_unconfigured_logging_emits_no_lifecycle_events() -> None:
    """Without configuration, spawn/restart/stop produce no log record at all.

    Failures are logged at ERROR and, as the standard library does for any library, reach
    handlers only if the application installed some (the ``actorgraph`` logger has a
    ``NullHandler``, so nothing falls through to ``logging.lastResort``).
    """
    records = Records()
    logger = logging.getLogger("actorgraph")
    logger.addHandler(records)
    try:
        await lifecycle(fail=False)
        assert records.records == []
        await lifecycle(fail=True)
        assert [r.msg["event"] for r in records.records] == ["actor_failed"]  # type: ignore[index]
        assert records.records[0].levelno == logging.ERROR
    finally:
        logger.removeHandler(records)
    assert any(isinstance(h, logging.NullHandler) for h in logger.handlers)


@pytest.mark.anyio
async def test_capture_logs_collects_event_dicts() -> None:
    logger = logging.getLogger("actorgraph")
    before = (logger.level, logger.propagate, list(logger.handlers))
    with capture_logs() as events:
        await lifecycle()
        logging.getLogger("actorgraph.other").info("plain %s", "record")
    assert [e["event"] for e in events] == [*LIFECYCLE, "plain record"]
    assert all(e["actor"] == "worker" and e["supervisor"] == "sup" for e in events[:4])
    assert events[1]["level"] == "error" and "ValueError" in events[1]["exception"]
    assert events[-1] == {"event": "plain record", "level": "info"}
    assert (logger.level, logger.propagate, list(logger.handlers)) == before


@pytest.mark.anyio
async def test_capture_logs_level_and_coexistence_with_configure_logging() -> None:
    out = io.StringIO()
    observability.configure_logging(json=True, file=out, level="INFO")
    with capture_logs(level="ERROR") as events:
        await lifecycle()
    assert [e["event"] for e in events] == ["actor_failed"]
    # The configured handler kept working meanwhile, at the capture's level.
    assert [json.loads(line)["event"] for line in out.getvalue().splitlines()] == ["actor_failed"]
    assert logging.getLogger("actorgraph").level == logging.INFO


def test_disable_logging_restores_the_default() -> None:
    logger = logging.getLogger("actorgraph")
    handler = observability.configure_logging(json=True, file=io.StringIO())
    assert handler in logger.handlers and not logger.propagate
    observability.disable_logging()
    assert handler not in logger.handlers
    assert logger.level == logging.NOTSET and logger.propagate


def test_capture_logs_outside_an_event_loop() -> None:
    with capture_logs() as events:
        anyio.run(lifecycle)
    assert [e["event"] for e in events] == LIFECYCLE
