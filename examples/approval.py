"""Human in the loop: a step that needs approval, persisted to SQLite, resumable later.

    python examples/approval.py                      # start (or continue) thread "demo"
    python examples/approval.py --thread t2 --request "delete the staging database"
    python examples/approval.py --trio               # same, on trio

The graph pauses at ``interrupt()`` and asks on stdin. Answer ``y`` or ``n``, or ``later`` (or
press Ctrl-D) to stop: the pause is saved in the SQLite file, and running the command again —
even days later, in another process — asks the same question and carries on.
"""

from __future__ import annotations

import argparse
import operator
import sys
from typing import Annotated, Any, TypedDict

import anyio

from actorgraph import END, START, Command, StateGraph, interrupt
from actorgraph.persistence import SqliteSaver


class State(TypedDict):
    request: str
    approved: bool
    log: Annotated[list[str], operator.add]


def plan(state: State) -> dict[str, Any]:
    return {"log": [f"planned: {state['request']}"]}


def review(state: State) -> Command[Any]:
    # Everything above interrupt() runs again on resume: keep side effects after it.
    answer = interrupt({"question": f"Approve '{state['request']}'? [y/n]"})
    approved = str(answer).strip().lower() in ("y", "yes")
    return Command(update={"approved": approved, "log": [f"reviewed: {'approved' if approved else 'rejected'}"]},
                   goto="execute" if approved else "reject")


def execute(state: State) -> dict[str, Any]:
    return {"log": [f"executed: {state['request']}"]}


def reject(state: State) -> dict[str, Any]:
    return {"log": ["nothing done"]}


builder = StateGraph(State)
builder.add_node("plan", plan)
builder.add_node("review", review, destinations=("execute", "reject"))
builder.add_node("execute", execute)
builder.add_node("reject", reject)
builder.add_edge(START, "plan")
builder.add_edge("plan", "review")
builder.add_edge("execute", END)
builder.add_edge("reject", END)


def ask(question: str) -> str | None:
    print(question, "(or 'later')", flush=True)
    line = sys.stdin.readline()
    if not line or line.strip().lower() == "later":
        return None
    return line.strip()


async def main(args: argparse.Namespace) -> int:
    config = {"configurable": {"thread_id": args.thread}}
    async with SqliteSaver.from_conn_string(args.db) as saver:
        graph = builder.compile(checkpointer=saver)
        state = await graph.aget_state(config)
        if state.interrupts:
            print(f"thread {args.thread!r} is waiting for you")
            result = None
        elif state.values and not state.next:
            print(f"thread {args.thread!r} is finished: {state.values['log']}")
            return 0
        else:
            result = await graph.ainvoke({"request": args.request, "log": []}, config)
        while True:
            pending = (await graph.aget_state(config)).interrupts
            if not pending:
                break
            answer = await anyio.to_thread.run_sync(ask, pending[0].value["question"])
            if answer is None:
                print(f"paused; run again to continue thread {args.thread!r} (saved in {args.db})")
                return 0
            result = await graph.ainvoke(Command(resume=answer), config)
        final = result if result is not None else (await graph.aget_state(config)).values
        print("done:", final["log"])
        return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--thread", default="demo")
    parser.add_argument("--db", default="approval.db")
    parser.add_argument("--request", default="deploy version 2 to production")
    parser.add_argument("--trio", action="store_true")
    ns = parser.parse_args()
    raise SystemExit(anyio.run(main, ns, backend="trio" if ns.trio else "asyncio"))
