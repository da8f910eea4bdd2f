"""Drawing a graph's structure: ``get_graph(xray=...)`` and its Mermaid, JSON, ASCII, DOT and PNG
renderings.

The structure is derived from the builder (edges, joins, conditional edges' ``path_map`` or
``Literal`` hints, ``Command`` destinations), keeping only what a run starting at ``START`` can
reach, so that the Mermaid text and the JSON are the ones LangGraph 1.2 prints for the same
graph. Pictures are rendered locally (Graphviz's ``dot``, or mermaid-cli's ``mmdc``), never
through a web service.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from .. import _langchain
from .._langchain_runnable import register_runnable
from ._constants import END, START
from ._errors import DrawError, DuplicateSubgraphError, RendererNotFoundError

# The type tags LangGraph 1.2's ``to_json()`` gives a function node and a subgraph node
# (observed from LangGraph 1.2), kept so that tools reading LangGraph's JSON read ours.
_FUNCTION_TAG = ("langgraph", "_internal", "_runnable", "RunnableCallable")
_SUBGRAPH_TAG = ("langgraph", "graph", "state", "CompiledStateGraph")
_TOOL_NODE_TAG = ("langgraph", "prebuilt", "tool_node", "ToolNode")
_DEFAULT_HANDLER = "__default_error_handler__"  # (set_node_defaults(error_handler=...)'s node)

# LangGraph discovers edges by simulating up to this many steps from START; a graph whose every
# path loops forever gets a conditional edge to END from the node its last simulated step ran.
_SIMULATED_STEPS = 251


class CurveStyle(enum.Enum):
    """How Mermaid draws edges (``draw_mermaid(curve_style=...)``)."""

    BASIS = "basis"
    BUMP_X = "bumpX"
    BUMP_Y = "bumpY"
    CARDINAL = "cardinal"
    CATMULL_ROM = "catmullRom"
    LINEAR = "linear"
    MONOTONE_X = "monotoneX"
    MONOTONE_Y = "monotoneY"
    NATURAL = "natural"
    STEP = "step"
    STEP_AFTER = "stepAfter"
    STEP_BEFORE = "stepBefore"


class MermaidDrawMethod(enum.Enum):
    """Accepted by ``draw_mermaid_png(draw_method=...)`` for LangGraph compatibility; the
    picture is always rendered locally, whatever the method."""

    PYPPETEER = "pyppeteer"
    API = "api"


@dataclasses.dataclass
class NodeStyles:
    """Mermaid ``classDef`` styles of ordinary nodes, the first node and the last node."""

    default: str = "fill:#f2f0ff,line-height:1.2"
    first: str = "fill-opacity:0"
    last: str = "fill:#bfb6fc"


class Node(NamedTuple):
    """A node of a :class:`DrawableGraph`: ``id`` (``sub:inner`` inside an expanded subgraph),
    ``name`` (its name in the graph that defines it), ``data`` (what runs it, as the type tag
    LangGraph's JSON gives it, e.g. ``("langgraph", "graph", "state", "CompiledStateGraph")``
    for a subgraph; ``None`` for ``END``) and ``metadata``."""

    id: str
    name: str
    data: Any = None
    metadata: dict[str, Any] | None = None

    def copy(self, id: str | None = None, name: str | None = None) -> Any:
        """This node as a langchain-core graph ``Node`` (``id``/``name`` replaced; its ``data``
        a stand-in Runnable named by the type tag): what LangChain's ``Graph.extend`` makes of
        it when a ``RunnableSequence``/``RunnableParallel`` draws a compiled graph among its
        steps. Needs langchain-core."""
        data = None if self.data is None else _Drawn(tuple(self.data), self.name)
        return _lc_graph().Node(id=id or self.id, name=name or self.name, data=data, metadata=self.metadata)


class Edge(NamedTuple):
    """An edge: ``data`` is its label (the ``path_map`` key or ``destinations`` label), when it
    differs from the target's name; ``conditional`` edges are drawn dotted."""

    source: str
    target: str
    data: str | None = None
    conditional: bool = False

    def copy(self, source: str | None = None, target: str | None = None) -> Any:
        """This edge as a langchain-core graph ``Edge`` (see :meth:`Node.copy`)."""
        return _lc_graph().Edge(source=source or self.source, target=target or self.target, data=self.data,
                                conditional=self.conditional)


def _lc_graph() -> Any:
    _langchain.require("Drawing a compiled graph inside a LangChain sequence")
    return importlib.import_module("langchain_core.runnables.graph")


class _Drawn:
    """A node's runner in a langchain-core drawing: LangChain's JSON names it by ``__module__``
    and ``__name__`` (the type tag LangGraph's drawing gives), its ``get_name()`` is the node's
    name. A virtual ``Runnable`` (see ``register_runnable``), as LangGraph's node runners are."""

    def __init__(self, tag: tuple[str, ...], name: str) -> None:
        self.__module__ = ".".join(tag[:-1])
        self.__name__ = tag[-1]
        self.name = name

    def get_name(self, suffix: str | None = None, *, name: str | None = None) -> str:
        return name or self.name

    def __repr__(self) -> str:
        return f"<{self.__module__}.{self.__name__} {self.name!r}>"


register_runnable(_Drawn)


class DrawableGraph:
    """Nodes and edges of a compiled graph, with ``START``/``END`` as ``__start__``/``__end__``.

    ``nodes`` maps ids to :class:`Node` (``list(graph.nodes)`` lists the ids in order);
    ``edges`` is a list of :class:`Edge`.
    """

    def __init__(self, nodes: dict[str, Node] | None = None, edges: list[Edge] | None = None,
                 name: str = "LangGraph") -> None:
        self.nodes: dict[str, Node] = nodes if nodes is not None else {}
        self.edges: list[Edge] = edges if edges is not None else []
        self.name = name

    def __repr__(self) -> str:
        return f"<DrawableGraph {self.name!r}: {len(self.nodes)} nodes, {len(self.edges)} edges>"

    def __bool__(self) -> bool:
        return bool(self.nodes)

    # -- building --------------------------------------------------------------------------

    @classmethod
    def from_builder(
        cls,
        builder: Any,
        name: str = "LangGraph",
        *,
        interrupt_before: Sequence[str] = (),
        interrupt_after: Sequence[str] = (),
        subgraphs: Mapping[str, DrawableGraph] | None = None,
    ) -> DrawableGraph:
        """The structure of the graph ``builder`` (a ``StateGraph``) compiles to; each node
        named in ``subgraphs`` is replaced by that subgraph's drawing (``xray``)."""
        candidates: set[tuple[str, str, bool, str]] = set()  # (source, target, conditional, label)
        for source, target in builder.edges:
            if target != END:  # an edge to END shows only where its source has no other edge
                candidates.add((source, target, False, ""))
        joins: list[tuple[frozenset[str], str]] = []
        for sources, target in builder.waiting_edges:
            if target != END:
                candidates.update((s, target, False, "") for s in sources)
                joins.append((frozenset(sources), target))
        for source, branches in builder.branches.items():
            for branch in branches.values():
                for key, target in (branch.path_map or {}).items():
                    candidates.add((source, target, True, str(key)))
        labels: dict[str, dict[str, str]] = getattr(builder, "destination_labels", {})
        for node, spec in builder.nodes.items():
            for target in spec.destinations:
                candidates.add((node, target, True, labels.get(node, {}).get(target, target)))

        direct = {(src, t) for src, t, _, _ in candidates} - {(src, t) for ss, t in joins for src in ss}
        direct |= {(src, t) for src, t in builder.edges}  # (an edge that is also part of a join)
        deferred = {node for node, spec in builder.nodes.items() if getattr(spec, "defer", False)}
        ran, last_step, implicit = _simulate(direct, joins, deferred)
        found = sorted({(s, t, c, label) for s, t, c, label in candidates
                        if s in ran and (t == END or t in ran)} | implicit)
        graph = cls(name=name)
        graph.nodes[START] = Node(START, START, _FUNCTION_TAG)
        defaults = getattr(builder, "node_defaults", {})
        for node, spec in builder.nodes.items():
            if getattr(spec, "error_handler", None) is not None:  # (LangGraph draws handlers unlinked)
                handler = f"__error_handler__{node}"
                graph.nodes[handler] = Node(handler, handler, _FUNCTION_TAG)
            graph.nodes[node] = Node(node, node, _tag(spec), _metadata(spec, interrupt_before, interrupt_after))
        for population in getattr(builder, "agents", {}):  # agent populations are nodes too
            graph.nodes[population] = Node(population, population, _FUNCTION_TAG)
        if "error_handler" in defaults:  # (drawn even when every node has its own, as LangGraph)
            graph.nodes[_DEFAULT_HANDLER] = Node(_DEFAULT_HANDLER, _DEFAULT_HANDLER, _FUNCTION_TAG)
        for source, target, conditional, label in found:
            graph._link(source, target, None if label in ("", target) else label, conditional)
        termini = sorted({t for _, t, _, _ in found if t != END} - {s for s, _, _, _ in found})
        if termini:
            for node in termini:
                graph._link(node, END)
        elif len(last_step) == 1 and not any(t == END for _, t, _, _ in found):
            graph._link(next(iter(last_step)), END, conditional=True)
        for node, sub in (subgraphs or {}).items():
            graph._expand(node, sub)
        return graph

    def _link(self, source: str, target: str, data: str | None = None, conditional: bool = False) -> None:
        """Add an edge, unless one already joins ``source`` to ``target`` (the first one wins)."""
        if any(e.source == source and e.target == target for e in self.edges):
            return
        if target == END and END not in self.nodes:
            self.nodes[END] = Node(END, END)
        self.edges.append(Edge(source, target, data, conditional))

    def _expand(self, name: str, sub: DrawableGraph) -> None:
        """Replace node ``name`` by the nodes of ``sub`` (ids prefixed ``name:``), without its
        ``START``/``END`` where they are plain single entry and exit points."""
        if len(sub.nodes) <= 1 or name not in self.nodes:
            return
        sub = sub.copy()
        if sub.first_node() is None or sub.last_node() is None:
            return
        sub.trim_first_node()
        sub.trim_last_node()
        first, last = sub.first_node(), sub.last_node()
        del self.nodes[name]
        for node in sub.nodes.values():
            self.nodes[f"{name}:{node.id}"] = node._replace(id=f"{name}:{node.id}")
        self.edges.extend(Edge(f"{name}:{e.source}", f"{name}:{e.target}", e.data, e.conditional)
                          for e in sub.edges)
        for i, edge in enumerate(self.edges):
            if edge.source == name and last is not None:
                edge = edge._replace(source=f"{name}:{last.id}")
            if edge.target == name and first is not None:
                edge = edge._replace(target=f"{name}:{first.id}")
            self.edges[i] = edge

    def copy(self) -> DrawableGraph:
        return DrawableGraph(dict(self.nodes), list(self.edges), self.name)

    def first_node(self) -> Node | None:
        """The one node no edge leads to (``None`` if there are none or several)."""
        return _single_end(self, "target")

    def last_node(self) -> Node | None:
        """The one node no edge leaves (``None`` if there are none or several)."""
        return _single_end(self, "source")

    def trim_first_node(self) -> None:
        """Remove the first node if it has a single edge and another node would be first."""
        first = self.first_node()
        if first is not None and _single_end(self, "target", first.id) is not None \
                and len({e for e in self.edges if e.source == first.id}) == 1:
            self._remove(first.id)

    def trim_last_node(self) -> None:
        """Remove the last node if it has a single edge and another node would be last."""
        last = self.last_node()
        if last is not None and _single_end(self, "source", last.id) is not None \
                and len({e for e in self.edges if e.target == last.id}) == 1:
            self._remove(last.id)

    def _remove(self, node: str) -> None:
        del self.nodes[node]
        self.edges = [e for e in self.edges if node not in (e.source, e.target)]

    # -- Mermaid ---------------------------------------------------------------------------

    def draw_mermaid(
        self,
        *,
        with_styles: bool = True,
        curve_style: CurveStyle | str = CurveStyle.LINEAR,
        node_colors: NodeStyles | None = None,
        wrap_label_n_words: int = 9,
        frontmatter_config: dict[str, Any] | None = None,
    ) -> str:
        """Mermaid flowchart text, as LangGraph 1.2 prints it.

        ``with_styles=False``: only the edges (no front matter, node shapes or classes).
        ``curve_style``: a :class:`CurveStyle` (or its value, or LangChain's enum of the same
        name). Edge labels are wrapped every ``wrap_label_n_words`` words.
        ``frontmatter_config`` is merged into the YAML front matter. Nodes of an expanded
        subgraph are grouped in a ``subgraph`` block.
        """
        curve = str(getattr(curve_style, "value", curve_style))
        out: list[str] = []
        if with_styles:
            front = dict(frontmatter_config or {})
            config = dict(front.get("config") or {})
            config["flowchart"] = {**(config.get("flowchart") or {}), "curve": curve}
            front["config"] = config
            out.append("---\n" + _yaml(front) + "---\n")
        out.append("graph TD;\n")
        first, last = self.first_node(), self.last_node()
        shapes = {first.id: "{0}([{1}]):::first"} if first is not None else {}
        if last is not None:
            shapes[last.id] = "{0}([{1}]):::last"

        def node_line(node: Node) -> str:
            label = node.name.split(":")[-1]
            if label[:1] and label[0] in _MARKDOWN and label[-1] in _MARKDOWN:
                label = f"<p>{label}</p>"
            notes = _metadata_lines(node.metadata or {})
            if notes:
                label += "<hr/><small><em>" + "\n".join(notes) + "</em></small>"
            return "\t" + shapes.get(node.id, "{0}({1})").format(_safe_id(node.id), label) + "\n"

        grouped: dict[str, list[Node]] = {}
        for key, node in self.nodes.items():
            if ":" in key:
                grouped.setdefault(key.rsplit(":", 1)[0], []).append(node)
            elif with_styles:
                out.append(node_line(node))
        edge_groups: dict[str, list[Edge]] = {}
        for edge in self.edges:
            common = ":".join(s for s, t in zip(edge.source.split(":"), edge.target.split(":")) if s == t)
            edge_groups.setdefault(common, []).append(edge)
        seen: set[str] = set()

        def block(edges: list[Edge], prefix: str) -> None:
            self_loop = len(edges) == 1 and edges[0].source == edges[0].target
            boxed = bool(prefix) and not self_loop
            if boxed:
                title = prefix.rsplit(":", 1)[-1]
                if title in seen:
                    raise DuplicateSubgraphError(f"Found duplicate subgraph '{title}': two subgraph nodes share "
                                    "that name; give the subgraph nodes unique names")
                seen.add(title)
                out.append(f"\tsubgraph {title}\n")
                if with_styles:
                    out.extend(node_line(n) for n in grouped.get(prefix, ()))
            for e in edges:
                out.append(f"\t{_safe_id(e.source)}{_mermaid_arrow(e, wrap_label_n_words)}{_safe_id(e.target)};\n")
            for nested, nested_edges in edge_groups.items():
                if nested.startswith(prefix + ":") and ":" not in nested[len(prefix) + 1:]:
                    block(nested_edges, nested)
            if boxed:
                out.append("\tend\n")

        block(edge_groups.get("", []), "")
        for prefix, edges in edge_groups.items():
            if prefix and ":" not in prefix:
                block(edges, prefix)
                seen.add(prefix)
        if with_styles:
            for prefix, nodes in grouped.items():
                if ":" not in prefix and prefix not in seen:
                    out.append(f"\tsubgraph {prefix}\n")
                    out.extend(node_line(n) for n in nodes)
                    out.append("\tend\n")
                    seen.add(prefix)
            styles = node_colors or NodeStyles()
            for cls_name, style in dataclasses.asdict(styles).items():
                out.append(f"\tclassDef {cls_name} {style}\n")
        return "".join(out)

    # -- JSON ------------------------------------------------------------------------------

    def to_json(self, *, with_schemas: bool = False) -> dict[str, list[dict[str, Any]]]:
        """``{"nodes": [...], "edges": [...]}`` as LangGraph 1.2's ``to_json()``: a node is
        ``{"id", "type": "runnable", "data": {"id": <type tag>, "name"}, "metadata"?}``
        (``END`` just ``{"id"}``); an edge ``{"source", "target", "data"?, "conditional"?}``.
        ``with_schemas`` is accepted for compatibility (nodes carry no schema)."""
        nodes: list[dict[str, Any]] = []
        for node in self.nodes.values():
            entry: dict[str, Any] = {"id": node.id}
            if node.data is not None:
                entry["type"] = "runnable"
                entry["data"] = {"id": list(node.data), "name": node.id}
            if node.metadata is not None:
                entry["metadata"] = node.metadata
            nodes.append(entry)
        edges: list[dict[str, Any]] = []
        for e in self.edges:
            item: dict[str, Any] = {"source": e.source, "target": e.target}
            if e.data is not None:
                item["data"] = e.data
            if e.conditional:
                item["conditional"] = True
            edges.append(item)
        return {"nodes": nodes, "edges": edges}

    # -- ASCII -----------------------------------------------------------------------------

    def draw_ascii(self) -> str:
        """The graph as text: boxed nodes in layers from the first node down, edges drawn
        with ``*`` (``.`` when conditional) between the layers they join."""
        from ._ascii import draw_ascii

        return draw_ascii(list(self.nodes), [(e.source, e.target, e.conditional) for e in self.edges])

    def print_ascii(self) -> None:
        """Print :meth:`draw_ascii`."""
        print(self.draw_ascii())  # noqa: T201

    # -- Graphviz --------------------------------------------------------------------------

    def to_dot(self) -> str:
        """Graphviz DOT text: ``START``/``END`` as ovals, conditional edges dashed, labels
        from ``path_map`` keys, an expanded subgraph as a cluster."""
        lines = [f"digraph {_dot_quote(self.name)} {{", "\trankdir=TB;",
                 '\tnode [shape=box, style="rounded,filled", fillcolor="#f2f0ff", fontname="Helvetica"];',
                 '\tedge [fontname="Helvetica", fontsize=10];']
        clusters: dict[str, list[Node]] = {}
        for key, node in self.nodes.items():
            if ":" in key:
                clusters.setdefault(key.rsplit(":", 1)[0], []).append(node)
            else:
                lines.append("\t" + _dot_node(node))
        for i, (prefix, nodes) in enumerate(clusters.items()):
            lines.append(f"\tsubgraph cluster_{i} {{")
            lines.append(f"\t\tlabel={_dot_quote(prefix)};")
            lines.extend("\t\t" + _dot_node(n) for n in nodes)
            lines.append("\t}")
        for e in self.edges:
            attrs = []
            if e.conditional:
                attrs.append("style=dashed")
            if e.data is not None:
                attrs.append(f"label={_dot_quote(e.data)}")
            suffix = f" [{', '.join(attrs)}]" if attrs else ""
            lines.append(f"\t{_dot_quote(e.source)} -> {_dot_quote(e.target)}{suffix};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def draw_png(self, output_file_path: str | None = None, *, dot: str | None = None) -> bytes:
        """PNG bytes of :meth:`to_dot` rendered by Graphviz's ``dot`` (found on ``PATH``, or
        the executable ``dot`` names), also written to ``output_file_path`` when given.
        :class:`RendererNotFoundError` (an ``ImportError``) naming Graphviz when there is no
        ``dot``; :class:`DrawError` with its message when ``dot`` fails. Never uses the
        network."""
        png = _render([_executable(dot, "dot", _GRAPHVIZ_HINT), "-Tpng"], self.to_dot().encode())
        if output_file_path is not None:
            Path(output_file_path).write_bytes(png)
        return png

    def draw_mermaid_png(
        self,
        *,
        curve_style: CurveStyle | str = CurveStyle.LINEAR,
        node_colors: NodeStyles | None = None,
        wrap_label_n_words: int = 9,
        output_file_path: str | None = None,
        draw_method: Any = MermaidDrawMethod.API,
        background_color: str = "white",
        padding: int = 10,  # (LangGraph's; mmdc and dot pad by themselves)
        frontmatter_config: dict[str, Any] | None = None,
        **_ignored: Any,
    ) -> bytes:
        """A PNG of the graph rendered locally, never through a web service (LangGraph calls
        mermaid.ink by default; ``draw_method``, ``max_retries``, ``base_url``, ``proxies``
        are accepted and ignored).

        With mermaid-cli's ``mmdc`` on ``PATH``, it renders :meth:`draw_mermaid`'s text;
        otherwise Graphviz's ``dot`` renders :meth:`to_dot`. With neither,
        :class:`RendererNotFoundError` (an ``ImportError``) says what to install.
        """
        mmdc = shutil.which("mmdc")
        if mmdc is None:
            if shutil.which("dot") is None:
                raise RendererNotFoundError(
                    "draw_mermaid_png() renders locally and found no renderer: install Graphviz "
                    "(the `dot` command, e.g. `apt-get install graphviz` or `brew install graphviz`) "
                    "or mermaid-cli (the `mmdc` command: `npm install -g @mermaid-js/mermaid-cli`); "
                    "draw_mermaid() gives the Mermaid text without either"
                )
            return self.draw_png(output_file_path)
        text = self.draw_mermaid(curve_style=curve_style, node_colors=node_colors,
                                 wrap_label_n_words=wrap_label_n_words,
                                 frontmatter_config=frontmatter_config)
        with tempfile.TemporaryDirectory() as tmp:
            src, dst = Path(tmp, "graph.mmd"), Path(tmp, "graph.png")
            src.write_text(text, encoding="utf-8")
            _render([mmdc, "-i", str(src), "-o", str(dst), "-b", background_color], b"")
            png = dst.read_bytes()
        if output_file_path is not None:
            Path(output_file_path).write_bytes(png)
        return png


_MARKDOWN = "*_`"
_GRAPHVIZ_HINT = ("install Graphviz (the `dot` command, e.g. `apt-get install graphviz` or "
                  "`brew install graphviz`)")
_LABEL_ESCAPES = {"[": "#91;", "]": "#93;", "(": "#40;", ")": "#41;", "{": "#123;", "}": "#125;",
                  '"': "#quot;", "<": "#60;", ">": "#62;", "|": "#124;"}
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def _simulate(direct: set[tuple[str, str]], joins: list[tuple[frozenset[str], str]],
              deferred: frozenset[str] | set[str] = frozenset()
              ) -> tuple[set[str], set[str], set[tuple[str, str, bool, str]]]:
    """Which nodes a run from START can reach (every branch taken) through ``direct`` edges and
    ``joins``, the nodes of the last simulated step (of a graph whose paths never end), and the
    implicit edges LangGraph's drawing adds to a ``deferred`` node.

    As LangGraph's drawing (a simulated run), a deferred node reached waits until a step leads
    to no other node; when it then runs, if no node of the step before led to it, an implicit
    conditional edge from each node of that step is drawn to it.
    """
    follow: dict[str, set[str]] = {}
    for s, t in direct:
        if t != END:
            follow.setdefault(s, set()).add(t)
    arrived: list[set[str]] = [set() for _ in joins]
    step: set[str] = {START}
    ran: set[str] = set()
    last: set[str] = set()
    held: set[str] = set()
    implicit: set[tuple[str, str, bool, str]] = set()
    for _ in range(_SIMULATED_STEPS):
        if not step:
            break
        ran |= step
        last = step
        nxt: set[str] = set()
        for node in step:
            nxt |= follow.get(node, set())
        for i, (sources, target) in enumerate(joins):
            arrived[i] |= step & sources
            if arrived[i] >= sources:
                nxt.add(target)
                arrived[i] = set()
        if deferred:
            reached_now = nxt & deferred
            held |= reached_now
            nxt -= deferred
            if not nxt and held:
                nxt = held
                for node in held - reached_now:
                    implicit.update((src, node, True, "") for src in step)
                held = set()
        step = nxt
    return ran, last, implicit


def _metadata(spec: Any, before: Sequence[str], after: Sequence[str]) -> dict[str, Any] | None:
    metadata = dict(spec.metadata or {})
    if spec.defer:
        metadata["defer"] = True
    name = spec.name
    is_before = name in before  # (not for "*", as LangGraph 1.2 draws it)
    is_after = name in after
    if is_before and is_after:
        metadata["__interrupt"] = "before,after"
    elif is_before:
        metadata["__interrupt"] = "before"
    elif is_after:
        metadata["__interrupt"] = "after"
    tools = _tools(spec.fn)
    if tools:
        metadata["__tools"] = tools
    return metadata or None


def _tag(spec: Any) -> tuple[str, ...]:
    """The type tag of what runs a node, as LangGraph 1.2's ``to_json()`` names it: a subgraph,
    a ``ToolNode``, a LangChain Runnable (its serialization id), or a function."""
    if spec.subgraph is not None:
        return _SUBGRAPH_TAG
    if _tools(spec.fn):
        return _TOOL_NODE_TAG
    runnable = getattr(spec.fn, "runnable", None)
    if runnable is not None and _langchain.is_runnable(runnable):
        try:
            if hasattr(runnable, "lc_id") and runnable.is_lc_serializable():
                return tuple(runnable.lc_id())
        except Exception:  # a Runnable whose class cannot say: named by its class
            pass
        cls = type(runnable)
        return (*cls.__module__.split("."), cls.__name__)
    return _FUNCTION_TAG


def _tools(fn: Any) -> list[str]:
    """The tool names of a tool node (a ``ToolNode``, possibly wrapped as a Runnable node)."""
    for candidate in (fn, getattr(fn, "runnable", None)):
        tools = getattr(candidate, "tools_by_name", None)
        if isinstance(tools, Mapping) and tools:
            return list(tools)
    return []


def _single_end(graph: DrawableGraph, side: str, exclude: str | None = None) -> Node | None:
    other = "source" if side == "target" else "target"
    touched = {getattr(e, side) for e in graph.edges if getattr(e, other) != exclude}
    found = [n for n in graph.nodes.values() if n.id != exclude and n.id not in touched]
    return found[0] if len(found) == 1 else None


def _safe_id(text: str) -> str:
    """A Mermaid node id: ``[A-Za-z0-9_-]`` kept, anything else as ``\\`` + hex code point."""
    return "".join(ch if ch in _SAFE else "\\" + format(ord(ch), "x") for ch in text)


def _escape_label(text: str) -> str:
    text = text.replace("#", "#35;")
    for ch, entity in _LABEL_ESCAPES.items():
        text = text.replace(ch, entity)
    return text


def _metadata_lines(metadata: Mapping[str, Any]) -> list[str]:
    """``key = value`` for each scalar (or sequence of scalars) metadata value."""
    scalars = (str, int, float, bool)
    lines = []
    for key, value in metadata.items():
        if isinstance(value, scalars):
            shown = str(value)
        elif isinstance(value, (list, tuple, set)) and all(isinstance(v, scalars) for v in value):
            items = [str(v) for v in value]
            shown = ", ".join(sorted(items) if isinstance(value, set) else items)
        else:
            continue
        lines.append(_escape_label(f"{key} = {shown}"))
    return lines


def _mermaid_arrow(edge: Edge, wrap: int) -> str:
    if edge.data is None:
        return " -.-> " if edge.conditional else " --> "
    words = str(edge.data).split()
    text = str(edge.data)
    if len(words) > wrap:
        text = "&nbsp<br>&nbsp".join(" ".join(words[i:i + wrap]) for i in range(0, len(words), wrap))
    return f" -. &nbsp;{text}&nbsp; .-> " if edge.conditional else f" -- &nbsp;{text}&nbsp; --> "


def _yaml(value: Mapping[str, Any], indent: int = 0) -> str:
    """Block-style YAML of nested mappings of scalars, keys sorted (Mermaid front matter)."""
    out = []
    pad = "  " * indent
    for key in sorted(value, key=str):
        item = value[key]
        if isinstance(item, Mapping):
            out.append(f"{pad}{key}:\n" + (_yaml(item, indent + 1) if item else ""))
            if not item:
                out[-1] = f"{pad}{key}: {{}}\n"
        elif isinstance(item, (list, tuple)):
            out.append(f"{pad}{key}:\n" + "".join(f"{pad}- {_yaml_scalar(v)}\n" for v in item))
        else:
            out.append(f"{pad}{key}: {_yaml_scalar(item)}\n")
    return "".join(out)


def _yaml_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    plain = text and not text[0] in "!&*-?[]{}|>'\"%@`#,:" and ": " not in text and " #" not in text \
        and text.strip() == text and text.lower() not in ("true", "false", "null", "yes", "no", "on", "off", "~")
    if plain:
        try:
            float(text)
        except ValueError:
            return text
    return "'" + text.replace("'", "''") + "'"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_node(node: Node) -> str:
    label = node.name.split(":")[-1]
    attrs = [f"label={_dot_quote(label)}"]
    if node.id in (START, END) or node.id.endswith((f":{START}", f":{END}")):
        attrs.append("shape=oval")
        attrs.append('fillcolor="#bfb6fc"' if node.name == END else 'style="rounded"')
    return f"{_dot_quote(node.id)} [{', '.join(attrs)}];"


def _executable(given: str | None, name: str, hint: str) -> str:
    found = shutil.which(given or name)
    if found is None:
        raise RendererNotFoundError(f"drawing a PNG needs the `{given or name}` command, not found on PATH: {hint}")
    return found


def _render(command: list[str], stdin: bytes) -> bytes:
    """Run a local renderer; its stdout, or :class:`DrawError` with its stderr."""
    try:
        done = subprocess.run(command, input=stdin, capture_output=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DrawError(f"{Path(command[0]).name} failed to run: {exc}") from exc
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip() or f"exit status {done.returncode}"
        raise DrawError(f"{Path(command[0]).name} failed: {message}")
    return done.stdout

