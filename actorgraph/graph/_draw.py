"""Drawing a graph's structure (``get_graph().draw_mermaid()``)."""

from __future__ import annotations

from typing import Any

import msgspec

from ._constants import END, START


class Edge(msgspec.Struct, frozen=True):
    source: str
    target: str
    conditional: bool = False
    label: str | None = None


class DrawableGraph(msgspec.Struct, frozen=True):
    """Nodes and edges of a graph, with ``START``/``END`` as ``__start__``/``__end__``."""

    name: str
    nodes: list[str]
    edges: list[Edge]

    @classmethod
    def from_builder(cls, builder: Any, name: str = "LangGraph") -> DrawableGraph:
        nodes = [START, *builder.nodes]
        edges = [Edge(s, t) for s, t in sorted(builder.edges)]
        for sources, target in sorted(builder.waiting_edges):
            edges.extend(Edge(s, target) for s in sources)
        for source, branches in builder.branches.items():
            for branch in branches.values():
                ends = branch.ends
                targets = ends if ends is not None else [n for n in builder.nodes] + [END]
                edges.extend(Edge(source, t, conditional=True) for t in targets)
        for node, spec in builder.nodes.items():
            edges.extend(Edge(node, t, conditional=True) for t in spec.destinations)
        if any(e.target == END for e in edges):
            nodes.append(END)
        return cls(name=name, nodes=nodes, edges=edges)

    def draw_mermaid(self) -> str:
        """Mermaid ``graph TD`` text: dotted arrows for conditional edges."""
        lines = ["graph TD;"]
        for node in self.nodes:
            if node == START:
                lines.append(f"\t{_id(node)}([<p>{START}</p>]):::first")
            elif node == END:
                lines.append(f"\t{_id(node)}([<p>{END}</p>]):::last")
            else:
                lines.append(f"\t{_id(node)}({node})")
        for e in self.edges:
            arrow = "-.->" if e.conditional else "-->"
            lines.append(f"\t{_id(e.source)} {arrow} {_id(e.target)};")
        lines.append("\tclassDef default fill:#f2f0ff,line-height:1.2")
        lines.append("\tclassDef first fill-opacity:0")
        lines.append("\tclassDef last fill:#bfb6fc")
        return "\n".join(lines) + "\n"


def _id(name: str) -> str:
    return name.replace(":", "_").replace("-", "_").replace(" ", "_")
