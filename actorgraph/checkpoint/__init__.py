"""LangGraph's ``langgraph.checkpoint`` paths, re-exporting :mod:`actorgraph.persistence`.

``checkpoint.memory`` (:class:`~actorgraph.persistence.InMemorySaver`), ``checkpoint.sqlite``
and ``checkpoint.sqlite.aio`` (:class:`~actorgraph.persistence.SqliteSaver`, both),
``checkpoint.postgres`` and ``checkpoint.postgres.aio`` (:class:`~actorgraph.persistence.PostgresSaver`,
extra ``postgres``), ``checkpoint.base`` (the saver base class and checkpoint records),
``checkpoint.serde.*`` (serializers). One actorgraph saver serves sync and async code alike, so
LangGraph's ``AsyncSqliteSaver``/``AsyncPostgresSaver`` name the same classes; their
constructors are the ones documented in :mod:`actorgraph.persistence` (``from_conn_string``
with ``with`` or ``async with``, or a connection / pool handed in).
"""
