"""LangGraph's ``langgraph.store`` paths (``store.base``, ``store.memory``); the stores live in
:mod:`actorgraph.persistence`."""
