"""LangGraph's ``langgraph.checkpoint`` paths for the in-memory saver (``checkpoint.memory``); the
savers live in :mod:`actorgraph.persistence` (SQLite and PostgreSQL savers take that module's
constructors, which differ from LangGraph's)."""
