"""LangGraph's ``langgraph.checkpoint.sqlite`` path.

:class:`SqliteSaver` here is :class:`actorgraph.persistence.SqliteSaver` with LangGraph's sync
``setup()`` (``SqliteSaver(sqlite3.connect(path, check_same_thread=False))``, or ``with
SqliteSaver.from_conn_string(path) as saver``); the async saver of ``checkpoint.sqlite.aio``
keeps ``await saver.setup()``.
"""

from ...persistence import SqliteSaver as _SqliteSaver


class SqliteSaver(_SqliteSaver):
    """:class:`actorgraph.persistence.SqliteSaver` whose ``setup()`` is a plain method, as on
    LangGraph's sync saver: it checks and migrates the file's schema now (otherwise the first
    use does). Opened with ``with``, its sync methods work in an event loop's thread too (a
    notebook's cell), blocking it as LangGraph's do; in async code prefer the async saver
    (``actorgraph.checkpoint.sqlite.aio``) and ``await saver.setup()``."""

    _blocks_a_loop = True

    def setup(self) -> None:  # type: ignore[override]  # (LangGraph's sync saver: not a coroutine)
        self._run_sync("setup", _SqliteSaver.setup, self)


__all__ = ["SqliteSaver"]
