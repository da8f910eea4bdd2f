"""Errors of drawing a graph."""

from __future__ import annotations


class DrawError(RuntimeError):
    """A graph could not be drawn: a local renderer (``dot``, ``mmdc``) failed, or the Mermaid
    text would be ambiguous (two expanded subgraphs of the same name)."""


class RendererNotFoundError(ImportError):
    """No local renderer for a picture: the message names what to install (Graphviz's ``dot``,
    or mermaid-cli's ``mmdc``). An ``ImportError``, as LangGraph's missing drawing dependencies."""


class DuplicateSubgraphError(DrawError, ValueError):
    """Two expanded subgraphs share a name, so the Mermaid text could not tell them apart
    (a ``ValueError``, as LangGraph raises)."""
