"""Mock upstream model APIs for the demo, the tests and the benchmarks.

async with MockUpstream() as mock:
    mock.script("cheap-model", ToolCall("exec_command", {"cmd": "ls"}), Text("done"))
    ...  # point a client at mock.base_url / mock.anthropic_base_url
    assert mock.requests_for("cheap-model")[1].body["messages"][-1]["role"] == "tool"
"""

from examples.mockupstream.classifier import classifier_handler
from examples.mockupstream.estimates import EstimatingClassifier
from examples.mockupstream.replies import (
    CutStream,
    Handler,
    HttpError,
    Malformed,
    Reply,
    Slow,
    Stall,
    StreamError,
    Text,
    ToolCall,
    ToolCalls,
    Usage,
)
from examples.mockupstream.server import MockUpstream, Recorded

__all__ = [
    "CutStream",
    "EstimatingClassifier",
    "Handler",
    "HttpError",
    "Malformed",
    "MockUpstream",
    "Recorded",
    "Reply",
    "Slow",
    "Stall",
    "StreamError",
    "Text",
    "ToolCall",
    "ToolCalls",
    "Usage",
    "classifier_handler",
]
