"""``draw_ascii()``: a graph as text, without a layout library.

Nodes are boxed and stacked in layers (a node one layer below the lowest node that leads to
it, loops ignored); an edge between adjacent layers is drawn with ``*`` (``.`` when
conditional); the other edges (loops back up, edges skipping layers) are listed below the
picture as ``source --> target`` / ``source -.-> target``.
"""

from __future__ import annotations

from collections.abc import Sequence

_GAP_ROWS = 3  # rows of edge drawing between two layers of boxes
_SPACING = 3  # columns between two boxes of a layer


def draw_ascii(nodes: Sequence[str], edges: Sequence[tuple[str, str, bool]]) -> str:
    """The picture of ``nodes`` (in order) joined by ``(source, target, conditional)`` edges."""
    if not nodes:
        return ""
    layer = _layers(nodes, edges)
    rows: list[list[str]] = [[] for _ in range(max(layer.values()) + 1)]
    for node in nodes:
        rows[layer[node]].append(node)
    widths = [sum(len(n) + 4 for n in row) + _SPACING * (len(row) - 1) for row in rows]
    width = max(widths)
    height = len(rows) * 3 + (len(rows) - 1) * _GAP_ROWS
    canvas = [[" "] * width for _ in range(height)]
    centre: dict[str, tuple[int, int]] = {}  # node -> (top row, centre column)
    for i, row in enumerate(rows):
        top = i * (3 + _GAP_ROWS)
        x = (width - widths[i]) // 2
        for node in row:
            w = len(node) + 4
            border = "+" + "-" * (w - 2) + "+"
            for j, line in enumerate((border, f"| {node} |", border)):
                canvas[top + j][x:x + w] = list(line)
            centre[node] = (top, x + w // 2)
            x += w + _SPACING
    listed = []
    for source, target, conditional in edges:
        if source not in layer or target not in layer or layer[target] != layer[source] + 1:
            listed.append(f"{source} {'-.->' if conditional else '-->'} {target}")
            continue
        (top0, x0), (top1, x1) = centre[source], centre[target]
        mark = "." if conditional else "*"
        for k in range(_GAP_ROWS):
            y = top0 + 3 + k
            x = x0 + round((x1 - x0) * (k + 0.5) / _GAP_ROWS)
            if canvas[y][x] == " ":
                canvas[y][x] = mark
    text = "\n".join("".join(line).rstrip() for line in canvas)
    if listed:
        text += "\n\n" + "\n".join(listed)
    return text + "\n"


def _layers(nodes: Sequence[str], edges: Sequence[tuple[str, str, bool]]) -> dict[str, int]:
    """Longest-path layers of the graph without the edges that close loops."""
    out: dict[str, list[str]] = {n: [] for n in nodes}
    for source, target, _ in edges:
        if source in out and target in out and source != target:
            out[source].append(target)
    state: dict[str, int] = {}  # 1: on the DFS stack, 2: done
    order: list[str] = []
    forward: dict[str, list[str]] = {n: [] for n in nodes}

    def visit(root: str) -> None:
        stack = [(root, iter(out[root]))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                order.append(node)
                stack.pop()
            elif state.get(child) != 1:  # an edge to a node on the stack closes a loop
                forward[node].append(child)
                if child not in state:
                    state[child] = 1
                    stack.append((child, iter(out[child])))

    incoming = {t for ts in out.values() for t in ts}
    for node in [n for n in nodes if n not in incoming] + list(nodes):
        if node not in state:
            visit(node)
    layer = {n: 0 for n in nodes}
    for node in reversed(order):  # a topological order of the forward edges
        for child in forward[node]:
            layer[child] = max(layer[child], layer[node] + 1)
    return layer
