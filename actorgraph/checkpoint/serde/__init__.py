"""LangGraph's ``langgraph.checkpoint.serde`` paths: ``serde.base`` (the serializer protocol),
``serde.jsonplus`` (the default serializer) and ``serde.encrypted`` (see
:mod:`actorgraph.persistence`)."""
