"""actorgraph benchmarks (BENCH.md): ``python -m bench`` or ``actorgraph bench`` from a checkout.

Every workload is written once and run on actorgraph (asyncio and trio) and, with the optional
``bench`` extra installed, on LangGraph, alternating repetitions in one process per workload
(forked from the bench's own, so that no workload's figures depend on the ones run before). See
``python -m bench --help``. ``python -m bench.actors`` measures the actor kernel alone;
``python -m bench.graphs`` runs the graph-timing subset; ``python -m bench.step`` times one
super-step of a chain, actorgraph alone (a change's before and after).
"""

from __future__ import annotations

from collections.abc import Sequence

ACTORGRAPH_BENCH = True  # lets ``actorgraph bench`` tell this package from an unrelated ``bench``


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m bench") -> int:
    """Run the benchmark command line; returns the exit status."""
    from ._cli import main as cli_main

    return cli_main(argv, prog=prog)
