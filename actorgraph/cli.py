"""The ``actorgraph`` command (also ``python -m actorgraph``).

``actorgraph draw module:attr [--format mermaid|dot|ascii|json|png] [--xray [N]] [--output FILE]``
    Print the drawing of a compiled graph (or a ``StateGraph`` builder): Mermaid (the default),
    Graphviz DOT, ASCII art, LangGraph's JSON, or a PNG rendered locally by Graphviz's ``dot``
    (to ``--output``, else to standard output as bytes). ``--xray`` expands subgraphs (all
    levels, or N).
``actorgraph logs FILE [--run ID] [--node NAME] [--level LEVEL] [--summary]``
    Filter a JSON-lines log written with ``configure_logging(json=True, file=...)``; with
    ``--summary``, count events and summarise task durations per node instead.
``actorgraph threads DB`` / ``history DB THREAD [--limit N]`` / ``state DB THREAD [--checkpoint ID]``
    Inspect a SQLite checkpoint database without the graph that wrote it.
``actorgraph bench [options]``
    Run the benchmark suite (``python -m bench``); it lives in the ``bench/`` directory of a
    source checkout, not in the installed package. ``actorgraph bench --help`` lists its options.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import statistics
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}


def load_graph(target: str) -> Any:
    """The compiled graph named by ``module:attr`` (importable from the current directory); a
    ``StateGraph`` builder is compiled. ``SystemExit`` with a message when it is neither."""
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise SystemExit(f"expected module:attr, got {target!r}")
    sys.path.insert(0, "")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if hasattr(obj, "compile") and not hasattr(obj, "astream"):
        obj = obj.compile()
    if not hasattr(obj, "astream"):
        raise SystemExit(f"{target} is not a compiled graph (or a StateGraph builder)")
    return obj


def _draw(args: argparse.Namespace, out: TextIO) -> int:
    from .graph import DrawError, RendererNotFoundError

    drawing = load_graph(args.target).get_graph(xray=args.xray)
    try:
        if args.format == "png":
            png = drawing.draw_png(args.output)
            if args.output is None:
                binary = getattr(out, "buffer", None)
                if binary is None:
                    raise SystemExit("--format png writes bytes: give --output FILE")
                out.flush()
                binary.write(png)
                binary.flush()
            return 0
    except (RendererNotFoundError, DrawError) as exc:
        raise SystemExit(f"actorgraph draw: {exc}") from None
    if args.format == "mermaid":
        text = drawing.draw_mermaid()
    elif args.format == "dot":
        text = drawing.to_dot()
    elif args.format == "ascii":
        text = drawing.draw_ascii()
    else:
        text = json.dumps(drawing.to_json(), indent=2) + "\n"
    if args.output is not None:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        out.write(text)
    return 0


def _xray(value: str) -> int | bool:
    """``--xray`` alone: every level (True); ``--xray N``: N levels."""
    try:
        depth = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--xray takes a number of levels, got {value!r}") from None
    if depth < 0:
        raise argparse.ArgumentTypeError(f"--xray takes a number of levels >= 0, got {depth}")
    return depth


def _records(path: str) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{lineno}: not a JSON log line ({exc.msg})") from None
            if isinstance(record, dict):
                yield record


def _logs(args: argparse.Namespace, out: TextIO) -> int:
    min_level = _LEVELS.get(args.level.lower(), 0) if args.level else 0
    selected = [
        r for r in _records(args.file)
        if (args.run is None or str(r.get("run")) == args.run)
        and (args.node is None or r.get("node") == args.node)
        and _LEVELS.get(str(r.get("level", "info")).lower(), 20) >= min_level
    ]
    if not args.summary:
        for r in selected:
            out.write(json.dumps(r) + "\n")
        return 0
    events = Counter(str(r.get("event")) for r in selected)
    durations: dict[str, list[float]] = defaultdict(list)
    for r in selected:
        if r.get("event") == "task_finished" and isinstance(r.get("duration_ms"), (int, float)):
            durations[str(r.get("node"))].append(float(r["duration_ms"]))
    out.write(f"{len(selected)} records, {len({r.get('run') for r in selected if 'run' in r})} runs\n")
    for event, n in events.most_common():
        out.write(f"  {event}: {n}\n")
    if durations:
        out.write("task durations (ms): node  count  median  max\n")
        for node, ds in sorted(durations.items()):
            out.write(f"  {node}  {len(ds)}  {statistics.median(ds):.3f}  {max(ds):.3f}\n")
    return 0


_BENCH_HOWTO = (
    "the benchmark suite is not part of the installed package: it lives in the bench/ directory "
    "of a source checkout. From the root of a checkout run `pip install -e '.[bench]'` (LangGraph "
    "and matplotlib, for the comparison and --plot), then `python -m bench` or `actorgraph bench`."
)


def _bench_package() -> ModuleType | None:
    """The ``bench`` package of an actorgraph checkout: the current directory's, or the one
    this package is installed from (editable install); ``None`` when there is none."""
    loaded = sys.modules.get("bench")
    if loaded is not None:
        return loaded if getattr(loaded, "ACTORGRAPH_BENCH", False) else None
    for root in (Path(os.getcwd()), Path(__file__).resolve().parent.parent):
        init = root / "bench" / "__init__.py"
        try:
            if "ACTORGRAPH_BENCH" not in init.read_text(encoding="utf-8"):
                continue
        except OSError:
            continue
        sys.path.insert(0, str(root))
        module = importlib.import_module("bench")
        return module if getattr(module, "ACTORGRAPH_BENCH", False) else None
    return None


def _bench(argv: Sequence[str], out: TextIO | None) -> int:
    package = _bench_package()
    if package is None:
        sys.stderr.write(f"actorgraph bench: {_BENCH_HOWTO}\n")
        return 2
    with contextlib.redirect_stdout(out) if out is not None else contextlib.nullcontext():
        return int(package.main(list(argv), prog="actorgraph bench"))


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["bench"]:  # every further argument belongs to the bench's own parser
        return _bench(args_list[1:], out)
    parser = argparse.ArgumentParser(prog="actorgraph", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    draw = sub.add_parser("draw", help="draw a graph: Mermaid, DOT, ASCII, JSON or PNG")
    draw.add_argument("target", help="module:attr of a compiled graph or builder")
    draw.add_argument("--format", choices=("mermaid", "dot", "png", "ascii", "json"), default="mermaid")
    draw.add_argument("--xray", nargs="?", type=_xray, const=True, default=False,
                      help="expand subgraphs: all levels, or N levels")
    draw.add_argument("--output", "-o", help="write to this file (a PNG's bytes, or the text)")
    logs = sub.add_parser("logs", help="filter or summarise a JSON-lines log")
    logs.add_argument("file")
    logs.add_argument("--run")
    logs.add_argument("--node")
    logs.add_argument("--level")
    logs.add_argument("--summary", action="store_true")
    sub.add_parser("bench", help="run the benchmark suite from a source checkout (see bench --help)",
                   add_help=False)
    threads = sub.add_parser("threads", help="list the threads of a SQLite checkpoint database")
    threads.add_argument("db")
    history = sub.add_parser("history", help="a thread's checkpoints, newest first")
    history.add_argument("db")
    history.add_argument("thread")
    history.add_argument("--limit", type=int)
    state = sub.add_parser("state", help="a thread's state at its latest (or a given) checkpoint")
    state.add_argument("db")
    state.add_argument("thread")
    state.add_argument("--checkpoint")
    args = parser.parse_args(args_list)
    stream = out if out is not None else sys.stdout
    if args.command == "draw":
        return _draw(args, stream)
    if args.command in ("threads", "history", "state"):
        return _inspect(args, stream)
    return _logs(args, stream)


def _inspect(args: argparse.Namespace, out: TextIO) -> int:
    """``threads`` / ``history`` / ``state``: one JSON document per line, or a table."""
    import anyio
    import msgspec

    from .observability import _inspect as db

    if not Path(args.db).is_file():
        raise SystemExit(f"{args.db}: no such database file")
    if args.command == "threads":
        for t in anyio.run(db.threads, args.db):
            out.write(f"{t.thread_id}\t{t.checkpoints} checkpoints\tstep {t.latest_step}\t{t.latest_ts}\n")
        return 0
    if args.command == "history":
        for h in anyio.run(lambda: db.history(args.db, args.thread, args.limit)):
            out.write(f"{h.checkpoint_id}\tstep {h.step}\t{h.source}\t{h.ts}\t"
                      f"{h.pending_writes} pending writes\n")
        return 0
    found = anyio.run(lambda: db.state(args.db, args.thread, args.checkpoint))
    if found is None:
        raise SystemExit(f"thread {args.thread!r} has no checkpoint"
                         + (f" {args.checkpoint!r}" if args.checkpoint else "") + f" in {args.db}")
    out.write(msgspec.json.encode(found, enc_hook=repr).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
