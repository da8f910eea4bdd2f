"""actorgraph quickstart: a LangGraph-style graph with reducers, a conditional loop and map-reduce.

Run: python examples/quickstart.py            (asyncio)
     python examples/quickstart.py --trio     (trio)
"""

from __future__ import annotations

import operator
import sys
from typing import Annotated, TypedDict

import anyio

from actorgraph import END, START, Send, StateGraph, get_stream_writer


class State(TypedDict):
    topic: str
    drafts: Annotated[list[str], operator.add]
    rounds: int


async def plan(state: State) -> dict[str, object]:
    return {"rounds": state.get("rounds", 0) + 1}


def fan_out(state: State) -> list[Send]:
    # map: one "write" task per angle, all running concurrently in the next super-step
    return [Send("write", {"topic": state["topic"], "angle": a}) for a in ("why", "how", "what")]


async def write(task: dict[str, str]) -> dict[str, object]:
    get_stream_writer()({"writing": task["angle"]})
    await anyio.sleep(0.01)
    return {"drafts": [f"{task['angle']} {task['topic']} (round)"]}


def again(state: State) -> str:
    return "plan" if state["rounds"] < 2 else END


builder = StateGraph(State)
builder.add_node("plan", plan)
builder.add_node("write", write)
builder.add_edge(START, "plan")
builder.add_conditional_edges("plan", fan_out)
builder.add_conditional_edges("write", again)
graph = builder.compile()


async def main() -> None:
    async for mode, chunk in graph.astream({"topic": "actors", "rounds": 0}, stream_mode=["updates", "custom"]):
        print(f"{mode:8} {chunk}")
    final = await graph.ainvoke({"topic": "actors", "rounds": 0})
    print("final:", final)
    print(graph.get_graph().draw_mermaid())


if __name__ == "__main__":
    anyio.run(main, backend="trio" if "--trio" in sys.argv else "asyncio")
