"""How ``v1_chat.db`` was made: a chat thread paused at an ``interrupt()``, written by actorgraph
at commit 1782d4b (checkpoint schema version 1), then checkpointed and vacuumed:

    git worktree add /tmp/agold 1782d4b
    PYTHONPATH=/tmp/agold python tests/data/make_v1_chat.py v1_chat.db

``tests/test_persistence_storage.py`` builds the same graph and reads the file with today's code.
"""
import anyio, sys, os
from actorgraph import StateGraph, START, END, MessagesState, HumanMessage, AIMessage
from actorgraph.persistence import SqliteSaver
from actorgraph import interrupt, Command

class S(MessagesState):
    n: int

def build():
    g = StateGraph(S)
    def chat(s):
        return {"messages": [AIMessage(f"reply {len(s['messages'])} " + "r" * 600)], "n": s.get("n", 0) + 1}
    def ask(s):
        answer = interrupt("ok?")
        return {"messages": [HumanMessage(f"answer {answer}")]}
    g.add_node("chat", chat)
    g.add_node("ask", ask)
    g.add_edge(START, "chat")
    g.add_conditional_edges("chat", lambda s: "ask" if s["n"] >= 3 else END)
    g.add_edge("ask", END)
    return g

async def main(path):
    async with SqliteSaver.from_conn_string(path) as saver:
        app = build().compile(checkpointer=saver)
        cfg = {"configurable": {"thread_id": "chat-1"}}
        for i in range(3):
            await app.ainvoke({"messages": [HumanMessage(f"hello {i} " + "h" * 600)]}, cfg)
        state = await app.aget_state(cfg)
        print(state.next, len(state.values["messages"]), len([s async for s in app.aget_state_history(cfg)]))

anyio.run(main, sys.argv[1])
