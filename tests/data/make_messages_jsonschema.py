"""How ``messages_jsonschema.json`` was made: LangGraph 1.2's ``get_input_jsonschema()`` /
``get_output_jsonschema()`` (and the JSON schemas of the models ``get_input_schema()`` /
``get_output_schema()`` give) of graphs whose state holds chat messages, run with LangGraph
(the ``bench`` extra) and langchain-core installed:

    python tests/data/make_messages_jsonschema.py tests/data/messages_jsonschema.json

``tests/test_feat14_messages_jsonschema.py`` builds the same graphs with actorgraph and compares.
"""
import json
import sys
from typing import Annotated, NotRequired

from typing_extensions import TypedDict

import langchain_core
import langgraph
from langchain_core.messages import AnyMessage
from langgraph.graph import START, MessagesState, StateGraph, add_messages


class ChatState(MessagesState):
    summary: str
    turns: NotRequired[int]


class Transcript(TypedDict):
    """Messages and a title."""

    title: str
    history: Annotated[list[AnyMessage], add_messages]


def schemas(state, **kw):
    graph = StateGraph(state, **kw).add_node("a", lambda s: {}).add_edge(START, "a").compile()
    return {"input": graph.get_input_jsonschema(), "output": graph.get_output_jsonschema(),
            "input_model": graph.get_input_schema().model_json_schema(),
            "output_model": graph.get_output_schema().model_json_schema()}


def main(path):
    out = {
        "versions": {"langgraph": getattr(langgraph, "__version__", None) or _version("langgraph"),
                     "langchain-core": langchain_core.__version__},
        "MessagesState": schemas(MessagesState),
        "ChatState": schemas(ChatState),
        "Transcript": schemas(Transcript),
        "ChatState_in_MessagesState_out": schemas(ChatState, input_schema=ChatState, output_schema=MessagesState),
    }
    # the message classes' definitions, the bulk of every document, are stored once: each
    # document keeps the names of its $defs and those that differ from the shared ones
    shared = out["MessagesState"]["input"]["$defs"]
    for name, docs in out.items():
        if name != "versions":
            for doc in docs.values():
                defs = doc.pop("$defs", {})
                doc["$defs_names"] = sorted(defs)
                doc["$defs_own"] = {k: v for k, v in defs.items() if shared.get(k) != v}
    out["shared_defs"] = shared
    with open(path, "w") as f:
        json.dump(out, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")


def _version(name):
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    main(sys.argv[1])
