"""LangGraph's ``langgraph.checkpoint.sqlite.aio`` path: ``AsyncSqliteSaver`` is
:class:`actorgraph.persistence.SqliteSaver`, which serves async code too
(``async with AsyncSqliteSaver.from_conn_string(path) as saver``, or
``AsyncSqliteSaver(aiosqlite_connection)``), on asyncio and trio."""

from ...persistence import SqliteSaver

AsyncSqliteSaver = SqliteSaver

__all__ = ["AsyncSqliteSaver"]
