"""LangGraph's ``langgraph.store.postgres.aio`` path (extra ``postgres``): ``AsyncPostgresStore``
is :class:`actorgraph.persistence.PostgresStore`, which serves async code too."""

from ...persistence._postgres_store import PostgresStore

AsyncPostgresStore = PostgresStore

__all__ = ["AsyncPostgresStore"]
