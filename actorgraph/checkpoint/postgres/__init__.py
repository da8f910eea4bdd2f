"""LangGraph's ``langgraph.checkpoint.postgres`` path (extra ``postgres``).

:class:`PostgresSaver` here is :class:`actorgraph.persistence.PostgresSaver` with LangGraph's
sync ``setup()`` (``with PostgresSaver.from_conn_string(url) as saver: saver.setup()``); the
async saver of ``checkpoint.postgres.aio`` keeps ``await saver.setup()``.
"""

from ...persistence._postgres import PostgresSaver as _PostgresSaver


class PostgresSaver(_PostgresSaver):
    """:class:`actorgraph.persistence.PostgresSaver` whose ``setup()`` is a plain method, as on
    LangGraph's sync saver: it creates or migrates the schema now (``from_conn_string`` opened
    with ``with`` has done so already; calling it again is harmless). Inside an event loop use
    the async saver (``actorgraph.checkpoint.postgres.aio``) and ``await saver.setup()``."""

    def setup(self) -> None:  # type: ignore[override]  # (LangGraph's sync saver: not a coroutine)
        self._run_sync("setup", _PostgresSaver.setup, self)


__all__ = ["PostgresSaver"]
