"""LangGraph's ``langgraph.checkpoint.postgres.aio`` path (extra ``postgres``):
``AsyncPostgresSaver`` is :class:`actorgraph.persistence.PostgresSaver`, which serves async code
too (``async with AsyncPostgresSaver.from_conn_string(url) as saver``, then ``await
saver.setup()``; or ``AsyncPostgresSaver(psycopg_pool.AsyncConnectionPool(...))``)."""

from ...persistence._postgres import PostgresSaver

AsyncPostgresSaver = PostgresSaver

__all__ = ["AsyncPostgresSaver"]
