"""``step_timeout`` with a plain ``def`` node that outlasts it.

Sync code cannot be interrupted (it runs on the event loop's thread under the sync API, in a
shielded worker thread under the async one), so the step times out once the node has returned.
Expected behaviour is LangGraph 1.2.24's, observed with the same graph (``slow`` sleeps 0.2 s,
``step_timeout`` 0.05 s, an ``InMemorySaver``):

* ``invoke``, ``stream`` and ``ainvoke`` raise ``TimeoutError``;
* ``get_state`` then shows no next node, the values with the slow node's write applied
  (``{"x": 1}``) and the slow node's task without an error;
* ``invoke(None)`` (no timeout now) goes on from there without running the slow node again:
  ``{"x": 11}``, one call in all.

(Before this was fixed actorgraph returned ``{"x": 11}`` at once, the timeout ignored.)
"""

from __future__ import annotations

import time
from typing import Any, TypedDict

import pytest

from actorgraph import START, StateGraph
from actorgraph.persistence import InMemorySaver


class S(TypedDict):
    x: int


def graph(calls: list[int], sleep: float = 0.2) -> Any:
    def slow(s: S) -> dict[str, Any]:
        calls.append(1)
        time.sleep(sleep)
        return {"x": s["x"] + 1}

    def after(s: S) -> dict[str, Any]:
        return {"x": s["x"] + 10}

    app = (StateGraph(S).add_node("slow", slow).add_node("after", after)
           .add_edge(START, "slow").add_edge("slow", "after").compile(checkpointer=InMemorySaver()))
    app.step_timeout = 0.05
    return app


def _check_after_timeout(app: Any, config: dict[str, Any]) -> None:
    snap = app.get_state(config)
    assert snap.next == ()
    assert snap.values == {"x": 1}
    assert [(t.name, t.error) for t in snap.tasks] == [("slow", None)]


@pytest.mark.parametrize("api", ["invoke", "stream"])
def test_a_sync_node_past_the_step_timeout_times_the_step_out(api: str) -> None:
    calls: list[int] = []
    app = graph(calls)
    config = {"configurable": {"thread_id": "t"}}
    with pytest.raises(TimeoutError):
        if api == "invoke":
            app.invoke({"x": 0}, config)
        else:
            list(app.stream({"x": 0}, config))
    _check_after_timeout(app, config)
    app.step_timeout = None
    assert app.invoke(None, config) == {"x": 11}
    assert calls == [1]  # its writes were kept: not run again


@pytest.mark.anyio
async def test_a_sync_node_in_a_worker_thread_past_the_step_timeout(anyio_backend: str) -> None:
    calls: list[int] = []
    app = graph(calls)
    config = {"configurable": {"thread_id": "t"}}
    with pytest.raises(TimeoutError):
        await app.ainvoke({"x": 0}, config)
    snap = await app.aget_state(config)
    assert (snap.next, snap.values) == ((), {"x": 1})
    assert [(t.name, t.error) for t in snap.tasks] == [("slow", None)]
    app.step_timeout = None
    assert await app.ainvoke(None, config) == {"x": 11}
    assert calls == [1]


def test_a_sync_node_within_the_step_timeout_is_not_timed_out() -> None:
    calls: list[int] = []
    app = graph(calls, sleep=0.0)
    app.step_timeout = 5
    assert app.invoke({"x": 0}, {"configurable": {"thread_id": "t"}}) == {"x": 11}
    assert [c for chunk in app.stream({"x": 0}, {"configurable": {"thread_id": "u"}})
            for c in chunk] == ["slow", "after"]
