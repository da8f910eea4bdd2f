"""actorgraph's functional API: a workflow as plain Python, with parallel tasks, a human in the
loop, and short-term memory across runs on a thread.

Run: python examples/functional.py            (asyncio)
     python examples/functional.py --trio     (trio)
"""

from __future__ import annotations

import sys
from typing import Any

import anyio

from actorgraph import Command, get_stream_writer, interrupt
from actorgraph.func import entrypoint, task
from actorgraph.persistence import InMemorySaver


@task
async def research(topic: str, angle: str) -> str:
    get_stream_writer()({"researching": angle})
    await anyio.sleep(0.01)
    return f"{angle} of {topic}"


@task
async def review(draft: str) -> str:
    # the run pauses here until a human answers (Command(resume=...))
    return str(interrupt({"draft": draft, "question": "approve? (yes/no)"}))


@entrypoint(checkpointer=InMemorySaver())
async def essay(topic: str, *, previous: Any = None) -> dict[str, Any]:
    notes = [research(topic, angle) for angle in ("why", "how", "what")]  # run concurrently
    draft = "; ".join([await n for n in notes])
    verdict = await review(draft)
    written = (previous or {}).get("written", 0) + (verdict == "yes")
    return {"draft": draft, "verdict": verdict, "written": written}


async def main() -> None:
    config = {"configurable": {"thread_id": "essays"}}
    async for mode, chunk in essay.astream("actors", config, stream_mode=["updates", "custom"]):
        print(f"{mode:8} {chunk}")
    state = await essay.aget_state(config)
    print("paused at:", state.next, "asking:", state.interrupts[0].value["question"])
    # resuming runs the entrypoint again: the research calls that finished are not run again
    async for mode, chunk in essay.astream(Command(resume="yes"), config, stream_mode=["updates", "custom"]):
        print(f"{mode:8} {chunk}")
    second = await essay.ainvoke("trio", config)
    print("second essay asks:", second["__interrupt__"][0].value["question"])
    final = await essay.ainvoke(Command(resume="yes"), config)
    print("final:", final)


if __name__ == "__main__":
    anyio.run(main, backend="trio" if "--trio" in sys.argv else "asyncio")
