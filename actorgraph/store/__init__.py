"""LangGraph's ``langgraph.store`` paths: ``store.base``, ``store.memory``, ``store.sqlite`` (and
``.aio``), ``store.postgres`` (and ``.aio``, extra ``postgres``). The stores live in
:mod:`actorgraph.persistence`; one store serves sync and async code alike, so LangGraph's
``AsyncSqliteStore``/``AsyncPostgresStore`` name the same classes."""
