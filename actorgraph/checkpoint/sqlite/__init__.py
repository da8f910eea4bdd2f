"""LangGraph's ``langgraph.checkpoint.sqlite`` path (see :class:`actorgraph.persistence.SqliteSaver`:
``with SqliteSaver.from_conn_string(path) as saver``, or ``SqliteSaver(sqlite3_connection)``)."""

from ...persistence import SqliteSaver

__all__ = ["SqliteSaver"]
